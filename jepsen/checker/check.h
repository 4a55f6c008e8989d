/* check.h -- the exact linearizability checker for an append-only list.
 *
 * Values are unique, so every observed list pins values to positions and
 * the whole history has at most one order of elements L.  check_history
 * infers L, then the question "is there a linearization?" becomes "is there
 * a way to give each op a point inside its [invoke, complete] interval so
 * that appends come in L order and each read sits between the appends that
 * bound its length?".  With every acknowledged append's position known this
 * is a single sweep; positions nobody reported are filled by appends of
 * unknown outcome through an exact greedy matching; only acknowledged
 * appends whose position was never reported need a bounded search.
 * README.md has the argument. */
#ifndef PX_CHECK_H
#define PX_CHECK_H

#include <stdint.h>

#include "jepsen/checker/history.h"

typedef enum { PX_VALID, PX_INVALID, PX_UNKNOWN } px_verdict;

typedef enum {
    AN_NONE,
    AN_LOST_APPEND,      /* an acknowledged append is missing from a later list */
    AN_STALE_READ,       /* an op saw less than what had completed before it began */
    AN_INCOMPATIBLE,     /* two lists disagree at a position */
    AN_REAL_TIME,        /* an op saw an element before its append began */
    AN_DUPLICATE,        /* a value at two positions */
    AN_FAILED_VISIBLE,   /* a value whose append :fail-ed is in a list */
    AN_UNKNOWN_ELEMENT   /* a value (or position) no append can explain */
} px_anomaly;

typedef struct check_opts {
    uint64_t max_states;       /* search states before giving up (unknown) */
    uint64_t max_search_bytes; /* memory the search may hold */
} check_opts;

#define CHECK_MAX_OPS 4

typedef struct check_result {
    px_verdict verdict;
    px_anomaly anomaly;
    int32_t ops[CHECK_MAX_OPS]; /* indexes into h->ops, for the report */
    int nops;
    char explanation[1024];
    const char *method;         /* "sweep", "sweep+matching" or "search" */
    uint64_t states;            /* search states visited */
    int64_t length;             /* length of the longest observed list */
    uint64_t holes;             /* positions nobody reported */
    uint64_t unplaced;          /* acknowledged appends with no position */
} check_result;

void check_defaults(check_opts *o);
/* Decides h.  Uses h->ops[].at and may grow the pin table. */
void check_history(history *h, const check_opts *o, check_result *r);
const char *px_anomaly_name(px_anomaly a);

#endif
