/* outbox.h -- the messages a pure core wants sent.  A core never sends:
 * it appends envelopes here and its host (a process main.c, or the
 * simulator) delivers them.  The array is reused across calls. */
#ifndef PX_OUTBOX_H
#define PX_OUTBOX_H

#include "wire.h"

typedef struct px_envelope {
    uint8_t role;  /* destination role, enum px_role */
    uint32_t node; /* destination node id, or PX_NODE_ALL */
    px_msg msg;
} px_envelope;

typedef struct px_outbox {
    px_envelope *v;
    size_t n, cap;
} px_outbox;

void px_outbox_init(px_outbox *o);
void px_outbox_free(px_outbox *o);
void px_outbox_clear(px_outbox *o);
/* Appends a copy of m; aborts on out-of-memory (a core cannot go on). */
void px_outbox_push(px_outbox *o, int role, uint32_t node, const px_msg *m);

#endif
