#!/usr/bin/env bash
# sim.sh -- a batch of simulator seeds, split over one process per CPU.
#
#   tests/sim.sh [SEEDS3 [SEEDS5]]   default 10000 seeds with 3 nodes and
#                                    2000 with 5 nodes
#   SIM=path/to/paxos-sim tests/sim.sh   another build (default bin/paxos-sim)
#   JOBS=N                               processes (default nproc)
#
# Prints each failing seed with its invariant (replay one with
# bin/paxos-sim --seed S [--nodes 5] -v), the speed, and last
# "N passed, N failed"; exits non-zero if any seed failed.
set -uo pipefail
cd "$(dirname "$0")/.."

SIM=${SIM:-bin/paxos-sim}
SEEDS3=${1:-10000}
SEEDS5=${2:-2000}
JOBS=${JOBS:-$(nproc)}
[ "$JOBS" -ge 1 ] || JOBS=1
if [ ! -x "$SIM" ]; then
    echo "sim.sh: $SIM not built (run make)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run_batch NODES COUNT: seeds 1..COUNT split into JOBS contiguous ranges.
run_batch() {
    local nodes=$1 count=$2 j lo hi per
    [ "$count" -gt 0 ] || return 0
    per=$(( (count + JOBS - 1) / JOBS ))
    for ((j = 0; j < JOBS; j++)); do
        lo=$((j * per + 1))
        hi=$(( (j + 1) * per < count ? (j + 1) * per : count ))
        [ "$lo" -le "$hi" ] || continue
        "$SIM" --seeds "$lo-$hi" --nodes "$nodes" --quiet >"$tmp/n$nodes.$j.log" 2>&1 &
    done
}

start=$(date +%s.%N)
run_batch 3 "$SEEDS3"
run_batch 5 "$SEEDS5"
wait
secs=$(echo "$(date +%s.%N) - $start" | bc)

passed=0
failed=0
for log in "$tmp"/*.log; do
    grep -E '^FAIL seed' "$log" | sed "s/^/$(basename "$log" .log | cut -d. -f1) /"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "sim.sh: $(basename "$log") ended without a summary:" && tail -n 5 "$log"
        failed=$((failed + 1))
        continue
    fi
    passed=$((passed + $(sed -E 's/([0-9]+) passed.*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
done
total=$((passed + failed))
echo "$total seeds ($SEEDS3 with 3 nodes, $SEEDS5 with 5) on $JOBS processes in ${secs%.*} s:" \
     "$(echo "scale=0; $total / $secs" | bc) seeds/s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
