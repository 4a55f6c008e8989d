/* learner.h -- the learner's logic, a pure state machine: it receives
 * chosen slots, applies them strictly in slot order to the replicated list,
 * skips no-ops, deduplicates commands by (client, seq), reports each
 * applied slot to its node's gateway, and fetches slots it missed from
 * peer learners (and, if none can help, from the leader).
 *
 * Snapshots (log compaction): every snapshot_every applied slots the core
 * takes a snapshot point, whose serialization (learner/snapshot.h) the
 * host writes to disk and reports durable; the learner then forgets chosen
 * values more than snapshot_every slots below it, and a peer that asks for
 * forgotten slots is sent the snapshot instead (SNAP_CHUNK / SNAP_REQ).
 *
 * No I/O, no clock: time comes in with every call.
 */
#ifndef PX_LEARNER_H
#define PX_LEARNER_H

#include "../common/outbox.h"

/* Clients remembered for deduplication by every learner process.  Every
 * learner must use the same number (eviction must be identical
 * everywhere), so it is a constant; bin/paxos-audit replays the chosen log
 * with it too. */
#define LEARNER_DEDUP_MAX 65536

typedef struct learner_config {
    uint32_t id;
    uint32_t n_nodes;
    uint32_t node_ids[PX_MAX_NODES];
    uint64_t catchup_ms;  /* how often to ask peers while a gap remains */
    uint64_t status_ms;   /* how often to tell proposers how far we applied */
    uint32_t dedup_max;   /* clients remembered for deduplication */
    uint64_t snapshot_every; /* slots between snapshot points; 0 = never */
} learner_config;

struct learner;

struct learner *learner_new(const learner_config *cfg, uint64_t now);
void learner_free(struct learner *l);

/* Handle CHOSEN, VOTE, HEARTBEAT, CATCHUP, LIST_REQ, SNAP_REQ, SNAP_CHUNK.
 *
 * Returns 0 when the message was taken or ignored as normal (a duplicate,
 * an old or overtaken one), else an enum px_refusal (common/refuse.h) for
 * the host to count; a refused message changes nothing.  Refused: another
 * type (UNEXPECTED_TYPE); a CHOSEN whose acks name a non-member or fewer
 * than a quorum (CHOSEN_QUORUM), or with a zero ballot (BALLOT_ZERO), slot
 * UINT64_MAX (SLOT_BAD); a VOTE whose acceptor is not a member
 * (NOT_MEMBER) or not its sender (SENDER_MISMATCH), with a zero ballot or
 * slot UINT64_MAX, or with another value than an earlier VOTE for the
 * same slot and ballot (VOTE_MISMATCH); a HEARTBEAT whose leader is not a member
 * (NOT_MEMBER) or is not its sender and its ballot's node
 * (SENDER_MISMATCH); a CATCHUP whose learner is not its sender
 * (SENDER_MISMATCH); CATCHUP, SNAP_REQ or SNAP_CHUNK from ourselves
 * (WRONG_PATH) or a non-member (NOT_MEMBER); LIST_REQ from another node
 * (WRONG_PATH); a snapshot chunk announcing a size out of
 * [PX_SNAP_MIN, PX_SNAP_MAX], or a transfer that fails verification
 * (SNAPSHOT_BAD: the transfer is dropped, and catch-up starts another). */
int learner_handle(struct learner *l, const px_msg *in, uint64_t now, px_outbox *out);
void learner_tick(struct learner *l, uint64_t now, px_outbox *out);
uint64_t learner_next_deadline(const struct learner *l);

/* Stop retaining chosen values below slot (the core does this itself when
 * a snapshot becomes durable; exposed for tests). */
void learner_forget_below(struct learner *l, uint64_t slot);

/* Snapshots.  The host polls learner_snapshot_pending() after handling
 * messages; if non-zero it writes learner_snapshot_size() bytes read with
 * learner_snapshot_read() to disk and then calls learner_snapshot_durable()
 * with that slot.  The bytes are those of the current point, which may
 * change with the next learner_handle() call. */
uint64_t learner_snapshot_pending(const struct learner *l); /* S of a point not yet reported durable, else 0 */
uint64_t learner_snapshot_size(const struct learner *l);    /* bytes of the current point's serialization, 0 if none */
size_t learner_snapshot_read(const struct learner *l, uint64_t off, uint8_t *buf, size_t n); /* bytes [off, off+n) of it; returns bytes copied */
void learner_snapshot_durable(struct learner *l, uint64_t slot); /* the host has the point at slot on disk */
uint64_t learner_snapshot_upto(const struct learner *l);    /* slot of the newest durable snapshot, 0 if none */
/* At start, before any other call: install a snapshot read from disk; it
 * counts as durable.  0, or -1 with the reason in err (nothing changed). */
int learner_restore_snapshot(struct learner *l, const uint8_t *buf, size_t len, char *err, size_t errlen);

/* Introspection. */
uint64_t learner_applied_upto(const struct learner *l); /* next slot to apply */
uint64_t learner_known_chosen(const struct learner *l); /* highest chosen_upto heard */
const int64_t *learner_list(const struct learner *l, size_t *len);
size_t learner_dedup_size(const struct learner *l);
size_t learner_pending(const struct learner *l); /* chosen slots received but not yet applicable */
size_t learner_tallies(const struct learner *l); /* pending slots with VOTEs but no quorum yet */
uint64_t learner_votes_decided(const struct learner *l); /* slots decided from VOTEs, not CHOSEN */
size_t learner_retained(const struct learner *l); /* applied slots kept for peers */
uint64_t learner_snapshot_receiving(const struct learner *l); /* S of a transfer under way, else 0 */
/* Returns 1 and the value of slot if it is retained (applied or pending). */
int learner_chosen_value(const struct learner *l, uint64_t slot, const px_value **v);

#endif
