/* recovery.c -- see recovery.h. */
#include "recovery.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* A probe waits at most this long for its answer: a request stuck behind a
 * broken link must not hide the moment the cluster serves again. */
#define PROBE_TIMEOUT_MS 1000
/* Probers are processes of their own, far from workers and final reads. */
#define PROBE_PROCESS_BASE 2000000

static atomic_long next_process = PROBE_PROCESS_BASE;
static int heals; /* recoveries measured so far (the nemesis thread's) */

struct prober {
    recovery *r;
    int node;
    pthread_t thread;
    _Atomic long long acked_ns; /* the first 200 after the heal, 0 if none */
};

struct recovery {
    char after[32];
    long long heal_ns;
    atomic_int closing;
    struct prober probers[MAX_NODES];
};

/* Appends to one node until it acknowledges one or the window closes. */
static void *probe_main(void *arg)
{
    struct prober *p = arg;
    const struct node_addr *n = &opt.nodes[p->node];
    uint64_t rng = opt.seed ^ ((uint64_t)p->node << 40) ^ (uint64_t)p->r->heal_ns;
    while (!atomic_load(&p->r->closing)) {
        http_conn c;
        http_init(&c, n->host, n->port, opt.source, PROBE_TIMEOUT_MS);
        enum outcome o = do_append(&c, atomic_fetch_add(&next_process, 1));
        http_close(&c);
        free(c.buf);
        if (o == OUT_OK) {
            atomic_store(&p->acked_ns, now_ns());
            break;
        }
        /* a refusal comes back in microseconds: do not flood the history */
        if (o == OUT_FAIL) sleep_s(0.05 + rng_unit(&rng) * 0.05);
    }
    return NULL;
}

recovery *recovery_start(const char *after_f, long long heal_ns)
{
    recovery *r = calloc(1, sizeof *r);
    if (!r) abort();
    snprintf(r->after, sizeof r->after, "%s", after_f);
    r->heal_ns = heal_ns;
    for (int i = 0; i < opt.n_nodes; i++) {
        r->probers[i].r = r;
        r->probers[i].node = i;
        pthread_create(&r->probers[i].thread, NULL, probe_main, &r->probers[i]);
    }
    return r;
}

static int all_acked(const recovery *r)
{
    for (int i = 0; i < opt.n_nodes; i++)
        if (atomic_load(&r->probers[i].acked_ns) == 0) return 0;
    return 1;
}

void recovery_wait(recovery *r, double window_s)
{
    while (!all_acked(r) && now_ns() - r->heal_ns < (long long)(window_s * 1e9)) sleep_s(0.02);
    recovery_finish(r);
}

void recovery_finish(recovery *r)
{
    atomic_store(&r->closing, 1);
    long long window_ms = (now_ns() - r->heal_ns) / 1000000;
    long long max_ms = 0;
    char nodes[MAX_NODES * 24] = "", tsv[MAX_NODES * 24] = "";
    size_t off = 0, toff = 0;
    for (int i = 0; i < opt.n_nodes; i++) {
        pthread_join(r->probers[i].thread, NULL);
        long long acked = atomic_load(&r->probers[i].acked_ns);
        long long ms = acked ? (acked - r->heal_ns) / 1000000 : -1;
        if (ms < 0 || max_ms < 0) max_ms = -1;
        else if (ms > max_ms) max_ms = ms;
        off += (size_t)snprintf(nodes + off, sizeof nodes - off, "%s%lld", i ? " " : "", ms);
        toff += (size_t)snprintf(tsv + toff, sizeof tsv - toff, "\t%lld", ms);
    }
    heals++;
    /* -1: a node that acknowledged no append before the window closed */
    record(":type :info, :process :nemesis, :f :recovery, :value {:after :%s, :heal-s %.3f, "
           ":window-ms %lld, :max-ms %lld, :nodes-ms [%s]}",
           r->after, r->heal_ns / 1e9, window_ms, max_ms, nodes);
    if (opt.recovery_out) {
        FILE *f = fopen(opt.recovery_out, "a");
        if (f) {
            fprintf(f, "%d\t%s\t%.3f\t%lld\t%lld%s\n", heals, r->after, r->heal_ns / 1e9,
                    window_ms, max_ms, tsv);
            fclose(f);
        }
    }
    free(r);
}
