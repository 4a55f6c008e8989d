/* test_delayq.c -- the queue of frames send faults hold back
 * (common/delayq.c): each leaves when due, oldest first; a reordered one
 * leaves right behind the next frame to its destination; the queue is
 * bounded and owns its copies. */
#include "common/delayq.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static px_delayq q;

static int take_due(uint64_t now, px_delayed *d)
{
    return px_delayq_take(&q, now, 0, 0, d);
}

static void test_due_in_order(void)
{
    px_delayq_init(&q);
    uint8_t a[] = "first", b[] = "second", c[] = "third";
    CHECK(q.next_due == UINT64_MAX);
    REQUIRE(px_delayq_push(&q, 120, 1, 2, 0, a, sizeof a) == 0);
    REQUIRE(px_delayq_push(&q, 100, 1, 3, 0, b, sizeof b) == 0);
    REQUIRE(px_delayq_push(&q, 120, 1, 2, 0, c, sizeof c) == 0);
    a[0] = 'X'; /* the queue holds its own copy */
    CHECK(q.next_due == 100);
    px_delayed d;
    CHECK(!take_due(99, &d));
    REQUIRE(take_due(100, &d));
    CHECK(d.node == 3 && d.len == sizeof b && memcmp(d.frame, "second", 7) == 0);
    free(d.frame);
    CHECK(q.next_due == 120);
    CHECK(!take_due(119, &d));
    /* two due at once: the older first */
    REQUIRE(take_due(500, &d));
    CHECK(memcmp(d.frame, "first", 6) == 0 && d.role == 1 && d.node == 2);
    free(d.frame);
    REQUIRE(take_due(500, &d));
    CHECK(memcmp(d.frame, "third", 6) == 0);
    free(d.frame);
    CHECK(!take_due(500, &d) && q.n == 0 && q.next_due == UINT64_MAX);
    px_delayq_free(&q);
}

static void test_reordered_waits_for_its_destination(void)
{
    px_delayq_init(&q);
    uint8_t f[4] = {1, 2, 3, 4};
    REQUIRE(px_delayq_push(&q, 1000, 2, 1, 1, f, sizeof f) == 0); /* behind the next to (2,1) */
    REQUIRE(px_delayq_push(&q, 1000, 2, 2, 1, f, sizeof f) == 0);
    REQUIRE(px_delayq_push(&q, 1000, 2, 1, 0, f, sizeof f) == 0); /* merely delayed */
    px_delayed d;
    /* a frame to another destination releases nothing of (2,1) */
    CHECK(!px_delayq_take(&q, 0, 3, 1, &d));
    REQUIRE(px_delayq_take(&q, 0, 2, 1, &d));
    CHECK(d.role == 2 && d.node == 1 && d.after_next);
    free(d.frame);
    CHECK(!px_delayq_take(&q, 0, 2, 1, &d)); /* the delayed one waits for its time */
    REQUIRE(px_delayq_take(&q, 0, 2, 2, &d));
    free(d.frame);
    /* ... and a reordered one leaves at its deadline even if nothing follows */
    REQUIRE(px_delayq_push(&q, 1000, 2, 3, 1, f, sizeof f) == 0);
    REQUIRE(take_due(1000, &d));
    free(d.frame);
    REQUIRE(take_due(1000, &d));
    CHECK(d.node == 3);
    free(d.frame);
    CHECK(q.n == 0);
    px_delayq_free(&q);
}

static void test_bounded(void)
{
    px_delayq_init(&q);
    uint8_t f[1] = {0};
    for (int i = 0; i < PX_DELAYQ_MAX; i++) REQUIRE(px_delayq_push(&q, 5, 1, 1, 0, f, 1) == 0);
    CHECK(px_delayq_push(&q, 5, 1, 1, 0, f, 1) == -1);
    CHECK(q.n == PX_DELAYQ_MAX);
    px_delayq_free(&q); /* frees every copy (ASan would say otherwise) */
    CHECK(q.n == 0 && q.v == NULL);
}

int main(void)
{
    RUN(test_due_in_order);
    RUN(test_reordered_waits_for_its_destination);
    RUN(test_bounded);
    return check_summary();
}
