/* paxos-check -- is a Jepsen history of the replicated list linearizable?
 *
 *   paxos-check [--out FILE] [--text] [--quiet] [--max-states N] HISTORY.edn
 *
 * Writes a Jepsen-style EDN result ({:valid? true|false|:unknown ...}) to
 * stdout, or to FILE with --out, and a readable explanation to stderr (to
 * stdout instead of the EDN with --text; nowhere with --quiet).  Exit status:
 * 0 valid, 1 invalid, 2 unknown (a resource limit was hit), 3 bad input or
 * usage.  README.md in this folder describes formats and the algorithm. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepsen/checker/arena.h"
#include "jepsen/checker/check.h"
#include "jepsen/checker/history.h"

typedef struct opts {
    const char *path, *out;
    int text, quiet;
    check_opts check;
} opts;

static void usage(FILE *f)
{
    fprintf(f, "usage: paxos-check [--out FILE] [--text] [--quiet] [--max-states N] "
               "HISTORY.edn\n"
               "exit: 0 valid, 1 invalid, 2 unknown, 3 bad input\n");
}

static int parse_args(int argc, char **argv, opts *o)
{
    check_defaults(&o->check);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--out") && i + 1 < argc) {
            o->out = argv[++i];
        } else if (!strcmp(a, "--text")) {
            o->text = 1;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--max-states") && i + 1 < argc) {
            char *end;
            errno = 0;
            o->check.max_states = strtoull(argv[++i], &end, 10);
            if (*end || errno) return -1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (a[0] == '-' && a[1]) {
            return -1;
        } else if (!o->path) {
            o->path = a;
        } else {
            return -1;
        }
    }
    return o->path ? 0 : -1;
}

static void edn_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if (*s == '\n') fputs("\\n", f);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static void write_ops(FILE *f, const history *h, const check_result *r)
{
    fputs(" :ops [", f);
    const char *sep = "";
    for (int i = 0; i < r->nops; i++) {
        const hop *o = &h->ops[r->ops[i]];
        fprintf(f, "%s%.*s", sep, (int)o->inv_len, h->buf + o->inv_off);
        sep = "\n        ";
        if (o->cmp_len)
            fprintf(f, "%s%.*s", sep, (int)o->cmp_len, h->buf + o->cmp_off);
    }
    fputs("]\n", f);
}

static void write_edn(FILE *f, const history *h, const check_result *r)
{
    static const char *v[] = {"true", "false", ":unknown"};
    fprintf(f, "{:valid? %s\n :op-count %zu\n :list-length %lld\n :method \"%s\"\n",
            v[r->verdict], h->nops, (long long)r->length, r->method);
    fprintf(f, " :unreported-positions %llu\n :unreported-appends %llu\n"
               " :search-states %llu\n",
            (unsigned long long)r->holes, (unsigned long long)r->unplaced,
            (unsigned long long)r->states);
    if (r->verdict == PX_INVALID) {
        fprintf(f, " :anomaly :%s\n", px_anomaly_name(r->anomaly));
        write_ops(f, h, r);
    }
    if (r->explanation[0]) {
        fputs(" :explanation ", f);
        edn_string(f, r->explanation);
        fputc('\n', f);
    }
    fputs("}\n", f);
}

static void write_text(FILE *f, const opts *o, const history *h, const check_result *r)
{
    static const char *v[] = {"VALID", "INVALID", "UNKNOWN"};
    fprintf(f, "%s: %s (%zu ops, list length %lld, %s)\n", o->path, v[r->verdict],
            h->nops, (long long)r->length, r->method);
    if (r->verdict == PX_INVALID)
        fprintf(f, "  anomaly: %s\n", px_anomaly_name(r->anomaly));
    if (r->explanation[0]) fprintf(f, "  %s\n", r->explanation);
    for (int i = 0; r->verdict == PX_INVALID && i < r->nops; i++) {
        const hop *op = &h->ops[r->ops[i]];
        fprintf(f, "  line %u: %.*s\n", op->inv_line, (int)op->inv_len, h->buf + op->inv_off);
        if (op->cmp_len)
            fprintf(f, "  line %u: %.*s\n", op->cmp_line, (int)op->cmp_len,
                    h->buf + op->cmp_off);
    }
}

static FILE *open_out(const opts *o)
{
    if (!o->out) return o->text ? NULL : stdout;
    FILE *f = fopen(o->out, "w");
    if (!f) fprintf(stderr, "paxos-check: cannot write %s\n", o->out);
    return f;
}

static int bad_input(const opts *o, const history *h)
{
    char msg[400];
    if (h->err_line) snprintf(msg, sizeof msg, "line %u: %s", h->err_line, h->err);
    else snprintf(msg, sizeof msg, "%s", h->err);
    fprintf(stderr, "paxos-check: %s: %s\n", o->path, msg);
    FILE *f = open_out(o);
    if (f) {
        fputs("{:valid? :unknown\n :error ", f);
        edn_string(f, msg);
        fputs("}\n", f);
        if (f != stdout) fclose(f);
    }
    return 3;
}

int main(int argc, char **argv)
{
    opts o = {0};
    if (parse_args(argc, argv, &o) < 0) {
        usage(stderr);
        return 3;
    }
    history h;
    if (history_load_file(&h, o.path, 0) < 0) {
        int rc = bad_input(&o, &h);
        history_free(&h);
        return rc;
    }
    check_result r;
    check_history(&h, &o.check, &r);
    FILE *f = open_out(&o);
    if (o.out && !f) {
        history_free(&h);
        return 3;
    }
    if (f) write_edn(f, &h, &r);
    if (f && f != stdout) fclose(f);
    if (o.text) write_text(stdout, &o, &h, &r);
    else if (!o.quiet) write_text(stderr, &o, &h, &r);
    history_free(&h);
    return r.verdict == PX_VALID ? 0 : r.verdict == PX_INVALID ? 1 : 2;
}
