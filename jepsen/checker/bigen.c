/* paxos-check-gen -- writes a large random history of a correct (atomic)
 * list, for benchmarking paxos-check.
 *
 *   paxos-check-gen [--ops N] [--concurrency C] [--info PCT] [--reads PCT]
 *                   [--seed S] [--form index|list] > history.edn
 *
 * Like gen.c but streaming and O(concurrency) memory: each op takes effect at
 * a random step between its invoke and completion; PCT percent of ops end
 * :info (half of those took effect, some of the rest take effect later),
 * a few end :fail without taking effect.  --form index writes
 * {:value v :index i} and {:length k} results (O(n) bytes); --form list
 * writes whole lists (O(n^2) bytes: small N only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepsen/checker/gen.h"

typedef struct proc {
    int busy, applied, read;
    long long value, result, pid;
} proc;

typedef struct bigen {
    uint64_t rng;
    long long len, *list;   /* list only kept for --form list */
    int form_list;
    long long zombies[64];  /* :info appends that may still take effect */
    int nz;
    long long ev;
} bigen;

static int pct(bigen *g, int p) { return (int)(gen_rand(&g->rng) % 100) < p; }

static void land(bigen *g, long long value)
{
    if (g->form_list) g->list[g->len] = value;
    g->len++;
}

/* The list right after an op took effect is a prefix of today's list:
 * the list only grows. */
static void emit_prefix(const bigen *g, long long n)
{
    putchar('[');
    for (long long i = 0; i < n; i++) printf(i ? " %lld" : "%lld", g->list[i]);
    putchar(']');
}

static void take_effect(bigen *g, proc *p)
{
    p->applied = 1;
    if (!p->read) land(g, p->value);
    p->result = g->len;
}

static void complete(bigen *g, proc *p, int info_pct, int nproc)
{
    const char *f = p->read ? "read" : "append";
    if (!p->applied && pct(g, 80)) take_effect(g, p); /* usually lands, then acked */
    if (pct(g, info_pct)) {
        printf("{:type :info, :f :%s, :value nil, :process %lld, :time %lld}\n", f,
               p->pid, ++g->ev * 1000);
        if (!p->applied && !p->read && g->nz < 64 && pct(g, 50))
            g->zombies[g->nz++] = p->value;
        p->pid += nproc; /* Jepsen: a crashed process's successor */
    } else if (!p->applied) {
        printf("{:type :fail, :f :%s, :value nil, :process %lld, :time %lld}\n", f,
               p->pid, ++g->ev * 1000);
    } else {
        printf("{:type :ok, :f :%s, :value ", f);
        if (g->form_list) emit_prefix(g, p->result);
        else if (p->read) printf("{:length %lld}", p->result);
        else printf("{:value %lld, :index %lld}", p->value, p->result - 1);
        printf(", :process %lld, :time %lld}\n", p->pid, ++g->ev * 1000);
    }
    p->busy = 0;
}

int main(int argc, char **argv)
{
    long long ops = 1000000;
    int nproc = 10, info = 2, reads = 20;
    bigen g = {.rng = 1};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ops") && i + 1 < argc) ops = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--concurrency") && i + 1 < argc) nproc = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--info") && i + 1 < argc) info = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reads") && i + 1 < argc) reads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) g.rng = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--form") && i + 1 < argc) g.form_list = !strcmp(argv[++i], "list");
        else {
            fprintf(stderr, "usage: paxos-check-gen [--ops N] [--concurrency C] [--info PCT] "
                            "[--reads PCT] [--seed S] [--form index|list]\n");
            return 3;
        }
    }
    if (nproc < 1) nproc = 1;
    if (g.form_list) g.list = malloc((size_t)(ops + 1) * sizeof *g.list);
    proc *ps = calloc((size_t)nproc, sizeof *ps);
    for (int i = 0; i < nproc; i++) ps[i].pid = i;
    long long invoked = 0, busy = 0, next_value = 1;
    while (invoked < ops || busy) {
        proc *p = &ps[gen_rand(&g.rng) % (uint64_t)nproc];
        if (g.nz && pct(&g, 1)) { /* an :info append lands late */
            land(&g, g.zombies[--g.nz]);
        }
        if (!p->busy) {
            if (invoked == ops) continue;
            p->busy = 1;
            p->applied = 0;
            p->read = pct(&g, reads);
            p->value = next_value++;
            invoked++;
            busy++;
            if (p->read)
                printf("{:type :invoke, :f :read, :value nil, :process %lld, :time %lld}\n",
                       p->pid, ++g.ev * 1000);
            else
                printf("{:type :invoke, :f :append, :value %lld, :process %lld, :time %lld}\n",
                       p->value, p->pid, ++g.ev * 1000);
        } else if (!p->applied && pct(&g, 50)) {
            take_effect(&g, p);
        } else {
            complete(&g, p, info, nproc);
            busy--;
        }
    }
    free(ps);
    free(g.list);
    return 0;
}
