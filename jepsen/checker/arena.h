/* arena.h -- a bump allocator.  The EDN reader allocates every node of one
 * top-level form here and the loader resets it after each op, so parsing a
 * million ops touches the same few pages over and over instead of calling
 * malloc per node.  Allocation failure aborts: the checker cannot give a
 * verdict without memory, and a partial verdict would be a guess. */
#ifndef PX_ARENA_H
#define PX_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
    arena_chunk *head;   /* current chunk; older ones follow ->next */
    size_t total;        /* bytes held, for resource accounting */
} arena;

void *arena_alloc(arena *a, size_t n);
/* Frees every chunk but the largest, which is kept (emptied) for reuse. */
void arena_reset(arena *a);
void arena_free(arena *a);

/* malloc/realloc that abort on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);

#endif
