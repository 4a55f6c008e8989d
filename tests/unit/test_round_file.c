/* test_round_file.c -- proposer.state (proposer/round_file.c): a missing
 * file is round 0, a stored round reads back, and every kind of damage is
 * refused with the file named -- never read as round 0. */
#include "proposer/round_file.h"
#include "common/types.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static void fresh_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/px-round-XXXXXX");
    if (!mkdtemp(dir)) abort();
    snprintf(path, sizeof path, "%s/%s", dir, PROP_ROUND_FILE);
}

static void rm_dir(void)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp);
    unlink(path);
    rmdir(dir);
}

static void test_missing_is_zero_and_roundtrip(void)
{
    fresh_dir();
    char err[1024] = "";
    uint64_t r = 99;
    CHECK(prop_round_load(dir, &r, err, sizeof err) == 0 && r == 0);
    CHECK(prop_round_store(dir, 7, 1, err, sizeof err) == 0);
    CHECK(prop_round_load(dir, &r, err, sizeof err) == 0 && r == 7);
    CHECK(prop_round_store(dir, 0x123456789abcull, 0, err, sizeof err) == 0); /* no fsync */
    CHECK(prop_round_load(dir, &r, err, sizeof err) == 0 && r == 0x123456789abcull);
    /* A leftover tmp file from an interrupted replace changes nothing. */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    REQUIRE(f);
    fputs("junk", f);
    fclose(f);
    CHECK(prop_round_load(dir, &r, err, sizeof err) == 0 && r == 0x123456789abcull);
    CHECK(prop_round_store(dir, 8, 1, err, sizeof err) == 0);
    CHECK(access(tmp, F_OK) != 0); /* renamed over the real file */
    rm_dir();
}

/* Writes the valid file for round 5, then applies damage. */
static void damaged(long off, int flip, long truncate_to, const char *want)
{
    fresh_dir();
    char err[1024] = "";
    uint64_t r = 42;
    REQUIRE(prop_round_store(dir, 5, 1, err, sizeof err) == 0);
    FILE *f = fopen(path, "r+b");
    REQUIRE(f);
    if (flip) {
        fseek(f, off, SEEK_SET);
        int c = fgetc(f);
        fseek(f, off, SEEK_SET);
        fputc(c ^ 0xff, f);
    }
    if (off < 0) { /* append a byte */
        fseek(f, 0, SEEK_END);
        fputc(0, f);
    }
    fclose(f);
    if (truncate_to >= 0) REQUIRE(truncate(path, truncate_to) == 0);
    CHECK(prop_round_load(dir, &r, err, sizeof err) == -1);
    CHECK(strstr(err, path) != NULL && strstr(err, want) != NULL);
    CHECK(strstr(err, "refusing to start") != NULL);
    rm_dir();
}

static void test_damage_refused(void)
{
    damaged(0, 1, -1, "bad magic");
    damaged(4, 1, -1, "unknown version");
    damaged(8, 1, -1, "bad CRC");  /* the round itself */
    damaged(17, 1, -1, "bad CRC"); /* the CRC */
    damaged(0, 0, 12, "wrong size");
    damaged(0, 0, 0, "wrong size"); /* empty */
    damaged(-1, 0, -1, "wrong size"); /* one byte too many */
}

/* A round above the ceiling no proposer reaches is refused like damage;
 * the ceiling itself is a real round. */
static void test_round_ceiling(void)
{
    fresh_dir();
    char err[1024] = "";
    uint64_t r = 42;
    REQUIRE(prop_round_store(dir, PX_MAX_ROUND, 1, err, sizeof err) == 0);
    CHECK(prop_round_load(dir, &r, err, sizeof err) == 0 && r == PX_MAX_ROUND);
    REQUIRE(prop_round_store(dir, PX_MAX_ROUND + 1, 1, err, sizeof err) == 0);
    r = 42;
    CHECK(prop_round_load(dir, &r, err, sizeof err) == -1 && r == 0);
    CHECK(strstr(err, path) != NULL && strstr(err, "above the ceiling") != NULL);
    CHECK(strstr(err, "refusing to start") != NULL);
    REQUIRE(prop_round_store(dir, UINT64_MAX, 1, err, sizeof err) == 0);
    CHECK(prop_round_load(dir, &r, err, sizeof err) == -1);
    rm_dir();
}

int main(void)
{
    RUN(test_missing_is_zero_and_roundtrip);
    RUN(test_damage_refused);
    RUN(test_round_ceiling);
    return check_summary();
}
