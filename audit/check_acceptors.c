/* check_acceptors.c -- each acceptor's log on its own, and the ballots in
 * it against the proposers' proposer.state (see check.h).
 *
 * Why reading the file in order gives the acceptor's real history: the
 * audit reads the log as recovery does (acc_store_read), so it sees the
 * records an acceptor restarted from it would replay, in the same order.
 * Records lost before they reached the file (PAXOS_TEST_LOSE_UNSYNCED, a
 * kill during the simulated device latency) or cut as a torn tail are
 * missing from the file and from the restarted acceptor alike; everything
 * it wrote afterwards follows from what the file holds.  No reply ever
 * depended on a missing record (the core releases a reply only once every
 * record before it is durable).  So the records form one run of the pure
 * core's rules (acceptor/acceptor.c), across any number of restarts, and
 * those rules are what is checked here. */
#include "check.h"

#include <stdio.h>

static const char *LOG_FILE = "acceptor.log";

/* The acceptor's state as its records rebuild it. */
typedef struct acc_walk {
    px_ballot promised;
    uint64_t mark;
    uint64_t voted_upto; /* one past the highest slot it ever voted in */
} acc_walk;

static int64_t off(const audit_rec *x)
{
    return (int64_t)x->offset;
}

/* PROMISE(b) is written only when b is above the promise (a PREPARE equal
 * to it asks for the next chunk and writes nothing).  So each PROMISE
 * record raises the promise: one that does not means the acceptor went
 * back on a promise, or lost one it had made durable. */
static void on_promise(acc_walk *w, uint32_t node, const audit_rec *x, audit_result *r)
{
    if (px_ballot_cmp(x->ballot, w->promised) <= 0)
        audit_violate(r, AUDIT_PROMISE_NOT_RAISED, node, LOG_FILE, off(x), -1, x->ballot,
                      w->promised,
                      "PROMISE (%llu,%u) at offset %llu, but the acceptor had already promised "
                      "(%llu,%u)",
                      (unsigned long long)x->ballot.round, x->ballot.node,
                      (unsigned long long)x->offset, (unsigned long long)w->promised.round,
                      w->promised.node);
    /* A restarted acceptor keeps the highest promise it replays, too. */
    if (px_ballot_cmp(x->ballot, w->promised) > 0) w->promised = x->ballot;
}

/* An ACCEPT is taken only at or above the promise (and raises it), and
 * only at or above the acceptor's mark: below it the slot is chosen and
 * forgotten, and a vote there could help a no-op overwrite it. */
static void on_accept(acc_walk *w, uint32_t node, const audit_rec *x, audit_result *r)
{
    if (px_ballot_cmp(x->ballot, w->promised) < 0)
        audit_violate(r, AUDIT_VOTE_BELOW_PROMISE, node, LOG_FILE, off(x), (int64_t)x->slot,
                      x->ballot, w->promised,
                      "ACCEPT slot %llu ballot (%llu,%u) at offset %llu, below the promise "
                      "(%llu,%u) made before it",
                      (unsigned long long)x->slot, (unsigned long long)x->ballot.round,
                      x->ballot.node, (unsigned long long)x->offset,
                      (unsigned long long)w->promised.round, w->promised.node);
    if (x->slot < w->mark)
        audit_violate(r, AUDIT_VOTE_BELOW_MARK, node, LOG_FILE, off(x), (int64_t)x->slot,
                      x->ballot, (px_ballot){0, 0},
                      "ACCEPT slot %llu ballot (%llu,%u) at offset %llu, below the acceptor's "
                      "own trim mark %llu: it forgot that slot and voted there again",
                      (unsigned long long)x->slot, (unsigned long long)x->ballot.round,
                      x->ballot.node, (unsigned long long)x->offset,
                      (unsigned long long)w->mark);
    if (px_ballot_cmp(x->ballot, w->promised) > 0) w->promised = x->ballot;
    if (x->slot + 1 > w->voted_upto) w->voted_upto = x->slot + 1;
}

/* A TRIM is written only when it raises the mark, only under the ballot
 * the acceptor promised (the record carries that promise), and only up to
 * accepted_upto: one past the highest slot it holds a vote for, or its
 * mark if higher.  Entries are forgotten only below the mark, so that is
 * max(mark, one past the highest slot ever voted in). */
static void on_trim(acc_walk *w, uint32_t node, const audit_rec *x, audit_result *r)
{
    uint64_t upto = w->voted_upto > w->mark ? w->voted_upto : w->mark;
    if (x->slot <= w->mark)
        audit_violate(r, AUDIT_TRIM_NOT_RAISED, node, LOG_FILE, off(x), (int64_t)x->slot,
                      x->ballot, (px_ballot){0, 0},
                      "TRIM below %llu at offset %llu, but the mark was already %llu",
                      (unsigned long long)x->slot, (unsigned long long)x->offset,
                      (unsigned long long)w->mark);
    if (px_ballot_cmp(x->ballot, w->promised) != 0)
        audit_violate(r, AUDIT_TRIM_BALLOT, node, LOG_FILE, off(x), (int64_t)x->slot, x->ballot,
                      w->promised,
                      "TRIM below %llu at offset %llu under ballot (%llu,%u), but the acceptor "
                      "had promised (%llu,%u)",
                      (unsigned long long)x->slot, (unsigned long long)x->offset,
                      (unsigned long long)x->ballot.round, x->ballot.node,
                      (unsigned long long)w->promised.round, w->promised.node);
    if (x->slot > upto)
        audit_violate(r, AUDIT_TRIM_AHEAD, node, LOG_FILE, off(x), (int64_t)x->slot, x->ballot,
                      (px_ballot){0, 0},
                      "TRIM below %llu at offset %llu, past every slot the acceptor had voted "
                      "in (it could trim up to %llu)",
                      (unsigned long long)x->slot, (unsigned long long)x->offset,
                      (unsigned long long)upto);
    if (x->slot > w->mark) w->mark = x->slot;
}

static void walk_log(const audit_node *n, audit_result *r)
{
    acc_walk w = {{0, 0}, 0, 0};
    for (size_t i = 0; i < n->acc.n; i++) {
        const audit_rec *x = &n->acc.recs[i];
        if (x->type == ACC_REC_PROMISE) on_promise(&w, n->id, x, r);
        else if (x->type == ACC_REC_ACCEPT) on_accept(&w, n->id, x, r);
        else if (x->type == ACC_REC_TRIM) on_trim(&w, n->id, x, r);
    }
}

/* ---- ballots against proposer.state ---------------------------------------- */

/* Where the highest ballot of each proposer was seen. */
typedef struct ballot_seen {
    px_ballot ballot;
    uint32_t node; /* the acceptor */
    uint64_t offset;
} ballot_seen;

/* A ballot (r, n) reaches an acceptor only in a frame from node n (the
 * acceptor refuses a ballot naming another node than its sender), and
 * proposer n sends nothing with round r before r is in its proposer.state,
 * which only ever grows (it is the highest round used, and a restarted
 * proposer starts above it).  A TRIM record carries the acceptor's
 * promise, itself such a ballot.  So every round in the logs is at most
 * its proposer's stored round: one above it is a ballot a restarted
 * proposer may use again for another value. */
static void check_rounds(const audit_state *st, const ballot_seen *hi, audit_result *r)
{
    for (uint32_t id = 1; id <= PX_MAX_NODES; id++) {
        const ballot_seen *h = &hi[id];
        if (px_ballot_is_zero(h->ballot)) continue;
        if (!audit_is_member(st, id)) {
            audit_violate(r, AUDIT_BALLOT_NOT_MEMBER, h->node, LOG_FILE, (int64_t)h->offset, -1,
                          h->ballot, (px_ballot){0, 0},
                          "ballot (%llu,%u) at offset %llu names node %u, which is not in the "
                          "cluster",
                          (unsigned long long)h->ballot.round, h->ballot.node,
                          (unsigned long long)h->offset, id);
            continue;
        }
        const audit_node *p = audit_find_node(st, id);
        if (p == NULL || h->ballot.round <= p->round) continue;
        audit_violate(r, AUDIT_BALLOT_NOT_STORED, h->node, LOG_FILE, (int64_t)h->offset, -1,
                      h->ballot, (px_ballot){0, 0},
                      "ballot (%llu,%u) at offset %llu, but node %u's proposer.state %s round "
                      "%llu: a restarted proposer could use that ballot again",
                      (unsigned long long)h->ballot.round, h->ballot.node,
                      (unsigned long long)h->offset, id,
                      p->has_round ? "stores" : "is missing, so it starts from",
                      (unsigned long long)p->round);
    }
}

static void count_log(const audit_node *n, ballot_seen *hi, audit_counts *c)
{
    c->acceptor_logs += n->acc.present;
    c->records += n->acc.n;
    c->torn_records += n->acc.cut_records;
    for (size_t i = 0; i < n->acc.n; i++) {
        const audit_rec *x = &n->acc.recs[i];
        c->promises += x->type == ACC_REC_PROMISE;
        c->accepts += x->type == ACC_REC_ACCEPT;
        c->trims += x->type == ACC_REC_TRIM;
        uint32_t p = x->ballot.node;
        if (p >= 1 && p <= PX_MAX_NODES && px_ballot_cmp(x->ballot, hi[p].ballot) > 0)
            hi[p] = (ballot_seen){x->ballot, n->id, x->offset};
        else if (p < 1 || p > PX_MAX_NODES)
            hi[0] = (ballot_seen){x->ballot, n->id, x->offset};
    }
}

void audit_check_acceptors(const audit_state *st, audit_result *r)
{
    ballot_seen hi[PX_MAX_NODES + 1] = {{{0, 0}, 0, 0}};
    for (size_t i = 0; i < st->n_nodes; i++) {
        const audit_node *n = &st->nodes[i];
        r->c.nodes++;
        r->c.proposer_states += n->has_round;
        count_log(n, hi, &r->c);
        walk_log(n, r);
    }
    if (!px_ballot_is_zero(hi[0].ballot))
        audit_violate(r, AUDIT_BALLOT_NOT_MEMBER, hi[0].node, LOG_FILE, (int64_t)hi[0].offset,
                      -1, hi[0].ballot, (px_ballot){0, 0},
                      "ballot (%llu,%u) at offset %llu names no possible node",
                      (unsigned long long)hi[0].ballot.round, hi[0].ballot.node,
                      (unsigned long long)hi[0].offset);
    check_rounds(st, hi, r);
}

/* ---- rewritten logs ------------------------------------------------------------ */

/* A rewrite writes acceptor_export's records as batch 1 of a new file:
 * PROMISE(promised), TRIM(mark) under that promise, then one ACCEPT per
 * entry in slot order, none above the promise.  The host rewrites only
 * once the mark moved (maybe_rewrite), so the TRIM is always there, ahead
 * of every vote -- which no history has: a TRIM never reaches past the
 * votes before it (on_trim above).  A vote below the promise in that
 * batch gives a rewrite away too. */
int audit_log_rewritten(const audit_acceptor *a)
{
    size_t i = 0;
    px_ballot promised = {0, 0};
    int state = 0;
    if (a->n == 0 || a->recs[0].batch != 1) return 0;
    if (a->recs[0].type == ACC_REC_PROMISE) promised = a->recs[i++].ballot;
    if (i < a->n && a->recs[i].type == ACC_REC_TRIM && a->recs[i].batch == 1) {
        if (px_ballot_cmp(a->recs[i].ballot, promised) != 0) return 0;
        state = a->recs[i].slot > 0;
        i++;
    }
    for (size_t k = i; k < a->n && a->recs[k].batch == 1; k++) {
        const audit_rec *x = &a->recs[k];
        if (x->type != ACC_REC_ACCEPT) return 0;
        if (k > i && x->slot <= a->recs[k - 1].slot) return 0;
        if (px_ballot_cmp(x->ballot, promised) > 0) return 0;
        state |= px_ballot_cmp(x->ballot, promised) < 0;
    }
    return state;
}
