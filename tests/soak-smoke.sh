#!/usr/bin/env bash
# soak-smoke.sh -- bench/soak.sh in small, for the test suite (under a minute):
# 20,000 appends with a kill -9 of a random role every 4,000, then the same
# checks as the full soak (every node's list equal, complete and free of
# duplicates; every line flat), plus: the flatness verdict's self-test
# passes (it must fail on synthetic growth), the run sampled and killed what
# it says, and the three plots are PNG files.
#
# Prints "PASS soak-smoke" or "FAIL soak-smoke: why" (the run's output and
# directory are kept on failure).  Builds nothing: run make first.
#   PAXOS_BIN=DIR   binaries to test (default bin/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d /tmp/pxsoak-smoke.XXXXXX)
RESULT=1
trap '[ "$RESULT" -eq 0 ] && rm -rf "$OUT"' EXIT

fail() {
    echo "FAIL soak-smoke: $*"
    echo "  [soak-smoke] output and plots kept in $OUT"
    exit 1
}

# 1. The verdict can fail: synthetic growth must be NOT FLAT, flat data FLAT.
bash "$ROOT/bench/soak.sh" --self-test >"$OUT/self-test.txt" 2>&1 ||
    fail "verdict self-test: $(grep -v '^self-test ok' "$OUT/self-test.txt" | head -n 3 | tr '\n' ' ')"

# 2. The run.  Port base 7500: clear of a full soak on 7400, the default
# cluster and the integration tests' slots.  Seed 4 kills, in order, n2's
# acceptor, n1's proposer, n1's gateway and n1's learner: every role once.
rc=0
timeout 150 bash "$ROOT/bench/soak.sh" --appends 20000 --kill-every 4000 --concurrency 32 \
    --interval 0.5 --timeout 90 --port-base 7500 --seed 4 --out "$OUT" \
    ${PAXOS_BIN:+--bin "$PAXOS_BIN"} >"$OUT/soak.txt" 2>&1 || rc=$?
last=$(tail -n 1 "$OUT/soak.txt")
[ "$rc" -eq 0 ] || fail "soak.sh exited $rc: $last"
[[ $last == "soak: PASS "* ]] || fail "no PASS line: $last"

# 3. It did what it reports.
rows=$(($(wc -l <"$OUT/samples.tsv") - 1))
[ "$rows" -ge 8 ] || fail "only $rows samples"
kills=$(awk -F'\t' 'NR > 1 && $5 != "-"' "$OUT/kills.tsv" | wc -l)
[ "$kills" -ge 3 ] || fail "only $kills of 4 kills happened"
judged=$(grep -Ec '^(flat|NOT FLAT) ' "$OUT/verdict.txt" || true)
[ "$judged" -eq 18 ] || fail "the verdict judged $judged lines, not 15 processes and 3 disks"
for p in rss disk throughput; do
    [ "$(head -c 4 "$OUT/$p.png" 2>/dev/null | od -An -c | tr -d ' ')" = '211PNG' ] ||
        fail "$p.png is not a PNG"
done
RESULT=0
echo "PASS soak-smoke ($(sed -n 's/^soak: PASS (\(.*\); out .*/\1/p' <<<"$last"))"
