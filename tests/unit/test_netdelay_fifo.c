/* test_netdelay_fifo.c -- the packets paxos-netdelay holds
 * (tools/netdelay/fifo.c): each leaves when due and not before, oldest
 * first; the ring is bounded, wraps around, refuses a due time that would
 * break the order, and gives everything up at once when forced. */
#include "tools/netdelay/fifo.h"
#include "check.h"

static void test_due_in_order(void)
{
    nd_fifo f;
    REQUIRE(nd_fifo_init(&f, 8) == 0);
    nd_held p;
    CHECK(nd_fifo_next_due(&f) == UINT64_MAX);
    CHECK(!nd_fifo_take(&f, 1000, 0, &p));
    REQUIRE(nd_fifo_push(&f, 7, 100) == 0);
    REQUIRE(nd_fifo_push(&f, 8, 100) == 0);
    REQUIRE(nd_fifo_push(&f, 9, 150) == 0);
    CHECK(nd_fifo_next_due(&f) == 100);
    CHECK(!nd_fifo_take(&f, 99, 0, &p)); /* not a nanosecond early */
    REQUIRE(nd_fifo_take(&f, 100, 0, &p));
    CHECK(p.id == 7 && p.due_ns == 100);
    REQUIRE(nd_fifo_take(&f, 100, 0, &p));
    CHECK(p.id == 8);
    CHECK(!nd_fifo_take(&f, 149, 0, &p));
    CHECK(nd_fifo_next_due(&f) == 150);
    REQUIRE(nd_fifo_take(&f, 151, 0, &p));
    CHECK(p.id == 9);
    CHECK(f.n == 0 && nd_fifo_next_due(&f) == UINT64_MAX);
    nd_fifo_free(&f);
}

static void test_bounded(void)
{
    nd_fifo f;
    REQUIRE(nd_fifo_init(&f, 3) == 0);
    for (uint32_t i = 0; i < 3; i++) REQUIRE(nd_fifo_push(&f, i, 10 + i) == 0);
    CHECK(nd_fifo_push(&f, 3, 20) == -1);
    CHECK(f.n == 3);
    nd_held p;
    REQUIRE(nd_fifo_take(&f, 10, 0, &p));
    CHECK(p.id == 0);
    CHECK(nd_fifo_push(&f, 3, 20) == 0); /* room again */
    nd_fifo_free(&f);
    CHECK(nd_fifo_init(&f, 0) == -1);
}

/* Many times around the ring: every packet comes out once, in order. */
static void test_wraps(void)
{
    nd_fifo f;
    REQUIRE(nd_fifo_init(&f, 5) == 0);
    uint32_t next_in = 0, next_out = 0;
    int ok = 1;
    for (uint64_t t = 0; t < 1000; t++) {
        while (f.n < 4) ok &= nd_fifo_push(&f, next_in++, t + 3) == 0;
        nd_held p;
        while (nd_fifo_take(&f, t, 0, &p)) {
            ok &= p.id == next_out++ && p.due_ns <= t;
        }
    }
    CHECK(ok);
    CHECK(next_out > 900 && next_in - next_out == f.n);
    nd_fifo_free(&f);
}

static void test_order_kept(void)
{
    nd_fifo f;
    REQUIRE(nd_fifo_init(&f, 4) == 0);
    REQUIRE(nd_fifo_push(&f, 1, 200) == 0);
    CHECK(nd_fifo_push(&f, 2, 199) == -1); /* would have to leave first */
    CHECK(f.n == 1);
    nd_fifo_free(&f);
}

static void test_force_releases_all(void)
{
    nd_fifo f;
    REQUIRE(nd_fifo_init(&f, 4) == 0);
    REQUIRE(nd_fifo_push(&f, 1, 500) == 0);
    REQUIRE(nd_fifo_push(&f, 2, 900) == 0);
    nd_held p;
    CHECK(!nd_fifo_take(&f, 0, 0, &p));
    REQUIRE(nd_fifo_take(&f, 0, 1, &p));
    CHECK(p.id == 1);
    REQUIRE(nd_fifo_take(&f, 0, 1, &p));
    CHECK(p.id == 2);
    CHECK(!nd_fifo_take(&f, 0, 1, &p));
    nd_fifo_free(&f);
}

int main(void)
{
    RUN(test_due_in_order);
    RUN(test_bounded);
    RUN(test_wraps);
    RUN(test_order_kept);
    RUN(test_force_releases_all);
    return check_summary();
}
