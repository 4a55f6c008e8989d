/* main.c -- the learner process: sockets, a clock and the snapshot file
 * around the pure learner core, which applies chosen slots in order and
 * reports each one to this node's gateway.
 *
 * Snapshot file: data/nodeN/learner.snap, replaced atomically (written to
 * learner.snap.tmp, fsynced, renamed, directory fsynced) whenever the core
 * has a point not yet on disk; only then is the core told it is durable,
 * since proposers let acceptors forget the log on that word.  At start the
 * file is restored; one that does not check out stops the process: going
 * on without it would silently lose state acceptors may have forgotten. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/faults.h"
#include "../common/fileio.h"
#include "../common/log.h"
#include "../common/ready.h"
#include "../common/proc.h"
#include "learner.h"
#include "snapshot.h"

#define DRAIN_MAX 256
#define WAIT_CAP_MS 10

#define SNAP_FILE "learner.snap"
#define SNAP_TMP "learner.snap.tmp"
#define SNAP_IO 65536          /* bytes per write */
#define SNAP_RETRY_MS 1000     /* after a failed write */

typedef struct learn_proc {
    px_proc p;
    struct learner *core;
    px_outbox out;
    px_msg *msg;
    uint64_t logged_applied; /* last applied_upto we logged progress for */
    uint64_t receiving;      /* the snapshot a transfer from a peer is bringing, 0 if none */
    uint64_t snap_bytes;     /* size of learner.snap, 0 if none */
    uint64_t snap_retry_at;  /* no write attempt before this (after a failure) */
    uint8_t *io;             /* SNAP_IO bytes */
    uint64_t snaps_written;  /* snapshots made durable by this process (metrics) */
    uint64_t snaps_fetched;  /* ... of them, installed from a peer's */
} learn_proc;

#define LIST_TAIL 8 /* last elements of the list in the status JSON (the cluster page) */

static void make_config(const px_proc *p, learner_config *lc)
{
    memset(lc, 0, sizeof *lc);
    lc->id = p->self;
    lc->n_nodes = p->cfg.n_nodes;
    for (uint32_t i = 0; i < p->cfg.n_nodes; i++) lc->node_ids[i] = p->cfg.nodes[i].id;
    /* ask for missed slots at the proposers' retransmit pace; report our
     * progress (the compaction seam) a few times per heartbeat window */
    lc->catchup_ms = p->cfg.retransmit_ms;
    lc->status_ms = p->cfg.heartbeat_ms * 2;
    lc->dedup_max = LEARNER_DEDUP_MAX;
    lc->snapshot_every = p->cfg.snapshot_every;
}

/* [v,v,...]: the last LIST_TAIL elements of the applied list. */
static const char *tail_json(const int64_t *list, size_t len, char *buf, size_t cap)
{
    size_t off = 0, from = len > LIST_TAIL ? len - LIST_TAIL : 0;
    buf[off++] = '[';
    for (size_t i = from; i < len && off < cap; i++) {
        int w = snprintf(buf + off, cap - off, "%s%lld", i > from ? "," : "", (long long)list[i]);
        if (w > 0) off += (size_t)w;
    }
    if (off + 2 > cap) off = 1; /* cannot happen with the caller's buffer; stay JSON */
    buf[off++] = ']';
    buf[off] = 0;
    return buf;
}

static void status_json(void *arg, char *json, size_t cap)
{
    char rej[1024], tail[LIST_TAIL * 24 + 8], sent[1024];
    learn_proc *lp = arg;
    size_t len;
    const int64_t *list = learner_list(lp->core, &len);
    snprintf(json, cap,
             "{\"role\":\"learner\",\"node\":%u,\"applied_upto\":%llu,\"known_chosen\":%llu,"
             "\"list_length\":%zu,\"dedup_size\":%zu,\"pending\":%zu,\"snapshot_upto\":%llu,"
             "\"snapshot_bytes\":%llu,\"retained\":%zu,\"snapshots_written\":%llu,"
             "\"snapshots_fetched\":%llu,\"list_tail\":%s,\"vote_tallies\":%zu,"
             "\"decided_by_votes\":%llu,\"sent\":%s,\"rejected_frames\":%s}",
             lp->p.self, (unsigned long long)learner_applied_upto(lp->core),
             (unsigned long long)learner_known_chosen(lp->core), len,
             learner_dedup_size(lp->core), learner_pending(lp->core),
             (unsigned long long)learner_snapshot_upto(lp->core),
             (unsigned long long)lp->snap_bytes, learner_retained(lp->core),
             (unsigned long long)lp->snaps_written, (unsigned long long)lp->snaps_fetched,
             tail_json(list, len, tail, sizeof tail),
             learner_tallies(lp->core), (unsigned long long)learner_votes_decided(lp->core),
             px_net_sent_json(lp->p.net, sent, sizeof sent),
             px_proc_rejected_json(&lp->p, rej, sizeof rej));
}

/* A snapshot fetched from a peer (the log below it forgotten by the
 * acceptors) is worth a line when it starts and when it is installed. */
static void log_transfer(learn_proc *lp)
{
    uint64_t now = learner_snapshot_receiving(lp->core);
    if (now == lp->receiving) return;
    if (now != 0)
        px_info("fetching the snapshot at slot %llu from a peer", (unsigned long long)now);
    else if (learner_applied_upto(lp->core) >= lp->receiving) {
        px_info("installed the snapshot at slot %llu from a peer", (unsigned long long)lp->receiving);
        lp->snaps_fetched++;
    }
    lp->receiving = now;
}

/* A learner far behind is worth one line when it catches up. */
static void log_progress(learn_proc *lp)
{
    uint64_t applied = learner_applied_upto(lp->core);
    uint64_t known = learner_known_chosen(lp->core);
    if (applied - lp->logged_applied >= 1000 && applied >= known) {
        px_info("caught up: applied up to slot %llu", (unsigned long long)applied);
        lp->logged_applied = applied;
    }
}

static void snap_path(const learn_proc *lp, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", lp->p.dir, name);
}

/* The core's current point into fd, for px_replace_file. */
static int fill_snapshot(void *arg, int fd)
{
    learn_proc *lp = arg;
    uint64_t size = learner_snapshot_size(lp->core), off = 0;
    while (off < size) {
        size_t n = learner_snapshot_read(lp->core, off, lp->io, SNAP_IO);
        if (px_write_full(fd, lp->io, n) < 0) return -1;
        off += n;
    }
    return 0;
}

/* Put the core's pending point on disk, atomically, then report it
 * durable.  A failure is logged and retried later: the learner goes on
 * without a new snapshot, which only delays compaction. */
static void snap_save(learn_proc *lp)
{
    uint64_t slot = learner_snapshot_pending(lp->core);
    if (slot == 0 || px_now_ms() < lp->snap_retry_at) return;
    uint64_t t0 = px_now_ms(), size = learner_snapshot_size(lp->core);
    char err[1024];
    if (px_replace_file(lp->p.dir, SNAP_FILE, fill_snapshot, lp, lp->p.cfg.fsync, err,
                        sizeof err) < 0) {
        px_error("snapshot at slot %llu: %s (retrying in %d ms)", (unsigned long long)slot, err,
                 SNAP_RETRY_MS);
        lp->snap_retry_at = px_now_ms() + SNAP_RETRY_MS;
        return;
    }
    learner_snapshot_durable(lp->core, slot);
    lp->snap_bytes = size;
    lp->snaps_written++;
    px_info("snapshot at slot %llu written: %llu bytes in %llu ms", (unsigned long long)slot,
            (unsigned long long)size, (unsigned long long)(px_now_ms() - t0));
}

/* Whole file into a malloc'd buffer; NULL with *why set, or errno ENOENT. */
static uint8_t *read_file(const char *path, size_t *len, const char **why)
{
    *why = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) < 0) {
        *why = strerror(errno);
    } else if ((uint64_t)st.st_size > PX_SNAP_MAX) {
        *why = "larger than the 1 GiB a snapshot may have";
    } else if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1))) {
        *why = "out of memory";
    } else {
        *len = (size_t)st.st_size;
        for (size_t off = 0; off < *len && !*why;) {
            ssize_t r = read(fd, buf + off, *len - off);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) *why = strerror(errno);
            else if (r == 0) *why = "file shrank while being read";
            else off += (size_t)r;
        }
    }
    close(fd);
    if (*why) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* At start: drop a half-written snapshot, restore the last complete one.
 * Any doubt about learner.snap is fatal (see the top of this file). */
static void snap_restore(learn_proc *lp)
{
    char tmp[600], path[600], err[256];
    snap_path(lp, SNAP_TMP, tmp, sizeof tmp);
    snap_path(lp, SNAP_FILE, path, sizeof path);
    if (unlink(tmp) == 0) px_info("removed leftover %s", tmp);
    size_t len = 0;
    const char *why;
    uint8_t *buf = read_file(path, &len, &why);
    if (!buf && !why && errno == ENOENT) return;
    if (!buf) {
        px_error("%s: cannot read the snapshot: %s", path, why ? why : strerror(errno));
        exit(1);
    }
    if (learner_restore_snapshot(lp->core, buf, len, err, sizeof err) != 0) {
        px_error("%s: refusing the snapshot: %s", path, err);
        free(buf);
        exit(1);
    }
    free(buf);
    lp->snap_bytes = len;
    px_info("restored %s: every slot below %llu (%zu bytes)", path,
            (unsigned long long)learner_snapshot_upto(lp->core), len);
}

/* The failpoint learner-list-req armed with drop loses the gateway's
 * requests for list elements, as a lossy channel would: results still go
 * out, the list the gateway's copy needs does not (jepsen/run's list-lag). */
static int list_req_lost(const px_msg *m)
{
    return m->type == PX_MSG_LIST_REQ && PX_FAILPOINT_DROPS(PX_FP_LEARNER_LIST_REQ);
}

static int step(learn_proc *lp)
{
    uint64_t now = px_now_ms();
    int wait = px_proc_timeout(learner_next_deadline(lp->core), now, WAIT_CAP_MS);
    int r = px_net_recv(lp->p.net, lp->msg, wait);
    /* hold what this burst sends: one message per destination at the end */
    px_proc_hold(&lp->p);
    for (int n = 0; r == 1; n++) {
        if (!list_req_lost(lp->msg))
            px_proc_refused(&lp->p, learner_handle(lp->core, lp->msg, px_now_ms(), &lp->out));
        /* send at once: envelopes are large, a short outbox stays in cache */
        px_proc_flush(&lp->p, &lp->out);
        if (n + 1 >= DRAIN_MAX) break;
        r = px_net_recv(lp->p.net, lp->msg, 0);
    }
    if (r < 0) {
        px_proc_release(&lp->p);
        return -1;
    }
    learner_tick(lp->core, px_now_ms(), &lp->out);
    px_proc_flush(&lp->p, &lp->out);
    px_proc_release(&lp->p);
    snap_save(lp);
    log_transfer(lp);
    log_progress(lp);
    while (px_ctl_poll(lp->p.ctl, status_json, lp)) {}
    return 0;
}

int main(int argc, char **argv)
{
    static learn_proc lp;
    px_proc_start(&lp.p, argc, argv, PX_ROLE_LEARNER);
    learner_config lc;
    make_config(&lp.p, &lc);
    lp.core = learner_new(&lc, px_now_ms());
    lp.msg = malloc(sizeof *lp.msg);
    lp.io = malloc(SNAP_IO);
    if (!lp.core || !lp.msg || !lp.io) {
        px_error("out of memory");
        return 1;
    }
    snap_restore(&lp);
    px_outbox_init(&lp.out);
    px_info("ready (snapshot every %llu slots%s)",
            (unsigned long long)lc.snapshot_every, lc.snapshot_every ? "" : ": off");
    px_ready();

    while (!px_proc_stopping)
        if (step(&lp) != 0) return 1;

    px_info("stopping on signal");
    px_proc_finish(&lp.p);
    px_outbox_free(&lp.out);
    learner_free(lp.core);
    free(lp.msg);
    free(lp.io);
    return 0;
}
