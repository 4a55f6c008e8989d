/* disk.c -- the acceptor's simulated disk.  Records the core emits are
 * "written, not durable" until a sync completes (0..sync_max ms later);
 * one sync covers everything written so far (group commit) and is then
 * reported with acceptor_durable.  A crash loses what was not synced --
 * except that with a torn tail a prefix of it may have reached the platter
 * anyway -- and never loses a durable record.
 *
 * Log rewrites (acc_store_rewrite in acceptor/store.c): sometimes, when
 * every record is durable, the record list is replaced by what
 * acceptor_export() gives, as the host does after compaction.  The running
 * acceptor does not notice (its record seqs go on); only a restart replays
 * the rewritten list, and `acceptor forgot vote` / `acceptor forgot
 * promise` judge it then.  The export is also replayed at once into a
 * fresh acceptor, which must hold exactly the same state (`log rewrite`). */
#include <stdlib.h>
#include "sim.h"

static void disk_append(sim_disk *d, const acc_record *r, uint64_t seq)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->v = realloc(d->v, d->cap * sizeof *d->v);
        d->seq = realloc(d->seq, d->cap * sizeof *d->seq);
        if (!d->v || !d->seq) abort();
    }
    d->v[d->n] = *r;
    d->seq[d->n] = seq;
    d->n++;
}

void disk_write(sim_world *w, uint32_t id, const acc_records *r)
{
    sim_node *nd = &w->nodes[id];
    sim_disk *d = &nd->disk;
    for (size_t i = 0; i < r->n; i++)
        disk_append(d, &r->v[i], r->last_seq - (r->n - 1 - i));
    if (!d->sync_pending && d->n > d->durable) {
        sim_event e = {0};
        e.time = w->now + sim_rand(w, 0, w->p.sync_max);
        e.kind = EV_SYNC;
        e.role = PX_ROLE_ACCEPTOR;
        e.node = id;
        e.token = nd->gen[PX_ROLE_ACCEPTOR];
        ev_push(w, &e);
        d->sync_pending = 1;
    }
}

/* Records and replies the acceptor produced go out: records to the disk
 * first (the core holds replies that depend on them), then messages. */
void acc_output(sim_world *w, uint32_t id)
{
    if (w->aout.persist.n) disk_write(w, id, &w->aout.persist);
    net_send(w, id, PX_ROLE_ACCEPTOR, &w->aout.msgs);
    net_send(w, id, PX_ROLE_ACCEPTOR, &w->aout.votes); /* after their ACCEPTEDs */
}

typedef struct rewrite_buf {
    sim_disk nd;
    uint64_t seq;
} rewrite_buf;

static void rewrite_add(void *arg, const acc_record *r)
{
    rewrite_buf *rb = arg;
    disk_append(&rb->nd, r, rb->seq);
}

/* The rewritten log must rebuild the acceptor exactly: same promise, same
 * mark, the same (ballot, value) in every slot, nothing more. */
static void rewrite_verify(sim_world *w, uint32_t id, const sim_disk *nd)
{
    const struct acceptor *a = w->nodes[id].acc;
    struct acceptor *b = acceptor_new(id);
    for (size_t i = 0; i < nd->n; i++) acceptor_restore(b, &nd->v[i]);
    const char *what = NULL;
    uint64_t bad = 0;
    if (px_ballot_cmp(acceptor_promised(a), acceptor_promised(b)) != 0) what = "promise";
    else if (acceptor_trimmed(a) != acceptor_trimmed(b)) what = "mark";
    else if (acceptor_accepted_count(a) != acceptor_accepted_count(b)) what = "entry count";
    uint64_t lo = acceptor_lowest_slot(a), hi = acceptor_highest_slot(a);
    for (uint64_t s = lo; !what && acceptor_accepted_count(a) && s <= hi; s++) {
        px_ballot ba, bb;
        const px_value *va, *vb;
        int ha = acceptor_accepted(a, s, &ba, &va);
        uint64_t h = ha ? inv_value_hash(va) : 0;
        int hb = acceptor_accepted(b, s, &bb, &vb);
        if (ha != hb || (ha && (px_ballot_cmp(ba, bb) != 0 || h != inv_value_hash(vb)))) {
            what = "entry";
            bad = s;
        }
    }
    if (what)
        sim_fail(w, "log rewrite", "n%u's acceptor exports %zu records whose replay differs "
                 "in its %s (slot %llu)", id, nd->n, what, (unsigned long long)bad);
    acceptor_free(b);
}

/* Every record is durable: maybe rewrite the log from the export, as the
 * host does once the log has grown or the mark moved since the last time
 * (bounded, so a run does not spend itself copying logs). */
static void maybe_rewrite(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    sim_disk *d = &nd->disk;
    const struct acceptor *a = nd->acc;
    if (w->failed || d->durable != d->n ||
        acceptor_emitted_seq(a) != acceptor_durable_seq(a)) return;
    if (acceptor_trimmed(a) == d->rewrite_trim && d->n < 2 * d->rewrite_n + 16) return;
    if (!sim_chance(w, w->p.rewrite_pm)) return;
    rewrite_buf rb = {.seq = acceptor_emitted_seq(a)};
    acceptor_export(a, rewrite_add, &rb);
    rewrite_verify(w, id, &rb.nd);
    trace_note(w, "log rewrite (x = records before)", id, PX_ROLE_ACCEPTOR, d->n);
    free(d->v);
    free(d->seq);
    d->v = rb.nd.v;
    d->seq = rb.nd.seq;
    d->n = d->durable = rb.nd.n;
    d->cap = rb.nd.cap;
    d->rewrite_n = d->n;
    d->rewrite_trim = acceptor_trimmed(a);
    w->stat_rewrites++;
}

void disk_on_sync(sim_world *w, sim_event *e)
{
    sim_node *nd = &w->nodes[e->node];
    sim_disk *d = &nd->disk;
    if (!nd->up[PX_ROLE_ACCEPTOR] || e->token != nd->gen[PX_ROLE_ACCEPTOR]) return;
    d->sync_pending = 0;
    if (d->durable == d->n) return;
    d->durable = d->n;
    acc_out_clear(&w->aout);
    acceptor_durable(nd->acc, d->seq[d->n - 1], &w->aout);
    acc_output(w, e->node);
    inv_after_acceptor(w, e->node, NULL, &w->aout.persist);
    if (d->durable == d->n) maybe_rewrite(w, e->node);
}

void disk_crash(sim_world *w, uint32_t id)
{
    sim_disk *d = &w->nodes[id].disk;
    size_t keep = d->durable;
    if (d->n > d->durable && sim_chance(w, w->p.torn_pm))
        keep += (size_t)sim_rand(w, 0, d->n - d->durable);
    d->n = keep;
    d->durable = keep; /* whatever survived is on disk now */
    d->sync_pending = 0;
}

/* Restart: replay every record that survived, in log order. */
void disk_restore(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    for (size_t i = 0; i < nd->disk.n; i++) acceptor_restore(nd->acc, &nd->disk.v[i]);
}

void disk_free(sim_disk *d)
{
    free(d->v);
    free(d->seq);
    d->v = NULL;
    d->seq = NULL;
    d->n = d->cap = d->durable = 0;
    d->rewrite_n = 0;
    d->rewrite_trim = 0;
}
