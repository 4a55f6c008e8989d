/* store_check.c -- see store_check.h.
 *
 * A recovered state is looked at through acceptor_export, the records a
 * rewrite would write: PROMISE(promised), TRIM(mark), then one ACCEPT per
 * entry in slot order.  That is public API, so those checks hold whatever
 * the log's format; only the file header's first bytes and the size of a
 * commit marker are taken from store_format.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acceptor/store_format.h"
#include "common/bytes.h"
#include "fuzz.h"
#include "store_check.h"

static char dir[PATH_MAX], log_path[PATH_MAX + 32], tmp_path[PATH_MAX + 32];
static char err[1024];
static acc_store_report rep;

/* ---- the per-process directory ------------------------------------------ */

static void remove_dir(void)
{
    store_reset_dir();
    rmdir(dir);
}

static const char *temp_root(void)
{
    const char *t = getenv("TMPDIR");
    if (t && *t) return t;
    return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

void store_make_dir(const char *prefix)
{
    snprintf(dir, sizeof dir, "%s/%s.XXXXXX", temp_root(), prefix);
    if (mkdtemp(dir) == NULL) {
        perror("fuzz: mkdtemp");
        exit(1);
    }
    snprintf(log_path, sizeof log_path, "%s/acceptor.log", dir);
    snprintf(tmp_path, sizeof tmp_path, "%s/acceptor.log.tmp", dir);
    atexit(remove_dir);
}

const char *store_dir(void) { return dir; }
const char *store_log_path(void) { return log_path; }

void store_reset_dir(void)
{
    unlink(log_path);
    unlink(tmp_path);
}

void store_write_log(const uint8_t *data, size_t size)
{
    unlink(tmp_path);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) < 0) {
        perror("fuzz: writing the input");
        exit(1);
    }
}

uint64_t store_log_size(void)
{
    struct stat st;
    FUZZ_ASSERT(stat(log_path, &st) == 0, "the log vanished");
    return (uint64_t)st.st_size;
}

uint8_t *store_read_log(size_t *size)
{
    *size = (size_t)store_log_size();
    uint8_t *b = malloc(*size ? *size : 1);
    int fd = open(log_path, O_RDONLY);
    FUZZ_ASSERT(b != NULL && fd >= 0, "reading the log");
    FUZZ_ASSERT(*size == 0 || pread(fd, b, *size, 0) == (ssize_t)*size, "reading the log");
    close(fd);
    return b;
}

int store_report_clean(const acc_store_report *r)
{
    return r->info[0] == 0 && r->warn[0] == 0 && r->cut_bytes == 0 && r->cut_records == 0 &&
           r->cut_offset == 0;
}

/* ---- a recovered state, as the records a rewrite would write ------------- */

typedef struct state {
    acc_record *v;
    size_t n, cap;
} state;

static state first, second; /* reused: an acc_record is about 1 KB */

static void collect(void *arg, const acc_record *r)
{
    state *s = arg;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (s->v == NULL) abort();
    }
    acc_record *d = &s->v[s->n++];
    memset(d, 0, sizeof *d);
    d->type = r->type;
    d->ballot = r->ballot;
    d->slot = r->slot;
    d->value.n = r->value.n <= PX_MAX_BATCH ? r->value.n : 0;
    memcpy(d->value.cmds, r->value.cmds, d->value.n * sizeof(px_cmd));
}

static void export_state(const struct acceptor *a, state *s)
{
    s->n = 0;
    acceptor_export(a, collect, s);
}

/* Field by field: px_cmd has padding, which memcmp would compare. */
int store_same_record(const acc_record *a, const acc_record *b)
{
    if (a->type != b->type || px_ballot_cmp(a->ballot, b->ballot) != 0 || a->slot != b->slot ||
        a->value.n != b->value.n || a->value.n > PX_MAX_BATCH)
        return 0;
    for (int i = 0; i < a->value.n; i++) {
        const px_cmd *x = &a->value.cmds[i], *y = &b->value.cmds[i];
        if (x->kind != y->kind || x->client != y->client || x->seq != y->seq ||
            x->value != y->value)
            return 0;
    }
    return 1;
}

static int states_equal(const state *a, const state *b)
{
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (!store_same_record(&a->v[i], &b->v[i])) return 0;
    return 1;
}

int store_same_state(const struct acceptor *a, const struct acceptor *b)
{
    export_state(a, &first);
    export_state(b, &second);
    return states_equal(&first, &second);
}

/* The promise covers every vote, no vote lies below the compaction mark,
 * and entries are one per slot, in slot order. */
static void check_invariants(const struct acceptor *a, const state *s)
{
    px_ballot promised = acceptor_promised(a);
    uint64_t mark = acceptor_trimmed(a), prev = 0;
    size_t accepts = 0;
    for (size_t i = 0; i < s->n; i++) {
        const acc_record *r = &s->v[i];
        if (r->type != ACC_REC_ACCEPT) continue;
        FUZZ_ASSERT(px_ballot_cmp(r->ballot, promised) <= 0,
                    "an accepted ballot above the recovered promise");
        FUZZ_ASSERT(r->slot >= mark, "an accepted slot below the compaction mark");
        FUZZ_ASSERT(accepts == 0 || r->slot > prev, "accepted slots not strictly increasing");
        prev = r->slot;
        accepts++;
    }
    FUZZ_ASSERT(accepts == acceptor_accepted_count(a), "export and count disagree");
}

/* ---- opening ------------------------------------------------------------- */

typedef struct replay_ctx {
    struct acceptor *a;
    uint64_t records;
} replay_ctx;

static void replay(void *arg, const acc_record *r)
{
    replay_ctx *c = arg;
    acceptor_restore(c->a, r);
    c->records++;
}

/* Opens the log into a fresh core (c->a, freed by the caller); NULL if
 * the store refused it. */
static struct acc_store *open_log(replay_ctx *c)
{
    c->a = acceptor_new(1);
    c->records = 0;
    err[0] = 0;
    struct acc_store *s = acc_store_open(dir, 0, replay, c, &rep, err, sizeof err);
    if (s == NULL) {
        FUZZ_ASSERT(err[0] != 0, "acc_store_open failed without a message");
        FUZZ_ASSERT(strstr(err, log_path) != NULL, "a refusal does not name the file");
        return NULL;
    }
    FUZZ_ASSERT(acc_store_records(s) == c->records, "records replayed and counted differ");
    FUZZ_ASSERT(store_log_size() == acc_store_size(s), "file size differs from the store's");
    return s;
}

/* What the report says agrees with itself and with the file it was about
 * (before[0..size)), which is now the file on disk (after[0..n)). */
static void check_report(const uint8_t *before, size_t size, const uint8_t *after, size_t n)
{
    uint8_t want[8];
    px_put32(want, ALOG_MAGIC);
    px_put32(want + 4, ALOG_VERSION);
    FUZZ_ASSERT(n >= ALOG_FILE_HDR && memcmp(after, want, sizeof want) == 0,
                "a recovered log has no current file header");
    if (rep.cut_bytes == 0) {
        FUZZ_ASSERT(rep.warn[0] == 0 && rep.cut_offset == 0 && rep.cut_records == 0,
                    "a warning or cut fields without a cut");
    } else {
        FUZZ_ASSERT(rep.warn[0] != 0, "a tail was cut without a warning");
        FUZZ_ASSERT(rep.cut_offset + rep.cut_bytes == size,
                    "cut offset and bytes do not end at the old end of the file");
    }
    /* Neither converted nor re-created: recovery may only cut the tail and
     * seal what it kept with a commit marker. */
    if (rep.info[0] != 0 || size == 0) return;
    size_t keep = rep.cut_bytes ? (size_t)rep.cut_offset : size;
    FUZZ_ASSERT(n >= keep && memcmp(after, before, keep) == 0,
                "recovery changed bytes it kept");
    FUZZ_ASSERT(n == keep || n == keep + ALOG_MARKER,
                "recovery added more than a commit marker");
}

static void export_source(void *src, acc_record_fn put, void *put_arg)
{
    acceptor_export(src, put, put_arg);
}

/* The recovered log takes an append (a higher promise), reopens to the
 * same state with no repair, and a rewrite of it reopens the same again. */
static void check_stable(replay_ctx *c1, struct acc_store *s1)
{
    px_ballot p = acceptor_promised(c1->a);
    int append = p.round < PX_MAX_ROUND; /* a higher promise stays a sane one */
    if (append) {
        acc_record r = {.type = ACC_REC_PROMISE, .ballot = {p.round + 1, 1}};
        FUZZ_ASSERT(acc_store_append(s1, &r, 1, err, sizeof err) == 0 &&
                        acc_store_sync(s1, err, sizeof err) == 0,
                    "appending to a recovered log failed");
        acceptor_restore(c1->a, &r);
    }
    acc_store_close(s1);

    replay_ctx c2;
    struct acc_store *s2 = open_log(&c2);
    FUZZ_ASSERT(s2 != NULL, "a recovered log does not reopen");
    FUZZ_ASSERT(store_report_clean(&rep), "a recovered log needed recovering again");
    FUZZ_ASSERT(c2.records == c1->records + (uint64_t)append, "reopened with other records");
    FUZZ_ASSERT(store_same_state(c1->a, c2.a), "a reopened log recovers another state");

    FUZZ_ASSERT(acc_store_rewrite(s2, export_source, c2.a, err, sizeof err) == 0,
                "rewriting a recovered log failed");
    acc_store_close(s2);
    acceptor_free(c2.a);

    replay_ctx c3;
    struct acc_store *s3 = open_log(&c3);
    FUZZ_ASSERT(s3 != NULL, "a rewritten log does not reopen");
    FUZZ_ASSERT(store_report_clean(&rep), "a rewritten log needed repair");
    FUZZ_ASSERT(store_same_state(c1->a, c3.a), "a rewritten log recovers another state");
    acc_store_close(s3);
    acceptor_free(c3.a);
}

void store_check_log(const uint8_t *before, size_t size)
{
    replay_ctx c1;
    struct acc_store *s1 = open_log(&c1);
    size_t n;
    uint8_t *after = store_read_log(&n);
    if (s1 == NULL) {
        FUZZ_ASSERT(n == size && memcmp(after, before, n) == 0, "a refused log was changed");
    } else {
        check_report(before, size, after, n);
        export_state(c1.a, &first);
        check_invariants(c1.a, &first);
        check_stable(&c1, s1);
    }
    free(after);
    acceptor_free(c1.a);
}
