/* test_store.c -- the acceptor's durable log: round trip, torn tails cut at
 * every byte, corruption refused untouched, foreign files refused, version 1
 * logs read and upgraded, rewrites (atomic replace, leftover .tmp removed,
 * refused while records are not durable). */
#include "acceptor/store.h"
#include "check.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64]; /* mkdtemp dir, removed at the end */
static char err[512], info[512];

/* ---- records --------------------------------------------------------- */

/* Record i: every third a PROMISE, of the others every seventh a TRIM, the
 * rest ACCEPTs of 0..PX_MAX_BATCH commands, with fields that use all 64
 * bits and negative values. */
static acc_record rec(int i)
{
    acc_record r;
    memset(&r, 0, sizeof(r));
    r.ballot.round = (uint64_t)i * 0x100000001ull + 1;
    r.ballot.node = (uint32_t)(i % 9) + 1;
    if (i % 3 == 0) {
        r.type = ACC_REC_PROMISE;
        return r;
    }
    if (i % 7 == 0) {
        r.type = ACC_REC_TRIM;
        r.slot = ((uint64_t)i << 40) | 0x5A5A;
        return r;
    }
    r.type = ACC_REC_ACCEPT;
    r.slot = (uint64_t)i << 20;
    r.value.n = (uint16_t)(i % (PX_MAX_BATCH + 1));
    for (int k = 0; k < r.value.n; k++) {
        r.value.cmds[k].kind = (uint8_t)(k % 2 + 1);
        r.value.cmds[k].client = 0xC0FFEE00000000ull + (uint64_t)i;
        r.value.cmds[k].seq = (uint64_t)k + 1;
        r.value.cmds[k].value = -(int64_t)i * 1000 - k;
    }
    return r;
}

static int rec_eq(const acc_record *a, const acc_record *b)
{
    if (a->type != b->type || px_ballot_cmp(a->ballot, b->ballot) != 0) return 0;
    if (a->type == ACC_REC_PROMISE) return 1;
    if (a->slot != b->slot) return 0;
    if (a->type == ACC_REC_TRIM) return b->value.n == 0;
    if (a->value.n != b->value.n) return 0;
    for (int k = 0; k < a->value.n; k++) {
        const px_cmd *x = &a->value.cmds[k], *y = &b->value.cmds[k];
        if (x->kind != y->kind || x->client != y->client || x->seq != y->seq ||
            x->value != y->value)
            return 0;
    }
    return 1;
}

/* What a replay delivered. */
typedef struct seen {
    acc_record *v;
    size_t n, cap;
} seen;

static void on_record(void *arg, const acc_record *r)
{
    seen *s = arg;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (s->v == NULL) abort();
    }
    s->v[s->n++] = *r;
}

/* ---- files ------------------------------------------------------------- */

static void path_of(char *buf, size_t len, const char *sub, const char *file)
{
    snprintf(buf, len, "%s/%s%s%s", root, sub, file ? "/" : "", file ? file : "");
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) abort();
    if (len && fwrite(b, 1, len, f) != len) abort();
    fclose(f);
}

static void rmdir_all(const char *sub)
{
    char p[256];
    path_of(p, sizeof(p), sub, "acceptor.log");
    unlink(p);
    path_of(p, sizeof(p), sub, "acceptor.log.tmp");
    unlink(p);
    path_of(p, sizeof(p), sub, NULL);
    rmdir(p);
}

static struct acc_store *open_sub(const char *sub, int fsync_on, seen *s)
{
    char d[256];
    path_of(d, sizeof(d), sub, NULL);
    if (s) s->n = 0;
    return acc_store_open(d, fsync_on, s ? on_record : NULL, s, err, sizeof(err), info,
                          sizeof(info));
}

/* Writes records [0, n) to a fresh log in sub.  With offs, one record per
 * append and each one's starting offset noted; without, uneven batches of
 * 1..7 records per append, each followed by a sync (group commit). */
static int write_log(const char *sub, int n, int fsync_on, uint64_t *offs)
{
    struct acc_store *st = open_sub(sub, fsync_on, NULL);
    if (st == NULL) return -1;
    acc_record batch[7];
    for (int i = 0; i < n;) {
        int k = offs ? 1 : 1 + i % 7;
        if (k > n - i) k = n - i;
        for (int j = 0; j < k; j++) batch[j] = rec(i + j);
        if (offs) offs[i] = acc_store_size(st);
        if (acc_store_append(st, batch, (size_t)k, err, sizeof(err)) < 0 ||
            acc_store_sync(st, err, sizeof(err)) < 0) {
            acc_store_close(st);
            return -1;
        }
        i += k;
    }
    acc_store_close(st);
    return 0;
}

/* ---- tests ------------------------------------------------------------- */

static void test_new_and_empty(void)
{
    seen s = {0};
    struct acc_store *st = open_sub("new", 1, &s);
    REQUIRE(st != NULL);
    CHECK(info[0] == 0 && s.n == 0);
    CHECK(acc_store_records(st) == 0 && acc_store_size(st) == 8);
    CHECK(acc_store_sync(st, err, sizeof(err)) == 0 && acc_store_syncs(st) == 0);
    acc_store_close(st);
    st = open_sub("new", 1, &s);
    REQUIRE(st != NULL);
    CHECK(acc_store_records(st) == 0);
    acc_store_close(st);

    /* An existing empty file gets a header. */
    char p[256];
    path_of(p, sizeof(p), "new", "acceptor.log");
    spit(p, NULL, 0);
    st = open_sub("new", 1, &s);
    REQUIRE(st != NULL);
    CHECK(acc_store_size(st) == 8);
    acc_store_close(st);
    /* A header cut short by a crash at creation is rewritten. */
    spit(p, (const unsigned char *)"PXA", 3);
    st = open_sub("new", 1, &s);
    REQUIRE(st != NULL);
    CHECK(strstr(info, "header") != NULL);
    acc_store_close(st);
    free(s.v);
    rmdir_all("new");
}

static void test_round_trip(void)
{
    enum { N = 1000 };
    seen s = {0};
    REQUIRE(write_log("rt", N, 1, NULL) == 0);
    struct acc_store *st = open_sub("rt", 1, &s);
    REQUIRE(st != NULL);
    CHECK(info[0] == 0);
    REQUIRE(s.n == N);
    for (int i = 0; i < N; i++) {
        acc_record r = rec(i);
        if (!rec_eq(&s.v[i], &r)) {
            CHECK(rec_eq(&s.v[i], &r));
            break;
        }
    }
    CHECK(acc_store_records(st) == N);
    char p[256];
    struct stat sb;
    path_of(p, sizeof(p), "rt", "acceptor.log");
    CHECK(stat(p, &sb) == 0 && (uint64_t)sb.st_size == acc_store_size(st));

    /* Appends after a reopen land after the replayed records; syncs are
     * counted only when something is pending. */
    acc_record r = rec(N);
    CHECK(acc_store_append(st, &r, 1, err, sizeof(err)) == 0);
    CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
    CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
    CHECK(acc_store_syncs(st) == 1);
    acc_store_close(st);
    st = open_sub("rt", 0, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == N + 1 && rec_eq(&s.v[N], &r));
    acc_store_close(st);
    free(s.v);
    rmdir_all("rt");
}

/* Cut the log at every byte inside its last record: the earlier records
 * come back, the tail is cut and reported, and the log takes appends. */
static void test_torn_tail(void)
{
    enum { N = 6 };
    uint64_t offs[N];
    char p[256], want[128];
    size_t len;
    seen s = {0};
    REQUIRE(write_log("torn", N, 0, offs) == 0);
    path_of(p, sizeof(p), "torn", "acceptor.log");
    unsigned char *good = slurp(p, &len);
    REQUIRE(good != NULL);
    uint64_t last = offs[N - 1];
    REQUIRE(len > last + 12);
    snprintf(want, sizeof(want), "truncated torn tail at offset %llu",
             (unsigned long long)last);

    for (size_t cut = (size_t)last + 1; cut < len; cut++) {
        spit(p, good, cut);
        struct acc_store *st = open_sub("torn", 0, &s);
        REQUIRE(st != NULL);
        CHECK(s.n == N - 1 && strstr(info, want) != NULL);
        CHECK(acc_store_size(st) == last && acc_store_records(st) == N - 1);
        acc_record r = rec(N - 1);
        CHECK(acc_store_append(st, &r, 1, err, sizeof(err)) == 0);
        acc_store_close(st);
        st = open_sub("torn", 0, &s);
        REQUIRE(st != NULL);
        CHECK(s.n == N && info[0] == 0 && rec_eq(&s.v[N - 1], &r));
        acc_store_close(st);
        if (check_cur_failed) break;
    }

    /* A damaged last record, and zeros after the last record, are torn
     * tails too: nothing valid follows them. */
    unsigned char *bad = malloc(len + 4096);
    memcpy(bad, good, len);
    bad[len - 1] ^= 0x40;
    spit(p, bad, len);
    struct acc_store *st = open_sub("torn", 0, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == N - 1 && strstr(info, want) != NULL);
    acc_store_close(st);
    memcpy(bad, good, len);
    memset(bad + len, 0, 4096);
    spit(p, bad, len + 4096);
    st = open_sub("torn", 0, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == N && strstr(info, "4096 bytes") != NULL);
    acc_store_close(st);
    free(bad);
    free(good);
    free(s.v);
    rmdir_all("torn");
}

/* Damage in an early record with good records after it is corruption. */
static void expect_corrupt(const char *p, const unsigned char *good, size_t len, size_t at,
                           uint64_t rec_off)
{
    char want[128];
    size_t after_len;
    unsigned char *bad = malloc(len);
    memcpy(bad, good, len);
    bad[at] ^= 0x01;
    spit(p, bad, len);
    struct acc_store *st = open_sub("corrupt", 1, NULL);
    CHECK(st == NULL);
    if (st) acc_store_close(st);
    snprintf(want, sizeof(want), "corrupt record at offset %llu", (unsigned long long)rec_off);
    CHECK(strstr(err, p) != NULL && strstr(err, want) != NULL);
    unsigned char *after = slurp(p, &after_len);
    CHECK(after != NULL && after_len == len && memcmp(after, bad, len) == 0);
    free(after);
    free(bad);
}

static void test_corrupt_middle(void)
{
    enum { N = 20 };
    uint64_t offs[N];
    char p[256];
    size_t len;
    REQUIRE(write_log("corrupt", N, 0, offs) == 0);
    path_of(p, sizeof(p), "corrupt", "acceptor.log");
    unsigned char *good = slurp(p, &len);
    REQUIRE(good != NULL);
    expect_corrupt(p, good, len, (size_t)offs[2] + 20, offs[2]); /* payload */
    expect_corrupt(p, good, len, (size_t)offs[3], offs[3]);      /* magic */
    expect_corrupt(p, good, len, (size_t)offs[4] + 5, offs[4]);  /* length */
    expect_corrupt(p, good, len, (size_t)offs[5] + 9, offs[5]);  /* crc */
    expect_corrupt(p, good, len, (size_t)offs[N - 2] + 30, offs[N - 2]);
    printf("sample error: %s\n", err);
    free(good);
    rmdir_all("corrupt");
}

static void test_foreign_file(void)
{
    char p[256], d[256];
    size_t len;
    path_of(d, sizeof(d), "foreign", NULL);
    REQUIRE(mkdir(d, 0755) == 0);
    path_of(p, sizeof(p), "foreign", "acceptor.log");
    const char *junk = "this is somebody else's file\n";
    spit(p, (const unsigned char *)junk, strlen(junk));
    CHECK(open_sub("foreign", 1, NULL) == NULL);
    CHECK(strstr(err, p) != NULL && strstr(err, "not an acceptor log") != NULL);
    unsigned char *after = slurp(p, &len);
    CHECK(after && len == strlen(junk) && memcmp(after, junk, len) == 0);
    free(after);

    /* Our magic, a version from the future. */
    const unsigned char v3[8] = {'P', 'X', 'A', 'L', 3, 0, 0, 0};
    spit(p, v3, sizeof(v3));
    CHECK(open_sub("foreign", 1, NULL) == NULL);
    CHECK(strstr(err, "version 3") != NULL);
    /* Too short and not a prefix of our header. */
    spit(p, (const unsigned char *)"PXB", 3);
    CHECK(open_sub("foreign", 1, NULL) == NULL);
    rmdir_all("foreign");

    /* The directory path is a regular file: a clear error, no crash. */
    spit(d, (const unsigned char *)"x", 1);
    CHECK(open_sub("foreign", 1, NULL) == NULL && err[0] != 0);
    unlink(d);
}

/* A version 1 log (before compaction: PROMISE and ACCEPT records only) is
 * read whole, and its header becomes version 2 so that an older binary
 * refuses it once it may hold TRIM records. */
static void test_version1_upgraded(void)
{
    enum { N = 30 };
    char p[256];
    size_t len;
    seen s = {0};
    struct acc_store *st = open_sub("v1", 1, NULL);
    REQUIRE(st != NULL);
    int k = 0;
    for (int i = 0; i < N; i++) {
        acc_record r = rec(i);
        if (r.type == ACC_REC_TRIM) continue;
        CHECK(acc_store_append(st, &r, 1, err, sizeof(err)) == 0);
        k++;
    }
    CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
    acc_store_close(st);
    path_of(p, sizeof(p), "v1", "acceptor.log");
    unsigned char *b = slurp(p, &len);
    REQUIRE(b != NULL && len > 8 && b[4] == 2);
    b[4] = 1;
    spit(p, b, len);
    st = open_sub("v1", 1, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == (size_t)k && strstr(info, "upgraded") != NULL);
    acc_record t = rec(7);
    REQUIRE(t.type == ACC_REC_TRIM);
    CHECK(acc_store_append(st, &t, 1, err, sizeof(err)) == 0);
    CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
    acc_store_close(st);
    free(b);
    b = slurp(p, &len);
    REQUIRE(b != NULL && len > 8);
    CHECK(b[4] == 2 && b[5] == 0);
    st = open_sub("v1", 1, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == (size_t)k + 1 && rec_eq(&s.v[k], &t) && info[0] == 0);
    acc_store_close(st);
    free(b);
    free(s.v);
    rmdir_all("v1");
}

/* A rewrite source: records [from, to) of rec(). */
typedef struct range {
    int from, to;
} range;

static void range_source(void *src, acc_record_fn put, void *put_arg)
{
    const range *r = src;
    for (int i = r->from; i < r->to; i++) {
        acc_record x = rec(i);
        put(put_arg, &x);
    }
}

static int file_exists(const char *sub, const char *file)
{
    char p[256];
    struct stat sb;
    path_of(p, sizeof(p), sub, file);
    return stat(p, &sb) == 0;
}

/* A rewrite replaces the log by the source's records; appends go on in the
 * new file; a reopen replays exactly the new records and the appends. */
static void test_rewrite_round_trip(void)
{
    seen s = {0};
    char p[256];
    struct stat sb;
    REQUIRE(write_log("rw", 500, 1, NULL) == 0);
    struct acc_store *st = open_sub("rw", 1, &s);
    REQUIRE(st != NULL && s.n == 500);
    uint64_t before = acc_store_size(st);
    range r = {300, 340};
    CHECK(acc_store_rewrites(st) == 0);
    REQUIRE(acc_store_rewrite(st, range_source, &r, err, sizeof(err)) == 0);
    CHECK(acc_store_rewrites(st) == 1 && acc_store_records(st) == 40);
    CHECK(acc_store_size(st) < before && acc_store_usable(st));
    path_of(p, sizeof(p), "rw", "acceptor.log");
    CHECK(stat(p, &sb) == 0 && (uint64_t)sb.st_size == acc_store_size(st));
    CHECK(!file_exists("rw", "acceptor.log.tmp"));

    acc_record a[3] = {rec(900), rec(901), rec(903)};
    CHECK(acc_store_append(st, a, 3, err, sizeof(err)) == 0);
    CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
    CHECK(acc_store_records(st) == 43);
    CHECK(stat(p, &sb) == 0 && (uint64_t)sb.st_size == acc_store_size(st));
    acc_store_close(st);

    st = open_sub("rw", 1, &s);
    REQUIRE(st != NULL);
    CHECK(info[0] == 0);
    REQUIRE(s.n == 43);
    int ok = 1;
    for (int i = 0; i < 40; i++) {
        acc_record x = rec(300 + i);
        ok &= rec_eq(&s.v[i], &x);
    }
    for (int i = 0; i < 3; i++) ok &= rec_eq(&s.v[40 + i], &a[i]);
    CHECK(ok);
    /* An empty source leaves an empty, valid log. */
    range none = {0, 0};
    REQUIRE(acc_store_rewrite(st, range_source, &none, err, sizeof(err)) == 0);
    CHECK(acc_store_size(st) == 8 && acc_store_records(st) == 0);
    acc_store_close(st);
    st = open_sub("rw", 0, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == 0);
    acc_store_close(st);
    free(s.v);
    rmdir_all("rw");
}

/* A crash during a rewrite leaves a partial acceptor.log.tmp: the log is
 * untouched and whole, and the leftover is removed at open. */
static void test_rewrite_torn_tmp(void)
{
    char p[256], t[256];
    size_t len;
    seen s = {0};
    REQUIRE(write_log("rwtorn", 50, 0, NULL) == 0);
    path_of(p, sizeof(p), "rwtorn", "acceptor.log");
    path_of(t, sizeof(t), "rwtorn", "acceptor.log.tmp");
    unsigned char *b = slurp(p, &len);
    REQUIRE(b != NULL);
    spit(t, b, len / 2); /* half a copy, cut mid-record */
    struct acc_store *st = open_sub("rwtorn", 0, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == 50 && strstr(info, "acceptor.log.tmp") != NULL);
    CHECK(!file_exists("rwtorn", "acceptor.log.tmp"));
    acc_store_close(st);
    size_t len2;
    unsigned char *after = slurp(p, &len2);
    CHECK(after && len2 == len && memcmp(after, b, len) == 0);
    free(after);
    free(b);
    free(s.v);
    rmdir_all("rwtorn");
}

/* Records appended but not yet durable forbid a rewrite (the copy would
 * claim them); the old log goes on unharmed.  In the hold-until-sync test
 * mode the same holds, and a rewrite after the sync works. */
static void test_rewrite_needs_durable(void)
{
    seen s = {0};
    REQUIRE(write_log("rwdur", 20, 0, NULL) == 0);
    for (int hold = 0; hold <= 1; hold++) {
        struct acc_store *st = open_sub("rwdur", 0, &s);
        REQUIRE(st != NULL);
        size_t n0 = s.n;
        if (hold) acc_store_hold_until_sync(st, 0);
        acc_record x = rec(100 + hold);
        CHECK(acc_store_append(st, &x, 1, err, sizeof(err)) == 0);
        range r = {0, 5};
        CHECK(acc_store_rewrite(st, range_source, &r, err, sizeof(err)) == -1);
        CHECK(strstr(err, "not durable") != NULL && acc_store_usable(st));
        CHECK(acc_store_rewrites(st) == 0 && !file_exists("rwdur", "acceptor.log.tmp"));
        CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
        acc_store_close(st);
        st = open_sub("rwdur", 0, &s);
        REQUIRE(st != NULL);
        CHECK(s.n == n0 + 1 && rec_eq(&s.v[n0], &x));
        if (hold) acc_store_hold_until_sync(st, 0);
        if (hold) {
            /* Synced: the rewrite goes ahead, and held appends after it
             * reach the new file at the next sync. */
            REQUIRE(acc_store_rewrite(st, range_source, &r, err, sizeof(err)) == 0);
            acc_record y = rec(200);
            CHECK(acc_store_append(st, &y, 1, err, sizeof(err)) == 0);
            CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
            acc_store_close(st);
            st = open_sub("rwdur", 0, &s);
            REQUIRE(st != NULL);
            CHECK(s.n == 6 && rec_eq(&s.v[5], &y));
        }
        acc_store_close(st);
    }
    free(s.v);
    rmdir_all("rwdur");
}

static void export_source(void *src, acc_record_fn put, void *put_arg)
{
    acceptor_export(src, put, put_arg);
}

static void restore_record(void *arg, const acc_record *r)
{
    acceptor_restore(arg, r);
}

/* The host's path end to end: an acceptor's state with a trim is written
 * by a rewrite of its export, and replaying the file rebuilds the same
 * promise, mark and entries. */
static void test_rewrite_from_export(void)
{
    struct acceptor *a = acceptor_new(1), *b = acceptor_new(1);
    acc_out o;
    acc_out_init(&o);
    px_msg *m = calloc(1, sizeof(*m));
    REQUIRE(m != NULL);
    struct acc_store *st = open_sub("rwexp", 1, NULL);
    REQUIRE(st != NULL);
    for (uint64_t s = 0; s < 50; s++) {
        memset(m, 0, sizeof(*m));
        m->type = PX_MSG_ACCEPT;
        m->from = 2;
        m->u.accept.ballot.round = 1 + s / 20;
        m->u.accept.ballot.node = 2;
        m->u.accept.slot = s;
        m->u.accept.value = rec((int)s + 1).value;
        acceptor_handle(a, m, &o);
    }
    memset(m, 0, sizeof(*m));
    m->type = PX_MSG_TRIM;
    m->from = 2;
    m->u.trim.ballot = acceptor_promised(a); /* acceptors trim only under their promise */
    m->u.trim.below = 30;
    acceptor_handle(a, m, &o);
    CHECK(acc_store_append(st, o.persist.v, o.persist.n, err, sizeof(err)) == 0);
    CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
    acceptor_durable(a, o.persist.last_seq, &o);
    REQUIRE(acc_store_rewrite(st, export_source, a, err, sizeof(err)) == 0);
    CHECK(acc_store_records(st) == 1 + 1 + 20);
    acc_store_close(st);
    char d[256];
    path_of(d, sizeof(d), "rwexp", NULL);
    st = acc_store_open(d, 1, restore_record, b, err, sizeof(err), info, sizeof(info));
    REQUIRE(st != NULL);
    CHECK(px_ballot_cmp(acceptor_promised(a), acceptor_promised(b)) == 0);
    CHECK(acceptor_trimmed(b) == 30 && acceptor_accepted_count(b) == 20);
    int same = 1;
    for (uint64_t s = 0; s < 60; s++) {
        px_ballot ba, bb;
        const px_value *va, *vb;
        int ha = acceptor_accepted(a, s, &ba, &va), hb = acceptor_accepted(b, s, &bb, &vb);
        same &= ha == hb;
        if (ha && hb) {
            acc_record x, y;
            memset(&x, 0, sizeof(x));
            memset(&y, 0, sizeof(y));
            x.type = y.type = ACC_REC_ACCEPT;
            x.ballot = ba;
            y.ballot = bb;
            x.value = *va;
            y.value = *vb;
            same &= rec_eq(&x, &y);
        }
    }
    CHECK(same);
    acc_store_close(st);
    free(m);
    acc_out_free(&o);
    acceptor_free(a);
    acceptor_free(b);
    rmdir_all("rwexp");
}

int main(void)
{
    snprintf(root, sizeof(root), "/tmp/px-test-store-XXXXXX");
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_new_and_empty);
    RUN(test_round_trip);
    RUN(test_torn_tail);
    RUN(test_corrupt_middle);
    RUN(test_foreign_file);
    RUN(test_version1_upgraded);
    RUN(test_rewrite_round_trip);
    RUN(test_rewrite_torn_tmp);
    RUN(test_rewrite_needs_durable);
    RUN(test_rewrite_from_export);
    rmdir(root);
    return check_summary();
}
