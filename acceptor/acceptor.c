/* acceptor.c -- the acceptor's protocol logic (see acceptor.h and
 * docs/PROTOCOL.md).  A pure state machine: no I/O, no clock.
 *
 * State:
 *   promised   the highest ballot promised (or accepted under).
 *   entries    accepted (slot, vballot, value), an array sorted by slot.
 *              Slots arrive mostly in increasing order, so an insert is
 *              almost always an append; lookups use binary search.
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

static int value_equal(const px_value *a, const px_value *b)
{
    if (a->n != b->n) return 0;
    for (uint16_t i = 0; i < a->n; i++) {
        const px_cmd *x = &a->cmds[i], *y = &b->cmds[i];
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
    px_value value;
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
    acc_entry *ent;
    size_t n_ent, cap_ent;
    fifo held;  /* held_reply */
    fifo proms; /* px_promise, one per held PROMISE */
    uint64_t emitted_seq, durable_seq;
};

struct acceptor *acceptor_new(uint32_t id)
{
    struct acceptor *a = xrealloc(NULL, sizeof(*a));
    memset(a, 0, sizeof(*a));
    a->id = id;
    fifo_init(&a->held, sizeof(held_reply));
    fifo_init(&a->proms, sizeof(px_promise));
    return a;
}

void acceptor_free(struct acceptor *a)
{
    if (a == NULL) return;
    free(a->ent);
    free(a->held.v);
    free(a->proms.v);
    free(a);
}

/* ---- output ------------------------------------------------------------- */

void acc_out_init(acc_out *o)
{
    memset(&o->persist, 0, sizeof(o->persist));
    px_outbox_init(&o->msgs);
}

void acc_out_free(acc_out *o)
{
    free(o->persist.v);
    memset(&o->persist, 0, sizeof(o->persist));
    px_outbox_free(&o->msgs);
}

void acc_out_clear(acc_out *o)
{
    o->persist.n = 0;
    px_outbox_clear(&o->msgs);
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

/* Stores (b, v) for slot, overwriting what was there. */
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
    }
    a->ent[i].vballot = b;
    a->ent[i].value = *v;
}

void acceptor_forget_below(struct acceptor *a, uint64_t slot)
{
    size_t i = lower_bound(a, slot);
    if (i == 0) return;
    memmove(&a->ent[0], &a->ent[i], (a->n_ent - i) * sizeof(*a->ent));
    a->n_ent -= i;
}

/* ---- held replies --------------------------------------------------------- */

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

static void reply_reject(struct acceptor *a, uint32_t node, uint8_t of_type,
                         uint64_t slot)
{
    held_reply *h = hold(a, node, PX_MSG_REJECT);
    memset(&h->u.reject, 0, sizeof(h->u.reject));
    h->u.reject.promised = a->promised;
    h->u.reject.acceptor = a->id;
    h->u.reject.of_type = of_type;
    h->u.reject.slot = slot;
}

static void reply_accepted(struct acceptor *a, uint32_t node, px_ballot b, uint64_t slot)
{
    held_reply *h = hold(a, node, PX_MSG_ACCEPTED);
    memset(&h->u.accepted, 0, sizeof(h->u.accepted));
    h->u.accepted.ballot = b;
    h->u.accepted.acceptor = a->id;
    h->u.accepted.slot = slot;
}

/* Queues PROMISE(b) with the chunk of accepted entries at or above from. */
static void reply_promise(struct acceptor *a, uint32_t node, px_ballot b, uint64_t from)
{
    px_promise *p = fifo_push(&a->proms);
    memset(p, 0, offsetof(px_promise, entries));
    p->ballot = b;
    p->acceptor = a->id;
    p->from_slot = from;

    size_t i = lower_bound(a, from);
    uint8_t k = 0;
    for (; k < PX_MAX_PROMISE_ENTRIES && i + k < a->n_ent; k++) {
        const acc_entry *e = &a->ent[i + k];
        p->entries[k].slot = e->slot;
        p->entries[k].vballot = e->vballot;
        p->entries[k].value = e->value;
    }
    p->n = k;
    p->next_slot = k ? p->entries[k - 1].slot + 1 : from;
    /* Everything past the chunk has slot >= next_slot. */
    p->done = i + k == a->n_ent;
    hold(a, node, PX_MSG_PROMISE);
}

/* ---- message handling ----------------------------------------------------- */

static void on_prepare(struct acceptor *a, uint32_t from, const px_prepare *pr, acc_out *out)
{
    int c = px_ballot_cmp(pr->ballot, a->promised);
    if (c < 0) {
        reply_reject(a, from, PX_MSG_PREPARE, pr->from_slot);
        return;
    }
    if (c > 0) {
        a->promised = pr->ballot;
        emit_record(a, out, ACC_REC_PROMISE, pr->ballot);
    }
    /* c == 0: a request for the next chunk; the promise is already made. */
    reply_promise(a, from, pr->ballot, pr->from_slot);
}

/* Stores the vote and emits its record, unless this exact vote is already
 * stored (a retransmitted ACCEPT): rewriting it would cost a record and an
 * fsync for nothing.  The reply still waits behind that earlier record,
 * because need_seq covers every record emitted so far. */
static void vote(struct acceptor *a, acc_out *out, const px_accept *ac)
{
    const acc_entry *e = find_entry(a, ac->slot);
    if (e && px_ballot_cmp(e->vballot, ac->ballot) == 0 && value_equal(&e->value, &ac->value))
        return;
    store_entry(a, ac->slot, ac->ballot, &ac->value);
    acc_record *r = emit_record(a, out, ACC_REC_ACCEPT, ac->ballot);
    r->slot = ac->slot;
    r->value = ac->value;
}

static void on_accept(struct acceptor *a, uint32_t from, const px_accept *ac, acc_out *out)
{
    /* A slot of UINT64_MAX would make next_slot wrap in a promise chunk;
     * no real log gets there, so treat it as malformed. */
    if (ac->value.n > PX_MAX_BATCH || ac->slot == UINT64_MAX) return;
    if (px_ballot_cmp(ac->ballot, a->promised) >= 0) {
        a->promised = ac->ballot; /* the ACCEPT record implies the promise */
        vote(a, out, ac);
        reply_accepted(a, from, ac->ballot, ac->slot);
        return;
    }
#ifdef PX_MUTANT_ACCEPTOR_LOW_BALLOT
    /* PLANTED BUG (mutant ACCEPTOR_LOW_BALLOT): votes for a ballot below its
     * promise, so an old leader can still get a value chosen after a newer
     * leader's phase 1 already counted on this acceptor's promise. */
    vote(a, out, ac);
    reply_accepted(a, from, ac->ballot, ac->slot);
    return;
#endif
    reply_reject(a, from, PX_MSG_ACCEPT, ac->slot);
}

void acceptor_handle(struct acceptor *a, const px_msg *in, acc_out *out)
{
    /* (0,0) is "no ballot": no proposer sends it, so it is malformed. */
    if (in->type == PX_MSG_PREPARE) {
        if (px_ballot_is_zero(in->u.prepare.ballot)) return;
        on_prepare(a, in->from, &in->u.prepare, out);
    } else if (in->type == PX_MSG_ACCEPT) {
        if (px_ballot_is_zero(in->u.accept.ballot)) return;
        on_accept(a, in->from, &in->u.accept, out);
    } else {
        return;
    }
    release_ready(a, out);
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
        store_entry(a, r->slot, r->ballot, &r->value);
    }
}

/* ---- introspection -------------------------------------------------------- */

uint32_t acceptor_id(const struct acceptor *a) { return a->id; }
px_ballot acceptor_promised(const struct acceptor *a) { return a->promised; }
size_t acceptor_accepted_count(const struct acceptor *a) { return a->n_ent; }
uint64_t acceptor_emitted_seq(const struct acceptor *a) { return a->emitted_seq; }
uint64_t acceptor_durable_seq(const struct acceptor *a) { return a->durable_seq; }
size_t acceptor_held_replies(const struct acceptor *a) { return a->held.n; }

int acceptor_accepted(const struct acceptor *a, uint64_t slot, px_ballot *ballot,
                      const px_value **value)
{
    const acc_entry *e = find_entry(a, slot);
    if (e == NULL) return 0;
    if (ballot) *ballot = e->vballot;
    if (value) *value = &e->value;
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
