/* httpd.c -- the gateway's libmicrohttpd daemon: its options, HTTPS, its
 * log, and starting and stopping it.
 *
 * The daemon runs in external epoll mode inside the gateway loop
 * (cluster.c calls run_http each turn).  Its callbacks: the access handler
 * and the URI log (the start of each request) and completion callbacks in
 * http.c, the connection notifications in conns.c.
 *
 * HTTPS.  With gateway_https = true the daemon speaks TLS (GnuTLS, TLS 1.2
 * and 1.3 only) with the node's tls_cert and tls_key -- the certificate its
 * peers know it by, whose subjectAltName names the node's host -- read and
 * checked like the peers' (a key others can read is refused).  Clients
 * verify it against the cluster CA (curl --cacert tls_ca).  The gateway
 * does not ask clients for certificates.  paxosctl, paxos-bench and the
 * Jepsen client speak plain HTTP only. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/tls.h"
#include "http.h"

#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define MHD_LOG_BURST 20       /* libmicrohttpd lines logged per window ... */
#define MHD_LOG_WINDOW_MS 10000 /* ... of this long; the rest are counted */

/* libmicrohttpd logs a line for each malformed request and each failed TLS
 * handshake: a client could fill the disk with them.  So at most
 * MHD_LOG_BURST per window; the rest are counted and reported.  (Called
 * from the loop thread and from MHD_stop_daemon, never at once.) */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static uint64_t window_ms, in_window, suppressed;
    (void)cls;
    uint64_t now = gw_now_ms();
    if (now - window_ms >= MHD_LOG_WINDOW_MS) {
        if (suppressed > 0)
            px_warn("libmicrohttpd: %llu more messages in the last %d s were not logged",
                    (unsigned long long)suppressed, MHD_LOG_WINDOW_MS / 1000);
        window_ms = now;
        in_window = 0;
        suppressed = 0;
    }
    if (in_window++ >= MHD_LOG_BURST) {
        suppressed++;
        return;
    }
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    px_info("libmicrohttpd: %s", line);
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) gw_conn_started(cls, c, socket_context);
    else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) gw_conn_closed(cls, *socket_context);
}

/* One turn of libmicrohttpd inside the gateway loop, then the request
 * deadlines; *timeout_ms is when it wants the next turn at the latest (-1:
 * only on activity). */
static void run_http(gw *g, int *timeout_ms)
{
    MHD_UNSIGNED_LONG_LONG t;
    MHD_run(g->http);
    gw_conns_sweep(g);
    if (MHD_get_timeout(g->http, &t) == MHD_YES) *timeout_ms = t > 1000 ? 1000 : (int)t;
    else *timeout_ms = -1;
}

/* The node's certificate and key for HTTPS, checked as the peers' are. */
typedef struct https_pems {
    char *cert, *key;
} https_pems;

static void pems_free(https_pems *p)
{
    if (p->key) memset(p->key, 0, strlen(p->key)); /* no key left in freed memory */
    free(p->key);
    free(p->cert);
    memset(p, 0, sizeof(*p));
}

static int pems_read(const gw *g, https_pems *p, char *err, size_t errlen)
{
    const px_node_cfg *nc = px_config_node(&g->cfg, g->node);
    memset(p, 0, sizeof(*p));
    p->cert = px_tls_read_pem(&g->cfg, "tls_cert", nc->tls_cert, 0, err, errlen);
    if (p->cert) p->key = px_tls_read_pem(&g->cfg, "tls_key", nc->tls_key, 1, err, errlen);
    if (p->key) return 0;
    pems_free(p);
    return -1;
}

static int bind_address(const gw *g, struct sockaddr_in *addr, char *err, size_t errlen)
{
    const px_node_cfg *nc = px_config_node(&g->cfg, g->node);
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_port = htons(nc->gateway_port);
    /* Bind the node's own address, not every address: per-address network
     * faults must cut this node's clients and nobody else's. */
    if (inet_pton(AF_INET, nc->host, &addr->sin_addr) != 1) {
        snprintf(err, errlen, "node %u: host \"%s\" is not an IPv4 address", g->node, nc->host);
        return -1;
    }
    return 0;
}

static struct MHD_Daemon *start_daemon(gw *g, struct sockaddr_in *addr, const https_pems *p)
{
    const px_node_cfg *nc = px_config_node(&g->cfg, g->node);
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, p->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, p->key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
        {MHD_OPTION_END, 0, NULL},
    };
    if (p->cert) flags |= MHD_USE_TLS;
    return MHD_start_daemon(
        flags, nc->gateway_port, NULL, NULL, gw_http_handler, g,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, /* first, or it misses some */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)GW_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)GW_CONN_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GW_CONN_MEMORY,
        MHD_OPTION_URI_LOG_CALLBACK, gw_http_request_begins, g,
        MHD_OPTION_NOTIFY_COMPLETED, gw_http_request_ends, g,
        MHD_OPTION_NOTIFY_CONNECTION, notify_connection, g,
        MHD_OPTION_ARRAY, p->cert ? tls : tls + 3,
        MHD_OPTION_END);
}

struct MHD_Daemon *gw_http_start(gw *g, char *err, size_t errlen)
{
    const px_node_cfg *nc = px_config_node(&g->cfg, g->node);
    struct sockaddr_in addr;
    https_pems p = {0};
    if (bind_address(g, &addr, err, errlen) != 0) return NULL;
    if (g->cfg.gateway_https && pems_read(g, &p, err, errlen) != 0) return NULL;
    g->conns.tls = g->cfg.gateway_https;
    struct MHD_Daemon *d = start_daemon(g, &addr, &p);
    pems_free(&p); /* libmicrohttpd loaded them into GnuTLS when it started */
    if (d == NULL) {
        snprintf(err, errlen, "cannot listen on %s://%s:%u (port in use?%s)",
                 g->cfg.gateway_https ? "https" : "http", nc->host, nc->gateway_port,
                 g->cfg.gateway_https ? " or a certificate GnuTLS cannot load: see the log" : "");
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    g->http = d;
    g->http_fd = info ? info->epoll_fd : -1;
    g->http_run = run_http;
    g->resume = gw_http_resume;
    if (gw_run(g, err, errlen) != 0) {
        MHD_stop_daemon(d);
        return NULL;
    }
    return d;
}

/* New requests get 503 "shutting down" from here on.  libmicrohttpd must
 * not be stopped with suspended connections: resume every waiting command
 * (answered 503/504) and let the control queries end (each is bounded by
 * the control sockets' timeouts), answering meanwhile, then stop. */
void gw_http_stop(gw *g, struct MHD_Daemon *d)
{
    if (d == NULL) return;
    atomic_store(&g->closing, 1);
    gw_resume_all(g);
    for (int i = 0; i < 400 && atomic_load(&g->ctl_running) > 0; i++) usleep(10 * 1000);
    usleep(100 * 1000); /* let the loop answer what it resumed */
    gw_halt(g);
    MHD_stop_daemon(d);
}
