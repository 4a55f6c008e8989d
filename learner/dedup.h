/* dedup.h -- the learner's deduplication table: client -> the last applied
 * command's seq, its result and the slot it was applied in.
 *
 * It is part of the replicated state, so it must evolve identically on every
 * learner that applies the same log: insertion, lookup and eviction depend
 * only on the sequence of dedup_record() calls, never on addresses, time or
 * the table's capacity history.  Bounded by max entries; when a new client
 * arrives at a full table the quarter of entries with the oldest last slot
 * (ties broken by client id) is dropped.
 */
#ifndef PX_LEARNER_DEDUP_H
#define PX_LEARNER_DEDUP_H

#include <stddef.h>
#include <stdint.h>

struct learner;

typedef struct dedup_entry {
    uint64_t client;
    uint64_t seq; /* 0 marks an empty bucket: only seq > 0 is ever recorded */
    uint64_t slot;
    int64_t result;
} dedup_entry;

typedef struct dedup {
    dedup_entry *t; /* open addressing, linear probing, cap a power of two */
    size_t cap, n, max;
} dedup;

void dedup_init(dedup *d, size_t max);
void dedup_free(dedup *d);
/* The client's entry, or NULL.  Valid until the next dedup_record(). */
const dedup_entry *dedup_find(const dedup *d, uint64_t client);
/* Remember (seq, result, slot) as the client's latest; evicts if needed. */
void dedup_record(dedup *d, uint64_t client, uint64_t seq, int64_t result, uint64_t slot);
/* Order-independent hash of every entry: equal tables, equal digests. */
uint64_t dedup_digest(const dedup *d);

/* Snapshots.  The table's behaviour depends only on its set of entries
 * (eviction sorts them by slot, then client), so exporting the entries and
 * loading them back restores it exactly, whatever the bucket layout.
 * dedup_export writes the d->n entries into out in increasing client
 * order; dedup_load replaces the table's contents with v[0..n), which must
 * hold distinct clients with seq > 0 and n <= the table's max. */
void dedup_export(const dedup *d, dedup_entry *out);
void dedup_load(dedup *d, const dedup_entry *v, size_t n);

/* Test hook (kept out of learner.h so the shared header stays as agreed):
 * the learner's table, for comparing two learners entry by entry. */
const dedup *learner_dedup(const struct learner *l);

#endif
