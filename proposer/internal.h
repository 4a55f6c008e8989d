/* internal.h -- the proposer's state, shared by the files of the proposer
 * core (proposer.c, leadership.c, phase1.c, phase2.c, requests.c).  Not part
 * of the public API: hosts use proposer.h only.
 *
 * Map of the core:
 *   proposer.c    lifecycle, message dispatch, tick, deadline, introspection
 *   leadership.c  election timer, heartbeats, stepping down, REJECT, LEARNED
 *   phase1.c      reading acceptors (election phase 1 and catch-up re-reads),
 *                 the recovery map, re-proposal order
 *   phase2.c      the in-flight slot table, ACCEPT / ACCEPTED / CHOSEN
 *   requests.c    the client command queue, forwarding and NACKs
 */
#ifndef PX_PROPOSER_INTERNAL_H
#define PX_PROPOSER_INTERNAL_H

#include "proposer.h"
#include "../common/rng.h"

/* A request is forwarded at most this many times between proposers: views
 * of the leader can disagree for a moment, and a loop must end. */
#define PROP_MAX_HOPS 3

/* A catch-up re-read covers at most this many slots; the learner asks again
 * for the rest.  Keeps one re-read's memory and ACCEPT burst bounded. */
#define PROP_REREAD_MAX_SLOTS 1024

/* Batching (phase2.c, batch_due): client commands get a new slot at once
 * only while fewer than PROP_OPEN_MAX slots are open; otherwise they wait
 * until batch_max of them are queued or the oldest has waited
 * PROP_BATCH_WAIT_MS.  The cost of this system is per message (nng's thread
 * hand-offs), not per byte, so a slot of 20 commands costs about what a
 * slot of one does, and so is every acceptor's fdatasync: three acceptors
 * on one disk sync ~1.5k times a second in all here.  So a slot opens at
 * once only when none is open; the wait bounds the latency a command pays
 * for riding in a fuller slot.  A lone command (no slot open) never waits.
 * Measured at 64 clients, alternating 15 s runs (docs/PERFORMANCE.md):
 * (3 open, 1 ms) 3.3-4.5k appends/s, (1, 1 ms) 4.2-4.8k, (1, 2 ms)
 * 4.8-6.4k with a lower p99. */
#define PROP_OPEN_MAX 1
#define PROP_BATCH_WAIT_MS 2

/* What a read of the acceptors (PREPARE / PROMISE chunks) is for. */
enum prop_read_kind {
    READ_NONE = 0,
    READ_ELECTION = 1, /* phase 1 with a fresh ballot: win, then recover */
    READ_CATCHUP = 2   /* leader re-reads chosen slots at its current ballot */
};

/* One acceptor's progress through a read. */
typedef struct prop_read_acc {
    uint64_t next;    /* first slot of the chunk asked for (PREPARE's from) */
    uint64_t sent_at; /* when that PREPARE was (re)sent */
    uint64_t heard_at;/* when its last chunk that counted arrived */
    uint8_t heard;    /* some chunk counted (heard_at is valid) */
    uint8_t done;     /* reported everything we need */
} prop_read_acc;

typedef struct prop_read {
    int kind;                               /* enum prop_read_kind */
    px_ballot ballot;
    uint64_t from;                          /* lowest slot of interest */
    uint64_t limit;                         /* slots >= limit are not needed */
    prop_read_acc acc[PX_MAX_NODES + 1];    /* indexed by acceptor node id */
    uint32_t n_done;
    int any;                                /* some entry was reported */
    uint64_t trimmed;                       /* M: highest mark a promise reported */
    uint64_t max_slot;                      /* highest slot reported (if any) */
} prop_read;

/* The highest-vballot value reported for one slot. */
typedef struct prop_rec_entry {
    uint64_t slot;
    px_ballot vballot;
    uint8_t used;
    px_value value;
} prop_rec_entry;

/* slot -> prop_rec_entry, open addressing.  Not capped: phase 1 must see
 * every reported slot or recovery would be incomplete. */
typedef struct prop_rec_map {
    prop_rec_entry *v;
    size_t cap, n; /* cap is 0 or a power of two */
} prop_rec_map;

enum prop_slot_state {
    SLOT_FREE = 0,
    SLOT_OPEN = 1,  /* ACCEPT sent, waiting for a quorum */
    SLOT_CHOSEN = 2 /* chosen above a slot still open: waits for the prefix */
};

/* One entry of the in-flight table. */
typedef struct prop_slot {
    uint8_t state;
    uint64_t slot;
    uint32_t acks;    /* bit i: acceptor i accepted (slot, ballot) */
    uint64_t sent_at; /* last (re)send of ACCEPT */
    px_value value;
} prop_slot;

/* Client commands waiting for a slot: a ring of queue_max requests, with
 * the time each arrived (at[i] belongs to v[i]) for the batch wait. */
typedef struct prop_queue {
    px_request *v;
    uint64_t *at;
    uint32_t head, n, cap;
} prop_queue;

struct proposer {
    proposer_config cfg;
    uint32_t members; /* bit i: node i is in the cluster */
    px_rng rng;

    int state;            /* enum proposer_state */
    px_ballot ballot;     /* own ballot, the last one used */
    px_ballot highest;    /* highest ballot seen anywhere (>= ballot) */
    uint64_t round_used;  /* highest round of a ballot we created, or initial_round:
                           * what the host must persist (proposer_round_to_persist) */
    uint32_t leader;      /* leader as seen here, 0 if none */
    uint64_t last_heard;  /* when the leader last showed signs of life */
    uint64_t election_at; /* non-leader: when to run phase 1 */
    uint64_t heartbeat_at;/* leader, or candidate whose read advances: when the
                           * next heartbeat is due */

    uint64_t chosen_upto; /* every slot below is chosen */
    uint64_t next_slot;   /* next fresh slot for client commands */
    uint64_t learned[PX_MAX_NODES + 1]; /* highest LEARNED per learner, 0 if none */
    uint64_t snapped[PX_MAX_NODES + 1]; /* highest snapshot_upto per learner, 0 if none */
    uint64_t trim_mark;   /* T: a quorum of learners' snapshots reach it (TRIM) */
    uint64_t floor;       /* highest acceptor mark heard (PROMISE, REJECT): every
                           * slot below is chosen and forgotten; never propose there */

    prop_read rd;         /* the read in progress, if any */
    prop_rec_map rec;     /* what the last completed read reported */
    uint64_t rec_next, rec_end; /* slots still to re-propose: [rec_next, rec_end) */
    int rec_fill_noop;    /* unreported slots in that range get a no-op */
    uint64_t last_reread; /* when the last catch-up re-read started */
    int reread_ever;

    prop_slot *slots;     /* in-flight table, pipeline entries */
    uint32_t n_used;      /* entries not SLOT_FREE */
    uint32_t n_open;      /* entries SLOT_OPEN */

    prop_queue q;

    px_msg msg;           /* scratch message: px_msg is large, keep it off the stack */
    uint64_t slots_chosen, commands_chosen;
    uint64_t slots_by_commands[PX_MAX_BATCH + 1]; /* slots chosen here, by commands in them */
    uint64_t elections;   /* phase 1 runs started (each with a new ballot) */
};

/* proposer.c */
int prop_is_member(const struct proposer *p, uint32_t node);
px_msg *prop_msg(struct proposer *p, int type);

/* leadership.c, proposer.c and phase*.c: handlers of messages that can be
 * refused return 0 or an enum px_refusal (common/refuse.h). */

/* leadership.c */
void prop_arm_election(struct proposer *p, uint64_t now);
void prop_start_election(struct proposer *p, uint64_t now, px_outbox *out);
int prop_rounds_exhausted(const struct proposer *p);
void prop_become_leader(struct proposer *p, uint64_t now, px_outbox *out);
void prop_step_down(struct proposer *p, uint32_t leader, uint64_t now, px_outbox *out);
void prop_send_heartbeat(struct proposer *p, uint64_t now, px_outbox *out);
void prop_candidate_heartbeat(struct proposer *p, uint64_t now, px_outbox *out);
uint64_t prop_candidate_heartbeat_deadline(const struct proposer *p);
int prop_on_heartbeat(struct proposer *p, const px_heartbeat *hb, uint64_t now, px_outbox *out);
int prop_on_reject(struct proposer *p, const px_reject *rj, uint64_t now, px_outbox *out);
void prop_on_learned(struct proposer *p, const px_learned *l, px_outbox *out);
void prop_send_trim(struct proposer *p, px_outbox *out);
uint64_t prop_phase1_from(const struct proposer *p);

/* phase1.c */
void prop_read_start(struct proposer *p, int kind, uint64_t from, uint64_t limit,
                     uint64_t now, px_outbox *out);
void prop_read_stop(struct proposer *p);
int prop_on_promise(struct proposer *p, const px_promise *pr, uint64_t now, px_outbox *out);
void prop_on_catchup(struct proposer *p, const px_catchup *c, uint64_t now, px_outbox *out);
void prop_read_retransmit(struct proposer *p, uint64_t now, px_outbox *out);
uint64_t prop_read_deadline(const struct proposer *p);
uint64_t prop_read_live_until(const struct proposer *p);
int prop_rec_pending(const struct proposer *p);
int prop_rec_take(struct proposer *p, uint64_t *slot, px_value *v);
void prop_rec_reset(struct proposer *p);

/* phase2.c */
int prop_slots_init(struct proposer *p);
void prop_slots_abandon(struct proposer *p);
void prop_pump(struct proposer *p, uint64_t now, px_outbox *out);
int prop_on_accepted(struct proposer *p, const px_accepted *a, px_outbox *out);
void prop_accept_retransmit(struct proposer *p, uint64_t now, px_outbox *out);
void prop_slots_trimmed(struct proposer *p, uint64_t below);
uint64_t prop_accept_deadline(const struct proposer *p);
uint64_t prop_batch_deadline(const struct proposer *p);

/* requests.c */
int prop_queue_init(struct proposer *p);
void prop_on_request(struct proposer *p, const px_request *r, uint64_t now, px_outbox *out);
int prop_queue_take(struct proposer *p, px_request *r);
uint64_t prop_queue_oldest(const struct proposer *p);
void prop_queue_flush(struct proposer *p, px_outbox *out);

#endif
