/* trace.c -- the last SIM_TRACE events, kept raw and formatted only when
 * needed (a violation report, or -v which prints every event), and the
 * violation record itself. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "sim.h"

static const char *ev_name(int kind)
{
    static const char *names[] = {"?", "MSG", "TIMER", "SYNC", "RESTART", "FAULT", "HEAL",
                                  "CALM", "CLIENT", "SEND", "TIMEOUT", "LIVENESS",
                                  "SNAP-WRITE", "SETTLE", "HTTP-REQ", "HTTP-ANS"};
    return kind >= 0 && kind <= EV_HTTP_ANS ? names[kind] : "?";
}

/* The fields of a message worth seeing in a trace. */
static void msg_fields(trace_ent *t, const px_msg *m)
{
    t->type = m->type;
    switch (m->type) {
    case PX_MSG_PREPARE: t->b = m->u.prepare.ballot; t->slot = m->u.prepare.from_slot; break;
    case PX_MSG_PROMISE:
        t->b = m->u.promise.ballot;
        t->slot = m->u.promise.next_slot;
        t->x = m->u.promise.n * 10u + m->u.promise.done;
        break;
    case PX_MSG_ACCEPT: t->b = m->u.accept.ballot; t->slot = m->u.accept.slot; t->x = m->u.accept.value.n; break;
    case PX_MSG_ACCEPTED: t->b = m->u.accepted.ballot; t->slot = m->u.accepted.slot; break;
    case PX_MSG_VOTE: t->b = m->u.vote.ballot; t->slot = m->u.vote.slot; t->x = m->u.vote.value.n; break;
    case PX_MSG_REJECT: t->b = m->u.reject.promised; t->slot = m->u.reject.slot; break;
    case PX_MSG_CHOSEN: t->b = m->u.chosen.ballot; t->slot = m->u.chosen.slot; t->x = m->u.chosen.value.n; break;
    case PX_MSG_HEARTBEAT: t->b = m->u.heartbeat.ballot; t->slot = m->u.heartbeat.chosen_upto; break;
    case PX_MSG_REQUEST: t->slot = m->u.request.cmd.seq; t->x = m->u.request.cmd.client; break;
    case PX_MSG_NACK: t->slot = m->u.nack.seq; t->x = m->u.nack.reason; break;
    case PX_MSG_CATCHUP: t->slot = m->u.catchup.from_slot; break;
    case PX_MSG_LEARNED: t->slot = m->u.learned.applied_upto; t->x = m->u.learned.snapshot_upto; break;
    case PX_MSG_TRIM: t->b = m->u.trim.ballot; t->slot = m->u.trim.below; break;
    case PX_MSG_SNAP_REQ: t->slot = m->u.snap_req.snap_slot; t->x = m->u.snap_req.offset; break;
    case PX_MSG_SNAP_CHUNK: t->slot = m->u.snap_chunk.snap_slot; t->x = m->u.snap_chunk.offset; break;
    case PX_MSG_APPLIED: t->slot = m->u.applied.slot; t->x = m->u.applied.n; break;
    default: break;
    }
}

static void trace_fmt(const trace_ent *t, char *buf, size_t len)
{
    if (t->note) {
        snprintf(buf, len, "%8llu ms  ** %s n%u%s%s x=%llu", (unsigned long long)t->time, t->note,
                 t->node, t->role ? "/" : "", t->role ? px_role_name(t->role) : "",
                 (unsigned long long)t->x);
    } else if (t->kind == EV_MSG) {
        snprintf(buf, len, "%8llu ms  n%u/%s <- n%u %s b=(%llu,%u) slot=%llu x=%llu%s",
                 (unsigned long long)t->time, t->node, px_role_name(t->role), t->from,
                 px_msg_type_name(t->type), (unsigned long long)t->b.round, t->b.node,
                 (unsigned long long)t->slot, (unsigned long long)t->x,
                 t->dropped ? "  [dropped]" : "");
    } else {
        snprintf(buf, len, "%8llu ms  %s n%u%s%s token=%llu", (unsigned long long)t->time,
                 ev_name(t->kind), t->node, t->role ? "/" : "",
                 t->role ? px_role_name(t->role) : "", (unsigned long long)t->x);
    }
}

static trace_ent *trace_next(sim_world *w)
{
    trace_ent *t = &w->trace[w->trace_n++ % SIM_TRACE];
    memset(t, 0, sizeof *t);
    t->time = w->now;
    return t;
}

static void trace_echo(const sim_world *w, const trace_ent *t)
{
    if (!w->opt.verbose) return;
    char buf[256];
    trace_fmt(t, buf, sizeof buf);
    printf("%s\n", buf);
}

void trace_add(sim_world *w, const sim_event *e, const px_msg *m)
{
    trace_ent *t = trace_next(w);
    t->kind = e->kind;
    t->role = e->role;
    t->node = e->node;
    t->from = e->from;
    t->x = e->token;
    if (m) msg_fields(t, m);
    trace_echo(w, t);
}

void trace_note(sim_world *w, const char *note, uint32_t node, int role, uint64_t x)
{
    trace_ent *t = trace_next(w);
    t->note = note;
    t->node = node;
    t->role = (uint8_t)role;
    t->x = x;
    trace_echo(w, t);
}

void trace_dump(const sim_world *w)
{
    uint64_t first = w->trace_n > SIM_TRACE ? w->trace_n - SIM_TRACE : 0;
    char buf[256];
    printf("  last %llu events (time, destination <- source, message, ballot, slot, extra):\n",
           (unsigned long long)(w->trace_n - first));
    for (uint64_t i = first; i < w->trace_n; i++) {
        trace_fmt(&w->trace[i % SIM_TRACE], buf, sizeof buf);
        printf("    %s\n", buf);
    }
}

void sim_fail(sim_world *w, const char *inv, const char *fmt, ...)
{
    if (w->failed) return;
    w->failed = 1;
    snprintf(w->inv, sizeof w->inv, "%s", inv);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->detail, sizeof w->detail, fmt, ap);
    va_end(ap);
}
