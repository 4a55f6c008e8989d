/* test_gateway_core.c -- the gateway's pure core (gateway/core.h): the
 * list copy, sessions and waiters, command ids, the resend schedule, the
 * 503/504 rule end to end, answers, the read path and its wait for the
 * list copy, abandon and stop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../gateway/core.h"
#include "check.h"

#define T0 100000u   /* the clock at the start of each test */
#define TIMEOUT 5000 /* request_timeout_ms */
#define NODE 2

static px_applied applied(uint64_t slot, uint64_t list_len, int n, const int64_t *vals)
{
    px_applied a;
    memset(&a, 0, sizeof(a));
    a.slot = slot;
    a.list_len = list_len;
    a.n = (uint16_t)n;
    for (int i = 0; i < n; i++) {
        a.entries[i].cmd.kind = PX_CMD_APPEND;
        a.entries[i].cmd.value = vals[i];
        a.entries[i].result = (int64_t)list_len - n + i;
    }
    return a;
}

static void test_listcopy(void)
{
    gw_list l;
    REQUIRE(gw_list_init(&l) == 0);
    int64_t v1[] = {10, 11};
    px_applied a = applied(0, 2, 2, v1);
    CHECK(gw_list_on_applied(&l, &a) == 1 && l.len == 2);
    CHECK(gw_list_on_applied(&l, &a) == 0 && l.len == 2); /* re-sent: ignored */
    /* A DUP and a READ add nothing. */
    a.entries[0].flags = PX_APPLIED_DUP;
    a.entries[1].cmd.kind = PX_CMD_READ;
    a.list_len = 2;
    CHECK(gw_list_on_applied(&l, &a) == 0 && l.len == 2);
    /* A gap: slot with elements [5, 6) while we hold 2. */
    int64_t v2[] = {15};
    a = applied(7, 6, 1, v2);
    CHECK(gw_list_on_applied(&l, &a) == 0 && l.len == 2 && l.known_len == 6);
    /* The chunk fills it, overlapping what we have. */
    px_list_chunk *c = calloc(1, sizeof(*c));
    REQUIRE(c != NULL);
    c->from_index = 1;
    c->total_len = 6;
    c->n = 5;
    for (int i = 0; i < 5; i++) c->values[i] = 11 + i;
    CHECK(gw_list_on_chunk(&l, c) == 1 && l.len == 6);
    CHECK(gw_list_at(&l, 5) == 15 && gw_list_at(&l, 0) == 10);
    /* Crossing a block boundary. */
    for (uint64_t i = 6; i < GW_LIST_BLOCK + 10; i++) {
        int64_t v = (int64_t)i;
        a = applied(i, i + 1, 1, &v);
        gw_list_on_applied(&l, &a);
    }
    CHECK(l.len == GW_LIST_BLOCK + 10 && gw_list_at(&l, GW_LIST_BLOCK + 3) == GW_LIST_BLOCK + 3);
    free(c);
    gw_list_free(&l);
}

static void test_sessions(void)
{
    static gw_pending p;
    gw_pending_init(&p, UINT64_MAX - 5); /* wraps, and must keep the top bit clear */
    int seen_free = 0;
    for (int i = 0; i < GW_SESSIONS; i++) {
        CHECK(p.sessions[i].client >> 63 == 0);
        CHECK(p.sessions[i].client != 0);
    }
    int a = gw_session_take(&p), b = gw_session_take(&p);
    CHECK(a >= 0 && b >= 0 && a != b);
    gw_session_give(&p, a);
    CHECK(gw_session_take(&p) == a);
    for (int i = 2; i < GW_SESSIONS; i++) seen_free += gw_session_take(&p) >= 0;
    CHECK(seen_free == GW_SESSIONS - 2);
    CHECK(gw_session_take(&p) == -1);

    /* Results reach every waiter of the id and nobody else. */
    gw_waiter w1, w2, w3;
    memset(&w1, 0, sizeof(w1));
    memset(&w2, 0, sizeof(w2));
    memset(&w3, 0, sizeof(w3));
    w1.client = w2.client = 77;
    w1.seq = w2.seq = 1;
    w3.client = 77;
    w3.seq = 2;
    gw_waiter_add(&p, &w1);
    gw_waiter_add(&p, &w2);
    gw_waiter_add(&p, &w3);
    px_nack nk = {77, 2, PX_NACK_NO_LEADER, 0, 1};
    CHECK(gw_pending_nack(&p, &nk) == 1 && w3.nacks_no_leader == 1 && w1.nacks == 0);
    /* ... and puts it on the ready list once, for the next tick */
    CHECK(p.ready == &w3 && w3.on_ready && w3.ready_next == NULL && !w1.on_ready);
    CHECK(gw_pending_nack(&p, &nk) == 1 && p.ready == &w3 && w3.ready_next == NULL);
    px_applied ap;
    memset(&ap, 0, sizeof(ap));
    ap.slot = 3;
    ap.list_len = 9;
    ap.n = 1;
    ap.entries[0].cmd.client = 77;
    ap.entries[0].cmd.seq = 1;
    ap.entries[0].result = 8;
    CHECK(gw_pending_result(&p, &ap, &ap.entries[0]) == 2);
    CHECK(w1.done && w2.done && !w3.done && w1.res.result == 8 && w2.slot == 3);
    CHECK(w1.on_ready && w2.on_ready);
    gw_waiter_del(&w2);
    gw_waiter_del(&w1);
    gw_waiter_del(&w1); /* twice is harmless */
    w3.done = 0;
    ap.entries[0].cmd.seq = 2;
    CHECK(gw_pending_result(&p, &ap, &ap.entries[0]) == 1 && w3.done);
    gw_waiter_del(&w3);
    CHECK(gw_pending_result(&p, &ap, &ap.entries[0]) == 0);
}

static void test_outcome_rule(void)
{
    gw_waiter w;
    memset(&w, 0, sizeof(w));
    /* Nothing left the process: certainly not applied. */
    CHECK(gw_waiter_outcome(&w) == GW_NOT_APPLIED);
    /* Attempts 1-3 left, each refused NO_LEADER: not applied. */
    w.sent = 3, w.sent_mask = 0x7, w.refused_mask = 0x7;
    w.nacks = w.nacks_no_leader = 3;
    CHECK(gw_waiter_outcome(&w) == GW_NOT_APPLIED);
    /* Attempt 4 left unanswered (or answered BUSY): unknown. */
    w.sent = 4, w.sent_mask = 0xf;
    CHECK(gw_waiter_outcome(&w) == GW_UNKNOWN);
    /* Four NO_LEADER NACKs, but two of them for attempt 3 (a duplicated
     * REQUEST): attempt 4 is still unaccounted for. */
    w.nacks = w.nacks_no_leader = 4;
    CHECK(gw_waiter_outcome(&w) == GW_UNKNOWN);
    /* More attempts than the rule can track: never "not applied". */
    w.sent_mask = w.refused_mask = ~UINT64_C(0), w.attempts_overflow = 1;
    CHECK(gw_waiter_outcome(&w) == GW_UNKNOWN);
    w.attempts_overflow = 0;
    CHECK(gw_waiter_outcome(&w) == GW_NOT_APPLIED);
    w.done = 1;
    CHECK(gw_waiter_outcome(&w) == GW_DONE);
    w.res.flags = PX_APPLIED_DUP;
    CHECK(gw_waiter_outcome(&w) == GW_DONE);
    w.res.flags = PX_APPLIED_STALE;
    CHECK(gw_waiter_outcome(&w) == GW_STALE);
}

static void test_idem(void)
{
    /* FNV-1a test vectors. */
    CHECK(gw_fnv1a64("", 0) == 0xcbf29ce484222325ull);
    CHECK(gw_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull);
    CHECK(gw_fnv1a64("foobar", 6) == 0x85944171f73967e8ull);
    CHECK(gw_idem_client("abc") >> 63 == 1);
    CHECK(gw_idem_client("abc") == gw_idem_client("abc"));
    CHECK(gw_idem_client("abc") != gw_idem_client("abd"));
}

/* ---- the core, driven as a host does ----------------------------------- */

static gw_core core;
static gw_core_out out;

/* The process's timings, but every tick looks at every waiter (the
 * process looks every GW_SWEEP_MS: see test_sweep_period). */
static void setup_sweep(uint64_t sweep_ms)
{
    gw_core_config cfg;
    gw_core_config_default(&cfg, NODE, TIMEOUT, 1000);
    cfg.sweep_ms = sweep_ms;
    gw_core_init(&core, &cfg);
    gw_core_out_init(&out);
}

static void setup(void)
{
    setup_sweep(0);
}

static void teardown(void)
{
    gw_core_free(&core);
    gw_core_out_free(&out);
}

/* A request, begun and armed at time now; returns begin's verdict. */
static int start(gw_waiter *w, int kind, int64_t value, const char *key, int want_list,
                 uint64_t now, gw_answer *a)
{
    gw_request r = {.kind = kind, .value = value, .idem_key = key, .want_list = want_list};
    gw_core_out_clear(&out);
    int rc = gw_core_begin(&core, w, &r, w, now, a);
    if (rc) gw_core_arm(&core, w, &out);
    return rc;
}

static size_t tick(uint64_t now)
{
    gw_core_out_clear(&out);
    gw_core_tick(&core, now, &out);
    return out.n_sends;
}

static int resumed(const gw_waiter *w)
{
    for (size_t i = 0; i < out.n_resume; i++)
        if (out.resume[i] == w) return 1;
    return 0;
}

static px_msg msg;

/* A NACK of attempt number `attempt` of w's command. */
static void deliver_nack_of(const gw_waiter *w, int reason, uint16_t attempt)
{
    memset(&msg, 0, sizeof(msg));
    msg.type = PX_MSG_NACK;
    msg.u.nack.client = w->client;
    msg.u.nack.seq = w->seq;
    msg.u.nack.reason = (uint8_t)reason;
    msg.u.nack.attempt = attempt;
    CHECK(gw_core_handle(&core, &msg) == 0);
}

/* A NACK of w's latest attempt. */
static void deliver_nack(const gw_waiter *w, int reason)
{
    deliver_nack_of(w, reason, w->attempts);
}

/* The learner applied w's command in slot: result, flags, list after it,
 * and (for a new append) w's value as the slot's one element. */
static void deliver_applied(const gw_waiter *w, uint64_t slot, int64_t result, int flags,
                            uint64_t list_len)
{
    memset(&msg, 0, sizeof(msg));
    msg.type = PX_MSG_APPLIED;
    msg.u.applied.slot = slot;
    msg.u.applied.list_len = list_len;
    msg.u.applied.n = 1;
    px_applied_entry *e = &msg.u.applied.entries[0];
    e->cmd.kind = (uint8_t)w->kind;
    e->cmd.client = w->client;
    e->cmd.seq = w->seq;
    e->cmd.value = w->value;
    e->flags = (uint8_t)flags;
    e->result = result;
    CHECK(gw_core_handle(&core, &msg) == 0);
}

/* Elements [0, n) of the list, values 100 + i, as one chunk. */
static void deliver_chunk(uint64_t from, uint64_t n, uint64_t total)
{
    memset(&msg, 0, sizeof(msg));
    msg.type = PX_MSG_LIST_CHUNK;
    msg.u.list_chunk.from_index = from;
    msg.u.list_chunk.total_len = total;
    msg.u.list_chunk.n = (uint32_t)n;
    for (uint64_t i = 0; i < n; i++) msg.u.list_chunk.values[i] = 100 + (int64_t)(from + i);
    CHECK(gw_core_handle(&core, &msg) == 0);
}

static void test_ids(void)
{
    setup();
    gw_waiter a, b, k1, k2;
    gw_answer ans;
    CHECK(start(&a, PX_CMD_APPEND, 1, NULL, 1, T0, &ans) == 1);
    CHECK(out.n_sends == 1 && out.sends[0].w == &a && out.sends[0].cmd.client == a.client &&
          out.sends[0].cmd.seq == a.seq && out.sends[0].cmd.value == 1 &&
          out.sends[0].cmd.kind == PX_CMD_APPEND && a.sent == 1);
    CHECK(a.client >> 63 == 0 && a.session >= 0 && a.seq == 1);
    CHECK(start(&b, PX_CMD_READ, 0, NULL, 0, T0, &ans) == 1);
    CHECK(b.client != a.client);
    /* An Idempotency-Key: the same fixed id on every request. */
    CHECK(start(&k1, PX_CMD_APPEND, 5, "key-1", 1, T0, &ans) == 1);
    CHECK(start(&k2, PX_CMD_APPEND, 5, "key-1", 1, T0, &ans) == 1);
    CHECK(k1.client == gw_idem_client("key-1") && k1.seq == 1 && k1.session == -1);
    CHECK(k2.client == k1.client && k2.seq == 1);
    /* The session comes back when the request ends; its next seq is higher. */
    uint64_t client = a.client;
    gw_core_abandon(&core, &a);
    gw_core_abandon(&core, &a); /* idempotent */
    gw_waiter c;
    CHECK(start(&c, PX_CMD_APPEND, 2, NULL, 1, T0, &ans) == 1);
    CHECK(c.client == client && c.seq == 2);
    /* Both keyed waiters get the result of their shared id. */
    deliver_applied(&k1, 4, 0, 0, 1);
    tick(T0 + 1);
    CHECK(resumed(&k1) && resumed(&k2) && !resumed(&b));
    CHECK(gw_core_complete(&core, &k1, T0 + 1, &ans) == 1 && ans.kind == GW_ANS_APPENDED &&
          ans.index == 0 && ans.keyed);
    CHECK(gw_core_complete(&core, &k2, T0 + 1, &ans) == 1 && ans.index == 0);
    teardown();
}

static void test_overloaded_and_stop(void)
{
    setup();
    static gw_waiter w[GW_SESSIONS + 1];
    gw_answer ans;
    for (int i = 0; i < GW_SESSIONS; i++) CHECK(start(&w[i], PX_CMD_READ, 0, NULL, 0, T0, &ans));
    CHECK(start(&w[GW_SESSIONS], PX_CMD_READ, 0, NULL, 0, T0, &ans) == 0);
    CHECK(ans.kind == GW_ANS_OVERLOADED && ans.status == 503 && out.n_sends == 0);
    /* A key needs no session. */
    gw_waiter k;
    CHECK(start(&k, PX_CMD_APPEND, 9, "k", 1, T0, &ans) == 1);
    /* Stopping: everything is resumed at the next tick, and answered by
     * the rule (here: one silent attempt each, so 504); new requests 503. */
    gw_core_stop(&core);
    CHECK(gw_core_next_deadline(&core) == 0);
    tick(T0 + 1);
    CHECK(out.n_resume == GW_SESSIONS + 1 && out.n_sends == 0);
    CHECK(gw_core_complete(&core, &k, T0 + 1, &ans) == 1 && ans.kind == GW_ANS_TIMEOUT &&
          ans.status == 504);
    for (int i = 0; i < GW_SESSIONS; i++) gw_core_abandon(&core, &w[i]);
    gw_waiter late;
    CHECK(start(&late, PX_CMD_APPEND, 3, NULL, 1, T0 + 2, &ans) == 0);
    CHECK(ans.kind == GW_ANS_STOPPING && ans.status == 503);
    teardown();
}

static void test_resend_schedule(void)
{
    setup();
    gw_waiter w;
    gw_answer ans;
    CHECK(start(&w, PX_CMD_APPEND, 7, NULL, 1, T0, &ans) == 1 && out.n_sends == 1);
    CHECK(tick(T0 + GW_RESEND_FIRST_MS - 1) == 0);
    CHECK(gw_core_next_deadline(&core) == T0 + GW_RESEND_FIRST_MS);
    CHECK(tick(T0 + GW_RESEND_FIRST_MS) == 1 && out.sends[0].w == &w);
    CHECK(tick(T0 + GW_RESEND_FIRST_MS + GW_RESEND_MS - 1) == 0);
    CHECK(tick(T0 + GW_RESEND_FIRST_MS + GW_RESEND_MS) == 1 && w.sent == 3);
    /* A NACK: the next attempt after the backoff, not the second. */
    uint64_t t = T0 + GW_RESEND_FIRST_MS + GW_RESEND_MS + 10;
    deliver_nack(&w, PX_NACK_BUSY);
    CHECK(tick(t) == 0 && w.next_send_ms == t + GW_NACK_BACKOFF_MS);
    CHECK(tick(t + GW_NACK_BACKOFF_MS - 1) == 0);
    CHECK(tick(t + GW_NACK_BACKOFF_MS) == 1 && w.sent == 4);
    /* No new attempt within GW_LAST_ATTEMPT_MS of the deadline. */
    uint64_t late = T0 + TIMEOUT - GW_LAST_ATTEMPT_MS;
    CHECK(tick(late) == 0 && w.next_send_ms == UINT64_MAX && !resumed(&w));
    CHECK(gw_core_next_deadline(&core) == T0 + TIMEOUT);
    CHECK(tick(T0 + TIMEOUT - 1) == 0 && !resumed(&w));
    tick(T0 + TIMEOUT);
    CHECK(resumed(&w));
    /* A BUSY and silences: may have been queued: 504, not 503. */
    CHECK(gw_core_complete(&core, &w, T0 + TIMEOUT, &ans) == 1);
    CHECK(ans.kind == GW_ANS_TIMEOUT && ans.status == 504 && ans.elapsed_ms == TIMEOUT);
    /* Resumed once: later ticks leave it alone. */
    CHECK(tick(T0 + TIMEOUT + 100) == 0 && !resumed(&w));
    teardown();
}

/* Run one append to its deadline, answering each attempt NACK(NO_LEADER)
 * except those whose bit is set in `silent`; the first attempt fails to
 * leave the process if unsent_first.  Returns the answer's kind. */
static int run_with_nacks(uint32_t silent, int unsent_first)
{
    setup();
    gw_waiter w;
    gw_answer ans;
    start(&w, PX_CMD_APPEND, 7, NULL, 1, T0, &ans);
    uint32_t attempt = 0;
    int kind = 0;
    for (uint64_t now = T0; now <= T0 + TIMEOUT && !kind; now++) {
        for (size_t i = 0; i < out.n_sends; i++, attempt++) {
            if (attempt == 0 && unsent_first) gw_core_unsent(out.sends[i].w, out.sends[i].attempt);
            else if (attempt >= 32 || !(silent >> attempt & 1))
                deliver_nack_of(&w, PX_NACK_NO_LEADER, out.sends[i].attempt);
        }
        tick(now + 1);
        if (resumed(&w)) {
            CHECK(gw_core_complete(&core, &w, now + 1, &ans) == 1);
            kind = ans.kind;
        }
    }
    CHECK(attempt > 10); /* NACKs speed the schedule up */
    teardown();
    return kind;
}

static void test_503_rule(void)
{
    CHECK(run_with_nacks(0, 0) == GW_ANS_NOT_APPLIED);
    CHECK(run_with_nacks(0, 1) == GW_ANS_NOT_APPLIED); /* never left: not applied */
    CHECK(run_with_nacks(1u << 0, 0) == GW_ANS_TIMEOUT); /* the first one silent */
    CHECK(run_with_nacks(1u << 5, 0) == GW_ANS_TIMEOUT);
    CHECK(run_with_nacks(1u << 5, 1) == GW_ANS_TIMEOUT);
}

/* Finding 5 of tests/sim/FINDINGS.md: attempt 1 reaches proposers many
 * times (duplicated REQUESTs) and is refused each time; the later attempts
 * are queued by a leader and never refused.  As many refusals as attempts:
 * counting would say 503 "not applied" for an append that may yet be
 * applied. */
static void test_duplicated_refusal(void)
{
    setup();
    gw_waiter w;
    gw_answer ans;
    start(&w, PX_CMD_APPEND, 7, NULL, 1, T0, &ans);
    CHECK(out.n_sends == 1 && out.sends[0].attempt == 1);
    for (int i = 0; i < 100; i++) deliver_nack_of(&w, PX_NACK_NO_LEADER, 1);
    int kind = 0, sent2 = 0;
    for (uint64_t now = T0; now <= T0 + TIMEOUT && !kind; now++) {
        for (size_t i = 0; i < out.n_sends; i++) sent2 |= out.sends[i].attempt == 2;
        out.n_sends = 0;
        tick(now + 1);
        if (resumed(&w)) {
            CHECK(gw_core_complete(&core, &w, now + 1, &ans) == 1);
            kind = ans.kind;
        }
    }
    CHECK(sent2 && w.nacks_no_leader == 100 && w.sent < 100);
    CHECK(kind == GW_ANS_TIMEOUT); /* 504: the outcome is unknown */
    teardown();
}

/* Applied: the index, the list up to it; a duplicate's original value. */
static void test_appended(void)
{
    setup();
    gw_waiter w, d, n;
    gw_answer ans;
    start(&w, PX_CMD_APPEND, 42, NULL, 1, T0, &ans);
    deliver_chunk(0, 3, 3); /* the copy: 100, 101, 102 */
    CHECK(core.list.len == 3);
    deliver_applied(&w, 9, 3, 0, 4);
    CHECK(core.list.len == 4 && gw_list_at(&core.list, 3) == 42);
    tick(T0 + 5);
    CHECK(resumed(&w));
    CHECK(gw_core_complete(&core, &w, T0 + 5, &ans) == 1);
    CHECK(ans.kind == GW_ANS_APPENDED && ans.status == 200 && ans.index == 3 &&
          ans.value == 42 && !ans.dup && ans.show_list && ans.list_n == 4 && !ans.list_missing);
    /* A keyed retry answered DUP: the original value, from the list, even
     * if this request carried another one. */
    start(&d, PX_CMD_APPEND, 77, "k", 0, T0 + 6, &ans);
    deliver_applied(&d, 10, 1, PX_APPLIED_DUP, 4);
    tick(T0 + 7);
    CHECK(gw_core_complete(&core, &d, T0 + 7, &ans) == 1);
    CHECK(ans.kind == GW_ANS_APPENDED && ans.dup && ans.index == 1 && ans.value == 101 &&
          !ans.show_list && !ans.list_missing && core.list.len == 4);
    /* ?list=false: no list. */
    start(&n, PX_CMD_APPEND, 43, NULL, 0, T0 + 8, &ans);
    deliver_applied(&n, 11, 4, 0, 5);
    tick(T0 + 9);
    CHECK(gw_core_complete(&core, &n, T0 + 9, &ans) == 1);
    CHECK(ans.index == 4 && ans.value == 43 && !ans.show_list && !ans.list_missing);
    /* A stale id, and an entry with no result. */
    gw_waiter s, r;
    start(&s, PX_CMD_APPEND, 44, NULL, 0, T0 + 10, &ans);
    deliver_applied(&s, 12, -1, PX_APPLIED_STALE, 5);
    tick(T0 + 11);
    CHECK(gw_core_complete(&core, &s, T0 + 11, &ans) == 1 && ans.kind == GW_ANS_STALE &&
          ans.status == 500);
    start(&r, PX_CMD_READ, 0, NULL, 0, T0 + 12, &ans);
    deliver_applied(&r, 13, -1, 0, 5);
    tick(T0 + 13);
    CHECK(gw_core_complete(&core, &r, T0 + 13, &ans) == 1 && ans.kind == GW_ANS_NO_RESULT &&
          ans.status == 500);
    teardown();
}

/* After its learner installed a snapshot, the learner sends an APPLIED of
 * no commands carrying the new length (learner.c, tell_gateway_len): the
 * copy learns it is behind and fetches the rest at once, with no read or
 * append to wait for. */
static void test_length_jump(void)
{
    setup();
    tick(T0); /* the first probe */
    deliver_chunk(0, 2, 2);
    tick(T0 + 1);
    CHECK(!out.list_req && core.list.len == 2);
    memset(&msg, 0, sizeof(msg));
    msg.type = PX_MSG_APPLIED;
    msg.u.applied.slot = 255;
    msg.u.applied.n = 0;
    msg.u.applied.list_len = 7;
    CHECK(gw_core_handle(&core, &msg) == 0);
    tick(T0 + 2);
    CHECK(out.list_req && out.list_from == 2);
    deliver_chunk(2, 5, 7);
    CHECK(core.list.len == 7);
    teardown();
}

/* A read: its result L is its place in the log; the answer is the copy's
 * first L elements, waited for if the copy is behind (a restarted
 * gateway), 503 if they do not come in time. */
static void test_read_path(void)
{
    setup();
    gw_waiter r;
    gw_answer ans;
    start(&r, PX_CMD_READ, 0, NULL, 0, T0, &ans);
    CHECK(out.n_sends == 1 && out.sends[0].cmd.kind == PX_CMD_READ);
    /* The first tick probes the learner's length. */
    tick(T0);
    CHECK(out.list_req && out.list_from == 0);
    deliver_chunk(0, 2, 2);
    deliver_applied(&r, 20, 5, 0, 5); /* L = 5: three elements missing */
    tick(T0 + 1);
    CHECK(resumed(&r) && out.list_req && out.list_from == 2);
    CHECK(gw_core_complete(&core, &r, T0 + 1, &ans) == 0); /* wait for the copy */
    tick(T0 + 1);
    CHECK(!resumed(&r) && !out.list_req);
    /* Not answered again until the fetch is due to be retried. */
    CHECK(tick(T0 + 2) == 0 && !out.list_req);
    CHECK(gw_core_next_deadline(&core) == T0 + 1 + GW_FETCH_RETRY_MS);
    deliver_chunk(2, 3, 5);
    tick(T0 + 3);
    CHECK(resumed(&r));
    CHECK(gw_core_complete(&core, &r, T0 + 3, &ans) == 1);
    CHECK(ans.kind == GW_ANS_LIST && ans.status == 200 && ans.show_list && ans.list_n == 5);
    /* A read whose elements never come: 503 at the deadline. */
    gw_waiter q;
    start(&q, PX_CMD_READ, 0, NULL, 0, T0 + 10, &ans);
    deliver_applied(&q, 21, 9, 0, 9);
    tick(T0 + 11);
    CHECK(gw_core_complete(&core, &q, T0 + 11, &ans) == 0);
    CHECK(gw_core_next_deadline(&core) <= T0 + 10 + TIMEOUT);
    tick(T0 + 10 + TIMEOUT - 1);
    CHECK(!resumed(&q));
    tick(T0 + 10 + TIMEOUT);
    CHECK(resumed(&q));
    CHECK(gw_core_complete(&core, &q, T0 + 10 + TIMEOUT, &ans) == 1);
    CHECK(ans.kind == GW_ANS_LIST_BEHIND && ans.status == 503);
    teardown();
}

/* An append's list that the copy lacks: the answer waits, then says
 * "list_error" if the elements do not come. */
static void test_append_list_wait(void)
{
    setup();
    gw_waiter w;
    gw_answer ans;
    start(&w, PX_CMD_APPEND, 8, NULL, 1, T0, &ans);
    deliver_applied(&w, 30, 6, 0, 7); /* index 6: a gap, the copy is empty */
    CHECK(core.list.len == 0 && core.list.known_len == 7);
    tick(T0 + 1);
    CHECK(gw_core_complete(&core, &w, T0 + 1, &ans) == 0);
    tick(T0 + TIMEOUT);
    CHECK(resumed(&w));
    CHECK(gw_core_complete(&core, &w, T0 + TIMEOUT, &ans) == 1);
    CHECK(ans.kind == GW_ANS_APPENDED && ans.index == 6 && ans.value == 8 && !ans.show_list &&
          ans.list_missing);
    teardown();
}

/* An abandoned request: no more attempts, no resume, its session free. */
static void test_abandon(void)
{
    setup();
    gw_waiter w, l;
    gw_answer ans;
    start(&w, PX_CMD_APPEND, 1, NULL, 1, T0, &ans);
    int session = w.session;
    gw_core_abandon(&core, &w);
    CHECK(tick(T0 + GW_RESEND_FIRST_MS) == 0 && !resumed(&w));
    deliver_applied(&w, 1, 0, 0, 1);
    tick(T0 + GW_RESEND_FIRST_MS + 1);
    CHECK(!resumed(&w) && core.pend.free_head == session);
    /* ... also while waiting for the list */
    start(&l, PX_CMD_READ, 0, NULL, 0, T0, &ans);
    deliver_applied(&l, 2, 50, 0, 50);
    tick(T0 + 1);
    CHECK(gw_core_complete(&core, &l, T0 + 1, &ans) == 0 && core.lw_head == &l);
    gw_core_abandon(&core, &l);
    CHECK(core.lw_head == NULL);
    teardown();
}

/* The process looks at every waiter only every GW_SWEEP_MS. */
static void test_sweep_period(void)
{
    setup_sweep(GW_SWEEP_MS);
    gw_waiter w;
    gw_answer ans;
    start(&w, PX_CMD_APPEND, 7, NULL, 1, T0, &ans);
    tick(T0 + GW_RESEND_FIRST_MS - 1);
    CHECK(gw_core_next_deadline(&core) == T0 + GW_RESEND_FIRST_MS - 1 + GW_SWEEP_MS);
    CHECK(tick(T0 + GW_RESEND_FIRST_MS) == 0);
    CHECK(tick(T0 + GW_RESEND_FIRST_MS - 1 + GW_SWEEP_MS) == 1);
    /* a NACK is acted on at once, sweep or not */
    deliver_nack(&w, PX_NACK_BUSY);
    tick(T0 + GW_RESEND_FIRST_MS + GW_SWEEP_MS);
    CHECK(w.next_send_ms == T0 + GW_RESEND_FIRST_MS + GW_SWEEP_MS + GW_NACK_BACKOFF_MS);
    teardown();
}

/* Nothing to do: no timer.  The probe stops once the learner answered. */
static void test_idle_deadline(void)
{
    setup();
    CHECK(gw_core_next_deadline(&core) == 0); /* probe at once */
    tick(T0);
    CHECK(out.list_req && gw_core_next_deadline(&core) == T0 + GW_PROBE_MS);
    deliver_chunk(0, 0, 0);
    CHECK(gw_core_next_deadline(&core) == UINT64_MAX);
    memset(&msg, 0, sizeof(msg));
    msg.type = PX_MSG_HEARTBEAT;
    CHECK(gw_core_handle(&core, &msg) != 0);
    teardown();
}


/* An APPLIED of no commands naming node leader as the slot's leader. */
static void deliver_leader(uint32_t leader, uint64_t list_len)
{
    memset(&msg, 0, sizeof(msg));
    msg.type = PX_MSG_APPLIED;
    msg.u.applied.slot = 0;
    msg.u.applied.list_len = list_len;
    msg.u.applied.leader = leader;
    CHECK(gw_core_handle(&core, &msg) == 0);
}

/* First attempts go straight to the leader an APPLIED (or a NACK's hint)
 * named, retries to our own proposer; a guess that went unanswered, a
 * NO_LEADER, or a name outside the cluster sends them through our own. */
static void test_direct_to_leader(void)
{
    gw_core_config cfg;
    gw_core_config_default(&cfg, NODE, TIMEOUT, 1000);
    cfg.members = (1u << 1) | (1u << 2) | (1u << 3);
    gw_core_init(&core, &cfg);
    gw_core_out_init(&out);
    gw_waiter w1, w2, w3, w4, w5;
    gw_answer ans;
    CHECK(start(&w1, PX_CMD_APPEND, 1, NULL, 0, T0, &ans) == 1 && out.sends[0].to == NODE);
    deliver_leader(3, 0);
    CHECK(start(&w2, PX_CMD_APPEND, 2, NULL, 0, T0, &ans) == 1 && out.sends[0].to == 3);
    deliver_leader(4, 0); /* not a member: ignored */
    deliver_leader(0, 0); /* unknown: ignored */
    CHECK(start(&w3, PX_CMD_APPEND, 3, NULL, 0, T0, &ans) == 1 && out.sends[0].to == 3);
    /* w2 and w3 unanswered: their retries go through our own proposer,
     * and so do first attempts from then on. */
    CHECK(tick(T0 + GW_RESEND_FIRST_MS) == 3);
    for (size_t i = 0; i < out.n_sends; i++) CHECK(out.sends[i].to == NODE);
    CHECK(core.leader == 0);
    CHECK(start(&w4, PX_CMD_APPEND, 4, NULL, 0, T0 + 600, &ans) == 1 && out.sends[0].to == NODE);
    /* A NACK's hint names one again; NO_LEADER forgets it. */
    memset(&msg, 0, sizeof(msg));
    msg.type = PX_MSG_NACK;
    msg.u.nack.reason = PX_NACK_BUSY;
    msg.u.nack.leader_hint = 1;
    CHECK(gw_core_handle(&core, &msg) == 0 && core.leader == 1);
    CHECK(start(&w5, PX_CMD_APPEND, 5, NULL, 0, T0 + 600, &ans) == 1 && out.sends[0].to == 1);
    /* The leader is busy with w5: its retry goes through our own proposer,
     * though the leader is still known. */
    msg.u.nack.client = w5.client;
    msg.u.nack.seq = w5.seq;
    msg.u.nack.attempt = 1;
    CHECK(gw_core_handle(&core, &msg) == 0 && core.leader == 1);
    tick(T0 + 600);
    gw_core_out_clear(&out);
    gw_core_tick(&core, T0 + 600 + GW_NACK_BACKOFF_MS, &out);
    REQUIRE(out.n_sends == 1 && out.sends[0].w == &w5);
    CHECK(out.sends[0].to == NODE && core.leader == 1);
    msg.u.nack.reason = PX_NACK_NO_LEADER;
    msg.u.nack.leader_hint = 0;
    CHECK(gw_core_handle(&core, &msg) == 0 && core.leader == 0);
    CHECK(core.direct == 3 && core.via_own == 6);
    teardown();

    /* Members unset (the default): never anywhere but our own proposer. */
    setup();
    deliver_leader(3, 0);
    CHECK(start(&w1, PX_CMD_APPEND, 1, NULL, 0, T0, &ans) == 1 && out.sends[0].to == NODE);
    teardown();
}

int main(void)
{
    RUN(test_listcopy);
    RUN(test_sessions);
    RUN(test_outcome_rule);
    RUN(test_idem);
    RUN(test_ids);
    RUN(test_overloaded_and_stop);
    RUN(test_resend_schedule);
    RUN(test_503_rule);
    RUN(test_duplicated_refusal);
    RUN(test_length_jump);
    RUN(test_appended);
    RUN(test_read_path);
    RUN(test_append_list_wait);
    RUN(test_abandon);
    RUN(test_sweep_period);
    RUN(test_idle_deadline);
    RUN(test_direct_to_leader);
    return check_summary();
}
