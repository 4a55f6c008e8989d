/* fuzz_store_records.c -- acceptor log recovery from logs the store itself
 * wrote.  A companion to fuzz_store: there, mutated bytes rarely keep a
 * record's CRC valid, so the fields behind it (types, counts, commands)
 * are reached only by splicing whole records.  Here the input is a script
 * of records, which acc_store_append writes -- every one framed and
 * checksummed by the store's own encoder, whatever the format version --
 * followed by optional damage to the file (a cut tail, a flipped byte),
 * before acc_store_open replays it.
 *
 * Input: two bytes of damage, then records until the input ends:
 *
 *   cut u8      bytes cut off the end of the file (0: none)
 *   flip u8     byte at offset (flip * 7) inverted (0: none)
 *   record*     op u8, then by op % 4:
 *                 0 PROMISE  round u16, node u8
 *                 1 ACCEPT   round u16, node u8, slot u8, n u8 (% 33),
 *                            n x {kind u8, client u8, seq u8, value i16}
 *                 2 TRIM     round u16, node u8, slot u8
 *                 3 type op / 4 (an unknown type from 4 on), round u16,
 *                            node u8, slot u8
 *
 * Small fields on purpose: rounds, slots and clients collide often, so
 * replays go through equal ballots, re-accepted slots and marks above and
 * below accepted slots.  Checked:
 *
 *   - undamaged, with known types only: the log replays exactly the
 *     records appended, in order, with the same fields (a PROMISE and a
 *     TRIM carry no commands), into exactly the state the same records
 *     give a core restored from memory;
 *   - one cut or one flipped byte, known types only: store.h's verdict,
 *     using record boundaries from acc_store_size after each append.  A
 *     damaged last record is a torn tail: recovery replays exactly the
 *     whole records before it and cuts the file there, with a note; a
 *     damaged record with a whole one after it is corruption: refused,
 *     naming the file, the file untouched;
 *   - always: whatever fuzz_store checks of a recovered log (invariants,
 *     stable reopen, append after recovery, rewrite) or a refusal with a
 *     message.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acceptor/acceptor.h"
#include "acceptor/store.h"
#include "fuzz.h"
#include "store_check.h"

static acc_record recs[256];
static size_t n_recs;
/* Where the file header and each record end, from acc_store_size. */
static uint64_t hdr_end, ends[256];

/* ---- reading the script --------------------------------------------------- */

typedef struct script {
    const uint8_t *p;
    size_t len, pos;
} script;

static unsigned take(script *s, int bytes)
{
    unsigned v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (unsigned)(s->pos < s->len ? s->p[s->pos++] : 0) << (8 * i);
    return v;
}

/* The next record, or 0 at the end.  *known = 0 for an unknown type. */
static int next_record(script *s, acc_record *r, int *known)
{
    if (s->pos >= s->len) return 0;
    unsigned op = take(s, 1);
    memset(r, 0, sizeof *r);
    r->type = (uint8_t)(op % 4 == 3 ? op / 4 : op % 4 + 1);
    *known = r->type >= ACC_REC_PROMISE && r->type <= ACC_REC_TRIM;
    r->ballot.round = take(s, 2);
    r->ballot.node = take(s, 1);
    if (op % 4 == 0) return 1;
    r->slot = take(s, 1);
    if (op % 4 != 1) return 1;
    r->value.n = (uint16_t)(take(s, 1) % (PX_MAX_BATCH + 1));
    for (int i = 0; i < r->value.n; i++) {
        px_cmd *c = &r->value.cmds[i];
        c->kind = (uint8_t)take(s, 1);
        c->client = take(s, 1);
        c->seq = take(s, 1);
        c->value = (int16_t)take(s, 2);
    }
    return 1;
}

/* ---- writing and damaging the log ----------------------------------------- */

/* Appends the script's records to a fresh log; returns whether every type
 * was known. */
static int write_records(script *s)
{
    char err[512];
    int all_known = 1, known;
    store_reset_dir();
    struct acc_store *st = acc_store_open(store_dir(), 0, NULL, NULL, err, sizeof err, NULL, 0);
    FUZZ_ASSERT(st != NULL, "cannot create a fresh log");
    hdr_end = acc_store_size(st);
    n_recs = 0;
    while (n_recs < sizeof recs / sizeof recs[0] && next_record(s, &recs[n_recs], &known)) {
        FUZZ_ASSERT(acc_store_append(st, &recs[n_recs], 1, err, sizeof err) == 0,
                    "appending a record failed");
        ends[n_recs] = acc_store_size(st);
        all_known &= known;
        n_recs++;
    }
    FUZZ_ASSERT(acc_store_sync(st, err, sizeof err) == 0, "syncing failed");
    acc_store_close(st);
    return all_known;
}

static uint64_t log_size(void)
{
    struct stat st;
    FUZZ_ASSERT(stat(store_log_path(), &st) == 0, "the log vanished");
    return (uint64_t)st.st_size;
}

/* Inverts the byte at `at` if the file has one; returns whether it did. */
static int flip_byte(uint64_t at)
{
    if (at >= log_size()) return 0;
    int fd = open(store_log_path(), O_RDWR);
    uint8_t b;
    FUZZ_ASSERT(fd >= 0 && pread(fd, &b, 1, (off_t)at) == 1, "reading the log");
    b = (uint8_t)~b;
    FUZZ_ASSERT(pwrite(fd, &b, 1, (off_t)at) == 1 && close(fd) == 0, "damaging the log");
    return 1;
}

static void cut_tail(uint64_t size, unsigned cut)
{
    FUZZ_ASSERT(truncate(store_log_path(), (off_t)(size > cut ? size - cut : 0)) == 0,
                "cutting the log");
}

/* ---- one cut or one flipped byte: what store.h promises -------------------- */

static void count_record(void *arg, const acc_record *r)
{
    (void)r;
    (*(size_t *)arg)++;
}

/* Records wholly inside the first `len` bytes. */
static size_t whole_records(uint64_t len)
{
    size_t k = 0;
    while (k < n_recs && ends[k] <= len) k++;
    return k;
}

/* store.h: a damaged record that runs to the end of the file is a torn
 * tail, cut off and reported; a damaged record with a whole one after it
 * is corruption: refused, naming the file, with nothing truncated.  A cut
 * into the file header leaves a prefix of a valid one: a fresh log.  A
 * flipped header byte is only required not to crash (store_check_log). */
static void check_damage_verdict(uint64_t size, unsigned cut, uint64_t flip_at)
{
    size_t keep;
    int corrupt = 0;
    if (cut) {
        uint64_t left = size > cut ? size - cut : 0;
        keep = left < hdr_end ? 0 : whole_records(left);
    } else {
        if (flip_at < hdr_end) return;
        keep = whole_records(flip_at);
        corrupt = keep + 1 < n_recs;
    }
    char err[1024], info[1024];
    size_t replayed = 0;
    uint64_t before = log_size();
    struct acc_store *st = acc_store_open(store_dir(), 0, count_record, &replayed, err,
                                          sizeof err, info, sizeof info);
    if (corrupt) {
        FUZZ_ASSERT(st == NULL, "a damaged record followed by whole ones was not refused");
        FUZZ_ASSERT(strstr(err, "acceptor.log") != NULL, "the refusal does not name the file");
        FUZZ_ASSERT(log_size() == before, "a refused log was changed");
        return;
    }
    FUZZ_ASSERT(st != NULL, "a log with a torn tail was refused");
    FUZZ_ASSERT(replayed == keep, "recovery replayed other records than the whole ones");
    uint64_t want = keep ? ends[keep - 1] : hdr_end;
    FUZZ_ASSERT(acc_store_size(st) == want && log_size() == want,
                "the torn tail was not cut at the last whole record");
    if (before > want) FUZZ_ASSERT(info[0] != 0, "a torn tail was cut without a note");
    acc_store_close(st);
}

/* ---- exact replay of an undamaged log -------------------------------------- */

typedef struct replayed {
    size_t n;
    int mismatch;
    struct acceptor *a;
} replayed;

/* What the store gives back for a written record: a PROMISE has no slot,
 * only an ACCEPT carries commands. */
static int same_record(const acc_record *written, const acc_record *read)
{
    acc_record want = *written;
    if (want.type == ACC_REC_PROMISE) want.slot = 0;
    if (want.type != ACC_REC_ACCEPT) want.value.n = 0;
    return store_same_record(&want, read);
}

static void compare_replay(void *arg, const acc_record *r)
{
    replayed *x = arg;
    if (x->n >= n_recs || !same_record(&recs[x->n], r)) x->mismatch = 1;
    acceptor_restore(x->a, r);
    x->n++;
}

static void check_exact_replay(void)
{
    char err[512], info[512];
    replayed x = {.a = acceptor_new(1)};
    struct acc_store *st =
        acc_store_open(store_dir(), 0, compare_replay, &x, err, sizeof err, info, sizeof info);
    FUZZ_ASSERT(st != NULL, "a log the store wrote is refused");
    FUZZ_ASSERT(info[0] == 0, "a log the store wrote needed repair");
    FUZZ_ASSERT(x.n == n_recs && !x.mismatch, "the log replays other records than appended");
    acc_store_close(st);

    struct acceptor *model = acceptor_new(1);
    for (size_t i = 0; i < n_recs; i++) acceptor_restore(model, &recs[i]);
    FUZZ_ASSERT(store_same_state(model, x.a), "replayed state differs from the records'");
    acceptor_free(model);
    acceptor_free(x.a);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    store_make_dir("px-fuzz-records");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    script s = {data, size, 0};
    unsigned cut = take(&s, 1), flip = take(&s, 1);
    int all_known = write_records(&s);
    uint64_t log_len = log_size(), flip_at = (uint64_t)flip * 7;
    int flipped = flip && flip_byte(flip_at);
    if (cut) cut_tail(log_len, cut);
    if (all_known && !cut && !flipped) check_exact_replay();
    /* One damage at a time has an exact verdict; the verdict's own
     * recovery (a cut tail) is then checked like any other. */
    if (all_known && (cut != 0) != flipped) check_damage_verdict(log_len, cut, flip_at);
    store_check_log();
    return 0;
}
