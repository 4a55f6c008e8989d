/* brute.c -- see brute.h.  Deliberately shares nothing with check.c but
 * the loaded ops: no position table, no inferred order. */
#include "jepsen/checker/brute.h"

#include <string.h>

typedef struct brute {
    const history *h;
    int idx[BRUTE_MAX_OPS];   /* the ops that may take effect */
    int n;
    unsigned required;        /* bit i: idx[i] completed :ok, must happen */
    int64_t list[BRUTE_MAX_OPS];
    int len;
} brute;

/* Does running op o on the current list give the result it reported? */
static int result_matches(const brute *b, const hop *o)
{
    if (o->status != HS_OK) return 1;
    switch (o->form) {
    case HR_LIST:
        return o->obs == b->len &&
               (b->len == 0 || !memcmp(b->h->lists + o->list_at, b->list, (size_t)b->len * sizeof *b->list));
    case HR_INDEX: return o->obs == b->len - 1;
    case HR_LENGTH: return o->obs == b->len;
    default: return 1; /* HR_BARE: any position */
    }
}

/* May op i go next: no op still outstanding completed before it began? */
static int may_go(const brute *b, unsigned done, int i)
{
    const hop *o = &b->h->ops[b->idx[i]];
    for (int j = 0; j < b->n; j++)
        if (j != i && !(done >> j & 1) && b->h->ops[b->idx[j]].cmp < o->inv) return 0;
    return 1;
}

static int search(brute *b, unsigned done)
{
    if ((done & b->required) == b->required) return 1; /* the rest never happen */
    for (int i = 0; i < b->n; i++) {
        if (done >> i & 1 || !may_go(b, done, i)) continue;
        const hop *o = &b->h->ops[b->idx[i]];
        if (o->f == HF_APPEND) b->list[b->len++] = o->value;
        int ok = result_matches(b, o) && search(b, done | 1u << i);
        if (o->f == HF_APPEND) b->len--;
        if (ok) return 1;
    }
    return 0;
}

int brute_check(const history *h)
{
    brute b = {.h = h};
    for (size_t i = 0; i < h->nops; i++) {
        const hop *o = &h->ops[i];
        if (o->status == HS_FAIL) continue;               /* never happened */
        if (o->f == HF_READ && o->status != HS_OK) continue; /* unobserved */
        if (b.n == BRUTE_MAX_OPS) return -1;
        if (o->status == HS_OK) b.required |= 1u << b.n;
        b.idx[b.n++] = (int)i;
    }
    return search(&b, 0);
}
