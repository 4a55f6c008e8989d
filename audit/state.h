/* state.h -- what bin/paxos-audit knows about a stopped cluster: every
 * record of every acceptor's log, every proposer's stored round, every
 * learner's snapshot, the highest snapshot each learner's own log says was
 * durable, and the lists clients read at the end.
 *
 * Filled by audit/read.c from the files, or by hand in tests/unit/
 * test_audit.c; judged by the checks (audit/check.h).  No I/O here.
 *
 * Values (a slot's batch of commands) are interned: each distinct batch is
 * stored once and named by an id, so two votes carry the same value iff
 * they carry the same id. */
#ifndef PX_AUDIT_STATE_H
#define PX_AUDIT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "../acceptor/acceptor.h"
#include "../learner/dedup.h"

#define AUDIT_PATH 1024

/* ---- values ------------------------------------------------------------- */

typedef struct audit_value_ref {
    size_t off;    /* its commands are cmds[off, off + n) */
    uint16_t n;
    uint64_t hash;
} audit_value_ref;

typedef struct audit_values {
    px_cmd *cmds;
    size_t n_cmds, cap_cmds;
    audit_value_ref *v;
    size_t n, cap;
    uint32_t *table; /* open addressing: id + 1, 0 = empty */
    size_t table_cap;
} audit_values;

/* The id of v, added if new. */
uint32_t audit_value_add(audit_values *vs, const px_value *v);
/* The commands of value id; *n of them (0: a no-op). */
const px_cmd *audit_value_cmds(const audit_values *vs, uint32_t id, uint16_t *n);
/* Value id into out (whole, with the unused commands zeroed). */
void audit_value_get(const audit_values *vs, uint32_t id, px_value *out);
/* "no-op", or "2 commands: append 17 (client 3 seq 9), read (client 4)"
 * with at most three commands spelled out. */
void audit_value_describe(const audit_values *vs, uint32_t id, char *buf, size_t len);

/* ---- nodes --------------------------------------------------------------- */

/* One record of an acceptor's log, where it stands in the file. */
typedef struct audit_rec {
    uint8_t type;     /* ACC_REC_PROMISE, _ACCEPT or _TRIM */
    px_ballot ballot;
    uint64_t slot;    /* ACCEPT: the slot; TRIM: the mark */
    uint32_t value;   /* ACCEPT: the value's id */
    uint32_t batch;
    uint64_t offset;
} audit_rec;

typedef struct audit_acceptor {
    int present;       /* there is an acceptor.log */
    int rewritten;     /* its own log says it was rewritten: records are missing */
    audit_rec *recs;   /* every record a recovery would keep, in file order */
    size_t n, cap;
    uint64_t cut_offset, cut_bytes, cut_records; /* a torn tail a recovery would cut */
} audit_acceptor;

/* A learner.snap, parsed and copied. */
typedef struct audit_snapshot {
    int present;
    uint64_t slot; /* every slot below it is in the snapshot */
    int64_t *list;
    uint64_t list_len;
    dedup_entry *dedup; /* increasing client order */
    uint64_t dedup_n;
} audit_snapshot;

typedef struct audit_node {
    uint32_t id;
    char dir[AUDIT_PATH];
    audit_acceptor acc;
    int has_round;      /* proposer.state exists */
    uint64_t round;     /* the highest round its proposer stored (0 if none) */
    audit_snapshot snap;
    int has_learner_log;  /* logs/learner.log was read */
    uint64_t snap_logged; /* highest snapshot slot that log names durable */
} audit_node;

/* A list a client read from a node at the end. */
typedef struct audit_list {
    uint32_t node; /* 0 if not known */
    int64_t *v;
    size_t n;
} audit_list;

typedef struct audit_state {
    uint32_t n_members;               /* cluster size: a majority is n / 2 + 1 */
    uint32_t members[PX_MAX_NODES];   /* the cluster's node ids */
    audit_node nodes[PX_MAX_NODES];   /* the nodes whose files were read */
    size_t n_nodes;
    audit_values values;
    audit_list *lists;
    size_t n_lists;
} audit_state;

void audit_state_init(audit_state *st);
void audit_state_free(audit_state *st);

/* The cluster's members (sets n_members and members).  -1 if an id is out
 * of 1..PX_MAX_NODES or repeated. */
int audit_set_members(audit_state *st, const uint32_t *ids, size_t n);
int audit_is_member(const audit_state *st, uint32_t id);
/* A majority of the cluster, computed here rather than with px_quorum so
 * that a bug there (mutant quorum_too_small) cannot blind the audit. */
uint32_t audit_majority(const audit_state *st);

/* A node whose files are audited (dir is informative); NULL if already
 * there or no room. */
audit_node *audit_add_node(audit_state *st, uint32_t id, const char *dir);
audit_node *audit_find_node(const audit_state *st, uint32_t id);

/* Appends a record of node's acceptor log (which becomes present). */
void audit_add_record(audit_state *st, audit_node *n, const acc_record *r, uint64_t offset,
                      uint32_t batch);

/* Node's learner.snap: copies list and entries. */
void audit_set_snapshot(audit_node *n, uint64_t slot, const int64_t *list, uint64_t list_len,
                        const dedup_entry *dedup, uint64_t dedup_n);

/* A list read at the end (copied). */
void audit_add_list(audit_state *st, uint32_t node, const int64_t *v, size_t n);

#endif
