/* netdelay.c -- paxos-netdelay: one-way network latency for test hosts on
 * a kernel without the netem qdisc.  Run inside a host's network namespace,
 * it takes the packets an iptables NFQUEUE rule hands it and accepts each
 * one exactly MS milliseconds after it arrived, in the order they came.
 *
 *   paxos-netdelay --delay-ms MS [--queue Q] [--limit N]
 *     MS   0..60000, the delay of every packet
 *     Q    the NFQUEUE queue number (default 0; queues are per namespace)
 *     N    at most N packets held (default 10000); the kernel's queue is
 *          capped at N too, and it drops what comes beyond: a tail drop,
 *          like netem's limit.  Accepting them at once instead would let
 *          them overtake the held ones; dropping keeps the promise that
 *          every packet that gets through took MS ms, in order.
 *
 * The rule goes in after the tool has bound the queue, with
 * --queue-bypass, so that packets flow undelayed whenever no delayer
 * listens (scripts/netns-hosts.sh, nh_delay).  SIGTERM/SIGINT/SIGHUP: every
 * held packet is accepted at once, then whatever is still queued for us,
 * and it exits 0; if it dies instead, the kernel drops what it held (TCP
 * resends it).  Exit status: 0 after a signal, 1 on an error, 2 usage.
 *
 * The kernel only gives the packet's content on request: we ask for none
 * (NFQNL_COPY_META), a verdict needs only the packet id. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>

#include "fifo.h"

#define ND_MAX_DELAY_MS 60000
#define ND_MAX_LIMIT 1000000
#define ND_READS_PER_TURN 64 /* so that a flood cannot hold back due releases */

typedef struct opts {
    unsigned delay_ms, queue, limit;
} opts;

typedef struct delayer {
    struct nfq_handle *h;
    struct nfq_q_handle *qh;
    nd_fifo held;
    uint64_t delay_ns;
    int stopping; /* after a signal: accept at once */
    uint64_t delayed, released_early, dropped, lost_enobufs, verdict_errors;
} delayer;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(void)
{
    fprintf(stderr, "usage: paxos-netdelay --delay-ms MS [--queue Q] [--limit N]\n"
                    "  accepts every packet of NFQUEUE queue Q (default 0) MS ms after it\n"
                    "  arrived (0..%d), holding at most N (default 10000, 1..%d)\n",
            ND_MAX_DELAY_MS, ND_MAX_LIMIT);
    exit(2);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A decimal in [min, max] into *out; -1 if it is anything else. */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max) return -1;
    *out = (unsigned)v;
    return 0;
}

static opts parse_opts(int argc, char **argv)
{
    opts o = { .delay_ms = 0, .queue = 0, .limit = 10000 };
    int have_delay = 0;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = !v;
        if (!bad && strcmp(argv[i], "--delay-ms") == 0) {
            bad = parse_uint(v, 0, ND_MAX_DELAY_MS, &o.delay_ms);
            have_delay = 1;
        } else if (!bad && strcmp(argv[i], "--queue") == 0) {
            bad = parse_uint(v, 0, 65535, &o.queue);
        } else if (!bad && strcmp(argv[i], "--limit") == 0) {
            bad = parse_uint(v, 1, ND_MAX_LIMIT, &o.limit);
        } else {
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "paxos-netdelay: bad argument '%s%s%s'\n", argv[i], v ? " " : "", v ? v : "");
            usage();
        }
    }
    if (!have_delay) usage();
    return o;
}

static void verdict(delayer *d, uint32_t id, int accept)
{
    if (nfq_set_verdict(d->qh, id, accept ? NF_ACCEPT : NF_DROP, 0, NULL) < 0 && d->verdict_errors++ == 0)
        fprintf(stderr, "paxos-netdelay: verdict for packet %u failed: %s\n", id, strerror(errno));
}

/* A packet arrived: held until arrival + MS, or dropped when the ring is
 * full (only if the kernel's own cap failed to stop it first). */
static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *arg)
{
    delayer *d = arg;
    (void)qh;
    (void)msg;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (!ph) return 0;
    uint32_t id = ntohl(ph->packet_id);
    if (d->stopping) {
        d->released_early++;
        verdict(d, id, 1);
    } else if (nd_fifo_push(&d->held, id, now_ns() + d->delay_ns) == 0) {
        d->delayed++;
    } else {
        d->dropped++;
        verdict(d, id, 0);
    }
    return 0;
}

/* Accepts every held packet that is due (all of them when force). */
static void release(delayer *d, int force)
{
    nd_held p;
    uint64_t now = now_ns();
    while (nd_fifo_take(&d->held, now, force, &p)) {
        if (force && p.due_ns > now) d->released_early++;
        verdict(d, p.id, 1);
    }
}

/* Reads up to max queued packets without blocking.  0, or -1 on an error
 * of the socket.  ENOBUFS: the kernel could not hand us some packets (our
 * receive buffer was full) and dropped them; the socket goes on. */
static int read_packets(delayer *d, size_t max)
{
    static char buf[65536] __attribute__((aligned));
    int fd = nfq_fd(d->h);
    for (size_t i = 0; i < max; i++) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            nfq_handle_packet(d->h, buf, (int)n);
        } else if (n < 0 && errno == ENOBUFS) {
            if (d->lost_enobufs++ == 0) fprintf(stderr, "paxos-netdelay: receive buffer overrun: packets dropped\n");
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return 0;
        } else {
            fprintf(stderr, "paxos-netdelay: reading the queue: %s\n", n < 0 ? strerror(errno) : "closed");
            return -1;
        }
    }
    return 0;
}

/* Sleeps until a packet arrives, the oldest held one is due, or a signal
 * comes (signals are blocked everywhere else, so none is missed between a
 * check of stop_signal and the sleep).  0, or -1 on an error. */
static int wait_for_work(delayer *d, const sigset_t *unblocked)
{
    struct pollfd pfd = { .fd = nfq_fd(d->h), .events = POLLIN };
    uint64_t due = nd_fifo_next_due(&d->held), now = now_ns();
    struct timespec ts, *timeout = NULL;
    if (due != UINT64_MAX) {
        uint64_t wait = due > now ? due - now : 0;
        ts = (struct timespec){ .tv_sec = (time_t)(wait / 1000000000u), .tv_nsec = (long)(wait % 1000000000u) };
        timeout = &ts;
    }
    if (ppoll(&pfd, 1, timeout, unblocked) < 0 && errno != EINTR) {
        fprintf(stderr, "paxos-netdelay: ppoll: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* The receive buffer holds a burst of MS ms of packet notices (about 150
 * bytes each without content): room for the whole limit, within bounds. */
static void size_receive_buffer(delayer *d, unsigned limit)
{
    unsigned size = limit * 256u;
    if (size < (1u << 20)) size = 1u << 20;
    if (size > (64u << 20)) size = 64u << 20;
    nfnl_rcvbufsiz(nfq_nfnlh(d->h), size);
}

static int open_queue(delayer *d, const opts *o)
{
    d->h = nfq_open();
    if (!d->h) {
        fprintf(stderr, "paxos-netdelay: cannot open nfnetlink (root? nfnetlink_queue module?): %s\n",
                strerror(errno));
        return -1;
    }
    d->qh = nfq_create_queue(d->h, (uint16_t)o->queue, on_packet, d);
    if (!d->qh) {
        fprintf(stderr, "paxos-netdelay: cannot bind queue %u (another listener?): %s\n", o->queue,
                strerror(errno));
        return -1;
    }
    if (nfq_set_mode(d->qh, NFQNL_COPY_META, 0) < 0 || nfq_set_queue_maxlen(d->qh, o->limit) < 0) {
        fprintf(stderr, "paxos-netdelay: cannot configure queue %u: %s\n", o->queue, strerror(errno));
        return -1;
    }
    size_receive_buffer(d, o->limit);
    return 0;
}

/* Signals are taken only inside ppoll; *unblocked is the mask for it. */
static void setup_signals(sigset_t *unblocked)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, unblocked);
    sigdelset(unblocked, SIGTERM);
    sigdelset(unblocked, SIGINT);
    sigdelset(unblocked, SIGHUP);
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* After a signal: the held packets first (they are the oldest), then those
 * the kernel still queued for us, each accepted at once; then the queue is
 * unbound.  Whatever arrives between the last read and the unbind is
 * dropped by the kernel, so callers delete the NFQUEUE rule first. */
static void shut_down(delayer *d)
{
    d->stopping = 1;
    release(d, 1);
    read_packets(d, SIZE_MAX);
    nfq_destroy_queue(d->qh);
    nfq_close(d->h);
}

int main(int argc, char **argv)
{
    opts o = parse_opts(argc, argv);
    /* Started in the background by test scripts: their lock files (port
     * and subnet slots) must not stay held by us. */
    close_range(3, ~0u, 0);
    delayer d = { .delay_ns = (uint64_t)o.delay_ms * 1000000u };
    if (nd_fifo_init(&d.held, o.limit) < 0) {
        fprintf(stderr, "paxos-netdelay: out of memory for %u packets\n", o.limit);
        return 1;
    }
    sigset_t unblocked;
    setup_signals(&unblocked);
    if (open_queue(&d, &o) < 0) return 1;
    fprintf(stderr, "paxos-netdelay: queue %u, %u ms, at most %u held: ready\n", o.queue, o.delay_ms, o.limit);
    int rc = 0;
    while (!stop_signal && rc == 0) {
        release(&d, 0);
        rc = wait_for_work(&d, &unblocked);
        if (rc == 0) rc = read_packets(&d, ND_READS_PER_TURN);
    }
    shut_down(&d);
    fprintf(stderr,
            "paxos-netdelay: queue %u: %llu packets delayed, %llu released early at exit, %llu dropped (full), "
            "%llu lost (buffer overrun), %llu verdict errors\n",
            o.queue, (unsigned long long)d.delayed, (unsigned long long)d.released_early,
            (unsigned long long)d.dropped, (unsigned long long)d.lost_enobufs,
            (unsigned long long)d.verdict_errors);
    nd_fifo_free(&d.held);
    return rc == 0 ? 0 : 1;
}
