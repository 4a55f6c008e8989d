/* test_learner.c -- unit tests of the learner core: in-order apply, dedup,
 * catch-up (asking and serving), status reports, list chunks, compaction,
 * snapshot points, retention, snapshot transfer and restore, and the
 * refusals (common/refuse.h).
 *
 * Mutant tripwires: test_chosen_needs_quorum_acks fails under
 * PX_MUTANT_LEARNER_TRUST_ACKS, test_votes_not_mixed under
 * PX_MUTANT_LEARNER_VOTE_MIXED. */
#include "learner/learner.h"
#include "learner/dedup.h"
#include "learner/snapshot.h"
#include "common/refuse.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>

#define CATCHUP_MS 100
#define STATUS_MS 1000

static learner_config mkcfg(uint32_t id, uint32_t n, uint32_t dedup_max)
{
    learner_config c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.n_nodes = n;
    for (uint32_t i = 0; i < n; i++) c.node_ids[i] = i + 1;
    c.catchup_ms = CATCHUP_MS;
    c.status_ms = STATUS_MS;
    c.dedup_max = dedup_max;
    return c;
}

static px_cmd app(uint64_t client, uint64_t seq, int64_t value)
{
    px_cmd c = {.kind = PX_CMD_APPEND, .client = client, .seq = seq, .value = value};
    return c;
}

static px_cmd rd(uint64_t client)
{
    px_cmd c = {.kind = PX_CMD_READ, .client = client, .seq = 0, .value = 0};
    return c;
}

/* px_msg is large: build into a static and let callers copy if needed. */
static px_msg *chosen(uint64_t slot, const px_cmd *cmds, int n)
{
    static px_msg m;
    memset(&m, 0, sizeof m);
    m.type = PX_MSG_CHOSEN;
    m.from = 2;
    m.u.chosen.slot = slot;
    m.u.chosen.ballot = (px_ballot){.round = 7, .node = 2};
    m.u.chosen.acks = 0xE; /* acceptors 1, 2, 3: a quorum of 3 or of 5 */
    m.u.chosen.value.n = (uint16_t)n;
    for (int i = 0; i < n; i++) m.u.chosen.value.cmds[i] = cmds[i];
    return &m;
}

/* Slot whose single command appends value with no dedup. */
static void give(struct learner *l, uint64_t slot, int64_t value, uint64_t now, px_outbox *out)
{
    px_cmd c = app(1, 0, value);
    learner_handle(l, chosen(slot, &c, 1), now, out);
}

static void give_cmds(struct learner *l, uint64_t slot, const px_cmd *c, int n, px_outbox *out)
{
    learner_handle(l, chosen(slot, c, n), 0, out);
}

static px_msg *heartbeat(uint64_t round, uint32_t leader, uint64_t chosen_upto)
{
    static px_msg m;
    memset(&m, 0, sizeof m);
    m.type = PX_MSG_HEARTBEAT;
    m.from = leader;
    m.u.heartbeat.ballot = (px_ballot){.round = round, .node = leader};
    m.u.heartbeat.leader = leader;
    m.u.heartbeat.chosen_upto = chosen_upto;
    return &m;
}

static size_t count(const px_outbox *o, int type, int role, uint32_t node)
{
    size_t k = 0;
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].msg.type == type && o->v[i].role == role && o->v[i].node == node) k++;
    return k;
}

static size_t count_type(const px_outbox *o, int type)
{
    size_t k = 0;
    for (size_t i = 0; i < o->n; i++) k += o->v[i].msg.type == type;
    return k;
}

static const px_applied *applied_for(const px_outbox *o, uint64_t slot)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].msg.type == PX_MSG_APPLIED && o->v[i].msg.u.applied.slot == slot)
            return &o->v[i].msg.u.applied;
    return NULL;
}

static int list_is(const struct learner *l, const int64_t *want, size_t n)
{
    size_t len;
    const int64_t *v = learner_list(l, &len);
    return len == n && (n == 0 || memcmp(v, want, n * sizeof *v) == 0);
}

/* ---- applying ---- */

static void test_in_order_apply(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    give(l, 0, 10, 0, &o);
    give(l, 1, 11, 0, &o);
    give(l, 2, 12, 0, &o);
    int64_t want[] = {10, 11, 12};
    CHECK(list_is(l, want, 3));
    CHECK(learner_applied_upto(l) == 3);
    CHECK(learner_known_chosen(l) == 3);
    CHECK(learner_pending(l) == 0);
    CHECK(count_type(&o, PX_MSG_APPLIED) == 3);
    const px_applied *a = applied_for(&o, 2);
    REQUIRE(a);
    CHECK(a->entries[0].result == 2 && a->list_len == 3);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_out_of_order_held(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    give(l, 2, 12, 0, &o);
    give(l, 1, 11, 0, &o);
    CHECK(learner_applied_upto(l) == 0);
    CHECK(learner_pending(l) == 2);
    CHECK(learner_known_chosen(l) == 3);
    CHECK(list_is(l, NULL, 0));
    CHECK(count_type(&o, PX_MSG_APPLIED) == 0);
    const px_value *v;
    CHECK(learner_chosen_value(l, 2, &v) && v->n == 1 && v->cmds[0].value == 12);
    give(l, 0, 10, 0, &o);
    int64_t want[] = {10, 11, 12};
    CHECK(list_is(l, want, 3));
    CHECK(learner_applied_upto(l) == 3);
    CHECK(learner_pending(l) == 0);
    /* APPLIED go out in slot order once the gap fills. */
    REQUIRE(o.n == 3);
    for (uint64_t s = 0; s < 3; s++) CHECK(o.v[s].msg.u.applied.slot == s);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_duplicate_chosen_ignored(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    give(l, 1, 11, 0, &o);
    give(l, 1, 11, 0, &o); /* twice while pending */
    give(l, 0, 10, 0, &o);
    give(l, 0, 10, 0, &o); /* and again once applied */
    int64_t want[] = {10, 11};
    CHECK(list_is(l, want, 2));
    CHECK(count_type(&o, PX_MSG_APPLIED) == 2);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_noop_skipped(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    learner_handle(l, chosen(0, NULL, 0), 0, &o);
    give(l, 1, 5, 0, &o);
    CHECK(learner_applied_upto(l) == 2);
    CHECK(count_type(&o, PX_MSG_APPLIED) == 1);
    CHECK(applied_for(&o, 0) == NULL);
    const px_applied *a = applied_for(&o, 1);
    CHECK(a && a->entries[0].result == 0);
    const px_value *v;
    CHECK(learner_chosen_value(l, 0, &v) && v->n == 0); /* retained for peers */
    px_outbox_free(&o);
    learner_free(l);
}

static void test_dedup_retry_dup(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_cmd a = app(7, 1, 70), b = app(8, 1, 80);
    give_cmds(l, 0, &a, 1, &o);
    give_cmds(l, 1, &b, 1, &o);
    give_cmds(l, 2, &a, 1, &o); /* the retry, chosen again in a later slot */
    int64_t want[] = {70, 80};
    CHECK(list_is(l, want, 2));
    const px_applied *r = applied_for(&o, 2);
    REQUIRE(r);
    CHECK(r->n == 1);
    CHECK(r->entries[0].flags == PX_APPLIED_DUP);
    CHECK(r->entries[0].result == 0);
    CHECK(r->list_len == 2);
    CHECK(learner_dedup_size(l) == 2);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_dedup_stale(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_cmd c[] = {app(7, 1, 70), app(7, 2, 71), app(7, 1, 70)};
    give_cmds(l, 0, c, 3, &o);
    const px_applied *r = applied_for(&o, 0);
    REQUIRE(r);
    CHECK(r->entries[0].flags == 0 && r->entries[0].result == 0);
    CHECK(r->entries[1].flags == 0 && r->entries[1].result == 1);
    CHECK(r->entries[2].flags == PX_APPLIED_STALE && r->entries[2].result == -1);
    CHECK(r->list_len == 2);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_seq0_not_deduped(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_cmd c = app(7, 0, 5);
    give_cmds(l, 0, &c, 1, &o);
    give_cmds(l, 1, &c, 1, &o);
    int64_t want[] = {5, 5};
    CHECK(list_is(l, want, 2));
    CHECK(learner_dedup_size(l) == 0);
    const px_applied *r = applied_for(&o, 1);
    CHECK(r && r->entries[0].flags == 0 && r->entries[0].result == 1);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_reads_in_batch(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_cmd c[] = {rd(9), app(7, 1, 70), rd(9), app(7, 1, 70), app(8, 1, 80), rd(9)};
    give_cmds(l, 0, c, 6, &o);
    const px_applied *r = applied_for(&o, 0);
    REQUIRE(r);
    REQUIRE(r->n == 6);
    CHECK(r->entries[0].result == 0 && r->entries[0].flags == 0);
    CHECK(r->entries[1].result == 0);
    CHECK(r->entries[2].result == 1 && r->entries[2].flags == 0);
    CHECK(r->entries[3].result == 0 && r->entries[3].flags == PX_APPLIED_DUP);
    CHECK(r->entries[4].result == 1);
    CHECK(r->entries[5].result == 2);
    CHECK(r->list_len == 2);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_applied_content(void)
{
    learner_config cfg = mkcfg(4, 5, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_cmd c[] = {app(3, 9, -42), rd(5)};
    give_cmds(l, 0, c, 2, &o);
    REQUIRE(o.n == 1);
    const px_envelope *e = &o.v[0];
    CHECK(e->role == PX_ROLE_GATEWAY && e->node == 4);
    CHECK(e->msg.type == PX_MSG_APPLIED && e->msg.from == 4);
    const px_applied *a = &e->msg.u.applied;
    CHECK(a->slot == 0 && a->n == 2 && a->list_len == 1);
    CHECK(a->entries[0].cmd.kind == PX_CMD_APPEND && a->entries[0].cmd.client == 3);
    CHECK(a->entries[0].cmd.seq == 9 && a->entries[0].cmd.value == -42);
    CHECK(a->entries[0].result == 0);
    CHECK(a->entries[1].cmd.kind == PX_CMD_READ && a->entries[1].result == 1);
    px_outbox_free(&o);
    learner_free(l);
}

/* ---- catch-up ---- */

static void test_catchup_to_peers_until_filled(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    give(l, 2, 12, 0, &o);
    CHECK(learner_next_deadline(l) == CATCHUP_MS);
    learner_tick(l, CATCHUP_MS - 1, &o);
    CHECK(count_type(&o, PX_MSG_CATCHUP) == 0); /* reordering gets a grace period */
    learner_tick(l, CATCHUP_MS, &o);
    CHECK(count_type(&o, PX_MSG_CATCHUP) == 2);
    CHECK(count(&o, PX_MSG_CATCHUP, PX_ROLE_LEARNER, 2) == 1);
    CHECK(count(&o, PX_MSG_CATCHUP, PX_ROLE_LEARNER, 3) == 1);
    CHECK(count(&o, PX_MSG_CATCHUP, PX_ROLE_LEARNER, 1) == 0);
    REQUIRE(o.n > 0);
    CHECK(o.v[0].msg.u.catchup.from_slot == 0 && o.v[0].msg.u.catchup.learner == 1);
    CHECK(learner_next_deadline(l) == 2 * CATCHUP_MS);
    px_outbox_clear(&o);
    learner_tick(l, 2 * CATCHUP_MS, &o);
    CHECK(count_type(&o, PX_MSG_CATCHUP) == 2);
    give(l, 0, 10, 250, &o);
    give(l, 1, 11, 250, &o);
    CHECK(learner_applied_upto(l) == 3);
    CHECK(learner_next_deadline(l) == STATUS_MS); /* only the status timer left */
    px_outbox_clear(&o);
    learner_tick(l, 3 * CATCHUP_MS, &o);
    learner_tick(l, 4 * CATCHUP_MS, &o);
    CHECK(count_type(&o, PX_MSG_CATCHUP) == 0);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_catchup_from_heartbeat_and_escalation(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    learner_handle(l, heartbeat(5, 3, 4), 0, &o);
    CHECK(learner_known_chosen(l) == 4);
    /* A stale heartbeat from a deposed leader must not retarget escalation. */
    learner_handle(l, heartbeat(4, 2, 1), 0, &o);
    CHECK(learner_known_chosen(l) == 4);
    for (int r = 1; r <= 3; r++) {
        px_outbox_clear(&o);
        learner_tick(l, (uint64_t)r * CATCHUP_MS, &o);
        CHECK(count_type(&o, PX_MSG_CATCHUP) == 2);
        CHECK(count(&o, PX_MSG_CATCHUP, PX_ROLE_PROPOSER, 3) == 0);
    }
    px_outbox_clear(&o);
    learner_tick(l, 4 * CATCHUP_MS, &o);
    CHECK(count(&o, PX_MSG_CATCHUP, PX_ROLE_LEARNER, 2) == 1);
    CHECK(count(&o, PX_MSG_CATCHUP, PX_ROLE_LEARNER, 3) == 1);
    CHECK(count(&o, PX_MSG_CATCHUP, PX_ROLE_PROPOSER, 3) == 1);
    CHECK(count(&o, PX_MSG_CATCHUP, PX_ROLE_PROPOSER, 2) == 0);
    /* Progress resets the count: the next round goes to peers only. */
    give(l, 0, 10, 410, &o);
    px_outbox_clear(&o);
    learner_tick(l, 5 * CATCHUP_MS, &o);
    CHECK(count_type(&o, PX_MSG_CATCHUP) == 2);
    CHECK(count(&o, PX_MSG_CATCHUP, PX_ROLE_PROPOSER, 3) == 0);
    for (size_t i = 0; i < o.n; i++)
        if (o.v[i].msg.type == PX_MSG_CATCHUP) CHECK(o.v[i].msg.u.catchup.from_slot == 1);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_serve_catchup(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    for (uint64_t s = 0; s < 100; s++) give(l, s, (int64_t)s * 3, 0, &o);
    give(l, 105, 999, 0, &o); /* pending: served after the applied ones */
    px_msg req;
    memset(&req, 0, sizeof req);
    req.type = PX_MSG_CATCHUP;
    req.from = 2;
    req.u.catchup.from_slot = 10;
    req.u.catchup.learner = 2;

    px_outbox_clear(&o);
    learner_handle(l, &req, 0, &o);
    CHECK(o.n == PX_MAX_CATCHUP_SLOTS);
    CHECK(count(&o, PX_MSG_CHOSEN, PX_ROLE_LEARNER, 2) == PX_MAX_CATCHUP_SLOTS);
    for (size_t i = 0; i < o.n; i++) {
        const px_chosen *c = &o.v[i].msg.u.chosen;
        CHECK(c->slot == 10 + i);
        CHECK(c->value.n == 1 && c->value.cmds[0].value == (int64_t)c->slot * 3);
        CHECK(c->ballot.round == 7 && c->ballot.node == 2 && c->acks == 0xE);
    }

    req.u.catchup.from_slot = 98;
    px_outbox_clear(&o);
    learner_handle(l, &req, 0, &o);
    REQUIRE(o.n == 3);
    CHECK(o.v[0].msg.u.chosen.slot == 98 && o.v[1].msg.u.chosen.slot == 99);
    CHECK(o.v[2].msg.u.chosen.slot == 105);

    /* A peer's answer applies like the leader's announcement. */
    learner_config cfg2 = mkcfg(2, 3, 100);
    struct learner *l2 = learner_new(&cfg2, 0);
    px_outbox o2;
    px_outbox_init(&o2);
    req.u.catchup.from_slot = 0;
    for (int round = 0; round < 2; round++) {
        px_outbox_clear(&o);
        req.u.catchup.from_slot = learner_applied_upto(l2);
        learner_handle(l, &req, 0, &o);
        for (size_t i = 0; i < o.n; i++) learner_handle(l2, &o.v[i].msg, 0, &o2);
    }
    CHECK(learner_applied_upto(l2) == 100);
    CHECK(learner_pending(l2) == 1);
    size_t n1, n2;
    const int64_t *v1 = learner_list(l, &n1), *v2 = learner_list(l2, &n2);
    CHECK(n1 == n2 && memcmp(v1, v2, n1 * sizeof *v1) == 0);
    px_outbox_free(&o2);
    learner_free(l2);
    px_outbox_free(&o);
    learner_free(l);
}

/* ---- status, list, compaction, bounds ---- */

static void test_status_reports(void)
{
    learner_config cfg = mkcfg(2, 3, 100);
    struct learner *l = learner_new(&cfg, 1000);
    px_outbox o;
    px_outbox_init(&o);
    give(l, 0, 1, 1000, &o);
    CHECK(learner_next_deadline(l) == 1000 + STATUS_MS);
    px_outbox_clear(&o);
    learner_tick(l, 1000 + STATUS_MS - 1, &o);
    CHECK(o.n == 0);
    learner_tick(l, 1000 + STATUS_MS, &o);
    REQUIRE(o.n == 1);
    CHECK(o.v[0].role == PX_ROLE_PROPOSER && o.v[0].node == PX_NODE_ALL);
    CHECK(o.v[0].msg.type == PX_MSG_LEARNED);
    CHECK(o.v[0].msg.u.learned.learner == 2 && o.v[0].msg.u.learned.applied_upto == 1);
    CHECK(learner_next_deadline(l) == 1000 + 2 * STATUS_MS);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_list_chunks(void)
{
    learner_config cfg = mkcfg(3, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_cmd c[PX_MAX_BATCH];
    uint64_t slot = 0;
    for (int64_t v = 0; v < 2500; slot++) {
        int n = 0;
        for (; n < PX_MAX_BATCH && v < 2500; n++, v++) c[n] = app(1, 0, v);
        give_cmds(l, slot, c, n, &o);
    }
    static const struct { uint64_t from, n; } want[] = {{0, 1024}, {2048, 452}, {2500, 0}, {9000, 0}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        px_msg req;
        memset(&req, 0, sizeof req);
        req.type = PX_MSG_LIST_REQ;
        req.from = 3;
        req.u.list_req.from_index = want[k].from;
        px_outbox_clear(&o);
        learner_handle(l, &req, 0, &o);
        REQUIRE(o.n == 1);
        CHECK(o.v[0].role == PX_ROLE_GATEWAY && o.v[0].node == 3);
        const px_list_chunk *ch = &o.v[0].msg.u.list_chunk;
        CHECK(o.v[0].msg.type == PX_MSG_LIST_CHUNK);
        CHECK(ch->from_index == want[k].from && ch->total_len == 2500 && ch->n == want[k].n);
        for (uint32_t i = 0; i < ch->n; i++) CHECK(ch->values[i] == (int64_t)(want[k].from + i));
    }
    px_outbox_free(&o);
    learner_free(l);
}

static void test_forget_below(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    for (uint64_t s = 0; s < 10; s++) give(l, s, (int64_t)s, 0, &o);
    give(l, 12, 12, 0, &o);
    const px_value *v;
    learner_forget_below(l, 5);
    CHECK(!learner_chosen_value(l, 4, &v));
    CHECK(learner_chosen_value(l, 5, &v) && v->cmds[0].value == 5);
    learner_forget_below(l, 100); /* clamps: pending and unapplied stay */
    CHECK(!learner_chosen_value(l, 9, &v));
    CHECK(learner_chosen_value(l, 12, &v) && v->cmds[0].value == 12);
    CHECK(learner_pending(l) == 1);
    /* Later applies are retained again; the list is untouched. */
    give(l, 10, 10, 0, &o);
    give(l, 11, 11, 0, &o);
    CHECK(learner_applied_upto(l) == 13);
    CHECK(learner_chosen_value(l, 10, &v) && v->cmds[0].value == 10);
    size_t len;
    learner_list(l, &len);
    CHECK(len == 13);
    /* Serving from a forgotten slot starts at what is retained. */
    px_msg req;
    memset(&req, 0, sizeof req);
    req.type = PX_MSG_CATCHUP;
    req.from = 3;
    req.u.catchup.from_slot = 0;
    req.u.catchup.learner = 3;
    px_outbox_clear(&o);
    learner_handle(l, &req, 0, &o);
    REQUIRE(o.n == 3);
    CHECK(o.v[0].msg.u.chosen.slot == 10 && o.v[0].node == 3);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_pending_bound(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    give(l, 65537, 1, 0, &o);
    CHECK(learner_pending(l) == 0);
    CHECK(learner_known_chosen(l) == 65538); /* still a known gap */
    give(l, 65536, 1, 0, &o);
    CHECK(learner_pending(l) == 1);
    give(l, 3, 1, 0, &o);
    CHECK(learner_pending(l) == 2);
    const px_value *v;
    CHECK(learner_chosen_value(l, 65536, &v));
    CHECK(!learner_chosen_value(l, 65537, &v));
    px_outbox_free(&o);
    learner_free(l);
}

/* ---- dedup table ---- */

/* A log where clients come and go: client k appears in slots near k/2. */
static void feed_log(struct learner *l, uint64_t nslots, int reverse, px_outbox *o)
{
    for (uint64_t i = 0; i < nslots; i++) {
        uint64_t s = reverse ? nslots - 1 - i : i;
        px_cmd c[4];
        for (int k = 0; k < 4; k++) {
            uint64_t client = (s * 2 + (uint64_t)k) % (nslots / 2 + 1) + 1;
            c[k] = app(client, s + 1, (int64_t)s);
        }
        learner_handle(l, chosen(s, c, 4), 0, o);
        px_outbox_clear(o);
    }
}

static void test_dedup_eviction_deterministic(void)
{
    learner_config cfg = mkcfg(1, 3, 16);
    struct learner *a = learner_new(&cfg, 0), *b = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    feed_log(a, 300, 0, &o);
    feed_log(b, 300, 1, &o); /* same log, arriving backwards */
    CHECK(learner_applied_upto(a) == 300 && learner_applied_upto(b) == 300);
    CHECK(learner_dedup_size(a) <= 16 && learner_dedup_size(a) > 0);
    CHECK(learner_dedup_size(a) == learner_dedup_size(b));
    const dedup *da = learner_dedup(a), *db = learner_dedup(b);
    CHECK(dedup_digest(da) == dedup_digest(db));
    for (size_t i = 0; i < da->cap; i++) {
        const dedup_entry *e = &da->t[i];
        if (e->seq == 0) continue;
        const dedup_entry *f = dedup_find(db, e->client);
        CHECK(f && f->seq == e->seq && f->slot == e->slot && f->result == e->result);
    }
    /* The newest slot's clients survive eviction. */
    for (uint64_t k = 0; k < 4; k++)
        CHECK(dedup_find(da, (299 * 2 + k) % 151 + 1) != NULL);
    px_outbox_free(&o);
    learner_free(a);
    learner_free(b);
}

static void test_dedup_table_direct(void)
{
    dedup d;
    dedup_init(&d, 8);
    for (uint64_t c = 1; c <= 8; c++) dedup_record(&d, c, 1, (int64_t)c, 100 - c); /* client 8 oldest */
    CHECK(d.n == 8);
    dedup_record(&d, 3, 2, 33, 200); /* update in place: no eviction */
    CHECK(d.n == 8 && dedup_find(&d, 3)->seq == 2 && dedup_find(&d, 3)->result == 33);
    dedup_record(&d, 9, 1, 9, 300); /* full: drop a quarter, the oldest two */
    CHECK(d.n == 7);
    CHECK(dedup_find(&d, 8) == NULL && dedup_find(&d, 7) == NULL);
    CHECK(dedup_find(&d, 6) != NULL && dedup_find(&d, 9) != NULL && dedup_find(&d, 3) != NULL);
    /* Ties on slot are broken by client id. */
    dedup e;
    dedup_init(&e, 4);
    for (uint64_t c = 10; c >= 7; c--) dedup_record(&e, c, 1, 0, 5);
    dedup_record(&e, 1, 1, 0, 6);
    CHECK(e.n == 4 && dedup_find(&e, 7) == NULL && dedup_find(&e, 8) != NULL);
    /* Many clients through a small table stay bounded. */
    for (uint64_t c = 1; c < 100000; c++) dedup_record(&e, c * 7919, c, 0, c);
    CHECK(e.n <= 4 && e.cap <= 16);
    dedup_free(&e);
    dedup_free(&d);
}

/* ---- snapshots ---- */

static learner_config snapcfg(uint32_t id, uint64_t every, uint32_t dedup_max)
{
    learner_config c = mkcfg(id, 3, dedup_max);
    c.snapshot_every = every;
    return c;
}

/* Slot s of a deterministic log: 32 commands, 22 of them appends without
 * deduplication (they grow the list), 8 from a window of 40 deduplicated
 * clients that moves by 3 each slot (the 16-entry tables below evict all
 * the time), a third of those retrying the seq the client used in the slot
 * before (a DUP only if the table still remembers it), and 2 reads; every
 * 11th slot is a no-op. */
static int log_slot(uint64_t s, px_cmd *c)
{
    if (s % 11 == 5) return 0;
    int n = 0;
    for (uint64_t k = 0; k < 22; k++) c[n++] = app(100 + k, 0, (int64_t)(s * 100 + k));
    for (uint64_t j = 0; j < 8; j++) {
        uint64_t client = (s * 3 + j) % 40 + 1;
        c[n++] = app(client, s + 1 - (j % 3 == 2), (int64_t)(s * 100 + 50 + j));
    }
    c[n++] = rd(7);
    c[n++] = rd(8);
    return n;
}

static void feed(struct learner *l, uint64_t from, uint64_t to)
{
    px_outbox o;
    px_outbox_init(&o);
    px_cmd c[PX_MAX_BATCH];
    for (uint64_t s = from; s < to; s++) {
        int n = log_slot(s, c);
        learner_handle(l, chosen(s, c, n), 0, &o);
        px_outbox_clear(&o);
    }
    px_outbox_free(&o);
}

/* The current point's bytes, read in odd-sized pieces like a host would. */
static uint8_t *point_bytes(const struct learner *l, size_t *len)
{
    *len = (size_t)learner_snapshot_size(l);
    uint8_t *b = malloc(*len ? *len : 1);
    size_t off = 0, got;
    while (b && off < *len && (got = learner_snapshot_read(l, off, b + off, 1000)) > 0) off += got;
    if (b && off != *len) {
        free(b);
        return NULL;
    }
    return b;
}

/* The whole replicated state, dedup table entry by entry. */
static int same_state(const struct learner *a, const struct learner *b)
{
    size_t na, nb;
    const int64_t *va = learner_list(a, &na), *vb = learner_list(b, &nb);
    if (learner_applied_upto(a) != learner_applied_upto(b)) return 0;
    if (na != nb || (na && memcmp(va, vb, na * sizeof *va) != 0)) return 0;
    const dedup *da = learner_dedup(a), *db = learner_dedup(b);
    if (da->n != db->n || dedup_digest(da) != dedup_digest(db)) return 0;
    for (size_t i = 0; i < da->cap; i++) {
        const dedup_entry *e = &da->t[i];
        if (e->seq == 0) continue;
        const dedup_entry *f = dedup_find(db, e->client);
        if (!f || f->seq != e->seq || f->slot != e->slot || f->result != e->result) return 0;
    }
    return 1;
}

/* Learners 1..3 (NULL = absent) and what each has to send. */
typedef struct lnet {
    struct learner *l[4];
    px_outbox o[4];
    size_t delivered[PX_MSG_TYPE_MAX + 1];
    uint64_t min_applied[4]; /* lowest APPLIED slot each sent, UINT64_MAX if none */
} lnet;

static void lnet_init(lnet *n)
{
    memset(n, 0, sizeof *n);
    for (int i = 0; i < 4; i++) {
        px_outbox_init(&n->o[i]);
        n->min_applied[i] = UINT64_MAX;
    }
}

static void lnet_free(lnet *n)
{
    for (int i = 0; i < 4; i++) {
        px_outbox_free(&n->o[i]);
        learner_free(n->l[i]);
    }
}

/* Deliver learner-to-learner messages until none is left; the rest (to
 * gateways and proposers) is looked at and dropped. */
static void pump(lnet *n, uint64_t now)
{
    for (int moved = 1; moved;) {
        moved = 0;
        for (uint32_t id = 1; id <= 3; id++) {
            px_outbox batch = n->o[id];
            px_outbox_init(&n->o[id]);
            for (size_t i = 0; i < batch.n; i++) {
                const px_envelope *e = &batch.v[i];
                if (e->msg.type == PX_MSG_APPLIED && e->msg.u.applied.slot < n->min_applied[id])
                    n->min_applied[id] = e->msg.u.applied.slot;
                if (e->role != PX_ROLE_LEARNER || e->node < 1 || e->node > 3 || !n->l[e->node])
                    continue;
                n->delivered[e->msg.type]++;
                learner_handle(n->l[e->node], &e->msg, now, &n->o[e->node]);
                moved = 1;
            }
            px_outbox_free(&batch);
        }
    }
}

static px_msg *catchup_msg(uint32_t from, uint64_t from_slot)
{
    static px_msg m;
    memset(&m, 0, sizeof m);
    m.type = PX_MSG_CATCHUP;
    m.from = from;
    m.u.catchup.from_slot = from_slot;
    m.u.catchup.learner = from;
    return &m;
}

static px_msg *snap_req_msg(uint32_t from, uint64_t slot, uint64_t off)
{
    static px_msg m;
    memset(&m, 0, sizeof m);
    m.type = PX_MSG_SNAP_REQ;
    m.from = from;
    m.u.snap_req.snap_slot = slot;
    m.u.snap_req.offset = off;
    return &m;
}

/* A chunk of bytes b (total bytes long) at off, as peer from would send it. */
static px_msg *chunk_msg(uint32_t from, uint64_t slot, const uint8_t *b, uint64_t total,
                         uint64_t off)
{
    static px_msg m;
    memset(&m, 0, sizeof m);
    m.type = PX_MSG_SNAP_CHUNK;
    m.from = from;
    m.u.snap_chunk.snap_slot = slot;
    m.u.snap_chunk.total = total;
    m.u.snap_chunk.offset = off;
    uint64_t n = total - off < PX_SNAP_CHUNK ? total - off : PX_SNAP_CHUNK;
    m.u.snap_chunk.n = (uint16_t)n;
    memcpy(m.u.snap_chunk.data, b + off, (size_t)n);
    return &m;
}

static const px_envelope *find_msg(const px_outbox *o, int type)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].msg.type == type) return &o->v[i];
    return NULL;
}

static void test_no_snapshots_when_off(void)
{
    learner_config cfg = snapcfg(1, 0, 16);
    struct learner *l = learner_new(&cfg, 0);
    feed(l, 0, 300);
    CHECK(learner_applied_upto(l) == 300);
    CHECK(learner_snapshot_pending(l) == 0 && learner_snapshot_size(l) == 0);
    CHECK(learner_snapshot_upto(l) == 0 && learner_retained(l) == 300);
    uint8_t b[8];
    CHECK(learner_snapshot_read(l, 0, b, sizeof b) == 0);
    learner_snapshot_durable(l, 100); /* no point: nothing to be durable */
    CHECK(learner_snapshot_upto(l) == 0 && learner_retained(l) == 300);
    px_outbox o;
    px_outbox_init(&o);
    learner_handle(l, catchup_msg(2, 0), 0, &o);
    CHECK(count(&o, PX_MSG_CHOSEN, PX_ROLE_LEARNER, 2) == PX_MAX_CATCHUP_SLOTS);
    CHECK(count_type(&o, PX_MSG_SNAP_CHUNK) == 0);
    px_outbox_free(&o);
    learner_free(l);
}

/* The point at slot S holds exactly the state after applying [0, S). */
static void check_point_is_state_at(const struct learner *l, uint64_t S)
{
    learner_config rc = snapcfg(3, 0, 16);
    struct learner *ref = learner_new(&rc, 0);
    feed(ref, 0, S);
    size_t len, rlen;
    uint8_t *b = point_bytes(l, &len);
    const int64_t *rv = learner_list(ref, &rlen);
    px_snap_view v;
    char err[128];
    REQUIRE(b);
    CHECK(len == learner_snapshot_size(l));
    REQUIRE(px_snap_parse(b, len, 16, &v, err, sizeof err) == 0);
    CHECK(v.slot == S && v.list_len == rlen);
    for (uint64_t i = 0; i < v.list_len && i < rlen; i++) CHECK(px_snap_value(&v, i) == rv[i]);
    const dedup *rd_ = learner_dedup(ref);
    CHECK(v.dedup_n == rd_->n);
    for (uint64_t i = 0; i < v.dedup_n; i++) {
        dedup_entry e;
        px_snap_entry(&v, i, &e);
        const dedup_entry *f = dedup_find(rd_, e.client);
        CHECK(f && f->seq == e.seq && f->slot == e.slot && f->result == e.result);
    }
    free(b);
    learner_free(ref);
}

static void test_points_at_the_right_slots(void)
{
    learner_config cfg = snapcfg(1, 16, 16);
    struct learner *l = learner_new(&cfg, 0);
    feed(l, 0, 15);
    CHECK(learner_snapshot_pending(l) == 0 && learner_snapshot_size(l) == 0);
    feed(l, 15, 16);
    CHECK(learner_snapshot_pending(l) == 16);
    check_point_is_state_at(l, 16);
    feed(l, 16, 31);
    CHECK(learner_snapshot_pending(l) == 16);
    feed(l, 31, 32);
    CHECK(learner_snapshot_pending(l) == 32);
    check_point_is_state_at(l, 32);
    /* Slots arriving backwards apply in one burst; a point is still taken
     * at each multiple, the last one (64) being current. */
    px_outbox o;
    px_outbox_init(&o);
    px_cmd c[PX_MAX_BATCH];
    for (uint64_t s = 70; s >= 32; s--) {
        learner_handle(l, chosen(s, c, log_slot(s, c)), 0, &o);
        px_outbox_clear(&o);
    }
    CHECK(learner_applied_upto(l) == 71);
    CHECK(learner_snapshot_pending(l) == 64);
    check_point_is_state_at(l, 64);
    /* An earlier point written by a slow host is durable all the same. */
    learner_snapshot_durable(l, 48);
    CHECK(learner_snapshot_upto(l) == 48 && learner_snapshot_pending(l) == 64);
    learner_snapshot_durable(l, 64);
    CHECK(learner_snapshot_upto(l) == 64 && learner_snapshot_pending(l) == 0);
    px_outbox_free(&o);
    learner_free(l);
}

/* The point serves list[0..L) from the live list: growing (and moving)
 * the list afterwards must not change its bytes. */
static void test_point_bytes_survive_appends(void)
{
    learner_config cfg = snapcfg(1, 64, 16);
    struct learner *l = learner_new(&cfg, 0);
    feed(l, 0, 64);
    size_t n1, n2, before, after;
    learner_list(l, &before);
    uint8_t *b1 = point_bytes(l, &n1);
    feed(l, 64, 127);
    learner_list(l, &after);
    uint8_t *b2 = point_bytes(l, &n2);
    REQUIRE(b1 && b2);
    size_t cap = 1024; /* the list's capacity doubles from 1024 */
    while (cap < before) cap *= 2;
    CHECK(after > cap); /* so it was reallocated at least once */
    CHECK(learner_snapshot_pending(l) == 64);
    CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);
    px_snap_view v;
    CHECK(px_snap_parse(b2, n2, 16, &v, NULL, 0) == 0 && v.list_len == before);
    free(b1);
    free(b2);
    learner_free(l);
}

static void test_durable_retention_and_learned(void)
{
    learner_config cfg = snapcfg(2, 16, 16);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    feed(l, 0, 40);
    CHECK(learner_snapshot_pending(l) == 32 && learner_retained(l) == 40);
    learner_snapshot_durable(l, 33); /* no such point: ignored */
    CHECK(learner_snapshot_upto(l) == 0 && learner_retained(l) == 40);
    learner_snapshot_durable(l, 32);
    CHECK(learner_snapshot_upto(l) == 32 && learner_snapshot_pending(l) == 0);
    /* Retained: [32 - 16, 40). */
    CHECK(learner_retained(l) == 24);
    const px_value *v;
    CHECK(!learner_chosen_value(l, 15, &v));
    CHECK(learner_chosen_value(l, 16, &v));
    learner_tick(l, STATUS_MS, &o);
    const px_envelope *e = find_msg(&o, PX_MSG_LEARNED);
    REQUIRE(e);
    CHECK(e->msg.u.learned.snapshot_upto == 32 && e->msg.u.learned.applied_upto == 40);
    feed(l, 40, 48);
    learner_snapshot_durable(l, 48);
    CHECK(learner_retained(l) == 16 && !learner_chosen_value(l, 31, &v));
    learner_snapshot_durable(l, 32); /* never backwards */
    CHECK(learner_snapshot_upto(l) == 48);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_serve_snapshot_below_retention(void)
{
    learner_config cfg = snapcfg(1, 16, 16);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    feed(l, 0, 40);
    /* Nothing forgotten yet: CHOSENs as always. */
    learner_handle(l, catchup_msg(2, 0), 0, &o);
    CHECK(count(&o, PX_MSG_CHOSEN, PX_ROLE_LEARNER, 2) == 40 && o.n == 40);
    learner_snapshot_durable(l, 32);
    size_t len;
    uint8_t *b = point_bytes(l, &len);
    REQUIRE(b);
    px_outbox_clear(&o);
    learner_handle(l, catchup_msg(2, 15), 0, &o);
    REQUIRE(o.n == 1);
    CHECK(o.v[0].role == PX_ROLE_LEARNER && o.v[0].node == 2);
    const px_snap_chunk *c = &o.v[0].msg.u.snap_chunk;
    CHECK(o.v[0].msg.type == PX_MSG_SNAP_CHUNK && o.v[0].msg.from == 1);
    CHECK(c->snap_slot == 32 && c->offset == 0 && c->total == len);
    CHECK(c->n == (len < PX_SNAP_CHUNK ? len : PX_SNAP_CHUNK));
    CHECK(memcmp(c->data, b, c->n) == 0);
    /* From the retained range on: CHOSENs. */
    px_outbox_clear(&o);
    learner_handle(l, catchup_msg(2, 16), 0, &o);
    CHECK(count(&o, PX_MSG_CHOSEN, PX_ROLE_LEARNER, 2) == 24 && o.n == 24);
    free(b);
    px_outbox_free(&o);
    learner_free(l);
}

static void test_snap_req_serving(void)
{
    learner_config cfg = snapcfg(1, 128, 16);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    feed(l, 0, 130);
    size_t len;
    uint8_t *b = point_bytes(l, &len);
    REQUIRE(b);
    REQUIRE(len > 2 * PX_SNAP_CHUNK);
    learner_handle(l, snap_req_msg(3, 128, PX_SNAP_CHUNK), 0, &o);
    REQUIRE(o.n == 1 && o.v[0].node == 3 && o.v[0].msg.type == PX_MSG_SNAP_CHUNK);
    const px_snap_chunk *c = &o.v[0].msg.u.snap_chunk;
    CHECK(c->snap_slot == 128 && c->offset == PX_SNAP_CHUNK && c->n == PX_SNAP_CHUNK);
    CHECK(memcmp(c->data, b + PX_SNAP_CHUNK, PX_SNAP_CHUNK) == 0);
    /* The last piece is short. */
    px_outbox_clear(&o);
    learner_handle(l, snap_req_msg(3, 128, len - 10), 0, &o);
    REQUIRE(o.n == 1);
    CHECK(c->n == 10 && memcmp(c->data, b + len - 10, 10) == 0);
    /* Another slot (an old point, or 0 = any): the start of the current one. */
    uint64_t other[] = {64, 0, 999};
    for (size_t k = 0; k < 3; k++) {
        px_outbox_clear(&o);
        learner_handle(l, snap_req_msg(3, other[k], 500), 0, &o);
        REQUIRE(o.n == 1);
        CHECK(c->snap_slot == 128 && c->offset == 0 && memcmp(c->data, b, c->n) == 0);
    }
    /* Past the end, and from ourselves: nothing. */
    px_outbox_clear(&o);
    learner_handle(l, snap_req_msg(3, 128, len), 0, &o);
    learner_handle(l, snap_req_msg(1, 128, 0), 0, &o);
    CHECK(o.n == 0);
    /* No point yet: nothing either. */
    learner_config c2 = snapcfg(2, 128, 16);
    struct learner *l2 = learner_new(&c2, 0);
    feed(l2, 0, 100);
    learner_handle(l2, snap_req_msg(3, 0, 0), 0, &o);
    CHECK(o.n == 0);
    learner_free(l2);
    free(b);
    px_outbox_free(&o);
    learner_free(l);
}

/* A far-behind learner gets the snapshot from a peer, installs it, applies
 * the tail from CHOSENs and from then on is the same state machine as a
 * learner that applied every slot. */
static void test_transfer_installs_and_evolves_identically(void)
{
    lnet n;
    lnet_init(&n);
    learner_config ca = snapcfg(1, 128, 16), cb = snapcfg(2, 128, 16), cc = snapcfg(3, 0, 16);
    n.l[1] = learner_new(&ca, 0);
    n.l[2] = learner_new(&cb, 0);
    struct learner *ref = learner_new(&cc, 0); /* applies everything, no snapshots */
    feed(n.l[1], 0, 300);
    feed(ref, 0, 300);
    learner_snapshot_durable(n.l[1], 256); /* A retains [128, 300) */
    size_t alen;
    uint8_t *abytes = point_bytes(n.l[1], &alen);
    REQUIRE(abytes);

    learner_handle(n.l[2], heartbeat(1, 1, 300), 0, &n.o[2]);
    learner_tick(n.l[2], CATCHUP_MS, &n.o[2]);
    pump(&n, CATCHUP_MS);
    CHECK(n.delivered[PX_MSG_SNAP_CHUNK] == (alen + PX_SNAP_CHUNK - 1) / PX_SNAP_CHUNK);
    CHECK(n.delivered[PX_MSG_SNAP_REQ] == n.delivered[PX_MSG_SNAP_CHUNK] - 1);
    CHECK(learner_applied_upto(n.l[2]) == 256);
    CHECK(learner_snapshot_receiving(n.l[2]) == 0); /* buffer gone */
    /* no APPLIED inside the snapshot but one of no commands for its last
     * slot, which tells the gateway the list's new length */
    CHECK(n.min_applied[2] == 255);
    /* The installed state is B's point, for its host to write. */
    CHECK(learner_snapshot_pending(n.l[2]) == 256 && learner_snapshot_upto(n.l[2]) == 0);
    size_t blen;
    uint8_t *bbytes = point_bytes(n.l[2], &blen);
    CHECK(bbytes && blen == alen && memcmp(abytes, bbytes, alen) == 0);
    free(bbytes);

    /* The tail comes as CHOSENs on the next round. */
    learner_tick(n.l[2], 2 * CATCHUP_MS, &n.o[2]);
    pump(&n, 2 * CATCHUP_MS);
    CHECK(learner_applied_upto(n.l[2]) == 300);
    CHECK(n.min_applied[2] == 255);
    CHECK(same_state(n.l[1], n.l[2]));
    CHECK(same_state(ref, n.l[2]));
    /* Same slots from here on: same evolution, evictions included. */
    feed(n.l[1], 300, 700);
    feed(n.l[2], 300, 700);
    feed(ref, 300, 700);
    CHECK(same_state(n.l[1], n.l[2]));
    CHECK(same_state(ref, n.l[2]));
    CHECK(learner_dedup_size(ref) <= 16); /* 40 clients: evictions ran */
    free(abytes);
    learner_free(ref);
    lnet_free(&n);
}

static void test_transfer_restarts_on_new_point(void)
{
    lnet n;
    lnet_init(&n);
    learner_config ca = snapcfg(1, 128, 16), cb = snapcfg(2, 128, 16);
    n.l[1] = learner_new(&ca, 0);
    n.l[2] = learner_new(&cb, 0);
    feed(n.l[1], 0, 260);
    learner_snapshot_durable(n.l[1], 256);
    learner_handle(n.l[1], catchup_msg(2, 0), 0, &n.o[1]);
    /* Deliver the first chunk by hand; B asks for the second. */
    REQUIRE(n.o[1].n == 1);
    learner_handle(n.l[2], &n.o[1].v[0].msg, 0, &n.o[2]);
    px_outbox_clear(&n.o[1]);
    CHECK(learner_snapshot_receiving(n.l[2]) == 256);
    const px_envelope *e = find_msg(&n.o[2], PX_MSG_SNAP_REQ);
    REQUIRE(e);
    CHECK(e->node == 1 && e->msg.u.snap_req.snap_slot == 256 &&
          e->msg.u.snap_req.offset == PX_SNAP_CHUNK);
    /* Meanwhile A moves on to a new point: the answer restarts B on it. */
    feed(n.l[1], 260, 384);
    CHECK(learner_snapshot_pending(n.l[1]) == 384);
    learner_handle(n.l[1], &e->msg, 0, &n.o[1]);
    px_outbox_clear(&n.o[2]);
    REQUIRE(n.o[1].n == 1);
    CHECK(n.o[1].v[0].msg.u.snap_chunk.snap_slot == 384 && n.o[1].v[0].msg.u.snap_chunk.offset == 0);
    pump(&n, 0);
    CHECK(learner_snapshot_receiving(n.l[2]) == 0);
    CHECK(learner_applied_upto(n.l[2]) == 384);
    CHECK(same_state(n.l[1], n.l[2]));
    lnet_free(&n);
}

static void test_transfer_stall_resend_and_drop(void)
{
    lnet n;
    lnet_init(&n);
    learner_config ca = snapcfg(1, 128, 16), cb = snapcfg(2, 128, 16);
    n.l[1] = learner_new(&ca, 0);
    n.l[2] = learner_new(&cb, 0);
    struct learner *a = n.l[1], *b = n.l[2];
    feed(a, 0, 300);
    learner_snapshot_durable(a, 256);
    learner_handle(b, heartbeat(1, 1, 300), 0, &n.o[2]);
    learner_handle(a, catchup_msg(2, 0), 0, &n.o[1]);
    learner_handle(b, &n.o[1].v[0].msg, 0, &n.o[2]);
    px_outbox_clear(&n.o[1]);
    px_outbox_clear(&n.o[2]); /* B's request is lost */
    CHECK(learner_snapshot_receiving(b) == 256);

    /* Round 1: a chunk came since the transfer started: no resend. */
    learner_tick(b, CATCHUP_MS, &n.o[2]);
    CHECK(count(&n.o[2], PX_MSG_SNAP_REQ, PX_ROLE_LEARNER, 1) == 0);
    px_outbox_clear(&n.o[2]);
    /* Rounds 2 and 3 without a chunk: the request goes again. */
    for (int r = 2; r <= 3; r++) {
        learner_tick(b, (uint64_t)r * CATCHUP_MS, &n.o[2]);
        const px_envelope *e = find_msg(&n.o[2], PX_MSG_SNAP_REQ);
        REQUIRE(e);
        CHECK(e->node == 1 && e->msg.u.snap_req.snap_slot == 256 &&
              e->msg.u.snap_req.offset == PX_SNAP_CHUNK);
        CHECK(count_type(&n.o[2], PX_MSG_SNAP_REQ) == 1);
        px_outbox_clear(&n.o[2]);
    }
    /* Round 4: the third stalled round drops the transfer. */
    learner_tick(b, 4 * CATCHUP_MS, &n.o[2]);
    CHECK(count_type(&n.o[2], PX_MSG_SNAP_REQ) == 0);
    CHECK(learner_snapshot_receiving(b) == 0);
    CHECK(learner_applied_upto(b) == 0);
    /* The catch-up round it sent starts a fresh transfer that completes. */
    CHECK(count(&n.o[2], PX_MSG_CATCHUP, PX_ROLE_LEARNER, 1) == 1);
    pump(&n, 4 * CATCHUP_MS);
    CHECK(learner_applied_upto(b) == 256);
    lnet_free(&n);
}

/* Progress on a transfer resets the stall count. */
static void test_transfer_progress_resets_stall(void)
{
    lnet n;
    lnet_init(&n);
    learner_config ca = snapcfg(1, 128, 16), cb = snapcfg(2, 128, 16);
    n.l[1] = learner_new(&ca, 0);
    n.l[2] = learner_new(&cb, 0);
    struct learner *a = n.l[1], *b = n.l[2];
    feed(a, 0, 300);
    learner_snapshot_durable(a, 256);
    learner_handle(b, heartbeat(1, 1, 300), 0, &n.o[2]);
    learner_handle(a, catchup_msg(2, 0), 0, &n.o[1]);
    learner_handle(b, &n.o[1].v[0].msg, 0, &n.o[2]);
    px_outbox_clear(&n.o[1]);
    px_outbox_clear(&n.o[2]);
    uint64_t now = CATCHUP_MS;
    learner_tick(b, now, &n.o[2]); /* progress round */
    px_outbox_clear(&n.o[2]);
    for (int k = 0; k < 3; k++) {
        now += CATCHUP_MS;
        learner_tick(b, now, &n.o[2]); /* stalled: resends */
        const px_envelope *e = find_msg(&n.o[2], PX_MSG_SNAP_REQ);
        REQUIRE(e);
        /* Deliver the resend and A's answer, drop B's next request. */
        learner_handle(a, &e->msg, now, &n.o[1]);
        px_outbox_clear(&n.o[2]);
        REQUIRE(n.o[1].n == 1);
        learner_handle(b, &n.o[1].v[0].msg, now, &n.o[2]);
        px_outbox_clear(&n.o[1]);
        px_outbox_clear(&n.o[2]);
        now += CATCHUP_MS;
        learner_tick(b, now, &n.o[2]); /* progress */
        CHECK(count_type(&n.o[2], PX_MSG_SNAP_REQ) == 0);
        px_outbox_clear(&n.o[2]);
        CHECK(learner_snapshot_receiving(b) == 256);
    }
    lnet_free(&n);
}

static void test_transfer_refusals(void)
{
    learner_config ca = snapcfg(1, 128, 16), cb = snapcfg(2, 128, 16);
    struct learner *a = learner_new(&ca, 0), *b = learner_new(&cb, 0);
    px_outbox o;
    px_outbox_init(&o);
    feed(a, 0, 300);
    size_t len;
    uint8_t *bytes = point_bytes(a, &len);
    REQUIRE(bytes && len > 3 * PX_SNAP_CHUNK);

    px_msg *m = chunk_msg(1, 256, bytes, len, 0);
    m->u.snap_chunk.total = PX_SNAP_MAX + 1;
    CHECK(learner_handle(b, m, 0, &o) == PX_REFUSE_SNAPSHOT_BAD);
    CHECK(learner_snapshot_receiving(b) == 0 && learner_known_chosen(b) == 0);
    m = chunk_msg(1, 256, bytes, PX_SNAP_MIN - 1, 0);
    CHECK(learner_handle(b, m, 0, &o) == PX_REFUSE_SNAPSHOT_BAD);
    CHECK(learner_snapshot_receiving(b) == 0);
    /* From ourselves, from a non-member, or empty: no peer sends those. */
    CHECK(learner_handle(b, chunk_msg(2, 256, bytes, len, 0), 0, &o) == PX_REFUSE_WRONG_PATH);
    CHECK(learner_handle(b, chunk_msg(7, 256, bytes, len, 0), 0, &o) == PX_REFUSE_NOT_MEMBER);
    m = chunk_msg(1, 256, bytes, len, 0);
    m->u.snap_chunk.n = 0;
    CHECK(learner_handle(b, m, 0, &o) == PX_WIRE_FIELD_BAD);
    CHECK(learner_snapshot_receiving(b) == 0 && learner_known_chosen(b) == 0);
    /* A later chunk with no transfer under way is ignored, not refused. */
    CHECK(learner_handle(b, chunk_msg(1, 256, bytes, len, PX_SNAP_CHUNK), 0, &o) == 0);
    CHECK(learner_snapshot_receiving(b) == 0 && o.n == 0);

    learner_handle(b, chunk_msg(1, 256, bytes, len, 0), 0, &o);
    CHECK(learner_snapshot_receiving(b) == 256);
    px_outbox_clear(&o);
    /* Out of order, from another peer, another total, an older point: ignored. */
    learner_handle(b, chunk_msg(1, 256, bytes, len, 2 * PX_SNAP_CHUNK), 0, &o);
    learner_handle(b, chunk_msg(3, 256, bytes, len, PX_SNAP_CHUNK), 0, &o);
    m = chunk_msg(1, 256, bytes, len, PX_SNAP_CHUNK);
    m->u.snap_chunk.total = len + 8;
    learner_handle(b, m, 0, &o);
    learner_handle(b, chunk_msg(3, 128, bytes, len, 0), 0, &o);
    learner_handle(b, chunk_msg(1, 256, bytes, len, 0), 0, &o); /* a duplicate start */
    CHECK(o.n == 0 && learner_snapshot_receiving(b) == 256);
    /* The right next chunk is taken: B asks for the one after. */
    learner_handle(b, chunk_msg(1, 256, bytes, len, PX_SNAP_CHUNK), 0, &o);
    const px_envelope *e = find_msg(&o, PX_MSG_SNAP_REQ);
    REQUIRE(e);
    CHECK(e->node == 1 && e->msg.u.snap_req.offset == 2 * PX_SNAP_CHUNK);

    /* A corrupt byte in transit: the complete transfer is refused (the
     * last chunk is the one that completes it), counted, and dropped. */
    bytes[2 * PX_SNAP_CHUNK + 5] ^= 1;
    int last = -1;
    for (uint64_t off = 2 * PX_SNAP_CHUNK; off < len; off += PX_SNAP_CHUNK)
        last = learner_handle(b, chunk_msg(1, 256, bytes, len, off), 0, &o);
    CHECK(last == PX_REFUSE_SNAPSHOT_BAD);
    CHECK(learner_snapshot_receiving(b) == 0);
    CHECK(learner_applied_upto(b) == 0 && learner_snapshot_pending(b) == 0);
    /* Sent intact, it installs. */
    bytes[2 * PX_SNAP_CHUNK + 5] ^= 1;
    for (uint64_t off = 0; off < len; off += PX_SNAP_CHUNK)
        learner_handle(b, chunk_msg(1, 256, bytes, len, off), 0, &o);
    CHECK(learner_applied_upto(b) == 256 && learner_snapshot_receiving(b) == 0);
    /* A snapshot not above what B applied starts nothing. */
    learner_handle(b, chunk_msg(1, 256, bytes, len, 0), 0, &o);
    CHECK(learner_snapshot_receiving(b) == 0);
    free(bytes);
    px_outbox_free(&o);
    learner_free(a);
    learner_free(b);
}

/* Pending slots above the snapshot survive the install and apply right
 * after it; those below are dropped. */
static void test_install_keeps_pending_above(void)
{
    learner_config ca = snapcfg(1, 128, 16), cb = snapcfg(2, 128, 16);
    struct learner *a = learner_new(&ca, 0), *b = learner_new(&cb, 0);
    px_outbox o;
    px_outbox_init(&o);
    feed(a, 0, 300);
    size_t len;
    uint8_t *bytes = point_bytes(a, &len);
    REQUIRE(bytes);
    px_cmd c[PX_MAX_BATCH];
    for (uint64_t s = 200; s < 300; s++) {
        if (s == 230) continue; /* a hole above the snapshot */
        learner_handle(b, chosen(s, c, log_slot(s, c)), 0, &o);
    }
    CHECK(learner_pending(b) == 99);
    px_outbox_clear(&o);
    for (uint64_t off = 0; off < len; off += PX_SNAP_CHUNK)
        learner_handle(b, chunk_msg(1, 256, bytes, len, off), 0, &o);
    /* 256..299 applied at once, an APPLIED for each but the no-ops, after
     * one of no commands for slot 255 that carries the installed length. */
    CHECK(learner_applied_upto(b) == 300 && learner_pending(b) == 0);
    size_t want = 0;
    for (uint64_t s = 256; s < 300; s++) want += log_slot(s, c) > 0;
    CHECK(count_type(&o, PX_MSG_APPLIED) == want + 1 && want > 30);
    const px_applied *jump = applied_for(&o, 255);
    const px_applied *next = applied_for(&o, 256);
    CHECK(jump && jump->n == 0 && jump->list_len > 0 && applied_for(&o, 254) == NULL);
    /* the first slot above the snapshot continues from that length */
    CHECK(next && next->list_len >= jump->list_len && next->list_len <= jump->list_len + next->n);
    CHECK(applied_for(&o, 256) != NULL);
    CHECK(same_state(a, b));
    free(bytes);
    px_outbox_free(&o);
    learner_free(a);
    learner_free(b);
}

static void test_restore_from_bytes(void)
{
    learner_config ca = snapcfg(1, 128, 16), cr = snapcfg(2, 128, 16);
    struct learner *a = learner_new(&ca, 0), *r = learner_new(&cr, 0);
    px_outbox o;
    px_outbox_init(&o);
    feed(a, 0, 300);
    size_t len;
    uint8_t *bytes = point_bytes(a, &len);
    REQUIRE(bytes);
    char err[128];

    /* Damaged files are refused with a reason and change nothing. */
    bytes[len / 2] ^= 4;
    CHECK(learner_restore_snapshot(r, bytes, len, err, sizeof err) == -1);
    CHECK(strstr(err, "CRC") != NULL);
    bytes[len / 2] ^= 4;
    CHECK(learner_restore_snapshot(r, bytes, len - 1, err, sizeof err) == -1);
    CHECK(strstr(err, "truncated") != NULL);
    CHECK(learner_applied_upto(r) == 0 && learner_dedup_size(r) == 0);

    REQUIRE(learner_restore_snapshot(r, bytes, len, err, sizeof err) == 0);
    CHECK(learner_applied_upto(r) == 256 && learner_known_chosen(r) == 256);
    CHECK(learner_snapshot_upto(r) == 256 && learner_snapshot_pending(r) == 0);
    CHECK(learner_retained(r) == 0);
    learner_tick(r, STATUS_MS, &o);
    const px_envelope *e = find_msg(&o, PX_MSG_LEARNED);
    CHECK(e && e->msg.u.learned.snapshot_upto == 256 && e->msg.u.learned.applied_upto == 256);
    feed(r, 256, 300);
    CHECK(same_state(a, r));
    feed(a, 300, 600);
    feed(r, 300, 600);
    CHECK(same_state(a, r));
    /* Its retention starts at the snapshot: older slots come as a snapshot. */
    px_outbox_clear(&o);
    learner_handle(r, catchup_msg(3, 10), 0, &o);
    REQUIRE(o.n == 1);
    CHECK(o.v[0].msg.type == PX_MSG_SNAP_CHUNK && o.v[0].msg.u.snap_chunk.snap_slot == 512);
    /* Too late for a restore. */
    CHECK(learner_restore_snapshot(r, bytes, len, err, sizeof err) == -1);
    CHECK(strstr(err, "not above") != NULL);
    /* A table smaller than the snapshot's is refused too. */
    learner_config small = snapcfg(3, 128, 8);
    struct learner *s = learner_new(&small, 0);
    CHECK(learner_restore_snapshot(s, bytes, len, err, sizeof err) == -1);
    CHECK(strstr(err, "dedup_max") != NULL);
    learner_free(s);
    free(bytes);
    px_outbox_free(&o);
    learner_free(a);
    learner_free(r);
}


/* ---- refusals ---- */

/* The verdict on m, and that a refusal produced nothing. */
static int verdict(struct learner *l, const px_msg *m, px_outbox *o)
{
    px_outbox_clear(o);
    int why = learner_handle(l, m, 0, o);
    return why != 0 && o->n != 0 ? -1 : why;
}

/* A CHOSEN that no quorum of members acknowledged is refused before it
 * touches anything: one such frame at a fresh slot (a value nobody
 * appended) would otherwise make this learner's list diverge for good.
 * Fails under PX_MUTANT_LEARNER_TRUST_ACKS. */
static void test_chosen_needs_quorum_acks(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_cmd c = app(666, 1, -666);
    px_msg *m = chosen(0, &c, 1);
    static const uint32_t bad[] = {0x0, 0x2, 0x4, 0x10, 0x12, 0x30, 0x3F0, 0x212};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m->u.chosen.acks = bad[i];
        CHECK(verdict(l, m, &o) == PX_REFUSE_CHOSEN_QUORUM);
    }
    /* Far ahead it would not be applied, but it still must not raise
     * known_chosen (catch-up rounds forever). */
    m->u.chosen.slot = 1000000;
    m->u.chosen.acks = 0x2;
    CHECK(verdict(l, m, &o) == PX_REFUSE_CHOSEN_QUORUM);
    CHECK(learner_applied_upto(l) == 0 && learner_known_chosen(l) == 0);
    CHECK(learner_pending(l) == 0 && list_is(l, NULL, 0));

    m = chosen(0, &c, 1);
    m->u.chosen.ballot = (px_ballot){0, 0};
    CHECK(verdict(l, m, &o) == PX_REFUSE_BALLOT_ZERO);
    m = chosen(0, &c, 1);
    m->u.chosen.ballot.round = PX_MAX_ROUND + 1;
    CHECK(verdict(l, m, &o) == PX_WIRE_BALLOT_BAD);
    m = chosen(UINT64_MAX, &c, 1);
    CHECK(verdict(l, m, &o) == PX_REFUSE_SLOT_BAD);
    m = chosen(0, &c, 1);
    m->u.chosen.value.n = PX_MAX_BATCH + 1;
    CHECK(verdict(l, m, &o) == PX_WIRE_FIELD_BAD);
    CHECK(learner_applied_upto(l) == 0 && learner_known_chosen(l) == 0);

    /* Two of three members is a quorum; so is all of them. */
    m = chosen(0, &c, 1);
    m->u.chosen.acks = 0x6;
    CHECK(verdict(l, m, &o) == 0 && learner_applied_upto(l) == 1);
    m = chosen(1, &c, 1);
    m->u.chosen.acks = 0xA;
    CHECK(verdict(l, m, &o) == 0 && learner_applied_upto(l) == 2);
    learner_free(l);

    /* With five members, two acks are not enough and ids 1..5 count. */
    learner_config c5 = mkcfg(1, 5, 100);
    l = learner_new(&c5, 0);
    m = chosen(0, &c, 1);
    m->u.chosen.acks = 0x6;
    CHECK(verdict(l, m, &o) == PX_REFUSE_CHOSEN_QUORUM);
    m->u.chosen.acks = 0x70; /* 4, 5, 6: 6 is no member */
    CHECK(verdict(l, m, &o) == PX_REFUSE_CHOSEN_QUORUM);
    m->u.chosen.acks = 0x38; /* 3, 4, 5 */
    CHECK(verdict(l, m, &o) == 0 && learner_applied_upto(l) == 1);
    px_outbox_free(&o);
    learner_free(l);
}

/* A heartbeat names its leader, who sends it under its own ballot: a
 * leader that is not a member or not the sender would redirect the
 * escalation of catch-up (and raise known_chosen) on a peer's say-so. */
static void test_heartbeat_refusals(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_msg *m = heartbeat(5, 2, 50);
    m->from = 3;
    CHECK(verdict(l, m, &o) == PX_REFUSE_SENDER_MISMATCH);
    m = heartbeat(5, 2, 50);
    m->u.heartbeat.ballot.node = 3;
    CHECK(verdict(l, m, &o) == PX_REFUSE_SENDER_MISMATCH);
    m->from = 3; /* 3, under its own ballot, naming 2 the leader */
    CHECK(verdict(l, m, &o) == PX_REFUSE_SENDER_MISMATCH);
    m = heartbeat(5, 7, 50); /* from 7 too: the transport would refuse it first */
    CHECK(verdict(l, m, &o) == PX_REFUSE_NOT_MEMBER);
    m = heartbeat(0, 2, 50);
    m->u.heartbeat.ballot.node = 0;
    CHECK(verdict(l, m, &o) == PX_REFUSE_BALLOT_ZERO);
    m = heartbeat(PX_MAX_ROUND + 1, 2, 50);
    CHECK(verdict(l, m, &o) == PX_WIRE_BALLOT_BAD);
    CHECK(learner_known_chosen(l) == 0);
    /* Nothing was taken: no gap, so no catch-up round ever goes out. */
    learner_tick(l, 10 * CATCHUP_MS, &o);
    CHECK(count_type(&o, PX_MSG_CATCHUP) == 0);
    CHECK(verdict(l, heartbeat(5, 2, 50), &o) == 0 && learner_known_chosen(l) == 50);
    px_outbox_free(&o);
    learner_free(l);
}

/* Catch-up and snapshot requests come from peers, for themselves; list
 * requests from our own gateway; nothing else comes to a learner. */
static void test_peer_refusals(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    give(l, 0, 10, 0, &o);
    give(l, 1, 11, 0, &o);

    px_msg *m = catchup_msg(2, 0);
    m->u.catchup.learner = 3; /* 2 asking for 3: the answer would go to 2 anyway */
    CHECK(verdict(l, m, &o) == PX_REFUSE_SENDER_MISMATCH);
    CHECK(verdict(l, catchup_msg(1, 0), &o) == PX_REFUSE_WRONG_PATH);
    CHECK(verdict(l, catchup_msg(6, 0), &o) == PX_REFUSE_NOT_MEMBER);
    CHECK(verdict(l, catchup_msg(2, 0), &o) == 0 && count_type(&o, PX_MSG_CHOSEN) == 2);

    CHECK(verdict(l, snap_req_msg(1, 0, 0), &o) == PX_REFUSE_WRONG_PATH);
    CHECK(verdict(l, snap_req_msg(8, 0, 0), &o) == PX_REFUSE_NOT_MEMBER);
    CHECK(verdict(l, snap_req_msg(2, 0, 0), &o) == 0); /* no point: nothing to send */

    static px_msg r;
    memset(&r, 0, sizeof r);
    r.type = PX_MSG_LIST_REQ;
    r.from = 2;
    CHECK(verdict(l, &r, &o) == PX_REFUSE_WRONG_PATH);
    r.from = 1;
    CHECK(verdict(l, &r, &o) == 0 && count_type(&o, PX_MSG_LIST_CHUNK) == 1);

    static const int others[] = {PX_MSG_PREPARE, PX_MSG_PROMISE, PX_MSG_ACCEPT, PX_MSG_ACCEPTED,
                                 PX_MSG_REJECT, PX_MSG_REQUEST, PX_MSG_NACK, PX_MSG_LEARNED,
                                 PX_MSG_APPLIED, PX_MSG_LIST_CHUNK, PX_MSG_TRIM};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        memset(&r, 0, sizeof r);
        r.type = (uint8_t)others[i];
        r.from = 2;
        CHECK(verdict(l, &r, &o) == PX_REFUSE_UNEXPECTED_TYPE);
    }
    CHECK(learner_applied_upto(l) == 2 && learner_known_chosen(l) == 2);
    px_outbox_free(&o);
    learner_free(l);
}


/* ---- learning from VOTEs ---- */

static px_msg *vote(uint32_t acceptor, uint64_t slot, px_ballot b, const px_cmd *cmds, int n)
{
    static px_msg m;
    memset(&m, 0, sizeof m);
    m.type = PX_MSG_VOTE;
    m.from = acceptor;
    m.u.vote.ballot = b;
    m.u.vote.acceptor = acceptor;
    m.u.vote.slot = slot;
    m.u.vote.value.n = (uint16_t)n;
    for (int i = 0; i < n; i++) m.u.vote.value.cmds[i] = cmds[i];
    return &m;
}

/* A quorum of VOTEs for one (slot, ballot) decides the slot, in order with
 * the others; one vote, or a duplicate of it, does not.  The APPLIED names
 * the ballot's node as the leader, and the slot is served to peers with
 * the voters as its acks. */
static void test_votes_decide(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_ballot b = {.round = 4, .node = 3};
    px_cmd c0 = app(9, 1, 10), c1 = app(9, 2, 11);
    CHECK(learner_handle(l, vote(1, 1, b, &c1, 1), 0, &o) == 0);
    CHECK(learner_handle(l, vote(1, 1, b, &c1, 1), 0, &o) == 0); /* duplicate */
    CHECK(learner_pending(l) == 0 && learner_tallies(l) == 1 && learner_known_chosen(l) == 0);
    CHECK(learner_handle(l, vote(2, 1, b, &c1, 1), 0, &o) == 0);
    CHECK(learner_pending(l) == 1 && learner_tallies(l) == 0); /* decided, waits for slot 0 */
    CHECK(learner_known_chosen(l) == 2 && learner_applied_upto(l) == 0);
    CHECK(count_type(&o, PX_MSG_APPLIED) == 0);
    learner_handle(l, vote(3, 0, b, &c0, 1), 0, &o);
    CHECK(learner_applied_upto(l) == 0);
    learner_handle(l, vote(1, 0, b, &c0, 1), 0, &o);
    CHECK(learner_applied_upto(l) == 2 && learner_votes_decided(l) == 2);
    int64_t want[] = {10, 11};
    CHECK(list_is(l, want, 2));
    REQUIRE(applied_for(&o, 1) != NULL);
    CHECK(applied_for(&o, 1)->leader == 3 && applied_for(&o, 1)->entries[0].result == 1);
    /* A late third vote for a decided slot changes nothing. */
    px_outbox_clear(&o);
    CHECK(learner_handle(l, vote(3, 1, b, &c1, 1), 0, &o) == 0 && o.n == 0);
    /* Served to a peer as a CHOSEN with the voters as proof. */
    px_msg cu;
    memset(&cu, 0, sizeof cu);
    cu.type = PX_MSG_CATCHUP;
    cu.from = 2;
    cu.u.catchup.learner = 2;
    learner_handle(l, &cu, 0, &o);
    REQUIRE(count_type(&o, PX_MSG_CHOSEN) == 2);
    CHECK(o.v[1].msg.u.chosen.slot == 1 && o.v[1].msg.u.chosen.acks == 0x6 &&
          o.v[1].msg.u.chosen.ballot.round == 4);
    CHECK(o.v[0].msg.u.chosen.acks == 0xA);
    px_outbox_free(&o);
    learner_free(l);
}

/* Votes of different ballots never add up: the tally follows the highest
 * ballot, and an older ballot's vote is ignored.  (Fails under
 * PX_MUTANT_LEARNER_VOTE_MIXED, which decides a value that was never
 * chosen from one old vote and one new one.) */
static void test_votes_not_mixed(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_ballot b1 = {.round = 1, .node = 1}, b2 = {.round = 2, .node = 2};
    px_cmd old = app(5, 1, 100), neu = app(6, 1, 200);
    learner_handle(l, vote(1, 0, b1, &old, 1), 0, &o);
    learner_handle(l, vote(2, 0, b2, &neu, 1), 0, &o); /* newer ballot: a fresh tally */
    CHECK(learner_applied_upto(l) == 0 && learner_tallies(l) == 1);
    learner_handle(l, vote(3, 0, b1, &old, 1), 0, &o); /* old ballot: ignored */
    CHECK(learner_applied_upto(l) == 0);
    learner_handle(l, vote(3, 0, b2, &neu, 1), 0, &o);
    CHECK(learner_applied_upto(l) == 1);
    int64_t want[] = {200};
    CHECK(list_is(l, want, 1));
    /* A CHOSEN overrides a tally, and a tally never blocks a CHOSEN. */
    learner_handle(l, vote(1, 1, b2, &old, 1), 0, &o);
    px_cmd c = app(7, 1, 300);
    learner_handle(l, chosen(1, &c, 1), 0, &o);
    CHECK(learner_applied_upto(l) == 2 && learner_tallies(l) == 0);
    px_outbox_free(&o);
    learner_free(l);
}

/* What a VOTE must be to count, and that a refused one changes nothing. */
static void test_vote_refusals(void)
{
    learner_config cfg = mkcfg(1, 3, 100);
    struct learner *l = learner_new(&cfg, 0);
    px_outbox o;
    px_outbox_init(&o);
    px_ballot b = {.round = 4, .node = 3};
    px_cmd c = app(9, 1, 11), d = app(9, 1, 12);
    px_msg *m = vote(2, 0, b, &c, 1);
    m->from = 3; /* acceptor 3 signs as 2: one peer, two votes */
    CHECK(learner_handle(l, m, 0, &o) == PX_REFUSE_SENDER_MISMATCH);
    CHECK(learner_handle(l, vote(3, 0, b, &c, 1), 0, &o) == 0);
    m = vote(3, 0, b, &c, 1);
    m->from = 2;
    CHECK(learner_handle(l, m, 0, &o) == PX_REFUSE_SENDER_MISMATCH);
    CHECK(learner_tallies(l) == 1 && learner_applied_upto(l) == 0);
    CHECK(learner_handle(l, vote(4, 0, b, &c, 1), 0, &o) == PX_REFUSE_NOT_MEMBER);
    CHECK(learner_handle(l, vote(2, 0, (px_ballot){0, 0}, &c, 1), 0, &o) ==
          PX_REFUSE_BALLOT_ZERO);
    CHECK(learner_handle(l, vote(2, 0, (px_ballot){PX_MAX_ROUND + 1, 3}, &c, 1), 0, &o) ==
          PX_WIRE_BALLOT_BAD);
    CHECK(learner_handle(l, vote(2, UINT64_MAX, b, &c, 1), 0, &o) == PX_REFUSE_SLOT_BAD);
    m = vote(2, 0, b, &c, 1);
    m->u.vote.value.n = PX_MAX_BATCH + 1;
    CHECK(learner_handle(l, m, 0, &o) == PX_WIRE_FIELD_BAD);
    /* Another value under the same ballot: no honest acceptor sends it. */
    CHECK(learner_handle(l, vote(2, 0, b, &d, 1), 0, &o) == PX_REFUSE_VOTE_MISMATCH);
    CHECK(learner_handle(l, vote(2, 0, b, &c, 0), 0, &o) == PX_REFUSE_VOTE_MISMATCH);
    CHECK(learner_tallies(l) == 1 && learner_applied_upto(l) == 0 && o.n == 0);
    /* The honest second vote still decides it. */
    CHECK(learner_handle(l, vote(2, 0, b, &c, 1), 0, &o) == 0);
    CHECK(learner_applied_upto(l) == 1);
    int64_t want[] = {11};
    CHECK(list_is(l, want, 1));
    /* Too far ahead to hold: dropped, not counted. */
    CHECK(learner_handle(l, vote(2, 70000, b, &c, 1), 0, &o) == 0);
    CHECK(learner_tallies(l) == 0);
    px_outbox_free(&o);
    learner_free(l);
}

int main(void)
{
    RUN(test_in_order_apply);
    RUN(test_out_of_order_held);
    RUN(test_duplicate_chosen_ignored);
    RUN(test_noop_skipped);
    RUN(test_dedup_retry_dup);
    RUN(test_dedup_stale);
    RUN(test_seq0_not_deduped);
    RUN(test_reads_in_batch);
    RUN(test_applied_content);
    RUN(test_catchup_to_peers_until_filled);
    RUN(test_catchup_from_heartbeat_and_escalation);
    RUN(test_serve_catchup);
    RUN(test_status_reports);
    RUN(test_list_chunks);
    RUN(test_forget_below);
    RUN(test_pending_bound);
    RUN(test_dedup_eviction_deterministic);
    RUN(test_dedup_table_direct);
    RUN(test_no_snapshots_when_off);
    RUN(test_points_at_the_right_slots);
    RUN(test_point_bytes_survive_appends);
    RUN(test_durable_retention_and_learned);
    RUN(test_serve_snapshot_below_retention);
    RUN(test_snap_req_serving);
    RUN(test_transfer_installs_and_evolves_identically);
    RUN(test_transfer_restarts_on_new_point);
    RUN(test_transfer_stall_resend_and_drop);
    RUN(test_transfer_progress_resets_stall);
    RUN(test_transfer_refusals);
    RUN(test_install_keeps_pending_above);
    RUN(test_restore_from_bytes);
    RUN(test_chosen_needs_quorum_acks);
    RUN(test_heartbeat_refusals);
    RUN(test_peer_refusals);
    RUN(test_votes_decide);
    RUN(test_votes_not_mixed);
    RUN(test_vote_refusals);
    return check_summary();
}
