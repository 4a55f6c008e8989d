/* queue.c -- the event queue: a binary min-heap ordered by (time, insertion
 * seq).  The seq makes ties deterministic: among events at the same time
 * the one scheduled first runs first. */
#include <stdlib.h>
#include <stdio.h>
#include "sim.h"

static int ev_less(const sim_event *a, const sim_event *b)
{
    if (a->time != b->time) return a->time < b->time;
    return a->seq < b->seq;
}

static void ev_swap(sim_event *a, sim_event *b)
{
    sim_event t = *a;
    *a = *b;
    *b = t;
}

void ev_push(sim_world *w, sim_event *e)
{
    if (w->heap_n == w->heap_cap) {
        w->heap_cap = w->heap_cap ? w->heap_cap * 2 : 1024;
        w->heap = realloc(w->heap, w->heap_cap * sizeof *w->heap);
        if (!w->heap) { perror("paxos-sim: heap"); abort(); }
    }
    e->seq = ++w->ev_seq;
    size_t i = w->heap_n++;
    w->heap[i] = *e;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ev_less(&w->heap[i], &w->heap[p])) break;
        ev_swap(&w->heap[i], &w->heap[p]);
        i = p;
    }
}

int ev_pop(sim_world *w, sim_event *out)
{
    if (w->heap_n == 0) return 0;
    *out = w->heap[0];
    w->heap[0] = w->heap[--w->heap_n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->heap_n && ev_less(&w->heap[l], &w->heap[m])) m = l;
        if (r < w->heap_n && ev_less(&w->heap[r], &w->heap[m])) m = r;
        if (m == i) break;
        ev_swap(&w->heap[i], &w->heap[m]);
        i = m;
    }
    return 1;
}

/* Frames still in flight when a run ends belong to their events. */
void ev_free_all(sim_world *w)
{
    for (size_t i = 0; i < w->heap_n; i++) free(w->heap[i].buf);
    free(w->heap);
    w->heap = NULL;
    w->heap_n = w->heap_cap = 0;
}
