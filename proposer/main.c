/* main.c -- the proposer process: sockets and a clock around the pure
 * proposer core.  The core decides everything; this loop only waits until
 * the core's next deadline (or a message), feeds it, and sends its outbox
 * -- after making the core's highest round durable (proposer.state), so a
 * restart never reuses a ballot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/faults.h"
#include "../common/histo.h"
#include "../common/log.h"
#include "../common/ready.h"
#include "../common/proc.h"
#include "proposer.h"
#include "round_file.h"

#define DRAIN_MAX 256
#define WAIT_CAP_MS 10
/* With slots already in flight, a burst that looks finished is given this
 * long to grow before it is handled: nng costs several thread hand-offs per
 * message whatever its size, so what arrives meanwhile (REQUESTs, ACCEPTEDs)
 * then costs one ACCEPT and one CHOSEN message per peer instead of one per
 * slot.  Only a leader that had slots in flight before this burst waits:
 * one that just opened its only slot must send it at once (a lone client
 * would pay the wait on every append).  PAXOS_LINGER_US overrides it (0:
 * never), for experiments. */
#define LINGER_US 300

static int linger_us = LINGER_US;

typedef struct prop_proc {
    px_proc p;
    struct proposer *core;
    px_outbox out;
    px_msg *msg;
    uint32_t last_leader; /* to log leadership changes once */
    int last_state;
    int last_exhausted;    /* to log running out of rounds once */
    uint64_t stored_round; /* the round proposer.state holds */
} prop_proc;

/* Election jitter must differ between nodes and between restarts of the
 * same node, or two proposers restarted together would keep colliding. */
static uint64_t make_seed(uint32_t self)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t s = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
    s ^= (uint64_t)getpid() << 32;
    s ^= (uint64_t)self * 0x9E3779B97F4A7C15ull;
    return s ? s : 1;
}

static void make_config(const px_proc *p, proposer_config *pc)
{
    memset(pc, 0, sizeof *pc);
    pc->id = p->self;
    pc->n_nodes = p->cfg.n_nodes;
    for (uint32_t i = 0; i < p->cfg.n_nodes; i++) pc->node_ids[i] = p->cfg.nodes[i].id;
    pc->batch_max = p->cfg.batch_max;
    pc->pipeline = p->cfg.pipeline;
    pc->queue_max = p->cfg.queue_max;
    pc->heartbeat_ms = p->cfg.heartbeat_ms;
    pc->election_min_ms = p->cfg.election_min_ms;
    pc->election_max_ms = p->cfg.election_max_ms;
    pc->retransmit_ms = p->cfg.retransmit_ms;
    pc->seed = make_seed(p->self);
}

static const char *state_name(int s)
{
    switch (s) {
    case PROPOSER_LEADER: return "leader";
    case PROPOSER_CANDIDATE: return "candidate";
    default: return "follower";
    }
}

/* Commands per chosen slot, as a histogram: the core counts slots by
 * their exact number of commands, the metrics want buckets. */
static const double per_slot_le[] = {0, 1, 2, 4, 8, 16, 32};

static const char *per_slot_json(const struct proposer *c, char *buf, size_t cap)
{
    px_histo h;
    px_histo_init(&h, per_slot_le, sizeof per_slot_le / sizeof per_slot_le[0]);
    for (uint32_t k = 0; k <= PX_MAX_BATCH; k++)
        px_histo_observe_n(&h, k, proposer_slots_with_commands(c, k));
    return px_histo_json(&h, buf, cap);
}

static void status_json(void *arg, char *json, size_t cap)
{
    char rej[1024], per_slot[512], sent[1024];
    prop_proc *pp = arg;
    struct proposer *c = pp->core;
    px_ballot b = proposer_ballot(c);
    snprintf(json, cap,
             "{\"role\":\"proposer\",\"node\":%u,\"state\":\"%s\","
             "\"ballot\":{\"round\":%llu,\"node\":%u},\"leader\":%u,\"chosen_upto\":%llu,"
             "\"next_slot\":%llu,\"in_flight\":%u,\"queued\":%u,\"batch_max\":%u,"
             "\"pipeline\":%u,\"slots_chosen\":%llu,\"commands_chosen\":%llu,"
             "\"trim_mark\":%llu,\"round_exhausted\":%s,\"elections\":%llu,"
             "\"commands_per_slot\":%s,\"sent\":%s,\"rejected_frames\":%s}",
             pp->p.self, state_name(proposer_state(c)), (unsigned long long)b.round, b.node,
             proposer_leader(c), (unsigned long long)proposer_chosen_upto(c),
             (unsigned long long)proposer_next_slot(c), proposer_in_flight(c),
             proposer_queued(c), pp->p.cfg.batch_max, pp->p.cfg.pipeline,
             (unsigned long long)proposer_slots_chosen(c),
             (unsigned long long)proposer_commands_chosen(c),
             (unsigned long long)proposer_trim_mark(c),
             proposer_round_exhausted(c) ? "true" : "false",
             (unsigned long long)proposer_elections(c), per_slot_json(c, per_slot, sizeof per_slot),
             px_net_sent_json(pp->p.net, sent, sizeof sent),
             px_proc_rejected_json(&pp->p, rej, sizeof rej));
}

/* Operators want to see elections in the log, not every heartbeat. */
static void log_changes(prop_proc *pp)
{
    int ex = proposer_round_exhausted(pp->core);
    if (ex && !pp->last_exhausted)
        px_error("the highest ballot seen is at the round ceiling (2^60): this proposer "
                 "cannot run another election and stays a follower (a buggy or hostile "
                 "peer sent that ballot; see docs/PROTOCOL.md, Bounds and refusals)");
    pp->last_exhausted = ex;
    int st = proposer_state(pp->core);
    uint32_t leader = proposer_leader(pp->core);
    if (st == pp->last_state && leader == pp->last_leader) return;
    px_ballot b = proposer_ballot(pp->core);
    if (st == PROPOSER_LEADER && pp->last_state != PROPOSER_LEADER)
        px_info("became leader with ballot (%llu,%u) at slot %llu", (unsigned long long)b.round,
                b.node, (unsigned long long)proposer_next_slot(pp->core));
    else if (st == PROPOSER_CANDIDATE && pp->last_state != PROPOSER_CANDIDATE)
        px_info("election: running phase 1 with ballot (%llu,%u)", (unsigned long long)b.round,
                b.node);
    else if (st == PROPOSER_FOLLOWER && leader != 0)
        px_info("following leader %u", leader);
    else if (st == PROPOSER_FOLLOWER)
        px_info("no leader known");
    pp->last_state = st;
    pp->last_leader = leader;
}

/* The core's contract (proposer.h): its highest round is durable before
 * anything of the call that raised it is sent.  Costs one file replace
 * per election.  A failed write or fsync leaves no safe way on: exit, and
 * the supervisor restarts us with the round last stored. */
static void persist_round(prop_proc *pp)
{
    uint64_t r = proposer_round_to_persist(pp->core);
    if (r <= pp->stored_round) return;
    char err[768];
    if (prop_round_store(pp->p.dir, r, pp->p.cfg.fsync, err, sizeof err) != 0) {
        px_error("%s", err);
        exit(1);
    }
    pp->stored_round = r;
}

static void flush(prop_proc *pp)
{
    persist_round(pp);
    px_proc_flush(&pp->p, &pp->out);
}

/* The failpoint right after phase 1 is won (faults.h): the new leader has
 * sent nothing as leader yet, its first ACCEPTs are still in the outbox. */
static void failpoint_won(prop_proc *pp, int was_leader)
{
    if (px_failpoints_armed && !was_leader && proposer_state(pp->core) == PROPOSER_LEADER)
        px_failpoint_hit(PX_FP_PROPOSER_WON_PHASE1);
}

static int step(prop_proc *pp)
{
    uint64_t now = px_now_ms();
    int wait = px_proc_timeout(proposer_next_deadline(pp->core), now, WAIT_CAP_MS);
    int r = px_net_recv(pp->p.net, pp->msg, wait);
    /* hold what this burst sends: one message per destination at the end */
    px_proc_hold(&pp->p);
    int lingered = linger_us <= 0 || proposer_in_flight(pp->core) == 0;
    for (int n = 0; r == 1; n++) {
        int was_leader = proposer_state(pp->core) == PROPOSER_LEADER;
        px_proc_refused(&pp->p, proposer_handle(pp->core, pp->msg, px_now_ms(), &pp->out));
        failpoint_won(pp, was_leader);
        /* send at once: envelopes are large, a short outbox stays in cache */
        flush(pp);
        if (n + 1 >= DRAIN_MAX) break;
        r = px_net_recv(pp->p.net, pp->msg, 0);
        if (r == 0 && !lingered && proposer_in_flight(pp->core) > 0) {
            lingered = 1;
            if (px_net_wait_us(pp->p.net, linger_us)) r = px_net_recv(pp->p.net, pp->msg, 0);
        }
    }
    if (r < 0) {
        px_proc_release(&pp->p);
        return -1;
    }
    int was_leader = proposer_state(pp->core) == PROPOSER_LEADER;
    proposer_tick(pp->core, px_now_ms(), &pp->out);
    failpoint_won(pp, was_leader); /* a one-node cluster wins in a tick */
    flush(pp);
    px_proc_release(&pp->p);
    log_changes(pp);
    while (px_ctl_poll(pp->p.ctl, status_json, pp)) {}
    return 0;
}

/* A proposer.state.tmp left by a crash between writing and renaming it
 * is a round never stored (nothing carrying it was sent): say so and drop
 * it.  proposer.state itself still holds the last stored round. */
static void drop_leftover_tmp(const char *dir)
{
    char tmp[640];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, PROP_ROUND_FILE);
    if (unlink(tmp) == 0) px_info("removed leftover %s (a round that was never stored)", tmp);
}

int main(int argc, char **argv)
{
    static prop_proc pp;
    px_proc_start(&pp.p, argc, argv, PX_ROLE_PROPOSER);
    proposer_config pc;
    make_config(&pp.p, &pc);
    char err[768];
    drop_leftover_tmp(pp.p.dir);
    if (prop_round_load(pp.p.dir, &pc.initial_round, err, sizeof err) != 0) {
        px_error("%s", err);
        return 1;
    }
    pp.stored_round = pc.initial_round;
    px_info("proposer.state: round %llu", (unsigned long long)pc.initial_round);
    pp.core = proposer_new(&pc, px_now_ms());
    pp.msg = malloc(sizeof *pp.msg);
    if (!pp.core || !pp.msg) {
        px_error("out of memory");
        return 1;
    }
    px_outbox_init(&pp.out);
    const char *lg = getenv("PAXOS_LINGER_US");
    if (lg) linger_us = atoi(lg);
    pp.last_state = PROPOSER_FOLLOWER; /* log from the first change on */
    px_info("ready (%u nodes, batch %u, pipeline %u)", pc.n_nodes, pc.batch_max, pc.pipeline);
    px_ready();

    while (!px_proc_stopping)
        if (step(&pp) != 0) return 1;

    px_info("stopping on signal");
    px_proc_finish(&pp.p);
    px_outbox_free(&pp.out);
    proposer_free(pp.core);
    free(pp.msg);
    return 0;
}
