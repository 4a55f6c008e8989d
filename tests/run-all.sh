#!/usr/bin/env bash
# Runs every test suite and ends with one line "total: N passed, N failed".
#
# Suites, in order: unit tests (sanitized build), simulator seeds, mutants,
# the linearizability checker, the Clojure Jepsen test's sources (they must
# read), the libFuzzer targets (built by clang, each corpus replayed, then
# 12 s of fuzzing each; tests/fuzz/README.md), integration tests on real
# clusters, a small soak (20k appends under kill -9, lists checked, memory
# and disk flat), and short Jepsen runs.  Each suite's output goes to
# build/test-logs/<suite>.log; a suite reports its own "N passed, N failed"
# line (or PASS/FAIL lines), and a suite that reports nothing but exits
# non-zero counts as one failure.
#
#   tests/run-all.sh              everything
#   tests/run-all.sh unit sim     only the named suites
set -uo pipefail
cd "$(dirname "$0")/.."

LOGS=build/test-logs
mkdir -p "$LOGS"
total_pass=0
total_fail=0
failed_suites=()

# count_results LOG RC: prints "PASS FAIL" for a finished suite.
count_results() {
    local log=$1 rc=$2 line p f
    line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
        f=$(sed -E 's/^([A-Za-z-]+: )?[0-9]+ passed, ([0-9]+) failed.*/\2/' <<<"$line")
    else
        p=$(grep -c '^PASS' "$log")
        f=$(grep -c '^FAIL' "$log")
    fi
    # A suite that failed without saying so still counts as a failure.
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    echo "$p $f"
}

# run_suite NAME COMMAND...: runs one suite, streaming its output.
run_suite() {
    local name=$1; shift
    local log="$LOGS/$name.log" start rc p f
    start=$(date +%s)
    echo "=== $name: $*"
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    read -r p f < <(count_results "$log" "$rc")
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    [ "$f" -ne 0 ] && failed_suites+=("$name")
    echo "=== $name: $p passed, $f failed ($(($(date +%s) - start)) s, log $log)"
}

unit_suite() {
    local t rc=0 out p=0 f=0 a b
    for t in build/asan/tests/*; do
        [ -x "$t" ] || continue
        out=$("$t" 2>&1); local trc=$?
        echo "$out" | grep -v '^[0-9]* passed, [0-9]* failed$'
        read -r a b < <(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1 | sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 \2/')
        a=${a:-0}; b=${b:-0}
        if [ "$trc" -ne 0 ] && [ "$b" -eq 0 ]; then b=1; fi
        echo "$(basename "$t"): $a passed, $b failed"
        p=$((p + a)); f=$((f + b))
        [ "$trc" -ne 0 ] && rc=1
    done
    echo "$p passed, $f failed"
    return $rc
}

integration_suite() {
    local s rc=0
    for s in tests/integration/[a-z]*.sh; do
        case $(basename "$s") in lib.sh | slot.sh) continue ;; esac
        echo "--- $s"
        timeout 600 bash "$s" || { rc=1; echo "FAIL $(basename "$s" .sh): exited non-zero"; }
    done
    return $rc
}

# Builds the fuzz targets (clang) and runs tests/fuzz/run.sh check: every
# corpus input replayed, then FUZZ_CHECK_SECONDS (12) of fuzzing per target.
fuzz_suite() {
    if ! make -j2 fuzz-targets >"$LOGS/fuzz-build.log" 2>&1; then
        tail -n 5 "$LOGS/fuzz-build.log"
        echo "FAIL fuzz build: make fuzz-targets (log $LOGS/fuzz-build.log)"
        return 1
    fi
    bash tests/fuzz/run.sh check
}

# Four runs against the real build (about 3.5 minutes): random halves; every
# nemesis mixed (the faults inside the processes among them); the
# stalled-connection regression test: a one-way ring held 30 s (long
# enough for TCP's retransmission timer to back off to ~20 s), after which
# every node must serve again within the 5 s recovery bound; and the
# leader cut off on the netns-per-node topology.
jepsen_suite() {
    local rc=0
    timeout 300 jepsen/run test --time-limit 20 --nemesis partition || rc=1
    timeout 300 jepsen/run test --time-limit 20 --nemesis all || rc=1
    timeout 400 jepsen/run test --time-limit 68 --nemesis partition-oneway-ring \
        --nemesis-interval 30 --recovery-bound 5 || rc=1
    # each node a host of its own (about 20 s): cuts in the nodes' own firewalls
    timeout 120 jepsen/run test --topology netns-per-node --time-limit 10 \
        --nemesis partition-leader --nemesis-interval 3 || rc=1
    [ "$rc" -eq 0 ] && echo "PASS jepsen short runs" || echo "FAIL jepsen short runs"
    return $rc
}

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit sim mutants checker clojure fuzz integration soak jepsen)
for s in "${suites[@]}"; do
    case $s in
        unit) run_suite unit unit_suite ;;
        sim) run_suite sim bash tests/sim.sh ;;
        mutants) run_suite mutants bash tests/mutants.sh ;;
        checker) run_suite checker bash tests/checker.sh ;;
        integration) run_suite integration integration_suite ;;
        soak) run_suite soak bash tests/soak-smoke.sh ;;
        jepsen) run_suite jepsen jepsen_suite ;;
        clojure) run_suite clojure bash tests/clojure-syntax.sh ;;
        fuzz) run_suite fuzz fuzz_suite ;;
        *) echo "unknown suite: $s (unit sim mutants checker clojure fuzz integration soak jepsen)"; exit 2 ;;
    esac
done

[ ${#failed_suites[@]} -ne 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
