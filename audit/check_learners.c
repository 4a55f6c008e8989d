/* check_learners.c -- what learners hold against the chosen log (see
 * check.h), and trim marks against the learners' snapshots.
 *
 * Why every learner's state must be the chosen log's state: a learner
 * applies slot s only from a CHOSEN the leader sent once a majority
 * answered ACCEPTED under one ballot -- each only after its vote was
 * durable, so that majority is in the logs -- or from a peer learner
 * (catch-up, a snapshot transfer) that applied it the same way.  It
 * applies slots in order from 0, each once, through a deterministic core;
 * the replay (replay.h) runs that core over the same values (the chosen
 * value; check_votes.c reports any slot where two could be), so its state
 * after slot s - 1 is every learner's state there: list and dedup table.
 *
 *  - learner.snap is such a state at its slot S: taken at a point, or a
 *    peer's point installed, then written atomically.  A learner that lost
 *    its file starts empty and fetches a peer's; whatever slot it ends at,
 *    the file is compared with the replay at that slot only, never with an
 *    older file.  And no learner can apply the first slot the logs do not
 *    show chosen (the prefix), so no snapshot reaches past it.
 *  - A list read from a gateway at the end is a prefix of its learner's
 *    list at some moment (the gateway copies what the learner applied),
 *    and lists only grow: it must be a prefix of the replay's list after
 *    the prefix.  The files are read after the cluster stopped, so the
 *    logs hold everything chosen before those reads. */
#include "check.h"
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const px_ballot NO_BALLOT = {0, 0};

/* ---- snapshots ------------------------------------------------------------- */

static int dedup_equal(const dedup_entry *a, const dedup_entry *b)
{
    return a->client == b->client && a->seq == b->seq && a->slot == b->slot &&
           a->result == b->result;
}

static void snapshot_list(const audit_node *n, const audit_replay *rp, audit_result *r)
{
    size_t len;
    const int64_t *list = audit_replay_list(rp, &len);
    const audit_snapshot *s = &n->snap;
    uint64_t common = s->list_len < len ? s->list_len : len;
    for (uint64_t i = 0; i < common; i++) {
        if (s->list[i] == list[i]) continue;
        audit_violate(r, AUDIT_SNAPSHOT_DIFFERS, n->id, "learner.snap", (int64_t)i,
                      (int64_t)rp->slot_of[i], NO_BALLOT, NO_BALLOT,
                      "snapshot at slot %llu: list element %llu is %lld, but the chosen log "
                      "has %lld there (appended by slot %llu)",
                      (unsigned long long)s->slot, (unsigned long long)i, (long long)s->list[i],
                      (long long)list[i], (unsigned long long)rp->slot_of[i]);
        return;
    }
    if (s->list_len != len)
        audit_violate(r, AUDIT_SNAPSHOT_DIFFERS, n->id, "learner.snap", (int64_t)common,
                      (int64_t)s->slot, NO_BALLOT, NO_BALLOT,
                      "snapshot at slot %llu: a list of %llu elements, but the chosen log's "
                      "slots below %llu give %zu",
                      (unsigned long long)s->slot, (unsigned long long)s->list_len,
                      (unsigned long long)s->slot, len);
}

static void snapshot_dedup(const audit_node *n, audit_replay *rp, audit_result *r)
{
    size_t dn;
    const dedup_entry *d = audit_replay_dedup(rp, &dn);
    const audit_snapshot *s = &n->snap;
    for (uint64_t i = 0; i < s->dedup_n || i < dn; i++) {
        if (i < s->dedup_n && i < dn && dedup_equal(&s->dedup[i], &d[i])) continue;
        char mine[128] = "nothing", want[128] = "nothing";
        if (i < s->dedup_n)
            snprintf(mine, sizeof mine, "client %llu seq %llu slot %llu result %lld",
                     (unsigned long long)s->dedup[i].client,
                     (unsigned long long)s->dedup[i].seq,
                     (unsigned long long)s->dedup[i].slot, (long long)s->dedup[i].result);
        if (i < dn)
            snprintf(want, sizeof want, "client %llu seq %llu slot %llu result %lld",
                     (unsigned long long)d[i].client, (unsigned long long)d[i].seq,
                     (unsigned long long)d[i].slot, (long long)d[i].result);
        audit_violate(r, AUDIT_SNAPSHOT_DIFFERS, n->id, "learner.snap", -1, (int64_t)s->slot,
                      NO_BALLOT, NO_BALLOT,
                      "snapshot at slot %llu: dedup entry %llu (of %llu) is %s, but the chosen "
                      "log gives %s (of %zu)",
                      (unsigned long long)s->slot, (unsigned long long)i,
                      (unsigned long long)s->dedup_n, mine, want, dn);
        return;
    }
}

static int by_snapshot_slot(const void *pa, const void *pb)
{
    const audit_node *a = *(const audit_node *const *)pa, *b = *(const audit_node *const *)pb;
    return a->snap.slot < b->snap.slot ? -1 : a->snap.slot > b->snap.slot;
}

/* The nodes with a learner.snap, by slot. */
static size_t snapshots_by_slot(const audit_state *st, const audit_node **out)
{
    size_t n = 0;
    for (size_t i = 0; i < st->n_nodes; i++)
        if (st->nodes[i].snap.present) out[n++] = &st->nodes[i];
    qsort(out, n, sizeof *out, by_snapshot_slot);
    return n;
}

/* ---- replaying ------------------------------------------------------------------ */

/* Replays the chosen prefix, comparing each snapshot when the replay
 * reaches its slot; a snapshot past the prefix covers an unchosen slot. */
static void replay_prefix(const audit_state *st, const audit_chosen *ch, audit_replay *rp,
                          audit_result *r)
{
    const audit_node *snaps[PX_MAX_NODES];
    size_t ns = snapshots_by_slot(st, snaps), next = 0;
    r->c.snapshots = ns;
    for (uint64_t s = 0;; s++) {
        for (; next < ns && snaps[next]->snap.slot == s; next++) {
            snapshot_list(snaps[next], rp, r);
            snapshot_dedup(snaps[next], rp, r);
        }
        if (s == rp->next && s < ch->prefix &&
            audit_replay_apply(rp, st, ch->v[s].ballot, ch->v[s].value) == 0)
            continue;
        break;
    }
    for (; next < ns; next++)
        audit_violate(r, AUDIT_SNAPSHOT_UNCHOSEN, snaps[next]->id, "learner.snap", -1,
                      (int64_t)rp->next, NO_BALLOT, NO_BALLOT,
                      "snapshot at slot %llu holds every slot below it, but the logs show "
                      "slots chosen only below %llu (%s)",
                      (unsigned long long)snaps[next]->snap.slot, (unsigned long long)rp->next,
                      ch->gap);
}

/* ---- final lists --------------------------------------------------------------- */

static void list_name(const audit_list *l, size_t k, char *buf, size_t len)
{
    if (l->node) snprintf(buf, len, "node %u's final list", l->node);
    else snprintf(buf, len, "final list %zu", k + 1);
}

static void check_list(const audit_list *l, size_t k, const audit_replay *rp,
                       const audit_chosen *ch, audit_result *r)
{
    size_t len;
    const int64_t *want = audit_replay_list(rp, &len);
    char name[64];
    list_name(l, k, name, sizeof name);
    r->c.list_elements += l->n;
    size_t common = l->n < len ? l->n : len;
    for (size_t i = 0; i < common; i++) {
        if (l->v[i] == want[i]) continue;
        audit_violate(r, AUDIT_LIST_DIFFERS, l->node, "final list", (int64_t)i,
                      (int64_t)rp->slot_of[i], NO_BALLOT, NO_BALLOT,
                      "%s: element %zu is %lld, but the chosen log has %lld there (appended by "
                      "slot %llu)",
                      name, i, (long long)l->v[i], (long long)want[i],
                      (unsigned long long)rp->slot_of[i]);
        return;
    }
    if (l->n > len)
        audit_violate(r, AUDIT_LIST_UNCHOSEN, l->node, "final list", (int64_t)len,
                      (int64_t)rp->next, NO_BALLOT, NO_BALLOT,
                      "%s has %zu elements, but the chosen slots 0..%llu give only %zu: element "
                      "%zu (%lld) on came from slots no majority accepted (%s)",
                      name, l->n, (unsigned long long)(rp->next ? rp->next - 1 : 0), len, len,
                      (long long)l->v[len], ch->gap);
}

/* ---- trim marks ------------------------------------------------------------------ */

/* The leader trims below T only once a majority of learners reported
 * durable snapshots at T or above (the quorum-th highest report).  A
 * learner reports snapshot_upto = S only after learner.snap held S (after
 * the write, or restored at start), and its own log says so first:
 * "snapshot at slot S written" or "restored ...: every slot below S"
 * (read.c takes the highest into snap_logged).  Its learner.snap may since
 * have been deleted (the learner-loss nemesis), so the evidence is that
 * log, or the file when it is higher.  A node whose learner log is absent
 * (or not audited) cannot be judged and counts as covering. */
static void check_trim(const audit_state *st, audit_result *r)
{
    uint64_t mark = 0, where = 0;
    uint32_t who = 0;
    px_ballot b = NO_BALLOT;
    for (size_t i = 0; i < st->n_nodes; i++)
        for (size_t k = 0; k < st->nodes[i].acc.n; k++) {
            const audit_rec *x = &st->nodes[i].acc.recs[k];
            if (x->type != ACC_REC_TRIM || x->slot <= mark) continue;
            mark = x->slot;
            who = st->nodes[i].id;
            where = x->offset;
            b = x->ballot;
        }
    r->c.trim_mark = mark;
    if (mark == 0) return;
    uint32_t covered = 0, unknown = 0;
    char detail[256] = "";
    size_t used = 0;
    for (uint32_t m = 0; m < st->n_members; m++) {
        const audit_node *n = audit_find_node(st, st->members[m]);
        uint64_t evidence = 0;
        if (n) {
            evidence = n->snap_logged;
            if (n->snap.present && n->snap.slot > evidence) evidence = n->snap.slot;
        }
        if (n == NULL || !n->has_learner_log) unknown++;
        else covered += evidence >= mark;
        if (n && used < sizeof detail)
            used += (size_t)snprintf(detail + used, sizeof detail - used, "%snode %u: %llu%s",
                                     used ? ", " : "", n->id, (unsigned long long)evidence,
                                     n->has_learner_log ? "" : " (no learner log)");
    }
    r->c.trim_covered = covered + unknown;
    if (covered + unknown >= audit_majority(st)) return;
    audit_violate(r, AUDIT_TRIM_UNCOVERED, who, "acceptor.log", (int64_t)where, (int64_t)mark, b,
                  NO_BALLOT,
                  "TRIM below %llu, but only %u learner%s ever had a durable snapshot that far "
                  "(a majority is %u; highest durable snapshots: %s)",
                  (unsigned long long)mark, covered, covered == 1 ? "" : "s",
                  audit_majority(st), detail);
}

void audit_check_learners(const audit_state *st, const audit_chosen *ch, audit_result *r)
{
    audit_replay rp;
    if (audit_replay_init(&rp, st) < 0) {
        fprintf(stderr, "paxos-audit: out of memory\n");
        abort();
    }
    replay_prefix(st, ch, &rp, r);
    for (size_t k = 0; k < st->n_lists; k++) check_list(&st->lists[k], k, &rp, ch, r);
    size_t len, dn;
    audit_replay_list(&rp, &len);
    audit_replay_dedup(&rp, &dn);
    r->c.replay_list = len;
    r->c.replay_dedup = dn;
    r->c.lists = st->n_lists;
    for (size_t i = 0; i < st->n_nodes; i++) r->c.learner_logs += st->nodes[i].has_learner_log;
    check_trim(st, r);
    audit_replay_free(&rp);
}

void audit_check(const audit_state *st, audit_result *r)
{
    audit_chosen ch;
    audit_check_acceptors(st, r);
    audit_check_votes(st, &ch, r);
    audit_check_learners(st, &ch, r);
    audit_chosen_free(&ch);
}
