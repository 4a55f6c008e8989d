/* phase2.c -- choosing slots: the in-flight table, ACCEPT, ACCEPTED,
 * retransmits, the contiguous chosen prefix, and CHOSEN for catch-up
 * re-proposals (learners decide fresh slots from the acceptors' VOTEs).
 *
 * The table has `pipeline` entries, allocated once: the hot path never
 * mallocs.  A slot normally lives at index slot % pipeline; catch-up
 * re-proposals (slots far below the window) take any free entry, so lookup
 * tries the home index first and scans on a miss.  A slot chosen above one
 * still open stays in the table (SLOT_CHOSEN) until the prefix reaches it,
 * which is how out-of-order completion advances chosen_upto correctly; it
 * also bounds how far the window can run ahead of a stuck slot.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "../common/quorum.h"
#include "../common/refuse.h"

int prop_slots_init(struct proposer *p)
{
    p->slots = calloc(p->cfg.pipeline, sizeof *p->slots);
    return p->slots ? 0 : -1;
}

/* Forgets every slot in flight (on losing or regaining leadership): their
 * fate is settled by whichever leader runs phase 1 next. */
void prop_slots_abandon(struct proposer *p)
{
    for (uint32_t i = 0; i < p->cfg.pipeline; i++) p->slots[i].state = SLOT_FREE;
    p->n_used = p->n_open = 0;
}

static prop_slot *slot_find(struct proposer *p, uint64_t slot)
{
    prop_slot *e = &p->slots[slot % p->cfg.pipeline];
    if (e->state != SLOT_FREE && e->slot == slot) return e;
    for (uint32_t i = 0; i < p->cfg.pipeline; i++) {
        e = &p->slots[i];
        if (e->state != SLOT_FREE && e->slot == slot) return e;
    }
    return NULL;
}

/* A free entry for slot; the caller checked n_used < pipeline. */
static prop_slot *slot_alloc(struct proposer *p, uint64_t slot)
{
    prop_slot *e = &p->slots[slot % p->cfg.pipeline];
    if (e->state == SLOT_FREE) return e;
    for (uint32_t i = 0; i < p->cfg.pipeline; i++)
        if (p->slots[i].state == SLOT_FREE) return &p->slots[i];
    abort(); /* n_used lied: a bug, not a condition */
}

/* Whether queued client commands should get a slot now rather than wait
 * to fill a bigger one (the rule and its defaults are at PROP_OPEN_MAX in internal.h).  With
 * no slot open this is always true: a lone client never waits. */
static int batch_due(const struct proposer *p, uint64_t now)
{
    if (p->q.n == 0) return 0;
    return p->n_open < p->cfg.open_max || p->q.n >= p->cfg.batch_max ||
           now >= prop_queue_oldest(p) + p->cfg.batch_wait_ms;
}

/* What goes into the next slot: re-proposals from the last read first
 * (they fill the log below fresh slots, and never wait), then up to
 * batch_max queued client commands if batch_due.  Returns 0 if there is
 * nothing to propose now. */
static int next_proposal(struct proposer *p, uint64_t now, uint64_t *slot, px_value *v)
{
    if (prop_rec_take(p, slot, v)) return 1;
    if (!batch_due(p, now)) return 0;
    memset(v, 0, sizeof *v);
    px_request r;
    while (v->n < p->cfg.batch_max && prop_queue_take(p, &r)) v->cmds[v->n++] = r.cmd;
    *slot = p->next_slot++;
    return 1;
}

/* When a slot for queued commands is due by the wait bound, for
 * proposer_next_deadline.  Only while the pipeline has room: when it is
 * full an ACCEPTED frees it and proposer_handle pumps, and a past deadline
 * would make the host spin. */
uint64_t prop_batch_deadline(const struct proposer *p)
{
    if (p->q.n == 0 || p->n_used >= p->cfg.pipeline) return UINT64_MAX;
    return prop_queue_oldest(p) + p->cfg.batch_wait_ms;
}

/* Opens slots while the pipeline has room and there is something to
 * propose: recovery re-proposals at once, client commands when batch_due.
 * The value is built in place in the outgoing ACCEPT. */
void prop_pump(struct proposer *p, uint64_t now, px_outbox *out)
{
    if (p->state != PROPOSER_LEADER) return;
    while (p->n_used < p->cfg.pipeline) {
        px_msg *m = prop_msg(p, PX_MSG_ACCEPT);
        uint64_t slot;
        if (!next_proposal(p, now, &slot, &m->u.accept.value)) return;
        m->u.accept.ballot = p->ballot;
        m->u.accept.slot = slot;
        prop_slot *e = slot_alloc(p, slot);
        e->state = SLOT_OPEN;
        e->slot = slot;
        e->acks = 0;
        e->sent_at = now;
        e->value = m->u.accept.value;
        p->n_used++;
        p->n_open++;
        px_outbox_push(out, PX_ROLE_ACCEPTOR, PX_NODE_ALL, m);
    }
}

/* Frees CHOSEN entries at the head of the log and moves chosen_upto past
 * them, so it only ever covers a gap-free prefix. */
static void advance_prefix(struct proposer *p);

/* An acceptor's mark says every slot below `below` is chosen and covered by
 * learners' snapshots (a REJECT of one of our ACCEPTs there).  Entries
 * below are released without a CHOSEN -- we do not know what was chosen
 * there, and the learners do -- and nothing below is proposed again:
 * chosen_upto, next_slot and the floor (which prop_rec_take respects) all
 * move up to it. */
void prop_slots_trimmed(struct proposer *p, uint64_t below)
{
    if (below > p->floor) p->floor = below;
    for (uint32_t i = 0; i < p->cfg.pipeline; i++) {
        prop_slot *e = &p->slots[i];
        if (e->state == SLOT_FREE || e->slot >= below) continue;
        if (e->state == SLOT_OPEN) p->n_open--;
        e->state = SLOT_FREE;
        p->n_used--;
    }
    if (p->chosen_upto < below) p->chosen_upto = below;
    if (p->next_slot < below) p->next_slot = below;
    advance_prefix(p);
}

static void advance_prefix(struct proposer *p)
{
    prop_slot *e;
    while ((e = slot_find(p, p->chosen_upto)) != NULL && e->state == SLOT_CHOSEN) {
        e->state = SLOT_FREE;
        p->n_used--;
        p->chosen_upto++;
    }
}

/* Tells every learner that e is chosen, with the acks as proof. */
static void announce(struct proposer *p, const prop_slot *e, px_outbox *out)
{
    px_msg *m = prop_msg(p, PX_MSG_CHOSEN);
    m->u.chosen.slot = e->slot;
    m->u.chosen.ballot = p->ballot;
    m->u.chosen.acks = e->acks;
    m->u.chosen.value = e->value;
    px_outbox_push(out, PX_ROLE_LEARNER, PX_NODE_ALL, m);
}

/* A quorum accepted e at our ballot: release the entry (or park it until
 * the prefix catches up).  The learners decided it themselves from the
 * acceptors' VOTEs, which left with these ACCEPTEDs, so a fresh slot needs
 * no CHOSEN (one message per learner and one hop saved per slot).  A
 * re-proposal inside the prefix is a catch-up re-read for learners that
 * lost the slot: they get it announced as before. */
static void slot_chosen(struct proposer *p, prop_slot *e, px_outbox *out)
{
    p->slots_chosen++;
    p->commands_chosen += e->value.n;
    p->slots_by_commands[e->value.n <= PX_MAX_BATCH ? e->value.n : PX_MAX_BATCH]++;
    p->n_open--;
    if (e->slot < p->chosen_upto) { /* a re-proposal inside the prefix */
        announce(p, e, out);
        e->state = SLOT_FREE;
        p->n_used--;
        return;
    }
    e->state = SLOT_CHOSEN;
    advance_prefix(p);
}

/* Duplicates set a bit already set; answers for another ballot, or for a
 * slot already chosen or abandoned, are ignored. */
int prop_on_accepted(struct proposer *p, const px_accepted *a, px_outbox *out)
{
    /* An acceptor votes only under a real ballot: (0,0) is none. */
    if (px_ballot_is_zero(a->ballot)) return PX_REFUSE_BALLOT_ZERO;
    if (a->ballot.round > PX_MAX_ROUND) return PX_WIRE_BALLOT_BAD;
    if (p->state != PROPOSER_LEADER || px_ballot_cmp(a->ballot, p->ballot) != 0) return 0;
    prop_slot *e = slot_find(p, a->slot);
    if (e == NULL || e->state != SLOT_OPEN) return 0;
    /* The acceptor is the sender, a member (proposer_handle checked): one
     * peer sets one bit, so acks counts distinct acceptors. */
    e->acks |= 1u << a->acceptor;
    if (px_acks_count(e->acks) >= px_quorum(p->cfg.n_nodes)) slot_chosen(p, e, out);
    return 0;
}

/* Resends ACCEPT, only to the acceptors that have not answered, for slots
 * open longer than retransmit_ms (lost messages, a slow disk). */
void prop_accept_retransmit(struct proposer *p, uint64_t now, px_outbox *out)
{
    for (uint32_t i = 0; i < p->cfg.pipeline; i++) {
        prop_slot *e = &p->slots[i];
        if (e->state != SLOT_OPEN || now < e->sent_at + p->cfg.retransmit_ms) continue;
        e->sent_at = now;
        px_msg *m = prop_msg(p, PX_MSG_ACCEPT);
        m->u.accept.ballot = p->ballot;
        m->u.accept.slot = e->slot;
        m->u.accept.value = e->value;
        for (uint32_t k = 0; k < p->cfg.n_nodes; k++) {
            uint32_t id = p->cfg.node_ids[k];
            if (prop_is_member(p, id) && !(e->acks & (1u << id)))
                px_outbox_push(out, PX_ROLE_ACCEPTOR, id, m);
        }
    }
}

uint64_t prop_accept_deadline(const struct proposer *p)
{
    uint64_t d = UINT64_MAX;
    for (uint32_t i = 0; i < p->cfg.pipeline; i++) {
        const prop_slot *e = &p->slots[i];
        if (e->state == SLOT_OPEN && e->sent_at + p->cfg.retransmit_ms < d)
            d = e->sent_at + p->cfg.retransmit_ms;
    }
    return d;
}
