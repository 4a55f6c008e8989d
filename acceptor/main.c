/* main.c -- the acceptor process: sockets and the durable log around the
 * pure acceptor core.
 *
 * Group commit: every message waiting on the socket (up to DRAIN_MAX) is fed
 * to the core first; the records they produced are then written with one
 * append and made durable with one fsync, and only then are the replies the
 * core was holding released.  One fsync thus covers a whole pipeline of
 * ACCEPTs instead of one each.
 *
 * Compaction: TRIM messages make the core forget entries below the mark,
 * but the log file keeps their records.  Once the file is both big and
 * mostly dead it is replaced by the core's export (maybe_rewrite) -- unless
 * PAXOS_TEST_KEEP_LOG=1 (tests only: every record stays, for the audit). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/faults.h"
#include "../common/histo.h"
#include "../common/log.h"
#include "../common/ready.h"
#include "../common/proc.h"
#include "acceptor.h"
#include "store.h"

#define DRAIN_MAX 256 /* messages handled per fsync at most */
#define WAIT_CAP_MS 10
/* Rewrite the log when it is at least this big, at least twice its size
 * after the last rewrite (so each rewrite is paid for by as many bytes
 * appended since), and the mark moved since (else nothing became dead). */
#define REWRITE_MIN_BYTES (4ull << 20)

typedef struct acc_proc {
    px_proc p;
    struct acceptor *core;
    struct acc_store *store;
    acc_out out;
    px_msg *msg;
    uint64_t size_at_rewrite; /* log bytes right after the last rewrite, 0 before one */
    uint64_t mark_at_rewrite; /* the mark the last rewrite saw, 0 before one */
    int keep_log;             /* PAXOS_TEST_KEEP_LOG: never rewrite (tests only) */
    px_histo fsync_seconds;   /* how long each batch's fdatasync took (the metrics) */
} acc_proc;

static void replay(void *arg, const acc_record *r)
{
    acceptor_restore(arg, r);
}

/* Recover the core from acceptor.log.  A corrupt log is fatal: the acceptor
 * must not answer with a memory that forgot promises or votes.  A torn tail
 * is not, but what it held is logged at WARN, record by record: those were
 * promises and votes never acknowledged -- unless the damage is the one
 * case the format cannot tell from a torn write (docs/OPERATIONS.md, What
 * recovery cuts). */
static void recover(acc_proc *a)
{
    char err[1024];
    acc_store_report rep;
    a->store = acc_store_open(a->p.dir, a->p.cfg.fsync, replay, a->core, &rep, err, sizeof err);
    if (!a->store) {
        px_error("cannot recover the acceptor log: %s", err);
        exit(1);
    }
    if (rep.warn[0]) px_warn("%s/acceptor.log: %s", a->p.dir, rep.warn);
    if (rep.info[0]) px_info("%s/acceptor.log: %s", a->p.dir, rep.info);
    /* PAXOS_TEST_LOSE_UNSYNCED=US: fault-injection mode for tests only
     * (common/faults.h, read and checked by px_proc_start). */
    unsigned lose_us = px_fault_unsynced_us();
    if (lose_us > 0) { /* 0 or unset: normal operation */
        acc_store_hold_until_sync(a->store, lose_us);
        px_warn("test mode: unsynced records stay in memory for %u us before each write "
                "(kill -9 loses them)", lose_us);
    }
    /* PAXOS_TEST_KEEP_LOG=1: test mode only.  A rewrite keeps just the
     * live state, dropping superseded promises and votes; bin/paxos-audit
     * needs every record ever made durable to check Paxos on what really
     * happened.  The log then grows without bound: never in production. */
    const char *keep = getenv("PAXOS_TEST_KEEP_LOG");
    a->keep_log = keep && atoi(keep) > 0;
    if (a->keep_log)
        px_warn("test mode: acceptor.log is never rewritten (PAXOS_TEST_KEEP_LOG): it keeps "
                "every record and grows without bound");
    px_ballot b = acceptor_promised(a->core);
    px_info("recovered %llu records (%llu bytes): promised (%llu,%u), trimmed below %llu, "
            "%zu accepted slots",
            (unsigned long long)acc_store_records(a->store),
            (unsigned long long)acc_store_size(a->store), (unsigned long long)b.round, b.node,
            (unsigned long long)acceptor_trimmed(a->core), acceptor_accepted_count(a->core));
}

/* Whether the batch holds a record of this type (for the failpoints). */
static int batch_has(const acc_records *r, int type)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].type == type) return 1;
    return 0;
}

/* The failpoints between a batch's fsync and its replies (faults.h): a
 * crash here is a crash after a promise or a vote became durable and
 * before anyone heard of it. */
static void failpoints_after_sync(const acc_records *r)
{
    if (!px_failpoints_armed) return;
    if (batch_has(r, ACC_REC_PROMISE)) px_failpoint_hit(PX_FP_ACCEPTOR_PROMISE_DURABLE);
    if (batch_has(r, ACC_REC_ACCEPT)) px_failpoint_hit(PX_FP_ACCEPTOR_ACCEPT_DURABLE);
}

/* Write and fsync what the batch produced, then release held replies.  A
 * failed write or sync means the disk can no longer be trusted: exit and let
 * the supervisor restart us, which re-reads what really is on disk. */
static void commit(acc_proc *a)
{
    acc_records *r = &a->out.persist;
    if (r->n == 0) return;
    char err[1024];
    uint64_t last = r->last_seq;
    if (acc_store_append(a->store, r->v, r->n, err, sizeof err) != 0) {
        px_error("durable write failed, exiting: %s", err);
        exit(1);
    }
#ifdef PX_MUTANT_ACCEPTOR_SYNC_EVERY_OTHER
    /* PLANTED BUG (mutant ACCEPTOR_SYNC_EVERY_OTHER): group commit taken
     * too far -- every other batch is left for the next batch's sync to
     * cover (the store writes a batch in its sync, so it stays in memory),
     * yet its replies are released as if it were durable.  A crash before
     * the next batch loses promises and votes the proposers counted. */
    static unsigned long batches;
    if (++batches % 2 == 1) {
        r->n = 0;
        acceptor_durable(a->core, last, &a->out);
        return;
    }
#endif
    /* written (or, under PAXOS_TEST_LOSE_UNSYNCED, held) but not synced */
    PX_FAILPOINT(PX_FP_ACCEPTOR_BEFORE_SYNC);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (acc_store_sync(a->store, err, sizeof err) != 0) {
        px_error("durable write failed, exiting: %s", err);
        exit(1);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    px_histo_observe(&a->fsync_seconds,
                     (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    failpoints_after_sync(r);
    r->n = 0;
    acceptor_durable(a->core, last, &a->out);
}

static void export_source(void *src, acc_record_fn put, void *put_arg)
{
    acceptor_export(src, put, put_arg);
}

/* Replaces the log by the core's export when the policy above says so.
 * Only when every emitted record is durable: the export is the core's
 * state, which already includes records still on their way to the disk
 * (and in the PAXOS_TEST_LOSE_UNSYNCED mode, still held in memory).  A
 * failure is fatal like any durable write: the old log is intact if the
 * rename did not happen, and the restart re-reads whichever log is there. */
static void maybe_rewrite(acc_proc *a)
{
    uint64_t size = acc_store_size(a->store), mark = acceptor_trimmed(a->core);
    if (a->keep_log) return;
    if (size < REWRITE_MIN_BYTES || size < 2 * a->size_at_rewrite || mark <= a->mark_at_rewrite)
        return;
    if (acceptor_durable_seq(a->core) != acceptor_emitted_seq(a->core)) return;
    char err[1024];
    if (acc_store_rewrite(a->store, export_source, a->core, err, sizeof err) != 0) {
        px_error("log rewrite failed, exiting: %s", err);
        exit(1);
    }
    a->size_at_rewrite = acc_store_size(a->store);
    a->mark_at_rewrite = mark;
    px_info("rewrote acceptor.log below mark %llu: %llu -> %llu bytes, %llu records",
            (unsigned long long)mark, (unsigned long long)size,
            (unsigned long long)a->size_at_rewrite,
            (unsigned long long)acc_store_records(a->store));
}

static void status_json(void *arg, char *json, size_t cap)
{
    char rej[1024], fs[1024], sent[1024];
    acc_proc *a = arg;
    px_ballot b = acceptor_promised(a->core);
    snprintf(json, cap,
             "{\"role\":\"acceptor\",\"node\":%u,\"promised\":{\"round\":%llu,\"node\":%u},"
             "\"trimmed\":%llu,"
             "\"accepted\":%zu,\"lowest_slot\":%llu,\"highest_slot\":%llu,"
             "\"emitted_seq\":%llu,\"durable_seq\":%llu,\"held_replies\":%zu,"
             "\"log_bytes\":%llu,\"log_records\":%llu,\"log_syncs\":%llu,"
             "\"log_rewrites\":%llu,\"fsync_seconds\":%s,\"sent\":%s,\"rejected_frames\":%s}",
             a->p.self, (unsigned long long)b.round, b.node,
             (unsigned long long)acceptor_trimmed(a->core), acceptor_accepted_count(a->core),
             (unsigned long long)acceptor_lowest_slot(a->core),
             (unsigned long long)acceptor_highest_slot(a->core),
             (unsigned long long)acceptor_emitted_seq(a->core),
             (unsigned long long)acceptor_durable_seq(a->core), acceptor_held_replies(a->core),
             (unsigned long long)acc_store_size(a->store),
             (unsigned long long)acc_store_records(a->store),
             (unsigned long long)acc_store_syncs(a->store),
             (unsigned long long)acc_store_rewrites(a->store),
             px_histo_json(&a->fsync_seconds, fs, sizeof fs),
             px_net_sent_json(a->p.net, sent, sizeof sent),
             px_proc_rejected_json(&a->p, rej, sizeof rej));
}

/* One iteration: wait for a message, drain what else is queued, commit. */
/* Replies to the proposers, then the same votes to the learners. */
static void send_out(acc_proc *a)
{
    px_proc_flush(&a->p, &a->out.msgs);
    px_proc_flush(&a->p, &a->out.votes);
}

static int step(acc_proc *a)
{
    int r = px_net_recv(a->p.net, a->msg, WAIT_CAP_MS);
    for (int n = 0; r == 1; n++) {
        px_proc_refused(&a->p, acceptor_handle(a->core, a->msg, &a->out));
        if (n + 1 >= DRAIN_MAX) break;
        r = px_net_recv(a->p.net, a->msg, 0);
    }
    if (r < 0) return -1;
    /* Send what the core has released before committing: the core alone
     * decides when a reply may leave (only once its records are durable),
     * so replies that need no new record go out without waiting for this
     * batch's fsync. */
    send_out(a);
    commit(a);
    send_out(a);
    maybe_rewrite(a);
    while (px_ctl_poll(a->p.ctl, status_json, a)) {}
    return 0;
}

int main(int argc, char **argv)
{
    static acc_proc a;
    px_proc_start(&a.p, argc, argv, PX_ROLE_ACCEPTOR);
    a.core = acceptor_new(a.p.self);
    a.msg = malloc(sizeof *a.msg);
    if (!a.core || !a.msg) {
        px_error("out of memory");
        return 1;
    }
    acc_out_init(&a.out);
    px_histo_init(&a.fsync_seconds, px_histo_seconds_fsync, px_histo_seconds_fsync_n);
    recover(&a);
    px_info("ready (fsync %s)", a.p.cfg.fsync ? "on" : "off");
    px_ready();

    while (!px_proc_stopping)
        if (step(&a) != 0) return 1;

    px_info("stopping on signal");
    px_proc_finish(&a.p);
    acc_store_close(a.store);
    acc_out_free(&a.out);
    acceptor_free(a.core);
    free(a.msg);
    return 0;
}
