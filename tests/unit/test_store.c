/* test_store.c -- the acceptor's durable log: round trip, the on-disk sizes,
 * torn tails (cut at every byte, zeros, a damaged last record, damage in
 * the middle of the last batch) cut and reported by slot and ballot, damage
 * to durable records (a later batch or a commit marker after it) refused
 * untouched, records out of place refused, foreign files refused, version 1
 * and 2 logs read and converted, rewrites (atomic replace, leftover .tmp
 * removed, refused while records are not durable). */
#include "acceptor/store.h"
#include "acceptor/store_format.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "check.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64]; /* mkdtemp dir, removed at the end */
static char err[1024];
static acc_store_report rep;

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

/* Its size on disk, version 3. */
static size_t rec_size(int i)
{
    acc_record r = rec(i);
    size_t n = r.type == ACC_REC_ACCEPT ? r.value.n : 0;
    return ALOG_REC_HDR + (n ? 4 + ALOG_CMD * n : 0);
}

/* "ACCEPT slot S ballot (R,N)" and the like, as a report names it. */
static const char *rec_name(int i)
{
    static char buf[4][96];
    static int k;
    acc_record r = rec(i);
    char *b = buf[k++ % 4];
    alog_describe(&r, b, sizeof buf[0]);
    return b;
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

/* Did the replay deliver exactly records from..to-1? */
static int seen_range(const seen *s, int from, int to)
{
    if (s->n != (size_t)(to - from)) return 0;
    for (int i = from; i < to; i++) {
        acc_record r = rec(i);
        if (!rec_eq(&s->v[i - from], &r)) return 0;
    }
    return 1;
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
    return acc_store_open(d, fsync_on, s ? on_record : NULL, s, &rep, err, sizeof(err));
}

/* Writes records [0, n) to a fresh log in sub, batch b holding sizes[b]
 * records (or, without sizes, uneven batches of 1..7), each batch one
 * append and one sync (group commit).  offs[i], if given, receives record
 * i's offset in the file. */
static int write_log(const char *sub, int n, int fsync_on, const int *sizes, uint64_t *offs)
{
    struct acc_store *st = open_sub(sub, fsync_on, NULL);
    if (st == NULL) return -1;
    acc_record *batch = malloc(sizeof(*batch) * (size_t)n);
    for (int i = 0, b = 0; i < n; b++) {
        int k = sizes ? sizes[b] : 1 + i % 7;
        if (k > n - i) k = n - i;
        uint64_t off = acc_store_size(st);
        for (int j = 0; j < k; j++) {
            batch[j] = rec(i + j);
            if (offs) offs[i + j] = off;
            off += rec_size(i + j);
        }
        if (acc_store_append(st, batch, (size_t)k, err, sizeof(err)) < 0 ||
            acc_store_sync(st, err, sizeof(err)) < 0) {
            free(batch);
            acc_store_close(st);
            return -1;
        }
        i += k;
    }
    free(batch);
    acc_store_close(st);
    return 0;
}

/* The log of sub with byte at flipped, or cut to len (whichever given). */
static void damage(const char *sub, const unsigned char *good, size_t len, long flip)
{
    char p[256];
    unsigned char *bad = malloc(len + 1);
    path_of(p, sizeof(p), sub, "acceptor.log");
    memcpy(bad, good, len);
    if (flip >= 0) bad[flip] ^= 0x10;
    spit(p, bad, len);
    free(bad);
}

/* Is the log of sub byte for byte good[0, len) with good[flip] flipped? */
static int untouched(const char *sub, const unsigned char *good, size_t len, long flip)
{
    char p[256];
    size_t n;
    path_of(p, sizeof(p), sub, "acceptor.log");
    unsigned char *b = slurp(p, &n);
    int same = b && n == len;
    for (size_t i = 0; same && i < len; i++)
        same = b[i] == (unsigned char)(good[i] ^ ((long)i == flip ? 0x10 : 0));
    free(b);
    return same;
}

static unsigned char *load(const char *sub, size_t *len)
{
    char p[256];
    path_of(p, sizeof(p), sub, "acceptor.log");
    return slurp(p, len);
}

/* ---- tests ------------------------------------------------------------- */

static void test_new_and_empty(void)
{
    seen s = {0};
    struct acc_store *st = open_sub("new", 1, &s);
    REQUIRE(st != NULL);
    CHECK(rep.info[0] == 0 && rep.warn[0] == 0 && s.n == 0);
    CHECK(acc_store_records(st) == 0 && acc_store_size(st) == ALOG_FILE_HDR);
    CHECK(acc_store_sync(st, err, sizeof(err)) == 0 && acc_store_syncs(st) == 0);
    acc_store_close(st);
    st = open_sub("new", 1, &s);
    REQUIRE(st != NULL);
    CHECK(acc_store_records(st) == 0 && acc_store_size(st) == ALOG_FILE_HDR);
    acc_store_close(st);

    /* An existing empty file gets a header. */
    char p[256];
    path_of(p, sizeof(p), "new", "acceptor.log");
    spit(p, NULL, 0);
    st = open_sub("new", 1, &s);
    REQUIRE(st != NULL);
    CHECK(acc_store_size(st) == ALOG_FILE_HDR);
    acc_store_close(st);
    /* A header cut short, or never written (zeros), by a crash at creation
     * is rewritten. */
    spit(p, (const unsigned char *)"PXAL\3\0\0\0\x55", 9);
    st = open_sub("new", 1, &s);
    REQUIRE(st != NULL);
    CHECK(strstr(rep.info, "torn file header (9 bytes)") != NULL);
    acc_store_close(st);
    const unsigned char zeros[ALOG_FILE_HDR] = {0};
    spit(p, zeros, sizeof zeros);
    st = open_sub("new", 1, &s);
    REQUIRE(st != NULL);
    CHECK(strstr(rep.info, "torn file header") != NULL && s.n == 0);
    acc_store_close(st);
    free(s.v);
    rmdir_all("new");
}

static void test_round_trip(void)
{
    enum { N = 1000 };
    seen s = {0};
    REQUIRE(write_log("rt", N, 1, NULL, NULL) == 0);
    struct acc_store *st = open_sub("rt", 1, &s);
    REQUIRE(st != NULL);
    CHECK(rep.info[0] == 0 && rep.warn[0] == 0);
    CHECK(seen_range(&s, 0, N));
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

/* What each record and batch costs on disk: the header is 32 bytes, the
 * commands 4 + 25 each, a synced batch's commit marker 12; without fsync
 * there is no marker (nothing is known durable). */
static void test_sizes(void)
{
    for (int fs = 0; fs <= 1; fs++) {
        struct acc_store *st = open_sub("sizes", fs, NULL);
        REQUIRE(st != NULL);
        uint64_t base = acc_store_size(st);
        acc_record a[3] = {rec(3), rec(5), rec(7)}; /* PROMISE, ACCEPT of 5, TRIM */
        CHECK(acc_store_append(st, a, 3, err, sizeof(err)) == 0);
        CHECK(acc_store_size(st) - base == 32 + (32 + 4 + 5 * 25) + 32);
        CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
        CHECK(acc_store_size(st) - base == 32 + 161 + 32 + (fs ? 12 : 0));
        char p[256];
        struct stat sb;
        path_of(p, sizeof(p), "sizes", "acceptor.log");
        CHECK(stat(p, &sb) == 0 && (uint64_t)sb.st_size == acc_store_size(st));
        acc_store_close(st);
        rmdir_all("sizes");
    }
}

/* Cut the log at every byte inside its last record: the earlier records
 * come back, the tail is cut and reported (by slot and ballot once the
 * header is whole), the log is sealed and takes appends. */
static void test_torn_inside_record(void)
{
    enum { N = 6 }; /* rec(5): ACCEPT of 5 commands, 193 bytes */
    uint64_t offs[N];
    char want[128];
    size_t len;
    seen s = {0};
    REQUIRE(write_log("torn", N, 0, (const int[]){1, 1, 1, 1, 1, 1}, offs) == 0);
    unsigned char *good = load("torn", &len);
    REQUIRE(good != NULL);
    uint64_t last = offs[N - 1];
    REQUIRE(len == last + rec_size(N - 1));
    snprintf(want, sizeof(want), "dropped torn tail at offset %llu", (unsigned long long)last);

    for (size_t cut = (size_t)last + 1; cut < len; cut++) {
        damage("torn", good, cut, -1);
        struct acc_store *st = open_sub("torn", 0, &s);
        REQUIRE(st != NULL);
        int whole_header = cut >= last + ALOG_REC_HDR;
        CHECK(seen_range(&s, 0, N - 1) && strstr(rep.warn, want) != NULL);
        CHECK(rep.cut_offset == last && rep.cut_bytes == cut - last);
        CHECK(rep.cut_records == (uint64_t)whole_header);
        CHECK((strstr(rep.warn, rec_name(N - 1)) != NULL) == whole_header);
        CHECK(strstr(rep.warn, whole_header ? "the file ends inside it"
                                            : "the file ends inside a record header") != NULL);
        /* Sealed: a commit marker closes what was kept. */
        CHECK(acc_store_size(st) == last + ALOG_MARKER && acc_store_records(st) == N - 1);
        acc_record r = rec(N - 1);
        CHECK(acc_store_append(st, &r, 1, err, sizeof(err)) == 0);
        CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
        acc_store_close(st);
        st = open_sub("torn", 0, &s);
        REQUIRE(st != NULL);
        CHECK(seen_range(&s, 0, N) && rep.warn[0] == 0 && rep.info[0] == 0);
        acc_store_close(st);
        if (check_cur_failed) break;
    }
    free(good);
    free(s.v);
    rmdir_all("torn");
}

/* Zeros after the last record (blocks allocated, never written) are a torn
 * tail; so is a torn commit marker.  Nothing readable is lost. */
static void test_torn_zeros_and_marker(void)
{
    enum { N = 20 };
    size_t len;
    seen s = {0};
    REQUIRE(write_log("zero", N, 1, NULL, NULL) == 0);
    unsigned char *good = load("zero", &len);
    REQUIRE(good != NULL);
    unsigned char *more = calloc(1, len + 4096);
    memcpy(more, good, len);
    damage("zero", more, len + 4096, -1);
    struct acc_store *st = open_sub("zero", 1, &s);
    REQUIRE(st != NULL);
    CHECK(seen_range(&s, 0, N) && rep.cut_offset == len && rep.cut_bytes == 4096);
    CHECK(strstr(rep.warn, "no readable record; 0 records, 4096 bytes") != NULL);
    CHECK(strstr(rep.warn, "zeros to the end of the file") != NULL);
    CHECK(acc_store_size(st) == len);
    acc_store_close(st);

    /* Cut inside the last batch's marker: the marker goes, nothing else. */
    damage("zero", good, len - 5, -1);
    st = open_sub("zero", 1, &s);
    REQUIRE(st != NULL);
    CHECK(seen_range(&s, 0, N) && rep.cut_records == 0 && rep.cut_bytes == ALOG_MARKER - 5);
    CHECK(acc_store_size(st) == len); /* sealed again */
    acc_store_close(st);
    CHECK(untouched("zero", good, len, -1));
    free(more);
    free(good);
    free(s.v);
    rmdir_all("zero");
}

/* A log of batches (sizes) whose last batch lost its commit marker, as when
 * the power goes before the marker reaches the disk: returns the file. */
static unsigned char *log_without_last_marker(const char *sub, int n, const int *sizes,
                                              uint64_t *offs, size_t *len)
{
    if (write_log(sub, n, 1, sizes, offs) < 0) return NULL;
    unsigned char *b = load(sub, len);
    if (b == NULL) return NULL;
    *len -= ALOG_MARKER;
    damage(sub, b, *len, -1);
    return b;
}

/* The last record damaged, its batch unconfirmed: a torn tail, whose
 * report names the record when its header is readable. */
static void test_torn_last_record(void)
{
    enum { N = 6 };
    uint64_t offs[N];
    size_t len;
    seen s = {0};
    unsigned char *good =
        log_without_last_marker("lastrec", N, (const int[]){2, 2, 2}, offs, &len);
    REQUIRE(good != NULL);
    /* A command byte: the header still tells what the record was. */
    damage("lastrec", good, len, (long)offs[5] + ALOG_REC_HDR + 10);
    struct acc_store *st = open_sub("lastrec", 1, &s);
    REQUIRE(st != NULL);
    CHECK(seen_range(&s, 0, 5) && rep.cut_offset == offs[5] && rep.cut_records == 1);
    CHECK(strstr(rep.warn, rec_name(5)) != NULL);
    CHECK(strstr(rep.warn, "command checksum mismatch") != NULL);
    CHECK(strstr(rep.warn, "batch 3, the last") != NULL);
    acc_store_close(st);
    printf("sample warning: %s\n", rep.warn);

    /* A header byte (the slot): nothing readable is left of it. */
    damage("lastrec", good, len, (long)offs[5] + 26);
    st = open_sub("lastrec", 1, &s);
    REQUIRE(st != NULL);
    CHECK(seen_range(&s, 0, 5) && rep.cut_offset == offs[5] && rep.cut_records == 0);
    CHECK(strstr(rep.warn, "no readable record") != NULL);
    CHECK(strstr(rep.warn, "header checksum mismatch") != NULL);
    acc_store_close(st);
    free(good);
    free(s.v);
    rmdir_all("lastrec");
}

/* Damage in the middle of the last batch, records of that batch after it:
 * the batch was torn (pages reach the disk in any order) or, the case the
 * format cannot tell, synced and then hit by a flipped bit before its
 * marker was on disk.  Cut from the damaged record on; every record cut is
 * named, the damaged one too if its header is readable. */
static void test_torn_middle_of_last_batch(void)
{
    enum { N = 12 };
    uint64_t offs[N];
    size_t len;
    seen s = {0};
    unsigned char *good =
        log_without_last_marker("midlast", N, (const int[]){3, 3, 6}, offs, &len);
    REQUIRE(good != NULL);
    /* rec(8), an ACCEPT of 8 commands, damaged in its commands or header. */
    for (int hdr = 0; hdr <= 1; hdr++) {
        long at = (long)offs[8] + (hdr ? 14 : (long)rec_size(8) - 1);
        damage("midlast", good, len, at);
        struct acc_store *st = open_sub("midlast", 1, &s);
        REQUIRE(st != NULL);
        CHECK(seen_range(&s, 0, 8) && rep.cut_offset == offs[8]);
        CHECK(rep.cut_bytes == len - offs[8] && rep.cut_records == (uint64_t)(hdr ? 3 : 4));
        for (int i = 9; i < N; i++) CHECK(strstr(rep.warn, rec_name(i)) != NULL);
        CHECK((strstr(rep.warn, rec_name(8)) != NULL) == !hdr);
        acc_store_close(st);
    }
    /* What was kept was sealed: a batch appended now comes after a commit
     * marker, and the log reopens whole. */
    struct acc_store *st = open_sub("midlast", 1, &s);
    REQUIRE(st != NULL && rep.warn[0] == 0);
    acc_record a[2] = {rec(20), rec(22)};
    CHECK(acc_store_append(st, a, 2, err, sizeof(err)) == 0);
    CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
    acc_store_close(st);
    st = open_sub("midlast", 1, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == 10 && rec_eq(&s.v[8], &a[0]) && rec_eq(&s.v[9], &a[1]) && rep.warn[0] == 0);
    acc_store_close(st);
    free(good);
    free(s.v);
    rmdir_all("midlast");
}

/* The first record of the last batch damaged, right after the END record
 * of the batch before (no fsync: no markers): the records after it belong
 * to the same, last batch, so this is a torn tail, not damage. */
static void test_torn_first_of_last_batch(void)
{
    enum { N = 9 };
    uint64_t offs[N];
    size_t len;
    seen s = {0};
    REQUIRE(write_log("firstlast", N, 0, (const int[]){3, 3, 3}, offs) == 0);
    unsigned char *good = load("firstlast", &len);
    REQUIRE(good != NULL);
    damage("firstlast", good, len, (long)offs[6] + 1); /* its header checksum */
    struct acc_store *st = open_sub("firstlast", 0, &s);
    REQUIRE(st != NULL);
    CHECK(seen_range(&s, 0, 6) && rep.cut_offset == offs[6] && rep.cut_records == 2);
    CHECK(strstr(rep.warn, "batch 3, the last") != NULL);
    acc_store_close(st);
    free(good);
    free(s.v);
    rmdir_all("firstlast");
}

/* Damage to a record that was durable: refused, the file untouched, the
 * error naming the file, the offset, the record and the proof. */
static void expect_refused(const char *sub, const unsigned char *good, size_t len, long at,
                           uint64_t rec_off, const char *what, const char *proof)
{
    char p[256], want[320];
    damage(sub, good, len, at);
    struct acc_store *st = open_sub(sub, 1, NULL);
    CHECK(st == NULL);
    if (st) acc_store_close(st);
    path_of(p, sizeof(p), sub, "acceptor.log");
    snprintf(want, sizeof(want), "%s: corrupt record at offset %llu (", p,
             (unsigned long long)rec_off);
    CHECK(strstr(err, want) != NULL);
    CHECK(what == NULL || strstr(err, what) != NULL);
    CHECK(strstr(err, proof) != NULL);
    CHECK(untouched(sub, good, len, at));
}

static void test_refused_before_later_batch(void)
{
    enum { N = 20 };
    uint64_t offs[N];
    size_t len;
    const int sizes[] = {4, 4, 4, 4, 4};
    /* Without markers (fsync off while it was written): a record of a
     * later batch is the proof. */
    REQUIRE(write_log("corrupt", N, 0, sizes, offs) == 0);
    unsigned char *good = load("corrupt", &len);
    REQUIRE(good != NULL);
    char what[160];
    snprintf(what, sizeof what, "(%s of batch 1): command checksum mismatch", rec_name(2));
    expect_refused("corrupt", good, len, (long)offs[2] + 40, offs[2], what,
                   "of batch 2 follows at offset");
    /* The last record of a batch, header unreadable: the next batch's
     * first record proves it durable. */
    expect_refused("corrupt", good, len, (long)offs[7] + 3, offs[7],
                   "(unreadable, in batch 2): header checksum mismatch",
                   "written only after the damaged batch was durable");
    /* The first record of a batch: it belongs to the batch after the END
     * record before it, whose own records then follow (torn, were it the
     * last batch), then batch 4: refused. */
    expect_refused("corrupt", good, len, (long)offs[8] + 9, offs[8], "in batch 3",
                   "of batch 4 follows at offset");
    /* In the second-to-last batch, the last batch after it. */
    expect_refused("corrupt", good, len, (long)offs[N - 5] + 20, offs[N - 5], NULL,
                   "of batch 5 follows at offset");
    printf("sample error: %s\n", err);
    /* The error says how far the readable records reach. */
    uint64_t top = 0;
    for (int i = 0; i < N; i++) {
        acc_record r = rec(i);
        if (r.type == ACC_REC_ACCEPT && r.slot > top) top = r.slot;
    }
    char reach[64];
    snprintf(reach, sizeof reach, "reach slot %llu and ballot", (unsigned long long)top);
    CHECK(strstr(err, reach) != NULL);
    free(good);
    rmdir_all("corrupt");
}

/* The last batch damaged, but its commit marker on disk: it was synced, so
 * the damage hit acknowledged records.  Refused. */
static void test_refused_before_marker(void)
{
    enum { N = 12 };
    uint64_t offs[N];
    size_t len;
    REQUIRE(write_log("marked", N, 1, (const int[]){6, 6}, offs) == 0);
    unsigned char *good = load("marked", &len);
    REQUIRE(good != NULL);
    expect_refused("marked", good, len, (long)offs[N - 1] + 40, offs[N - 1], rec_name(N - 1),
                   "the commit marker of batch 2 follows at offset");
    expect_refused("marked", good, len, (long)offs[7] + 2, offs[7], "unreadable, in batch 2",
                   "the commit marker of batch 2 follows");
    free(good);
    rmdir_all("marked");
}

/* Records whose checksums match but that stand where they cannot (a batch
 * missing) are refused too. */
static void test_refused_out_of_place(void)
{
    enum { N = 9 };
    uint64_t offs[N];
    size_t len;
    REQUIRE(write_log("place", N, 0, (const int[]){3, 3, 3}, offs) == 0);
    unsigned char *good = load("place", &len);
    REQUIRE(good != NULL);
    /* Batch 2 cut out of the middle. */
    size_t gap = (size_t)(offs[6] - offs[3]);
    unsigned char *holed = malloc(len);
    memcpy(holed, good, (size_t)offs[3]);
    memcpy(holed + offs[3], good + offs[6], len - (size_t)offs[6]);
    damage("place", holed, len - gap, -1);
    CHECK(open_sub("place", 0, NULL) == NULL);
    CHECK(strstr(err, "corrupt log at offset") != NULL &&
          strstr(err, "of batch 3 where batch 2 belongs") != NULL);
    CHECK(untouched("place", holed, len - gap, -1));
    /* A batch's last records cut out: its END is missing. */
    memcpy(holed, good, (size_t)offs[4]);
    memcpy(holed + offs[4], good + offs[6], len - (size_t)offs[6]);
    damage("place", holed, len - (size_t)(offs[6] - offs[4]), -1);
    CHECK(open_sub("place", 0, NULL) == NULL);
    CHECK(strstr(err, "of batch 3 where batch 2 belongs") != NULL);
    free(holed);
    free(good);
    rmdir_all("place");

    /* A commit marker twice: the second stands where a record belongs. */
    REQUIRE(write_log("place", 4, 1, (const int[]){2, 2}, offs) == 0);
    good = load("place", &len);
    REQUIRE(good != NULL);
    size_t m1 = (size_t)offs[2] - ALOG_MARKER;
    holed = malloc(len + ALOG_MARKER);
    memcpy(holed, good, (size_t)offs[2]);
    memcpy(holed + offs[2], good + m1, ALOG_MARKER);
    memcpy(holed + offs[2] + ALOG_MARKER, good + offs[2], len - (size_t)offs[2]);
    damage("place", holed, len + ALOG_MARKER, -1);
    CHECK(open_sub("place", 1, NULL) == NULL);
    CHECK(strstr(err, "the commit marker of batch 1 where a record of batch 2 belongs") != NULL);
    free(holed);
    free(good);
    rmdir_all("place");
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
    const unsigned char v4[8] = {'P', 'X', 'A', 'L', 4, 0, 0, 0};
    spit(p, v4, sizeof(v4));
    CHECK(open_sub("foreign", 1, NULL) == NULL);
    CHECK(strstr(err, "version 4") != NULL);
    /* Too short and not a prefix of our header. */
    spit(p, (const unsigned char *)"PXB", 3);
    CHECK(open_sub("foreign", 1, NULL) == NULL);
    rmdir_all("foreign");

    /* A flipped bit in the salt would make every record fail its checksum,
     * and the whole log look like a torn tail: the header's own checksum
     * refuses it instead. */
    REQUIRE(write_log("foreign", 10, 0, NULL, NULL) == 0);
    unsigned char *good = load("foreign", &len);
    REQUIRE(good != NULL);
    damage("foreign", good, len, 11);
    CHECK(open_sub("foreign", 1, NULL) == NULL);
    CHECK(strstr(err, "file header checksum mismatch") != NULL);
    CHECK(untouched("foreign", good, len, 11));
    free(good);
    rmdir_all("foreign");

    /* A flipped bit in the version field that makes it read 1 or 2 (found
     * by fuzz_store_records): taken for an old log, the records were read
     * by the old rules, none matched, and the whole log was cut as a torn
     * tail and converted -- every promise and vote silently gone.  The
     * header still checksums as version 3: refused, untouched. */
    REQUIRE(write_log("foreign", 10, 1, NULL, NULL) == 0);
    good = load("foreign", &len);
    REQUIRE(good != NULL);
    for (unsigned mask = 1; mask <= 2; mask++) {
        unsigned char *bad = malloc(len);
        memcpy(bad, good, len);
        bad[4] ^= (unsigned char)mask; /* version 3 reads 2, then 1 */
        spit(p, bad, len);
        seen s = {0};
        struct acc_store *st = open_sub("foreign", 1, &s);
        CHECK(st == NULL && s.n == 0);
        if (st) acc_store_close(st);
        CHECK(strstr(err, p) != NULL && strstr(err, "damaged file header") != NULL);
        size_t n;
        unsigned char *after = slurp(p, &n);
        CHECK(after && n == len && memcmp(after, bad, len) == 0);
        free(after);
        free(bad);
        free(s.v);
    }
    free(good);
    rmdir_all("foreign");

    /* The directory path is a regular file: a clear error, no crash. */
    spit(d, (const unsigned char *)"x", 1);
    CHECK(open_sub("foreign", 1, NULL) == NULL && err[0] != 0);
    unlink(d);
}

/* ---- versions 1 and 2 ------------------------------------------------- */

/* A version 1 or 2 record, as those versions wrote it. */
static size_t put_old(const acc_record *r, uint8_t *p)
{
    uint16_t n = r->type == ACC_REC_ACCEPT ? r->value.n : 0;
    uint8_t *q = p + 12;
    q[0] = r->type;
    px_put64(q + 1, r->ballot.round);
    px_put32(q + 9, r->ballot.node);
    px_put64(q + 13, r->type == ACC_REC_PROMISE ? 0 : r->slot);
    px_put16(q + 21, n);
    for (uint16_t i = 0; i < n; i++) {
        uint8_t *c = q + 23 + 25 * i;
        c[0] = r->value.cmds[i].kind;
        px_put64(c + 1, r->value.cmds[i].client);
        px_put64(c + 9, r->value.cmds[i].seq);
        px_put64(c + 17, (uint64_t)r->value.cmds[i].value);
    }
    uint32_t len = 23 + 25u * n;
    px_put32(p, 0x52415850u); /* "PXAR" */
    px_put32(p + 4, len);
    px_put32(p + 8, px_crc32c(px_crc32c(0, p + 4, 4), q, len));
    return 12 + len;
}

/* Writes an old log of records [0, n) (version 1: without TRIMs) into sub;
 * returns the file and each record's offset. */
static unsigned char *write_old_log(const char *sub, unsigned version, int n, int *kept,
                                    uint64_t *offs, size_t *len)
{
    char d[256], p[256];
    path_of(d, sizeof(d), sub, NULL);
    mkdir(d, 0755);
    unsigned char *b = malloc(8 + (size_t)n * ALOG_MAX_REC_OLD);
    px_put32(b, ALOG_MAGIC);
    px_put32(b + 4, version);
    size_t off = 8;
    *kept = 0;
    for (int i = 0; i < n; i++) {
        acc_record r = rec(i);
        if (version == 1 && r.type == ACC_REC_TRIM) continue;
        offs[(*kept)++] = off;
        off += put_old(&r, b + off);
    }
    *len = off;
    path_of(p, sizeof(p), sub, "acceptor.log");
    spit(p, b, off);
    return b;
}

/* Old logs are read whole and converted to version 3, so that an older
 * binary refuses them; the converted log reopens with the same records and
 * takes appends. */
static void test_old_versions_converted(void)
{
    enum { N = 40 };
    for (unsigned v = 1; v <= 2; v++) {
        uint64_t offs[N];
        size_t len, len3;
        int k;
        seen s = {0};
        unsigned char *old = write_old_log("old", v, N, &k, offs, &len);
        struct acc_store *st = open_sub("old", 1, &s);
        REQUIRE(st != NULL);
        CHECK(s.n == (size_t)k && rep.warn[0] == 0);
        char want[96];
        snprintf(want, sizeof want, "converted from version %u to version 3 (%d records)", v, k);
        CHECK(strstr(rep.info, want) != NULL);
        for (int i = 0, j = 0; i < N; i++) {
            acc_record r = rec(i);
            if (v == 1 && r.type == ACC_REC_TRIM) continue;
            CHECK(rec_eq(&s.v[j++], &r));
            if (check_cur_failed) break;
        }
        acc_record t = rec(7);
        REQUIRE(t.type == ACC_REC_TRIM);
        CHECK(acc_store_append(st, &t, 1, err, sizeof(err)) == 0);
        CHECK(acc_store_sync(st, err, sizeof(err)) == 0);
        acc_store_close(st);
        unsigned char *b = load("old", &len3);
        REQUIRE(b != NULL && len3 > 8);
        CHECK(b[4] == 3 && b[5] == 0);
        free(b);
        st = open_sub("old", 1, &s);
        REQUIRE(st != NULL);
        CHECK(s.n == (size_t)k + 1 && rec_eq(&s.v[k], &t) && rep.info[0] == 0);
        acc_store_close(st);

        /* A torn tail of an old log is cut as before, then converted. */
        damage("old", old, len - 3, -1);
        st = open_sub("old", 1, &s);
        REQUIRE(st != NULL);
        CHECK(s.n == (size_t)k - 1 && rep.cut_offset == offs[k - 1]);
        CHECK(strstr(rep.warn, "dropped torn tail at offset") != NULL &&
              strstr(rep.warn, "old-format log") != NULL);
        snprintf(want, sizeof want, "to version 3 (%d records)", k - 1);
        CHECK(strstr(rep.info, want) != NULL);
        acc_store_close(st);
        /* Damage with valid records after it is refused, untouched. */
        damage("old", old, len, (long)offs[3] + 20);
        CHECK(open_sub("old", 1, NULL) == NULL);
        snprintf(want, sizeof want, "corrupt record at offset %llu: checksum mismatch",
                 (unsigned long long)offs[3]);
        CHECK(strstr(err, want) != NULL);
        CHECK(untouched("old", old, len, (long)offs[3] + 20));
        free(old);
        free(s.v);
        rmdir_all("old");
    }
}

/* A torn batch of many records: the report lists what fits, then says how
 * many more and which slots. */
static void test_report_of_a_long_tail(void)
{
    enum { N = 400 };
    uint64_t offs[N];
    size_t len;
    seen s = {0};
    unsigned char *good = log_without_last_marker("long", N, (const int[]){1, 399}, offs, &len);
    REQUIRE(good != NULL);
    damage("long", good, len, (long)offs[1] + 5);
    struct acc_store *st = open_sub("long", 1, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == 1 && rep.cut_records == 398 && strlen(rep.warn) < sizeof rep.warn - 1);
    CHECK(strstr(rep.warn, rec_name(2)) != NULL && strstr(rep.warn, "more (ACCEPT slots") != NULL);
    uint64_t top = 0;
    for (int i = 0; i < N; i++)
        if (rec(i).type == ACC_REC_ACCEPT) top = rec(i).slot;
    char tail[64];
    snprintf(tail, sizeof tail, "-%llu)", (unsigned long long)top);
    CHECK(strstr(rep.warn, tail) != NULL);
    acc_store_close(st);
    free(good);
    free(s.v);
    rmdir_all("long");
}

/* ---- rewrites ---------------------------------------------------------- */

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
    REQUIRE(write_log("rw", 500, 1, NULL, NULL) == 0);
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
    CHECK(rep.info[0] == 0 && rep.warn[0] == 0);
    REQUIRE(s.n == 43);
    int ok = 1;
    for (int i = 0; i < 40; i++) {
        acc_record x = rec(300 + i);
        ok &= rec_eq(&s.v[i], &x);
    }
    for (int i = 0; i < 3; i++) ok &= rec_eq(&s.v[40 + i], &a[i]);
    CHECK(ok);
    acc_store_close(st);

    /* The rewritten records are one durable batch: damage to them, with
     * the appended batch after, is refused. */
    size_t len;
    unsigned char *good = load("rw", &len);
    REQUIRE(good != NULL);
    expect_refused("rw", good, len, ALOG_FILE_HDR + 13, ALOG_FILE_HDR,
                   "unreadable, in batch 1", "the commit marker of batch 1 follows");
    damage("rw", good, len, -1);
    free(good);

    /* An empty source leaves an empty, valid log. */
    st = open_sub("rw", 1, &s);
    REQUIRE(st != NULL);
    range none = {0, 0};
    REQUIRE(acc_store_rewrite(st, range_source, &none, err, sizeof(err)) == 0);
    CHECK(acc_store_size(st) == ALOG_FILE_HDR && acc_store_records(st) == 0);
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
    REQUIRE(write_log("rwtorn", 50, 1, NULL, NULL) == 0);
    path_of(p, sizeof(p), "rwtorn", "acceptor.log");
    path_of(t, sizeof(t), "rwtorn", "acceptor.log.tmp");
    unsigned char *b = slurp(p, &len);
    REQUIRE(b != NULL);
    spit(t, b, len / 2); /* half a copy, cut mid-record */
    struct acc_store *st = open_sub("rwtorn", 0, &s);
    REQUIRE(st != NULL);
    CHECK(s.n == 50 && strstr(rep.info, "acceptor.log.tmp") != NULL);
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

/* Blocks of an older log that the file system hands back after a crash
 * (beyond the end of the new file) must not pass for records: each file
 * has its own salt, which seeds every checksum.  They are a torn tail with
 * nothing readable in it. */
static void test_older_file_bytes_never_read(void)
{
    enum { N = 30 };
    size_t old_len, len;
    seen s = {0};
    REQUIRE(write_log("stale", N, 1, NULL, NULL) == 0);
    unsigned char *old = load("stale", &old_len);
    REQUIRE(old != NULL);
    struct acc_store *st = open_sub("stale", 1, &s);
    REQUIRE(st != NULL);
    range r = {0, 5};
    REQUIRE(acc_store_rewrite(st, range_source, &r, err, sizeof(err)) == 0);
    acc_store_close(st);
    unsigned char *b = load("stale", &len);
    REQUIRE(b != NULL);
    unsigned char *both = malloc(len + old_len);
    memcpy(both, b, len);
    memcpy(both + len, old + ALOG_FILE_HDR, old_len - ALOG_FILE_HDR);
    damage("stale", both, len + old_len - ALOG_FILE_HDR, -1);
    st = open_sub("stale", 1, &s);
    REQUIRE(st != NULL);
    CHECK(seen_range(&s, 0, 5) && rep.cut_offset == len && rep.cut_records == 0);
    acc_store_close(st);
    free(both);
    free(b);
    free(old);
    free(s.v);
    rmdir_all("stale");
}

/* Records appended but not yet durable forbid a rewrite (the copy would
 * claim them); the old log goes on unharmed.  In the hold-until-sync test
 * mode the same holds, and a rewrite after the sync works. */
static void test_rewrite_needs_durable(void)
{
    seen s = {0};
    REQUIRE(write_log("rwdur", 20, 0, NULL, NULL) == 0);
    for (int hold = 0; hold <= 1; hold++) {
        struct acc_store *st = open_sub("rwdur", 0, &s);
        REQUIRE(st != NULL);
        size_t n0 = s.n;
        if (hold) acc_store_hold_until_sync(st, 1000);
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
        if (hold) {
            /* Synced: the rewrite goes ahead, and held appends after it
             * reach the new file at the next sync. */
            acc_store_hold_until_sync(st, 1000);
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
    st = acc_store_open(d, 1, restore_record, b, &rep, err, sizeof(err));
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

/* acc_store_read (for bin/paxos-audit): every record a recovery keeps,
 * with its offset and batch, in order; a torn tail described but not cut;
 * damage refused; the file left as it was every time; no file, no log. */
typedef struct placed {
    seen s;
    uint64_t offs[64];
    uint32_t batches[64];
} placed;

static void on_placed(void *arg, const acc_record *r, uint64_t offset, uint32_t batch)
{
    placed *p = arg;
    if (p->s.n < 64) {
        p->offs[p->s.n] = offset;
        p->batches[p->s.n] = batch;
    }
    on_record(&p->s, r);
}

static int read_placed(const char *sub, placed *p, int *exists)
{
    char d[256];
    path_of(d, sizeof(d), sub, NULL);
    free(p->s.v);
    memset(p, 0, sizeof *p);
    return acc_store_read(d, on_placed, p, exists, &rep, err, sizeof(err));
}

static void test_read_only(void)
{
    enum { N = 12 };
    uint64_t offs[N];
    size_t len;
    placed p = {0};
    int exists = 0;
    REQUIRE(write_log("ro", N, 1, (const int[]){5, 7}, offs) == 0);
    unsigned char *good = load("ro", &len);
    REQUIRE(good != NULL);
    CHECK(read_placed("ro", &p, &exists) == 0 && exists && rep.cut_bytes == 0);
    CHECK(seen_range(&p.s, 0, N));
    for (int i = 0; i < N; i++) CHECK(p.offs[i] == offs[i] && p.batches[i] == (i < 5 ? 1u : 2u));
    /* The last record cut short: the records before it, the cut reported,
     * nothing truncated or sealed. */
    size_t torn = (size_t)offs[N - 1] + 10;
    damage("ro", good, torn, -1);
    CHECK(read_placed("ro", &p, &exists) == 0 && seen_range(&p.s, 0, N - 1));
    CHECK(rep.cut_offset == offs[N - 1] && rep.cut_bytes == 10);
    CHECK(untouched("ro", good, torn, -1));
    /* Damage to a durable record: refused, untouched. */
    damage("ro", good, len, (long)offs[2] + 3);
    CHECK(read_placed("ro", &p, &exists) < 0 && strstr(err, "not a torn write") != NULL);
    CHECK(untouched("ro", good, len, (long)offs[2] + 3));
    free(good);
    rmdir_all("ro");
    /* No directory, no file: no log, no error. */
    CHECK(read_placed("ro", &p, &exists) == 0 && !exists && p.s.n == 0);
    free(p.s.v);
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
    RUN(test_sizes);
    RUN(test_torn_inside_record);
    RUN(test_torn_zeros_and_marker);
    RUN(test_torn_last_record);
    RUN(test_torn_middle_of_last_batch);
    RUN(test_torn_first_of_last_batch);
    RUN(test_refused_before_later_batch);
    RUN(test_refused_before_marker);
    RUN(test_refused_out_of_place);
    RUN(test_foreign_file);
    RUN(test_old_versions_converted);
    RUN(test_report_of_a_long_tail);
    RUN(test_rewrite_round_trip);
    RUN(test_rewrite_torn_tmp);
    RUN(test_older_file_bytes_never_read);
    RUN(test_rewrite_needs_durable);
    RUN(test_rewrite_from_export);
    RUN(test_read_only);
    rmdir(root);
    return check_summary();
}
