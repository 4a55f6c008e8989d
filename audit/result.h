/* result.h -- what the audit found: counts of what it checked (so that a
 * pass over nothing is visible) and every violation, the first
 * AUDIT_DETAIL_MAX of them in detail, all of them counted by kind. */
#ifndef PX_AUDIT_RESULT_H
#define PX_AUDIT_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/types.h"

#define AUDIT_DETAIL_MAX 200

enum audit_kind {
    /* Across acceptors (audit/check_votes.c). */
    AUDIT_TWO_VALUES_ONE_BALLOT, /* one (slot, ballot), two values */
    AUDIT_TWO_VALUES_CHOSEN,     /* two values each accepted by a majority */
    AUDIT_CHOSEN_CONTRADICTED,   /* a vote above a chosen ballot with another value */
    /* One acceptor's log (audit/check_acceptors.c). */
    AUDIT_PROMISE_NOT_RAISED,    /* a PROMISE not above the acceptor's promise */
    AUDIT_VOTE_BELOW_PROMISE,    /* an ACCEPT below the acceptor's promise */
    AUDIT_VOTE_BELOW_MARK,       /* an ACCEPT below the acceptor's own trim mark */
    AUDIT_TRIM_NOT_RAISED,       /* a TRIM not above the acceptor's mark */
    AUDIT_TRIM_BALLOT,           /* a TRIM under another ballot than the promise */
    AUDIT_TRIM_AHEAD,            /* a TRIM past every slot the acceptor voted in */
    AUDIT_BALLOT_NOT_STORED,     /* a ballot above its proposer's proposer.state */
    AUDIT_BALLOT_NOT_MEMBER,     /* a ballot of a node outside the cluster */
    /* Learners (audit/check_learners.c). */
    AUDIT_SNAPSHOT_DIFFERS,      /* learner.snap is not the chosen log's state at its slot */
    AUDIT_SNAPSHOT_UNCHOSEN,     /* learner.snap covers a slot no majority accepted */
    AUDIT_LIST_DIFFERS,          /* a final list is not a prefix of the chosen log's list */
    AUDIT_LIST_UNCHOSEN,         /* a final list holds more than the chosen slots give */
    AUDIT_TRIM_UNCOVERED,        /* a trim mark above what a majority of snapshots reached */
    AUDIT_KINDS
};

/* "two-values-chosen" and the like (EDN keywords without the colon). */
const char *audit_kind_name(int kind);

typedef struct audit_violation {
    int kind;
    uint32_t node;         /* the node whose file shows it; 0 if none */
    const char *file;      /* "acceptor.log", "learner.snap", "final list", ...; NULL if none */
    int64_t offset;        /* record offset in the file, or list index; -1 if none */
    int64_t slot;          /* -1 if none */
    px_ballot ballot;      /* the record's ballot; zero if none */
    px_ballot other;       /* the ballot it conflicts with; zero if none */
    char what[768];        /* the explanation, with values */
} audit_violation;

/* What was checked. */
typedef struct audit_counts {
    uint64_t nodes, acceptor_logs, records, promises, accepts, trims;
    uint64_t torn_records;  /* in torn tails a recovery would cut: not counted as votes */
    uint64_t slots_voted, slot_ballots, ballots, highest_slot;
    uint64_t chosen_slots;  /* slots a majority accepted under one ballot */
    uint64_t chosen_prefix; /* slots 0 .. chosen_prefix - 1 are all chosen */
    uint64_t proposer_states;
    uint64_t snapshots;
    uint64_t trim_mark, trim_covered; /* highest TRIM; learners whose snapshots reached it */
    uint64_t learner_logs;
    uint64_t lists, list_elements;
    uint64_t replay_list, replay_dedup; /* the chosen log's state after the prefix */
} audit_counts;

typedef struct audit_result {
    audit_counts c;
    audit_violation v[AUDIT_DETAIL_MAX];
    size_t n;                         /* in detail */
    uint64_t total;                   /* all of them */
    uint64_t per_kind[AUDIT_KINDS];
    char first_unchosen[512];         /* what the logs hold for the slot after the prefix */
} audit_result;

void audit_result_init(audit_result *r);

/* Records a violation (in detail while there is room). */
void audit_violate(audit_result *r, int kind, uint32_t node, const char *file, int64_t offset,
                   int64_t slot, px_ballot ballot, px_ballot other, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

#endif
