/* store_check.h -- what the two acceptor log targets (fuzz_store,
 * fuzz_store_records) share: a per-process directory for acceptor.log and
 * the checks of a recovery. */
#ifndef PX_FUZZ_STORE_CHECK_H
#define PX_FUZZ_STORE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "acceptor/acceptor.h"

/* Makes the directory (under $TMPDIR, else /dev/shm, else /tmp), removed
 * at exit. */
void store_make_dir(const char *prefix);
const char *store_dir(void);
const char *store_log_path(void);
/* Removes acceptor.log and any leftover acceptor.log.tmp. */
void store_reset_dir(void);
/* acceptor.log := data[0..size). */
void store_write_log(const uint8_t *data, size_t size);

/* Opens acceptor.log into a fresh core: a refusal must carry a message; a
 * recovery must count every record, leave the file at the size the store
 * says, obey the state invariants, reopen to the same state with no
 * repair, take an append and survive a rewrite. */
void store_check_log(void);

/* Whether two records have the same fields (commands up to value.n). */
int store_same_record(const acc_record *a, const acc_record *b);

/* Whether two cores export the same records (promise, mark, entries). */
int store_same_state(const struct acceptor *a, const struct acceptor *b);

#endif
