/* leadership.c -- who leads: the randomized election timer, heartbeats,
 * stepping down on a higher ballot, the learners' applied marks that
 * decide where phase 1 starts reading, and their snapshot marks that decide
 * what acceptors may forget (TRIM). */
#include <string.h>
#include "internal.h"
#include "../common/quorum.h"
#include "../common/refuse.h"

/* The next election fires a fresh random time from now.  The jitter is what
 * breaks ties between candidates that time out together (dueling
 * proposers): the one with the shorter draw usually finishes phase 1 before
 * the other starts. */
void prop_arm_election(struct proposer *p, uint64_t now)
{
    p->election_at = now + px_rng_range(&p->rng, p->cfg.election_min_ms, p->cfg.election_max_ms);
}

/* Where phase 1 starts reading: every slot below it is known chosen, so
 * nothing there can need re-proposing.  Two sources, the higher wins:
 *   - chosen_upto, from the last leader's heartbeats (or our own);
 *   - the learners' applied marks: the minimum over all learners of the
 *     highest mark each reported (a learner never heard from counts as 0).
 * A learner that restarted empty and reports a lower mark does not pull
 * from down: it fetches old slots by catch-up (peers, then the leader's
 * re-read), while a low from would make every election re-read and
 * re-propose the whole log in PX_MAX_PROMISE_ENTRIES-sized chunks, which
 * outlasts the election timeout and lets candidates preempt each other. */
uint64_t prop_phase1_from(const struct proposer *p)
{
    uint64_t m = UINT64_MAX;
    for (uint32_t i = 0; i < p->cfg.n_nodes; i++) {
        uint32_t id = p->cfg.node_ids[i];
        if (!prop_is_member(p, id)) continue;
        if (p->learned[id] < m) m = p->learned[id];
    }
    if (m == UINT64_MAX) m = 0;
    return m > p->chosen_upto ? m : p->chosen_upto;
}

/* The trim mark T: the highest slot such that a quorum of the cluster's
 * learners reported snapshots reaching it (one never heard from counts as
 * 0), i.e. the quorum-th highest snapshot mark.  Every slot below T is
 * chosen and held in durable snapshots by a quorum, so any majority of
 * learners can rebuild it without the acceptors. */
static uint64_t trim_mark(const struct proposer *p)
{
    uint64_t m[PX_MAX_NODES];
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->cfg.n_nodes; i++) {
        uint32_t id = p->cfg.node_ids[i];
        if (!prop_is_member(p, id)) continue;
#ifndef PX_MUTANT_PROPOSER_TRIM_APPLIED
        uint64_t mark = p->snapped[id];
#else
        /* PLANTED BUG (mutant PROPOSER_TRIM_APPLIED): the wrong field of
         * LEARNED -- how far each learner APPLIED, not how far its durable
         * snapshot reaches -- so acceptors forget slots no snapshot holds
         * yet; learners that restart from their files cannot get them back. */
        uint64_t mark = p->learned[id];
#endif
        /* Insertion sort, highest first: at most 9 learners. */
        uint32_t k = n++;
        for (; k > 0 && m[k - 1] < mark; k--) m[k] = m[k - 1];
        m[k] = mark;
    }
    uint32_t q = px_quorum(p->cfg.n_nodes);
    return q >= 1 && q <= n ? m[q - 1] : 0;
}

void prop_send_trim(struct proposer *p, px_outbox *out)
{
    px_msg *m = prop_msg(p, PX_MSG_TRIM);
    memset(&m->u.trim, 0, sizeof m->u.trim);
    m->u.trim.ballot = p->ballot; /* acceptors trim only under the ballot they promised */
    m->u.trim.below = p->trim_mark;
    px_outbox_push(out, PX_ROLE_ACCEPTOR, PX_NODE_ALL, m);
}

void prop_on_learned(struct proposer *p, const px_learned *l, px_outbox *out)
{
    /* The highest report: applied marks only go up, except after a
     * learner restart (see prop_phase1_from), and LEARNED may be reordered. */
    if (l->applied_upto > p->learned[l->learner]) p->learned[l->learner] = l->applied_upto;
    /* A snapshot, once durable, stays: a lower report is an old message. */
    if (l->snapshot_upto > p->snapped[l->learner]) p->snapped[l->learner] = l->snapshot_upto;
    uint64_t t = trim_mark(p);
    if (t <= p->trim_mark) return;
    p->trim_mark = t;
    if (p->state == PROPOSER_LEADER) prop_send_trim(p, out);
}

/* No round is left above the highest seen: the next would pass
 * PX_MAX_ROUND, the ceiling every decoder enforces, and a few more past it
 * would wrap to 0.  Only a ballot at the ceiling gets us here -- 2^60
 * elections are out of any real cluster's reach, and no single flipped bit
 * of a real round lands exactly on it (bit 60 set with a round of 0 is not
 * a ballot) -- so it takes a buggy or hostile peer, and it is shown in
 * /roles/proposer rather than hidden by a wrap. */
int prop_rounds_exhausted(const struct proposer *p)
{
    return p->highest.round >= PX_MAX_ROUND;
}

/* Phase 1 with a ballot above everything seen.  Anything of an earlier
 * leadership or read is dropped; queued client commands stay (a candidate
 * serves them if it wins).  With no round left we stay a follower (a
 * leader at the ceiling is still followed) and try again at the next
 * timeout, which costs nothing. */
void prop_start_election(struct proposer *p, uint64_t now, px_outbox *out)
{
    if (prop_rounds_exhausted(p)) {
        prop_step_down(p, 0, now, out);
        return;
    }
    p->state = PROPOSER_CANDIDATE;
    p->elections++;
    p->leader = 0;
    p->ballot.round = p->highest.round + 1;
    p->ballot.node = p->cfg.id;
    p->highest = p->ballot;
    /* The host persists this before the PREPARE below leaves (proposer.h):
     * a restarted proposer must not create this ballot again. */
    if (p->ballot.round > p->round_used) p->round_used = p->ballot.round;
    prop_slots_abandon(p);
    prop_rec_reset(p);
    /* If no quorum answers before this fires, try again with a higher round. */
    prop_arm_election(p, now);
    /* The first candidate heartbeat goes once a quorum has answered. */
    p->heartbeat_at = now;
    prop_read_start(p, READ_ELECTION, prop_phase1_from(p), UINT64_MAX, now, out);
}

/* Phase 1 is complete and the recovery range is set: announce ourselves at
 * once so followers stop their election timers. */
void prop_become_leader(struct proposer *p, uint64_t now, px_outbox *out)
{
    p->state = PROPOSER_LEADER;
    p->leader = p->cfg.id;
    p->last_heard = now;
    prop_send_heartbeat(p, now, out);
}

/* Someone else leads, or may: stop everything that only a leader or
 * candidate does.  In-flight slots are abandoned, not NACKed: a quorum may
 * already hold them, and the next leader's phase 1 recovers exactly those;
 * the rest the gateway retries under the same command id. */
void prop_step_down(struct proposer *p, uint32_t leader, uint64_t now, px_outbox *out)
{
    p->state = PROPOSER_FOLLOWER;
    p->leader = leader;
    p->last_heard = now;
    prop_read_stop(p);
    prop_slots_abandon(p);
    prop_rec_reset(p);
    prop_arm_election(p, now);
    prop_queue_flush(p, out);
}

static px_msg *heartbeat_msg(struct proposer *p)
{
    px_msg *m = prop_msg(p, PX_MSG_HEARTBEAT);
    memset(&m->u.heartbeat, 0, sizeof m->u.heartbeat);
    m->u.heartbeat.ballot = p->ballot;
    m->u.heartbeat.leader = p->cfg.id;
    m->u.heartbeat.chosen_upto = p->chosen_upto;
    return m;
}

/* A leader's heartbeat, and TRIM with it while there is a mark: it is
 * idempotent and small, and repeating it covers a lost one and acceptors
 * that were down when the mark rose. */
void prop_send_heartbeat(struct proposer *p, uint64_t now, px_outbox *out)
{
    px_msg *m = heartbeat_msg(p);
    px_outbox_push(out, PX_ROLE_PROPOSER, PX_NODE_ALL, m);
    px_outbox_push(out, PX_ROLE_LEARNER, PX_NODE_ALL, m);
    p->heartbeat_at = now + p->cfg.heartbeat_ms;
    if (p->trim_mark > 0) prop_send_trim(p, out);
}

/* A candidate's phase 1 can take many chunk round trips (a cluster that
 * restarted whole re-reads its log from slot 0), longer than the followers'
 * election timeout; a follower that heard nothing would then preempt it
 * with a higher ballot, and the next candidate would fare no better.  So
 * while its read advances at a quorum (prop_read_live_until), a candidate
 * sends the leader's heartbeat to the proposers, and they follow it as a
 * leader: re-arm their election timers and forward requests to it (it
 * queues them).  That is safe: following changes no ballot we would use
 * (only raises the highest seen) and nothing anyone proposes or accepts;
 * the acceptors still decide who wins.  Learners do not get it: they ask
 * only a real leader for catch-up.  A candidate that stops advancing (no
 * quorum answers) goes quiet, so a healthy proposer takes over after one
 * election timeout. */
void prop_candidate_heartbeat(struct proposer *p, uint64_t now, px_outbox *out)
{
    if (p->state != PROPOSER_CANDIDATE || now < p->heartbeat_at) return;
    if (now >= prop_read_live_until(p)) {
        /* Quiet: nothing due until a chunk makes the read advance again
         * (proposer_handle checks then), and no deadline in the past. */
        p->heartbeat_at = now;
        return;
    }
    px_outbox_push(out, PX_ROLE_PROPOSER, PX_NODE_ALL, heartbeat_msg(p));
    p->heartbeat_at = now + p->cfg.heartbeat_ms;
}

/* When prop_candidate_heartbeat has something to do, UINT64_MAX if never
 * before the read advances again. */
uint64_t prop_candidate_heartbeat_deadline(const struct proposer *p)
{
    if (p->state != PROPOSER_CANDIDATE) return UINT64_MAX;
    return p->heartbeat_at < prop_read_live_until(p) ? p->heartbeat_at : UINT64_MAX;
}

/* A leader's heartbeat is followed if its ballot is at least the highest we
 * have seen (so a stale leader back from a partition is not).  For a
 * leader or candidate that ballot is above its own (ballots carry the node
 * id, so no other node has ours): it steps down. */
int prop_on_heartbeat(struct proposer *p, const px_heartbeat *hb, uint64_t now, px_outbox *out)
{
    /* The leader (a member, the sender: proposer_handle checked) sends its
     * own ballot. */
    if (px_ballot_is_zero(hb->ballot)) return PX_REFUSE_BALLOT_ZERO;
    if (hb->ballot.round > PX_MAX_ROUND) return PX_WIRE_BALLOT_BAD;
    if (hb->ballot.node != hb->leader) return PX_REFUSE_SENDER_MISMATCH;
    if (hb->leader == p->cfg.id) {
        /* Our own broadcast echoed back, or one from before a restart: never
         * follow ourselves, but never reuse that ballot either. */
        if (px_ballot_cmp(hb->ballot, p->highest) > 0) p->highest = hb->ballot;
        return 0;
    }
    if (px_ballot_cmp(hb->ballot, p->highest) < 0) return 0;
    p->highest = hb->ballot;
    if (p->state != PROPOSER_FOLLOWER) {
        prop_step_down(p, hb->leader, now, out);
    } else {
        p->leader = hb->leader;
        p->last_heard = now;
        prop_arm_election(p, now);
    }
    if (hb->chosen_upto > p->chosen_upto) p->chosen_upto = hb->chosen_upto;
    return 0;
}

/* An acceptor promised a higher ballot: our PREPARE or ACCEPT can never
 * succeed, so stop at once instead of waiting for a heartbeat.  Who won is
 * unknown (the promise may be a candidate that fails), so the leader is
 * unknown until a heartbeat names it. */
int prop_on_reject(struct proposer *p, const px_reject *rj, uint64_t now, px_outbox *out)
{
    /* The decoder refuses it too; checked here so that no input, however
     * it reaches the core, can make the next round wrap. */
    if (rj->promised.round > PX_MAX_ROUND) return PX_WIRE_BALLOT_BAD;
    if (px_ballot_cmp(rj->promised, p->highest) > 0) p->highest = rj->promised;
    if (p->state == PROPOSER_FOLLOWER) return 0;
    if (px_ballot_cmp(rj->promised, p->ballot) > 0) {
        prop_step_down(p, 0, now, out);
        return 0;
    }
    /* Not a higher ballot: an ACCEPT below the acceptor's compaction mark.
     * Every slot below the mark is chosen (and forgotten by that acceptor),
     * so our slots there are done whatever they held; the learners have
     * them, so no CHOSEN goes out. */
    if (rj->of_type == PX_MSG_ACCEPT && rj->slot < rj->trimmed && p->state == PROPOSER_LEADER)
        prop_slots_trimmed(p, rj->trimmed);
    /* Otherwise it answers an older ballot of ours. */
    return 0;
}
