/* log.h -- one line per event: time, level, node id, role, message.
 *
 *   2026-11-23T11:42:00.123Z INFO  n1 acceptor recovered 12 records
 *
 * or the same as one JSON object per line (log.c has the keys), once
 * px_log_set_json(1): log_format = "json" in cluster.cfg.
 *
 * Processes call px_log_init once; the pure cores never log. */
#ifndef PX_LOG_H
#define PX_LOG_H

enum px_log_level { PX_LOG_DEBUG = 0, PX_LOG_INFO = 1, PX_LOG_WARN = 2, PX_LOG_ERROR = 3 };

void px_log_init(unsigned node, const char *role, int min_level);
/* 1: JSON lines from now on; 0: text (the default). */
void px_log_set_json(int on);
void px_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define px_debug(...) px_log(PX_LOG_DEBUG, __VA_ARGS__)
#define px_info(...) px_log(PX_LOG_INFO, __VA_ARGS__)
#define px_warn(...) px_log(PX_LOG_WARN, __VA_ARGS__)
#define px_error(...) px_log(PX_LOG_ERROR, __VA_ARGS__)

#endif
