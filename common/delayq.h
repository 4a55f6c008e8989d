/* delayq.h -- frames a send fault holds back (faults.h), each until it is
 * due or, for a reordered one, until the next frame to the same place has
 * gone.  The role's loop drains it (net.c): no thread sleeps per message.
 * Small and linear: with fault chances of a few percent and delays of tens
 * of milliseconds it holds tens of frames, and never more than
 * PX_DELAYQ_MAX (a frame that finds it full is sent at once). */
#ifndef PX_DELAYQ_H
#define PX_DELAYQ_H

#include <stddef.h>
#include <stdint.h>

#define PX_DELAYQ_MAX 4096

typedef struct px_delayed {
    uint64_t due_ms;
    int role;
    uint32_t node;
    int after_next; /* reordered: leaves right after the next frame to (role, node) */
    size_t len;
    uint8_t *frame; /* owned */
} px_delayed;

typedef struct px_delayq {
    px_delayed *v;
    size_t n, cap;
    uint64_t next_due; /* the smallest due_ms, UINT64_MAX when empty */
} px_delayq;

void px_delayq_init(px_delayq *q);
void px_delayq_free(px_delayq *q);

/* Holds a copy of frame[0..len).  0, or -1 if full or out of memory. */
int px_delayq_push(px_delayq *q, uint64_t due_ms, int role, uint32_t node, int after_next,
                   const uint8_t *frame, size_t len);

/* Removes into *out (the caller frees out->frame) the oldest frame that is
 * due at now, or, when role != 0, the oldest reordered one waiting behind
 * a frame to (role, node).  1 if one was taken, else 0. */
int px_delayq_take(px_delayq *q, uint64_t now, int role, uint32_t node, px_delayed *out);

#endif
