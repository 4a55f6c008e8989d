/* check.h -- Paxos's own invariants, checked on what really happened: the
 * records in the acceptors' logs, the proposers' stored rounds, the
 * learners' snapshots and the lists clients read at the end (state.h).
 *
 * Pure: no I/O.  Each check adds what it checked to r->c and each
 * violation to r.  Every check is exact for a cluster of correct processes
 * whose acceptors kept their whole logs (PAXOS_TEST_KEEP_LOG=1): the
 * comments at each check say why it holds through restarts, torn tails,
 * records lost before they were written, compaction, snapshot transfers,
 * lost learner snapshots, retransmissions and no-ops. */
#ifndef PX_AUDIT_CHECK_H
#define PX_AUDIT_CHECK_H

#include "result.h"
#include "state.h"

/* One chosen slot: the lowest ballot under which a majority of acceptors
 * accepted one value, that value and the acceptors (bit i: node i). */
typedef struct audit_chosen_slot {
    uint64_t slot;
    px_ballot ballot;
    uint32_t value;
    uint32_t voters;
} audit_chosen_slot;

/* The chosen slots, in slot order; prefix: slots 0 .. prefix - 1 are all
 * chosen (v[0 .. prefix)), slot prefix is not.  gap says what the logs
 * hold for slot prefix. */
typedef struct audit_chosen {
    audit_chosen_slot *v;
    size_t n;
    uint64_t prefix;
    char gap[512];
} audit_chosen;

void audit_chosen_free(audit_chosen *ch);

/* Each acceptor's log on its own: a sequence of records one acceptor could
 * have written (promise never going down, no vote below the promise or
 * below its own mark, TRIMs as the acceptor takes them), and every ballot
 * stored by its proposer first (proposer.state). */
void audit_check_acceptors(const audit_state *st, audit_result *r);

/* All votes together: one value per (slot, ballot), and once a majority
 * accepted a value under one ballot, every vote of that slot under a
 * higher ballot carries that value.  Fills *ch with the chosen slots. */
void audit_check_votes(const audit_state *st, audit_chosen *ch, audit_result *r);

/* The learners against the chosen log ch: its prefix replayed through the
 * learner core must give every snapshot's state at its slot and have every
 * final list as a prefix; no trim mark above what a majority of learners'
 * durable snapshots reached. */
void audit_check_learners(const audit_state *st, const audit_chosen *ch, audit_result *r);

/* Whether a's log starts with a rewrite's copy of the acceptor's state
 * rather than its history: a first batch shaped like acceptor_export's
 * (PROMISE, TRIM, then ACCEPTs in increasing slot order) whose TRIM comes
 * before any vote, or with a vote below that promise -- neither of which
 * a history has.  Such a log lacks superseded records, so it cannot be
 * audited (PAXOS_TEST_KEEP_LOG=1 prevents it).  The acceptor's own log
 * tells it too (state.h, rewritten). */
int audit_log_rewritten(const audit_acceptor *a);

/* All of the above. */
void audit_check(const audit_state *st, audit_result *r);

#endif
