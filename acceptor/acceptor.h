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
    ACC_REC_ACCEPT = 2,  /* accepted (ballot, value) for slot; implies promise >= ballot */
    ACC_REC_TRIM = 3     /* every entry below slot is forgotten (the compaction mark);
                          * ballot is the promise when it was made, for the record only */
};

/* One durable record.  Its on-disk encoding lives in acceptor/store.c. */
typedef struct acc_record {
    uint8_t type;
    px_ballot ballot;
    uint64_t slot;   /* ACC_REC_ACCEPT: the slot; ACC_REC_TRIM: the mark */
    px_value value;  /* ACC_REC_ACCEPT only */
} acc_record;

/* A consumer of records, one at a time (replay, export). */
typedef void (*acc_record_fn)(void *arg, const acc_record *r);

/* Records to persist, in order; reused across calls. */
typedef struct acc_records {
    acc_record *v;
    size_t n, cap;
    uint64_t last_seq; /* seq of v[n-1] (valid when n > 0) */
} acc_records;

/* What one call produced: records to persist, then messages to send:
 * replies to proposers in msgs, and in votes the same votes for the
 * learners (VOTE, one per ACCEPTED; the host sends msgs first). */
typedef struct acc_out {
    acc_records persist;
    px_outbox msgs;
    px_outbox votes;
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
 * durable (they were on disk).  A TRIM record forgets as TRIM does; an
 * ACCEPT record below the mark stores nothing. */
void acceptor_restore(struct acceptor *a, const acc_record *r);

/* Handle one decoded message (PREPARE, ACCEPT or TRIM).  Appends records to
 * persist to out->persist and may release held replies into out->msgs
 * (replies that need no new record still wait for every earlier record, so
 * replies leave in order).
 *
 * Returns 0 when the message was taken, or ignored as normal Paxos (a
 * stale ballot answered by REJECT, a repeated TRIM), else an enum
 * px_refusal (common/refuse.h) for the host to count: a message no honest
 * proposer sends -- another type (UNEXPECTED_TYPE), a zero ballot
 * (BALLOT_ZERO), a round above PX_MAX_ROUND (PX_WIRE_BALLOT_BAD), a ballot
 * whose node is not the sender (SENDER_MISMATCH), an ACCEPT for slot
 * UINT64_MAX (SLOT_BAD) or of more than PX_MAX_BATCH commands
 * (PX_WIRE_FIELD_BAD) -- or a TRIM it must not obey (below).  A refused
 * message changes nothing and produces nothing.
 *
 * Compaction: TRIM(ballot, below) above the current mark forgets every
 * entry below it and emits an ACC_REC_TRIM record; it has no reply.  It is
 * refused unless ballot is the promised one (TRIM_BALLOT) and below is at
 * most acceptor_accepted_upto() (TRIM_AHEAD).  From then on a PROMISE
 * reports entries from max(from, mark) on and carries the mark in
 * `trimmed`; an ACCEPT below the mark stores nothing and gets a REJECT
 * carrying the mark (every REJECT carries it). */
int acceptor_handle(struct acceptor *a, const px_msg *in, acc_out *out);

/* The host reports every record up to and including seq durable; held
 * replies that depended only on those are appended to out->msgs. */
void acceptor_durable(struct acceptor *a, uint64_t seq, acc_out *out);

/* Forget accepted entries below slot without moving the compaction mark
 * (no record, nothing told to proposers).  Only for tests: the protocol
 * forgets through TRIM, which also refuses ACCEPTs below the mark. */
void acceptor_forget_below(struct acceptor *a, uint64_t slot);

/* Calls fn with records whose replay into a fresh acceptor rebuilds exactly
 * this one's state (promise, mark, entries): PROMISE(promised) if not zero, TRIM(mark)
 * if not zero, then one ACCEPT per entry in slot order.  The host writes them
 * as a new, compact log (acc_store_rewrite).  Records not yet durable are
 * included: call it only when every emitted record is durable, or the new
 * log would claim what the disk does not hold yet. */
void acceptor_export(const struct acceptor *a, acc_record_fn fn, void *arg);

/* Introspection, for the host's status page and the simulator's checks. */
uint32_t acceptor_id(const struct acceptor *a);
px_ballot acceptor_promised(const struct acceptor *a);
/* Returns 1 and fills *ballot / *value if slot has an accepted entry. */
/* *value points at a scratch value inside the acceptor (entries are stored
 * compactly), valid until the next call of acceptor_accepted on it. */
int acceptor_accepted(const struct acceptor *a, uint64_t slot, px_ballot *ballot,
                      const px_value **value);
uint64_t acceptor_trimmed(const struct acceptor *a);      /* the compaction mark, 0 if none */
size_t acceptor_accepted_count(const struct acceptor *a);
uint64_t acceptor_lowest_slot(const struct acceptor *a);  /* 0 if none */
uint64_t acceptor_highest_slot(const struct acceptor *a); /* 0 if none */
/* One past the highest slot ever accepted and not forgotten, or the mark if
 * higher: how far a TRIM may reach.  Derived from the entries and the mark,
 * so a restart or a log rewrite gives it back unchanged. */
uint64_t acceptor_accepted_upto(const struct acceptor *a);
uint64_t acceptor_emitted_seq(const struct acceptor *a);  /* last record seq emitted */
uint64_t acceptor_durable_seq(const struct acceptor *a);
size_t acceptor_held_replies(const struct acceptor *a);

#endif
