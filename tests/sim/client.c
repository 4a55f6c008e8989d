/* client.c -- simulated clients.  Each has a unique id and issues
 * commands one at a time with increasing seqs (reads get seqs too, so a
 * reply can be matched to its command): appends of unique ints (the value
 * encodes client and seq) and some reads.  A command goes as REQUEST to
 * the proposer of a random node through that node's gateway and completes
 * when that node's learner reports it in APPLIED.  NACK: retry after a
 * backoff; timeout: retry the SAME (client, seq) at a random node. */
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

static void push_client_ev(sim_world *w, uint64_t at, int kind, uint32_t ci, uint64_t tok)
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
        w->clients[i].id = 1001 + i;
        push_client_ev(w, sim_rand(w, 0, 20), EV_CLIENT_NEXT, i, 0);
    }
}

void clients_free(sim_world *w)
{
    for (uint32_t i = 0; i < w->n_clients; i++) free(w->clients[i].cmds);
}

int clients_idle(const sim_world *w)
{
    for (uint32_t i = 0; i < w->n_clients; i++)
        if (w->clients[i].busy) return 0;
    return 1;
}

static void send_attempt(sim_world *w, uint32_t ci)
{
    sim_client *c = &w->clients[ci];
    const sim_cmd *cmd = &c->cmds[c->seq];
    uint32_t node = (uint32_t)sim_rand(w, 1, w->n);
    c->attempt_node = node;
    c->attempt_tok++;
    push_client_ev(w, w->now + sim_rand(w, w->p.client_to_min, w->p.client_to_max),
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
    cmd->value = read ? 0 : client_value(c->id, seq);
    cmd->invoke = w->now;
    cmd->watermark = w->rt_watermark;
    c->busy = 1;
    uint64_t from = w->now > w->calm_at ? w->now : w->calm_at;
    push_client_ev(w, from + w->opt.liveness_ms, EV_LIVENESS, ci, seq);
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
        if (c->busy && e->token == c->attempt_tok) send_attempt(w, e->node);
        break;
    case EV_CLIENT_TIMEOUT:
        if (c->busy && e->token == c->attempt_tok) {
            c->retries++;
            send_attempt(w, e->node);
        }
        break;
    case EV_LIVENESS:
        if (c->busy && c->seq == e->token) {
            trace_add(w, e, NULL);
            sim_fail(w, "liveness",
                     "client %llu seq %llu invoked at %llu ms still pending at %llu ms "
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
    sim_cmd *cmd = &c->cmds[c->seq];
    cmd->state = (ent->flags & PX_APPLIED_STALE) ? 2 : 1;
    cmd->result = ent->result;
    cmd->done = w->now;
    if (w->nodes[node].up[PX_ROLE_LEARNER]) learner_list(w->nodes[node].lrn, &cmd->seen_len);
    c->busy = 0;
    c->completed++;
    inv_on_complete(w, c, cmd, node);
    push_client_ev(w, w->now + sim_rand(w, 0, w->p.think_max), EV_CLIENT_NEXT,
                   (uint32_t)(c - w->clients), 0);
}

/* What a node's learner and proposer tell its gateway. */
void client_on_gateway(sim_world *w, uint32_t node, const px_msg *m)
{
    if (m->type == PX_MSG_APPLIED) {
        for (uint16_t i = 0; i < m->u.applied.n && !w->failed; i++) {
            const px_applied_entry *ent = &m->u.applied.entries[i];
            sim_client *c = client_by_id(w, ent->cmd.client);
            if (c && c->busy && ent->cmd.seq == c->seq && node == c->attempt_node)
                complete(w, c, ent, node);
        }
    } else if (m->type == PX_MSG_NACK) {
        sim_client *c = client_by_id(w, m->u.nack.client);
        if (c && c->busy && m->u.nack.seq == c->seq && node == c->attempt_node) {
            c->attempt_tok++;
            push_client_ev(w, w->now + sim_rand(w, 1, w->p.nack_backoff), EV_CLIENT_SEND,
                           (uint32_t)(c - w->clients), c->attempt_tok);
        }
    }
}
