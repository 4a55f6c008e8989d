/* members.h -- the membership history: which members govern each slot.
 *
 * docs/PROTOCOL.md, Membership.  A configuration is a set of node ids
 * (bit i: node i, ids 1..PX_MAX_NODES).  A valid change chosen in slot s
 * makes a configuration that governs every slot from s + PX_MEMBER_ALPHA
 * on; the initial configuration governs from slot 0.  A slot's value is
 * chosen when a majority of the configuration governing that slot voted
 * for it, so every quorum test here is per slot.
 *
 * The history is replicated state: every learner folds the same changes
 * of the same log in slot order (px_members_change, px_members_advance)
 * and so holds the same history; it goes into snapshots and LEARNED
 * reports as PX_MEMBERS_BYTES bytes (px_members_encode / _decode).  One
 * change at a time (a change while another has not taken effect is
 * refused), so the history is the current configuration and at most one
 * pending one.
 *
 * Pure: no I/O, no allocation. */
#ifndef PX_MEMBERS_H
#define PX_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Slots between a change and the first slot its configuration governs.
 * Every proposer's window (pipeline) must be at most this: a proposer
 * proposes in slot t only when it knows every chosen value at or below
 * t - PX_MEMBER_ALPHA, which fixes the configuration governing t. */
#define PX_MEMBER_ALPHA 128u

/* Every id a configuration may hold: bits 1..PX_MAX_NODES. */
#define PX_MEMBER_IDS (((1u << (PX_MAX_NODES + 1)) - 1u) & ~1u)

/* A change's kind (a command kind of its own in the log, stage 3). */
enum px_member_op { PX_MEMBER_ADD = 1, PX_MEMBER_REMOVE = 2 };

/* What px_members_change returns besides s + PX_MEMBER_ALPHA.  These are
 * the change command's result in the log, so every learner must give the
 * same one: they depend on the history and the command only. */
#define PX_MEMBER_BUSY (-1)    /* another change had not taken effect at its slot */
#define PX_MEMBER_INVALID (-2) /* id out of 1..9, add of a member, remove of a
                                * non-member or of the last member, or a slot
                                * too close to 2^64 */
#define PX_MEMBER_ORDER (-3)   /* caller bug: a slot already folded (nothing changed) */

typedef struct px_members {
    uint64_t upto;         /* every slot below has been folded in */
    uint32_t current;      /* members governing [current_from, pending_from or forever) */
    uint64_t current_from; /* 0: the initial configuration; else a change's slot + ALPHA */
    uint32_t pending;      /* 0, or the members governing slots from pending_from on */
    uint64_t pending_from; /* 0 if no pending configuration */
    uint32_t incarnation[PX_MAX_NODES + 1]; /* times each id was added (initial members: 0) */
} px_members;

/* Bytes of the encoded history: upto u64, current u16, current_from u64,
 * pending u16, pending_from u64, then incarnation u32 for ids 1..9;
 * little-endian. */
#define PX_MEMBERS_BYTES (8 + 2 + 8 + 2 + 8 + 4 * PX_MAX_NODES)

/* 1 if set is a configuration: non-empty, only ids 1..PX_MAX_NODES. */
int px_member_set_valid(uint32_t set);

/* Members in set (bits 1..PX_MAX_NODES only). */
uint32_t px_member_count(uint32_t set);

/* The initial history: initial governs every slot from 0, nothing folded.
 * -1 (m untouched) if initial is not a configuration. */
int px_members_init(px_members *m, uint32_t initial);

/* 1 if the history knows which configuration governs slot: slot is at or
 * above current_from and below upto + PX_MEMBER_ALPHA (a change not folded
 * yet takes effect at upto + ALPHA or later). */
int px_members_known(const px_members *m, uint64_t slot);

/* The configuration governing slot, or 0 if the history does not know it. */
uint32_t px_members_at(const px_members *m, uint64_t slot);

/* 1 if votes (bit i: node i voted) include a majority of the configuration
 * governing slot; votes of non-members never count.  0 if not, or if the
 * history does not know that configuration. */
int px_members_is_quorum(const px_members *m, uint64_t slot, uint32_t votes);

/* 1 if votes include a majority of every configuration the history knows
 * to govern a slot at or above from (the one governing from, and the
 * pending one if it takes effect later): what a phase 1 from slot from
 * needs.  0 if not, or if from is below current_from or not known. */
int px_members_quorum_from(const px_members *m, uint64_t from, uint32_t votes);

/* Fold the change (op, node) chosen in slot.  Every change of a slot is
 * folded in batch order, before px_members_advance passes the slot.
 * Returns the first slot the new configuration governs (slot + ALPHA), or
 * PX_MEMBER_BUSY / PX_MEMBER_INVALID (history unchanged: an invalid
 * change is chosen like any command, and applied as nothing), or
 * PX_MEMBER_ORDER if slot is below upto. */
int64_t px_members_change(px_members *m, uint64_t slot, int op, uint32_t node);

/* The configuration the change would make, if valid at slot (else 0).
 * Changes nothing: for a gateway judging a change before proposing it. */
uint32_t px_members_after(const px_members *m, uint64_t slot, int op, uint32_t node);

/* Every slot below upto is folded (no more changes from them).  Never
 * moves back. */
void px_members_advance(px_members *m, uint64_t upto);

/* The configuration governing upto, the slot of the change that made it
 * (0 for the initial configuration), and whether another change is chosen
 * but not in effect at upto: what GET /members shows. */
uint32_t px_members_now(const px_members *m, uint64_t *config_slot, uint32_t *pending);

/* Encode into buf (PX_MEMBERS_BYTES). */
void px_members_encode(const px_members *m, uint8_t buf[PX_MEMBERS_BYTES]);

/* Decode and check: 0, or -1 with *why set (m untouched).  Refused: a
 * length other than PX_MEMBERS_BYTES, a current configuration that is not
 * one, a current_from that is neither 0 nor a folded change's slot +
 * ALPHA, a pending configuration that is not one or comes from a slot
 * before the current one took effect (two changes at once) or not
 * folded, a pending_from without a pending configuration. */
int px_members_decode(px_members *m, const uint8_t *buf, size_t len, const char **why);

#endif
