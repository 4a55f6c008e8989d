/* registry.c -- every command id the clients and the gateways sent, and
 * what the chosen log did with it.  A direct client's ids are (its id,
 * seq); an HTTP client's are whatever its gateway picked: a pooled
 * session's (random base + i, next seq), or an Idempotency-Key's
 * (FNV-1a(key) | 2^63, 1), shared by every retry with that key.  The
 * checker looks commands up by id (validity, results) and appends by value
 * (values are unique in a run), and keeps the model learner's dedup: the
 * last applied seq of each client id. */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t id_hash(uint64_t client, uint64_t seq)
{
    return mix(client ^ mix(seq));
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

/* The slot of (client, seq) in rec_by_id: its record's or an empty one. */
static size_t id_slot(const sim_world *w, uint64_t client, uint64_t seq)
{
    size_t mask = w->rec_slots - 1, i = (size_t)id_hash(client, seq) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t r = w->rec_by_id[i];
        if (r == 0 || (w->recs[r].client == client && w->recs[r].seq == seq)) return i;
    }
}

static size_t value_slot(const sim_world *w, int64_t value)
{
    size_t mask = w->rec_slots - 1, i = (size_t)mix((uint64_t)value) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t r = w->rec_by_value[i];
        if (r == 0 || w->recs[r].value == value) return i;
    }
}

static void index_rec(sim_world *w, uint32_t r)
{
    const sim_rec *rec = &w->recs[r];
    w->rec_by_id[id_slot(w, rec->client, rec->seq)] = r;
    if (rec->kind == PX_CMD_APPEND) w->rec_by_value[value_slot(w, rec->value)] = r;
}

/* Keep the tables at most half full. */
static void maybe_grow(sim_world *w)
{
    if (2 * (w->n_recs + 1) < w->rec_slots) return;
    size_t n = w->rec_slots ? w->rec_slots * 2 : 1024;
    free(w->rec_by_id);
    free(w->rec_by_value);
    w->rec_by_id = calloc(n, sizeof *w->rec_by_id);
    w->rec_by_value = calloc(n, sizeof *w->rec_by_value);
    if (!w->rec_by_id || !w->rec_by_value) abort();
    w->rec_slots = n;
    for (uint32_t r = 1; r < w->n_recs; r++) index_rec(w, r);
}

sim_rec *reg_find(sim_world *w, uint64_t client, uint64_t seq)
{
    if (w->rec_slots == 0) return NULL;
    uint32_t r = w->rec_by_id[id_slot(w, client, seq)];
    return r ? &w->recs[r] : NULL;
}

sim_rec *reg_by_value(sim_world *w, int64_t value)
{
    if (w->rec_slots == 0) return NULL;
    uint32_t r = w->rec_by_value[value_slot(w, value)];
    return r ? &w->recs[r] : NULL;
}

/* The record of (client, seq), new or (a retry under the same id) the
 * existing one; 0 if the id is taken by another command (two keys with
 * one FNV-1a hash, or two gateways drawing overlapping bases: a collision
 * the simulator must not blame on the system). */
uint32_t reg_add(sim_world *w, uint64_t client, uint64_t seq, uint8_t kind, int64_t value,
                 uint32_t ci, uint64_t op)
{
    if (w->n_recs == 0) w->n_recs = 1; /* index 0 means none */
    maybe_grow(w);
    sim_rec *old = reg_find(w, client, seq);
    if (old) {
        if (old->kind == kind && old->value == value) return (uint32_t)(old - w->recs);
        sim_fail(w, "sim id collision", "command id (%llu, %llu) sent for two commands",
                 (unsigned long long)client, (unsigned long long)seq);
        return 0;
    }
    if (w->n_recs >= w->cap_recs) {
        w->cap_recs = w->cap_recs ? w->cap_recs * 2 : 256;
        w->recs = xrealloc(w->recs, w->cap_recs * sizeof *w->recs);
    }
    uint32_t r = (uint32_t)w->n_recs++;
    sim_rec *rec = &w->recs[r];
    memset(rec, 0, sizeof *rec);
    rec->client = client;
    rec->seq = seq;
    rec->kind = kind;
    rec->value = value;
    rec->ci = ci;
    rec->op = op;
    index_rec(w, r);
    return r;
}

/* The model's dedup entry of a client id (created at 0; client ids are
 * never 0).  The learners must remember every id the run uses (dedup_max
 * is set above that), or an evicted one would legitimately apply twice;
 * past it the run fails `sim bound`, not the system. */
uint64_t *reg_last(sim_world *w, uint64_t client)
{
    if (2 * (w->n_lasts + 1) >= w->lasts_cap) {
        size_t old = w->lasts_cap, n = old ? old * 2 : 256;
        struct sim_last *t = calloc(n, sizeof *t), *o = w->lasts;
        if (!t) abort();
        w->lasts = t;
        w->lasts_cap = n;
        for (size_t i = 0; i < old; i++) {
            if (o[i].client == 0) continue;
            size_t j = (size_t)mix(o[i].client) & (n - 1);
            while (t[j].client != 0) j = (j + 1) & (n - 1);
            t[j] = o[i];
        }
        free(o);
    }
    size_t mask = w->lasts_cap - 1, i = (size_t)mix(client) & mask;
    while (w->lasts[i].client != 0 && w->lasts[i].client != client) i = (i + 1) & mask;
    if (w->lasts[i].client == 0) {
        if (w->n_lasts >= w->p.lc.dedup_max)
            sim_fail(w, "sim bound", "more than %u client ids: learners would evict",
                     w->p.lc.dedup_max);
        w->lasts[i].client = client;
        w->n_lasts++;
    }
    return &w->lasts[i].last;
}

void reg_free(sim_world *w)
{
    free(w->recs);
    free(w->rec_by_id);
    free(w->rec_by_value);
    free(w->lasts);
    w->recs = NULL;
    w->rec_by_id = w->rec_by_value = NULL;
    w->lasts = NULL;
    w->n_recs = w->cap_recs = w->rec_slots = w->n_lasts = w->lasts_cap = 0;
}
