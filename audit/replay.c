/* replay.c -- the chosen log through the learner core (see replay.h). */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "../learner/learner.h"

int audit_replay_init(audit_replay *rp, const audit_state *st)
{
    learner_config cfg;
    memset(rp, 0, sizeof *rp);
    memset(&cfg, 0, sizeof cfg);
    cfg.id = st->n_members ? st->members[0] : 1;
    cfg.n_nodes = st->n_members;
    for (uint32_t i = 0; i < st->n_members; i++) {
        cfg.node_ids[i] = st->members[i];
        rp->acks |= 1u << st->members[i];
    }
    /* No catch-up, status or snapshot points: only applying matters. */
    cfg.catchup_ms = UINT64_MAX / 4;
    cfg.status_ms = UINT64_MAX / 4;
    cfg.dedup_max = LEARNER_DEDUP_MAX;
    cfg.snapshot_every = 0;
    rp->core = learner_new(&cfg, 0);
    rp->msg = calloc(1, sizeof *rp->msg);
    px_outbox_init(&rp->out);
    if (rp->core == NULL || rp->msg == NULL) {
        audit_replay_free(rp);
        return -1;
    }
    return 0;
}

void audit_replay_free(audit_replay *rp)
{
    learner_free(rp->core);
    px_outbox_free(&rp->out);
    free(rp->msg);
    free(rp->slot_of);
    free(rp->dd);
    memset(rp, 0, sizeof *rp);
}

/* Notes which slot appended the elements from `from` on. */
static void note_slots(audit_replay *rp, size_t from, size_t len, uint64_t slot)
{
    if (len > rp->slot_cap) {
        size_t cap = rp->slot_cap ? rp->slot_cap : 4096;
        while (cap < len) cap *= 2;
        rp->slot_of = realloc(rp->slot_of, cap * sizeof *rp->slot_of);
        if (rp->slot_of == NULL) abort();
        rp->slot_cap = cap;
    }
    for (size_t i = from; i < len; i++) rp->slot_of[i] = slot;
}

int audit_replay_apply(audit_replay *rp, const audit_state *st, px_ballot ballot, uint32_t value)
{
    size_t before, after;
    learner_list(rp->core, &before);
    memset(rp->msg, 0, offsetof(px_msg, u) + sizeof(px_chosen));
    rp->msg->type = PX_MSG_CHOSEN;
    rp->msg->from = st->n_members ? st->members[0] : 1;
    px_chosen *c = &rp->msg->u.chosen;
    c->slot = rp->next;
    c->ballot = ballot;
    c->acks = rp->acks;
    audit_value_get(&st->values, value, &c->value);
    int why = learner_handle(rp->core, rp->msg, 0, &rp->out);
    px_outbox_clear(&rp->out); /* APPLIED messages for a gateway: nobody listens */
    if (why != 0 || learner_applied_upto(rp->core) != rp->next + 1) return why ? why : -1;
    /* Retained values serve peers; the replay has none. */
    learner_forget_below(rp->core, rp->next + 1);
    learner_list(rp->core, &after);
    note_slots(rp, before, after, rp->next);
    rp->next++;
    return 0;
}

const int64_t *audit_replay_list(const audit_replay *rp, size_t *len)
{
    return learner_list(rp->core, len);
}

const dedup_entry *audit_replay_dedup(audit_replay *rp, size_t *n)
{
    const dedup *d = learner_dedup(rp->core);
    if (d->n > rp->dd_cap || rp->dd == NULL) { /* never NULL: dedup_export sorts it */
        rp->dd_cap = d->n ? d->n : 1;
        rp->dd = realloc(rp->dd, rp->dd_cap * sizeof *rp->dd);
        if (rp->dd == NULL) abort();
    }
    dedup_export(d, rp->dd);
    *n = d->n;
    return rp->dd;
}
