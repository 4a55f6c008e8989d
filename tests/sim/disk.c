/* disk.c -- the acceptor's simulated disk.  Records the core emits are
 * "written, not durable" until a sync completes (0..sync_max ms later);
 * one sync covers everything written so far (group commit) and is then
 * reported with acceptor_durable.  A crash loses what was not synced --
 * except that with a torn tail a prefix of it may have reached the platter
 * anyway -- and never loses a durable record. */
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
}
