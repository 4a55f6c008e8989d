/* requests.c -- client commands: the bounded queue at the leader (and at a
 * candidate, which serves it if it wins), forwarding to the leader, NACKs.
 *
 * Nothing here is ever retried by the proposer: a command that is dropped
 * or NACKed is retried by the gateway under the same (client, seq), and the
 * learners' dedup makes a retry that was in fact chosen harmless. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int prop_queue_init(struct proposer *p)
{
    p->q.cap = p->cfg.queue_max;
    p->q.v = calloc(p->q.cap, sizeof *p->q.v);
    p->q.at = calloc(p->q.cap, sizeof *p->q.at);
    return p->q.v && p->q.at ? 0 : -1;
}

static int queue_push(struct proposer *p, const px_request *r, uint64_t now)
{
    prop_queue *q = &p->q;
    if (q->n == q->cap) return -1;
    uint32_t i = (q->head + q->n) % q->cap;
    q->v[i] = *r;
    q->at[i] = now;
    q->n++;
    return 0;
}

/* When the oldest queued command arrived; the queue must not be empty. */
uint64_t prop_queue_oldest(const struct proposer *p)
{
    return p->q.at[p->q.head];
}

int prop_queue_take(struct proposer *p, px_request *r)
{
    prop_queue *q = &p->q;
    if (q->n == 0) return 0;
    *r = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return 1;
}

/* Tells the gateway waiting for r that it was not taken, with our best
 * guess of the leader so the gateway can say where to retry. */
static void send_nack(struct proposer *p, const px_request *r, int reason, px_outbox *out)
{
    /* origin 0 would address every gateway; a malformed request gets no answer. */
    if (!prop_is_member(p, r->origin)) return;
    px_msg *m = prop_msg(p, PX_MSG_NACK);
    memset(&m->u.nack, 0, sizeof m->u.nack);
    m->u.nack.client = r->cmd.client;
    m->u.nack.seq = r->cmd.seq;
    m->u.nack.reason = (uint8_t)reason;
    m->u.nack.leader_hint = p->leader;
    m->u.nack.attempt = r->attempt;
    px_outbox_push(out, PX_ROLE_GATEWAY, r->origin, m);
}

/* Passes r on to the leader we know.  hops bounds the forwarding chain:
 * two proposers that each believe the other leads would bounce it forever. */
static void forward(struct proposer *p, const px_request *r, px_outbox *out)
{
    if (r->hops >= PROP_MAX_HOPS) {
        send_nack(p, r, PX_NACK_TOO_MANY_HOPS, out);
        return;
    }
    px_msg *m = prop_msg(p, PX_MSG_REQUEST);
    memset(&m->u.request, 0, sizeof m->u.request);
    m->u.request.cmd = r->cmd;
    m->u.request.origin = r->origin;
    m->u.request.hops = (uint8_t)(r->hops + 1);
    m->u.request.attempt = r->attempt;
    px_outbox_push(out, PX_ROLE_PROPOSER, p->leader, m);
}

/* A request we do not keep: to the leader if one is known, else NACK. */
static void route(struct proposer *p, const px_request *r, px_outbox *out)
{
    if (p->leader != 0 && p->leader != p->cfg.id)
        forward(p, r, out);
    else
        send_nack(p, r, PX_NACK_NO_LEADER, out);
}

/* A leader queues (prop_pump then opens slots); a candidate queues too,
 * since it is probably about to lead; a follower routes. */
void prop_on_request(struct proposer *p, const px_request *r, uint64_t now, px_outbox *out)
{
    if (p->state == PROPOSER_FOLLOWER) {
        route(p, r, out);
        return;
    }
    if (queue_push(p, r, now) != 0) send_nack(p, r, PX_NACK_BUSY, out);
}

/* On stepping down: queued commands go to the new leader if known (in
 * order), else are NACKed so the gateway retries soon. */
void prop_queue_flush(struct proposer *p, px_outbox *out)
{
    px_request r;
    while (prop_queue_take(p, &r)) route(p, &r, out);
}
