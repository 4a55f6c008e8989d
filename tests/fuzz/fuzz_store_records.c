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
    n_recs = 0;
    while (n_recs < sizeof recs / sizeof recs[0] && next_record(s, &recs[n_recs], &known)) {
        FUZZ_ASSERT(acc_store_append(st, &recs[n_recs], 1, err, sizeof err) == 0,
                    "appending a record failed");
        all_known &= known;
        n_recs++;
    }
    FUZZ_ASSERT(acc_store_sync(st, err, sizeof err) == 0, "syncing failed");
    acc_store_close(st);
    return all_known;
}

static void damage(unsigned cut, unsigned flip)
{
    struct stat st;
    FUZZ_ASSERT(stat(store_log_path(), &st) == 0, "the log vanished");
    off_t size = st.st_size;
    if (flip && (off_t)flip * 7 < size) {
        int fd = open(store_log_path(), O_RDWR);
        uint8_t b;
        off_t at = (off_t)flip * 7;
        FUZZ_ASSERT(fd >= 0 && pread(fd, &b, 1, at) == 1, "reading the log");
        b = (uint8_t)~b;
        FUZZ_ASSERT(pwrite(fd, &b, 1, at) == 1 && close(fd) == 0, "damaging the log");
    }
    if (cut) FUZZ_ASSERT(truncate(store_log_path(), size > (off_t)cut ? size - cut : 0) == 0,
                         "cutting the log");
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
    damage(cut, flip);
    if (!cut && !flip && all_known) check_exact_replay();
    store_check_log();
    return 0;
}
