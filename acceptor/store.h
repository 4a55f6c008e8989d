/* store.h -- the acceptor's durable log: an append-only file of records,
 * each framed with its length and a CRC-32C, replaced now and then by a
 * compact copy (acc_store_rewrite) once compaction has made most of it dead.
 *
 * Recovery reads every record in order.  An incomplete or checksum-failing
 * record that runs to the end of the file is a torn tail (a crash during a
 * write): it is cut off and reported in info.  A bad record with valid data
 * after it is corruption: opening fails with an error naming the file and
 * the byte offset, and nothing is truncated.
 *
 * Group commit: acc_store_append buffers and writes; acc_store_sync makes
 * everything appended so far durable with one fdatasync.  A failed sync is
 * fatal to the caller (the page cache can no longer be trusted). */
#ifndef PX_ACC_STORE_H
#define PX_ACC_STORE_H

#include <stdint.h>
#include <stddef.h>
#include "acceptor.h"

struct acc_store;

typedef acc_record_fn acc_store_replay_fn;

/* A source of records for a rewrite: calls put(put_arg, r) for each record
 * of the new log, in order (acceptor_export, wrapped). */
typedef void (*acc_store_source_fn)(void *src, acc_record_fn put, void *put_arg);

/* Open or create dir/acceptor.log and replay it through fn.  fsync_on = 0
 * skips fdatasync (throwaway clusters only).  Returns NULL on failure with a
 * message in err; info receives a note about a truncated tail, a removed
 * leftover acceptor.log.tmp or an upgraded file header ("" if none).
 * Version 1 logs (before compaction) are read and their header is
 * upgraded to version 2 in place, so an older binary refuses the file
 * instead of stumbling on a TRIM record. */
struct acc_store *acc_store_open(const char *dir, int fsync_on, acc_store_replay_fn fn,
                                 void *arg, char *err, size_t errlen, char *info,
                                 size_t infolen);

/* Append records (written, not yet durable).  0 on success, -1 on a write
 * error (err filled). */
int acc_store_append(struct acc_store *s, const acc_record *recs, size_t n, char *err,
                     size_t errlen);

/* Make every appended record durable.  0 on success, -1 on failure. */
int acc_store_sync(struct acc_store *s, char *err, size_t errlen);

/* Test mode for fault injection (the Jepsen kill nemesis): appended records
 * stay in process memory until acc_store_sync, which first waits latency_us
 * (a simulated device write latency) and only then writes and syncs them.
 * A kill -9 before that loses every record not yet synced, as a power cut
 * loses writes the device has not finished.  (Without this, kill -9 loses
 * nothing: once write() returns the page cache outlives the process.)  A
 * correct acceptor is unaffected, only slower: it never answers before the
 * sync returns.  One that answers early then forgets votes it acknowledged. */
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

uint64_t acc_store_size(const struct acc_store *s);    /* bytes in the file */
uint64_t acc_store_records(const struct acc_store *s); /* records in the file */
uint64_t acc_store_syncs(const struct acc_store *s);   /* fdatasync calls made */
uint64_t acc_store_rewrites(const struct acc_store *s); /* rewrites done since open */
int acc_store_usable(const struct acc_store *s);        /* 0 after a failed write or sync */
void acc_store_close(struct acc_store *s);

#endif
