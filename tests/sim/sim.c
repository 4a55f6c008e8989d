/* sim.c -- paxos-sim: run the deterministic simulator over one seed or a
 * range of seeds.
 *
 *   paxos-sim --seed N [-v]        one run, exact replay of seed N
 *   paxos-sim --seeds A-B          every seed in [A, B]; progress, seeds/s,
 *                                  refusals by reason (honest and forged
 *                                  frames), and "N passed, N failed" at
 *                                  the end
 *   options: --nodes 3|5  --time MS (simulated workload, default 1000)
 *            --steps N  --liveness MS  --quiet  --first-fail  -v
 *            --continue-on INV  (with --first-fail: a violation of INV is
 *                                counted but does not stop the range)
 *            --dup-between-roles  duplicate frames as the processes'
 *                                 PAXOS_FAULT_DUP does: between protocol
 *                                 roles only, REQUESTs forwarded between
 *                                 proposers too (tests/sim/FINDINGS.md, 5)
 *
 * Exit status 0 if every run held every invariant, 1 otherwise.  The wall
 * clock is read only here, to report speed; runs never see it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sim.h"

static void usage(void)
{
    fprintf(stderr, "usage: paxos-sim (--seed N | --seeds A-B) [--nodes 3|5] [--time MS]\n"
                    "                 [--steps N] [--liveness MS] [--quiet] [--first-fail]\n"
                    "                 [--continue-on INVARIANT] [--dup-between-roles] [-v]\n");
    exit(2);
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t num(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end) usage();
    return v;
}

int main(int argc, char **argv)
{
    sim_opts opt = {.time_ms = 1000, .liveness_ms = 3000, .nodes = 3};
    uint64_t lo = 1, hi = 1;
    int first_fail = 0, have = 0;
    const char *cont_on = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-v")) opt.verbose = 1;
        else if (!strcmp(a, "--quiet")) opt.quiet = 1;
        else if (!strcmp(a, "--first-fail")) first_fail = 1;
        else if (!strcmp(a, "--dup-between-roles")) opt.dup_between_roles = 1;
        else if (!v) usage();
        else if (!strcmp(a, "--continue-on")) { cont_on = v; i++; }
        else if (!strcmp(a, "--seed")) { lo = hi = num(v); have = 1; i++; }
        else if (!strcmp(a, "--seeds")) {
            const char *dash = strchr(v, '-');
            if (!dash) usage();
            char left[32];
            snprintf(left, sizeof left, "%.*s", (int)(dash - v), v);
            lo = num(left);
            hi = num(dash + 1);
            have = 1;
            i++;
        }
        else if (!strcmp(a, "--nodes")) { opt.nodes = (uint32_t)num(v); i++; }
        else if (!strcmp(a, "--time")) { opt.time_ms = num(v); i++; }
        else if (!strcmp(a, "--steps")) { opt.max_steps = num(v); i++; }
        else if (!strcmp(a, "--liveness")) { opt.liveness_ms = num(v); i++; }
        else usage();
    }
    if (!have || lo > hi || opt.nodes < 1 || opt.nodes > PX_MAX_NODES) usage();
    int range = hi > lo;
    if (range) opt.verbose = 0;
    uint64_t passed = 0, failed = 0;
    sim_totals tot = {0};
    double t0 = wall();
    for (uint64_t s = lo; s <= hi; s++) {
        char inv[64];
        if (sim_run(s, &opt, inv, sizeof inv, &tot)) {
            failed++;
            printf("FAIL seed %llu (%s)\n", (unsigned long long)s, inv);
            fflush(stdout);
            if (first_fail && !(cont_on && !strcmp(inv, cont_on))) break;
        } else {
            passed++;
        }
        if (range && !opt.quiet && (s - lo + 1) % 1000 == 0)
            fprintf(stderr, "  %llu seeds, %llu failed, %.0f seeds/s\n",
                    (unsigned long long)(s - lo + 1), (unsigned long long)failed,
                    (double)(s - lo + 1) / (wall() - t0));
    }
    double dt = wall() - t0;
    if (range) {
        printf("%llu seeds in %.1f s: %.0f seeds/s\n", (unsigned long long)(passed + failed), dt,
               (double)(passed + failed) / (dt > 0 ? dt : 1e-9));
        sim_print_refusals("refused, honest frames", tot.refused[0]);
        printf("%llu forged frames;", (unsigned long long)tot.forged);
        sim_print_refusals(" refused", tot.refused[1]);
        sim_print_answers("gateway answers", tot.ans, tot.dup, tot.listwait);
        printf("%llu gateway crashes, %llu snapshot files lost (%llu learners back by a "
               "transfer)\n", (unsigned long long)tot.gw_crash,
               (unsigned long long)tot.snap_lost, (unsigned long long)tot.lost_installs);
        printf("learners decided %llu slots from VOTEs, took %llu from CHOSENs; gateways sent "
               "%llu REQUESTs straight to a leader, %llu through their own proposer\n",
               (unsigned long long)tot.by_votes, (unsigned long long)tot.by_chosen,
               (unsigned long long)tot.gw_direct, (unsigned long long)tot.gw_own);
    }
    printf("%llu passed, %llu failed\n", (unsigned long long)passed, (unsigned long long)failed);
    return failed ? 1 : 0;
}
