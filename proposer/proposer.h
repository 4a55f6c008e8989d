/* proposer.h -- the proposer's protocol logic, a pure state machine:
 * election, phase 1 once per leadership, pipelined and batched phase 2,
 * heartbeats, and forwarding client commands to the leader.
 *
 * No I/O, no clock, no hidden randomness: the host passes the current time
 * (milliseconds, monotonic) with every call, and the election jitter comes
 * from a PRNG seeded from config.  Outputs go to a px_outbox; the host asks
 * proposer_next_deadline() when to call proposer_tick() next.
 *
 * Durability: one number.  A ballot must never carry two values for one
 * slot, so a proposer must never reuse a ballot, not even after a restart
 * (acceptors answer a PREPARE equal to their promise, so a reused ballot
 * wins phase 1 again and may propose a new value where the old
 * incarnation's ACCEPT is still in flight).  The core cannot write files,
 * so the host keeps the highest round the proposer has used, as Raft keeps
 * currentTerm:
 *
 *   - after every proposer_new / proposer_handle / proposer_tick, and
 *     BEFORE sending anything from that call's outbox, the host makes
 *     proposer_round_to_persist(p) durable if it is higher than the round
 *     it last made durable (this happens once per election);
 *   - on restart it passes the durable round as config.initial_round.
 *
 * The core then only creates ballots with rounds above initial_round.
 */
#ifndef PX_PROPOSER_H
#define PX_PROPOSER_H

#include "../common/outbox.h"

typedef struct proposer_config {
    uint32_t id;                     /* this node's id */
    uint32_t n_nodes;                /* acceptors = proposers = learners = nodes */
    uint32_t node_ids[PX_MAX_NODES]; /* ids of all nodes, including id */
    uint32_t batch_max;              /* commands per slot, 1..PX_MAX_BATCH */
    uint32_t pipeline;               /* slots in flight at once, >= 1 */
    uint32_t queue_max;              /* client commands waiting at the leader; NACK BUSY past it */
    uint64_t heartbeat_ms;           /* leader heartbeat period */
    uint64_t election_min_ms;        /* follower waits a random time in [min, max] */
    uint64_t election_max_ms;        /*   without a heartbeat before it runs phase 1 */
    uint64_t retransmit_ms;          /* resend unanswered PREPARE / ACCEPT after this */
    uint64_t seed;                   /* PRNG seed for the election jitter */
    uint64_t initial_round;          /* highest round persisted before a restart, 0 at
                                      * first start: own ballots use rounds above it */
    uint32_t open_max;               /* batching: a slot opens at once only while fewer
                                      * are open (0: PROP_OPEN_MAX) */
    uint64_t batch_wait_ms;          /* ... else when the oldest queued command has
                                      * waited this long (0: PROP_BATCH_WAIT_MS) */
} proposer_config;

enum proposer_state {
    PROPOSER_FOLLOWER = 0,
    PROPOSER_CANDIDATE = 1, /* running phase 1 */
    PROPOSER_LEADER = 2
};

struct proposer;

struct proposer *proposer_new(const proposer_config *cfg, uint64_t now);
void proposer_free(struct proposer *p);

/* Handle one decoded message: PROMISE, ACCEPTED, REJECT, HEARTBEAT,
 * REQUEST, CATCHUP, LEARNED.
 *
 * Returns 0 when the message was taken or ignored as normal Paxos (a stale
 * ballot, a duplicate, an old chunk), else an enum px_refusal
 * (common/refuse.h) for the host to count; a refused message changes
 * nothing and produces nothing.  Refused: another type (UNEXPECTED_TYPE);
 * an acceptor, leader or learner id that is not a member (NOT_MEMBER) or
 * not the frame's sender (SENDER_MISMATCH), a heartbeat ballot whose node
 * is not the leader (SENDER_MISMATCH); a REQUEST whose origin is not a
 * member (NOT_MEMBER); a zero ballot in PROMISE, one of its entries,
 * ACCEPTED or HEARTBEAT (BALLOT_ZERO); a round above PX_MAX_ROUND
 * (PX_WIRE_BALLOT_BAD, as the decoder); a PROMISE entry below the chunk's
 * from_slot or at UINT64_MAX, or an unfinished chunk that does not advance
 * (SLOT_BAD).
 *
 * Compaction: LEARNED carries each learner's durable snapshot mark; the
 * trim mark T is the highest slot that a quorum of learners' snapshots
 * reach.  A leader sends TRIM(T) to every acceptor when T rises and with
 * every heartbeat while T > 0.  Acceptors report their own mark in PROMISE
 * and REJECT: nothing below it is proposed again. */
int proposer_handle(struct proposer *p, const px_msg *in, uint64_t now, px_outbox *out);

/* Advance timers: heartbeats, election timeout, retransmits. */
void proposer_tick(struct proposer *p, uint64_t now, px_outbox *out);

/* The earliest time at which proposer_tick has something to do. */
uint64_t proposer_next_deadline(const struct proposer *p);

/* The highest round of any ballot this proposer has created (initial_round
 * before its first election).  Make it durable before sending the outbox of
 * the call that raised it: see "Durability" at the top. */
uint64_t proposer_round_to_persist(const struct proposer *p);

/* Introspection, for the status page and the simulator. */
int proposer_state(const struct proposer *p);
px_ballot proposer_ballot(const struct proposer *p);  /* own ballot (last one used) */
uint32_t proposer_leader(const struct proposer *p);   /* leader as seen here, 0 if none */
uint64_t proposer_chosen_upto(const struct proposer *p);
uint64_t proposer_next_slot(const struct proposer *p);
uint32_t proposer_in_flight(const struct proposer *p);
uint32_t proposer_queued(const struct proposer *p);
uint64_t proposer_slots_chosen(const struct proposer *p);    /* counters since start */
uint64_t proposer_commands_chosen(const struct proposer *p);
uint64_t proposer_trim_mark(const struct proposer *p);        /* T, 0 if none */
/* Phase 1 runs this proposer started since it was created, each under a
 * new ballot (the metrics' paxos_elections_total). */
uint64_t proposer_elections(const struct proposer *p);
/* Slots this proposer saw chosen as leader that carried k commands
 * (0..PX_MAX_BATCH; 0 is a no-op filling a gap): the batching at work. */
uint64_t proposer_slots_with_commands(const struct proposer *p, uint32_t k);
/* 1 when the highest ballot seen is at PX_MAX_ROUND: no round is left to
 * campaign with, so this proposer stays a follower (and says so). */
int proposer_round_exhausted(const struct proposer *p);

#endif
