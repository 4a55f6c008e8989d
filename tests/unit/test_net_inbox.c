/* test_net_inbox.c -- the transport's receive side (common/inbox.c): nng's
 * threads put what they read into a bounded inbox that the role's loop
 * drains.  Every message must come out, in order, even when the loop
 * leaves the inbox full for a while (receiving stops, then resumes); the
 * fd must signal a waiting message and stop signalling once the inbox is
 * drained; and closing with messages waiting frees them (ASan's leak check
 * in the sanitized build).
 *
 * Two roles of node 1 over ipc: the proposer sends PREPAREs numbered by
 * from_slot to the acceptor.
 *
 * Also the transport's scheduling policy (net.c, "Scheduling"): nng's
 * threads run under SCHED_BATCH with PAXOS_SCHED=batch, and only then. */
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/inbox.h"
#include "common/net.h"
#include "common/wire.h"
#include "tests/unit/check.h"

static px_config cfg;
static char dir[] = "/tmp/px-net-inbox-XXXXXX";

static int setup(void)
{
    char data[600], node1[640], text[2048], err[512], warn[256];
    if (!mkdtemp(dir)) return -1;
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(node1, sizeof node1, "%s/node1", data);
    if (mkdir(data, 0700) != 0 || mkdir(node1, 0700) != 0) return -1;
    /* ports below the integration tests' 20000 and test_net_redial's
     * 10000-13999; only ipc carries the test's messages */
    int p = 14000 + (int)(getpid() % 1000) * 4;
    snprintf(text, sizeof text,
             "data_dir = \"%s\";\ntls = false;\nnodes = (\n"
             "  { id = 1; host = \"127.0.0.1\"; gateway_port = %d; acceptor_port = %d;"
             " proposer_port = %d; learner_port = %d; }\n);\n",
             data, p, p + 1, p + 2, p + 3);
    return px_config_parse(text, "inbox.cfg", &cfg, err, sizeof err, warn, sizeof warn);
}

static void prepare(px_msg *m, uint64_t seq)
{
    memset(m, 0, sizeof *m);
    m->type = PX_MSG_PREPARE;
    m->from = 1;
    m->u.prepare.ballot = (px_ballot){1, 1};
    m->u.prepare.from_slot = seq;
}

/* Sends seq 0..n-1, each its own nng message, retrying a send the full
 * queue dropped so that none is lost and the order stays. */
struct sender {
    struct px_net *net;
    int n;
    atomic_int done;
};

static void *send_all(void *arg)
{
    struct sender *s = arg;
    static px_msg m;
    for (int i = 0; i < s->n; i++) {
        prepare(&m, (uint64_t)i);
        while (px_net_send(s->net, PX_ROLE_ACCEPTOR, 1, &m) != 1) usleep(1000);
    }
    atomic_store(&s->done, 1);
    return NULL;
}

static struct px_net *open_role(int role)
{
    char err[512];
    struct px_net *n = px_net_open(&cfg, 1, role, err, sizeof err);
    if (!n) fprintf(stderr, "px_net_open: %s\n", err);
    return n;
}

static int readable(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void all_arrive_in_order_past_a_full_inbox(void)
{
    struct px_net *acc = open_role(PX_ROLE_ACCEPTOR), *prop = open_role(PX_ROLE_PROPOSER);
    REQUIRE(acc && prop);
    static struct sender s;
    s.net = prop;
    s.n = 3 * PX_INBOX_MAX + 7;
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, send_all, &s) == 0);
    /* take nothing for a while: the inbox fills and stops receiving */
    usleep(500000);
    static px_msg m;
    int got = 0, in_order = 1;
    while (got < s.n && px_net_recv(acc, &m, 3000) == 1) {
        if (m.type != PX_MSG_PREPARE || m.u.prepare.from_slot != (uint64_t)got) in_order = 0;
        got++;
    }
    CHECK(got == s.n);
    CHECK(in_order);
    CHECK(atomic_load(&s.done));
    if (!atomic_load(&s.done)) {
        fprintf(stderr, "got %d of %d messages; the sender is still stuck\n", got, s.n);
        return; /* the sender never comes back: leave both to the exit */
    }
    pthread_join(t, NULL);
    CHECK(px_net_recv(acc, &m, 100) == 0); /* nothing more, nothing twice */
    px_net_close(prop);
    px_net_close(acc);
}

static void the_fd_signals_a_waiting_message(void)
{
    struct px_net *acc = open_role(PX_ROLE_ACCEPTOR), *prop = open_role(PX_ROLE_PROPOSER);
    REQUIRE(acc && prop);
    static px_msg m;
    int fd = px_net_recv_fd(acc);
    REQUIRE(fd >= 0);
    CHECK(px_net_recv(acc, &m, 0) == 0);
    CHECK(!readable(fd, 50)); /* empty: a loop polling it sleeps */
    prepare(&m, 42);
    REQUIRE(px_net_send(prop, PX_ROLE_ACCEPTOR, 1, &m) == 1);
    CHECK(readable(fd, 3000)); /* one waits: the loop wakes */
    memset(&m, 0, sizeof m);
    CHECK(px_net_recv(acc, &m, 0) == 1 && m.u.prepare.from_slot == 42);
    CHECK(px_net_recv(acc, &m, 0) == 0);
    CHECK(!readable(fd, 50)); /* drained: it stops signalling */
    px_net_close(prop);
    px_net_close(acc);
}

static void closing_frees_what_waits(void)
{
    struct px_net *acc = open_role(PX_ROLE_ACCEPTOR), *prop = open_role(PX_ROLE_PROPOSER);
    REQUIRE(acc && prop);
    static px_msg m;
    for (int i = 0; i < 10; i++) {
        prepare(&m, (uint64_t)i);
        CHECK(px_net_send(prop, PX_ROLE_ACCEPTOR, 1, &m) == 1);
    }
    CHECK(readable(px_net_recv_fd(acc), 3000));
    usleep(100000); /* let the rest arrive, untaken */
    px_net_close(prop);
    px_net_close(acc); /* the sanitized build's leak check sees any left */
}

/* Threads of this process whose name starts with "nng:", and how many of
 * them run under policy. */
static void nng_threads(int policy, int *all, int *with)
{
    *all = *with = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d) return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') continue;
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (!fgets(comm, sizeof comm, f)) comm[0] = 0;
        fclose(f);
        if (strncmp(comm, "nng:", 4) != 0) continue;
        (*all)++;
        if (sched_getscheduler(atoi(e->d_name)) == policy) (*with)++;
    }
    closedir(d);
}

static void nng_threads_run_under_sched_batch(void)
{
    /* the tests above opened the first sockets: nng's threads exist */
    int all, batch;
    nng_threads(SCHED_BATCH, &all, &batch);
    CHECK(all >= 2);
    CHECK(batch == all);
    CHECK(sched_getscheduler(0) == SCHED_BATCH);
}

static void sched_batch_is_opt_in(void)
{
    struct sched_param sp = {0};
    REQUIRE(sched_setscheduler(0, SCHED_OTHER, &sp) == 0);
    unsetenv("PAXOS_SCHED"); /* the default keeps the default policy */
    struct px_net *acc = open_role(PX_ROLE_ACCEPTOR);
    REQUIRE(acc);
    CHECK(sched_getscheduler(0) == SCHED_OTHER);
    px_net_close(acc);
    setenv("PAXOS_SCHED", "normal", 1);
    acc = open_role(PX_ROLE_ACCEPTOR);
    REQUIRE(acc);
    CHECK(sched_getscheduler(0) == SCHED_OTHER);
    px_net_close(acc);
    setenv("PAXOS_SCHED", "batch", 1); /* asked for: batch */
    acc = open_role(PX_ROLE_ACCEPTOR);
    unsetenv("PAXOS_SCHED");
    REQUIRE(acc);
    CHECK(sched_getscheduler(0) == SCHED_BATCH);
    px_net_close(acc);
}

int main(void)
{
    setenv("PAXOS_SCHED", "batch", 1); /* nng's threads start with the first socket */
    if (setup() != 0) {
        fprintf(stderr, "cannot set up %s\n", dir);
        return 1;
    }
    RUN(all_arrive_in_order_past_a_full_inbox);
    RUN(the_fd_signals_a_waiting_message);
    RUN(closing_frees_what_waits);
    RUN(nng_threads_run_under_sched_batch);
    RUN(sched_batch_is_opt_in);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_summary();
}
