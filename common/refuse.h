/* refuse.h -- why a frame was refused.  One list for every layer that can
 * refuse one: the decoder (its enum px_wire_err, same numbers), the
 * transport (a frame type or a path this role never receives) and the role
 * cores (protocol bounds that hold even for frames from authenticated
 * peers).  Each process counts refusals by this reason, shows the counts as
 * `rejected_frames` in its state and logs them, rate-limited, with the
 * sender's address: a refusal is never silent. */
#ifndef PX_REFUSE_H
#define PX_REFUSE_H

#include "wire.h"

enum px_refusal {
    PX_REFUSE_NONE = 0,
    /* 1 .. PX_WIRE_ERR_MAX: enum px_wire_err, the decoder's reasons */
    PX_REFUSE_UNEXPECTED_TYPE = PX_WIRE_ERR_MAX + 1, /* a type this role never receives */
    PX_REFUSE_WRONG_PATH,    /* a local-only type over tcp, our own id over tcp, another id over ipc */
    PX_REFUSE_NOT_MEMBER,    /* a sender or an id in the frame that is not in cluster.cfg */
    PX_REFUSE_TRIM_BALLOT,   /* TRIM not under the ballot the acceptor promised */
    PX_REFUSE_TRIM_AHEAD,    /* TRIM beyond what the acceptor has accepted */
    PX_REFUSE_CHOSEN_QUORUM, /* CHOSEN whose acks are not a quorum of members */
    PX_REFUSE_SLOT_BAD,      /* a slot no real log reaches (e.g. UINT64_MAX) */
    PX_REFUSE_BALLOT_ZERO,   /* the zero ballot where a real one is needed */
    PX_REFUSE_SNAPSHOT_BAD,  /* a transferred snapshot that fails verification */
    PX_REFUSE_SENDER_MISMATCH, /* an id in the frame that must be its sender's is not
                                * (ACCEPTED.acceptor, a PREPARE's ballot node, ...) */
    PX_REFUSE_VOTE_MISMATCH, /* a VOTE whose value differs from another VOTE's for the
                              * same (slot, ballot): one ballot carries one value per slot */
    PX_REFUSE_MAX            /* one past the last reason */
};

/* A short stable key for JSON and metrics ("foreign_cluster"), and a
 * phrase for logs ("foreign cluster id").  Unknown values get "unknown". */
const char *px_refusal_key(int reason);
const char *px_refusal_text(int reason);

#endif
