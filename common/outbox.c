/* outbox.c -- a growable array of envelopes, reused across core calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"

void px_outbox_init(px_outbox *o)
{
    o->v = NULL;
    o->n = 0;
    o->cap = 0;
}

void px_outbox_free(px_outbox *o)
{
    free(o->v);
    px_outbox_init(o);
}

/* Envelopes kept across calls.  Most calls need a few; a burst (a learner
 * applying a caught-up range at once, one APPLIED per slot) can need
 * thousands of 8 KB envelopes, and keeping those would pin megabytes for
 * the life of the process -- a soak run saw a restarted learner stay
 * 20 MB above its peers. */
#define OUTBOX_KEEP 64

void px_outbox_clear(px_outbox *o)
{
    o->n = 0;
    /* Keep the memory the next call will most likely need, not a burst's. */
    if (o->cap > 4 * OUTBOX_KEEP) {
        px_envelope *v = realloc(o->v, OUTBOX_KEEP * sizeof *v);
        if (v) { /* a failed shrink keeps the bigger array: harmless */
            o->v = v;
            o->cap = OUTBOX_KEEP;
        }
    }
}

static void outbox_grow(px_outbox *o)
{
    size_t cap = o->cap ? o->cap * 2 : 16;
    px_envelope *v = realloc(o->v, cap * sizeof *v);

    if (!v) {
        /* A core has no way to report failure mid-step; dropping a message
         * silently would be worse than stopping. */
        fprintf(stderr, "px_outbox_push: out of memory growing to %zu envelopes\n", cap);
        abort();
    }
    o->v = v;
    o->cap = cap;
}

void px_outbox_push(px_outbox *o, int role, uint32_t node, const px_msg *m)
{
    if (o->n == o->cap) outbox_grow(o);
    px_envelope *e = &o->v[o->n++];
    e->role = (uint8_t)role;
    e->node = node;
    e->msg = *m;
}
