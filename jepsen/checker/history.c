/* history.c -- see history.h. */
#include "jepsen/checker/history.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jepsen/checker/edn.h"

typedef struct loader {
    history *h;
    edn_reader rd;
    imap by_proc;   /* process -> index of its outstanding op */
} loader;

static int bad(history *h, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(history *h, uint32_t line, const char *fmt, ...)
{
    if (h->err[0]) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->err, sizeof h->err, fmt, ap);
    va_end(ap);
    h->err_line = line;
    return -1;
}

void history_pin_reserve(history *h, size_t n)
{
    if (n <= h->npin) return;
    if (n > h->cappin) {
        size_t cap = h->cappin ? h->cappin : 64;
        while (cap < n) cap *= 2;
        h->pin_val = xrealloc(h->pin_val, cap * sizeof *h->pin_val);
        h->pin_op = xrealloc(h->pin_op, cap * sizeof *h->pin_op);
        h->cappin = cap;
    }
    for (size_t i = h->npin; i < n; i++) h->pin_op[i] = -1;
    h->npin = n;
}

void history_pin(history *h, size_t pos, int64_t v, int32_t op)
{
    history_pin_reserve(h, pos + 1);
    if (h->pin_op[pos] < 0) {
        h->pin_op[pos] = op;
        h->pin_val[pos] = v;
    } else if (h->pin_val[pos] != v && h->conflict.kind == HC_NONE) {
        h->conflict = (hconflict){HC_LISTS, h->pin_op[pos], op, (int64_t)pos,
                                  h->pin_val[pos], v};
    }
}

static void keep_list(history *h, hop *o, const edn_val *vec)
{
    o->list_at = (uint32_t)h->nlists;
    if (h->nlists + vec->u.coll.n > h->caplists) {
        h->caplists = (h->nlists + vec->u.coll.n) * 2 + 64;
        h->lists = xrealloc(h->lists, h->caplists * sizeof *h->lists);
    }
    for (size_t i = 0; i < vec->u.coll.n; i++)
        h->lists[h->nlists++] = vec->u.coll.items[i].u.i;
}

/* A full-list result: every element an int; pins each position. */
static int take_list(history *h, hop *o, int32_t idx, const edn_val *vec)
{
    for (size_t i = 0; i < vec->u.coll.n; i++)
        if (vec->u.coll.items[i].type != EDN_INT)
            return bad(h, vec->u.coll.items[i].line,
                       "list element is not an integer: %.*s",
                       (int)vec->u.coll.items[i].srclen, vec->u.coll.items[i].src);
    for (size_t i = 0; i < vec->u.coll.n; i++)
        history_pin(h, i, vec->u.coll.items[i].u.i, idx);
    o->form = HR_LIST;
    o->obs = (int64_t)vec->u.coll.n;
    if (h->keep_lists) keep_list(h, o, vec);
    return 0;
}

static int take_append_ok(history *h, hop *o, int32_t idx, const edn_val *v)
{
    if (v->type == EDN_VECTOR) {
        if (take_list(h, o, idx, v) < 0) return -1;
        size_t n = v->u.coll.n;
        if ((n == 0 || v->u.coll.items[n - 1].u.i != o->value) &&
            h->conflict.kind == HC_NONE)
            h->conflict = (hconflict){HC_OWN_LAST, idx, idx, (int64_t)n - 1,
                                      o->value, n ? v->u.coll.items[n - 1].u.i : 0};
        return 0;
    }
    if (v->type == EDN_INT) {
        if (v->u.i != o->value)
            return bad(h, v->line, "append :ok value %lld differs from the invoked %lld",
                       (long long)v->u.i, (long long)o->value);
        o->form = HR_BARE;
        return 0;
    }
    if (v->type == EDN_MAP) {
        const edn_val *val = edn_map_get(v, "value"), *ix = edn_map_get(v, "index");
        if (!val || val->type != EDN_INT || !ix || ix->type != EDN_INT)
            return bad(h, v->line, "append :ok map needs integer :value and :index");
        if (val->u.i != o->value)
            return bad(h, v->line, "append :ok :value %lld differs from the invoked %lld",
                       (long long)val->u.i, (long long)o->value);
        if (ix->u.i < 0) return bad(h, v->line, "negative :index");
        o->form = HR_INDEX;
        o->obs = ix->u.i;
        return 0;
    }
    return bad(h, v->line, "append :ok :value must be a list, {:value v :index i} or the value");
}

static int take_read_ok(history *h, hop *o, int32_t idx, const edn_val *v)
{
    if (v->type == EDN_VECTOR) return take_list(h, o, idx, v);
    if (v->type == EDN_MAP) {
        const edn_val *k = edn_map_get(v, "length");
        if (!k || k->type != EDN_INT || k->u.i < 0 || v->u.coll.n != 2)
            return bad(h, v->line, "read :ok map must be {:length k}, k >= 0");
        o->form = HR_LENGTH;
        o->obs = k->u.i;
        return 0;
    }
    return bad(h, v->line, "read :ok :value must be a list or {:length k}");
}

/* The fields of one op map that matter. */
typedef struct opfields {
    const edn_val *type, *f, *value, *process;
    int has_value;
} opfields;

static int kw_is(const edn_val *k, const char *s, size_t n)
{
    return k->u.str.n == n && !memcmp(k->u.str.s, s, n);
}

static int fields_of(history *h, const edn_val *m, opfields *of)
{
    memset(of, 0, sizeof *of);
    for (size_t i = 0; i + 1 < m->u.coll.n; i += 2) {
        const edn_val *k = &m->u.coll.items[i], *v = k + 1;
        const edn_val **slot = NULL;
        if (k->type != EDN_KEYWORD) continue;
        if (kw_is(k, "type", 4)) slot = &of->type;
        else if (kw_is(k, "f", 1)) slot = &of->f;
        else if (kw_is(k, "value", 5)) slot = &of->value;
        else if (kw_is(k, "process", 7)) slot = &of->process;
        if (!slot) continue;
        if (*slot) return bad(h, k->line, "duplicate key :%.*s", (int)k->u.str.n, k->u.str.s);
        *slot = v;
    }
    if (!of->type || of->type->type != EDN_KEYWORD)
        return bad(h, m->line, "op without a keyword :type");
    if (!of->process) return bad(h, m->line, "op without :process");
    return 0;
}

static hop *new_op(history *h)
{
    if (h->nops == h->capops) {
        h->capops = h->capops ? h->capops * 2 : 1024;
        h->ops = xrealloc(h->ops, h->capops * sizeof *h->ops);
    }
    hop *o = &h->ops[h->nops++];
    memset(o, 0, sizeof *o);
    o->at = -1;
    o->cmp = PX_INF;
    o->status = HS_PENDING;
    return o;
}

static int invoke(loader *L, const edn_val *m, const opfields *of, int64_t proc)
{
    history *h = L->h;
    int32_t *cur = imap_get(&L->by_proc, proc);
    if (cur)
        return bad(h, m->line, "process %lld invoked again while its op from line %u "
                   "is outstanding", (long long)proc, h->ops[*cur].inv_line);
    int f = edn_is_kw(of->f, "append") ? HF_APPEND : edn_is_kw(of->f, "read") ? HF_READ : 0;
    if (!f) return bad(h, m->line, "client op :f must be :append or :read");
    if (f == HF_APPEND && (!of->value || of->value->type != EDN_INT))
        return bad(h, m->line, "append invoke needs an integer :value");
    if (f == HF_READ && of->value && of->value->type != EDN_NIL)
        return bad(h, m->line, "read invoke :value must be nil");
    int32_t idx = (int32_t)h->nops;
    if (h->nops >= INT32_MAX - 1) return bad(h, m->line, "too many ops");
    hop *o = new_op(h);
    o->f = (uint8_t)f;
    o->inv = ++h->nevents;
    o->inv_off = (uint64_t)(m->src - h->buf);
    o->inv_len = (uint32_t)m->srclen;
    o->inv_line = m->line;
    if (f == HF_APPEND) {
        o->value = of->value->u.i;
        int32_t *prev = imap_get(&h->by_value, o->value);
        if (prev)
            return bad(h, m->line, "value %lld appended twice (also line %u); "
                       "values must be unique", (long long)o->value,
                       h->ops[*prev].inv_line);
        imap_put(&h->by_value, o->value, idx);
        h->nappends++;
    }
    imap_put(&L->by_proc, proc, idx);
    return 0;
}

static int complete(loader *L, const edn_val *m, const opfields *of, int64_t proc, int st)
{
    history *h = L->h;
    int32_t *cur = imap_get(&L->by_proc, proc);
    if (!cur)
        return bad(h, m->line, ":%.*s from process %lld without a pending invoke",
                   (int)of->type->u.str.n, of->type->u.str.s, (long long)proc);
    int32_t idx = *cur;
    hop *o = &h->ops[idx];
    const char *fname = o->f == HF_APPEND ? "append" : "read";
    if (of->f && !edn_is_kw(of->f, fname))
        return bad(h, m->line, "completion :f differs from its invoke (line %u)",
                   o->inv_line);
    imap_del(&L->by_proc, proc);
    o->status = (uint8_t)st;
    o->cmp_off = (uint64_t)(m->src - h->buf);
    o->cmp_len = (uint32_t)m->srclen;
    o->cmp_line = m->line;
    int64_t ev = ++h->nevents;
    if (st == HS_INFO) return 0;
    o->cmp = ev;
    if (st == HS_FAIL) {
        if (o->f == HF_APPEND) h->nfailed_appends++;
        return 0;
    }
    if (!of->value) return bad(h, m->line, ":ok without a :value");
    return o->f == HF_APPEND ? take_append_ok(h, o, idx, of->value)
                             : take_read_ok(h, o, idx, of->value);
}

static int take_op(loader *L, const edn_val *m)
{
    history *h = L->h;
    if (m->type != EDN_MAP) return bad(h, m->line, "expected an op map {...}");
    if (m->srclen > UINT32_MAX) return bad(h, m->line, "op map too large");
    opfields of;
    if (fields_of(h, m, &of) < 0) return -1;
    if (edn_is_kw(of.process, "nemesis")) return 0; /* the model ignores it */
    if (of.process->type != EDN_INT)
        return bad(h, m->line, ":process must be an integer or :nemesis");
    int64_t proc = of.process->u.i;
    if (edn_is_kw(of.type, "invoke")) return invoke(L, m, &of, proc);
    if (edn_is_kw(of.type, "ok")) return complete(L, m, &of, proc, HS_OK);
    if (edn_is_kw(of.type, "fail")) return complete(L, m, &of, proc, HS_FAIL);
    if (edn_is_kw(of.type, "info")) return complete(L, m, &of, proc, HS_INFO);
    return bad(h, m->line, "unknown :type :%.*s", (int)of.type->u.str.n, of.type->u.str.s);
}

static int read_op(loader *L, arena *a, edn_val *m)
{
    int rc = edn_read(&L->rd, m);
    if (rc < 0) return bad(L->h, L->rd.err_line, "%s", L->rd.err);
    if (rc == 1) rc = take_op(L, m) < 0 ? -1 : 1;
    arena_reset(a);
    return rc;
}

/* Either a stream of op maps or one vector (or list) of them. */
static int load_all(loader *L, arena *a)
{
    edn_val m;
    int c = edn_peek(&L->rd);
    if (c == -2) return bad(L->h, L->rd.err_line, "%s", L->rd.err);
    if (c == '[' || c == '(') {
        char close = c == '[' ? ']' : ')';
        uint32_t line0 = L->rd.line;
        L->rd.p++;
        for (;;) {
            c = edn_peek(&L->rd);
            if (c == -2) return bad(L->h, L->rd.err_line, "%s", L->rd.err);
            if (c == -1) return bad(L->h, line0, "unterminated history vector");
            if (c == close) {
                L->rd.p++;
                break;
            }
            if (read_op(L, a, &m) < 0) return -1;
        }
        c = edn_peek(&L->rd);
        if (c == -2) return bad(L->h, L->rd.err_line, "%s", L->rd.err);
        if (c != -1) return bad(L->h, L->rd.line, "unexpected form after the history vector");
        return 0;
    }
    for (;;) {
        int rc = read_op(L, a, &m);
        if (rc <= 0) return rc;
    }
}

int history_load_mem(history *h, const char *buf, size_t len, int keep_lists)
{
    memset(h, 0, sizeof *h);
    h->buf = buf;
    h->len = len;
    h->keep_lists = keep_lists;
    loader L = {.h = h};
    arena a = {0};
    edn_init(&L.rd, buf, len, &a);
    int rc = load_all(&L, &a);
    edn_dispose(&L.rd);
    arena_free(&a);
    imap_free(&L.by_proc);
    return rc;
}

int history_load_file(history *h, const char *path, int keep_lists)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        memset(h, 0, sizeof *h);
        snprintf(h->err, sizeof h->err, "%s: cannot open", path);
        if (fd >= 0) close(fd);
        return -1;
    }
    const char *buf = "";
    if (st.st_size > 0) {
        buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (buf == MAP_FAILED) {
            close(fd);
            memset(h, 0, sizeof *h);
            snprintf(h->err, sizeof h->err, "%s: cannot map", path);
            return -1;
        }
        madvise((void *)buf, (size_t)st.st_size, MADV_SEQUENTIAL);
    }
    close(fd);
    int rc = history_load_mem(h, buf, (size_t)st.st_size, keep_lists);
    h->mapped = st.st_size > 0;
    return rc;
}

void history_free(history *h)
{
    if (h->mapped) munmap((void *)h->buf, h->len);
    free(h->ops);
    free(h->pin_val);
    free(h->pin_op);
    free(h->lists);
    imap_free(&h->by_value);
    memset(h, 0, sizeof *h);
}
