/* log.c -- one line per event on stderr:
 *
 *   2026-11-23T11:42:00.123Z INFO  n1 acceptor recovered 12 records
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

void px_log_init(unsigned node, const char *role, int min_level)
{
    log_node = node;
    snprintf(log_role, sizeof log_role, "%s", role ? role : "-");
    log_min_level = min_level;
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

void px_log(int level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    va_list ap;

    if (level < log_min_level) return;
    int saved_errno = errno; /* so callers can log and then use errno */
    size_t n = format_time(line, sizeof line);
    int m = snprintf(line + n, sizeof line - n, " %s n%u %s ", level_name(level), log_node,
                     log_role);
    if (m > 0) n += (size_t)m;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    if (m > 0) n += (size_t)m;
    /* Truncate an over-long message rather than split it across writes. */
    if (n > sizeof line - 2) n = sizeof line - 2;
    while (n > 0 && line[n - 1] == '\n') n--;
    line[n++] = '\n';
    write_all(line, n);
    errno = saved_errno;
}
