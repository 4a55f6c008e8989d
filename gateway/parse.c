/* parse.c -- what the gateway reads from a request, with no sockets in
 * sight so it can be unit-tested: the appended value (and the bytes it may
 * be written with), the route, the Idempotency-Key's client id. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/types.h"
#include "gateway.h"

int gw_parse_i64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (n > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == n) return -1;
    /* Accumulate as a negative number: its range is one larger, so
     * INT64_MIN parses without overflow. */
    int64_t acc = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        int d = s[i] - '0';
        if (acc < (INT64_MIN + d) / 10) return -2;
        acc = acc * 10 - d;
    }
    if (!neg) {
        if (acc == INT64_MIN) return -2;
        acc = -acc;
    }
    *out = acc;
    return 0;
}

/* json-c clamps integers outside int64 to INT64_MIN/MAX without telling
 * (and INT64_MIN itself is a valid value), so before parsing we look at
 * every integer literal outside strings ourselves.  A number with a
 * fraction or exponent is not an integer at all and is refused later.
 * json-c also takes "-08" as -8, though JSON allows no leading zero (it
 * does refuse "08"), so that is refused here too.  Returns GW_VAL_RANGE,
 * GW_VAL_MALFORMED or GW_VAL_OK. */
static int check_int_literals(const char *s, size_t n)
{
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = 0;
            continue;
        }
        if (c == '"') {
            in_str = 1;
            continue;
        }
        if (c != '-' && !isdigit((unsigned char)c)) continue;
        size_t j = i;
        int is_int = 1;
        while (j < n && (s[j] == '-' || s[j] == '+' || s[j] == '.' || s[j] == 'e' ||
                         s[j] == 'E' || isdigit((unsigned char)s[j]))) {
            if (s[j] == '.' || s[j] == 'e' || s[j] == 'E') is_int = 0;
            j++;
        }
        size_t d = i + (c == '-'); /* the first digit */
        if (d + 1 < j && s[d] == '0' && isdigit((unsigned char)s[d + 1])) return GW_VAL_MALFORMED;
        int64_t v;
        if (is_int && gw_parse_i64(s + i, j - i, &v) == -2) return GW_VAL_RANGE;
        i = j - 1;
    }
    return GW_VAL_OK;
}

/* Parse exactly s[0..n) as one JSON text (trailing garbage is an error,
 * which json_tokener_parse would silently ignore).  0 and *out (NULL for
 * JSON null, as json-c has it), or -1. */
static int parse_json(const char *s, size_t n, json_object **out)
{
    json_tokener *tok = json_tokener_new();
    if (tok == NULL) return -1;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, s, (int)n);
    int ok;
    if (json_tokener_get_error(tok) == json_tokener_continue) {
        o = json_tokener_parse_ex(tok, "", 1); /* end of input ends a bare number */
        ok = json_tokener_get_error(tok) == json_tokener_success;
    } else {
        ok = json_tokener_get_error(tok) == json_tokener_success &&
             json_tokener_get_parse_end(tok) == n;
    }
    json_tokener_free(tok);
    if (!ok) {
        json_object_put(o);
        return -1;
    }
    *out = o;
    return 0;
}

static int fail(int code, char *msg, size_t msglen, const char *text)
{
    snprintf(msg, msglen, "%s", text);
    return code;
}

/* What a JSON value is, for a message: "must be an integer, not <this>". */
static const char *json_kind(json_object *o)
{
    switch (json_object_get_type(o)) { /* NULL is JSON null */
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a number with a fraction or an exponent";
    case json_type_int: return "an integer";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "something else";
}

/* The value inside a parsed body: the object's "value", or the body itself.
 * {"value": null} is a value that is not an integer, not a missing one. */
static int value_of(json_object *root, int64_t *out, char *msg, size_t msglen)
{
    json_object *v = root;
    if (json_object_is_type(root, json_type_object)) {
        if (!json_object_object_get_ex(root, "value", &v))
            return fail(GW_VAL_MISSING, msg, msglen,
                        "missing \"value\": send {\"value\": <integer>}");
        if (!json_object_is_type(v, json_type_int)) {
            snprintf(msg, msglen, "\"value\" must be an integer, not %s", json_kind(v));
            return GW_VAL_NOT_INT;
        }
    } else if (!json_object_is_type(root, json_type_int)) {
        snprintf(msg, msglen, "body must be {\"value\": <integer>} or a bare integer, not %s",
                 json_kind(root));
        return GW_VAL_NOT_INT;
    }
    *out = json_object_get_int64(v);
    return GW_VAL_OK;
}

static int parse_body(const char *s, size_t n, int64_t *out, char *msg, size_t msglen)
{
    int literals = check_int_literals(s, n);
    if (literals == GW_VAL_RANGE)
        return fail(GW_VAL_RANGE, msg, msglen,
                    "value out of range: must fit in a signed 64-bit integer");
    json_object *root = NULL;
    if (literals != GW_VAL_OK || parse_json(s, n, &root) != 0)
        return fail(GW_VAL_MALFORMED, msg, msglen,
                    "malformed JSON: send {\"value\": <integer>} or a bare integer");
    int rc = value_of(root, out, msg, msglen);
    json_object_put(root);
    return rc;
}

/* The offset of the first byte of p[0..n) that does not start a valid
 * UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF), or n. */
static size_t utf8_bad_at(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
        if (c < 0x80) len = 1;
        else if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;      /* overlong */
            else if (c == 0xED) hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;      /* overlong */
            else if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
        } else {
            return i;
        }
        if (len > n - i) return i;
        for (size_t k = 1; k < len; k++) {
            unsigned b = p[i + k];
            if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
        }
        i += len;
    }
    return n;
}

int gw_check_text(const char *what, const char *p, size_t n, char *msg, size_t msglen)
{
    const char *nul = memchr(p, 0, n);
    if (nul != NULL) {
        snprintf(msg, msglen, "%s has a NUL byte at offset %zu: send text without NUL bytes",
                 what, (size_t)(nul - p));
        return GW_VAL_ENCODING;
    }
    size_t bad = utf8_bad_at((const unsigned char *)p, n);
    if (bad < n) {
        snprintf(msg, msglen, "%s is not valid UTF-8: byte 0x%02x at offset %zu", what,
                 (unsigned)(unsigned char)p[bad], bad);
        return GW_VAL_ENCODING;
    }
    return GW_VAL_OK;
}

int gw_parse_append(const char *body, size_t len, const char *query_value, size_t query_len,
                    int64_t *out, char *msg, size_t msglen)
{
    int rc = gw_check_text("body", body, len, msg, msglen);
    if (rc != GW_VAL_OK) return rc;
    if (query_value != NULL &&
        (rc = gw_check_text("?value=", query_value, query_len, msg, msglen)) != GW_VAL_OK)
        return rc;
    while (len > 0 && isspace((unsigned char)body[0])) body++, len--;
    while (len > 0 && isspace((unsigned char)body[len - 1])) len--;
    if (len > 0 && query_value != NULL)
        return fail(GW_VAL_TWICE, msg, msglen,
                    "value given both in the body and in the query: give it once");
    if (len > 0) return parse_body(body, len, out, msg, msglen);
    if (query_value == NULL)
        return fail(GW_VAL_MISSING, msg, msglen,
                    "missing value: send {\"value\": <integer>}, a bare integer, or ?value=N");
    rc = gw_parse_i64(query_value, query_len, out);
    if (rc == -2)
        return fail(GW_VAL_RANGE, msg, msglen,
                    "value out of range: must fit in a signed 64-bit integer");
    if (rc != 0)
        return fail(GW_VAL_NOT_INT, msg, msglen, "?value= must be a decimal integer");
    return GW_VAL_OK;
}

int gw_parse_bool(const char *s, int dflt)
{
    if (s == NULL) return dflt;
    if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcasecmp(s, "no") == 0)
        return 0;
    return 1;
}

int gw_route(const char *url, const char *method, int *role, const char **allow,
             int *method_ok)
{
    static const struct {
        const char *path;
        int route, role;
        const char *method;
    } routes[] = {
        {"/append", GW_R_APPEND, 0, "POST"},
        {"/list", GW_R_LIST, 0, "GET"},
        {"/status", GW_R_STATUS, 0, "GET"},
        {"/roles/acceptor", GW_R_ROLE, PX_ROLE_ACCEPTOR, "GET"},
        {"/roles/proposer", GW_R_ROLE, PX_ROLE_PROPOSER, "GET"},
        {"/roles/learner", GW_R_ROLE, PX_ROLE_LEARNER, "GET"},
        {"/node", GW_R_NODE, 0, "GET"},
        {"/cluster", GW_R_CLUSTER, 0, "GET"},
        {"/metrics", GW_R_METRICS, 0, "GET"},
        {"/", GW_R_PAGE, 0, "GET"},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(url, routes[i].path) != 0) continue;
        *role = routes[i].role;
        *allow = routes[i].method;
        /* HEAD is GET without the body; libmicrohttpd drops the body. */
        *method_ok = strcmp(method, routes[i].method) == 0 ||
                     (strcmp(routes[i].method, "GET") == 0 && strcmp(method, "HEAD") == 0);
        return routes[i].route;
    }
    *role = 0;
    *allow = NULL;
    *method_ok = 0;
    return GW_R_NOT_FOUND;
}
