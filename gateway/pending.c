/* pending.c -- client sessions and the commands waiting for results.
 *
 * Exactly-once: the learners apply each (client, seq) at most once and
 * answer a retry of the last one with its original result (flag DUP).  The
 * gateway is many clients at once: a pool of sessions, each a client id
 * with its own increasing seq.  A request borrows a free session, uses
 * seq + 1 for all its resends, and gives the session back.  A command that
 * timed out may still be applied later; its session goes on with higher
 * seqs, so the late one can only be applied once, or be refused as STALE
 * if a later seq of the same session got in first -- never applied twice.
 *
 * Client ids are a random 64-bit base (drawn at startup) plus the session
 * index, with the top bit clear, so ids of a restarted gateway do not meet
 * the dedup entries of its previous life.  Idempotency-Key ids have the top
 * bit set (see gw_idem_client).
 *
 * Part of the gateway's pure core (core.h); the process calls it under
 * gw.mu. */
#include <string.h>

#include "core.h"

void gw_pending_init(gw_pending *p, uint64_t base)
{
    memset(p, 0, sizeof(*p));
    for (int i = 0; i < GW_SESSIONS; i++) {
        p->sessions[i].client = (base + (uint64_t)i) & ~(1ull << 63);
        if (p->sessions[i].client == 0) p->sessions[i].client = 1ull << 62;
        p->sessions[i].next_free = i + 1 < GW_SESSIONS ? i + 1 : -1;
    }
    p->free_head = 0;
}

int gw_session_take(gw_pending *p)
{
    int i = p->free_head;
    if (i >= 0) p->free_head = p->sessions[i].next_free;
    return i;
}

void gw_session_give(gw_pending *p, int i)
{
    p->sessions[i].next_free = p->free_head;
    p->free_head = i;
}

static size_t bucket(uint64_t client, uint64_t seq)
{
    uint64_t h = (client ^ (seq * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (size_t)(h >> 32) % GW_WAIT_BUCKETS;
}

void gw_waiter_add(gw_pending *p, gw_waiter *w)
{
    gw_waiter **head = &p->buckets[bucket(w->client, w->seq)];
    w->next = *head;
    if (w->next) w->next->pprev = &w->next;
    w->pprev = head;
    *head = w;
}

void gw_waiter_del(gw_waiter *w)
{
    /* a waiter still on the ready list stays linked there: the core
     * unlinks it when it leaves the command phase (core.c, async_del) */
    if (w->pprev == NULL) return;
    *w->pprev = w->next;
    if (w->next) w->next->pprev = w->pprev;
    w->next = NULL;
    w->pprev = NULL;
}

/* The next tick acts on ready waiters (resume, or reschedule after a
 * NACK) without scanning every waiter. */
static void make_ready(gw_pending *p, gw_waiter *w)
{
    if (w->on_ready) return;
    w->on_ready = 1;
    w->ready_next = p->ready;
    p->ready = w;
}

int gw_pending_result(gw_pending *p, const px_applied *a, const px_applied_entry *e)
{
    int n = 0;
    for (gw_waiter *w = p->buckets[bucket(e->cmd.client, e->cmd.seq)]; w; w = w->next) {
        if (w->client != e->cmd.client || w->seq != e->cmd.seq || w->done) continue;
        w->done = 1;
        w->res = *e;
        w->slot = a->slot;
        w->list_len = a->list_len;
        make_ready(p, w);
        n++;
    }
    return n;
}

int gw_pending_nack(gw_pending *p, const px_nack *nk)
{
    int n = 0;
    for (gw_waiter *w = p->buckets[bucket(nk->client, nk->seq)]; w; w = w->next) {
        if (w->client != nk->client || w->seq != nk->seq) continue;
        w->nacks++;
        if (nk->reason == PX_NACK_NO_LEADER) {
            w->nacks_no_leader++;
            if (nk->attempt >= 1 && nk->attempt <= GW_ATTEMPT_BITS)
                w->refused_mask |= UINT64_C(1) << (nk->attempt - 1);
        }
        w->last_nack = nk->reason;
        if (nk->leader_hint) w->leader_hint = nk->leader_hint;
        make_ready(p, w);
        n++;
    }
    return n;
}

/* The 503 / 504 rule (see core.c).  An attempt that a proposer NACKs
 * NO_LEADER was never put in a slot, so if every attempt that left us was
 * NACKed so, the command cannot be chosen: "not applied".  Any attempt not
 * accounted for by such a NACK may sit in some leader's pipeline.  Attempts
 * are told apart by number (NACK.attempt echoes REQUEST.attempt): two
 * refusals of one duplicated attempt say nothing of another. */
int gw_waiter_outcome(const gw_waiter *w)
{
    if (w->done) return (w->res.flags & PX_APPLIED_STALE) ? GW_STALE : GW_DONE;
#ifdef PX_MUTANT_GATEWAY_503_SILENT
    /* MUTANT GATEWAY_503_SILENT: one NO_LEADER NACK is taken to mean that
     * no attempt was queued, though an earlier one went unanswered. */
    if (w->nacks_no_leader > 0 || w->sent == 0) return GW_NOT_APPLIED;
#else
    if (!w->attempts_overflow && (w->sent_mask & ~w->refused_mask) == 0) return GW_NOT_APPLIED;
#endif
    return GW_UNKNOWN;
}

uint64_t gw_fnv1a64(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t gw_idem_client(const char *key)
{
    return gw_fnv1a64(key, strlen(key)) | (1ull << 63);
}
