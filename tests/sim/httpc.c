/* httpc.c -- simulated HTTP clients of the gateways, behaving as the
 * documented ones do (README, docs/ARCHITECTURE.md "503 or 504"):
 *
 *   POST /append, with an Idempotency-Key in some runs' share of appends
 *   (each op its own key) and ?list=false in some; GET /list.  The first
 *   request goes to the client's home gateway, retries to any.
 *   200            done.
 *   503            not applied (no leader, no session, list copy behind,
 *                  shutting down): retry after a backoff (Retry-After).
 *   504, 500, the client's own timeout, a refused or cut connection:
 *                  unknown.  A keyed append retries with the same key (the
 *                  safe move), a read retries, an unkeyed append gives up:
 *                  its outcome stays unknown.
 *
 * An unkeyed append's retry after a 503 is a new command; it carries a new
 * value, so the checker can tell which request's command the log applied.
 * Each answer is checked where the gateway gives it (answers.c); here, the
 * client checks what it sees against real time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

static sim_http *http_new(sim_world *w)
{
    if (w->n_https == w->cap_https) {
        w->cap_https = w->cap_https ? w->cap_https * 2 : 256;
        w->https = realloc(w->https, w->cap_https * sizeof *w->https);
        if (!w->https) abort();
    }
    sim_http *h = calloc(1, sizeof *h);
    if (!h) abort();
    h->id = (uint32_t)w->n_https;
    w->https[w->n_https++] = h;
    return h;
}

void httpc_free(sim_world *w)
{
    for (size_t i = 0; i < w->n_https; i++) free(w->https[i]);
    free(w->https);
    w->https = NULL;
    w->n_https = w->cap_https = 0;
}

/* One request for the current op, to `node`. */
static void send_to(sim_world *w, uint32_t ci, uint32_t node)
{
    sim_client *c = &w->clients[ci];
    sim_cmd *cmd = &c->cmds[c->seq];
    sim_http *h = http_new(w);
    h->node = node;
    h->ci = ci;
    h->op = c->seq;
    h->tok = ++c->attempt_tok;
    h->sent_at = w->now;
    h->kind = cmd->kind;
    h->keyed = cmd->keyed;
    if (h->keyed) /* the op's key: unique in the run */
        snprintf(h->key, sizeof h->key, "sim-%llu-c%u-op%llu", (unsigned long long)w->seed, ci,
                 (unsigned long long)c->seq);
    h->want_list = sim_chance(w, w->p.list_pm);
    if (cmd->kind == PX_CMD_APPEND && !cmd->keyed) cmd->value = w->next_value++;
    h->value = cmd->value;
    h->state = HTTP_SENT;
    c->attempt_node = node;
    cmd->requests++;
    sim_event e = {0};
    e.time = w->now + sim_rand(w, 0, 2);
    e.kind = EV_HTTP_REQ;
    e.node = node;
    e.token = h->id;
    ev_push(w, &e);
    client_push_ev(w, w->now + w->p.http_to, EV_CLIENT_TIMEOUT, ci, h->tok);
}

void httpc_send(sim_world *w, uint32_t ci)
{
    send_to(w, ci, (uint32_t)sim_rand(w, 1, w->n));
}

void httpc_issue(sim_world *w, uint32_t ci)
{
    sim_client *c = &w->clients[ci];
    sim_cmd *cmd = client_new_op(w, ci);
    if (cmd->kind == PX_CMD_APPEND) {
        cmd->keyed = sim_chance(w, w->p.key_pm);
        if (cmd->keyed) cmd->value = w->next_value++;
    }
    send_to(w, ci, c->home);
}

/* Try again after `wait` ms (the pending attempt token is spent). */
static void retry(sim_world *w, uint32_t ci, uint64_t wait)
{
    sim_client *c = &w->clients[ci];
    c->attempt_tok++;
    client_push_ev(w, w->now + wait, EV_CLIENT_SEND, ci, c->attempt_tok);
}

/* The outcome of the request is unknown (504, 500, timeout, connection). */
static void unknown(sim_world *w, uint32_t ci)
{
    sim_client *c = &w->clients[ci];
    const sim_cmd *cmd = &c->cmds[c->seq];
    if (cmd->kind == PX_CMD_APPEND && !cmd->keyed) {
        client_op_done(w, ci, 2, -1);
        return;
    }
    retry(w, ci, sim_rand(w, 0, w->p.http_backoff));
}

void httpc_timeout(sim_world *w, uint32_t ci)
{
    unknown(w, ci);
}

static void answered_ok(sim_world *w, uint32_t ci, int64_t result)
{
    sim_client *c = &w->clients[ci];
    const sim_cmd *cmd = &c->cmds[c->seq];
    client_op_done(w, ci, 1, result);
    inv_real_time(w, c, cmd, result);
}

/* EV_HTTP_ANS: an answer (or a lost connection) reaches its client. */
void httpc_on_answer(sim_world *w, sim_event *e)
{
    sim_http *h = w->https[e->token];
    sim_client *c = &w->clients[h->ci];
    if (!c->busy || h->op != c->seq || h->tok != c->attempt_tok) return; /* gave up on it */
    if (h->state == HTTP_LOST) {
        unknown(w, h->ci);
        return;
    }
    switch (h->ans.kind) {
    case GW_ANS_APPENDED: answered_ok(w, h->ci, h->ans.index); break;
    case GW_ANS_LIST: answered_ok(w, h->ci, (int64_t)h->ans.list_n); break;
    case GW_ANS_NOT_APPLIED:
    case GW_ANS_OVERLOADED:
    case GW_ANS_STOPPING:
    case GW_ANS_LIST_BEHIND: retry(w, h->ci, sim_rand(w, 1, w->p.http_backoff)); break;
    default: unknown(w, h->ci); break;
    }
}
