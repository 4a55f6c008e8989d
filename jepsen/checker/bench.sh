#!/usr/bin/env bash
# jepsen/checker/bench.sh -- how fast is paxos-check on big histories?
#
#   jepsen/checker/bench.sh [OPS]       (default 1000000)
#
# Generates an index-form history of OPS ops (concurrency 10, 2% :info) and
# a smaller full-list one, checks each under /usr/bin/time -v (Debian
# package "time") and prints wall time, CPU time and max RSS.  Not a
# pass/fail test: timings depend on the machine and its load.
set -euo pipefail
cd "$(dirname "$0")/../.."
OPS=${1:-1000000}
BIN=${BINDIR:-bin}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

bench() { # NAME FILE
    local name=$1 file=$2 rc=0
    "$TIME" -v "$BIN/paxos-check" --quiet --out "$TMP/result.edn" "$file" 2>"$TMP/time.txt" || rc=$?
    printf '%-28s %9s bytes  exit %d  wall %6ss  user %6ss  sys %5ss  max RSS %7s KB  %s\n' \
        "$name" "$(stat -c %s "$file")" "$rc" \
        "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$TMP/time.txt")" \
        "$(sed -n 's/.*User time (seconds): //p' "$TMP/time.txt")" \
        "$(sed -n 's/.*System time (seconds): //p' "$TMP/time.txt")" \
        "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/time.txt")" \
        "$(grep -o ':method "[^"]*"' "$TMP/result.edn")"
}

"$BIN/paxos-check-gen" --ops "$OPS" --concurrency 10 --info 2 --seed 1 >"$TMP/index.edn"
bench "index form, $OPS ops" "$TMP/index.edn"
"$BIN/paxos-check-gen" --ops 5000 --concurrency 10 --info 2 --seed 2 --form list >"$TMP/list.edn"
bench "full lists, 5000 ops" "$TMP/list.edn"
