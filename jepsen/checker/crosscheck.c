/* paxos-check-crosscheck -- runs paxos-check's algorithm and the brute-force
 * checker on thousands of random small histories and fails on any
 * disagreement.  Unmutated histories come from real executions, so both
 * must also call them valid.
 *
 *   paxos-check-crosscheck [--n 5000] [--seed S] [--max-ops 7] [--procs 3] [-v]
 *   paxos-check-crosscheck --file HISTORY.edn   (brute force on one file)
 *
 * A disagreement prints the history, so it can be saved as a regression
 * file under tests/histories/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepsen/checker/brute.h"
#include "jepsen/checker/check.h"
#include "jepsen/checker/gen.h"
#include "jepsen/checker/history.h"

typedef struct stats {
    long n, valid, invalid, failed, by_method[3];
} stats;

static const char *verdict_name(int v)
{
    return v == PX_VALID ? "valid" : v == PX_INVALID ? "invalid" : "unknown";
}

/* 0: agree; -1: disagree (printed). */
static int one(uint64_t seed, const gen_opts *go, stats *st, int verbose)
{
    static char buf[16384];
    size_t n = gen_small(seed, go, buf, sizeof buf);
    if (!n) {
        fprintf(stderr, "seed %llu: history too large for the buffer\n",
                (unsigned long long)seed);
        return -1;
    }
    history h;
    if (history_load_mem(&h, buf, n, 1) < 0) {
        fprintf(stderr, "seed %llu: generator wrote bad input: line %u: %s\n%s",
                (unsigned long long)seed, h.err_line, h.err, buf);
        history_free(&h);
        return -1;
    }
    check_opts co;
    check_defaults(&co);
    check_result r;
    check_history(&h, &co, &r);
    int b = brute_check(&h);
    int want = b == 1 ? PX_VALID : PX_INVALID;
    int rc = 0;
    if (b < 0 || (int)r.verdict != want || (!go->mutate && want != PX_VALID)) {
        fprintf(stderr, "seed %llu (mutate=%d): paxos-check says %s (%s), brute force "
                "says %s\n%s%s\n", (unsigned long long)seed, go->mutate,
                verdict_name(r.verdict), r.explanation,
                b < 0 ? "too large" : verdict_name(want), buf, "----");
        rc = -1;
    } else if (verbose) {
        printf("seed %llu: %s %s\n", (unsigned long long)seed, verdict_name(want),
               r.method);
    }
    st->n++;
    if (want == PX_VALID) st->valid++;
    else st->invalid++;
    st->by_method[r.method[0] == 's' && r.method[5] == '+' ? 1 :
                  r.method[1] == 'e' ? 2 : 0]++;
    history_free(&h);
    return rc;
}

/* --file F: brute force on one history file (to vet hand-written ones). */
static int one_file(const char *path)
{
    history h;
    if (history_load_file(&h, path, 1) < 0) {
        printf("%s: badinput line %u: %s\n", path, h.err_line, h.err);
        history_free(&h);
        return 3;
    }
    int b = brute_check(&h);
    printf("%s: %s\n", path, b < 0 ? "too large" : b ? "valid" : "invalid");
    history_free(&h);
    return b < 0 ? 2 : !b;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--file")) return one_file(argv[2]);
    long n = 5000;
    uint64_t seed = 1;
    gen_opts go = {7, 3, 0};
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--max-ops") && i + 1 < argc) go.max_ops = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--procs") && i + 1 < argc) go.max_procs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-v")) verbose = 1;
        else {
            fprintf(stderr, "usage: %s [--n N] [--seed S] [--max-ops K] [--procs P] [-v]\n",
                    argv[0]);
            return 2;
        }
    }
    stats st = {0};
    for (long i = 0; i < n; i++) {
        go.mutate = (int)(i % 2);
        if (one(seed + (uint64_t)i, &go, &st, verbose) < 0) st.failed++;
    }
    printf("crosscheck: %ld histories (%ld valid, %ld invalid; sweep %ld, "
           "matching %ld, search %ld)\n", st.n, st.valid, st.invalid, st.by_method[0],
           st.by_method[1], st.by_method[2]);
    printf("%ld passed, %ld failed\n", n - st.failed, st.failed);
    return st.failed ? 1 : 0;
}
