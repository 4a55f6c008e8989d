/* read.c -- a stopped cluster's files into the audit's state (see read.h). */
#include "read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../acceptor/store.h"
#include "../learner/learner.h"
#include "../learner/snapshot.h"
#include "../proposer/round_file.h"

typedef struct log_sink {
    audit_state *st;
    audit_node *node;
} log_sink;

static void on_record(void *arg, const acc_record *r, uint64_t offset, uint32_t batch)
{
    log_sink *k = arg;
    audit_add_record(k->st, k->node, r, offset, batch);
}

static int read_acceptor_log(audit_state *st, audit_node *n, char *err, size_t errlen)
{
    log_sink k = {st, n};
    acc_store_report rep;
    int exists;
    if (acc_store_read(n->dir, on_record, &k, &exists, &rep, err, errlen) < 0) return -1;
    n->acc.present = exists;
    n->acc.cut_offset = rep.cut_offset;
    n->acc.cut_bytes = rep.cut_bytes;
    n->acc.cut_records = rep.cut_records;
    return 0;
}

static int read_round(audit_node *n, char *err, size_t errlen)
{
    char path[AUDIT_PATH + 32];
    snprintf(path, sizeof path, "%s/%s", n->dir, PROP_ROUND_FILE);
    n->has_round = access(path, F_OK) == 0;
    return prop_round_load(n->dir, &n->round, err, errlen);
}

/* The whole file at path: NULL with *missing set if it does not exist. */
static uint8_t *slurp(const char *path, size_t *len, int *missing, char *err, size_t errlen)
{
    struct stat st;
    *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *missing = errno == ENOENT;
        if (!*missing) snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size <= PX_SNAP_MAX)
        buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (buf == NULL || got != (size_t)st.st_size) {
        snprintf(err, errlen, "%s: cannot read it whole", path);
        free(buf);
        return NULL;
    }
    *len = got;
    return buf;
}

/* learner.snap, parsed as the learner parses it at start. */
static int read_snapshot(audit_node *n, char *err, size_t errlen)
{
    char path[AUDIT_PATH + 32], why[256];
    size_t len = 0;
    int missing;
    snprintf(path, sizeof path, "%s/learner.snap", n->dir);
    uint8_t *buf = slurp(path, &len, &missing, err, errlen);
    if (buf == NULL) return missing ? 0 : -1;
    px_snap_view v;
    if (px_snap_parse(buf, len, LEARNER_DEDUP_MAX, &v, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: the learner would refuse it: %s", path, why);
        free(buf);
        return -1;
    }
    int64_t *list = malloc((size_t)v.list_len * sizeof *list + 1);
    dedup_entry *dd = malloc((size_t)v.dedup_n * sizeof *dd + 1);
    if (list == NULL || dd == NULL) abort();
    for (uint64_t i = 0; i < v.list_len; i++) list[i] = px_snap_value(&v, i);
    for (uint64_t i = 0; i < v.dedup_n; i++) px_snap_entry(&v, i, &dd[i]);
    audit_set_snapshot(n, v.slot, list, v.list_len, dd, v.dedup_n);
    free(list);
    free(dd);
    free(buf);
    return 0;
}

/* The number after needle in line, if needle is there. */
static int number_after(const char *line, const char *needle, uint64_t *out)
{
    const char *p = strstr(line, needle);
    if (p == NULL) return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p + strlen(needle), &end, 10);
    if (errno || end == p + strlen(needle)) return 0;
    *out = v;
    return 1;
}

/* The learner's own log: the slots its snapshots had when they became
 * durable (learner/main.c logs each after the write, and each restored
 * one, before any report of it can leave). */
static void scan_learner_log(audit_node *n)
{
    char path[AUDIT_PATH + 32], *line = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s/logs/learner.log", n->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) return;
    n->has_learner_log = 1;
    while (getline(&line, &cap, f) > 0) {
        uint64_t s;
        if ((strstr(line, " written") && number_after(line, "snapshot at slot ", &s)) ||
            number_after(line, ": every slot below ", &s))
            if (s > n->snap_logged) n->snap_logged = s;
    }
    free(line);
    fclose(f);
}

/* The acceptor's own log: a rewrite, or a conversion (also a rewrite),
 * replaced the history by a state (acceptor/main.c, store.c). */
static void scan_acceptor_log(audit_node *n)
{
    char path[AUDIT_PATH + 32], *line = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s/logs/acceptor.log", n->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) return;
    while (getline(&line, &cap, f) > 0)
        if (strstr(line, "rewrote acceptor.log below mark") || strstr(line, "converted from version"))
            n->acc.rewritten = 1;
    free(line);
    fclose(f);
}

int audit_read_node(audit_state *st, uint32_t id, const char *dir, char *err, size_t errlen)
{
    audit_node *n = audit_add_node(st, id, dir);
    if (n == NULL) {
        snprintf(err, errlen, "%s: node %u is given twice (or more than %d nodes)", dir, id,
                 PX_MAX_NODES);
        return -1;
    }
    if (read_acceptor_log(st, n, err, errlen) < 0 || read_round(n, err, errlen) < 0 ||
        read_snapshot(n, err, errlen) < 0)
        return -1;
    scan_learner_log(n);
    scan_acceptor_log(n);
    return 0;
}

/* ---- final lists ----------------------------------------------------------- */

/* The integers of one line, in order. */
static size_t line_numbers(const char *line, int64_t **v, size_t *cap, int *bad)
{
    size_t n = 0;
    for (const char *p = line; *p;) {
        if (!(*p == '-' || (*p >= '0' && *p <= '9'))) {
            p++;
            continue;
        }
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (end == p || errno) {
            *bad = 1;
            return n;
        }
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *v = realloc(*v, *cap * sizeof **v);
            if (*v == NULL) abort();
        }
        (*v)[n++] = x;
        p = end;
    }
    return n;
}

int audit_read_lists(audit_state *st, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    int64_t *v = NULL;
    size_t cap = 0, vcap = 0, lineno = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        lineno++;
        if (line[0] == '#') continue;
        int bad = 0;
        size_t n = line_numbers(line, &v, &vcap, &bad);
        if (n == 0 && !bad) continue;
        if (bad || v[0] < 0 || v[0] > PX_MAX_NODES) {
            snprintf(err, errlen, "%s:%zu: want a node id (0..%d) and the list's integers",
                     path, lineno, PX_MAX_NODES);
            rc = -1;
        } else {
            audit_add_list(st, (uint32_t)v[0], v + 1, n - 1);
        }
    }
    free(line);
    free(v);
    fclose(f);
    return rc;
}

uint32_t audit_node_dir_id(const char *path)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') start--;
    const char *base = path + start;
    if (len - start != 5 || strncmp(base, "node", 4) != 0) return 0;
    return base[4] >= '1' && base[4] <= '0' + PX_MAX_NODES ? (uint32_t)(base[4] - '0') : 0;
}
