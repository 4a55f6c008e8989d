/* main.c -- paxos-bench: closed-loop clients over HTTP/1.1 keep-alive.
 *
 *   paxos-bench [--targets H:P,...] [--target-kind paxos|etcd]
 *               [--concurrency N] [--duration S] [--warmup S]
 *               [--list-mode index|full] [--timeout-ms MS] [--json]
 *               [--total N] [--acked FILE] [--progress S]
 *
 * Each client is a thread with its own keep-alive connection to one target
 * (client i uses target i mod n), sending its next request as soon as the
 * previous answer is in.  The window is fixed before the threads start:
 * operations that complete during the warmup are discarded, those that
 * complete during the next `duration` seconds are counted and timed.  A
 * thread is blocked in the kernel almost all the time, so one thread per
 * client costs little CPU; the report includes this process's CPU so a
 * saturated client is visible rather than mistaken for a slow server.
 *
 * For long runs (bench/soak.sh): --total N stops once exactly N operations
 * succeeded (--duration is then the limit: exit 1 if N were not reached in
 * time), --acked FILE records "value index" for every acknowledged paxos
 * append, so a checker can find each one in the final list, and
 * --progress S prints "progress t=S acked=N errors=E" to stderr every S
 * seconds, counting from the start, warmup included.  SIGTERM or SIGINT
 * ends a run early the same way: ops in flight finish, the report and the
 * acked file are complete (exit 1 if --total was not reached). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define ERROR_PAUSE_US 5000 /* after a failed op: do not spin on a dead target */

typedef struct worker {
    int idx;
    pthread_t th;
    bench_samples lat;
    uint64_t ops, errors;
} worker;

static bench_opts opt = {
    .kind = BENCH_PAXOS, .concurrency = 16, .duration_s = 10, .warmup_s = 2,
    .timeout_ms = 10000,
};
static uint64_t t_measure_ns, t_end_ns; /* the window, monotonic ns */
static uint64_t run_id;                 /* makes etcd keys unique across runs */
static atomic_ullong next_id = 1;
static atomic_ullong claimed;  /* --total: successes taken on by workers */
static atomic_ullong acked, failed; /* over the whole run, for --progress */
static atomic_int finished;    /* workers that returned */
static volatile sig_atomic_t stopping; /* SIGTERM/SIGINT: finish the ops in flight, report */
static FILE *acked_file;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {}
}

/* ---- options -------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: paxos-bench [--targets H:P,...] [--target-kind paxos|etcd]\n"
            "                   [--concurrency N] [--duration S] [--warmup S]\n"
            "                   [--list-mode index|full] [--timeout-ms MS] [--json]\n"
            "                   [--total N] [--acked FILE] [--progress S]\n");
    exit(2);
}

static void parse_targets(const char *s)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    opt.n_targets = 0;
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(t, ':');
        if (colon == NULL || opt.n_targets == BENCH_MAX_TARGETS) usage();
        *colon = 0;
        bench_target *bt = &opt.targets[opt.n_targets++];
        snprintf(bt->host, sizeof bt->host, "%s", t);
        bt->port = atoi(colon + 1);
        if (bt->port <= 0 || bt->port > 65535) usage();
    }
    if (opt.n_targets == 0) usage();
}

static double positive(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || v < 0) usage();
    return v;
}

static void parse_args(int argc, char **argv)
{
    parse_targets("127.0.0.1:5001,127.0.0.2:5002,127.0.0.3:5003");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) { opt.json = 1; continue; }
        if (v == NULL) usage();
        i++;
        if (!strcmp(a, "--targets")) parse_targets(v);
        else if (!strcmp(a, "--target-kind") && !strcmp(v, "paxos")) opt.kind = BENCH_PAXOS;
        else if (!strcmp(a, "--target-kind") && !strcmp(v, "etcd")) opt.kind = BENCH_ETCD;
        else if (!strcmp(a, "--concurrency")) opt.concurrency = atoi(v);
        else if (!strcmp(a, "--duration")) opt.duration_s = positive(v);
        else if (!strcmp(a, "--warmup")) opt.warmup_s = positive(v);
        else if (!strcmp(a, "--list-mode") && !strcmp(v, "index")) opt.full_list = 0;
        else if (!strcmp(a, "--list-mode") && !strcmp(v, "full")) opt.full_list = 1;
        else if (!strcmp(a, "--timeout-ms")) opt.timeout_ms = atoi(v);
        else if (!strcmp(a, "--total")) opt.total = (uint64_t)positive(v);
        else if (!strcmp(a, "--acked")) opt.acked_path = v;
        else if (!strcmp(a, "--progress")) opt.progress_s = positive(v);
        else usage();
    }
    if (opt.concurrency < 1 || opt.concurrency > BENCH_MAX_CLIENTS) usage();
    if (opt.duration_s <= 0 || opt.timeout_ms <= 0) usage();
    if (opt.acked_path != NULL && opt.kind != BENCH_PAXOS) usage();
}

/* ---- workers -------------------------------------------------------------- */

/* --total: take on one of the remaining successes, or say there is none
 * left.  A worker whose operation failed gives its claim back and, since
 * it loops, takes it again at once: so claims never strand and exactly
 * `total` operations succeed (unless time runs out). */
static int claim(void)
{
    if (opt.total == 0) return 1;
    unsigned long long c = atomic_load(&claimed);
    do {
        if (c >= opt.total) return 0;
    } while (!atomic_compare_exchange_weak(&claimed, &c, c + 1));
    return 1;
}

static void record_ack(uint64_t id, int64_t index)
{
    atomic_fetch_add(&acked, 1);
    if (acked_file == NULL) return;
    flockfile(acked_file);
    fprintf(acked_file, "%llu %lld\n", (unsigned long long)id, (long long)index);
    funlockfile(acked_file);
}

/* One timed operation; counted only if it completed inside the window. */
static void one_op(worker *w, http_conn *c)
{
    uint64_t id = atomic_fetch_add(&next_id, 1);
    int sent;
    int64_t index;
    uint64_t t0 = now_ns();
    int rc = bench_op(&opt, c, id, run_id, &sent, &index);
    uint64_t t1 = now_ns();
    if (rc == 0) record_ack(id, index);
    if (rc != 0) {
        atomic_fetch_add(&failed, 1);
        if (opt.total) atomic_fetch_sub(&claimed, 1);
        usleep(ERROR_PAUSE_US);
    }
    if (t1 < t_measure_ns || t1 > t_end_ns) return;
    if (rc != 0) {
        w->errors++;
        return;
    }
    w->ops++;
    uint64_t us = (t1 - t0) / 1000;
    bench_samples_add(&w->lat, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    const bench_target *t = &opt.targets[w->idx % opt.n_targets];
    http_conn c;
    http_init(&c, t->host, t->port, NULL, opt.timeout_ms);
    while (now_ns() < t_end_ns && !stopping && claim()) one_op(w, &c);
    http_close(&c);
    free(c.buf);
    atomic_fetch_add(&finished, 1);
    return NULL;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int start_workers(worker *w, int n)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 256 * 1024); /* blocking I/O only: small stacks */
    for (int i = 0; i < n; i++) {
        w[i].idx = i;
        if (pthread_create(&w[i].th, &a, worker_main, &w[i]) != 0) {
            fprintf(stderr, "paxos-bench: cannot start client thread %d\n", i);
            return -1;
        }
    }
    pthread_attr_destroy(&a);
    return 0;
}

/* Until the window ends or, with --total, every worker is done; prints
 * progress lines on the way.  Returns when it stopped (monotonic ns). */
static void progress(uint64_t t0, uint64_t t)
{
    fprintf(stderr, "progress t=%.1f acked=%llu errors=%llu\n", (double)(t - t0) / 1e9,
            (unsigned long long)atomic_load(&acked), (unsigned long long)atomic_load(&failed));
}

static uint64_t wait_for_end(uint64_t t0)
{
    uint64_t next_progress = t0 + (uint64_t)(opt.progress_s * 1e9);
    for (;;) {
        uint64_t t = now_ns();
        if (t >= t_end_ns) return t_end_ns;
        if (atomic_load(&finished) == opt.concurrency || stopping) return t;
        if (opt.progress_s > 0 && t >= next_progress) {
            progress(t0, t);
            next_progress += (uint64_t)(opt.progress_s * 1e9);
        }
        uint64_t step = 20000000ull; /* 20 ms: a --total run ends that close to its last op */
        sleep_until(t + step < t_end_ns ? t + step : t_end_ns);
    }
}

static FILE *open_acked(void)
{
    if (opt.acked_path == NULL) return NULL;
    FILE *f = fopen(opt.acked_path, "w");
    if (f == NULL) {
        perror(opt.acked_path);
        exit(1);
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    return f;
}

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    acked_file = open_acked();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    if (getrandom(&run_id, sizeof run_id, 0) != (ssize_t)sizeof run_id) run_id = now_ns();
    worker *w = calloc((size_t)opt.concurrency, sizeof *w);
    if (w == NULL) return 1;

    uint64_t t0 = now_ns();
    t_measure_ns = t0 + (uint64_t)(opt.warmup_s * 1e9);
    t_end_ns = t_measure_ns + (uint64_t)(opt.duration_s * 1e9);
    if (start_workers(w, opt.concurrency) != 0) _exit(1);
    sleep_until(t_measure_ns);
    double cpu0 = cpu_seconds();
    uint64_t t_stop = wait_for_end(t0);
    double cpu1 = cpu_seconds();

    bench_samples all = {0};
    for (int i = 0; i < opt.concurrency; i++) pthread_join(w[i].th, NULL);
    if (opt.progress_s > 0) progress(t0, now_ns()); /* the final count, every op in */
    bench_result r = {0};
    for (int i = 0; i < opt.concurrency; i++) {
        r.ops += w[i].ops;
        r.errors += w[i].errors;
        bench_samples_merge(&all, &w[i].lat);
        bench_samples_free(&w[i].lat);
    }
    /* A --total run may end before the window does: its window is shorter. */
    r.seconds = t_stop > t_measure_ns ? (double)(t_stop - t_measure_ns) / 1e9 : 1e-9;
    if (t_stop == t_end_ns) r.seconds = opt.duration_s;
    r.throughput = (double)r.ops / r.seconds;
    r.client_cpu_pct = 100.0 * (cpu1 - cpu0) / r.seconds;
    bench_percentiles(&all, &r);
    bench_report(&opt, &r, opt.json);
    bench_samples_free(&all);
    free(w);
    int ok = r.ops > 0 && atomic_load(&acked) >= opt.total;
    if (acked_file != NULL && fclose(acked_file) != 0) {
        perror(opt.acked_path);
        ok = 0;
    }
    if (opt.total && atomic_load(&acked) < opt.total)
        fprintf(stderr, "paxos-bench: only %llu of %llu operations succeeded in %.0f s\n",
                (unsigned long long)atomic_load(&acked), (unsigned long long)opt.total,
                opt.warmup_s + opt.duration_s);
    return ok ? 0 : 1;
}
