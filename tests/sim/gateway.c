/* gateway.c -- each node's gateway, as gateway/cluster.c and http.c host
 * it, around the REAL core (gateway/core.c in libpaxoscore.a): messages
 * from the node's learner and proposer go into gw_core_handle followed by
 * a tick; HTTP requests into gw_core_begin + gw_core_arm; the core's clock
 * is the node's local one, and a timer fires at gw_core_next_deadline.
 * What the core outputs goes out: REQUESTs to the node's proposer and
 * LIST_REQs to its learner through the simulated network, resumed waiters
 * into gw_core_complete, and the answers back to the clients (checked
 * first: answers.c).  A gateway crash (a fault, or its node's) ends every
 * request it held with a cut connection; a restarted one draws a new
 * client-id base and starts with an empty list copy, as the process does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

static void http_answer_ev(sim_world *w, sim_http *h)
{
    sim_event e = {0};
    e.time = w->now + sim_rand(w, 0, 2);
    e.kind = EV_HTTP_ANS;
    e.node = h->ci;
    e.token = h->id;
    ev_push(w, &e);
}

/* The gateway answered h (at once, or after a resume): check it, count
 * it, send it back. */
static void answered(sim_world *w, sim_http *h)
{
    h->state = HTTP_ANSWERED;
    trace_note(w, "gateway answers (x = HTTP status)", h->node, PX_ROLE_GATEWAY,
               (uint64_t)h->ans.status);
    w->stat_ans[h->ans.kind]++;
    if (h->ans.dup) w->stat_dup++;
    inv_on_answer(w, h);
    http_answer_ev(w, h);
}

static void lost(sim_world *w, sim_http *h)
{
    h->state = HTTP_LOST;
    w->stat_ans[GW_ANS_TIMEOUT + 1]++;
    http_answer_ev(w, h);
}

/* A resumed waiter: its answer, or another wait for the list copy. */
static void resume(sim_world *w, uint32_t id, sim_http *h)
{
    if (gw_core_complete(w->nodes[id].gw, &h->w, node_local(w, id), &h->ans)) answered(w, h);
    else w->stat_listwait++;
}

/* Send what the core asked for, then answer what it resumed. */
static void flush(sim_world *w, uint32_t id)
{
    gw_core_out *o = &w->gwout;
    px_msg *m = w->msg2;
    for (size_t i = 0; i < o->n_sends && !w->failed; i++) {
        memset(m, 0, sizeof *m);
        m->type = PX_MSG_REQUEST;
        m->u.request.cmd = o->sends[i].cmd;
        m->u.request.origin = id;
        m->u.request.attempt = o->sends[i].attempt;
        if (o->sends[i].to == id) w->stat_gw_own++;
        else w->stat_gw_direct++;
        net_send_one(w, id, PX_ROLE_GATEWAY, PX_ROLE_PROPOSER, o->sends[i].to, m);
    }
    if (o->list_req && !w->failed) {
        memset(m, 0, sizeof *m);
        m->type = PX_MSG_LIST_REQ;
        m->u.list_req.from_index = o->list_from;
        net_send_one(w, id, PX_ROLE_GATEWAY, PX_ROLE_LEARNER, id, m);
    }
    for (size_t i = 0; i < o->n_resume && !w->failed; i++) resume(w, id, o->resume[i]);
    gw_core_out_clear(o);
}

/* After a core call: the copy is checked before anything is answered
 * from it.  The caller re-arms the timer (after a tick, not at the same
 * instant: node.c). */
static void stepped(sim_world *w, uint32_t id)
{
    inv_gateway_copy(w, id);
    flush(w, id);
}

void gwhost_start(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    gw_core_config cfg = w->p.gw;
    cfg.node = id;
    cfg.client_base = px_rng_next(&w->rng);
    cfg.members = ((1u << w->n) - 1) << 1;
    nd->gw = malloc(sizeof *nd->gw);
    if (!nd->gw || gw_core_init(nd->gw, &cfg) != 0) abort();
    nd->gw_checked_len = 0;
}

/* The process dies: every connection it held is cut. */
void gwhost_stop(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    /* the earlier incarnations' requests were cut when they stopped */
    for (size_t i = 0; i < w->n_https; i++) {
        sim_http *h = w->https[i];
        if (h->node == id && h->state == HTTP_WAITING) lost(w, h);
    }
    gw_core_free(nd->gw);
    free(nd->gw);
    nd->gw = NULL;
}

void gwhost_tick(sim_world *w, uint32_t id)
{
    gw_core_out_clear(&w->gwout);
    gw_core_tick(w->nodes[id].gw, node_local(w, id), &w->gwout);
    stepped(w, id);
}

uint64_t gwhost_deadline(const sim_world *w, uint32_t id)
{
    return gw_core_next_deadline(w->nodes[id].gw);
}

/* A message from the node's learner or proposer: the direct clients look
 * too (they act as gateways of their own), then the core takes it. */
void gwhost_on_msg(sim_world *w, uint32_t id, const px_msg *m)
{
    client_on_gateway(w, id, m);
    if (w->failed) return;
    gw_core *c = w->nodes[id].gw;
    if (gw_core_handle(c, m) != 0) {
        sim_fail(w, "gateway input", "n%u's gateway gets %s from n%u", id,
                 px_msg_type_name(m->type), m->from);
        return;
    }
    gw_core_out_clear(&w->gwout);
    gw_core_tick(c, node_local(w, id), &w->gwout);
    stepped(w, id);
    node_timer_arm(w, id, PX_ROLE_GATEWAY, 0);
}

/* EV_HTTP_REQ: a request reaches the node's gateway (refused if it is
 * down).  Its command is registered before the first attempt leaves. */
void gwhost_on_request(sim_world *w, sim_event *e)
{
    sim_http *h = w->https[e->token];
    sim_node *nd = &w->nodes[e->node];
    trace_add(w, e, NULL);
    if (!nd->up[PX_ROLE_GATEWAY]) {
        lost(w, h);
        return;
    }
    gw_request r = {.kind = h->kind, .value = h->value, .idem_key = h->keyed ? h->key : NULL,
                    .want_list = h->want_list};
    if (!gw_core_begin(nd->gw, &h->w, &r, h, node_local(w, e->node), &h->ans)) {
        answered(w, h);
        return;
    }
    h->rec = reg_add(w, h->w.client, h->w.seq, h->kind, h->value, h->ci, h->op);
    if (h->rec == 0) return;
    w->recs[h->rec].requests++;
    h->state = HTTP_WAITING;
    gw_core_out_clear(&w->gwout);
    gw_core_arm(nd->gw, &h->w, &w->gwout);
    stepped(w, e->node);
    node_timer_arm(w, e->node, PX_ROLE_GATEWAY, 0);
}
