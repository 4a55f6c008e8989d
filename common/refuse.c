/* refuse.c -- names of the refusal reasons (see refuse.h). */
#include "refuse.h"

const char *px_refusal_key(int reason)
{
    switch (reason) {
    case PX_WIRE_SHORT: return "short";
    case PX_WIRE_MAGIC_BAD: return "bad_magic";
    case PX_WIRE_VERSION_BAD: return "bad_version";
    case PX_WIRE_TYPE_BAD: return "bad_type";
    case PX_WIRE_FLAGS_BAD: return "bad_flags";
    case PX_WIRE_CLUSTER_BAD: return "foreign_cluster";
    case PX_WIRE_TOO_LONG: return "too_long";
    case PX_WIRE_CRC_BAD: return "bad_crc";
    case PX_WIRE_FIELD_BAD: return "bad_field";
    case PX_WIRE_NODE_BAD: return "bad_sender_id";
    case PX_WIRE_BALLOT_BAD: return "ballot_ceiling";
    case PX_REFUSE_UNEXPECTED_TYPE: return "unexpected_type";
    case PX_REFUSE_WRONG_PATH: return "wrong_path";
    case PX_REFUSE_NOT_MEMBER: return "not_member";
    case PX_REFUSE_TRIM_BALLOT: return "trim_ballot";
    case PX_REFUSE_TRIM_AHEAD: return "trim_ahead";
    case PX_REFUSE_CHOSEN_QUORUM: return "chosen_quorum";
    case PX_REFUSE_SLOT_BAD: return "bad_slot";
    case PX_REFUSE_BALLOT_ZERO: return "zero_ballot";
    case PX_REFUSE_SNAPSHOT_BAD: return "bad_snapshot";
    case PX_REFUSE_SENDER_MISMATCH: return "sender_mismatch";
    case PX_REFUSE_VOTE_MISMATCH: return "vote_mismatch";
    default: return "unknown";
    }
}

const char *px_refusal_text(int reason)
{
    if (reason >= 1 && reason <= PX_WIRE_ERR_MAX) return px_wire_strerror(reason);
    switch (reason) {
    case PX_REFUSE_UNEXPECTED_TYPE: return "a message type this role never receives";
    case PX_REFUSE_WRONG_PATH: return "sender id or type does not match the path it came by";
    case PX_REFUSE_NOT_MEMBER: return "node id not in the cluster configuration";
    case PX_REFUSE_TRIM_BALLOT: return "TRIM not under the promised ballot";
    case PX_REFUSE_TRIM_AHEAD: return "TRIM beyond what this acceptor has accepted";
    case PX_REFUSE_CHOSEN_QUORUM: return "CHOSEN whose acks are not a quorum of members";
    case PX_REFUSE_SLOT_BAD: return "slot out of range";
    case PX_REFUSE_BALLOT_ZERO: return "zero ballot";
    case PX_REFUSE_SNAPSHOT_BAD: return "snapshot failed verification";
    case PX_REFUSE_SENDER_MISMATCH: return "an id in the frame is not its sender's";
    case PX_REFUSE_VOTE_MISMATCH: return "VOTE with another value than an earlier VOTE for its slot and ballot";
    default: return "unknown reason";
    }
}
