/* store_format.c -- encoding and checking acceptor.log records (see
 * store_format.h).  Pure: no I/O. */
#include "store_format.h"
#include "../common/bytes.h"
#include "../common/crc32c.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TYPE_MARKER 0x43u /* 'C' */
#define FLAG_END 0x01u
#define OLD_REC_MAGIC 0x52415850u /* "PXAR" */
#define OLD_REC_HDR 12
#define OLD_FIXED 23 /* type, round, node, slot, n */

static void why_fmt(char *buf, size_t len, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static void why_fmt(char *buf, size_t len, const char *f, ...)
{
    if (buf == NULL || len == 0) return;
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, len, f, ap);
    va_end(ap);
}

uint32_t alog_seed(uint64_t salt)
{
    uint8_t b[8];
    px_put64(b, salt);
    return px_crc32c(0, b, sizeof b);
}

/* ---- file header ---------------------------------------------------------- */

void alog_put_file_header(uint8_t *h, uint64_t salt)
{
    px_put32(h, ALOG_MAGIC);
    px_put32(h + 4, ALOG_VERSION);
    px_put64(h + 8, salt);
    px_put32(h + 16, px_crc32c(0, h, 16));
}

/* The salt seeds every record's checksum: were a flipped salt taken at its
 * word, no record would check out and the whole log would look like a torn
 * tail.  Hence the header's own checksum. */
int alog_get_file_header(const uint8_t *h, uint64_t *salt, char *why, size_t whylen)
{
    if (px_crc32c(0, h, 16) != px_get32(h + 16)) {
        why_fmt(why, whylen, "file header checksum mismatch");
        return -1;
    }
    *salt = px_get64(h + 8);
    return 0;
}

/* ---- version 3 records ------------------------------------------------------ */

static uint32_t header_crc(const uint8_t *p, size_t hdr, uint32_t seed)
{
    return px_crc32c(seed, p + 4, hdr - 4);
}

/* The commands' checksum, seeded with the header's. */
static uint32_t commands_crc(const uint8_t *p, uint16_t n)
{
    return px_crc32c(px_get32(p), p + ALOG_REC_HDR + 4, (size_t)ALOG_CMD * n);
}

static void seal_record(uint8_t *p, uint32_t seed)
{
    px_put32(p, header_crc(p, ALOG_REC_HDR, seed));
    uint16_t n = px_get16(p + 6);
    if (n > 0) px_put32(p + ALOG_REC_HDR, commands_crc(p, n));
}

size_t alog_put_record(const acc_record *r, uint32_t batch, uint32_t seed, uint8_t *p)
{
    uint16_t n = r->type == ACC_REC_ACCEPT ? r->value.n : 0;
    p[4] = r->type;
    p[5] = 0;
    px_put16(p + 6, n);
    px_put32(p + 8, batch);
    px_put64(p + 12, r->ballot.round);
    px_put32(p + 20, r->ballot.node);
    px_put64(p + 24, r->type == ACC_REC_PROMISE ? 0 : r->slot);
    if (n == 0) {
        seal_record(p, seed);
        return ALOG_REC_HDR;
    }
    uint8_t *q = p + ALOG_REC_HDR + 4;
    for (uint16_t i = 0; i < n; i++, q += ALOG_CMD) {
        const px_cmd *c = &r->value.cmds[i];
        q[0] = c->kind;
        px_put64(q + 1, c->client);
        px_put64(q + 9, c->seq);
        px_put64(q + 17, (uint64_t)c->value);
    }
    seal_record(p, seed);
    return (size_t)(q - p);
}

void alog_set_end(uint8_t *p, uint32_t seed)
{
    p[5] |= FLAG_END;
    seal_record(p, seed);
}

size_t alog_put_marker(uint32_t batch, uint32_t seed, uint8_t *p)
{
    p[4] = TYPE_MARKER;
    p[5] = 0;
    px_put16(p + 6, 0);
    px_put32(p + 8, batch);
    px_put32(p, header_crc(p, ALOG_MARKER, seed));
    return ALOG_MARKER;
}

/* The fields of a record header whose checksum matched, checked for what
 * the writer never produces. */
static int check_record_fields(const uint8_t *p, alog_item *it, char *why, size_t whylen)
{
    acc_record *r = &it->rec;
    uint8_t flags = p[5];
    r->type = p[4];
    r->value.n = px_get16(p + 6);
    r->ballot.round = px_get64(p + 12);
    r->ballot.node = px_get32(p + 20);
    r->slot = px_get64(p + 24);
    it->marker = 0;
    it->end = (flags & FLAG_END) != 0;
    it->batch = px_get32(p + 8);
    it->size = ALOG_REC_HDR + (r->value.n ? 4 + (size_t)ALOG_CMD * r->value.n : 0);
    if (r->type != ACC_REC_PROMISE && r->type != ACC_REC_ACCEPT && r->type != ACC_REC_TRIM) {
        why_fmt(why, whylen, "unknown record type %u", r->type);
        return -1;
    }
    if ((flags & ~FLAG_END) != 0) {
        why_fmt(why, whylen, "unknown flags 0x%02x", flags);
        return -1;
    }
    if (r->value.n > PX_MAX_BATCH || (r->type != ACC_REC_ACCEPT && r->value.n != 0)) {
        why_fmt(why, whylen, "%u commands in a record of type %u", r->value.n, r->type);
        return -1;
    }
    return 0;
}

int alog_parse_header(const uint8_t *p, size_t avail, uint32_t seed, alog_item *it, char *why,
                      size_t whylen)
{
    memset(it, 0, offsetof(alog_item, rec) + offsetof(acc_record, value) +
                      sizeof(it->rec.value.n));
    int marker = avail > 4 && p[4] == TYPE_MARKER;
    size_t hdr = marker ? ALOG_MARKER : ALOG_REC_HDR;
    if (avail < hdr) {
        why_fmt(why, whylen, "the file ends inside a record header (%zu of %zu bytes)", avail,
                hdr);
        return -1;
    }
    if (header_crc(p, hdr, seed) != px_get32(p)) {
        why_fmt(why, whylen, "header checksum mismatch");
        return -1;
    }
    if (!marker) return check_record_fields(p, it, why, whylen);
    it->marker = 1;
    it->batch = px_get32(p + 8);
    it->size = ALOG_MARKER;
    if (p[5] != 0 || px_get16(p + 6) != 0) {
        why_fmt(why, whylen, "malformed commit marker");
        return -1;
    }
    return 0;
}

int alog_parse_commands(const uint8_t *p, alog_item *it, char *why, size_t whylen)
{
    uint16_t n = it->rec.value.n;
    if (it->marker || n == 0) return 0;
    if (commands_crc(p, n) != px_get32(p + ALOG_REC_HDR)) {
        why_fmt(why, whylen, "command checksum mismatch");
        return -1;
    }
    const uint8_t *q = p + ALOG_REC_HDR + 4;
    for (uint16_t i = 0; i < n; i++, q += ALOG_CMD) {
        px_cmd *c = &it->rec.value.cmds[i];
        c->kind = q[0];
        c->client = px_get64(q + 1);
        c->seq = px_get64(q + 9);
        c->value = (int64_t)px_get64(q + 17);
    }
    return 0;
}

/* ---- versions 1 and 2 ------------------------------------------------------- */

static int decode_old_payload(const uint8_t *p, uint32_t len, acc_record *r, char *why,
                              size_t whylen)
{
    memset(r, 0, offsetof(acc_record, value) + sizeof(r->value.n));
    r->type = p[0];
    r->ballot.round = px_get64(p + 1);
    r->ballot.node = px_get32(p + 9);
    r->slot = px_get64(p + 13);
    r->value.n = px_get16(p + 21);
    if (r->type != ACC_REC_PROMISE && r->type != ACC_REC_ACCEPT && r->type != ACC_REC_TRIM) {
        why_fmt(why, whylen, "unknown record type %u", r->type);
        return -1;
    }
    if (r->type == ACC_REC_TRIM && r->value.n != 0) {
        why_fmt(why, whylen, "TRIM record with %u commands", r->value.n);
        return -1;
    }
    if (r->value.n > PX_MAX_BATCH || len != OLD_FIXED + ALOG_CMD * (uint32_t)r->value.n) {
        why_fmt(why, whylen, "length %u does not match %u commands", len, r->value.n);
        return -1;
    }
    const uint8_t *q = p + OLD_FIXED;
    for (uint16_t i = 0; i < r->value.n; i++, q += ALOG_CMD) {
        px_cmd *c = &r->value.cmds[i];
        c->kind = q[0];
        c->client = px_get64(q + 1);
        c->seq = px_get64(q + 9);
        c->value = (int64_t)px_get64(q + 17);
    }
    return 0;
}

size_t alog_parse_old(const uint8_t *p, size_t avail, acc_record *r, char *why, size_t whylen)
{
    if (avail < OLD_REC_HDR) {
        why_fmt(why, whylen, "incomplete record header (%zu of %d bytes)", avail, OLD_REC_HDR);
        return 0;
    }
    if (px_get32(p) != OLD_REC_MAGIC) {
        why_fmt(why, whylen, "bad record magic 0x%08x", px_get32(p));
        return 0;
    }
    uint32_t len = px_get32(p + 4);
    if (len < OLD_FIXED || len > ALOG_MAX_REC_OLD - OLD_REC_HDR) {
        why_fmt(why, whylen, "record length %u out of range", len);
        return 0;
    }
    if (avail < OLD_REC_HDR + (size_t)len) {
        why_fmt(why, whylen, "incomplete record (%zu of %u bytes)", avail, OLD_REC_HDR + len);
        return 0;
    }
    /* The checksum covers the length field and the payload. */
    if (px_crc32c(px_crc32c(0, p + 4, 4), p + OLD_REC_HDR, len) != px_get32(p + 8)) {
        why_fmt(why, whylen, "checksum mismatch");
        return 0;
    }
    if (decode_old_payload(p + OLD_REC_HDR, len, r, why, whylen) < 0) return 0;
    return OLD_REC_HDR + len;
}

/* ---- descriptions ------------------------------------------------------------ */

void alog_describe(const acc_record *r, char *buf, size_t len)
{
    unsigned long long round = (unsigned long long)r->ballot.round;
    unsigned node = r->ballot.node;
    switch (r->type) {
    case ACC_REC_PROMISE:
        why_fmt(buf, len, "PROMISE ballot (%llu,%u)", round, node);
        break;
    case ACC_REC_ACCEPT:
        why_fmt(buf, len, "ACCEPT slot %llu ballot (%llu,%u)", (unsigned long long)r->slot,
                round, node);
        break;
    case ACC_REC_TRIM:
        why_fmt(buf, len, "TRIM below %llu ballot (%llu,%u)", (unsigned long long)r->slot,
                round, node);
        break;
    default:
        why_fmt(buf, len, "record of type %u", r->type);
    }
}
