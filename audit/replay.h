/* replay.h -- the chosen log replayed through the learner core itself
 * (learner/learner.c, with its dedup table and LEARNER_DEDUP_MAX), so the
 * audit's idea of "the list after slot s" is exactly a learner's, no-ops,
 * retries and reads included, not a second implementation of it. */
#ifndef PX_AUDIT_REPLAY_H
#define PX_AUDIT_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "../common/outbox.h"
#include "../learner/dedup.h"
#include "state.h"

typedef struct audit_replay {
    struct learner *core;
    px_outbox out;
    px_msg *msg;
    uint32_t acks;      /* every member: a quorum whatever the cluster size */
    uint64_t next;      /* the next slot to apply */
    uint64_t *slot_of;  /* the slot that appended list element i */
    size_t slot_cap;
    dedup_entry *dd;    /* scratch for audit_replay_dedup */
    size_t dd_cap;
} audit_replay;

/* A learner of st's cluster, empty.  0, or -1 if out of memory. */
int audit_replay_init(audit_replay *rp, const audit_state *st);
void audit_replay_free(audit_replay *rp);

/* Applies the next slot (rp->next) with value id under ballot.  0, or the
 * refusal reason of the learner core (then nothing was applied). */
int audit_replay_apply(audit_replay *rp, const audit_state *st, px_ballot ballot, uint32_t value);

/* The list after every applied slot. */
const int64_t *audit_replay_list(const audit_replay *rp, size_t *len);
/* The dedup table after every applied slot, in increasing client order. */
const dedup_entry *audit_replay_dedup(audit_replay *rp, size_t *n);

#endif
