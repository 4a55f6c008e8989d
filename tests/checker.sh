#!/usr/bin/env bash
# tests/checker.sh -- tests of paxos-check, the linearizability checker.
#
#   1. every jepsen/checker/tests/histories/*.edn gives its expected verdict;
#      the file's second line says which:  ; expect: valid
#      ; expect: invalid [:anomaly]   ; expect: unknown   ; expect: badinput line N
#      and an optional "; args: ..." line adds command-line options;
#   2. output options (--out, --text) work;
#   3. the EDN reader / loader unit test;
#   4. the cross-check against brute force on random small histories;
#   5. generated medium histories (index and full-list forms) are valid.
#
# Binaries come from the sanitized build (make asan) when it exists, else
# from the release build (make programs unit-tests); each can be overridden:
#   PAXOS_CHECK, PAXOS_CHECK_GEN, CROSSCHECK (paxos-check-crosscheck),
#   EDN_TEST (test_paxos_check_edn); CROSSCHECK_N (5000) sets the count.
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."

if [ -x build/asan/bin/paxos-check ]; then B=build/asan/bin T=build/asan/tests
else B=bin T=build/release/tests; fi
CHECK=${PAXOS_CHECK:-$B/paxos-check}
GEN=${PAXOS_CHECK_GEN:-$B/paxos-check-gen}
CROSS=${CROSSCHECK:-$T/paxos-check-crosscheck}
EDN=${EDN_TEST:-$T/test_paxos_check_edn}
N=${CROSSCHECK_N:-5000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*" >&2; }

need() {
    for b in "$@"; do
        [ -x "$b" ] || { echo "checker.sh: $b missing (make programs unit-tests)" >&2; exit 1; }
    done
}
need "$CHECK" "$GEN" "$CROSS" "$EDN"

# One history file against its "; expect:" line.
run_history() {
    local f=$1 expect args rc out err
    expect=$(sed -n 's/^; expect: *//p' "$f" | head -1)
    args=$(sed -n 's/^; args: *//p' "$f" | head -1)
    out=$TMP/out.edn
    err=$TMP/err.txt
    # shellcheck disable=SC2086
    "$CHECK" $args "$f" >"$out" 2>"$err"
    rc=$?
    set -- $expect
    case $1 in
    valid) [ $rc -eq 0 ] && grep -q ':valid? true' "$out" || { bad "$f: want valid, exit $rc"; return; } ;;
    unknown) [ $rc -eq 2 ] && grep -q ':valid? :unknown' "$out" || { bad "$f: want unknown, exit $rc"; return; } ;;
    invalid)
        [ $rc -eq 1 ] && grep -q ':valid? false' "$out" || { bad "$f: want invalid, exit $rc"; return; }
        if [ $# -ge 2 ] && ! grep -q ":anomaly $2\$" "$out"; then
            bad "$f: want anomaly $2, got $(grep -o ':anomaly .*' "$out")"
            return
        fi ;;
    badinput)
        [ $rc -eq 3 ] || { bad "$f: want exit 3 (bad input), exit $rc"; return; }
        if [ $# -ge 3 ] && ! grep -q ": line $3: " "$err"; then
            bad "$f: want an error at line $3, got: $(cat "$err")"
            return
        fi ;;
    *) bad "$f: no '; expect:' line"; return ;;
    esac
    ok
}

for f in jepsen/checker/tests/histories/*.edn; do
    run_history "$f"
done

# --out writes the EDN there and nothing to stdout; --text prints prose.
H=jepsen/checker/tests/histories/invalid-stale-read.edn
"$CHECK" --quiet --out "$TMP/res.edn" "$H" >"$TMP/stdout" 2>&1
if [ $? -eq 1 ] && grep -q ':anomaly :stale-read' "$TMP/res.edn" && [ ! -s "$TMP/stdout" ]; then ok
else bad "--out"; fi
"$CHECK" --text "$H" >"$TMP/text.txt" 2>/dev/null
if [ $? -eq 1 ] && grep -q 'INVALID' "$TMP/text.txt" && ! grep -q ':valid?' "$TMP/text.txt"; then ok
else bad "--text"; fi
"$CHECK" --bogus >/dev/null 2>&1
if [ $? -eq 3 ]; then ok; else bad "usage error should exit 3"; fi
"$CHECK" --quiet "$TMP/does-not-exist.edn" >/dev/null 2>&1
if [ $? -eq 3 ]; then ok; else bad "missing file should exit 3"; fi

if "$EDN" >"$TMP/edn.txt" 2>&1; then ok; else bad "EDN unit test: $(cat "$TMP/edn.txt")"; fi

if "$CROSS" --n "$N" --seed 1 >"$TMP/cross.txt" 2>&1; then ok
else bad "crosscheck: $(tail -20 "$TMP/cross.txt")"; fi
if "$CROSS" --n $((N / 5 + 1)) --seed 424242 --max-ops 9 --procs 4 >"$TMP/cross2.txt" 2>&1; then ok
else bad "crosscheck (9 ops): $(tail -20 "$TMP/cross2.txt")"; fi
grep -h '^crosscheck:' "$TMP/cross.txt" "$TMP/cross2.txt" 2>/dev/null

"$GEN" --ops 20000 --concurrency 10 --info 3 --seed 7 >"$TMP/gen-index.edn"
if "$CHECK" --quiet "$TMP/gen-index.edn" >/dev/null; then ok; else bad "generated 20k-op index history not valid"; fi
"$GEN" --ops 1500 --concurrency 5 --info 3 --seed 8 --form list >"$TMP/gen-list.edn"
if "$CHECK" --quiet "$TMP/gen-list.edn" >/dev/null; then ok; else bad "generated full-list history not valid"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
