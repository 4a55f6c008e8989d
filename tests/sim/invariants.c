/* invariants.c -- the safety checks, run on every step.  Each hook looks
 * only at what the step changed (the messages it emitted, the core it
 * touched), which is the same as re-checking the whole world after every
 * step, since nothing else moved.  Ground truth lives in truth.c. */
#include <stdio.h>
#include <stdlib.h>
#include "sim.h"

#define B(b) (unsigned long long)(b).round, (b).node

static px_ballot bmax(px_ballot a, px_ballot b)
{
    return px_ballot_cmp(a, b) >= 0 ? a : b;
}

static void voted_set(sim_world *w, sim_node *nd, uint64_t slot, px_ballot b)
{
    if (slot >= SIM_MAX_SLOT) { sim_fail(w, "runaway slot", "ACCEPTED for slot %llu", (unsigned long long)slot); return; }
    if (slot >= nd->voted_cap) {
        size_t cap = nd->voted_cap ? nd->voted_cap : 256;
        while (cap <= slot) cap *= 2;
        nd->voted = realloc(nd->voted, cap * sizeof *nd->voted);
        if (!nd->voted) abort();
        for (size_t i = nd->voted_cap; i < cap; i++) nd->voted[i] = (px_ballot){0, 0};
        nd->voted_cap = cap;
    }
    nd->voted[slot] = bmax(nd->voted[slot], b);
}

static void on_accepted(sim_world *w, uint32_t from, const px_accepted *a)
{
    sim_node *nd = &w->nodes[from];
    if (a->acceptor != from) {
        sim_fail(w, "sender id", "n%u's acceptor signs ACCEPTED as acceptor %u", from, a->acceptor);
        return;
    }
    nd->acc_max_replied = bmax(nd->acc_max_replied, a->ballot);
    voted_set(w, nd, a->slot, a->ballot);
    if (!w->failed) truth_accepted(w, from, a);
}

/* A VOTE is an ACCEPTED with its value: the acceptor must have sent the
 * ACCEPTED for that (slot, ballot) -- it goes first, so the vote is
 * durable -- and the value must be the one proposed at that ballot. */
static void on_vote(sim_world *w, uint32_t from, const px_vote *v)
{
    const truth_vote *t = truth_find(w, v->slot, v->ballot);
    if (v->acceptor != from || !t || !(t->acks & (1u << from)) ||
        t->hash != inv_value_hash(&v->value))
        sim_fail(w, "vote", "n%u's acceptor sends VOTE(slot %llu, (%llu,%u)) %s", from,
                 (unsigned long long)v->slot, B(v->ballot),
                 v->acceptor != from ? "signed as another acceptor"
                 : !t ? "that no proposer proposed"
                 : !(t->acks & (1u << from)) ? "without its ACCEPTED"
                                             : "with another value than was proposed");
}

/* Every entry a promise reports must be a proposal some proposer made. */
static void on_promise(sim_world *w, uint32_t from, const px_promise *p)
{
    sim_node *nd = &w->nodes[from];
    nd->acc_max_replied = bmax(nd->acc_max_replied, p->ballot);
    for (uint8_t i = 0; i < p->n && i < PX_MAX_PROMISE_ENTRIES; i++) {
        const px_promise_entry *e = &p->entries[i];
        const truth_vote *v = truth_find(w, e->slot, e->vballot);
        if (w->opt.verbose)
            printf("           (n%u promise (%llu,%u) entry: slot %llu at (%llu,%u), %u cmds, "
                   "first client %llu seq %llu)\n", from, B(p->ballot),
                   (unsigned long long)e->slot, B(e->vballot), e->value.n,
                   e->value.n ? (unsigned long long)e->value.cmds[0].client : 0ull,
                   e->value.n ? (unsigned long long)e->value.cmds[0].seq : 0ull);
        if (!v || v->hash != inv_value_hash(&e->value)) {
            sim_fail(w, "promise report", "n%u reports slot %llu accepted at (%llu,%u) with a "
                     "value no proposer sent at that ballot", from,
                     (unsigned long long)e->slot, B(e->vballot));
            return;
        }
    }
}

/* A CHOSEN from a proposer must be backed by a real majority of emitted
 * ACCEPTEDs for that (slot, ballot, value); from a learner (catch-up) it
 * must carry the value really chosen. */
static void on_chosen(sim_world *w, uint32_t from, int role, const px_chosen *c)
{
    uint64_t h = inv_value_hash(&c->value);
    const truth_vote *t = truth_chosen(w, c->slot);
    if (t && t->hash != h) {
        sim_fail(w, "agreement", "n%u/%s announces slot %llu with a value other than the "
                 "one chosen at (%llu,%u)", from, px_role_name(role),
                 (unsigned long long)c->slot, B(t->b));
        return;
    }
    if (role != PX_ROLE_PROPOSER) {
        if (!t)
            sim_fail(w, "agreement", "n%u/%s serves slot %llu as chosen, but no majority voted "
                     "for it", from, px_role_name(role), (unsigned long long)c->slot);
        return;
    }
    const truth_vote *v = truth_find(w, c->slot, c->ballot);
    if (!v || v->hash != h || (uint32_t)__builtin_popcount(v->acks) < sim_majority(w) ||
        (c->acks & ~v->acks) != 0)
        sim_fail(w, "chosen without quorum",
                 "n%u announces slot %llu chosen at (%llu,%u) with acks 0x%x; acceptors "
                 "that really voted: 0x%x (majority is %u)", from, (unsigned long long)c->slot,
                 B(c->ballot), c->acks, v ? v->acks : 0, sim_majority(w));
}

/* Every result a learner reports must be the model's result for that
 * command: its index in the model list, or the list length for a read. */
static void on_applied(sim_world *w, uint32_t from, const px_applied *a)
{
    for (uint16_t i = 0; i < a->n && i < PX_MAX_BATCH; i++) {
        const px_applied_entry *e = &a->entries[i];
        if ((e->flags & PX_APPLIED_STALE) || e->cmd.seq == 0) continue;
        const sim_rec *rec = reg_find(w, e->cmd.client, e->cmd.seq);
        if (!rec || !rec->applied || e->result < rec->model_result || e->result > rec->model_last) {
            sim_fail(w, "result", "n%u's learner reports (client %llu, seq %llu) in slot %llu "
                     "with result %lld%s; the chosen log gives %lld", from,
                     (unsigned long long)e->cmd.client, (unsigned long long)e->cmd.seq,
                     (unsigned long long)a->slot, (long long)e->result,
                     (e->flags & PX_APPLIED_DUP) ? " (DUP)" : "",
                     rec && rec->applied ? (long long)rec->model_result : -1LL);
            return;
        }
    }
}

/* Trim safety, from the world's ground truth: slots below T may be
 * forgotten by acceptors only if a majority of learners hold durable
 * snapshots reaching T (each file is checked against the chosen log when
 * it becomes durable, snap.c).  The bound is the majority-th highest
 * durable snapshot slot over the nodes' simulated disks; files survive
 * crashes and only move up -- but for the snapshot-loss fault, which does
 * not take back what a learner reported: the bound counts the highest
 * slot each node ever had on disk, so it never goes down. */
uint64_t inv_trim_bound(const sim_world *w)
{
    uint64_t m[PX_MAX_NODES + 1];
    uint32_t n = 0;
    for (uint32_t id = 1; id <= w->n; id++) {
        uint64_t s = w->nodes[id].snap.high;
        uint32_t k = n++;
        for (; k > 0 && m[k - 1] < s; k--) m[k] = m[k - 1];
        m[k] = s;
    }
    uint32_t q = sim_majority(w);
    return q <= n ? m[q - 1] : 0;
}

/* A TRIM a proposer emits never reaches above what a majority of
 * learners really hold on disk. */
static void on_trim(sim_world *w, uint32_t from, const px_trim *t)
{
    uint64_t b = inv_trim_bound(w);
    if (t->below > b)
        sim_fail(w, "trim safety", "n%u's proposer sends TRIM(%llu); a majority of learners "
                 "hold durable snapshots only up to %llu", from, (unsigned long long)t->below,
                 (unsigned long long)b);
}

static void check_trimmed(sim_world *w, uint32_t id)
{
    uint64_t t = acceptor_trimmed(w->nodes[id].acc), b = inv_trim_bound(w);
    if (t > b) {
        sim_fail(w, "trim safety", "n%u's acceptor trimmed below %llu; a majority of learners "
                 "hold durable snapshots only up to %llu", id, (unsigned long long)t,
                 (unsigned long long)b);
        return;
    }
    if (t > w->stat_trimmed) w->stat_trimmed = t;
}

/* The ballot of a proposer's PREPARE / ACCEPT / HEARTBEAT, or NULL. */
static const px_ballot *own_ballot(const px_msg *m)
{
    switch (m->type) {
    case PX_MSG_PREPARE: return &m->u.prepare.ballot;
    case PX_MSG_ACCEPT: return &m->u.accept.ballot;
    case PX_MSG_HEARTBEAT: return &m->u.heartbeat.ballot;
    default: return NULL;
    }
}

/* The proposer's durability contract (proposer.h): no ballot of its own
 * leaves before its round is persisted, or a restart could reuse it. */
static void check_round_persisted(sim_world *w, uint32_t from, const px_msg *m)
{
    const px_ballot *b = own_ballot(m);
    if (b == NULL || b->node != from || b->round <= w->nodes[from].prop_round) return;
    sim_fail(w, "ballot not persisted",
             "n%u's proposer sends type %u at (%llu,%u), persisted round %llu", from, m->type,
             B(*b), (unsigned long long)w->nodes[from].prop_round);
}

void inv_on_send(sim_world *w, uint32_t from, int role, const px_msg *m)
{
    if (role == PX_ROLE_PROPOSER) check_round_persisted(w, from, m);
    switch (m->type) {
    case PX_MSG_ACCEPT:
        if (role == PX_ROLE_PROPOSER) truth_propose(w, from, &m->u.accept);
        break;
    case PX_MSG_ACCEPTED:
        if (role == PX_ROLE_ACCEPTOR) on_accepted(w, from, &m->u.accepted);
        break;
    case PX_MSG_PROMISE:
        if (role == PX_ROLE_ACCEPTOR) on_promise(w, from, &m->u.promise);
        break;
    case PX_MSG_VOTE:
        if (role == PX_ROLE_ACCEPTOR) on_vote(w, from, &m->u.vote);
        break;
    case PX_MSG_CHOSEN:
        on_chosen(w, from, role, &m->u.chosen);
        break;
    case PX_MSG_APPLIED:
        if (role == PX_ROLE_LEARNER) on_applied(w, from, &m->u.applied);
        break;
    case PX_MSG_TRIM:
        if (role == PX_ROLE_PROPOSER) on_trim(w, from, &m->u.trim);
        break;
    default:
        break;
    }
}

/* The promise never goes down; nothing is accepted below the promise that
 * stood when the ACCEPT arrived (acc_promised, kept after every step); and the acceptor never holds less than it
 * already told someone (its replies are what proposers build on). */
void inv_after_acceptor(sim_world *w, uint32_t id, const px_msg *in, const acc_records *rec)
{
    sim_node *nd = &w->nodes[id];
    if (w->failed || !nd->up[PX_ROLE_ACCEPTOR]) return;
    px_ballot before = nd->acc_promised, p = acceptor_promised(nd->acc);
    for (size_t i = 0; i < rec->n; i++) {
        const acc_record *r = &rec->v[i];
        if (px_ballot_cmp(r->ballot, before) < 0) {
            sim_fail(w, r->type == ACC_REC_ACCEPT ? "accept below promise" : "promise went down",
                     "n%u's acceptor, promised (%llu,%u), records %s at (%llu,%u) slot %llu",
                     id, B(before), r->type == ACC_REC_ACCEPT ? "ACCEPT" : "PROMISE",
                     B(r->ballot), (unsigned long long)r->slot);
            return;
        }
    }
    if (px_ballot_cmp(p, before) < 0) {
        sim_fail(w, "promise went down", "n%u's acceptor promised (%llu,%u), now (%llu,%u)",
                 id, B(before), B(p));
        return;
    }
    if (in && in->type == PX_MSG_ACCEPT) {
        px_ballot vb;
        const px_value *v;
        if (acceptor_accepted(nd->acc, in->u.accept.slot, &vb, &v) && px_ballot_cmp(vb, p) > 0) {
            sim_fail(w, "accept below promise", "n%u's acceptor holds slot %llu at (%llu,%u) "
                     "above its promise (%llu,%u)", id, (unsigned long long)in->u.accept.slot,
                     B(vb), B(p));
            return;
        }
    }
    if (px_ballot_cmp(p, nd->acc_max_replied) < 0) {
        sim_fail(w, "acceptor forgot promise", "n%u's acceptor replied at (%llu,%u) but its "
                 "promise is (%llu,%u)", id, B(nd->acc_max_replied), B(p));
        return;
    }
    nd->acc_promised = p;
    check_trimmed(w, id);
}

/* After a restart the acceptor holds every promise and vote it replied
 * about: those were durable before it replied -- except votes below its
 * compaction mark, which it forgot on purpose (trim safety bounds the mark). */
void inv_acceptor_restarted(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    px_ballot p = acceptor_promised(nd->acc);
    if (px_ballot_cmp(p, nd->acc_max_replied) < 0) {
        sim_fail(w, "acceptor forgot promise", "n%u's acceptor restarts promised (%llu,%u) but "
                 "had replied at (%llu,%u)", id, B(p), B(nd->acc_max_replied));
        return;
    }
    uint64_t trimmed = acceptor_trimmed(nd->acc);
    for (size_t s = trimmed; s < nd->voted_cap; s++) {
        if (px_ballot_is_zero(nd->voted[s])) continue;
        px_ballot vb;
        const px_value *v;
        if (!acceptor_accepted(nd->acc, s, &vb, &v) || px_ballot_cmp(vb, nd->voted[s]) < 0) {
            sim_fail(w, "acceptor forgot vote", "n%u's acceptor sent ACCEPTED(slot %zu, (%llu,%u)) "
                     "but restarts without it (its mark is %llu)", id, s, B(nd->voted[s]),
                     (unsigned long long)trimmed);
            return;
        }
    }
    nd->acc_promised = p;
    check_trimmed(w, id);
}

static void list_mismatch(sim_world *w, uint32_t id, size_t i, int64_t got)
{
    const sim_rec *rec = reg_by_value(w, got);
    if (rec && rec->applied && rec->model_result < (int64_t)i)
        sim_fail(w, "at-most-once", "n%u's list holds value %lld at %zu, applied already at %lld",
                 id, (long long)got, i, (long long)rec->model_result);
    else
        sim_fail(w, "agreement", "n%u's list holds %lld at index %zu; the chosen log has %lld "
                 "there", id, (long long)got, i, (long long)w->model[i]);
}

/* A learner took or installed a snapshot point in its last step.  An
 * install (from a peer's SNAP_CHUNK) replaces the list and everything
 * below the point: the whole list is checked again, and the slots inside
 * the snapshot have no values to check (they are not retained).  A point
 * taken while applying keeps its last slot; an installed one does not. */
static void learner_new_point(sim_world *w, sim_node *nd, uint64_t point)
{
    const px_value *v;
    nd->lrn_checked_len = 0;
    if (point > nd->lrn_checked_slot && !learner_chosen_value(nd->lrn, point - 1, &v)) {
        w->stat_installs++;
        w->stat_lost_installs += (uint64_t)nd->snap_lost;
        nd->snap_lost = 0;
        nd->lrn_checked_slot = point;
    }
}

/* Learners apply in slot order: every learner's list is a prefix of the
 * model list -- exactly the model list after every slot it applied --
 * and every slot it applied holds the chosen value. */
void inv_after_learner(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    if (w->failed || !nd->up[PX_ROLE_LEARNER]) return;
    size_t len;
    const int64_t *list = learner_list(nd->lrn, &len);
    if (len < nd->lrn_checked_len) {
        sim_fail(w, "list shrank", "n%u's list went from %zu to %zu", id, nd->lrn_checked_len, len);
        return;
    }
    uint64_t point = learner_snapshot_pending(nd->lrn), recv = learner_snapshot_receiving(nd->lrn);
    if ((point && point != nd->lrn_point) || (nd->lrn_receiving && !recv))
        learner_new_point(w, nd, point);
    nd->lrn_point = point;
    nd->lrn_receiving = recv;
    for (size_t i = nd->lrn_checked_len; i < len; i++) {
        if (i >= w->model_len) {
            sim_fail(w, "agreement", "n%u's list has %zu elements; the chosen log only %zu",
                     id, len, w->model_len);
            return;
        }
        if (list[i] != w->model[i]) { list_mismatch(w, id, i, list[i]); return; }
    }
    nd->lrn_checked_len = len;
    uint64_t upto = learner_applied_upto(nd->lrn);
    if (upto > w->model_next || len != truth_model_at(w, upto)) {
        sim_fail(w, "agreement", "n%u's learner applied every slot below %llu with %zu list "
                 "elements; the chosen log is contiguous below %llu and has %zu elements there",
                 id, (unsigned long long)upto, len, (unsigned long long)w->model_next,
                 upto > w->model_next ? w->model_len : truth_model_at(w, upto));
        return;
    }
    for (uint64_t s = nd->lrn_checked_slot; s < upto; s++) {
        const px_value *v;
        if (!learner_chosen_value(nd->lrn, s, &v)) continue;
        const truth_vote *t = truth_chosen(w, s);
        if (!t || t->hash != inv_value_hash(v)) {
            sim_fail(w, "agreement", "n%u's learner applied slot %llu with a value %s", id,
                     (unsigned long long)s, t ? "other than the chosen one" : "nobody chose");
            return;
        }
    }
    if (upto > nd->lrn_checked_slot) nd->lrn_checked_slot = upto;
}

/* Liveness at the end: once the workload is done, every learner reaches
 * the end of the chosen log -- including learners that restarted behind
 * what their peers retain, which need a snapshot transfer and then the
 * tail.  Lists are prefixes of the model (checked every step), so equal
 * lengths mean equal lists.  With report, a learner that has not got
 * there fails `liveness`. */
int inv_converged(sim_world *w, int report)
{
    for (uint32_t id = 1; id <= w->n; id++) {
        const sim_node *nd = &w->nodes[id];
        size_t len = 0;
        uint64_t upto = 0;
        if (nd->up[PX_ROLE_LEARNER]) {
            learner_list(nd->lrn, &len);
            upto = learner_applied_upto(nd->lrn);
        }
        if (upto >= w->model_next && len == w->model_len) continue;
        if (report)
            sim_fail(w, "liveness", "n%u's learner %s at slot %llu with %zu elements; the "
                     "chosen log reaches slot %llu with %zu (snapshot %llu on disk, receiving "
                     "%llu)", id, nd->up[PX_ROLE_LEARNER] ? "stays" : "is down",
                     (unsigned long long)upto, len, (unsigned long long)w->model_next,
                     w->model_len, (unsigned long long)nd->snap.slot,
                     nd->up[PX_ROLE_LEARNER]
                         ? (unsigned long long)learner_snapshot_receiving(nd->lrn) : 0ull);
        return 0;
    }
    return 1;
}

/* Results respect real time: an op invoked after another completed sees
 * it (index or length at least the watermark when it was invoked); then
 * it raises the watermark for the ops invoked after it completes. */
void inv_real_time(sim_world *w, const sim_client *c, const sim_cmd *cmd, int64_t result)
{
    uint64_t seq = (uint64_t)(cmd - c->cmds);
    if (result < 0 || (uint64_t)result < cmd->watermark) {
        sim_fail(w, "real-time", "client %llu op %llu (%s) got %lld, but an operation that "
                 "completed before it was invoked needs >= %llu", (unsigned long long)c->id,
                 (unsigned long long)seq, cmd->kind == PX_CMD_APPEND ? "append" : "read",
                 (long long)result, (unsigned long long)cmd->watermark);
        return;
    }
    uint64_t mark = (uint64_t)result + (cmd->kind == PX_CMD_APPEND ? 1 : 0);
    if (mark > w->rt_watermark) w->rt_watermark = mark;
}

/* A direct client's acknowledged command: its result is the chosen log's,
 * and respects real time. */
void inv_on_complete(sim_world *w, sim_client *c, sim_cmd *cmd, uint32_t node)
{
    if (cmd->state != 1) return; /* STALE: result unknown */
    uint64_t seq = (uint64_t)(cmd - c->cmds);
    const sim_rec *rec = &w->recs[cmd->rec];
    if (!rec->applied || cmd->result < rec->model_result || cmd->result > rec->model_last) {
        sim_fail(w, "result", "client %llu seq %llu acknowledged by n%u with %lld; the chosen "
                 "log gives %lld", (unsigned long long)c->id, (unsigned long long)seq, node,
                 (long long)cmd->result, rec->applied ? (long long)rec->model_result : -1LL);
        return;
    }
    inv_real_time(w, c, cmd, cmd->result);
}
