/* check.c -- see check.h and README.md ("Algorithm").
 *
 * Vocabulary.  Positions 0..N-1 are the observed part of the list, N the
 * longest length anybody saw.  A position is "pinned" when some result
 * names its value, else it is a "hole".  The "skeleton" is the sequence of
 * slots  G_0 A_0 G_1 A_1 ... A_{N-1} G_N  where A_p is the append at
 * position p and G_k the :ok reads that saw length k.  A total order of ops
 * is realisable in real time iff no op is ordered before an op that
 * completed before it was invoked; reads inside one G_k commute, so the
 * skeleton is realisable iff every op's completion lies after the latest
 * invocation among the slots strictly before its own. */
#include "jepsen/checker/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepsen/checker/arena.h"

typedef struct ctx {
    history *h;
    const check_opts *o;
    check_result *r;
    size_t N;
    int32_t N_op;          /* an op that observed length N */
    int32_t *at;           /* position -> append op, -1 for a hole */
    size_t *rstart;        /* reads grouped by length: rops[rstart[k]..] */
    int32_t *rops;
    size_t H;              /* holes, in position order: */
    int64_t *hpos, *P, *S; /* position, latest invocation before it,
                              earliest completion after it */
    int32_t *Pop, *Sop;
    int64_t Pend;          /* latest invocation in the whole skeleton */
    int32_t Pend_op;
    int32_t *I;            /* unknown-outcome appends with no position,
                              in invocation order */
    size_t nI;
    int32_t *U;            /* acknowledged appends with no position */
    size_t nU;
} ctx;

void check_defaults(check_opts *o)
{
    o->max_states = 2000000;
    o->max_search_bytes = (uint64_t)512 << 20;
}

const char *px_anomaly_name(px_anomaly a)
{
    static const char *names[] = {
        "none", "lost-append", "stale-read", "incompatible-lists", "real-time",
        "duplicate", "failed-append-visible", "unknown-element"};
    return names[a];
}

/* ---- reporting ------------------------------------------------------- */

static void add_op(check_result *r, int32_t op)
{
    if (op < 0 || r->nops == CHECK_MAX_OPS) return;
    for (int i = 0; i < r->nops; i++)
        if (r->ops[i] == op) return;
    r->ops[r->nops++] = op;
}

static void fail(ctx *c, px_anomaly an, int32_t a, int32_t b, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void fail(ctx *c, px_anomaly an, int32_t a, int32_t b, const char *fmt, ...)
{
    check_result *r = c->r;
    r->verdict = PX_INVALID;
    r->anomaly = an;
    add_op(r, a);
    add_op(r, b);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->explanation, sizeof r->explanation, fmt, ap);
    va_end(ap);
}

/* "append 3 (lines 4-9)" / "read (line 12, never completed)" */
static const char *desc(const ctx *c, int32_t i, char *buf, size_t n)
{
    const hop *o = &c->h->ops[i];
    char what[64];
    if (o->f == HF_APPEND) snprintf(what, sizeof what, "append %lld", (long long)o->value);
    else snprintf(what, sizeof what, "read");
    if (o->cmp_len)
        snprintf(buf, n, "%s (lines %u-%u)", what, o->inv_line, o->cmp_line);
    else
        snprintf(buf, n, "%s (line %u, never completed)", what, o->inv_line);
    return buf;
}

/* ---- inferring the order --------------------------------------------- */

/* Two results disagree about a position.  When one of the values was
 * acknowledged before the other op even began, the later op lost it. */
static void report_conflict(ctx *c)
{
    history *h = c->h;
    hconflict k = h->conflict;
    char da[160], db[160];
    if (k.kind == HC_OWN_LAST) {
        fail(c, AN_INCOMPATIBLE, k.a, -1,
             "%s returned a list that does not end with its own value",
             desc(c, k.a, da, sizeof da));
        return;
    }
    for (int side = 0; side < 2; side++) {
        int64_t v = side ? k.vb : k.va;
        int32_t other = side ? k.a : k.b;
        int32_t *w = imap_get(&h->by_value, v);
        if (w && h->ops[*w].status == HS_OK && h->ops[*w].cmp < h->ops[other].inv) {
            fail(c, AN_LOST_APPEND, *w, other,
                 "%s was acknowledged at position %lld, but %s, invoked later, "
                 "has %lld there",
                 desc(c, *w, da, sizeof da), (long long)k.pos,
                 desc(c, other, db, sizeof db), (long long)(side ? k.va : k.vb));
            return;
        }
    }
    fail(c, AN_INCOMPATIBLE, k.a, k.b,
         "%s has %lld at position %lld but %s has %lld there",
         desc(c, k.a, da, sizeof da), (long long)k.va, (long long)k.pos,
         desc(c, k.b, db, sizeof db), (long long)k.vb);
}

/* N: the longest length any op saw.  More positions than appends that may
 * have happened cannot be filled by anything. */
static int observed_length(ctx *c)
{
    history *h = c->h;
    c->N = h->npin;
    for (size_t i = 0; i < h->nops; i++) {
        const hop *o = &h->ops[i];
        if (o->status != HS_OK || (o->form != HR_INDEX && o->form != HR_LIST &&
                                   o->form != HR_LENGTH))
            continue;
        size_t len = (size_t)o->obs + (o->form == HR_INDEX);
        if (len >= c->N && (len > c->N || c->N_op < 0)) {
            c->N = len;
            c->N_op = (int32_t)i;
        }
    }
    size_t possible = h->nappends - h->nfailed_appends;
    if (c->N > possible) {
        char d[160];
        fail(c, AN_UNKNOWN_ELEMENT, c->N_op, -1,
             "%s implies a list of %zu elements, but only %zu appends did not fail",
             desc(c, c->N_op, d, sizeof d), c->N, possible);
        return -1;
    }
    history_pin_reserve(h, c->N);
    return 0;
}

/* Index-form results pin their own value. */
static int pin_indexes(ctx *c)
{
    history *h = c->h;
    for (size_t i = 0; i < h->nops; i++) {
        const hop *o = &h->ops[i];
        if (o->f == HF_APPEND && o->status == HS_OK && o->form == HR_INDEX)
            history_pin(h, (size_t)o->obs, o->value, (int32_t)i);
    }
    if (h->conflict.kind != HC_NONE) {
        report_conflict(c);
        return -1;
    }
    return 0;
}

/* Every pinned value in [from, to) must come from exactly one append that
 * may have happened; that append is then at that position. */
static int place_values(ctx *c, size_t from, size_t to)
{
    history *h = c->h;
    char da[160], db[160];
    c->at = xrealloc(c->at, (to + 1) * sizeof *c->at);
    for (size_t p = from; p < to; p++) {
        c->at[p] = -1;
        if (h->pin_op[p] < 0) continue;
        int64_t v = h->pin_val[p];
        int32_t *w = imap_get(&h->by_value, v);
        if (!w) {
            fail(c, AN_UNKNOWN_ELEMENT, h->pin_op[p], -1,
                 "%s has %lld at position %zu, but nothing ever appended %lld",
                 desc(c, h->pin_op[p], da, sizeof da), (long long)v, p, (long long)v);
            return -1;
        }
        hop *a = &h->ops[*w];
        if (a->status == HS_FAIL) {
            fail(c, AN_FAILED_VISIBLE, *w, h->pin_op[p],
                 "%s failed, but %s has %lld at position %zu",
                 desc(c, *w, da, sizeof da), desc(c, h->pin_op[p], db, sizeof db),
                 (long long)v, p);
            return -1;
        }
        if (a->at >= 0) {
            fail(c, AN_DUPLICATE, h->pin_op[a->at], h->pin_op[p],
                 "%lld appears at position %lld (%s) and at position %zu (%s)",
                 (long long)v, (long long)a->at,
                 desc(c, h->pin_op[a->at], da, sizeof da), p,
                 desc(c, h->pin_op[p], db, sizeof db));
            return -1;
        }
        a->at = (int64_t)p;
        c->at[p] = *w;
    }
    return 0;
}

/* Counting sort of the :ok reads by the length they saw. */
static void group_reads(ctx *c)
{
    history *h = c->h;
    c->rstart = xcalloc(c->N + 2, sizeof *c->rstart);
    size_t n = 0;
    for (size_t i = 0; i < h->nops; i++) {
        const hop *o = &h->ops[i];
        if (o->f == HF_READ && o->status == HS_OK) {
            c->rstart[o->obs + 1]++;
            n++;
        }
    }
    for (size_t k = 0; k <= c->N; k++) c->rstart[k + 1] += c->rstart[k];
    c->rops = xmalloc((n + 1) * sizeof *c->rops);
    size_t *fill = xmalloc((c->N + 1) * sizeof *fill);
    memcpy(fill, c->rstart, (c->N + 1) * sizeof *fill);
    for (size_t i = 0; i < h->nops; i++) {
        const hop *o = &h->ops[i];
        if (o->f == HF_READ && o->status == HS_OK) c->rops[fill[o->obs]++] = (int32_t)i;
    }
    free(fill);
}

/* ---- the real-time sweep ---------------------------------------------- */

/* x is ordered before y, but y completed before x was invoked. */
static void report_order(ctx *c, int32_t x, int32_t y)
{
    const hop *ox = &c->h->ops[x], *oy = &c->h->ops[y];
    char dx[160], dy[160];
    desc(c, x, dx, sizeof dx);
    desc(c, y, dy, sizeof dy);
    if (ox->f == HF_READ && oy->f == HF_APPEND)
        fail(c, AN_STALE_READ, y, x,
             "%s completed before %s began, yet the read returned %lld elements "
             "and %lld is at position %lld", dy, dx, (long long)ox->obs,
             (long long)oy->value, (long long)oy->at);
    else if (ox->f == HF_READ)
        fail(c, AN_STALE_READ, y, x,
             "%s returned %lld elements and completed before %s began, "
             "which returned only %lld", dy, (long long)oy->obs, dx, (long long)ox->obs);
    else if (oy->f == HF_READ)
        fail(c, AN_REAL_TIME, x, y,
             "%s returned %lld elements, including %lld at position %lld, but "
             "completed before %s began", dy, (long long)oy->obs,
             (long long)ox->value, (long long)ox->at, dx);
    else
        fail(c, AN_REAL_TIME, x, y,
             "%s landed at position %lld but completed before %s, at position "
             "%lld, began", dy, (long long)oy->at, dx, (long long)ox->at);
}

static void push_hole(ctx *c, size_t p, int64_t M, int32_t Mop)
{
    c->hpos[c->H] = (int64_t)p;
    c->P[c->H] = M;
    c->Pop[c->H] = Mop;
    c->H++;
}

/* Walks the skeleton in order checking each completion against the latest
 * invocation before its slot; records, for each hole, that latest
 * invocation (P).  Holes add nothing here: their fillers are placed later
 * against these bounds. */
static int sweep(ctx *c)
{
    history *h = c->h;
    size_t nh = 0;
    for (size_t p = 0; p < c->N; p++) nh += c->at[p] < 0;
    c->hpos = xmalloc((nh + 1) * sizeof *c->hpos);
    c->P = xmalloc((nh + 1) * sizeof *c->P);
    c->S = xmalloc((nh + 1) * sizeof *c->S);
    c->Pop = xmalloc((nh + 1) * sizeof *c->Pop);
    c->Sop = xmalloc((nh + 1) * sizeof *c->Sop);
    int64_t M = 0;
    int32_t Mop = -1;
    for (size_t k = 0; k <= c->N; k++) {
        int64_t gM = M;
        int32_t gMop = Mop;
        for (size_t j = c->rstart[k]; j < c->rstart[k + 1]; j++) {
            const hop *o = &h->ops[c->rops[j]];
            if (o->cmp < M) {
                report_order(c, Mop, c->rops[j]);
                return -1;
            }
            if (o->inv > gM) {
                gM = o->inv;
                gMop = c->rops[j];
            }
        }
        M = gM;
        Mop = gMop;
        if (k == c->N) break;
        if (c->at[k] < 0) {
            push_hole(c, k, M, Mop);
            continue;
        }
        const hop *a = &h->ops[c->at[k]];
        if (a->cmp < M) {
            report_order(c, Mop, c->at[k]);
            return -1;
        }
        if (a->inv > M) {
            M = a->inv;
            Mop = c->at[k];
        }
    }
    c->Pend = M;
    c->Pend_op = Mop;
    return 0;
}

/* S[j]: the earliest completion among the skeleton slots after hole j --
 * whatever fills hole j must have been invoked before it. */
static void suffix_bounds(ctx *c)
{
    history *h = c->h;
    int64_t S = PX_INF;
    int32_t Sop = -1;
    size_t j = c->H;
    for (size_t k = c->N + 1; k-- > 0;) {
        for (size_t i = c->rstart[k]; i < c->rstart[k + 1]; i++)
            if (h->ops[c->rops[i]].cmp < S) {
                S = h->ops[c->rops[i]].cmp;
                Sop = c->rops[i];
            }
        if (k == 0) break;
        size_t p = k - 1; /* A_p comes just before G_k */
        if (c->at[p] >= 0) {
            if (h->ops[c->at[p]].cmp < S) {
                S = h->ops[c->at[p]].cmp;
                Sop = c->at[p];
            }
        } else {
            j--;
            c->S[j] = S;
            c->Sop[j] = Sop;
        }
    }
}

static void collect_unplaced(ctx *c)
{
    history *h = c->h;
    c->I = xmalloc((h->nops + 1) * sizeof *c->I);
    c->U = xmalloc((h->nops + 1) * sizeof *c->U);
    for (size_t i = 0; i < h->nops; i++) {
        const hop *o = &h->ops[i];
        if (o->f != HF_APPEND || o->at >= 0 || o->status == HS_FAIL) continue;
        if (o->status == HS_OK) c->U[c->nU++] = (int32_t)i;
        else c->I[c->nI++] = (int32_t)i; /* ops are in invocation order */
    }
}

/* ---- filling holes ---------------------------------------------------- */

/* Hole j can take any unknown-outcome append invoked before S[j] (its
 * completion is unbounded, so nothing earlier constrains it).  S is
 * non-decreasing, so the sets of fitting appends are nested and hole j is
 * fillable together with all before it iff at least j+1 such appends were
 * invoked before S[j].  Using them in invocation order also leaves the
 * latest invocation among fillers as small as possible. */
static int match_holes(ctx *c, int64_t *Mf)
{
    history *h = c->h;
    size_t avail = 0;
    *Mf = 0;
    for (size_t j = 0; j < c->H; j++) {
        while (avail < c->nI && h->ops[c->I[avail]].inv < c->S[j]) avail++;
        if (avail < j + 1) {
            char d[160];
            fail(c, c->nI < c->H ? AN_UNKNOWN_ELEMENT : AN_REAL_TIME, c->Sop[j],
                 c->N_op,
                 "no acknowledged append is at position %lld (nor at %zu other "
                 "unreported positions before it); it must be an append of unknown "
                 "outcome invoked before %s completed, and only %zu were",
                 (long long)c->hpos[j], j, desc(c, c->Sop[j], d, sizeof d), avail);
            return -1;
        }
        *Mf = h->ops[c->I[j]].inv;
    }
    return 0;
}

/* ---- the bounded search --------------------------------------------- */

/* Acknowledged appends with no reported position must sit in a hole or
 * after everything observed.  Unknown-outcome fillers are interchangeable
 * except for their invocation, and taking the earliest-invoked one is never
 * worse (exchange argument), so a state is (hole, how many of those used,
 * which acknowledged ones used); the latest filler invocation Mf follows
 * from it.  Visited states are remembered; reaching one again means it
 * failed before. */

typedef struct search {
    ctx *c;
    int32_t *cand;      /* acknowledged appends that fit some hole, by cmp */
    size_t nc, words;
    int64_t beyond_min; /* earliest completion among the ones that fit none */
    int32_t beyond_op;
    uint64_t *used;
    uint64_t work;      /* candidate scans, bounded like states */
    /* visited set */
    uint64_t **tab;
    size_t tabcap, ntab;
    arena keys;
} search;

/* A state's used set is "everything below fu" plus the words from fu/64 to
 * the last non-zero one; keying on just that window keeps keys small when
 * candidates are used roughly in completion order, as they usually are. */
static void window(const search *s, size_t fu, size_t *w0, size_t *nw)
{
    *w0 = fu / 64;
    size_t end = s->words;
    while (end > *w0 && !s->used[end - 1]) end--;
    *nw = end - *w0;
}

static uint64_t hash_state(const search *s, uint64_t j, uint64_t iu, size_t w0, size_t nw)
{
    uint64_t x = j * 0x9e3779b97f4a7c15ULL ^ (iu + 0x632be59bd9b4e019ULL) ^ (w0 << 20);
    for (size_t w = w0; w < w0 + nw; w++) {
        x ^= s->used[w] + 0x9e3779b97f4a7c15ULL + (x << 6) + (x >> 2);
        x *= 0xbf58476d1ce4e5b9ULL;
    }
    return x ^ (x >> 31);
}

/* Returns 1 if (j, iu, used) was visited already, else records it.
 * Entry: hash, j, iu, w0, nw, words... */
static int visited(search *s, uint64_t j, uint64_t iu, size_t fu)
{
    if ((s->ntab + 1) * 2 > s->tabcap) {
        size_t cap = s->tabcap ? s->tabcap * 2 : 1024;
        uint64_t **t = xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < s->tabcap; i++) {
            if (!s->tab[i]) continue;
            size_t k = s->tab[i][0] & (cap - 1);
            while (t[k]) k = (k + 1) & (cap - 1);
            t[k] = s->tab[i];
        }
        free(s->tab);
        s->tab = t;
        s->tabcap = cap;
    }
    size_t w0, nw;
    window(s, fu, &w0, &nw);
    uint64_t hv = hash_state(s, j, iu, w0, nw);
    size_t k = hv & (s->tabcap - 1);
    for (; s->tab[k]; k = (k + 1) & (s->tabcap - 1)) {
        uint64_t *e = s->tab[k];
        if (e[0] == hv && e[1] == j && e[2] == iu && e[3] == w0 && e[4] == nw &&
            !memcmp(e + 5, s->used + w0, nw * sizeof *s->used))
            return 1;
    }
    uint64_t *e = arena_alloc(&s->keys, (5 + nw) * sizeof *e);
    e[0] = hv;
    e[1] = j;
    e[2] = iu;
    e[3] = w0;
    e[4] = nw;
    memcpy(e + 5, s->used + w0, nw * sizeof *s->used);
    s->tab[k] = e;
    s->ntab++;
    return 0;
}

static int is_used(const search *s, size_t i) { return s->used[i / 64] >> (i % 64) & 1; }
static void flip(search *s, size_t i) { s->used[i / 64] ^= 1ULL << (i % 64); }

/* Can every acknowledged append still unplaced at hole j (j == H: the end)
 * go somewhere, given fillers so far reach Mf?  Candidates are sorted by
 * completion, so the first unused one (fu) decides. */
static int alive(const search *s, size_t j, int64_t Mf, size_t fu)
{
    const ctx *c = s->c;
    int64_t lo = j < c->H ? c->P[j] : c->Pend;
    if (Mf > lo) lo = Mf;
    if (s->beyond_min <= (Mf > c->Pend ? Mf : c->Pend)) return 0;
    return fu >= s->nc || c->h->ops[s->cand[fu]].cmp > lo;
}

typedef struct frame {
    size_t j, iu, next;  /* hole, fillers used, next option to try */
    size_t fu;           /* first unused candidate */
    int64_t Mf;
    long took;           /* candidate taken into this hole, -1 none */
} frame;

static int cmp_by_cmp(const void *a, const void *b, void *hp)
{
    const history *h = hp;
    int64_t x = h->ops[*(const int32_t *)a].cmp, y = h->ops[*(const int32_t *)b].cmp;
    return (x > y) - (x < y);
}

/* Picks the next option at frame f: candidates in cmp order, then the
 * earliest unused unknown-outcome append.  Returns 0 when none is left. */
static int next_option(search *s, frame *f, long *cand, int64_t *inv)
{
    ctx *c = s->c;
    int64_t lo = c->P[f->j] > f->Mf ? c->P[f->j] : f->Mf;
    while (f->next < s->nc) {
        size_t i = f->next++;
        s->work++;
        const hop *o = &c->h->ops[s->cand[i]];
        if (!is_used(s, i) && o->inv < c->S[f->j] && o->cmp > lo) {
            *cand = (long)i;
            *inv = o->inv;
            return 1;
        }
    }
    if (f->next == s->nc) {
        f->next++;
        if (f->iu < c->nI && c->h->ops[c->I[f->iu]].inv < c->S[f->j]) {
            *cand = -1;
            *inv = c->h->ops[c->I[f->iu]].inv;
            return 1;
        }
    }
    return 0;
}

/* 1: found a placement, 0: none exists, -1: out of budget. */
static int dfs(search *s)
{
    ctx *c = s->c;
    frame *st = xmalloc((c->H + 1) * sizeof *st);
    size_t top = 0;
    int rc = 0;
    st[0] = (frame){0, 0, 0, 0, 0, -1};
    if (visited(s, 0, 0, 0) || !alive(s, 0, 0, 0)) goto out;
    for (;;) {
        frame *f = &st[top];
        if (f->j == c->H) {
            rc = 1;
            goto out;
        }
        long cand;
        int64_t inv;
        if (!next_option(s, f, &cand, &inv)) {
            if (top == 0) goto out; /* exhausted */
            top--;
            if (st[top].took >= 0) flip(s, (size_t)st[top].took);
            continue;
        }
        f->took = cand;
        if (cand >= 0) flip(s, (size_t)cand);
        size_t fu = f->fu;
        while (fu < s->nc && is_used(s, fu)) fu++, s->work++;
        frame nf = {f->j + 1, f->iu + (cand < 0), fu, fu, inv > f->Mf ? inv : f->Mf, -1};
        /* Scans are charged too, so a search over many candidates cannot
         * run for long on few states. */
        if (++c->r->states > c->o->max_states || s->work / 64 > c->o->max_states ||
            s->keys.total > c->o->max_search_bytes) {
            rc = -1;
            goto out;
        }
        if (visited(s, nf.j, nf.iu, nf.fu) || !alive(s, nf.j, nf.Mf, nf.fu)) {
            if (cand >= 0) flip(s, (size_t)cand);
            f->took = -1;
            continue;
        }
        st[++top] = nf;
    }
out:
    free(st);
    return rc;
}

/* Hole j admits an acknowledged append iff it was invoked before S[j] and
 * completed after P[j].  Both are non-decreasing in j, so the admitting
 * holes form a range [first S above inv, last P below cmp]. */
static int fits_some_hole(const ctx *c, const hop *o)
{
    size_t lo = 0, hi = c->H;
    while (lo < hi) { /* first j with S[j] > inv */
        size_t mid = lo + (hi - lo) / 2;
        if (c->S[mid] > o->inv) hi = mid;
        else lo = mid + 1;
    }
    return lo < c->H && c->P[lo] < o->cmp;
}

/* Holes plus acknowledged appends with unknown positions. */
static void place_unreported(ctx *c)
{
    history *h = c->h;
    check_result *r = c->r;
    search s = {.c = c, .beyond_min = PX_INF, .beyond_op = -1};
    s.cand = xmalloc((c->nU + 1) * sizeof *s.cand);
    char d[160], d2[160];
    for (size_t i = 0; i < c->nU; i++) {
        const hop *o = &h->ops[c->U[i]];
        if (fits_some_hole(c, o)) {
            s.cand[s.nc++] = c->U[i];
        } else if (o->cmp < s.beyond_min) {
            s.beyond_min = o->cmp;
            s.beyond_op = c->U[i];
        }
    }
    if (s.beyond_min < c->Pend) {
        fail(c, AN_LOST_APPEND, s.beyond_op, c->Pend_op,
             "%s was acknowledged, but %s began after that and its view of the "
             "list has no place for it", desc(c, s.beyond_op, d, sizeof d),
             desc(c, c->Pend_op, d2, sizeof d2));
        goto out;
    }
    qsort_r(s.cand, s.nc, sizeof *s.cand, cmp_by_cmp, h);
    s.words = (s.nc + 63) / 64;
    s.used = xcalloc(s.words + 1, sizeof *s.used);
    r->method = "search";
    int rc = dfs(&s);
    if (rc == 1) {
        r->verdict = PX_VALID;
    } else if (rc < 0) {
        r->verdict = PX_UNKNOWN;
        snprintf(r->explanation, sizeof r->explanation,
                 "search limit reached after %llu states: %zu acknowledged appends "
                 "with unreported positions, %zu unreported positions",
                 (unsigned long long)r->states, c->nU, c->H);
    } else {
        fail(c, AN_LOST_APPEND, c->U[0], c->Pend_op,
             "%zu acknowledged appends never reported a position (first: %s) and no "
             "placement of them into the %zu unreported positions or after the "
             "last observed op respects real-time order (%llu states searched)",
             c->nU, desc(c, c->U[0], d, sizeof d), c->H,
             (unsigned long long)r->states);
        for (size_t i = 1; i < c->nU && i < 3; i++) add_op(r, c->U[i]);
    }
out:
    free(s.cand);
    free(s.used);
    free(s.tab);
    arena_free(&s.keys);
}

/* ---- driver ----------------------------------------------------------- */

static void decide(ctx *c)
{
    history *h = c->h;
    if (h->conflict.kind != HC_NONE) return report_conflict(c);
    /* Full lists first: a list with a duplicate or foreign element also
     * looks "too long", and the specific anomaly is the useful one. */
    size_t listed = h->npin;
    if (place_values(c, 0, listed) < 0) return;
    if (observed_length(c) < 0 || pin_indexes(c) < 0) return;
    if (place_values(c, listed, c->N) < 0) return;
    group_reads(c);
    if (sweep(c) < 0) return;
    suffix_bounds(c);
    collect_unplaced(c);
    c->r->holes = c->H;
    c->r->unplaced = c->nU;
    if (c->nU == 0) {
        int64_t Mf;
        c->r->method = c->H ? "sweep+matching" : "sweep";
        if (match_holes(c, &Mf) == 0) c->r->verdict = PX_VALID;
        return;
    }
    place_unreported(c);
}

void check_history(history *h, const check_opts *o, check_result *r)
{
    memset(r, 0, sizeof *r);
    r->verdict = PX_VALID;
    r->method = "sweep";
    for (size_t i = 0; i < h->nops; i++) h->ops[i].at = -1;
    ctx c = {.h = h, .o = o, .r = r, .N_op = -1};
    decide(&c);
    r->length = (int64_t)c.N;
    free(c.at);
    free(c.rstart);
    free(c.rops);
    free(c.hpos);
    free(c.P);
    free(c.S);
    free(c.Pop);
    free(c.Sop);
    free(c.I);
    free(c.U);
}
