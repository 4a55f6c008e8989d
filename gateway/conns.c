/* conns.c -- the gateway's open HTTP connections, and the deadline for a
 * request to arrive whole.
 *
 * libmicrohttpd only closes a connection that has been silent for
 * GW_CONN_TIMEOUT_S, so a client that sends one byte of its request every
 * 50 s (slowloris) holds a connection, and 512 of them the whole gateway,
 * for as long as it likes.  So a request must arrive whole -- request line,
 * headers and body -- within GW_REQUEST_DEADLINE_MS; a connection that has
 * not managed it is answered 408 (plain HTTP; over TLS it is just closed)
 * and shut down, counted and logged at most once per 10 s.
 *
 * When does a request start?  The first request when the connection is
 * accepted (a client connects to send one; over TLS the handshake counts).
 * A later request on a kept-alive connection when its first byte arrives:
 * not when the previous answer went out, because an idle keep-alive
 * connection is not a slow one -- the project's own clients (bench, the
 * Jepsen client) keep connections idle between operations and would lose
 * one, as an indeterminate operation, each time an idle connection was cut
 * under them.  libmicrohttpd reads eagerly and does not tell when bytes
 * come in, so the sweep asks the kernel (TCP_INFO's bytes_received) whether
 * an idle connection received anything since its last answer.  Idle
 * connections stay governed by GW_CONN_TIMEOUT_S alone.  The sweep runs
 * every SWEEP_MS, so a deadline is met at most that much late.
 *
 * Everything here runs on the gateway's loop thread (libmicrohttpd calls
 * its callbacks from MHD_run), or in MHD_stop_daemon after that thread
 * stopped: no lock. */
#include <arpa/inet.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/log.h"
#include "http.h"

#define SWEEP_MS 250         /* how often the deadlines are checked */
#define SLOW_LOG_MS 10000    /* at most one log line about slow clients per this */

enum conn_phase {
    CONN_ARRIVING = 0, /* a request is arriving: the deadline runs */
    CONN_BUSY,         /* the request is in whole; being answered */
    CONN_IDLE,         /* answered; waiting for the next request */
    CONN_CLOSING       /* shut down by the deadline; libmicrohttpd closes it */
};

struct gw_conn {
    struct MHD_Connection *mc;
    int fd;
    int phase;                   /* enum conn_phase */
    uint64_t since_ms;           /* CONN_ARRIVING: when the request started */
    uint64_t idle_bytes;         /* CONN_IDLE: bytes received when it became idle */
    struct gw_conn *next, **pprev;
};

/* Bytes the kernel received on fd so far; -1 if it cannot say (kernels
 * before 4.1). */
static int bytes_received(int fd, uint64_t *out)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return -1;
    if (len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
        return -1;
    *out = ti.tcpi_bytes_received;
    return 0;
}

void gw_conn_started(gw *g, struct MHD_Connection *c, void **ctx)
{
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct gw_conn *k = calloc(1, sizeof(*k));
    *ctx = k;
    if (k == NULL) return; /* untracked: it only misses the deadline */
    k->mc = c;
    k->fd = fd ? fd->connect_fd : -1;
    k->phase = CONN_ARRIVING;
    k->since_ms = gw_now_ms();
    k->next = g->conns.head;
    if (k->next) k->next->pprev = &k->next;
    k->pprev = &g->conns.head;
    g->conns.head = k;
    atomic_fetch_add(&g->conns.open, 1);
}

void gw_conn_closed(gw *g, void *ctx)
{
    struct gw_conn *k = ctx;
    if (k == NULL) return;
    *k->pprev = k->next;
    if (k->next) k->next->pprev = k->pprev;
    free(k);
    atomic_fetch_sub(&g->conns.open, 1);
}

void gw_conn_busy(struct gw_conn *k)
{
    if (k != NULL && k->phase != CONN_CLOSING) k->phase = CONN_BUSY;
}

void gw_conn_idle(gw *g, struct gw_conn *k)
{
    if (k == NULL || k->phase == CONN_CLOSING) return;
    if (g->conns.no_tcp_info || bytes_received(k->fd, &k->idle_bytes) != 0) {
        /* without the byte count the deadline runs from the last answer */
        g->conns.no_tcp_info = 1;
        k->phase = CONN_ARRIVING;
        k->since_ms = gw_now_ms();
        return;
    }
    k->phase = CONN_IDLE;
}

struct gw_conn *gw_conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

static void client_address(struct MHD_Connection *c, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, len, "?");
    if (i == NULL || i->client_addr == NULL || i->client_addr->sa_family != AF_INET) return;
    const struct sockaddr_in *a = (const struct sockaddr_in *)i->client_addr;
    char ip[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip)) != NULL)
        snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
}

/* A 408 in plain HTTP, written straight to the socket: libmicrohttpd is
 * reading the request, so nothing of its own is on the way -- unless it
 * queued an error of its own, which we then leave alone. */
static void answer_408(gw *g, struct gw_conn *k)
{
    if (g->conns.tls || MHD_get_connection_info(k->mc, MHD_CONNECTION_INFO_HTTP_STATUS) != NULL)
        return;
    char body[128], msg[256];
    int bn = snprintf(body, sizeof(body),
                      "{\"error\":\"the request did not arrive whole within %d ms\"}\n",
                      GW_REQUEST_DEADLINE_MS);
    int n = snprintf(msg, sizeof(msg),
                     "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                     bn, body);
    if (n > 0 && (size_t)n < sizeof(msg))
        (void)!send(k->fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void log_slow(gw *g, struct gw_conn *k, uint64_t now)
{
    g->conns.slow_unlogged++;
    if (g->conns.slow_logged_ms != 0 && now - g->conns.slow_logged_ms < SLOW_LOG_MS) return;
    char addr[64];
    client_address(k->mc, addr, sizeof(addr));
    px_warn("closed %llu connection(s) whose request did not arrive whole within %d ms "
            "(the last from %s; %llu in total)",
            (unsigned long long)g->conns.slow_unlogged, GW_REQUEST_DEADLINE_MS, addr,
            (unsigned long long)atomic_load(&g->conns.slow_closed));
    g->conns.slow_logged_ms = now;
    g->conns.slow_unlogged = 0;
}

/* Past its deadline: answer 408 and shut the socket down; libmicrohttpd
 * sees the end of the stream, closes the connection and tells us. */
static void close_slow(gw *g, struct gw_conn *k, uint64_t now)
{
    answer_408(g, k);
    shutdown(k->fd, SHUT_RDWR);
    k->phase = CONN_CLOSING;
    atomic_fetch_add(&g->conns.slow_closed, 1);
    log_slow(g, k, now);
}

static void check_one(gw *g, struct gw_conn *k, uint64_t now)
{
    uint64_t b;
    switch (k->phase) {
    case CONN_IDLE:
        if (bytes_received(k->fd, &b) == 0 && b != k->idle_bytes) {
            k->phase = CONN_ARRIVING; /* the next request began */
            k->since_ms = now;
        }
        break;
    case CONN_ARRIVING:
        if (now - k->since_ms >= GW_REQUEST_DEADLINE_MS) close_slow(g, k, now);
        break;
    default: break;
    }
}

void gw_conns_sweep(gw *g)
{
    uint64_t now = gw_now_ms();
    if (now - g->conns.swept_ms < SWEEP_MS) return;
    g->conns.swept_ms = now;
    for (struct gw_conn *k = g->conns.head; k; k = k->next)
        if (k->fd >= 0) check_one(g, k, now);
}
