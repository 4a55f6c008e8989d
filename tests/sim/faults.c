/* faults.c -- what goes wrong, and how often, all drawn from the seed.
 * Each run gets its own mix (loss, duplication, long delays, partitions,
 * crashes, pauses, torn disk tails, forged frames: forge.c, gateway
 * crashes, learners losing their snapshot files), so some seeds are gentle
 * and some brutal.  Faults run until calm_at; then everything heals, every crashed
 * role restarts and every pause ends, and liveness is judged. */
#include <string.h>
#include "sim.h"

static void config_params(sim_world *w)
{
    sim_params *p = &w->p;
    proposer_config *pc = &p->pc;
    learner_config *lc = &p->lc;
    memset(pc, 0, sizeof *pc);
    memset(lc, 0, sizeof *lc);
    pc->n_nodes = lc->n_nodes = w->n;
    for (uint32_t i = 0; i < w->n; i++) pc->node_ids[i] = lc->node_ids[i] = i + 1;
    pc->batch_max = sim_chance(w, 200) ? PX_MAX_BATCH : (uint32_t)sim_rand(w, 1, 8);
    pc->pipeline = (uint32_t)sim_rand(w, 1, 16);
    pc->queue_max = sim_chance(w, 200) ? (uint32_t)sim_rand(w, 1, 3) : 256;
    pc->heartbeat_ms = sim_rand(w, 5, 20);
    pc->election_min_ms = pc->heartbeat_ms * sim_rand(w, 3, 6);
    pc->election_max_ms = pc->election_min_ms + sim_rand(w, 10, 100);
    pc->retransmit_ms = sim_rand(w, 10, 40);
    lc->catchup_ms = sim_rand(w, 10, 40);
    lc->status_ms = sim_rand(w, 10, 50);
    /* More than the client ids a run uses (direct clients, gateway
     * sessions, one per Idempotency-Key): no eviction, the model needs
     * none (registry.c fails `sim bound` past it). */
    lc->dedup_max = 4096;
    /* Small snapshot intervals so that runs of ~1000 slots take many
     * points, trim acceptors and need transfers; 0 (no compaction) too. */
    lc->snapshot_every = sim_chance(w, 200) ? 0 : sim_chance(w, 600) ? sim_rand(w, 4, 12)
                                                                      : sim_rand(w, 13, 64);
    p->snap_write_max = 5;
    p->rewrite_pm = sim_chance(w, 400) ? 0 : (uint32_t)sim_rand(w, 100, 1000);
    /* The batching rule under other settings than the production ones. */
    pc->open_max = (uint32_t)sim_rand(w, 1, 4);
    pc->batch_wait_ms = sim_rand(w, 1, 3);
}

static void net_params(sim_world *w)
{
    sim_params *p = &w->p;
    p->loss_pm = sim_chance(w, 300) ? 0 : (uint32_t)sim_rand(w, 1, 100);
    p->dup_pm = sim_chance(w, 400) ? 0 : (uint32_t)sim_rand(w, 1, 50);
    p->long_pm = sim_chance(w, 300) ? 0 : (uint32_t)sim_rand(w, 5, 100);
    p->delay_min = 1;
    p->delay_max = sim_rand(w, 1, 5);
    p->long_max = sim_rand(w, 10, 200);
    p->sync_max = sim_rand(w, 0, 5);
    p->torn_pm = sim_chance(w, 500) ? 0 : (uint32_t)sim_rand(w, 100, 1000);
}

static void fault_params(sim_world *w)
{
    sim_params *p = &w->p;
    p->fault_gap_min = sim_rand(w, 10, 100);
    p->fault_gap_max = p->fault_gap_min + sim_rand(w, 20, 400);
    p->w_part = (uint32_t)sim_rand(w, 0, 10);
    p->w_isolate = (uint32_t)sim_rand(w, 0, 10);
    p->w_oneway = (uint32_t)sim_rand(w, 0, 10);
    p->w_crash_role = (uint32_t)sim_rand(w, 0, 10);
    p->w_crash_node = (uint32_t)sim_rand(w, 0, 10);
    p->w_crash_unsynced = (uint32_t)sim_rand(w, 0, 10);
    p->w_pause = (uint32_t)sim_rand(w, 0, 10);
    p->w_heal = (uint32_t)sim_rand(w, 1, 10);
    p->down_max = sim_rand(w, 20, 500);
    p->part_max = sim_rand(w, 50, 800);
    p->pause_max = sim_rand(w, 10, 300);
}

static void client_params(sim_world *w)
{
    sim_params *p = &w->p;
    p->client_to_min = sim_rand(w, 10, 100);
    p->client_to_max = p->client_to_min + sim_rand(w, 0, 300);
    p->think_max = sim_rand(w, 0, 20);
    p->nack_backoff = sim_rand(w, 5, 50);
    p->read_pm = (uint32_t)sim_rand(w, 0, 300);
}

/* The gateways' timings, scaled to the simulated cluster's (the process
 * waits 0.5 s / 1 s / 100 ms against elections of 300..600 ms; here
 * elections take 15..220 ms), and what their HTTP clients do. */
static void gateway_params(sim_world *w)
{
    sim_params *p = &w->p;
    gw_core_config *g = &p->gw;
    memset(g, 0, sizeof *g);
    /* above the log's latency once faults stop (up to ~40 ms: eight hops
     * of 1..5 ms and a sync), or a request could never succeed */
    g->request_timeout_ms = sim_rand(w, 80, 400);
    g->resend_first_ms = sim_rand(w, 5, 80);
    g->resend_ms = g->resend_first_ms + sim_rand(w, 0, 150);
    g->nack_backoff_ms = sim_rand(w, 1, 20);
    g->last_attempt_ms = sim_rand(w, 0, g->request_timeout_ms / 4);
    g->sweep_ms = sim_rand(w, 0, 10);
    g->fetch_retry_ms = sim_rand(w, 5, 60);
    g->probe_ms = sim_rand(w, 10, 200);
    p->http_pm = sim_chance(w, 200) ? 1000 : (uint32_t)sim_rand(w, 500, 1000);
    p->key_pm = sim_chance(w, 250) ? 0 : sim_chance(w, 300) ? 1000 : (uint32_t)sim_rand(w, 1, 999);
    p->list_pm = sim_chance(w, 200) ? 0 : (uint32_t)sim_rand(w, 500, 1000);
    /* Mostly the client outlives the gateway's deadline (it gets the
     * 503/504); sometimes it gives up first and retries elsewhere while
     * the first waiter still runs (but not before the log could answer). */
    p->http_to = sim_chance(w, 700) ? g->request_timeout_ms + sim_rand(w, 5, 100)
                                    : sim_rand(w, 80, g->request_timeout_ms);
    p->http_backoff = sim_rand(w, 1, 50);
    p->w_crash_gw = (uint32_t)sim_rand(w, 0, 5);
    p->w_snap_loss = sim_chance(w, 400) ? 0 : (uint32_t)sim_rand(w, 1, 8);
}

void faults_params(sim_world *w)
{
    config_params(w);
    net_params(w);
    fault_params(w);
    client_params(w);
    /* Forged frames (forge.c) in 70% of runs; drawn after the rest, which
     * so keep the values they had for a seed before this fault existed. */
    w->p.w_forge = sim_chance(w, 300) ? 0 : (uint32_t)sim_rand(w, 1, 10);
    gateway_params(w);
}

int net_blocked(const sim_world *w, uint32_t from, uint32_t to)
{
    return w->blocked[from][to];
}

static void push_ev(sim_world *w, uint64_t at, int kind, uint32_t node, int role, uint64_t tok)
{
    sim_event e = {0};
    e.time = at;
    e.kind = (uint8_t)kind;
    e.node = node;
    e.role = (uint8_t)role;
    e.token = tok;
    ev_push(w, &e);
}

void faults_start(sim_world *w)
{
    push_ev(w, sim_rand(w, w->p.fault_gap_min, w->p.fault_gap_max), EV_FAULT, 0, 0, 0);
    push_ev(w, w->calm_at, EV_CALM, 0, 0, 0);
}

static void heal(sim_world *w)
{
    memset(w->blocked, 0, sizeof w->blocked);
    w->part_tok++;
}

/* A new partition replaces the previous one and heals on its own later. */
static void partition_begin(sim_world *w)
{
    heal(w);
    push_ev(w, w->now + sim_rand(w, w->p.part_max / 4, w->p.part_max), EV_HEAL, 0, 0,
            w->part_tok);
}

static void fault_halves(sim_world *w)
{
    partition_begin(w);
    uint32_t all = (1u << w->n) - 1;
    uint32_t side = (uint32_t)sim_rand(w, 1, all - 1) << 1; /* bit i = node i */
    for (uint32_t a = 1; a <= w->n; a++)
        for (uint32_t b = 1; b <= w->n; b++)
            w->blocked[a][b] = ((side >> a) & 1) != ((side >> b) & 1);
    trace_note(w, "partition (x = one side's node bitmap)", 0, 0, side);
}

static uint32_t random_node(sim_world *w)
{
    return (uint32_t)sim_rand(w, 1, w->n);
}

static void fault_isolate_leader(sim_world *w)
{
    uint32_t victim = 0;
    for (uint32_t id = 1; id <= w->n; id++) {
        const sim_node *nd = &w->nodes[id];
        if (nd->up[PX_ROLE_PROPOSER] && proposer_state(nd->prop) == PROPOSER_LEADER) victim = id;
    }
    if (!victim) victim = random_node(w);
    partition_begin(w);
    for (uint32_t id = 1; id <= w->n; id++)
        if (id != victim) w->blocked[id][victim] = w->blocked[victim][id] = 1;
    trace_note(w, "isolate", victim, 0, 0);
}

/* One-way links: a node that can send but not hear (or the reverse). */
static void fault_oneway(sim_world *w)
{
    partition_begin(w);
    uint32_t a = random_node(w);
    int all = sim_chance(w, 500);
    for (uint32_t b = 1; b <= w->n; b++) {
        if (b == a || (!all && sim_chance(w, 500))) continue;
        if (sim_chance(w, 500)) w->blocked[a][b] = 1;
        else w->blocked[b][a] = 1;
    }
    trace_note(w, "one-way links around", a, 0, 0);
}

static void crash(sim_world *w, uint32_t id, int role, uint64_t down_max)
{
    trace_note(w, "crash", id, role, node_has_unsynced(w, id));
    node_crash(w, id, role);
    push_ev(w, w->now + sim_rand(w, 1, down_max), EV_RESTART, id, role, 0);
}

/* Crash an acceptor that has written but not synced: this is where an
 * acceptor that replied early loses what it promised. */
static void fault_crash_unsynced(sim_world *w)
{
    for (uint32_t id = 1; id <= w->n; id++)
        if (node_has_unsynced(w, id)) { crash(w, id, PX_ROLE_ACCEPTOR, w->p.down_max / 4 + 1); return; }
    crash(w, random_node(w), PX_ROLE_ACCEPTOR, w->p.down_max);
}

/* A learner loses its snapshot file (a disk replaced, a file deleted) and
 * restarts with nothing: it must get the log back from its peers (a
 * snapshot transfer, then the tail).  Only while every other node holds
 * all it ever reported durable: trims rely on a majority's files, and
 * losing two of them before the first is back could lose chosen values
 * for good, which no protocol survives. */
static void fault_snap_loss(sim_world *w)
{
    uint32_t id = random_node(w);
    if (!snap_may_lose(w, id)) {
        trace_note(w, "snapshot loss skipped: another node has not recovered", id,
                   PX_ROLE_LEARNER, 0);
        return;
    }
    trace_note(w, "learner loses its snapshot file (x = its slot)", id, PX_ROLE_LEARNER,
               w->nodes[id].snap.slot);
    node_crash(w, id, PX_ROLE_LEARNER);
    snap_lose(w, id);
    w->stat_snap_lost++;
    push_ev(w, w->now + sim_rand(w, 1, w->p.down_max), EV_RESTART, id, PX_ROLE_LEARNER, 0);
}

static void pause_node(sim_world *w)
{
    uint32_t id = random_node(w);
    uint64_t d = sim_rand(w, 1, w->p.pause_max);
    w->nodes[id].paused_until = w->now + d;
    trace_note(w, "pause (x = ms)", id, 0, d);
}

static void fault_pick(sim_world *w)
{
    const sim_params *p = &w->p;
    uint32_t ws[11] = {p->w_part, p->w_isolate, p->w_oneway, p->w_crash_role,
                       p->w_crash_node, p->w_crash_unsynced, p->w_pause, p->w_heal,
                       p->w_forge, p->w_crash_gw, p->w_snap_loss};
    uint32_t total = 0;
    for (int i = 0; i < 11; i++) total += ws[i];
    uint64_t r = sim_rand(w, 0, total - 1);
    int k = 0;
    while (r >= ws[k]) r -= ws[k++];
    w->stat_faults++;
    switch (k) {
    case 0: fault_halves(w); break;
    case 1: fault_isolate_leader(w); break;
    case 2: fault_oneway(w); break;
    case 3: crash(w, random_node(w), (int)sim_rand(w, 1, 3), p->down_max); break;
    case 4: crash(w, random_node(w), 0, p->down_max); break;
    case 5: fault_crash_unsynced(w); break;
    case 6: pause_node(w); break;
    case 7: heal(w); trace_note(w, "heal", 0, 0, 0); break;
    case 8: forge_burst(w); break;
    case 9:
        w->stat_gw_crash++;
        crash(w, random_node(w), PX_ROLE_GATEWAY, p->down_max);
        break;
    default: fault_snap_loss(w); break;
    }
}

static void calm_down(sim_world *w)
{
    w->calm = 1;
    heal(w);
    trace_note(w, "calm: faults stop", 0, 0, 0);
    for (uint32_t id = 1; id <= w->n; id++) {
        w->nodes[id].paused_until = 0;
        node_restart(w, id, 0);
    }
}

void faults_on_event(sim_world *w, sim_event *e)
{
    switch (e->kind) {
    case EV_FAULT:
        if (w->calm) return;
        fault_pick(w);
        push_ev(w, w->now + sim_rand(w, w->p.fault_gap_min, w->p.fault_gap_max), EV_FAULT, 0, 0, 0);
        break;
    case EV_RESTART:
        node_restart(w, e->node, e->role);
        break;
    case EV_HEAL:
        if (e->token == w->part_tok) { heal(w); trace_note(w, "heal", 0, 0, 0); }
        break;
    case EV_CALM:
        calm_down(w);
        break;
    default:
        break;
    }
}
