/* cluster.c -- the gateway's nng side.
 *
 * One receive thread takes APPLIED, NACK and LIST_CHUNK from the local
 * learner and proposer, wakes the HTTP threads waiting for them, keeps the
 * list copy growing, and fetches what the copy misses.  HTTP threads send
 * their REQUESTs themselves (px_net_send is thread-safe) and wait on their
 * own condition variable with a deadline.
 *
 * The 503 / 504 rule.  A command that timed out is "not applied" (503)
 * only if we know no attempt could have been queued by a leader: every
 * REQUEST we sent was answered NACK(NO_LEADER) -- the proposers refused it
 * without forwarding it anywhere -- or never left this process.  One lost
 * NACK, one BUSY, one silence, and an earlier attempt may sit in some
 * leader's queue and be applied later: then we answer 504, "may or may not
 * have been applied". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/net.h"
#include "gateway.h"

#define RECV_POLL_MS 50       /* receive loop wakes this often to fetch */
#define FETCH_RETRY_MS 300    /* re-ask for a list chunk not answered */
#define PROBE_MS 1000         /* ask the learner its list length until it answers */
#define LAST_ATTEMPT_MS 200   /* no new attempt this close to the deadline */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Condition variables wait on the monotonic clock, so a wall-clock jump
 * cannot stretch or cut a request's deadline. */
static void cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

/* Wait on c until signalled or deadline_ms (monotonic); 1 on timeout. */
static int wait_until(pthread_cond_t *c, pthread_mutex_t *mu, uint64_t deadline_ms)
{
    struct timespec ts = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000};
    return pthread_cond_timedwait(c, mu, &ts) == ETIMEDOUT;
}

static int send_to(gw *g, int role, const px_msg *m)
{
    return px_net_send(g->net, role, g->node, m);
}

/* ---- receive thread ----------------------------------------------------- */

static void on_applied(gw *g, const px_applied *a)
{
    for (uint16_t i = 0; i < a->n; i++) gw_pending_result(&g->pend, a, &a->entries[i]);
    if (gw_list_on_applied(&g->list, a)) pthread_cond_broadcast(&g->list_cond);
}

static void on_chunk(gw *g, const px_list_chunk *c)
{
    g->probed = 1;
    g->fetch_sent_ms = 0; /* answered: the next chunk may be asked at once */
    if (gw_list_on_chunk(&g->list, c)) pthread_cond_broadcast(&g->list_cond);
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

static void *rx_main(void *arg)
{
    gw *g = arg;
    px_msg *m = malloc(sizeof(*m)); /* tens of KB: not on the stack */
    if (m == NULL) {
        px_error("out of memory starting the receive thread");
        return NULL;
    }
    while (!atomic_load(&g->stop)) {
        int r = px_net_recv(g->net, m, RECV_POLL_MS);
        if (r < 0) {
            px_error("receive failed; retrying");
            usleep(100 * 1000);
        }
        pthread_mutex_lock(&g->mu);
        if (r == 1) handle(g, m);
        maybe_fetch(g, mono_ms());
        pthread_mutex_unlock(&g->mu);
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
    cond_init(&g->list_cond);
    if (gw_list_init(&g->list) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    g->client_base = random_base();
    gw_pending_init(&g->pend, g->client_base);
    cond_init(&g->pend.session_cond);
    g->net = px_net_open(cfg, node, PX_ROLE_GATEWAY, err, errlen);
    if (g->net == NULL) return -1;
    if (pthread_create(&g->rx, NULL, rx_main, g) != 0) {
        snprintf(err, errlen, "cannot start the receive thread");
        px_net_close(g->net);
        return -1;
    }
    return 0;
}

void gw_stop(gw *g)
{
    atomic_store(&g->stop, 1);
    pthread_join(g->rx, NULL);
    px_net_close(g->net);
    gw_list_free(&g->list);
}

/* ---- submitting a command ----------------------------------------------- */

/* The id a request runs under: a pooled session's next seq, or the
 * Idempotency-Key's fixed (client, 1).  Returns the session or -1 (key),
 * or -2 if no session freed up before the deadline. */
static int pick_id(gw *g, const char *key, uint64_t deadline, gw_waiter *w)
{
    if (key != NULL) {
        w->client = gw_idem_client(key);
        w->seq = 1;
        return -1;
    }
    int s;
    while ((s = gw_session_take(&g->pend)) < 0)
        if (wait_until(&g->pend.session_cond, &g->mu, deadline)) return -2;
    w->client = g->pend.sessions[s].client;
    w->seq = ++g->pend.sessions[s].seq;
    return s;
}

/* Send one attempt with gw.mu released; returns 1 if it left the process. */
static int send_attempt(gw *g, const gw_waiter *w, int kind, int64_t value)
{
    /* px_msg is ~16 KB (its largest member); clear only what REQUEST uses,
     * and give it our id so the transport need not copy it to set one */
    px_msg m;
    m.type = PX_MSG_REQUEST;
    m.from = g->node;
    memset(&m.u.request, 0, sizeof(m.u.request));
    m.u.request.cmd.kind = (uint8_t)kind;
    m.u.request.cmd.client = w->client;
    m.u.request.cmd.seq = w->seq;
    m.u.request.cmd.value = value;
    m.u.request.origin = g->node;
    m.u.request.hops = 0;
    pthread_mutex_unlock(&g->mu);
    int n = send_to(g, PX_ROLE_PROPOSER, &m);
    pthread_mutex_lock(&g->mu);
    return n > 0;
}

/* Resend until applied or the deadline: after GW_RESEND_FIRST_MS of
 * silence, then every GW_RESEND_MS, or GW_NACK_BACKOFF_MS after a NACK.
 * The first resend is early because a silent attempt usually went to a
 * leader that just died, and the new one is known within an election
 * timeout; later ones are slower so an overloaded cluster is not fed
 * duplicates.  Resending the same (client, seq) is
 * safe: the learners apply it once.  Returns attempts that left us. */
static uint32_t attempt_loop(gw *g, gw_waiter *w, int kind, int64_t value, uint64_t deadline,
                             uint32_t *unsent)
{
    uint32_t sent = 0;
    uint64_t interval = GW_RESEND_FIRST_MS;
    for (;;) {
        uint32_t nacks_seen = w->nacks;
        if (send_attempt(g, w, kind, value)) sent++;
        else (*unsent)++;
        uint64_t resend = mono_ms() + interval;
        interval = GW_RESEND_MS;
        while (!w->done && w->nacks == nacks_seen && mono_ms() < resend &&
               mono_ms() < deadline)
            wait_until(&w->cond, &g->mu, resend < deadline ? resend : deadline);
        if (w->done || mono_ms() >= deadline) break;
        if (w->nacks != nacks_seen) {
            uint64_t until = mono_ms() + GW_NACK_BACKOFF_MS;
            while (!w->done && mono_ms() < until && mono_ms() < deadline)
                wait_until(&w->cond, &g->mu, until < deadline ? until : deadline);
            if (w->done) break;
        }
        if (mono_ms() + LAST_ATTEMPT_MS >= deadline) {
            /* Too late for another attempt to help; wait out the rest so a
             * late APPLIED (or the last NACK) can still arrive. */
            while (!w->done && mono_ms() < deadline) wait_until(&w->cond, &g->mu, deadline);
            break;
        }
    }
    return sent;
}

int gw_submit(gw *g, int kind, int64_t value, const char *key, gw_result *res)
{
    uint64_t start = mono_ms();
    uint64_t deadline = start + g->cfg.request_timeout_ms;
    gw_waiter w;
    memset(&w, 0, sizeof(w));
    memset(res, 0, sizeof(*res));
    cond_init(&w.cond);
    pthread_mutex_lock(&g->mu);
    int s = pick_id(g, key, deadline, &w);
    if (s == -2) {
        pthread_mutex_unlock(&g->mu);
        pthread_cond_destroy(&w.cond);
        return GW_OVERLOADED;
    }
    gw_waiter_add(&g->pend, &w);
    uint32_t unsent = 0;
    uint32_t sent = attempt_loop(g, &w, kind, value, deadline, &unsent);
    gw_waiter_del(&w);
    if (s >= 0) {
        gw_session_give(&g->pend, s);
        pthread_cond_signal(&g->pend.session_cond);
    }
    int rc = gw_waiter_outcome(&w, sent);
    if (w.done) {
        res->e = w.res;
        res->slot = w.slot;
        res->list_len = w.list_len;
    }
    res->leader_hint = w.leader_hint;
    pthread_mutex_unlock(&g->mu);
    pthread_cond_destroy(&w.cond);
    res->elapsed_ms = mono_ms() - start;
    return rc;
}

int gw_wait_list(gw *g, uint64_t n, uint64_t deadline_ms)
{
    pthread_mutex_lock(&g->mu);
    if (n > g->want_len) g->want_len = n;
    while (g->list.len < n && mono_ms() < deadline_ms)
        wait_until(&g->list_cond, &g->mu, deadline_ms);
    int ok = g->list.len >= n;
    pthread_mutex_unlock(&g->mu);
    return ok ? 0 : -1;
}

uint64_t gw_now_ms(void)
{
    return mono_ms();
}
