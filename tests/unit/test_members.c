/* test_members.c -- the membership history (common/members.c): which
 * configuration governs each slot, quorums per slot, one change at a time,
 * the encoding that goes into snapshots, and a random sequence of changes
 * against a model that keeps every configuration ever made. */
#include <string.h>

#include "common/members.h"
#include "common/rng.h"
#include "tests/unit/check.h"

#define A PX_MEMBER_ALPHA
#define N(i) (1u << (i))
#define S123 (N(1) | N(2) | N(3))

static px_members m;

static void test_sets(void)
{
    CHECK(px_member_set_valid(S123));
    CHECK(px_member_set_valid(N(9)));
    CHECK(px_member_set_valid(PX_MEMBER_IDS));
    CHECK(px_member_count(PX_MEMBER_IDS) == 9);
    CHECK(!px_member_set_valid(0));
    CHECK(!px_member_set_valid(N(0) | N(1)));  /* no node 0 */
    CHECK(!px_member_set_valid(N(10) | N(1))); /* ids stop at 9 */
    CHECK(px_members_init(&m, 0) == -1);
    CHECK(px_members_init(&m, N(10)) == -1);
    REQUIRE(px_members_init(&m, S123) == 0);
    CHECK(m.current == S123 && m.pending == 0 && m.upto == 0 && m.current_from == 0);
}

/* The initial configuration governs from slot 0; a slot is known only
 * below upto + ALPHA, since a change not folded yet would govern from
 * there. */
static void test_initial_window(void)
{
    REQUIRE(px_members_init(&m, S123) == 0);
    CHECK(px_members_at(&m, 0) == S123);
    CHECK(px_members_at(&m, A - 1) == S123);
    CHECK(px_members_at(&m, A) == 0);
    CHECK(!px_members_known(&m, A));
    px_members_advance(&m, 10);
    CHECK(px_members_at(&m, 10 + A - 1) == S123);
    CHECK(px_members_at(&m, 10 + A) == 0);
    px_members_advance(&m, 5); /* never back */
    CHECK(m.upto == 10);
    /* No overflow at the top of the slot space. */
    px_members_advance(&m, UINT64_MAX - 3);
    CHECK(px_members_at(&m, UINT64_MAX) == S123);
}

/* Every size of configuration: a majority of its members, and only its
 * members, is a quorum. */
static void test_majority_table(void)
{
    for (uint32_t n = 1; n <= PX_MAX_NODES; n++) {
        uint32_t c = 0;
        for (uint32_t i = 1; i <= n; i++) c |= N(i);
        REQUIRE(px_members_init(&m, c) == 0);
        for (uint32_t k = 0; k <= n; k++) {
            uint32_t votes = 0;
            for (uint32_t i = 1; i <= k; i++) votes |= N(i);
            CHECK(px_members_is_quorum(&m, 0, votes) == (k >= n / 2 + 1));
            /* Votes of non-members (ids above n, bit 0, bits above 9) add nothing. */
            uint32_t outsiders = (PX_MEMBER_IDS & ~c) | N(0) | N(12);
            CHECK(px_members_is_quorum(&m, 0, votes | outsiders) == (k >= n / 2 + 1));
        }
    }
}

/* Adding node 4 at slot 5: slots below 5 + ALPHA keep {1,2,3} (node 4's
 * votes do not count there: it has not caught up), slots from 5 + ALPHA
 * need 3 of {1,2,3,4}. */
static void test_add_governs_from_alpha(void)
{
    REQUIRE(px_members_init(&m, S123) == 0);
    px_members_advance(&m, 5);
    CHECK(px_members_change(&m, 5, PX_MEMBER_ADD, 4) == 5 + A);
    CHECK(m.incarnation[4] == 1);
    CHECK(px_members_at(&m, 5 + A - 1) == S123);
    CHECK(px_members_at(&m, 5 + A) == 0); /* slot 5 not passed yet */
    px_members_advance(&m, 6);
    CHECK(px_members_at(&m, 5 + A) == (S123 | N(4)));
    CHECK(px_members_at(&m, 6 + A - 1) == (S123 | N(4)));
    CHECK(px_members_at(&m, 6 + A) == 0);

    uint64_t before = 5 + A - 1, after = 5 + A;
    CHECK(px_members_is_quorum(&m, before, N(1) | N(2)));
    CHECK(!px_members_is_quorum(&m, before, N(3) | N(4))); /* 4 not a member yet */
    CHECK(!px_members_is_quorum(&m, before, N(4)));
    CHECK(!px_members_is_quorum(&m, after, N(1) | N(2))); /* 2 of 4 is no majority */
    CHECK(px_members_is_quorum(&m, after, N(1) | N(2) | N(4)));
    CHECK(px_members_is_quorum(&m, after, N(2) | N(3) | N(4)));
}

/* Removing node 3: from s + ALPHA its votes never count again. */
static void test_removed_votes_never_count(void)
{
    REQUIRE(px_members_init(&m, S123) == 0);
    CHECK(px_members_change(&m, 100, PX_MEMBER_REMOVE, 3) == 100 + A);
    px_members_advance(&m, 101);
    CHECK(px_members_is_quorum(&m, 100 + A - 1, N(1) | N(3))); /* still governed by {1,2,3} */
    CHECK(px_members_at(&m, 100 + A) == (N(1) | N(2)));
    CHECK(!px_members_is_quorum(&m, 100 + A, N(1) | N(3)));
    CHECK(!px_members_is_quorum(&m, 100 + A, N(3)));
    CHECK(px_members_is_quorum(&m, 100 + A, N(1) | N(2)));
    /* Later changes keep it out. */
    CHECK(px_members_change(&m, 100 + A, PX_MEMBER_ADD, 5) == 100 + 2 * A);
    px_members_advance(&m, 101 + A);
    CHECK(px_members_at(&m, 100 + 2 * A) == (N(1) | N(2) | N(5)));
    CHECK(!px_members_is_quorum(&m, 100 + 2 * A, N(1) | N(3)));
    CHECK(m.incarnation[3] == 0 && m.incarnation[5] == 1);
}

/* One change at a time: while a change has not taken effect, every other
 * change is refused (BUSY), also a second one in the same slot, and the
 * history does not move. */
static void test_one_change_at_a_time(void)
{
    REQUIRE(px_members_init(&m, S123) == 0);
    CHECK(px_members_change(&m, 7, PX_MEMBER_ADD, 4) == 7 + A);
    px_members saved = m;
    CHECK(px_members_change(&m, 7, PX_MEMBER_ADD, 5) == PX_MEMBER_BUSY);
    CHECK(memcmp(&m, &saved, sizeof m) == 0);
    for (uint64_t s = 8; s < 7 + A; s += 17) {
        CHECK(px_members_change(&m, s, PX_MEMBER_REMOVE, 1) == PX_MEMBER_BUSY);
        CHECK(px_members_after(&m, s, PX_MEMBER_REMOVE, 1) == 0);
    }
    CHECK(px_members_change(&m, 7 + A - 1, PX_MEMBER_ADD, 5) == PX_MEMBER_BUSY);
    CHECK(m.pending == saved.pending && m.pending_from == saved.pending_from);
    CHECK(m.incarnation[5] == 0);
    /* Once it governs, the next change starts from it. */
    uint32_t next = px_members_after(&m, 7 + A, PX_MEMBER_ADD, 5);
    CHECK(next == (S123 | N(4) | N(5)));
    CHECK(px_members_change(&m, 7 + A, PX_MEMBER_ADD, 5) == 7 + 2 * A);
    CHECK(m.current == (S123 | N(4)) && m.current_from == 7 + A);
    CHECK(m.pending == next);
}

/* Invalid changes are applied as nothing (every learner gives the same
 * result); a slot already folded is a caller bug. */
static void test_invalid_changes(void)
{
    REQUIRE(px_members_init(&m, S123) == 0);
    px_members_advance(&m, 20);
    px_members saved = m;
    CHECK(px_members_change(&m, 20, PX_MEMBER_ADD, 2) == PX_MEMBER_INVALID);
    CHECK(px_members_change(&m, 20, PX_MEMBER_REMOVE, 4) == PX_MEMBER_INVALID);
    CHECK(px_members_change(&m, 20, PX_MEMBER_ADD, 0) == PX_MEMBER_INVALID);
    CHECK(px_members_change(&m, 20, PX_MEMBER_ADD, 10) == PX_MEMBER_INVALID);
    CHECK(px_members_change(&m, 20, 0, 4) == PX_MEMBER_INVALID);
    CHECK(px_members_change(&m, 20, 3, 4) == PX_MEMBER_INVALID);
    CHECK(px_members_change(&m, (uint64_t)INT64_MAX, PX_MEMBER_ADD, 4) == PX_MEMBER_INVALID);
    CHECK(px_members_change(&m, 19, PX_MEMBER_ADD, 4) == PX_MEMBER_ORDER);
    CHECK(memcmp(&m, &saved, sizeof m) == 0);

    REQUIRE(px_members_init(&m, N(2)) == 0);
    CHECK(px_members_change(&m, 0, PX_MEMBER_REMOVE, 2) == PX_MEMBER_INVALID); /* the last one */
    CHECK(px_members_after(&m, 0, PX_MEMBER_REMOVE, 2) == 0);
    CHECK(m.current == N(2) && m.pending == 0);
}

/* What a phase 1 from `from` needs: a majority of the configuration
 * governing from and of a pending one that governs later slots. */
static void test_quorum_from(void)
{
    REQUIRE(px_members_init(&m, S123) == 0);
    CHECK(px_members_quorum_from(&m, 0, N(1) | N(2)));
    CHECK(!px_members_quorum_from(&m, 0, N(1) | N(4)));
    CHECK(px_members_change(&m, 50, PX_MEMBER_ADD, 4) == 50 + A);
    px_members_advance(&m, 60);
    CHECK(!px_members_quorum_from(&m, 40, N(1) | N(2)));       /* no majority of {1,2,3,4} */
    CHECK(px_members_quorum_from(&m, 40, N(1) | N(2) | N(4)));
    CHECK(!px_members_quorum_from(&m, 40, N(1) | N(4) | N(5))); /* no majority of {1,2,3} */
    CHECK(px_members_quorum_from(&m, 50 + A, N(1) | N(3) | N(4)));
    CHECK(!px_members_quorum_from(&m, 50 + A, N(1) | N(3)));
    /* Past the window: not known. */
    CHECK(!px_members_quorum_from(&m, 60 + A, PX_MEMBER_IDS));
    /* Below the current configuration's start: forgotten. */
    CHECK(px_members_change(&m, 50 + A, PX_MEMBER_ADD, 5) == 50 + 2 * A);
    CHECK(!px_members_quorum_from(&m, 40, PX_MEMBER_IDS));
    CHECK(px_members_at(&m, 40) == 0);
}

/* What GET /members shows: the configuration at upto, the slot of the
 * change that made it, and a change chosen but not in effect. */
static void test_now(void)
{
    uint64_t cs = 99;
    uint32_t pend = 99;
    REQUIRE(px_members_init(&m, S123) == 0);
    CHECK(px_members_now(&m, &cs, &pend) == S123 && cs == 0 && pend == 0);
    CHECK(px_members_change(&m, 30, PX_MEMBER_REMOVE, 1) == 30 + A);
    px_members_advance(&m, 31);
    CHECK(px_members_now(&m, &cs, &pend) == S123 && cs == 0 && pend == (N(2) | N(3)));
    px_members_advance(&m, 30 + A);
    CHECK(px_members_now(&m, &cs, &pend) == (N(2) | N(3)) && cs == 30 && pend == 0);
}

static void test_encode_round_trip(void)
{
    uint8_t buf[PX_MEMBERS_BYTES];
    px_members d;
    const char *why = NULL;

    REQUIRE(px_members_init(&m, S123) == 0);
    CHECK(px_members_change(&m, 3, PX_MEMBER_ADD, 9) == 3 + A);
    CHECK(px_members_change(&m, 3 + A, PX_MEMBER_REMOVE, 9) == 3 + 2 * A);
    CHECK(px_members_change(&m, 3 + 2 * A, PX_MEMBER_ADD, 9) == 3 + 3 * A);
    px_members_advance(&m, 4 + 2 * A);
    CHECK(m.incarnation[9] == 2);
    px_members_encode(&m, buf);
    memset(&d, 0xA5, sizeof d);
    REQUIRE(px_members_decode(&d, buf, sizeof buf, &why) == 0);
    CHECK(memcmp(&d, &m, sizeof m) == 0);
    CHECK(d.incarnation[9] == 2 && d.pending == (S123 | N(9)));
    CHECK(px_members_decode(&d, buf, sizeof buf - 1, &why) == -1);
    CHECK(why && strstr(why, "length"));
}

/* Encodes m with one field patched; returns the decoder's verdict. */
static const char *decode_patched(size_t off, uint64_t v, int width)
{
    uint8_t buf[PX_MEMBERS_BYTES];
    px_members d;
    const char *why = NULL;
    px_members_encode(&m, buf);
    for (int i = 0; i < width; i++) buf[off + (size_t)i] = (uint8_t)(v >> (8 * i));
    px_members saved = d = m;
    int rc = px_members_decode(&d, buf, sizeof buf, &why);
    if (rc == 0) return NULL;
    CHECK(memcmp(&d, &saved, sizeof d) == 0); /* untouched */
    return why ? why : "(no reason)";
}

static void test_decode_refusals(void)
{
    const char *why;
    REQUIRE(px_members_init(&m, S123) == 0);
    CHECK(px_members_change(&m, 40, PX_MEMBER_ADD, 4) == 40 + A);
    px_members_advance(&m, 41);
    CHECK(decode_patched(0, 41, 8) == NULL); /* the unpatched bytes pass */

    why = decode_patched(8, 0, 2); /* current empty */
    CHECK(why && strstr(why, "current members"));
    why = decode_patched(8, N(1) | 1u, 2); /* node 0 */
    CHECK(why && strstr(why, "current members"));
    why = decode_patched(10, 5, 8); /* current from a slot below ALPHA */
    CHECK(why && strstr(why, "current configuration"));
    why = decode_patched(18, S123 | N(4) | N(5), 2); /* two nodes in one change */
    CHECK(why && strstr(why, "one node"));
    why = decode_patched(18, 0, 2); /* pending slot, no pending members */
    CHECK(why && strstr(why, "pending slot"));
    why = decode_patched(20, 41 + A + 1, 8); /* made at a slot not folded */
    CHECK(why && strstr(why, "not folded"));
    why = decode_patched(0, 10, 8); /* upto below the change's slot */
    CHECK(why && strstr(why, "not folded"));

    /* Two changes at once: a pending one made before the current one took
     * effect. */
    REQUIRE(px_members_init(&m, S123) == 0);
    CHECK(px_members_change(&m, 10, PX_MEMBER_ADD, 4) == 10 + A);
    CHECK(px_members_change(&m, 10 + A, PX_MEMBER_ADD, 5) == 10 + 2 * A);
    px_members_advance(&m, 11 + A);
    CHECK(decode_patched(0, 11 + A, 8) == NULL);
    why = decode_patched(20, 10 + 2 * A - 1, 8);
    CHECK(why && strstr(why, "before the current one took effect"));
}

/* The model: every configuration ever made, as (from, members). */
typedef struct epoch {
    uint64_t from;
    uint32_t members;
} epoch;

static uint32_t model_at(const epoch *e, int n, uint64_t slot)
{
    uint32_t c = 0;
    for (int i = 0; i < n; i++)
        if (e[i].from <= slot) c = e[i].members;
    return c;
}

/* Random changes at random slots, checked slot by slot against the model:
 * the history must name the model's configuration for every slot it
 * claims to know, know every slot from the current configuration's start
 * to upto + ALPHA, and agree on which changes are refused. */
static void test_random_against_model(void)
{
    px_rng rng;
    int verdicts[3] = {0, 0, 0}; /* taken, busy, invalid */
    px_rng_seed(&rng, 15);
    for (int run = 0; run < 200; run++) {
        epoch e[4096];
        int n = 1;
        uint32_t init = (uint32_t)px_rng_range(&rng, 1, PX_MEMBER_IDS) & PX_MEMBER_IDS;
        if (!init) init = N(1);
        e[0] = (epoch){0, init};
        REQUIRE(px_members_init(&m, init) == 0);
        uint64_t slot = 0;
        for (int step = 0; step < 300 && n < 4000; step++) {
            slot += step ? px_rng_range(&rng, 1, A / 2) : 0;
            int op = (int)px_rng_range(&rng, 1, 2);
            uint32_t node = (uint32_t)px_rng_range(&rng, 1, PX_MAX_NODES);
            /* The model's verdict. */
            int64_t want;
            uint32_t eff = model_at(e, n, slot);
            uint32_t bit = N(node);
            if (e[n - 1].from > slot) want = PX_MEMBER_BUSY;
            else if (op == PX_MEMBER_ADD ? (eff & bit) != 0 : !(eff & bit) || eff == bit)
                want = PX_MEMBER_INVALID;
            else want = (int64_t)(slot + A);
            int64_t got = px_members_change(&m, slot, op, node);
            CHECK(got == want);
            if (got != want) return;
            verdicts[want > 0 ? 0 : want == PX_MEMBER_BUSY ? 1 : 2]++;
            if (want > 0) e[n++] = (epoch){slot + A, op == PX_MEMBER_ADD ? eff | bit : eff & ~bit};
            px_members_advance(&m, slot + 1);
            for (uint64_t t = m.current_from; t < m.upto + A + 3; t++) {
                uint32_t have = px_members_at(&m, t);
                if (t < m.upto + A) {
                    CHECK(have == model_at(e, n, t));
                    if (have != model_at(e, n, t)) return;
                } else {
                    CHECK(have == 0);
                }
            }
            uint8_t buf[PX_MEMBERS_BYTES];
            px_members d;
            const char *why = NULL;
            px_members_encode(&m, buf);
            CHECK(px_members_decode(&d, buf, sizeof buf, &why) == 0);
        }
    }
    /* The draws reach every verdict often enough to mean something. */
    CHECK(verdicts[0] > 5000 && verdicts[1] > 5000 && verdicts[2] > 2000);
}

int main(void)
{
    RUN(test_sets);
    RUN(test_initial_window);
    RUN(test_majority_table);
    RUN(test_add_governs_from_alpha);
    RUN(test_removed_votes_never_count);
    RUN(test_one_change_at_a_time);
    RUN(test_invalid_changes);
    RUN(test_quorum_from);
    RUN(test_now);
    RUN(test_encode_round_trip);
    RUN(test_decode_refusals);
    RUN(test_random_against_model);
    return check_summary();
}
