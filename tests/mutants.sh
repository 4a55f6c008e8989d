#!/usr/bin/env bash
# mutants.sh -- every planted bug must be caught by the simulator (but
# those in NOT_IN_SIM, planted in a process's I/O the simulator does not
# run; jepsen/mutants.sh catches them on real processes).
#
# For each mutant in the Makefile's MUTANTS list, runs
# build/mutants/<m>/bin/paxos-sim (built by `make mutants`; rebuilt here if
# out of date) over seeds 1..LIMIT until the first violation, and prints
#   mutant <m>: caught at seed S (invariant)
#   mutant <m>: NOT caught in LIMIT seeds          (a failure)
# then "N passed, N failed"; exits non-zero if any mutant survives.
#
# A mutant counts as caught only by a safety invariant: liveness failures
# are counted and reported but do not stop the search, because the clean
# build can also fail liveness (tests/sim/FINDINGS.md) and that would not
# show the planted bug.
set -uo pipefail
cd "$(dirname "$0")/.."

# Seeds to try per mutant; each is caught within the first few dozen
# (see docs/PROTOCOL.md, "Simulator"), so these leave a wide margin.
declare -A LIMIT=(
    [acceptor_early_reply]=2000
    [acceptor_low_ballot]=2000
    [acceptor_forget_silently]=2000
    [proposer_ignore_promised]=2000
    [quorum_too_small]=1000
    [learner_out_of_order]=1000
    [learner_no_dedup]=1000
    [learner_trust_acks]=1000
    [learner_vote_mixed]=2000
    [gateway_503_silent]=1000
    [gateway_list_gap]=1000
    [gateway_local_read]=1000
)
DEFAULT_LIMIT=2000

# Mutants planted outside the pure cores the simulator runs: they are
# proved by the real-process test (jepsen/mutants.sh) instead.
declare -A NOT_IN_SIM=(
    [acceptor_sync_every_other]="acceptor/main.c's fsync; the simulator's disk is its own (tests/sim/disk.c)"
)

mutants=$(make --no-print-directory -s -f Makefile -f - print-mutants <<<'print-mutants: ; @echo $(MUTANTS)')
passed=0
failed=0
for m in $mutants; do
    if [ -n "${NOT_IN_SIM[$m]:-}" ]; then
        echo "mutant $m: not for the simulator (${NOT_IN_SIM[$m]})"
        continue
    fi
    sim=build/mutants/$m/bin/paxos-sim
    # Up to date after `make mutants`; otherwise (re)builds just the simulator.
    make --no-print-directory -s BUILD=build/mutants/$m BINDIR=build/mutants/$m/bin \
         MUTANT=$m "$sim" >/dev/null || { echo "mutant $m: does not build"; failed=$((failed + 1)); continue; }
    limit=${LIMIT[$m]:-$DEFAULT_LIMIT}
    out=$("$sim" --seeds "1-$limit" --first-fail --continue-on liveness --quiet 2>/dev/null)
    hit=$(grep -E '^FAIL seed [0-9]+ \(' <<<"$out" | grep -v '(liveness)' | head -n 1)
    live=$(grep -c '(liveness)' <<<"$out")
    if [ -n "$hit" ]; then
        seed=$(sed -E 's/^FAIL seed ([0-9]+) .*/\1/' <<<"$hit")
        inv=$(sed -E 's/^FAIL seed [0-9]+ \((.*)\)$/\1/' <<<"$hit")
        echo "mutant $m: caught at seed $seed ($inv)"
        passed=$((passed + 1))
    else
        echo "mutant $m: NOT caught in $limit seeds ($live liveness failures)"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
