/* store_recover.h -- reading acceptor.log at open (used by store.c only):
 * replays its records in order and, at the first damaged one, judges
 * whether the damage is a torn write (the caller cuts the file where the
 * log ends) or damage to records that were durable (an error: nothing may
 * be cut).  It only reads; store.c truncates, seals and converts. */
#ifndef PX_ACC_STORE_RECOVER_H
#define PX_ACC_STORE_RECOVER_H

#include <stdint.h>
#include <stddef.h>
#include "store.h"

/* The last item the log keeps. */
typedef enum alog_last {
    ALOG_LAST_NONE,   /* no record at all */
    ALOG_LAST_RECORD, /* a record in the middle of its batch (a torn batch's kept part) */
    ALOG_LAST_END,    /* the last record of its batch */
    ALOG_LAST_MARKER  /* a commit marker */
} alog_last;

typedef struct alog_recovered {
    uint64_t end;     /* the log ends here; anything after it is a torn tail to cut */
    uint64_t records; /* records replayed */
    alog_last last;
    uint32_t batch;   /* the batch of the last item (0: none) */
} alog_recovered;

/* A version 3 log of fsize bytes open on fd, whose checksums use seed.
 * Replays through fn (may be NULL).  0 with *out filled (and report, if not
 * NULL, describing a torn tail); -1 with err naming path, the offset and
 * what is known of the damaged record. */
int alog_recover(int fd, const char *path, uint64_t fsize, uint32_t seed, acc_record_fn fn,
                 void *arg, alog_recovered *out, acc_store_report *report, char *err,
                 size_t errlen);

/* The same, but each kept record goes to visit with where it stands: its
 * offset in the file and its batch (for acc_store_read). */
int alog_recover_visit(int fd, const char *path, uint64_t fsize, uint32_t seed,
                       acc_store_visit_fn visit, void *arg, alog_recovered *out,
                       acc_store_report *report, char *err, size_t errlen);

/* The same for a version 1 or 2 log (records without batches: damage with
 * any valid record after it is refused, anything else is a torn tail). */
int alog_recover_old(int fd, const char *path, uint64_t fsize, acc_record_fn fn, void *arg,
                     alog_recovered *out, acc_store_report *report, char *err,
                     size_t errlen);

#endif
