/* acceptor.h -- the acceptor's protocol logic, a pure state machine.
 *
 * No I/O: the host feeds it decoded messages and "durable up to" notices;
 * it returns records to persist and replies to send.  A reply that depends
 * on a record (a promise, a vote) is held inside the acceptor until the host
 * reports that record durable: an acceptor never answers before its promise
 * or vote is on disk.  Many records may be acknowledged by one notice, so
 * the host can group-commit (one fsync for a whole batch).
 *
 * Records are numbered 1, 2, 3, ... in the order they are emitted (the
 * record's seq); acceptor_durable(a, seq, ...) says every record up to and
 * including seq is on disk.
 */
#ifndef PX_ACCEPTOR_H
#define PX_ACCEPTOR_H

#include "../common/outbox.h"

enum acc_record_type {
    ACC_REC_PROMISE = 1, /* promised ballot raised to ballot */
    ACC_REC_ACCEPT = 2   /* accepted (ballot, value) for slot; implies promise >= ballot */
};

/* One durable record.  Its on-disk encoding lives in acceptor/store.c. */
typedef struct acc_record {
    uint8_t type;
    px_ballot ballot;
    uint64_t slot;   /* ACC_REC_ACCEPT only */
    px_value value;  /* ACC_REC_ACCEPT only */
} acc_record;

/* Records to persist, in order; reused across calls. */
typedef struct acc_records {
    acc_record *v;
    size_t n, cap;
    uint64_t last_seq; /* seq of v[n-1] (valid when n > 0) */
} acc_records;

/* What one call produced: records to persist, then messages to send. */
typedef struct acc_out {
    acc_records persist;
    px_outbox msgs;
} acc_out;

void acc_out_init(acc_out *o);
void acc_out_free(acc_out *o);
void acc_out_clear(acc_out *o);

struct acceptor;

/* A new acceptor with id (its node id) and no state. */
struct acceptor *acceptor_new(uint32_t id);
void acceptor_free(struct acceptor *a);

/* Recovery: replay one record that was durable before a restart, in log
 * order, before any acceptor_handle call.  Restored records count as
 * durable (they were on disk). */
void acceptor_restore(struct acceptor *a, const acc_record *r);

/* Handle one decoded message (PREPARE or ACCEPT; anything else is ignored).
 * Appends records to persist to out->persist and may release held replies
 * into out->msgs (replies that need no new record still wait for every
 * earlier record, so replies leave in order). */
void acceptor_handle(struct acceptor *a, const px_msg *in, acc_out *out);

/* The host reports every record up to and including seq durable; held
 * replies that depended only on those are appended to out->msgs. */
void acceptor_durable(struct acceptor *a, uint64_t seq, acc_out *out);

/* Compaction seam: forget accepted entries below slot (every learner has
 * applied them, or a snapshot covers them). */
void acceptor_forget_below(struct acceptor *a, uint64_t slot);

/* Introspection, for the host's status page and the simulator's checks. */
uint32_t acceptor_id(const struct acceptor *a);
px_ballot acceptor_promised(const struct acceptor *a);
/* Returns 1 and fills *ballot / *value if slot has an accepted entry. */
int acceptor_accepted(const struct acceptor *a, uint64_t slot, px_ballot *ballot,
                      const px_value **value);
size_t acceptor_accepted_count(const struct acceptor *a);
uint64_t acceptor_lowest_slot(const struct acceptor *a);  /* 0 if none */
uint64_t acceptor_highest_slot(const struct acceptor *a); /* 0 if none */
uint64_t acceptor_emitted_seq(const struct acceptor *a);  /* last record seq emitted */
uint64_t acceptor_durable_seq(const struct acceptor *a);
size_t acceptor_held_replies(const struct acceptor *a);

#endif
