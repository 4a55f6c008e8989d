/* gateway.h -- the pieces of the HTTP gateway process.
 *
 *   parse.c     request parsing that needs no sockets: values, routes,
 *               Idempotency-Key hashing (unit-tested on its own)
 *   head.c      the strict checks of a request's head (unit-tested too)
 *   json.c      a growable output buffer and the JSON we answer with
 *   core.c, pending.c, listcopy.c
 *               the command logic, a pure core (core.h) that the simulator
 *               runs too: command ids, waiters, resends, the 503/504 rule,
 *               the list copy and its fetches, the read path, answers
 *   cluster.c   the loop: the transport, the core's clock and lock
 *   http.c      libmicrohttpd handlers and routing; answers rendered
 *   httpd.c     the libmicrohttpd daemon: options, HTTPS, start, stop
 *   conns.c     open connections and the deadline for a complete request
 *   http.h      what http.c, httpd.c and conns.c share (libmicrohttpd types)
 *   status.c    GET /status, GET /roles/<role>, GET /node (this node whole)
 *   stats.c     what the HTTP edge counts: answers by code and endpoint,
 *               their durations, appends by outcome
 *   metrics.c   GET /metrics: the node's roles and the gateway as
 *               Prometheus text
 *   metrics_roles.c  the text format and the families read from the
 *               roles' control JSON (metrics.h; unit-tested)
 *   gather.c    GET /cluster: every node's GET /node, fetched from its
 *               gateway (libcurl; HTTPS checked against the cluster CA)
 *   page.c      GET /: the live cluster page (page.html, built in)
 *   main.c      the process: flags, config, start, signals, stop
 *
 * One thread runs the gateway: it polls the transport and libmicrohttpd's
 * epoll fd together, handles what the roles sent, runs the resend timers,
 * runs libmicrohttpd (which calls the HTTP handlers), and then sends what
 * the iteration produced, packed one message per destination.  Requests
 * wait without a thread: an append or read registers a waiter, suspends
 * its HTTP connection and returns; the loop resumes the connection when the
 * result (or the deadline) comes, and the handler is called again to
 * answer.  Only /status and /roles run on threads of their own.
 *
 * Locking: one mutex (gw.mu) protects the core (pending commands, sessions,
 * the list copy's length); the loop thread and the /status threads meet
 * there.  The list's elements are never moved or changed once published,
 * so a response is serialized outside the lock (see listcopy.c). */
#ifndef PX_GATEWAY_H
#define PX_GATEWAY_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/config.h"
#include "../common/histo.h"
#include "../common/wire.h"
#include "core.h"

/* ---- limits ------------------------------------------------------------ */

#define GW_MAX_BODY 4096          /* bytes of request body; 413 beyond */
#define GW_MAX_URI 2048           /* bytes of request target (path and query); 414 beyond */
#define GW_MAX_HEADER_BYTES 8192  /* bytes of request line and headers; 431 beyond */
#define GW_MAX_CONNECTIONS 512    /* concurrent HTTP connections */
#define GW_CONN_TIMEOUT_S 60      /* idle keep-alive connections are closed */
/* libmicrohttpd's per-connection pool, bytes.  It holds the request line,
 * the headers and a 56-byte record per header, the body and the response
 * headers, and libmicrohttpd answers a head that does not fit with its own
 * HTML 414/431.  Four times GW_MAX_HEADER_BYTES, so heads up to ~32 KB (or
 * ~440 header lines) get our JSON 414/431 (docs/OPERATIONS.md).  It is
 * cleared for every request: 32 KB is a memset of ~1 us (gateway CPU per
 * append unchanged from the 12 KB pool within the noise, ~49 us). */
#define GW_CONN_MEMORY 32768
#define GW_REQUEST_DEADLINE_MS 10000 /* a request must arrive whole within this (conns.c) */
#define GW_MAX_CTL_QUERIES 16     /* /status and /roles queries in flight; 503 beyond */
#define GW_CTL_TIMEOUT_MS 500     /* a role that does not answer is down */
#define GW_PEER_TIMEOUT_MS 2000   /* GET /cluster: a peer gateway's /node, at most */
#define GW_MAX_IDEM_KEY 256       /* bytes of an Idempotency-Key */

/* ---- json.c: output buffer --------------------------------------------- */

typedef struct gw_buf {
    char *p;
    size_t len, cap;
    int oom; /* an allocation failed: the content is incomplete */
} gw_buf;

void gw_buf_free(gw_buf *b);
void gw_buf_put(gw_buf *b, const char *s, size_t n);
void gw_buf_puts(gw_buf *b, const char *s);
void gw_buf_printf(gw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gw_buf_i64(gw_buf *b, int64_t v);
void gw_buf_u64(gw_buf *b, uint64_t v);
void gw_buf_json_str(gw_buf *b, const char *s); /* quoted and escaped */
/* {"error":"<msg>"} */
void gw_json_error(gw_buf *b, const char *msg);

/* ---- parse.c ----------------------------------------------------------- */

/* Why a value was refused (all are 400s). */
enum gw_value_err {
    GW_VAL_OK = 0,
    GW_VAL_MALFORMED = 1, /* body is not valid JSON or not an integer literal */
    GW_VAL_NOT_INT = 2,   /* valid JSON, but the value is not an integer */
    GW_VAL_RANGE = 3,     /* an integer outside int64 */
    GW_VAL_MISSING = 4,   /* no value given */
    GW_VAL_TWICE = 5,     /* given both in the body and the query */
    GW_VAL_ENCODING = 6   /* a NUL byte, or bytes that are not UTF-8 */
};

/* Strict decimal int64: optional '-', digits, nothing else. */
int gw_parse_i64(const char *s, size_t n, int64_t *out);

/* The value of POST /append from its body (may be empty) or the query's
 * value= argument (query_len bytes, decoded; may be NULL).  Accepts
 * {"value": N}, a bare N, or ?value=N.  A NUL byte or bytes that are not
 * UTF-8 anywhere in either are refused before any parsing (C code on the
 * way would cut the text at the NUL and accept what comes before).  On
 * error returns the enum and a message for the client naming the problem. */
int gw_parse_append(const char *body, size_t len, const char *query_value, size_t query_len,
                    int64_t *out, char *msg, size_t msglen);

/* GW_VAL_OK if p[0..n) has no NUL byte and is valid UTF-8; else
 * GW_VAL_ENCODING and a message naming `what`, the byte and its offset. */
int gw_check_text(const char *what, const char *p, size_t n, char *msg, size_t msglen);

/* "false", "0", "no" mean false; anything else (or NULL) true. */
int gw_parse_bool(const char *s, int dflt);

enum gw_route {
    GW_R_NOT_FOUND = 0,
    GW_R_APPEND,
    GW_R_LIST,
    GW_R_STATUS,
    GW_R_ROLE,    /* /roles/<role>: *role is set */
    GW_R_NODE,    /* this node's roles and gateway, whole (for /cluster) */
    GW_R_CLUSTER, /* every node's /node */
    GW_R_METRICS, /* Prometheus text */
    GW_R_PAGE,    /* GET /: the cluster page */
    GW_R_COUNT
};

/* Route url; *allow gets the methods the path accepts (for 405). Returns
 * the route, and sets *method_ok to whether method is one of them. */
int gw_route(const char *url, const char *method, int *role, const char **allow,
             int *method_ok);

/* ---- head.c ------------------------------------------------------------ */

/* What the head checks need to know of a request, collected by http.c. */
typedef struct gw_head {
    const char *version;          /* as sent: "HTTP/1.1" */
    size_t target_len;            /* bytes of the raw request target (path and query) */
    long target_control;          /* offset of its first control character, or -1 */
    size_t header_bytes;          /* request line and header lines with their CRLFs */
    unsigned n_host, n_content_length, n_transfer_encoding;
    const char *transfer_encoding; /* the first one's value */
    const char *bad_name;         /* the first header name that is not a token, or NULL */
    unsigned n_value_args, n_list_args; /* ?value= and ?list= in the query */
} gw_head;

/* 0 if a request with this head may be served; else the HTTP status
 * (400, 414, 431, 501, 505) and a message for the client. */
int gw_check_head(const gw_head *h, char *msg, size_t msglen);
/* 1 if name is an RFC 9110 token (what a header name must be). */
int gw_header_name_ok(const char *name);
/* The offset of the first control character (0x00-0x1f, 0x7f) in a raw
 * request target, sent as such or percent-encoded ("%00" would cut the
 * decoded path short: "/append%00junk" must not be "/append"), or -1. */
long gw_target_control_at(const char *target, size_t n);

/* ---- json.c: answers ---------------------------------------------------- */

/* Elements [0, n) of the list copy as a JSON array (n <= its length). */
void gw_list_json(const gw_list *l, uint64_t n, gw_buf *b);

/* ---- conns.c: the connections' state ----------------------------------- */

struct gw_conn; /* one open connection (conns.c) */

typedef struct gw_conns {
    struct gw_conn *head;     /* every open connection: the loop thread's alone */
    int tls;                  /* HTTPS: a late request is closed without a 408 */
    int no_tcp_info;          /* the kernel does not count received bytes */
    uint64_t swept_ms;
    uint64_t slow_logged_ms, slow_unlogged;
    atomic_ullong open;        /* connections open now */
    atomic_ullong slow_closed; /* closed for missing the request deadline, ever */
} gw_conns;

/* ---- stats.c: what the HTTP edge counts -------------------------------- */

/* How an /append ended (paxos_appends_total{result}). */
enum gw_append_result {
    GW_AR_APPLIED = 0,  /* 200 */
    GW_AR_DUPLICATE,    /* 200, an Idempotency-Key seen before */
    GW_AR_NOT_APPLIED,  /* 503: no leader or quorum */
    GW_AR_UNKNOWN,      /* 504: may or may not have been applied */
    GW_AR_OVERLOADED,   /* 503: too many in flight, or the list copy behind */
    GW_AR_REFUSED,      /* 4xx: bad request, refused before anything was sent */
    GW_AR_ERROR,        /* 500 or shutting down */
    GW_AR_COUNT
};

#define GW_MAX_STATUS 600
typedef struct gw_stats {
    pthread_mutex_t mu;                 /* the loop writes, /metrics threads read */
    uint64_t codes[GW_MAX_STATUS];      /* answers by HTTP status */
    px_histo duration[GW_R_COUNT];      /* seconds from request line to answer, by route */
    uint64_t appends[GW_AR_COUNT];
} gw_stats;

void gw_stats_init(gw_stats *s);
/* One answered request: its route (enum gw_route), status, duration. */
void gw_stats_answered(gw_stats *s, int route, int status, double seconds);
void gw_stats_append(gw_stats *s, int result);
/* A consistent copy (under the lock). */
void gw_stats_copy(gw_stats *s, gw_stats *out);
const char *gw_route_label(int route);   /* "append", "list", ... "other" */
const char *gw_append_label(int result); /* "applied", ... */

/* ---- cluster.c --------------------------------------------------------- */

typedef struct gw {
    px_config cfg;
    uint32_t node;
    struct px_net *net;
    pthread_mutex_t mu;
    gw_core core;           /* the command logic (core.h), under mu */
    gw_core_out out;        /* what core calls produced: the loop thread's */
    atomic_int stop;
    pthread_t rx;
    uint64_t client_base;
    int running, halted;    /* the loop thread was started, joined */
    /* the HTTP side, set by httpd.c before gw_run: kept opaque here */
    void *http;
    int http_fd;                                      /* polls readable: run it */
    void (*http_run)(struct gw *g, int *timeout_ms); /* run; when to run again */
    void (*resume)(void *conn);                       /* resume a suspended connection */
    gw_conns conns;
    atomic_int closing;        /* shutting down: new requests get 503 */
    atomic_int ctl_running;    /* /status and /roles queries in flight */
    atomic_ullong ctl_refused; /* ... refused for being one too many, ever */
    gw_stats stats;            /* what the HTTP edge answered (stats.c) */
} gw;

/* gw_start opens the transport; gw_run starts the loop thread once the
 * HTTP side is set; gw_halt stops and joins it (idempotent); gw_stop halts
 * and closes everything. */
int gw_start(gw *g, const px_config *cfg, uint32_t node, char *err, size_t errlen);
int gw_run(gw *g, char *err, size_t errlen);
void gw_halt(gw *g);
void gw_stop(gw *g);

/* The core's request calls (core.h) under gw.mu, on the loop thread (the
 * HTTP handlers run there).  gw_begin returns 1 if w is registered (the
 * caller suspends conn and calls gw_arm, which sends the first attempt),
 * 0 if *a is the answer already.  The loop resends on schedule and calls
 * g->resume(conn) when the result or the deadline comes; the handler then
 * calls gw_complete: 1 and the answer, or 0 if it must wait for the list
 * copy (suspend again; resumed once more).  gw_abandon unregisters a
 * waiter whose request ended unanswered. */
int gw_begin(gw *g, gw_waiter *w, const gw_request *r, void *conn, gw_answer *a);
void gw_arm(gw *g, gw_waiter *w);
int gw_complete(gw *g, gw_waiter *w, gw_answer *a);
void gw_abandon(gw *g, gw_waiter *w);
/* At shutdown: refuse new requests and resume every suspended one. */
void gw_resume_all(gw *g);
uint64_t gw_list_len(gw *g); /* the list copy's length now */
/* REQUEST attempts sent straight to the leader's proposer, and through ours. */
void gw_request_routes(gw *g, uint64_t *direct, uint64_t *via_own);
uint64_t gw_now_ms(void);    /* the monotonic clock deadlines use */

/* ---- status.c ---------------------------------------------------------- */

/* Build the answer to GET /status, GET /roles/<role> or GET /node;
 * returns the HTTP status.  They block on the roles' control sockets (up
 * to GW_CTL_TIMEOUT_MS each): status threads only. */
int gw_status_json(gw *g, gw_buf *out);
int gw_role_json(gw *g, int role, gw_buf *out);
int gw_node_json(gw *g, gw_buf *out);

/* A role's control JSON, parsed (json-c; the caller puts it), or NULL if
 * it did not answer. */
struct json_object;
struct json_object *gw_query_role(gw *g, int role);
/* The pid in <node_dir>/pids/<role>.pid (0 if none), and whether it runs. */
long gw_role_pid(const gw *g, const char *role);
int gw_pid_alive(long pid);
/* The supervisor's restart counts (<node_dir>/pids/restarts): how many
 * roles it read into names/counts (at most max), 0 if the file is missing. */
int gw_restarts(const gw *g, char names[][16], uint64_t *counts, int max);

/* ---- metrics.c, gather.c, page.c ---------------------------------------- */

/* GET /metrics (Prometheus text format 0.0.4); a status thread. */
int gw_metrics_text(gw *g, gw_buf *out);
/* GET /cluster: this node's /node and every peer gateway's, as
 * {"node":SELF,"nodes":[...]}; a status thread.  Needs gw_gather_init
 * once, before any thread starts. */
int gw_cluster_json(gw *g, gw_buf *out);
int gw_gather_init(char *err, size_t errlen);
/* GET /: the page's bytes (static). */
const char *gw_page_html(size_t *len);

/* ---- httpd.c (the MHD side is declared in http.h) ----------------------- */

struct MHD_Daemon;
/* HTTP (or HTTPS with gateway_https) on the node's gateway address. */
struct MHD_Daemon *gw_http_start(gw *g, char *err, size_t errlen);
/* Answer 503 "shutting down" to new requests, end the waiting ones, stop. */
void gw_http_stop(gw *g, struct MHD_Daemon *d);

#endif
