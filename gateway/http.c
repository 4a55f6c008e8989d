/* http.c -- the gateway's HTTP request handlers (libmicrohttpd).
 *
 * libmicrohttpd runs inside the gateway's one loop (cluster.c), in external
 * epoll mode (httpd.c starts it), and serves every connection (at most
 * GW_MAX_CONNECTIONS).  No handler may block.  A command can take up to
 * request_timeout_ms to go through the log, so its handler registers the
 * command (gw_begin), suspends the connection, queues the first attempt
 * (gw_arm) and returns; the loop resumes the connection when the result or
 * the deadline comes, and libmicrohttpd calls the handler again to answer
 * (gw_complete).  An answer that needs the gateway's list copy to grow
 * first (a restarted gateway) waits the same way, suspended again.  /status
 * and /roles wait for the roles' control sockets (up to 500 ms each), so
 * they run on a short-lived thread of their own, also behind a suspended
 * connection; at most
 * GW_MAX_CTL_QUERIES at once (503 beyond: while a role hangs, a poller
 * would otherwise pile up threads and sockets without bound).  Keep-alive
 * is libmicrohttpd's default for HTTP/1.1; idle connections close after
 * GW_CONN_TIMEOUT_S.  What an answer says (status, index, how much of the
 * list) is the core's decision (core.c, gw_answer); here it becomes bytes.
 *
 * Every answer the gateway gives, errors included, is JSON.  A request is
 * checked as soon as its head is in (head.c: version, sizes, Host,
 * Content-Length, Transfer-Encoding), before any body is read; its body
 * and ?value= are checked for NUL bytes and UTF-8 before parsing (parse.c).
 * What libmicrohttpd answers by itself, before any handler runs, is listed
 * in docs/OPERATIONS.md.  The exceptions to JSON are GET / (the cluster
 * page, HTML) and GET /metrics (Prometheus text).
 *
 * Every answer the gateway gives is counted when its request ends
 * (stats.c): its status, its route, how long it took, and for /append how
 * it ended -- what GET /metrics reports as paxos_http_requests_total,
 * paxos_request_duration_seconds and paxos_appends_total. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"

enum req_state {
    REQ_NEW = 0,     /* the request line is in; the handler has not run */
    REQ_READING,     /* the head passed its checks; the body is coming in */
    REQ_WAITING,     /* a command registered, the connection suspended */
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
    int64_t value;
    gw *g;               /* status threads */
    struct MHD_Connection *conn;
    int route, role;
    int out_status;      /* REQ_STATUS_DONE: the answer */
    gw_buf out;
    size_t target_len;   /* the raw request target, from the URI log callback */
    long target_control; /* ... its first control character, or -1 */
    struct gw_conn *k;   /* the connection's deadline state (conns.c) */
    struct timespec t0;  /* the request line came in (durations) */
    int status;          /* the status it was answered with, 0 if none yet */
    int append_result;   /* enum gw_append_result, or -1: from the status */
    const char *out_type; /* REQ_STATUS_DONE: the answer's content type */
} req;

/* The request whose handler is running (the loop thread's only): reply()
 * notes the status it answers with there, for the counts. */
static req *answering;

enum reply_flags {
    RETRY_AFTER = 1, /* Retry-After: 1 */
    CLOSE = 2        /* Connection: close */
};

#define JSON_TYPE "application/json"

/* Queue b as the response (taking its memory) with content type ctype. */
static enum MHD_Result reply_typed(struct MHD_Connection *c, int status, gw_buf *b,
                                   const char *ctype, const char *allow, int flags)
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
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (flags & RETRY_AFTER) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (flags & CLOSE) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (answering != NULL) answering->status = status;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Queue b as a JSON response (taking its memory). */
static enum MHD_Result reply(struct MHD_Connection *c, int status, gw_buf *b,
                             const char *allow, int flags)
{
    return reply_typed(c, status, b, JSON_TYPE, allow, flags);
}

/* GET /: the cluster page, from static memory.  Its policy lets it load
 * nothing but from this gateway (no CDN, no outside fetch: its script and
 * style are inline), and frames it nowhere. */
static enum MHD_Result reply_page(struct MHD_Connection *c)
{
    size_t len;
    const char *html = gw_page_html(&len);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)html, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; connect-src 'self'; script-src 'unsafe-inline'; "
                            "style-src 'unsafe-inline'; img-src 'self' data:; "
                            "form-action 'none'; base-uri 'none'; frame-ancestors 'none'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (answering != NULL) answering->status = 200;
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, int status, const char *msg,
                                   const char *allow, int flags)
{
    gw_buf b = {0};
    gw_json_error(&b, msg);
    return reply(c, status, &b, allow, flags);
}

static enum MHD_Result reply_stopping(struct MHD_Connection *c)
{
    return reply_error(c, 503, "shutting down", NULL, RETRY_AFTER | CLOSE);
}

static const char *query(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

/* The error answer for a command that did not come back applied. */
static enum MHD_Result reply_failed(gw *g, struct MHD_Connection *c, const gw_answer *a)
{
    char msg[256];
    switch (a->kind) {
    case GW_ANS_STOPPING: return reply_stopping(c);
    case GW_ANS_NOT_APPLIED:
        if (atomic_load(&g->closing))
            return reply_error(c, 503, "shutting down: not applied", NULL, RETRY_AFTER | CLOSE);
        return reply_error(c, 503,
                           a->keyed ? "no leader / no quorum: not applied by this request (an "
                                      "earlier request with the same Idempotency-Key may have "
                                      "been; retry with the same key)"
                                    : "no leader / no quorum: not applied",
                           NULL, RETRY_AFTER);
    case GW_ANS_OVERLOADED:
        return reply_error(c, 503, "too many requests in flight: not applied", NULL,
                           RETRY_AFTER);
    case GW_ANS_LIST_BEHIND:
        return reply_error(c, 503, "the gateway's list copy could not catch up in time", NULL,
                           RETRY_AFTER);
    case GW_ANS_STALE:
        return reply_error(c, 500,
                           "the learners refused this command as stale (an older request of "
                           "the same client id); its outcome is unknown",
                           NULL, 0);
    case GW_ANS_NO_RESULT:
        return reply_error(c, 500,
                           a->cmd_kind == PX_CMD_READ ? "the learner reported no length"
                                                      : "the learner reported no index",
                           NULL, 0);
    default:
        snprintf(msg, sizeof(msg),
                 a->cmd_kind == PX_CMD_APPEND
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
static enum MHD_Result reply_appended(gw *g, struct MHD_Connection *c, const gw_answer *a)
{
    gw_buf b = {0};
    gw_buf_puts(&b, "{\"value\":");
    gw_buf_i64(&b, a->value);
    gw_buf_puts(&b, ",\"index\":");
    gw_buf_i64(&b, a->index);
    if (a->dup) gw_buf_puts(&b, ",\"duplicate\":true");
    if (a->show_list) {
        gw_buf_puts(&b, ",\"list\":");
        gw_list_json(&g->core.list, a->list_n, &b);
    } else if (a->list_missing) {
        gw_buf_puts(&b, ",\"list_error\":\"applied, but the gateway's list copy could not "
                        "catch up in time\"");
    }
    gw_buf_puts(&b, "}\n");
    return reply(c, 200, &b, NULL, 0);
}

/* 200 {"list":[...]}: the first L elements, L the read's place in the log. */
static enum MHD_Result reply_list(gw *g, struct MHD_Connection *c, const gw_answer *a)
{
    gw_buf b = {0};
    gw_buf_puts(&b, "{\"list\":");
    gw_list_json(&g->core.list, a->list_n, &b);
    gw_buf_puts(&b, "}\n");
    return reply(c, 200, &b, NULL, 0);
}

/* The answer the core decided.  Its list elements were published before
 * it was decided (under gw.mu) and never change: read without the lock. */
/* How an /append ended, from the core's answer. */
static int append_result(const gw_answer *a)
{
    switch (a->kind) {
    case GW_ANS_APPENDED: return a->dup ? GW_AR_DUPLICATE : GW_AR_APPLIED;
    case GW_ANS_NOT_APPLIED: return GW_AR_NOT_APPLIED;
    case GW_ANS_OVERLOADED:
    case GW_ANS_LIST_BEHIND: return GW_AR_OVERLOADED;
    case GW_ANS_TIMEOUT: return GW_AR_UNKNOWN;
    default: return GW_AR_ERROR;
    }
}

static enum MHD_Result reply_answer(gw *g, struct MHD_Connection *c, req *r, const gw_answer *a)
{
    r->state = REQ_ANSWERED;
    if (a->cmd_kind == PX_CMD_APPEND) r->append_result = append_result(a);
    if (a->kind == GW_ANS_APPENDED) return reply_appended(g, c, a);
    if (a->kind == GW_ANS_LIST) return reply_list(g, c, a);
    return reply_failed(g, c, a);
}

/* Register the command, suspend the connection, send the first attempt.
 * Suspending before the first send means the result cannot come back to a
 * connection that is not suspended yet. */
static enum MHD_Result start_command(gw *g, struct MHD_Connection *c, req *r,
                                     const gw_request *q)
{
    gw_answer a;
    if (!gw_begin(g, &r->w, q, c, &a)) return reply_answer(g, c, r, &a);
    r->state = REQ_WAITING;
    MHD_suspend_connection(c);
    gw_arm(g, &r->w);
    return MHD_YES;
}

static enum MHD_Result do_append(gw *g, struct MHD_Connection *c, req *r)
{
    char msg[200];
    const char *qv = NULL;
    size_t qlen = 0;
    /* with its length: a decoded %00 must not end the value early */
    if (MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, "value", 5, &qv, &qlen) ==
            MHD_YES &&
        qv == NULL)
        qv = ""; /* "?value" without "=" */
    if (gw_parse_append(r->body, r->len, qv, qlen, &r->value, msg, sizeof(msg)) != 0)
        return reply_error(c, 400, msg, NULL, 0);
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    if (key != NULL && !idem_key_ok(key))
        return reply_error(c, 400, "Idempotency-Key must be 1 to 256 bytes", NULL, 0);
    gw_request q = {.kind = PX_CMD_APPEND, .value = r->value, .idem_key = key,
                    .want_list = gw_parse_bool(query(c, "list"), 1)};
    return start_command(g, c, r, &q);
}

/* Resumed: the command has its result, or its deadline passed.  If the
 * answer needs list elements the gateway's copy lacks (a restarted
 * gateway), the core says wait: suspended again, until the same deadline. */
static enum MHD_Result finish_command(gw *g, struct MHD_Connection *c, req *r)
{
    gw_answer a;
    if (gw_complete(g, &r->w, &a)) return reply_answer(g, c, r, &a);
    MHD_suspend_connection(c);
    return MHD_YES;
}

static void *status_main(void *arg)
{
    req *r = arg;
    gw *g = r->g;
    r->out_type = JSON_TYPE;
    switch (r->route) {
    case GW_R_STATUS: r->out_status = gw_status_json(g, &r->out); break;
    case GW_R_NODE: r->out_status = gw_node_json(g, &r->out); break;
    case GW_R_CLUSTER: r->out_status = gw_cluster_json(g, &r->out); break;
    case GW_R_METRICS:
        r->out_type = "text/plain; version=0.0.4; charset=utf-8";
        r->out_status = gw_metrics_text(g, &r->out);
        break;
    default: r->out_status = gw_role_json(g, r->role, &r->out); break;
    }
    r->state = REQ_STATUS_DONE;
    MHD_resume_connection(r->conn); /* r is the loop's again: not touched below */
    atomic_fetch_sub(&g->ctl_running, 1);
    return NULL;
}

/* One of the GW_MAX_CTL_QUERIES places for a control query, or 0. */
static int ctl_take(gw *g)
{
    int n = atomic_load(&g->ctl_running);
    while (n < GW_MAX_CTL_QUERIES)
        if (atomic_compare_exchange_weak(&g->ctl_running, &n, n + 1)) return 1;
    atomic_fetch_add(&g->ctl_refused, 1);
    return 0;
}

/* /status, /roles/<role>, /node, /metrics and /cluster on a thread of
 * their own: they wait on the roles' control sockets (and /cluster on the
 * other gateways) and must not stall the event loop.  Each query holds a
 * thread and a socket for up to GW_CTL_TIMEOUT_MS per role (/cluster up
 * to GW_PEER_TIMEOUT_MS), so only GW_MAX_CTL_QUERIES run at once; the
 * rest are told to retry. */
static enum MHD_Result start_status(gw *g, struct MHD_Connection *c, req *r, int route,
                                    int role)
{
    char msg[128];
    if (!ctl_take(g)) {
        snprintf(msg, sizeof(msg),
                 "too many /status, /roles, /node, /metrics and /cluster queries in flight "
                 "(%d): retry later",
                 GW_MAX_CTL_QUERIES);
        return reply_error(c, 503, msg, NULL, RETRY_AFTER);
    }
    r->g = g;
    r->conn = c;
    r->route = route;
    r->role = role;
    r->state = REQ_STATUS_RUN;
    MHD_suspend_connection(c);
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &a, status_main, r);
    pthread_attr_destroy(&a);
    if (rc != 0) { /* answer at once rather than block the loop */
        gw_json_error(&r->out, "cannot start a thread for the query: retry later");
        r->out_status = 503;
        r->state = REQ_STATUS_DONE;
        atomic_fetch_sub(&g->ctl_running, 1);
        MHD_resume_connection(c);
    }
    return MHD_YES;
}

/* ---- the head ----------------------------------------------------------- */

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    gw_head *h = cls;
    if (h->bad_name == NULL && !gw_header_name_ok(key)) h->bad_name = key;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) h->n_host++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) h->n_content_length++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0 &&
             h->n_transfer_encoding++ == 0)
        h->transfer_encoding = value ? value : "";
    return MHD_YES;
}

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    (void)value;
    gw_head *h = cls;
    if (strcmp(key, "value") == 0) h->n_value_args++;
    else if (strcmp(key, "list") == 0) h->n_list_args++;
    return MHD_YES;
}

static void collect_head(struct MHD_Connection *c, const char *version, const req *r,
                         gw_head *h)
{
    memset(h, 0, sizeof(*h));
    h->version = version;
    h->target_len = r->target_len;
    h->target_control = r->target_control;
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (i != NULL) h->header_bytes = i->header_size;
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, h);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_arg, h);
}

/* Refusals we can give as soon as the head is in, before reading a body:
 * a head that fails its checks, a stopping gateway, an unknown path, a
 * wrong method, a declared body too large. */
static enum MHD_Result early_refusal(gw *g, struct MHD_Connection *c, const char *url,
                                     const char *method, const char *version, req *r,
                                     int *refused)
{
    int role, ok;
    const char *allow;
    char msg[200];
    gw_head h;
    *refused = 1;
    collect_head(c, version, r, &h);
    r->route = gw_route(url, method, &role, &allow, &ok); /* for the counts */
    int status = gw_check_head(&h, msg, sizeof(msg));
    if (status != 0) return reply_error(c, status, msg, NULL, CLOSE);
    if (atomic_load(&g->closing)) return reply_stopping(c);
    if (r->route == GW_R_NOT_FOUND)
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

static enum MHD_Result dispatch(gw *g, struct MHD_Connection *c, const char *url,
                                const char *method, req *r)
{
    int role, ok;
    const char *allow;
    int route = gw_route(url, method, &role, &allow, &ok);
    if (atomic_load(&g->closing)) return reply_stopping(c);
    switch (route) {
    case GW_R_APPEND: return do_append(g, c, r);
    case GW_R_LIST: {
        /* A read goes through the log like an append (core.c, the read path). */
        gw_request q = {.kind = PX_CMD_READ};
        return start_command(g, c, r, &q);
    }
    case GW_R_PAGE: r->state = REQ_ANSWERED; return reply_page(c);
    case GW_R_STATUS:
    case GW_R_ROLE:
    case GW_R_NODE:
    case GW_R_CLUSTER:
    case GW_R_METRICS: return start_status(g, c, r, route, role);
    default: return reply_error(c, 404, "no such endpoint", NULL, 0);
    }
}

/* The calls after the first, until the request is whole: the body. */
static enum MHD_Result read_body(gw *g, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *upload, size_t *upload_size,
                                 req *r)
{
    if (*upload_size != 0) {
        /* Chunked bodies have no Content-Length: count as they come. */
        if (r->len + *upload_size > GW_MAX_BODY) r->too_large = 1;
        else memcpy(r->body + r->len, upload, *upload_size), r->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    gw_conn_busy(r->k); /* whole: the request deadline is met */
    if (r->too_large)
        return reply_error(c, 413, "request body too large: at most 4096 bytes", NULL, 0);
    return dispatch(g, c, url, method, r);
}

static enum MHD_Result handle(gw *g, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, req *r)
{
    switch (r->state) {
    case REQ_NEW: {
        int refused;
        enum MHD_Result ret = early_refusal(g, c, url, method, version, r, &refused);
        if (refused) {
            r->state = REQ_ANSWERED;
            gw_conn_busy(r->k);
            return ret;
        }
        r->state = REQ_READING;
        return MHD_YES;
    }
    case REQ_READING: return read_body(g, c, url, method, upload, upload_size, r);
    case REQ_WAITING: return finish_command(g, c, r);
    case REQ_STATUS_DONE:
        r->state = REQ_ANSWERED;
        return reply_typed(c, r->out_status, &r->out, r->out_type, NULL, 0);
    default: return MHD_NO; /* a call we never asked for */
    }
}

enum MHD_Result gw_http_handler(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    req *r = *con_cls;
    if (r == NULL) return MHD_NO; /* out of memory when the request began */
    answering = r;
    enum MHD_Result ret = handle(cls, c, url, method, version, upload, upload_size, r);
    answering = NULL;
    return ret;
}

/* An answered request into the counts (stats.c). */
static void count(gw *g, const req *r)
{
    if (r->status == 0) return; /* never answered: not ours to count */
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - r->t0.tv_sec) + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9;
    gw_stats_answered(&g->stats, r->route, r->status, secs);
    if (r->route != GW_R_APPEND) return;
    int result = r->append_result;
    if (result < 0) result = r->status >= 400 && r->status < 500 ? GW_AR_REFUSED : GW_AR_ERROR;
    gw_stats_append(&g->stats, result);
}

void *gw_http_request_begins(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    req *r = calloc(1, sizeof(*r));
    if (r == NULL) return NULL;
    r->state = REQ_NEW;
    r->append_result = -1;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->target_len = strlen(uri);
    r->target_control = gw_target_control_at(uri, r->target_len);
    r->k = gw_conn_of(c);
    return r;
}

void gw_http_request_ends(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    gw *g = cls;
    req *r = *con_cls;
    if (r == NULL) return;
    if (r->state == REQ_WAITING) gw_abandon(g, &r->w); /* never answered */
    count(g, r);
    gw_conn_idle(g, r->k);
    gw_buf_free(&r->out);
    free(r);
    *con_cls = NULL;
}

void gw_http_resume(void *conn)
{
    MHD_resume_connection(conn);
}
