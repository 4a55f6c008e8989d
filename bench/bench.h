/* bench.h -- paxos-bench: closed-loop load against paxos-c gateways or
 * etcd's HTTP/JSON gateway, reporting throughput and latency percentiles.
 *
 *   main.c   options, worker threads, the measurement window
 *   ops.c    one operation of each kind (paxos append, etcd put)
 *   stats.c  latency samples, percentiles, the human and JSON reports */
#ifndef PX_BENCH_H
#define PX_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "../common/http_client.h"

#define BENCH_MAX_TARGETS 16
#define BENCH_MAX_CLIENTS 1024

enum bench_kind { BENCH_PAXOS = 0, BENCH_ETCD = 1 };

typedef struct bench_target {
    char host[64];
    int port;
} bench_target;

typedef struct bench_opts {
    bench_target targets[BENCH_MAX_TARGETS];
    int n_targets;
    int kind;         /* enum bench_kind */
    int concurrency;
    double duration_s;
    double warmup_s;
    int full_list;    /* paxos: ask for the whole list in every answer */
    int json;
    int timeout_ms;   /* per request */
    uint64_t total;   /* stop once this many ops succeeded (0: run for the duration) */
    const char *acked_path; /* paxos: write "value index" of every acknowledged append */
    double progress_s;      /* print a progress line to stderr this often (0: never) */
} bench_opts;

/* ---- ops.c ---------------------------------------------------------------- */

/* One write with a value (paxos) or key (etcd) unique to id.  Returns 0 on
 * a 200 answer of the expected shape, -1 on anything else; *sent is 1 if
 * the request left (a connection failure before sending is 0); *index is
 * the list index the gateway gave the value (paxos; -1 for etcd). */
int bench_op(const bench_opts *o, http_conn *c, uint64_t id, uint64_t run, int *sent,
             int64_t *index);

/* Standard base64 of n bytes into out (nul-terminated); returns its length. */
size_t bench_base64(const unsigned char *in, size_t n, char *out, size_t cap);

/* ---- stats.c -------------------------------------------------------------- */

/* Latencies in microseconds, appended by one thread, merged at the end. */
typedef struct bench_samples {
    uint32_t *v;
    size_t n, cap;
} bench_samples;

void bench_samples_add(bench_samples *s, uint32_t us);
void bench_samples_merge(bench_samples *into, const bench_samples *from);
void bench_samples_free(bench_samples *s);

typedef struct bench_result {
    uint64_t ops, errors;
    double seconds;        /* length of the measurement window */
    double throughput;     /* ops / seconds */
    double mean_ms, p50_ms, p90_ms, p99_ms, p999_ms, max_ms;
    double client_cpu_pct; /* this process's CPU over the window, % of one core */
} bench_result;

/* Sort s and fill the latency fields of r. */
void bench_percentiles(bench_samples *s, bench_result *r);
void bench_report(const bench_opts *o, const bench_result *r, int json);

#endif
