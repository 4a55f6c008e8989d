/* imap.c -- see imap.h.  Linear probing with a murmur-style finaliser:
 * values in histories are often consecutive ints, which an identity hash
 * would cluster. */
#include "jepsen/checker/imap.h"

#include <stdlib.h>
#include <string.h>

#include "jepsen/checker/arena.h"

static size_t slot_of(const imap *m, int64_t key)
{
    uint64_t h = (uint64_t)key;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return (size_t)h & (m->cap - 1);
}

void imap_free(imap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

int32_t *imap_get(const imap *m, int64_t key)
{
    if (!m->cap) return NULL;
    for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (!m->used[i]) return NULL;
        if (m->keys[i] == key) return &m->vals[i];
    }
}

static void grow(imap *m)
{
    imap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->n = 0;
    m->keys = xmalloc(m->cap * sizeof *m->keys);
    m->vals = xmalloc(m->cap * sizeof *m->vals);
    m->used = xcalloc(m->cap, 1);
    for (size_t i = 0; i < old.cap; i++)
        if (old.used[i]) imap_put(m, old.keys[i], old.vals[i]);
    imap_free(&old);
}

void imap_put(imap *m, int64_t key, int32_t val)
{
    if ((m->n + 1) * 2 > m->cap) grow(m); /* load factor <= 1/2 */
    size_t i = slot_of(m, key);
    while (m->used[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    if (!m->used[i]) m->n++;
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = val;
}

void imap_del(imap *m, int64_t key)
{
    if (!m->cap) return;
    size_t mask = m->cap - 1, i = slot_of(m, key);
    while (m->used[i] && m->keys[i] != key) i = (i + 1) & mask;
    if (!m->used[i]) return;
    m->used[i] = 0;
    m->n--;
    /* Pull later members of the probe run back over the hole. */
    for (size_t j = (i + 1) & mask; m->used[j]; j = (j + 1) & mask) {
        size_t home = slot_of(m, m->keys[j]);
        /* j's entry may move to i iff i lies cyclically in [home, j). */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            m->used[i] = 1;
            m->used[j] = 0;
            i = j;
        }
    }
}
