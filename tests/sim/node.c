/* node.c -- one simulated node hosts the real acceptor, proposer and
 * learner cores, and its gateway's core (gateway.c).  It turns deliveries
 * and timer events into core calls,
 * passes each core its node's local (possibly skewed) clock, routes the
 * cores' outputs to the network and the disk, and crashes and restarts
 * roles: a crash loses all volatile state, a restarted acceptor gets back
 * only its durable records, a restarted proposer its persisted round, a
 * restarted learner its snapshot file (if it was not lost), a restarted
 * gateway nothing. */
#include <stdlib.h>
#include "sim.h"

uint64_t node_local(const sim_world *w, uint32_t id)
{
    const sim_node *nd = &w->nodes[id];
    return nd->clk_off + w->now * nd->clk_rate / 1000;
}

/* The first global time at which the node's local clock reads >= local. */
static uint64_t to_global(const sim_node *nd, uint64_t local)
{
    if (local <= nd->clk_off) return 0;
    uint64_t d = local - nd->clk_off;
    if (d > UINT64_MAX / 2000) return UINT64_MAX;
    return (d * 1000 + nd->clk_rate - 1) / nd->clk_rate;
}

static uint64_t role_deadline(const sim_node *nd, int role)
{
    if (role == PX_ROLE_PROPOSER) return proposer_next_deadline(nd->prop);
    if (role == PX_ROLE_GATEWAY) return gw_core_next_deadline(nd->gw);
    return learner_next_deadline(nd->lrn);
}

/* Keep one timer event per role: the earliest deadline.  A later deadline
 * leaves the pending event alone (it re-arms when it fires early); an
 * earlier one replaces it (the old event's token goes stale).  after_tick
 * forbids re-firing at the same instant, so a core whose deadline does not
 * move cannot spin the simulator. */
void node_timer_arm(sim_world *w, uint32_t id, int role, int after_tick)
{
    sim_node *nd = &w->nodes[id];
    if (!nd->up[role]) return;
    uint64_t t = to_global(nd, role_deadline(nd, role));
    if (t == UINT64_MAX) return;
    if (t <= w->now) t = after_tick ? w->now + 1 : w->now;
    if (nd->timer_pending[role] && nd->timer_at[role] <= t) return;
    nd->timer_pending[role] = 1;
    nd->timer_at[role] = t;
    sim_event e = {0};
    e.time = t;
    e.kind = EV_TIMER;
    e.role = (uint8_t)role;
    e.node = id;
    e.token = ++nd->timer_tok[role];
    ev_push(w, &e);
}

/* The proposer host's duty (proposer.h): its highest round is durable
 * before any message of the call that raised it leaves.  The simulated
 * write is synchronous and never lost, like a write + fsync that returned. */
static void prop_persist(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    uint64_t r = proposer_round_to_persist(nd->prop);
    if (r > nd->prop_round) nd->prop_round = r;
}

/* After every learner call: check it, then do the host's snapshot duty. */
static void learner_stepped(sim_world *w, uint32_t id)
{
    inv_after_learner(w, id);
    snap_after_learner(w, id);
}

void node_on_timer(sim_world *w, sim_event *e)
{
    sim_node *nd = &w->nodes[e->node];
    int role = e->role;
    if (!nd->up[role] || e->token != nd->timer_tok[role]) return;
    nd->timer_pending[role] = 0;
    uint64_t local = node_local(w, e->node);
    if (local < role_deadline(nd, role)) { node_timer_arm(w, e->node, role, 0); return; }
    trace_add(w, e, NULL);
    if (role == PX_ROLE_GATEWAY) {
        gwhost_tick(w, e->node);
        node_timer_arm(w, e->node, role, 1);
        return;
    }
    px_outbox_clear(&w->pout);
    if (role == PX_ROLE_PROPOSER) {
        proposer_tick(nd->prop, local, &w->pout);
        prop_persist(w, e->node);
    } else {
        learner_tick(nd->lrn, local, &w->pout);
    }
    net_send(w, e->node, role, &w->pout);
    if (role == PX_ROLE_LEARNER) learner_stepped(w, e->node);
    node_timer_arm(w, e->node, role, 1);
}

/* Refusals that honest nodes can cause, and why; any other reason on a
 * frame an honest core sent is a bug in the sender or in the check.
 *   TRIM_BALLOT: TRIM goes out with every heartbeat under the leader's
 *     ballot.  It arrives after the acceptor promised a newer candidate
 *     (a deposed leader's), or before the acceptor heard the new leader
 *     at all (it was outside phase 1's quorum -- down, cut off, or its
 *     PREPARE lost -- and no ACCEPT has reached it yet, or the TRIM
 *     overtook them on a reordering network).
 *   TRIM_AHEAD: the mark is a slot a quorum of learners snapshotted, so a
 *     quorum voted in every slot below it -- but not necessarily this
 *     acceptor, which may have missed the last ones (lost ACCEPTs, a
 *     partition, a crash that lost votes it had not synced, hence never
 *     acknowledged).
 * Both only delay compaction on that acceptor: it keeps its entries until
 * it votes under the leader for a slot at or above the mark.  Everything
 * else an honest node never sends: CHOSEN always carries the acks of the
 * quorum that chose it (leader) or that it was learned with (learners
 * re-serving), ids are always the sender's own, ballots real and below the
 * ceiling, snapshots served are the bytes of a point. */
static int honest_refusal(int reason)
{
    return reason == PX_REFUSE_TRIM_BALLOT || reason == PX_REFUSE_TRIM_AHEAD;
}

/* One decoded message into a core, its outputs on their way, the checks of
 * what the step changed run.  Returns the core's verdict; a refusal must
 * leave no output at all. */
static int core_deliver(sim_world *w, uint32_t id, int role, const px_msg *m)
{
    sim_node *nd = &w->nodes[id];
    uint64_t local = node_local(w, id);
    int why;
    size_t emitted;
    if (role == PX_ROLE_ACCEPTOR) {
        acc_out_clear(&w->aout);
        why = acceptor_handle(nd->acc, m, &w->aout);
        emitted = w->aout.persist.n + w->aout.msgs.n + w->aout.votes.n;
        acc_output(w, id);
        inv_after_acceptor(w, id, m, &w->aout.persist);
    } else {
        px_outbox_clear(&w->pout);
        if (role == PX_ROLE_PROPOSER) {
            why = proposer_handle(nd->prop, m, local, &w->pout);
            prop_persist(w, id);
        } else {
            uint64_t votes = learner_votes_decided(nd->lrn);
            size_t pend = learner_pending(nd->lrn);
            uint64_t upto = learner_applied_upto(nd->lrn);
            why = learner_handle(nd->lrn, m, local, &w->pout);
            w->stat_by_votes += learner_votes_decided(nd->lrn) - votes;
            if (m->type == PX_MSG_CHOSEN && why == 0 &&
                (learner_pending(nd->lrn) > pend || learner_applied_upto(nd->lrn) > upto))
                w->stat_by_chosen++;
        }
        emitted = w->pout.n;
        net_send(w, id, role, &w->pout);
        if (role == PX_ROLE_LEARNER) learner_stepped(w, id);
        node_timer_arm(w, id, role, 0);
    }
    if (why != 0 && emitted != 0)
        sim_fail(w, "refusal", "n%u/%s refuses %s from n%u (%s) but emits %zu messages or "
                 "records", id, px_role_name(role), px_msg_type_name(m->type), m->from,
                 px_refusal_key(why), emitted);
    return why;
}

/* A frame an honest core sent: taken, or refused for a reason honest
 * nodes can cause (counted). */
void node_deliver(sim_world *w, uint32_t id, int role, const px_msg *m)
{
    int why = core_deliver(w, id, role, m);
    if (why == 0 || w->failed) return;
    if (why > 0 && why < PX_REFUSE_MAX) w->refused[0][why]++;
    if (!honest_refusal(why))
        sim_fail(w, "honest refusal", "n%u/%s refuses %s from n%u: %s (%s)", id,
                 px_role_name(role), px_msg_type_name(m->type), m->from, px_refusal_key(why),
                 px_refusal_text(why));
}

/* A forged frame (forge.c): the caller judges the verdict. */
int node_deliver_forged(sim_world *w, uint32_t id, int role, const px_msg *m)
{
    return core_deliver(w, id, role, m);
}

static void start_role(sim_world *w, uint32_t id, int role)
{
    sim_node *nd = &w->nodes[id];
    uint64_t local = node_local(w, id);
    if (w->steps) trace_note(w, "restart", id, role, 0);
    if (role == PX_ROLE_ACCEPTOR) {
        nd->acc = acceptor_new(id);
        disk_restore(w, id);
        nd->up[role] = 1;
        inv_acceptor_restarted(w, id);
    } else if (role == PX_ROLE_PROPOSER) {
        proposer_config pc = w->p.pc;
        pc.id = id;
        pc.seed = px_rng_next(&w->rng);
        pc.initial_round = nd->prop_round; /* what the last incarnation persisted */
        nd->prop = proposer_new(&pc, local);
        nd->up[role] = 1;
        node_timer_arm(w, id, role, 0);
    } else if (role == PX_ROLE_LEARNER) {
        learner_config lc = w->p.lc;
        lc.id = id;
        nd->lrn = learner_new(&lc, local);
        snap_restore(w, id); /* its last durable snapshot, if any */
        nd->up[role] = 1;
        /* The restored list is checked whole against the model; the slots
         * inside the snapshot are not retained, so there is nothing per slot. */
        nd->lrn_checked_len = 0;
        nd->lrn_checked_slot = learner_applied_upto(nd->lrn);
        nd->lrn_point = learner_snapshot_pending(nd->lrn);
        nd->lrn_receiving = 0;
        if (w->steps) inv_after_learner(w, id);
        node_timer_arm(w, id, role, 0);
    } else {
        gwhost_start(w, id);
        nd->up[role] = 1;
        node_timer_arm(w, id, role, 0);
    }
}

static void stop_role(sim_world *w, uint32_t id, int role)
{
    sim_node *nd = &w->nodes[id];
    if (!nd->up[role]) return;
    nd->up[role] = 0;
    nd->gen[role]++;
    nd->timer_pending[role] = 0;
    nd->timer_tok[role]++;
    if (role == PX_ROLE_ACCEPTOR) {
        acceptor_free(nd->acc);
        nd->acc = NULL;
        disk_crash(w, id);
    } else if (role == PX_ROLE_PROPOSER) {
        proposer_free(nd->prop);
        nd->prop = NULL;
    } else if (role == PX_ROLE_LEARNER) {
        learner_free(nd->lrn);
        nd->lrn = NULL;
        snap_crash(w, id);
    } else {
        gwhost_stop(w, id); /* its requests are cut */
    }
}

/* role 0 means the whole node: every role and its gateway. */
void node_crash(sim_world *w, uint32_t id, int role)
{
    for (int r = 1; r < SIM_ROLES; r++)
        if (role == 0 || role == r) stop_role(w, id, r);
}

void node_restart(sim_world *w, uint32_t id, int role)
{
    for (int r = 1; r < SIM_ROLES && !w->failed; r++)
        if ((role == 0 || role == r) && !w->nodes[id].up[r]) start_role(w, id, r);
}

int node_has_unsynced(const sim_world *w, uint32_t id)
{
    const sim_node *nd = &w->nodes[id];
    return nd->up[PX_ROLE_ACCEPTOR] && nd->disk.n > nd->disk.durable;
}

void nodes_init(sim_world *w)
{
    int skew = sim_chance(w, 500);
    for (uint32_t id = 1; id <= w->n; id++) {
        sim_node *nd = &w->nodes[id];
        nd->id = id;
        nd->clk_off = skew ? sim_rand(w, 0, 1000000) : 0;
        nd->clk_rate = skew ? sim_rand(w, 900, 1100) : 1000;
        nd->lrn_checked_slot = 0;
    }
    for (uint32_t id = 1; id <= w->n; id++)
        for (int r = 1; r < SIM_ROLES; r++) start_role(w, id, r);
    w->first_slot = learner_applied_upto(w->nodes[1].lrn);
    for (uint32_t id = 1; id <= w->n; id++) w->nodes[id].lrn_checked_slot = w->first_slot;
    w->model_next = w->first_slot;
}

void nodes_free(sim_world *w)
{
    for (uint32_t id = 1; id <= w->n; id++) {
        sim_node *nd = &w->nodes[id];
        if (nd->acc) acceptor_free(nd->acc);
        if (nd->prop) proposer_free(nd->prop);
        if (nd->lrn) learner_free(nd->lrn);
        if (nd->gw) gw_core_free(nd->gw);
        free(nd->gw);
        nd->gw = NULL;
        disk_free(&nd->disk);
        snap_free(&nd->snap);
        free(nd->voted);
        nd->acc = NULL;
        nd->prop = NULL;
        nd->lrn = NULL;
        nd->voted = NULL;
    }
}
