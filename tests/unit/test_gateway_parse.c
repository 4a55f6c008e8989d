/* test_gateway_parse.c -- the gateway's socket-free pieces: value parsing,
 * the bytes a body may hold, the strict checks of a request's head,
 * routing, Idempotency-Key ids, JSON output (the command logic is tested
 * in test_gateway_core.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../gateway/gateway.h"
#include "check.h"

static int parse(const char *body, const char *q, int64_t *v)
{
    char msg[200];
    return gw_parse_append(body, strlen(body), q, q ? strlen(q) : 0, v, msg, sizeof(msg));
}

static void test_value_forms(void)
{
    int64_t v = 0;
    CHECK(parse("{\"value\": 42}", NULL, &v) == GW_VAL_OK && v == 42);
    CHECK(parse("  {\"value\":-7, \"other\": \"x\"}\n", NULL, &v) == GW_VAL_OK && v == -7);
    CHECK(parse("42", NULL, &v) == GW_VAL_OK && v == 42);
    CHECK(parse(" -13 \r\n", NULL, &v) == GW_VAL_OK && v == -13);
    CHECK(parse("", "99", &v) == GW_VAL_OK && v == 99);
    CHECK(parse("", "-9223372036854775808", &v) == GW_VAL_OK && v == INT64_MIN);
    CHECK(parse("9223372036854775807", NULL, &v) == GW_VAL_OK && v == INT64_MAX);
    CHECK(parse("{\"value\":-9223372036854775808}", NULL, &v) == GW_VAL_OK && v == INT64_MIN);
    CHECK(parse("-0", NULL, &v) == GW_VAL_OK && v == 0);
    CHECK(parse("{\"value\": 0, \"n\": [0.5, -0e1]}", NULL, &v) == GW_VAL_OK && v == 0);
}

static void test_value_errors(void)
{
    int64_t v;
    CHECK(parse("{\"value\": 42", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("{value: 42}", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("42 43", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("{\"value\":1} x", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("abc", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("{\"value\": 4.5}", NULL, &v) == GW_VAL_NOT_INT);
    CHECK(parse("{\"value\": 1e3}", NULL, &v) == GW_VAL_NOT_INT);
    CHECK(parse("{\"value\": \"42\"}", NULL, &v) == GW_VAL_NOT_INT);
    CHECK(parse("{\"value\": null}", NULL, &v) == GW_VAL_NOT_INT);
    CHECK(parse("{\"value\": [1]}", NULL, &v) == GW_VAL_NOT_INT);
    CHECK(parse("\"42\"", NULL, &v) == GW_VAL_NOT_INT);
    CHECK(parse("true", NULL, &v) == GW_VAL_NOT_INT);
    CHECK(parse("4.5", NULL, &v) == GW_VAL_NOT_INT);
    /* JSON has no leading zeros.  json-c refuses "08" but read "-08" as -8
     * (found by tests/fuzz/fuzz_gateway.c). */
    CHECK(parse("08", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("-08", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("{\"value\": -007}", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("-00", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("-012345678901234567890", NULL, &v) == GW_VAL_MALFORMED);
    CHECK(parse("{\"value\": 9223372036854775808}", NULL, &v) == GW_VAL_RANGE);
    CHECK(parse("{\"value\": -9223372036854775809}", NULL, &v) == GW_VAL_RANGE);
    CHECK(parse("99999999999999999999999", NULL, &v) == GW_VAL_RANGE);
    CHECK(parse("", "9223372036854775808", &v) == GW_VAL_RANGE);
    CHECK(parse("", "4x", &v) == GW_VAL_NOT_INT);
    CHECK(parse("", "", &v) == GW_VAL_NOT_INT);
    CHECK(parse("{}", NULL, &v) == GW_VAL_MISSING);
    CHECK(parse("", NULL, &v) == GW_VAL_MISSING);
    CHECK(parse("  ", NULL, &v) == GW_VAL_MISSING);
    CHECK(parse("1", "1", &v) == GW_VAL_TWICE);
    /* Digits inside strings are not numbers. */
    CHECK(parse("{\"note\":\"99999999999999999999999\",\"value\":1}", NULL, &v) == GW_VAL_OK &&
          v == 1);
}

/* The message a refused body gets. */
static const char *why(const char *body, size_t len, const char *q, size_t qlen)
{
    static char msg[200];
    int64_t v;
    msg[0] = 0;
    if (gw_parse_append(body, len, q, qlen, &v, msg, sizeof(msg)) == GW_VAL_OK) return "";
    return msg;
}

/* Every JSON type that is not an integer says what it is. */
static void test_value_types(void)
{
    CHECK(strcmp(why("{\"value\": null}", 15, NULL, 0),
                 "\"value\" must be an integer, not null") == 0);
    CHECK(strstr(why("{\"value\": true}", 15, NULL, 0), "must be an integer, not a boolean"));
    CHECK(strstr(why("{\"value\": \"7\"}", 14, NULL, 0), "must be an integer, not a string"));
    CHECK(strstr(why("{\"value\": [7]}", 14, NULL, 0), "must be an integer, not an array"));
    CHECK(strstr(why("{\"value\": {}}", 13, NULL, 0), "must be an integer, not an object"));
    CHECK(strstr(why("{\"value\": 7.5}", 14, NULL, 0),
                 "must be an integer, not a number with a fraction"));
    CHECK(strstr(why("null", 4, NULL, 0), "or a bare integer, not null"));
    CHECK(strstr(why("\"7\"", 3, NULL, 0), "or a bare integer, not a string"));
    CHECK(strstr(why("[7]", 3, NULL, 0), "or a bare integer, not an array"));
    CHECK(strstr(why("1e3", 3, NULL, 0), "not a number with a fraction or an exponent"));
    CHECK(strstr(why("{}", 2, NULL, 0), "missing \"value\""));
}

/* A NUL byte or bytes that are not UTF-8, in the body or in ?value=, are
 * refused before parsing, naming the byte and where it is. */
static void test_body_bytes(void)
{
    int64_t v = 0;
    char msg[200];
#define BYTES(lit) (lit), sizeof(lit) - 1
    CHECK(gw_parse_append(BYTES("{\"value\":7}\0garbage"), NULL, 0, &v, msg, sizeof(msg)) ==
          GW_VAL_ENCODING);
    CHECK(strstr(msg, "body has a NUL byte at offset 11") != NULL);
    CHECK(gw_parse_append(BYTES("7\0"), NULL, 0, &v, msg, sizeof(msg)) == GW_VAL_ENCODING);
    CHECK(gw_parse_append(BYTES("\0"), NULL, 0, &v, msg, sizeof(msg)) == GW_VAL_ENCODING);
    /* NUL inside a JSON string is still a NUL in the body */
    CHECK(gw_parse_append(BYTES("{\"value\":7,\"x\":\"a\0b\"}"), NULL, 0, &v, msg,
                          sizeof(msg)) == GW_VAL_ENCODING);
    static const struct {
        const char *s;
        size_t n, at;
    } bad[] = {
        {BYTES("{\"value\":7,\"x\":\"\xff\"}"), 16}, /* never in UTF-8 */
        {BYTES("\x80"), 0},                              /* a lone continuation byte */
        {BYTES("7 \xc0\x80"), 2},                        /* overlong NUL */
        {BYTES("\"\xe0\x80\x80\""), 1},                  /* overlong, 3 bytes */
        {BYTES("\"\xf0\x8f\xbf\xbf\""), 1},              /* overlong, 4 bytes */
        {BYTES("\"\xed\xa0\x80\""), 1},                  /* a UTF-16 surrogate */
        {BYTES("\"\xf4\x90\x80\x80\""), 1},              /* past U+10FFFF */
        {BYTES("\"\xe2\x82"), 1},                        /* cut short */
        {BYTES("\"\xc3\x28\""), 1},                      /* bad continuation */
        {BYTES("\"\xe2\x82\x28\""), 1},                  /* ... as the third byte */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[64];
        snprintf(want, sizeof(want), "at offset %zu", bad[i].at);
        CHECK(gw_parse_append(bad[i].s, bad[i].n, NULL, 0, &v, msg, sizeof(msg)) ==
              GW_VAL_ENCODING);
        CHECK(strstr(msg, "not valid UTF-8") != NULL && strstr(msg, want) != NULL);
    }
    /* UTF-8 that is valid passes, up to the longest sequences */
    CHECK(gw_parse_append(BYTES("{\"n\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
                                "\"value\":5}"),
                          NULL, 0, &v, msg, sizeof(msg)) == GW_VAL_OK &&
          v == 5);
    /* ?value= arrives decoded with its length: %00 and what follows count */
    CHECK(gw_parse_append("", 0, BYTES("7\0garbage"), &v, msg, sizeof(msg)) == GW_VAL_ENCODING);
    CHECK(strstr(msg, "?value= has a NUL byte at offset 1") != NULL);
    CHECK(gw_parse_append("", 0, BYTES("7\xff"), &v, msg, sizeof(msg)) == GW_VAL_ENCODING);
    CHECK(gw_parse_append("", 0, "712", 1, &v, msg, sizeof(msg)) == GW_VAL_OK && v == 7);
    CHECK(gw_parse_append("", 0, "", 0, &v, msg, sizeof(msg)) == GW_VAL_NOT_INT);
#undef BYTES
}

/* A head that passes every check. */
static gw_head good_head(void)
{
    gw_head h;
    memset(&h, 0, sizeof(h));
    h.version = "HTTP/1.1";
    h.target_len = 7;
    h.target_control = -1;
    h.header_bytes = 100;
    h.n_host = 1;
    return h;
}

static int head_status(const gw_head *h, const char *want_in_msg)
{
    char msg[200] = "";
    int st = gw_check_head(h, msg, sizeof(msg));
    if (want_in_msg != NULL && strstr(msg, want_in_msg) == NULL) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", msg, want_in_msg);
        return -1;
    }
    return st;
}

static void test_head(void)
{
    gw_head h = good_head();
    CHECK(head_status(&h, NULL) == 0);
    h.version = "HTTP/1.0"; /* no Host needed */
    h.n_host = 0;
    CHECK(head_status(&h, NULL) == 0);
    h = good_head();
    h.n_host = 0;
    CHECK(head_status(&h, "needs a Host header") == 400);
    h.n_host = 2;
    CHECK(head_status(&h, "more than one Host") == 400);
    h = good_head();
    h.n_content_length = 1;
    CHECK(head_status(&h, NULL) == 0);
    h.n_content_length = 2;
    CHECK(head_status(&h, "more than one Content-Length") == 400);
    h.n_content_length = 1;
    h.n_transfer_encoding = 1;
    h.transfer_encoding = "chunked";
    CHECK(head_status(&h, "both Transfer-Encoding and Content-Length") == 400);
    h.n_content_length = 0;
    CHECK(head_status(&h, NULL) == 0);
    h.transfer_encoding = "Chunked";
    CHECK(head_status(&h, NULL) == 0);
    h.transfer_encoding = "gzip, chunked";
    CHECK(head_status(&h, "\"gzip, chunked\" is not supported") == 501);
    h.transfer_encoding = "chunked";
    h.n_transfer_encoding = 2;
    CHECK(head_status(&h, "not supported") == 501);
    h = good_head();
    h.bad_name = "Content-Length ";
    CHECK(head_status(&h, "malformed header name \"Content-Length \"") == 400);
    h = good_head();
    h.n_value_args = 2;
    CHECK(head_status(&h, "\"value\" given more than once") == 400);
    h = good_head();
    h.n_list_args = 2;
    CHECK(head_status(&h, "\"list\" given more than once") == 400);
    h = good_head();
    h.target_control = 7;
    CHECK(head_status(&h, "control character at offset 7") == 400);
}

static void test_head_limits(void)
{
    gw_head h = good_head();
    h.target_len = GW_MAX_URI;
    CHECK(head_status(&h, NULL) == 0);
    h.target_len = GW_MAX_URI + 1;
    CHECK(head_status(&h, "request target too long") == 414);
    h = good_head();
    h.header_bytes = GW_MAX_HEADER_BYTES;
    CHECK(head_status(&h, NULL) == 0);
    h.header_bytes = GW_MAX_HEADER_BYTES + 1;
    CHECK(head_status(&h, "request headers too large") == 431);
    /* the version is checked first: nothing else about the head is trusted */
    static const char *versions[] = {"HTTP/1.2", "HTTP/1.9", "HTTP/2.0", "", "http/1.1"};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        h = good_head();
        h.version = versions[i];
        h.n_host = 0;
        h.n_content_length = 2;
        h.target_len = GW_MAX_URI + 1;
        CHECK(head_status(&h, "is not supported: use HTTP/1.1") == 505);
    }
    h = good_head();
    h.version = NULL;
    CHECK(head_status(&h, NULL) == 505);
}

static void test_head_tokens(void)
{
    CHECK(gw_header_name_ok("Content-Length"));
    CHECK(gw_header_name_ok("X-a.b_c~1!#$%&'*+^`|"));
    CHECK(!gw_header_name_ok("Content-Length "));
    CHECK(!gw_header_name_ok(" Host"));
    CHECK(!gw_header_name_ok("a\tb"));
    CHECK(!gw_header_name_ok("a:b"));
    CHECK(!gw_header_name_ok("a\"b"));
    CHECK(!gw_header_name_ok("caf\xc3\xa9"));
    CHECK(!gw_header_name_ok(""));
    CHECK(!gw_header_name_ok(NULL));
    CHECK(gw_target_control_at("/append?value=7", 15) == -1);
    CHECK(gw_target_control_at("/append%00junk", 14) == 7);
    CHECK(gw_target_control_at("/a?value=1%0a", 13) == 10);
    CHECK(gw_target_control_at("/a%1F", 5) == 2);
    CHECK(gw_target_control_at("/a%7f", 5) == 2);
    CHECK(gw_target_control_at("/a\x01", 3) == 2);
    CHECK(gw_target_control_at("/a\x7f", 3) == 2);
    CHECK(gw_target_control_at("/a%20b%2", 8) == -1); /* a space, a cut escape */
    CHECK(gw_target_control_at("/a%0g", 5) == -1);    /* not an escape */
    CHECK(gw_target_control_at("/a%00", 4) == -1);    /* only n bytes are looked at */
}

static void test_i64(void)
{
    int64_t v;
    CHECK(gw_parse_i64("0", 1, &v) == 0 && v == 0);
    CHECK(gw_parse_i64("-", 1, &v) == -1);
    CHECK(gw_parse_i64("", 0, &v) == -1);
    CHECK(gw_parse_i64("+1", 2, &v) == -1);
    CHECK(gw_parse_i64("9223372036854775807", 19, &v) == 0 && v == INT64_MAX);
    CHECK(gw_parse_i64("9223372036854775808", 19, &v) == -2);
    CHECK(gw_parse_i64("-9223372036854775809", 20, &v) == -2);
}

static void test_routes(void)
{
    int role, ok;
    const char *allow;
    CHECK(gw_route("/append", "POST", &role, &allow, &ok) == GW_R_APPEND && ok);
    CHECK(gw_route("/append", "GET", &role, &allow, &ok) == GW_R_APPEND && !ok &&
          strcmp(allow, "POST") == 0);
    CHECK(gw_route("/list", "GET", &role, &allow, &ok) == GW_R_LIST && ok);
    CHECK(gw_route("/list", "DELETE", &role, &allow, &ok) == GW_R_LIST && !ok);
    CHECK(gw_route("/status", "HEAD", &role, &allow, &ok) == GW_R_STATUS && ok);
    CHECK(gw_route("/roles/learner", "GET", &role, &allow, &ok) == GW_R_ROLE &&
          role == PX_ROLE_LEARNER);
    CHECK(gw_route("/roles/gateway", "GET", &role, &allow, &ok) == GW_R_NOT_FOUND);
    CHECK(gw_route("/append/", "POST", &role, &allow, &ok) == GW_R_NOT_FOUND);
    CHECK(gw_route("/", "GET", &role, &allow, &ok) == GW_R_PAGE && ok);
    CHECK(gw_route("/", "POST", &role, &allow, &ok) == GW_R_PAGE && !ok);
    CHECK(gw_route("/metrics", "GET", &role, &allow, &ok) == GW_R_METRICS && ok);
    CHECK(gw_route("/cluster", "HEAD", &role, &allow, &ok) == GW_R_CLUSTER && ok);
    CHECK(gw_route("/node", "GET", &role, &allow, &ok) == GW_R_NODE && ok);
    CHECK(gw_route("/metrics/", "GET", &role, &allow, &ok) == GW_R_NOT_FOUND);
    CHECK(gw_route("/index.html", "GET", &role, &allow, &ok) == GW_R_NOT_FOUND);
}

static void test_bools(void)
{
    CHECK(gw_parse_bool("false", 1) == 0 && gw_parse_bool("0", 1) == 0);
    CHECK(gw_parse_bool("true", 0) == 1 && gw_parse_bool(NULL, 1) == 1);
}

static void test_json_out(void)
{
    gw_buf b = {0};
    gw_buf_i64(&b, INT64_MIN);
    gw_buf_puts(&b, " ");
    gw_buf_i64(&b, 0);
    gw_buf_puts(&b, " ");
    gw_buf_u64(&b, UINT64_MAX);
    CHECK(strcmp(b.p, "-9223372036854775808 0 18446744073709551615") == 0);
    gw_buf_free(&b);
    gw_json_error(&b, "a \"q\"\n\\");
    CHECK(strcmp(b.p, "{\"error\":\"a \\\"q\\\"\\u000a\\\\\"}\n") == 0);
    gw_buf_free(&b);
}

/* The list copy as JSON (the copy itself is tested in test_gateway_core). */
static void test_list_json(void)
{
    gw_list l;
    REQUIRE(gw_list_init(&l) == 0);
    px_list_chunk *c = calloc(1, sizeof(*c));
    REQUIRE(c != NULL);
    c->total_len = c->n = 6;
    for (int i = 0; i < 6; i++) c->values[i] = 10 + i - (i == 5 ? 30 : 0);
    CHECK(gw_list_on_chunk(&l, c) == 1 && l.len == 6);
    gw_buf b = {0};
    gw_list_json(&l, 6, &b);
    CHECK(strcmp(b.p, "[10,11,12,13,14,-15]") == 0);
    gw_buf_free(&b);
    gw_list_json(&l, 2, &b);
    CHECK(strcmp(b.p, "[10,11]") == 0);
    gw_buf_free(&b);
    gw_list_json(&l, 0, &b);
    CHECK(strcmp(b.p, "[]") == 0);
    gw_buf_free(&b);
    free(c);
    gw_list_free(&l);
}

int main(void)
{
    RUN(test_value_forms);
    RUN(test_value_errors);
    RUN(test_value_types);
    RUN(test_body_bytes);
    RUN(test_head);
    RUN(test_head_limits);
    RUN(test_head_tokens);
    RUN(test_i64);
    RUN(test_routes);
    RUN(test_bools);
    RUN(test_json_out);
    RUN(test_list_json);
    return check_summary();
}
