/* snapshot.c -- see snapshot.h.
 *
 * The serialization is never built in memory on the sending side: it is
 * generated on demand, item by item (header, entry, list element, CRC),
 * from the learner's live list, so a snapshot point costs no copy of the
 * list.  The parser does the opposite: it checks a buffer in place.
 */
#include "snapshot.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/bytes.h"
#include "../common/crc32c.h"

static const uint8_t magic[8] = {'P', 'X', 'S', 'N', 'A', 'P', 0, 1};

uint64_t px_snap_size(uint64_t list_len, uint64_t dedup_n)
{
    uint64_t fixed = PX_SNAP_HEADER + PX_SNAP_TRAILER;
    if (dedup_n > (UINT64_MAX - fixed) / PX_SNAP_ENTRY) return UINT64_MAX;
    uint64_t s = fixed + dedup_n * PX_SNAP_ENTRY;
    if (list_len > (UINT64_MAX - s) / 8) return UINT64_MAX;
    return s + list_len * 8;
}

static void put_header(uint8_t *p, uint64_t slot, uint64_t list_len, uint64_t dedup_n)
{
    memcpy(p, magic, sizeof magic);
    px_put32(p + 8, PX_SNAP_FORMAT);
    px_put32(p + 12, 0);
    px_put64(p + 16, slot);
    px_put64(p + 24, list_len);
    px_put64(p + 32, dedup_n);
}

static void put_entry(uint8_t *p, const dedup_entry *e)
{
    px_put64(p, e->client);
    px_put64(p + 8, e->seq);
    px_put64(p + 16, e->slot);
    px_put64(p + 24, (uint64_t)e->result);
}

/* Encode the item (header, entry, element or CRC) holding byte pos into
 * item; *start is that item's offset.  Returns its size. */
static size_t item_at(const px_snap_src *s, uint64_t pos, uint8_t *item, uint64_t *start)
{
    uint64_t entries = PX_SNAP_HEADER, list = entries + s->dedup_n * PX_SNAP_ENTRY;
    uint64_t trailer = list + s->list_len * 8;
    if (pos < entries) {
        *start = 0;
        put_header(item, s->slot, s->list_len, s->dedup_n);
        return PX_SNAP_HEADER;
    }
    if (pos < list) {
        uint64_t i = (pos - entries) / PX_SNAP_ENTRY;
        *start = entries + i * PX_SNAP_ENTRY;
        put_entry(item, &s->dedup[i]);
        return PX_SNAP_ENTRY;
    }
    if (pos < trailer) {
        uint64_t i = (pos - list) / 8;
        *start = list + i * 8;
        px_put64(item, (uint64_t)s->list[i]);
        return 8;
    }
    *start = trailer;
    px_put32(item, s->crc);
    return PX_SNAP_TRAILER;
}

size_t px_snap_read(const px_snap_src *s, uint64_t off, uint8_t *buf, size_t n)
{
    uint64_t size = px_snap_size(s->list_len, s->dedup_n);
    if (off >= size) return 0;
    if (n > size - off) n = (size_t)(size - off);
    size_t done = 0;
    while (done < n) {
        uint8_t item[PX_SNAP_HEADER]; /* the largest item */
        uint64_t pos = off + done, start;
        size_t isz = item_at(s, pos, item, &start);
        size_t skip = (size_t)(pos - start), take = isz - skip;
        if (take > n - done) take = n - done;
        memcpy(buf + done, item + skip, take);
        done += take;
    }
    return n;
}

uint32_t px_snap_crc(const px_snap_src *s)
{
    uint64_t body = px_snap_size(s->list_len, s->dedup_n) - PX_SNAP_TRAILER;
    uint8_t block[4096];
    uint32_t crc = 0;
    for (uint64_t off = 0; off < body;) {
        size_t want = body - off < sizeof block ? (size_t)(body - off) : sizeof block;
        size_t got = px_snap_read(s, off, block, want);
        crc = px_crc32c(crc, block, got);
        off += got;
    }
    return crc;
}

/* ---- parsing ---- */

static int refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void px_snap_entry(const px_snap_view *v, uint64_t i, dedup_entry *e)
{
    const uint8_t *p = v->dedup + i * PX_SNAP_ENTRY;
    e->client = px_get64(p);
    e->seq = px_get64(p + 8);
    e->slot = px_get64(p + 16);
    e->result = (int64_t)px_get64(p + 24);
}

int64_t px_snap_value(const px_snap_view *v, uint64_t i)
{
    return (int64_t)px_get64(v->list + i * 8);
}

/* Entries must describe a state a learner can be in: see snapshot.h. */
static int check_entries(const px_snap_view *v, char *err, size_t errlen)
{
    uint64_t prev = 0;
    for (uint64_t i = 0; i < v->dedup_n; i++) {
        dedup_entry e;
        px_snap_entry(v, i, &e);
        if (e.seq == 0)
            return refuse(err, errlen, "dedup entry %llu (client %llu) has seq 0",
                          (unsigned long long)i, (unsigned long long)e.client);
        if (i > 0 && e.client <= prev)
            return refuse(err, errlen,
                          "dedup entry %llu: client %llu %s", (unsigned long long)i,
                          (unsigned long long)e.client,
                          e.client == prev ? "appears twice" : "out of order");
        if (e.slot >= v->slot)
            return refuse(err, errlen, "dedup entry %llu: slot %llu not below the snapshot's %llu",
                          (unsigned long long)i, (unsigned long long)e.slot,
                          (unsigned long long)v->slot);
        if (e.result < 0 || (uint64_t)e.result >= v->list_len)
            return refuse(err, errlen, "dedup entry %llu: result %lld outside the list (%llu)",
                          (unsigned long long)i, (long long)e.result,
                          (unsigned long long)v->list_len);
        prev = e.client;
    }
    return 0;
}

int px_snap_parse(const uint8_t *buf, size_t len, uint64_t dedup_max, px_snap_view *v,
                  char *err, size_t errlen)
{
    if (len < PX_SNAP_MIN)
        return refuse(err, errlen, "truncated: %zu bytes, a snapshot has at least %d", len,
                      PX_SNAP_MIN);
    if (memcmp(buf, magic, sizeof magic) != 0)
        return refuse(err, errlen, "bad magic: not a learner snapshot");
    uint32_t format = px_get32(buf + 8);
    if (format != PX_SNAP_FORMAT)
        return refuse(err, errlen, "unknown format %u (this build reads %d)", format,
                      PX_SNAP_FORMAT);
    if (px_get32(buf + 12) != 0) return refuse(err, errlen, "reserved field is not 0");
    memset(v, 0, sizeof *v);
    v->slot = px_get64(buf + 16);
    v->list_len = px_get64(buf + 24);
    v->dedup_n = px_get64(buf + 32);
    uint64_t want = px_snap_size(v->list_len, v->dedup_n);
    if (want != len)
        return refuse(err, errlen,
                      "size mismatch: list_len %llu and dedup_n %llu make %llu bytes, have %zu%s",
                      (unsigned long long)v->list_len, (unsigned long long)v->dedup_n,
                      (unsigned long long)want, len, want > len ? " (truncated)" : "");
    uint32_t stored = px_get32(buf + len - PX_SNAP_TRAILER);
    uint32_t crc = px_crc32c(0, buf, len - PX_SNAP_TRAILER);
    if (stored != crc)
        return refuse(err, errlen, "CRC mismatch: stored %08x, computed %08x", stored, crc);
    if (v->slot == 0) return refuse(err, errlen, "slot is 0");
    if (v->dedup_n > dedup_max)
        return refuse(err, errlen, "%llu dedup entries, more than dedup_max %llu",
                      (unsigned long long)v->dedup_n, (unsigned long long)dedup_max);
    v->crc = crc;
    v->dedup = buf + PX_SNAP_HEADER;
    v->list = v->dedup + v->dedup_n * PX_SNAP_ENTRY;
    return check_entries(v, err, errlen);
}
