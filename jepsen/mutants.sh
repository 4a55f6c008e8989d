#!/usr/bin/env bash
# jepsen/mutants.sh [--runs N] [--time-limit S] [MUTANT...] -- the proof of
# power: runs the full Jepsen-style test against builds with planted bugs
# and counts how often each is caught.  A mutant counts as caught in a run
# when jepsen/run says "Analysis invalid!" for it.  Also runs the real build
# the same number of times, which must pass every time.
#
# Each mutant runs under the nemesis that can expose it:
#   acceptor_early_reply      kill, 48 clients, every 2 s: votes acknowledged
#                             before the fsync are lost when all nodes are
#                             killed together (the runner keeps unsynced
#                             records in memory for 10 ms here, like a slow
#                             device that loses unfinished writes on power loss)
#   quorum_too_small          partition (two "majorities" of one node)
#   proposer_ignore_promised  partition-leader (a new leader must recover
#                             what the old one got accepted)
#   acceptor_forget_silently  kill: a leader elected before every learner
#                             reported re-proposes slots the acceptors forgot;
#                             clients see nothing, the audit of the files does
#   learner_out_of_order, learner_no_dedup   all
#
# Needs `make` and `make mutants` first.  Prints one line per mutant and
# ends with "N passed, N failed" (a mutant never caught is a failure; so is
# a real-build run that is not valid).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 TIME_LIMIT=30
mutants=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --time-limit) TIME_LIMIT=$2; shift 2 ;;
        -h | --help) sed -n '2,20p' "$0"; exit 2 ;;
        *) mutants+=("$1"); shift ;;
    esac
done
[ ${#mutants[@]} -eq 0 ] && mutants=(acceptor_early_reply quorum_too_small proposer_ignore_promised acceptor_forget_silently)

# The jepsen/run options for each build.
options_for() {
    case $1 in
        acceptor_early_reply) echo "--nemesis kill --concurrency 48 --nemesis-interval 2 --disk-latency-ms 10" ;;
        quorum_too_small) echo "--nemesis partition --concurrency 6 --nemesis-interval 3" ;;
        proposer_ignore_promised) echo "--nemesis partition-leader --concurrency 6 --nemesis-interval 3" ;;
        acceptor_forget_silently) echo "--nemesis kill --concurrency 6 --nemesis-interval 3" ;;
        *) echo "--nemesis all --concurrency 6 --nemesis-interval 3" ;;
    esac
}

pass=0 fail=0
LOG=$ROOT/build/test-logs/jepsen-mutants
mkdir -p "$LOG"
for m in real "${mutants[@]}"; do
    if [ "$m" = real ]; then bin=$ROOT/bin; else bin=$ROOT/build/mutants/$m/bin; fi
    opts=$(options_for "$m")
    nem=$(sed -E 's/--nemesis ([a-z-]+).*/\1/' <<<"$opts")
    [ -x "$bin/paxos-node" ] || { echo "FAIL $m: $bin not built (make mutants)"; fail=$((fail + 1)); continue; }
    caught=0 verdicts="" by_history=0 by_audit=0
    for ((r = 1; r <= RUNS; r++)); do
        seed=$((1000 * r + ${#m}))
        # shellcheck disable=SC2086
        timeout $((TIME_LIMIT + 240)) "$ROOT/jepsen/run" test --time-limit "$TIME_LIMIT" \
            $opts --seed "$seed" --bin "$bin" >"$LOG/$m-$r.log" 2>&1
        # Which check saw it: the history (paxos-check) and/or the audit of the files.
        grep -q "history INVALID" "$LOG/$m-$r.log" && by_history=$((by_history + 1))
        grep -q "audit of the cluster's files INVALID" "$LOG/$m-$r.log" && by_audit=$((by_audit + 1))
        if grep -q "Analysis invalid!" "$LOG/$m-$r.log"; then
            caught=$((caught + 1)); verdicts+=" invalid"
        elif grep -q "Everything looks good!" "$LOG/$m-$r.log"; then
            verdicts+=" valid"
        else
            verdicts+=" error"
        fi
    done
    if [ "$m" = real ]; then
        if [ "$caught" -eq 0 ] && ! grep -q ' error' <<<"$verdicts"; then
            echo "PASS real build under $nem: valid in $RUNS of $RUNS runs"; pass=$((pass + 1))
        else
            echo "FAIL real build under $nem:$verdicts (logs in $LOG)"; fail=$((fail + 1))
        fi
    elif [ "$caught" -gt 0 ]; then
        echo "PASS mutant $m under $nem: caught in $caught of $RUNS runs ($verdicts; history $by_history, audit $by_audit )"; pass=$((pass + 1))
    else
        echo "FAIL mutant $m under $nem: never caught in $RUNS runs ($verdicts )"; fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
