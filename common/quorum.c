/* quorum.c -- majority size and ack bitmap counting. */
#include "quorum.h"

uint32_t px_quorum(uint32_t n)
{
#ifdef PX_MUTANT_QUORUM_TOO_SMALL
    /* DELIBERATE PLANTED BUG for the quorum_too_small mutant build: n/2 is
     * not a majority (for n = 4 two quorums of 2 need not intersect), so
     * two leaders can each get a different value chosen for one slot.  The
     * tests must catch this; never enable it in a real build. */
    return n / 2;
#else
    return n / 2 + 1;
#endif
}

uint32_t px_acks_count(uint32_t acks)
{
    uint32_t count = 0;

    /* Clear the lowest set bit until none are left (Kernighan). */
    while (acks) {
        acks &= acks - 1;
        count++;
    }
    return count;
}
