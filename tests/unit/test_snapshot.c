/* test_snapshot.c -- the learner snapshot format (learner/snapshot.c):
 * the exact byte layout, round trips, and that every truncation, bit flip
 * and corrupt field is refused with a reason. */
#include "learner/snapshot.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>

static char err[256];

/* A small state: 3 entries (by client), 5 list elements, slot 9. */
static const int64_t small_list[5] = {10, -1, 12, INT64_MIN, INT64_MAX};
static const dedup_entry small_dd[3] = {
    {.client = 2, .seq = 1, .slot = 0, .result = 0},
    {.client = 7, .seq = 5, .slot = 8, .result = 4},
    {.client = UINT64_MAX, .seq = 3, .slot = 3, .result = 2},
};

static px_snap_src small_src(void)
{
    px_snap_src s = {.slot = 9, .list = small_list, .list_len = 5, .dedup = small_dd,
                     .dedup_n = 3};
    s.crc = px_snap_crc(&s);
    return s;
}

/* The whole serialization in a malloc'd buffer of *len bytes. */
static uint8_t *serialize(const px_snap_src *s, size_t *len)
{
    *len = (size_t)px_snap_size(s->list_len, s->dedup_n);
    uint8_t *b = malloc(*len);
    if (b && px_snap_read(s, 0, b, *len) != *len) {
        free(b);
        return NULL;
    }
    return b;
}

/* Rewrite the trailing CRC after a field was changed on purpose. */
static void restamp(uint8_t *b, size_t len)
{
    px_put32(b + len - 4, px_crc32c(0, b, len - 4));
}

static int refused(const uint8_t *b, size_t len, uint64_t dedup_max, const char *why)
{
    px_snap_view v;
    err[0] = 0;
    if (px_snap_parse(b, len, dedup_max, &v, err, sizeof err) == 0) {
        fprintf(stderr, "  accepted, expected '%s'\n", why);
        return 0;
    }
    if (!strstr(err, why)) {
        fprintf(stderr, "  reason '%s' lacks '%s'\n", err, why);
        return 0;
    }
    return 1;
}

static void test_layout(void)
{
    px_snap_src s = small_src();
    size_t len;
    uint8_t *b = serialize(&s, &len);
    REQUIRE(b);
    CHECK(len == 40 + 3 * 32 + 5 * 8 + 4);
    /* Built by hand from the format in snapshot.h. */
    uint8_t want[180];
    memcpy(want, "PXSNAP\0\1", 8);
    px_put32(want + 8, 1);
    px_put32(want + 12, 0);
    px_put64(want + 16, 9);
    px_put64(want + 24, 5);
    px_put64(want + 32, 3);
    for (int i = 0; i < 3; i++) {
        uint8_t *p = want + 40 + 32 * i;
        px_put64(p, small_dd[i].client);
        px_put64(p + 8, small_dd[i].seq);
        px_put64(p + 16, small_dd[i].slot);
        px_put64(p + 24, (uint64_t)small_dd[i].result);
    }
    for (int i = 0; i < 5; i++) px_put64(want + 136 + 8 * i, (uint64_t)small_list[i]);
    px_put32(want + 176, px_crc32c(0, want, 176));
    REQUIRE(len == sizeof want);
    CHECK(memcmp(b, want, len) == 0);
    CHECK(s.crc == px_get32(want + 176));
    free(b);
}

static void test_read_pieces(void)
{
    px_snap_src s = small_src();
    size_t len;
    uint8_t *whole = serialize(&s, &len);
    REQUIRE(whole);
    /* Every piece size, from every offset, gives the same bytes. */
    for (size_t piece = 1; piece <= len + 1; piece++) {
        uint8_t buf[256];
        size_t off = 0;
        while (off < len) {
            size_t got = px_snap_read(&s, off, buf + off, piece);
            if (got == 0) break;
            off += got;
        }
        CHECK(off == len && memcmp(buf, whole, len) == 0);
    }
    uint8_t tail[16];
    CHECK(px_snap_read(&s, len - 3, tail, sizeof tail) == 3);
    CHECK(memcmp(tail, whole + len - 3, 3) == 0);
    CHECK(px_snap_read(&s, len, tail, sizeof tail) == 0);
    CHECK(px_snap_read(&s, UINT64_MAX, tail, sizeof tail) == 0);
    free(whole);
}

static void test_round_trip(void)
{
    /* Large enough to span many transfer chunks. */
    size_t L = 5000, D = 300;
    int64_t *list = malloc(L * sizeof *list);
    dedup_entry *dd = malloc(D * sizeof *dd);
    REQUIRE(list && dd);
    for (size_t i = 0; i < L; i++) list[i] = (int64_t)(i * 2654435761u) - 7;
    for (size_t i = 0; i < D; i++)
        dd[i] = (dedup_entry){.client = 3 * i + 1, .seq = i + 1, .slot = i, .result = (int64_t)i};
    px_snap_src s = {.slot = 4000, .list = list, .list_len = L, .dedup = dd, .dedup_n = D};
    s.crc = px_snap_crc(&s);
    size_t len;
    uint8_t *b = serialize(&s, &len);
    REQUIRE(b);
    px_snap_view v;
    REQUIRE(px_snap_parse(b, len, D, &v, err, sizeof err) == 0);
    CHECK(v.slot == 4000 && v.list_len == L && v.dedup_n == D && v.crc == s.crc);
    for (size_t i = 0; i < L; i++) CHECK(px_snap_value(&v, i) == list[i]);
    for (size_t i = 0; i < D; i++) {
        dedup_entry e;
        px_snap_entry(&v, i, &e);
        CHECK(memcmp(&e, &dd[i], sizeof e) == 0);
    }
    /* Exactly dedup_max entries is fine, one more is not. */
    CHECK(refused(b, len, D - 1, "more than dedup_max"));
    /* An empty state is a valid snapshot too. */
    px_snap_src e = {.slot = 1};
    e.crc = px_snap_crc(&e);
    uint8_t eb[PX_SNAP_MIN];
    CHECK(px_snap_read(&e, 0, eb, sizeof eb) == PX_SNAP_MIN);
    CHECK(px_snap_parse(eb, sizeof eb, 0, &v, err, sizeof err) == 0 && v.slot == 1 &&
          v.list_len == 0 && v.dedup_n == 0);
    free(b);
    free(list);
    free(dd);
}

static void test_truncations_refused(void)
{
    px_snap_src s = small_src();
    size_t len;
    uint8_t *b = serialize(&s, &len);
    REQUIRE(b);
    for (size_t n = 0; n < len; n++) {
        px_snap_view v;
        CHECK(px_snap_parse(b, n, 100, &v, err, sizeof err) == -1);
        CHECK(err[0] != 0);
    }
    CHECK(refused(b, 10, 100, "truncated"));
    CHECK(refused(b, len - 1, 100, "truncated"));
    /* A byte too many is refused as well. */
    uint8_t *longer = malloc(len + 1);
    REQUIRE(longer);
    memcpy(longer, b, len);
    longer[len] = 0;
    CHECK(refused(longer, len + 1, 100, "size mismatch"));
    free(longer);
    free(b);
}

static void test_bit_flips_refused(void)
{
    px_snap_src s = small_src();
    size_t len;
    uint8_t *b = serialize(&s, &len);
    REQUIRE(b);
    px_snap_view v;
    REQUIRE(px_snap_parse(b, len, 100, &v, err, sizeof err) == 0);
    size_t crc_reasons = 0;
    for (size_t bit = 0; bit < len * 8; bit++) {
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(px_snap_parse(b, len, 100, &v, err, sizeof err) == -1);
        crc_reasons += strstr(err, "CRC mismatch") != NULL;
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* Everything past the header's counts is caught by the CRC itself. */
    CHECK(crc_reasons >= (len - 40) * 8);
    CHECK(px_snap_parse(b, len, 100, &v, err, sizeof err) == 0);
    free(b);
}

/* Fields that a valid CRC does not make right. */
static void test_corrupt_fields_refused(void)
{
    px_snap_src s = small_src();
    size_t len;
    uint8_t *orig = serialize(&s, &len);
    REQUIRE(orig);
    uint8_t *b = malloc(len);
    REQUIRE(b);
    const size_t e1 = 40 + 32; /* entry 1 (client 7) */

#define CASE(edit, why)                                                      \
    do {                                                                     \
        memcpy(b, orig, len);                                                \
        edit;                                                                \
        restamp(b, len);                                                     \
        CHECK(refused(b, len, 100, why));                                    \
    } while (0)

    CASE(b[0] = 'Q', "bad magic");
    CASE(b[7] = 2, "bad magic");
    CASE(px_put32(b + 8, 2), "unknown format 2");
    CASE(px_put32(b + 12, 1), "reserved");
    CASE(px_put64(b + 16, 0), "slot is 0");
    CASE(px_put64(b + 24, 6), "size mismatch");
    CASE(px_put64(b + 24, UINT64_MAX / 4), "size mismatch");
    CASE(px_put64(b + 32, 2), "size mismatch");
    CASE(px_put64(b + 32, UINT64_MAX), "size mismatch");
    CASE(px_put64(b + e1 + 8, 0), "seq 0");
    CASE(px_put64(b + e1, 2), "client 2 appears twice");
    CASE(px_put64(b + e1, 1), "out of order");
    CASE(px_put64(b + e1 + 16, 9), "not below the snapshot");
    CASE(px_put64(b + e1 + 24, (uint64_t)-1), "result -1 outside the list");
    CASE(px_put64(b + e1 + 24, 5), "result 5 outside the list");
#undef CASE
    /* The untouched original still parses, and a bad CRC says so. */
    px_snap_view v;
    CHECK(px_snap_parse(orig, len, 100, &v, err, sizeof err) == 0);
    orig[len - 1] ^= 0x80;
    CHECK(refused(orig, len, 100, "CRC mismatch"));
    /* Too many entries for this learner's table. */
    orig[len - 1] ^= 0x80;
    CHECK(refused(orig, len, 2, "3 dedup entries, more than dedup_max 2"));
    free(b);
    free(orig);
}

static void test_size(void)
{
    CHECK(px_snap_size(0, 0) == PX_SNAP_MIN);
    CHECK(px_snap_size(5, 3) == 180);
    CHECK(px_snap_size(UINT64_MAX, 0) == UINT64_MAX);
    CHECK(px_snap_size(0, UINT64_MAX) == UINT64_MAX);
    CHECK(px_snap_size(UINT64_MAX / 8, 1) == UINT64_MAX);
}

int main(void)
{
    RUN(test_layout);
    RUN(test_read_pieces);
    RUN(test_round_trip);
    RUN(test_truncations_refused);
    RUN(test_bit_flips_refused);
    RUN(test_corrupt_fields_refused);
    RUN(test_size);
    return check_summary();
}
