/* gen.h -- random small histories for cross-checking paxos-check against
 * brute force.  A history comes from a real sequential execution: each op
 * takes effect atomically at a random moment between its invocation and
 * completion, so an unmutated history is linearizable by construction.
 * Completions are :ok, :fail (only if it never took effect), :info (may
 * take effect later or never) or missing; results use every form the
 * checker reads.  A mutated history has one random corruption and may or
 * may not still be linearizable. */
#ifndef PX_GEN_H
#define PX_GEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_MAX_OPS 10

typedef struct gen_opts {
    int max_ops;      /* 1..GEN_MAX_OPS client ops */
    int max_procs;    /* concurrency */
    int mutate;       /* apply one corruption */
} gen_opts;

uint64_t gen_rand(uint64_t *state);

/* Writes an EDN history into buf (NUL-terminated); returns its length, or
 * 0 if it would not fit.  Same seed, same history. */
size_t gen_small(uint64_t seed, const gen_opts *o, char *buf, size_t cap);

#endif
