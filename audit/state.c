/* state.c -- building the audit's picture of a cluster (see state.h).
 * Out of memory aborts: a half-built picture would give a wrong verdict. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "paxos-audit: out of memory\n");
        abort();
    }
    return q;
}

/* ---- values ---------------------------------------------------------------- */

/* FNV-1a over the fields of each command (not the struct: padding). */
static uint64_t value_hash(const px_cmd *c, uint16_t n)
{
    uint64_t h = 1469598103934665603ull ^ n;
    for (uint16_t i = 0; i < n; i++) {
        uint64_t f[4] = {c[i].kind, c[i].client, c[i].seq, (uint64_t)c[i].value};
        for (int k = 0; k < 4; k++) {
            h ^= f[k];
            h *= 1099511628211ull;
            h ^= h >> 29;
        }
    }
    return h;
}

static int cmds_equal(const px_cmd *a, const px_cmd *b, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++)
        if (a[i].kind != b[i].kind || a[i].client != b[i].client || a[i].seq != b[i].seq ||
            a[i].value != b[i].value)
            return 0;
    return 1;
}

static void table_grow(audit_values *vs)
{
    size_t cap = vs->table_cap ? vs->table_cap * 2 : 1024;
    uint32_t *t = xrealloc(NULL, cap * sizeof *t);
    memset(t, 0, cap * sizeof *t);
    for (size_t id = 0; id < vs->n; id++) {
        size_t i = vs->v[id].hash & (cap - 1);
        while (t[i]) i = (i + 1) & (cap - 1);
        t[i] = (uint32_t)id + 1;
    }
    free(vs->table);
    vs->table = t;
    vs->table_cap = cap;
}

uint32_t audit_value_add(audit_values *vs, const px_value *v)
{
    uint16_t n = v->n <= PX_MAX_BATCH ? v->n : PX_MAX_BATCH;
    uint64_t h = value_hash(v->cmds, n);
    if ((vs->n + 1) * 2 > vs->table_cap) table_grow(vs);
    size_t i = h & (vs->table_cap - 1);
    for (; vs->table[i]; i = (i + 1) & (vs->table_cap - 1)) {
        const audit_value_ref *r = &vs->v[vs->table[i] - 1];
        if (r->hash == h && r->n == n && cmds_equal(vs->cmds + r->off, v->cmds, n))
            return vs->table[i] - 1;
    }
    if (vs->n == vs->cap) {
        vs->cap = vs->cap ? vs->cap * 2 : 1024;
        vs->v = xrealloc(vs->v, vs->cap * sizeof *vs->v);
    }
    if (vs->n_cmds + n > vs->cap_cmds) {
        while (vs->n_cmds + n > vs->cap_cmds) vs->cap_cmds = vs->cap_cmds ? vs->cap_cmds * 2 : 4096;
        vs->cmds = xrealloc(vs->cmds, vs->cap_cmds * sizeof *vs->cmds);
    }
    if (n) memcpy(vs->cmds + vs->n_cmds, v->cmds, n * sizeof *vs->cmds);
    vs->v[vs->n] = (audit_value_ref){.off = vs->n_cmds, .n = n, .hash = h};
    vs->n_cmds += n;
    vs->table[i] = (uint32_t)vs->n + 1;
    return (uint32_t)vs->n++;
}

const px_cmd *audit_value_cmds(const audit_values *vs, uint32_t id, uint16_t *n)
{
    *n = vs->v[id].n;
    return vs->cmds + vs->v[id].off;
}

void audit_value_get(const audit_values *vs, uint32_t id, px_value *out)
{
    uint16_t n;
    const px_cmd *c = audit_value_cmds(vs, id, &n);
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n) memcpy(out->cmds, c, n * sizeof *c);
}

void audit_value_describe(const audit_values *vs, uint32_t id, char *buf, size_t len)
{
    uint16_t n;
    const px_cmd *c = audit_value_cmds(vs, id, &n);
    if (len == 0) return;
    if (n == 0) {
        snprintf(buf, len, "no-op");
        return;
    }
    size_t used = (size_t)snprintf(buf, len, "%u command%s:", n, n == 1 ? "" : "s");
    for (uint16_t i = 0; i < n && i < 3 && used < len; i++) {
        const char *sep = i ? "," : "";
        if (c[i].kind == PX_CMD_APPEND)
            used += (size_t)snprintf(buf + used, len - used, "%s append %lld (client %llu seq %llu)",
                                     sep, (long long)c[i].value,
                                     (unsigned long long)c[i].client,
                                     (unsigned long long)c[i].seq);
        else
            used += (size_t)snprintf(buf + used, len - used, "%s %s (client %llu seq %llu)", sep,
                                     c[i].kind == PX_CMD_READ ? "read" : "unknown command",
                                     (unsigned long long)c[i].client,
                                     (unsigned long long)c[i].seq);
    }
    if (n > 3 && used < len) snprintf(buf + used, len - used, ", and %u more", n - 3);
}

/* ---- the state --------------------------------------------------------------- */

void audit_state_init(audit_state *st)
{
    memset(st, 0, sizeof *st);
}

void audit_state_free(audit_state *st)
{
    for (size_t i = 0; i < st->n_nodes; i++) {
        audit_node *n = &st->nodes[i];
        free(n->acc.recs);
        free(n->snap.list);
        free(n->snap.dedup);
    }
    for (size_t i = 0; i < st->n_lists; i++) free(st->lists[i].v);
    free(st->lists);
    free(st->values.cmds);
    free(st->values.v);
    free(st->values.table);
    memset(st, 0, sizeof *st);
}

int audit_set_members(audit_state *st, const uint32_t *ids, size_t n)
{
    uint32_t seen = 0;
    if (n == 0 || n > PX_MAX_NODES) return -1;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 1 || ids[i] > PX_MAX_NODES || (seen & (1u << ids[i]))) return -1;
        seen |= 1u << ids[i];
        st->members[i] = ids[i];
    }
    st->n_members = (uint32_t)n;
    return 0;
}

int audit_is_member(const audit_state *st, uint32_t id)
{
    for (uint32_t i = 0; i < st->n_members; i++)
        if (st->members[i] == id) return 1;
    return 0;
}

uint32_t audit_majority(const audit_state *st)
{
    return st->n_members / 2 + 1;
}

audit_node *audit_find_node(const audit_state *st, uint32_t id)
{
    for (size_t i = 0; i < st->n_nodes; i++)
        if (st->nodes[i].id == id) return (audit_node *)&st->nodes[i];
    return NULL;
}

audit_node *audit_add_node(audit_state *st, uint32_t id, const char *dir)
{
    if (audit_find_node(st, id) || st->n_nodes == PX_MAX_NODES) return NULL;
    audit_node *n = &st->nodes[st->n_nodes++];
    memset(n, 0, sizeof *n);
    n->id = id;
    snprintf(n->dir, sizeof n->dir, "%s", dir ? dir : "");
    return n;
}

void audit_add_record(audit_state *st, audit_node *n, const acc_record *r, uint64_t offset,
                      uint32_t batch)
{
    audit_acceptor *a = &n->acc;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 1024;
        a->recs = xrealloc(a->recs, a->cap * sizeof *a->recs);
    }
    audit_rec *x = &a->recs[a->n++];
    memset(x, 0, sizeof *x);
    x->type = r->type;
    x->ballot = r->ballot;
    x->slot = r->slot;
    x->batch = batch;
    x->offset = offset;
    if (r->type == ACC_REC_ACCEPT) x->value = audit_value_add(&st->values, &r->value);
    a->present = 1;
}

void audit_set_snapshot(audit_node *n, uint64_t slot, const int64_t *list, uint64_t list_len,
                        const dedup_entry *dedup, uint64_t dedup_n)
{
    audit_snapshot *s = &n->snap;
    free(s->list);
    free(s->dedup);
    s->present = 1;
    s->slot = slot;
    s->list_len = list_len;
    s->dedup_n = dedup_n;
    s->list = xrealloc(NULL, (size_t)list_len * sizeof *s->list);
    s->dedup = xrealloc(NULL, (size_t)dedup_n * sizeof *s->dedup);
    if (list_len) memcpy(s->list, list, (size_t)list_len * sizeof *s->list);
    if (dedup_n) memcpy(s->dedup, dedup, (size_t)dedup_n * sizeof *s->dedup);
}

void audit_add_list(audit_state *st, uint32_t node, const int64_t *v, size_t n)
{
    st->lists = xrealloc(st->lists, (st->n_lists + 1) * sizeof *st->lists);
    audit_list *l = &st->lists[st->n_lists++];
    l->node = node;
    l->n = n;
    l->v = xrealloc(NULL, n * sizeof *l->v);
    if (n) memcpy(l->v, v, n * sizeof *v);
}
