/* faults.h -- fault injection inside the real processes, for tests only.
 *
 * nng over TCP never duplicates or reorders a frame, a kill -9 from a
 * schedule rarely lands on a protocol boundary, and a kill cannot lose what
 * write() already handed to the page cache.  So the Jepsen-style test
 * (jepsen/run) turns on, in the processes themselves:
 *
 *   - send faults: every frame between protocol roles (acceptor, proposer,
 *     learner; not the gateway's own channel) may be dropped, duplicated
 *     (the copy delayed), delayed by up to delay_ms, or held back until the
 *     next frame to the same destination has gone (reordered);
 *   - failpoints: named points at protocol boundaries in the hosts that
 *     crash the process (SIGKILL, like kill -9) or stall it;
 *   - lost unsynced writes: PAXOS_TEST_LOSE_UNSYNCED=US keeps what a
 *     durable file has not synced yet in limbo for US microseconds (a
 *     device latency), so a kill -9 meanwhile loses it as a power cut
 *     would (fileio.h for proposer.state and learner.snap; the acceptor's
 *     store for its log).
 *
 * Everything is off unless the environment turns it on (docs/OPERATIONS.md:
 * never in production):
 *
 *   PAXOS_FAULT_INJECTION=1   accept fault commands on the control socket
 *   PAXOS_FAULT_DUP=P         probability a frame is duplicated (0..1)
 *   PAXOS_FAULT_DELAY=P       ... delayed by 1..PAXOS_FAULT_DELAY_MS
 *   PAXOS_FAULT_REORDER=P     ... held back behind the next frame
 *   PAXOS_FAULT_DROP=P        ... dropped
 *   PAXOS_FAULT_DELAY_MS=MS   the longest delay (default 20, at most 1000)
 *   PAXOS_FAULT_SEED=N        seeds the draws (default: time and pid)
 *
 * Any PAXOS_FAULT_<kind> implies PAXOS_FAULT_INJECTION=1.  Without them the
 * cost is one predictable branch per frame sent (px_fault_net_on) and per
 * failpoint passed (px_failpoints_armed).  Every fault fired is counted
 * and logged with the word FAULT, so a test can show its faults happened.
 *
 * Not thread-safe by itself: the send path calls it under the transport's
 * send lock, the failpoints and control commands from the role's loop. */
#ifndef PX_FAULTS_H
#define PX_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Nonzero when any send fault has a probability above zero. */
extern int px_fault_net_on;
/* Nonzero when any failpoint is armed. */
extern int px_failpoints_armed;

/* Reads the environment above.  0, or -1 with err naming the bad variable
 * (the process should refuse to start: a test that asked for faults it
 * does not get proves nothing).  node and role vary the seed. */
int px_faults_init(uint32_t node, int role, char *err, size_t errlen);

/* Whether this process takes fault commands (PAXOS_FAULT_INJECTION). */
int px_faults_allowed(void);

/* ---- send faults ---- */

enum px_send_fate {
    PX_SEND_NORMAL = 0,
    PX_SEND_DROP,
    PX_SEND_DUP,     /* send now, and a copy after *delay_ms */
    PX_SEND_DELAY,   /* send after *delay_ms */
    PX_SEND_REORDER  /* send after the next frame to the same place (or *delay_ms) */
};

/* The fate of one frame (only call when px_fault_net_on); counts it. */
int px_fault_pick(uint32_t *delay_ms);

/* Set the send faults (a PX_CTL_NET_FAULTS request; all zero: off). */
void px_fault_set_net(const px_ctl_net_faults *f);

/* ---- failpoints ---- */

enum px_failpoint_id {
    PX_FP_ACCEPTOR_BEFORE_SYNC = 0,   /* records written, not yet synced */
    PX_FP_ACCEPTOR_PROMISE_DURABLE,   /* a promise is durable, its reply not yet sent */
    PX_FP_ACCEPTOR_ACCEPT_DURABLE,    /* a vote is durable, its reply not yet sent */
    PX_FP_PROPOSER_WON_PHASE1,        /* just became leader, nothing sent as leader yet */
    PX_FP_PROPOSER_STATE_BEFORE_RENAME, /* proposer.state.tmp written, not renamed */
    PX_FP_LEARNER_SNAP_BEFORE_RENAME, /* learner.snap.tmp written, not renamed */
    PX_FP_LEARNER_LIST_REQ,           /* the gateway asked for list elements (drop: lost) */
    PX_FP_COUNT
};

/* The failpoint's name ("acceptor-promise-durable"), or NULL. */
const char *px_failpoint_name(int id);
/* The id of a name, or -1. */
int px_failpoint_lookup(const char *name);

/* Passes failpoint id: may crash or stall here.  Returns 1 when it fired
 * with PX_FP_DROP: the caller drops what it was handling. */
int px_failpoint_hit(int id);
#define PX_FAILPOINT(id)                              \
    do {                                              \
        if (px_failpoints_armed) px_failpoint_hit(id); \
    } while (0)
/* Whether failpoint id (armed with drop) says to drop this one. */
#define PX_FAILPOINT_DROPS(id) (px_failpoints_armed && px_failpoint_hit(id))

/* The hook fileio.c calls between writing dir/name.tmp and the rename. */
void px_failpoint_before_rename(const char *name);

/* ---- lost unsynced writes ---- */

/* PAXOS_TEST_LOSE_UNSYNCED in microseconds (0: off). */
unsigned px_fault_unsynced_us(void);

/* ---- control ---- */

/* Carry out a fault command (px_ctl_req with what != PX_CTL_STATE) and
 * describe the result, and every counter, as JSON in json. */
void px_faults_ctl(const px_ctl_req *req, char *json, size_t cap);

/* Counters and settings as a JSON object. */
void px_faults_json(char *json, size_t cap);

#endif
