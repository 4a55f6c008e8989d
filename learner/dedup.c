/* dedup.c -- see dedup.h.
 *
 * Open addressing with linear probing keeps an entry at 32 bytes and a
 * lookup at one or two cache lines.  Entries are never deleted one by one:
 * eviction rebuilds the whole table, so there are no tombstones to manage.
 * Eviction sorts a copy of the table (O(n log n)) once every n/4 new
 * clients, i.e. O(log n) amortized per insert.
 */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#define DEDUP_MIN_CAP 16

/* splitmix64's finalizer: client ids are often small and sequential, and
 * linear probing needs them spread over the whole table. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) abort(); /* a core cannot continue with a partial table */
    return p;
}

void dedup_init(dedup *d, size_t max)
{
    memset(d, 0, sizeof *d);
    d->max = max ? max : 1; /* 0 would make every insert evict itself */
}

void dedup_free(dedup *d)
{
    free(d->t);
    memset(d, 0, sizeof *d);
}

static size_t bucket_of(const dedup *d, uint64_t client)
{
    size_t mask = d->cap - 1;
    size_t i = (size_t)mix64(client) & mask;
    while (d->t[i].seq != 0 && d->t[i].client != client) i = (i + 1) & mask;
    return i;
}

const dedup_entry *dedup_find(const dedup *d, uint64_t client)
{
    if (d->cap == 0) return NULL;
    const dedup_entry *e = &d->t[bucket_of(d, client)];
    return e->seq != 0 ? e : NULL;
}

/* Put e into a table known not to contain e->client and to have room. */
static void place(dedup *d, const dedup_entry *e)
{
    d->t[bucket_of(d, e->client)] = *e;
    d->n++;
}

/* Rebuild into cap buckets from the entries in v[0..n). */
static void rebuild(dedup *d, size_t cap, const dedup_entry *v, size_t n)
{
    free(d->t);
    d->t = xcalloc(cap, sizeof *d->t);
    d->cap = cap;
    d->n = 0;
    for (size_t i = 0; i < n; i++) place(d, &v[i]);
}

/* Live entries copied out into a fresh array of d->n elements. */
static dedup_entry *entries(const dedup *d)
{
    dedup_entry *v = xcalloc(d->n ? d->n : 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < d->cap; i++)
        if (d->t[i].seq != 0) v[k++] = d->t[i];
    return v;
}

static void grow(dedup *d)
{
    size_t cap = d->cap ? d->cap * 2 : DEDUP_MIN_CAP;
    size_t n = d->n;
    dedup_entry *v = entries(d);
    rebuild(d, cap, v, n);
    free(v);
}

/* Oldest last slot first; the client id breaks ties so the order, and thus
 * the evicted set, is a function of the entries alone. */
static int by_age(const void *a, const void *b)
{
    const dedup_entry *x = a, *y = b;
    if (x->slot != y->slot) return x->slot < y->slot ? -1 : 1;
    if (x->client != y->client) return x->client < y->client ? -1 : 1;
    return 0;
}

/* Drop the oldest quarter (at least one) in one pass, so the sort is paid
 * once per n/4 new clients rather than on every insert. */
static void evict(dedup *d)
{
    size_t n = d->n, drop = n / 4 ? n / 4 : 1;
    dedup_entry *v = entries(d);
    qsort(v, n, sizeof *v, by_age);
    rebuild(d, d->cap, v + drop, n - drop);
    free(v);
}

void dedup_record(dedup *d, uint64_t client, uint64_t seq, int64_t result, uint64_t slot)
{
    if (seq == 0) return; /* seq 0 is "no deduplication" and marks empty buckets */
    if (d->cap) {
        dedup_entry *e = &d->t[bucket_of(d, client)];
        if (e->seq != 0) {
            e->seq = seq;
            e->result = result;
            e->slot = slot;
            return;
        }
    }
    if (d->n >= d->max) evict(d);
    if ((d->n + 1) * 2 > d->cap) grow(d); /* load factor <= 1/2 */
    dedup_entry e = {.client = client, .seq = seq, .slot = slot, .result = result};
    place(d, &e);
}

static int by_client(const void *a, const void *b)
{
    const dedup_entry *x = a, *y = b;
    return x->client < y->client ? -1 : x->client > y->client;
}

void dedup_export(const dedup *d, dedup_entry *out)
{
    size_t k = 0;
    for (size_t i = 0; i < d->cap; i++)
        if (d->t[i].seq != 0) out[k++] = d->t[i];
    qsort(out, k, sizeof *out, by_client);
}

void dedup_load(dedup *d, const dedup_entry *v, size_t n)
{
    if (n == 0) {
        free(d->t);
        d->t = NULL;
        d->cap = d->n = 0;
        return;
    }
    /* The capacity dedup_record would have grown to: load factor <= 1/2. */
    size_t cap = DEDUP_MIN_CAP;
    while (n * 2 > cap) cap *= 2;
    rebuild(d, cap, v, n);
}

uint64_t dedup_digest(const dedup *d)
{
    uint64_t h = d->n;
    for (size_t i = 0; i < d->cap; i++) {
        const dedup_entry *e = &d->t[i];
        if (e->seq == 0) continue;
        /* Summing per-entry hashes makes the digest independent of bucket
         * order, which legitimately differs with capacity history. */
        h += mix64(e->client ^ mix64(e->seq ^ mix64(e->slot ^ mix64((uint64_t)e->result))));
    }
    return h;
}
