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

/* Index of id in ring (the members without leader), or -1. */
static int ring_index(const uint32_t *members, uint32_t n, uint32_t leader, uint32_t id,
                      uint32_t *ring)
{
    int at = -1;
    uint32_t r = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (members[i] == leader) continue;
        if (members[i] == id) at = (int)r;
        ring[r++] = members[i];
    }
    return at;
}

uint32_t px_vote_targets(const uint32_t *members, uint32_t n, uint32_t self, uint32_t leader)
{
    uint32_t all = 0, ring[32];
    int leader_in = 0;
    if (n > 32) n = 32;
    for (uint32_t i = 0; i < n; i++) {
        if (members[i] < 32) all |= 1u << members[i];
        leader_in |= members[i] == leader;
    }
    int at = ring_index(members, n, leader, self, ring);
    if (self == leader || !leader_in || at < 0 || leader >= 32) return all;
    uint32_t r = n - 1, q = px_quorum(n), want = q > 1 ? q - 1 : 1;
    uint32_t to = 1u << leader;
    for (uint32_t k = 0; k < want && k < r; k++) {
        uint32_t id = ring[((uint32_t)at + r - k) % r];
        if (id < 32) to |= 1u << id;
    }
    return to;
}
