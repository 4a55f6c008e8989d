/* core.h -- the gateway's command logic as a pure state machine.
 *
 *   core.c      requests in, attempts and answers out: command ids, the
 *               resend schedule, the 503/504 rule, the read path, what an
 *               answer shows; fetching what the list copy misses
 *   pending.c   client ids (pooled sessions, Idempotency-Keys) and the
 *               waiters of in-flight commands by id
 *   listcopy.c  the gateway's copy of the learned list
 *
 * Like the role cores (acceptor, proposer, learner) it does no I/O, reads
 * no clock and takes no lock: messages from the local learner and proposer
 * and the current time go in; REQUESTs for the local proposer, a LIST_REQ
 * for the local learner, connections to resume and answers come out.  It
 * is compiled into libpaxoscore.a: the gateway process (cluster.c, http.c)
 * drives it from its loop under gw.mu, and the simulator (tests/sim/gateway.c)
 * drives the same object code with simulated HTTP clients.
 *
 * One request's life:
 *   gw_core_begin     picks the command id and registers waiter w (or answers
 *                     at once: no session free, stopping); the host then
 *                     suspends the request's connection and calls
 *   gw_core_arm       which queues the first attempt in the output.
 *   gw_core_handle    takes APPLIED / NACK / LIST_CHUNK; gw_core_tick then
 *                     runs the schedule: resends, deadlines, list waits,
 *                     fetches, and lists connections to resume.
 *   gw_core_complete  once resumed: the answer, or 0 if the answer needs
 *                     list elements the copy lacks (the connection is then
 *                     suspended again and resumed once they came, or the
 *                     deadline passed).
 *   gw_core_abandon   a request that ended otherwise (the client left). */
#ifndef PX_GATEWAY_CORE_H
#define PX_GATEWAY_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/wire.h"

/* ---- timings (the process's; the simulator draws its own) --------------- */

#define GW_SESSIONS 1024          /* client ids in the pool (> connections) */
#define GW_RESEND_FIRST_MS 500    /* resend a REQUEST unanswered this long ... */
#define GW_RESEND_MS 1000         /* ... and then every this long */
#define GW_NACK_BACKOFF_MS 100    /* wait after a NACK before resending */
#define GW_LAST_ATTEMPT_MS 200    /* no new attempt this close to the deadline */
#define GW_SWEEP_MS 10            /* every waiter's schedule is looked at this often */
#define GW_FETCH_RETRY_MS 300     /* re-ask for a list chunk not answered */
#define GW_PROBE_MS 1000          /* ask the learner its list length until it answers */

typedef struct gw_core_config {
    uint32_t node;               /* our node: the origin of our REQUESTs */
    uint32_t members;            /* bit i: node i is a member; 0 sends every REQUEST
                                  * to our own proposer (never straight to a leader) */
    uint64_t client_base;        /* session ids are base + i (drawn at random per start) */
    uint64_t request_timeout_ms; /* a command's deadline */
    uint64_t resend_first_ms, resend_ms, nack_backoff_ms, last_attempt_ms;
    uint64_t sweep_ms, fetch_retry_ms, probe_ms;
} gw_core_config;

/* The process's timings above, with cluster.cfg's request_timeout_ms. */
void gw_core_config_default(gw_core_config *c, uint32_t node, uint64_t request_timeout_ms,
                            uint64_t client_base);

/* ---- listcopy.c -------------------------------------------------------- */

#define GW_LIST_BLOCK_BITS 16
#define GW_LIST_BLOCK (1u << GW_LIST_BLOCK_BITS)
#define GW_LIST_BLOCKS (1u << 16) /* 2^32 elements at most */

typedef struct gw_list {
    int64_t **blocks;   /* GW_LIST_BLOCKS pointers; a block never moves */
    uint64_t len;       /* elements held (a prefix of the learned list) */
    uint64_t known_len; /* the learned list is at least this long */
} gw_list;

int gw_list_init(gw_list *l);
void gw_list_free(gw_list *l);
/* Element i < len.  Safe without the lock once len was read under it. */
static inline int64_t gw_list_at(const gw_list *l, uint64_t i)
{
    return l->blocks[i >> GW_LIST_BLOCK_BITS][i & (GW_LIST_BLOCK - 1)];
}
/* Take one APPLIED: appends its new elements if they continue our prefix.
 * Returns 1 if the copy grew. */
int gw_list_on_applied(gw_list *l, const px_applied *a);
/* Take one LIST_CHUNK.  Returns 1 if the copy grew. */
int gw_list_on_chunk(gw_list *l, const px_list_chunk *c);

/* ---- pending.c --------------------------------------------------------- */

enum gw_outcome {
    GW_DONE = 0,      /* applied (possibly DUP): result in the waiter */
    GW_NOT_APPLIED,   /* every attempt refused NO_LEADER: 503 */
    GW_UNKNOWN,       /* timed out, may or may not be applied: 504 */
    GW_STALE,         /* the learner called it stale: 500 */
    GW_OVERLOADED,    /* no free session: 503 */
    GW_STOPPING       /* the gateway is shutting down: 503 */
};

enum gw_phase {
    GW_PH_COMMAND = 1, /* waiting for the command's result */
    GW_PH_LIST,        /* result in; waiting for the list copy to grow */
    GW_PH_DONE         /* answered, unregistered */
};

/* One request waiting for its command's result.  Lives in the host's
 * request state; linked into a hash table by (client, seq) while it waits.
 * Several waiters may share an id (concurrent retries with the same
 * Idempotency-Key): each gets the result. */
#define GW_ATTEMPT_BITS 64 /* attempts the 503 rule can account for */

typedef struct gw_waiter {
    uint64_t client, seq;
    int kind;               /* PX_CMD_APPEND or PX_CMD_READ */
    int64_t value;
    int want_list;          /* an append's answer shows the list up to it */
    int keyed;              /* the id is an Idempotency-Key's */
    int session;            /* pooled session index, or -1 (Idempotency-Key) */
    int done;               /* an APPLIED for the id arrived */
    px_applied_entry res;   /* ... with this result */
    uint64_t slot, list_len;
    uint32_t nacks;         /* NACKs of any reason */
    uint32_t nacks_no_leader;
    /* The 503 rule, by attempt number (1, 2, ...; REQUEST.attempt, echoed
     * by NACK.attempt): the attempts that left the process and those
     * refused NO_LEADER, as bits 1 << (n - 1) for n <= GW_ATTEMPT_BITS.
     * Counting NACKs instead would let a duplicated REQUEST's two refusals
     * stand for an attempt some leader did queue. */
    uint16_t attempts;      /* attempt numbers given out */
    uint64_t sent_mask, refused_mask;
    int attempts_overflow;  /* an attempt past GW_ATTEMPT_BITS left: never 503 */
    uint8_t last_nack;
    uint32_t leader_hint;
    /* the attempt schedule */
    uint32_t last_to;       /* the proposer the last attempt went to */
    uint32_t nacks_at_send; /* nacks when it left: none since means it went unanswered */
    uint32_t sent, unsent;  /* attempts that left the process, or did not */
    uint32_t nacks_seen;
    uint64_t start_ms, deadline_ms, next_send_ms;
    int outcome;            /* enum gw_outcome, once the command phase ended */
    uint64_t need;          /* GW_PH_LIST: list elements the answer shows */
    void *conn;             /* the host's suspended connection */
    int phase;              /* enum gw_phase */
    int armed;              /* the connection is suspended: it may be resumed */
    int resumed;            /* resumed in this phase: the host is answering */
    int on_ready;           /* on gw_pending.ready */
    struct gw_waiter *next, **pprev;             /* the id's hash chain */
    struct gw_waiter *ready_next;
    struct gw_waiter *async_next, **async_pprev; /* every waiter in GW_PH_COMMAND */
    struct gw_waiter *lw_next, **lw_pprev;       /* every waiter in GW_PH_LIST */
} gw_waiter;

#define GW_WAIT_BUCKETS 1024

typedef struct gw_session {
    uint64_t client;
    uint64_t seq; /* last seq used; the next command uses seq + 1 */
    int next_free;
} gw_session;

typedef struct gw_pending {
    gw_waiter *buckets[GW_WAIT_BUCKETS];
    gw_session sessions[GW_SESSIONS];
    int free_head; /* -1: none free */
    gw_waiter *ready; /* got a result or a NACK since the last tick */
} gw_pending;

/* Client ids are base + i with the top bit cleared. */
void gw_pending_init(gw_pending *p, uint64_t base);
/* take returns a session index or -1 if none is free. */
int gw_session_take(gw_pending *p);
void gw_session_give(gw_pending *p, int i);
void gw_waiter_add(gw_pending *p, gw_waiter *w);
void gw_waiter_del(gw_waiter *w);
/* Deliver a result or a NACK to every waiter of the id (and put it on the
 * ready list); returns how many. */
int gw_pending_result(gw_pending *p, const px_applied *a, const px_applied_entry *e);
int gw_pending_nack(gw_pending *p, const px_nack *n);
/* enum gw_outcome of a waiter whose deadline passed (or that is done),
 * given how many attempts left the process. */
int gw_waiter_outcome(const gw_waiter *w);

/* FNV-1a 64-bit. */
uint64_t gw_fnv1a64(const void *p, size_t n);
/* The client id of an Idempotency-Key: FNV-1a with the top bit set, a
 * space disjoint from the session pool's ids (top bit clear). */
uint64_t gw_idem_client(const char *key);

/* ---- core.c ------------------------------------------------------------ */

/* One REQUEST, on behalf of waiter w, to the proposer of node `to`: the
 * leader's when we know it (one hop less than through our own proposer,
 * which would forward it), our own for retries and when we do not. */
typedef struct gw_send {
    gw_waiter *w;
    px_cmd cmd;
    uint16_t attempt;       /* REQUEST.attempt */
    uint32_t to;            /* proposer's node */
} gw_send;

/* What core calls produced; the host clears it, calls, then acts on it. */
typedef struct gw_core_out {
    gw_send *sends;         /* REQUESTs (origin: our node) to sends[i].to's proposer */
    size_t n_sends, cap_sends;
    void **resume;          /* connections to resume (each waiter's conn) */
    size_t n_resume, cap_resume;
    int list_req;           /* send LIST_REQ(list_from) to the local learner */
    uint64_t list_from;
} gw_core_out;

void gw_core_out_init(gw_core_out *o);
void gw_core_out_free(gw_core_out *o);
void gw_core_out_clear(gw_core_out *o);

/* What a request asks. */
typedef struct gw_request {
    int kind;             /* PX_CMD_APPEND or PX_CMD_READ */
    int64_t value;        /* an append's */
    const char *idem_key; /* NULL: a pooled session's next seq */
    int want_list;        /* an append's answer shows the list up to it */
} gw_request;

enum gw_answer_kind {
    GW_ANS_APPENDED = 1, /* 200 {"value","index"[,"duplicate"][,"list" | "list_error"]} */
    GW_ANS_LIST,         /* 200 {"list": the copy's first list_n elements} */
    GW_ANS_NOT_APPLIED,  /* 503: every attempt was refused NO_LEADER */
    GW_ANS_OVERLOADED,   /* 503: no session free */
    GW_ANS_STOPPING,     /* 503: shutting down */
    GW_ANS_LIST_BEHIND,  /* 503: a read whose elements the copy could not get in time */
    GW_ANS_STALE,        /* 500: the learners refused the id as stale */
    GW_ANS_NO_RESULT,    /* 500: the learner reported no index / length */
    GW_ANS_TIMEOUT       /* 504: may or may not have been applied */
};

/* An answer: everything but the bytes.  The list elements it shows are
 * [0, list_n) of the copy, which never change once there. */
typedef struct gw_answer {
    int kind;          /* enum gw_answer_kind */
    int status;        /* its HTTP status */
    int cmd_kind;      /* PX_CMD_APPEND or PX_CMD_READ */
    int keyed;         /* the request had an Idempotency-Key */
    int64_t value;     /* GW_ANS_APPENDED: the value (a duplicate's original one) */
    int64_t index;     /* GW_ANS_APPENDED: its index */
    int dup;           /* GW_ANS_APPENDED: a retry of an applied id */
    int show_list;     /* the answer holds "list": elements [0, list_n) */
    int list_missing;  /* GW_ANS_APPENDED: asked for, not caught up ("list_error") */
    uint64_t list_n;
    uint64_t elapsed_ms;
    uint32_t leader_hint;
} gw_answer;

typedef struct gw_core {
    gw_core_config cfg;
    gw_list list;
    gw_pending pend;
    gw_waiter *async_head;  /* every waiter in GW_PH_COMMAND */
    gw_waiter *lw_head;     /* every waiter in GW_PH_LIST */
    uint64_t want_len;      /* an answer needs the list this long */
    uint64_t fetch_sent_ms; /* last LIST_REQ sent at (0: none outstanding) */
    uint64_t swept_ms;      /* last look at every waiter */
    int probed;             /* the learner answered a LIST_REQ at least once */
    uint32_t leader;        /* where first attempts go: the leader as APPLIED and NACK
                             * name it; 0 (unknown): our own proposer */
    uint64_t direct, via_own; /* attempts sent straight to a leader, and to our own proposer */
    int stopping;           /* no new requests; every waiter is resumed */
} gw_core;

/* 0, or -1 if out of memory. */
int gw_core_init(gw_core *c, const gw_core_config *cfg);
void gw_core_free(gw_core *c);

/* 1: w is registered (suspend conn, then gw_core_arm); 0: answered at once
 * in *a (no session free, or stopping). */
int gw_core_begin(gw_core *c, gw_waiter *w, const gw_request *r, void *conn, uint64_t now,
                  gw_answer *a);
/* The connection is suspended: queue the first attempt. */
void gw_core_arm(gw_core *c, gw_waiter *w, gw_core_out *out);
/* An attempt in out->sends could not be sent (it does not count as one
 * that left the process). */
void gw_core_unsent(gw_waiter *w, uint16_t attempt);
/* APPLIED, NACK or LIST_CHUNK from the local roles: 0, or
 * PX_REFUSE_UNEXPECTED_TYPE for any other type (nothing changes). */
int gw_core_handle(gw_core *c, const px_msg *m);
/* Resends, deadlines, list waits, fetches: after every batch of messages,
 * and by the clock (gw_core_next_deadline). */
void gw_core_tick(gw_core *c, uint64_t now, gw_core_out *out);
/* The earliest time gw_core_tick has something to do, UINT64_MAX if none
 * (the process ticks every GW_SWEEP_MS instead; the simulator uses this). */
uint64_t gw_core_next_deadline(const gw_core *c);
/* A resumed waiter: 1 and the answer in *a (w is unregistered), or 0: the
 * answer needs list elements the copy lacks -- suspend the connection
 * again; it is resumed once they came or the deadline passed. */
int gw_core_complete(gw_core *c, gw_waiter *w, uint64_t now, gw_answer *a);
/* Unregister a waiter whose request ended unanswered.  Idempotent. */
void gw_core_abandon(gw_core *c, gw_waiter *w);
/* Shutting down: new requests are refused, every waiter is resumed at the
 * next tick and answered by the 503/504 rule. */
void gw_core_stop(gw_core *c);

#endif
