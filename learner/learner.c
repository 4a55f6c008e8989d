/* learner.c -- the learner core (see learner.h and docs/PROTOCOL.md).
 *
 * Chosen slots arrive in any order, at most once each that matters: a slot
 * below applied_upto is a duplicate, a slot at or above it waits in the
 * pending ring until every slot before it has been applied.  Applied values
 * move to the retained deque, from which peers are served during catch-up
 * until retention (learner_forget_below, once a snapshot covers them) drops
 * them.
 *
 * Memory: the list is one growable int64 array (at most 16 bytes per
 * element with doubling); each retained or pending slot is a compact record
 * holding only its n commands, not a full PX_MAX_BATCH px_value.
 *
 * Snapshots: a point is (S, the list length L, a copy of the dedup table,
 * the CRC).  The list is append-only, so list[0..L) is served from the
 * live list with no copy; the dedup copy is bounded by dedup_max.  Once the
 * host reports a point durable, retained values below S - snapshot_every
 * are dropped.  A transfer from a peer is buffered whole (it can only be
 * checked once complete) and freed as soon as it is installed or dropped.
 */
#include "learner.h"
#include "dedup.h"
#include "snapshot.h"
#include "../common/quorum.h"
#include "../common/refuse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CHOSEN for a slot more than this far above applied_upto is dropped, so a
 * learner that fell far behind (or a bogus slot number) cannot make it hold
 * an unbounded number of values; the slot is re-fetched by catch-up once
 * the learner gets near it. */
#define LEARNER_PENDING_MAX 65536u

/* Catch-up rounds without progress before the leader is asked as well. */
#define LEARNER_ESCALATE_ROUNDS 3

/* Catch-up rounds without a new snapshot chunk before a transfer is dropped
 * (each earlier one resends the request). */
#define LEARNER_SNAP_STALL_ROUNDS 3

/* One chosen slot, sized to its batch -- or, while decided is 0, the
 * tally of VOTEs for a pending slot: the value voted under ballot, and
 * the acceptors (acks) that voted it so far.  A tally becomes the slot's
 * record once acks is a quorum. */
typedef struct lrec {
    uint64_t slot;
    px_ballot ballot; /* as learned, echoed when serving catch-up */
    uint32_t acks;
    uint8_t decided;
    uint16_t n;
    px_cmd cmds[];
} lrec;

/* The current snapshot point: the state after applying every slot below
 * slot.  Its serialization is generated on demand from these fields and
 * the live list (see snapshot.h). */
typedef struct snap_point {
    uint64_t slot;    /* S; 0 if no point yet */
    uint64_t list_len; /* L: list[0..L) of the live list */
    dedup_entry *dd;  /* the table at S, by client */
    size_t dd_n;
    uint32_t crc;
    uint64_t size;
} snap_point;

/* A snapshot being received from one peer, in order. */
typedef struct snap_xfer {
    uint64_t slot; /* 0 if none */
    uint32_t peer;
    uint64_t total, received;
    uint8_t *buf;
    size_t cap;
    uint64_t mark;    /* received at the previous catch-up round */
    unsigned stalled; /* rounds in a row without a chunk */
} snap_xfer;

struct learner {
    learner_config cfg;
    uint32_t members;      /* bit i: node i is in the cluster (acks use the same bits) */
    uint64_t applied_upto; /* next slot to apply */
    uint64_t known_chosen; /* every slot below is known to be chosen */

    int64_t *list;
    size_t len, cap;

    /* Retained applied slots [ret_base, applied_upto) live at
     * ret[ret_off ..]; ret_off lets forgetting drop from the front in O(1).
     * NULL marks a slot the learner never saw (out-of-order mutant only). */
    lrec **ret;
    size_t ret_off, ret_len, ret_cap;
    uint64_t ret_base;

    /* Pending slots, at pend[slot & (pend_cap - 1)].  All of them lie in
     * [applied_upto, applied_upto + pend_cap), so they never collide.
     * pend_n counts every entry, pend_tallies those not yet decided. */
    lrec **pend;
    size_t pend_cap, pend_n, pend_tallies;

    dedup dd;

    px_ballot leader_ballot; /* highest heartbeat ballot heard */
    uint32_t leader;         /* its leader, 0 if none yet */

    int gap_armed;         /* a catch-up round is scheduled */
    uint64_t next_catchup; /* when it is due */
    uint64_t round_mark;   /* applied_upto at the previous round */
    unsigned stalled;      /* rounds since applied_upto last moved */
    uint64_t next_status;  /* next LEARNED report */

    snap_point pt;
    uint64_t last_point;   /* applied_upto when pt was taken or installed */
    uint64_t snap_durable; /* newest point the host has on disk */
    snap_xfer xf;

    px_value *scratch; /* learner_chosen_value()'s answer */
    uint64_t votes_decided; /* slots decided from a quorum of VOTEs (the rest came as CHOSEN) */
};

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) abort(); /* like px_outbox_push: a core cannot go on half-updated */
    return p;
}

/* Zero only the header and the member used: px_msg is 8 KiB because of
 * LIST_CHUNK, and messages are built per applied slot. */
static px_msg *msg_init(px_msg *m, int type, uint32_t from, size_t body)
{
    memset(m, 0, offsetof(px_msg, u) + body);
    m->type = (uint8_t)type;
    m->from = from;
    return m;
}

/* ---- records ---- */

static lrec *rec_new(uint64_t slot, px_ballot b, uint32_t acks, const px_value *v)
{
    lrec *r = xrealloc(NULL, sizeof *r + v->n * sizeof(px_cmd));
    r->slot = slot;
    r->ballot = b;
    r->acks = acks;
    r->decided = 1;
    r->n = v->n;
    memcpy(r->cmds, v->cmds, v->n * sizeof(px_cmd));
    return r;
}

/* Whether r holds exactly the commands of v. */
static int rec_value_equal(const lrec *r, const px_value *v)
{
    if (r->n != v->n) return 0;
    for (uint16_t i = 0; i < r->n; i++) {
        const px_cmd *a = &r->cmds[i], *b = &v->cmds[i];
        if (a->kind != b->kind || a->client != b->client || a->seq != b->seq ||
            a->value != b->value)
            return 0;
    }
    return 1;
}

static lrec *ret_at(const struct learner *l, uint64_t slot)
{
    if (slot < l->ret_base || slot >= l->applied_upto) return NULL;
    return l->ret[l->ret_off + (size_t)(slot - l->ret_base)];
}

static void ret_push(struct learner *l, lrec *r)
{
    if (l->ret_off + l->ret_len == l->ret_cap) {
        if (l->ret_off >= l->ret_cap / 2 && l->ret_off > 0) {
            /* Mostly forgotten front: slide down instead of growing. */
            memmove(l->ret, l->ret + l->ret_off, l->ret_len * sizeof *l->ret);
            l->ret_off = 0;
        } else {
            l->ret_cap = l->ret_cap ? l->ret_cap * 2 : 64;
            l->ret = xrealloc(l->ret, l->ret_cap * sizeof *l->ret);
        }
    }
    l->ret[l->ret_off + l->ret_len++] = r;
}

static lrec *pend_at(const struct learner *l, uint64_t slot)
{
    if (l->pend_cap == 0 || slot < l->applied_upto || slot - l->applied_upto >= l->pend_cap)
        return NULL;
    return l->pend[slot & (l->pend_cap - 1)];
}

/* Make the ring cover [applied_upto, applied_upto + dist]. */
static void pend_reserve(struct learner *l, uint64_t dist)
{
    if (dist < l->pend_cap) return;
    size_t cap = l->pend_cap ? l->pend_cap : 16;
    while (cap <= dist) cap *= 2;
    lrec **v = xrealloc(NULL, cap * sizeof *v);
    memset(v, 0, cap * sizeof *v);
    for (size_t i = 0; i < l->pend_cap; i++)
        if (l->pend[i]) v[l->pend[i]->slot & (cap - 1)] = l->pend[i];
    free(l->pend);
    l->pend = v;
    l->pend_cap = cap;
}

/* Puts r at its slot (in [applied_upto, applied_upto + LEARNER_PENDING_MAX]),
 * replacing what was there. */
static void pend_set(struct learner *l, lrec *r)
{
    pend_reserve(l, r->slot - l->applied_upto);
    lrec **at = &l->pend[r->slot & (l->pend_cap - 1)];
    if (*at) {
        l->pend_tallies -= !(*at)->decided;
        l->pend_n--;
        free(*at);
    }
    *at = r;
    l->pend_n++;
    l->pend_tallies += !r->decided;
}

/* ---- applying ---- */

static void list_push(struct learner *l, int64_t v)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->list = xrealloc(l->list, l->cap * sizeof *l->list);
    }
    l->list[l->len++] = v;
}

/* An APPEND with seq > 0: applied at most once per (client, seq). */
static void apply_append(struct learner *l, const px_cmd *c, uint64_t slot, px_applied_entry *e)
{
#ifndef PX_MUTANT_LEARNER_NO_DEDUP
    const dedup_entry *d = dedup_find(&l->dd, c->client);
    if (d && c->seq == d->seq) {
        e->flags = PX_APPLIED_DUP;
        e->result = d->result;
        return;
    }
    if (d && c->seq < d->seq) {
        e->flags = PX_APPLIED_STALE;
        e->result = -1;
        return;
    }
#endif
    /* MUTANT LEARNER_NO_DEDUP: the lookup above is compiled out, so a
     * retry that was already applied is appended a second time. */
    e->result = (int64_t)l->len;
    list_push(l, c->value);
    dedup_record(&l->dd, c->client, c->seq, e->result, slot);
}

static void apply_cmd(struct learner *l, const px_cmd *c, uint64_t slot, px_applied_entry *e)
{
    e->cmd = *c;
    e->flags = 0;
    e->result = -1;
    if (c->kind == PX_CMD_READ) {
        e->result = (int64_t)l->len; /* reads are ordered by the log */
    } else if (c->kind == PX_CMD_APPEND) {
        if (c->seq == 0) {
            e->result = (int64_t)l->len;
            list_push(l, c->value);
        } else {
            apply_append(l, c, slot, e);
        }
    }
    /* Unknown kinds (the decoder should refuse them) change nothing. */
}

/* ---- snapshot points ---- */

static px_snap_src point_src(const struct learner *l)
{
    px_snap_src s = {.slot = l->pt.slot, .list = l->list, .list_len = l->pt.list_len,
                     .dedup = l->pt.dd, .dedup_n = l->pt.dd_n, .crc = l->pt.crc};
    return s;
}

/* Checked after every applied slot, so points fall on multiples of
 * snapshot_every when applying from the start: learners at the same point
 * then serve the same bytes. */
static void maybe_take_point(struct learner *l)
{
    uint64_t every = l->cfg.snapshot_every;
    if (every == 0 || l->applied_upto < l->last_point + every) return;
    l->pt.slot = l->applied_upto;
    l->pt.list_len = l->len;
    l->pt.dd_n = l->dd.n;
    l->pt.dd = xrealloc(l->pt.dd, l->dd.n * sizeof *l->pt.dd);
    dedup_export(&l->dd, l->pt.dd);
    l->pt.size = px_snap_size(l->pt.list_len, l->pt.dd_n);
    px_snap_src src = point_src(l);
    l->pt.crc = px_snap_crc(&src);
    l->last_point = l->applied_upto;
}

/* Apply r as slot applied_upto, tell the gateway, keep r for peers. */
static void apply_rec(struct learner *l, lrec *r, px_outbox *out)
{
    if (r->n > 0) {
        px_msg m;
        px_applied *a = &msg_init(&m, PX_MSG_APPLIED, l->cfg.id, sizeof(px_applied))->u.applied;
        a->slot = r->slot;
        a->leader = r->ballot.node; /* whose ballot decided it: the leader, as far as we know */
        a->n = r->n;
        for (uint16_t i = 0; i < r->n; i++) apply_cmd(l, &r->cmds[i], r->slot, &a->entries[i]);
        a->list_len = l->len;
        px_outbox_push(out, PX_ROLE_GATEWAY, l->cfg.id, &m);
    }
    /* No-ops fill a gap and change nothing: the gateway waits for none. */
    ret_push(l, r);
    l->applied_upto = r->slot + 1;
    maybe_take_point(l);
}

static void apply_ready(struct learner *l, px_outbox *out)
{
    lrec *r;
    while ((r = pend_at(l, l->applied_upto)) != NULL && r->decided) {
        l->pend[r->slot & (l->pend_cap - 1)] = NULL;
        l->pend_n--;
        apply_rec(l, r, out);
    }
}

/* ---- messages ---- */

/* Whether node is one of the cluster's. */
static int is_member(const struct learner *l, uint32_t node)
{
    return node >= 1 && node <= PX_MAX_NODES && (l->members & (1u << node));
}

/* Why a CHOSEN cannot be a decision, or 0.  The leader sends one only
 * after a quorum of acceptors accepted it, naming them in acks, and a
 * learner re-serves a slot with the acks it was learned with; so acks
 * that name a non-member or fewer than a quorum are a bug or corruption.
 * Taken, a CHOSEN nobody decided would put a value in this learner's list
 * that no other learner has, for good.  (A peer that lies with a quorum of
 * acks cannot be caught here: Paxos does not survive Byzantine peers.) */
static int chosen_refusal(const struct learner *l, const px_chosen *c)
{
    if (c->value.n > PX_MAX_BATCH) return PX_WIRE_FIELD_BAD;
    if (c->slot == UINT64_MAX) return PX_REFUSE_SLOT_BAD; /* slot + 1 would wrap */
    if (px_ballot_is_zero(c->ballot)) return PX_REFUSE_BALLOT_ZERO;
    if (c->ballot.round > PX_MAX_ROUND) return PX_WIRE_BALLOT_BAD;
#ifndef PX_MUTANT_LEARNER_TRUST_ACKS
    if ((c->acks & ~l->members) != 0 || px_acks_count(c->acks) < px_quorum(l->cfg.n_nodes))
        return PX_REFUSE_CHOSEN_QUORUM;
#else
    /* PLANTED BUG (mutant LEARNER_TRUST_ACKS): any acks will do, so one
     * CHOSEN that nobody decided makes this learner's list diverge. */
    (void)l;
#endif
    return 0;
}

/* The decided record of slot is in the ring: apply what became ready. */
static void decided(struct learner *l, uint64_t slot, px_outbox *out)
{
    if (slot + 1 > l->known_chosen) l->known_chosen = slot + 1;
#ifdef PX_MUTANT_LEARNER_OUT_OF_ORDER
    /* MUTANT LEARNER_OUT_OF_ORDER: apply in arrival order.  Skipped slots
     * become holes (NULL) in the retained deque and applied_upto jumps to
     * this slot, which the code below then applies at once; the skipped
     * values, arriving later, are dropped as duplicates. */
    while (l->applied_upto < slot) {
        ret_push(l, NULL);
        l->applied_upto++;
    }
#endif
    apply_ready(l, out);
}

static int on_chosen(struct learner *l, const px_chosen *c, px_outbox *out)
{
    int why = chosen_refusal(l, c);
    if (why) return why;
    if (c->slot + 1 > l->known_chosen) l->known_chosen = c->slot + 1;
    if (c->slot < l->applied_upto) return 0; /* already applied: a duplicate */
    /* Far ahead (we are far behind): catch-up fetches it once we are near. */
    if (c->slot - l->applied_upto > LEARNER_PENDING_MAX) return 0;
    const lrec *have = pend_at(l, c->slot);
    if (have && have->decided) return 0; /* already waiting: same value, by Paxos */
    pend_set(l, rec_new(c->slot, c->ballot, c->acks, &c->value)); /* a tally is moot now */
    decided(l, c->slot, out);
    return 0;
}

/* Why a VOTE cannot be an acceptor's durable vote, or 0.  Its acceptor
 * must be a member and its sender (one peer, one vote: else a single
 * peer could make a "quorum"), its ballot real, its slot one that can
 * have a successor. */
static int vote_refusal(const struct learner *l, uint32_t from, const px_vote *v)
{
    if (v->value.n > PX_MAX_BATCH) return PX_WIRE_FIELD_BAD;
    if (v->slot == UINT64_MAX) return PX_REFUSE_SLOT_BAD;
    if (px_ballot_is_zero(v->ballot)) return PX_REFUSE_BALLOT_ZERO;
    if (v->ballot.round > PX_MAX_ROUND) return PX_WIRE_BALLOT_BAD;
    if (!is_member(l, v->acceptor)) return PX_REFUSE_NOT_MEMBER;
    if (v->acceptor != from) return PX_REFUSE_SENDER_MISMATCH;
    return 0;
}

/* Classic Paxos learning: a slot is chosen once a quorum of acceptors
 * voted one value under one ballot.  The tally follows the highest ballot
 * heard for the slot (a decision at a lower one would carry the same
 * value, but needs no help: a leader's later ballot re-proposes it); votes
 * of lower ballots are ignored, never mixed in.  Two values under one
 * ballot cannot both be real (a proposer proposes one value per slot per
 * ballot), so a VOTE contradicting the tally is refused, and changes
 * nothing. */
static int on_vote(struct learner *l, uint32_t from, const px_vote *v, px_outbox *out)
{
    int why = vote_refusal(l, from, v);
    if (why) return why;
    if (v->slot < l->applied_upto) return 0; /* applied already */
    if (v->slot - l->applied_upto > LEARNER_PENDING_MAX) return 0; /* catch-up will bring it */
    lrec *r = pend_at(l, v->slot);
    if (r && r->decided) return 0;
#ifndef PX_MUTANT_LEARNER_VOTE_MIXED
    int c = r ? px_ballot_cmp(v->ballot, r->ballot) : 1;
    if (c < 0) return 0; /* an older ballot's vote */
    if (c == 0 && !rec_value_equal(r, &v->value)) return PX_REFUSE_VOTE_MISMATCH;
    if (c > 0) {
        r = rec_new(v->slot, v->ballot, 0, &v->value);
        r->decided = 0;
        pend_set(l, r);
    }
#else
    /* PLANTED BUG (mutant LEARNER_VOTE_MIXED): votes count whatever their
     * ballot, for the first value heard, so a "quorum" can mix an old
     * ballot's lone vote with votes for another value. */
    if (!r) {
        r = rec_new(v->slot, v->ballot, 0, &v->value);
        r->decided = 0;
        pend_set(l, r);
    } else if (px_ballot_cmp(v->ballot, r->ballot) == 0 && !rec_value_equal(r, &v->value)) {
        return PX_REFUSE_VOTE_MISMATCH;
    }
#endif
    r->acks |= 1u << v->acceptor;
    if (px_acks_count(r->acks) < px_quorum(l->cfg.n_nodes)) return 0;
    r->decided = 1;
    l->pend_tallies--;
    l->votes_decided++;
    decided(l, v->slot, out);
    return 0;
}

/* A leader announces itself to every learner with its own ballot: leader,
 * sender and the ballot's node are one node, a member. */
static int on_heartbeat(struct learner *l, uint32_t from, const px_heartbeat *h)
{
    if (px_ballot_is_zero(h->ballot)) return PX_REFUSE_BALLOT_ZERO;
    if (h->ballot.round > PX_MAX_ROUND) return PX_WIRE_BALLOT_BAD;
    if (!is_member(l, h->leader)) return PX_REFUSE_NOT_MEMBER;
    if (h->leader != from || h->ballot.node != from) return PX_REFUSE_SENDER_MISMATCH;
    /* A deposed leader's late heartbeat must not redirect escalation. */
    if (px_ballot_cmp(h->ballot, l->leader_ballot) >= 0) {
        l->leader_ballot = h->ballot;
        l->leader = h->leader;
    }
    if (h->chosen_upto > l->known_chosen) l->known_chosen = h->chosen_upto;
    return 0;
}

/* Only peers ask for catch-up and snapshots, and answers go to the
 * sender's learner: it must be a member other than ourselves. */
static int peer_refusal(const struct learner *l, uint32_t from)
{
    if (from == l->cfg.id) return PX_REFUSE_WRONG_PATH;
    return is_member(l, from) ? 0 : PX_REFUSE_NOT_MEMBER;
}

static int serve_one(const struct learner *l, const lrec *r, uint32_t to, px_outbox *out)
{
    if (!r || !r->decided) return 0; /* a hole (mutant), or a tally: nothing decided */
    px_msg m;
    px_chosen *c = &msg_init(&m, PX_MSG_CHOSEN, l->cfg.id, sizeof(px_chosen))->u.chosen;
    c->slot = r->slot;
    c->ballot = r->ballot;
    c->acks = r->acks;
    c->value.n = r->n;
    memcpy(c->value.cmds, r->cmds, r->n * sizeof(px_cmd));
    px_outbox_push(out, PX_ROLE_LEARNER, to, &m);
    return 1;
}

/* ---- serving snapshots ---- */

/* Bytes [off, off + PX_SNAP_CHUNK) of the current point to peer to. */
static void send_chunk(const struct learner *l, uint32_t to, uint64_t off, px_outbox *out)
{
    px_msg m;
    px_snap_chunk *c = &msg_init(&m, PX_MSG_SNAP_CHUNK, l->cfg.id, sizeof(px_snap_chunk))->u.snap_chunk;
    px_snap_src src = point_src(l);
    c->snap_slot = l->pt.slot;
    c->total = l->pt.size;
    c->offset = off;
    c->n = (uint16_t)px_snap_read(&src, off, c->data, PX_SNAP_CHUNK);
    px_outbox_push(out, PX_ROLE_LEARNER, to, &m);
}

/* The point asked for, or the start of the current one if it moved on
 * (the peer then restarts on the new slot). */
static int on_snap_req(const struct learner *l, uint32_t to, const px_snap_req *r, px_outbox *out)
{
    int why = peer_refusal(l, to);
    if (why || l->pt.slot == 0) return why;
    if (r->snap_slot != l->pt.slot) {
        send_chunk(l, to, 0, out);
    } else if (r->offset < l->pt.size) {
        send_chunk(l, to, r->offset, out);
    }
    return 0;
}

/* Send the peer what we retain from `from` on, applied slots first, then
 * pending ones (they may fill the peer's gap even if not ours).  If it
 * needs slots we no longer retain, it gets our snapshot point instead. */
static int on_catchup(const struct learner *l, uint32_t to, const px_catchup *c, px_outbox *out)
{
    int why = peer_refusal(l, to);
    if (why) return why;
    if (c->learner != to) return PX_REFUSE_SENDER_MISMATCH; /* it asks for itself */
    uint64_t from = c->from_slot;
    if (from < l->ret_base && l->pt.slot > from) {
        send_chunk(l, to, 0, out);
        return 0;
    }
    unsigned sent = 0;
    uint64_t s = from > l->ret_base ? from : l->ret_base;
    for (; s < l->applied_upto && sent < PX_MAX_CATCHUP_SLOTS; s++)
        sent += serve_one(l, ret_at(l, s), to, out);
    size_t seen = 0;
    for (s = from > l->applied_upto ? from : l->applied_upto;
         sent < PX_MAX_CATCHUP_SLOTS && seen < l->pend_n && s - l->applied_upto < l->pend_cap; s++) {
        const lrec *r = pend_at(l, s);
        seen += r != NULL;
        sent += serve_one(l, r, to, out);
    }
    return 0;
}

/* ---- receiving snapshots ---- */

static void xfer_drop(struct learner *l)
{
    free(l->xf.buf);
    memset(&l->xf, 0, sizeof l->xf);
}

static void send_snap_req(const struct learner *l, px_outbox *out)
{
    px_msg m;
    px_snap_req *r = &msg_init(&m, PX_MSG_SNAP_REQ, l->cfg.id, sizeof(px_snap_req))->u.snap_req;
    r->snap_slot = l->xf.slot;
    r->offset = l->xf.received;
    px_outbox_push(out, PX_ROLE_LEARNER, l->xf.peer, &m);
}

static void ret_clear(struct learner *l, uint64_t base)
{
    for (size_t i = 0; i < l->ret_len; i++) free(l->ret[l->ret_off + i]);
    l->ret_off = l->ret_len = 0;
    l->ret_base = base;
}

/* Replace the applied state by the parsed snapshot v (v->slot above
 * applied_upto).  It becomes the current point, not yet durable here.
 * Pending slots at or above v->slot stay where they are in the ring: they
 * lie in [v->slot, v->slot + pend_cap) like the ring now requires. */
static void install(struct learner *l, const px_snap_view *v)
{
#ifndef PX_MUTANT_LEARNER_SNAPSHOT_SKIP
    uint64_t next = v->slot; /* the snapshot holds every slot below it */
#else
    /* PLANTED BUG (mutant LEARNER_SNAPSHOT_SKIP): an off-by-one on the
     * snapshot's mark -- "the snapshot at slot S" is taken to hold slot S
     * too, so a learner that installs one (a peer's, or its own file at a
     * restart) goes on at S + 1 and never applies slot S. */
    uint64_t next = v->slot + 1;
#endif
    size_t cap = v->list_len > 1024 ? (size_t)v->list_len : 1024;
    free(l->list);
    l->list = xrealloc(NULL, cap * sizeof *l->list);
    l->cap = cap;
    l->len = (size_t)v->list_len;
    for (uint64_t i = 0; i < v->list_len; i++) l->list[i] = px_snap_value(v, i);

    dedup_entry *dd = xrealloc(NULL, (size_t)v->dedup_n * sizeof *dd);
    for (uint64_t i = 0; i < v->dedup_n; i++) px_snap_entry(v, i, &dd[i]);
#ifndef PX_MUTANT_LEARNER_INSTALL_NO_DEDUP
    dedup_load(&l->dd, dd, (size_t)v->dedup_n);
#else
    /* PLANTED BUG (mutant LEARNER_INSTALL_NO_DEDUP): the list is taken from
     * the snapshot but the dedup table is not: the learner starts it
     * empty, so a retry of a command applied before the snapshot is
     * applied again, and its own next snapshot lacks those clients. */
    dedup_load(&l->dd, dd, 0);
#endif

    free(l->pt.dd);
    l->pt = (snap_point){.slot = v->slot, .list_len = v->list_len, .dd = dd,
                         .dd_n = (size_t)v->dedup_n, .crc = v->crc,
                         .size = px_snap_size(v->list_len, v->dedup_n)};
    l->last_point = v->slot;

    ret_clear(l, next);
    for (size_t i = 0; i < l->pend_cap; i++) {
        if (l->pend[i] && l->pend[i]->slot < next) {
            l->pend_tallies -= !l->pend[i]->decided;
            free(l->pend[i]);
            l->pend[i] = NULL;
            l->pend_n--;
        }
    }
    l->applied_upto = next;
    if (l->known_chosen < next) l->known_chosen = next;
}

/* After a snapshot install the list jumped without an APPLIED for the
 * slots it covers: an APPLIED of no commands for its last slot carries the
 * new length, so the gateway's copy sees it is behind and fetches the
 * rest now (it would otherwise show the old length until the next slot is
 * applied; reads were right either way: they go through the log). */
static void tell_gateway_len(struct learner *l, uint64_t snap_slot, px_outbox *out)
{
    if (snap_slot == 0) return;
    px_msg m;
    px_applied *a = &msg_init(&m, PX_MSG_APPLIED, l->cfg.id, sizeof(px_applied))->u.applied;
    a->slot = snap_slot - 1;
    a->leader = l->leader;
    a->n = 0;
    a->list_len = l->len;
    px_outbox_push(out, PX_ROLE_GATEWAY, l->cfg.id, &m);
}

/* A complete transfer: check it like a file from disk, then install it if
 * it still takes us forward.  One that fails the check (or is not the
 * snapshot its chunks announced) is refused: peers serve the same bytes
 * they write to disk, so it is corruption or a bug. */
static int xfer_finish(struct learner *l, px_outbox *out)
{
    px_snap_view v;
    int why = 0;
    if (px_snap_parse(l->xf.buf, (size_t)l->xf.total, l->dd.max, &v, NULL, 0) != 0 ||
        v.slot != l->xf.slot) {
        why = PX_REFUSE_SNAPSHOT_BAD;
    } else if (v.slot > l->applied_upto) {
        install(l, &v);
        tell_gateway_len(l, v.slot, out);
        apply_ready(l, out); /* pending slots right above the snapshot */
    }
    xfer_drop(l);
    return why;
}

/* Why a chunk cannot be part of a real transfer, or 0.  A peer serves
 * chunks of at least one byte, within the total, of a snapshot of at
 * least PX_SNAP_MIN bytes; one above PX_SNAP_MAX (a list of over 2^27
 * elements) would have to be buffered whole before its CRC can be
 * checked, so it is refused too -- a limit an honest cluster can reach,
 * and then sees counted and logged. */
static int chunk_refusal(const struct learner *l, uint32_t from, const px_snap_chunk *c)
{
    int why = peer_refusal(l, from);
    if (why) return why;
    if (c->n == 0 || c->n > PX_SNAP_CHUNK || c->offset > c->total ||
        c->n > c->total - c->offset)
        return PX_WIRE_FIELD_BAD; /* the decoder refuses these too */
    if (c->total > PX_SNAP_MAX || c->total < PX_SNAP_MIN) return PX_REFUSE_SNAPSHOT_BAD;
    return 0;
}

/* Starts a transfer at offset 0 (a higher slot replaces the current one),
 * continues it in order from the same peer, and asks for the next piece. */
static int on_snap_chunk(struct learner *l, uint32_t from, const px_snap_chunk *c, px_outbox *out)
{
    int why = chunk_refusal(l, from, c);
    if (why) return why;
    if (l->xf.slot != 0 && l->xf.slot <= l->applied_upto) xfer_drop(l); /* overtaken by CHOSENs */
    if (c->snap_slot <= l->applied_upto) return 0; /* we are past it already */
    if (c->offset == 0) {
        if (c->snap_slot <= l->xf.slot) return 0; /* a duplicate, or an older point */
        xfer_drop(l);
        l->xf = (snap_xfer){.slot = c->snap_slot, .peer = from, .total = c->total};
        /* Every slot below a peer's snapshot is chosen: that is a gap,
         * which keeps catch-up rounds (and so stall checks) running. */
        if (l->known_chosen < c->snap_slot) l->known_chosen = c->snap_slot;
    } else if (c->snap_slot != l->xf.slot || from != l->xf.peer || c->total != l->xf.total ||
               c->offset != l->xf.received) {
        return 0; /* a duplicate or a late chunk, or another transfer's */
    }
    if (l->xf.received + c->n > l->xf.cap) {
        size_t cap = l->xf.cap ? l->xf.cap : 65536;
        while (cap < l->xf.received + c->n) cap *= 2;
        if (cap > l->xf.total) cap = (size_t)l->xf.total;
        l->xf.buf = xrealloc(l->xf.buf, cap);
        l->xf.cap = cap;
    }
    memcpy(l->xf.buf + l->xf.received, c->data, c->n);
    l->xf.received += c->n;
    if (l->xf.received == l->xf.total) return xfer_finish(l, out);
    send_snap_req(l, out);
    return 0;
}

/* Called once per catch-up round: resend the request if nothing came
 * since the last round, give up after a few such rounds. */
static void xfer_round(struct learner *l, px_outbox *out)
{
    if (l->xf.slot == 0) return;
    if (l->xf.slot <= l->applied_upto) {
        xfer_drop(l); /* overtaken by CHOSENs */
        return;
    }
    if (l->xf.received > l->xf.mark) {
        l->xf.stalled = 0;
        l->stalled = 0; /* progress: no need to bother the leader */
    } else if (++l->xf.stalled >= LEARNER_SNAP_STALL_ROUNDS) {
        xfer_drop(l);
        return;
    } else {
        send_snap_req(l, out);
    }
    l->xf.mark = l->xf.received;
}

static void on_list_req(const struct learner *l, uint32_t to, uint64_t from_index, px_outbox *out)
{
    px_msg m;
    px_list_chunk *c = &msg_init(&m, PX_MSG_LIST_CHUNK, l->cfg.id, sizeof(px_list_chunk))->u.list_chunk;
    c->from_index = from_index;
    c->total_len = l->len;
    if (from_index < l->len) {
        uint64_t n = l->len - from_index;
        c->n = (uint32_t)(n < PX_LIST_CHUNK ? n : PX_LIST_CHUNK);
        memcpy(c->values, l->list + from_index, c->n * sizeof(int64_t));
    }
    px_outbox_push(out, PX_ROLE_GATEWAY, to, &m);
}

/* ---- catch-up timer ---- */

static int has_gap(const struct learner *l)
{
    return l->known_chosen > l->applied_upto;
}

/* Arm the first round one period after a gap appears, not at once: most
 * gaps are just reordering and fill by themselves. */
static void gap_update(struct learner *l, uint64_t now)
{
    if (!has_gap(l)) {
        l->gap_armed = 0;
        l->stalled = 0;
    } else if (!l->gap_armed) {
        l->gap_armed = 1;
        l->next_catchup = now + l->cfg.catchup_ms;
        l->round_mark = l->applied_upto;
        l->stalled = 0;
    }
}

static void catchup_round(struct learner *l, px_outbox *out)
{
    if (l->applied_upto > l->round_mark) l->stalled = 0;
    l->round_mark = l->applied_upto;
    xfer_round(l, out);

    px_msg m;
    px_catchup *c = &msg_init(&m, PX_MSG_CATCHUP, l->cfg.id, sizeof(px_catchup))->u.catchup;
    c->from_slot = l->applied_upto;
    c->learner = l->cfg.id;
    for (uint32_t i = 0; i < l->cfg.n_nodes; i++)
        if (l->cfg.node_ids[i] != l->cfg.id)
            px_outbox_push(out, PX_ROLE_LEARNER, l->cfg.node_ids[i], &m);
    /* Peers could not help: maybe every learner lost the slots, and only
     * the leader (re-reading acceptors) can recover them. */
    if (l->stalled >= LEARNER_ESCALATE_ROUNDS && l->leader != 0)
        px_outbox_push(out, PX_ROLE_PROPOSER, l->leader, &m);
    l->stalled++;
}

static void send_status(const struct learner *l, px_outbox *out)
{
    px_msg m;
    px_learned *s = &msg_init(&m, PX_MSG_LEARNED, l->cfg.id, sizeof(px_learned))->u.learned;
    s->learner = l->cfg.id;
    s->applied_upto = l->applied_upto;
    s->snapshot_upto = l->snap_durable;
    px_outbox_push(out, PX_ROLE_PROPOSER, PX_NODE_ALL, &m);
}

/* ---- API ---- */

struct learner *learner_new(const learner_config *cfg, uint64_t now)
{
    struct learner *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->scratch = calloc(1, sizeof *l->scratch);
    if (!l->scratch) {
        free(l);
        return NULL;
    }
    l->cfg = *cfg;
    if (l->cfg.n_nodes > PX_MAX_NODES) l->cfg.n_nodes = PX_MAX_NODES;
    for (uint32_t i = 0; i < l->cfg.n_nodes; i++) {
        uint32_t id = l->cfg.node_ids[i];
        if (id >= 1 && id <= PX_MAX_NODES) l->members |= 1u << id;
    }
    /* A zero period would make a due timer due again at once: spin. */
    if (l->cfg.catchup_ms == 0) l->cfg.catchup_ms = 1;
    if (l->cfg.status_ms == 0) l->cfg.status_ms = 1;
    dedup_init(&l->dd, cfg->dedup_max);
    l->next_status = now + l->cfg.status_ms;
    return l;
}

void learner_free(struct learner *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->ret_len; i++) free(l->ret[l->ret_off + i]);
    for (size_t i = 0; i < l->pend_cap; i++) free(l->pend[i]);
    free(l->ret);
    free(l->pend);
    free(l->list);
    dedup_free(&l->dd);
    free(l->pt.dd);
    free(l->xf.buf);
    free(l->scratch);
    free(l);
}

int learner_handle(struct learner *l, const px_msg *in, uint64_t now, px_outbox *out)
{
    int why;
    switch (in->type) {
    case PX_MSG_CHOSEN: why = on_chosen(l, &in->u.chosen, out); break;
    case PX_MSG_VOTE: why = on_vote(l, in->from, &in->u.vote, out); break;
    case PX_MSG_HEARTBEAT: why = on_heartbeat(l, in->from, &in->u.heartbeat); break;
    case PX_MSG_CATCHUP: why = on_catchup(l, in->from, &in->u.catchup, out); break;
    case PX_MSG_LIST_REQ:
        /* Only the local gateway asks (a host that leaves from unset means
         * it): the list goes to our own node's gateway. */
        if (in->from != 0 && in->from != l->cfg.id) return PX_REFUSE_WRONG_PATH;
        on_list_req(l, l->cfg.id, in->u.list_req.from_index, out);
        why = 0;
        break;
    case PX_MSG_SNAP_REQ: why = on_snap_req(l, in->from, &in->u.snap_req, out); break;
    case PX_MSG_SNAP_CHUNK: why = on_snap_chunk(l, in->from, &in->u.snap_chunk, out); break;
    default: return PX_REFUSE_UNEXPECTED_TYPE;
    }
    /* A refused message changed nothing, except a transfer that failed its
     * check: it is dropped, and the next catch-up round starts a fresh one. */
    gap_update(l, now);
    return why;
}

void learner_tick(struct learner *l, uint64_t now, px_outbox *out)
{
    if (now >= l->next_status) {
        send_status(l, out);
        l->next_status = now + l->cfg.status_ms; /* no burst after a stall */
    }
    gap_update(l, now);
    if (l->gap_armed && now >= l->next_catchup) {
        catchup_round(l, out);
        l->next_catchup = now + l->cfg.catchup_ms;
    }
}

uint64_t learner_next_deadline(const struct learner *l)
{
    uint64_t d = l->next_status;
    if (l->gap_armed && has_gap(l) && l->next_catchup < d) d = l->next_catchup;
    return d;
}

void learner_forget_below(struct learner *l, uint64_t slot)
{
    if (slot > l->applied_upto) slot = l->applied_upto; /* keep unapplied ones */
    while (l->ret_base < slot) {
        free(l->ret[l->ret_off]);
        l->ret_off++;
        l->ret_len--;
        l->ret_base++;
    }
    if (l->ret_len == 0) l->ret_off = 0;
}

/* ---- snapshot API ---- */

uint64_t learner_snapshot_pending(const struct learner *l)
{
    return l->pt.slot > l->snap_durable ? l->pt.slot : 0;
}

uint64_t learner_snapshot_size(const struct learner *l) { return l->pt.slot ? l->pt.size : 0; }

size_t learner_snapshot_read(const struct learner *l, uint64_t off, uint8_t *buf, size_t n)
{
    if (l->pt.slot == 0) return 0;
    px_snap_src src = point_src(l);
    return px_snap_read(&src, off, buf, n);
}

/* slot may be an earlier point than the current one (a host that writes
 * slowly): it is on disk all the same.  A slot no point ever had is
 * ignored rather than reported to proposers, who would trim on it. */
void learner_snapshot_durable(struct learner *l, uint64_t slot)
{
    if (slot <= l->snap_durable || slot > l->pt.slot) return;
    l->snap_durable = slot;
    uint64_t every = l->cfg.snapshot_every;
    learner_forget_below(l, slot > every ? slot - every : 0);
}

uint64_t learner_snapshot_upto(const struct learner *l) { return l->snap_durable; }

int learner_restore_snapshot(struct learner *l, const uint8_t *buf, size_t len, char *err,
                             size_t errlen)
{
    px_snap_view v;
    if (px_snap_parse(buf, len, l->dd.max, &v, err, errlen) != 0) return -1;
    if (v.slot <= l->applied_upto) {
        if (err && errlen)
            snprintf(err, errlen, "snapshot slot %llu is not above applied_upto %llu",
                     (unsigned long long)v.slot, (unsigned long long)l->applied_upto);
        return -1;
    }
    install(l, &v);
    l->snap_durable = v.slot;
    return 0;
}

uint64_t learner_snapshot_receiving(const struct learner *l) { return l->xf.slot; }
size_t learner_retained(const struct learner *l) { return l->ret_len; }

uint64_t learner_applied_upto(const struct learner *l) { return l->applied_upto; }
uint64_t learner_known_chosen(const struct learner *l) { return l->known_chosen; }
size_t learner_dedup_size(const struct learner *l) { return l->dd.n; }
size_t learner_pending(const struct learner *l) { return l->pend_n - l->pend_tallies; }
size_t learner_tallies(const struct learner *l) { return l->pend_tallies; }
uint64_t learner_votes_decided(const struct learner *l) { return l->votes_decided; }
const dedup *learner_dedup(const struct learner *l) { return &l->dd; }

const int64_t *learner_list(const struct learner *l, size_t *len)
{
    *len = l->len;
    return l->list;
}

/* The answer lives in a per-learner scratch value (records are stored
 * compactly), valid until the next call for this learner. */
int learner_chosen_value(const struct learner *l, uint64_t slot, const px_value **v)
{
    const lrec *r = slot < l->applied_upto ? ret_at(l, slot) : pend_at(l, slot);
    if (!r || !r->decided) return 0;
    l->scratch->n = r->n;
    memcpy(l->scratch->cmds, r->cmds, r->n * sizeof(px_cmd));
    memset(l->scratch->cmds + r->n, 0, (PX_MAX_BATCH - r->n) * sizeof(px_cmd));
    *v = l->scratch;
    return 1;
}
