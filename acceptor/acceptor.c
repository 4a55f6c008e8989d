/* acceptor.c -- the acceptor's protocol logic (see acceptor.h and
 * docs/PROTOCOL.md).  A pure state machine: no I/O, no clock.
 *
 * State:
 *   promised   the highest ballot promised (or accepted under).
 *   trimmed    the compaction mark: every entry below it was forgotten on
 *              the leader's TRIM (a quorum of learners holds those slots in
 *              durable snapshots); nothing below it is accepted again.
 *   entries    accepted (slot, vballot, commands), an array sorted by slot.
 *              Slots arrive mostly in increasing order, so an insert is
 *              almost always an append; lookups use binary search.  An
 *              entry holds only where its n commands sit in `cmds`, a pool
 *              of commands: a slot costs what it carries, not a whole
 *              px_value (about 1 KB).  Overwritten and forgotten commands
 *              leave dead space in the pool; once it outweighs the live
 *              part the pool is rebuilt, so appends stay O(1) amortized.
 *   held       replies waiting for their records to become durable, in the
 *              order they were produced.  Each carries need_seq, the seq of
 *              the last record emitted when it was produced: it may leave
 *              once durable_seq >= need_seq.  need_seq never decreases along
 *              the queue, so releasing is a pop from the front and replies
 *              leave in the order they were made.
 *   proms      the bodies of held PROMISE replies (about 4 KB each, so they
 *              live in their own queue and keep the common held entry -- an
 *              ACCEPTED -- small).  Held PROMISEs consume it in order.
 *
 * Record numbering: records are numbered 1, 2, 3, ... across the whole life
 * of the log.  acceptor_restore gives each replayed record the next number
 * and counts it both emitted and durable, so after replaying N records
 * emitted_seq == durable_seq == N and the first new record is N + 1.  The
 * host never needs to count: it persists out->persist.v[0..n) and, once they
 * are on disk, calls acceptor_durable(a, out->persist.last_seq, ...).
 */
#include "acceptor.h"
#include "../common/refuse.h"

#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---------------------------------------------------- */

/* Out of memory leaves a core unable to keep its promises: stop at once,
 * like px_outbox_push does. */
static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) abort();
    return q;
}

static int cmds_equal(const px_cmd *a, const px_cmd *b, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        const px_cmd *x = &a[i], *y = &b[i];
        if (x->kind != y->kind || x->client != y->client || x->seq != y->seq ||
            x->value != y->value)
            return 0;
    }
    return 1;
}

/* A FIFO of fixed-size elements over one array.  Popping advances head;
 * pushing into a full array first slides the live part down if at least
 * half the array is dead (so every slide is paid for by as many pops),
 * otherwise it grows the array.  Both are amortized O(1). */
typedef struct fifo {
    unsigned char *v;
    size_t head, n, cap, esz;
} fifo;

static void fifo_init(fifo *f, size_t esz)
{
    memset(f, 0, sizeof(*f));
    f->esz = esz;
}

static void *fifo_push(fifo *f)
{
    if (f->head + f->n == f->cap) {
        if (f->head >= f->n && f->head > 0) {
            memmove(f->v, f->v + f->head * f->esz, f->n * f->esz);
            f->head = 0;
        } else {
            f->cap = f->cap ? f->cap * 2 : 16;
            f->v = xrealloc(f->v, f->cap * f->esz);
        }
    }
    return f->v + (f->head + f->n++) * f->esz;
}

static void *fifo_front(const fifo *f)
{
    return f->n ? f->v + f->head * f->esz : NULL;
}

static void fifo_pop(fifo *f)
{
    f->head++;
    if (--f->n == 0) f->head = 0;
}

/* ---- the acceptor ------------------------------------------------------- */

typedef struct acc_entry {
    uint64_t slot;
    px_ballot vballot;
    size_t cmd; /* its commands are cmds[cmd, cmd + n) */
    uint16_t n;
} acc_entry;

typedef struct held_reply {
    uint64_t need_seq; /* may leave once durable_seq >= need_seq */
    uint32_t node;     /* the proposer it goes to */
    uint8_t type;      /* PX_MSG_PROMISE (body in proms), _ACCEPTED or _REJECT */
    union {
        px_accepted accepted;
        px_reject reject;
    } u;
} held_reply;

struct acceptor {
    uint32_t id;
    px_ballot promised;
    uint64_t trimmed;
    acc_entry *ent;
    size_t n_ent, cap_ent;
    px_cmd *cmds;     /* the command pool */
    size_t n_cmds, cap_cmds, dead_cmds; /* used (live + dead), allocated, dead */
    px_value *scratch;/* acceptor_accepted()'s answer */
    fifo held;  /* held_reply */
    fifo proms; /* px_promise, one per held PROMISE */
    uint64_t emitted_seq, durable_seq;
};

struct acceptor *acceptor_new(uint32_t id)
{
    struct acceptor *a = xrealloc(NULL, sizeof(*a));
    memset(a, 0, sizeof(*a));
    a->id = id;
    a->scratch = xrealloc(NULL, sizeof(*a->scratch));
    memset(a->scratch, 0, sizeof(*a->scratch));
    fifo_init(&a->held, sizeof(held_reply));
    fifo_init(&a->proms, sizeof(px_promise));
    return a;
}

void acceptor_free(struct acceptor *a)
{
    if (a == NULL) return;
    free(a->ent);
    free(a->cmds);
    free(a->scratch);
    free(a->held.v);
    free(a->proms.v);
    free(a);
}

/* ---- output ------------------------------------------------------------- */

void acc_out_init(acc_out *o)
{
    memset(&o->persist, 0, sizeof(o->persist));
    px_outbox_init(&o->msgs);
    px_outbox_init(&o->votes);
}

void acc_out_free(acc_out *o)
{
    free(o->persist.v);
    memset(&o->persist, 0, sizeof(o->persist));
    px_outbox_free(&o->msgs);
    px_outbox_free(&o->votes);
}

void acc_out_clear(acc_out *o)
{
    o->persist.n = 0;
    px_outbox_clear(&o->msgs);
    px_outbox_clear(&o->votes);
}

/* Emits a record: it takes the next seq, and the host must persist it. */
static acc_record *emit_record(struct acceptor *a, acc_out *out, uint8_t type,
                               px_ballot b)
{
    acc_records *p = &out->persist;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
    }
    acc_record *r = &p->v[p->n++];
    r->type = type;
    r->ballot = b;
    r->slot = 0;
    r->value.n = 0;
    p->last_seq = ++a->emitted_seq;
    return r;
}

/* ---- the compaction mark ------------------------------------------------ */

/* The mark as this acceptor tells and enforces it: what PROMISE and REJECT
 * carry, where a promise chunk starts, and below which ACCEPTs (and ACCEPT
 * records on restore) are refused. */
static uint64_t told_mark(const struct acceptor *a)
{
#ifndef PX_MUTANT_ACCEPTOR_FORGET_SILENTLY
    return a->trimmed;
#else
    /* PLANTED BUG (mutant ACCEPTOR_FORGET_SILENTLY): the acceptor forgets
     * below the mark but never says so, and accepts there again.  A new
     * leader then sees nothing in forgotten (chosen) slots and fills them
     * with no-ops, overwriting chosen values. */
    (void)a;
    return 0;
#endif
}

/* ---- accepted entries ----------------------------------------------------- */

/* Index of the first entry with slot >= slot (n_ent if none). */
static size_t lower_bound(const struct acceptor *a, uint64_t slot)
{
    size_t lo = 0, hi = a->n_ent;
    /* Fast path: new slots nearly always land past the end. */
    if (hi > 0 && a->ent[hi - 1].slot < slot) return hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->ent[mid].slot < slot) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static acc_entry *find_entry(const struct acceptor *a, uint64_t slot)
{
    size_t i = lower_bound(a, slot);
    return i < a->n_ent && a->ent[i].slot == slot ? &a->ent[i] : NULL;
}

/* e's commands.  An entry of no commands (a no-op) may sit past the end of
 * an empty pool, so callers copy through copy_cmds, which never touches
 * them when n is 0. */
static const px_cmd *entry_cmds(const struct acceptor *a, const acc_entry *e)
{
    return e->n ? a->cmds + e->cmd : NULL;
}

static void copy_cmds(px_cmd *dst, const px_cmd *src, uint16_t n)
{
    if (n) memcpy(dst, src, n * sizeof(px_cmd));
}

/* Copies e's commands into v (n and cmds[0..n); the rest is left alone). */
static void entry_value(const struct acceptor *a, const acc_entry *e, px_value *v)
{
    v->n = e->n;
    copy_cmds(v->cmds, entry_cmds(a, e), e->n);
}

/* Rebuilds the pool with only the live commands, in slot order, with room
 * for at least `extra` more.  Runs only when the dead part is at least the
 * live part, so its cost is paid for by the commands that died. */
static void pool_rebuild(struct acceptor *a, size_t extra)
{
    size_t live = a->n_cmds - a->dead_cmds;
    size_t cap = (live + extra) * 2;
    if (cap < 64) cap = 64;
    px_cmd *v = xrealloc(NULL, cap * sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < a->n_ent; i++) {
        acc_entry *e = &a->ent[i];
        copy_cmds(v + k, entry_cmds(a, e), e->n);
        e->cmd = k;
        k += e->n;
    }
    free(a->cmds);
    a->cmds = v;
    a->n_cmds = k;
    a->cap_cmds = cap;
    a->dead_cmds = 0;
}

/* Room for n more commands at the end of the pool: reclaim dead space if
 * it is at least half of the pool, else grow. */
static void pool_reserve(struct acceptor *a, size_t n)
{
    if (a->n_cmds + n <= a->cap_cmds) return;
    if (a->dead_cmds > 0 && a->dead_cmds * 2 >= a->n_cmds) {
        pool_rebuild(a, n);
        return;
    }
    size_t cap = a->cap_cmds ? a->cap_cmds * 2 : 64;
    while (cap < a->n_cmds + n) cap *= 2;
    a->cmds = xrealloc(a->cmds, cap * sizeof(*a->cmds));
    a->cap_cmds = cap;
}

/* Stores (b, v) for slot, overwriting what was there.  The commands go to
 * the end of the pool, except when they fit where the old ones were. */
static void store_entry(struct acceptor *a, uint64_t slot, px_ballot b, const px_value *v)
{
    size_t i = lower_bound(a, slot);
    if (i == a->n_ent || a->ent[i].slot != slot) {
        if (a->n_ent == a->cap_ent) {
            a->cap_ent = a->cap_ent ? a->cap_ent * 2 : 64;
            a->ent = xrealloc(a->ent, a->cap_ent * sizeof(*a->ent));
        }
        memmove(&a->ent[i + 1], &a->ent[i], (a->n_ent - i) * sizeof(*a->ent));
        a->n_ent++;
        a->ent[i].slot = slot;
        a->ent[i].n = 0;
        a->ent[i].cmd = a->n_cmds;
    }
    acc_entry *e = &a->ent[i];
    e->vballot = b;
    if (v->n > e->n) {
        /* pool_reserve may rebuild the pool, which moves e's old commands;
         * e itself stays put. */
        pool_reserve(a, v->n);
        a->dead_cmds += e->n;
        e->cmd = a->n_cmds;
        a->n_cmds += v->n;
    } else {
        a->dead_cmds += (size_t)(e->n - v->n);
    }
    e->n = v->n;
    if (v->n) copy_cmds(a->cmds + e->cmd, v->cmds, v->n);
}

/* Drops every entry below slot; their commands become dead space, reclaimed
 * at once if they outweigh the live ones (a TRIM may free most of the
 * memory, and should). */
static void forget_below(struct acceptor *a, uint64_t slot)
{
    size_t i = lower_bound(a, slot);
    if (i == 0) return;
    for (size_t k = 0; k < i; k++) a->dead_cmds += a->ent[k].n;
    memmove(&a->ent[0], &a->ent[i], (a->n_ent - i) * sizeof(*a->ent));
    a->n_ent -= i;
    if (a->n_ent == 0) {
        a->n_cmds = a->dead_cmds = 0;
    } else if (a->dead_cmds * 2 >= a->n_cmds) {
        pool_rebuild(a, 0);
    }
}

void acceptor_forget_below(struct acceptor *a, uint64_t slot)
{
    forget_below(a, slot);
}

/* Moves the mark up to below and forgets what lies under it. */
static void trim_to(struct acceptor *a, uint64_t below)
{
    if (below <= a->trimmed) return;
    a->trimmed = below;
    forget_below(a, below);
}

/* ---- held replies --------------------------------------------------------- */

/* The same vote to every learner, with the value, so that they decide the
 * slot from a quorum of votes without waiting for the leader's CHOSEN.
 * Only while the entry still holds that very vote: a later ACCEPT of a
 * higher ballot in the same batch replaced it, and a TRIM may have
 * forgotten it; the proposer still gets its ACCEPTED, and the learners
 * get the slot from the other votes or from catch-up. */
static void send_vote(struct acceptor *a, const px_accepted *acc, acc_out *out)
{
    const acc_entry *e = find_entry(a, acc->slot);
    if (!e || px_ballot_cmp(e->vballot, acc->ballot) != 0) return;
    px_msg m;
    memset(&m, 0, offsetof(px_msg, u) + offsetof(px_vote, value.cmds));
    m.type = PX_MSG_VOTE;
    m.from = a->id;
    m.u.vote.ballot = acc->ballot;
    m.u.vote.acceptor = a->id;
    m.u.vote.slot = acc->slot;
    m.u.vote.value.n = e->n;
    copy_cmds(m.u.vote.value.cmds, entry_cmds(a, e), e->n);
    px_outbox_push(&out->votes, PX_ROLE_LEARNER, PX_NODE_ALL, &m);
}

/* Turns the front held reply into a message in out->msgs. */
static void send_front(struct acceptor *a, const held_reply *h, acc_out *out)
{
    px_msg m;
    /* Only the header and the member in use: px_msg is ~8 KB. */
    memset(&m, 0, offsetof(px_msg, u));
    m.type = h->type;
    m.from = a->id;
    if (h->type == PX_MSG_PROMISE) {
        m.u.promise = *(const px_promise *)fifo_front(&a->proms);
        fifo_pop(&a->proms);
    } else if (h->type == PX_MSG_ACCEPTED) {
        m.u.accepted = h->u.accepted;
    } else {
        m.u.reject = h->u.reject;
    }
    px_outbox_push(&out->msgs, PX_ROLE_PROPOSER, h->node, &m);
    if (h->type == PX_MSG_ACCEPTED) send_vote(a, &h->u.accepted, out);
}

/* Releases, in order, every held reply whose records are all durable. */
static void release_ready(struct acceptor *a, acc_out *out)
{
    held_reply *h;
    while ((h = fifo_front(&a->held)) != NULL) {
#ifndef PX_MUTANT_ACCEPTOR_EARLY_REPLY
        if (h->need_seq > a->durable_seq) break;
#else
        /* PLANTED BUG (mutant ACCEPTOR_EARLY_REPLY): replies leave without
         * waiting for their promise or vote to reach the disk, so a crash
         * can forget a promise or vote the proposer already counted. */
#endif
        held_reply copy = *h;
        fifo_pop(&a->held);
        send_front(a, &copy, out);
    }
}

/* Queues a reply behind every record emitted so far, then lets out whatever
 * is already covered. */
static held_reply *hold(struct acceptor *a, uint32_t node, uint8_t type)
{
    held_reply *h = fifo_push(&a->held);
    h->need_seq = a->emitted_seq;
    h->node = node;
    h->type = type;
    return h;
}

/* Every REJECT carries the mark: a proposer that proposes below it learns
 * to stop, whatever made it send the REJECT. */
static void reply_reject(struct acceptor *a, uint32_t node, uint8_t of_type,
                         uint64_t slot)
{
    held_reply *h = hold(a, node, PX_MSG_REJECT);
    memset(&h->u.reject, 0, sizeof(h->u.reject));
    h->u.reject.promised = a->promised;
    h->u.reject.acceptor = a->id;
    h->u.reject.of_type = of_type;
    h->u.reject.slot = slot;
    h->u.reject.trimmed = told_mark(a);
}

static void reply_accepted(struct acceptor *a, uint32_t node, px_ballot b, uint64_t slot)
{
    held_reply *h = hold(a, node, PX_MSG_ACCEPTED);
    memset(&h->u.accepted, 0, sizeof(h->u.accepted));
    h->u.accepted.ballot = b;
    h->u.accepted.acceptor = a->id;
    h->u.accepted.slot = slot;
}

/* Queues PROMISE(b) with the chunk of accepted entries at or above from
 * (and at or above the mark: below it nothing is left to report).  The
 * promise echoes from, which is how the proposer matches it to its ask. */
static void reply_promise(struct acceptor *a, uint32_t node, px_ballot b, uint64_t from)
{
    px_promise *p = fifo_push(&a->proms);
    memset(p, 0, offsetof(px_promise, entries));
    p->ballot = b;
    p->acceptor = a->id;
    p->from_slot = from;
    p->trimmed = told_mark(a);

    uint64_t start = from > told_mark(a) ? from : told_mark(a);
    size_t i = lower_bound(a, start);
    uint8_t k = 0;
    for (; k < PX_MAX_PROMISE_ENTRIES && i + k < a->n_ent; k++) {
        const acc_entry *e = &a->ent[i + k];
        px_promise_entry *pe = &p->entries[k];
        pe->slot = e->slot;
        pe->vballot = e->vballot;
        entry_value(a, e, &pe->value);
        /* The wire and px_msg_equal look at n commands only, but a chunk is
         * copied around whole: leave no stale bytes in it. */
        memset(pe->value.cmds + e->n, 0, (PX_MAX_BATCH - e->n) * sizeof(px_cmd));
    }
    p->n = k;
    p->next_slot = k ? p->entries[k - 1].slot + 1 : start;
    /* Everything past the chunk has slot >= next_slot. */
    p->done = i + k == a->n_ent;
    hold(a, node, PX_MSG_PROMISE);
}

/* ---- message handling ----------------------------------------------------- */

/* Why a proposer's ballot in a frame from `from` cannot be real, or 0.
 * (0,0) is "no ballot": no proposer sends it.  A round above the ceiling
 * the decoder already refuses; checked again so the core holds the bound
 * whatever feeds it.  A proposer only ever sends its own ballot, so one
 * naming another node is a peer voting under someone else's name: taken,
 * it could put a second value under that proposer's ballot. */
static int ballot_refusal(px_ballot b, uint32_t from)
{
    if (px_ballot_is_zero(b)) return PX_REFUSE_BALLOT_ZERO;
    if (b.round > PX_MAX_ROUND) return PX_WIRE_BALLOT_BAD;
    if (b.node != from) return PX_REFUSE_SENDER_MISMATCH;
    return 0;
}

/* How the acceptor orders a proposer's ballot against its promise: by
 * round, then node (px_ballot_cmp). */
static int ballot_order(px_ballot b, px_ballot promised)
{
#ifdef PX_MUTANT_ACCEPTOR_ROUND_ONLY
    /* PLANTED BUG (mutant ACCEPTOR_ROUND_ONLY): a hand-written comparison
     * of rounds alone, forgetting that the node breaks ties.  Two
     * candidates that picked the same round look like one ballot: the
     * second is answered as if promised (no new promise is made) and both
     * get votes, so two leaders can choose different values for a slot. */
    return b.round < promised.round ? -1 : b.round > promised.round;
#else
    return px_ballot_cmp(b, promised);
#endif
}

static int on_prepare(struct acceptor *a, uint32_t from, const px_prepare *pr, acc_out *out)
{
    int why = ballot_refusal(pr->ballot, from);
    if (why) return why;
    int c = ballot_order(pr->ballot, a->promised);
    if (c < 0) {
        reply_reject(a, from, PX_MSG_PREPARE, pr->from_slot);
        return 0;
    }
    if (c > 0) {
        a->promised = pr->ballot;
        emit_record(a, out, ACC_REC_PROMISE, pr->ballot);
    }
    /* c == 0: a request for the next chunk; the promise is already made. */
    reply_promise(a, from, pr->ballot, pr->from_slot);
    return 0;
}

/* Stores the vote and emits its record, unless this exact vote is already
 * stored (a retransmitted ACCEPT): rewriting it would cost a record and an
 * fsync for nothing.  The reply still waits behind that earlier record,
 * because need_seq covers every record emitted so far. */
static void vote(struct acceptor *a, acc_out *out, const px_accept *ac)
{
    const acc_entry *e = find_entry(a, ac->slot);
    if (e && px_ballot_cmp(e->vballot, ac->ballot) == 0 && e->n == ac->value.n &&
        (e->n == 0 || cmds_equal(entry_cmds(a, e), ac->value.cmds, e->n)))
        return;
    store_entry(a, ac->slot, ac->ballot, &ac->value);
    acc_record *r = emit_record(a, out, ACC_REC_ACCEPT, ac->ballot);
    r->slot = ac->slot;
    r->value = ac->value;
}

static int on_accept(struct acceptor *a, uint32_t from, const px_accept *ac, acc_out *out)
{
    int why = ballot_refusal(ac->ballot, from);
    if (why) return why;
    if (ac->value.n > PX_MAX_BATCH) return PX_WIRE_FIELD_BAD;
    /* A slot of UINT64_MAX would make next_slot wrap in a promise chunk
     * and accepted_upto overflow; no real log gets there. */
    if (ac->slot == UINT64_MAX) return PX_REFUSE_SLOT_BAD;
    /* Below the mark the slot is chosen and a quorum of learners holds it
     * in snapshots; voting again could help a no-op overwrite it.  Nothing
     * is stored, so the promise is not raised either. */
    if (ac->slot < told_mark(a)) {
        reply_reject(a, from, PX_MSG_ACCEPT, ac->slot);
        return 0;
    }
    if (ballot_order(ac->ballot, a->promised) >= 0) {
        a->promised = ac->ballot; /* the ACCEPT record implies the promise */
        vote(a, out, ac);
        reply_accepted(a, from, ac->ballot, ac->slot);
        return 0;
    }
#ifdef PX_MUTANT_ACCEPTOR_LOW_BALLOT
    /* PLANTED BUG (mutant ACCEPTOR_LOW_BALLOT): votes for a ballot below its
     * promise, so an old leader can still get a value chosen after a newer
     * leader's phase 1 already counted on this acceptor's promise. */
    vote(a, out, ac);
    reply_accepted(a, from, ac->ballot, ac->slot);
    return 0;
#endif
    reply_reject(a, from, PX_MSG_ACCEPT, ac->slot);
    return 0;
}

/* The leader says a quorum of learners holds every slot below `below` in
 * durable snapshots: forget those entries.  Sent again with every heartbeat,
 * so a mark at or below ours is a repeat that asks for nothing (whatever
 * its ballot).  No reply: a lost TRIM is covered by the next one.
 *
 * Two bounds make a TRIM that is stray (a deposed leader's) or false (a
 * buggy peer's, a corrupted one) harmless:
 *   - it must come under the ballot we promised: only the leader we follow
 *     may make us forget;
 *   - it may not reach past what we have accepted (accepted_upto): every
 *     slot below a true mark is chosen, and we can only know that of slots
 *     up to the highest we voted in.  A TRIM far ahead would make us refuse
 *     ACCEPTs for slots nobody decided yet, and report a mark that makes
 *     new leaders skip them: the log would wedge.
 * Refusing a TRIM is always safe: the acceptor keeps its entries, as one
 * that has not heard the TRIM yet does.  An honest leader's TRIM is refused
 * only by an acceptor that lags (it missed the last slots, or the leader's
 * phase 1, or the TRIM overtook them) or by one that has promised a newer
 * ballot (the TRIM is a deposed leader's).  The laggard keeps its entries
 * until it votes under that leader for a slot at or above the mark -- every
 * new slot needs a quorum of such votes -- and the next heartbeat's TRIM
 * then goes through; until then its memory is what it already held plus
 * the slots it accepts, as before the TRIM existed. */
static int on_trim(struct acceptor *a, uint32_t from, const px_trim *t, acc_out *out)
{
    int why = ballot_refusal(t->ballot, from);
    if (why) return why;
    if (t->below <= a->trimmed) return 0;
    if (px_ballot_cmp(t->ballot, a->promised) != 0) return PX_REFUSE_TRIM_BALLOT;
    if (t->below > acceptor_accepted_upto(a)) return PX_REFUSE_TRIM_AHEAD;
    trim_to(a, t->below);
    acc_record *r = emit_record(a, out, ACC_REC_TRIM, a->promised);
    r->slot = t->below;
    return 0;
}

int acceptor_handle(struct acceptor *a, const px_msg *in, acc_out *out)
{
    int why;
    switch (in->type) {
    case PX_MSG_PREPARE: why = on_prepare(a, in->from, &in->u.prepare, out); break;
    case PX_MSG_ACCEPT: why = on_accept(a, in->from, &in->u.accept, out); break;
    case PX_MSG_TRIM: why = on_trim(a, in->from, &in->u.trim, out); break;
    default: return PX_REFUSE_UNEXPECTED_TYPE; /* only proposers write to us */
    }
    /* A refused message changed nothing, so nothing new can be released. */
    if (why == 0) release_ready(a, out);
    return why;
}

void acceptor_durable(struct acceptor *a, uint64_t seq, acc_out *out)
{
    /* Nothing past emitted_seq exists; a larger seq is a host bug that must
     * not pre-release replies of records not yet emitted. */
    if (seq > a->emitted_seq) seq = a->emitted_seq;
    if (seq > a->durable_seq) a->durable_seq = seq;
    release_ready(a, out);
}

void acceptor_restore(struct acceptor *a, const acc_record *r)
{
    /* It was on disk: it takes the next seq, already durable.  Counted even
     * if malformed, so seqs stay equal to record positions in the log. */
    a->emitted_seq++;
    a->durable_seq = a->emitted_seq;
    if (r->type == ACC_REC_PROMISE) {
        if (px_ballot_cmp(r->ballot, a->promised) > 0) a->promised = r->ballot;
    } else if (r->type == ACC_REC_ACCEPT && r->value.n <= PX_MAX_BATCH) {
        /* Under the low-ballot mutant a vote can be below the promise; the
         * promise never goes down. */
        if (px_ballot_cmp(r->ballot, a->promised) > 0) a->promised = r->ballot;
        /* Below the mark it was forgotten (an older record than the TRIM
         * that covers it would not get here; a later one cannot exist). */
        if (r->slot >= told_mark(a)) store_entry(a, r->slot, r->ballot, &r->value);
    } else if (r->type == ACC_REC_TRIM) {
        trim_to(a, r->slot);
    }
}

void acceptor_export(const struct acceptor *a, acc_record_fn fn, void *arg)
{
    /* One record at a time in a scratch copy: an acc_record is ~1 KB. */
    acc_record *r = xrealloc(NULL, sizeof(*r));
    memset(r, 0, offsetof(acc_record, value) + sizeof(r->value.n));
    if (!px_ballot_is_zero(a->promised)) {
        r->type = ACC_REC_PROMISE;
        r->ballot = a->promised;
        fn(arg, r);
    }
    if (a->trimmed > 0) {
        r->type = ACC_REC_TRIM;
        r->ballot = a->promised;
        r->slot = a->trimmed;
        fn(arg, r);
    }
    r->type = ACC_REC_ACCEPT;
    for (size_t i = 0; i < a->n_ent; i++) {
        const acc_entry *e = &a->ent[i];
        r->ballot = e->vballot;
        r->slot = e->slot;
        entry_value(a, e, &r->value);
        fn(arg, r);
    }
    free(r);
}

/* ---- introspection -------------------------------------------------------- */

uint32_t acceptor_id(const struct acceptor *a) { return a->id; }
px_ballot acceptor_promised(const struct acceptor *a) { return a->promised; }
size_t acceptor_accepted_count(const struct acceptor *a) { return a->n_ent; }
uint64_t acceptor_emitted_seq(const struct acceptor *a) { return a->emitted_seq; }
uint64_t acceptor_durable_seq(const struct acceptor *a) { return a->durable_seq; }
uint64_t acceptor_trimmed(const struct acceptor *a) { return a->trimmed; }
size_t acceptor_held_replies(const struct acceptor *a) { return a->held.n; }

int acceptor_accepted(const struct acceptor *a, uint64_t slot, px_ballot *ballot,
                      const px_value **value)
{
    const acc_entry *e = find_entry(a, slot);
    if (e == NULL) return 0;
    if (ballot) *ballot = e->vballot;
    if (value) {
        /* The scratch is separate memory: filling it leaves *a as it was. */
        px_value *v = a->scratch;
        entry_value(a, e, v);
        memset(v->cmds + e->n, 0, (PX_MAX_BATCH - e->n) * sizeof(px_cmd));
        *value = v;
    }
    return 1;
}

uint64_t acceptor_lowest_slot(const struct acceptor *a)
{
    return a->n_ent ? a->ent[0].slot : 0;
}

uint64_t acceptor_highest_slot(const struct acceptor *a)
{
    return a->n_ent ? a->ent[a->n_ent - 1].slot : 0;
}

/* From the entries and the mark alone, which the log (or its rewrite, via
 * acceptor_export) replays exactly: the same after any restart.  The mark
 * counts because a TRIM may forget every entry, and it never passed what
 * was accepted when it was taken. */
uint64_t acceptor_accepted_upto(const struct acceptor *a)
{
    uint64_t upto = a->trimmed;
    if (a->n_ent) {
        uint64_t last = a->ent[a->n_ent - 1].slot;
        uint64_t next = last == UINT64_MAX ? UINT64_MAX : last + 1;
        if (next > upto) upto = next;
    }
    return upto;
}
