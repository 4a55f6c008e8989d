/* history.h -- a Jepsen history of an append-only list of ints, loaded into
 * one compact record per client operation.
 *
 * Real time is the order of events in the file (as in Knossos): every
 * invoke and completion gets the next event number, and op A precedes op B
 * iff A's completion number is below B's invocation number.  :time is read
 * but not used.
 *
 * Full-list results ([1 2 3]) are O(n) each, so they are not kept: while
 * loading, each one is folded into the "pin table" -- position -> value,
 * plus the op that first observed it -- and only its length is stored.  The
 * first disagreement between two lists is remembered as h->conflict.
 * (keep_lists keeps them too, for the brute-force checker.) */
#ifndef PX_HISTORY_H
#define PX_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "jepsen/checker/imap.h"

#define PX_INF INT64_MAX

enum { HF_APPEND = 1, HF_READ = 2 };
/* PENDING: invoked, never completed -- same meaning as INFO. */
enum { HS_OK, HS_FAIL, HS_INFO, HS_PENDING };
/* How an :ok result was written. */
enum {
    HR_NONE,
    HR_LIST,   /* [v0 v1 ...]: the whole list (after the append, or read) */
    HR_INDEX,  /* append: {:value v, :index i}, v landed at 0-based i */
    HR_BARE,   /* append: v itself -- acknowledged, position not reported */
    HR_LENGTH  /* read: {:length k} -- only the length of the list */
};

typedef struct hop {
    int64_t value;            /* append: the value appended */
    int64_t inv, cmp;         /* event numbers; cmp is PX_INF unless ok/fail */
    int64_t obs;              /* HR_INDEX: index; HR_LIST, HR_LENGTH: length */
    int64_t at;               /* scratch for the checker: position, or -1 */
    uint64_t inv_off, cmp_off;/* byte spans of the two op maps in the file */
    uint32_t inv_len, cmp_len;/* cmp_len 0: never completed */
    uint32_t inv_line, cmp_line;
    uint32_t list_at;         /* keep_lists: start of the list in h->lists */
    uint8_t f, status, form;
} hop;

enum { HC_NONE, HC_LISTS, HC_OWN_LAST };

typedef struct hconflict {
    int kind;
    int32_t a, b;      /* HC_LISTS: a put va at pos, b says vb is there;
                          HC_OWN_LAST: append a's list does not end with
                          its own value */
    int64_t pos, va, vb;
} hconflict;

typedef struct history {
    const char *buf;          /* the whole file (mapped) */
    size_t len;
    int mapped;
    hop *ops;
    size_t nops, capops;
    int64_t nevents;
    size_t nappends, nfailed_appends;
    imap by_value;            /* appended value -> op index */
    /* pin table, grown by full lists */
    int64_t *pin_val;
    int32_t *pin_op;          /* -1: position not pinned */
    size_t npin, cappin;
    hconflict conflict;
    int keep_lists;
    int64_t *lists;
    size_t nlists, caplists;
    uint32_t err_line;        /* bad input: where and what */
    char err[300];
} history;

/* Both return 0 on success, -1 on bad input (h->err, h->err_line) or an
 * unreadable file (err_line 0).  The buffer must outlive h. */
int history_load_mem(history *h, const char *buf, size_t len, int keep_lists);
int history_load_file(history *h, const char *path, int keep_lists);
void history_free(history *h);

/* Grows the pin table to cover [0, n); new positions are unpinned. */
void history_pin_reserve(history *h, size_t n);
/* Pins value v at pos as observed by op; records the first conflict. */
void history_pin(history *h, size_t pos, int64_t v, int32_t op);

#endif
