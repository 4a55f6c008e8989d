/* store_recover.c -- reading acceptor.log at open (see store_recover.h).
 *
 * Records are replayed in order.  Every one must belong where it stands:
 * a record carries the number of the batch being read (or, after its END
 * record or commit marker, the next one); a commit marker follows a record
 * of its own batch.  A record whose checksums match but which stands out of
 * place means records were lost or moved, and is refused.
 *
 * At the first damaged item -- header or commands failing their checksum,
 * the file ending inside it -- the batch it belongs to, K, is known: from
 * its header if that checks out, else from what precedes it (the batch
 * being read, or the next one after an END record or a marker).  The rest
 * of the file is then searched for any header that checks out:
 *
 *   - a commit marker, or a record of another batch: the store writes a
 *     marker only after its batch's fdatasync returned, and a batch only
 *     after the previous one's did.  So batch K, and the damaged bytes
 *     before the marker or record, were durable: this is damage, not a torn
 *     write.  Refused, nothing cut.
 *   - nothing, or records of batch K only: batch K is the last one written
 *     and no marker says it was synced.  A crash tore it (its fdatasync
 *     never returned, so none of its replies left) -- or, the one case the
 *     format cannot tell, the fdatasync returned and the machine lost power
 *     before the marker reached the disk, and the damage is a flipped bit.
 *     The log ends at the damaged item: it and everything after it are cut;
 *     the records of batch K before it stay.
 */
#include "store_recover.h"
#include "store_format.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BUF (1u << 20) /* recovery reads this much at a time */
#define LIST_MAX 2400       /* characters of record descriptions in a report */

static void fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t len, const char *f, ...)
{
    if (buf == NULL || len == 0) return;
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, len, f, ap);
    va_end(ap);
}

/* ---- reading ------------------------------------------------------------- */

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

/* A read-ahead window over the file, so recovery costs one pread per MB
 * rather than one or two per record. */
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
        uint64_t n = left < READ_BUF ? left : READ_BUF;
        ssize_t got = pread_full(rd->fd, rd->buf, (size_t)n, off);
        if (got < 0) return -1;
        rd->base = off;
        rd->len = (size_t)got;
        if (need > rd->len) need = rd->len; /* the file shrank under us */
    }
    *p = rd->buf + (off - rd->base);
    return (ssize_t)need;
}

static int all_zero(reader *rd, uint64_t off, uint64_t end)
{
    while (off < end) {
        const uint8_t *p;
        ssize_t n = rd_at(rd, off, READ_BUF, &p);
        if (n <= 0) return 0;
        for (ssize_t i = 0; i < n; i++)
            if (p[i]) return 0;
        off += (uint64_t)n;
    }
    return 1;
}

/* ---- what was seen, for messages ------------------------------------------ */

/* The highest slot and ballot among readable records: what an operator
 * must know before giving up a refused log (docs/OPERATIONS.md). */
typedef struct highs {
    uint64_t slot;
    px_ballot ballot;
} highs;

static void highs_add(highs *h, const acc_record *r)
{
    if (r->type == ACC_REC_ACCEPT && r->slot > h->slot) h->slot = r->slot;
    if (px_ballot_cmp(r->ballot, h->ballot) > 0) h->ballot = r->ballot;
}

/* The records a torn tail held: listed while they fit, then counted with
 * the range of their slots. */
typedef struct droplist {
    char text[LIST_MAX];
    size_t len;
    uint64_t n, unlisted, lo, hi;
} droplist;

static void drop_add(droplist *d, const acc_record *r)
{
    char one[96];
    alog_describe(r, one, sizeof one);
    d->n++;
    if (d->unlisted == 0 && d->len + strlen(one) + 2 < sizeof d->text) {
        int w = snprintf(d->text + d->len, sizeof d->text - d->len, "%s%s", d->len ? ", " : "",
                         one);
        if (w > 0) d->len += (size_t)w;
        return;
    }
    if (r->type == ACC_REC_ACCEPT) {
        if (d->lo == 0 && d->hi == 0) d->lo = d->hi = r->slot;
        if (r->slot < d->lo) d->lo = r->slot;
        if (r->slot > d->hi) d->hi = r->slot;
    }
    d->unlisted++;
}

/* ---- the damaged item and the judgment ------------------------------------- */

typedef struct damage {
    uint64_t off;   /* where the damaged item starts */
    uint32_t batch; /* the batch it belongs to */
    int readable;   /* its header checked out: rec says what it was */
    acc_record rec;
    char why[128];
} damage;

/* The first header after the damage that proves it hit durable data. */
typedef struct evidence {
    int found;
    uint64_t off;
    alog_item it;
} evidence;

/* Walks [d->off, fsize) for headers that check out (byte by byte where
 * none does, else from item to item), noting the first that is not a
 * record of batch d->batch and, until then, the records dropped. */
static int scan_after(reader *rd, const damage *d, uint32_t seed, droplist *drops,
                      evidence *ev, highs *h)
{
    alog_item it;
    for (uint64_t pos = d->off; pos < rd->fsize;) {
        const uint8_t *p;
        ssize_t avail = rd_at(rd, pos, ALOG_MAX_REC, &p);
        if (avail < 0) return -1;
        if (alog_parse_header(p, (size_t)avail, seed, &it, NULL, 0) < 0) {
            pos++;
            continue;
        }
        if (!it.marker) highs_add(h, &it.rec);
        if (!ev->found && (it.marker || it.batch != d->batch)) {
            ev->found = 1;
            ev->off = pos;
            ev->it = it;
        }
        if (!ev->found) drop_add(drops, &it.rec);
        pos += it.size;
    }
    return 0;
}

static void describe_item(const alog_item *it, char *buf, size_t len)
{
    char what[96];
    if (it->marker) {
        fmt(buf, len, "the commit marker of batch %u", it->batch);
        return;
    }
    alog_describe(&it->rec, what, sizeof what);
    fmt(buf, len, "%s of batch %u", what, it->batch);
}

static void refuse(const char *path, const damage *d, const evidence *ev, const highs *h,
                   char *err, size_t errlen)
{
    char first[160], proof[160];
    if (d->readable) {
        alog_describe(&d->rec, first, sizeof first);
        fmt(first + strlen(first), sizeof first - strlen(first), " of batch %u", d->batch);
    } else {
        fmt(first, sizeof first, "unreadable, in batch %u", d->batch);
    }
    describe_item(&ev->it, proof, sizeof proof);
    /* A marker of batch K or later, or a record of a later batch, was
     * written after batch K's fdatasync returned. */
    int32_t ahead = (int32_t)(ev->it.batch - d->batch);
    int later = ev->it.marker ? ahead >= 0 : ahead > 0;
    fmt(err, errlen,
        "%s: corrupt record at offset %llu (%s): %s; not a torn write: %s follows at offset "
        "%llu%s. The file is left untouched; its readable records reach slot %llu and ballot "
        "(%llu,%u)",
        path, (unsigned long long)d->off, first, d->why, proof, (unsigned long long)ev->off,
        later ? ", written only after the damaged batch was durable" : ", out of order",
        (unsigned long long)h->slot, (unsigned long long)h->ballot.round, h->ballot.node);
}

static void report_torn(acc_store_report *rep, const damage *d, const droplist *drops,
                        uint64_t fsize, int zeros)
{
    char first[256], more[96] = "";
    if (rep == NULL) return;
    rep->cut_offset = d->off;
    rep->cut_bytes = fsize - d->off;
    rep->cut_records = drops->n;
    if (zeros) {
        fmt(first, sizeof first, "zeros to the end of the file (never written)");
    } else if (d->readable) {
        alog_describe(&d->rec, first, sizeof first);
        fmt(first + strlen(first), sizeof first - strlen(first), ": %s", d->why);
    } else {
        fmt(first, sizeof first, "%s", d->why);
    }
    if (drops->unlisted)
        fmt(more, sizeof more, ", and %llu more (ACCEPT slots %llu-%llu)",
            (unsigned long long)drops->unlisted, (unsigned long long)drops->lo,
            (unsigned long long)drops->hi);
    fmt(rep->warn, sizeof rep->warn,
        "dropped torn tail at offset %llu: %s%s; %llu record%s, %llu bytes (batch %u, the last: "
        "never acknowledged unless its fsync completed; damage starts with %s)",
        (unsigned long long)d->off, drops->n ? drops->text : "no readable record", more,
        (unsigned long long)drops->n, drops->n == 1 ? "" : "s",
        (unsigned long long)rep->cut_bytes, d->batch, first);
}

/* The item at d->off is damaged: a torn tail (0, out->end = d->off) or
 * damage to durable data (-1, err). */
static int judge(reader *rd, const char *path, const damage *d, uint32_t seed, highs *h,
                 alog_recovered *out, acc_store_report *rep, char *err, size_t errlen)
{
    droplist *drops = calloc(1, sizeof *drops);
    evidence ev = {0};
    int rc = -1;
    if (drops == NULL) {
        fmt(err, errlen, "%s: out of memory", path);
    } else if (scan_after(rd, d, seed, drops, &ev, h) < 0) {
        fmt(err, errlen, "%s: read: %s", path, strerror(errno));
    } else if (ev.found) {
        refuse(path, d, &ev, h, err, errlen);
    } else {
        report_torn(rep, d, drops, rd->fsize, all_zero(rd, d->off, rd->fsize));
        out->end = d->off;
        rc = 0;
    }
    free(drops);
    return rc;
}

/* ---- version 3 --------------------------------------------------------------- */

static uint32_t expected_batch(const alog_recovered *out)
{
    if (out->last == ALOG_LAST_NONE) return 1;
    return out->last == ALOG_LAST_RECORD ? out->batch : out->batch + 1;
}

/* Does an item whose header checked out stand where it may? */
static int in_place(const alog_recovered *out, const alog_item *it, char *want, size_t wantlen)
{
    int open = out->last == ALOG_LAST_RECORD || out->last == ALOG_LAST_END;
    if (it->marker && open) {
        fmt(want, wantlen, "the commit marker of batch %u", out->batch);
        return it->batch == out->batch;
    }
    if (it->marker) {
        fmt(want, wantlen, "a record of batch %u", expected_batch(out));
        return 0;
    }
    fmt(want, wantlen, "batch %u", expected_batch(out));
    return it->batch == expected_batch(out);
}

/* The item at p: 0 if whole and sound, else -1 with d->why (and d->rec if
 * its header checked out). */
static int read_item(const uint8_t *p, size_t avail, uint32_t seed, alog_item *it, damage *d)
{
    d->readable = 0;
    if (alog_parse_header(p, avail, seed, it, d->why, sizeof d->why) < 0) return -1;
    d->readable = 1;
    d->rec = it->rec;
    if (it->size > avail) {
        fmt(d->why, sizeof d->why, "the file ends inside it (%zu of %zu bytes)", avail,
            it->size);
        return -1;
    }
    return alog_parse_commands(p, it, d->why, sizeof d->why);
}

static void keep(alog_recovered *out, const alog_item *it, uint64_t off)
{
    out->last = it->marker ? ALOG_LAST_MARKER : it->end ? ALOG_LAST_END : ALOG_LAST_RECORD;
    out->batch = it->batch;
    out->end = off + it->size;
    if (!it->marker) out->records++;
}

static int replay(reader *rd, const char *path, uint32_t seed, acc_store_visit_fn visit,
                  void *arg, alog_recovered *out, acc_store_report *rep, char *err,
                  size_t errlen)
{
    alog_item *it = malloc(sizeof *it);
    damage *d = malloc(sizeof *d);
    highs h = {0};
    int rc = 0;
    if (it == NULL || d == NULL) {
        fmt(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    for (uint64_t off = ALOG_FILE_HDR; rc == 0 && off < rd->fsize; off = out->end) {
        const uint8_t *p;
        char want[48];
        ssize_t avail = rd_at(rd, off, ALOG_MAX_REC, &p);
        if (avail < 0) {
            fmt(err, errlen, "%s: read: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        int bad = read_item(p, (size_t)avail, seed, it, d) < 0;
        if ((!bad || d->readable) && !in_place(out, it, want, sizeof want)) {
            describe_item(it, d->why, sizeof d->why);
            fmt(err, errlen, "%s: corrupt log at offset %llu: %s where %s belongs (records "
                "lost or moved); the file is left untouched", path,
                (unsigned long long)off, d->why, want);
            rc = -1;
        } else if (bad) {
            d->off = off;
            d->batch = expected_batch(out);
            rc = judge(rd, path, d, seed, &h, out, rep, err, errlen);
            break;
        } else {
            if (!it->marker) {
                highs_add(&h, &it->rec);
                if (visit) visit(arg, &it->rec, off, it->batch);
            }
            keep(out, it, off);
        }
    }
    free(it);
    free(d);
    return rc;
}

int alog_recover_visit(int fd, const char *path, uint64_t fsize, uint32_t seed,
                       acc_store_visit_fn visit, void *arg, alog_recovered *out,
                       acc_store_report *rep, char *err, size_t errlen)
{
    reader rd = {.fd = fd, .buf = malloc(READ_BUF), .fsize = fsize};
    memset(out, 0, sizeof *out);
    out->end = ALOG_FILE_HDR;
    if (rd.buf == NULL) {
        fmt(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = replay(&rd, path, seed, visit, arg, out, rep, err, errlen);
    free(rd.buf);
    return rc;
}

/* alog_recover's consumer, behind the visitor interface. */
typedef struct record_sink {
    acc_record_fn fn;
    void *arg;
} record_sink;

static void to_record_fn(void *arg, const acc_record *r, uint64_t offset, uint32_t batch)
{
    const record_sink *k = arg;
    (void)offset;
    (void)batch;
    if (k->fn) k->fn(k->arg, r);
}

int alog_recover(int fd, const char *path, uint64_t fsize, uint32_t seed, acc_record_fn fn,
                 void *arg, alog_recovered *out, acc_store_report *rep, char *err,
                 size_t errlen)
{
    record_sink k = {.fn = fn, .arg = arg};
    return alog_recover_visit(fd, path, fsize, seed, to_record_fn, &k, out, rep, err, errlen);
}

/* ---- versions 1 and 2 ----------------------------------------------------------- */

/* Is there a valid record starting anywhere in (start, fsize)?  1 yes,
 * 0 no, -1 read error.  A random match needs magic and CRC to agree. */
static int old_record_after(reader *rd, uint64_t start)
{
    acc_record *r = malloc(sizeof *r);
    int found = r ? 0 : -1;
    for (uint64_t pos = start + 1; pos < rd->fsize && found == 0; pos++) {
        const uint8_t *p;
        ssize_t avail = rd_at(rd, pos, ALOG_MAX_REC_OLD, &p);
        if (avail < 0) found = -1;
        else if (p[0] == 'P' && alog_parse_old(p, (size_t)avail, r, NULL, 0)) found = 1;
    }
    free(r);
    return found;
}

static int old_damage(reader *rd, const char *path, uint64_t off, const char *why,
                      alog_recovered *out, acc_store_report *rep, char *err, size_t errlen)
{
    int later = old_record_after(rd, off);
    if (later != 0) {
        if (later < 0) fmt(err, errlen, "%s: read: %s", path, strerror(errno));
        else fmt(err, errlen, "%s: corrupt record at offset %llu: %s", path,
                 (unsigned long long)off, why);
        return -1;
    }
    out->end = off;
    if (rep == NULL) return 0;
    rep->cut_offset = off;
    rep->cut_bytes = rd->fsize - off;
    fmt(rep->warn, sizeof rep->warn,
        "dropped torn tail at offset %llu: %llu bytes of an old-format log, whose records have "
        "no header checksum, so what they held cannot be told (damage starts with %s)",
        (unsigned long long)off, (unsigned long long)rep->cut_bytes, why);
    return 0;
}

int alog_recover_old(int fd, const char *path, uint64_t fsize, acc_record_fn fn, void *arg,
                     alog_recovered *out, acc_store_report *rep, char *err, size_t errlen)
{
    reader rd = {.fd = fd, .buf = malloc(READ_BUF), .fsize = fsize};
    acc_record *r = malloc(sizeof *r);
    char why[96];
    int rc = 0;
    memset(out, 0, sizeof *out);
    out->end = ALOG_FILE_HDR_OLD;
    if (rd.buf == NULL || r == NULL) {
        fmt(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    while (rc == 0 && out->end < fsize) {
        const uint8_t *p;
        ssize_t avail = rd_at(&rd, out->end, ALOG_MAX_REC_OLD, &p);
        size_t used = avail < 0 ? 0 : alog_parse_old(p, (size_t)avail, r, why, sizeof why);
        if (avail < 0) {
            fmt(err, errlen, "%s: read: %s", path, strerror(errno));
            rc = -1;
        } else if (used == 0) {
            rc = old_damage(&rd, path, out->end, why, out, rep, err, errlen);
            break;
        } else {
            if (fn) fn(arg, r);
            out->records++;
            out->end += used;
        }
    }
    out->last = out->records ? ALOG_LAST_END : ALOG_LAST_NONE;
    free(r);
    free(rd.buf);
    return rc;
}
