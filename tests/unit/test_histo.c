/* test_histo.c -- the fixed-bucket histograms the metrics are made of. */
#include <string.h>

#include <json-c/json.h>

#include "../../common/histo.h"
#include "check.h"

static const double le[] = {0.001, 0.01, 0.1};

/* Buckets are "<= le": a value on a bound counts in that bucket. */
static void test_buckets_inclusive(void)
{
    px_histo h;
    px_histo_init(&h, le, 3);
    px_histo_observe(&h, 0.001);
    px_histo_observe(&h, 0.0011);
    px_histo_observe(&h, 0.1);
    px_histo_observe(&h, 5);
    CHECK(h.in[0] == 1 && h.in[1] == 1 && h.in[2] == 1 && h.in[3] == 1 && h.count == 4);
    px_histo_observe_n(&h, 0, 3);
    CHECK(h.in[0] == 4 && h.count == 7);
}

/* The JSON the roles report: cumulative counts, sum, count, parseable. */
static void test_json_cumulative(void)
{
    px_histo h;
    char buf[512];
    px_histo_init(&h, le, 3);
    px_histo_observe(&h, 0.0005);
    px_histo_observe(&h, 0.05);
    px_histo_observe(&h, 0.05);
    px_histo_observe(&h, 7);
    json_object *o = json_tokener_parse(px_histo_json(&h, buf, sizeof buf));
    REQUIRE(o != NULL);
    json_object *counts, *bounds, *sum, *count;
    REQUIRE(json_object_object_get_ex(o, "counts", &counts));
    REQUIRE(json_object_object_get_ex(o, "le", &bounds));
    REQUIRE(json_object_object_get_ex(o, "sum", &sum));
    REQUIRE(json_object_object_get_ex(o, "count", &count));
    CHECK(json_object_array_length(counts) == 3 && json_object_array_length(bounds) == 3);
    CHECK(json_object_get_int64(json_object_array_get_idx(counts, 0)) == 1);
    CHECK(json_object_get_int64(json_object_array_get_idx(counts, 1)) == 1);
    CHECK(json_object_get_int64(json_object_array_get_idx(counts, 2)) == 3);
    CHECK(json_object_get_double(json_object_array_get_idx(bounds, 1)) == 0.01);
    CHECK(json_object_get_int64(count) == 4);
    CHECK(json_object_get_double(sum) > 7.1004 && json_object_get_double(sum) < 7.1006);
    json_object_put(o);
}

/* Too small a buffer gives JSON null, never a cut object. */
static void test_json_too_small(void)
{
    px_histo h;
    char buf[24];
    px_histo_init(&h, px_histo_seconds_fsync, px_histo_seconds_fsync_n);
    CHECK(strcmp(px_histo_json(&h, buf, sizeof buf), "null") == 0);
}

int main(void)
{
    RUN(test_buckets_inclusive);
    RUN(test_json_cumulative);
    RUN(test_json_too_small);
    return check_summary();
}
