/* test_acceptor.c -- the pure acceptor core: phase 1 and 2 rules, chunked
 * promises, replies held until durable, group commit, restore, compaction
 * (TRIM, the mark in PROMISE and REJECT, export), compact entry storage.
 *
 * Mutants' tripwires: test_reply_waits_for_durable fails under
 * PX_MUTANT_ACCEPTOR_EARLY_REPLY, test_accept_ballots under
 * PX_MUTANT_ACCEPTOR_LOW_BALLOT, test_prepare_after_trim and
 * test_accept_below_mark under PX_MUTANT_ACCEPTOR_FORGET_SILENTLY. */
#include "acceptor/acceptor.h"
#include "common/refuse.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

#define ME 1 /* the acceptor's id in every test */

static px_ballot B(uint64_t round, uint32_t node)
{
    px_ballot b = {round, node};
    return b;
}

static int beq(px_ballot a, px_ballot b) { return px_ballot_cmp(a, b) == 0; }

/* A value of k commands whose fields all derive from tag. */
static px_value val(int tag, int k)
{
    px_value v;
    memset(&v, 0, sizeof(v));
    v.n = (uint16_t)k;
    for (int i = 0; i < k; i++) {
        v.cmds[i].kind = PX_CMD_APPEND;
        v.cmds[i].client = (uint64_t)tag;
        v.cmds[i].seq = (uint64_t)i + 1;
        v.cmds[i].value = tag * 1000 + i;
    }
    return v;
}

static int veq(const px_value *a, const px_value *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (a->cmds[i].kind != b->cmds[i].kind || a->cmds[i].client != b->cmds[i].client ||
            a->cmds[i].seq != b->cmds[i].seq || a->cmds[i].value != b->cmds[i].value)
            return 0;
    return 1;
}

/* px_msg is ~8 KB: one scratch message is enough for the sends below. */
static px_msg in;

static void prepare(struct acceptor *a, acc_out *o, uint32_t from, px_ballot b, uint64_t slot)
{
    memset(&in, 0, sizeof(in));
    in.type = PX_MSG_PREPARE;
    in.from = from;
    in.u.prepare.ballot = b;
    in.u.prepare.from_slot = slot;
    acceptor_handle(a, &in, o);
}

static void accept(struct acceptor *a, acc_out *o, uint32_t from, px_ballot b, uint64_t slot,
                   px_value v)
{
    memset(&in, 0, sizeof(in));
    in.type = PX_MSG_ACCEPT;
    in.from = from;
    in.u.accept.ballot = b;
    in.u.accept.slot = slot;
    in.u.accept.value = v;
    acceptor_handle(a, &in, o);
}

/* The host's side of a write + fsync of everything emitted so far. */
static void flush(struct acceptor *a, acc_out *o)
{
    acceptor_durable(a, acceptor_emitted_seq(a), o);
}

static const px_msg *msg(const acc_out *o, size_t i) { return &o->msgs.v[i].msg; }

/* Checks the envelope's addressing every reply shares. */
static int addressed(const acc_out *o, size_t i, uint32_t to, uint8_t type)
{
    const px_envelope *e = &o->msgs.v[i];
    return e->role == PX_ROLE_PROPOSER && e->node == to && e->msg.type == type &&
           e->msg.from == ME;
}

static void test_prepare_promise(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    prepare(a, &o, 2, B(1, 2), 0);
    CHECK(beq(acceptor_promised(a), B(1, 2)));
    REQUIRE(o.persist.n == 1);
    CHECK(o.persist.v[0].type == ACC_REC_PROMISE);
    CHECK(beq(o.persist.v[0].ballot, B(1, 2)));
    CHECK(o.persist.last_seq == 1);
    CHECK(o.msgs.n == 0);
    CHECK(acceptor_held_replies(a) == 1);

    acceptor_durable(a, 1, &o);
    REQUIRE(o.msgs.n == 1);
    CHECK(addressed(&o, 0, 2, PX_MSG_PROMISE));
    const px_promise *p = &msg(&o, 0)->u.promise;
    CHECK(beq(p->ballot, B(1, 2)));
    CHECK(p->acceptor == ME && p->from_slot == 0 && p->next_slot == 0);
    CHECK(p->n == 0 && p->done == 1);
    CHECK(acceptor_held_replies(a) == 0);
    CHECK(acceptor_durable_seq(a) == 1 && acceptor_emitted_seq(a) == 1);
    acc_out_free(&o);
    acceptor_free(a);
}

static void test_prepare_reject(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    prepare(a, &o, 3, B(2, 3), 0);
    flush(a, &o);
    acc_out_clear(&o);

    /* Lower round, and same round with a lower node: both refused, with no
     * record, at once (nothing is pending). */
    prepare(a, &o, 5, B(1, 5), 7);
    prepare(a, &o, 1, B(2, 1), 9);
    CHECK(o.persist.n == 0);
    REQUIRE(o.msgs.n == 2);
    CHECK(addressed(&o, 0, 5, PX_MSG_REJECT));
    CHECK(addressed(&o, 1, 1, PX_MSG_REJECT));
    const px_reject *r = &msg(&o, 0)->u.reject;
    CHECK(beq(r->promised, B(2, 3)));
    CHECK(r->of_type == PX_MSG_PREPARE && r->slot == 7 && r->acceptor == ME);
    CHECK(msg(&o, 1)->u.reject.slot == 9);
    CHECK(beq(acceptor_promised(a), B(2, 3)));
    acc_out_free(&o);
    acceptor_free(a);
}

/* A repeated PREPARE at the promised ballot is a chunk request: no record. */
static void test_prepare_equal(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    prepare(a, &o, 2, B(4, 2), 0);
    flush(a, &o);
    acc_out_clear(&o);
    prepare(a, &o, 2, B(4, 2), 3);
    CHECK(o.persist.n == 0);
    REQUIRE(o.msgs.n == 1);
    CHECK(addressed(&o, 0, 2, PX_MSG_PROMISE));
    CHECK(msg(&o, 0)->u.promise.from_slot == 3 && msg(&o, 0)->u.promise.next_slot == 3);
    CHECK(acceptor_emitted_seq(a) == 1);
    acc_out_free(&o);
    acceptor_free(a);
}

/* Asks for one chunk at (5,2) from slot, and returns the promise. */
static px_promise chunk(struct acceptor *a, uint64_t from)
{
    acc_out o;
    px_promise p;
    acc_out_init(&o);
    prepare(a, &o, 2, B(5, 2), from);
    flush(a, &o);
    memset(&p, 0, sizeof(p));
    if (o.msgs.n == 1 && o.msgs.v[0].msg.type == PX_MSG_PROMISE) p = msg(&o, 0)->u.promise;
    acc_out_free(&o);
    return p;
}

static int chunk_is(const px_promise *p, int n, const uint64_t *slots, uint64_t next, int done)
{
    if (p->n != n || p->next_slot != next || p->done != done) return 0;
    for (int i = 0; i < n; i++) {
        px_value v = val((int)slots[i], (int)slots[i] % 3);
        if (p->entries[i].slot != slots[i] || !beq(p->entries[i].vballot, B(1, 1)) ||
            !veq(&p->entries[i].value, &v))
            return 0;
    }
    return 1;
}

static void test_chunking(void)
{
    static const uint64_t slots[] = {0, 1, 2, 3, 5, 6, 7, 8, 10, 11};
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
        accept(a, &o, 1, B(1, 1), slots[i], val((int)slots[i], (int)slots[i] % 3));
    flush(a, &o);
    acc_out_free(&o);
    REQUIRE(acceptor_accepted_count(a) == 10);

    px_promise p = chunk(a, 0);
    CHECK(chunk_is(&p, 4, (const uint64_t[]){0, 1, 2, 3}, 4, 0));
    CHECK(beq(p.ballot, B(5, 2)) && p.from_slot == 0);
    p = chunk(a, 4);
    CHECK(chunk_is(&p, 4, (const uint64_t[]){5, 6, 7, 8}, 9, 0));
    p = chunk(a, 9);
    CHECK(chunk_is(&p, 2, (const uint64_t[]){10, 11}, 12, 1));
    /* Exactly PX_MAX_PROMISE_ENTRIES left: done at once. */
    p = chunk(a, 7);
    CHECK(chunk_is(&p, 4, (const uint64_t[]){7, 8, 10, 11}, 12, 1));
    /* One more than fits: not done. */
    p = chunk(a, 6);
    CHECK(chunk_is(&p, 4, (const uint64_t[]){6, 7, 8, 10}, 11, 0));
    p = chunk(a, 12);
    CHECK(chunk_is(&p, 0, NULL, 12, 1));
    p = chunk(a, 100);
    CHECK(chunk_is(&p, 0, NULL, 100, 1));
    /* Only the first PREPARE at (5,2) made a record. */
    CHECK(acceptor_emitted_seq(a) == 11);
    acceptor_free(a);
}

/* Equal and higher ballots are accepted, lower ones refused.  Fails under
 * PX_MUTANT_ACCEPTOR_LOW_BALLOT. */
static void test_accept_ballots(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    prepare(a, &o, 2, B(2, 2), 0);
    accept(a, &o, 2, B(2, 2), 5, val(5, 2)); /* equal */
    accept(a, &o, 3, B(3, 3), 5, val(6, 1)); /* higher: overwrites, raises */
    accept(a, &o, 2, B(2, 2), 7, val(7, 1)); /* lower now */
    accept(a, &o, 1, B(3, 1), 8, val(8, 1)); /* same round, lower node */
    flush(a, &o);

    REQUIRE(o.persist.n == 3);
    CHECK(o.persist.v[1].type == ACC_REC_ACCEPT && o.persist.v[1].slot == 5);
    CHECK(beq(o.persist.v[2].ballot, B(3, 3)));
    px_value v6 = val(6, 1);
    CHECK(veq(&o.persist.v[2].value, &v6));
    CHECK(beq(acceptor_promised(a), B(3, 3)));

    REQUIRE(o.msgs.n == 5);
    CHECK(addressed(&o, 1, 2, PX_MSG_ACCEPTED));
    CHECK(msg(&o, 1)->u.accepted.slot == 5 && beq(msg(&o, 1)->u.accepted.ballot, B(2, 2)));
    CHECK(addressed(&o, 2, 3, PX_MSG_ACCEPTED));
    CHECK(beq(msg(&o, 2)->u.accepted.ballot, B(3, 3)));
    CHECK(msg(&o, 2)->u.accepted.acceptor == ME);
    for (size_t i = 3; i < 5; i++) {
        CHECK(msg(&o, i)->type == PX_MSG_REJECT);
        CHECK(beq(msg(&o, i)->u.reject.promised, B(3, 3)));
        CHECK(msg(&o, i)->u.reject.of_type == PX_MSG_ACCEPT);
    }
    CHECK(msg(&o, 3)->u.reject.slot == 7 && o.msgs.v[3].node == 2);
    CHECK(msg(&o, 4)->u.reject.slot == 8 && o.msgs.v[4].node == 1);

    px_ballot vb;
    const px_value *v;
    REQUIRE(acceptor_accepted(a, 5, &vb, &v));
    CHECK(beq(vb, B(3, 3)) && veq(v, &v6));
    CHECK(!acceptor_accepted(a, 7, NULL, NULL));
    CHECK(!acceptor_accepted(a, 8, NULL, NULL));
    acc_out_free(&o);
    acceptor_free(a);
}

/* An ACCEPT above the promise raises it: a later PREPARE below is refused. */
static void test_accept_raises_promise(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    accept(a, &o, 4, B(4, 4), 0, val(1, 1));
    REQUIRE(o.persist.n == 1); /* the ACCEPT record alone implies the promise */
    prepare(a, &o, 3, B(4, 3), 0);
    flush(a, &o);
    REQUIRE(o.msgs.n == 2);
    CHECK(msg(&o, 1)->type == PX_MSG_REJECT);
    CHECK(beq(msg(&o, 1)->u.reject.promised, B(4, 4)));
    CHECK(beq(acceptor_promised(a), B(4, 4)));
    acc_out_free(&o);
    acceptor_free(a);
}

/* No reply leaves before its record is durable.  Fails under
 * PX_MUTANT_ACCEPTOR_EARLY_REPLY. */
static void test_reply_waits_for_durable(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    prepare(a, &o, 2, B(1, 2), 0);
    accept(a, &o, 2, B(1, 2), 0, val(1, 1));
    CHECK(o.msgs.n == 0);
    CHECK(acceptor_held_replies(a) == 2);
    acceptor_durable(a, 0, &o);
    CHECK(o.msgs.n == 0);
    acceptor_durable(a, 1, &o); /* the promise only */
    REQUIRE(o.msgs.n == 1);
    CHECK(msg(&o, 0)->type == PX_MSG_PROMISE);
    acceptor_durable(a, 2, &o);
    REQUIRE(o.msgs.n == 2);
    CHECK(msg(&o, 1)->type == PX_MSG_ACCEPTED);

    /* A reply needing no record of its own still waits behind earlier
     * ones: a reject must not overtake a pending vote. */
    acc_out_clear(&o);
    accept(a, &o, 2, B(1, 2), 1, val(2, 1));
    prepare(a, &o, 1, B(1, 1), 0);
    CHECK(o.msgs.n == 0);
    acceptor_durable(a, 3, &o);
    REQUIRE(o.msgs.n == 2);
    CHECK(msg(&o, 0)->type == PX_MSG_ACCEPTED && msg(&o, 1)->type == PX_MSG_REJECT);
    acc_out_free(&o);
    acceptor_free(a);
}

/* Many messages, one fsync, one notice: every reply, in order. */
static void test_group_commit(void)
{
    enum { N = 300 };
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    /* Proposers 2, 3, 4 in turn, each with a ballot above the last. */
    for (int i = 0; i < N; i++)
        accept(a, &o, 2 + i % 3, B(1 + (uint64_t)i, 2 + (uint32_t)i % 3), (uint64_t)i, val(i, i % 4));
    CHECK(o.persist.n == N && o.persist.last_seq == N);
    CHECK(o.msgs.n == 0 && acceptor_held_replies(a) == N);

    acceptor_durable(a, N / 2, &o); /* a partial write */
    CHECK(o.msgs.n == N / 2);
    acceptor_durable(a, 1000000, &o); /* past emitted: only what exists */
    REQUIRE(o.msgs.n == N);
    for (int i = 0; i < N; i++) {
        CHECK(addressed(&o, (size_t)i, 2 + (uint32_t)i % 3, PX_MSG_ACCEPTED));
        CHECK(msg(&o, (size_t)i)->u.accepted.slot == (uint64_t)i);
    }
    CHECK(acceptor_held_replies(a) == 0);
    CHECK(acceptor_durable_seq(a) == N);
    acc_out_free(&o);
    acceptor_free(a);
}

static void run_history(struct acceptor *a, acc_out *o)
{
    prepare(a, o, 2, B(1, 2), 0);
    for (int i = 0; i < 9; i++) accept(a, o, 2, B(1, 2), (uint64_t)i, val(i, i % 5));
    prepare(a, o, 3, B(2, 3), 4);
    accept(a, o, 3, B(2, 3), 4, val(40, 3));
    accept(a, o, 3, B(2, 3), 20, val(20, 0)); /* a no-op */
    prepare(a, o, 4, B(3, 4), 30);
}

static void test_restore(void)
{
    struct acceptor *a = acceptor_new(ME), *b = acceptor_new(ME);
    acc_out o, o2;
    acc_out_init(&o);
    acc_out_init(&o2);
    run_history(a, &o);
    for (size_t i = 0; i < o.persist.n; i++) acceptor_restore(b, &o.persist.v[i]);

    uint64_t n = o.persist.n;
    CHECK(beq(acceptor_promised(b), B(3, 4)));
    CHECK(acceptor_accepted_count(b) == acceptor_accepted_count(a));
    CHECK(acceptor_accepted_count(b) == 10);
    for (uint64_t s = 0; s <= 20; s++) {
        px_ballot ba, bb;
        const px_value *va, *vb;
        int ha = acceptor_accepted(a, s, &ba, &va), hb = acceptor_accepted(b, s, &bb, &vb);
        CHECK(ha == hb);
        if (ha && hb) CHECK(beq(ba, bb) && veq(va, vb));
    }
    CHECK(acceptor_emitted_seq(b) == n && acceptor_durable_seq(b) == n);
    CHECK(acceptor_held_replies(b) == 0);

    /* New records continue the numbering, and notices still work. */
    accept(b, &o2, 4, B(3, 4), 21, val(21, 1));
    CHECK(o2.persist.last_seq == n + 1);
    acceptor_durable(b, n, &o2);
    CHECK(o2.msgs.n == 0);
    acceptor_durable(b, n + 1, &o2);
    CHECK(o2.msgs.n == 1);
    /* And a stale leader is refused after the restart. */
    acc_out_clear(&o2);
    accept(b, &o2, 3, B(2, 3), 22, val(22, 1));
    REQUIRE(o2.msgs.n == 1);
    CHECK(msg(&o2, 0)->type == PX_MSG_REJECT);
    acc_out_free(&o);
    acc_out_free(&o2);
    acceptor_free(a);
    acceptor_free(b);
}

static void test_duplicates_and_reorder(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    /* Slots out of order are stored in slot order. */
    accept(a, &o, 2, B(1, 2), 5, val(5, 1));
    accept(a, &o, 2, B(1, 2), 3, val(3, 1));
    accept(a, &o, 2, B(1, 2), 4, val(4, 1));
    CHECK(acceptor_lowest_slot(a) == 3 && acceptor_highest_slot(a) == 5);
    /* A retransmitted ACCEPT changes nothing, costs no record, and is
     * answered again. */
    accept(a, &o, 2, B(1, 2), 3, val(3, 1));
    CHECK(o.persist.n == 3);
    flush(a, &o);
    REQUIRE(o.msgs.n == 4);
    CHECK(msg(&o, 3)->type == PX_MSG_ACCEPTED && msg(&o, 3)->u.accepted.slot == 3);

    /* A duplicated PREPARE: one record, two identical answers. */
    acc_out_clear(&o);
    prepare(a, &o, 2, B(2, 2), 0);
    prepare(a, &o, 2, B(2, 2), 0);
    CHECK(o.persist.n == 1);
    flush(a, &o);
    REQUIRE(o.msgs.n == 2);
    const px_promise *p = &msg(&o, 0)->u.promise;
    CHECK(p->n == 3 && p->entries[0].slot == 3 && p->entries[2].slot == 5 && p->done);
    const px_promise *q = &msg(&o, 1)->u.promise;
    CHECK(q->n == p->n && q->next_slot == p->next_slot && q->done == p->done);
    CHECK(q->entries[1].slot == 4 && veq(&q->entries[1].value, &p->entries[1].value));

    /* An old PREPARE and an old ACCEPT arriving late are refused. */
    acc_out_clear(&o);
    prepare(a, &o, 2, B(1, 2), 0);
    accept(a, &o, 2, B(1, 2), 6, val(6, 1));
    CHECK(o.persist.n == 0);
    REQUIRE(o.msgs.n == 2);
    CHECK(msg(&o, 0)->type == PX_MSG_REJECT && msg(&o, 1)->type == PX_MSG_REJECT);
    CHECK(acceptor_accepted_count(a) == 3);
    acc_out_free(&o);
    acceptor_free(a);
}

static void test_forget_and_ignore(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    CHECK(acceptor_id(a) == ME);
    CHECK(acceptor_lowest_slot(a) == 0 && acceptor_highest_slot(a) == 0);
    for (uint64_t s = 10; s < 20; s++) accept(a, &o, 2, B(1, 2), s, val((int)s, 1));
    acceptor_forget_below(a, 15);
    CHECK(acceptor_accepted_count(a) == 5 && acceptor_lowest_slot(a) == 15);
    CHECK(!acceptor_accepted(a, 14, NULL, NULL) && acceptor_accepted(a, 15, NULL, NULL));
    acceptor_forget_below(a, 3);
    CHECK(acceptor_accepted_count(a) == 5);
    acceptor_forget_below(a, 100);
    CHECK(acceptor_accepted_count(a) == 0);
    flush(a, &o);

    /* Other message types and the null ballot change nothing. */
    acc_out_clear(&o);
    memset(&in, 0, sizeof(in));
    in.type = PX_MSG_HEARTBEAT;
    in.from = 2;
    acceptor_handle(a, &in, &o);
    prepare(a, &o, 2, B(0, 0), 0);
    accept(a, &o, 2, B(0, 0), 1, val(1, 1));
    CHECK(o.persist.n == 0 && o.msgs.n == 0 && acceptor_held_replies(a) == 0);
    acc_out_free(&o);
    acceptor_free(a);
}

/* ---- compaction ------------------------------------------------------------ */

/* TRIM(b, below) from b's proposer; returns the acceptor's verdict. */
static int trim_as(struct acceptor *a, acc_out *o, px_ballot b, uint64_t below)
{
    memset(&in, 0, sizeof(in));
    in.type = PX_MSG_TRIM;
    in.from = b.node;
    in.u.trim.ballot = b;
    in.u.trim.below = below;
    return acceptor_handle(a, &in, o);
}

/* TRIM from the leader the acceptor promised, as honest leaders send it. */
static int trim(struct acceptor *a, acc_out *o, uint64_t below)
{
    return trim_as(a, o, acceptor_promised(a), below);
}

/* Slots 0..9 accepted at (1,2), value val(s, s % 4 + 1), all durable. */
static struct acceptor *ten_slots(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    prepare(a, &o, 2, B(1, 2), 0);
    for (int s = 0; s < 10; s++) accept(a, &o, 2, B(1, 2), (uint64_t)s, val(s, s % 4 + 1));
    flush(a, &o);
    acc_out_free(&o);
    return a;
}

/* TRIM forgets below its mark, emits one TRIM record and sends nothing;
 * a TRIM at or below the mark changes nothing and costs no record. */
static void test_trim_forgets_and_records(void)
{
    struct acceptor *a = ten_slots();
    acc_out o;
    acc_out_init(&o);
    CHECK(acceptor_trimmed(a) == 0);
    uint64_t seq = acceptor_emitted_seq(a);
    CHECK(trim(a, &o, 6) == 0);
    REQUIRE(o.persist.n == 1);
    CHECK(o.persist.v[0].type == ACC_REC_TRIM && o.persist.v[0].slot == 6);
    CHECK(beq(o.persist.v[0].ballot, B(1, 2)));
    CHECK(o.persist.last_seq == seq + 1);
    CHECK(o.msgs.n == 0 && acceptor_held_replies(a) == 0);
    CHECK(acceptor_trimmed(a) == 6);
    CHECK(acceptor_accepted_count(a) == 4 && acceptor_lowest_slot(a) == 6);
    CHECK(!acceptor_accepted(a, 5, NULL, NULL));
    px_ballot vb;
    const px_value *v;
    px_value want = val(7, 7 % 4 + 1);
    REQUIRE(acceptor_accepted(a, 7, &vb, &v));
    CHECK(beq(vb, B(1, 2)) && veq(v, &want));

    acc_out_clear(&o);
    CHECK(trim(a, &o, 6) == 0 && trim(a, &o, 3) == 0); /* repeats, not refusals */
    CHECK(o.persist.n == 0 && o.msgs.n == 0 && acceptor_trimmed(a) == 6);
    /* A mark just past the highest accepted slot forgets them all; the
     * mark then keeps accepted_upto where it was. */
    CHECK(acceptor_accepted_upto(a) == 10);
    CHECK(trim(a, &o, 10) == 0);
    REQUIRE(o.persist.n == 1);
    CHECK(o.persist.v[0].slot == 10 && acceptor_accepted_count(a) == 0);
    CHECK(acceptor_trimmed(a) == 10 && acceptor_accepted_upto(a) == 10);
    acc_out_free(&o);
    acceptor_free(a);
}

/* Replaying a log with TRIM records rebuilds the mark and forgets as TRIM
 * did; an ACCEPT record below the mark (it cannot be in a real log after
 * the TRIM) stores nothing but still counts for the promise. */
static void test_trim_restore(void)
{
    struct acceptor *a = acceptor_new(ME), *b = acceptor_new(ME);
    acc_out all;
    acc_out_init(&all);
    prepare(a, &all, 2, B(1, 2), 0);
    for (int s = 0; s < 10; s++) accept(a, &all, 2, B(1, 2), (uint64_t)s, val(s, s % 4 + 1));
    trim(a, &all, 4);
    accept(a, &all, 2, B(1, 2), 12, val(12, 2));
    trim(a, &all, 7);
    REQUIRE(all.persist.n == 1 + 10 + 1 + 1 + 1);
    for (size_t i = 0; i < all.persist.n; i++) acceptor_restore(b, &all.persist.v[i]);
    CHECK(acceptor_trimmed(b) == 7);
    CHECK(acceptor_accepted_count(b) == 4); /* 7, 8, 9, 12 */
    CHECK(acceptor_emitted_seq(b) == all.persist.n && acceptor_durable_seq(b) == all.persist.n);
    for (uint64_t s = 0; s < 14; s++) {
        px_ballot ba, bb;
        const px_value *va, *vb;
        int ha = acceptor_accepted(a, s, &ba, &va);
        px_value copy = ha ? *va : val(0, 0);
        int hb = acceptor_accepted(b, s, &bb, &vb);
        CHECK(ha == hb && ha == (s >= 7 && (s < 10 || s == 12)));
        if (ha && hb) CHECK(beq(ba, bb) && veq(&copy, vb));
    }

    acc_record r;
    memset(&r, 0, sizeof(r));
    r.type = ACC_REC_ACCEPT;
    r.ballot = B(3, 3);
    r.slot = 5;
    r.value = val(5, 1);
    acceptor_restore(b, &r);
    CHECK(!acceptor_accepted(b, 5, NULL, NULL) && acceptor_accepted_count(b) == 4);
    CHECK(beq(acceptor_promised(b), B(3, 3)));
    /* A TRIM record below the mark changes nothing. */
    r.type = ACC_REC_TRIM;
    r.slot = 2;
    acceptor_restore(b, &r);
    CHECK(acceptor_trimmed(b) == 7 && acceptor_accepted_count(b) == 4);
    acc_out_free(&all);
    acceptor_free(a);
    acceptor_free(b);
}

/* After a trim, a PREPARE's chunk starts at max(from, mark), echoes from,
 * and carries the mark.  Fails under PX_MUTANT_ACCEPTOR_FORGET_SILENTLY. */
static void test_prepare_after_trim(void)
{
    struct acceptor *a = ten_slots();
    acc_out o;
    acc_out_init(&o);
    trim(a, &o, 6);
    flush(a, &o);
    acc_out_free(&o);

    px_promise p = chunk(a, 0); /* a new ballot, (5,2) */
    CHECK(p.from_slot == 0 && p.trimmed == 6);
    REQUIRE(p.n == 4);
    for (int k = 0; k < 4; k++) {
        px_value want = val(6 + k, (6 + k) % 4 + 1);
        CHECK(p.entries[k].slot == (uint64_t)(6 + k) && veq(&p.entries[k].value, &want));
    }
    CHECK(p.next_slot == 10 && p.done == 1);
    p = chunk(a, 8);
    CHECK(p.from_slot == 8 && p.trimmed == 6 && p.n == 2 && p.entries[0].slot == 8);
    /* Everything forgotten: an empty chunk from the mark, done. */
    acc_out_init(&o);
    CHECK(trim(a, &o, 10) == 0);
    flush(a, &o);
    acc_out_free(&o);
    p = chunk(a, 3);
    CHECK(p.from_slot == 3 && p.trimmed == 10 && p.n == 0);
    CHECK(p.next_slot == 10 && p.done == 1);
    p = chunk(a, 25);
    CHECK(p.next_slot == 25 && p.trimmed == 10);
    acceptor_free(a);
}

/* An ACCEPT below the mark stores nothing, raises no promise, and gets a
 * REJECT carrying the mark, behind earlier records like any reply; every
 * REJECT carries the mark.  Fails under PX_MUTANT_ACCEPTOR_FORGET_SILENTLY. */
static void test_accept_below_mark(void)
{
    struct acceptor *a = ten_slots();
    acc_out o;
    acc_out_init(&o);
    trim(a, &o, 6);
    /* The TRIM record is not durable yet: the REJECT waits for it. */
    accept(a, &o, 3, B(2, 3), 4, val(44, 1));
    REQUIRE(o.persist.n == 1); /* the TRIM record only */
    CHECK(o.msgs.n == 0);
    flush(a, &o);
    REQUIRE(o.msgs.n == 1);
    CHECK(addressed(&o, 0, 3, PX_MSG_REJECT));
    const px_reject *r = &msg(&o, 0)->u.reject;
    CHECK(r->of_type == PX_MSG_ACCEPT && r->slot == 4 && r->trimmed == 6);
    CHECK(beq(r->promised, B(1, 2)));
    CHECK(beq(acceptor_promised(a), B(1, 2)));
    CHECK(!acceptor_accepted(a, 4, NULL, NULL) && acceptor_accepted_count(a) == 4);

    /* At the mark it is accepted as usual. */
    acc_out_clear(&o);
    accept(a, &o, 3, B(2, 3), 6, val(66, 1));
    flush(a, &o);
    REQUIRE(o.persist.n == 1 && o.msgs.n == 1);
    CHECK(msg(&o, 0)->type == PX_MSG_ACCEPTED);
    /* A ballot REJECT carries the mark too. */
    acc_out_clear(&o);
    prepare(a, &o, 2, B(1, 2), 0);
    accept(a, &o, 2, B(1, 2), 9, val(9, 1));
    REQUIRE(o.msgs.n == 2);
    CHECK(msg(&o, 0)->u.reject.trimmed == 6 && msg(&o, 1)->u.reject.trimmed == 6);
    CHECK(o.persist.n == 0);
    acc_out_free(&o);
    acceptor_free(a);
}

static void restore_into(void *arg, const acc_record *r)
{
    acceptor_restore(arg, r);
}

static void count_into(void *arg, const acc_record *r)
{
    size_t *k = arg;
    k[r->type]++;
}

/* Compares promise, mark and every entry in [0, upto). */
static int same_acceptor(const struct acceptor *a, const struct acceptor *b, uint64_t upto)
{
    if (!beq(acceptor_promised(a), acceptor_promised(b))) return 0;
    if (acceptor_trimmed(a) != acceptor_trimmed(b)) return 0;
    if (acceptor_accepted_count(a) != acceptor_accepted_count(b)) return 0;
    for (uint64_t s = 0; s < upto; s++) {
        px_ballot ba, bb;
        const px_value *va, *vb;
        int ha = acceptor_accepted(a, s, &ba, &va);
        px_value copy = ha ? *va : val(0, 0);
        int hb = acceptor_accepted(b, s, &bb, &vb);
        if (ha != hb) return 0;
        if (ha && (!beq(ba, bb) || !veq(&copy, vb))) return 0;
    }
    return 1;
}

/* Export then replay into a fresh acceptor: the same promise, mark and
 * entries (overwritten, no-op, out-of-order ones included), and the
 * export holds exactly one PROMISE, one TRIM and one ACCEPT per entry. */
static void test_export_restore(void)
{
    struct acceptor *a = acceptor_new(ME), *b = acceptor_new(ME), *e = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    run_history(a, &o); /* slots 0..8, 4 overwritten, 20 a no-op, promise (3,4) */
    accept(a, &o, 4, B(3, 4), 15, val(15, PX_MAX_BATCH));
    accept(a, &o, 4, B(3, 4), 11, val(11, 2));
    trim(a, &o, 3);
    flush(a, &o);
    acceptor_export(a, restore_into, b);
    CHECK(same_acceptor(a, b, 30));
    CHECK(acceptor_trimmed(b) == 3 && acceptor_accepted_count(b) == 9);
    size_t k[4] = {0};
    acceptor_export(a, count_into, k);
    CHECK(k[ACC_REC_PROMISE] == 1 && k[ACC_REC_TRIM] == 1 && k[ACC_REC_ACCEPT] == 9);
    /* The copy behaves the same: an ACCEPT below the mark is refused. */
    acc_out_clear(&o);
    accept(b, &o, 4, B(3, 4), 2, val(2, 1));
    REQUIRE(o.msgs.n == 1);
    CHECK(msg(&o, 0)->type == PX_MSG_REJECT && msg(&o, 0)->u.reject.trimmed == 3);
    /* An empty acceptor exports nothing. */
    size_t z[4] = {0};
    acceptor_export(e, count_into, z);
    CHECK(z[1] + z[2] + z[3] == 0);
    acc_out_free(&o);
    acceptor_free(a);
    acceptor_free(b);
    acceptor_free(e);
}

/* Compact storage against a model: random accepts (overwrites with more,
 * fewer and no commands, slots in and out of order) and trims, checked
 * against a plain array of values after every step, so pool reuse, growth
 * and rebuilds all have to keep each slot's commands intact. */
static void test_compact_storage_model(void)
{
    enum { SLOTS = 200, STEPS = 20000 };
    static px_value model[SLOTS];
    static int have[SLOTS];
    memset(have, 0, sizeof(have));
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    px_rng rng;
    px_rng_seed(&rng, 42);
    uint64_t mark = 0;
    int bad = 0;
    for (int step = 0; step < STEPS && !bad; step++) {
        uint64_t r = px_rng_next(&rng);
        if (r % 500 == 0 && mark + 10 < SLOTS) {
            mark += 1 + px_rng_next(&rng) % 10;
            trim(a, &o, mark);
            for (uint64_t s = 0; s < mark; s++) have[s] = 0;
        } else {
            uint64_t s = mark + px_rng_next(&rng) % (SLOTS - mark);
            int n = (int)(px_rng_next(&rng) % (PX_MAX_BATCH + 1));
            if (r % 3 == 0) n = (int)(px_rng_next(&rng) % 3); /* small ones, no-ops */
            model[s] = val(step, n);
            have[s] = 1;
            accept(a, &o, 2, B(1, 2), s, model[s]);
        }
        if (step % 97 != 0 && step != STEPS - 1) continue;
        flush(a, &o);
        acc_out_clear(&o);
        size_t n = 0;
        for (uint64_t s = 0; s < SLOTS; s++) {
            const px_value *v;
            int h = acceptor_accepted(a, s, NULL, &v);
            n += (size_t)have[s];
            if (h != have[s] || (h && !veq(v, &model[s]))) bad = 1;
        }
        if (n != acceptor_accepted_count(a)) bad = 1;
    }
    CHECK(!bad);
    CHECK(acceptor_trimmed(a) == mark && mark > 0);
    acc_out_free(&o);
    acceptor_free(a);
}


/* ---- refusals -------------------------------------------------------------- */

/* The verdict on in, and that the acceptor produced nothing for it. */
static int verdict(struct acceptor *a, acc_out *o)
{
    acc_out_clear(o);
    int why = acceptor_handle(a, &in, o);
    if (why != 0 && (o->persist.n != 0 || o->msgs.n != 0)) return -1;
    return why;
}

static void mk_prepare(uint32_t from, px_ballot b)
{
    memset(&in, 0, sizeof(in));
    in.type = PX_MSG_PREPARE;
    in.from = from;
    in.u.prepare.ballot = b;
}

static void mk_accept(uint32_t from, px_ballot b, uint64_t slot, int k)
{
    memset(&in, 0, sizeof(in));
    in.type = PX_MSG_ACCEPT;
    in.from = from;
    in.u.accept.ballot = b;
    in.u.accept.slot = slot;
    in.u.accept.value = val(3, k > PX_MAX_BATCH ? PX_MAX_BATCH : k);
    in.u.accept.value.n = (uint16_t)k;
}

/* What no proposer sends is refused with its reason, and changes nothing:
 * no record, no reply, no promise, no entry. */
static void test_refuse_malformed(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    memset(&in, 0, sizeof(in));
    in.type = PX_MSG_HEARTBEAT;
    in.from = 2;
    CHECK(verdict(a, &o) == PX_REFUSE_UNEXPECTED_TYPE);
    in.type = PX_MSG_CHOSEN;
    CHECK(verdict(a, &o) == PX_REFUSE_UNEXPECTED_TYPE);

    mk_prepare(2, B(0, 0));
    CHECK(verdict(a, &o) == PX_REFUSE_BALLOT_ZERO);
    mk_accept(2, B(0, 0), 1, 1);
    CHECK(verdict(a, &o) == PX_REFUSE_BALLOT_ZERO);
    CHECK(trim_as(a, &o, B(0, 0), 1) == PX_REFUSE_BALLOT_ZERO && o.persist.n == 0);

    /* The ballot's node is the sender: a proposer only sends its own.
     * Taken, a peer could put a second value under another's ballot. */
    mk_prepare(3, B(1, 2));
    CHECK(verdict(a, &o) == PX_REFUSE_SENDER_MISMATCH);
    mk_accept(3, B(1, 2), 1, 1);
    CHECK(verdict(a, &o) == PX_REFUSE_SENDER_MISMATCH);
    memset(&in, 0, sizeof(in));
    in.type = PX_MSG_TRIM;
    in.from = 3;
    in.u.trim.ballot = B(1, 2);
    in.u.trim.below = 1;
    CHECK(verdict(a, &o) == PX_REFUSE_SENDER_MISMATCH);

    /* Above the round ceiling (the decoder refuses it too); the ceiling
     * itself is a real round. */
    mk_prepare(2, B(PX_MAX_ROUND + 1, 2));
    CHECK(verdict(a, &o) == PX_WIRE_BALLOT_BAD);
    mk_prepare(2, B(UINT64_MAX, 2));
    CHECK(verdict(a, &o) == PX_WIRE_BALLOT_BAD);
    mk_accept(2, B(UINT64_MAX, 2), 1, 1);
    CHECK(verdict(a, &o) == PX_WIRE_BALLOT_BAD);
    CHECK(trim_as(a, &o, B(PX_MAX_ROUND + 1, 2), 1) == PX_WIRE_BALLOT_BAD);

    mk_accept(2, B(1, 2), UINT64_MAX, 1);
    CHECK(verdict(a, &o) == PX_REFUSE_SLOT_BAD);
    mk_accept(2, B(1, 2), 4, PX_MAX_BATCH + 1);
    CHECK(verdict(a, &o) == PX_WIRE_FIELD_BAD);

    CHECK(px_ballot_is_zero(acceptor_promised(a)) && acceptor_accepted_count(a) == 0);
    CHECK(acceptor_emitted_seq(a) == 0 && acceptor_held_replies(a) == 0);

    /* The ceiling is a real round; a stale ballot is answered, not refused. */
    mk_prepare(2, B(PX_MAX_ROUND, 2));
    CHECK(verdict(a, &o) == 0 && o.persist.n == 1);
    mk_accept(3, B(5, 3), 1, 1);
    CHECK(verdict(a, &o) == 0);
    flush(a, &o);
    CHECK(o.msgs.n == 2 && msg(&o, 1)->type == PX_MSG_REJECT);
    acc_out_free(&o);
    acceptor_free(a);
}

/* TRIM only under the promised ballot: a deposed leader's (below it) and
 * one the acceptor has not promised yet (above it) forget nothing.  A TRIM
 * at or below the mark asks for nothing and is a repeat, whatever its
 * ballot. */
static void test_trim_ballot(void)
{
    struct acceptor *a = ten_slots(); /* promised (1,2) */
    acc_out o;
    acc_out_init(&o);
    CHECK(trim_as(a, &o, B(2, 3), 5) == PX_REFUSE_TRIM_BALLOT);
    CHECK(trim_as(a, &o, B(1, 1), 5) == PX_REFUSE_TRIM_BALLOT);
    CHECK(o.persist.n == 0 && o.msgs.n == 0);
    CHECK(acceptor_trimmed(a) == 0 && acceptor_accepted_count(a) == 10);
    CHECK(trim_as(a, &o, B(1, 2), 5) == 0 && acceptor_trimmed(a) == 5);

    /* A new leader's promise deposes (1,2): its TRIMs are refused now. */
    prepare(a, &o, 3, B(2, 3), 0);
    flush(a, &o);
    acc_out_clear(&o);
    CHECK(trim_as(a, &o, B(1, 2), 8) == PX_REFUSE_TRIM_BALLOT);
    CHECK(trim_as(a, &o, B(1, 2), 5) == 0 && trim_as(a, &o, B(9, 9), 4) == 0); /* repeats */
    CHECK(o.persist.n == 0 && acceptor_trimmed(a) == 5 && acceptor_accepted_count(a) == 5);
    CHECK(trim_as(a, &o, B(2, 3), 8) == 0 && acceptor_trimmed(a) == 8);
    acc_out_free(&o);
    acceptor_free(a);
}

/* TRIM never reaches past what the acceptor accepted: such a mark would
 * make it refuse ACCEPTs of slots nobody decided and tell new leaders to
 * skip them.  The bound comes from durable state: the same after a
 * restart and after a log rewrite (acceptor_export), also once a trim
 * forgot every entry.  A lagging acceptor takes the TRIM once it has voted
 * far enough. */
static void test_trim_ahead(void)
{
    struct acceptor *a = ten_slots(); /* slots 0..9 at (1,2) */
    acc_out o, all;
    acc_out_init(&o);
    acc_out_init(&all);
    CHECK(acceptor_accepted_upto(a) == 10);
    CHECK(trim(a, &o, 11) == PX_REFUSE_TRIM_AHEAD);
    CHECK(trim(a, &o, UINT64_MAX) == PX_REFUSE_TRIM_AHEAD);
    CHECK(o.persist.n == 0 && acceptor_trimmed(a) == 0 && acceptor_accepted_count(a) == 10);
    CHECK(trim(a, &o, 10) == 0 && acceptor_accepted_count(a) == 0);
    CHECK(trim(a, &o, 11) == PX_REFUSE_TRIM_AHEAD);
    acceptor_free(a);

    /* A log: PROMISE, ten ACCEPTs, a TRIM to 10 forgetting them all. */
    a = acceptor_new(ME);
    prepare(a, &all, 2, B(1, 2), 0);
    for (int s = 0; s < 10; s++) accept(a, &all, 2, B(1, 2), (uint64_t)s, val(s, 1));
    CHECK(trim(a, &all, 10) == 0);
    struct acceptor *r = acceptor_new(ME), *x = acceptor_new(ME);
    for (size_t i = 0; i < all.persist.n; i++) acceptor_restore(r, &all.persist.v[i]);
    acceptor_export(a, restore_into, x);
    CHECK(acceptor_accepted_upto(r) == 10 && acceptor_accepted_upto(x) == 10);
    CHECK(acceptor_accepted_count(r) == 0 && acceptor_accepted_count(x) == 0);
    acc_out_clear(&o);
    CHECK(trim(r, &o, 11) == PX_REFUSE_TRIM_AHEAD && trim(x, &o, 11) == PX_REFUSE_TRIM_AHEAD);
    CHECK(o.persist.n == 0);

    /* A laggard: slots 0..4 only, the leader trims to 8 (the others voted
     * in 5..7).  Refused until it votes in slot 7 or above. */
    struct acceptor *l = acceptor_new(ME);
    acc_out_clear(&o);
    for (int s = 0; s < 5; s++) accept(l, &o, 2, B(1, 2), (uint64_t)s, val(s, 1));
    CHECK(trim(l, &o, 8) == PX_REFUSE_TRIM_AHEAD && acceptor_accepted_count(l) == 5);
    accept(l, &o, 2, B(1, 2), 12, val(12, 1));
    CHECK(trim(l, &o, 8) == 0 && acceptor_trimmed(l) == 8 && acceptor_accepted_count(l) == 1);
    acc_out_free(&o);
    acc_out_free(&all);
    acceptor_free(a);
    acceptor_free(r);
    acceptor_free(x);
    acceptor_free(l);
}


/* Every ACCEPTED leaves with a VOTE to every learner carrying the value,
 * and like it only once durable; a vote the entry no longer holds (a
 * higher ballot overwrote it in the same batch) is not sent. */
static void test_votes_follow_accepted(void)
{
    struct acceptor *a = acceptor_new(ME);
    acc_out o;
    acc_out_init(&o);
    accept(a, &o, 2, B(2, 2), 5, val(5, 3));
    CHECK(o.votes.n == 0 && o.msgs.n == 0);
    flush(a, &o);
    REQUIRE(o.msgs.n == 1 && o.votes.n == 1);
    const px_envelope *e = &o.votes.v[0];
    CHECK(e->role == PX_ROLE_LEARNER && e->node == PX_NODE_ALL && e->msg.type == PX_MSG_VOTE);
    CHECK(e->msg.from == ME && e->msg.u.vote.acceptor == ME && e->msg.u.vote.slot == 5);
    px_value v5 = val(5, 3);
    CHECK(beq(e->msg.u.vote.ballot, B(2, 2)) && veq(&e->msg.u.vote.value, &v5));

    acc_out_clear(&o);
    accept(a, &o, 2, B(2, 2), 6, val(6, 1));
    accept(a, &o, 3, B(3, 3), 6, val(7, 2)); /* overwrites slot 6 before the sync */
    accept(a, &o, 3, B(3, 3), 7, val(8, 0)); /* a no-op is voted like any value */
    flush(a, &o);
    REQUIRE(o.msgs.n == 3 && o.votes.n == 2);
    CHECK(o.votes.v[0].msg.u.vote.slot == 6 && beq(o.votes.v[0].msg.u.vote.ballot, B(3, 3)));
    CHECK(o.votes.v[1].msg.u.vote.slot == 7 && o.votes.v[1].msg.u.vote.value.n == 0);
    /* A refused ACCEPT gets a REJECT and no vote. */
    acc_out_clear(&o);
    accept(a, &o, 2, B(2, 2), 8, val(9, 1));
    flush(a, &o);
    CHECK(o.msgs.n == 1 && msg(&o, 0)->type == PX_MSG_REJECT && o.votes.n == 0);
    acc_out_free(&o);
    acceptor_free(a);
}

int main(void)
{
    RUN(test_prepare_promise);
    RUN(test_prepare_reject);
    RUN(test_prepare_equal);
    RUN(test_chunking);
    RUN(test_accept_ballots);
    RUN(test_accept_raises_promise);
    RUN(test_reply_waits_for_durable);
    RUN(test_group_commit);
    RUN(test_restore);
    RUN(test_duplicates_and_reorder);
    RUN(test_forget_and_ignore);
    RUN(test_trim_forgets_and_records);
    RUN(test_trim_restore);
    RUN(test_prepare_after_trim);
    RUN(test_accept_below_mark);
    RUN(test_export_restore);
    RUN(test_compact_storage_model);
    RUN(test_refuse_malformed);
    RUN(test_trim_ballot);
    RUN(test_trim_ahead);
    RUN(test_votes_follow_accepted);
    return check_summary();
}
