/* main.c -- bin/paxos-audit: checks Paxos's own invariants on the files a
 * stopped cluster left behind (see check.h for what, and docs/OPERATIONS.md
 * "Auditing a cluster's files").
 *
 *   paxos-audit [--edn | --json] [--out FILE] [--final-lists FILE]
 *               [--config FILE] [DIR...]
 *
 * DIR is a node's data directory (named nodeN) or a directory holding
 * them; with --config and no DIR, the config's data_dir.  The cluster's
 * members come from --config, else from the node directories found.
 * Exit status: 0 no violation, 1 violations, 2 the audit could not run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../common/config.h"
#include "check.h"
#include "read.h"
#include "report.h"

typedef struct options {
    int edn, json;
    const char *out, *lists, *config;
    const char *dirs[64];
    int n_dirs;
} options;

typedef struct node_dir {
    uint32_t id;
    char path[AUDIT_PATH];
} node_dir;

static void usage(void)
{
    fprintf(stderr,
            "usage: paxos-audit [--edn | --json] [--out FILE] [--final-lists FILE]\n"
            "                   [--config FILE] [DIR...]\n"
            "  DIR               a node's data directory (nodeN) or one holding them;\n"
            "                    default with --config: its data_dir\n"
            "  --config FILE     cluster.cfg: the cluster's members (else: the node\n"
            "                    directories found, so give them all: they set the majority)\n"
            "  --final-lists F   lists read at the end, one per line: NODE v1 v2 ...\n"
            "  --edn, --json     the verdict in that format (on stdout, or in --out FILE\n"
            "                    with the text report on stdout; EDN is --out's default)\n"
            "exit status: 0 valid, 1 violations found, 2 the audit could not run\n");
    exit(2);
}

static void parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--edn") == 0) o->edn = 1;
        else if (strcmp(a, "--json") == 0) o->json = 1;
        else if (strcmp(a, "--out") == 0 && more) o->out = argv[++i];
        else if (strcmp(a, "--final-lists") == 0 && more) o->lists = argv[++i];
        else if (strcmp(a, "--config") == 0 && more) o->config = argv[++i];
        else if (a[0] == '-' || o->n_dirs == 64) usage();
        else o->dirs[o->n_dirs++] = a;
    }
    if ((o->edn && o->json) || (o->n_dirs == 0 && o->config == NULL)) usage();
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int add_dir(node_dir *v, size_t *n, uint32_t id, const char *path, char *err,
                   size_t errlen)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i].id == id) {
            snprintf(err, errlen, "node %u given twice (%s and %s)", id, v[i].path, path);
            return -1;
        }
    if (*n == PX_MAX_NODES) {
        snprintf(err, errlen, "more than %d node directories", PX_MAX_NODES);
        return -1;
    }
    v[*n].id = id;
    snprintf(v[*n].path, sizeof v[*n].path, "%s", path);
    (*n)++;
    return 0;
}

/* The node directories named by DIRs, or by the config's data_dir. */
static int find_dirs(const options *o, const px_config *cfg, node_dir *v, size_t *n, char *err,
                     size_t errlen)
{
    char path[AUDIT_PATH];
    *n = 0;
    if (o->n_dirs == 0) {
        for (uint32_t i = 0; i < cfg->n_nodes; i++) {
            px_config_node_dir(cfg, cfg->nodes[i].id, path, sizeof path);
            if (is_dir(path) && add_dir(v, n, cfg->nodes[i].id, path, err, errlen) < 0) return -1;
        }
    }
    for (int d = 0; d < o->n_dirs; d++) {
        uint32_t id = audit_node_dir_id(o->dirs[d]);
        if (!is_dir(o->dirs[d])) {
            snprintf(err, errlen, "%s: not a directory", o->dirs[d]);
            return -1;
        }
        if (id) {
            if (add_dir(v, n, id, o->dirs[d], err, errlen) < 0) return -1;
            continue;
        }
        for (uint32_t k = 1; k <= PX_MAX_NODES; k++) {
            snprintf(path, sizeof path, "%s/node%u", o->dirs[d], k);
            if (is_dir(path) && add_dir(v, n, k, path, err, errlen) < 0) return -1;
        }
    }
    if (*n == 0) snprintf(err, errlen, "no node directory (nodeN) found");
    return *n ? 0 : -1;
}

/* Members from the config, else the nodes found. */
static int set_members(audit_state *st, const options *o, const px_config *cfg,
                       const node_dir *v, size_t n, char *err, size_t errlen)
{
    uint32_t ids[PX_MAX_NODES];
    size_t k = 0;
    if (o->config) {
        for (uint32_t i = 0; i < cfg->n_nodes; i++) ids[k++] = cfg->nodes[i].id;
    } else {
        for (size_t i = 0; i < n; i++) ids[k++] = v[i].id;
    }
    if (audit_set_members(st, ids, k) < 0) {
        snprintf(err, errlen, "bad set of node ids");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!audit_is_member(st, v[i].id)) {
            snprintf(err, errlen, "%s: node %u is not in %s", v[i].path, v[i].id, o->config);
            return -1;
        }
    return 0;
}

/* Logs that lost their history to a rewrite cannot be audited. */
static int check_complete(const audit_state *st, char *err, size_t errlen)
{
    int logs = 0;
    for (size_t i = 0; i < st->n_nodes; i++) {
        const audit_node *n = &st->nodes[i];
        logs += n->acc.present;
        if (n->acc.rewritten || audit_log_rewritten(&n->acc)) {
            snprintf(err, errlen,
                     "%s/acceptor.log was rewritten by compaction: superseded records are gone. "
                     "Audit only clusters whose acceptors ran with PAXOS_TEST_KEEP_LOG=1",
                     n->dir);
            return -1;
        }
    }
    if (logs == 0) snprintf(err, errlen, "no acceptor.log in any node directory: nothing to audit");
    return logs ? 0 : -1;
}

static int load(const options *o, audit_state *st, char *err, size_t errlen)
{
    static px_config cfg;
    char warn[256];
    node_dir dirs[PX_MAX_NODES];
    size_t n;
    memset(&cfg, 0, sizeof cfg);
    if (o->config && px_config_load(o->config, &cfg, err, errlen, warn, sizeof warn) < 0)
        return -1;
    if (find_dirs(o, &cfg, dirs, &n, err, errlen) < 0 ||
        set_members(st, o, &cfg, dirs, n, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (audit_read_node(st, dirs[i].id, dirs[i].path, err, errlen) < 0) return -1;
    if (check_complete(st, err, errlen) < 0) return -1;
    return o->lists ? audit_read_lists(st, o->lists, err, errlen) : 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    return f;
}

static int fail(const options *o, const char *err)
{
    fprintf(stderr, "paxos-audit: cannot audit: %s\n", err);
    FILE *f = o->out ? open_out(o->out) : (o->edn || o->json) ? stdout : NULL;
    if (f && o->json) audit_report_error_json(f, err);
    else if (f) audit_report_error_edn(f, err);
    if (f && f != stdout) fclose(f);
    return 2;
}

int main(int argc, char **argv)
{
    options o;
    static audit_state st;
    static audit_result r;
    char err[2048];
    parse_args(argc, argv, &o);
    double t0 = now_s();
    audit_state_init(&st);
    audit_result_init(&r);
    if (load(&o, &st, err, sizeof err) < 0) return fail(&o, err);
    audit_check(&st, &r);
    double seconds = now_s() - t0;
    FILE *machine = o.out ? open_out(o.out) : (o.edn || o.json) ? stdout : NULL;
    if (machine != stdout) audit_report_text(stdout, &st, &r, seconds);
    if (machine && o.json) audit_report_json(machine, &st, &r, seconds);
    else if (machine) audit_report_edn(machine, &st, &r, seconds);
    if (machine && machine != stdout) fclose(machine);
    audit_state_free(&st);
    return r.total ? 1 : 0;
}
