/* delayq.c -- see delayq.h. */
#include "delayq.h"

#include <stdlib.h>
#include <string.h>

void px_delayq_init(px_delayq *q)
{
    memset(q, 0, sizeof *q);
    q->next_due = UINT64_MAX;
}

void px_delayq_free(px_delayq *q)
{
    for (size_t i = 0; i < q->n; i++) free(q->v[i].frame);
    free(q->v);
    px_delayq_init(q);
}

int px_delayq_push(px_delayq *q, uint64_t due_ms, int role, uint32_t node, int after_next,
                   const uint8_t *frame, size_t len)
{
    if (q->n == PX_DELAYQ_MAX) return -1;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        px_delayed *v = realloc(q->v, cap * sizeof *v);
        if (!v) return -1;
        q->v = v;
        q->cap = cap;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return -1;
    memcpy(copy, frame, len);
    q->v[q->n++] = (px_delayed){due_ms, role, node, after_next, len, copy};
    if (due_ms < q->next_due) q->next_due = due_ms;
    return 0;
}

static void recompute_next_due(px_delayq *q)
{
    q->next_due = UINT64_MAX;
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i].due_ms < q->next_due) q->next_due = q->v[i].due_ms;
}

int px_delayq_take(px_delayq *q, uint64_t now, int role, uint32_t node, px_delayed *out)
{
    if (role == 0 && now < q->next_due) return 0; /* the common case: nothing due */
    for (size_t i = 0; i < q->n; i++) {
        const px_delayed *d = &q->v[i];
        int behind = role != 0 && d->after_next && d->role == role && d->node == node;
        if (!behind && !(role == 0 && d->due_ms <= now)) continue;
        *out = *d;
        /* keep the order of the rest: frames to one place leave oldest first */
        memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof q->v[0]);
        q->n--;
        recompute_next_due(q);
        return 1;
    }
    return 0;
}
