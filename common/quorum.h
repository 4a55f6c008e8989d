/* quorum.h -- how many of n acceptors make a majority, and ack bitmaps. */
#ifndef PX_QUORUM_H
#define PX_QUORUM_H

#include <stdint.h>

/* Smallest majority of n: n/2 + 1.  (The quorum-too-small mutant lowers it.) */
uint32_t px_quorum(uint32_t n);

/* Number of bits set in an ack bitmap (bit i = node i). */
uint32_t px_acks_count(uint32_t acks);

#endif
