/* test_log.c -- log lines: text by default, and with px_log_set_json(1)
 * one JSON object per line that parses whatever the message holds
 * (quotes, backslashes, newlines, control bytes, invalid UTF-8, more than
 * a line's worth), with the keys docs/OPERATIONS.md promises. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../common/log.h"
#include "check.h"

static char out[65536];

/* Run one px_log call with stderr captured; its output into out. */
#define CAPTURE(...)                                                           \
    do {                                                                       \
        FILE *tmp_ = tmpfile();                                                \
        int saved_ = dup(2);                                                   \
        dup2(fileno(tmp_), 2);                                                 \
        px_log(__VA_ARGS__);                                                   \
        dup2(saved_, 2);                                                       \
        close(saved_);                                                         \
        rewind(tmp_);                                                          \
        size_t n_ = fread(out, 1, sizeof out - 1, tmp_);                       \
        out[n_] = 0;                                                           \
        fclose(tmp_);                                                          \
    } while (0)

static const char *str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

/* out is exactly one line, a JSON object with every key; returns it. */
static json_object *one_object(void)
{
    size_t len = strlen(out);
    if (len == 0 || out[len - 1] != '\n' || memchr(out, '\n', len - 1) != NULL) return NULL;
    json_object *o = json_tokener_parse(out);
    if (o == NULL || !json_object_is_type(o, json_type_object)) return NULL;
    json_object *node, *fields, *pid;
    if (str(o, "time") == NULL || str(o, "level") == NULL || str(o, "role") == NULL ||
        str(o, "message") == NULL || !json_object_object_get_ex(o, "node", &node) ||
        !json_object_is_type(node, json_type_int) ||
        !json_object_object_get_ex(o, "fields", &fields) ||
        !json_object_is_type(fields, json_type_object) ||
        !json_object_object_get_ex(fields, "pid", &pid) ||
        json_object_get_int64(pid) != (int64_t)getpid()) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static void test_text_default(void)
{
    px_log_init(3, "learner", PX_LOG_INFO);
    CAPTURE(PX_LOG_WARN, "caught up: applied up to slot %d", 12);
    CHECK(strstr(out, " WARN  n3 learner caught up: applied up to slot 12\n") != NULL);
    CHECK(out[0] != '{');
}

static void test_json_keys(void)
{
    px_log_init(2, "acceptor", PX_LOG_INFO);
    px_log_set_json(1);
    CAPTURE(PX_LOG_INFO, "recovered %d records", 12);
    json_object *o = one_object();
    REQUIRE(o != NULL);
    json_object *node;
    json_object_object_get_ex(o, "node", &node);
    CHECK(json_object_get_int(node) == 2);
    CHECK(strcmp(str(o, "level"), "info") == 0);
    CHECK(strcmp(str(o, "role"), "acceptor") == 0);
    CHECK(strcmp(str(o, "message"), "recovered 12 records") == 0);
    CHECK(strlen(str(o, "time")) == 24 && str(o, "time")[23] == 'Z');
    json_object_put(o);
    CAPTURE(PX_LOG_DEBUG, "below the level");
    CHECK(out[0] == 0);
    CAPTURE(PX_LOG_ERROR, "bad");
    o = one_object();
    CHECK(o != NULL && strcmp(str(o, "level"), "error") == 0);
    json_object_put(o);
    px_log_set_json(0);
}

/* What needs escaping comes back as it was; a trailing newline is dropped
 * as in text. */
static void test_json_escapes(void)
{
    px_log_set_json(1);
    const char *msg = "a \"quoted\" path C:\\x\tand\nsecond line \x01 caf\xc3\xa9 \xe2\x82\xac";
    CAPTURE(PX_LOG_WARN, "%s\n", msg);
    json_object *o = one_object();
    REQUIRE(o != NULL);
    CHECK(strcmp(str(o, "message"), msg) == 0);
    json_object_put(o);
    px_log_set_json(0);
}

/* Bytes that are not UTF-8 (a stray continuation byte, a truncated
 * sequence, an overlong form, a surrogate) become U+FFFD. */
static void test_json_invalid_utf8(void)
{
    px_log_set_json(1);
    CAPTURE(PX_LOG_WARN, "x\x80y\xe2\x82z\xc0\xafw\xed\xa0\x80v\xff");
    json_object *o = one_object();
    REQUIRE(o != NULL);
    const char *r = "\xef\xbf\xbd";
    char want[64];
    /* one U+FFFD per byte that starts no valid sequence */
    snprintf(want, sizeof want, "x%sy%s%sz%s%sw%s%s%sv%s", r, r, r, r, r, r, r, r, r);
    CHECK(strcmp(str(o, "message"), want) == 0);
    json_object_put(o);
    px_log_set_json(0);
}

/* A message longer than a line is cut, and the line still parses. */
static void test_json_long(void)
{
    static char big[20000];
    memset(big, '"', sizeof big - 1);
    px_log_set_json(1);
    CAPTURE(PX_LOG_INFO, "%s", big);
    json_object *o = one_object();
    REQUIRE(o != NULL);
    CHECK(strlen(str(o, "message")) > 1000);
    json_object_put(o);
    px_log_set_json(0);
}

int main(void)
{
    RUN(test_text_default);
    RUN(test_json_keys);
    RUN(test_json_escapes);
    RUN(test_json_invalid_utf8);
    RUN(test_json_long);
    return check_summary();
}
