/* cluster.c -- the gateway's loop and its transport side.
 *
 * One thread does everything but /status: it takes APPLIED, NACK and
 * LIST_CHUNK from the local learner and proposer into the core (core.h:
 * the list copy, waiters, the resend schedule, fetches), ticks the core,
 * sends what it asks for, resumes the suspended HTTP connections it names,
 * and runs libmicrohttpd, whose handlers register new requests.  Sends are
 * held during an iteration and leave packed, one nng message per
 * destination: every REQUEST that a burst of HTTP requests produced goes
 * to the proposer as one message.  No thread sleeps per request: with one
 * thread per connection, every answer cost two extra context switches and
 * a fight for gw.mu, and each REQUEST its own trip through nng's threads.
 *
 * The command logic itself (the resend schedule, the 503 / 504 rule, the
 * read path) is in core.c, which the simulator runs too. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/net.h"
#include "gateway.h"

#define RECV_POLL_MS GW_SWEEP_MS /* the loop wakes this often: fetches and timers */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* What the core asked for: REQUESTs to the proposer and a LIST_REQ to the
 * learner go out now (under gw.mu: a waiter cannot go away meanwhile, and
 * px_net_send takes only its own lock); the connections to resume are
 * left in g->out for after the lock is released. */
static void send_out(gw *g)
{
    /* px_msg is ~8 KB (its largest member); clear only what REQUEST uses,
     * and give it our id so the transport need not copy it to set one */
    px_msg m;
    m.type = PX_MSG_REQUEST;
    m.from = g->node;
    for (size_t i = 0; i < g->out.n_sends; i++) {
        memset(&m.u.request, 0, sizeof(m.u.request));
        m.u.request.cmd = g->out.sends[i].cmd;
        m.u.request.origin = g->node;
        m.u.request.hops = 0;
        m.u.request.attempt = g->out.sends[i].attempt;
        if (px_net_send(g->net, PX_ROLE_PROPOSER, g->out.sends[i].to, &m) <= 0)
            gw_core_unsent(g->out.sends[i].w, g->out.sends[i].attempt);
    }
    g->out.n_sends = 0;
    if (g->out.list_req) {
        memset(&m, 0, sizeof(m));
        m.type = PX_MSG_LIST_REQ;
        m.u.list_req.from_index = g->out.list_from;
        px_net_send(g->net, PX_ROLE_LEARNER, g->node, &m);
        g->out.list_req = 0;
    }
}

/* ---- the loop ------------------------------------------------------------ */

/* Wait until the transport or libmicrohttpd has something, at most ms. */
static void wait_events(gw *g, int ms)
{
    struct pollfd p[2] = {{px_net_recv_fd(g->net), POLLIN, 0}, {g->http_fd, POLLIN, 0}};
    if (p[0].fd < 0) ms = ms < 1 ? ms : 1; /* no fd to wait on: poll the socket often */
    poll(p, 2, ms);
}

/* Everything the roles sent, the timers, the fetches; then the resumes. */
static void take_messages(gw *g, px_msg *m)
{
    gw_core_out_clear(&g->out);
    pthread_mutex_lock(&g->mu);
    int got = 1;
    for (int k = 0; got == 1 && k < 256; k++) {
        got = px_net_recv(g->net, m, 0);
        if (got == 1 && gw_core_handle(&g->core, m) != 0)
            px_debug("ignoring %s from node %u", px_msg_type_name(m->type), m->from);
    }
    if (got < 0) px_error("receive failed; retrying");
    gw_core_tick(&g->core, mono_ms(), &g->out);
    send_out(g);
    pthread_mutex_unlock(&g->mu);
    /* a suspended connection is ours until resumed: safe without the lock */
    for (size_t i = 0; i < g->out.n_resume; i++) g->resume(g->out.resume[i]);
    g->out.n_resume = 0;
}

static void *loop_main(void *arg)
{
    gw *g = arg;
    px_msg *m = malloc(sizeof(*m)); /* tens of KB: not on the stack */
    if (m == NULL) {
        px_error("out of memory starting the gateway loop");
        return NULL;
    }
    int http_ms = 0;
    while (!atomic_load(&g->stop)) {
        int ms = http_ms >= 0 && http_ms < RECV_POLL_MS ? http_ms : RECV_POLL_MS;
        wait_events(g, ms);
        px_net_hold(g->net); /* what this iteration sends leaves packed */
        take_messages(g, m);
        g->http_run(g, &http_ms);
        px_net_flush(g->net);
    }
    free(m);
    return NULL;
}

/* ---- start / stop ------------------------------------------------------- */

/* A random client-id base: ids must never repeat across restarts, or a new
 * command would be mistaken for a retry of an old one and not applied. */
static uint64_t random_base(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^
            ((uint64_t)getpid() << 32);
        v *= 0x9e3779b97f4a7c15ull;
    }
    return v;
}

int gw_start(gw *g, const px_config *cfg, uint32_t node, char *err, size_t errlen)
{
    memset(g, 0, sizeof(*g));
    g->cfg = *cfg;
    g->node = node;
    pthread_mutex_init(&g->mu, NULL);
    gw_stats_init(&g->stats);
    g->client_base = random_base();
    gw_core_config cc;
    gw_core_config_default(&cc, node, cfg->request_timeout_ms, g->client_base);
    for (uint32_t i = 0; i < cfg->n_nodes; i++) cc.members |= 1u << cfg->nodes[i].id;
    if (gw_core_init(&g->core, &cc) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    gw_core_out_init(&g->out);
    g->net = px_net_open(cfg, node, PX_ROLE_GATEWAY, err, errlen);
    return g->net == NULL ? -1 : 0;
}

int gw_run(gw *g, char *err, size_t errlen)
{
    if (pthread_create(&g->rx, NULL, loop_main, g) != 0) {
        snprintf(err, errlen, "cannot start the gateway loop");
        return -1;
    }
    g->running = 1;
    return 0;
}

void gw_halt(gw *g)
{
    if (!g->running || g->halted) return;
    atomic_store(&g->stop, 1);
    pthread_join(g->rx, NULL);
    g->halted = 1;
}

void gw_stop(gw *g)
{
    gw_halt(g);
    px_net_close(g->net);
    gw_core_free(&g->core);
    gw_core_out_free(&g->out);
}

/* ---- the core's request calls, under the lock ---------------------------- */

int gw_begin(gw *g, gw_waiter *w, const gw_request *r, void *conn, gw_answer *a)
{
    pthread_mutex_lock(&g->mu);
    int rc = gw_core_begin(&g->core, w, r, conn, mono_ms(), a);
    pthread_mutex_unlock(&g->mu);
    return rc;
}

/* On the loop thread (a handler), whose output is empty between
 * iterations: the first attempt leaves with this iteration's sends. */
void gw_arm(gw *g, gw_waiter *w)
{
    pthread_mutex_lock(&g->mu);
    gw_core_arm(&g->core, w, &g->out);
    send_out(g);
    pthread_mutex_unlock(&g->mu);
}

int gw_complete(gw *g, gw_waiter *w, gw_answer *a)
{
    pthread_mutex_lock(&g->mu);
    int rc = gw_core_complete(&g->core, w, mono_ms(), a);
    pthread_mutex_unlock(&g->mu);
    return rc;
}

void gw_abandon(gw *g, gw_waiter *w)
{
    pthread_mutex_lock(&g->mu);
    gw_core_abandon(&g->core, w);
    pthread_mutex_unlock(&g->mu);
}

/* The loop sees `stopping` and resumes everything within RECV_POLL_MS. */
void gw_resume_all(gw *g)
{
    pthread_mutex_lock(&g->mu);
    gw_core_stop(&g->core);
    pthread_mutex_unlock(&g->mu);
}

void gw_request_routes(gw *g, uint64_t *direct, uint64_t *via_own)
{
    pthread_mutex_lock(&g->mu);
    *direct = g->core.direct;
    *via_own = g->core.via_own;
    pthread_mutex_unlock(&g->mu);
}

uint64_t gw_list_len(gw *g)
{
    pthread_mutex_lock(&g->mu);
    uint64_t n = g->core.list.len;
    pthread_mutex_unlock(&g->mu);
    return n;
}

uint64_t gw_now_ms(void)
{
    return mono_ms();
}
