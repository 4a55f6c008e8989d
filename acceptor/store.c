/* store.c -- the acceptor's durable log (see store.h).
 *
 * File layout, all integers little-endian:
 *
 *   file header   u32 magic "PXAL"   u32 version (2)
 *   record*       u32 magic "PXAR"   u32 length   u32 crc32c   payload
 *
 * The CRC covers the length field and the payload, so a torn or flipped
 * length is caught as well as a torn payload.  Payload:
 *
 *   u8 type  u64 ballot.round  u32 ballot.node  u64 slot  u16 n
 *   n * (u8 kind  u64 client  u64 seq  i64 value)
 *
 * PROMISE records carry slot 0 and n 0; TRIM records (type 3, new in
 * version 2) carry the mark in slot and n 0.  The length must be exactly
 * what n implies, so a decoder never guesses.  Version 1 files hold only
 * PROMISE and ACCEPT records, which read the same: they are accepted, and
 * their header is rewritten to version 2 at open.
 *
 * Recovery reads records in order.  At the first bad one it looks for any
 * valid record at a later byte offset: if there is one, the log is corrupt
 * (a torn write only ever damages the end) and opening fails untouched;
 * if not, the bad bytes are a torn tail and are cut off.
 *
 * Rewrite: the live state is written as a new log to acceptor.log.tmp,
 * made durable, renamed over acceptor.log, and the directory made durable
 * before anything is appended to the new file.  Until the rename the old
 * log is the log; a .tmp found at open is a rewrite that did not finish.
 */
#include "store.h"
#include "../common/bytes.h"
#include "../common/fileio.h"
#include "../common/crc32c.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_NAME "acceptor.log"
#define TMP_SUFFIX ".tmp"
#define FILE_MAGIC 0x4C415850u /* "PXAL" */
#define FILE_VERSION 2u
#define FILE_VERSION_OLD 1u /* no TRIM records: read, header upgraded */
#define FILE_HDR 8
#define REC_MAGIC 0x52415850u /* "PXAR" */
#define REC_HDR 12
#define PAYLOAD_FIXED 23 /* type, round, node, slot, n */
#define CMD_SIZE 25
#define MAX_PAYLOAD (PAYLOAD_FIXED + CMD_SIZE * PX_MAX_BATCH)
#define MAX_REC (REC_HDR + MAX_PAYLOAD)
#define READ_BUF (1u << 20) /* recovery reads this much at a time */
#define REWRITE_BUF (1u << 20) /* a rewrite writes about this much at a time */
#define SCAN_WIN (1u << 16) /* corruption scan window */

struct acc_store {
    int fd;
    int fsync_on;
    int failed; /* a write or sync failed: the file can no longer be trusted */
    int dirty;  /* appended since the last sync */
    char *dir, *path, *tmp_path;
    uint64_t size, records, syncs, rewrites;
    uint8_t *buf; /* append encoding buffer, reused */
    size_t buf_cap;
    int hold;         /* test mode: appended bytes wait in memory until sync */
    unsigned hold_us; /*   and the sync first waits this long (device latency) */
    uint8_t *held;    /* those bytes */
    size_t held_len, held_cap;
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

/* pread until n bytes or EOF; returns bytes read or -1. */
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

/* ---- record encoding ----------------------------------------------------- */

static size_t encode_payload(const acc_record *r, uint8_t *p)
{
    uint16_t n = r->type == ACC_REC_ACCEPT ? r->value.n : 0;
    p[0] = r->type;
    px_put64(p + 1, r->ballot.round);
    px_put32(p + 9, r->ballot.node);
    px_put64(p + 13, r->type == ACC_REC_PROMISE ? 0 : r->slot);
    px_put16(p + 21, n);
    uint8_t *q = p + PAYLOAD_FIXED;
    for (uint16_t i = 0; i < n; i++, q += CMD_SIZE) {
        const px_cmd *c = &r->value.cmds[i];
        q[0] = c->kind;
        px_put64(q + 1, c->client);
        px_put64(q + 9, c->seq);
        px_put64(q + 17, (uint64_t)c->value);
    }
    return (size_t)(q - p);
}

static uint32_t record_crc(const uint8_t *len_field, const uint8_t *payload, uint32_t len)
{
    return px_crc32c(px_crc32c(0, len_field, 4), payload, len);
}

/* Frames r at p (room for MAX_REC bytes); returns the bytes used. */
static size_t encode_record(const acc_record *r, uint8_t *p)
{
    uint32_t len = (uint32_t)encode_payload(r, p + REC_HDR);
    px_put32(p, REC_MAGIC);
    px_put32(p + 4, len);
    px_put32(p + 8, record_crc(p + 4, p + REC_HDR, len));
    return REC_HDR + len;
}

static int decode_payload(const uint8_t *p, uint32_t len, acc_record *r, char *why,
                          size_t whylen)
{
    memset(r, 0, offsetof(acc_record, value) + sizeof(r->value.n));
    r->type = p[0];
    r->ballot.round = px_get64(p + 1);
    r->ballot.node = px_get32(p + 9);
    r->slot = px_get64(p + 13);
    r->value.n = px_get16(p + 21);
    if (r->type != ACC_REC_PROMISE && r->type != ACC_REC_ACCEPT && r->type != ACC_REC_TRIM) {
        fmt(why, whylen, "unknown record type %u", r->type);
        return -1;
    }
    if (r->type == ACC_REC_TRIM && r->value.n != 0) {
        fmt(why, whylen, "TRIM record with %u commands", r->value.n);
        return -1;
    }
    if (r->value.n > PX_MAX_BATCH || len != PAYLOAD_FIXED + CMD_SIZE * (uint32_t)r->value.n) {
        fmt(why, whylen, "length %u does not match %u commands", len, r->value.n);
        return -1;
    }
    const uint8_t *q = p + PAYLOAD_FIXED;
    for (uint16_t i = 0; i < r->value.n; i++, q += CMD_SIZE) {
        px_cmd *c = &r->value.cmds[i];
        c->kind = q[0];
        c->client = px_get64(q + 1);
        c->seq = px_get64(q + 9);
        c->value = (int64_t)px_get64(q + 17);
    }
    return 0;
}

/* Parses one record from the avail bytes at p.  Returns its framed size,
 * or 0 with the reason in why. */
static size_t parse_record(const uint8_t *p, size_t avail, acc_record *r, char *why,
                           size_t whylen)
{
    if (avail < REC_HDR) {
        fmt(why, whylen, "incomplete record header (%zu of %d bytes)", avail, REC_HDR);
        return 0;
    }
    if (px_get32(p) != REC_MAGIC) {
        fmt(why, whylen, "bad record magic 0x%08x", px_get32(p));
        return 0;
    }
    uint32_t len = px_get32(p + 4);
    if (len < PAYLOAD_FIXED || len > MAX_PAYLOAD) {
        fmt(why, whylen, "record length %u out of range", len);
        return 0;
    }
    if (avail < REC_HDR + (size_t)len) {
        fmt(why, whylen, "incomplete record (%zu of %u bytes)", avail, REC_HDR + len);
        return 0;
    }
    if (record_crc(p + 4, p + REC_HDR, len) != px_get32(p + 8)) {
        fmt(why, whylen, "checksum mismatch");
        return 0;
    }
    if (decode_payload(p + REC_HDR, len, r, why, whylen) < 0) return 0;
    return REC_HDR + len;
}

/* ---- recovery ------------------------------------------------------------ */

/* A read-ahead window over the file, so recovery costs one pread per MB
 * rather than two per record. */
typedef struct reader {
    int fd;
    uint8_t *buf;
    uint64_t base, fsize;
    size_t len;
} reader;

/* Points *p at up to want bytes at off (fewer near EOF); returns how many
 * are available, or -1 on a read error. */
static ssize_t rd_at(reader *rd, uint64_t off, size_t want, const uint8_t **p)
{
    uint64_t left = rd->fsize - off;
    size_t need = left < want ? (size_t)left : want;
    if (off < rd->base || off + need > rd->base + rd->len) {
        uint64_t n = rd->fsize - off < READ_BUF ? rd->fsize - off : READ_BUF;
        ssize_t got = pread_full(rd->fd, rd->buf, (size_t)n, off);
        if (got < 0) return -1;
        rd->base = off;
        rd->len = (size_t)got;
        if (need > rd->len) need = rd->len; /* the file shrank under us */
    }
    *p = rd->buf + (off - rd->base);
    return (ssize_t)need;
}

/* Is there a valid record starting anywhere in (start, fsize)?  1 yes,
 * 0 no, -1 read error.  Only runs after a bad record, so a byte-by-byte
 * scan is fine; a random match needs both magic and CRC to agree. */
static int valid_record_after(int fd, uint64_t start, uint64_t fsize)
{
    uint8_t *buf = malloc(SCAN_WIN + MAX_REC);
    acc_record r;
    int found = 0;
    if (buf == NULL) return -1;
    for (uint64_t base = start + 1; base < fsize && !found; base += SCAN_WIN) {
        ssize_t got = pread_full(fd, buf, SCAN_WIN + MAX_REC, base);
        if (got < 0) { found = -1; break; }
        /* The window overlaps the next by MAX_REC, so any record starting
         * in [0, SCAN_WIN) lies wholly inside it. */
        for (size_t i = 0; i < SCAN_WIN && i < (size_t)got && !found; i++)
            if (buf[i] == 'P' && parse_record(buf + i, (size_t)got - i, &r, NULL, 0))
                found = 1;
    }
    free(buf);
    return found;
}

/* The record at off is bad (why): a torn tail is cut off, anything else
 * is corruption.  0 if recovered, -1 with err filled. */
static int handle_bad_record(struct acc_store *s, uint64_t off, uint64_t fsize,
                             const char *why, char *err, size_t errlen, char *info,
                             size_t infolen)
{
    int later = valid_record_after(s->fd, off, fsize);
    if (later < 0) {
        fmt(err, errlen, "%s: read: %s", s->path, strerror(errno));
        return -1;
    }
    if (later) {
        fmt(err, errlen, "%s: corrupt record at offset %llu: %s", s->path,
            (unsigned long long)off, why);
        return -1;
    }
    if (ftruncate(s->fd, (off_t)off) < 0 || fsync(s->fd) < 0) {
        fmt(err, errlen, "%s: cutting torn tail at offset %llu: %s", s->path,
            (unsigned long long)off, strerror(errno));
        return -1;
    }
    fmt(info, infolen, "truncated torn tail at offset %llu (%llu bytes)",
        (unsigned long long)off, (unsigned long long)(fsize - off));
    return 0;
}

/* Replays every record after the file header; cuts a torn tail.  The
 * replay callback may have seen a prefix of the log when this fails: the
 * caller must then throw its state away. */
static int replay(struct acc_store *s, uint64_t fsize, acc_store_replay_fn fn, void *arg,
                  char *err, size_t errlen, char *info, size_t infolen)
{
    reader rd = {.fd = s->fd, .buf = malloc(READ_BUF), .fsize = fsize};
    acc_record r;
    char why[96];
    uint64_t off = FILE_HDR;
    int rc = 0;
    if (rd.buf == NULL) {
        fmt(err, errlen, "%s: out of memory", s->path);
        return -1;
    }
    while (off < fsize) {
        const uint8_t *p;
        ssize_t avail = rd_at(&rd, off, MAX_REC, &p);
        if (avail < 0) {
            fmt(err, errlen, "%s: read: %s", s->path, strerror(errno));
            rc = -1;
            break;
        }
        size_t used = parse_record(p, (size_t)avail, &r, why, sizeof(why));
        if (used == 0) {
            rc = handle_bad_record(s, off, fsize, why, err, errlen, info, infolen);
            break;
        }
        if (fn) fn(arg, &r);
        s->records++;
        off += used;
    }
    free(rd.buf);
    s->size = off;
    return rc;
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
static int init_file(struct acc_store *s, const char *dir, char *err, size_t errlen)
{
    uint8_t h[FILE_HDR];
    px_put32(h, FILE_MAGIC);
    px_put32(h + 4, FILE_VERSION);
    if (ftruncate(s->fd, 0) < 0 || px_write_full(s->fd, h, sizeof(h)) < 0 || fsync(s->fd) < 0 ||
        px_fsync_dir(dir) < 0) {
        fmt(err, errlen, "%s: creating: %s", s->path, strerror(errno));
        return -1;
    }
    s->size = FILE_HDR;
    return 0;
}

/* Checks the file header.  *fresh = 1 if the file needs one written: it
 * is empty, or a crash cut the header short (its bytes are a prefix of a
 * valid one).  *old = 1 for a version 1 file. */
static int check_header(struct acc_store *s, uint64_t fsize, int *fresh, int *old, char *err,
                        size_t errlen)
{
    *old = 0;
    uint8_t h[FILE_HDR], want[FILE_HDR];
    px_put32(want, FILE_MAGIC);
    px_put32(want + 4, FILE_VERSION);
    size_t n = fsize < FILE_HDR ? (size_t)fsize : FILE_HDR;
    errno = 0;
    if (pread_full(s->fd, h, n, 0) != (ssize_t)n) {
        fmt(err, errlen, "%s: read: %s", s->path, errno ? strerror(errno) : "short read");
        return -1;
    }
    *fresh = n < FILE_HDR && memcmp(h, want, n) == 0;
    if (*fresh) return 0;
    if (n < FILE_HDR || px_get32(h) != FILE_MAGIC) {
        fmt(err, errlen, "%s: not an acceptor log (bad file header)", s->path);
        return -1;
    }
    *old = px_get32(h + 4) == FILE_VERSION_OLD;
    if (px_get32(h + 4) != FILE_VERSION && !*old) {
        fmt(err, errlen, "%s: unsupported acceptor log version %u (want %u or %u)", s->path,
            px_get32(h + 4), FILE_VERSION_OLD, FILE_VERSION);
        return -1;
    }
    return 0;
}

/* A version 1 log was replayed: mark it version 2 before anything new (a
 * TRIM record) is appended.  The header lies in the first sector, so the
 * 4-byte write lands whole or not at all; either header reads fine. */
static int upgrade_header(struct acc_store *s, char *err, size_t errlen)
{
    uint8_t v[4];
    px_put32(v, FILE_VERSION);
    /* s->fd is O_APPEND, where Linux ignores pwrite's offset. */
    int fd = open(s->path, O_WRONLY | O_CLOEXEC);
    int rc = fd < 0 || pwrite(fd, v, 4, 4) != 4 || (s->fsync_on && fsync(fd) < 0) ? -1 : 0;
    if (rc < 0) fmt(err, errlen, "%s: upgrading the header to version %u: %s", s->path,
                    FILE_VERSION, strerror(errno));
    if (fd >= 0) close(fd);
    return rc;
}

/* A rewrite that a crash interrupted before its rename: the log itself is
 * whole, the copy is garbage. */
static int remove_leftover_tmp(struct acc_store *s, char *err, size_t errlen, char *info,
                               size_t infolen)
{
    if (unlink(s->tmp_path) == 0) {
        fmt(info, infolen, "removed %s left by an unfinished rewrite", s->tmp_path);
        return 0;
    }
    if (errno == ENOENT) return 0;
    fmt(err, errlen, "removing %s: %s", s->tmp_path, strerror(errno));
    return -1;
}

static int open_file(struct acc_store *s, const char *dir, acc_store_replay_fn fn, void *arg,
                     char *err, size_t errlen, char *info, size_t infolen)
{
    struct stat st;
    int fresh, old;
    char note[256] = "";
    if (ensure_dir(dir, err, errlen) < 0) return -1;
    if (remove_leftover_tmp(s, err, errlen, note, sizeof note) < 0) return -1;
    s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->fd < 0 || fstat(s->fd, &st) < 0) {
        fmt(err, errlen, "open %s: %s", s->path, strerror(errno));
        return -1;
    }
    if (check_header(s, (uint64_t)st.st_size, &fresh, &old, err, errlen) < 0) return -1;
    int rc;
    if (fresh) {
        if (st.st_size > 0)
            fmt(info, infolen, "rewrote torn file header (%lld bytes)", (long long)st.st_size);
        rc = init_file(s, dir, err, errlen);
    } else {
        rc = replay(s, (uint64_t)st.st_size, fn, arg, err, errlen, info, infolen);
        if (rc == 0 && old) {
            rc = upgrade_header(s, err, errlen);
            if (rc == 0 && info && info[0] == 0)
                fmt(info, infolen, "upgraded the file header from version %u to %u",
                    FILE_VERSION_OLD, FILE_VERSION);
        }
    }
    /* The leftover .tmp note goes last, after whatever else happened. */
    if (rc == 0 && note[0] && info) {
        size_t used = strlen(info);
        fmt(info + used, infolen - used, "%s%s", used ? "; " : "", note);
    }
    return rc;
}

struct acc_store *acc_store_open(const char *dir, int fsync_on, acc_store_replay_fn fn,
                                 void *arg, char *err, size_t errlen, char *info,
                                 size_t infolen)
{
    fmt(err, errlen, "%s", "");
    fmt(info, infolen, "%s", "");
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
    if (open_file(s, dir, fn, arg, err, errlen, info, infolen) < 0) {
        acc_store_close(s);
        return NULL;
    }
    return s;
}

/* ---- appending and syncing ------------------------------------------------ */

void acc_store_hold_until_sync(struct acc_store *s, unsigned latency_us)
{
    s->hold = 1;
    s->hold_us = latency_us;
}

/* Test mode: keep the encoded batch in memory; acc_store_sync writes it. */
static int hold_bytes(struct acc_store *s, size_t len, size_t n, char *err, size_t errlen)
{
    if (s->held_len + len > s->held_cap) {
        size_t cap = s->held_cap ? s->held_cap : 65536;
        while (cap < s->held_len + len) cap *= 2;
        uint8_t *h = realloc(s->held, cap);
        if (h == NULL) {
            fmt(err, errlen, "%s: out of memory", s->path);
            s->failed = 1;
            return -1;
        }
        s->held = h;
        s->held_cap = cap;
    }
    memcpy(s->held + s->held_len, s->buf, len);
    s->held_len += len;
    s->size += len;
    s->records += n;
    s->dirty = 1;
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
    if (s->buf_cap < n * MAX_REC) {
        free(s->buf);
        s->buf_cap = n * MAX_REC;
        if ((s->buf = malloc(s->buf_cap)) == NULL) {
            s->buf_cap = 0;
            fmt(err, errlen, "%s: out of memory", s->path);
            return -1;
        }
    }
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += encode_record(&recs[i], s->buf + len);
    if (s->hold) return hold_bytes(s, len, n, err, errlen);
    /* One write per call: the batch lands together or, after a crash, as
     * a torn tail that recovery cuts off. */
    if (px_write_full(s->fd, s->buf, len) < 0) {
        fmt(err, errlen, "%s: write: %s", s->path, strerror(errno));
        /* Cut a partial batch so it cannot sit in front of later records
         * and look like corruption; the store stays unusable regardless. */
        if (ftruncate(s->fd, (off_t)s->size) < 0) { /* nothing more to do */ }
        s->failed = 1;
        return -1;
    }
    s->size += len;
    s->records += n;
    s->dirty = 1;
    return 0;
}

int acc_store_sync(struct acc_store *s, char *err, size_t errlen)
{
    if (s->failed) {
        fmt(err, errlen, "%s: unusable after an earlier write error", s->path);
        return -1;
    }
    if (s->held_len > 0) {
        /* Test mode: the bytes reach the kernel only after the simulated
         * device latency; a kill -9 meanwhile loses them, as a power cut
         * loses a write the device has not finished. */
        if (s->hold_us > 0) usleep(s->hold_us);
        if (px_write_full(s->fd, s->held, s->held_len) < 0) {
            fmt(err, errlen, "%s: write: %s", s->path, strerror(errno));
            s->failed = 1;
            return -1;
        }
        s->held_len = 0;
    }
    if (!s->dirty || !s->fsync_on) {
        s->dirty = 0;
        return 0;
    }
    int rc;
    do {
        rc = fdatasync(s->fd);
    } while (rc < 0 && errno == EINTR);
    s->syncs++;
    if (rc < 0) {
        /* After a failed fsync the kernel may have dropped the dirty pages:
         * nothing written since the last good sync can be trusted. */
        fmt(err, errlen, "%s: fdatasync: %s", s->path, strerror(errno));
        s->failed = 1;
        return -1;
    }
    s->dirty = 0;
    return 0;
}

/* ---- rewriting ------------------------------------------------------------ */

/* A rewrite in progress: records are encoded into buf and written to fd
 * about REWRITE_BUF at a time.  The source cannot return errors, so the
 * first one is kept and later records are skipped. */
typedef struct rewriter {
    struct acc_store *s;
    int fd;
    uint8_t *buf;
    size_t len;
    uint64_t size, records;
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
    w->len += encode_record(r, w->buf + w->len);
    w->records++;
    if (w->len >= REWRITE_BUF) rw_flush(w);
}

/* Writes the new log into the .tmp file and makes it durable.  Returns the
 * open fd (appends go on there after the rename), or -1 with err filled
 * and no .tmp left behind. */
static int write_tmp(struct acc_store *s, rewriter *w, acc_store_source_fn source, void *src,
                     char *err, size_t errlen)
{
    w->fd = open(s->tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    w->buf = malloc(REWRITE_BUF + MAX_REC);
    if (w->fd < 0 || w->buf == NULL) {
        w->err = w->fd < 0 ? errno : ENOMEM;
    } else {
        px_put32(w->buf, FILE_MAGIC);
        px_put32(w->buf + 4, FILE_VERSION);
        w->len = FILE_HDR;
        source(src, rw_put, w);
        rw_flush(w);
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

int acc_store_rewrite(struct acc_store *s, acc_store_source_fn source, void *src, char *err,
                      size_t errlen)
{
    if (s->failed) {
        fmt(err, errlen, "%s: unusable after an earlier write error", s->path);
        return -1;
    }
    /* The new log is made of the acceptor's state, which already counts
     * those records: were they lost, the copy would claim them anyway. */
    if (s->dirty || s->held_len > 0) {
        fmt(err, errlen, "%s: rewrite refused: appended records are not durable yet", s->path);
        return -1;
    }
    rewriter w = {.s = s, .fd = -1};
    int fd = write_tmp(s, &w, source, src, err, errlen);
    if (fd < 0) return -1;
    if (rename(s->tmp_path, s->path) < 0) {
        fmt(err, errlen, "rename %s to %s: %s", s->tmp_path, s->path, strerror(errno));
        close(fd);
        unlink(s->tmp_path);
        return -1;
    }
    /* From here on the new file is the log. */
    close(s->fd);
    s->fd = fd;
    s->size = w.size;
    s->records = w.records;
    s->rewrites++;
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

uint64_t acc_store_size(const struct acc_store *s) { return s->size; }
uint64_t acc_store_records(const struct acc_store *s) { return s->records; }
uint64_t acc_store_syncs(const struct acc_store *s) { return s->syncs; }
uint64_t acc_store_rewrites(const struct acc_store *s) { return s->rewrites; }
int acc_store_usable(const struct acc_store *s) { return !s->failed; }

void acc_store_close(struct acc_store *s)
{
    if (s == NULL) return;
    if (s->fd >= 0) close(s->fd);
    free(s->held);
    free(s->buf);
    free(s->path);
    free(s->tmp_path);
    free(s->dir);
    free(s);
}
