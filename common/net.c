/* net.c -- the transport between role processes (see net.h).
 *
 * Protocol traffic is UDP datagrams: each process has one socket bound to
 * <host>:<port> of its role (the gateway uses its HTTP port number: UDP and
 * TCP ports are separate spaces, and the pair is unique by construction).
 * Every message is one-way, a send never
 * waits for the receiver, and there is no connection to set up, lose or
 * redial: a restarted peer is reachable the moment it has bound its
 * address.  Paxos already tolerates loss (cores retransmit, learners ask
 * again, the gateway resends), so a send that finds the destination's queue
 * full (EAGAIN) or nobody listening is dropped: a slow or dead peer must
 * never stall the loop that serves the others.
 *
 * Why not a messaging library: this used nng PUSH/PULL, and under load the
 * time went to nng's thread hand-offs (three or four per message, whatever
 * its size) rather than to Paxos.  Here a message is one sendto and one
 * recvfrom on the caller's own thread; the kernel's socket buffers are the
 * queues.  Why not unix datagram sockets inside a node: a unix socket
 * refuses a sender once net.unix.max_dgram_qlen (10 by default) datagrams
 * wait, which dropped requests whenever many HTTP threads sent at once.
 *
 * Packing: a role loop holds its sends while it drains a burst of input
 * (px_net_hold), and px_net_flush then sends everything addressed to one
 * destination as one datagram: frames back to back, each with its own
 * header, CRC and length, so the receiver splits them without any new
 * framing, and a one-frame datagram is just a frame.
 *
 * The gateway is still addressed by its own node's roles only.
 *
 * Partitions: the UDP socket is bound to this node's own host address, so
 * every datagram between nodes carries (source host, destination host) and
 * firewall rules on address pairs cut exactly the traffic between two nodes
 * even when all nodes share the loopback interface.
 *
 * Control traffic (CTL_REQ / CTL_REPLY) is nng REQ/REP on a separate ipc
 * socket so a status query can never be confused with, or queued behind,
 * protocol messages; it is rare, so nng's costs do not matter there. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "log.h"

#define NET_RECONN_MIN_MS 10   /* control queries: redial quickly */
#define NET_REJECT_REASONS 16  /* > largest enum px_wire_err */
#define NET_ROLES 5            /* indexed by enum px_role (1..4) */
#define NET_PACK_MAX 65000     /* bytes of frames in one datagram (UDP allows 65507) */
#define NET_SOCKBUF (8 << 20)  /* kernel buffer per socket: bursts wait here, not drop */

_Static_assert(NET_PACK_MAX >= PX_MAX_FRAME, "a datagram must hold the largest frame");

typedef struct net_dest {
    int ready;      /* address resolved */
    int failed;     /* cannot be addressed (another node's gateway): drop quietly */
    struct sockaddr_in addr;
    uint8_t *held;  /* frames packed while holding, not sent yet */
    size_t held_len;
    int listed;     /* on the held list */
    struct net_dest *next_held; /* the list of destinations with held frames */
} net_dest;

struct px_net {
    px_config cfg;
    uint32_t self;
    int role;
    int fd;                  /* the UDP socket on <host>:<port of role> */
    net_dest dest[NET_ROLES][PX_MAX_NODES + 1];
    pthread_mutex_t send_mu;  /* px_net_send may be called from many threads */
    int holding;              /* px_net_hold: pack sends until px_net_flush */
    net_dest *held_head;
    size_t rx_len, rx_off;    /* the datagram being split into frames */
    struct sockaddr_in rx_from;
    uint64_t rejected[NET_REJECT_REASONS];
    uint64_t rejected_unlogged[NET_REJECT_REASONS];
    uint64_t reject_logged_ms[NET_REJECT_REASONS];
    px_msg scratch; /* a copy of an outgoing message whose from != self */
    uint8_t frame[PX_MAX_FRAME];
    uint8_t rx[NET_PACK_MAX + 1];
};

struct px_ctl {
    nng_socket s;
    px_config cfg;
    uint32_t self;
    px_msg msg;
    uint8_t frame[PX_MAX_FRAME];
};

uint64_t px_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---------------------------------------------------------------- addresses */

static uint16_t role_port(const px_node_cfg *nc, int role)
{
    switch (role) {
    case PX_ROLE_ACCEPTOR: return nc->acceptor_port;
    case PX_ROLE_PROPOSER: return nc->proposer_port;
    case PX_ROLE_LEARNER: return nc->learner_port;
    case PX_ROLE_GATEWAY: return nc->gateway_port; /* its UDP twin */
    default: return 0;
    }
}

/* ipc://<node_dir>/<role>.<suffix> (control sockets); -1 if the path is
 * too long for a unix socket (sun_path is 108 bytes), which would otherwise
 * fail obscurely. */
static int ipc_url(const px_config *cfg, uint32_t node, int role, const char *suffix,
                   char *buf, size_t len)
{
    char dir[512];
    px_config_node_dir(cfg, node, dir, sizeof dir);
    int n = snprintf(buf, len, "ipc://%s/%s.%s", dir, px_role_name(role), suffix);
    if (n < 0 || (size_t)n >= len || (size_t)n - strlen("ipc://") >= 100) return -1;
    return 0;
}

/* host may be a dotted quad or a name (resolved once, IPv4). */
static int inet_addr_of(const char *host, uint16_t port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) == 1) return 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *ai;
    if (getaddrinfo(host, NULL, &hints, &ai) != 0) return -1;
    sa->sin_addr = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
    freeaddrinfo(ai);
    return 0;
}

/* "127.0.0.2:40312": who sent a frame we refused. */
static void sockaddr_str(const struct sockaddr_in *in, char *buf, size_t cap)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
}

/* ------------------------------------------------------------------ sockets */

/* Big kernel buffers: a burst (a leader's pipeline of ACCEPTs, a catch-up)
 * queues in the kernel instead of being dropped.  FORCE needs root; the
 * plain option is capped by net.core.{r,w}mem_max but is still a floor. */
static void set_bufs(int fd)
{
    int v = NET_SOCKBUF;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
}

static int open_udp(const char *host, uint16_t port, char *err, size_t errlen)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) goto fail;
    if (inet_addr_of(host, port, &sa) != 0) {
        errno = EINVAL;
        goto fail;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) goto fail;
    set_bufs(fd);
    return fd;
fail:
    snprintf(err, errlen, "cannot listen on udp://%s:%u: %s", host, (unsigned)port,
             strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
}

struct px_net *px_net_open(const px_config *cfg, uint32_t self, int role, char *err,
                           size_t errlen)
{
    const px_node_cfg *nc = px_config_node(cfg, self);
    if (!nc || role < PX_ROLE_ACCEPTOR || role > PX_ROLE_GATEWAY) {
        snprintf(err, errlen, "node %u is not in %s", self, cfg->path);
        return NULL;
    }
    struct px_net *n = calloc(1, sizeof *n);
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    n->cfg = *cfg;
    n->self = self;
    n->role = role;
    pthread_mutex_init(&n->send_mu, NULL);
    n->fd = open_udp(nc->host, role_port(nc, role), err, errlen);
    if (n->fd < 0) goto fail;
    return n;
fail:
    pthread_mutex_destroy(&n->send_mu);
    free(n);
    return NULL;
}

void px_net_close(struct px_net *n)
{
    if (!n) return;
    px_net_flush(n);
    for (int r = 0; r < NET_ROLES; r++)
        for (int i = 0; i <= PX_MAX_NODES; i++) free(n->dest[r][i].held);
    close(n->fd);
    pthread_mutex_destroy(&n->send_mu);
    free(n);
}

uint64_t px_net_rejected(const struct px_net *n, int reason)
{
    if (reason < 0 || reason >= NET_REJECT_REASONS) return 0;
    return n->rejected[reason];
}

/* ------------------------------------------------------------------ inbound */

/* Count a refused frame and say so in the log at most once a second per
 * reason: a misconfigured peer (another cluster id) must be visible, but a
 * flood of garbage must not flood the log. */
static void note_rejected(struct px_net *n, int reason)
{
    if (reason < 0 || reason >= NET_REJECT_REASONS) reason = 0;
    n->rejected[reason]++;
    n->rejected_unlogged[reason]++;
    uint64_t now = px_now_ms();
    if (n->reject_logged_ms[reason] != 0 && now - n->reject_logged_ms[reason] < 1000) return;

    char who[160];
    sockaddr_str(&n->rx_from, who, sizeof who);
    px_warn("rejected frame from %s: %s (%llu since the last report, %llu in total)",
            who, px_wire_strerror(-reason), (unsigned long long)n->rejected_unlogged[reason],
            (unsigned long long)n->rejected[reason]);
    n->rejected_unlogged[reason] = 0;
    n->reject_logged_ms[reason] = now ? now : 1;
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The next frame of the datagram being split.  Returns 1 with *out filled,
 * 0 when the datagram is used up.  A frame that does not decode is counted
 * and ends the datagram: its length field may be garbage too, so nothing
 * after it can be trusted to start where it says. */
static int next_frame(struct px_net *n, px_msg *out)
{
    size_t left = n->rx_len - n->rx_off;
    if (left > 0 || n->rx_off == 0) { /* an empty datagram is a short frame */
        size_t flen = left;
        if (left >= PX_WIRE_HEADER) {
            uint64_t want = PX_WIRE_HEADER + (uint64_t)get_le32(n->rx + n->rx_off + 16);
            if (want < left) flen = (size_t)want; /* more frames follow */
        }
        int d = px_decode(n->rx + n->rx_off, flen, n->cfg.cluster_id, out);
        if (d == 0) {
            n->rx_off += flen;
            return 1;
        }
        note_rejected(n, -d);
    }
    n->rx_len = n->rx_off = 0;
    return 0;
}

/* Read one datagram.  Returns 1 if one was read, 0 if none is waiting
 * (or an ICMP error of an earlier send surfaced: nothing to read). */
static int read_dgram(struct px_net *n)
{
    socklen_t fromlen = sizeof n->rx_from;
    ssize_t r = recvfrom(n->fd, n->rx, sizeof n->rx, 0, (struct sockaddr *)&n->rx_from,
                         &fromlen);
    if (r < 0) return 0;
    n->rx_len = (size_t)r > NET_PACK_MAX ? NET_PACK_MAX + 1 : (size_t)r; /* too long: refused */
    n->rx_off = 0;
    return 1;
}

static void wait_readable(struct px_net *n, int ms)
{
    struct pollfd p = {n->fd, POLLIN, 0};
    poll(&p, 1, ms);
}

int px_net_recv(struct px_net *n, px_msg *out, int timeout_ms)
{
    if (n->rx_len && next_frame(n, out)) return 1;
    uint64_t deadline = px_now_ms() + (timeout_ms > 0 ? (uint64_t)timeout_ms : 0);
    for (;;) {
        if (read_dgram(n)) {
            if (next_frame(n, out)) return 1;
            continue; /* a bad frame is not a message: keep looking */
        }
        uint64_t now = px_now_ms();
        if (now >= deadline) return 0;
        wait_readable(n, (int)(deadline - now));
    }
}

/* ----------------------------------------------------------------- outbound */

static int dest_resolve(struct px_net *n, net_dest *d, int role, uint32_t node)
{
    const px_node_cfg *to = px_config_node(&n->cfg, node);
    if (!to) return -1;
    if (role == PX_ROLE_GATEWAY && node != n->self) {
        /* a gateway hears its own node only: say so once, then drop quietly */
        px_warn("dropping %s messages to node %u: it is reachable from its own node only",
                px_role_name(role), node);
        d->failed = 1;
        return -1;
    }
    if (inet_addr_of(to->host, role_port(to, role), &d->addr) != 0) {
        px_error("node %u: cannot resolve host \"%s\": dropping messages to it", node,
                 to->host);
        d->failed = 1;
        return -1;
    }
    d->ready = 1;
    return 0;
}

/* A full queue (EAGAIN) or nobody bound there (a peer restarting) drops
 * the datagram, like any loss: retransmits repair it. */
static int send_dgram(struct px_net *n, net_dest *d, const uint8_t *p, size_t len)
{
    return sendto(n->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&d->addr,
                  sizeof d->addr) == (ssize_t)len;
}

static void send_held(struct px_net *n, net_dest *d)
{
    send_dgram(n, d, d->held, d->held_len);
    d->held_len = 0;
}

/* Append the encoded frame to d's held datagram, sending that first if the
 * frame would not fit.  Returns 1 if the frame is held. */
static int hold_frame(struct px_net *n, net_dest *d, size_t len)
{
    if (d->held == NULL && (d->held = malloc(NET_PACK_MAX)) == NULL) return 0;
    if (d->held_len + len > NET_PACK_MAX) send_held(n, d);
    if (!d->listed) {
        d->listed = 1;
        d->next_held = n->held_head;
        n->held_head = d;
    }
    memcpy(d->held + d->held_len, n->frame, len);
    d->held_len += len;
    return 1;
}

static int send_one(struct px_net *n, int role, uint32_t node, size_t len)
{
    if (role < 1 || role >= NET_ROLES || node < 1 || node > PX_MAX_NODES) return 0;
    net_dest *d = &n->dest[role][node];
    if (d->failed) return 0;
    if (!d->ready && dest_resolve(n, d, role, node) != 0) return 0;
    if (n->holding) return hold_frame(n, d, len);
    return send_dgram(n, d, n->frame, len);
}

/* Encode once, queue to every destination.  Caller holds send_mu: the
 * frame buffer, the scratch copy and the lazily opened sockets are shared. */
static int send_locked(struct px_net *n, int role, uint32_t node, const px_msg *m)
{
    const px_msg *src = m;
    if (m->from != n->self) {
        n->scratch = *m;
        n->scratch.from = n->self;
        src = &n->scratch;
    }
    size_t len = px_encode(src, n->cfg.cluster_id, n->frame, sizeof n->frame);
    if (len == 0) {
        px_error("cannot encode a %s message: dropped", px_msg_type_name(m->type));
        return 0;
    }
    if (node != PX_NODE_ALL) return send_one(n, role, node, len);
    int queued = 0;
    for (uint32_t i = 0; i < n->cfg.n_nodes; i++)
        queued += send_one(n, role, n->cfg.nodes[i].id, len);
    return queued;
}

int px_net_send(struct px_net *n, int role, uint32_t node, const px_msg *m)
{
    pthread_mutex_lock(&n->send_mu);
    int queued = send_locked(n, role, node, m);
    pthread_mutex_unlock(&n->send_mu);
    return queued;
}

void px_net_hold(struct px_net *n)
{
    pthread_mutex_lock(&n->send_mu);
    n->holding = 1;
    pthread_mutex_unlock(&n->send_mu);
}

void px_net_flush(struct px_net *n)
{
    pthread_mutex_lock(&n->send_mu);
    /* a destination appears in the list once, however many frames it holds */
    for (net_dest *d = n->held_head, *next; d; d = next) {
        next = d->next_held;
        d->next_held = NULL;
        d->listed = 0;
        if (d->held_len) send_held(n, d);
    }
    n->held_head = NULL;
    n->holding = 0;
    pthread_mutex_unlock(&n->send_mu);
}

/* ------------------------------------------------------------------ control */

static int listen_on(nng_socket s, const char *url, char *err, size_t errlen)
{
    int rv = nng_listen(s, url, NULL, 0);
    if (rv != 0) snprintf(err, errlen, "cannot listen on %s: %s", url, nng_strerror(rv));
    return rv;
}

struct px_ctl *px_ctl_open(const px_config *cfg, uint32_t self, int role, char *err,
                           size_t errlen)
{
    struct px_ctl *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    c->self = self;
    char url[600];
    int rv = nng_rep0_open(&c->s);
    if (rv != 0) {
        snprintf(err, errlen, "nng_rep0_open: %s", nng_strerror(rv));
        free(c);
        return NULL;
    }
    if (ipc_url(cfg, self, role, "ctl", url, sizeof url) != 0) {
        snprintf(err, errlen, "node directory path too long for an ipc socket: %s", url);
    } else if (listen_on(c->s, url, err, errlen) == 0) {
        return c;
    }
    nng_close(c->s);
    free(c);
    return NULL;
}

void px_ctl_close(struct px_ctl *c)
{
    if (!c) return;
    nng_close(c->s);
    free(c);
}

int px_ctl_poll(struct px_ctl *c, void (*fn)(void *arg, char *json, size_t cap), void *arg)
{
    nng_msg *req;
    if (nng_recvmsg(c->s, &req, NNG_FLAG_NONBLOCK) != 0) return 0;
    int d = px_decode(nng_msg_body(req), nng_msg_len(req), c->cfg.cluster_id, &c->msg);
    nng_msg_free(req);
    /* a bad request gets no reply: the client's timeout reports it */
    if (d != 0 || c->msg.type != PX_MSG_CTL_REQ) return 0;

    px_msg *m = &c->msg;
    memset(&m->u.ctl_reply, 0, sizeof m->u.ctl_reply);
    m->type = PX_MSG_CTL_REPLY;
    m->from = c->self;
    fn(arg, m->u.ctl_reply.json, sizeof m->u.ctl_reply.json);
    m->u.ctl_reply.json[sizeof m->u.ctl_reply.json - 1] = 0;
    m->u.ctl_reply.len = (uint32_t)strlen(m->u.ctl_reply.json);
    size_t len = px_encode(m, c->cfg.cluster_id, c->frame, sizeof c->frame);
    if (len > 0) nng_send(c->s, c->frame, len, NNG_FLAG_NONBLOCK);
    return 1;
}

/* One CTL_REQ / CTL_REPLY exchange, all of it before deadline. */
static int ctl_exchange(nng_socket s, const px_config *cfg, uint32_t self, uint64_t deadline,
                        char *json, size_t cap)
{
    uint8_t frame[64];
    px_msg q;
    memset(&q, 0, sizeof q);
    q.type = PX_MSG_CTL_REQ;
    q.from = self;
    size_t len = px_encode(&q, cfg->cluster_id, frame, sizeof frame);
    if (len == 0 || nng_send(s, frame, len, 0) != 0) return -1;

    uint64_t now = px_now_ms();
    if (now >= deadline) return -1;
    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, (nng_duration)(deadline - now));
    nng_msg *rep;
    if (nng_recvmsg(s, &rep, 0) != 0) return -1;
    px_msg *m = malloc(sizeof *m);
    int ok = m && px_decode(nng_msg_body(rep), nng_msg_len(rep), cfg->cluster_id, m) == 0 &&
             m->type == PX_MSG_CTL_REPLY;
    if (ok) {
        size_t n = m->u.ctl_reply.len < cap - 1 ? m->u.ctl_reply.len : cap - 1;
        memcpy(json, m->u.ctl_reply.json, n);
        json[n] = 0;
    }
    free(m);
    nng_msg_free(rep);
    return ok ? 0 : -1;
}

int px_ctl_query(const px_config *cfg, uint32_t self, int role, int timeout_ms, char *json,
                 size_t cap)
{
    char url[600];
    nng_socket s;
    uint64_t deadline = px_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    if (cap == 0 || ipc_url(cfg, self, role, "ctl", url, sizeof url) != 0) return -1;
    if (nng_req0_open(&s) != 0) return -1;
    nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
    /* never resend: one query, one answer or a timeout */
    nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    nng_socket_set_ms(s, NNG_OPT_RECONNMINT, NET_RECONN_MIN_MS);
    nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, NET_RECONN_MIN_MS);
    int rv = -1;
    if (nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK) == 0)
        rv = ctl_exchange(s, cfg, self, deadline, json, cap);
    nng_close(s);
    return rv;
}
