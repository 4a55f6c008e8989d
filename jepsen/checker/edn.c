/* edn.c -- see edn.h. */
#include "jepsen/checker/edn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any history; shallow enough that hostile input cannot
 * overflow the C stack through recursion. */
#define EDN_MAX_DEPTH 200

void edn_init(edn_reader *r, const char *buf, size_t len, arena *a)
{
    memset(r, 0, sizeof *r);
    r->buf = r->p = buf;
    r->end = buf + len;
    r->line = 1;
    r->a = a;
}

void edn_dispose(edn_reader *r)
{
    free(r->scratch);
    r->scratch = NULL;
    r->nscratch = r->capscratch = 0;
}

int edn_error(edn_reader *r, uint32_t line, const char *fmt, ...)
{
    if (r->err[0]) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->err_line = line;
    return -1;
}

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' ||
           c == '\f' || c == '\v';
}

static int is_delim(int c)
{
    return is_ws(c) || c == '(' || c == ')' || c == '[' || c == ']' ||
           c == '{' || c == '}' || c == '"' || c == ';';
}

/* Characters that may appear inside a symbol, keyword or number token. */
static int is_tok(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr(".*+!-_?$%&=<>/:#'", c) != NULL;
}

static void skip_ws_only(edn_reader *r)
{
    while (r->p < r->end) {
        char c = *r->p;
        if (c == '\n') {
            r->line++;
            r->p++;
        } else if (is_ws(c)) {
            r->p++;
        } else if (c == ';') {
            while (r->p < r->end && *r->p != '\n') r->p++;
        } else {
            break;
        }
    }
}

int edn_peek(edn_reader *r)
{
    for (;;) {
        skip_ws_only(r);
        if (r->p >= r->end) return -1;
        if (r->end - r->p >= 2 && r->p[0] == '#' && r->p[1] == '_') {
            edn_val dropped;
            r->p += 2;
            int rc = edn_read(r, &dropped);
            if (rc <= 0) {
                if (rc == 0) edn_error(r, r->line, "#_ discards nothing");
                return -2;
            }
            continue;
        }
        return (unsigned char)*r->p;
    }
}

static void push_scratch(edn_reader *r, const edn_val *v)
{
    if (r->nscratch == r->capscratch) {
        r->capscratch = r->capscratch ? r->capscratch * 2 : 256;
        r->scratch = xrealloc(r->scratch, r->capscratch * sizeof *r->scratch);
    }
    r->scratch[r->nscratch++] = *v;
}

static int read_coll(edn_reader *r, edn_val *out, char close, edn_type t)
{
    uint32_t line0 = r->line;
    size_t base = r->nscratch;
    if (++r->depth > EDN_MAX_DEPTH)
        return edn_error(r, r->line, "nesting deeper than %d", EDN_MAX_DEPTH);
    for (;;) {
        int c = edn_peek(r);
        if (c == -2) return -1;
        if (c == -1)
            return edn_error(r, line0, "unterminated collection (missing '%c')", close);
        if (c == close) {
            r->p++;
            break;
        }
        if (c == ')' || c == ']' || c == '}')
            return edn_error(r, r->line, "unexpected '%c' (expected '%c')", c, close);
        edn_val child;
        if (edn_read(r, &child) < 0) return -1;
        push_scratch(r, &child);
    }
    r->depth--;
    size_t n = r->nscratch - base;
    if (t == EDN_MAP && n % 2)
        return edn_error(r, line0, "map literal has an odd number of forms");
    out->type = t;
    out->u.coll.n = n;
    out->u.coll.items = n ? arena_alloc(r->a, n * sizeof(edn_val)) : NULL;
    if (n) memcpy(out->u.coll.items, r->scratch + base, n * sizeof(edn_val));
    r->nscratch = base;
    return 1;
}

static int read_string(edn_reader *r, edn_val *out)
{
    uint32_t line0 = r->line;
    const char *s = ++r->p;
    while (r->p < r->end && *r->p != '"') {
        if (*r->p == '\\') {
            r->p++;
            if (r->p >= r->end) break;
            if (!strchr("tnrbf\"\\u", *r->p))
                return edn_error(r, r->line, "bad escape '\\%c' in string", *r->p);
        }
        if (*r->p == '\n') r->line++;
        r->p++;
    }
    if (r->p >= r->end) return edn_error(r, line0, "unterminated string");
    out->type = EDN_STRING;
    out->u.str.s = s;
    out->u.str.n = (size_t)(r->p - s);
    r->p++;
    return 1;
}

/* Parses a numeric token [s, s+n).  Integers must fit in 64 bits. */
static int read_number(edn_reader *r, edn_val *out, const char *s, size_t n)
{
    char tmp[128];
    if (n >= sizeof tmp) return edn_error(r, r->line, "number too long");
    memcpy(tmp, s, n);
    tmp[n] = 0;
    int is_float = strpbrk(tmp, ".eE") != NULL || tmp[n - 1] == 'M';
    if (tmp[n - 1] == 'N' || tmp[n - 1] == 'M') tmp[--n] = 0;
    char *endp;
    errno = 0;
    if (is_float) {
        out->type = EDN_FLOAT;
        out->u.f = strtod(tmp, &endp);
    } else {
        out->type = EDN_INT;
        out->u.i = strtoll(tmp, &endp, 10);
        if (errno == ERANGE)
            return edn_error(r, r->line, "integer %s does not fit in 64 bits", tmp);
        /* A leading zero means octal in Clojure; EDN forbids it. */
        const char *d = tmp + (tmp[0] == '-' || tmp[0] == '+');
        if (d[0] == '0' && d[1]) return edn_error(r, r->line, "bad number '%s'", tmp);
    }
    if (*endp || endp == tmp) return edn_error(r, r->line, "bad number '%s'", tmp);
    return 1;
}

static int read_token(edn_reader *r, edn_val *out)
{
    const char *s = r->p;
    while (r->p < r->end && is_tok((unsigned char)*r->p)) r->p++;
    size_t n = (size_t)(r->p - s);
    if (n == 0) return edn_error(r, r->line, "unexpected character '%c'", *s);
    if (r->p < r->end && !is_delim((unsigned char)*r->p))
        return edn_error(r, r->line, "unexpected character '%c' after '%.*s'",
                         *r->p, (int)n, s);
    int c0 = (unsigned char)s[0];
    if ((c0 >= '0' && c0 <= '9') ||
        ((c0 == '-' || c0 == '+') && n > 1 && s[1] >= '0' && s[1] <= '9'))
        return read_number(r, out, s, n);
    if (c0 == ':') {
        if (n == 1 || s[1] == ':' || s[1] == '#' || s[1] == '/')
            return edn_error(r, r->line, "bad keyword '%.*s'", (int)n, s);
        out->type = EDN_KEYWORD;
        out->u.str.s = s + 1;
        out->u.str.n = n - 1;
        return 1;
    }
    if (c0 == '#' || c0 == '\'' || c0 == ':')
        return edn_error(r, r->line, "bad symbol '%.*s'", (int)n, s);
    if (n == 3 && !memcmp(s, "nil", 3)) {
        out->type = EDN_NIL;
    } else if (n == 4 && !memcmp(s, "true", 4)) {
        out->type = EDN_BOOL;
        out->u.i = 1;
    } else if (n == 5 && !memcmp(s, "false", 5)) {
        out->type = EDN_BOOL;
        out->u.i = 0;
    } else {
        out->type = EDN_SYMBOL;
        out->u.str.s = s;
        out->u.str.n = n;
    }
    return 1;
}

static int read_char(edn_reader *r, edn_val *out)
{
    const char *s = ++r->p;
    if (r->p >= r->end) return edn_error(r, r->line, "'\\' at end of input");
    r->p++; /* the character itself, even if it is a delimiter */
    while (r->p < r->end && !is_delim((unsigned char)*r->p)) r->p++;
    out->type = EDN_CHAR;
    out->u.str.s = s;
    out->u.str.n = (size_t)(r->p - s);
    return 1;
}

static int read_dispatch(edn_reader *r, edn_val *out)
{
    r->p++; /* '#' */
    if (r->p < r->end && *r->p == '{') {
        r->p++;
        return read_coll(r, out, '}', EDN_SET);
    }
    const char *s = r->p;
    if (r->p >= r->end || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return edn_error(r, r->line, "unsupported '#' dispatch");
    while (r->p < r->end && is_tok((unsigned char)*r->p)) r->p++;
    out->type = EDN_TAGGED;
    out->u.str.s = s;
    out->u.str.n = (size_t)(r->p - s);
    edn_val *inner = arena_alloc(r->a, sizeof *inner);
    int c = edn_peek(r);
    if (c < 0) {
        if (c == -1) edn_error(r, r->line, "tag #%.*s without a form",
                               (int)out->u.str.n, s);
        return -1;
    }
    if (edn_read(r, inner) <= 0) return -1;
    out->u.str.inner = inner;
    return 1;
}

int edn_read(edn_reader *r, edn_val *out)
{
    int c = edn_peek(r);
    if (c == -2) return -1;
    if (c == -1) return 0;
    memset(out, 0, sizeof *out);
    out->line = r->line;
    out->src = r->p;
    int rc;
    switch (c) {
    case '(': r->p++; rc = read_coll(r, out, ')', EDN_LIST); break;
    case '[': r->p++; rc = read_coll(r, out, ']', EDN_VECTOR); break;
    case '{': r->p++; rc = read_coll(r, out, '}', EDN_MAP); break;
    case ')': case ']': case '}':
        return edn_error(r, r->line, "unexpected '%c'", c);
    case '"': rc = read_string(r, out); break;
    case '\\': rc = read_char(r, out); break;
    case '#': rc = read_dispatch(r, out); break;
    default: rc = read_token(r, out); break;
    }
    if (rc < 0) return -1;
    out->srclen = (size_t)(r->p - out->src);
    return 1;
}

int edn_is_kw(const edn_val *v, const char *name)
{
    size_t n = strlen(name);
    return v && v->type == EDN_KEYWORD && v->u.str.n == n &&
           !memcmp(v->u.str.s, name, n);
}

const edn_val *edn_map_get(const edn_val *map, const char *kw)
{
    if (!map || map->type != EDN_MAP) return NULL;
    for (size_t i = 0; i + 1 < map->u.coll.n; i += 2)
        if (edn_is_kw(&map->u.coll.items[i], kw)) return &map->u.coll.items[i + 1];
    return NULL;
}
