/* log.c -- one line per event on stderr, text by default:
 *
 *   2026-11-23T11:42:00.123Z INFO  n1 acceptor recovered 12 records
 *
 * or, once px_log_set_json(1) (log_format = "json" in cluster.cfg), one
 * JSON object per line for machines:
 *
 *   {"time":"2026-11-23T11:42:00.123Z","level":"info","node":1,
 *    "role":"acceptor","message":"recovered 12 records","fields":{"pid":4242}}
 *
 * The message is escaped for JSON (quotes, backslashes, control bytes) and
 * any byte that is not valid UTF-8 becomes U+FFFD, so every line parses
 * whatever a path or a peer's error text held.
 *
 * Each line is formatted into one buffer and written with a single write(2),
 * so lines from the several processes of a node sharing a log file or
 * terminal never interleave mid-line (O_APPEND writes of this size are
 * atomic in practice). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 4096

static unsigned log_node;
static char log_role[32] = "-";
static int log_min_level = PX_LOG_INFO;
static int log_json;

void px_log_init(unsigned node, const char *role, int min_level)
{
    log_node = node;
    snprintf(log_role, sizeof log_role, "%s", role ? role : "-");
    log_min_level = min_level;
}

void px_log_set_json(int on)
{
    log_json = on;
}

static const char *level_name(int level)
{
    switch (level) {
    case PX_LOG_DEBUG: return "DEBUG";
    case PX_LOG_INFO: return "INFO ";
    case PX_LOG_WARN: return "WARN ";
    default: return "ERROR";
    }
}

/* "2026-11-23T11:42:00.123Z" into buf; UTC so logs of all nodes line up. */
static size_t format_time(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
    return n + (m > 0 ? (size_t)m : 0);
}

static void write_all(const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* nowhere left to report a logging failure */
        p += w;
        len -= (size_t)w;
    }
}

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] < 0xC2 ? 0 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : p[0] < 0xF5 ? 4 : 0;
    if (len == 0 || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    /* no overlong forms, no surrogates, nothing above U+10FFFF */
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
        return 0;
    return len;
}

/* s (n bytes) as the inside of a JSON string into out at *off; stops, on a
 * character boundary, before passing cap - reserve. */
static void json_escape(char *out, size_t cap, size_t reserve, size_t *off, const char *s,
                        size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        char esc[8];
        const char *piece = esc;
        size_t plen, step = 1;
        if (p[i] == '"' || p[i] == '\\') {
            esc[0] = '\\', esc[1] = (char)p[i], plen = 2;
        } else if (p[i] < 0x20 || p[i] == 0x7F) {
            plen = (size_t)snprintf(esc, sizeof esc, "\\u%04x", p[i]);
        } else if (p[i] < 0x80) {
            piece = (const char *)p + i, plen = 1;
        } else if ((step = utf8_len(p + i, n - i)) > 0) {
            piece = (const char *)p + i, plen = step;
        } else {
            piece = "\\ufffd", plen = 6, step = 1;
        }
        if (*off + plen + reserve > cap) return;
        memcpy(out + *off, piece, plen);
        *off += plen;
        i += step;
    }
}

static const char *json_level(int level)
{
    switch (level) {
    case PX_LOG_DEBUG: return "debug";
    case PX_LOG_INFO: return "info";
    case PX_LOG_WARN: return "warn";
    default: return "error";
    }
}

/* One JSON object: the text line's parts as keys; the message escaped. */
static size_t format_json(char *line, size_t cap, int level, const char *msg, size_t msglen)
{
    char when[40], tail[64];
    format_time(when, sizeof when);
    size_t n = (size_t)snprintf(line, cap, "{\"time\":\"%s\",\"level\":\"%s\",\"node\":%u,"
                                           "\"role\":\"", when, json_level(level), log_node);
    json_escape(line, cap, 0, &n, log_role, strlen(log_role));
    n += (size_t)snprintf(line + n, cap - n, "\",\"message\":\"");
    int t = snprintf(tail, sizeof tail, "\",\"fields\":{\"pid\":%ld}}\n", (long)getpid());
    json_escape(line, cap, (size_t)t + 1, &n, msg, msglen);
    memcpy(line + n, tail, (size_t)t);
    return n + (size_t)t;
}

void px_log(int level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    va_list ap;

    if (level < log_min_level) return;
    int saved_errno = errno; /* so callers can log and then use errno */
    size_t n = 0;
    if (!log_json) {
        n = format_time(line, sizeof line);
        int m = snprintf(line + n, sizeof line - n, " %s n%u %s ", level_name(level), log_node,
                         log_role);
        if (m > 0) n += (size_t)m;
    }
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    if (m > 0) n += (size_t)m;
    /* Truncate an over-long message rather than split it across writes. */
    if (n > sizeof line - 2) n = sizeof line - 2;
    while (n > 0 && line[n - 1] == '\n') n--;
    if (log_json) {
        char obj[LOG_LINE_MAX * 2];
        write_all(obj, format_json(obj, sizeof obj, level, line, n));
    } else {
        line[n++] = '\n';
        write_all(line, n);
    }
    errno = saved_errno;
}
