/* fifo.c -- see fifo.h. */
#include "fifo.h"

#include <stdlib.h>

int nd_fifo_init(nd_fifo *f, size_t cap)
{
    f->cap = f->head = f->n = 0;
    f->v = cap ? calloc(cap, sizeof *f->v) : NULL;
    if (!f->v) return -1;
    f->cap = cap;
    return 0;
}

void nd_fifo_free(nd_fifo *f)
{
    free(f->v);
    f->v = NULL;
    f->cap = f->head = f->n = 0;
}

static nd_held *newest(const nd_fifo *f)
{
    return &f->v[(f->head + f->n - 1) % f->cap];
}

int nd_fifo_push(nd_fifo *f, uint32_t id, uint64_t due_ns)
{
    if (f->n == f->cap) return -1;
    if (f->n > 0 && due_ns < newest(f)->due_ns) return -1;
    f->n++;
    *newest(f) = (nd_held){ .id = id, .due_ns = due_ns };
    return 0;
}

int nd_fifo_take(nd_fifo *f, uint64_t now_ns, int force, nd_held *out)
{
    if (f->n == 0) return 0;
    if (!force && f->v[f->head].due_ns > now_ns) return 0;
    *out = f->v[f->head];
    f->head = (f->head + 1) % f->cap;
    f->n--;
    return 1;
}

uint64_t nd_fifo_next_due(const nd_fifo *f)
{
    return f->n ? f->v[f->head].due_ns : UINT64_MAX;
}
