/* http.c -- the gateway's HTTP side (libmicrohttpd).
 *
 * libmicrohttpd runs inside the gateway's one loop (cluster.c), in external
 * epoll mode, and serves every connection (at most GW_MAX_CONNECTIONS).  No
 * handler may block.  A command can take up to request_timeout_ms to go
 * through the log, so its handler registers the command (gw_begin),
 * suspends the connection, queues the first attempt (gw_arm) and returns;
 * the loop resumes the connection when the result or the deadline comes,
 * and libmicrohttpd calls the handler again to answer (gw_finish).  An
 * answer that needs the gateway's list copy to grow first (a restarted
 * gateway) waits the same way (gw_listwait_begin).  /status and /roles wait for the
 * roles' control sockets (up to 500 ms each), so they run on a short-lived
 * thread of their own, also behind a suspended connection.  Keep-alive is
 * libmicrohttpd's default for HTTP/1.1; idle connections close after
 * GW_CONN_TIMEOUT_S.  Every answer, errors included, is JSON. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "../common/log.h"
#include "gateway.h"

enum req_state {
    REQ_READING = 0, /* headers and body coming in */
    REQ_WAITING,     /* a command registered, the connection suspended */
    REQ_LIST_WAIT,   /* its result in, waiting for the list copy */
    REQ_STATUS_RUN,  /* a status thread is building the answer */
    REQ_STATUS_DONE, /* ... and has built it */
    REQ_ANSWERED
};

/* Per-request state, kept across libmicrohttpd's calls for one request. */
typedef struct req {
    char body[GW_MAX_BODY];
    size_t len;
    int too_large;
    int state;           /* enum req_state */
    gw_waiter w;         /* REQ_WAITING: the command's waiter */
    gw_listwait lw;      /* REQ_LIST_WAIT */
    gw_result res;       /* the command's result, once in */
    int64_t value;
    int want_list, keyed;
    gw *g;               /* status threads */
    struct MHD_Connection *conn;
    int route, role;
    int out_status;      /* REQ_STATUS_DONE: the answer */
    gw_buf out;
} req;

static atomic_int status_threads; /* running; waited for at shutdown */

/* Queue b as the response (taking its memory) with the JSON content type. */
static enum MHD_Result reply(struct MHD_Connection *c, int status, gw_buf *b,
                             const char *allow, int retry_after)
{
    if (b->oom) {
        gw_buf_free(b);
        gw_json_error(b, "out of memory building the response");
        status = 500;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        gw_buf_free(b);
        return MHD_NO;
    }
    b->p = NULL; /* owned by the response now */
    gw_buf_free(b);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (retry_after) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, int status, const char *msg,
                                   const char *allow, int retry_after)
{
    gw_buf b = {0};
    gw_json_error(&b, msg);
    return reply(c, status, &b, allow, retry_after);
}

static const char *query(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

/* The error answer for a command that did not come back applied. */
static enum MHD_Result reply_failed(gw *g, struct MHD_Connection *c, int rc, int kind,
                                    int keyed)
{
    char msg[256];
    switch (rc) {
    case GW_NOT_APPLIED:
        return reply_error(c, 503,
                           keyed ? "no leader / no quorum: not applied by this request (an "
                                   "earlier request with the same Idempotency-Key may have "
                                   "been; retry with the same key)"
                                 : "no leader / no quorum: not applied",
                           NULL, 1);
    case GW_OVERLOADED:
        return reply_error(c, 503, "too many requests in flight: not applied", NULL, 1);
    case GW_STALE:
        return reply_error(c, 500,
                           "the learners refused this command as stale (an older request of "
                           "the same client id); its outcome is unknown",
                           NULL, 0);
    default:
        snprintf(msg, sizeof(msg),
                 kind == PX_CMD_APPEND
                     ? "timed out after %llu ms: the append may or may not have been applied"
                     : "timed out after %llu ms: the read did not complete",
                 (unsigned long long)g->cfg.request_timeout_ms);
        return reply_error(c, 504, msg, NULL, 0);
    }
}

static int idem_key_ok(const char *key)
{
    size_t n = strlen(key);
    return n > 0 && n <= GW_MAX_IDEM_KEY;
}

/* 200 {"value":V,"index":I[,"duplicate":true][,"list":[...]]} */
static enum MHD_Result reply_appended(gw *g, struct MHD_Connection *c, const gw_result *res,
                                      int64_t value, int want_list)
{
    int64_t index = res->e.result;
    if (index < 0) return reply_error(c, 500, "the learner reported no index", NULL, 0);
    int dup = (res->e.flags & PX_APPLIED_DUP) != 0;
    /* A DUP's value is the original one, which only the list knows. */
    int have_list = (want_list || dup) && gw_list_has(g, (uint64_t)index + 1);
    if (dup && have_list) value = gw_list_at(&g->list, (uint64_t)index);
    gw_buf b = {0};
    gw_buf_puts(&b, "{\"value\":");
    gw_buf_i64(&b, value);
    gw_buf_puts(&b, ",\"index\":");
    gw_buf_i64(&b, index);
    if (dup) gw_buf_puts(&b, ",\"duplicate\":true");
    if (want_list && have_list) {
        gw_buf_puts(&b, ",\"list\":");
        gw_list_json(&g->list, (uint64_t)index + 1, &b);
    } else if (want_list) {
        gw_buf_puts(&b, ",\"list_error\":\"applied, but the gateway's list copy could not "
                        "catch up in time\"");
    }
    gw_buf_puts(&b, "}\n");
    return reply(c, 200, &b, NULL, 0);
}

/* Register the command, suspend the connection, send the first attempt.
 * Suspending before the first send means the result cannot come back to a
 * connection that is not suspended yet. */
static enum MHD_Result start_command(gw *g, struct MHD_Connection *c, req *r, int kind,
                                     const char *key)
{
    int rc = gw_begin(g, &r->w, kind, r->value, key, c);
    if (rc != 0) return reply_failed(g, c, rc, kind, key != NULL);
    r->state = REQ_WAITING;
    MHD_suspend_connection(c);
    gw_arm(g, &r->w);
    return MHD_YES;
}

static enum MHD_Result do_append(gw *g, struct MHD_Connection *c, req *r)
{
    char msg[200];
    if (gw_parse_append(r->body, r->len, query(c, "value"), &r->value, msg, sizeof(msg)) != 0)
        return reply_error(c, 400, msg, NULL, 0);
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    if (key != NULL && !idem_key_ok(key))
        return reply_error(c, 400, "Idempotency-Key must be 1 to 256 bytes", NULL, 0);
    r->want_list = gw_parse_bool(query(c, "list"), 1);
    r->keyed = key != NULL;
    return start_command(g, c, r, PX_CMD_APPEND, key);
}

/* A read goes through the log like an append: its result is the list's
 * length at its place in the log, so the answer reflects every append that
 * completed before the read began (linearizable). */
static enum MHD_Result answer_list(gw *g, struct MHD_Connection *c, const gw_result *res)
{
    if (res->e.result < 0) return reply_error(c, 500, "the learner reported no length", NULL, 0);
    uint64_t n = (uint64_t)res->e.result;
    if (!gw_list_has(g, n))
        return reply_error(c, 503, "the gateway's list copy could not catch up in time", NULL,
                           1);
    gw_buf b = {0};
    gw_buf_puts(&b, "{\"list\":");
    gw_list_json(&g->list, n, &b);
    gw_buf_puts(&b, "}\n");
    return reply(c, 200, &b, NULL, 0);
}

/* How much of the list the answer to a done command shows (0: none). */
static uint64_t list_needed(const req *r)
{
    if (r->res.e.result < 0) return 0; /* refused with a 500 below */
    if (r->w.kind == PX_CMD_READ) return (uint64_t)r->res.e.result;
    int dup = (r->res.e.flags & PX_APPLIED_DUP) != 0;
    return r->want_list || dup ? (uint64_t)r->res.e.result + 1 : 0;
}

static enum MHD_Result answer(gw *g, struct MHD_Connection *c, req *r)
{
    r->state = REQ_ANSWERED;
    if (r->w.kind == PX_CMD_READ) return answer_list(g, c, &r->res);
    return reply_appended(g, c, &r->res, r->value, r->want_list);
}

/* Resumed: the command has its result, or its deadline passed.  If the
 * answer needs list elements the gateway's copy lacks (a restarted
 * gateway), wait for them, suspended again, until the same deadline. */
static enum MHD_Result finish_command(gw *g, struct MHD_Connection *c, req *r)
{
    int rc = gw_finish(g, &r->w, &r->res);
    if (rc != GW_DONE) {
        r->state = REQ_ANSWERED;
        return reply_failed(g, c, rc, r->w.kind, r->keyed);
    }
    uint64_t need = list_needed(r);
    if (need == 0 || gw_listwait_begin(g, &r->lw, need, r->w.deadline_ms, c)) return answer(g, c, r);
    r->state = REQ_LIST_WAIT;
    MHD_suspend_connection(c);
    return MHD_YES;
}

static void *status_main(void *arg)
{
    req *r = arg;
    if (r->route == GW_R_STATUS) r->out_status = gw_status_json(r->g, &r->out);
    else r->out_status = gw_role_json(r->g, r->role, &r->out);
    r->state = REQ_STATUS_DONE;
    MHD_resume_connection(r->conn);
    atomic_fetch_sub(&status_threads, 1);
    return NULL;
}

/* /status and /roles/<role> on a thread of their own: they wait on the
 * roles' control sockets and must not stall the event loop. */
static enum MHD_Result start_status(gw *g, struct MHD_Connection *c, req *r, int route,
                                    int role)
{
    r->g = g;
    r->conn = c;
    r->route = route;
    r->role = role;
    r->state = REQ_STATUS_RUN;
    MHD_suspend_connection(c);
    atomic_fetch_add(&status_threads, 1);
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, status_main, r) != 0) status_main(r); /* resumes at once */
    pthread_attr_destroy(&a);
    return MHD_YES;
}

static enum MHD_Result dispatch(gw *g, struct MHD_Connection *c, const char *url,
                                const char *method, req *r)
{
    int role, ok;
    const char *allow;
    int route = gw_route(url, method, &role, &allow, &ok);
    switch (route) {
    case GW_R_APPEND: return do_append(g, c, r);
    case GW_R_LIST: r->value = 0; return start_command(g, c, r, PX_CMD_READ, NULL);
    case GW_R_STATUS:
    case GW_R_ROLE: return start_status(g, c, r, route, role);
    default: return reply_error(c, 404, "no such endpoint", NULL, 0);
    }
}

/* Refusals we can give as soon as the headers are in, before reading a
 * body: unknown path, wrong method, declared body too large. */
static enum MHD_Result early_refusal(struct MHD_Connection *c, const char *url,
                                     const char *method, int *refused)
{
    int role, ok;
    const char *allow;
    char msg[160];
    *refused = 1;
    if (gw_route(url, method, &role, &allow, &ok) == GW_R_NOT_FOUND)
        return reply_error(c, 404, "no such endpoint", NULL, 0);
    if (!ok) {
        snprintf(msg, sizeof(msg), "method %.20s not allowed on %.64s: use %s", method, url,
                 allow);
        return reply_error(c, 405, msg, allow, 0);
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL && strtoull(cl, NULL, 10) > GW_MAX_BODY)
        return reply_error(c, 413, "request body too large: at most 4096 bytes", NULL, 0);
    *refused = 0;
    return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    gw *g = cls;
    req *r = *con_cls;
    if (r == NULL) {
        int refused;
        enum MHD_Result ret = early_refusal(c, url, method, &refused);
        if (refused) return ret;
        if ((r = calloc(1, sizeof(*r))) == NULL) return MHD_NO;
        *con_cls = r;
        return MHD_YES;
    }
    if (r->state == REQ_WAITING) return finish_command(g, c, r);
    if (r->state == REQ_LIST_WAIT) {
        gw_listwait_end(g, &r->lw);
        return answer(g, c, r);
    }
    if (r->state == REQ_STATUS_DONE) {
        r->state = REQ_ANSWERED;
        return reply(c, r->out_status, &r->out, NULL, 0);
    }
    if (r->state != REQ_READING) return MHD_NO; /* a call we never asked for */
    if (*upload_size != 0) {
        /* Chunked bodies have no Content-Length: count as they come. */
        if (r->len + *upload_size > GW_MAX_BODY) r->too_large = 1;
        else memcpy(r->body + r->len, upload, *upload_size), r->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_large)
        return reply_error(c, 413, "request body too large: at most 4096 bytes", NULL, 0);
    return dispatch(g, c, url, method, r);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    req *r = *con_cls;
    if (r == NULL) return;
    if (r->state == REQ_WAITING) gw_abandon(cls, &r->w); /* never answered */
    if (r->state == REQ_LIST_WAIT) gw_listwait_end(cls, &r->lw);
    gw_buf_free(&r->out);
    free(r);
    *con_cls = NULL;
}

static void resume_conn(void *conn)
{
    MHD_resume_connection(conn);
}

/* One turn of libmicrohttpd inside the gateway loop; *timeout_ms is when
 * it wants the next turn at the latest (-1: only on activity). */
static void run_http(void *http, int *timeout_ms)
{
    MHD_UNSIGNED_LONG_LONG t;
    MHD_run(http);
    if (MHD_get_timeout(http, &t) == MHD_YES) *timeout_ms = t > 1000 ? 1000 : (int)t;
    else *timeout_ms = -1;
}

struct MHD_Daemon *gw_http_start(gw *g, char *err, size_t errlen)
{
    const px_node_cfg *nc = px_config_node(&g->cfg, g->node);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(nc->gateway_port);
    /* Bind the node's own address, not every address: per-address network
     * faults must cut this node's clients and nobody else's. */
    if (inet_pton(AF_INET, nc->host, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "node %u: host \"%s\" is not an IPv4 address", g->node, nc->host);
        return NULL;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
        nc->gateway_port, NULL, NULL, handler, g,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)GW_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)GW_CONN_TIMEOUT_S,
        /* libmicrohttpd clears a connection's whole pool for every request:
         * size it for our requests (headers plus a 4 KB body), not 32 KB */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GW_CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, completed, g,
        MHD_OPTION_END);
    if (d == NULL) {
        snprintf(err, errlen, "cannot listen on http://%s:%u (port in use?)", nc->host,
                 nc->gateway_port);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    g->http = d;
    g->http_fd = info ? info->epoll_fd : -1;
    g->http_run = run_http;
    g->resume = resume_conn;
    if (gw_run(g, err, errlen) != 0) {
        MHD_stop_daemon(d);
        return NULL;
    }
    return d;
}

/* libmicrohttpd must not be stopped with suspended connections: resume
 * every waiting command (answered 504/503) and let status threads end
 * (each is bounded by the control sockets' timeouts). */
void gw_http_stop(gw *g, struct MHD_Daemon *d)
{
    if (d == NULL) return;
    gw_resume_all(g);
    for (int i = 0; i < 400 && atomic_load(&status_threads) > 0; i++) usleep(10 * 1000);
    usleep(100 * 1000); /* let the loop answer what it resumed */
    gw_halt(g);
    MHD_stop_daemon(d);
}
