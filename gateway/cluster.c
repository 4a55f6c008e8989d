/* cluster.c -- the gateway's loop and its transport side.
 *
 * One thread does everything but /status: it takes APPLIED, NACK and
 * LIST_CHUNK from the local learner and proposer, keeps the list copy
 * growing, fetches what the copy misses, runs every waiting request's
 * attempt schedule (resends; resuming its suspended HTTP connection once,
 * when the result arrives or the deadline passes), and runs libmicrohttpd,
 * whose handlers register new requests.  Sends are held during an
 * iteration and leave packed, one nng message per destination: every
 * REQUEST that a burst of HTTP requests produced goes to the proposer as
 * one message.  No thread sleeps per request: with one thread per
 * connection, every answer cost two extra context switches and a fight for
 * gw.mu, and each REQUEST its own trip through nng's threads.
 *
 * The 503 / 504 rule.  A command that timed out is "not applied" (503)
 * only if we know no attempt could have been queued by a leader: every
 * REQUEST we sent was answered NACK(NO_LEADER) -- the proposers refused it
 * without forwarding it anywhere -- or never left this process.  One lost
 * NACK, one BUSY, one silence, and an earlier attempt may sit in some
 * leader's queue and be applied later: then we answer 504, "may or may not
 * have been applied". */
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

#define RECV_POLL_MS 10       /* receive loop wakes this often: fetches and timers */
#define RESUME_BATCH 256      /* connections resumed per lock release */
#define FETCH_RETRY_MS 300    /* re-ask for a list chunk not answered */
#define PROBE_MS 1000         /* ask the learner its list length until it answers */
#define LAST_ATTEMPT_MS 200   /* no new attempt this close to the deadline */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int send_to(gw *g, int role, const px_msg *m)
{
    return px_net_send(g->net, role, g->node, m);
}

/* ---- receive thread ----------------------------------------------------- */

static void on_applied(gw *g, const px_applied *a)
{
    for (uint16_t i = 0; i < a->n; i++) gw_pending_result(&g->pend, a, &a->entries[i]);
    gw_list_on_applied(&g->list, a);
}

static void on_chunk(gw *g, const px_list_chunk *c)
{
    g->probed = 1;
    g->fetch_sent_ms = 0; /* answered: the next chunk may be asked at once */
    gw_list_on_chunk(&g->list, c);
}

/* Ask the local learner for the elements we miss, one chunk at a time. */
static void maybe_fetch(gw *g, uint64_t now)
{
    uint64_t target = g->list.known_len > g->want_len ? g->list.known_len : g->want_len;
    int behind = g->list.len < target;
    if (!behind && g->probed) return;
    uint64_t wait = behind ? FETCH_RETRY_MS : PROBE_MS;
    if (g->fetch_sent_ms != 0 && now - g->fetch_sent_ms < wait) return;
    px_msg m;
    memset(&m, 0, sizeof(m));
    m.type = PX_MSG_LIST_REQ;
    m.u.list_req.from_index = g->list.len;
    send_to(g, PX_ROLE_LEARNER, &m);
    g->fetch_sent_ms = now;
}

static void handle(gw *g, const px_msg *m)
{
    switch (m->type) {
    case PX_MSG_APPLIED: on_applied(g, &m->u.applied); break;
    case PX_MSG_NACK: gw_pending_nack(&g->pend, &m->u.nack); break;
    case PX_MSG_LIST_CHUNK: on_chunk(g, &m->u.list_chunk); break;
    default: px_debug("ignoring %s from node %u", px_msg_type_name(m->type), m->from); break;
    }
}

/* ---- the attempt schedule ------------------------------------------------- */

/* One attempt; caller holds gw.mu (px_net_send takes only its own lock). */
static void send_attempt(gw *g, gw_waiter *w)
{
    /* px_msg is ~8 KB (its largest member); clear only what REQUEST uses,
     * and give it our id so the transport need not copy it to set one */
    px_msg m;
    m.type = PX_MSG_REQUEST;
    m.from = g->node;
    memset(&m.u.request, 0, sizeof(m.u.request));
    m.u.request.cmd.kind = (uint8_t)w->kind;
    m.u.request.cmd.client = w->client;
    m.u.request.cmd.seq = w->seq;
    m.u.request.cmd.value = w->value;
    m.u.request.origin = g->node;
    m.u.request.hops = 0;
    if (send_to(g, PX_ROLE_PROPOSER, &m) > 0) w->sent++;
    else w->unsent++;
}

/* Resend after GW_RESEND_FIRST_MS of silence, then every GW_RESEND_MS, or
 * GW_NACK_BACKOFF_MS after a NACK.  The first resend is early because a
 * silent attempt usually went to a leader that just died, and the new one
 * is known within an election timeout; later ones are slower so an
 * overloaded cluster is not fed duplicates.  Resending the same (client,
 * seq) is safe: the learners apply it once.  No new attempt within
 * LAST_ATTEMPT_MS of the deadline: it could not help, and a late APPLIED or
 * NACK may still arrive.  Returns 1 if w's connection should be resumed. */
static int schedule(gw *g, gw_waiter *w, uint64_t now)
{
    if (w->resumed || !w->armed) return 0;
    if (w->done || now >= w->deadline_ms || g->stopping) return 1;
    if (w->nacks != w->nacks_seen) {
        w->nacks_seen = w->nacks;
        w->next_send_ms = now + GW_NACK_BACKOFF_MS;
    }
    if (now >= w->next_send_ms) {
        if (now + LAST_ATTEMPT_MS >= w->deadline_ms) {
            w->next_send_ms = UINT64_MAX;
        } else {
            send_attempt(g, w);
            w->next_send_ms = now + GW_RESEND_MS;
        }
    }
    return 0;
}

/* Connections to resume once gw.mu is released. */
typedef struct resumes {
    void *conn[RESUME_BATCH];
    int n;
} resumes;

static void want_resume(gw_waiter *w, resumes *r)
{
    if (r->n == RESUME_BATCH) return; /* the next sweep, 10 ms later, gets it */
    w->resumed = 1;
    r->conn[r->n++] = w->conn;
}

/* Waiters that got a result or a NACK: resume or reschedule them now. */
static void take_ready(gw *g, uint64_t now, resumes *r)
{
    gw_waiter *w = g->pend.ready;
    g->pend.ready = NULL;
    while (w) {
        gw_waiter *next = w->ready_next;
        w->on_ready = 0;
        w->ready_next = NULL;
        if (schedule(g, w, now)) want_resume(w, r);
        w = next;
    }
}

/* Every RECV_POLL_MS: resends and deadlines of every waiter. */
static void sweep(gw *g, uint64_t now, resumes *r)
{
    if (now - g->swept_ms < RECV_POLL_MS && !g->stopping) return;
    g->swept_ms = now;
    for (gw_waiter *w = g->async_head; w; w = w->async_next)
        if (schedule(g, w, now)) want_resume(w, r);
}

/* Answers waiting for the list copy: resume those it now covers, or whose
 * deadline passed. */
static void list_waits(gw *g, uint64_t now, resumes *r)
{
    for (gw_listwait *lw = g->lw_head; lw && r->n < RESUME_BATCH; lw = lw->next) {
        if (lw->resumed || (g->list.len < lw->need && now < lw->deadline_ms && !g->stopping))
            continue;
        lw->resumed = 1;
        r->conn[r->n++] = lw->conn;
    }
}

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
    resumes r;
    r.n = 0;
    pthread_mutex_lock(&g->mu);
    int got = 1;
    for (int k = 0; got == 1 && k < 256; k++) {
        got = px_net_recv(g->net, m, 0);
        if (got == 1) handle(g, m);
    }
    if (got < 0) px_error("receive failed; retrying");
    uint64_t now = mono_ms();
    take_ready(g, now, &r);
    sweep(g, now, &r);
    list_waits(g, now, &r);
    maybe_fetch(g, now);
    pthread_mutex_unlock(&g->mu);
    /* a suspended connection is ours until resumed: safe without the lock */
    for (int i = 0; i < r.n; i++) g->resume(r.conn[i]);
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
    if (gw_list_init(&g->list) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    g->client_base = random_base();
    gw_pending_init(&g->pend, g->client_base);
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
    gw_list_free(&g->list);
}

/* ---- submitting a command ----------------------------------------------- */

static void async_add(gw *g, gw_waiter *w)
{
    w->async_next = g->async_head;
    if (w->async_next) w->async_next->async_pprev = &w->async_next;
    w->async_pprev = &g->async_head;
    g->async_head = w;
}

static void async_del(gw *g, gw_waiter *w)
{
    if (w->async_pprev == NULL) return;
    *w->async_pprev = w->async_next;
    if (w->async_next) w->async_next->async_pprev = w->async_pprev;
    w->async_next = NULL;
    w->async_pprev = NULL;
    if (!w->on_ready) return;
    /* normally the ready list is empty whenever gw.mu is free; be safe */
    for (gw_waiter **pp = &g->pend.ready; *pp; pp = &(*pp)->ready_next)
        if (*pp == w) {
            *pp = w->ready_next;
            break;
        }
    w->on_ready = 0;
}

int gw_begin(gw *g, gw_waiter *w, int kind, int64_t value, const char *key, void *conn)
{
    memset(w, 0, sizeof(*w));
    w->kind = kind;
    w->value = value;
    w->conn = conn;
    w->start_ms = mono_ms();
    w->deadline_ms = w->start_ms + g->cfg.request_timeout_ms;
    w->next_send_ms = w->start_ms + GW_RESEND_FIRST_MS;
    pthread_mutex_lock(&g->mu);
    /* The id a request runs under: the Idempotency-Key's fixed (client, 1),
     * or a pooled session's next seq.  There are more sessions than
     * connections, so a free one is always there. */
    w->session = -1;
    if (key != NULL) {
        w->client = gw_idem_client(key);
        w->seq = 1;
    } else if (!g->stopping && (w->session = gw_session_take(&g->pend)) >= 0) {
        w->client = g->pend.sessions[w->session].client;
        w->seq = ++g->pend.sessions[w->session].seq;
    }
    int rc = g->stopping ? GW_STOPPING : (key != NULL || w->session >= 0) ? 0 : GW_OVERLOADED;
    if (rc == 0) {
        gw_waiter_add(&g->pend, w);
        async_add(g, w);
    }
    pthread_mutex_unlock(&g->mu);
    return rc;
}

void gw_arm(gw *g, gw_waiter *w)
{
    pthread_mutex_lock(&g->mu);
    w->armed = 1;
    send_attempt(g, w);
    pthread_mutex_unlock(&g->mu);
}

static void unregister(gw *g, gw_waiter *w)
{
    gw_waiter_del(w);
    async_del(g, w);
    if (w->session >= 0) gw_session_give(&g->pend, w->session);
    w->session = -1;
}

int gw_finish(gw *g, gw_waiter *w, gw_result *res)
{
    memset(res, 0, sizeof(*res));
    pthread_mutex_lock(&g->mu);
    unregister(g, w);
    int rc = gw_waiter_outcome(w, w->sent);
    if (w->done) {
        res->e = w->res;
        res->slot = w->slot;
        res->list_len = w->list_len;
    }
    res->leader_hint = w->leader_hint;
    pthread_mutex_unlock(&g->mu);
    res->elapsed_ms = mono_ms() - w->start_ms;
    return rc;
}

void gw_abandon(gw *g, gw_waiter *w)
{
    pthread_mutex_lock(&g->mu);
    unregister(g, w);
    pthread_mutex_unlock(&g->mu);
}

/* The loop sees `stopping` and resumes everything within RECV_POLL_MS. */
void gw_resume_all(gw *g)
{
    pthread_mutex_lock(&g->mu);
    g->stopping = 1;
    pthread_mutex_unlock(&g->mu);
}

int gw_listwait_begin(gw *g, gw_listwait *lw, uint64_t need, uint64_t deadline_ms, void *conn)
{
    memset(lw, 0, sizeof(*lw));
    pthread_mutex_lock(&g->mu);
    int ready = g->list.len >= need || g->stopping;
    if (!ready) {
        lw->need = need;
        lw->deadline_ms = deadline_ms;
        lw->conn = conn;
        lw->next = g->lw_head;
        if (lw->next) lw->next->pprev = &lw->next;
        lw->pprev = &g->lw_head;
        g->lw_head = lw;
        if (need > g->want_len) g->want_len = need;
    }
    pthread_mutex_unlock(&g->mu);
    return ready;
}

void gw_listwait_end(gw *g, gw_listwait *lw)
{
    pthread_mutex_lock(&g->mu);
    if (lw->pprev) {
        *lw->pprev = lw->next;
        if (lw->next) lw->next->pprev = lw->pprev;
        lw->pprev = NULL;
        lw->next = NULL;
    }
    pthread_mutex_unlock(&g->mu);
}

int gw_list_has(gw *g, uint64_t need)
{
    pthread_mutex_lock(&g->mu);
    int ok = g->list.len >= need;
    pthread_mutex_unlock(&g->mu);
    return ok;
}

uint64_t gw_now_ms(void)
{
    return mono_ms();
}
