/* main.c -- paxos-jepsen-client: the load generator and history recorder of
 * the Jepsen-style test (jepsen/run).
 *
 * Runs `concurrency` worker threads, each with a keep-alive connection to one
 * gateway (workers are spread over the nodes), appending unique ints and
 * sometimes reading, on a staggered schedule.  A nemesis thread starts and
 * stops faults through an external command at a fixed interval.  Every
 * operation is written to the history as Jepsen does: an :invoke line, then
 * an :ok, :fail or :info line, with a monotonic nanosecond :time.  After the
 * time limit it heals everything, waits for the cluster to recover and does
 * a final read on every node.
 *
 * The :fail rule: an append is :fail only when it surely did not happen:
 * the connection could not be made or the request could not be sent, or the
 * gateway answered 503 (it never got the command to a leader) or 4xx.
 * A timeout, a lost connection after sending, a 504 or another 5xx is :info
 * (unknown), and the worker continues as a new process number.
 */
#include "client.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recovery.h"

struct options opt = {
    .concurrency = 5, .time_limit = 30, .rate = 0, .seed = 1,
    .history = "history.edn", .source = NULL, .timeout_ms = 7000,
    .read_ratio = 0.1, .nemesis = "none", .nemesis_cmd = NULL,
    .nemesis_interval = 5, .recovery_s = 60, .final_window_s = 30, .recovery_out = NULL,
};

static FILE *history;
static pthread_mutex_t history_mu = PTHREAD_MUTEX_INITIALIZER;
static struct timespec t0;
static atomic_long next_value;
static atomic_int stopping;
static atomic_long op_index;

long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)(ts.tv_sec - t0.tv_sec) * 1000000000LL + (ts.tv_nsec - t0.tv_nsec);
}

void record(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&history_mu);
    fprintf(history, "{%s, :time %lld, :index %ld}\n", buf, now_ns(),
            atomic_fetch_add(&op_index, 1));
    fflush(history);
    pthread_mutex_unlock(&history_mu);
}

/* Like record, with a list value appended as an EDN vector. */
static void record_list(const char *head, json_object *list, const char *tail)
{
    size_t n = json_object_array_length(list);
    size_t cap = 64 + n * 21;
    char *v = malloc(cap);
    if (v == NULL) abort();
    size_t len = 0;
    v[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        long long x = json_object_get_int64(json_object_array_get_idx(list, i));
        len += (size_t)snprintf(v + len, cap - len, i ? " %lld" : "%lld", x);
    }
    v[len++] = ']';
    v[len] = 0;
    pthread_mutex_lock(&history_mu);
    fprintf(history, "{%s%s%s, :time %lld, :index %ld}\n", head, v, tail, now_ns(),
            atomic_fetch_add(&op_index, 1));
    fflush(history);
    pthread_mutex_unlock(&history_mu);
    free(v);
}

uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* Outcome of one HTTP exchange, mapped to Jepsen's types. */
static enum outcome classify(int rc, int status)
{
    if (rc == HTTP_NOT_SENT) return OUT_FAIL;
    if (rc == HTTP_LOST) return OUT_INFO;
    if (status == 200) return OUT_OK;
    if (status == 503 || (status >= 400 && status < 500)) return OUT_FAIL;
    return OUT_INFO;
}

static const char *error_name(int rc, int status)
{
    static __thread char buf[32];
    if (rc == HTTP_NOT_SENT) return ":not-sent";
    if (rc == HTTP_LOST) return ":timeout-or-lost";
    snprintf(buf, sizeof(buf), ":http-%d", status);
    return buf;
}

enum outcome do_append(http_conn *c, long process)
{
    long v = atomic_fetch_add(&next_value, 1);
    char body[64], path[64];
    snprintf(body, sizeof(body), "{\"value\":%ld}", v);
    snprintf(path, sizeof(path), "/append%s", opt.index_mode ? "?list=false" : "");
    record(":type :invoke, :f :append, :value %ld, :process %ld", v, process);
    http_response r;
    int rc = http_request(c, "POST", path, body, &r);
    enum outcome o = classify(rc, rc == HTTP_OK ? r.status : 0);
    json_object *j = NULL;
    if (o == OUT_OK) {
        j = json_tokener_parse(r.body);
        json_object *idx, *list;
        if (j && opt.index_mode && json_object_object_get_ex(j, "index", &idx)) {
            record(":type :ok, :f :append, :value {:value %ld, :index %lld}, :process %ld", v,
                   (long long)json_object_get_int64(idx), process);
        } else if (j && !opt.index_mode && json_object_object_get_ex(j, "list", &list) &&
                   json_object_is_type(list, json_type_array)) {
            char head[96];
            snprintf(head, sizeof(head), ":type :ok, :f :append, :process %ld, :value ", process);
            record_list(head, list, "");
        } else {
            o = OUT_INFO; /* a 200 we cannot read: outcome unknown */
        }
    }
    if (o == OUT_FAIL)
        record(":type :fail, :f :append, :value %ld, :process %ld, :error %s", v, process,
               error_name(rc, rc == HTTP_OK ? r.status : 0));
    if (o == OUT_INFO)
        record(":type :info, :f :append, :value %ld, :process %ld, :error %s", v, process,
               error_name(rc, rc == HTTP_OK ? r.status : 0));
    json_object_put(j);
    return o;
}

/* One read of the whole list.  With body_out, a copy of the answer's body
 * (the recorded list) is returned for the caller to free. */
static enum outcome do_read(http_conn *c, long process, int final, char **body_out)
{
    record(":type :invoke, :f :read, :value nil, :process %ld%s", process,
           final ? ", :final? true" : "");
    http_response r;
    int rc = http_request(c, "GET", "/list", NULL, &r);
    enum outcome o = classify(rc, rc == HTTP_OK ? r.status : 0);
    json_object *j = NULL, *list;
    if (o == OUT_OK) {
        j = json_tokener_parse(r.body);
        if (j && json_object_object_get_ex(j, "list", &list) &&
            json_object_is_type(list, json_type_array)) {
            char head[96];
            snprintf(head, sizeof(head), ":type :ok, :f :read, :process %ld%s, :value ", process,
                     final ? ", :final? true" : "");
            record_list(head, list, "");
            json_object_put(j);
            if (body_out) *body_out = strdup(r.body);
            return OUT_OK;
        }
        o = OUT_INFO;
    }
    /* A read changes nothing, so an unknown read may be recorded as :fail;
     * Jepsen does the same. */
    record(":type :fail, :f :read, :value nil, :process %ld, :error %s", process,
           error_name(rc, rc == HTTP_OK ? r.status : 0));
    json_object_put(j);
    return o;
}

struct worker {
    int id;
    pthread_t thread;
    uint64_t rng;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct node_addr *n = &opt.nodes[w->id % opt.n_nodes];
    http_conn c;
    http_init(&c, n->host, n->port, opt.source, opt.timeout_ms);
    long process = w->id;
    double mean_gap = opt.rate > 0 ? opt.concurrency / opt.rate : 0;
    sleep_s(rng_unit(&w->rng) * mean_gap); /* stagger the start */
    while (!atomic_load(&stopping)) {
        enum outcome o = rng_unit(&w->rng) < opt.read_ratio ? do_read(&c, process, 0, NULL)
                                                             : do_append(&c, process);
        if (o == OUT_INFO) {
            process += opt.concurrency; /* Jepsen: a crashed process never returns */
            http_close(&c);
        }
        /* A refused connection fails in microseconds; without a pause a dead
         * node would fill the history with thousands of identical :fails. */
        if (o != OUT_OK) sleep_s(0.05 + rng_unit(&w->rng) * 0.1);
        sleep_s(rng_unit(&w->rng) * 2 * mean_gap);
    }
    http_close(&c);
    free(c.buf);
    return NULL;
}

/* Runs the nemesis command; its stdout (one line) describes what it did.
 * Returns 0 if the command succeeded. */
static int nemesis_run(const char *action, const char *kind, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s %s %s", opt.nemesis_cmd, action, kind);
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        snprintf(out, cap, "popen failed");
        return -1;
    }
    if (fgets(out, (int)cap, p) == NULL) out[0] = 0;
    out[strcspn(out, "\n")] = 0;
    char drain[256];
    while (fgets(drain, sizeof(drain), p) != NULL) {}
    int status = pclose(p);
    for (char *s = out; *s; s++)
        if (*s == '"' || *s == '\\') *s = '\'';
    return status == 0 ? 0 : -1;
}

/* The :f of a nemesis kind's start and stop steps in the history. */
static const struct {
    const char *kind, *start, *stop;
} kinds[] = {
    {"partition", "start-partition", "stop-partition"},
    {"partition-leader", "start-partition", "stop-partition"},
    {"partition-ring", "start-partition", "stop-partition"},
    {"partition-oneway", "start-partition", "stop-partition"},
    {"partition-oneway-ring", "start-partition", "stop-partition"},
    {"bridge", "start-partition", "stop-partition"},
    {"kill", "kill", "start"},
    {"power-cut", "kill", "start"},
    {"pause", "pause", "resume"},
    {"dup", "start-dup", "stop-dup"},
    {"failpoint", "start-failpoint", "stop-failpoint"},
    {"learner-loss", "lose-learner", "restart-learner"},
    {"election-storm", "start-storm", "stop-storm"},
    {"forge", "start-forge", "stop-forge"},
    {"list-lag", "start-list-lag", "stop-list-lag"},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* Kinds `all` picks from: every one but the special-purpose
 * partition-oneway-ring and power-cut (partition-oneway and kill include
 * them). */
static const char *const all_kinds[] = {
    "partition", "partition-leader", "partition-ring", "partition-oneway", "bridge", "kill",
    "pause", "dup", "failpoint", "learner-loss", "election-storm", "forge", "list-lag",
};

static const char *step_f(const char *action, const char *kind)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return strcmp(action, "start") == 0 ? kinds[i].start : kinds[i].stop;
    return strcmp(action, "start") == 0 ? "start-partition" : "stop-partition";
}

#define N_ALL_KINDS (sizeof all_kinds / sizeof all_kinds[0])

/* `all` deals the kinds from a shuffled deck, reshuffled when used up:
 * a run of k rounds sees min(k, N_ALL_KINDS) different faults, where
 * independent draws would repeat some and leave others out (6 rounds of
 * 13 kinds miss a given kind 62% of the time), and a bug only one fault
 * exposes would then go unseen in most runs. */
static const char *pick_kind(uint64_t *rng)
{
    static size_t deck[N_ALL_KINDS], dealt = N_ALL_KINDS;
    if (strcmp(opt.nemesis, "all") != 0) return opt.nemesis;
    if (dealt == N_ALL_KINDS) {
        for (size_t i = 0; i < N_ALL_KINDS; i++) deck[i] = i;
        for (size_t i = N_ALL_KINDS - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)(rng_next(rng) % (i + 1)), t = deck[i];
            deck[i] = deck[j];
            deck[j] = t;
        }
        dealt = 0;
    }
    return all_kinds[deck[dealt++]];
}

static void nemesis_step(const char *action, const char *kind)
{
    char out[400];
    const char *f = step_f(action, kind);
    record(":type :info, :process :nemesis, :f :%s, :value \"%s\"", f, kind);
    if (nemesis_run(action, kind, out, sizeof(out)) == 0)
        record(":type :info, :process :nemesis, :f :%s, :value \"%s\"", f, out);
    else
        record(":type :info, :process :nemesis, :f :%s, :value \"%s\", :error :nemesis-failed",
               f, out);
}

/* Off, then on, then off...: the cluster starts healthy, as in the
 * original test.  After each heal, recovery is measured while the nemesis
 * is off, until the next fault starts (a heal while stopping is left to
 * the final one, which main measures). */
static void *nemesis_main(void *arg)
{
    uint64_t rng = opt.seed ^ 0x6e656d65736973ULL;
    recovery *rec = NULL;
    (void)arg;
    while (!atomic_load(&stopping)) {
        for (double t = 0; t < opt.nemesis_interval && !atomic_load(&stopping); t += 0.1)
            sleep_s(0.1);
        if (rec) recovery_finish(rec);
        rec = NULL;
        if (atomic_load(&stopping)) break;
        const char *kind = pick_kind(&rng);
        nemesis_step("start", kind);
        for (double t = 0; t < opt.nemesis_interval && !atomic_load(&stopping); t += 0.1)
            sleep_s(0.1);
        nemesis_step("stop", kind);
        if (!atomic_load(&stopping)) rec = recovery_start(step_f("stop", kind), now_ns());
    }
    if (rec) recovery_finish(rec);
    return NULL;
}

/* One final read of node i; on success *list_out is the recorded answer. */
static enum outcome final_read(int i, long process, char **list_out)
{
    http_conn c;
    http_init(&c, opt.nodes[i].host, opt.nodes[i].port, opt.source, opt.timeout_ms);
    *list_out = NULL;
    enum outcome o = do_read(&c, process, 1, list_out);
    http_close(&c);
    free(c.buf);
    return o;
}

/* After healing: read every node, in rounds, until one round where every
 * node answers with the same list (bounded by the recovery time).  Rounds
 * can differ legitimately: an append whose outcome was unknown (:info) may
 * still take effect after the load stopped.  Every read is in the history,
 * so the checker judges them all. */
static int final_reads(long first_process)
{
    long long deadline = now_ns() + (long long)(opt.recovery_s * 1e9);
    long process = first_process;
    for (int round = 1; now_ns() < deadline; round++) {
        char *first = NULL;
        int same = 1;
        for (int i = 0; i < opt.n_nodes; i++) {
            char *body = NULL;
            if (final_read(i, process++, &body) != OUT_OK || body == NULL) same = 0;
            else if (first == NULL) first = body, body = NULL;
            else if (strcmp(first, body) != 0) same = 0;
            free(body);
        }
        free(first);
        if (same) {
            fprintf(stderr, "paxos-jepsen-client: final reads agree (round %d)\n", round);
            return 1;
        }
        sleep_s(1.0);
    }
    return 0;
}

static int parse_nodes(const char *s)
{
    char *copy = strdup(s), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (opt.n_nodes == MAX_NODES) break;
        struct node_addr *n = &opt.nodes[opt.n_nodes];
        char *colon = strrchr(t, ':');
        if (colon == NULL) {
            free(copy);
            return -1;
        }
        *colon = 0;
        snprintf(n->host, sizeof(n->host), "%s", t);
        n->port = atoi(colon + 1);
        opt.n_nodes++;
    }
    free(copy);
    return opt.n_nodes > 0 ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: paxos-jepsen-client --nodes H:P,H:P,... [--concurrency 5] [--time-limit 30]\n"
            "       [--rate N] [--list-mode full|index] [--seed N] [--history FILE]\n"
            "       [--source ADDR] [--timeout-ms N] [--read-ratio F] [--nemesis KIND]\n"
            "       [--nemesis-cmd CMD] [--nemesis-interval S] [--recovery S]\n"
            "       [--final-window S] [--recovery-out FILE]\n");
    exit(2);
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (strcmp(a, "--nodes") == 0) { if (parse_nodes(v) != 0) usage(); }
        else if (strcmp(a, "--concurrency") == 0) opt.concurrency = atoi(v);
        else if (strcmp(a, "--time-limit") == 0) opt.time_limit = atof(v);
        else if (strcmp(a, "--rate") == 0) opt.rate = atof(v);
        else if (strcmp(a, "--list-mode") == 0) opt.index_mode = strcmp(v, "index") == 0;
        else if (strcmp(a, "--seed") == 0) opt.seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--history") == 0) opt.history = v;
        else if (strcmp(a, "--source") == 0) opt.source = v;
        else if (strcmp(a, "--timeout-ms") == 0) opt.timeout_ms = atoi(v);
        else if (strcmp(a, "--read-ratio") == 0) opt.read_ratio = atof(v);
        else if (strcmp(a, "--nemesis") == 0) opt.nemesis = v;
        else if (strcmp(a, "--nemesis-cmd") == 0) opt.nemesis_cmd = v;
        else if (strcmp(a, "--nemesis-interval") == 0) opt.nemesis_interval = atof(v);
        else if (strcmp(a, "--recovery") == 0) opt.recovery_s = atof(v);
        else if (strcmp(a, "--final-window") == 0) opt.final_window_s = atof(v);
        else if (strcmp(a, "--recovery-out") == 0) opt.recovery_out = v;
        else usage();
    }
    if (opt.n_nodes == 0 || opt.concurrency < 1 || opt.concurrency > MAX_WORKERS ||
        opt.time_limit <= 0)
        usage();
    if (strcmp(opt.nemesis, "none") != 0 && opt.nemesis_cmd == NULL) usage();
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    history = fopen(opt.history, "w");
    if (history == NULL) {
        perror(opt.history);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);

    static struct worker workers[MAX_WORKERS];
    for (int i = 0; i < opt.concurrency; i++) {
        workers[i].id = i;
        workers[i].rng = opt.seed * 1000003ULL + (uint64_t)i;
        pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
    }
    pthread_t nem;
    int with_nemesis = strcmp(opt.nemesis, "none") != 0;
    if (with_nemesis) pthread_create(&nem, NULL, nemesis_main, NULL);

    sleep_s(opt.time_limit);
    atomic_store(&stopping, 1);
    for (int i = 0; i < opt.concurrency; i++) pthread_join(workers[i].thread, NULL);
    if (with_nemesis) {
        pthread_join(nem, NULL);
        nemesis_step("stop", "all"); /* heal everything, whatever is left */
        recovery_wait(recovery_start("final-heal", now_ns()), opt.final_window_s);
    }
    int ok = final_reads(1000000);
    fclose(history);
    if (!ok) {
        fprintf(stderr, "paxos-jepsen-client: some node gave no final read within %.0f s\n",
                opt.recovery_s);
        return 1;
    }
    return 0;
}
