/* learner.c -- the learner core (see learner.h and docs/PROTOCOL.md).
 *
 * Chosen slots arrive in any order, at most once each that matters: a slot
 * below applied_upto is a duplicate, a slot at or above it waits in the
 * pending ring until every slot before it has been applied.  Applied values
 * move to the retained deque, from which peers are served during catch-up
 * until the compaction seam (learner_forget_below) drops them.
 *
 * Memory: the list is one growable int64 array (at most 16 bytes per
 * element with doubling); each retained or pending slot is a compact record
 * holding only its n commands, not a full PX_MAX_BATCH px_value.
 */
#include "learner.h"
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

/* CHOSEN for a slot more than this far above applied_upto is dropped, so a
 * learner that fell far behind (or a bogus slot number) cannot make it hold
 * an unbounded number of values; the slot is re-fetched by catch-up once
 * the learner gets near it. */
#define LEARNER_PENDING_MAX 65536u

/* Catch-up rounds without progress before the leader is asked as well. */
#define LEARNER_ESCALATE_ROUNDS 3

/* One chosen slot, sized to its batch. */
typedef struct lrec {
    uint64_t slot;
    px_ballot ballot; /* as learned, echoed when serving catch-up */
    uint32_t acks;
    uint16_t n;
    px_cmd cmds[];
} lrec;

struct learner {
    learner_config cfg;
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
     * [applied_upto, applied_upto + pend_cap), so they never collide. */
    lrec **pend;
    size_t pend_cap, pend_n;

    dedup dd;

    px_ballot leader_ballot; /* highest heartbeat ballot heard */
    uint32_t leader;         /* its leader, 0 if none yet */

    int gap_armed;         /* a catch-up round is scheduled */
    uint64_t next_catchup; /* when it is due */
    uint64_t round_mark;   /* applied_upto at the previous round */
    unsigned stalled;      /* rounds since applied_upto last moved */
    uint64_t next_status;  /* next LEARNED report */

    px_value *scratch; /* learner_chosen_value()'s answer */
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

static lrec *rec_new(const px_chosen *c)
{
    lrec *r = xrealloc(NULL, sizeof *r + c->value.n * sizeof(px_cmd));
    r->slot = c->slot;
    r->ballot = c->ballot;
    r->acks = c->acks;
    r->n = c->value.n;
    memcpy(r->cmds, c->value.cmds, c->value.n * sizeof(px_cmd));
    return r;
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

/* Apply r as slot applied_upto, tell the gateway, keep r for peers. */
static void apply_rec(struct learner *l, lrec *r, px_outbox *out)
{
    if (r->n > 0) {
        px_msg m;
        px_applied *a = &msg_init(&m, PX_MSG_APPLIED, l->cfg.id, sizeof(px_applied))->u.applied;
        a->slot = r->slot;
        a->n = r->n;
        for (uint16_t i = 0; i < r->n; i++) apply_cmd(l, &r->cmds[i], r->slot, &a->entries[i]);
        a->list_len = l->len;
        px_outbox_push(out, PX_ROLE_GATEWAY, l->cfg.id, &m);
    }
    /* No-ops fill a gap and change nothing: the gateway waits for none. */
    ret_push(l, r);
    l->applied_upto = r->slot + 1;
}

static void apply_ready(struct learner *l, px_outbox *out)
{
    lrec *r;
    while ((r = pend_at(l, l->applied_upto)) != NULL) {
        l->pend[r->slot & (l->pend_cap - 1)] = NULL;
        l->pend_n--;
        apply_rec(l, r, out);
    }
}

/* ---- messages ---- */

static void on_chosen(struct learner *l, const px_chosen *c, px_outbox *out)
{
    if (c->value.n > PX_MAX_BATCH || c->slot == UINT64_MAX) return;
    if (c->slot + 1 > l->known_chosen) l->known_chosen = c->slot + 1;
    if (c->slot < l->applied_upto) return; /* already applied: a duplicate */
    if (c->slot - l->applied_upto > LEARNER_PENDING_MAX) return;
#ifdef PX_MUTANT_LEARNER_OUT_OF_ORDER
    /* MUTANT LEARNER_OUT_OF_ORDER: apply in arrival order.  Skipped slots
     * become holes (NULL) in the retained deque and applied_upto jumps to
     * this slot, which the code below then applies at once; the skipped
     * values, arriving later, are dropped as duplicates. */
    while (l->applied_upto < c->slot) {
        ret_push(l, NULL);
        l->applied_upto++;
    }
#endif
    if (pend_at(l, c->slot)) return; /* already waiting: same value, by Paxos */
    pend_reserve(l, c->slot - l->applied_upto);
    l->pend[c->slot & (l->pend_cap - 1)] = rec_new(c);
    l->pend_n++;
    apply_ready(l, out);
}

static void on_heartbeat(struct learner *l, const px_heartbeat *h)
{
    /* A deposed leader's late heartbeat must not redirect escalation. */
    if (px_ballot_cmp(h->ballot, l->leader_ballot) >= 0) {
        l->leader_ballot = h->ballot;
        l->leader = h->leader;
    }
    if (h->chosen_upto > l->known_chosen) l->known_chosen = h->chosen_upto;
}

static int serve_one(const struct learner *l, const lrec *r, uint32_t to, px_outbox *out)
{
    if (!r) return 0;
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

/* Send the peer what we retain from `from` on, applied slots first, then
 * pending ones (they may fill the peer's gap even if not ours). */
static void on_catchup(const struct learner *l, uint32_t to, uint64_t from, px_outbox *out)
{
    if (to == l->cfg.id) return;
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
    free(l->scratch);
    free(l);
}

void learner_handle(struct learner *l, const px_msg *in, uint64_t now, px_outbox *out)
{
    switch (in->type) {
    case PX_MSG_CHOSEN:
        on_chosen(l, &in->u.chosen, out);
        break;
    case PX_MSG_HEARTBEAT:
        on_heartbeat(l, &in->u.heartbeat);
        break;
    case PX_MSG_CATCHUP:
        on_catchup(l, in->from, in->u.catchup.from_slot, out);
        break;
    case PX_MSG_LIST_REQ:
        /* Only the local gateway asks, so in->from is our own node; fall
         * back to it if a host leaves from unset. */
        on_list_req(l, in->from ? in->from : l->cfg.id, in->u.list_req.from_index, out);
        break;
    default:
        break;
    }
    gap_update(l, now);
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

uint64_t learner_applied_upto(const struct learner *l) { return l->applied_upto; }
uint64_t learner_known_chosen(const struct learner *l) { return l->known_chosen; }
size_t learner_dedup_size(const struct learner *l) { return l->dd.n; }
size_t learner_pending(const struct learner *l) { return l->pend_n; }
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
    if (!r) return 0;
    l->scratch->n = r->n;
    memcpy(l->scratch->cmds, r->cmds, r->n * sizeof(px_cmd));
    memset(l->scratch->cmds + r->n, 0, (PX_MAX_BATCH - r->n) * sizeof(px_cmd));
    *v = l->scratch;
    return 1;
}
