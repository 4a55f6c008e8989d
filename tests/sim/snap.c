/* snap.c -- the learner host's side of snapshots, as learner/main.c does
 * it but on a simulated disk.  After every learner step, a snapshot point
 * that is not yet durable is read out (learner_snapshot_size/read) and
 * "written": the write completes 0..snap_write_max ms later, and only then
 * is the point reported with learner_snapshot_durable.  One write at a
 * time; a newer point is written when the current write completes.  The
 * last completed file survives every crash (tmp + rename: a crash mid-write
 * leaves the old file), and a restarted learner restores it.
 *
 * The snapshot-loss fault (faults.c) deletes a node's file while its
 * learner is down: the learner restarts with nothing.
 *
 * Every file is checked when it becomes durable (`snapshot content`): it
 * parses, its slot is the point's, and its list is exactly the model list
 * after every slot below that slot.  Proposers trim acceptors on these
 * files, so a wrong one would be a silent loss. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"
#include "../../learner/snapshot.h"

void snap_free(sim_snapfile *f)
{
    free(f->buf);
    free(f->wbuf);
    memset(f, 0, sizeof *f);
}

/* The file is gone (the learner is down).  `high` stays: the learner
 * reported that slot durable, and proposers may have trimmed on it. */
void snap_lose(sim_world *w, uint32_t id)
{
    sim_snapfile *f = &w->nodes[id].snap;
    free(f->buf);
    f->buf = NULL;
    f->len = 0;
    f->slot = 0;
    w->nodes[id].snap_lost = 1;
}

/* A node may lose its file if every other node still holds all it ever
 * reported durable (none is recovering from a loss). */
int snap_may_lose(const sim_world *w, uint32_t id)
{
    for (uint32_t n = 1; n <= w->n; n++)
        if (n != id && w->nodes[n].snap.slot < w->nodes[n].snap.high) return 0;
    return 1;
}

/* The learner crashed: a write in flight never completes. */
void snap_crash(sim_world *w, uint32_t id)
{
    sim_snapfile *f = &w->nodes[id].snap;
    free(f->wbuf);
    f->wbuf = NULL;
    f->wlen = 0;
    f->wslot = 0;
}

/* 0 if buf is a valid snapshot of the chosen log at slot, else fail. */
int snap_check(sim_world *w, uint32_t id, const uint8_t *buf, size_t len, uint64_t slot)
{
    px_snap_view v;
    char err[160];
    if (px_snap_parse(buf, len, w->p.lc.dedup_max, &v, err, sizeof err) != 0) {
        sim_fail(w, "snapshot content", "n%u's snapshot at slot %llu does not parse: %s", id,
                 (unsigned long long)slot, err);
        return -1;
    }
    if (v.slot != slot || slot > w->model_next) {
        sim_fail(w, "snapshot content", "n%u's snapshot for point %llu says slot %llu (the "
                 "chosen log is contiguous below %llu)", id, (unsigned long long)slot,
                 (unsigned long long)v.slot, (unsigned long long)w->model_next);
        return -1;
    }
    size_t want = truth_model_at(w, slot);
    if (v.list_len != want) {
        sim_fail(w, "snapshot content", "n%u's snapshot at slot %llu holds %llu elements; the "
                 "chosen log has %zu below that slot", id, (unsigned long long)slot,
                 (unsigned long long)v.list_len, want);
        return -1;
    }
    for (uint64_t i = 0; i < v.list_len; i++) {
        int64_t x = px_snap_value(&v, i);
        if (x != w->model[i]) {
            sim_fail(w, "snapshot content", "n%u's snapshot at slot %llu holds %lld at index "
                     "%llu; the chosen log has %lld", id, (unsigned long long)slot,
                     (long long)x, (unsigned long long)i, (long long)w->model[i]);
            return -1;
        }
    }
    return 0;
}

/* Read the current point out as the host does, in chunks of a random size
 * (the core must serve any split). */
static uint8_t *read_point(sim_world *w, uint32_t id, size_t *len)
{
    const struct learner *l = w->nodes[id].lrn;
    uint64_t size = learner_snapshot_size(l);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) abort();
    uint64_t off = 0;
    size_t chunk = (size_t)sim_rand(w, 1, 3) * 4096 - (size_t)sim_rand(w, 0, 7);
    while (off < size) {
        size_t got = learner_snapshot_read(l, off, buf + off, chunk);
        if (got == 0) break;
        off += got;
    }
    if (off != size || learner_snapshot_read(l, size, buf, 1) != 0) {
        sim_fail(w, "snapshot content", "n%u's learner serves %llu of %llu snapshot bytes", id,
                 (unsigned long long)off, (unsigned long long)size);
        free(buf);
        return NULL;
    }
    *len = (size_t)size;
    return buf;
}

void snap_after_learner(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    sim_snapfile *f = &nd->snap;
    if (w->failed || !nd->up[PX_ROLE_LEARNER] || f->wbuf) return;
    uint64_t s = learner_snapshot_pending(nd->lrn);
    if (s == 0) return;
    if (s <= f->slot || s <= learner_snapshot_upto(nd->lrn)) {
        sim_fail(w, "snapshot went back", "n%u's learner has point %llu pending; its durable "
                 "snapshot is at %llu (on disk %llu)", id, (unsigned long long)s,
                 (unsigned long long)learner_snapshot_upto(nd->lrn), (unsigned long long)f->slot);
        return;
    }
    size_t len;
    uint8_t *buf = read_point(w, id, &len);
    if (!buf) return;
    f->wbuf = buf;
    f->wlen = len;
    f->wslot = s;
    sim_event e = {0};
    e.time = w->now + sim_rand(w, 0, w->p.snap_write_max);
    e.kind = EV_SNAP_WRITE;
    e.role = PX_ROLE_LEARNER;
    e.node = id;
    e.token = nd->gen[PX_ROLE_LEARNER];
    ev_push(w, &e);
}

/* The write reached the disk (file renamed into place): it replaces the
 * old file, and the learner hears that its point is durable. */
void snap_on_write(sim_world *w, sim_event *e)
{
    sim_node *nd = &w->nodes[e->node];
    sim_snapfile *f = &nd->snap;
    if (!nd->up[PX_ROLE_LEARNER] || e->token != nd->gen[PX_ROLE_LEARNER] || !f->wbuf) return;
    trace_add(w, e, NULL);
    w->trace[(w->trace_n - 1) % SIM_TRACE].slot = f->wslot;
    if (snap_check(w, e->node, f->wbuf, f->wlen, f->wslot) != 0) return;
    free(f->buf);
    f->buf = f->wbuf;
    f->len = f->wlen;
    f->slot = f->wslot;
    if (f->slot > f->high) f->high = f->slot;
    f->wbuf = NULL;
    f->wlen = 0;
    f->wslot = 0;
    w->stat_snaps++;
    learner_snapshot_durable(nd->lrn, f->slot);
    if (learner_snapshot_upto(nd->lrn) != f->slot) {
        sim_fail(w, "snapshot durable", "n%u's learner reports snapshot_upto %llu after its "
                 "point %llu became durable", e->node,
                 (unsigned long long)learner_snapshot_upto(nd->lrn), (unsigned long long)f->slot);
        return;
    }
    snap_after_learner(w, e->node); /* a newer point may be waiting */
}

/* A (re)started learner, before anything else: back to its last file. */
void snap_restore(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    sim_snapfile *f = &nd->snap;
    if (!f->buf) return;
    char err[160];
    if (learner_restore_snapshot(nd->lrn, f->buf, f->len, err, sizeof err) != 0) {
        sim_fail(w, "snapshot restore", "n%u's learner refuses its own snapshot (slot %llu, "
                 "%zu bytes): %s", id, (unsigned long long)f->slot, f->len, err);
        return;
    }
    if (learner_applied_upto(nd->lrn) != f->slot || learner_snapshot_upto(nd->lrn) != f->slot)
        sim_fail(w, "snapshot restore", "n%u's learner restored slot %llu but reports "
                 "applied_upto %llu, snapshot_upto %llu", id, (unsigned long long)f->slot,
                 (unsigned long long)learner_applied_upto(nd->lrn),
                 (unsigned long long)learner_snapshot_upto(nd->lrn));
}
