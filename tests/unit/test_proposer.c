/* test_proposer.c -- the pure proposer core, driven two ways:
 *
 *   - with literal messages, for exact control over ballots, order,
 *     duplicates and time;
 *   - in small in-test clusters of real acceptor cores over a simulated
 *     network that carries encoded frames (so every message the proposer
 *     emits must also be encodable), with optional duplication, reordering
 *     and partitions, and a learner stand-in that checks no slot is ever
 *     chosen with two different values.
 *
 * Compaction (the trim mark from LEARNED, TRIM, the acceptors' marks in
 * PROMISE and REJECT) is covered by the test_trim_* and
 * test_*_trimmed tests.
 *
 * The tripwires of mutant PROPOSER_IGNORE_PROMISED are
 * test_noop_gap_filling, test_highest_vballot_wins,
 * test_cluster_minority_value_recovered, test_cluster_chunked_recovery and
 * test_cluster_catchup_reread. */
#include "proposer/proposer.h"
#include "acceptor/acceptor.h"
#include "common/quorum.h"
#include "common/refuse.h"
#include "common/rng.h"
#include "common/wire.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers: config, values, literal messages -------------------------- */

static proposer_config mkcfg(uint32_t id, uint32_t n)
{
    proposer_config c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.n_nodes = n;
    for (uint32_t i = 0; i < n; i++) c.node_ids[i] = i + 1;
    c.batch_max = 4;
    c.pipeline = 4;
    c.queue_max = 16;
    c.heartbeat_ms = 50;
    c.election_min_ms = 300;
    c.election_max_ms = 600;
    c.retransmit_ms = 100;
    c.seed = 1000 + id;
    /* The batching tests below were written for 3 open slots and a 1 ms
     * wait; the mechanics do not depend on the production defaults. */
    c.open_max = 3;
    c.batch_wait_ms = 1;
    return c;
}

static px_ballot B(uint64_t round, uint32_t node)
{
    px_ballot b = {round, node};
    return b;
}

static int beq(px_ballot a, px_ballot b) { return px_ballot_cmp(a, b) == 0; }

/* A one-command value recognisable by its tag. */
static px_value val(int64_t tag)
{
    px_value v;
    memset(&v, 0, sizeof v);
    v.n = 1;
    v.cmds[0].kind = PX_CMD_APPEND;
    v.cmds[0].client = 7;
    v.cmds[0].seq = (uint64_t)tag;
    v.cmds[0].value = tag;
    return v;
}

/* The tag of a one-command value, 0 for a no-op, -1 for anything else. */
static int64_t tag_of(const px_value *v)
{
    if (v->n == 0) return 0;
    return v->n == 1 ? v->cmds[0].value : -1;
}

/* px_msg is ~8 KB: one scratch message serves every literal send. */
static px_msg lit;

static px_msg *mk(int type, uint32_t from)
{
    memset(&lit, 0, sizeof lit);
    lit.type = (uint8_t)type;
    lit.from = from;
    return &lit;
}

static px_msg *promise(px_ballot b, uint32_t acc, uint64_t from, uint64_t next, int done)
{
    px_msg *m = mk(PX_MSG_PROMISE, acc);
    m->u.promise.ballot = b;
    m->u.promise.acceptor = acc;
    m->u.promise.from_slot = from;
    m->u.promise.next_slot = next;
    m->u.promise.done = (uint8_t)done;
    return m;
}

static void promise_add(px_msg *m, uint64_t slot, px_ballot vb, int64_t tag)
{
    px_promise_entry *e = &m->u.promise.entries[m->u.promise.n++];
    e->slot = slot;
    e->vballot = vb;
    e->value = val(tag);
}

static px_msg *accepted(px_ballot b, uint32_t acc, uint64_t slot)
{
    px_msg *m = mk(PX_MSG_ACCEPTED, acc);
    m->u.accepted.ballot = b;
    m->u.accepted.acceptor = acc;
    m->u.accepted.slot = slot;
    return m;
}

static px_msg *reject(px_ballot promised, uint32_t acc, int of_type, uint64_t slot)
{
    px_msg *m = mk(PX_MSG_REJECT, acc);
    m->u.reject.promised = promised;
    m->u.reject.acceptor = acc;
    m->u.reject.of_type = (uint8_t)of_type;
    m->u.reject.slot = slot;
    return m;
}

static px_msg *heartbeat(px_ballot b, uint32_t leader, uint64_t chosen_upto)
{
    px_msg *m = mk(PX_MSG_HEARTBEAT, leader);
    m->u.heartbeat.ballot = b;
    m->u.heartbeat.leader = leader;
    m->u.heartbeat.chosen_upto = chosen_upto;
    return m;
}

static px_msg *request(uint64_t seq, uint32_t origin, uint8_t hops)
{
    px_msg *m = mk(PX_MSG_REQUEST, origin);
    m->u.request.cmd.kind = PX_CMD_APPEND;
    m->u.request.cmd.client = 42;
    m->u.request.cmd.seq = seq;
    m->u.request.cmd.value = (int64_t)seq;
    m->u.request.origin = origin;
    m->u.request.hops = hops;
    return m;
}

static px_msg *learned(uint32_t learner, uint64_t upto)
{
    px_msg *m = mk(PX_MSG_LEARNED, learner);
    m->u.learned.learner = learner;
    m->u.learned.applied_upto = upto;
    return m;
}

/* LEARNED with a snapshot mark. */
static px_msg *snapped(uint32_t learner, uint64_t applied, uint64_t snap)
{
    px_msg *m = learned(learner, applied);
    m->u.learned.snapshot_upto = snap;
    return m;
}

static px_msg *catchup(uint32_t learner, uint64_t from)
{
    px_msg *m = mk(PX_MSG_CATCHUP, learner);
    m->u.catchup.learner = learner;
    m->u.catchup.from_slot = from;
    return m;
}

static size_t count_type(const px_outbox *o, int type)
{
    size_t k = 0;
    for (size_t i = 0; i < o->n; i++) k += o->v[i].msg.type == type;
    return k;
}

/* The k-th envelope (from 0) of the given type, or NULL. */
static const px_envelope *nth(const px_outbox *o, int type, size_t k)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].msg.type == type && k-- == 0) return &o->v[i];
    return NULL;
}

/* The ACCEPT for slot, or NULL. */
static const px_accept *accept_for(const px_outbox *o, uint64_t slot)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].msg.type == PX_MSG_ACCEPT && o->v[i].msg.u.accept.slot == slot)
            return &o->v[i].msg.u.accept;
    return NULL;
}

/* Runs p's election at its deadline and completes phase 1 with empty
 * promises (starting at from) from the first quorum of acceptors. */
static void elect(struct proposer *p, uint32_t n, uint64_t from, uint64_t *now, px_outbox *out)
{
    *now = proposer_next_deadline(p);
    proposer_tick(p, *now, out);
    px_ballot b = proposer_ballot(p);
    for (uint32_t a = 1; a <= px_quorum(n); a++)
        proposer_handle(p, promise(b, a, from, from, 1), *now, out);
}

/* ---- literal-message tests ---------------------------------------------- */

static void test_election_after_timeout(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 1000);
    struct proposer *twin = proposer_new(&c, 1000);
    px_outbox out;
    px_outbox_init(&out);
    REQUIRE(p && twin);

    uint64_t d = proposer_next_deadline(p);
    CHECK(d >= 1300 && d <= 1600);
    CHECK(proposer_next_deadline(twin) == d); /* same seed, same jitter */
    CHECK(proposer_state(p) == PROPOSER_FOLLOWER && proposer_leader(p) == 0);

    proposer_tick(p, d - 1, &out);
    CHECK(out.n == 0 && proposer_state(p) == PROPOSER_FOLLOWER);

    proposer_tick(p, d, &out);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    CHECK(beq(proposer_ballot(p), B(1, 1)));
    REQUIRE(out.n == 1);
    CHECK(out.v[0].msg.type == PX_MSG_PREPARE && out.v[0].role == PX_ROLE_ACCEPTOR &&
          out.v[0].node == PX_NODE_ALL && out.v[0].msg.from == 1);
    CHECK(beq(out.v[0].msg.u.prepare.ballot, B(1, 1)) && out.v[0].msg.u.prepare.from_slot == 0);
    px_outbox_clear(&out);

    proposer_handle(p, promise(B(1, 1), 2, 0, 0, 1), d + 1, &out);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    proposer_handle(p, promise(B(1, 1), 3, 0, 0, 1), d + 2, &out);
    CHECK(proposer_state(p) == PROPOSER_LEADER && proposer_leader(p) == 1);
    CHECK(proposer_next_slot(p) == 0 && proposer_in_flight(p) == 0);
    /* An immediate heartbeat to proposers and learners. */
    REQUIRE(count_type(&out, PX_MSG_HEARTBEAT) == 2);
    CHECK(nth(&out, PX_MSG_HEARTBEAT, 0)->role == PX_ROLE_PROPOSER);
    CHECK(nth(&out, PX_MSG_HEARTBEAT, 1)->role == PX_ROLE_LEARNER);
    CHECK(nth(&out, PX_MSG_HEARTBEAT, 0)->node == PX_NODE_ALL);
    CHECK(proposer_next_deadline(p) == d + 2 + 50);

    px_outbox_free(&out);
    proposer_free(p);
    proposer_free(twin);
}

/* A candidate whose phase 1 gets no quorum tries again with a higher round. */
static void test_candidate_retries_higher(void)
{
    proposer_config c = mkcfg(2, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    proposer_tick(p, proposer_next_deadline(p), &out);
    CHECK(beq(proposer_ballot(p), B(1, 2)));
    /* Retransmits come first, then a new election at the election deadline. */
    uint64_t t = proposer_next_deadline(p);
    px_outbox_clear(&out);
    proposer_tick(p, t, &out);
    CHECK(count_type(&out, PX_MSG_PREPARE) == 3); /* one per acceptor */
    for (int i = 0; i < 20 && beq(proposer_ballot(p), B(1, 2)); i++)
        proposer_tick(p, proposer_next_deadline(p), &out);
    CHECK(beq(proposer_ballot(p), B(2, 2)));
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    /* each phase 1 run is an election (paxos_elections_total) */
    CHECK(proposer_elections(p) == 2);
    px_outbox_free(&out);
    proposer_free(p);
}

static void test_heartbeats(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    px_outbox_clear(&out);
    proposer_tick(p, now + 49, &out);
    CHECK(count_type(&out, PX_MSG_HEARTBEAT) == 0);
    proposer_tick(p, now + 50, &out);
    REQUIRE(count_type(&out, PX_MSG_HEARTBEAT) == 2);
    const px_heartbeat *hb = &nth(&out, PX_MSG_HEARTBEAT, 0)->msg.u.heartbeat;
    CHECK(beq(hb->ballot, proposer_ballot(p)) && hb->leader == 1 && hb->chosen_upto == 0);

    /* A follower follows it and pushes its election out. */
    proposer_config c2 = mkcfg(2, 3);
    struct proposer *f = proposer_new(&c2, 0);
    proposer_handle(f, heartbeat(B(1, 1), 1, 5), 250, &out);
    CHECK(proposer_leader(f) == 1 && proposer_state(f) == PROPOSER_FOLLOWER);
    CHECK(proposer_chosen_upto(f) == 5);
    uint64_t d = proposer_next_deadline(f);
    CHECK(d >= 550 && d <= 850);
    /* A heartbeat below the highest ballot seen (a stale leader) is ignored. */
    proposer_handle(f, heartbeat(B(2, 3), 3, 9), 260, &out);
    CHECK(proposer_leader(f) == 3);
    proposer_handle(f, heartbeat(B(1, 1), 1, 12), 270, &out);
    CHECK(proposer_leader(f) == 3 && proposer_chosen_upto(f) == 9);
    /* Our own heartbeat echoed back is never followed. */
    proposer_handle(f, heartbeat(B(5, 2), 2, 0), 280, &out);
    CHECK(proposer_leader(f) == 3);
    px_outbox_clear(&out);
    proposer_tick(f, proposer_next_deadline(f), &out);
    CHECK(beq(proposer_ballot(f), B(6, 2))); /* but never reuses its ballot */

    /* The leader hearing a higher ballot steps down and follows. */
    proposer_handle(p, heartbeat(B(7, 3), 3, 0), now + 60, &out);
    CHECK(proposer_state(p) == PROPOSER_FOLLOWER && proposer_leader(p) == 3);
    px_outbox_free(&out);
    proposer_free(p);
    proposer_free(f);
}

/* Phase 1's from: the minimum over learners of the highest mark each
 * reported (0 for one never heard), raised to chosen_upto if that is higher. */
static void test_learned_sets_from(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    /* Learner 3 never reported: it counts as 0. */
    proposer_handle(p, learned(1, 10), 1, &out);
    proposer_handle(p, learned(2, 8), 1, &out);
    proposer_tick(p, proposer_next_deadline(p), &out);
    REQUIRE(count_type(&out, PX_MSG_PREPARE) == 1);
    CHECK(nth(&out, PX_MSG_PREPARE, 0)->msg.u.prepare.from_slot == 0);
    /* Every learner heard: the minimum.  A lower report later (a learner
     * restarted empty, or a reordered message) does not pull it down. */
    proposer_handle(p, learned(3, 12), 1, &out);
    proposer_handle(p, learned(2, 3), 1, &out);
    px_outbox_clear(&out);
    proposer_handle(p, reject(B(3, 3), 2, PX_MSG_PREPARE, 0), 2, &out);
    CHECK(proposer_state(p) == PROPOSER_FOLLOWER);
    proposer_tick(p, proposer_next_deadline(p), &out);
    REQUIRE(count_type(&out, PX_MSG_PREPARE) == 1);
    CHECK(nth(&out, PX_MSG_PREPARE, 0)->msg.u.prepare.from_slot == 8);
    CHECK(beq(nth(&out, PX_MSG_PREPARE, 0)->msg.u.prepare.ballot, B(4, 1)));
    /* Leading from 8: slots below are chosen (every learner applied them). */
    uint64_t now = proposer_next_deadline(p);
    proposer_handle(p, promise(B(4, 1), 1, 8, 8, 1), now, &out);
    proposer_handle(p, promise(B(4, 1), 2, 8, 8, 1), now, &out);
    CHECK(proposer_state(p) == PROPOSER_LEADER);
    CHECK(proposer_chosen_upto(p) == 8 && proposer_next_slot(p) == 8);
    /* A leader's chosen_upto above the learners' marks raises from. */
    proposer_handle(p, heartbeat(B(5, 3), 3, 20), now + 1, &out);
    CHECK(proposer_state(p) == PROPOSER_FOLLOWER && proposer_chosen_upto(p) == 20);
    px_outbox_clear(&out);
    proposer_tick(p, proposer_next_deadline(p), &out);
    REQUIRE(count_type(&out, PX_MSG_PREPARE) == 1);
    CHECK(nth(&out, PX_MSG_PREPARE, 0)->msg.u.prepare.from_slot == 20);
    px_outbox_free(&out);
    proposer_free(p);
}

/* A candidate whose phase 1 keeps advancing (a long chunked report) is not
 * cut short by its own election timer. */
static void test_phase1_progress_rearms_timer(void)
{
    proposer_config c = mkcfg(1, 3);
    c.election_min_ms = c.election_max_ms = 100;
    c.retransmit_ms = 1000;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    proposer_tick(p, 100, &out);
    px_ballot b = proposer_ballot(p);
    uint64_t t = 100;
    for (uint64_t chunk = 0; chunk < 10; chunk++) {
        t += 60;
        px_msg *m = promise(b, 2, chunk * 4, chunk * 4 + 4, 0);
        for (uint64_t s = chunk * 4; s < chunk * 4 + 4; s++) promise_add(m, s, B(1, 3), (int64_t)s + 1);
        proposer_handle(p, m, t, &out);
        proposer_tick(p, t, &out);
        CHECK(beq(proposer_ballot(p), b));
    }
    proposer_handle(p, promise(b, 2, 40, 40, 1), t, &out);
    proposer_handle(p, promise(b, 3, 0, 0, 1), t, &out);
    CHECK(proposer_state(p) == PROPOSER_LEADER && proposer_next_slot(p) == 40);
    px_outbox_free(&out);
    proposer_free(p);
}

/* A 4-entry chunk [from, from + 4) of acceptor acc, not the last. */
static px_msg *chunk4(px_ballot b, uint32_t acc, uint64_t from)
{
    px_msg *m = promise(b, acc, from, from + 4, 0);
    for (uint64_t s = from; s < from + 4; s++) promise_add(m, s, B(1, 3), (int64_t)s + 1);
    return m;
}

/* A candidate whose read advances at a quorum sends the leader's heartbeat
 * to the proposers (not the learners) every heartbeat_ms; one answered by
 * a minority only does not; it goes quiet once the quorum has been silent
 * for election_min_ms + retransmit_ms, without a deadline in the past, and
 * speaks again when chunks resume. */
static void test_candidate_heartbeats(void)
{
    proposer_config c = mkcfg(1, 3);
    c.election_min_ms = c.election_max_ms = 1000; /* no new ballot meanwhile */
    const uint64_t window = c.election_min_ms + c.retransmit_ms;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    proposer_tick(p, 1000, &out);
    px_ballot b = proposer_ballot(p);
    CHECK(count_type(&out, PX_MSG_HEARTBEAT) == 0);
    proposer_handle(p, chunk4(b, 2, 0), 1001, &out);
    proposer_handle(p, chunk4(b, 2, 4), 1002, &out);
    CHECK(count_type(&out, PX_MSG_HEARTBEAT) == 0); /* a minority */
    proposer_handle(p, chunk4(b, 3, 0), 1003, &out);
    REQUIRE(count_type(&out, PX_MSG_HEARTBEAT) == 1);
    const px_envelope *e = nth(&out, PX_MSG_HEARTBEAT, 0);
    CHECK(e->role == PX_ROLE_PROPOSER && e->node == PX_NODE_ALL);
    CHECK(beq(e->msg.u.heartbeat.ballot, b) && e->msg.u.heartbeat.leader == 1);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    px_outbox_clear(&out);
    proposer_tick(p, 1052, &out);
    CHECK(count_type(&out, PX_MSG_HEARTBEAT) == 0);
    proposer_tick(p, 1053, &out);
    CHECK(count_type(&out, PX_MSG_HEARTBEAT) == 1);
    /* Acceptor 2 falls silent, acceptor 3 goes on (a minority): the
     * heartbeats stop when acceptor 2's window ends, at 1002 + window, and
     * no deadline is ever left in the past. */
    size_t hb_before = 0, hb_after = 0;
    uint64_t next3 = 4;
    for (uint64_t t = 1054; t < 2400; t++) {
        px_outbox_clear(&out);
        if (t % 200 == 0) {
            proposer_handle(p, chunk4(b, 3, next3), t, &out);
            next3 += 4;
        }
        if (proposer_next_deadline(p) <= t) proposer_tick(p, t, &out);
        CHECK(proposer_next_deadline(p) > t);
        *(t < 1002 + window ? &hb_before : &hb_after) += count_type(&out, PX_MSG_HEARTBEAT);
    }
    CHECK(hb_before == (1002 + window - 1 - 1053) / 50 && hb_after == 0);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE && beq(proposer_ballot(p), b));
    /* Acceptor 2 answers again: a quorum advances, a heartbeat at once. */
    px_outbox_clear(&out);
    proposer_handle(p, chunk4(b, 2, 8), 2400, &out);
    CHECK(count_type(&out, PX_MSG_HEARTBEAT) == 1);
    px_outbox_free(&out);
    proposer_free(p);
}

/* Promises report slots 5 and 7 only: 6 is a gap and gets a no-op. */
static void test_noop_gap_filling(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    for (uint32_t l = 1; l <= 3; l++) proposer_handle(p, learned(l, 5), 0, &out);
    uint64_t now = proposer_next_deadline(p);
    proposer_tick(p, now, &out);
    px_ballot b = proposer_ballot(p);
    px_outbox_clear(&out);

    px_msg *m = promise(b, 1, 5, 6, 1);
    promise_add(m, 5, B(1, 2), 55);
    proposer_handle(p, m, now, &out);
    m = promise(b, 2, 5, 8, 1);
    promise_add(m, 7, B(1, 2), 77);
    proposer_handle(p, m, now, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    CHECK(proposer_next_slot(p) == 8);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 3);
    const px_accept *a5 = accept_for(&out, 5), *a6 = accept_for(&out, 6), *a7 = accept_for(&out, 7);
    REQUIRE(a5 && a6 && a7);
    CHECK(tag_of(&a5->value) == 55);
    CHECK(a6->value.n == 0);
    CHECK(tag_of(&a7->value) == 77);
    CHECK(beq(a5->ballot, b) && accept_for(&out, 4) == NULL && accept_for(&out, 8) == NULL);
    CHECK(nth(&out, PX_MSG_ACCEPT, 0)->node == PX_NODE_ALL);
    CHECK(proposer_in_flight(p) == 3);
    px_outbox_free(&out);
    proposer_free(p);
}

/* Two acceptors report different values for one slot: the one accepted
 * under the higher ballot is the only safe choice. */
static void test_highest_vballot_wins(void)
{
    proposer_config c = mkcfg(1, 5);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now = proposer_next_deadline(p);
    proposer_tick(p, now, &out);
    px_ballot b = proposer_ballot(p);
    px_outbox_clear(&out);
    px_msg *m = promise(b, 1, 0, 1, 1);
    promise_add(m, 0, B(3, 4), 30);
    proposer_handle(p, m, now, &out);
    m = promise(b, 2, 0, 1, 1);
    promise_add(m, 0, B(4, 2), 40); /* higher: wins */
    proposer_handle(p, m, now, &out);
    m = promise(b, 3, 0, 1, 1);
    promise_add(m, 0, B(2, 5), 20);
    proposer_handle(p, m, now, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    const px_accept *a0 = accept_for(&out, 0);
    REQUIRE(a0 != NULL);
    CHECK(tag_of(&a0->value) == 40);
    px_outbox_free(&out);
    proposer_free(p);
}

/* Chunks: done=0 asks that acceptor (only) for the next chunk; duplicates
 * and stale chunks are ignored; every entry of every chunk is recovered. */
static void test_chunked_promises(void)
{
    proposer_config c = mkcfg(1, 3);
    c.pipeline = 16;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now = proposer_next_deadline(p);
    proposer_tick(p, now, &out);
    px_ballot b = proposer_ballot(p);
    px_outbox_clear(&out);

    px_msg *m = promise(b, 2, 0, 4, 0);
    for (uint64_t s = 0; s < 4; s++) promise_add(m, s, B(1, 3), 100 + (int64_t)s);
    proposer_handle(p, m, now, &out);
    REQUIRE(out.n == 1);
    CHECK(out.v[0].msg.type == PX_MSG_PREPARE && out.v[0].node == 2 &&
          out.v[0].role == PX_ROLE_ACCEPTOR);
    CHECK(out.v[0].msg.u.prepare.from_slot == 4 && beq(out.v[0].msg.u.prepare.ballot, b));
    /* The same chunk again (duplicate) asks nothing new. */
    proposer_handle(p, m, now, &out);
    CHECK(out.n == 1);

    m = promise(b, 2, 4, 9, 0);
    for (uint64_t s = 4; s < 9; s += 2) promise_add(m, s, B(1, 3), 100 + (int64_t)s);
    promise_add(m, 8, B(1, 3), 108);
    proposer_handle(p, m, now, &out);
    CHECK(out.n == 2 && out.v[1].msg.u.prepare.from_slot == 9);
    m = promise(b, 2, 9, 11, 1);
    promise_add(m, 10, B(1, 3), 110);
    proposer_handle(p, m, now, &out);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE); /* one acceptor of 3 */
    /* A done chunk from acceptor 2 again does not make a quorum. */
    proposer_handle(p, m, now, &out);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    proposer_handle(p, promise(b, 3, 0, 0, 1), now, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    CHECK(proposer_next_slot(p) == 11);
    for (uint64_t s = 0; s < 11; s++) {
        const px_accept *a = accept_for(&out, s);
        if (s >= c.pipeline) break;
        REQUIRE(a != NULL);
        int reported = s < 4 || s == 4 || s == 6 || s == 8 || s == 10;
        CHECK(tag_of(&a->value) == (reported ? 100 + (int64_t)s : 0));
    }
    px_outbox_free(&out);
    proposer_free(p);
}

/* Stale promises (an old ballot) and promises from non-members change nothing. */
static void test_stale_promise_ignored(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    proposer_tick(p, proposer_next_deadline(p), &out);
    proposer_handle(p, reject(B(4, 2), 2, PX_MSG_PREPARE, 0), 1, &out);
    uint64_t now = proposer_next_deadline(p);
    proposer_tick(p, now, &out);
    CHECK(beq(proposer_ballot(p), B(5, 1)));
    proposer_handle(p, promise(B(1, 1), 1, 0, 0, 1), now, &out);
    proposer_handle(p, promise(B(1, 1), 2, 0, 0, 1), now, &out);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    proposer_handle(p, promise(B(5, 1), 7, 0, 0, 1), now, &out); /* not a member */
    proposer_handle(p, promise(B(5, 1), 1, 0, 0, 1), now, &out);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    /* A stale REJECT (for a ballot below ours) does not make us step down. */
    proposer_handle(p, reject(B(4, 2), 3, PX_MSG_PREPARE, 0), now, &out);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    proposer_handle(p, promise(B(5, 1), 3, 0, 0, 1), now, &out);
    CHECK(proposer_state(p) == PROPOSER_LEADER);
    px_outbox_free(&out);
    proposer_free(p);
}

/* Duplicate ACCEPTED sets the same bit; reordered ones complete slots out
 * of order, and chosen_upto only covers the gap-free prefix. */
static void test_accepted_dup_and_reorder(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    px_ballot b = proposer_ballot(p);
    for (uint64_t s = 1; s <= 3; s++) proposer_handle(p, request(s, 2, 1), now, &out);
    CHECK(proposer_in_flight(p) == 3 && proposer_next_slot(p) == 3);
    px_outbox_clear(&out);

    proposer_handle(p, accepted(b, 1, 1), now, &out);
    proposer_handle(p, accepted(b, 1, 1), now, &out); /* duplicate */
    CHECK(proposer_slots_chosen(p) == 0);
    proposer_handle(p, accepted(B(9, 9), 2, 1), now, &out); /* other ballot */
    CHECK(proposer_slots_chosen(p) == 0);
    proposer_handle(p, accepted(b, 3, 1), now, &out);
    CHECK(proposer_slots_chosen(p) == 1);
    /* The learners decide a fresh slot from the acceptors' VOTEs: no CHOSEN. */
    CHECK(count_type(&out, PX_MSG_CHOSEN) == 0);
    CHECK(proposer_chosen_upto(p) == 0); /* slot 0 still open */
    CHECK(proposer_in_flight(p) == 2);
    proposer_handle(p, accepted(b, 2, 1), now, &out); /* late third ack */
    CHECK(proposer_slots_chosen(p) == 1);

    proposer_handle(p, accepted(b, 2, 0), now, &out);
    proposer_handle(p, accepted(b, 3, 0), now, &out);
    CHECK(proposer_slots_chosen(p) == 2);
    CHECK(proposer_chosen_upto(p) == 2);
    proposer_handle(p, accepted(b, 1, 2), now, &out);
    proposer_handle(p, accepted(b, 2, 2), now, &out);
    CHECK(proposer_chosen_upto(p) == 3 && proposer_in_flight(p) == 0);
    CHECK(proposer_slots_chosen(p) == 3 && proposer_commands_chosen(p) == 3);
    /* ACCEPTED for a slot never opened, or already chosen, is harmless. */
    proposer_handle(p, accepted(b, 1, 0), now, &out);
    proposer_handle(p, accepted(b, 1, 99), now, &out);
    CHECK(proposer_slots_chosen(p) == 3 && proposer_chosen_upto(p) == 3);
    CHECK(count_type(&out, PX_MSG_CHOSEN) == 0);
    px_outbox_free(&out);
    proposer_free(p);
}

/* Never more than pipeline slots in flight; a slot chosen frees room. */
static void test_pipeline_limit(void)
{
    proposer_config c = mkcfg(1, 3);
    c.batch_max = 1;
    c.pipeline = 3;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    px_ballot b = proposer_ballot(p);
    px_outbox_clear(&out);
    for (uint64_t s = 1; s <= 8; s++) proposer_handle(p, request(s, 1, 0), now, &out);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 3);
    CHECK(proposer_in_flight(p) == 3 && proposer_queued(p) == 5);
    /* Slot 1 chosen out of order: it still holds its place until slot 0
     * is chosen, so the window does not run ahead of a stuck slot. */
    proposer_handle(p, accepted(b, 1, 1), now, &out);
    proposer_handle(p, accepted(b, 2, 1), now, &out);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 3 && proposer_in_flight(p) == 2);
    proposer_handle(p, accepted(b, 1, 0), now, &out);
    proposer_handle(p, accepted(b, 2, 0), now, &out);
    CHECK(proposer_chosen_upto(p) == 2);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 5 && proposer_in_flight(p) == 3);
    CHECK(accept_for(&out, 3) && accept_for(&out, 4) && !accept_for(&out, 5));
    CHECK(proposer_queued(p) == 3);
    px_outbox_free(&out);
    proposer_free(p);
}

/* Commands queued behind a full pipeline leave in batches of batch_max. */
static void test_batching(void)
{
    proposer_config c = mkcfg(1, 3);
    c.batch_max = 4;
    c.pipeline = 1;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    px_ballot b = proposer_ballot(p);
    px_outbox_clear(&out);
    for (uint64_t s = 1; s <= 10; s++) proposer_handle(p, request(s, 1, 0), now, &out);
    const int expect_n[] = {1, 4, 4, 1};
    uint64_t seq = 1;
    for (uint64_t slot = 0; slot < 4; slot++) {
        const px_accept *a = accept_for(&out, slot);
        REQUIRE(a != NULL);
        CHECK(a->value.n == expect_n[slot]);
        for (int i = 0; i < a->value.n; i++) CHECK(a->value.cmds[i].seq == seq++);
        CHECK(accept_for(&out, slot + 1) == NULL);
        proposer_handle(p, accepted(b, 1, slot), now, &out);
        proposer_handle(p, accepted(b, 2, slot), now, &out);
    }
    CHECK(seq == 11 && proposer_commands_chosen(p) == 10 && proposer_slots_chosen(p) == 4);
    CHECK(proposer_queued(p) == 0 && proposer_chosen_upto(p) == 4);
    /* the slots counted by their commands (paxos_commands_per_slot) */
    CHECK(proposer_slots_with_commands(p, 1) == 2 && proposer_slots_with_commands(p, 4) == 2);
    CHECK(proposer_slots_with_commands(p, 0) == 0 && proposer_slots_with_commands(p, 2) == 0);
    CHECK(proposer_slots_with_commands(p, PX_MAX_BATCH + 1) == 0);
    CHECK(proposer_elections(p) == 1);
    px_outbox_free(&out);
    proposer_free(p);
}

/* With slots open, commands queue to fill one bigger slot instead of one
 * slot each: the 4th..6th of a burst wait while 3 slots are open, and
 * leave together when a slot is chosen. */
static void test_batching_while_open(void)
{
    proposer_config c = mkcfg(1, 3);
    c.batch_max = 8;
    c.pipeline = 16;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    px_ballot b = proposer_ballot(p);
    px_outbox_clear(&out);
    for (uint64_t s = 1; s <= 6; s++) proposer_handle(p, request(s, 1, 0), now, &out);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 3 && proposer_in_flight(p) == 3);
    CHECK(proposer_queued(p) == 3);
    proposer_handle(p, accepted(b, 1, 0), now, &out);
    proposer_handle(p, accepted(b, 2, 0), now, &out);
    REQUIRE(count_type(&out, PX_MSG_ACCEPT) == 4);
    const px_accept *a = accept_for(&out, 3);
    REQUIRE(a != NULL);
    CHECK(a->value.n == 3 && a->value.cmds[0].seq == 4 && a->value.cmds[2].seq == 6);
    CHECK(proposer_queued(p) == 0 && proposer_in_flight(p) == 3);
    /* batch_max queued commands need no wait. */
    for (uint64_t s = 7; s <= 14; s++) proposer_handle(p, request(s, 1, 0), now, &out);
    REQUIRE(count_type(&out, PX_MSG_ACCEPT) == 5);
    a = accept_for(&out, 4);
    REQUIRE(a != NULL);
    CHECK(a->value.n == 8 && a->value.cmds[0].seq == 7);
    px_outbox_free(&out);
    proposer_free(p);
}

/* A lone command (no slot open) leaves at once: no deadline, no tick. */
static void test_lone_command_immediate(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    px_ballot b = proposer_ballot(p);
    for (uint64_t s = 1; s <= 3; s++) {
        px_outbox_clear(&out);
        proposer_handle(p, request(s, 1, 0), now, &out);
        const px_accept *a = accept_for(&out, s - 1);
        REQUIRE(a != NULL);
        CHECK(a->value.n == 1 && a->value.cmds[0].seq == s);
        CHECK(proposer_queued(p) == 0);
        proposer_handle(p, accepted(b, 1, s - 1), now, &out);
        proposer_handle(p, accepted(b, 2, s - 1), now, &out);
        CHECK(proposer_in_flight(p) == 0);
        now += 5;
    }
    px_outbox_free(&out);
    proposer_free(p);
}

/* A command waiting behind open slots is reported as the next deadline
 * (arrival + the batch wait) and a tick then opens its slot, even though
 * no slot was chosen meanwhile. */
static void test_batch_wait_deadline(void)
{
    proposer_config c = mkcfg(1, 3);
    c.batch_max = 8;
    c.pipeline = 16;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    for (uint64_t s = 1; s <= 3; s++) proposer_handle(p, request(s, 1, 0), now, &out);
    CHECK(proposer_in_flight(p) == 3);
    uint64_t before = proposer_next_deadline(p);
    CHECK(before > now + 1); /* nothing queued: heartbeat or retransmit */
    uint64_t t4 = now + 1;
    proposer_handle(p, request(4, 1, 0), t4, &out);
    proposer_handle(p, request(5, 1, 0), t4, &out);
    CHECK(proposer_queued(p) == 2 && proposer_in_flight(p) == 3);
    CHECK(proposer_next_deadline(p) == t4 + 1);
    px_outbox_clear(&out);
    proposer_tick(p, t4, &out); /* early: nothing */
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 0 && proposer_queued(p) == 2);
    proposer_tick(p, proposer_next_deadline(p), &out);
    REQUIRE(count_type(&out, PX_MSG_ACCEPT) == 1);
    const px_accept *a = accept_for(&out, 3);
    REQUIRE(a != NULL);
    CHECK(a->value.n == 2 && a->value.cmds[0].seq == 4 && a->value.cmds[1].seq == 5);
    CHECK(proposer_queued(p) == 0 && proposer_in_flight(p) == 4);
    CHECK(proposer_next_deadline(p) == before);
    px_outbox_free(&out);
    proposer_free(p);
}

/* The production defaults (open_max and batch_wait_ms left 0): one slot
 * open at a time, and a command behind it waits at most 2 ms. */
static void test_batching_defaults(void)
{
    proposer_config c = mkcfg(1, 3);
    c.open_max = 0;
    c.batch_wait_ms = 0;
    c.batch_max = 8;
    c.pipeline = 16;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    px_outbox_clear(&out);
    for (uint64_t s = 1; s <= 3; s++) proposer_handle(p, request(s, 1, 0), now, &out);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 1 && proposer_in_flight(p) == 1);
    CHECK(proposer_queued(p) == 2);
    CHECK(proposer_next_deadline(p) == now + 2);
    px_outbox_clear(&out);
    proposer_tick(p, now + 1, &out);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 0);
    proposer_tick(p, now + 2, &out);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 1 && proposer_queued(p) == 0);
    px_outbox_free(&out);
    proposer_free(p);
}

static void test_busy_nack(void)
{
    proposer_config c = mkcfg(1, 3);
    c.pipeline = 1;
    c.batch_max = 1;
    c.queue_max = 2;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    px_outbox_clear(&out);
    for (uint64_t s = 1; s <= 4; s++) proposer_handle(p, request(s, 3, 1), now, &out);
    /* 1 in flight, 2 queued, the 4th refused. */
    REQUIRE(count_type(&out, PX_MSG_NACK) == 1);
    const px_envelope *e = nth(&out, PX_MSG_NACK, 0);
    CHECK(e->role == PX_ROLE_GATEWAY && e->node == 3);
    CHECK(e->msg.u.nack.reason == PX_NACK_BUSY && e->msg.u.nack.seq == 4 &&
          e->msg.u.nack.client == 42 && e->msg.u.nack.leader_hint == 1);
    px_outbox_free(&out);
    proposer_free(p);
}

static void test_forwarding_and_nacks(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    /* No leader known. */
    proposer_handle(p, request(1, 1, 0), 1, &out);
    REQUIRE(out.n == 1);
    CHECK(out.v[0].msg.type == PX_MSG_NACK && out.v[0].role == PX_ROLE_GATEWAY &&
          out.v[0].node == 1 && out.v[0].msg.u.nack.reason == PX_NACK_NO_LEADER &&
          out.v[0].msg.u.nack.leader_hint == 0);
    px_outbox_clear(&out);
    /* Leader 2 known: forward with one more hop, origin kept. */
    proposer_handle(p, heartbeat(B(1, 2), 2, 0), 2, &out);
    proposer_handle(p, request(2, 3, 1), 3, &out);
    REQUIRE(out.n == 1);
    CHECK(out.v[0].msg.type == PX_MSG_REQUEST && out.v[0].role == PX_ROLE_PROPOSER &&
          out.v[0].node == 2 && out.v[0].msg.from == 1);
    CHECK(out.v[0].msg.u.request.hops == 2 && out.v[0].msg.u.request.origin == 3 &&
          out.v[0].msg.u.request.cmd.seq == 2);
    px_outbox_clear(&out);
    /* Too many hops already: NACK instead of forwarding again. */
    proposer_handle(p, request(3, 3, 3), 4, &out);
    REQUIRE(out.n == 1);
    CHECK(out.v[0].msg.type == PX_MSG_NACK && out.v[0].node == 3 &&
          out.v[0].msg.u.nack.reason == PX_NACK_TOO_MANY_HOPS &&
          out.v[0].msg.u.nack.leader_hint == 2);
    px_outbox_free(&out);
    proposer_free(p);
}

/* A candidate queues requests; when a leader's heartbeat makes it step
 * down it forwards them, in order, to that leader. */
static void test_candidate_queue_forwarded(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    proposer_tick(p, proposer_next_deadline(p), &out);
    px_outbox_clear(&out);
    proposer_handle(p, request(1, 2, 0), 1000, &out);
    proposer_handle(p, request(2, 3, 0), 1000, &out);
    CHECK(out.n == 0 && proposer_queued(p) == 2);
    proposer_handle(p, heartbeat(B(2, 3), 3, 0), 1001, &out);
    CHECK(proposer_state(p) == PROPOSER_FOLLOWER && proposer_leader(p) == 3);
    REQUIRE(count_type(&out, PX_MSG_REQUEST) == 2);
    CHECK(nth(&out, PX_MSG_REQUEST, 0)->node == 3 &&
          nth(&out, PX_MSG_REQUEST, 0)->msg.u.request.cmd.seq == 1);
    CHECK(nth(&out, PX_MSG_REQUEST, 1)->msg.u.request.cmd.seq == 2 &&
          nth(&out, PX_MSG_REQUEST, 1)->msg.u.request.origin == 3);
    CHECK(proposer_queued(p) == 0);
    px_outbox_free(&out);
    proposer_free(p);
}

/* A stale leader steps down on the first REJECT: queued commands are
 * NACKed (no leader known), in-flight slots abandoned, and its next
 * ballot is above the one that beat it. */
static void test_stale_leader_steps_down(void)
{
    proposer_config c = mkcfg(1, 3);
    c.pipeline = 1;
    c.batch_max = 1;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    for (uint64_t s = 1; s <= 3; s++) proposer_handle(p, request(s, 2, 1), now, &out);
    CHECK(proposer_in_flight(p) == 1 && proposer_queued(p) == 2);
    px_outbox_clear(&out);
    proposer_handle(p, reject(B(1, 1), 2, PX_MSG_ACCEPT, 0), now, &out); /* not higher */
    CHECK(proposer_state(p) == PROPOSER_LEADER);
    proposer_handle(p, reject(B(3, 2), 2, PX_MSG_ACCEPT, 0), now + 1, &out);
    CHECK(proposer_state(p) == PROPOSER_FOLLOWER && proposer_leader(p) == 0);
    CHECK(proposer_in_flight(p) == 0 && proposer_queued(p) == 0);
    REQUIRE(count_type(&out, PX_MSG_NACK) == 2);
    CHECK(nth(&out, PX_MSG_NACK, 0)->msg.u.nack.reason == PX_NACK_NO_LEADER &&
          nth(&out, PX_MSG_NACK, 0)->node == 2);
    /* Its old slot's ACCEPTED no longer counts. */
    proposer_handle(p, accepted(B(1, 1), 1, 0), now + 2, &out);
    proposer_handle(p, accepted(B(1, 1), 3, 0), now + 2, &out);
    CHECK(count_type(&out, PX_MSG_CHOSEN) == 0);
    /* Heartbeats stop; the election timer is re-armed with jitter. */
    uint64_t d = proposer_next_deadline(p);
    CHECK(d >= now + 1 + 300 && d <= now + 1 + 600);
    proposer_tick(p, d, &out);
    CHECK(beq(proposer_ballot(p), B(4, 1)));
    px_outbox_free(&out);
    proposer_free(p);
}

/* A restarted proposer (initial_round = R, what its host persisted) never
 * creates a ballot with round <= R, and round_to_persist names every
 * ballot in an outbox before the host sends it (proposer.h, Durability). */
static void test_initial_round(void)
{
    proposer_config c = mkcfg(2, 3);
    c.initial_round = 7;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    CHECK(proposer_round_to_persist(p) == 7); /* nothing new to persist yet */
    uint64_t t = proposer_next_deadline(p);
    proposer_tick(p, t, &out);
    REQUIRE(count_type(&out, PX_MSG_PREPARE) == 1);
    CHECK(beq(nth(&out, PX_MSG_PREPARE, 0)->msg.u.prepare.ballot, B(8, 2)));
    CHECK(proposer_round_to_persist(p) == 8); /* before the PREPARE is sent */
    /* A REJECT raises the next round; every PREPARE of every later
     * election is above R and covered by round_to_persist. */
    proposer_handle(p, reject(B(20, 3), 1, PX_MSG_PREPARE, 0), t + 1, &out);
    CHECK(proposer_state(p) == PROPOSER_FOLLOWER);
    CHECK(proposer_round_to_persist(p) == 8); /* seen, not used */
    for (int i = 0; i < 5; i++) {
        px_outbox_clear(&out);
        t = proposer_next_deadline(p);
        proposer_tick(p, t, &out);
        for (size_t k = 0; k < out.n; k++) {
            const px_msg *m = &out.v[k].msg;
            if (m->type != PX_MSG_PREPARE) continue;
            CHECK(m->u.prepare.ballot.round > 7);
            CHECK(m->u.prepare.ballot.round <= proposer_round_to_persist(p));
        }
    }
    CHECK(proposer_ballot(p).round >= 21);
    CHECK(proposer_round_to_persist(p) == proposer_ballot(p).round);
    /* As leader, ACCEPTs and HEARTBEATs carry a persisted round too. */
    px_outbox_clear(&out);
    px_ballot b = proposer_ballot(p);
    for (uint32_t a = 1; a <= 2; a++) proposer_handle(p, promise(b, a, 0, 0, 1), t, &out);
    proposer_handle(p, request(1, 2, 0), t, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 1 && count_type(&out, PX_MSG_HEARTBEAT) == 2);
    CHECK(nth(&out, PX_MSG_ACCEPT, 0)->msg.u.accept.ballot.round <= proposer_round_to_persist(p));
    px_outbox_free(&out);
    proposer_free(p);

    /* initial_round counts as seen, not as a ballot of ours: a leader at
     * (R, any node) is still followed. */
    struct proposer *f = proposer_new(&c, 0);
    proposer_handle(f, heartbeat(B(7, 1), 1, 0), 10, &out);
    CHECK(proposer_leader(f) == 1);
    proposer_free(f);
}

/* Unanswered PREPAREs and ACCEPTs are resent after retransmit_ms, only to
 * the acceptors that have not answered. */
static void test_retransmits(void)
{
    proposer_config c = mkcfg(1, 3);
    c.election_min_ms = c.election_max_ms = 1000;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    proposer_tick(p, 1000, &out);
    px_ballot b = proposer_ballot(p);
    proposer_handle(p, promise(b, 1, 0, 0, 1), 1010, &out);
    CHECK(proposer_next_deadline(p) == 1100);
    px_outbox_clear(&out);
    proposer_tick(p, 1100, &out);
    REQUIRE(count_type(&out, PX_MSG_PREPARE) == 2);
    CHECK(nth(&out, PX_MSG_PREPARE, 0)->node == 2 && nth(&out, PX_MSG_PREPARE, 1)->node == 3);
    proposer_handle(p, promise(b, 3, 0, 0, 1), 1120, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    proposer_handle(p, request(1, 1, 0), 1130, &out);
    proposer_handle(p, accepted(b, 2, 0), 1140, &out);
    /* Heartbeat due at 1170 comes before the ACCEPT retransmit at 1230. */
    CHECK(proposer_next_deadline(p) == 1170);
    proposer_tick(p, 1170, &out);
    CHECK(proposer_next_deadline(p) == 1220);
    px_outbox_clear(&out);
    proposer_tick(p, 1229, &out);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 0);
    proposer_tick(p, 1230, &out);
    REQUIRE(count_type(&out, PX_MSG_ACCEPT) == 2);
    CHECK(nth(&out, PX_MSG_ACCEPT, 0)->node == 1 && nth(&out, PX_MSG_ACCEPT, 1)->node == 3);
    CHECK(nth(&out, PX_MSG_ACCEPT, 0)->msg.u.accept.slot == 0);
    px_outbox_free(&out);
    proposer_free(p);
}

/* CATCHUP below chosen_upto: the leader re-reads at its current ballot and
 * re-proposes only reported slots, once per election_min_ms. */
static void test_catchup_reread(void)
{
    proposer_config c = mkcfg(1, 3);
    c.pipeline = 8;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    px_ballot b = proposer_ballot(p);
    for (uint64_t s = 1; s <= 3; s++) proposer_handle(p, request(s, 1, 0), now, &out);
    for (uint64_t s = 0; s < 3; s++) {
        proposer_handle(p, accepted(b, 1, s), now, &out);
        proposer_handle(p, accepted(b, 2, s), now, &out);
    }
    REQUIRE(proposer_chosen_upto(p) == 3);
    px_outbox_clear(&out);
    proposer_handle(p, catchup(2, 3), now, &out); /* nothing missing */
    CHECK(out.n == 0);
    proposer_handle(p, catchup(2, 1), now, &out);
    REQUIRE(out.n == 1);
    CHECK(out.v[0].msg.type == PX_MSG_PREPARE && out.v[0].node == PX_NODE_ALL);
    CHECK(beq(out.v[0].msg.u.prepare.ballot, b) && out.v[0].msg.u.prepare.from_slot == 1);
    proposer_handle(p, catchup(3, 0), now, &out); /* one re-read at a time */
    CHECK(out.n == 1);
    px_outbox_clear(&out);
    /* Slot 2 reported by one acceptor only, slot 1 by none. */
    px_msg *m = promise(b, 1, 1, 3, 1);
    promise_add(m, 2, b, 3);
    proposer_handle(p, m, now, &out);
    proposer_handle(p, promise(b, 2, 1, 1, 1), now, &out);
    CHECK(proposer_state(p) == PROPOSER_LEADER && beq(proposer_ballot(p), b));
    REQUIRE(count_type(&out, PX_MSG_ACCEPT) == 1);
    CHECK(accept_for(&out, 2) && tag_of(&accept_for(&out, 2)->value) == 3);
    CHECK(beq(accept_for(&out, 2)->ballot, b));
    proposer_handle(p, accepted(b, 1, 2), now, &out);
    proposer_handle(p, accepted(b, 3, 2), now, &out);
    CHECK(count_type(&out, PX_MSG_CHOSEN) == 1 && proposer_chosen_upto(p) == 3);
    /* Rate limit: not again before election_min_ms. */
    px_outbox_clear(&out);
    proposer_handle(p, catchup(2, 1), now + 299, &out);
    CHECK(count_type(&out, PX_MSG_PREPARE) == 0);
    proposer_handle(p, catchup(2, 1), now + 300, &out);
    CHECK(count_type(&out, PX_MSG_PREPARE) == 1);
    /* Followers ignore CATCHUP. */
    proposer_config c2 = mkcfg(2, 3);
    struct proposer *f = proposer_new(&c2, 0);
    px_outbox_clear(&out);
    proposer_handle(f, heartbeat(b, 1, 3), 1, &out);
    proposer_handle(f, catchup(3, 0), 2, &out);
    CHECK(out.n == 0);
    proposer_free(f);
    px_outbox_free(&out);
    proposer_free(p);
}

/* ---- in-test clusters of real acceptors --------------------------------- */

#define CL_MAX 5

typedef struct frame {
    uint8_t role;
    uint32_t to;
    size_t len;
    uint8_t *buf;
} frame;

typedef struct cluster {
    uint32_t n;
    struct acceptor *acc[CL_MAX + 1];
    struct proposer *prop[CL_MAX + 1];
    proposer_config cfg[CL_MAX + 1];
    uint8_t cut[CL_MAX + 1][CL_MAX + 1]; /* cut[a][b]: frames from node a to b are lost */
    /* The proposer hosts' durable round (proposer.state), kept across
     * cl_stop_proposer; amnesia restarts proposers from round 0 instead,
     * as before the fix, to show a test would catch that. */
    uint64_t persisted[CL_MAX + 1];
    int amnesia;
    /* (slot, ballot) -> value of every ACCEPT a proposer sent */
    struct { uint64_t slot; px_ballot b; px_value v; } *acc_log;
    size_t acc_log_n, acc_log_cap;
    int ballot_conflicts, unpersisted;
    frame *q;
    size_t head, qn, qcap;
    uint64_t now;
    px_rng rng;
    int dup, reorder;
    /* The learners' stand-in: the first value seen chosen for each slot. */
    px_value *chosen;
    uint8_t *has;
    size_t chosen_cap;
    uint64_t chosen_msgs;
    /* Their tally of VOTEs: per slot the highest ballot voted and who voted it. */
    px_ballot *vt_b;
    uint32_t *vt_acks;
    size_t vt_cap;
    uint64_t vote_decisions;
    int conflicts, bad_frames, bad_proofs;
    uint32_t nacks;
    uint8_t encbuf[PX_MAX_FRAME];
    px_msg in;
    px_outbox out;
    acc_out aout;
} cluster;

static cluster *cl_new(uint32_t n, uint64_t seed)
{
    cluster *cl = calloc(1, sizeof *cl);
    cl->n = n;
    px_rng_seed(&cl->rng, seed);
    px_outbox_init(&cl->out);
    acc_out_init(&cl->aout);
    for (uint32_t i = 1; i <= n; i++) {
        cl->acc[i] = acceptor_new(i);
        cl->cfg[i] = mkcfg(i, n);
    }
    return cl;
}

static void cl_start_proposer(cluster *cl, uint32_t id)
{
    cl->cfg[id].initial_round = cl->amnesia ? 0 : cl->persisted[id];
    cl->prop[id] = proposer_new(&cl->cfg[id], cl->now);
}

static void cl_stop_proposer(cluster *cl, uint32_t id)
{
    proposer_free(cl->prop[id]);
    cl->prop[id] = NULL;
}

static void cl_free(cluster *cl)
{
    for (uint32_t i = 1; i <= cl->n; i++) {
        acceptor_free(cl->acc[i]);
        proposer_free(cl->prop[i]);
    }
    for (size_t i = cl->head; i < cl->qn; i++) free(cl->q[i].buf);
    free(cl->q);
    free(cl->acc_log);
    free(cl->chosen);
    free(cl->has);
    free(cl->vt_b);
    free(cl->vt_acks);
    px_outbox_free(&cl->out);
    acc_out_free(&cl->aout);
    free(cl);
}

static void cl_enqueue(cluster *cl, int role, uint32_t to, const uint8_t *buf, size_t len)
{
    if (cl->head > 0 && cl->head == cl->qn) cl->head = cl->qn = 0;
    if (cl->qn == cl->qcap) {
        cl->qcap = cl->qcap ? cl->qcap * 2 : 256;
        cl->q = realloc(cl->q, cl->qcap * sizeof *cl->q);
    }
    frame *f = &cl->q[cl->qn++];
    f->role = (uint8_t)role;
    f->to = to;
    f->len = len;
    f->buf = malloc(len);
    memcpy(f->buf, buf, len);
}

/* The ballot a proposer's PREPARE / ACCEPT / HEARTBEAT carries as its own. */
static const px_ballot *own_ballot(const px_msg *m)
{
    if (m->type == PX_MSG_PREPARE) return &m->u.prepare.ballot;
    if (m->type == PX_MSG_ACCEPT) return &m->u.accept.ballot;
    if (m->type == PX_MSG_HEARTBEAT) return &m->u.heartbeat.ballot;
    return NULL;
}

static int value_eq(const px_value *a, const px_value *b);

/* One ballot carries one value per slot: checked on every ACCEPT sent. */
static void cl_log_accept(cluster *cl, const px_accept *a)
{
    for (size_t i = 0; i < cl->acc_log_n; i++) {
        if (cl->acc_log[i].slot != a->slot || !beq(cl->acc_log[i].b, a->ballot)) continue;
        if (!value_eq(&cl->acc_log[i].v, &a->value)) cl->ballot_conflicts++;
        return;
    }
    if (cl->acc_log_n == cl->acc_log_cap) {
        cl->acc_log_cap = cl->acc_log_cap ? cl->acc_log_cap * 2 : 64;
        cl->acc_log = realloc(cl->acc_log, cl->acc_log_cap * sizeof *cl->acc_log);
    }
    cl->acc_log[cl->acc_log_n].slot = a->slot;
    cl->acc_log[cl->acc_log_n].b = a->ballot;
    cl->acc_log[cl->acc_log_n].v = a->value;
    cl->acc_log_n++;
}

/* What a proposer sends: its own ballot must already be persisted, and an
 * ACCEPT must not give a (slot, ballot) a second value. */
static void cl_audit(cluster *cl, const px_envelope *e)
{
    const px_ballot *b = own_ballot(&e->msg);
    if (b == NULL || b->node != e->msg.from) return;
    if (b->round > cl->persisted[e->msg.from]) cl->unpersisted++;
    if (e->msg.type == PX_MSG_ACCEPT) cl_log_accept(cl, &e->msg.u.accept);
}

/* Encodes e once and queues a frame per destination node. */
static void cl_send(cluster *cl, const px_envelope *e)
{
    cl_audit(cl, e);
    size_t len = px_encode(&e->msg, 1, cl->encbuf, sizeof cl->encbuf);
    if (len == 0) {
        cl->bad_frames++;
        return;
    }
    for (uint32_t to = 1; to <= cl->n; to++) {
        if (e->node != PX_NODE_ALL && e->node != to) continue;
        if (cl->cut[e->msg.from][to]) continue;
        cl_enqueue(cl, e->role, to, cl->encbuf, len);
        if (cl->dup) cl_enqueue(cl, e->role, to, cl->encbuf, len);
    }
}

/* The hosts' duty before anything leaves (proposer.h): persist each
 * proposer's round.  Only the proposer that filled o can have raised it. */
static void cl_persist(cluster *cl)
{
    for (uint32_t i = 1; i <= cl->n; i++) {
        if (!cl->prop[i]) continue;
        uint64_t r = proposer_round_to_persist(cl->prop[i]);
        if (r > cl->persisted[i]) cl->persisted[i] = r;
    }
}

static void cl_flush(cluster *cl, px_outbox *o)
{
    cl_persist(cl);
    for (size_t i = 0; i < o->n; i++) cl_send(cl, &o->v[i]);
    px_outbox_clear(o);
}

static int value_eq(const px_value *a, const px_value *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (memcmp(&a->cmds[i], &b->cmds[i], sizeof a->cmds[i]) != 0) return 0;
    return 1;
}

static void cl_record(cluster *cl, const px_chosen *ch)
{
    if (px_acks_count(ch->acks) < px_quorum(cl->n)) cl->bad_proofs++;
    if (ch->slot >= cl->chosen_cap) {
        size_t cap = cl->chosen_cap ? cl->chosen_cap : 64;
        while (cap <= ch->slot) cap *= 2;
        cl->chosen = realloc(cl->chosen, cap * sizeof *cl->chosen);
        cl->has = realloc(cl->has, cap);
        memset(cl->has + cl->chosen_cap, 0, cap - cl->chosen_cap);
        cl->chosen_cap = cap;
    }
    if (!cl->has[ch->slot]) {
        cl->has[ch->slot] = 1;
        cl->chosen[ch->slot] = ch->value;
    } else if (!value_eq(&cl->chosen[ch->slot], &ch->value)) {
        cl->conflicts++;
    }
}

static void cl_learn(cluster *cl, const px_chosen *ch)
{
    cl->chosen_msgs++;
    cl_record(cl, ch);
}

/* Learners decide from a quorum of VOTEs for one (slot, ballot). */
static void cl_vote(cluster *cl, const px_vote *v)
{
    if (v->slot >= cl->vt_cap) {
        size_t cap = cl->vt_cap ? cl->vt_cap : 64;
        while (cap <= v->slot) cap *= 2;
        cl->vt_b = realloc(cl->vt_b, cap * sizeof *cl->vt_b);
        cl->vt_acks = realloc(cl->vt_acks, cap * sizeof *cl->vt_acks);
        memset(cl->vt_b + cl->vt_cap, 0, (cap - cl->vt_cap) * sizeof *cl->vt_b);
        memset(cl->vt_acks + cl->vt_cap, 0, (cap - cl->vt_cap) * sizeof *cl->vt_acks);
        cl->vt_cap = cap;
    }
    int c = px_ballot_cmp(v->ballot, cl->vt_b[v->slot]);
    if (c < 0) return;
    if (c > 0) {
        cl->vt_b[v->slot] = v->ballot;
        cl->vt_acks[v->slot] = 0;
    }
    /* Every learner gets a copy; the stand-in decides once, when the
     * tally first reaches a quorum. */
    uint32_t before = cl->vt_acks[v->slot];
    cl->vt_acks[v->slot] |= 1u << v->acceptor;
    if (before == cl->vt_acks[v->slot] || px_acks_count(cl->vt_acks[v->slot]) != px_quorum(cl->n))
        return;
    px_chosen ch = {.slot = v->slot, .ballot = v->ballot, .acks = cl->vt_acks[v->slot],
                    .value = v->value};
    cl->vote_decisions++;
    cl_record(cl, &ch);
}

static void cl_deliver(cluster *cl, const frame *f)
{
    if (px_decode(f->buf, f->len, 1, &cl->in) != 0) {
        cl->bad_frames++;
        return;
    }
    if (f->role == PX_ROLE_ACCEPTOR && cl->acc[f->to]) {
        struct acceptor *a = cl->acc[f->to];
        acceptor_handle(a, &cl->in, &cl->aout);
        acceptor_durable(a, acceptor_emitted_seq(a), &cl->aout); /* an instant disk */
        cl_flush(cl, &cl->aout.msgs);
        cl_flush(cl, &cl->aout.votes);
        acc_out_clear(&cl->aout);
    } else if (f->role == PX_ROLE_PROPOSER && cl->prop[f->to]) {
        struct proposer *p = cl->prop[f->to];
        proposer_handle(p, &cl->in, cl->now, &cl->out);
        CHECK(proposer_in_flight(p) <= cl->cfg[f->to].pipeline);
        cl_flush(cl, &cl->out);
    } else if (f->role == PX_ROLE_LEARNER && cl->in.type == PX_MSG_CHOSEN) {
        cl_learn(cl, &cl->in.u.chosen);
    } else if (f->role == PX_ROLE_LEARNER && cl->in.type == PX_MSG_VOTE) {
        cl_vote(cl, &cl->in.u.vote);
    } else if (f->role == PX_ROLE_GATEWAY && cl->in.type == PX_MSG_NACK) {
        cl->nacks++;
    }
}

/* Delivers one queued frame (the oldest, or a random one when reordering).
 * Returns 0 when the network is empty. */
static int cl_step(cluster *cl)
{
    if (cl->head == cl->qn) return 0;
    if (cl->reorder) {
        size_t i = cl->head + (size_t)px_rng_range(&cl->rng, 0, cl->qn - cl->head - 1);
        frame t = cl->q[i];
        cl->q[i] = cl->q[cl->head];
        cl->q[cl->head] = t;
    }
    frame f = cl->q[cl->head++];
    cl_deliver(cl, &f);
    free(f.buf);
    return 1;
}

static void cl_drain(cluster *cl)
{
    for (int i = 0; i < 1000000 && cl_step(cl); i++) {}
}

/* Runs for dur ms of simulated time: the network is instant, so all
 * frames are delivered before the clock moves to the next deadline. */
static void cl_run(cluster *cl, uint64_t dur)
{
    uint64_t end = cl->now + dur;
    for (;;) {
        cl_drain(cl);
        uint64_t d = UINT64_MAX;
        for (uint32_t i = 1; i <= cl->n; i++)
            if (cl->prop[i] && proposer_next_deadline(cl->prop[i]) < d)
                d = proposer_next_deadline(cl->prop[i]);
        if (d > end) break;
        if (d > cl->now) cl->now = d;
        for (uint32_t i = 1; i <= cl->n; i++) {
            if (!cl->prop[i] || proposer_next_deadline(cl->prop[i]) > cl->now) continue;
            proposer_tick(cl->prop[i], cl->now, &cl->out);
            cl_flush(cl, &cl->out);
        }
    }
    cl->now = end;
}

/* A client command entering at node's gateway. */
static void cl_submit(cluster *cl, uint32_t node, uint64_t client, uint64_t seq)
{
    px_envelope e;
    memset(&e, 0, sizeof e);
    e.role = PX_ROLE_PROPOSER;
    e.node = node;
    e.msg.type = PX_MSG_REQUEST;
    e.msg.from = node;
    e.msg.u.request.cmd.kind = PX_CMD_APPEND;
    e.msg.u.request.cmd.client = client;
    e.msg.u.request.cmd.seq = seq;
    e.msg.u.request.cmd.value = (int64_t)(client * 1000 + seq);
    e.msg.u.request.origin = node;
    cl_send(cl, &e);
}

/* A message from node's learner (CATCHUP, LEARNED). */
static void cl_inject(cluster *cl, int role, uint32_t to, const px_msg *m)
{
    px_envelope e;
    memset(&e, 0, sizeof e);
    e.role = (uint8_t)role;
    e.node = to;
    e.msg = *m;
    cl_send(cl, &e);
}

/* The only leader, or 0 if there is none or more than one. */
static uint32_t cl_leader(const cluster *cl)
{
    uint32_t l = 0;
    for (uint32_t i = 1; i <= cl->n; i++) {
        if (!cl->prop[i] || proposer_state(cl->prop[i]) != PROPOSER_LEADER) continue;
        if (l) return 0;
        l = i;
    }
    return l;
}

/* How many times command (client, seq) appears in the chosen log. */
static int cl_chosen_count(const cluster *cl, uint64_t client, uint64_t seq)
{
    int k = 0;
    for (size_t s = 0; s < cl->chosen_cap; s++) {
        if (!cl->has[s]) continue;
        for (int i = 0; i < cl->chosen[s].n; i++)
            k += cl->chosen[s].cmds[i].client == client && cl->chosen[s].cmds[i].seq == seq;
    }
    return k;
}

static void cl_isolate(cluster *cl, uint32_t node, int on)
{
    for (uint32_t i = 1; i <= cl->n; i++) {
        if (i == node) continue;
        cl->cut[node][i] = cl->cut[i][node] = (uint8_t)on;
    }
}

static void test_cluster_elects_and_chooses(void)
{
    cluster *cl = cl_new(3, 1);
    for (uint32_t i = 1; i <= 3; i++) cl_start_proposer(cl, i);
    cl_run(cl, 2000);
    uint32_t l = cl_leader(cl);
    REQUIRE(l != 0);
    for (uint32_t i = 1; i <= 3; i++) CHECK(proposer_leader(cl->prop[i]) == l);
    uint32_t f = l % 3 + 1; /* a follower */
    for (uint64_t s = 1; s <= 20; s++) cl_submit(cl, f, 5, s);
    cl_run(cl, 1000);
    for (uint64_t s = 1; s <= 20; s++) CHECK(cl_chosen_count(cl, 5, s) == 1);
    /* Learned from the acceptors' VOTEs alone: the leader announced nothing. */
    CHECK(cl->vote_decisions == proposer_slots_chosen(cl->prop[l]) && cl->chosen_msgs == 0);
    CHECK(proposer_commands_chosen(cl->prop[l]) == 20);
    CHECK(proposer_chosen_upto(cl->prop[l]) == proposer_slots_chosen(cl->prop[l]));
    CHECK(proposer_chosen_upto(cl->prop[l]) == proposer_next_slot(cl->prop[l]));
    CHECK(cl->conflicts == 0 && cl->bad_frames == 0 && cl->bad_proofs == 0 && cl->nacks == 0);
    /* Followers learn chosen_upto from heartbeats. */
    CHECK(proposer_chosen_upto(cl->prop[f]) == proposer_chosen_upto(cl->prop[l]));
    cl_free(cl);
}

/* Two candidates time out together: the higher ballot wins and the other
 * steps down on the acceptors' REJECT, then follows the winner. */
static void test_cluster_dueling(void)
{
    cluster *cl = cl_new(3, 2);
    for (uint32_t i = 1; i <= 2; i++) {
        cl->cfg[i].election_min_ms = cl->cfg[i].election_max_ms = 300;
        cl_start_proposer(cl, i);
    }
    cl->now = 300;
    proposer_tick(cl->prop[2], cl->now, &cl->out); /* (1,2)'s PREPARE arrives first */
    cl_flush(cl, &cl->out);
    proposer_tick(cl->prop[1], cl->now, &cl->out);
    cl_flush(cl, &cl->out);
    CHECK(proposer_state(cl->prop[1]) == PROPOSER_CANDIDATE);
    CHECK(proposer_state(cl->prop[2]) == PROPOSER_CANDIDATE);
    int p1_led = 0;
    while (cl_step(cl)) p1_led |= proposer_state(cl->prop[1]) == PROPOSER_LEADER;
    CHECK(!p1_led);
    CHECK(proposer_state(cl->prop[2]) == PROPOSER_LEADER);
    CHECK(proposer_state(cl->prop[1]) == PROPOSER_FOLLOWER && proposer_leader(cl->prop[1]) == 2);
    cl_run(cl, 1000);
    CHECK(cl_leader(cl) == 2 && proposer_leader(cl->prop[1]) == 2);
    cl_submit(cl, 1, 9, 1);
    cl_run(cl, 100);
    CHECK(cl_chosen_count(cl, 9, 1) == 1);
    CHECK(cl->conflicts == 0 && cl->bad_frames == 0);
    cl_free(cl);
}

/* Same start, but the loser wins its phase 1 first; its first ACCEPT is
 * rejected (the acceptors promised the higher ballot meanwhile), so it
 * steps down and its command is not chosen under its ballot. */
static void test_cluster_leader_rejected_on_accept(void)
{
    cluster *cl = cl_new(3, 3);
    for (uint32_t i = 1; i <= 2; i++) {
        cl->cfg[i].election_min_ms = cl->cfg[i].election_max_ms = 300;
        cl_start_proposer(cl, i);
    }
    cl->now = 300;
    proposer_tick(cl->prop[1], cl->now, &cl->out);
    cl_flush(cl, &cl->out);
    cl_submit(cl, 1, 9, 1); /* queued by candidate 1 */
    proposer_tick(cl->prop[2], cl->now, &cl->out);
    cl_flush(cl, &cl->out);
    int p1_led = 0;
    while (cl_step(cl)) p1_led |= proposer_state(cl->prop[1]) == PROPOSER_LEADER;
    CHECK(p1_led);
    CHECK(proposer_state(cl->prop[1]) == PROPOSER_FOLLOWER);
    CHECK(cl_leader(cl) == 2);
    CHECK(cl_chosen_count(cl, 9, 1) == 0);
    CHECK(cl->conflicts == 0);
    cl_free(cl);
}

/* A value accepted only by a minority (the leader's own acceptor) before
 * the leader died is recovered by the next leader's phase 1 and chosen. */
static void test_cluster_minority_value_recovered(void)
{
    cluster *cl = cl_new(3, 4);
    cl->cfg[1].election_min_ms = cl->cfg[1].election_max_ms = 100;
    cl->cfg[2].election_min_ms = cl->cfg[2].election_max_ms = 1000;
    cl_start_proposer(cl, 1);
    cl_start_proposer(cl, 2);
    cl_run(cl, 150);
    REQUIRE(cl_leader(cl) == 1);
    cl->cut[1][2] = cl->cut[1][3] = 1; /* node 1 can only reach itself */
    cl_submit(cl, 1, 3, 1);
    cl_run(cl, 10);
    px_ballot vb;
    const px_value *v;
    REQUIRE(acceptor_accepted(cl->acc[1], 0, &vb, &v));
    CHECK(!acceptor_accepted(cl->acc[2], 0, NULL, NULL));
    CHECK(cl_chosen_count(cl, 3, 1) == 0);
    /* Node 1's proposer dies; acceptor 3 is unreachable from node 2, so
     * node 2's quorum must include acceptor 1. */
    cl_stop_proposer(cl, 1);
    cl->cut[1][2] = cl->cut[1][3] = 0;
    cl->cut[2][3] = cl->cut[3][2] = 1;
    cl_run(cl, 3000);
    REQUIRE(cl_leader(cl) == 2);
    CHECK(cl_chosen_count(cl, 3, 1) == 1);
    CHECK(cl->chosen_cap > 0 && cl->has[0] && cl->chosen[0].n == 1 &&
          cl->chosen[0].cmds[0].client == 3);
    CHECK(proposer_chosen_upto(cl->prop[2]) == 1);
    CHECK(cl->conflicts == 0 && cl->bad_frames == 0);
    cl_free(cl);
}

/* Acceptors hold more entries than fit in one promise, from older
 * ballots, with gaps: all are recovered, higher vballots win, gaps get
 * no-ops. */
static void test_cluster_chunked_recovery(void)
{
    cluster *cl = cl_new(3, 5);
    px_msg *m = calloc(1, sizeof *m);
    m->type = PX_MSG_ACCEPT;
    m->from = 3;
    const uint64_t N = 3 * PX_MAX_PROMISE_ENTRIES + 1;
    for (uint64_t s = 0; s < N; s++) {
        m->u.accept.slot = s;
        m->u.accept.ballot = B(1, 3);
        m->u.accept.value = val(100 + (int64_t)s);
        acceptor_handle(cl->acc[1], m, &cl->aout);
        if (s % 2 == 0) {
            m->u.accept.ballot = B(2, 3);
            m->u.accept.value = val(200 + (int64_t)s);
            acceptor_handle(cl->acc[2], m, &cl->aout);
        }
    }
    m->u.accept.slot = 20;
    m->u.accept.value = val(220);
    acceptor_handle(cl->acc[2], m, &cl->aout);
    acc_out_clear(&cl->aout);
    free(m);
    for (uint32_t i = 1; i <= 2; i++)
        acceptor_durable(cl->acc[i], acceptor_emitted_seq(cl->acc[i]), &cl->aout);
    acc_out_clear(&cl->aout);

    cl->cut[1][3] = cl->cut[3][1] = 1; /* the quorum must be acceptors 1 and 2 */
    cl->cfg[1].pipeline = 3;             /* recovery longer than the pipeline */
    cl_start_proposer(cl, 1);
    cl_run(cl, 3000);
    REQUIRE(cl_leader(cl) == 1);
    CHECK(proposer_chosen_upto(cl->prop[1]) == 21 && proposer_next_slot(cl->prop[1]) == 21);
    REQUIRE(cl->chosen_cap >= 21);
    for (uint64_t s = 0; s <= 20; s++) {
        int64_t want = s >= N ? 0 : s % 2 == 0 ? 200 + (int64_t)s : 100 + (int64_t)s;
        if (s == 20) want = 220;
        CHECK(cl->has[s] && tag_of(&cl->chosen[s]) == want);
    }
    CHECK(cl->conflicts == 0 && cl->bad_frames == 0);
    cl_free(cl);
}

/* A leader cut off by a partition keeps believing it leads; the others
 * elect a higher ballot; after healing, its heartbeats are ignored and it
 * steps down on the first REJECT of its ACCEPT. */
static void test_cluster_stale_leader_returns(void)
{
    cluster *cl = cl_new(5, 6);
    cl->cfg[1].election_min_ms = cl->cfg[1].election_max_ms = 100;
    for (uint32_t i = 1; i <= 3; i++) cl_start_proposer(cl, i);
    cl_run(cl, 150);
    REQUIRE(cl_leader(cl) == 1);
    for (uint64_t s = 1; s <= 5; s++) cl_submit(cl, 2, 1, s);
    cl_run(cl, 50);
    cl_isolate(cl, 1, 1);
    cl_run(cl, 2000);
    uint32_t nl = 0;
    for (uint32_t i = 2; i <= 3; i++)
        if (proposer_state(cl->prop[i]) == PROPOSER_LEADER) nl = i;
    REQUIRE(nl != 0);
    CHECK(proposer_state(cl->prop[1]) == PROPOSER_LEADER); /* still believes it */
    for (uint64_t s = 6; s <= 10; s++) cl_submit(cl, nl, 1, s);
    cl_run(cl, 100);
    cl_isolate(cl, 1, 0);
    /* Its heartbeat reaches the others, who keep following nl. */
    proposer_tick(cl->prop[1], cl->now + 50, &cl->out);
    cl_flush(cl, &cl->out);
    cl_drain(cl);
    CHECK(proposer_state(cl->prop[nl]) == PROPOSER_LEADER);
    /* A command at node 1: its ACCEPT is rejected and node 1 steps down. */
    cl_submit(cl, 1, 1, 11);
    while (cl_step(cl) && proposer_state(cl->prop[1]) == PROPOSER_LEADER) {}
    CHECK(proposer_state(cl->prop[1]) == PROPOSER_FOLLOWER);
    cl_run(cl, 500);
    CHECK(cl_leader(cl) == nl && proposer_leader(cl->prop[1]) == nl);
    cl_submit(cl, 1, 1, 11); /* the gateway's retry */
    cl_run(cl, 200);
    for (uint64_t s = 1; s <= 11; s++) CHECK(cl_chosen_count(cl, 1, s) == 1);
    CHECK(cl->conflicts == 0 && cl->bad_frames == 0 && cl->bad_proofs == 0);
    cl_free(cl);
}

/* A learner that lost slots asks the leader: it re-reads from the
 * acceptors and re-announces exactly the values chosen before. */
static void test_cluster_catchup_reread(void)
{
    cluster *cl = cl_new(3, 7);
    for (uint32_t i = 1; i <= 3; i++) cl_start_proposer(cl, i);
    cl_run(cl, 2000);
    uint32_t l = cl_leader(cl);
    REQUIRE(l != 0);
    for (uint64_t s = 1; s <= 12; s++) cl_submit(cl, l, 4, s);
    cl_run(cl, 500);
    uint64_t upto = proposer_chosen_upto(cl->prop[l]);
    CHECK(upto >= 3);
    uint64_t before = cl->chosen_msgs;
    cl_inject(cl, PX_ROLE_PROPOSER, l, catchup(2, 0));
    cl_run(cl, 200);
    CHECK(cl->chosen_msgs == before + upto * cl->n); /* one CHOSEN per slot per learner */
    CHECK(proposer_state(cl->prop[l]) == PROPOSER_LEADER);
    CHECK(proposer_chosen_upto(cl->prop[l]) == upto);
    CHECK(cl->conflicts == 0 && cl->bad_frames == 0);
    cl_free(cl);
}

/* Seed 2935 in miniature: n3 leads at ballot (1,3) and sends
 * ACCEPT((1,3), 0, X) that only its own acceptor gets; then node 3 goes
 * down, its proposer restarts, and phase 1 with acceptors 1 and 2 (which
 * promised (1,3) and hold nothing) succeeds.  n3 then proposes Y in slot
 * 0: under a new ballot if it kept its round, under (1,3) again if not --
 * and an old ACCEPT((1,3), 0, X) still in flight would then count as a
 * vote for Y.  Returns the ballot conflicts seen. */
static int restart_scenario(int amnesia, uint32_t *unpersisted)
{
    cluster *cl = cl_new(3, 8);
    cl->amnesia = amnesia;
    cl->cfg[3].election_min_ms = cl->cfg[3].election_max_ms = 100;
    cl_start_proposer(cl, 3);
    cl_run(cl, 150);
    if (cl_leader(cl) != 3) {
        CHECK(cl_leader(cl) == 3);
        cl_free(cl);
        return -1;
    }
    CHECK(beq(proposer_ballot(cl->prop[3]), B(1, 3)));
    cl->cut[3][1] = cl->cut[3][2] = 1; /* X reaches acceptor 3 only */
    cl_submit(cl, 3, 1, 1);
    cl_run(cl, 10);
    CHECK(acceptor_accepted(cl->acc[3], 0, NULL, NULL));
    CHECK(!acceptor_accepted(cl->acc[1], 0, NULL, NULL));
    /* Node 3 crashes; its acceptor stays down, its proposer restarts. */
    cl_stop_proposer(cl, 3);
    struct acceptor *down = cl->acc[3];
    cl->acc[3] = NULL; /* frames to it are lost */
    cl->cut[3][1] = cl->cut[3][2] = 0;
    cl_start_proposer(cl, 3);
    cl_run(cl, 150);
    CHECK(cl_leader(cl) == 3);
    cl_submit(cl, 3, 2, 1); /* Y */
    cl_run(cl, 100);
    CHECK(cl_chosen_count(cl, 2, 1) == 1);
    if (!amnesia) CHECK(proposer_ballot(cl->prop[3]).round == 2);
    CHECK(cl->bad_frames == 0);
    cl->acc[3] = down;
    int k = cl->ballot_conflicts;
    *unpersisted = (uint32_t)cl->unpersisted;
    cl_free(cl);
    return k;
}

static void test_cluster_restart_keeps_round(void)
{
    uint32_t unpersisted = 1;
    CHECK(restart_scenario(0, &unpersisted) == 0);
    CHECK(unpersisted == 0);
    /* The same run with the round forgotten reuses (1,3): the check above
     * has teeth. */
    CHECK(restart_scenario(1, &unpersisted) > 0);
}

/* Like cl_run, but every frame takes lat ms: the frames queued at the start
 * of a step are delivered lat ms later, and timers fire in between (what
 * they send waits for the next step).  A long read then takes time. */
static void cl_run_slow(cluster *cl, uint64_t dur, uint64_t lat)
{
    uint64_t end = cl->now + dur;
    while (cl->now < end) {
        size_t wave = cl->qn - cl->head;
        uint64_t arrive = cl->now + lat;
        for (;;) {
            uint64_t d = UINT64_MAX;
            for (uint32_t i = 1; i <= cl->n; i++)
                if (cl->prop[i] && proposer_next_deadline(cl->prop[i]) < d)
                    d = proposer_next_deadline(cl->prop[i]);
            if (d >= arrive) break;
            if (d > cl->now) cl->now = d;
            for (uint32_t i = 1; i <= cl->n; i++) {
                if (!cl->prop[i] || proposer_next_deadline(cl->prop[i]) > cl->now) continue;
                proposer_tick(cl->prop[i], cl->now, &cl->out);
                cl_flush(cl, &cl->out);
            }
        }
        cl->now = arrive;
        for (size_t k = 0; k < wave; k++) cl_step(cl); /* by count: the queue may rewind */
    }
}

/* Acceptor acc accepted slots [0, n) at ballot b, durably (a log from
 * before a restart).  Slot s holds val(s + 1). */
static void cl_fill(cluster *cl, uint32_t acc, uint64_t n, px_ballot b)
{
    px_msg *m = calloc(1, sizeof *m);
    m->type = PX_MSG_ACCEPT;
    m->from = b.node;
    for (uint64_t s = 0; s < n; s++) {
        m->u.accept.slot = s;
        m->u.accept.ballot = b;
        m->u.accept.value = val((int64_t)s + 1);
        acceptor_handle(cl->acc[acc], m, &cl->aout);
        acc_out_clear(&cl->aout);
    }
    free(m);
    acceptor_durable(cl->acc[acc], acceptor_emitted_seq(cl->acc[acc]), &cl->aout);
    acc_out_clear(&cl->aout);
}

/* The whole cluster restarted over a log of n slots: every proposer is
 * empty (from = 0) and kept round 1; node 1 times out first. */
static cluster *restarted_cluster(uint64_t seed, uint64_t n)
{
    cluster *cl = cl_new(3, seed);
    for (uint32_t i = 1; i <= 3; i++) {
        cl_fill(cl, i, n, B(1, 3));
        cl->persisted[i] = 1;
        cl->cfg[i].pipeline = 16;
    }
    cl->cfg[1].election_min_ms = cl->cfg[1].election_max_ms = 100;
    for (uint32_t i = 1; i <= 3; i++) cl_start_proposer(cl, i);
    return cl;
}

/* Finding 4: after a whole-cluster restart phase 1 re-reads 2000 slots in
 * 4-entry chunks, 500 round trips of 10 ms, far beyond the followers'
 * 300..600 ms election timeout.  The candidate's heartbeats keep them
 * following it: no other election starts, the first ballot wins, and the
 * log is recovered intact. */
static void test_cluster_long_phase1_not_preempted(void)
{
    const uint64_t N = 2000;
    cluster *cl = restarted_cluster(20, N);
    int others_ran = 0;
    uint64_t t0 = 0;
    while (cl->now < 20000 && cl_leader(cl) != 1) {
        cl_run_slow(cl, 5, 5);
        if (t0 == 0 && proposer_state(cl->prop[1]) == PROPOSER_CANDIDATE) t0 = cl->now;
        for (uint32_t i = 2; i <= 3; i++)
            others_ran |= proposer_state(cl->prop[i]) != PROPOSER_FOLLOWER;
    }
    REQUIRE(cl_leader(cl) == 1);
    CHECK(cl->now - t0 > 3000); /* the read really outlasted the timeout */
    CHECK(!others_ran);
    CHECK(beq(proposer_ballot(cl->prop[1]), B(2, 1)));
    for (uint32_t i = 2; i <= 3; i++) CHECK(proposer_leader(cl->prop[i]) == 1);
    cl_run_slow(cl, 3000, 5);
    CHECK(proposer_chosen_upto(cl->prop[1]) == N);
    for (uint64_t s = 0; s < N && s < cl->chosen_cap; s++)
        CHECK(cl->has[s] && tag_of(&cl->chosen[s]) == (int64_t)s + 1);
    CHECK(cl->chosen_cap >= N && cl->has[N - 1]);
    CHECK(cl->conflicts == 0 && cl->bad_frames == 0 && cl->ballot_conflicts == 0);
    cl_free(cl);
}

/* The same read, but halfway through nodes 2 and 3 stop reaching node 1
 * (one way: node 1 still reaches them).  The candidate still hears its own
 * acceptor's chunks, a minority, which must not keep the others quiet: its
 * heartbeats stop and a follower runs for leader within the live window
 * (election_min + retransmit) plus an election timeout. */
static void test_cluster_stuck_candidate_goes_quiet(void)
{
    cluster *cl = restarted_cluster(21, 2000);
    while (cl->now < 1000) cl_run_slow(cl, 5, 5);
    REQUIRE(proposer_state(cl->prop[1]) == PROPOSER_CANDIDATE);
    CHECK(proposer_state(cl->prop[2]) == PROPOSER_FOLLOWER);
    CHECK(proposer_state(cl->prop[3]) == PROPOSER_FOLLOWER);
    cl->cut[2][1] = cl->cut[3][1] = 1;
    uint64_t cut_at = cl->now, took_over = 0;
    while (cl->now < cut_at + 3000 && !took_over) {
        cl_run_slow(cl, 5, 5);
        for (uint32_t i = 2; i <= 3; i++)
            if (proposer_state(cl->prop[i]) != PROPOSER_FOLLOWER) took_over = cl->now;
    }
    CHECK(took_over != 0);
    CHECK(took_over - cut_at <= 300 + 100 + 600 + 20);
    CHECK(proposer_state(cl->prop[1]) == PROPOSER_CANDIDATE); /* still reading */
    CHECK(cl->conflicts == 0 && cl->bad_frames == 0 && cl->ballot_conflicts == 0);
    cl_free(cl);
}

/* Every frame delivered twice, in random order: still one value per slot
 * and every command chosen. */
static void test_cluster_dup_and_reorder(void)
{
    for (uint64_t seed = 10; seed < 16; seed++) {
        cluster *cl = cl_new(5, seed);
        cl->dup = cl->reorder = 1;
        for (uint32_t i = 1; i <= 5; i++) {
            cl->cfg[i].seed = seed * 31 + i;
            cl->cfg[i].pipeline = 3;
            cl->cfg[i].batch_max = 2;
            cl->cfg[i].queue_max = 128; /* room for the burst: no BUSY */
            cl_start_proposer(cl, i);
        }
        cl_run(cl, 2000);
        uint32_t l = cl_leader(cl);
        CHECK(l != 0);
        if (l == 0) {
            cl_free(cl);
            return;
        }
        for (uint64_t s = 1; s <= 30; s++) cl_submit(cl, (uint32_t)(s % 5) + 1, 8, s);
        cl_run(cl, 2000);
        for (uint64_t s = 1; s <= 30; s++) CHECK(cl_chosen_count(cl, 8, s) >= 1);
        CHECK(cl_leader(cl) == l);
        CHECK(proposer_chosen_upto(cl->prop[l]) == proposer_next_slot(cl->prop[l]));
        CHECK(cl->conflicts == 0 && cl->bad_frames == 0 && cl->bad_proofs == 0);
        CHECK(cl->nacks == 0);
        CHECK(cl->ballot_conflicts == 0 && cl->unpersisted == 0);
        cl_free(cl);
    }
}

/* ---- compaction ------------------------------------------------------------ */

/* T is the quorum-th highest snapshot mark over the cluster's learners
 * (unreported ones count 0); a lower report never lowers it. */
static void test_trim_mark_quorum(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    CHECK(proposer_trim_mark(p) == 0);
    proposer_handle(p, snapped(1, 120, 100), 1, &out);
    CHECK(proposer_trim_mark(p) == 0); /* one learner of three */
    proposer_handle(p, snapped(2, 60, 50), 1, &out);
    CHECK(proposer_trim_mark(p) == 50); /* {100, 50, 0}: the 2nd highest */
    proposer_handle(p, snapped(3, 90, 80), 1, &out);
    CHECK(proposer_trim_mark(p) == 80); /* {100, 80, 50} */
    proposer_handle(p, snapped(1, 10, 30), 1, &out); /* old or reordered */
    CHECK(proposer_trim_mark(p) == 80);
    proposer_handle(p, snapped(7, 500, 500), 1, &out); /* not a member */
    CHECK(proposer_trim_mark(p) == 80);
    proposer_handle(p, snapped(2, 300, 200), 1, &out);
    CHECK(proposer_trim_mark(p) == 100); /* {100, 200, 80} */
    /* A follower sends no TRIM. */
    CHECK(count_type(&out, PX_MSG_TRIM) == 0);
    proposer_free(p);

    c = mkcfg(1, 5);
    p = proposer_new(&c, 0);
    proposer_handle(p, snapped(1, 0, 10), 1, &out);
    proposer_handle(p, snapped(2, 0, 20), 1, &out);
    CHECK(proposer_trim_mark(p) == 0); /* {20, 10, 0, 0, 0}: the 3rd */
    proposer_handle(p, snapped(3, 0, 30), 1, &out);
    CHECK(proposer_trim_mark(p) == 10);
    proposer_handle(p, snapped(4, 0, 40), 1, &out);
    CHECK(proposer_trim_mark(p) == 20); /* {40, 30, 20, 10, 0} */
    proposer_handle(p, snapped(5, 0, 100), 1, &out);
    CHECK(proposer_trim_mark(p) == 30); /* {100, 40, 30, 20, 10} */
    /* The applied marks are kept apart: phase 1's from is still 0 here. */
    proposer_tick(p, proposer_next_deadline(p), &out);
    REQUIRE(count_type(&out, PX_MSG_PREPARE) == 1);
    CHECK(nth(&out, PX_MSG_PREPARE, 0)->msg.u.prepare.from_slot == 0);
    px_outbox_free(&out);
    proposer_free(p);
}

static int trims_are(const px_outbox *o, size_t n, uint64_t below)
{
    if (count_type(o, PX_MSG_TRIM) != n) return 0;
    for (size_t k = 0; k < n; k++) {
        const px_envelope *e = nth(o, PX_MSG_TRIM, k);
        if (e->role != PX_ROLE_ACCEPTOR || e->node != PX_NODE_ALL || e->msg.from != 1 ||
            e->msg.u.trim.below != below)
            return 0;
    }
    return 1;
}

/* The leader sends TRIM(T) to every acceptor when T rises, and with every
 * heartbeat while T > 0; never while T = 0, never as a follower. */
static void test_trim_sent(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now;
    elect(p, 3, 0, &now, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    CHECK(count_type(&out, PX_MSG_TRIM) == 0);
    px_outbox_clear(&out);
    proposer_tick(p, now + 50, &out);
    CHECK(count_type(&out, PX_MSG_HEARTBEAT) == 2 && count_type(&out, PX_MSG_TRIM) == 0);

    px_outbox_clear(&out);
    proposer_handle(p, snapped(2, 40, 32), now + 60, &out);
    CHECK(count_type(&out, PX_MSG_TRIM) == 0); /* T still 0 */
    proposer_handle(p, snapped(3, 40, 16), now + 61, &out);
    CHECK(proposer_trim_mark(p) == 16 && trims_are(&out, 1, 16));
    px_outbox_clear(&out);
    proposer_handle(p, snapped(3, 40, 16), now + 62, &out); /* no rise */
    CHECK(count_type(&out, PX_MSG_TRIM) == 0);
    proposer_handle(p, snapped(1, 40, 24), now + 63, &out);
    CHECK(proposer_trim_mark(p) == 24 && trims_are(&out, 1, 24));

    /* Every heartbeat repeats it. */
    for (int k = 2; k <= 4; k++) {
        px_outbox_clear(&out);
        proposer_tick(p, now + 50 * (uint64_t)k, &out);
        CHECK(count_type(&out, PX_MSG_HEARTBEAT) == 2 && trims_are(&out, 1, 24));
    }

    /* A follower learns T but stays quiet; when it wins, its first
     * heartbeat carries the TRIM. */
    proposer_config c2 = mkcfg(2, 3);
    struct proposer *f = proposer_new(&c2, 0);
    px_outbox_clear(&out);
    proposer_handle(f, snapped(1, 40, 20), 1, &out);
    proposer_handle(f, snapped(3, 40, 20), 1, &out);
    CHECK(proposer_trim_mark(f) == 20 && count_type(&out, PX_MSG_TRIM) == 0);
    uint64_t t2;
    elect(f, 3, 0, &t2, &out);
    REQUIRE(proposer_state(f) == PROPOSER_LEADER);
    const px_envelope *e = nth(&out, PX_MSG_TRIM, 0);
    REQUIRE(e != NULL);
    CHECK(e->msg.from == 2 && e->msg.u.trim.below == 20 && count_type(&out, PX_MSG_TRIM) == 1);
    px_outbox_free(&out);
    proposer_free(p);
    proposer_free(f);
}

/* Phase 1 with an acceptor that trimmed below 10: entries below the highest
 * reported mark M are ignored (another acceptor that has not trimmed yet
 * still reports them), no no-op goes below M, recovery covers
 * [max(from, M), max reported], and chosen_upto and next_slot move up. */
static void test_phase1_trimmed(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now = proposer_next_deadline(p);
    proposer_tick(p, now, &out);
    px_ballot b = proposer_ballot(p);
    px_outbox_clear(&out);
    px_msg *m = promise(b, 1, 0, 13, 1);
    m->u.promise.trimmed = 10;
    promise_add(m, 10, B(1, 2), 100);
    promise_add(m, 12, B(1, 2), 120);
    proposer_handle(p, m, now, &out);
    m = promise(b, 2, 0, 12, 1);
    promise_add(m, 3, B(1, 2), 33);
    promise_add(m, 7, B(1, 2), 77);
    promise_add(m, 11, B(1, 2), 111);
    proposer_handle(p, m, now, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 3);
    for (uint64_t s = 0; s < 10; s++) CHECK(accept_for(&out, s) == NULL);
    const px_accept *a10 = accept_for(&out, 10), *a11 = accept_for(&out, 11),
                    *a12 = accept_for(&out, 12);
    REQUIRE(a10 && a11 && a12);
    CHECK(tag_of(&a10->value) == 100 && tag_of(&a11->value) == 111 && tag_of(&a12->value) == 120);
    CHECK(proposer_chosen_upto(p) == 10 && proposer_next_slot(p) == 13);
    /* The heartbeat tells learners that everything below 10 is chosen. */
    const px_envelope *hb = nth(&out, PX_MSG_HEARTBEAT, 0);
    REQUIRE(hb != NULL);
    CHECK(hb->msg.u.heartbeat.chosen_upto == 10);
    px_outbox_free(&out);
    proposer_free(p);
}

/* Every reported entry lies below the mark: nothing to re-propose, and the
 * first client command goes at the mark, not at 0 or after slot 7. */
static void test_phase1_all_below_trimmed(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now = proposer_next_deadline(p);
    proposer_tick(p, now, &out);
    px_ballot b = proposer_ballot(p);
    px_outbox_clear(&out);
    px_msg *m = promise(b, 2, 0, 8, 1);
    promise_add(m, 3, B(1, 2), 33);
    promise_add(m, 7, B(1, 2), 77);
    proposer_handle(p, m, now, &out);
    m = promise(b, 3, 0, 20, 1);
    m->u.promise.trimmed = 20;
    proposer_handle(p, m, now, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    CHECK(count_type(&out, PX_MSG_ACCEPT) == 0);
    CHECK(proposer_chosen_upto(p) == 20 && proposer_next_slot(p) == 20);
    proposer_handle(p, request(1, 1, 0), now, &out);
    REQUIRE(count_type(&out, PX_MSG_ACCEPT) == 1);
    CHECK(nth(&out, PX_MSG_ACCEPT, 0)->msg.u.accept.slot == 20);
    px_outbox_free(&out);
    proposer_free(p);
}

/* A REJECT of an ACCEPT below the acceptor's mark closes our open slots
 * below it without a CHOSEN, raises chosen_upto, and no re-proposal or new
 * slot goes below it again; the leader keeps leading. */
static void test_reject_trimmed_frees_slots(void)
{
    proposer_config c = mkcfg(1, 3);
    c.pipeline = 3;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now = proposer_next_deadline(p);
    proposer_tick(p, now, &out);
    px_ballot b = proposer_ballot(p);
    /* Recovery of slots 0..7: the first 3 open at once. */
    for (uint32_t a = 1; a <= 2; a++) {
        px_msg *m = promise(b, a, 0, 8, 1);
        for (uint64_t s = 0; s < 8; s += 2) promise_add(m, s, B(1, 3), 10 + (int64_t)s);
        m->u.promise.n = 4;
        proposer_handle(p, m, now, &out);
    }
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    CHECK(proposer_in_flight(p) == 3 && proposer_next_slot(p) == 7);
    px_outbox_clear(&out);
    /* Slot 2 chosen above open slots 0 and 1: parked. */
    proposer_handle(p, accepted(b, 1, 2), now, &out);
    proposer_handle(p, accepted(b, 2, 2), now, &out);
    REQUIRE(proposer_slots_chosen(p) == 1);
    CHECK(proposer_chosen_upto(p) == 0 && proposer_in_flight(p) == 2);
    px_outbox_clear(&out);

    /* An acceptor trimmed below 5 refuses slot 0. */
    px_msg *r = reject(b, 2, PX_MSG_ACCEPT, 0);
    r->u.reject.trimmed = 5;
    proposer_handle(p, r, now, &out);
    CHECK(proposer_state(p) == PROPOSER_LEADER);
    CHECK(count_type(&out, PX_MSG_CHOSEN) == 0);
    CHECK(proposer_chosen_upto(p) == 5 && proposer_next_slot(p) == 7);
    /* The freed room goes to the rest of the recovery, from 5 on: 5, 6
     * (7 is past the reported range), and no slot below 5. */
    for (uint64_t s = 0; s < 5; s++) CHECK(accept_for(&out, s) == NULL);
    REQUIRE(accept_for(&out, 5) && accept_for(&out, 6));
    CHECK(tag_of(&accept_for(&out, 6)->value) == 16);
    CHECK(accept_for(&out, 5)->value.n == 0); /* unreported in range: a no-op */
    CHECK(proposer_in_flight(p) == 2);
    /* Late acks for slots released below the mark change nothing. */
    px_outbox_clear(&out);
    proposer_handle(p, accepted(b, 1, 1), now, &out);
    proposer_handle(p, accepted(b, 3, 1), now, &out);
    CHECK(count_type(&out, PX_MSG_CHOSEN) == 0 && proposer_chosen_upto(p) == 5);
    /* A mark above next_slot moves the fresh slots past it. */
    r = reject(b, 3, PX_MSG_ACCEPT, 6);
    r->u.reject.trimmed = 12;
    proposer_handle(p, r, now, &out);
    CHECK(proposer_chosen_upto(p) == 12 && proposer_next_slot(p) == 12);
    CHECK(proposer_in_flight(p) == 0);
    px_outbox_clear(&out);
    proposer_handle(p, request(1, 1, 0), now, &out);
    REQUIRE(count_type(&out, PX_MSG_ACCEPT) == 1);
    CHECK(nth(&out, PX_MSG_ACCEPT, 0)->msg.u.accept.slot == 12);
    /* A reject of a slot at or above the mark (an old ballot's) does not. */
    px_outbox_clear(&out);
    r = reject(b, 3, PX_MSG_ACCEPT, 12);
    r->u.reject.trimmed = 12;
    proposer_handle(p, r, now, &out);
    CHECK(proposer_in_flight(p) == 1 && proposer_state(p) == PROPOSER_LEADER);
    /* A higher promise still means stepping down. */
    r = reject(B(9, 3), 3, PX_MSG_ACCEPT, 0);
    r->u.reject.trimmed = 20;
    proposer_handle(p, r, now, &out);
    CHECK(proposer_state(p) == PROPOSER_FOLLOWER);
    px_outbox_free(&out);
    proposer_free(p);
}


/* ---- refusals -------------------------------------------------------------- */

/* The verdict on m, and that a refusal produced nothing. */
static int verdict(struct proposer *p, px_msg *m, uint64_t now, px_outbox *out)
{
    px_outbox_clear(out);
    int why = proposer_handle(p, m, now, out);
    return why != 0 && out->n != 0 ? -1 : why;
}

/* A leader at (1,1) of 3 with one open slot (0), ACCEPT sent. */
static struct proposer *leader_with_slot(uint64_t *now, px_outbox *out)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    elect(p, 3, 0, now, out);
    proposer_handle(p, request(1, 1, 0), *now, out);
    return p;
}

/* One peer must not speak for another: the acceptor a reply names must be
 * its sender, or one peer could vote as several acceptors and make a
 * quorum of one.  Ids that are not members are refused too. */
static void test_reply_ids_refused(void)
{
    uint64_t now;
    px_outbox out;
    px_outbox_init(&out);
    struct proposer *p = leader_with_slot(&now, &out);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER && proposer_in_flight(p) == 1);
    px_ballot b = proposer_ballot(p);
    CHECK(verdict(p, accepted(b, 2, 0), now, &out) == 0);
    px_msg *m = accepted(b, 3, 0);
    m->from = 2; /* acceptor 2 signs as 3 */
    CHECK(verdict(p, m, now, &out) == PX_REFUSE_SENDER_MISMATCH);
    CHECK(verdict(p, accepted(b, 5, 0), now, &out) == PX_REFUSE_NOT_MEMBER);
    CHECK(proposer_in_flight(p) == 1 && proposer_slots_chosen(p) == 0);
    /* Zero and over-the-ceiling ballots are no vote either. */
    CHECK(verdict(p, accepted(B(0, 0), 3, 0), now, &out) == PX_REFUSE_BALLOT_ZERO);
    CHECK(verdict(p, accepted(B(PX_MAX_ROUND + 1, 1), 3, 0), now, &out) == PX_WIRE_BALLOT_BAD);
    CHECK(proposer_slots_chosen(p) == 0);
    CHECK(verdict(p, accepted(b, 3, 0), now, &out) == 0);
    CHECK(proposer_slots_chosen(p) == 1 && proposer_in_flight(p) == 0);

    /* A REJECT in another's name must not depose the leader. */
    m = reject(B(9, 3), 3, PX_MSG_ACCEPT, 1);
    m->from = 2;
    CHECK(verdict(p, m, now, &out) == PX_REFUSE_SENDER_MISMATCH);
    CHECK(verdict(p, reject(B(9, 3), 6, PX_MSG_ACCEPT, 1), now, &out) == PX_REFUSE_NOT_MEMBER);
    CHECK(verdict(p, reject(B(PX_MAX_ROUND + 1, 3), 3, PX_MSG_ACCEPT, 1), now, &out) ==
          PX_WIRE_BALLOT_BAD);
    CHECK(proposer_state(p) == PROPOSER_LEADER);

    /* Learners speak for themselves: a LEARNED in another's name would move
     * the trim mark, a CATCHUP start a re-read. */
    m = snapped(3, 40, 40);
    m->from = 2;
    CHECK(verdict(p, m, now, &out) == PX_REFUSE_SENDER_MISMATCH);
    CHECK(verdict(p, snapped(7, 40, 40), now, &out) == PX_REFUSE_NOT_MEMBER);
    CHECK(verdict(p, snapped(2, 40, 40), now, &out) == 0 && proposer_trim_mark(p) == 0);
    m = catchup(3, 0);
    m->from = 2;
    CHECK(verdict(p, m, now + 1000, &out) == PX_REFUSE_SENDER_MISMATCH);
    CHECK(verdict(p, catchup(9, 0), now + 1000, &out) == PX_REFUSE_NOT_MEMBER);
    CHECK(verdict(p, request(2, 4, 0), now, &out) == PX_REFUSE_NOT_MEMBER);
    CHECK(proposer_queued(p) == 0);

    static const int others[] = {PX_MSG_PREPARE, PX_MSG_ACCEPT, PX_MSG_CHOSEN, PX_MSG_NACK,
                                 PX_MSG_APPLIED, PX_MSG_LIST_REQ, PX_MSG_LIST_CHUNK,
                                 PX_MSG_TRIM, PX_MSG_SNAP_REQ, PX_MSG_SNAP_CHUNK};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        CHECK(verdict(p, mk(others[i], 2), now, &out) == PX_REFUSE_UNEXPECTED_TYPE);
    px_outbox_free(&out);
    proposer_free(p);
}

/* A heartbeat is its leader's, under the leader's own ballot. */
static void test_heartbeat_ids_refused(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *f = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    px_msg *m = heartbeat(B(4, 2), 2, 30);
    m->from = 3;
    CHECK(verdict(f, m, 10, &out) == PX_REFUSE_SENDER_MISMATCH);
    m = heartbeat(B(4, 3), 2, 30); /* 2 under 3's ballot */
    CHECK(verdict(f, m, 10, &out) == PX_REFUSE_SENDER_MISMATCH);
    CHECK(verdict(f, heartbeat(B(4, 8), 8, 30), 10, &out) == PX_REFUSE_NOT_MEMBER);
    CHECK(verdict(f, heartbeat(B(0, 0), 2, 30), 10, &out) == PX_REFUSE_BALLOT_ZERO);
    CHECK(verdict(f, heartbeat(B(UINT64_MAX, 2), 2, 30), 10, &out) == PX_WIRE_BALLOT_BAD);
    CHECK(proposer_leader(f) == 0 && proposer_chosen_upto(f) == 0);
    CHECK(verdict(f, heartbeat(B(4, 2), 2, 30), 10, &out) == 0);
    CHECK(proposer_leader(f) == 2 && proposer_chosen_upto(f) == 30);
    px_outbox_free(&out);
    proposer_free(f);
}

/* A promise chunk no acceptor could send is refused whole: nothing of it
 * enters the recovery map (a merged entry would be re-proposed), and it
 * does not count toward the quorum. */
static void test_promise_refusals(void)
{
    proposer_config c = mkcfg(1, 3);
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    uint64_t now = proposer_next_deadline(p);
    proposer_tick(p, now, &out);
    px_ballot b = proposer_ballot(p);

    /* Each bad chunk from acceptor 2 also reports slot 7 = 77: were any
     * taken, phase 1 would re-propose slot 7. */
    px_msg *m;
    m = promise(b, 2, 0, 0, 1);
    promise_add(m, 7, B(1, 3), 77);
    promise_add(m, UINT64_MAX, B(1, 3), 5);
    CHECK(verdict(p, m, now, &out) == PX_REFUSE_SLOT_BAD);
    m = promise(b, 2, 5, 9, 1);
    promise_add(m, 3, B(1, 3), 3); /* below the chunk's from_slot */
    promise_add(m, 7, B(1, 3), 77);
    CHECK(verdict(p, m, now, &out) == PX_REFUSE_SLOT_BAD);
    m = promise(b, 2, 0, 0, 0); /* not done, and does not advance */
    CHECK(verdict(p, m, now, &out) == PX_REFUSE_SLOT_BAD);
    m = promise(b, 2, 0, 0, 1);
    promise_add(m, 7, B(0, 0), 77);
    CHECK(verdict(p, m, now, &out) == PX_REFUSE_BALLOT_ZERO);
    m = promise(b, 2, 0, 0, 1);
    promise_add(m, 7, B(PX_MAX_ROUND + 1, 3), 77);
    CHECK(verdict(p, m, now, &out) == PX_WIRE_BALLOT_BAD);
    m = promise(b, 2, 0, 0, 1);
    promise_add(m, 7, B(1, 3), 77);
    m->u.promise.entries[0].value.n = PX_MAX_BATCH + 1;
    CHECK(verdict(p, m, now, &out) == PX_WIRE_FIELD_BAD);
    m = promise(b, 2, 0, 0, 1);
    m->u.promise.n = PX_MAX_PROMISE_ENTRIES + 1;
    CHECK(verdict(p, m, now, &out) == PX_WIRE_FIELD_BAD);
    m = promise(B(0, 0), 2, 0, 0, 1);
    CHECK(verdict(p, m, now, &out) == PX_REFUSE_BALLOT_ZERO);
    m = promise(B(PX_MAX_ROUND + 1, 1), 2, 0, 0, 1);
    CHECK(verdict(p, m, now, &out) == PX_WIRE_BALLOT_BAD);
    m = promise(b, 3, 0, 0, 1);
    m->from = 2; /* 2 promising in 3's name */
    CHECK(verdict(p, m, now, &out) == PX_REFUSE_SENDER_MISMATCH);
    CHECK(verdict(p, promise(b, 4, 0, 0, 1), now, &out) == PX_REFUSE_NOT_MEMBER);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    CHECK(verdict(p, promise(b, 2, 0, 0, 1), now, &out) == 0);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE); /* one real promise is no quorum */
    CHECK(verdict(p, promise(b, 3, 0, 0, 1), now, &out) == 0);
    REQUIRE(proposer_state(p) == PROPOSER_LEADER);
    CHECK(proposer_next_slot(p) == 0 && count_type(&out, PX_MSG_ACCEPT) == 0);
    px_outbox_free(&out);
    proposer_free(p);
}

/* Rounds never pass PX_MAX_ROUND: a proposer that has seen a ballot at the
 * ceiling runs no election (round + 1 would pass it, and a few more would
 * wrap), stays a follower, says so, and still follows a leader at the
 * ceiling.  Rounds above it are refused where they come in. */
static void test_round_ceiling(void)
{
    proposer_config c = mkcfg(1, 3);
    c.initial_round = PX_MAX_ROUND - 1;
    struct proposer *p = proposer_new(&c, 0);
    px_outbox out;
    px_outbox_init(&out);
    CHECK(!proposer_round_exhausted(p));
    uint64_t t = proposer_next_deadline(p);
    proposer_tick(p, t, &out);
    REQUIRE(count_type(&out, PX_MSG_PREPARE) == 1);
    CHECK(beq(proposer_ballot(p), B(PX_MAX_ROUND, 1))); /* the ceiling is a real round */
    CHECK(proposer_round_exhausted(p));
    /* Phase 1 fails (a peer at (MAX, 3)): no next round exists. */
    CHECK(verdict(p, reject(B(PX_MAX_ROUND + 1, 3), 2, PX_MSG_PREPARE, 0), t, &out) ==
          PX_WIRE_BALLOT_BAD);
    CHECK(proposer_state(p) == PROPOSER_CANDIDATE);
    CHECK(verdict(p, reject(B(PX_MAX_ROUND, 3), 2, PX_MSG_PREPARE, 0), t, &out) == 0);
    CHECK(proposer_state(p) == PROPOSER_FOLLOWER && proposer_round_exhausted(p));
    for (int i = 0; i < 10; i++) {
        px_outbox_clear(&out);
        t = proposer_next_deadline(p);
        proposer_tick(p, t, &out);
        CHECK(count_type(&out, PX_MSG_PREPARE) == 0 && count_type(&out, PX_MSG_HEARTBEAT) == 0);
        CHECK(proposer_state(p) == PROPOSER_FOLLOWER);
    }
    CHECK(t > 10 * 300); /* it waited a timeout each time: no spin */
    CHECK(proposer_round_to_persist(p) == PX_MAX_ROUND && proposer_ballot(p).round == PX_MAX_ROUND);
    /* Leaderless, it says so to clients. */
    px_outbox_clear(&out);
    proposer_handle(p, request(1, 1, 0), t, &out);
    REQUIRE(count_type(&out, PX_MSG_NACK) == 1);
    CHECK(nth(&out, PX_MSG_NACK, 0)->msg.u.nack.reason == PX_NACK_NO_LEADER);
    /* A leader at the ceiling is followed. */
    CHECK(verdict(p, heartbeat(B(PX_MAX_ROUND, 3), 3, 5), t, &out) == 0);
    CHECK(proposer_leader(p) == 3);
    proposer_free(p);

    /* Restarted with the ceiling persisted: no election at all. */
    c.initial_round = PX_MAX_ROUND;
    p = proposer_new(&c, 0);
    CHECK(proposer_round_exhausted(p));
    px_outbox_clear(&out);
    proposer_tick(p, proposer_next_deadline(p), &out);
    CHECK(count_type(&out, PX_MSG_PREPARE) == 0 && proposer_state(p) == PROPOSER_FOLLOWER);
    proposer_free(p);

    /* A heartbeat over the ceiling is refused and exhausts nothing. */
    c.initial_round = 0;
    p = proposer_new(&c, 0);
    CHECK(verdict(p, heartbeat(B(PX_MAX_ROUND + 1, 2), 2, 0), 5, &out) == PX_WIRE_BALLOT_BAD);
    CHECK(!proposer_round_exhausted(p));
    proposer_tick(p, proposer_next_deadline(p), &out);
    CHECK(beq(proposer_ballot(p), B(1, 1)));
    px_outbox_free(&out);
    proposer_free(p);
}

int main(void)
{
    RUN(test_election_after_timeout);
    RUN(test_candidate_retries_higher);
    RUN(test_heartbeats);
    RUN(test_learned_sets_from);
    RUN(test_phase1_progress_rearms_timer);
    RUN(test_candidate_heartbeats);
    RUN(test_noop_gap_filling);
    RUN(test_highest_vballot_wins);
    RUN(test_chunked_promises);
    RUN(test_stale_promise_ignored);
    RUN(test_accepted_dup_and_reorder);
    RUN(test_pipeline_limit);
    RUN(test_batching);
    RUN(test_batching_while_open);
    RUN(test_lone_command_immediate);
    RUN(test_batch_wait_deadline);
    RUN(test_batching_defaults);
    RUN(test_busy_nack);
    RUN(test_forwarding_and_nacks);
    RUN(test_candidate_queue_forwarded);
    RUN(test_stale_leader_steps_down);
    RUN(test_initial_round);
    RUN(test_retransmits);
    RUN(test_catchup_reread);
    RUN(test_trim_mark_quorum);
    RUN(test_trim_sent);
    RUN(test_phase1_trimmed);
    RUN(test_phase1_all_below_trimmed);
    RUN(test_reject_trimmed_frees_slots);
    RUN(test_cluster_elects_and_chooses);
    RUN(test_cluster_dueling);
    RUN(test_cluster_leader_rejected_on_accept);
    RUN(test_cluster_minority_value_recovered);
    RUN(test_cluster_chunked_recovery);
    RUN(test_cluster_stale_leader_returns);
    RUN(test_cluster_catchup_reread);
    RUN(test_cluster_restart_keeps_round);
    RUN(test_cluster_long_phase1_not_preempted);
    RUN(test_cluster_stuck_candidate_goes_quiet);
    RUN(test_cluster_dup_and_reorder);
    RUN(test_reply_ids_refused);
    RUN(test_heartbeat_ids_refused);
    RUN(test_promise_refusals);
    RUN(test_round_ceiling);
    return check_summary();
}
