/* store.h -- the acceptor's durable log: an append-only file of records,
 * checksummed and grouped in batches (store_format.h), replaced now and then
 * by a compact copy (acc_store_rewrite) once compaction has made most of it
 * dead.
 *
 * Group commit: acc_store_append collects records in memory;
 * acc_store_sync writes them as one batch with one write, makes them
 * durable with one fdatasync, then writes the batch's commit marker.  A
 * failed write or sync is fatal to the caller (the page cache can no
 * longer be trusted).
 *
 * Recovery reads every record in order.  A damaged tail that can only be a
 * write that never completed -- the file ends inside a record, zeros where
 * records should be, or a bad record of the last batch followed by nothing
 * but records of that same batch -- is cut off and described in the
 * report.  Damage followed by a commit marker or by a record of a later
 * batch hit data that was durable: opening fails with an error naming the
 * file, the offset and the record, and nothing is touched.  docs/PROTOCOL.md
 * (Durability) and docs/OPERATIONS.md (What recovery cuts) give the rules. */
#ifndef PX_ACC_STORE_H
#define PX_ACC_STORE_H

#include <stdint.h>
#include <stddef.h>
#include "acceptor.h"

struct acc_store;

typedef acc_record_fn acc_store_replay_fn;

/* A record together with where it stands in the file: its offset and its
 * batch (acc_store_read). */
typedef void (*acc_store_visit_fn)(void *arg, const acc_record *r, uint64_t offset,
                                   uint32_t batch);

/* A source of records for a rewrite: calls put(put_arg, r) for each record
 * of the new log, in order (acceptor_export, wrapped). */
typedef void (*acc_store_source_fn)(void *src, acc_record_fn put, void *put_arg);

/* What opening the log found, for the host to log.  The store itself never
 * logs. */
typedef struct acc_store_report {
    char info[512];  /* notes worth an INFO line: a leftover .tmp removed, a
                      * torn file header rewritten, an older version
                      * converted ("" if none) */
    char warn[3072]; /* a cut tail, worth a WARN line: its offset, size, and
                      * type, slot and ballot of every record in it whose
                      * header was readable ("" if nothing was cut) */
    uint64_t cut_offset, cut_bytes; /* the cut (cut_bytes 0: none) */
    uint64_t cut_records;           /* records in it with a readable header */
} acc_store_report;

/* Open or create dir/acceptor.log and replay it through fn.  fsync_on = 0
 * skips fdatasync (throwaway clusters only).  Returns NULL on failure with a
 * message in err; report (may be NULL) says what was found.  Version 1 and 2
 * logs are read and converted to version 3 (a new file, atomically), so an
 * older binary refuses the file instead of misreading it.  Whatever is kept
 * is made durable before this returns: the caller may act on it at once. */
struct acc_store *acc_store_open(const char *dir, int fsync_on, acc_store_replay_fn fn,
                                 void *arg, acc_store_report *report, char *err,
                                 size_t errlen);

/* Reads dir/acceptor.log the way acc_store_open recovers it, but only
 * reads: nothing is cut, sealed, converted or created, so it may run on
 * the files of a stopped cluster (bin/paxos-audit).  visit gets every
 * record a recovery would keep, in file order, with its offset and batch;
 * report (may be NULL) describes the torn tail a recovery would cut
 * (cut_bytes 0: none).  *exists (may be NULL) is 0 when there is no log:
 * no file, or one no longer than a torn file header (no records either
 * way).  Returns 0, or -1 with err: damage a recovery refuses, a version 1
 * or 2 log (only converted by opening it), an I/O error. */
int acc_store_read(const char *dir, acc_store_visit_fn visit, void *arg, int *exists,
                   acc_store_report *report, char *err, size_t errlen);

/* Append records to the batch being collected (in memory, not yet
 * written).  0 on success, -1 if the store is unusable (err filled). */
int acc_store_append(struct acc_store *s, const acc_record *recs, size_t n, char *err,
                     size_t errlen);

/* Write the collected batch and make it durable.  0 on success, -1 on
 * failure. */
int acc_store_sync(struct acc_store *s, char *err, size_t errlen);

/* Test mode for fault injection (the Jepsen kill nemesis): acc_store_sync
 * first waits latency_us (a simulated device write latency) and only then
 * writes and syncs the batch.  A kill -9 meanwhile loses every record not
 * yet synced, as a power cut loses writes the device has not finished.
 * (Without the wait the batch reaches the page cache microseconds after it
 * is complete, and the page cache outlives the process.)  A correct
 * acceptor is unaffected, only slower: it never answers before the sync
 * returns.  One that answers early then forgets votes it acknowledged. */
void acc_store_hold_until_sync(struct acc_store *s, unsigned latency_us);

/* Replaces the log by the records source gives (normally the acceptor's
 * export): written to dir/acceptor.log.tmp, fsynced, renamed over
 * acceptor.log, the directory fsynced; appends then go to the new file.
 * Everything appended must be durable first (acc_store_sync), or this
 * refuses.  A crash at any point leaves either the old or the new log
 * whole (a leftover .tmp is removed at open).  0 on success; -1 with err
 * filled: before the rename the old log stays in use and intact, after it
 * (the directory fsync failed) the store is unusable, like after a failed
 * sync. */
int acc_store_rewrite(struct acc_store *s, acc_store_source_fn source, void *src, char *err,
                      size_t errlen);

uint64_t acc_store_size(const struct acc_store *s);    /* bytes in the file, and appended */
uint64_t acc_store_records(const struct acc_store *s); /* records in the file, and appended */
uint64_t acc_store_syncs(const struct acc_store *s);   /* fdatasync calls made */
uint64_t acc_store_rewrites(const struct acc_store *s); /* rewrites done since open */
int acc_store_usable(const struct acc_store *s);        /* 0 after a failed write or sync */
/* Closes the file; records appended since the last sync are dropped. */
void acc_store_close(struct acc_store *s);

#endif
