/* stats.c -- latency samples, percentiles and reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

void bench_samples_add(bench_samples *s, uint32_t us)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        uint32_t *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL) return; /* a lost sample is better than a dead run */
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = us;
}

void bench_samples_merge(bench_samples *into, const bench_samples *from)
{
    for (size_t i = 0; i < from->n; i++) bench_samples_add(into, from->v[i]);
}

void bench_samples_free(bench_samples *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile: the smallest sample with at least q of all
 * samples at or below it. */
static double rank_ms(const bench_samples *s, double q)
{
    if (s->n == 0) return 0;
    size_t k = (size_t)(q * (double)s->n + 0.999999);
    if (k < 1) k = 1;
    if (k > s->n) k = s->n;
    return s->v[k - 1] / 1000.0;
}

void bench_percentiles(bench_samples *s, bench_result *r)
{
    qsort(s->v, s->n, sizeof *s->v, cmp_u32);
    double sum = 0;
    for (size_t i = 0; i < s->n; i++) sum += s->v[i];
    r->mean_ms = s->n ? sum / (double)s->n / 1000.0 : 0;
    r->p50_ms = rank_ms(s, 0.50);
    r->p90_ms = rank_ms(s, 0.90);
    r->p99_ms = rank_ms(s, 0.99);
    r->p999_ms = rank_ms(s, 0.999);
    r->max_ms = s->n ? s->v[s->n - 1] / 1000.0 : 0;
}

static const char *kind_name(int kind)
{
    return kind == BENCH_ETCD ? "etcd" : "paxos";
}

static void report_json(const bench_opts *o, const bench_result *r)
{
    printf("{\"target_kind\":\"%s\",\"targets\":%d,\"concurrency\":%d,\"list_mode\":\"%s\","
           "\"warmup_s\":%.3f,\"duration_s\":%.3f,\"ops\":%llu,\"errors\":%llu,"
           "\"throughput\":%.1f,\"mean_ms\":%.3f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
           "\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"client_cpu_pct\":%.1f}\n",
           kind_name(o->kind), o->n_targets, o->concurrency, o->full_list ? "full" : "index",
           o->warmup_s, r->seconds, (unsigned long long)r->ops, (unsigned long long)r->errors,
           r->throughput, r->mean_ms, r->p50_ms, r->p90_ms, r->p99_ms, r->p999_ms, r->max_ms,
           r->client_cpu_pct);
}

static void report_text(const bench_opts *o, const bench_result *r)
{
    printf("%s, %d target(s), %d clients, list mode %s, %.1f s after %.1f s warmup\n",
           kind_name(o->kind), o->n_targets, o->concurrency, o->full_list ? "full" : "index",
           r->seconds, o->warmup_s);
    printf("  ops %llu, errors %llu, throughput %.1f ops/s\n", (unsigned long long)r->ops,
           (unsigned long long)r->errors, r->throughput);
    printf("  latency ms: mean %.2f  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
           r->mean_ms, r->p50_ms, r->p90_ms, r->p99_ms, r->p999_ms, r->max_ms);
    printf("  client CPU %.0f%% of one core\n", r->client_cpu_pct);
}

void bench_report(const bench_opts *o, const bench_result *r, int json)
{
    if (json) report_json(o, r);
    else report_text(o, r);
    fflush(stdout);
}
