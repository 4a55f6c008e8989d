/* json.c -- a growable output buffer and the JSON the gateway writes.
 *
 * Responses are built by appending text directly rather than through
 * json-c objects: a list response can hold millions of integers, and one
 * json_object per element would cost far more than the formatting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

void gw_buf_free(gw_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* Make room for n more bytes plus a terminating nul. */
static int reserve(gw_buf *b, size_t n)
{
    if (b->oom) return -1;
    if (b->len + n + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void gw_buf_put(gw_buf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void gw_buf_puts(gw_buf *b, const char *s)
{
    gw_buf_put(b, s, strlen(s));
}

void gw_buf_printf(gw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n) != 0) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Digits by hand: printf's format parsing dominates when a list response
 * writes millions of numbers. */
void gw_buf_u64(gw_buf *b, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    gw_buf_put(b, tmp + i, sizeof(tmp) - i);
}

void gw_buf_i64(gw_buf *b, int64_t v)
{
    if (v < 0) {
        gw_buf_put(b, "-", 1);
        /* -(v + 1) + 1 avoids overflowing on INT64_MIN. */
        gw_buf_u64(b, (uint64_t)(-(v + 1)) + 1);
    } else {
        gw_buf_u64(b, (uint64_t)v);
    }
}

void gw_buf_json_str(gw_buf *b, const char *s)
{
    gw_buf_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            gw_buf_put(b, esc, 2);
        } else if (c < 0x20) {
            gw_buf_printf(b, "\\u%04x", c);
        } else {
            gw_buf_put(b, (const char *)&c, 1);
        }
    }
    gw_buf_put(b, "\"", 1);
}

void gw_json_error(gw_buf *b, const char *msg)
{
    gw_buf_puts(b, "{\"error\":");
    gw_buf_json_str(b, msg);
    gw_buf_puts(b, "}\n");
}

void gw_list_json(const gw_list *l, uint64_t n, gw_buf *b)
{
    gw_buf_put(b, "[", 1);
    for (uint64_t i = 0; i < n && !b->oom; i++) {
        if (i) gw_buf_put(b, ",", 1);
        gw_buf_i64(b, gw_list_at(l, i));
    }
    gw_buf_put(b, "]", 1);
}
