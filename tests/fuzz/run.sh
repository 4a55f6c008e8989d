#!/usr/bin/env bash
# Runs the libFuzzer targets (build them first: make fuzz-targets).
#
#   tests/fuzz/run.sh fuzz  [NAME...]   fuzz each for FUZZ_SECONDS (60), one
#                                       at a time, then merge what it found
#                                       into tests/fuzz/corpus/NAME/
#   tests/fuzz/run.sh check [NAME...]   the test suite: replay every corpus
#                                       input, then fuzz FUZZ_CHECK_SECONDS
#                                       (12) into a scratch dir; PASS/FAIL
#                                       lines and "N passed, N failed"
#   tests/fuzz/run.sh coverage [NAME...] line coverage of each parser by its
#                                       corpus (make fuzz-coverage builds it)
#
# NAME is wire, store, store_records, snapshot, config or gateway (default:
# all).  A crash, a sanitizer report, a violated property, a timeout
# (FUZZ_TIMEOUT s for one input, default 10) or a leak fails the target;
# the input is kept in build/fuzz/artifacts/NAME/ and the log in
# build/fuzz/logs/.  FUZZ_BUILD=DIR runs another build of the targets (one
# with a planted bug, say).
#
# Corpus hygiene: a merge only adds inputs that reach new coverage, at most
# max_len bytes each; if a corpus grows past FUZZ_CORPUS_MAX files (300) it
# is minimized again, keeping the hand-made seeds (seed-*) whatever their
# coverage.
set -uo pipefail
cd "$(dirname "$0")/../.."

MODE=${1:-}
shift || true
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(wire store store_records snapshot config gateway)
FUZZ=${FUZZ_BUILD:-build/fuzz}
CORPUS=tests/fuzz/corpus
DICTS=tests/fuzz/dict
TIMEOUT=${FUZZ_TIMEOUT:-10}
CORPUS_MAX=${FUZZ_CORPUS_MAX:-300}
mkdir -p "$FUZZ/logs"
# The log targets' files go in a directory of this run (in memory if
# /dev/shm is there), removed at the end even when a target crashed before
# cleaning up after itself.
TMP_ROOT=/tmp
[ -w /dev/shm ] && TMP_ROOT=/dev/shm
TMPDIR=$(mktemp -d "$TMP_ROOT/px-fuzz-run.XXXXXX") || exit 1
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
# Leaks inside libconfig itself are known and not ours (lsan.supp says why).
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# Largest input worth trying, per target: a whole frame, a few hundred log
# records, snapshots and files of a few KB, the gateway's body limit.
max_len() {
    case $1 in
        wire) echo 32800 ;;
        store) echo 16384 ;;
        snapshot) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

# libFuzzer flags shared by every run of target $1.
common_flags() {
    local f=(-max_len="$(max_len "$1")" -timeout="$TIMEOUT" -rss_limit_mb=2048
             -artifact_prefix="$FUZZ/artifacts/$1/" -print_final_stats=1)
    [ -f "$DICTS/$1.dict" ] && f+=(-dict="$DICTS/$1.dict")
    mkdir -p "$FUZZ/artifacts/$1"
    echo "${f[@]}"
}

# stats LOG: "N execs in S s (E/s), cov C ft F" from libFuzzer's last lines.
stats() {
    local execs eps secs cov ft
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$1" | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$1" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$1" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$1" | tail -n 1 | cut -d' ' -f2)
    echo "${execs:-?} execs in ${secs:-?} s (${eps:-?}/s), cov ${cov:-?} ft ${ft:-?}"
}

# crash_note LOG: the first line saying what went wrong, and the saved input.
crash_note() {
    local what art
    what=$(grep -m 1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz property violated|SUMMARY:' "$1")
    art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$1" | tail -n 1)
    echo "${what:-exited non-zero}${art:+ (input: $art)}"
}

corpus_files() { find "$CORPUS/$1" -type f 2>/dev/null | wc -l; }

# minimize NAME: re-merge the corpus from scratch, seeds always kept.
minimize() {
    local t=$1 bin=$FUZZ/fuzz_$1 min=$FUZZ/min/$1
    rm -rf "$min" && mkdir -p "$min"
    cp "$CORPUS/$t"/seed-* "$min"/ 2>/dev/null || true
    # shellcheck disable=SC2046
    "$bin" -merge=1 $(common_flags "$t") "$min" "$CORPUS/$t" >"$FUZZ/logs/$t.minimize.log" 2>&1 || return 1
    rm -rf "$CORPUS/$t" && mv "$min" "$CORPUS/$t"
}

fuzz_one() {
    local t=$1 bin=$FUZZ/fuzz_$1 work=$FUZZ/work/$1 log=$FUZZ/logs/$1.fuzz.log
    local before after rc
    before=$(corpus_files "$t")
    rm -rf "$work" && mkdir -p "$work" "$CORPUS/$t"
    echo "--- fuzz_$t: ${FUZZ_SECONDS:-60} s on $before corpus inputs (log $log)"
    # New inputs go to the first directory, the scratch one; the corpus is read.
    # shellcheck disable=SC2046
    "$bin" -max_total_time="${FUZZ_SECONDS:-60}" $(common_flags "$t") "$work" "$CORPUS/$t" >"$log" 2>&1
    rc=$?
    # Merge even after a crash: what was found up to it is still coverage.
    # shellcheck disable=SC2046
    "$bin" -merge=1 $(common_flags "$t") "$CORPUS/$t" "$work" >"$FUZZ/logs/$t.merge.log" 2>&1 ||
        echo "    merge failed: see $FUZZ/logs/$t.merge.log"
    [ "$(corpus_files "$t")" -le "$CORPUS_MAX" ] || minimize "$t" ||
        echo "    minimize failed: see $FUZZ/logs/$t.minimize.log"
    after=$(corpus_files "$t")
    if [ "$rc" -eq 0 ]; then
        echo "PASS fuzz_$t: $(stats "$log"), corpus $before -> $after inputs"
    else
        echo "FAIL fuzz_$t: $(crash_note "$log")"
    fi
    return $rc
}

check_one() {
    local t=$1 bin=$FUZZ/fuzz_$1 work=$FUZZ/check/$1 log=$FUZZ/logs/$1.check.log rc=0 n
    local files=()
    mapfile -t files < <(find "$CORPUS/$t" -type f | sort)
    n=${#files[@]}
    if [ "$n" -eq 0 ]; then
        echo "FAIL fuzz_$t corpus: no inputs in $CORPUS/$t"
        rc=1
    # shellcheck disable=SC2046
    elif "$bin" $(common_flags "$t") "${files[@]}" >"$FUZZ/logs/$t.replay.log" 2>&1; then
        echo "PASS fuzz_$t corpus: $n inputs replayed"
    else
        echo "FAIL fuzz_$t corpus: $(crash_note "$FUZZ/logs/$t.replay.log")"
        rc=1
    fi
    rm -rf "$work" && mkdir -p "$work"
    # shellcheck disable=SC2046
    if "$bin" -max_total_time="${FUZZ_CHECK_SECONDS:-12}" $(common_flags "$t") "$work" "$CORPUS/$t" >"$log" 2>&1; then
        echo "PASS fuzz_$t: $(stats "$log")"
    else
        echo "FAIL fuzz_$t: $(crash_note "$log")"
        rc=1
    fi
    rm -rf "$work"
    return $rc
}

# The source files each target is about, for the coverage report.
parser_files() {
    case $1 in
        wire) echo common/wire.c ;;
        store | store_records)
            echo acceptor/store.c acceptor/store_format.c acceptor/store_recover.c acceptor/acceptor.c ;;
        snapshot) echo learner/snapshot.c ;;
        config) echo common/config.c ;;
        gateway) echo gateway/parse.c ;;
    esac
}

coverage_one() {
    local t=$1 bin=$FUZZ/cov/fuzz_$1 raw=$FUZZ/cov/$1.profraw data=$FUZZ/cov/$1.profdata
    local files=()
    mapfile -t files < <(find "$CORPUS/$t" -type f | sort)
    rm -f "$raw"
    LLVM_PROFILE_FILE=$raw "$bin" "${files[@]}" >/dev/null || return 1
    llvm-profdata merge -o "$data" "$raw" || return 1
    echo "--- fuzz_$t: ${#files[@]} corpus inputs"
    # shellcheck disable=SC2046
    llvm-cov report "$bin" -instr-profile="$data" $(parser_files "$t") | sed 's/^/    /'
}

if [ "$MODE" = coverage ]; then
    for t in "${NAMES[@]}"; do coverage_one "$t" || exit 1; done
    exit 0
fi

for t in "${NAMES[@]}"; do
    if [ ! -x "$FUZZ/fuzz_$t" ]; then
        echo "no $FUZZ/fuzz_$t: run make fuzz-targets (needs clang; scripts/install-deps.sh)"
        exit 2
    fi
done

pass=0
fail=0
case $MODE in
    fuzz)
        for t in "${NAMES[@]}"; do
            if fuzz_one "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
        done ;;
    check)
        for t in "${NAMES[@]}"; do
            out=$(check_one "$t")
            echo "$out"
            pass=$((pass + $(grep -c '^PASS' <<<"$out")))
            fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
        done ;;
    *) echo "usage: $0 fuzz|check|coverage [NAME...]"; exit 2 ;;
esac
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
