/* test_net_redial.c -- a destination left without a connection is dialled
 * afresh (net.c, redial_if_stuck), and closing its old socket must never
 * hold up the sender: nng 1.5.2 can hang for ever in nng_close (a real
 * Jepsen run saw a learner's only loop stuck there for good).
 *
 * This file's nng_close stands in for nng's (net.c's calls resolve to it):
 * once `hang_closes` is set it never returns, as nng's did.  A sender that
 * keeps sending to a node nobody listens for must then still get every
 * px_net_send back at once, past the redial. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>

#include "common/config.h"
#include "common/net.h"
#include "common/wire.h"
#include "tests/unit/check.h"

static atomic_int hang_closes;
static atomic_int closes_seen;

int nng_close(nng_socket s)
{
    static int (*real_close)(nng_socket);
    if (!real_close) *(void **)&real_close = dlsym(RTLD_NEXT, "nng_close");
    if (atomic_load(&hang_closes)) {
        atomic_fetch_add(&closes_seen, 1);
        for (;;) pause(); /* as nng 1.5.2 can: never returns */
    }
    return real_close(s);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The sender: sends to node 2's acceptor (nobody listens) every 20 ms for
 * run_ms, noting the slowest px_net_send. */
struct sender {
    struct px_net *net;
    int run_ms;
    atomic_int done;
    atomic_ullong slowest_ms;
};

static void *send_loop(void *arg)
{
    struct sender *s = arg;
    static px_msg m;
    m.type = PX_MSG_HEARTBEAT;
    m.from = 1;
    m.u.heartbeat.ballot = (px_ballot){1, 1};
    m.u.heartbeat.leader = 1;
    uint64_t end = now_ms() + (uint64_t)s->run_ms;
    while (now_ms() < end) {
        uint64_t t0 = now_ms();
        px_net_send(s->net, PX_ROLE_ACCEPTOR, 2, &m);
        uint64_t took = now_ms() - t0;
        if (took > atomic_load(&s->slowest_ms)) atomic_store(&s->slowest_ms, took);
        usleep(20000);
    }
    atomic_store(&s->done, 1);
    return NULL;
}

static void redial_does_not_wait_for_the_close(void)
{
    char dir[] = "/tmp/px-net-redial-XXXXXX", data[600], node1[640], text[2048];
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(node1, sizeof node1, "%s/node1", data);
    REQUIRE(mkdir(data, 0700) == 0 && mkdir(node1, 0700) == 0);
    /* ports nobody should use (below the integration tests' 20000-29999
     * and the ephemeral range); node 2 is never started */
    int p = 10000 + (int)(getpid() % 1000) * 4;
    snprintf(text, sizeof text,
             "data_dir = \"%s\";\ntls = false;\nnodes = (\n"
             "  { id = 1; host = \"127.0.0.1\"; gateway_port = %d; acceptor_port = %d;"
             " proposer_port = %d; learner_port = %d; },\n"
             "  { id = 2; host = \"127.0.0.1\"; gateway_port = %d; acceptor_port = %d;"
             " proposer_port = %d; learner_port = %d; }\n);\n",
             data, p, p + 1, p + 2, p + 3, p + 4000, p + 4001, p + 4002, p + 4003);
    static px_config cfg;
    char err[512], warn[256];
    REQUIRE(px_config_parse(text, "redial.cfg", &cfg, err, sizeof err, warn, sizeof warn) == 0);
    struct px_net *net = px_net_open(&cfg, 1, PX_ROLE_PROPOSER, err, sizeof err);
    if (!net) fprintf(stderr, "px_net_open: %s\n", err);
    REQUIRE(net != NULL);

    atomic_store(&hang_closes, 1);
    /* past the 2 s redial, and a second one */
    static struct sender s;
    s.net = net;
    s.run_ms = 4500;
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, send_loop, &s) == 0);
    uint64_t give_up = now_ms() + 8000;
    while (!atomic_load(&s.done) && now_ms() < give_up) usleep(50000);

    CHECK(atomic_load(&closes_seen) >= 1); /* the redial did close the old socket */
    CHECK(atomic_load(&s.done));           /* and the sender was not held up by it */
    CHECK(atomic_load(&s.slowest_ms) < 1000);
    if (!atomic_load(&s.done)) {
        fprintf(stderr, "the sender is stuck in px_net_send (a close that never returns)\n");
        return; /* leave it: it never comes back */
    }
    pthread_join(t, NULL);
    /* the closes hang for good: leave net and its sockets to the exit */
}

int main(void)
{
    RUN(redial_does_not_wait_for_the_close);
    return check_summary();
}
