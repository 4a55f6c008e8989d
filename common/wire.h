/* wire.h -- the messages roles exchange and their binary encoding.
 *
 * Every frame is a 24-byte header followed by a payload, all integers
 * little-endian:
 *
 *   offset size field
 *        0    4 magic        "PXC1" = 0x31435850
 *        4    1 version      PX_WIRE_VERSION
 *        5    1 type         enum px_msg_type
 *        6    2 flags        must be 0
 *        8    4 cluster_id   must equal the receiver's
 *       12    4 from         sender's node id (1..PX_MAX_NODES)
 *       16    4 length       payload bytes
 *       20    4 crc32c       over header (crc field as 0) and payload
 *
 * Payloads are fixed layouts per type (see docs/PROTOCOL.md); a decoder
 * accepts a frame only if every field is in range and the payload length is
 * exactly what the type and its counts imply.  Nothing grows with the log:
 * the largest frame is bounded by PX_MAX_FRAME.
 */
#ifndef PX_WIRE_H
#define PX_WIRE_H

#include "types.h"

#define PX_WIRE_MAGIC 0x31435850u
#define PX_WIRE_VERSION 4
#define PX_WIRE_HEADER 24

enum px_msg_type {
    PX_MSG_PREPARE = 1,      /* proposer -> acceptor: phase 1a */
    PX_MSG_PROMISE = 2,      /* acceptor -> proposer: phase 1b, one chunk */
    PX_MSG_ACCEPT = 3,       /* proposer -> acceptor: phase 2a */
    PX_MSG_ACCEPTED = 4,     /* acceptor -> proposer: phase 2b */
    PX_MSG_REJECT = 5,       /* acceptor -> proposer: ballot too low */
    PX_MSG_CHOSEN = 6,       /* proposer -> learners, learner -> learner: a decided slot */
    PX_MSG_HEARTBEAT = 7,    /* leader -> proposers and learners */
    PX_MSG_REQUEST = 8,      /* gateway -> proposer, proposer -> leader: a client command */
    PX_MSG_NACK = 9,         /* proposer -> gateway: command not taken */
    PX_MSG_CATCHUP = 10,     /* learner -> learners / leader: send me slots from here */
    PX_MSG_LEARNED = 11,     /* learner -> proposers: how far I have applied */
    PX_MSG_APPLIED = 12,     /* learner -> local gateway: results of one applied slot */
    PX_MSG_LIST_REQ = 13,    /* gateway -> learner: list elements from an index */
    PX_MSG_LIST_CHUNK = 14,  /* learner -> gateway: a run of list elements */
    PX_MSG_CTL_REQ = 15,     /* gateway -> any role: describe your state */
    PX_MSG_CTL_REPLY = 16,   /* role -> gateway: state as JSON text */
    PX_MSG_TRIM = 17,        /* leader -> acceptors: forget slots below, snapshots cover them */
    PX_MSG_SNAP_REQ = 18,    /* learner -> learner: a piece of your snapshot, please */
    PX_MSG_SNAP_CHUNK = 19,  /* learner -> learner: a piece of a snapshot */
    PX_MSG_VOTE = 20,        /* acceptor -> learners: phase 2b with the value, once durable */
    PX_MSG_TYPE_MAX = 20
};

/* Phase 1a: promise not to accept below ballot, and report what you accepted
 * at or above from_slot.  Also sent again, same ballot, to ask for the next
 * chunk of a long report. */
typedef struct px_prepare {
    px_ballot ballot;
    uint64_t from_slot;
} px_prepare;

/* One accepted (slot, ballot, value) an acceptor reports in a promise. */
typedef struct px_promise_entry {
    uint64_t slot;
    px_ballot vballot;
    px_value value;
} px_promise_entry;

/* Phase 1b: a promise for ballot plus one chunk of the acceptor's accepted
 * entries in [max(from_slot, trimmed), next_slot), in slot order.  done = 1
 * means the acceptor has accepted nothing at or above next_slot; otherwise
 * the proposer asks again with PREPARE(ballot, next_slot).  trimmed is the
 * acceptor's compaction mark: it forgot every slot below it, all of which
 * are chosen and covered by learners' snapshots, so nothing below it may
 * be proposed again. */
typedef struct px_promise {
    px_ballot ballot;
    uint32_t acceptor;
    uint64_t from_slot;
    uint64_t next_slot;
    uint64_t trimmed;
    uint8_t done;
    uint8_t n;
    px_promise_entry entries[PX_MAX_PROMISE_ENTRIES];
} px_promise;

/* Phase 2a. */
typedef struct px_accept {
    px_ballot ballot;
    uint64_t slot;
    px_value value;
} px_accept;

/* Phase 2b. */
typedef struct px_accepted {
    px_ballot ballot;
    uint32_t acceptor;
    uint64_t slot;
} px_accepted;

/* Phase 2b as the learners hear it: acceptor accepted value in slot under
 * ballot, durably.  Sent with every ACCEPTED (to the proposer) to every
 * learner, which decides the slot itself from a quorum of VOTEs for one
 * (slot, ballot): one hop less than waiting for the leader's CHOSEN.  The
 * value rides along because a learner has no other copy of it. */
typedef struct px_vote {
    px_ballot ballot;
    uint32_t acceptor;
    uint64_t slot;
    px_value value;
} px_vote;

/* A prepare or accept refused, either because the acceptor promised a
 * higher ballot (carried in promised) so the proposer can back off at once,
 * or because an accept's slot lies below the acceptor's compaction mark
 * (slot < trimmed): that slot is chosen and covered by snapshots, and the
 * proposer must stop proposing in it. */
typedef struct px_reject {
    px_ballot promised;
    uint32_t acceptor;
    uint8_t of_type; /* PX_MSG_PREPARE or PX_MSG_ACCEPT */
    uint64_t slot;   /* the accept's slot, or the prepare's from_slot */
    uint64_t trimmed; /* the acceptor's compaction mark */
} px_reject;

/* A decided slot: a quorum of acceptors accepted value under ballot.  Sent by
 * the leader that saw the quorum (acks is the bitmap of acceptor ids, bit i
 * for node i, as the proof) and re-sent by learners that serve catch-up. */
typedef struct px_chosen {
    uint64_t slot;
    px_ballot ballot;
    uint32_t acks;
    px_value value;
} px_chosen;

/* Leader liveness and progress: every slot below chosen_upto is chosen. */
typedef struct px_heartbeat {
    px_ballot ballot;
    uint32_t leader;
    uint64_t chosen_upto;
} px_heartbeat;

/* A client command on its way to the leader.  origin is the node whose
 * gateway waits for the result (NACKs go to its gateway); hops counts
 * forwards between proposers so a confused view cannot loop forever. */
typedef struct px_request {
    px_cmd cmd;
    uint32_t origin;
    uint8_t hops;
    uint16_t attempt; /* the gateway's attempt number for cmd (1, 2, ...), echoed by a NACK */
} px_request;

enum px_nack_reason {
    PX_NACK_NO_LEADER = 1, /* no leader known: try later (503) */
    PX_NACK_BUSY = 2,      /* the leader's queue is full: try later (503) */
    PX_NACK_TOO_MANY_HOPS = 3
};

/* attempt echoes the refused REQUEST's, so the gateway can tell which of
 * its attempts were refused: a duplicated REQUEST (or NACK) must not make
 * one refusal count for an attempt a leader did queue (the 503 rule). */
typedef struct px_nack {
    uint64_t client;
    uint64_t seq;
    uint8_t reason;
    uint32_t leader_hint; /* 0 if unknown */
    uint16_t attempt;
} px_nack;

/* A learner asks for chosen slots from from_slot on. */
typedef struct px_catchup {
    uint64_t from_slot;
    uint32_t learner;
} px_catchup;

/* A learner tells proposers how far it has applied (next slot it needs)
 * and how far its snapshot on disk reaches (every slot below snapshot_upto
 * is in it; 0 if it has none).  Proposers derive the compaction mark from
 * the snapshot marks. */
typedef struct px_learned {
    uint32_t learner;
    uint64_t applied_upto;
    uint64_t snapshot_upto;
} px_learned;

/* Result of one command in an applied slot. */
enum px_applied_flags {
    PX_APPLIED_DUP = 1,  /* a retry of an already applied command: result is the original */
    PX_APPLIED_STALE = 2 /* a retry older than the client's latest: result unknown (-1) */
};

typedef struct px_applied_entry {
    px_cmd cmd;
    uint8_t flags;
    int64_t result; /* append: index of the value; read: list length */
} px_applied_entry;

/* Learner -> its own node's gateway: slot was applied; list_len is the list
 * length after it.  leader is the node whose ballot decided the slot (0 if
 * unknown): the gateway sends its next requests straight to that node's
 * proposer instead of through its own. */
typedef struct px_applied {
    uint64_t slot;
    uint64_t list_len;
    uint32_t leader;
    uint16_t n;
    px_applied_entry entries[PX_MAX_BATCH];
} px_applied;

typedef struct px_list_req {
    uint64_t from_index;
} px_list_req;

/* Elements [from_index, from_index + n) of the learned list, whose total
 * length is total_len. */
typedef struct px_list_chunk {
    uint64_t from_index;
    uint64_t total_len;
    uint32_t n;
    int64_t values[PX_LIST_CHUNK];
} px_list_chunk;

/* Leader -> acceptors: a quorum of learners hold durable snapshots of every
 * slot below `below`; forget accepted entries there.  ballot is the
 * leader's: an acceptor trims only under the ballot it promised, and only
 * within what it has accepted, so a stray or forged TRIM cannot make it
 * forget slots a live leader still needs. */
typedef struct px_trim {
    px_ballot ballot;
    uint64_t below;
} px_trim;

/* Learner -> learner: bytes [offset, ...) of your snapshot at snap_slot
 * (snap_slot 0: whichever snapshot you serve, from offset 0). */
typedef struct px_snap_req {
    uint64_t snap_slot;
    uint64_t offset;
} px_snap_req;

/* Learner -> learner: bytes [offset, offset + n) of the serialized snapshot
 * of every slot below snap_slot, total bytes long (the same bytes as the
 * learner's snapshot file, see learner/snapshot.h). */
typedef struct px_snap_chunk {
    uint64_t snap_slot;
    uint64_t total;
    uint64_t offset;
    uint16_t n;
    uint8_t data[PX_SNAP_CHUNK];
} px_snap_chunk;

/* Control requests (CTL_REQ), by `what`.  Before fault injection a CTL_REQ
 * was only `what` = 0 (one byte); the others carry the fields below, and
 * the decoder takes each only at its exact length. */
enum px_ctl_what {
    PX_CTL_STATE = 0,      /* describe your state (the reply is the role's JSON) */
    PX_CTL_FAULTS = 1,     /* describe fault settings and counters (common/faults.h) */
    PX_CTL_NET_FAULTS = 2, /* set the send faults */
    PX_CTL_FAILPOINT = 3,  /* arm or disarm one failpoint */
    PX_CTL_WHAT_MAX = 3
};

#define PX_PPM 1000000u               /* probabilities travel in parts per million */
#define PX_FAULT_DELAY_MAX_MS 1000u   /* the longest delay a send fault may add */
#define PX_FAULT_STALL_MAX_MS 60000u  /* the longest stall a failpoint may cause */
#define PX_FAILPOINT_NAME_MAX 40      /* [a-z0-9-], 1..40 bytes */

/* PX_FP_DROP: the host drops what it was handling at the point (a request
 * lost on the way), where the point says it can; elsewhere it does nothing. */
enum px_failpoint_action { PX_FP_OFF = 0, PX_FP_CRASH = 1, PX_FP_STALL = 2, PX_FP_DROP = 3 };

/* Send faults: each frame is dropped, duplicated, delayed or reordered
 * with these chances (their sum at most PX_PPM); delays are 1..delay_ms. */
typedef struct px_ctl_net_faults {
    uint32_t dup_ppm, delay_ppm, reorder_ppm, drop_ppm;
    uint32_t delay_ms; /* 1..PX_FAULT_DELAY_MAX_MS */
} px_ctl_net_faults;

/* One failpoint: fires with chance ppm each time it is passed, at most
 * count times (0: no limit), then disarms itself.  PX_FP_OFF disarms it. */
typedef struct px_ctl_failpoint {
    uint8_t action;   /* enum px_failpoint_action */
    uint32_t ppm;
    uint32_t count;
    uint32_t stall_ms; /* PX_FP_STALL: 1..PX_FAULT_STALL_MAX_MS; else 0 */
    uint8_t name_len;  /* 1..PX_FAILPOINT_NAME_MAX */
    char name[PX_FAILPOINT_NAME_MAX + 1]; /* nul-terminated once decoded */
} px_ctl_failpoint;

typedef struct px_ctl_req {
    uint8_t what; /* enum px_ctl_what */
    union {
        px_ctl_net_faults net; /* PX_CTL_NET_FAULTS */
        px_ctl_failpoint fp;   /* PX_CTL_FAILPOINT */
    } u;
} px_ctl_req;

/* CTL_REPLY is not a px_msg member: its 16 KB of JSON would make every
 * px_msg (copied on each outbox push) twice the size of the next largest
 * member.  It has its own codec, px_encode_ctl_reply / px_decode_ctl_reply,
 * used only by the control channel. */

/* A decoded message.  from is the sender's node id from the frame header. */
typedef struct px_msg {
    uint8_t type;
    uint32_t from;
    union {
        px_prepare prepare;
        px_promise promise;
        px_accept accept;
        px_accepted accepted;
        px_vote vote;
        px_reject reject;
        px_chosen chosen;
        px_heartbeat heartbeat;
        px_request request;
        px_nack nack;
        px_catchup catchup;
        px_learned learned;
        px_applied applied;
        px_list_req list_req;
        px_list_chunk list_chunk;
        px_ctl_req ctl_req;
        px_trim trim;
        px_snap_req snap_req;
        px_snap_chunk snap_chunk;
    } u;
} px_msg;

/* Decoder errors (returned negated). */
enum px_wire_err {
    PX_WIRE_OK = 0,
    PX_WIRE_SHORT = 1,      /* fewer bytes than a header, or than length says */
    PX_WIRE_MAGIC_BAD = 2,  /* not a paxos-c frame */
    PX_WIRE_VERSION_BAD = 3,
    PX_WIRE_TYPE_BAD = 4,
    PX_WIRE_FLAGS_BAD = 5,
    PX_WIRE_CLUSTER_BAD = 6, /* a peer from another cluster */
    PX_WIRE_TOO_LONG = 7,    /* length over PX_MAX_FRAME, or trailing bytes */
    PX_WIRE_CRC_BAD = 8,
    PX_WIRE_FIELD_BAD = 9,   /* a count or field out of range, or length mismatch */
    PX_WIRE_NODE_BAD = 10,   /* from outside 1..PX_MAX_NODES */
    PX_WIRE_BALLOT_BAD = 11  /* a ballot round above PX_MAX_ROUND */
};
#define PX_WIRE_ERR_MAX 11

/* Encode m (m->from is the sender id) into buf; returns the frame length,
 * or 0 if cap is too small or m is not encodable (a CTL_REPLY never is:
 * use px_encode_ctl_reply). */
size_t px_encode(const px_msg *m, uint32_t cluster_id, uint8_t *buf, size_t cap);

/* Decode one whole frame of exactly len bytes.  Returns 0 and fills *out,
 * or a negative enum px_wire_err.  Never reads outside buf[0..len).
 * A CTL_REPLY frame whose header and CRC are good is refused with
 * -PX_WIRE_TYPE_BAD: px_msg has no room for it (px_decode_ctl_reply). */
int px_decode(const uint8_t *buf, size_t len, uint32_t cluster_id, px_msg *out);

/* Encode a CTL_REPLY frame from node from carrying json[0..len) (no nul
 * goes on the wire).  Returns the frame length, or 0 if from is out of
 * range, len > PX_MAX_CTL_JSON or cap is too small. */
size_t px_encode_ctl_reply(uint32_t from, uint32_t cluster_id, const char *json, size_t len,
                           uint8_t *buf, size_t cap);

/* Decode one whole CTL_REPLY frame of exactly len bytes, under the same
 * header, CRC and length rules as px_decode (another type is
 * -PX_WIRE_TYPE_BAD).  On success copies at most cap - 1 bytes of the JSON
 * into json, nul-terminates it (cap must be > 0), stores the JSON's full
 * length on the wire in *json_len (more than cap - 1 means it was cut, as
 * with snprintf) and returns 0; otherwise a negative enum px_wire_err. */
int px_decode_ctl_reply(const uint8_t *buf, size_t len, uint32_t cluster_id, char *json,
                        size_t cap, size_t *json_len);

const char *px_wire_strerror(int err);
const char *px_msg_type_name(int type);

/* Client commands a message carries: 1 for a REQUEST, a value's or an
 * APPLIED's n, 0 for the rest (for batching counters). */
unsigned px_msg_commands(const px_msg *m);

/* Structural equality of two messages (used by tests and the simulator). */
int px_msg_equal(const px_msg *a, const px_msg *b);

#endif
