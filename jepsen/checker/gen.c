/* gen.c -- see gen.h. */
#include "jepsen/checker/gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { E_INVOKE, E_OK, E_FAIL, E_INFO, E_NEMESIS };
enum { F_APPEND, F_READ };
enum { R_LIST, R_INDEX, R_BARE, R_LENGTH };

typedef struct gop {
    int f, form, applied, done;
    int64_t value;
    int64_t list[GEN_MAX_OPS]; /* the list right after it took effect */
    int len;
} gop;

typedef struct gev {
    int type, op, proc;
} gev;

typedef struct gen {
    uint64_t rng;
    gop ops[GEN_MAX_OPS];
    int nops;
    gev ev[4 * GEN_MAX_OPS + 8];
    int nev;
    int64_t list[GEN_MAX_OPS];
    int len;
} gen;

uint64_t gen_rand(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int rnd(gen *g, int n) { return (int)(gen_rand(&g->rng) % (uint64_t)n); }

static void push(gen *g, int type, int op, int proc)
{
    g->ev[g->nev++] = (gev){type, op, proc};
}

static void apply(gen *g, gop *o)
{
    if (o->f == F_APPEND) g->list[g->len++] = o->value;
    memcpy(o->list, g->list, (size_t)g->len * sizeof *g->list);
    o->len = g->len;
    o->applied = 1;
}

/* Runs the execution: per step, invoke on an idle process, let a running
 * op (or an :info one that may still land) take effect, or complete one. */
static void simulate(gen *g, const gen_opts *opt)
{
    int nproc = 1 + rnd(g, opt->max_procs), total = 1 + rnd(g, opt->max_ops);
    int running[8], pid[8];
    for (int p = 0; p < nproc; p++) running[p] = -1, pid[p] = p;
    int64_t base = rnd(g, 3) ? 1 : -5;
    for (;;) {
        int choice = rnd(g, 4), p = rnd(g, nproc);
        int busy = 0;
        for (int q = 0; q < nproc; q++) busy += running[q] >= 0;
        if (g->nops == total && !busy) break;
        if (g->nops == total && rnd(g, 12) == 0) break; /* leave some pending */
        if (rnd(g, 40) == 0) push(g, E_NEMESIS, -1, -1);
        if (choice == 0 && running[p] < 0 && g->nops < total) {
            gop *o = &g->ops[g->nops];
            memset(o, 0, sizeof *o);
            o->f = rnd(g, 3) ? F_APPEND : F_READ;
            o->value = base + g->nops;
            o->form = o->f == F_APPEND ? rnd(g, 5) % 3 : (rnd(g, 3) ? R_LIST : R_LENGTH);
            running[p] = g->nops++;
            push(g, E_INVOKE, running[p], pid[p]);
        } else if (choice == 1) { /* some op not yet applied takes effect */
            int k = rnd(g, g->nops ? g->nops : 1);
            gop *o = &g->ops[k];
            if (k < g->nops && !o->applied && !(o->done && o->f == F_READ) &&
                o->done != E_FAIL)
                apply(g, o);
        } else if (running[p] >= 0) {
            gop *o = &g->ops[running[p]];
            if (!o->applied && rnd(g, 4)) apply(g, o); /* usually: lands, then acked */
            int t = o->applied ? (rnd(g, 7) ? E_OK : E_INFO) : (rnd(g, 2) ? E_FAIL : E_INFO);
            o->done = t;
            push(g, t, running[p], pid[p]);
            running[p] = -1;
            if (t == E_INFO) pid[p] += nproc; /* Jepsen: a crashed process's successor */
        }
    }
}

/* ---- mutations -------------------------------------------------------- */

static gop *pick_ok(gen *g, int f, int form)
{
    int cand[GEN_MAX_OPS], n = 0;
    for (int i = 0; i < g->nops; i++)
        if (g->ops[i].done == E_OK && (f < 0 || g->ops[i].f == f) &&
            (form < 0 || g->ops[i].form == form))
            cand[n++] = i;
    return n ? &g->ops[cand[rnd(g, n)]] : NULL;
}

/* Moves event i to a random place between its process's neighbours. */
static int move_event(gen *g)
{
    int i = rnd(g, g->nev);
    gev e = g->ev[i];
    if (e.type == E_NEMESIS) return 0;
    int lo = i, hi = i;
    while (lo > 0 && g->ev[lo - 1].proc != e.proc && g->ev[lo - 1].op != e.op) lo--;
    while (hi + 1 < g->nev && g->ev[hi + 1].proc != e.proc && g->ev[hi + 1].op != e.op) hi++;
    int j = lo + rnd(g, hi - lo + 1);
    if (j == i) return 0;
    if (j < i) memmove(&g->ev[j + 1], &g->ev[j], (size_t)(i - j) * sizeof e);
    else memmove(&g->ev[i], &g->ev[i + 1], (size_t)(j - i) * sizeof e);
    g->ev[j] = e;
    return 1;
}

/* One corruption; returns 0 if the chosen kind did not apply. */
static int mutate_once(gen *g)
{
    gop *o;
    int i, j;
    switch (rnd(g, 9)) {
    case 0: /* swap two list elements */
        if (!(o = pick_ok(g, -1, R_LIST)) || o->len < 2) return 0;
        i = rnd(g, o->len), j = rnd(g, o->len);
        if (o->list[i] == o->list[j]) return 0;
        int64_t t = o->list[i];
        o->list[i] = o->list[j];
        o->list[j] = t;
        return 1;
    case 1: /* drop the last element */
        if (!(o = pick_ok(g, -1, R_LIST)) || o->len < 1) return 0;
        o->len--;
        return 1;
    case 2: /* replace an element by some value (maybe foreign, maybe twice) */
        if (!(o = pick_ok(g, -1, R_LIST)) || o->len < 1) return 0;
        o->list[rnd(g, o->len)] = rnd(g, 4) ? g->ops[rnd(g, g->nops)].value : 99;
        return 1;
    case 3: /* shift an index or a length */
        if (!(o = pick_ok(g, -1, rnd(g, 2) ? R_INDEX : R_LENGTH))) return 0;
        j = rnd(g, 2) ? 1 : -1;
        if (o->len + j < (o->form == R_INDEX)) return 0;
        o->len += j;
        return 1;
    case 4: /* an acknowledged append reported as failed */
        if (!(o = pick_ok(g, F_APPEND, -1))) return 0;
        o->done = E_FAIL;
        return 1;
    case 5: /* an unknown outcome reported as failed */
        for (i = 0; i < g->nops; i++)
            if (g->ops[i].done == E_INFO && g->ops[i].f == F_APPEND) {
                g->ops[i].done = E_FAIL;
                return 1;
            }
        return 0;
    case 6: /* a full list reported as index only, or position dropped */
        if (!(o = pick_ok(g, F_APPEND, -1)) || o->len < 1) return 0;
        o->form = rnd(g, 2) ? R_INDEX : R_BARE;
        return 0; /* not a corruption by itself */
    default:
        return move_event(g);
    }
}

static void mutate(gen *g)
{
    for (int tries = 0; tries < 30; tries++)
        if (mutate_once(g) && rnd(g, 3)) return;
}

/* ---- printing --------------------------------------------------------- */

typedef struct out {
    char *buf;
    size_t cap, n;
    int overflow;
} out;

static void emit(out *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(out *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(w->buf + w->n, w->cap - w->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= w->cap - w->n) w->overflow = 1;
    else w->n += (size_t)k;
}

static void emit_list(out *w, const gop *o)
{
    emit(w, "[");
    for (int i = 0; i < o->len; i++) emit(w, i ? " %lld" : "%lld", (long long)o->list[i]);
    emit(w, "]");
}

static void emit_value(out *w, const gev *e, const gop *o)
{
    if (e->type == E_INVOKE) {
        if (o->f == F_APPEND) emit(w, "%lld", (long long)o->value);
        else emit(w, "nil");
    } else if (e->type != E_OK) {
        emit(w, "nil");
    } else if (o->form == R_LIST) {
        emit_list(w, o);
    } else if (o->form == R_INDEX) {
        emit(w, "{:value %lld, :index %d}", (long long)o->value, o->len - 1);
    } else if (o->form == R_BARE) {
        emit(w, "%lld", (long long)o->value);
    } else {
        emit(w, "{:length %d}", o->len);
    }
}

static void emit_all(gen *g, out *w)
{
    static const char *types[] = {"invoke", "ok", "fail", "info"};
    int vec = rnd(g, 3) == 0;
    emit(w, "; generated\n%s", vec ? "[" : "");
    for (int i = 0; i < g->nev; i++) {
        const gev *e = &g->ev[i];
        if (e->type == E_NEMESIS) {
            emit(w, "{:type :info, :f :start-partition, :value :majority, "
                    ":process :nemesis, :time %d}\n", i * 10);
            continue;
        }
        const gop *o = &g->ops[e->op];
        emit(w, "{:type :%s, :f :%s, :value ", types[e->type],
             o->f == F_APPEND ? "append" : "read");
        emit_value(w, e, o);
        emit(w, ", :process %d, :time %d}\n", e->proc, i * 10);
    }
    emit(w, "%s", vec ? "]\n" : "");
}

size_t gen_small(uint64_t seed, const gen_opts *o, char *buf, size_t cap)
{
    gen g;
    memset(&g, 0, sizeof g);
    g.rng = seed;
    gen_opts opt = *o;
    if (opt.max_ops < 1 || opt.max_ops > GEN_MAX_OPS) opt.max_ops = GEN_MAX_OPS;
    if (opt.max_procs < 1 || opt.max_procs > 8) opt.max_procs = 3;
    simulate(&g, &opt);
    if (opt.mutate) mutate(&g);
    out w = {buf, cap, 0, 0};
    emit_all(&g, &w);
    return w.overflow ? 0 : w.n;
}
