/* client.c -- simulated clients.  Each issues operations one at a time:
 * appends of unique ints and some reads.  Most go through the gateways as
 * HTTP clients (httpc.c); the others (`direct`) play a gateway themselves:
 * a command with their own id and increasing seqs (reads get seqs too, so
 * a reply can be matched to its command) goes as REQUEST to the proposer of
 * a random node and completes when that node's learner reports it in
 * APPLIED.  NACK: retry after a backoff; timeout: retry the SAME (client,
 * seq) at a random node. */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

int64_t client_value(uint64_t client, uint64_t seq)
{
    return (int64_t)((client << 32) | seq);
}

sim_client *client_by_id(sim_world *w, uint64_t id)
{
    if (id < 1001 || id >= 1001 + (uint64_t)w->n_clients) return NULL;
    return &w->clients[id - 1001];
}

void client_push_ev(sim_world *w, uint64_t at, int kind, uint32_t ci, uint64_t tok)
{
    sim_event e = {0};
    e.time = at;
    e.kind = (uint8_t)kind;
    e.node = ci;
    e.token = tok;
    ev_push(w, &e);
}

void clients_init(sim_world *w)
{
    w->n_clients = (uint32_t)sim_rand(w, 3, 5);
    for (uint32_t i = 0; i < w->n_clients; i++) {
        sim_client *c = &w->clients[i];
        c->id = 1001 + i;
        c->http = sim_chance(w, w->p.http_pm);
        c->home = (uint32_t)sim_rand(w, 1, w->n);
        client_push_ev(w, sim_rand(w, 0, 20), EV_CLIENT_NEXT, i, 0);
    }
}

void clients_free(sim_world *w)
{
    for (uint32_t i = 0; i < w->n_clients; i++) free(w->clients[i].cmds);
    httpc_free(w);
}

int clients_idle(const sim_world *w)
{
    for (uint32_t i = 0; i < w->n_clients; i++)
        if (w->clients[i].busy) return 0;
    return 1;
}

/* A new op, invoked now: the client is busy until it completes, which must
 * happen within liveness_ms of max(now, the calm point). */
sim_cmd *client_new_op(sim_world *w, uint32_t ci)
{
    sim_client *c = &w->clients[ci];
    if (c->seq + 1 >= c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->cmds = realloc(c->cmds, c->cap * sizeof *c->cmds);
        if (!c->cmds) abort();
    }
    uint64_t seq = ++c->seq;
    sim_cmd *cmd = &c->cmds[seq];
    memset(cmd, 0, sizeof *cmd);
    int read = sim_chance(w, w->p.read_pm);
    cmd->kind = read ? PX_CMD_READ : PX_CMD_APPEND;
    cmd->invoke = w->now;
    cmd->watermark = w->rt_watermark;
    c->busy = 1;
    uint64_t from = w->now > w->calm_at ? w->now : w->calm_at;
    client_push_ev(w, from + w->opt.liveness_ms, EV_LIVENESS, ci, seq);
    return cmd;
}

/* The current op ends (state 1 ok, 2 unknown); the next comes after a
 * think time. */
void client_op_done(sim_world *w, uint32_t ci, int state, int64_t result)
{
    sim_client *c = &w->clients[ci];
    sim_cmd *cmd = &c->cmds[c->seq];
    cmd->state = state;
    cmd->result = result;
    cmd->done = w->now;
    c->busy = 0;
    c->completed++;
    c->attempt_tok++; /* late answers to it are ignored */
    client_push_ev(w, w->now + sim_rand(w, 0, w->p.think_max), EV_CLIENT_NEXT, ci, 0);
}

/* ---- direct clients -------------------------------------------------------- */

static void send_attempt(sim_world *w, uint32_t ci)
{
    sim_client *c = &w->clients[ci];
    const sim_cmd *cmd = &c->cmds[c->seq];
    uint32_t node = (uint32_t)sim_rand(w, 1, w->n);
    c->attempt_node = node;
    c->attempt_tok++;
    client_push_ev(w, w->now + sim_rand(w, w->p.client_to_min, w->p.client_to_max),
                   EV_CLIENT_TIMEOUT, ci, c->attempt_tok);
    if (!w->nodes[node].up[PX_ROLE_GATEWAY]) return; /* connection refused: wait it out */
    px_msg m;
    memset(&m, 0, sizeof m);
    m.type = PX_MSG_REQUEST;
    m.from = node;
    m.u.request.cmd.kind = cmd->kind;
    m.u.request.cmd.client = c->id;
    m.u.request.cmd.seq = c->seq;
    m.u.request.cmd.value = cmd->value;
    m.u.request.origin = node;
    net_send_one(w, node, PX_ROLE_GATEWAY, PX_ROLE_PROPOSER, node, &m);
}

static void issue(sim_world *w, uint32_t ci)
{
    sim_client *c = &w->clients[ci];
    if (c->busy || w->now >= w->stop_at) return;
    if (c->http) {
        httpc_issue(w, ci);
        return;
    }
    sim_cmd *cmd = client_new_op(w, ci);
    if (cmd->kind == PX_CMD_APPEND) cmd->value = client_value(c->id, c->seq);
    cmd->rec = reg_add(w, c->id, c->seq, cmd->kind, cmd->value, ci, c->seq);
    send_attempt(w, ci);
}

void client_on_event(sim_world *w, sim_event *e)
{
    sim_client *c = &w->clients[e->node];
    switch (e->kind) {
    case EV_CLIENT_NEXT:
        issue(w, e->node);
        break;
    case EV_CLIENT_SEND:
        if (!c->busy || e->token != c->attempt_tok) break;
        if (c->http) httpc_send(w, e->node);
        else send_attempt(w, e->node);
        break;
    case EV_CLIENT_TIMEOUT:
        if (!c->busy || e->token != c->attempt_tok) break;
        c->retries++;
        if (c->http) httpc_timeout(w, e->node);
        else send_attempt(w, e->node);
        break;
    case EV_LIVENESS:
        if (c->busy && c->seq == e->token) {
            trace_add(w, e, NULL);
            sim_fail(w, "liveness",
                     "client %llu op %llu invoked at %llu ms still pending at %llu ms "
                     "(faults stopped at %llu ms)",
                     (unsigned long long)c->id, (unsigned long long)c->seq,
                     (unsigned long long)c->cmds[c->seq].invoke, (unsigned long long)w->now,
                     (unsigned long long)w->calm_at);
        }
        break;
    default:
        break;
    }
}

static void complete(sim_world *w, sim_client *c, const px_applied_entry *ent, uint32_t node)
{
    uint32_t ci = (uint32_t)(c - w->clients);
    client_op_done(w, ci, (ent->flags & PX_APPLIED_STALE) ? 2 : 1, ent->result);
    inv_on_complete(w, c, &c->cmds[c->seq], node);
}

/* What a node's learner and proposer tell its gateway about direct
 * clients' commands (the gateway's core sees the same messages). */
void client_on_gateway(sim_world *w, uint32_t node, const px_msg *m)
{
    if (m->type == PX_MSG_APPLIED) {
        for (uint16_t i = 0; i < m->u.applied.n && !w->failed; i++) {
            const px_applied_entry *ent = &m->u.applied.entries[i];
            sim_client *c = client_by_id(w, ent->cmd.client);
            if (c && !c->http && c->busy && ent->cmd.seq == c->seq && node == c->attempt_node)
                complete(w, c, ent, node);
        }
    } else if (m->type == PX_MSG_NACK) {
        sim_client *c = client_by_id(w, m->u.nack.client);
        if (c && !c->http && c->busy && m->u.nack.seq == c->seq && node == c->attempt_node) {
            c->attempt_tok++;
            client_push_ev(w, w->now + sim_rand(w, 1, w->p.nack_backoff), EV_CLIENT_SEND,
                           (uint32_t)(c - w->clients), c->attempt_tok);
        }
    }
}
