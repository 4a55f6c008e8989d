/* main.c -- the learner process: sockets and a clock around the pure
 * learner core, which applies chosen slots in order and reports each one to
 * this node's gateway. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../node/proc.h"
#include "learner.h"

#define DRAIN_MAX 256
#define WAIT_CAP_MS 10
/* Clients remembered for deduplication.  Every learner must use the same
 * number (eviction must be identical everywhere), so it is a constant. */
#define DEDUP_MAX 65536

typedef struct learn_proc {
    px_proc p;
    struct learner *core;
    px_outbox out;
    px_msg *msg;
    uint64_t logged_applied; /* last applied_upto we logged progress for */
} learn_proc;

static void make_config(const px_proc *p, learner_config *lc)
{
    memset(lc, 0, sizeof *lc);
    lc->id = p->self;
    lc->n_nodes = p->cfg.n_nodes;
    for (uint32_t i = 0; i < p->cfg.n_nodes; i++) lc->node_ids[i] = p->cfg.nodes[i].id;
    /* ask for missed slots at the proposers' retransmit pace; report our
     * progress (the compaction seam) a few times per heartbeat window */
    lc->catchup_ms = p->cfg.retransmit_ms;
    lc->status_ms = p->cfg.heartbeat_ms * 2;
    lc->dedup_max = DEDUP_MAX;
}

static void status_json(void *arg, char *json, size_t cap)
{
    learn_proc *lp = arg;
    size_t len;
    learner_list(lp->core, &len);
    snprintf(json, cap,
             "{\"role\":\"learner\",\"node\":%u,\"applied_upto\":%llu,\"known_chosen\":%llu,"
             "\"list_length\":%zu,\"dedup_size\":%zu,\"pending\":%zu,\"rejected_frames\":%llu}",
             lp->p.self, (unsigned long long)learner_applied_upto(lp->core),
             (unsigned long long)learner_known_chosen(lp->core), len,
             learner_dedup_size(lp->core), learner_pending(lp->core),
             (unsigned long long)px_proc_rejected(&lp->p));
}

/* A learner far behind is worth one line when it catches up. */
static void log_progress(learn_proc *lp)
{
    uint64_t applied = learner_applied_upto(lp->core);
    uint64_t known = learner_known_chosen(lp->core);
    if (applied - lp->logged_applied >= 1000 && applied >= known) {
        px_info("caught up: applied up to slot %llu", (unsigned long long)applied);
        lp->logged_applied = applied;
    }
}

static int step(learn_proc *lp)
{
    uint64_t now = px_now_ms();
    int wait = px_proc_timeout(learner_next_deadline(lp->core), now, WAIT_CAP_MS);
    int r = px_net_recv(lp->p.net, lp->msg, wait);
    /* hold what this burst sends: one message per destination at the end */
    px_proc_hold(&lp->p);
    for (int n = 0; r == 1; n++) {
        learner_handle(lp->core, lp->msg, px_now_ms(), &lp->out);
        /* send at once: envelopes are large, a short outbox stays in cache */
        px_proc_flush(&lp->p, &lp->out);
        if (n + 1 >= DRAIN_MAX) break;
        r = px_net_recv(lp->p.net, lp->msg, 0);
    }
    if (r < 0) {
        px_proc_release(&lp->p);
        return -1;
    }
    learner_tick(lp->core, px_now_ms(), &lp->out);
    px_proc_flush(&lp->p, &lp->out);
    px_proc_release(&lp->p);
    log_progress(lp);
    while (px_ctl_poll(lp->p.ctl, status_json, lp)) {}
    return 0;
}

int main(int argc, char **argv)
{
    static learn_proc lp;
    px_proc_start(&lp.p, argc, argv, PX_ROLE_LEARNER);
    learner_config lc;
    make_config(&lp.p, &lc);
    lp.core = learner_new(&lc, px_now_ms());
    lp.msg = malloc(sizeof *lp.msg);
    if (!lp.core || !lp.msg) {
        px_error("out of memory");
        return 1;
    }
    px_outbox_init(&lp.out);
    px_info("ready");

    while (!px_proc_stopping)
        if (step(&lp) != 0) return 1;

    px_info("stopping on signal");
    px_proc_finish(&lp.p);
    px_outbox_free(&lp.out);
    learner_free(lp.core);
    free(lp.msg);
    return 0;
}
