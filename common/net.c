/* net.c -- the nng transport between role processes (see net.h).
 *
 * The transport is nng by design (ipc:// inside a node, tcp:// across
 * nodes; see docs/ARCHITECTURE.md).  Make it faster within nng; do not
 * replace it with raw sockets.
 *
 * Protocol traffic is PUSH/PULL: every message is one-way, a send never
 * waits for the receiver, each destination has its own small queue, and nng
 * reconnects by itself when a peer restarts.  Paxos already tolerates loss
 * (cores retransmit), so when a queue is full we drop instead of blocking:
 * a slow or dead peer must never stall the loop that serves the others.
 *
 * Packing: nng costs several thread hand-offs per message, whatever its
 * size, and under load that -- not Paxos -- was where the time went.  So a
 * role loop holds its sends while it drains a burst of input
 * (px_net_hold), and px_net_flush then sends everything addressed to one
 * destination as one nng message: frames back to back, each with its own
 * header, CRC and length, so the receiver splits them without any new
 * framing and a single-frame message is exactly what it always was.
 *
 * Stalled connections: a partition made of iptables DROP rules (or any
 * real loss long enough) leaves TCP connections established, with their
 * unacknowledged data retransmitted on a timer that doubles each time:
 * after a 20 s cut the next retransmission can be 6 to 13 s away, and
 * until then the connection delivers nothing although the network is
 * whole again and nng still counts it as connected.  A proposer that does
 * not hear the leader over such a link starts elections the others grant,
 * deposing a leader they cannot hear either, over and over (the flip-flop
 * of issue 12).  So every TCP socket of a role gets a delivery deadline,
 * TCP_USER_TIMEOUT: data unacknowledged for NET_TCP_DEADLINE_ELECTIONS
 * longest election timeouts, at least NET_TCP_DEADLINE_MIN_MS (and a
 * connection attempt unanswered as long) makes the kernel fail the
 * connection, nng sees an ordinary connection error, and its dialer
 * connects afresh -- at once after a heal, since a new connection starts
 * with a fresh retransmission timer.  nng 1.5 has no option for it and
 * no way to reach a pipe's descriptor, so net_tick sets it on every TCP
 * socket of the process (all of them nng's) as they appear.  Closing such
 * a pipe from our side instead is not an option: nng 1.5.2 can hang for
 * ever closing a TLS pipe in the middle of a partial send (a stalled
 * one), in the reaper and then in nng_close.
 *
 * Send faults (faults.h, tests only): a frame between protocol roles may be
 * dropped, duplicated, delayed or reordered; delayed frames wait in a
 * queue (delayq.h) that px_net_recv drains, so no thread sleeps per frame.
 *
 * Receiving: nng's threads put what they read into an inbox (inbox.h) that
 * the loop drains; a burst that arrives while the loop works wakes nobody.
 *
 * Scheduling: every step of an nng message wakes one of nng's task threads
 * (docs/PERFORMANCE.md, "Second round"), and under Linux's default policy
 * a woken thread preempts the one running on its CPU at once -- often the
 * very thread that woke it.  PAXOS_SCHED=batch puts the thread calling
 * px_net_open under SCHED_BATCH before nng starts its threads, which
 * inherit it: fewer switches and less CPU per append on an idle machine.
 * It is opt-in: on a machine busy with other work a batch thread's wake-up
 * can wait, and heartbeats with it.  The first CI run with it on by
 * default failed a 20 s Jepsen partition run: 158 ballots, two proposers
 * electing each other in turn, one node acknowledging nothing for 30 s
 * after the heal (suspected, not proved, to be this policy).
 *
 * Control traffic (CTL_REQ / CTL_REPLY) is in ctl.c; the owner-only ipc
 * listeners both use are in ipc.c. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/transport/ipc/ipc.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delayq.h"
#include "faults.h"
#include "inbox.h"
#include "ipc.h"
#include "jsonbuf.h"
#include "log.h"
#include "refuse.h"
#include "tls.h"

#define NET_SENDBUF 128       /* messages queued per destination before dropping */
#define NET_RECONN_MIN_MS 10  /* a restarted peer is found again within ~10 ms */
#define NET_RECONN_MAX_MS 200 /* ... and a long-dead one is retried 5 times a second */
#define NET_ROLES 5           /* indexed by enum px_role (1..4) */
#define NET_PACK_MAX 65536    /* bytes of frames packed into one nng message */
#define NET_REDIAL_MS 2000    /* a destination without a connection this long is dialled afresh */
#define NET_REDIAL_LOG_MS 60000 /* ... and said so at most this often */
#define NET_TCP_DEADLINE_MIN_MS 2000 /* TCP_USER_TIMEOUT: at least this ... */
#define NET_TCP_DEADLINE_ELECTIONS 4 /* ... or this many longest election timeouts */
#define NET_FD_SCAN_MS 100           /* new TCP sockets get their deadline this soon */

_Static_assert(NET_PACK_MAX >= PX_MAX_FRAME, "a packed message must hold the largest frame");

typedef struct net_dest {
    int role;     /* the role it reaches (for the sent counters) */
    int open;     /* socket created and dialer started */
    int failed;   /* could not be created: do not retry on every send */
    nng_socket s;
    atomic_int sock_id;    /* s's id: events of a socket closed by a redial are not ours */
    atomic_int pipes;      /* live connections (nng pipe events, from nng's threads) */
    uint64_t connected_ms; /* last send that found a connection (or the socket's birth) */
    uint64_t redial_logged_ms;
    nng_msg *held;                /* frames packed while holding, not sent yet */
    struct net_dest *next_held;   /* the list of destinations with held frames */
} net_dest;

struct px_net {
    px_config cfg;
    uint32_t self;
    int role;
    nng_socket in;
    net_dest dest[NET_ROLES][PX_MAX_NODES + 1];
    px_inbox *inbox;         /* what nng received for us (inbox.h) */
    int recv_fd;             /* readable when the inbox may hold a message */
    nng_listener ipc_listener; /* frames through it come from our own node */
    nng_tls_config *tls_client[PX_MAX_NODES + 1]; /* per destination node: its name is checked */
    nng_pipe rx_pipe;        /* the pipe of the message being split ... */
    int rx_local;            /* ... and whether it came by ipc */
    pthread_mutex_t send_mu;  /* px_net_send may be called from many threads */
    int holding;              /* px_net_hold: pack sends until px_net_flush */
    net_dest *held_head;
    nng_msg *rx;              /* a received message being split into frames ... */
    size_t rx_off;            /* ... and the offset of its next frame */
    uint64_t rejected[PX_REFUSE_MAX];
    uint64_t rejected_unlogged[PX_REFUSE_MAX];
    uint64_t reject_logged_ms[PX_REFUSE_MAX];
    /* What left, by destination role: nng messages, frames in them, and
     * client commands in those frames (how well each hop batches). */
    uint64_t out_msgs[NET_ROLES], out_frames[NET_ROLES], out_cmds[NET_ROLES];
    px_msg scratch; /* a copy of an outgoing message whose from != self */
    uint8_t frame[PX_MAX_FRAME];
    uint8_t delayed_frame[PX_MAX_FRAME]; /* a frame leaving the delay queue */
    px_delayq delayq;                    /* frames held back by send faults */
    unsigned tcp_deadline_ms;            /* TCP_USER_TIMEOUT of our TCP sockets */
    uint64_t fd_scan_ms;                 /* when to look for new TCP sockets */
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
    default: return 0; /* the gateway is reachable from its own node only */
    }
}

static void tcp_url(const px_config *cfg, const px_node_cfg *nc, int role, char *buf, size_t len)
{
    snprintf(buf, len, "%s://%s:%u", cfg->tls ? "tls+tcp" : "tcp", nc->host,
             (unsigned)role_port(nc, role));
}

/* "127.0.0.2:40312" or the ipc path: who sent a frame we refused. */
static void sockaddr_str(const nng_sockaddr *sa, char *buf, size_t len)
{
    char ip[INET_ADDRSTRLEN];
    switch (sa->s_family) {
    case NNG_AF_INET:
        inet_ntop(AF_INET, &sa->s_in.sa_addr, ip, sizeof ip);
        snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(sa->s_in.sa_port));
        break;
    case NNG_AF_IPC: snprintf(buf, len, "ipc:%s", sa->s_ipc.sa_path); break;
    default: snprintf(buf, len, "unknown"); break;
    }
}

/* ------------------------------------------------------------------ inbound */

/* Listens on the node's tcp port, with mutual TLS unless tls = false. */
static int listen_tcp(struct px_net *n, const char *url, char *err, size_t errlen)
{
    nng_listener l;
    nng_tls_config *tc = NULL;
    if (n->cfg.tls && px_tls_server(&n->cfg, n->self, &tc, err, errlen) != 0) return -1;
    int rv = nng_listener_create(&l, n->in, url);
    if (rv == 0 && tc) rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tc);
    if (rv == 0) rv = nng_listener_start(l, 0);
    if (tc) nng_tls_config_free(tc); /* the listener holds its own reference */
    if (rv != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", url, nng_strerror(rv));
        return -1;
    }
    return 0;
}

/* SCHED_BATCH for the calling thread and the threads it starts from now
 * on, nng's included (see "Scheduling" at the top), when PAXOS_SCHED is
 * "batch" (opt-in: see there).  Changing to it needs no privilege; if it
 * fails, nothing but speed is lost. */
static void sched_batch(void)
{
    const char *want = getenv("PAXOS_SCHED");
    if (want == NULL || strcmp(want, "batch") != 0) return;
    struct sched_param sp = {0};
    if (sched_setscheduler(0, SCHED_BATCH, &sp) != 0)
        px_debug("cannot use SCHED_BATCH: %s", strerror(errno));
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
    n->recv_fd = -1;
    pthread_mutex_init(&n->send_mu, NULL);
    px_delayq_init(&n->delayq);
    uint64_t deadline = NET_TCP_DEADLINE_ELECTIONS * cfg->election_max_ms;
    if (deadline < NET_TCP_DEADLINE_MIN_MS) deadline = NET_TCP_DEADLINE_MIN_MS;
    n->tcp_deadline_ms = (unsigned)(deadline < 600000 ? deadline : 600000);

    sched_batch(); /* before nng_pull0_open: nng's threads start with the first socket */
    int rv = nng_pull0_open(&n->in);
    if (rv != 0) {
        snprintf(err, errlen, "nng_pull0_open: %s", nng_strerror(rv));
        free(n);
        return NULL;
    }
    nng_socket_set_size(n->in, NNG_OPT_RECVMAXSZ, NET_PACK_MAX);
    n->inbox = px_inbox_open(n->in, err, errlen);
    if (!n->inbox) goto fail;
    n->recv_fd = px_inbox_fd(n->inbox);

    char url[600];
    if (px_ipc_url(cfg, self, role, "ipc", url, sizeof url) != 0) {
        snprintf(err, errlen, "node directory path too long for an ipc socket: %s", url);
        goto fail;
    }
    if (px_ipc_listen(n->in, url, &n->ipc_listener, err, errlen) != 0) goto fail;
    if (role_port(nc, role) != 0) {
        tcp_url(cfg, nc, role, url, sizeof url);
        if (listen_tcp(n, url, err, errlen) != 0) goto fail;
        px_info("TCP connections that deliver nothing for %u ms are dropped and dialled afresh",
                n->tcp_deadline_ms);
    }
    return n;
fail:
    px_inbox_close(n->inbox);
    nng_close(n->in);
    free(n);
    return NULL;
}

void px_net_close(struct px_net *n)
{
    if (!n) return;
    px_net_flush(n);
    if (n->rx) nng_msg_free(n->rx);
    px_inbox_close(n->inbox); /* before the socket: its receive must stop first */
    for (int r = 0; r < NET_ROLES; r++)
        for (int i = 0; i <= PX_MAX_NODES; i++)
            if (n->dest[r][i].open) nng_close(n->dest[r][i].s);
    nng_close(n->in);
    for (int i = 0; i <= PX_MAX_NODES; i++)
        if (n->tls_client[i]) nng_tls_config_free(n->tls_client[i]);
    px_delayq_free(&n->delayq);
    pthread_mutex_destroy(&n->send_mu);
    free(n);
}

int px_net_wait_us(struct px_net *n, int us)
{
    struct pollfd pfd = {n->recv_fd, POLLIN, 0};
    struct timespec ts = {0, (long)us * 1000};
    if (n->recv_fd < 0) return 1; /* cannot wait: let the caller look */
    return ppoll(&pfd, 1, &ts, NULL) > 0;
}

int px_net_recv_fd(const struct px_net *n)
{
    return n->recv_fd;
}

uint64_t px_net_rejected(const struct px_net *n, int reason)
{
    if (reason < 1 || reason >= PX_REFUSE_MAX) return 0;
    return n->rejected[reason];
}

/* Count a refused frame that came through pipe p, and say so in the log at
 * most once a second per reason: a misconfigured or hostile peer must be
 * visible, but a flood of garbage must not flood the log. */
static void note_rejected(struct px_net *n, nng_pipe p, int reason)
{
    if (reason < 1 || reason >= PX_REFUSE_MAX) reason = PX_WIRE_FIELD_BAD;
    n->rejected[reason]++;
    n->rejected_unlogged[reason]++;
    uint64_t now = px_now_ms();
    if (n->reject_logged_ms[reason] != 0 && now - n->reject_logged_ms[reason] < 1000) return;

    char who[160] = "unknown";
    nng_sockaddr sa;
    if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) == 0) sockaddr_str(&sa, who, sizeof who);
    px_warn("rejected frame from %s: %s (%llu since the last report, %llu in total)",
            who, px_refusal_text(reason), (unsigned long long)n->rejected_unlogged[reason],
            (unsigned long long)n->rejected[reason]);
    n->rejected_unlogged[reason] = 0;
    n->reject_logged_ms[reason] = now ? now : 1;
}

void px_net_refused(struct px_net *n, int reason)
{
    if (reason != PX_REFUSE_NONE) note_rejected(n, n->rx_pipe, reason);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* By which path a role takes a type: from its own node (ipc), from other
 * nodes (tcp), or both; 0 if the role never receives it. */
enum { PATH_LOCAL = 1, PATH_REMOTE = 2, PATH_ANY = 3 };

static int type_paths(int role, int type)
{
    switch (role) {
    case PX_ROLE_ACCEPTOR: /* from proposers */
        return type == PX_MSG_PREPARE || type == PX_MSG_ACCEPT || type == PX_MSG_TRIM ? PATH_ANY : 0;
    case PX_ROLE_PROPOSER:
        switch (type) {
        case PX_MSG_PROMISE: case PX_MSG_ACCEPTED: case PX_MSG_REJECT: /* acceptors */
        case PX_MSG_HEARTBEAT:                                      /* the leader */
        case PX_MSG_REQUEST:              /* our gateway, or a proposer forwarding */
        case PX_MSG_CATCHUP: case PX_MSG_LEARNED:                   /* learners */
            return PATH_ANY;
        default: return 0;
        }
    case PX_ROLE_LEARNER:
        switch (type) {
        case PX_MSG_CHOSEN: case PX_MSG_HEARTBEAT: case PX_MSG_CATCHUP:
        case PX_MSG_SNAP_REQ: case PX_MSG_SNAP_CHUNK: case PX_MSG_VOTE:
            return PATH_ANY;
        case PX_MSG_LIST_REQ: return PATH_LOCAL; /* our gateway only */
        default: return 0;
        }
    case PX_ROLE_GATEWAY: /* our own proposer and learner */
        return type == PX_MSG_NACK || type == PX_MSG_APPLIED || type == PX_MSG_LIST_CHUNK
                   ? PATH_LOCAL : 0;
    default: return 0;
    }
}

/* Whether a decoded frame may come to this role by the path it came: a
 * type the role receives, by ipc only with our own id (nothing else can
 * reach our ipc sockets), by tcp only from another member. */
static int path_refusal(const struct px_net *n, const px_msg *m)
{
    int paths = type_paths(n->role, m->type);
    if (paths == 0) return PX_REFUSE_UNEXPECTED_TYPE;
    if (n->rx_local) return m->from == n->self ? 0 : PX_REFUSE_WRONG_PATH;
    if (!(paths & PATH_REMOTE) || m->from == n->self) return PX_REFUSE_WRONG_PATH;
    return px_config_node(&n->cfg, m->from) ? 0 : PX_REFUSE_NOT_MEMBER;
}

/* The next frame of the message being split.  Returns 1 with *out filled,
 * 0 when the message is used up (and freed).  A frame that does not decode
 * is counted and ends the message: its length field may be garbage too, so
 * nothing after it can be trusted to start where it says.  A frame that
 * decodes but may not come here by this path is counted and skipped. */
static int next_frame(struct px_net *n, px_msg *out)
{
    const uint8_t *body = nng_msg_body(n->rx);
    for (;;) {
        size_t left = nng_msg_len(n->rx) - n->rx_off;
        if (left == 0 && n->rx_off > 0) break; /* an empty message is a short frame */
        size_t flen = left;
        if (left >= PX_WIRE_HEADER) {
            uint64_t want = PX_WIRE_HEADER + (uint64_t)get_le32(body + n->rx_off + 16);
            if (want < left) flen = (size_t)want; /* more frames follow */
        }
        int d = px_decode(body + n->rx_off, flen, n->cfg.cluster_id, out);
        if (d != 0) {
            note_rejected(n, n->rx_pipe, -d);
            break;
        }
        n->rx_off += flen;
        int why = path_refusal(n, out);
        if (why == 0) return 1;
        note_rejected(n, n->rx_pipe, why);
    }
    nng_msg_free(n->rx);
    n->rx = NULL;
    return 0;
}

/* Starts splitting msg: notes its pipe and whether it came by ipc. */
static void take_message(struct px_net *n, nng_msg *msg)
{
    n->rx = msg;
    n->rx_off = 0;
    n->rx_pipe = nng_msg_get_pipe(msg);
    n->rx_local = nng_listener_id(nng_pipe_listener(n->rx_pipe)) ==
                  nng_listener_id(n->ipc_listener);
}

/* Wait until the inbox may have a message, at most ms.  poll() on its
 * eventfd rather than a receive with a timeout: every timed nng receive
 * arms a timer in nng's expiry thread, and under load those wake-ups cost
 * more than the messages. */
static void wait_readable(struct px_net *n, int ms)
{
    struct pollfd pfd = {n->recv_fd, POLLIN, 0};
    if (n->recv_fd >= 0) poll(&pfd, 1, ms);
    else poll(NULL, 0, ms < 1 ? ms : 1); /* no fd (never seen): poll the socket */
}

static void net_tick(struct px_net *n, uint64_t now);

int px_net_recv(struct px_net *n, px_msg *out, int timeout_ms)
{
    uint64_t now = px_now_ms();
    uint64_t deadline = now + (timeout_ms > 0 ? (uint64_t)timeout_ms : 0);
    /* a busy loop may never find its socket empty: the timers run here too */
    net_tick(n, now);
    if (n->rx && next_frame(n, out)) return 1;
    for (;;) {
        nng_msg *msg;
        int rv = px_inbox_take(n->inbox, &msg);
        if (rv == 0) {
            uint64_t now = px_now_ms();
            net_tick(n, now);
            if (now >= deadline) return 0;
            /* wake up for a delayed frame that falls due first */
            uint64_t until = deadline < n->delayq.next_due ? deadline : n->delayq.next_due;
            wait_readable(n, until > now ? (int)(until - now) : 1);
            continue;
        }
        if (rv < 0) {
            px_error("receive failed: the socket is closed");
            return -1;
        }
        take_message(n, msg);
        if (next_frame(n, out)) return 1;
        /* a bad frame is not a message: keep waiting for a good one */
    }
}

/* ----------------------------------------------------------------- outbound */

/* Bind the dialer's source address to our own node's host, so a firewall
 * rule on (source, destination) cuts exactly the traffic between two nodes
 * even when every node shares the loopback interface. */
static void bind_local_addr(nng_dialer d, const char *host)
{
    nng_sockaddr sa;
    memset(&sa, 0, sizeof sa);
    sa.s_in.sa_family = NNG_AF_INET;
    sa.s_in.sa_port = 0;
    if (inet_pton(AF_INET, host, &sa.s_in.sa_addr) != 1) return; /* a name: let the kernel pick */
    int rv = nng_dialer_set_addr(d, NNG_OPT_LOCADDR, &sa);
    if (rv != 0) px_warn("cannot bind outgoing connections to %s: %s", host, nng_strerror(rv));
}

/* Counts d's live connections.  Runs on nng's threads, maybe after a
 * redial replaced the socket: the old socket's pipes, removed late, must
 * not count against the new one's. */
static void pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    net_dest *d = arg;
    if ((int)nng_socket_id(nng_pipe_socket(p)) != atomic_load(&d->sock_id)) return;
    if (ev == NNG_PIPE_EV_ADD_POST) atomic_fetch_add(&d->pipes, 1);
    else if (ev == NNG_PIPE_EV_REM_POST) atomic_fetch_sub(&d->pipes, 1);
}

/* Mutual TLS on a dialer to node: our certificate, and theirs checked
 * against the CA and their host.  One config per peer, built on first use. */
static int dialer_tls(struct px_net *n, nng_dialer dl, uint32_t node)
{
    if (!n->tls_client[node]) {
        char err[512];
        if (px_tls_client(&n->cfg, n->self, node, &n->tls_client[node], err, sizeof err) != 0) {
            px_error("%s", err);
            return NNG_EINVAL;
        }
    }
    return nng_dialer_set_ptr(dl, NNG_OPT_TLS_CONFIG, n->tls_client[node]);
}

static int dest_open(struct px_net *n, net_dest *d, int role, uint32_t node)
{
    char url[600];
    const px_node_cfg *to = px_config_node(&n->cfg, node);
    const px_node_cfg *me = px_config_node(&n->cfg, n->self);
    if (!to || !me) return -1;
    if (node == n->self) {
        if (px_ipc_url(&n->cfg, node, role, "ipc", url, sizeof url) != 0) return -1;
    } else {
        if (role_port(to, role) == 0) {
            /* a gateway listens on ipc only: say so once, then drop quietly */
            px_warn("dropping %s messages to node %u: it is reachable from its own node only",
                    px_role_name(role), node);
            d->failed = 1;
            return -1;
        }
        tcp_url(&n->cfg, to, role, url, sizeof url);
    }

    int rv = nng_push0_open(&d->s);
    if (rv != 0) goto fail;
    atomic_store(&d->pipes, 0);
    atomic_store(&d->sock_id, nng_socket_id(d->s));
    d->connected_ms = px_now_ms();
    nng_pipe_notify(d->s, NNG_PIPE_EV_ADD_POST, pipe_event, d);
    nng_pipe_notify(d->s, NNG_PIPE_EV_REM_POST, pipe_event, d);
    nng_socket_set_int(d->s, NNG_OPT_SENDBUF, NET_SENDBUF);
    nng_socket_set_ms(d->s, NNG_OPT_RECONNMINT, NET_RECONN_MIN_MS);
    nng_socket_set_ms(d->s, NNG_OPT_RECONNMAXT, NET_RECONN_MAX_MS);

    nng_dialer dl;
    rv = nng_dialer_create(&dl, d->s, url);
    if (rv == 0 && node != n->self) {
        bind_local_addr(dl, me->host);
        if (n->cfg.tls) rv = dialer_tls(n, dl, node);
    }
    /* NONBLOCK: a peer that is down now is dialled again in the background */
    if (rv == 0) rv = nng_dialer_start(dl, NNG_FLAG_NONBLOCK);
    if (rv != 0) {
        nng_close(d->s);
        goto fail;
    }
    d->open = 1;
    d->role = role;
    return 0;
fail:
    px_error("cannot open a connection to %s: %s", url, nng_strerror(rv));
    d->failed = 1;
    return -1;
}

/* Queue d's held frames as one message.  A full queue (EAGAIN) drops
 * them, like any send: retransmits repair loss. */
static void send_held(struct px_net *n, net_dest *d)
{
    if (nng_sendmsg(d->s, d->held, NNG_FLAG_NONBLOCK) != 0) nng_msg_free(d->held);
    else n->out_msgs[d->role]++;
    d->held = NULL;
}

/* Append frame to d's held message, sending that first if the frame would
 * not fit.  Returns 1 if the frame is held. */
static int hold_frame(struct px_net *n, net_dest *d, const uint8_t *frame, size_t len)
{
    if (d->held && nng_msg_len(d->held) + len > NET_PACK_MAX) send_held(n, d);
    if (d->held == NULL) {
        if (nng_msg_alloc(&d->held, 0) != 0) return 0;
        d->next_held = n->held_head;
        n->held_head = d;
    }
    return nng_msg_append(d->held, frame, len) == 0;
}

static void *close_socket_thread(void *arg)
{
    nng_socket s;
    s.id = (uint32_t)(uintptr_t)arg;
    nng_close(s);
    return NULL;
}

/* Closes s on a detached thread of its own, so that the caller -- a role's
 * only loop -- never waits for it.  nng 1.5.2 can hang for ever in
 * nng_close even on a socket with no connection left: its reaper can be
 * stuck on a TLS pipe that was lost in the middle of a send, and the close
 * waits for it (seen in a real Jepsen run: a learner's loop stuck here,
 * its node acknowledging nothing to the end).  A close that hangs costs one
 * thread and one socket; the role goes on with its fresh socket. */
static void close_in_background(nng_socket s)
{
    pthread_attr_t attr;
    pthread_t t;
    int ok = pthread_attr_init(&attr) == 0;
    ok = ok && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0;
    ok = ok && pthread_create(&t, &attr, close_socket_thread,
                              (void *)(uintptr_t)nng_socket_id(s)) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) nng_close(s); /* no thread to spare: close here, as before */
}

/* nng redials a lost connection by itself, but a soak run once saw a
 * learner's ipc dialer to its restarted gateway never come back: no
 * connection, every APPLIED dropped, until the learner itself restarted.
 * So a destination we keep sending to without any connection for
 * NET_REDIAL_MS gets a fresh socket and dialer.  Against a peer that is
 * really down this costs one socket every 2 s.  (A connection that exists
 * but delivers nothing is the kernel's business: see "Stalled
 * connections" at the top.)  The old socket is closed in the background:
 * with no connection it should close at once, but nng can hang there. */
static void redial_if_stuck(struct px_net *n, net_dest *d, int role, uint32_t node)
{
    uint64_t now = px_now_ms();
    if (atomic_load(&d->pipes) > 0) {
        d->connected_ms = now;
        return;
    }
    if (now - d->connected_ms < NET_REDIAL_MS) return;
    if (d->redial_logged_ms == 0 || now - d->redial_logged_ms >= NET_REDIAL_LOG_MS) {
        px_warn("no connection to the %s of node %u for %d ms: dialling afresh",
                px_role_name(role), node, NET_REDIAL_MS);
        d->redial_logged_ms = now;
    }
    /* Frames already held (d->held) stay held and leave on the new socket. */
    close_in_background(d->s);
    d->open = 0;
    dest_open(n, d, role, node);
}

static int send_one(struct px_net *n, int role, uint32_t node, const uint8_t *frame, size_t len)
{
    if (role < 1 || role >= NET_ROLES || node < 1 || node > PX_MAX_NODES) return 0;
    net_dest *d = &n->dest[role][node];
    if (d->failed) return 0;
    if (d->open) redial_if_stuck(n, d, role, node);
    if (!d->open && dest_open(n, d, role, node) != 0) return 0;
    if (n->holding) return hold_frame(n, d, frame, len);
    /* a full queue (EAGAIN) drops the message: retransmits repair loss */
    if (nng_send(d->s, (void *)frame, len, NNG_FLAG_NONBLOCK) != 0) return 0;
    n->out_msgs[role]++;
    return 1;
}

/* ---------------------------------------------------------- send faults */

/* Faults hit frames between protocol roles only: the gateway's channel to
 * its own node is not a network (and not what the protocol must survive). */
static int faultable(const struct px_net *n, int role)
{
    return n->role != PX_ROLE_GATEWAY && role != PX_ROLE_GATEWAY;
}

/* Sends a frame that was held back, as it was, with no new fault. */
static void send_delayed(struct px_net *n, px_delayed *d)
{
    memcpy(n->delayed_frame, d->frame, d->len);
    send_one(n, d->role, d->node, n->delayed_frame, d->len);
    free(d->frame);
}

/* Reordered frames waiting for the frame just sent to (role, node). */
static void release_reordered(struct px_net *n, int role, uint32_t node)
{
    px_delayed d;
    while (px_delayq_take(&n->delayq, 0, role, node, &d)) send_delayed(n, &d);
}

/* Frames whose delay is over.  Caller holds send_mu. */
static void release_due(struct px_net *n, uint64_t now)
{
    px_delayed d;
    while (px_delayq_take(&n->delayq, now, 0, 0, &d)) send_delayed(n, &d);
}

/* One frame under the send faults: 1 if it counts as queued (a dropped
 * frame does: the network lost it, not we). */
static int send_faulty(struct px_net *n, int role, uint32_t node, size_t len)
{
    uint32_t delay_ms;
    int fate = px_fault_pick(&delay_ms);
    uint64_t due = px_now_ms() + delay_ms;
    if (fate == PX_SEND_DROP) return 1;
    if (fate == PX_SEND_DELAY || fate == PX_SEND_REORDER || fate == PX_SEND_DUP) {
        int pushed = px_delayq_push(&n->delayq, due, role, node, fate == PX_SEND_REORDER,
                                    n->frame, len) == 0;
        if (pushed && fate != PX_SEND_DUP) return 1;
        /* a duplicate's original goes now; a full queue sends as usual */
    }
    int queued = send_one(n, role, node, n->frame, len);
    release_reordered(n, role, node);
    return queued;
}

static int send_to(struct px_net *n, int role, uint32_t node, size_t len)
{
    if (px_fault_net_on && faultable(n, role)) return send_faulty(n, role, node, len);
    return send_one(n, role, node, n->frame, len);
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
    int queued = 0;
    if (node != PX_NODE_ALL) {
        queued = send_to(n, role, node, len);
    } else {
        for (uint32_t i = 0; i < n->cfg.n_nodes; i++)
            queued += send_to(n, role, n->cfg.nodes[i].id, len);
    }
    if (queued > 0 && role >= 1 && role < NET_ROLES) {
        n->out_frames[role] += (uint64_t)queued;
        n->out_cmds[role] += (uint64_t)queued * px_msg_commands(m);
    }
    return queued;
}

void px_net_sent(struct px_net *n, int role, uint64_t *msgs, uint64_t *frames, uint64_t *cmds)
{
    int ok = role >= 1 && role < NET_ROLES;
    pthread_mutex_lock(&n->send_mu);
    *msgs = ok ? n->out_msgs[role] : 0;
    *frames = ok ? n->out_frames[role] : 0;
    *cmds = ok ? n->out_cmds[role] : 0;
    pthread_mutex_unlock(&n->send_mu);
}

int px_net_send(struct px_net *n, int role, uint32_t node, const px_msg *m)
{
    pthread_mutex_lock(&n->send_mu);
    int queued = send_locked(n, role, node, m);
    pthread_mutex_unlock(&n->send_mu);
    return queued;
}

const char *px_net_sent_json(struct px_net *net, char *buf, size_t cap)
{
    size_t off = 0;
    int n = snprintf(buf, cap, "{");
    if (n > 0) off = (size_t)n;
    const char *sep = "";
    for (int r = PX_ROLE_ACCEPTOR; r <= PX_ROLE_GATEWAY && off < cap; r++) {
        uint64_t msgs, frames, cmds;
        px_net_sent(net, r, &msgs, &frames, &cmds);
        if (msgs == 0) continue;
        n = snprintf(buf + off, cap - off,
                     "%s\"%s\":{\"messages\":%llu,\"frames\":%llu,\"commands\":%llu,"
                     "\"frames_per_message\":%.2f,\"commands_per_message\":%.2f}",
                     sep, px_role_name(r), (unsigned long long)msgs, (unsigned long long)frames,
                     (unsigned long long)cmds, (double)frames / (double)msgs,
                     (double)cmds / (double)msgs);
        if (n > 0) off += (size_t)n;
        sep = ",";
    }
    return px_json_close(buf, off, cap);
}

/* ------------------------------------------------------------ liveness */

/* Gives every TCP socket of this process that lacks it the delivery
 * deadline (see "Stalled connections" at the top).  Every TCP socket of a
 * role process is nng's: our listeners (whose deadline the connections
 * they accept inherit), dialers and connections.  A descriptor closed and
 * reused meanwhile is at worst another of our TCP sockets, or not a
 * socket (the getsockopt fails). */
static void set_tcp_deadlines(struct px_net *n)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return;
    unsigned want = n->tcp_deadline_ms;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        int fd = atoi(e->d_name);
        int proto = 0;
        unsigned have = 0;
        socklen_t len = sizeof proto;
        if (fd <= 2 || fd == dirfd(dir)) continue;
        if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0 || proto != IPPROTO_TCP)
            continue;
        len = sizeof have;
        if (getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &have, &len) == 0 && have == want)
            continue;
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &want, sizeof want);
    }
    closedir(dir);
}

/* The transport's timers: delayed frames that are due, and the deadline
 * of new TCP sockets.  Cheap when nothing is due: two comparisons. */
static void net_tick(struct px_net *n, uint64_t now)
{
    int scan = now >= n->fd_scan_ms && n->role != PX_ROLE_GATEWAY;
    if (!scan && now < n->delayq.next_due) return;
    pthread_mutex_lock(&n->send_mu);
    release_due(n, now);
    pthread_mutex_unlock(&n->send_mu);
    if (scan) {
        n->fd_scan_ms = now + NET_FD_SCAN_MS;
        set_tcp_deadlines(n);
    }
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
        if (d->held) send_held(n, d);
    }
    n->held_head = NULL;
    n->holding = 0;
    pthread_mutex_unlock(&n->send_mu);
}
