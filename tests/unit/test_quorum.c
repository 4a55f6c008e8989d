/* test_quorum.c -- majority sizes and ack counting.  The expectations are
 * written so the quorum_too_small mutant (n/2) fails them: any two quorums
 * of n acceptors must share at least one acceptor. */
#include "common/quorum.h"
#include "common/rng.h"
#include "common/types.h"
#include "tests/unit/check.h"

static void test_quorum_table(void)
{
    static const uint32_t want[PX_MAX_NODES + 1] = {0, 1, 2, 2, 3, 3, 4, 4, 5, 5};

    for (uint32_t n = 1; n <= PX_MAX_NODES; n++) {
        if (px_quorum(n) != want[n]) fprintf(stderr, "quorum(%u) = %u\n", n, px_quorum(n));
        CHECK(px_quorum(n) == want[n]);
    }
    CHECK(px_quorum(3) == 2);
    CHECK(px_quorum(4) == 3);
    CHECK(px_quorum(5) == 3);
}

/* The property the table encodes: two quorums always intersect, and a
 * quorum remains when a minority is down. */
static void test_quorums_intersect(void)
{
    for (uint32_t n = 1; n <= PX_MAX_NODES; n++) {
        CHECK(2 * px_quorum(n) > n);
        CHECK(px_quorum(n) <= n);
        CHECK(n - (n - 1) / 2 >= px_quorum(n)); /* tolerates floor((n-1)/2) failures */
    }
}

static void test_acks_count(void)
{
    CHECK(px_acks_count(0) == 0);
    CHECK(px_acks_count(1u << 1) == 1);
    CHECK(px_acks_count(0x6) == 2);
    CHECK(px_acks_count(0x3FE) == 9);
    CHECK(px_acks_count(0xFFFFFFFFu) == 32);
    CHECK(px_acks_count(0x80000001u) == 2);
}

static void test_role_names(void)
{
    CHECK(px_role_name(PX_ROLE_ACCEPTOR)[0] == 'a');
    CHECK(px_role_name(PX_ROLE_GATEWAY)[0] == 'g');
    CHECK(px_role_name(0)[0] == 'u');
}

/* rng lives in the same core and has no test of its own: determinism and
 * range bounds are what the simulator relies on. */
static void test_rng(void)
{
    px_rng a, b;
    int seen[7] = {0};

    px_rng_seed(&a, 42);
    px_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) CHECK(px_rng_next(&a) == px_rng_next(&b));
    px_rng_seed(&b, 43);
    CHECK(px_rng_next(&a) != px_rng_next(&b));
    for (int i = 0; i < 7000; i++) {
        uint64_t v = px_rng_range(&a, 10, 16);
        REQUIRE(v >= 10 && v <= 16);
        seen[v - 10]++;
    }
    for (int i = 0; i < 7; i++) CHECK(seen[i] > 800 && seen[i] < 1200);
    CHECK(px_rng_range(&a, 5, 5) == 5);
    (void)px_rng_range(&a, 0, UINT64_MAX);
}

int main(void)
{
    RUN(test_quorum_table);
    RUN(test_quorums_intersect);
    RUN(test_acks_count);
    RUN(test_role_names);
    RUN(test_rng);
    return check_summary();
}
