/* test_learner.c -- unit tests of the learner core: in-order apply, dedup,
 * catch-up (asking and serving), status reports, list chunks, compaction. */
#include "learner/learner.h"
#include "learner/dedup.h"
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
    m.u.chosen.acks = 0x6;
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
        CHECK(c->ballot.round == 7 && c->ballot.node == 2 && c->acks == 0x6);
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
    return check_summary();
}
