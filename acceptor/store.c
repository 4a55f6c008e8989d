/* store.c -- the acceptor's durable log (see store.h; the bytes are laid
 * out in store_format.h, recovery judges damage in store_recover.c).
 *
 * Writing: acc_store_append encodes records into the batch being
 * collected, stamped with its number; acc_store_sync flags the last record
 * END, writes the batch with one write, fdatasyncs, and only then writes
 * the batch's commit marker.  Batch k+1 is written only after batch k's
 * fdatasync returned.  Recovery depends on both orders: a marker, or a
 * record of a later batch, proves that what precedes it was durable.
 *
 * Opening a version 3 log: recovery replays it; a torn tail is cut; then
 * the log is sealed -- fsynced, and ended with a commit marker if it does
 * not end with one.  The caller acts on what was replayed at once (an
 * acceptor answers from the promise it recovered), so it must be on the
 * disk, not only in the page cache a killed process left behind; and the
 * marker lets a later recovery tell damage to those records from a torn
 * write.  A version 1 or 2 log is replayed, its torn tail cut, and then
 * converted: rewritten as version 3 the way acc_store_rewrite does.
 *
 * Rewrite: the live state is written as a new log (one batch, new salt) to
 * acceptor.log.tmp, made durable, renamed over acceptor.log, and the
 * directory made durable before anything is appended to the new file.
 * Until the rename the old log is the log; a .tmp found at open is a
 * rewrite that did not finish.
 */
#include "store.h"
#include "store_format.h"
#include "store_recover.h"
#include "../common/bytes.h"
#include "../common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_NAME "acceptor.log"
#define TMP_SUFFIX ".tmp"
#define REWRITE_BUF (1u << 20) /* a rewrite writes about this much at a time */

struct acc_store {
    int fd;
    int fsync_on;
    int failed; /* a write or sync failed: the file can no longer be trusted */
    char *dir, *path, *tmp_path;
    uint64_t size, records, syncs, rewrites;
    uint32_t seed;  /* checksum seed of the open file (from its salt) */
    uint32_t batch; /* number of the batch being collected */
    uint8_t *pend;  /* that batch, encoded */
    size_t pend_len, pend_cap;
    size_t pend_last; /* offset of its last record in pend */
    unsigned hold_us; /* test mode: a sync first waits this long */
};

/* ---- little helpers ---------------------------------------------------- */

static void fmt(char *buf, size_t len, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t len, const char *f, ...)
{
    if (buf == NULL || len == 0) return;
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, len, f, ap);
    va_end(ap);
}

/* Adds a note to the report's info line. */
static void add_info(acc_store_report *rep, const char *note)
{
    if (rep == NULL || note[0] == 0) return;
    size_t used = strlen(rep->info);
    fmt(rep->info + used, sizeof rep->info - used, "%s%s", used ? "; " : "", note);
}

static ssize_t pread_full(int fd, uint8_t *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int datasync(int fd)
{
    int rc;
    do {
        rc = fdatasync(fd);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

/* Each file gets its own salt, so that blocks of an older log the file
 * system hands back never pass for records of this one.  It need not be
 * secret, only different. */
static uint64_t new_salt(void)
{
    uint64_t salt = 0;
    if (getrandom(&salt, sizeof salt, GRND_NONBLOCK) != (ssize_t)sizeof salt) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        salt = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
    }
    return salt;
}

/* ---- rewriting a whole log -------------------------------------------------- */

/* A new log being written to the .tmp file: records are encoded into buf,
 * all as batch 1, and written about REWRITE_BUF at a time.  The source
 * cannot return errors, so the first one is kept and later records are
 * skipped. */
typedef struct rewriter {
    int fd;
    int fsync_on;
    uint8_t *buf;
    size_t len, last; /* last: offset in buf of the last record */
    uint64_t size, records;
    uint32_t seed;
    int err; /* errno of the first failure, 0 if none */
} rewriter;

static void rw_flush(rewriter *w)
{
    if (w->err || w->len == 0) return;
    if (px_write_full(w->fd, w->buf, w->len) < 0) w->err = errno ? errno : EIO;
    w->size += w->len;
    w->len = 0;
}

static void rw_put(void *arg, const acc_record *r)
{
    rewriter *w = arg;
    if (w->err) return;
    /* Flush before encoding, never after: the last record must still be
     * in the buffer when the end comes, to be flagged END. */
    if (w->len >= REWRITE_BUF) rw_flush(w);
    w->last = w->len;
    w->len += alog_put_record(r, 1, w->seed, w->buf + w->len);
    w->records++;
}

/* Closes the one batch.  Its marker goes in too: the file is made durable
 * as a whole before it becomes the log (without fsync, nothing is). */
static void rw_finish(rewriter *w)
{
    if (w->err) return;
    if (w->records > 0) {
        alog_set_end(w->buf + w->last, w->seed);
        if (w->fsync_on) w->len += alog_put_marker(1, w->seed, w->buf + w->len);
    }
    rw_flush(w);
}

/* Writes the new log into the .tmp file and makes it durable.  Returns the
 * open fd (appends go on there after the rename), or -1 with err filled
 * and no .tmp left behind. */
static int write_tmp(struct acc_store *s, rewriter *w, acc_store_source_fn source, void *src,
                     char *err, size_t errlen)
{
    uint64_t salt = new_salt();
    w->fd = open(s->tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    w->buf = malloc(REWRITE_BUF + ALOG_MAX_REC + ALOG_MARKER);
    w->fsync_on = s->fsync_on;
    w->seed = alog_seed(salt);
    if (w->fd < 0 || w->buf == NULL) {
        w->err = w->fd < 0 ? errno : ENOMEM;
    } else {
        alog_put_file_header(w->buf, salt);
        w->len = ALOG_FILE_HDR;
        source(src, rw_put, w);
        rw_finish(w);
        if (!w->err && s->fsync_on && fsync(w->fd) < 0) w->err = errno;
    }
    free(w->buf);
    w->buf = NULL;
    if (!w->err) return w->fd;
    fmt(err, errlen, "%s: writing: %s", s->tmp_path, strerror(w->err));
    if (w->fd >= 0) close(w->fd);
    unlink(s->tmp_path);
    return -1;
}

static void drop_tmp(struct acc_store *s, int fd)
{
    close(fd);
    unlink(s->tmp_path);
}

/* Renames the written .tmp over the log and appends go on in it. */
static int install_tmp(struct acc_store *s, const rewriter *w, char *err, size_t errlen)
{
    if (rename(s->tmp_path, s->path) < 0) {
        fmt(err, errlen, "rename %s to %s: %s", s->tmp_path, s->path, strerror(errno));
        drop_tmp(s, w->fd);
        return -1;
    }
    /* From here on the new file is the log. */
    if (s->fd >= 0) close(s->fd);
    s->fd = w->fd;
    s->size = w->size;
    s->records = w->records;
    s->seed = w->seed;
    s->batch = w->records > 0 ? 2 : 1;
    /* Until the rename is durable a crash may bring back the old file, which
     * lacks whatever is appended next: nothing may be appended before. */
    if (s->fsync_on && px_fsync_dir(s->dir) < 0) {
        fmt(err, errlen, "fsync %s after renaming the rewritten log: %s", s->dir,
            strerror(errno));
        s->failed = 1;
        return -1;
    }
    return 0;
}

/* ---- opening ------------------------------------------------------------- */

/* Creates dir if missing; a new directory's entry is made durable too. */
static int ensure_dir(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) < 0) {
        if (errno == EEXIST) return 0;
        fmt(err, errlen, "mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    char *copy = strdup(dir);
    int rc = copy ? px_fsync_dir(dirname(copy)) : -1;
    free(copy);
    if (rc < 0) fmt(err, errlen, "fsync parent of %s: %s", dir, strerror(errno));
    return rc;
}

/* Writes the file header into an empty (or torn-header) file and makes the
 * file and its directory entry durable. */
static int init_file(struct acc_store *s, char *err, size_t errlen)
{
    uint8_t h[ALOG_FILE_HDR];
    uint64_t salt = new_salt();
    alog_put_file_header(h, salt);
    if (ftruncate(s->fd, 0) < 0 || px_write_full(s->fd, h, sizeof h) < 0 || fsync(s->fd) < 0 ||
        px_fsync_dir(s->dir) < 0) {
        fmt(err, errlen, "%s: creating: %s", s->path, strerror(errno));
        return -1;
    }
    s->seed = alog_seed(salt);
    s->size = ALOG_FILE_HDR;
    s->batch = 1;
    return 0;
}

enum header_kind { HDR_FRESH, HDR_CURRENT, HDR_OLD };

/* A crash while the file was created: no longer than a header, and its
 * bytes the start of one (salt and checksum are unknown) or zeros. */
static int torn_header(const uint8_t *h, size_t n)
{
    uint8_t want[8];
    int zeros = 1;
    px_put32(want, ALOG_MAGIC);
    px_put32(want + 4, ALOG_VERSION);
    for (size_t i = 0; i < n; i++) zeros &= h[i] == 0;
    return zeros || memcmp(h, want, n < 8 ? n : 8) == 0;
}

/* A version 3 header whose version field was damaged: with 3 put back, it
 * checksums.  Read as the version it now says (1 or 2), no record would
 * parse and the whole log would be cut as a torn tail.  (A real version 1
 * or 2 file holds its first record's magic, length and CRC there, which
 * match by chance once in 2^32.) */
static int damaged_version(const uint8_t *h, size_t n)
{
    uint8_t v3[ALOG_FILE_HDR];
    uint64_t salt;
    if (n < ALOG_FILE_HDR) return 0;
    memcpy(v3, h, sizeof v3);
    px_put32(v3 + 4, ALOG_VERSION);
    return alog_get_file_header(v3, &salt, NULL, 0) == 0;
}

/* Reads the file header: *kind says what follows; *salt for the current
 * version, *version for the old ones. */
static int check_header(int fd, const char *path, uint64_t fsize, enum header_kind *kind,
                        uint64_t *salt, unsigned *version, char *err, size_t errlen)
{
    uint8_t h[ALOG_FILE_HDR];
    char why[64];
    size_t n = fsize < ALOG_FILE_HDR ? (size_t)fsize : ALOG_FILE_HDR;
    errno = 0;
    if (pread_full(fd, h, n, 0) != (ssize_t)n) {
        fmt(err, errlen, "%s: read: %s", path, errno ? strerror(errno) : "short read");
        return -1;
    }
    int magic = n >= 8 && px_get32(h) == ALOG_MAGIC;
    *version = magic ? px_get32(h + 4) : 0;
    if (*version == ALOG_VERSION && n == ALOG_FILE_HDR &&
        alog_get_file_header(h, salt, why, sizeof why) == 0) {
        *kind = HDR_CURRENT;
    } else if (fsize <= ALOG_FILE_HDR && torn_header(h, n)) {
        *kind = HDR_FRESH;
    } else if (!magic) {
        fmt(err, errlen, "%s: not an acceptor log (bad file header)", path);
        return -1;
    } else if (*version != ALOG_VERSION && damaged_version(h, n)) {
        fmt(err, errlen, "%s: damaged file header: the version field reads %u, but the header "
            "checksums as version %u", path, *version, ALOG_VERSION);
        return -1;
    } else if (*version == 1 || *version == 2) {
        *kind = HDR_OLD;
    } else if (*version == ALOG_VERSION) {
        fmt(err, errlen, "%s: %s", path, why);
        return -1;
    } else {
        fmt(err, errlen, "%s: unsupported acceptor log version %u (want 1 to %u)", path,
            *version, ALOG_VERSION);
        return -1;
    }
    return 0;
}

/* Makes what recovery kept durable, and ends it with a commit marker if
 * it does not end with one (see the top of this file). */
static int seal(struct acc_store *s, const alog_recovered *out, int cut, char *err,
                size_t errlen)
{
    uint8_t m[ALOG_MARKER];
    int ok;
    if (out->last == ALOG_LAST_NONE || out->last == ALOG_LAST_MARKER) {
        ok = !cut || fsync(s->fd) == 0;
    } else {
        /* Records first, marker after: the marker must never be on the
         * disk without them. */
        alog_put_marker(out->batch, s->seed, m);
        ok = fsync(s->fd) == 0 && px_write_full(s->fd, m, sizeof m) == 0 && datasync(s->fd) == 0;
        if (ok) s->size += ALOG_MARKER;
    }
    if (!ok) fmt(err, errlen, "%s: making the recovered log durable: %s", s->path,
                 strerror(errno));
    return ok ? 0 : -1;
}

static int open_current(struct acc_store *s, uint64_t fsize, uint64_t salt,
                        acc_store_replay_fn fn, void *arg, acc_store_report *rep, char *err,
                        size_t errlen)
{
    alog_recovered out;
    s->seed = alog_seed(salt);
    if (alog_recover(s->fd, s->path, fsize, s->seed, fn, arg, &out, rep, err, errlen) < 0)
        return -1;
    int cut = out.end < fsize;
    if (cut && ftruncate(s->fd, (off_t)out.end) < 0) {
        fmt(err, errlen, "%s: cutting the torn tail at offset %llu: %s", s->path,
            (unsigned long long)out.end, strerror(errno));
        return -1;
    }
    s->size = out.end;
    s->records = out.records;
    s->batch = out.last == ALOG_LAST_NONE ? 1 : out.batch + 1;
    return seal(s, &out, cut, err, errlen);
}

/* Feeds the records of an old-format log to a rewrite. */
typedef struct old_source {
    int fd;
    const char *path;
    uint64_t end;
    int failed;
} old_source;

static void old_records(void *src, acc_record_fn put, void *put_arg)
{
    old_source *o = src;
    alog_recovered out;
    char err[256];
    if (alog_recover_old(o->fd, o->path, o->end, put, put_arg, &out, NULL, err, sizeof err) < 0 ||
        out.end != o->end)
        o->failed = 1;
}

/* A version 1 or 2 log: replayed, its torn tail cut, then rewritten as
 * version 3 (which an older binary refuses instead of misreading). */
static int open_old(struct acc_store *s, uint64_t fsize, unsigned version,
                    acc_store_replay_fn fn, void *arg, acc_store_report *rep, char *err,
                    size_t errlen)
{
    alog_recovered out;
    if (alog_recover_old(s->fd, s->path, fsize, fn, arg, &out, rep, err, errlen) < 0)
        return -1;
    if (out.end < fsize && (ftruncate(s->fd, (off_t)out.end) < 0 || fsync(s->fd) < 0)) {
        fmt(err, errlen, "%s: cutting the torn tail at offset %llu: %s", s->path,
            (unsigned long long)out.end, strerror(errno));
        return -1;
    }
    old_source o = {.fd = s->fd, .path = s->path, .end = out.end};
    rewriter w = {.fd = -1};
    if (write_tmp(s, &w, old_records, &o, err, errlen) < 0) return -1;
    if (o.failed) {
        fmt(err, errlen, "%s: converting: the log changed while it was read", s->path);
        drop_tmp(s, w.fd);
        return -1;
    }
    if (install_tmp(s, &w, err, errlen) < 0) return -1;
    char note[128];
    fmt(note, sizeof note, "converted from version %u to version %u (%llu records)", version,
        ALOG_VERSION, (unsigned long long)w.records);
    add_info(rep, note);
    return 0;
}

/* A rewrite that a crash interrupted before its rename: the log itself is
 * whole, the copy is garbage. */
static int remove_leftover_tmp(struct acc_store *s, char *note, size_t notelen, char *err,
                               size_t errlen)
{
    if (unlink(s->tmp_path) == 0) {
        fmt(note, notelen, "removed %s left by an unfinished rewrite", s->tmp_path);
        return 0;
    }
    if (errno == ENOENT) return 0;
    fmt(err, errlen, "removing %s: %s", s->tmp_path, strerror(errno));
    return -1;
}

static int open_file(struct acc_store *s, acc_store_replay_fn fn, void *arg,
                     acc_store_report *rep, char *err, size_t errlen)
{
    struct stat st;
    enum header_kind kind;
    uint64_t salt = 0;
    unsigned version;
    char note[256] = "";
    if (ensure_dir(s->dir, err, errlen) < 0) return -1;
    if (remove_leftover_tmp(s, note, sizeof note, err, errlen) < 0) return -1;
    s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->fd < 0 || fstat(s->fd, &st) < 0) {
        fmt(err, errlen, "open %s: %s", s->path, strerror(errno));
        return -1;
    }
    uint64_t fsize = (uint64_t)st.st_size;
    if (check_header(s->fd, s->path, fsize, &kind, &salt, &version, err, errlen) < 0) return -1;
    int rc;
    if (kind == HDR_CURRENT) {
        rc = open_current(s, fsize, salt, fn, arg, rep, err, errlen);
    } else if (kind == HDR_OLD) {
        rc = open_old(s, fsize, version, fn, arg, rep, err, errlen);
    } else {
        char torn[64];
        fmt(torn, sizeof torn, "rewrote torn file header (%llu bytes)",
            (unsigned long long)fsize);
        if (fsize > 0) add_info(rep, torn);
        rc = init_file(s, err, errlen);
    }
    /* The leftover .tmp note goes last, after whatever else happened. */
    if (rc == 0) add_info(rep, note);
    return rc;
}

struct acc_store *acc_store_open(const char *dir, int fsync_on, acc_store_replay_fn fn,
                                 void *arg, acc_store_report *report, char *err,
                                 size_t errlen)
{
    fmt(err, errlen, "%s", "");
    if (report) memset(report, 0, sizeof *report);
    struct acc_store *s = calloc(1, sizeof(*s));
    size_t plen = strlen(dir) + sizeof("/" LOG_NAME TMP_SUFFIX);
    if (s == NULL || (s->path = malloc(plen)) == NULL || (s->tmp_path = malloc(plen)) == NULL ||
        (s->dir = strdup(dir)) == NULL) {
        if (s) {
            free(s->path);
            free(s->tmp_path);
        }
        free(s);
        fmt(err, errlen, "%s: out of memory", dir);
        return NULL;
    }
    snprintf(s->path, plen, "%s/%s", dir, LOG_NAME);
    snprintf(s->tmp_path, plen, "%s/%s%s", dir, LOG_NAME, TMP_SUFFIX);
    s->fd = -1;
    s->fsync_on = fsync_on;
    if (open_file(s, fn, arg, report, err, errlen) < 0) {
        acc_store_close(s);
        return NULL;
    }
    return s;
}

/* ---- reading only ------------------------------------------------------------ */

int acc_store_read(const char *dir, acc_store_visit_fn visit, void *arg, int *exists,
                   acc_store_report *report, char *err, size_t errlen)
{
    char path[4096];
    struct stat st;
    enum header_kind kind;
    uint64_t salt = 0;
    unsigned version;
    alog_recovered out;
    fmt(err, errlen, "%s", "");
    if (report) memset(report, 0, sizeof *report);
    if (exists) *exists = 0;
    fmt(path, sizeof path, "%s/%s", dir, LOG_NAME);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return 0;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fmt(err, errlen, "open %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    uint64_t fsize = (uint64_t)st.st_size;
    int rc = check_header(fd, path, fsize, &kind, &salt, &version, err, errlen);
    if (rc == 0 && kind == HDR_OLD) {
        fmt(err, errlen, "%s: a version %u log; starting the acceptor converts it to version %u",
            path, version, ALOG_VERSION);
        rc = -1;
    } else if (rc == 0 && kind == HDR_CURRENT) {
        if (exists) *exists = 1;
        rc = alog_recover_visit(fd, path, fsize, alog_seed(salt), visit, arg, &out, report, err,
                                errlen);
    }
    close(fd);
    return rc;
}

/* ---- appending and syncing ------------------------------------------------ */

void acc_store_hold_until_sync(struct acc_store *s, unsigned latency_us)
{
    s->hold_us = latency_us;
}

static int reserve_pending(struct acc_store *s, size_t more)
{
    if (s->pend_len + more <= s->pend_cap) return 0;
    size_t cap = s->pend_cap ? s->pend_cap : 65536;
    while (cap < s->pend_len + more) cap *= 2;
    uint8_t *p = realloc(s->pend, cap);
    if (p == NULL) return -1;
    s->pend = p;
    s->pend_cap = cap;
    return 0;
}

int acc_store_append(struct acc_store *s, const acc_record *recs, size_t n, char *err,
                     size_t errlen)
{
    if (s->failed) {
        fmt(err, errlen, "%s: unusable after an earlier write error", s->path);
        return -1;
    }
    if (n == 0) return 0;
    if (reserve_pending(s, n * ALOG_MAX_REC) < 0) {
        fmt(err, errlen, "%s: out of memory", s->path);
        return -1;
    }
    size_t before = s->pend_len;
    for (size_t i = 0; i < n; i++) {
        s->pend_last = s->pend_len;
        s->pend_len += alog_put_record(&recs[i], s->batch, s->seed, s->pend + s->pend_len);
    }
    s->size += s->pend_len - before;
    s->records += n;
    return 0;
}

/* One write for the whole batch: it lands together or, after a crash, as
 * a torn tail that recovery cuts off. */
static int write_batch(struct acc_store *s, char *err, size_t errlen)
{
    if (px_write_full(s->fd, s->pend, s->pend_len) == 0) return 0;
    fmt(err, errlen, "%s: write: %s", s->path, strerror(errno));
    /* Cut a partial batch so it cannot sit in front of later records and
     * look like damage; the store stays unusable regardless. */
    if (ftruncate(s->fd, (off_t)(s->size - s->pend_len)) < 0) { /* nothing more to do */ }
    s->failed = 1;
    return -1;
}

int acc_store_sync(struct acc_store *s, char *err, size_t errlen)
{
    if (s->failed) {
        fmt(err, errlen, "%s: unusable after an earlier write error", s->path);
        return -1;
    }
    if (s->pend_len == 0) return 0;
    alog_set_end(s->pend + s->pend_last, s->seed);
    /* Test mode: the bytes reach the kernel only after the simulated
     * device latency; a kill -9 meanwhile loses them, as a power cut loses
     * a write the device has not finished. */
    if (s->hold_us > 0) usleep(s->hold_us);
    if (write_batch(s, err, errlen) < 0) return -1;
    s->pend_len = 0;
    if (!s->fsync_on) {
        s->batch++; /* no marker: nothing is known durable */
        return 0;
    }
    int rc = datasync(s->fd);
    s->syncs++;
    if (rc < 0) {
        /* After a failed fsync the kernel may have dropped the dirty pages:
         * nothing written since the last good sync can be trusted. */
        fmt(err, errlen, "%s: fdatasync: %s", s->path, strerror(errno));
        s->failed = 1;
        return -1;
    }
    /* The batch is durable: say so.  The marker itself is not synced; the
     * next batch's fdatasync, or the kernel's write-back, takes it to the
     * disk. */
    uint8_t m[ALOG_MARKER];
    alog_put_marker(s->batch, s->seed, m);
    if (px_write_full(s->fd, m, sizeof m) < 0) {
        fmt(err, errlen, "%s: write: %s", s->path, strerror(errno));
        s->failed = 1;
        return -1;
    }
    s->size += ALOG_MARKER;
    s->batch++;
    return 0;
}

/* ---- rewriting ------------------------------------------------------------ */

int acc_store_rewrite(struct acc_store *s, acc_store_source_fn source, void *src, char *err,
                      size_t errlen)
{
    if (s->failed) {
        fmt(err, errlen, "%s: unusable after an earlier write error", s->path);
        return -1;
    }
    /* The new log is made of the acceptor's state, which already counts
     * those records: were they lost, the copy would claim them anyway. */
    if (s->pend_len > 0) {
        fmt(err, errlen, "%s: rewrite refused: appended records are not durable yet", s->path);
        return -1;
    }
    rewriter w = {.fd = -1};
    if (write_tmp(s, &w, source, src, err, errlen) < 0) return -1;
    int rc = install_tmp(s, &w, err, errlen);
    if (rc == 0 || s->failed) s->rewrites++; /* the new file is the log either way */
    return rc;
}

uint64_t acc_store_size(const struct acc_store *s) { return s->size; }
uint64_t acc_store_records(const struct acc_store *s) { return s->records; }
uint64_t acc_store_syncs(const struct acc_store *s) { return s->syncs; }
uint64_t acc_store_rewrites(const struct acc_store *s) { return s->rewrites; }
int acc_store_usable(const struct acc_store *s) { return !s->failed; }

void acc_store_close(struct acc_store *s)
{
    if (s == NULL) return;
    if (s->fd >= 0) close(s->fd);
    free(s->pend);
    free(s->path);
    free(s->tmp_path);
    free(s->dir);
    free(s);
}
