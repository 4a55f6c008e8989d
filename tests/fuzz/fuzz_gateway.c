/* fuzz_gateway.c -- the gateway's value parser: gw_parse_append (the body
 * of POST /append, or its ?value=) and gw_parse_i64 under it.
 *
 * Each input is used three ways: as the body, as the ?value= query (when
 * it holds no nul byte), and as both at once.  Whatever the bytes, the
 * parser returns a known enum gw_value_err with a message on error, never
 * crashes, and:
 *
 *   - a value it accepts from a body is written in that body: its decimal
 *     text appears there (json-c clamps integers outside int64 to
 *     INT64_MIN/MAX without saying so, and reads "-08" as -8: neither
 *     value is written in the body);
 *   - a body or query that is one plain decimal integer is accepted with
 *     the value a reference parser (128-bit accumulation) computes if it
 *     fits in int64, and refused as GW_VAL_RANGE if it does not; a body
 *     with a leading zero ("-08": not JSON) is GW_VAL_MALFORMED;
 *   - gw_parse_i64 agrees with the reference on every input: the value if
 *     the text is an in-range decimal, -2 if it is a decimal too large,
 *     and an error (never a value) for anything else;
 *   - a value given twice is GW_VAL_TWICE; nothing at all is GW_VAL_MISSING;
 *   - plain ASCII is never GW_VAL_ENCODING (a nul byte or bytes that are
 *     not UTF-8), and the query text is refused as such alone or also as
 *     the body alike.
 */
#include <ctype.h>
#include <string.h>

#include "gateway/gateway.h"
#include "fuzz.h"

enum ref_verdict { REF_OK, REF_RANGE, REF_NOT_DECIMAL };

static char msg[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* -?[0-9]+ with the value in *out if it fits in int64.  *json_ok says
 * whether it is also a JSON number (no leading zero). */
static int ref_parse(const char *s, size_t n, int64_t *out, int *json_ok)
{
    size_t i = n > 0 && s[0] == '-';
    if (i == n) return REF_NOT_DECIMAL;
    size_t first = i;
    unsigned __int128 mag = 0;
    const unsigned __int128 cap = (unsigned __int128)1 << 64; /* saturate: no wrap */
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return REF_NOT_DECIMAL;
        if (mag < cap) mag = mag * 10 + (unsigned)(s[i] - '0');
    }
    *json_ok = s[first] != '0' || n - first == 1;
    int neg = s[0] == '-';
    if (mag > (unsigned __int128)INT64_MAX + (unsigned)neg) return REF_RANGE;
    *out = neg ? (int64_t)(0 - (uint64_t)mag) : (int64_t)mag;
    return REF_OK;
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)(*s)[0])) (*s)++, (*n)--;
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

/* Whether v's decimal text is written in s.  JSON integers have one
 * spelling (no '+', no leading zero; "-0" holds "0"), so a value the body
 * gives appears there as it is; a clamped value, or one read from "-08",
 * does not. */
static int written_in(int64_t v, const char *s, size_t n)
{
    char text[32];
    int k = snprintf(text, sizeof text, "%lld", (long long)v);
    return memmem(s, n, text, (size_t)k) != NULL;
}

/* Nothing but ASCII without a nul: no encoding for the parser to refuse. */
static int plain_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0) return 0;
    return 1;
}

static void check_rc(int rc)
{
    FUZZ_ASSERT(rc >= GW_VAL_OK && rc <= GW_VAL_ENCODING, "unknown gw_value_err");
    if (rc != GW_VAL_OK) FUZZ_ASSERT(msg[0] != 0, "refused without a message");
}

static void check_i64(const char *s, size_t n)
{
    int64_t v = 0, want = 0;
    int json_ok = 0;
    int rc = gw_parse_i64(s, n, &v);
    switch (ref_parse(s, n, &want, &json_ok)) {
    case REF_OK: FUZZ_ASSERT(rc == 0 && v == want, "gw_parse_i64 misreads a decimal"); break;
    case REF_RANGE: FUZZ_ASSERT(rc == -2, "gw_parse_i64 takes a decimal outside int64"); break;
    default: FUZZ_ASSERT(rc == -1 || rc == -2, "gw_parse_i64 takes a non-decimal"); break;
    }
}

static void check_body(const char *body, size_t len)
{
    int64_t v = 0, want = 0;
    int json_ok = 0;
    msg[0] = 0;
    int rc = gw_parse_append(body, len, NULL, 0, &v, msg, sizeof msg);
    check_rc(rc);
    FUZZ_ASSERT(rc != GW_VAL_TWICE, "TWICE with no query");
    if (plain_ascii(body, len)) FUZZ_ASSERT(rc != GW_VAL_ENCODING, "plain ASCII refused as encoding");
    if (rc == GW_VAL_ENCODING) return;

    const char *t = body;
    size_t n = len;
    trim(&t, &n);
    if (n == 0) FUZZ_ASSERT(rc == GW_VAL_MISSING, "an empty body is not MISSING");
    if (rc == GW_VAL_OK)
        FUZZ_ASSERT(written_in(v, t, n), "accepted a value the body does not write");
    int ref = ref_parse(t, n, &want, &json_ok);
    if (ref == REF_OK && json_ok)
        FUZZ_ASSERT(rc == GW_VAL_OK && v == want, "a bare in-range integer body misread");
    if (ref == REF_RANGE && json_ok)
        FUZZ_ASSERT(rc == GW_VAL_RANGE, "a bare integer outside int64 taken");
    if (ref != REF_NOT_DECIMAL && !json_ok)
        FUZZ_ASSERT(rc == GW_VAL_MALFORMED, "a bare integer with a leading zero taken");
}

static void check_query(const char *q, size_t len)
{
    int64_t v = 0, want = 0;
    int json_ok = 0;
    msg[0] = 0;
    int rc = gw_parse_append("", 0, q, len, &v, msg, sizeof msg);
    check_rc(rc);
    if (plain_ascii(q, len)) FUZZ_ASSERT(rc != GW_VAL_ENCODING, "plain ASCII refused as encoding");
    int bad_text = rc == GW_VAL_ENCODING;
    switch (ref_parse(q, len, &want, &json_ok)) {
    case REF_OK: FUZZ_ASSERT(rc == GW_VAL_OK && v == want, "?value= misread"); break;
    case REF_RANGE: FUZZ_ASSERT(rc == GW_VAL_RANGE, "?value= outside int64 taken"); break;
    default: FUZZ_ASSERT(rc != GW_VAL_OK, "?value= that is no decimal taken"); break;
    }

    /* The same text in the body too: given twice, unless the body is blank. */
    const char *t = q;
    size_t n = len;
    trim(&t, &n);
    msg[0] = 0;
    rc = gw_parse_append(q, len, q, len, &v, msg, sizeof msg);
    check_rc(rc);
    FUZZ_ASSERT((rc == GW_VAL_ENCODING) == bad_text, "the same text refused as encoding once");
    if (!bad_text)
        FUZZ_ASSERT((rc == GW_VAL_TWICE) == (n > 0), "a value in body and query is not TWICE");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = (char *)fuzz_dup(data, size);
    check_body(s, size);
    check_i64(s, size);
    free(s);
    if (memchr(data, 0, size) == NULL) {
        char *q = malloc(size + 1);
        memcpy(q, data, size);
        q[size] = 0;
        check_query(q, size);
        free(q);
    }
    return 0;
}
