/* net.c -- the simulated network.  Every message a core emits is encoded
 * with px_encode (cluster id 1) and travels as bytes; it is decoded with
 * px_decode on delivery, so the codec is exercised on every hop.  Loss,
 * duplication, delay (with occasional long delays, which reorder) and
 * partitions are applied here, with intensities drawn from the seed.
 *
 * REQUEST and NACK are never duplicated: nng's TCP and ipc do not
 * duplicate, and the gateway's 503 rule counts NACKs against attempts (one
 * REQUEST seen twice can be NACKed twice, and two NO_LEADER NACKs then
 * cover a second attempt that a leader queued: FINDINGS.md, finding 5).
 * --dup-between-roles duplicates as the processes' fault injection does
 * (PAXOS_FAULT_DUP): every frame between protocol roles, REQUESTs
 * forwarded between proposers too, and none to or from a gateway. */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

/* Every 16th frame is also decoded at once and compared field by field
 * with what was encoded: a cheap, deterministic codec round-trip check. */
static void roundtrip_check(sim_world *w, const px_msg *m, size_t len)
{
    int rc = px_decode(w->frame, len, SIM_CLUSTER_ID, w->msg2);
    if (rc != 0) {
        sim_fail(w, "codec", "%s from n%u does not decode: %s",
                 px_msg_type_name(m->type), m->from, px_wire_strerror(-rc));
        return;
    }
    if (!px_msg_equal(m, w->msg2))
        sim_fail(w, "codec", "%s from n%u changes in an encode/decode round trip",
                 px_msg_type_name(m->type), m->from);
}

static void schedule_copy(sim_world *w, uint32_t from, int role, uint32_t to,
                          size_t len)
{
    uint64_t delay = sim_rand(w, w->p.delay_min, w->p.delay_max);
    if (!w->calm && sim_chance(w, w->p.long_pm)) delay += sim_rand(w, 0, w->p.long_max);
    sim_event e = {0};
    e.time = w->now + delay;
    e.kind = EV_MSG;
    e.role = (uint8_t)role;
    e.node = to;
    e.from = from;
    e.len = (uint32_t)len;
    e.buf = malloc(len);
    if (!e.buf) abort();
    memcpy(e.buf, w->frame, len);
    ev_push(w, &e);
    w->stat_msgs++;
    w->stat_bytes += len;
}

/* One frame to one node: partition, loss and duplication decide how many
 * copies (0, 1 or 2) are put on the wire. */
static void route(sim_world *w, uint32_t from, int role, uint32_t to, size_t len, int may_dup)
{
    if (to == 0 || to > w->n) {
        sim_fail(w, "address", "n%u sends to node %u (cluster has %u)", from, to, w->n);
        return;
    }
    if (from != to && net_blocked(w, from, to)) { w->stat_drops++; return; }
    if (!w->calm && sim_chance(w, w->p.loss_pm)) { w->stat_drops++; return; }
    schedule_copy(w, from, role, to, len);
    if (may_dup && !w->calm && sim_chance(w, w->p.dup_pm)) schedule_copy(w, from, role, to, len);
}

static void send_env(sim_world *w, uint32_t from, int from_role, px_envelope *env)
{
    px_msg *m = &env->msg;
    if (m->from == 0) m->from = from;
    inv_on_send(w, from, from_role, m);
    if (w->failed) return;
    size_t len = px_encode(m, SIM_CLUSTER_ID, w->frame, PX_MAX_FRAME);
    if (len == 0) {
        sim_fail(w, "codec", "%s from n%u cannot be encoded", px_msg_type_name(m->type), from);
        return;
    }
    if ((++w->roundtrip_ctr & 15) == 0) roundtrip_check(w, m, len);
    /* Any frame may be duplicated: the gateway's 503 rule tells attempts
     * apart by number (NACK.attempt), so a REQUEST or NACK delivered twice
     * cannot make one refusal stand for another attempt (FINDINGS 5). */
    int may_dup = 1;
    if (w->opt.dup_between_roles) /* as PAXOS_FAULT_DUP: never the gateway's channel */
        may_dup = from_role != PX_ROLE_GATEWAY && env->role != PX_ROLE_GATEWAY;
    if (env->node == PX_NODE_ALL) {
        for (uint32_t to = 1; to <= w->n && !w->failed; to++)
            route(w, from, env->role, to, len, may_dup);
    } else {
        route(w, from, env->role, env->node, len, may_dup);
    }
}

void net_send(sim_world *w, uint32_t from, int from_role, px_outbox *o)
{
    for (size_t i = 0; i < o->n && !w->failed; i++) send_env(w, from, from_role, &o->v[i]);
}

/* A message the simulator itself originates (a client's REQUEST from a
 * gateway), sent through the same path as the cores' messages. */
void net_send_one(sim_world *w, uint32_t from, int from_role, int role, uint32_t to,
                  px_msg *m)
{
    px_envelope env;
    env.role = (uint8_t)role;
    env.node = to;
    env.msg = *m;
    send_env(w, from, from_role, &env);
}

void net_deliver(sim_world *w, sim_event *e)
{
    int rc = px_decode(e->buf, e->len, SIM_CLUSTER_ID, w->msg);
    if (rc != 0) {
        sim_fail(w, "codec", "frame to n%u/%s does not decode: %s", e->node,
                 px_role_name(e->role), px_wire_strerror(-rc));
        return;
    }
    sim_node *nd = &w->nodes[e->node];
    int dropped = !nd->up[e->role] || (e->from != e->node && net_blocked(w, e->from, e->node));
    trace_add(w, e, w->msg);
    if (dropped) {
        w->trace[(w->trace_n - 1) % SIM_TRACE].dropped = 1;
        w->stat_drops++;
        return;
    }
    if (e->role == PX_ROLE_GATEWAY)
        gwhost_on_msg(w, e->node, w->msg);
    else
        node_deliver(w, e->node, e->role, w->msg);
}
