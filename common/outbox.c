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

void px_outbox_clear(px_outbox *o)
{
    /* Keep the memory: the next call will most likely need as much. */
    o->n = 0;
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
