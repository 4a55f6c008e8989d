/* truth.c -- the checker's ground truth, built only from messages the
 * cores actually emitted: every ACCEPT (slot, ballot, value) a proposer
 * sent, and which acceptors sent ACCEPTED for it.  A slot is chosen when a
 * real majority (n/2 + 1, computed here, never px_quorum) voted for one
 * (slot, ballot).  The model list is what a correct learner gets by
 * applying the chosen slots in order with per-client deduplication; every
 * learner's list must be a prefix of it. */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

uint32_t sim_majority(const sim_world *w)
{
    return w->n / 2 + 1;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 29);
}

uint64_t inv_value_hash(const px_value *v)
{
    uint64_t h = mix(0x5158, v->n);
    for (uint16_t i = 0; i < v->n && i < PX_MAX_BATCH; i++) {
        const px_cmd *c = &v->cmds[i];
        h = mix(h, c->kind);
        h = mix(h, c->client);
        h = mix(h, c->seq);
        h = mix(h, (uint64_t)c->value);
    }
    return h;
}

static truth_slot *truth_slot_get(sim_world *w, uint64_t slot)
{
    if (slot >= SIM_MAX_SLOT) {
        sim_fail(w, "runaway slot", "slot %llu is past %u", (unsigned long long)slot, SIM_MAX_SLOT);
        return NULL;
    }
    if (slot >= w->truth_cap) {
        size_t cap = w->truth_cap ? w->truth_cap : 256;
        while (cap <= slot) cap *= 2;
        w->truth = realloc(w->truth, cap * sizeof *w->truth);
        if (!w->truth) abort();
        memset(w->truth + w->truth_cap, 0, (cap - w->truth_cap) * sizeof *w->truth);
        w->truth_cap = cap;
    }
    return &w->truth[slot];
}

truth_vote *truth_find(sim_world *w, uint64_t slot, px_ballot b)
{
    if (slot >= w->truth_cap) return NULL;
    truth_slot *s = &w->truth[slot];
    for (uint32_t i = 0; i < s->n; i++)
        if (px_ballot_cmp(s->v[i].b, b) == 0) return &s->v[i];
    return NULL;
}

const truth_vote *truth_chosen(const sim_world *w, uint64_t slot)
{
    if (slot >= w->truth_cap || !w->truth[slot].chosen) return NULL;
    return &w->truth[slot].v[w->truth[slot].chosen_ix];
}

/* Every command a proposer puts in a slot must have been submitted by a
 * client or a gateway, exactly as submitted (validity). */
static void check_validity(sim_world *w, uint32_t from, const px_accept *a)
{
    for (uint16_t i = 0; i < a->value.n; i++) {
        const px_cmd *c = &a->value.cmds[i];
        const sim_rec *rec = reg_find(w, c->client, c->seq);
        if (!rec || rec->kind != c->kind || rec->value != c->value) {
            sim_fail(w, "validity",
                     "n%u proposes slot %llu with command (client %llu, seq %llu, kind %u, "
                     "value %lld) that no client submitted",
                     from, (unsigned long long)a->slot, (unsigned long long)c->client,
                     (unsigned long long)c->seq, c->kind, (long long)c->value);
            return;
        }
    }
}

void truth_propose(sim_world *w, uint32_t from, const px_accept *a)
{
    check_validity(w, from, a);
    truth_slot *s = w->failed ? NULL : truth_slot_get(w, a->slot);
    if (!s) return;
    uint64_t h = inv_value_hash(&a->value);
    truth_vote *v = truth_find(w, a->slot, a->ballot);
    if (v) {
        if (v->hash != h)
            sim_fail(w, "one value per ballot",
                     "n%u proposes a second, different value for slot %llu at ballot (%llu,%u): "
                     "first %u commands (first: client %llu seq %llu), now %u (first: client "
                     "%llu seq %llu)", from, (unsigned long long)a->slot,
                     (unsigned long long)a->ballot.round, a->ballot.node, v->n,
                     v->n ? (unsigned long long)v->cmds[0].client : 0ull,
                     v->n ? (unsigned long long)v->cmds[0].seq : 0ull, a->value.n,
                     a->value.n ? (unsigned long long)a->value.cmds[0].client : 0ull,
                     a->value.n ? (unsigned long long)a->value.cmds[0].seq : 0ull);
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 2;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) abort();
    }
    v = &s->v[s->n++];
    memset(v, 0, sizeof *v);
    v->b = a->ballot;
    v->hash = h;
    v->n = a->value.n;
    v->cmds = malloc((a->value.n ? a->value.n : 1) * sizeof *v->cmds);
    if (!v->cmds) abort();
    memcpy(v->cmds, a->value.cmds, a->value.n * sizeof *v->cmds);
}

/* The model learner: apply one chosen command.  Appends are deduplicated
 * per client id (a seq at or below the last applied one is not applied
 * again); reads are not -- the learner only dedups appends -- so a retried
 * read may be applied twice, and either application is a valid answer. */
static void model_apply(sim_world *w, const px_cmd *c)
{
    sim_rec *rec = reg_find(w, c->client, c->seq);
    if (!rec || c->seq == 0) return; /* validity already failed */
    if (c->kind == PX_CMD_READ) {
        if (!rec->applied) rec->model_result = (int64_t)w->model_len;
        rec->model_last = (int64_t)w->model_len;
        rec->applied = 1;
        return;
    }
    uint64_t *last = reg_last(w, c->client);
    if (c->seq <= *last) return; /* DUP or STALE: not applied */
    *last = c->seq;
    rec->applied = 1;
    rec->model_result = rec->model_last = (int64_t)w->model_len;
    if (w->model_len == w->model_cap) {
        w->model_cap = w->model_cap ? w->model_cap * 2 : 1024;
        w->model = realloc(w->model, w->model_cap * sizeof *w->model);
        if (!w->model) abort();
    }
    w->model[w->model_len++] = c->value;
    inv_model_applied(w, rec);
}

/* The model list length after every slot below slot (first_slot <= slot
 * <= model_next): what a learner's list must hold at applied_upto = slot,
 * and a snapshot at slot. */
size_t truth_model_at(const sim_world *w, uint64_t slot)
{
    if (slot <= w->first_slot || slot > w->model_next || slot >= w->model_at_cap) return 0;
    return w->model_at[slot];
}

static void model_advance(sim_world *w)
{
    const truth_vote *v;
    while ((v = truth_chosen(w, w->model_next)) != NULL) {
        for (uint16_t i = 0; i < v->n; i++) model_apply(w, &v->cmds[i]);
        w->model_next++;
        if (w->model_next >= w->model_at_cap) {
            size_t cap = w->model_at_cap ? w->model_at_cap * 2 : 256;
            while (cap <= w->model_next) cap *= 2;
            w->model_at = realloc(w->model_at, cap * sizeof *w->model_at);
            if (!w->model_at) abort();
            w->model_at_cap = cap;
        }
        w->model_at[w->model_next] = w->model_len;
    }
}

void truth_accepted(sim_world *w, uint32_t acceptor, const px_accepted *a)
{
    truth_vote *v = truth_find(w, a->slot, a->ballot);
    if (!v) {
        sim_fail(w, "vote without proposal",
                 "acceptor n%u votes ACCEPTED(slot %llu, ballot (%llu,%u)) that no proposer sent",
                 acceptor, (unsigned long long)a->slot, (unsigned long long)a->ballot.round,
                 a->ballot.node);
        return;
    }
    v->acks |= 1u << acceptor;
    if ((uint32_t)__builtin_popcount(v->acks) < sim_majority(w)) return;
    truth_slot *s = &w->truth[a->slot];
    if (s->chosen) {
        const truth_vote *c = &s->v[s->chosen_ix];
        if (c->hash != v->hash)
            sim_fail(w, "agreement",
                     "slot %llu chosen twice with different values: at ballot (%llu,%u) and "
                     "at ballot (%llu,%u)",
                     (unsigned long long)a->slot, (unsigned long long)c->b.round, c->b.node,
                     (unsigned long long)v->b.round, v->b.node);
        return;
    }
    s->chosen = 1;
    s->chosen_ix = (uint32_t)(v - s->v);
    w->stat_chosen++;
    model_advance(w);
}

void truth_free(sim_world *w)
{
    for (size_t i = 0; i < w->truth_cap; i++) {
        for (uint32_t j = 0; j < w->truth[i].n; j++) free(w->truth[i].v[j].cmds);
        free(w->truth[i].v);
    }
    free(w->truth);
    free(w->model);
    free(w->model_at);
    w->model_at = NULL;
    w->model_at_cap = 0;
    w->truth = NULL;
    w->model = NULL;
    w->truth_cap = w->model_len = w->model_cap = 0;
}
