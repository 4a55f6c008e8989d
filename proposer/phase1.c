/* phase1.c -- reading the acceptors: PREPARE, chunked PROMISEs, and the
 * recovery map of what they reported.
 *
 * One code path serves two reads:
 *   - election phase 1, with a fresh ballot: a quorum of complete reports
 *     makes us leader, and every slot from `from` to the highest reported
 *     is re-proposed (the highest-vballot value, or a no-op);
 *   - catch-up re-read by the leader, at its current ballot (the acceptors
 *     already promised it, so no new promise is needed): only slots below
 *     chosen_upto that some acceptor reported are re-proposed.  Those are
 *     chosen, so any quorum reports their chosen value as the highest; an
 *     unreported slot gets nothing (a no-op there could contradict a value
 *     we proposed at this same ballot and an acceptor accepted after it
 *     answered us).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "../common/quorum.h"
#include "../common/refuse.h"

/* ---- the recovery map: slot -> highest (vballot, value) ----------------- */

static size_t rec_home(uint64_t slot, size_t cap)
{
    uint64_t h = slot * 0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* The entry for slot, or the empty one where it would go.  cap > n always,
 * so the probe ends. */
static prop_rec_entry *rec_probe(prop_rec_map *m, uint64_t slot)
{
    size_t i = rec_home(slot, m->cap);
    while (m->v[i].used && m->v[i].slot != slot) i = (i + 1) & (m->cap - 1);
    return &m->v[i];
}

static const prop_rec_entry *rec_find(const prop_rec_map *m, uint64_t slot)
{
    if (m->cap == 0) return NULL;
    const prop_rec_entry *e = rec_probe((prop_rec_map *)m, slot);
    return e->used ? e : NULL;
}

/* Doubles the table; aborts on out-of-memory like px_outbox_push, because
 * an incomplete recovery map would be unsafe and the core cannot go on. */
static void rec_grow(prop_rec_map *m)
{
    prop_rec_map bigger = {0};
    bigger.cap = m->cap ? m->cap * 2 : 64;
    bigger.v = calloc(bigger.cap, sizeof *bigger.v);
    if (bigger.v == NULL) abort();
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->v[i].used) continue;
        *rec_probe(&bigger, m->v[i].slot) = m->v[i];
        bigger.n++;
    }
    free(m->v);
    *m = bigger;
}

/* Keeps the value with the highest vballot per slot: that is the only
 * value a new leader may propose there (Paxos' safety rule). */
static void rec_merge(prop_rec_map *m, const px_promise_entry *pe)
{
    if ((m->n + 1) * 2 > m->cap) rec_grow(m);
    prop_rec_entry *e = rec_probe(m, pe->slot);
#ifndef PX_MUTANT_PROPOSER_LOWEST_VBALLOT
    if (e->used && px_ballot_cmp(pe->vballot, e->vballot) <= 0) return;
#else
    /* PLANTED BUG (mutant PROPOSER_LOWEST_VBALLOT): the comparison is the
     * wrong way round, so the value of the LOWEST vballot reported for a
     * slot is kept: a stale value a minority still holds is re-proposed
     * over the one a later ballot may have got chosen. */
    if (e->used && px_ballot_cmp(pe->vballot, e->vballot) >= 0) return;
#endif
    if (!e->used) m->n++;
    e->used = 1;
    e->slot = pe->slot;
    e->vballot = pe->vballot;
    e->value = pe->value;
}

/* Drops the map and whatever re-proposals were still due. */
void prop_rec_reset(struct proposer *p)
{
    free(p->rec.v);
    memset(&p->rec, 0, sizeof p->rec);
    p->rec_next = p->rec_end = 0;
}

int prop_rec_pending(const struct proposer *p)
{
    return p->rec_next < p->rec_end;
}

/* The next slot to re-propose and its value, written into *v.  Returns 0
 * when none is left.  The map is freed once its range is used up, not
 * before: a catch-up read may be filling it while nothing is due. */
int prop_rec_take(struct proposer *p, uint64_t *slot, px_value *v)
{
    if (!prop_rec_pending(p)) return 0;
    /* Below an acceptor's mark everything is chosen and forgotten: a no-op
     * there could overwrite a chosen value (see prop_slots_trimmed). */
    if (p->rec_next < p->floor) p->rec_next = p->floor;
    while (p->rec_next < p->rec_end) {
        uint64_t s = p->rec_next++;
        const prop_rec_entry *e = rec_find(&p->rec, s);
        if (e == NULL && !p->rec_fill_noop) continue;
        *slot = s;
        if (e != NULL) {
            *v = e->value;
        } else {
            memset(v, 0, sizeof *v); /* a no-op fills the gap */
        }
#ifdef PX_MUTANT_PROPOSER_IGNORE_PROMISED
        /* PLANTED BUG (mutant PROPOSER_IGNORE_PROMISED): the values the
         * acceptors reported are thrown away and a no-op is proposed in
         * their place, so a value that was already chosen (or may have
         * been) is overwritten by a different one. */
        memset(v, 0, sizeof *v);
#endif
        return 1;
    }
    prop_rec_reset(p);
    return 0;
}

/* ---- the read ------------------------------------------------------------ */

static void send_prepare(struct proposer *p, uint32_t node, uint64_t from, px_outbox *out)
{
    px_msg *m = prop_msg(p, PX_MSG_PREPARE);
    memset(&m->u.prepare, 0, sizeof m->u.prepare);
    m->u.prepare.ballot = p->rd.ballot;
    m->u.prepare.from_slot = from;
    px_outbox_push(out, PX_ROLE_ACCEPTOR, node, m);
}

/* Starts a read at our current ballot of every acceptor's accepted entries
 * at or above from.  A new read replaces any read in progress. */
void prop_read_start(struct proposer *p, int kind, uint64_t from, uint64_t limit,
                     uint64_t now, px_outbox *out)
{
    prop_read *rd = &p->rd;
    memset(rd, 0, sizeof *rd);
    rd->kind = kind;
    rd->ballot = p->ballot;
    rd->from = from;
    rd->limit = limit;
    for (uint32_t id = 1; id <= PX_MAX_NODES; id++) {
        rd->acc[id].next = from;
        rd->acc[id].sent_at = now;
    }
    prop_rec_reset(p);
    send_prepare(p, PX_NODE_ALL, from, out);
}

void prop_read_stop(struct proposer *p)
{
    p->rd.kind = READ_NONE;
}

/* A quorum has reported everything we need: act on the recovery map.
 *
 * Acceptors report nothing below their compaction mark; M (rd->trimmed) is
 * the highest mark among the promises.  Every slot below M is chosen and a
 * quorum of learners holds it in snapshots, so recovery starts at
 * max(from, M): a no-op below M, where some acceptor forgot the chosen
 * value, could overwrite it. */
static void read_complete(struct proposer *p, uint64_t now, px_outbox *out)
{
    prop_read *rd = &p->rd;
    int kind = rd->kind;
    rd->kind = READ_NONE;
    if (rd->trimmed > p->floor) p->floor = rd->trimmed;
    uint64_t start = rd->from > rd->trimmed ? rd->from : rd->trimmed;
    if (kind == READ_CATCHUP) {
        p->rec_next = start;
        p->rec_end = p->chosen_upto < rd->limit ? p->chosen_upto : rd->limit;
        p->rec_fill_noop = 0;
        return;
    }
    uint64_t end = rd->any && rd->max_slot >= start ? rd->max_slot + 1 : start;
    /* Every learner applied below from, and below M everything is chosen. */
    if (p->chosen_upto < start) p->chosen_upto = start;
    p->rec_next = start;
    p->rec_end = end;
    p->rec_fill_noop = 1;
    /* Fresh slots start past every reported one.  chosen_upto (heard from an
     * earlier leader) is only above that if acceptors lost entries; never
     * propose where a value is known chosen but was not reported. */
    p->next_slot = end > p->chosen_upto ? end : p->chosen_upto;
    prop_become_leader(p, now, out);
}

/* Why a promise chunk cannot be an acceptor's, or 0.  An acceptor answers
 * a real ballot (it refuses (0,0)) with the entries it holds from the
 * asked slot on -- each voted under a real ballot, none at UINT64_MAX (it
 * refuses that slot) -- and, when it stops short of the end, a next slot
 * past the asked one.  Anything else would corrupt the recovery map (a
 * merged entry is re-proposed) or make us ask for the same chunk forever. */
static int promise_refusal(const px_promise *pr)
{
    if (px_ballot_is_zero(pr->ballot)) return PX_REFUSE_BALLOT_ZERO;
    /* Rounds above the ceiling the decoder refuses; checked here so the
     * core holds the bound whatever feeds it. */
    if (pr->ballot.round > PX_MAX_ROUND) return PX_WIRE_BALLOT_BAD;
    if (pr->n > PX_MAX_PROMISE_ENTRIES) return PX_WIRE_FIELD_BAD;
    for (uint32_t i = 0; i < pr->n; i++) {
        const px_promise_entry *pe = &pr->entries[i];
        if (pe->value.n > PX_MAX_BATCH) return PX_WIRE_FIELD_BAD;
        if (px_ballot_is_zero(pe->vballot)) return PX_REFUSE_BALLOT_ZERO;
        if (pe->vballot.round > PX_MAX_ROUND) return PX_WIRE_BALLOT_BAD;
        if (pe->slot < pr->from_slot || pe->slot == UINT64_MAX) return PX_REFUSE_SLOT_BAD;
    }
    if (!pr->done && pr->next_slot <= pr->from_slot) return PX_REFUSE_SLOT_BAD;
    return 0;
}

/* Every entry is at or above the chunk's from_slot (promise_refusal), and
 * only a chunk asked for counts, whose from_slot is at or above the
 * read's from: all of it is ours to re-propose. */
static void merge_chunk(struct proposer *p, const px_promise *pr)
{
    prop_read *rd = &p->rd;
    for (uint32_t i = 0; i < pr->n; i++) {
        const px_promise_entry *pe = &pr->entries[i];
        rec_merge(&p->rec, pe);
        if (!rd->any || pe->slot > rd->max_slot) rd->max_slot = pe->slot;
        rd->any = 1;
    }
}

int prop_on_promise(struct proposer *p, const px_promise *pr, uint64_t now, px_outbox *out)
{
    int why = promise_refusal(pr);
    if (why) return why;
    prop_read *rd = &p->rd;
    if (rd->kind == READ_NONE || px_ballot_cmp(pr->ballot, rd->ballot) != 0) return 0;
    /* The mark is a fact about the log whichever chunk carries it. */
    if (pr->trimmed > rd->trimmed) rd->trimmed = pr->trimmed;
    prop_read_acc *a = &rd->acc[pr->acceptor];
    /* Only the chunk we asked for last counts: a duplicate, or the answer to
     * a retransmit that crossed the first answer, is dropped. */
#ifndef PX_MUTANT_PROPOSER_DUP_PROMISE
    if (a->done || pr->from_slot != a->next) return 0;
#else
    /* PLANTED BUG (mutant PROPOSER_DUP_PROMISE): an acceptor that already
     * reported everything is not checked for, so a duplicate of its last
     * chunk (a duplicated frame, or the answer to a retransmit crossing
     * the first) counts as another acceptor's: a candidate can win phase 1
     * on one acceptor's promise. */
    if (pr->from_slot != a->next) return 0;
#endif
    merge_chunk(p, pr);
    a->heard = 1;
    a->heard_at = now;
    /* A long report takes many round trips; while it advances, our own
     * election timer must not restart phase 1 with a new ballot. */
    if (rd->kind == READ_ELECTION) prop_arm_election(p, now);
    if (pr->done || pr->next_slot >= rd->limit) {
        a->done = 1;
        if (++rd->n_done >= px_quorum(p->cfg.n_nodes)) read_complete(p, now, out);
        return 0;
    }
    a->next = pr->next_slot;
    a->sent_at = now;
    send_prepare(p, pr->acceptor, a->next, out);
    return 0;
}

/* Resends the pending chunk request to acceptors that went quiet. */
void prop_read_retransmit(struct proposer *p, uint64_t now, px_outbox *out)
{
    prop_read *rd = &p->rd;
    for (uint32_t i = 0; i < p->cfg.n_nodes; i++) {
        uint32_t id = p->cfg.node_ids[i];
        if (!prop_is_member(p, id)) continue;
        prop_read_acc *a = &rd->acc[id];
        if (a->done || now < a->sent_at + p->cfg.retransmit_ms) continue;
        a->sent_at = now;
        send_prepare(p, id, a->next, out);
    }
}

uint64_t prop_read_deadline(const struct proposer *p)
{
    uint64_t d = UINT64_MAX;
    for (uint32_t i = 0; i < p->cfg.n_nodes; i++) {
        uint32_t id = p->cfg.node_ids[i];
        if (!prop_is_member(p, id) || p->rd.acc[id].done) continue;
        uint64_t t = p->rd.acc[id].sent_at + p->cfg.retransmit_ms;
        if (t < d) d = t;
    }
    return d;
}

/* How long after its last chunk an acceptor still counts as advancing:
 * a lost chunk request is resent after retransmit_ms, and one lost message
 * must not make a healthy read look stuck. */
static uint64_t live_window(const struct proposer *p)
{
    return p->cfg.election_min_ms + p->cfg.retransmit_ms;
}

/* Until when acceptor a counts for the read's liveness. */
static uint64_t acc_live_until(const struct proposer *p, const prop_read_acc *a)
{
    if (a->done) return UINT64_MAX; /* it reported all we need */
    if (!a->heard) return 0;
    uint64_t w = live_window(p);
    return a->heard_at > UINT64_MAX - w ? UINT64_MAX : a->heard_at + w;
}

/* The read counts as advancing until the time a quorum of acceptors stops
 * being each either done or heard from within live_window: the quorum-th
 * highest acc_live_until (0 if no read).  A read that only a minority
 * answers, however long its reports, never advances at a quorum, so a
 * candidate cut off from a quorum cannot hold others back. */
uint64_t prop_read_live_until(const struct proposer *p)
{
    if (p->rd.kind == READ_NONE) return 0;
    uint32_t q = px_quorum(p->cfg.n_nodes);
    uint64_t best = 0;
    for (uint32_t i = 0; i < p->cfg.n_nodes; i++) {
        uint32_t id = p->cfg.node_ids[i];
        if (!prop_is_member(p, id)) continue;
        uint64_t t = acc_live_until(p, &p->rd.acc[id]);
        if (t <= best) continue;
        uint32_t k = 0; /* acceptors live at least until t */
        for (uint32_t j = 0; j < p->cfg.n_nodes; j++) {
            uint32_t jd = p->cfg.node_ids[j];
            if (prop_is_member(p, jd) && acc_live_until(p, &p->rd.acc[jd]) >= t) k++;
        }
        if (k >= q) best = t;
    }
    return best;
}

/* A learner found a gap no peer could fill: re-read from the acceptors.
 * One re-read at a time, at most one per election_min_ms, and none while
 * re-proposals are still due (they announce those slots anyway). */
void prop_on_catchup(struct proposer *p, const px_catchup *c, uint64_t now, px_outbox *out)
{
    if (p->state != PROPOSER_LEADER || c->from_slot >= p->chosen_upto) return;
    if (p->rd.kind != READ_NONE || prop_rec_pending(p)) return;
    if (p->reread_ever && now < p->last_reread + p->cfg.election_min_ms) return;
    p->reread_ever = 1;
    p->last_reread = now;
    uint64_t limit = p->chosen_upto;
    if (limit - c->from_slot > PROP_REREAD_MAX_SLOTS) limit = c->from_slot + PROP_REREAD_MAX_SLOTS;
    prop_read_start(p, READ_CATCHUP, c->from_slot, limit, now, out);
}
