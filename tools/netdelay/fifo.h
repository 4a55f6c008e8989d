/* fifo.h -- the packets paxos-netdelay holds: a bounded ring of (packet
 * id, due time), oldest first.  Every packet is held for the same delay
 * and arrival times only grow, so the oldest is always the first due: a
 * FIFO is the whole schedule, and releasing from its head keeps the order
 * the packets came in.  Pure: no I/O, no clock (the caller passes times). */
#ifndef ND_FIFO_H
#define ND_FIFO_H

#include <stddef.h>
#include <stdint.h>

typedef struct nd_held {
    uint32_t id;     /* the kernel's packet id, for the verdict */
    uint64_t due_ns; /* CLOCK_MONOTONIC time at which it is accepted */
} nd_held;

typedef struct nd_fifo {
    nd_held *v;
    size_t cap, head, n;
} nd_fifo;

/* 0, or -1 when cap is 0 or memory is short. */
int nd_fifo_init(nd_fifo *f, size_t cap);
void nd_fifo_free(nd_fifo *f);

/* Appends a packet; 0, or -1 when the ring is full or due_ns is earlier
 * than the newest held one's (that would break the FIFO schedule). */
int nd_fifo_push(nd_fifo *f, uint32_t id, uint64_t due_ns);

/* Removes the oldest packet into *out if it is due at now_ns (force: due
 * or not, for the release at exit).  1 if one was taken, else 0. */
int nd_fifo_take(nd_fifo *f, uint64_t now_ns, int force, nd_held *out);

/* The oldest packet's due time, UINT64_MAX when nothing is held. */
uint64_t nd_fifo_next_due(const nd_fifo *f);

#endif
