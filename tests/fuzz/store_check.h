/* store_check.h -- what the two acceptor log targets (fuzz_store,
 * fuzz_store_records) share: a per-process directory for acceptor.log and
 * the checks of a recovery. */
#ifndef PX_FUZZ_STORE_CHECK_H
#define PX_FUZZ_STORE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "acceptor/acceptor.h"
#include "acceptor/store.h"

/* Makes the directory (under $TMPDIR, else /dev/shm, else /tmp), removed
 * at exit. */
void store_make_dir(const char *prefix);
const char *store_dir(void);
const char *store_log_path(void);
/* Removes acceptor.log and any leftover acceptor.log.tmp. */
void store_reset_dir(void);
/* acceptor.log := data[0..size). */
void store_write_log(const uint8_t *data, size_t size);
/* The bytes of acceptor.log (malloc'd, *size set; never NULL). */
uint8_t *store_read_log(size_t *size);
uint64_t store_log_size(void);

/* Opens acceptor.log, whose bytes are before[0..size), into a fresh core:
 *   - a refusal carries a message naming the file and leaves it byte for
 *     byte as it was;
 *   - a recovery counts every record, leaves the file at the size the
 *     store says, with a version 3 header; its report is consistent (a
 *     cut has a warning, and cut offset + bytes = the old size); when it
 *     converted or re-created nothing (no info note) the file is the old
 *     one up to the cut, plus at most a commit marker (the seal);
 *   - the recovered state obeys the core's invariants, reopens to the
 *     same state with no repair, takes an append and survives a rewrite. */
void store_check_log(const uint8_t *before, size_t size);

/* Whether two records have the same fields (commands up to value.n). */
int store_same_record(const acc_record *a, const acc_record *b);

/* Whether two cores export the same records (promise, mark, entries). */
int store_same_state(const struct acceptor *a, const struct acceptor *b);

/* Whether a report says nothing was found: no note, no cut. */
int store_report_clean(const acc_store_report *rep);

#endif
