/* run.c -- one simulated run: build the world from the seed, step events
 * one at a time until the workload is done (or a violation, or the step
 * limit), report, and free everything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define SIM_RUNAWAY_STEPS 50000000ull

uint64_t sim_rand(sim_world *w, uint64_t lo, uint64_t hi)
{
    return px_rng_range(&w->rng, lo, hi);
}

int sim_chance(sim_world *w, uint32_t per_mille)
{
    return per_mille > 0 && px_rng_range(&w->rng, 0, 999) < per_mille;
}

static int node_bound(int kind)
{
    return kind == EV_MSG || kind == EV_TIMER || kind == EV_SYNC || kind == EV_SNAP_WRITE ||
           kind == EV_HTTP_REQ;
}

static void step(sim_world *w, sim_event *e)
{
    switch (e->kind) {
    case EV_MSG: net_deliver(w, e); break;
    case EV_TIMER: node_on_timer(w, e); break;
    case EV_SYNC: trace_add(w, e, NULL); disk_on_sync(w, e); break;
    case EV_SNAP_WRITE: snap_on_write(w, e); break;
    case EV_SETTLE: trace_add(w, e, NULL); inv_converged(w, 1); break;
    case EV_HTTP_REQ: gwhost_on_request(w, e); break;
    case EV_HTTP_ANS: trace_add(w, e, NULL); httpc_on_answer(w, e); break;
    case EV_FAULT: case EV_RESTART: case EV_HEAL: case EV_CALM:
        faults_on_event(w, e);
        break;
    default:
        if (e->kind != EV_CLIENT_NEXT && e->kind != EV_LIVENESS) trace_add(w, e, NULL);
        client_on_event(w, e);
        break;
    }
}

/* The workload is done when every client is idle; the run ends once every
 * learner has also reached the end of the chosen log, which must happen
 * within liveness_ms (EV_SETTLE judges it). */
static int settled(sim_world *w)
{
    if (inv_converged(w, 0)) return 1;
    if (!w->settling) {
        w->settling = 1;
        sim_event e = {0};
        e.time = w->now + w->opt.liveness_ms;
        e.kind = EV_SETTLE;
        ev_push(w, &e);
    }
    return 0;
}

/* A paused node processes nothing: its events wait for the pause to end. */
static void loop(sim_world *w)
{
    sim_event e;
    while (!w->failed && ev_pop(w, &e)) {
        w->now = e.time;
        uint64_t until = node_bound(e.kind) ? w->nodes[e.node].paused_until : 0;
        if (until > w->now) {
            e.time = until;
            ev_push(w, &e);
            continue;
        }
        w->steps++;
        step(w, &e);
        free(e.buf);
        if (w->now >= w->stop_at && clients_idle(w) && !w->failed && settled(w)) break;
        if (w->opt.max_steps && w->steps >= w->opt.max_steps) break;
        if (w->steps >= SIM_RUNAWAY_STEPS) sim_fail(w, "runaway", "%llu steps", SIM_RUNAWAY_STEPS);
    }
}

static sim_world *world_new(uint64_t seed, const sim_opts *opt)
{
    sim_world *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->opt = *opt;
    w->seed = seed;
    w->n = opt->nodes;
    px_rng_seed(&w->rng, seed);
    acc_out_init(&w->aout);
    px_outbox_init(&w->pout);
    w->frame = malloc(PX_MAX_FRAME);
    w->msg = malloc(sizeof *w->msg);
    w->msg2 = malloc(sizeof *w->msg2);
    if (!w->frame || !w->msg || !w->msg2) abort();
    faults_params(w);
    gw_core_out_init(&w->gwout);
    w->next_value = (int64_t)1 << 62; /* above every direct client's value */
    w->stop_at = opt->time_ms;
    w->calm_at = opt->time_ms * sim_rand(w, 600, 700) / 1000;
    return w;
}

static void world_free(sim_world *w)
{
    nodes_free(w);
    clients_free(w);
    truth_free(w);
    reg_free(w);
    gw_core_out_free(&w->gwout);
    ev_free_all(w);
    acc_out_free(&w->aout);
    px_outbox_free(&w->pout);
    free(w->frame);
    free(w->msg);
    free(w->msg2);
    free(w);
}

static void report(const sim_world *w)
{
    printf("seed %llu: VIOLATION %s: %s\n", (unsigned long long)w->seed, w->inv, w->detail);
    printf("  at %llu ms, step %llu (faults stop at %llu ms); replay: bin/paxos-sim --seed %llu "
           "--nodes %u --time %llu%s -v\n",
           (unsigned long long)w->now, (unsigned long long)w->steps,
           (unsigned long long)w->calm_at, (unsigned long long)w->seed, w->n,
           (unsigned long long)w->opt.time_ms,
           w->opt.dup_between_roles ? " --dup-between-roles" : "");
    if (!w->opt.quiet) trace_dump(w);
    fflush(stdout);
}

/* "reason=count ..." for one row of refusal counts ("none" if empty). */
static void print_refusals(const uint64_t *row)
{
    int any = 0;
    for (int r = 1; r < PX_REFUSE_MAX; r++) {
        if (!row[r]) continue;
        printf(" %s=%llu", px_refusal_key(r), (unsigned long long)row[r]);
        any = 1;
    }
    if (!any) printf(" none");
}

void sim_print_refusals(const char *what, const uint64_t *row)
{
    printf("%s:", what);
    print_refusals(row);
    printf("\n");
}

static void summary(const sim_world *w)
{
    uint64_t done = 0, retries = 0;
    for (uint32_t i = 0; i < w->n_clients; i++) {
        done += w->clients[i].completed;
        retries += w->clients[i].retries;
    }
    printf("seed %llu: ok: %llu steps, %llu ms, %llu slots chosen, list %zu, %llu commands "
           "done (%llu retries), %llu msgs (%llu bytes, %llu dropped), %llu faults; "
           "snapshot_every %llu: %llu snapshots written, %llu installed, acceptors trimmed "
           "up to %llu, %llu log rewrites\n",
           (unsigned long long)w->seed, (unsigned long long)w->steps,
           (unsigned long long)w->now, (unsigned long long)w->stat_chosen, w->model_len,
           (unsigned long long)done, (unsigned long long)retries,
           (unsigned long long)w->stat_msgs, (unsigned long long)w->stat_bytes,
           (unsigned long long)w->stat_drops,
           (unsigned long long)w->stat_faults, (unsigned long long)w->p.lc.snapshot_every,
           (unsigned long long)w->stat_snaps, (unsigned long long)w->stat_installs,
           (unsigned long long)w->stat_trimmed, (unsigned long long)w->stat_rewrites);
    sim_print_refusals("  refused, honest frames", w->refused[0]);
    printf("  %llu forged frames;", (unsigned long long)w->stat_forged);
    sim_print_refusals(" refused", w->refused[1]);
    sim_print_answers("  gateway answers", w->stat_ans, w->stat_dup, w->stat_listwait);
    printf("  %llu gateway crashes, %llu snapshot files lost (%llu learners back by a "
           "transfer)\n", (unsigned long long)w->stat_gw_crash,
           (unsigned long long)w->stat_snap_lost, (unsigned long long)w->stat_lost_installs);
    printf("  learners decided %llu slots from VOTEs, took %llu from CHOSENs; gateways sent "
           "%llu REQUESTs straight to a leader, %llu through their own proposer\n",
           (unsigned long long)w->stat_by_votes, (unsigned long long)w->stat_by_chosen,
           (unsigned long long)w->stat_gw_direct, (unsigned long long)w->stat_gw_own);
}

/* "what: 200-append=N 200-read=N 503-no-leader=N ... (N duplicates, N
 * waits for the list copy)" */
void sim_print_answers(const char *what, const uint64_t *ans, uint64_t dup, uint64_t listwait)
{
    static const char *names[GW_ANS_TIMEOUT + 2] = {
        "?", "200-append", "200-read", "503-not-applied", "503-overloaded", "503-stopping",
        "503-list-behind", "500-stale", "500-no-result", "504", "lost-connection"};
    printf("%s:", what);
    for (int k = 1; k < GW_ANS_TIMEOUT + 2; k++)
        if (ans[k]) printf(" %s=%llu", names[k], (unsigned long long)ans[k]);
    printf(" (%llu duplicates, %llu waits for the list copy)\n", (unsigned long long)dup,
           (unsigned long long)listwait);
}

static void add_totals(const sim_world *w, sim_totals *t)
{
    t->runs++;
    t->forged += w->stat_forged;
    for (int k = 0; k < GW_ANS_TIMEOUT + 2; k++) t->ans[k] += w->stat_ans[k];
    t->dup += w->stat_dup;
    t->listwait += w->stat_listwait;
    t->snap_lost += w->stat_snap_lost;
    t->gw_crash += w->stat_gw_crash;
    t->lost_installs += w->stat_lost_installs;
    t->by_votes += w->stat_by_votes;
    t->by_chosen += w->stat_by_chosen;
    t->gw_direct += w->stat_gw_direct;
    t->gw_own += w->stat_gw_own;
    for (int k = 0; k < 2; k++)
        for (int r = 0; r < PX_REFUSE_MAX; r++) t->refused[k][r] += w->refused[k][r];
}

/* Returns 0 if every invariant held, 1 on a violation (its name copied
 * into inv_out).  With opt->verbose a passing run prints a summary.  The
 * run's refusal counts are added to *totals if given. */
int sim_run(uint64_t seed, const sim_opts *opt, char *inv_out, size_t inv_len,
            sim_totals *totals)
{
    sim_world *w = world_new(seed, opt);
    nodes_init(w);
    clients_init(w);
    faults_start(w);
    loop(w);
    int failed = w->failed;
    if (failed) report(w);
    else if (opt->verbose) summary(w);
    if (inv_out && inv_len) snprintf(inv_out, inv_len, "%s", failed ? w->inv : "");
    if (totals) add_totals(w, totals);
    world_free(w);
    return failed;
}
