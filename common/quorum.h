/* quorum.h -- how many of n acceptors make a majority, and ack bitmaps. */
#ifndef PX_QUORUM_H
#define PX_QUORUM_H

#include <stdint.h>

/* Smallest majority of n: n/2 + 1.  (The quorum-too-small mutant lowers it.) */
uint32_t px_quorum(uint32_t n);

/* Number of bits set in an ack bitmap (bit i = node i). */
uint32_t px_acks_count(uint32_t acks);

/* The learners that acceptor self sends its VOTE for a slot proposed by
 * leader: a bitmap (bit i = node i) over members (n ids, config order).
 * Every learner needs a quorum q of votes; sending each vote to every
 * learner (n * n messages per slot) gives each q with room to spare.  So:
 * the leader's own acceptor, which hears the ACCEPT first (no network),
 * votes to every learner; every other acceptor votes to the leader's
 * learner and to q - 1 learners of the ring of non-leader members (its own
 * and the q - 2 before it).  A non-leader learner then hears exactly q
 * acceptors (the leader's, its own and the q - 2 after it in the ring),
 * the leader's learner all n.  For n = 3: 7 messages per slot instead of
 * 9, of which 4 cross nodes instead of 6.  Fewer votes can never make a
 * learner decide wrongly (a decision still needs q votes of one ballot);
 * a learner one of whose q acceptors is down or behind decides its slots
 * by catch-up instead (docs/PROTOCOL.md).  Unknown leader or self: all. */
uint32_t px_vote_targets(const uint32_t *members, uint32_t n, uint32_t self, uint32_t leader);

#endif
