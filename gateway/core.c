/* core.c -- the gateway's command logic (see core.h): pure, like the role
 * cores.  The process (cluster.c, http.c) and the simulator run this code.
 *
 * The resend schedule.  A command is resent under the same (client, seq)
 * after resend_first_ms of silence, then every resend_ms, or
 * nack_backoff_ms after a NACK.  The first resend is early because a silent
 * attempt usually went to a leader that just died, and the new one is
 * known within an election timeout; later ones are slower so an overloaded
 * cluster is not fed duplicates.  Resending the same id is safe: the
 * learners apply it once.  No new attempt within last_attempt_ms of the
 * deadline: it could not help, and a late APPLIED or NACK may still come.
 *
 * The 503 / 504 rule (gw_waiter_outcome, pending.c).  A command that timed
 * out is "not applied" (503) only if we know no attempt could have been
 * queued by a leader: every REQUEST that left us was answered
 * NACK(NO_LEADER) -- the proposers refused it without forwarding it
 * anywhere.  One lost NACK, one BUSY, one silence, and an earlier attempt
 * may sit in some leader's queue and be applied later: then 504, "may or
 * may not have been applied".
 *
 * The read path.  A read is a READ command through the log; its result is
 * the list length L at its slot, and the answer is the copy's first L
 * elements (waiting for the copy to hold them if need be): the state at a
 * point inside the request's interval.  Serving the copy as it stands
 * could return a stale prefix from a partitioned node. */
#include <stdlib.h>
#include <string.h>

#include "../common/refuse.h"
#include "core.h"

void gw_core_config_default(gw_core_config *c, uint32_t node, uint64_t request_timeout_ms,
                            uint64_t client_base)
{
    memset(c, 0, sizeof(*c));
    c->node = node;
    c->client_base = client_base;
    c->request_timeout_ms = request_timeout_ms;
    c->resend_first_ms = GW_RESEND_FIRST_MS;
    c->resend_ms = GW_RESEND_MS;
    c->nack_backoff_ms = GW_NACK_BACKOFF_MS;
    c->last_attempt_ms = GW_LAST_ATTEMPT_MS;
    c->sweep_ms = GW_SWEEP_MS;
    c->fetch_retry_ms = GW_FETCH_RETRY_MS;
    c->probe_ms = GW_PROBE_MS;
}

int gw_core_init(gw_core *c, const gw_core_config *cfg)
{
    memset(c, 0, sizeof(*c));
    c->cfg = *cfg;
    if (gw_list_init(&c->list) != 0) return -1;
    gw_pending_init(&c->pend, cfg->client_base);
    return 0;
}

void gw_core_free(gw_core *c)
{
    gw_list_free(&c->list);
}

/* ---- output -------------------------------------------------------------- */

void gw_core_out_init(gw_core_out *o)
{
    memset(o, 0, sizeof(*o));
}

void gw_core_out_free(gw_core_out *o)
{
    free(o->sends);
    free(o->resume);
    gw_core_out_init(o);
}

void gw_core_out_clear(gw_core_out *o)
{
    o->n_sends = 0;
    o->n_resume = 0;
    o->list_req = 0;
}

/* Grow an output array; a core cannot go on without room (as px_outbox). */
static void *grow(void *p, size_t *cap, size_t size)
{
    size_t n = *cap ? *cap * 2 : 64;
    void *q = realloc(p, n * size);
    if (q == NULL) abort();
    *cap = n;
    return q;
}

static void out_resume(gw_core_out *o, void *conn)
{
    if (o->n_resume == o->cap_resume) o->resume = grow(o->resume, &o->cap_resume, sizeof(void *));
    o->resume[o->n_resume++] = conn;
}

/* Where an attempt goes.  The first goes straight to the leader's
 * proposer, if we know one: that saves the hop through our own proposer.
 * Retries go to our own, which forwards to whoever it thinks leads (or
 * NACKs NO_LEADER, which the 503 rule needs): a retry means the direct
 * path failed us once already. */
static uint32_t attempt_to(const gw_core *c, const gw_waiter *w)
{
    if (w->attempts == 0 && c->leader != 0) return c->leader;
    return c->cfg.node;
}

/* One attempt: counted as sent unless the host says otherwise. */
static void send_attempt(gw_core *c, gw_waiter *w, gw_core_out *o)
{
    if (o->n_sends == o->cap_sends) o->sends = grow(o->sends, &o->cap_sends, sizeof(gw_send));
    gw_send *s = &o->sends[o->n_sends++];
    memset(&s->cmd, 0, sizeof(s->cmd));
    s->w = w;
    s->cmd.kind = (uint8_t)w->kind;
    s->cmd.client = w->client;
    s->cmd.seq = w->seq;
    s->cmd.value = w->value;
    s->to = attempt_to(c, w);
    w->last_to = s->to;
    w->nacks_at_send = w->nacks;
    if (s->to == c->cfg.node) c->via_own++;
    else c->direct++;
    if (w->attempts < UINT16_MAX) w->attempts++;
    s->attempt = w->attempts;
    if (s->attempt <= GW_ATTEMPT_BITS) w->sent_mask |= UINT64_C(1) << (s->attempt - 1);
    else w->attempts_overflow = 1;
    w->sent++;
}

void gw_core_unsent(gw_waiter *w, uint16_t attempt)
{
    w->sent--;
    w->unsent++;
    if (attempt >= 1 && attempt <= GW_ATTEMPT_BITS) w->sent_mask &= ~(UINT64_C(1) << (attempt - 1));
}

/* ---- the registers: waiters in the command phase, and list waits ------- */

static void async_add(gw_core *c, gw_waiter *w)
{
    w->async_next = c->async_head;
    if (w->async_next) w->async_next->async_pprev = &w->async_next;
    w->async_pprev = &c->async_head;
    c->async_head = w;
}

static void async_del(gw_core *c, gw_waiter *w)
{
    if (w->async_pprev == NULL) return;
    *w->async_pprev = w->async_next;
    if (w->async_next) w->async_next->async_pprev = w->async_pprev;
    w->async_next = NULL;
    w->async_pprev = NULL;
    if (!w->on_ready) return;
    /* normally the ready list is empty between ticks; be safe */
    for (gw_waiter **pp = &c->pend.ready; *pp; pp = &(*pp)->ready_next)
        if (*pp == w) {
            *pp = w->ready_next;
            break;
        }
    w->on_ready = 0;
}

static void lw_add(gw_core *c, gw_waiter *w)
{
    w->lw_next = c->lw_head;
    if (w->lw_next) w->lw_next->lw_pprev = &w->lw_next;
    w->lw_pprev = &c->lw_head;
    c->lw_head = w;
}

static void lw_del(gw_waiter *w)
{
    if (w->lw_pprev == NULL) return;
    *w->lw_pprev = w->lw_next;
    if (w->lw_next) w->lw_next->lw_pprev = w->lw_pprev;
    w->lw_next = NULL;
    w->lw_pprev = NULL;
}

/* Out of the command phase: the id's chain, the schedule, the session. */
static void unregister(gw_core *c, gw_waiter *w)
{
    gw_waiter_del(w);
    async_del(c, w);
    if (w->session >= 0) gw_session_give(&c->pend, w->session);
    w->session = -1;
}

/* ---- answers ------------------------------------------------------------- */

static void answer_is(gw_answer *a, int kind, int status)
{
    a->kind = kind;
    a->status = status;
}

/* A command that did not come back applied. */
static void answer_failed(int outcome, gw_answer *a)
{
    switch (outcome) {
    case GW_NOT_APPLIED: answer_is(a, GW_ANS_NOT_APPLIED, 503); break;
    case GW_OVERLOADED: answer_is(a, GW_ANS_OVERLOADED, 503); break;
    case GW_STOPPING: answer_is(a, GW_ANS_STOPPING, 503); break;
    case GW_STALE: answer_is(a, GW_ANS_STALE, 500); break;
    default: answer_is(a, GW_ANS_TIMEOUT, 504); break;
    }
}

/* How much of the list the answer to a done command shows (0: none). */
static uint64_t list_needed(const gw_waiter *w)
{
    if (w->res.result < 0) return 0; /* refused with a 500 */
    if (w->kind == PX_CMD_READ) return (uint64_t)w->res.result;
    int dup = (w->res.flags & PX_APPLIED_DUP) != 0;
    return w->want_list || dup ? (uint64_t)w->res.result + 1 : 0;
}

/* A read: the first L elements, L its result. */
static void answer_read(const gw_core *c, const gw_waiter *w, gw_answer *a)
{
    uint64_t n = (uint64_t)w->res.result;
#ifndef PX_MUTANT_GATEWAY_READ_SHORT
    if (c->list.len < n) {
        answer_is(a, GW_ANS_LIST_BEHIND, 503);
        return;
    }
#else
    /* PLANTED BUG (mutant GATEWAY_READ_SHORT): a copy that lags the read's
     * slot answers with what it holds instead of 503, to spare the client
     * an error: a prefix older than the read's slot, missing appends that
     * completed before the read began. */
    if (c->list.len < n) n = c->list.len;
#endif
    answer_is(a, GW_ANS_LIST, 200);
    a->show_list = 1;
    a->list_n = n;
}

/* An append: its index; a duplicate's value is the original one, which
 * only the list knows. */
static void answer_append(const gw_core *c, const gw_waiter *w, gw_answer *a)
{
    uint64_t index = (uint64_t)w->res.result;
    int have_list = c->list.len >= index + 1;
    answer_is(a, GW_ANS_APPENDED, 200);
    a->index = w->res.result;
    a->dup = (w->res.flags & PX_APPLIED_DUP) != 0;
    a->value = a->dup && have_list ? gw_list_at(&c->list, index) : w->value;
    if (!w->want_list) return;
    a->show_list = have_list;
    a->list_missing = !have_list;
    a->list_n = have_list ? index + 1 : 0;
}

static void answer(const gw_core *c, const gw_waiter *w, uint64_t now, gw_answer *a)
{
    memset(a, 0, sizeof(*a));
    a->cmd_kind = w->kind;
    a->keyed = w->keyed;
    a->elapsed_ms = now - w->start_ms;
    a->leader_hint = w->leader_hint;
    if (w->outcome != GW_DONE) answer_failed(w->outcome, a);
    else if (w->res.result < 0) answer_is(a, GW_ANS_NO_RESULT, 500);
    else if (w->kind == PX_CMD_READ) answer_read(c, w, a);
    else answer_append(c, w, a);
}

/* ---- a request's life ---------------------------------------------------- */

/* The id a request runs under: the Idempotency-Key's fixed (client, 1), or
 * a pooled session's next seq.  Returns 0 or the reason it has none. */
static int pick_id(gw_core *c, gw_waiter *w, const char *key)
{
    if (c->stopping) return GW_STOPPING;
    if (key != NULL) {
        w->client = gw_idem_client(key);
        w->seq = 1;
        return 0;
    }
    w->session = gw_session_take(&c->pend);
    if (w->session < 0) return GW_OVERLOADED;
    w->client = c->pend.sessions[w->session].client;
    w->seq = ++c->pend.sessions[w->session].seq;
    return 0;
}

int gw_core_begin(gw_core *c, gw_waiter *w, const gw_request *r, void *conn, uint64_t now,
                  gw_answer *a)
{
    memset(w, 0, sizeof(*w));
    w->kind = r->kind;
    w->value = r->value;
    w->want_list = r->want_list;
    w->keyed = r->idem_key != NULL;
    w->conn = conn;
    w->session = -1;
    w->start_ms = now;
    w->deadline_ms = now + c->cfg.request_timeout_ms;
    w->next_send_ms = now + c->cfg.resend_first_ms;
#ifdef PX_MUTANT_GATEWAY_LOCAL_READ
    /* MUTANT GATEWAY_LOCAL_READ: a read answered from the copy as it
     * stands, without going through the log. */
    if (r->kind == PX_CMD_READ && !c->stopping) {
        w->outcome = GW_DONE;
        w->res.result = (int64_t)c->list.len;
        w->phase = GW_PH_DONE;
        answer(c, w, now, a);
        return 0;
    }
#endif
    int rc = pick_id(c, w, r->idem_key);
    if (rc != 0) {
        w->phase = GW_PH_DONE;
        w->outcome = rc;
        answer(c, w, now, a);
        return 0;
    }
    w->phase = GW_PH_COMMAND;
    gw_waiter_add(&c->pend, w);
    async_add(c, w);
    return 1;
}

void gw_core_arm(gw_core *c, gw_waiter *w, gw_core_out *out)
{
    w->armed = 1;
    send_attempt(c, w, out);
}

/* A waiter in the command phase at time now.  Returns 1 if its connection
 * should be resumed: the result came, the deadline passed, or stopping. */
static int schedule(gw_core *c, gw_waiter *w, uint64_t now, gw_core_out *out)
{
    if (w->resumed || !w->armed) return 0;
    if (w->done || now >= w->deadline_ms || c->stopping) return 1;
    if (w->nacks != w->nacks_seen) {
        w->nacks_seen = w->nacks;
        w->next_send_ms = now + c->cfg.nack_backoff_ms;
    }
    if (now >= w->next_send_ms) {
        /* Our guess of the leader went unanswered: until an APPLIED names
         * the leader again, first attempts go through our own proposer. */
        if (w->nacks == w->nacks_at_send && w->last_to == c->leader) c->leader = 0;
        if (now + c->cfg.last_attempt_ms >= w->deadline_ms) {
            w->next_send_ms = UINT64_MAX;
        } else {
#ifdef PX_MUTANT_GATEWAY_NEW_SEQ_ON_RESEND
            /* PLANTED BUG (mutant GATEWAY_NEW_SEQ_ON_RESEND): a resend is
             * built like a new command, with the session's next seq, so
             * the learners cannot tell it from the attempt that went
             * silent: if both get chosen, the value is appended twice. */
            if (w->session >= 0) {
                gw_waiter_del(w);
                w->seq = ++c->pend.sessions[w->session].seq;
                gw_waiter_add(&c->pend, w);
            }
#endif
            send_attempt(c, w, out);
            w->next_send_ms = now + c->cfg.resend_ms;
        }
    }
    return 0;
}

static void want_resume(gw_waiter *w, gw_core_out *out)
{
    w->resumed = 1;
    out_resume(out, w->conn);
}

/* Waiters that got a result or a NACK: resume or reschedule them now. */
static void take_ready(gw_core *c, uint64_t now, gw_core_out *out)
{
    gw_waiter *w = c->pend.ready;
    c->pend.ready = NULL;
    while (w) {
        gw_waiter *next = w->ready_next;
        w->on_ready = 0;
        w->ready_next = NULL;
        if (schedule(c, w, now, out)) want_resume(w, out);
        w = next;
    }
}

/* Every sweep_ms: resends and deadlines of every waiter. */
static void sweep(gw_core *c, uint64_t now, gw_core_out *out)
{
    if (now - c->swept_ms < c->cfg.sweep_ms && !c->stopping) return;
    c->swept_ms = now;
    for (gw_waiter *w = c->async_head; w; w = w->async_next)
        if (schedule(c, w, now, out)) want_resume(w, out);
}

/* Answers waiting for the list copy: resume those it now covers, or whose
 * deadline passed. */
static void list_waits(gw_core *c, uint64_t now, gw_core_out *out)
{
    for (gw_waiter *w = c->lw_head; w; w = w->lw_next) {
        if (w->resumed || (c->list.len < w->need && now < w->deadline_ms && !c->stopping))
            continue;
        want_resume(w, out);
    }
}

static uint64_t fetch_target(const gw_core *c)
{
    return c->list.known_len > c->want_len ? c->list.known_len : c->want_len;
}

/* Ask the local learner for the elements we miss, one chunk at a time;
 * until it first answers, ask now and then how long its list is. */
static void maybe_fetch(gw_core *c, uint64_t now, gw_core_out *out)
{
    int behind = c->list.len < fetch_target(c);
    if (!behind && c->probed) return;
    uint64_t wait = behind ? c->cfg.fetch_retry_ms : c->cfg.probe_ms;
    if (c->fetch_sent_ms != 0 && now - c->fetch_sent_ms < wait) return;
    out->list_req = 1;
    out->list_from = c->list.len;
    c->fetch_sent_ms = now;
}

void gw_core_tick(gw_core *c, uint64_t now, gw_core_out *out)
{
    take_ready(c, now, out);
    sweep(c, now, out);
    list_waits(c, now, out);
    maybe_fetch(c, now, out);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* When schedule() next has something to do for w (a waiter made ready by
 * a message is taken by the tick that follows the message). */
static uint64_t waiter_deadline(const gw_core *c, const gw_waiter *w)
{
    if (w->resumed || !w->armed) return UINT64_MAX;
    if (c->stopping) return 0;
    uint64_t t = min_u64(w->deadline_ms, w->next_send_ms);
    uint64_t gate = c->swept_ms + c->cfg.sweep_ms; /* sweep() runs no earlier */
    return t > gate ? t : gate;
}

uint64_t gw_core_next_deadline(const gw_core *c)
{
    uint64_t t = c->pend.ready ? 0 : UINT64_MAX;
    for (const gw_waiter *w = c->async_head; w; w = w->async_next)
        t = min_u64(t, waiter_deadline(c, w));
    for (const gw_waiter *w = c->lw_head; w; w = w->lw_next)
        if (!w->resumed) t = min_u64(t, c->stopping ? 0 : w->deadline_ms);
    int behind = c->list.len < fetch_target(c);
    if (behind || !c->probed) {
        uint64_t wait = behind ? c->cfg.fetch_retry_ms : c->cfg.probe_ms;
        t = min_u64(t, c->fetch_sent_ms == 0 ? 0 : c->fetch_sent_ms + wait);
    }
    return t;
}

int gw_core_complete(gw_core *c, gw_waiter *w, uint64_t now, gw_answer *a)
{
    if (w->phase == GW_PH_COMMAND) {
        unregister(c, w);
        w->outcome = gw_waiter_outcome(w);
        uint64_t need = w->outcome == GW_DONE ? list_needed(w) : 0;
        if (need > c->list.len && !c->stopping) {
            /* a restarted gateway: wait, without a thread, for the copy */
            w->phase = GW_PH_LIST;
            w->need = need;
            w->resumed = 0;
            lw_add(c, w);
            if (need > c->want_len) c->want_len = need;
            return 0;
        }
    } else if (w->phase == GW_PH_LIST) {
        lw_del(w);
    }
    w->phase = GW_PH_DONE;
    answer(c, w, now, a);
    return 1;
}

void gw_core_abandon(gw_core *c, gw_waiter *w)
{
    if (w->phase == GW_PH_COMMAND) unregister(c, w);
    else if (w->phase == GW_PH_LIST) lw_del(w);
    w->phase = GW_PH_DONE;
}

void gw_core_stop(gw_core *c)
{
    c->stopping = 1;
}

/* ---- messages from the local roles ---------------------------------------- */

/* A node that may lead, or 0: only members, and never with members
 * unset (then every REQUEST goes to our own proposer). */
static uint32_t leader_guess(const gw_core *c, uint32_t node)
{
    if (node < 1 || node > PX_MAX_NODES || !(c->cfg.members & (1u << node))) return 0;
    return node;
}

static void on_applied(gw_core *c, const px_applied *a)
{
    /* The node whose ballot decided the slot leads, as far as anyone knows. */
    uint32_t l = leader_guess(c, a->leader);
    if (l) c->leader = l;
    for (uint16_t i = 0; i < a->n && i < PX_MAX_BATCH; i++)
        gw_pending_result(&c->pend, a, &a->entries[i]);
    gw_list_on_applied(&c->list, a);
}

static void on_chunk(gw_core *c, const px_list_chunk *ch)
{
    c->probed = 1;
    c->fetch_sent_ms = 0; /* answered: the next chunk may be asked at once */
    gw_list_on_chunk(&c->list, ch);
}

int gw_core_handle(gw_core *c, const px_msg *m)
{
    switch (m->type) {
    case PX_MSG_APPLIED: on_applied(c, &m->u.applied); return 0;
    case PX_MSG_NACK:
        /* A proposer that knows no leader: our guess is no better. */
        if (m->u.nack.reason == PX_NACK_NO_LEADER) c->leader = 0;
        else if (leader_guess(c, m->u.nack.leader_hint)) c->leader = m->u.nack.leader_hint;
        gw_pending_nack(&c->pend, &m->u.nack);
        return 0;
    case PX_MSG_LIST_CHUNK: on_chunk(c, &m->u.list_chunk); return 0;
    default: return PX_REFUSE_UNEXPECTED_TYPE;
    }
}
