/* sim.h -- the deterministic simulator's world: n nodes hosting the REAL
 * cores (acceptor, proposer, learner and the gateway's command logic from
 * libpaxoscore.a), a simulated network, disk and clock, simulated clients
 * (HTTP clients of the gateways, and direct ones that talk to proposers),
 * and an invariant checker.
 *
 * Everything of one run hangs off one sim_world, built from one seed and
 * freed at the end: no state survives between seeds, so a range run is
 * exactly the sequence of single runs.  One event per step, taken from a
 * priority queue ordered by (time, insertion seq). */
#ifndef PX_SIM_H
#define PX_SIM_H

#include <stdint.h>
#include "../../acceptor/acceptor.h"
#include "../../proposer/proposer.h"
#include "../../learner/learner.h"
#include "../../gateway/core.h"
#include "../../common/rng.h"
#include "../../common/refuse.h"

#define SIM_CLUSTER_ID 1u
#define SIM_TRACE 40          /* events kept for a violation report */
#define SIM_MAX_SLOT (1u << 22) /* a slot past this is a runaway proposer */
#define SIM_ROLES 5           /* indexed by enum px_role (1..4) */
#define SIM_MAX_CLIENTS 8

enum sim_ev_kind {
    EV_MSG = 1,        /* deliver frame buf to (node, role) */
    EV_TIMER,          /* call the role's tick if token is current */
    EV_SYNC,           /* the acceptor's disk sync completes */
    EV_RESTART,        /* bring a crashed role back (role 0: whole node) */
    EV_FAULT,          /* inject the next fault */
    EV_HEAL,           /* end the partition with this token */
    EV_CALM,           /* faults stop: heal, restart, unpause */
    EV_CLIENT_NEXT,    /* client issues its next command */
    EV_CLIENT_SEND,    /* client (re)sends its pending command */
    EV_CLIENT_TIMEOUT, /* client gives up on this attempt (token) */
    EV_LIVENESS,       /* command (client, seq in token) must be done */
    EV_SNAP_WRITE,     /* the learner's snapshot write completes (token = gen) */
    EV_SETTLE,         /* workload done: every learner must have converged */
    EV_HTTP_REQ,       /* an HTTP request (token) reaches node's gateway */
    EV_HTTP_ANS        /* its answer (or a lost connection) reaches the client */
};

typedef struct sim_event {
    uint64_t time, seq;
    uint8_t kind, role;
    uint32_t node, from; /* node: destination / subject; client index for client events */
    uint64_t token;
    uint32_t len;
    uint8_t *buf;        /* EV_MSG: the encoded frame, owned by the event */
} sim_event;

/* The acceptor's simulated disk: records written, the first `durable` of
 * them synced.  seq[i] is the acceptor's own record number of v[i]. */
typedef struct sim_disk {
    acc_record *v;
    uint64_t *seq;
    size_t n, cap, durable;
    int sync_pending;
    size_t rewrite_n;      /* records right after the last rewrite */
    uint64_t rewrite_trim; /* the acceptor's mark at the last rewrite */
} sim_disk;

/* The learner's simulated disk: the last durable snapshot file (it
 * survives crashes; a restarted learner restores it) and the one write in
 * flight, which a crash of the learner loses (tmp + rename: the old file
 * stays). */
typedef struct sim_snapfile {
    uint8_t *buf;          /* durable bytes, NULL if none */
    size_t len;
    uint64_t slot;         /* their snapshot slot, 0 if none */
    uint64_t high;         /* the highest slot ever durable here (a lost file
                            * does not take back what the learner reported) */
    uint8_t *wbuf;         /* the write in flight, NULL if none */
    size_t wlen;
    uint64_t wslot;
} sim_snapfile;

typedef struct sim_node {
    uint32_t id;
    struct acceptor *acc;
    struct proposer *prop;
    struct learner *lrn;
    gw_core *gw;                /* the gateway's core, while it runs */
    size_t gw_checked_len;      /* its list copy's positions already compared */
    int up[SIM_ROLES];          /* role is running */
    uint64_t gen[SIM_ROLES];    /* incarnation: stale timers/syncs are ignored */
    uint64_t timer_at[SIM_ROLES], timer_tok[SIM_ROLES];
    int timer_pending[SIM_ROLES];
    sim_disk disk;
    sim_snapfile snap;
    uint64_t prop_round;        /* the proposer's durable round (its proposer.state):
                                 * written before its outbox leaves, survives crashes */
    uint64_t paused_until;
    uint64_t clk_off, clk_rate; /* local = off + t * rate / 1000 */
    /* checker state about this node */
    px_ballot acc_promised;     /* promised after the last step (this incarnation) */
    px_ballot acc_max_replied;  /* highest ballot in a PROMISE/ACCEPTED it emitted */
    px_ballot *voted;           /* per slot: highest ballot of an emitted ACCEPTED */
    size_t voted_cap;
    size_t lrn_checked_len;     /* learner list positions already compared */
    uint64_t lrn_checked_slot;  /* learner slots already compared */
    uint64_t lrn_point;         /* the learner's snapshot point seen after its last step */
    uint64_t lrn_receiving;     /* the transfer under way after its last step */
    int snap_lost;              /* lost its file; no transfer installed since */
} sim_node;

/* Every command id (client, seq) a client or a gateway ever sent, with
 * what the chosen log did with it (registry.c).  Direct clients' ids are
 * their own; HTTP clients' are the gateways' (a session's next seq, or an
 * Idempotency-Key's fixed id). */
typedef struct sim_rec {
    uint64_t client, seq;
    uint8_t kind;
    int64_t value;        /* appends: unique in the run */
    int applied;          /* the model applied it (first time) */
    int64_t model_result; /* index (append) or list length (read) in the model */
    int64_t model_last;   /* reads are not deduplicated: the latest application */
    uint32_t requests;    /* HTTP requests a gateway ran it for */
    uint32_t refused;     /* ... answered 503 "not applied" */
    uint32_t ci;          /* the client and its op */
    uint64_t op;
} sim_rec;

/* One client operation, indexed by op number (seq) in its client.  A
 * direct client's op is one command; an HTTP client's op is one or more
 * requests (retries), each running a command at some gateway. */
typedef struct sim_cmd {
    uint8_t kind;
    int64_t value;        /* an unkeyed HTTP append: its latest request's */
    uint64_t invoke, done;
    int state;            /* 0 pending, 1 ok, 2 unknown (STALE, 504, lost) */
    int64_t result;
    uint64_t watermark;   /* real-time lower bound when invoked */
    uint32_t rec;         /* direct: its registry record */
    int keyed;            /* HTTP append with an Idempotency-Key */
    uint32_t requests;    /* HTTP requests sent */
} sim_cmd;

typedef struct sim_client {
    uint64_t id;
    int http;              /* goes through the gateways (else: REQUEST to proposers) */
    uint32_t home;         /* an HTTP client's gateway (retries go anywhere) */
    uint64_t seq;          /* last issued op (cmds[1..seq]) */
    sim_cmd *cmds;
    size_t cap;
    int busy;
    uint32_t attempt_node;
    uint64_t attempt_tok;
    uint64_t completed, retries;
} sim_client;

enum sim_http_state {
    HTTP_SENT = 1,  /* on its way to the gateway */
    HTTP_WAITING,   /* a waiter in the gateway's core */
    HTTP_ANSWERED,  /* the answer is on its way back */
    HTTP_LOST       /* refused (gateway down) or cut (gateway crashed) */
};

/* One HTTP request: the gateway host keeps the core's waiter in it, as
 * gateway/http.c keeps it in its request state. */
typedef struct sim_http {
    gw_waiter w;
    uint32_t id;           /* index in sim_world.https */
    uint32_t node;         /* the gateway it was sent to */
    uint32_t ci;           /* client, op, the client's attempt token */
    uint64_t op, tok;
    uint64_t sent_at;
    uint8_t kind;
    int64_t value;
    int keyed, want_list;
    char key[48];          /* its Idempotency-Key, if keyed */
    uint32_t rec;          /* its command's registry record, 0 if none */
    int state;             /* enum sim_http_state */
    gw_answer ans;
} sim_http;

/* Truth: what acceptors really voted for, from the messages they emitted. */
typedef struct truth_vote {
    px_ballot b;
    uint64_t hash;
    uint32_t acks;  /* bitmap of acceptors that emitted ACCEPTED(b, slot) */
    uint16_t n;
    px_cmd *cmds;
} truth_vote;

typedef struct truth_slot {
    truth_vote *v;
    uint32_t n, cap;
    int chosen;
    uint32_t chosen_ix;
} truth_slot;

/* Per-run knobs, all drawn from the seed. */
typedef struct sim_params {
    uint32_t loss_pm, dup_pm, long_pm;  /* per mille */
    uint64_t delay_min, delay_max, long_max;
    uint64_t sync_max;
    uint32_t torn_pm;
    uint64_t fault_gap_min, fault_gap_max;
    uint32_t w_part, w_isolate, w_oneway, w_crash_role, w_crash_node,
             w_crash_unsynced, w_pause, w_heal, w_forge;
    uint64_t down_max, part_max, pause_max;
    uint64_t client_to_min, client_to_max, think_max, nack_backoff;
    uint32_t read_pm;
    uint32_t w_crash_gw, w_snap_loss;   /* gateway crashes; a learner loses its snapshot file */
    gw_core_config gw;                  /* the gateways' timings (node, base set per start) */
    uint32_t http_pm;                   /* chance a client goes through the gateways */
    uint32_t key_pm, list_pm;           /* ... an append is keyed, asks for the list */
    uint64_t http_to, http_backoff;     /* HTTP client timeout; wait after a 503 */
    uint64_t snap_write_max;            /* a learner snapshot write takes 0..this ms */
    uint32_t rewrite_pm;                /* chance of an acceptor log rewrite per eligible sync */
    proposer_config pc;
    learner_config lc;
} sim_params;

typedef struct sim_opts {
    uint64_t time_ms;    /* simulated duration of the client workload */
    uint64_t max_steps;  /* 0: unlimited */
    uint64_t liveness_ms;
    uint32_t nodes;
    int verbose, quiet;
    int dup_between_roles; /* duplicate as PAXOS_FAULT_DUP does (FINDINGS 5) */
} sim_opts;

typedef struct trace_ent {
    uint64_t time;
    uint8_t kind, role, type, dropped;
    uint32_t node, from;
    px_ballot b;
    uint64_t slot, x;
    const char *note; /* a fault or lifecycle note instead of an event */
} trace_ent;

typedef struct sim_world {
    sim_opts opt;
    uint64_t seed;
    px_rng rng;
    sim_params p;
    uint64_t now, steps, ev_seq;
    sim_event *heap;
    size_t heap_n, heap_cap;
    uint32_t n;
    sim_node nodes[PX_MAX_NODES + 1]; /* by id 1..n */
    sim_client clients[SIM_MAX_CLIENTS];
    uint32_t n_clients;
    sim_http **https;     /* every HTTP request, by id */
    size_t n_https, cap_https;
    gw_core_out gwout;    /* scratch: what a gateway core call produced */
    int64_t next_value;   /* HTTP appends' values, unique */
    /* registry.c */
    sim_rec *recs;        /* recs[0] unused: index 0 means none */
    size_t n_recs, cap_recs;
    uint32_t *rec_by_id, *rec_by_value; /* open addressing, 0 = empty */
    size_t rec_slots;
    struct sim_last { uint64_t client, last; } *lasts; /* the model's dedup */
    size_t n_lasts, lasts_cap;
    /* faults */
    uint8_t blocked[PX_MAX_NODES + 1][PX_MAX_NODES + 1];
    uint64_t part_tok;
    int calm;
    uint64_t calm_at, stop_at;
    /* checker */
    truth_slot *truth;
    size_t truth_cap;
    uint64_t first_slot;
    int64_t *model;
    size_t model_len, model_cap;
    uint64_t model_next;
    size_t *model_at;     /* model_at[s]: model list length after every slot below s
                           * (valid for first_slot <= s <= model_next) */
    size_t model_at_cap;
    int settling;         /* the workload is done; waiting for learners to converge */
    uint64_t rt_watermark;
    uint64_t roundtrip_ctr;
    /* scratch reused by every step */
    acc_out aout;
    px_outbox pout;
    uint8_t *frame;
    px_msg *msg, *msg2;
    /* trace and result */
    trace_ent trace[SIM_TRACE];
    uint64_t trace_n;
    int failed;
    char inv[64];
    char detail[512];
    uint64_t stat_msgs, stat_bytes, stat_drops, stat_faults, stat_chosen;
    uint64_t stat_snaps, stat_installs, stat_rewrites, stat_trimmed;
    uint64_t stat_by_votes, stat_by_chosen; /* learner decisions: from VOTEs, from CHOSENs */
    uint64_t stat_gw_direct, stat_gw_own;   /* REQUESTs to another node's proposer, to our own */
    uint64_t stat_forged;                /* forged frames delivered (forge.c) */
    uint64_t stat_ans[GW_ANS_TIMEOUT + 2]; /* gateway answers by kind; [last]: lost */
    uint64_t stat_dup, stat_listwait, stat_snap_lost, stat_gw_crash;
    uint64_t stat_lost_installs;         /* learners that lost their file, back by a transfer */
    uint64_t refused[2][PX_REFUSE_MAX];  /* refusals by reason: [0] honest frames, [1] forged */
} sim_world;

/* What a range of runs adds up to (sim.c prints it). */
typedef struct sim_totals {
    uint64_t runs, forged;
    uint64_t refused[2][PX_REFUSE_MAX];
    uint64_t ans[GW_ANS_TIMEOUT + 2], dup, listwait, snap_lost, gw_crash, lost_installs;
    uint64_t by_votes, by_chosen, gw_direct, gw_own;
} sim_totals;

/* run.c */
int sim_run(uint64_t seed, const sim_opts *opt, char *inv_out, size_t inv_len,
            sim_totals *totals);
uint64_t sim_rand(sim_world *w, uint64_t lo, uint64_t hi);
void sim_print_refusals(const char *what, const uint64_t *row); /* "what: key=N ..." */
void sim_print_answers(const char *what, const uint64_t *ans, uint64_t dup, uint64_t listwait);
int sim_chance(sim_world *w, uint32_t per_mille);

/* queue.c */
void ev_push(sim_world *w, sim_event *e);
int ev_pop(sim_world *w, sim_event *out);
void ev_free_all(sim_world *w);

/* net.c */
void net_send(sim_world *w, uint32_t from, int from_role, px_outbox *o);
void net_send_one(sim_world *w, uint32_t from, int from_role, int role, uint32_t to,
                  px_msg *m);
void net_deliver(sim_world *w, sim_event *e);

/* node.c */
void nodes_init(sim_world *w);
void nodes_free(sim_world *w);
uint64_t node_local(const sim_world *w, uint32_t id);
void node_crash(sim_world *w, uint32_t id, int role);
void node_restart(sim_world *w, uint32_t id, int role);
void node_deliver(sim_world *w, uint32_t id, int role, const px_msg *m);
int node_deliver_forged(sim_world *w, uint32_t id, int role, const px_msg *m);
void node_on_timer(sim_world *w, sim_event *e);
void node_timer_arm(sim_world *w, uint32_t id, int role, int after_tick);
int node_has_unsynced(const sim_world *w, uint32_t id);

/* disk.c */
void disk_write(sim_world *w, uint32_t id, const acc_records *r);
void disk_crash(sim_world *w, uint32_t id);
void disk_restore(sim_world *w, uint32_t id);
void disk_on_sync(sim_world *w, sim_event *e);
void disk_free(sim_disk *d);
void acc_output(sim_world *w, uint32_t id);

/* snap.c: the learner host's snapshot files */
void snap_after_learner(sim_world *w, uint32_t id);
void snap_on_write(sim_world *w, sim_event *e);
void snap_restore(sim_world *w, uint32_t id);
void snap_crash(sim_world *w, uint32_t id);
void snap_free(sim_snapfile *f);
void snap_lose(sim_world *w, uint32_t id);
int snap_may_lose(const sim_world *w, uint32_t id);
int snap_check(sim_world *w, uint32_t id, const uint8_t *buf, size_t len, uint64_t slot);

/* forge.c: the forged-frame fault */
void forge_burst(sim_world *w);

/* faults.c */
void faults_params(sim_world *w);
void faults_start(sim_world *w);
void faults_on_event(sim_world *w, sim_event *e);
int net_blocked(const sim_world *w, uint32_t from, uint32_t to);

/* client.c: clients, and direct ones */
void clients_init(sim_world *w);
void clients_free(sim_world *w);
void client_on_event(sim_world *w, sim_event *e);
void client_on_gateway(sim_world *w, uint32_t node, const px_msg *m);
int clients_idle(const sim_world *w);
sim_client *client_by_id(sim_world *w, uint64_t id);
int64_t client_value(uint64_t client, uint64_t seq);
sim_cmd *client_new_op(sim_world *w, uint32_t ci);
void client_push_ev(sim_world *w, uint64_t at, int kind, uint32_t ci, uint64_t tok);
void client_op_done(sim_world *w, uint32_t ci, int state, int64_t result);

/* httpc.c: HTTP clients of the gateways */
void httpc_issue(sim_world *w, uint32_t ci);
void httpc_send(sim_world *w, uint32_t ci);
void httpc_timeout(sim_world *w, uint32_t ci);
void httpc_on_answer(sim_world *w, sim_event *e);
void httpc_free(sim_world *w);

/* gateway.c: each node's gateway host around its core */
void gwhost_start(sim_world *w, uint32_t id);
void gwhost_stop(sim_world *w, uint32_t id);
void gwhost_on_msg(sim_world *w, uint32_t id, const px_msg *m);
void gwhost_on_request(sim_world *w, sim_event *e);
void gwhost_tick(sim_world *w, uint32_t id);
uint64_t gwhost_deadline(const sim_world *w, uint32_t id);

/* registry.c: command ids and what the chosen log did with them */
uint32_t reg_add(sim_world *w, uint64_t client, uint64_t seq, uint8_t kind, int64_t value,
                 uint32_t ci, uint64_t op);
sim_rec *reg_find(sim_world *w, uint64_t client, uint64_t seq);
sim_rec *reg_by_value(sim_world *w, int64_t value);
uint64_t *reg_last(sim_world *w, uint64_t client);
void reg_free(sim_world *w);

/* truth.c: what was really chosen, and the model list it implies */
uint32_t sim_majority(const sim_world *w);
truth_vote *truth_find(sim_world *w, uint64_t slot, px_ballot b);
const truth_vote *truth_chosen(const sim_world *w, uint64_t slot);
void truth_propose(sim_world *w, uint32_t from, const px_accept *a);
void truth_accepted(sim_world *w, uint32_t acceptor, const px_accepted *a);
size_t truth_model_at(const sim_world *w, uint64_t slot);
void truth_free(sim_world *w);

/* invariants.c */
void inv_on_send(sim_world *w, uint32_t from, int from_role, const px_msg *m);
void inv_after_acceptor(sim_world *w, uint32_t id, const px_msg *in, const acc_records *rec);
void inv_acceptor_restarted(sim_world *w, uint32_t id);
void inv_after_learner(sim_world *w, uint32_t id);
void inv_on_complete(sim_world *w, sim_client *c, sim_cmd *cmd, uint32_t node);
void inv_real_time(sim_world *w, const sim_client *c, const sim_cmd *cmd, int64_t result);
/* answers.c: what the gateways answer and hold */
void inv_on_answer(sim_world *w, sim_http *h);
void inv_gateway_copy(sim_world *w, uint32_t id);
void inv_model_applied(sim_world *w, const sim_rec *rec);
uint64_t inv_trim_bound(const sim_world *w);
int inv_converged(sim_world *w, int report);
uint64_t inv_value_hash(const px_value *v);

/* trace.c */
void trace_add(sim_world *w, const sim_event *e, const px_msg *m);
void trace_note(sim_world *w, const char *note, uint32_t node, int role, uint64_t x);
void trace_dump(const sim_world *w);
void sim_fail(sim_world *w, const char *inv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
