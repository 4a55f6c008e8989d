/* proposer.c -- the proposer core's lifecycle, message dispatch, timers and
 * introspection.  The protocol itself lives in leadership.c (who leads),
 * phase1.c (reading acceptors), phase2.c (choosing slots) and requests.c
 * (client commands); internal.h has the map. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "../common/refuse.h"

int prop_is_member(const struct proposer *p, uint32_t node)
{
    return node >= 1 && node <= PX_MAX_NODES && (p->members & (1u << node));
}

/* The scratch message, typed and addressed from us.  Only the header is
 * reset: each sender zeroes the union member it fills (px_msg is ~8 KB). */
px_msg *prop_msg(struct proposer *p, int type)
{
    p->msg.type = (uint8_t)type;
    p->msg.from = p->cfg.id;
    return &p->msg;
}

/* Clamps a host's configuration to what the core can work with, so a bad
 * config file degrades (e.g. batch 1) instead of corrupting memory. */
static void sanitize_config(proposer_config *c)
{
    if (c->n_nodes > PX_MAX_NODES) c->n_nodes = PX_MAX_NODES;
    if (c->batch_max < 1) c->batch_max = 1;
    if (c->batch_max > PX_MAX_BATCH) c->batch_max = PX_MAX_BATCH;
    if (c->pipeline < 1) c->pipeline = 1;
    if (c->queue_max < 1) c->queue_max = 1;
    if (c->heartbeat_ms < 1) c->heartbeat_ms = 1;
    if (c->retransmit_ms < 1) c->retransmit_ms = 1;
    if (c->election_max_ms < c->election_min_ms) c->election_max_ms = c->election_min_ms;
}

struct proposer *proposer_new(const proposer_config *cfg, uint64_t now)
{
    struct proposer *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    p->cfg = *cfg;
    if (p->cfg.open_max == 0) p->cfg.open_max = PROP_OPEN_MAX;
    if (p->cfg.batch_wait_ms == 0) p->cfg.batch_wait_ms = PROP_BATCH_WAIT_MS;
    sanitize_config(&p->cfg);
    for (uint32_t i = 0; i < p->cfg.n_nodes; i++) {
        uint32_t id = p->cfg.node_ids[i];
        if (id >= 1 && id <= PX_MAX_NODES) p->members |= 1u << id;
    }
    px_rng_seed(&p->rng, p->cfg.seed);
    p->state = PROPOSER_FOLLOWER;
    p->last_heard = now;
    /* Rounds up to initial_round may have been used by an earlier
     * incarnation of this proposer: count them as seen, so the next ballot
     * is above them.  Node 0, not our id: a heartbeat at (initial_round, x)
     * for any x may still be a live leader worth following. */
    p->highest.round = p->cfg.initial_round;
    p->round_used = p->cfg.initial_round;
    if (prop_slots_init(p) != 0 || prop_queue_init(p) != 0) {
        proposer_free(p);
        return NULL;
    }
    /* A fresh proposer waits a full randomized timeout before running for
     * leader: a live leader's heartbeat usually arrives first. */
    prop_arm_election(p, now);
    return p;
}

void proposer_free(struct proposer *p)
{
    if (p == NULL) return;
    prop_rec_reset(p);
    free(p->slots);
    free(p->q.v);
    free(p->q.at);
    free(p);
}

/* Why the ids in a frame are not ones an honest sender writes, or 0.  Each
 * reply names its sender (the acceptor of a PROMISE, ACCEPTED or REJECT,
 * the leader of a HEARTBEAT, the learner of a CATCHUP or LEARNED), and it
 * must be the frame's sender, a member: otherwise one peer could vote as
 * several acceptors, or speak for a learner or leader it is not.  A
 * REQUEST's origin is the member whose gateway waits for the answer. */
static int ids_refusal(const struct proposer *p, const px_msg *in)
{
    uint32_t id;
    switch (in->type) {
    case PX_MSG_PROMISE: id = in->u.promise.acceptor; break;
    case PX_MSG_ACCEPTED: id = in->u.accepted.acceptor; break;
    case PX_MSG_REJECT: id = in->u.reject.acceptor; break;
    case PX_MSG_HEARTBEAT: id = in->u.heartbeat.leader; break;
    case PX_MSG_CATCHUP: id = in->u.catchup.learner; break;
    case PX_MSG_LEARNED: id = in->u.learned.learner; break;
    case PX_MSG_REQUEST:
        return prop_is_member(p, in->u.request.origin) ? 0 : PX_REFUSE_NOT_MEMBER;
    default: return PX_REFUSE_UNEXPECTED_TYPE; /* nobody sends us anything else */
    }
    if (!prop_is_member(p, id)) return PX_REFUSE_NOT_MEMBER;
    return id == in->from ? 0 : PX_REFUSE_SENDER_MISMATCH;
}

int proposer_handle(struct proposer *p, const px_msg *in, uint64_t now, px_outbox *out)
{
    int why = ids_refusal(p, in);
    if (why) return why;
    switch (in->type) {
    case PX_MSG_PROMISE: why = prop_on_promise(p, &in->u.promise, now, out); break;
    case PX_MSG_ACCEPTED: why = prop_on_accepted(p, &in->u.accepted, out); break;
    case PX_MSG_REJECT: why = prop_on_reject(p, &in->u.reject, now, out); break;
    case PX_MSG_HEARTBEAT: why = prop_on_heartbeat(p, &in->u.heartbeat, now, out); break;
    case PX_MSG_REQUEST: prop_on_request(p, &in->u.request, now, out); break;
    case PX_MSG_CATCHUP: prop_on_catchup(p, &in->u.catchup, now, out); break;
    case PX_MSG_LEARNED: prop_on_learned(p, &in->u.learned, out); break;
    default: break;
    }
    /* A refused message changed nothing: nothing new to pump or announce
     * (what time makes due, proposer_tick does). */
    if (why) return why;
    /* Whatever freed pipeline room or added work, use it at once rather
     * than at the next tick. */
    prop_pump(p, now, out);
    /* A chunk may have made a quiet candidate's read advance again. */
    prop_candidate_heartbeat(p, now, out);
    return 0;
}

void proposer_tick(struct proposer *p, uint64_t now, px_outbox *out)
{
    if (p->state != PROPOSER_LEADER && now >= p->election_at)
        prop_start_election(p, now, out);
    if (p->rd.kind != READ_NONE) prop_read_retransmit(p, now, out);
    prop_candidate_heartbeat(p, now, out);
    if (p->state == PROPOSER_LEADER) {
        if (now >= p->heartbeat_at) prop_send_heartbeat(p, now, out);
        prop_accept_retransmit(p, now, out);
        prop_pump(p, now, out);
    }
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

uint64_t proposer_next_deadline(const struct proposer *p)
{
    uint64_t d = p->state == PROPOSER_LEADER ? p->heartbeat_at : p->election_at;
    if (p->state == PROPOSER_LEADER) {
        d = min_u64(d, prop_accept_deadline(p));
        d = min_u64(d, prop_batch_deadline(p));
    }
    if (p->rd.kind != READ_NONE) d = min_u64(d, prop_read_deadline(p));
    return min_u64(d, prop_candidate_heartbeat_deadline(p));
}

uint64_t proposer_round_to_persist(const struct proposer *p) { return p->round_used; }

int proposer_state(const struct proposer *p) { return p->state; }
px_ballot proposer_ballot(const struct proposer *p) { return p->ballot; }
uint32_t proposer_leader(const struct proposer *p) { return p->leader; }
uint64_t proposer_chosen_upto(const struct proposer *p) { return p->chosen_upto; }
uint64_t proposer_next_slot(const struct proposer *p) { return p->next_slot; }
uint32_t proposer_in_flight(const struct proposer *p) { return p->n_open; }
uint32_t proposer_queued(const struct proposer *p) { return p->q.n; }
uint64_t proposer_slots_chosen(const struct proposer *p) { return p->slots_chosen; }
uint64_t proposer_commands_chosen(const struct proposer *p) { return p->commands_chosen; }
uint64_t proposer_trim_mark(const struct proposer *p) { return p->trim_mark; }
uint64_t proposer_elections(const struct proposer *p) { return p->elections; }
uint64_t proposer_slots_with_commands(const struct proposer *p, uint32_t k)
{
    return k <= PX_MAX_BATCH ? p->slots_by_commands[k] : 0;
}
int proposer_round_exhausted(const struct proposer *p) { return prop_rounds_exhausted(p); }
