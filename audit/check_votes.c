/* check_votes.c -- every ACCEPT record of every acceptor together: one
 * value per (slot, ballot), and Paxos's safety itself (see check.h).
 *
 * A vote is an ACCEPT record: the acceptor's state held that (ballot,
 * value) for the slot from then on, whether or not its reply ever left
 * (a record written but never acknowledged is still what a restarted
 * acceptor reports in phase 1).  The logs keep superseded records
 * (PAXOS_TEST_KEEP_LOG=1), so every vote ever made durable is here, except
 * torn tails a recovery cuts: those were never acknowledged, and leaving
 * votes out can only make fewer slots look chosen and fewer votes look
 * wrong -- never raise a false alarm here.
 *
 * Chosen: a majority of the cluster's acceptors voted for one value under
 * one ballot.  Paxos's invariant (P2b in "Paxos Made Simple"): once v is
 * chosen under b, every proposal under a higher ballot carries v, so every
 * vote under a higher ballot does.  paxos-c proposes a value in a slot
 * only after phase 1 at that ballot with a majority (the highest-ballot
 * value reported, a no-op only where the quorum reported nothing), re-reads
 * for catch-up the same way, and never proposes below a mark or below
 * what every learner applied (those slots are chosen already: nothing is
 * proposed there at all).  Retransmissions repeat the same ballot and
 * value; a proposer never reuses a ballot, even across restarts
 * (proposer.state, checked in check_acceptors.c).  So any vote that
 * contradicts a chosen value is a real violation. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *LOG_FILE = "acceptor.log";

typedef struct vote {
    uint64_t slot;
    px_ballot ballot;
    uint32_t value;
    uint32_t node;
    uint64_t offset;
} vote;

static int vote_cmp(const void *pa, const void *pb)
{
    const vote *a = pa, *b = pb;
    if (a->slot != b->slot) return a->slot < b->slot ? -1 : 1;
    int c = px_ballot_cmp(a->ballot, b->ballot);
    if (c) return c;
    if (a->value != b->value) return a->value < b->value ? -1 : 1;
    if (a->node != b->node) return a->node < b->node ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int ballot_cmp(const void *pa, const void *pb)
{
    return px_ballot_cmp(*(const px_ballot *)pa, *(const px_ballot *)pb);
}

static uint32_t popcount(uint32_t x)
{
    uint32_t n = 0;
    for (; x; x &= x - 1) n++;
    return n;
}

/* "nodes 1, 2" for the bits of a voters mask. */
static const char *nodes_text(uint32_t bits, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "node%s", popcount(bits) == 1 ? "" : "s");
    for (uint32_t id = 0, first = 1; id < 32 && used < len; id++)
        if (bits & (1u << id)) {
            used += (size_t)snprintf(buf + used, len - used, "%s %u", first ? "" : ",", id);
            first = 0;
        }
    return buf;
}

/* Every ACCEPT record of the cluster's members, sorted. */
static vote *collect_votes(const audit_state *st, size_t *n)
{
    size_t cap = 0;
    for (size_t i = 0; i < st->n_nodes; i++) cap += st->nodes[i].acc.n;
    vote *v = malloc((cap ? cap : 1) * sizeof *v);
    if (v == NULL) abort();
    *n = 0;
    for (size_t i = 0; i < st->n_nodes; i++) {
        const audit_node *nd = &st->nodes[i];
        if (!audit_is_member(st, nd->id)) continue;
        for (size_t k = 0; k < nd->acc.n; k++) {
            const audit_rec *x = &nd->acc.recs[k];
            if (x->type != ACC_REC_ACCEPT) continue;
            v[(*n)++] = (vote){x->slot, x->ballot, x->value, nd->id, x->offset};
        }
    }
    qsort(v, *n, sizeof *v, vote_cmp);
    return v;
}

/* Distinct ballots in every record (PROMISE, ACCEPT, TRIM). */
static uint64_t count_ballots(const audit_state *st)
{
    size_t cap = 0, n = 0;
    for (size_t i = 0; i < st->n_nodes; i++) cap += st->nodes[i].acc.n;
    px_ballot *b = malloc((cap ? cap : 1) * sizeof *b);
    if (b == NULL) abort();
    for (size_t i = 0; i < st->n_nodes; i++)
        for (size_t k = 0; k < st->nodes[i].acc.n; k++) b[n++] = st->nodes[i].acc.recs[k].ballot;
    qsort(b, n, sizeof *b, ballot_cmp);
    uint64_t distinct = 0;
    for (size_t i = 0; i < n; i++) distinct += i == 0 || px_ballot_cmp(b[i], b[i - 1]) != 0;
    free(b);
    return distinct;
}

/* Bits of the nodes voting in v[a, b) (one ballot and value). */
static uint32_t voters_of(const vote *v, size_t a, size_t b)
{
    uint32_t bits = 0;
    for (size_t i = a; i < b; i++) bits |= 1u << v[i].node;
    return bits;
}

static size_t end_of_value(const vote *v, size_t a, size_t end)
{
    size_t b = a;
    while (b < end && px_ballot_cmp(v[b].ballot, v[a].ballot) == 0 && v[b].value == v[a].value) b++;
    return b;
}

static size_t end_of_ballot(const vote *v, size_t a, size_t end)
{
    size_t b = a;
    while (b < end && px_ballot_cmp(v[b].ballot, v[a].ballot) == 0) b++;
    return b;
}

/* One proposer proposes one value per slot under its ballot (retransmits
 * repeat it; a catch-up re-read re-proposes the slot's chosen value, which
 * is what the proposer already sent under that ballot if it sent
 * anything).  Two values under one (slot, ballot) let votes for either
 * count towards a majority that never was. */
static void check_one_ballot(const audit_state *st, const vote *v, size_t a, size_t b,
                             audit_result *r)
{
    size_t second = end_of_value(v, a, b);
    if (second == b) return;
    char x[256], y[256];
    audit_value_describe(&st->values, v[a].value, x, sizeof x);
    audit_value_describe(&st->values, v[second].value, y, sizeof y);
    audit_violate(r, AUDIT_TWO_VALUES_ONE_BALLOT, v[second].node, LOG_FILE,
                  (int64_t)v[second].offset, (int64_t)v[a].slot, v[a].ballot, (px_ballot){0, 0},
                  "slot %llu ballot (%llu,%u): node %u voted [%s] (offset %llu) but node %u "
                  "voted [%s] (offset %llu)",
                  (unsigned long long)v[a].slot, (unsigned long long)v[a].ballot.round,
                  v[a].ballot.node, v[a].node, x, (unsigned long long)v[a].offset,
                  v[second].node, y, (unsigned long long)v[second].offset);
}

/* The votes of one slot, v[a, end), against the value first chosen. */
static void check_contradictions(const audit_state *st, const vote *v, size_t a, size_t end,
                                 const audit_chosen_slot *c, audit_result *r)
{
    uint32_t majority = audit_majority(st);
    char chosen[256], other[256];
    audit_value_describe(&st->values, c->value, chosen, sizeof chosen);
    for (size_t i = a; i < end;) {
        size_t j = end_of_value(v, i, end);
        if (px_ballot_cmp(v[i].ballot, c->ballot) <= 0 || v[i].value == c->value) {
            i = j;
            continue;
        }
        audit_value_describe(&st->values, v[i].value, other, sizeof other);
        char first[48], second[48];
        nodes_text(c->voters, first, sizeof first);
        if (popcount(voters_of(v, i, j)) >= majority) {
            audit_violate(r, AUDIT_TWO_VALUES_CHOSEN, v[i].node, LOG_FILE, (int64_t)v[i].offset,
                          (int64_t)c->slot, v[i].ballot, c->ballot,
                          "slot %llu: a majority (%s) accepted [%s] under (%llu,%u), and a "
                          "majority (%s) accepted [%s] under (%llu,%u)",
                          (unsigned long long)c->slot, first, chosen,
                          (unsigned long long)c->ballot.round, c->ballot.node,
                          nodes_text(voters_of(v, i, j), second, sizeof second), other,
                          (unsigned long long)v[i].ballot.round, v[i].ballot.node);
        } else {
            for (size_t k = i; k < j; k++)
                audit_violate(r, AUDIT_CHOSEN_CONTRADICTED, v[k].node, LOG_FILE,
                              (int64_t)v[k].offset, (int64_t)c->slot, v[k].ballot, c->ballot,
                              "slot %llu: [%s] was chosen under (%llu,%u) by %s, but node %u "
                              "later voted [%s] under the higher ballot (%llu,%u) at offset %llu",
                              (unsigned long long)c->slot, chosen,
                              (unsigned long long)c->ballot.round, c->ballot.node, first,
                              v[k].node, other, (unsigned long long)v[k].ballot.round,
                              v[k].ballot.node, (unsigned long long)v[k].offset);
        }
        i = j;
    }
}

static void add_chosen(audit_chosen *ch, size_t *cap, audit_chosen_slot c)
{
    if (ch->n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        ch->v = realloc(ch->v, *cap * sizeof *ch->v);
        if (ch->v == NULL) abort();
    }
    ch->v[ch->n++] = c;
}

/* One slot's votes v[a, end): one value per ballot; the lowest ballot a
 * majority accepted under gives the chosen value; nothing above it may
 * disagree. */
static void check_slot(const audit_state *st, const vote *v, size_t a, size_t end,
                       audit_chosen *ch, size_t *cap, audit_result *r)
{
    uint32_t majority = audit_majority(st);
    audit_chosen_slot c = {.slot = v[a].slot};
    int found = 0;
    for (size_t i = a; i < end;) {
        size_t j = end_of_ballot(v, i, end);
        r->c.slot_ballots++;
        check_one_ballot(st, v, i, j, r);
        for (size_t k = i; k < j && !found;) {
            size_t m = end_of_value(v, k, j);
            uint32_t bits = voters_of(v, k, m);
            if (popcount(bits) >= majority) {
                c.ballot = v[k].ballot;
                c.value = v[k].value;
                c.voters = bits;
                found = 1;
            }
            k = m;
        }
        i = j;
    }
    if (!found) return;
    add_chosen(ch, cap, c);
    check_contradictions(st, v, a, end, &c, r);
}

/* What the logs hold for the first slot that is not chosen, for the
 * messages of the learner checks. */
static void describe_gap(const audit_state *st, const vote *v, size_t n, audit_chosen *ch)
{
    size_t a = 0, used;
    while (a < n && v[a].slot < ch->prefix) a++;
    if (a == n || v[a].slot != ch->prefix) {
        snprintf(ch->gap, sizeof ch->gap, "slot %llu: no acceptor voted in it",
                 (unsigned long long)ch->prefix);
        return;
    }
    size_t end = a;
    while (end < n && v[end].slot == ch->prefix) end++;
    used = (size_t)snprintf(ch->gap, sizeof ch->gap,
                            "slot %llu: %zu vote%s, no majority under one ballot:",
                            (unsigned long long)ch->prefix, end - a, end - a == 1 ? "" : "s");
    for (size_t i = a; i < end && i < a + 6 && used < sizeof ch->gap; i++) {
        char val[96];
        audit_value_describe(&st->values, v[i].value, val, sizeof val);
        used += (size_t)snprintf(ch->gap + used, sizeof ch->gap - used,
                                 "%s node %u (%llu,%u) [%s]", i > a ? ";" : "", v[i].node,
                                 (unsigned long long)v[i].ballot.round, v[i].ballot.node, val);
    }
}

void audit_check_votes(const audit_state *st, audit_chosen *ch, audit_result *r)
{
    size_t n, cap = 0;
    vote *v = collect_votes(st, &n);
    memset(ch, 0, sizeof *ch);
    r->c.ballots = count_ballots(st);
    for (size_t a = 0; a < n;) {
        size_t end = a;
        while (end < n && v[end].slot == v[a].slot) end++;
        r->c.slots_voted++;
        if (v[a].slot > r->c.highest_slot) r->c.highest_slot = v[a].slot;
        check_slot(st, v, a, end, ch, &cap, r);
        a = end;
    }
    while (ch->prefix < ch->n && ch->v[ch->prefix].slot == ch->prefix) ch->prefix++;
    r->c.chosen_slots = ch->n;
    r->c.chosen_prefix = ch->prefix;
    describe_gap(st, v, n, ch);
    snprintf(r->first_unchosen, sizeof r->first_unchosen, "%s", ch->gap);
    free(v);
}

void audit_chosen_free(audit_chosen *ch)
{
    free(ch->v);
    memset(ch, 0, sizeof *ch);
}
