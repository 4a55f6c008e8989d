#!/usr/bin/env bash
# jepsen/mutants.sh [options] [BUILD...] -- the proof of power: runs
# jepsen/run against every planted bug (the Makefile's MUTANTS, built by
# `make mutants` into build/mutants/NAME/bin) and against the real build
# (bin/), and prints which runs each check caught.
#
#   --runs N          runs per mutant (default 3)
#   --real-runs N     runs of the real build (default 20), spread over
#                     the nemeses in REAL_NEMESES below
#   --time-limit S    seconds of load per run (default 60)
#   --nemesis K       the nemesis for mutant runs (default all)
#   --log DIR         where logs and results.tsv go (default
#                     build/test-logs/jepsen-mutants)
#   --deadline MIN    start no run after MIN minutes (default: none); the
#                     table then shows the runs done
#   --fresh           forget the runs already in DIR/results.tsv (by
#                     default a run recorded there is not run again, so an
#                     interrupted campaign resumes where it stopped)
#   BUILD...          only these mutants (and "real" for the real build)
#
# One run at a time (a Jepsen run wants the machine's cores), each bounded
# by `timeout`.  Mutant runs and real-build runs are interleaved so a
# campaign cut short by --deadline has a fair sample of both; a mutant
# whose verdict the runs recorded so far already settle (caught in 2 of 3,
# or missed in 2 of 3) has its remaining runs moved to the end.  A file
# DIR/stop makes the campaign stop before its next run.  Every run records
# the 1-minute load average before and after it.
#
# A mutant run is caught when jepsen/run says "Analysis invalid!"; the
# table names every check that saw it: history (paxos-check found the
# history not linearizable), final (the final reads disagree or are
# missing), recovery (some node acknowledged nothing within the bound after
# a heal), nemesis (a nemesis step failed or never fired) and audit
# (bin/paxos-audit found a violation in the cluster's files).
#
# Passes when every mutant is caught in at least 2 of 3 (2/3 of --runs) and
# every real-build run is valid; ends with "N passed, N failed".  Needs
# root, `make` and `make mutants` first.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 REAL_RUNS=20 TIME_LIMIT=60 NEMESIS=all DEADLINE_MIN=0 FRESH=0
LOG=$ROOT/build/test-logs/jepsen-mutants
# The real build's runs cycle through these: `all` most often, then every
# nemesis on its own (partition-oneway-ring has its own test in
# tests/run-all.sh jepsen).
REAL_NEMESES=(all partition dup failpoint learner-loss election-storm partition-oneway kill
              all pause partition-leader partition-ring bridge list-lag all
              "partition-leader --snapshot-every 4096" forge)
# Mutants that run under another nemesis than --nemesis, because `all`
# deals the one fault that exposes them in about half of its runs only
# (6 rounds of 13 kinds in 60 s):
#  - durability bugs show only when a majority of acceptors loses a batch
#    it answered for: a power cut (every acceptor crashes at its fsync,
#    then every node is killed), which `kill` deals one time in five and
#    `power-cut` every round;
#  - a duplicated promise counted twice wins an election only for a node
#    that hears no other acceptor: `dup` cuts a node off half the time;
#  - a slot whose acceptors hold values of different ballots, which the
#    next leader must choose between: an isolated leader's own acceptor
#    holds its votes, the majority chose other values there at a higher
#    ballot, and the old leader comes back (`partition-leader`'s comeback
#    heal) before the majority trimmed those slots, which --snapshot-every
#    16 does at once; 4096 is cluster.cfg's default;
#  - a read whose list the gateway's copy lacks until its deadline:
#    `list-lag`.
# The words after the nemesis are more options of jepsen/run.
declare -A NEMESIS_FOR=(
    [acceptor_early_reply]=power-cut
    [acceptor_sync_every_other]=power-cut
    [proposer_dup_promise]=dup
    [proposer_lowest_vballot]="partition-leader --snapshot-every 4096"
    [gateway_read_short]=list-lag
)
only=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --real-runs) REAL_RUNS=$2; shift 2 ;;
        --time-limit) TIME_LIMIT=$2; shift 2 ;;
        --nemesis) NEMESIS=$2; shift 2 ;;
        --log) LOG=$2; shift 2 ;;
        --deadline) DEADLINE_MIN=$2; shift 2 ;;
        --fresh) FRESH=1; shift ;;
        -h | --help) sed -n '2,39p' "$0"; exit 2 ;;
        -*) echo "jepsen/mutants.sh: unknown option $1" >&2; exit 2 ;;
        *) only+=("$1"); shift ;;
    esac
done
for v in "$RUNS" "$REAL_RUNS" "$TIME_LIMIT" "$DEADLINE_MIN"; do
    [[ $v =~ ^[0-9]+$ ]] || { echo "jepsen/mutants.sh: counts and times are whole numbers" >&2; exit 2; }
done

mutants=$(make --no-print-directory -s -C "$ROOT" -f Makefile -f - print-mutants <<<'print-mutants: ; @echo $(MUTANTS)')
if [ ${#only[@]} -gt 0 ]; then
    want=" ${only[*]} " sel=""
    for m in $mutants; do [[ $want == *" $m "* ]] && sel+="$m "; done
    for b in "${only[@]}"; do
        [ "$b" = real ] || [[ " $mutants " == *" $b "* ]] || { echo "jepsen/mutants.sh: no mutant $b in the Makefile" >&2; exit 2; }
    done
    mutants=$sel
    [[ $want == *" real "* ]] || REAL_RUNS=0
fi

mkdir -p "$LOG"
RESULTS=$LOG/results.tsv
[ "$FRESH" -eq 1 ] && rm -f "$RESULTS"
[ -f "$RESULTS" ] || printf 'build\trun\tnemesis\tseed\tload_before\tload_after\tseconds\tverdict\tcaught_by\n' >"$RESULTS"

# The jobs, "BUILD RUN NEMESIS": round r runs every mutant once; the real
# build's runs are spread evenly among them.
jobs=()
n_mut=$(wc -w <<<"$mutants")
total=$((n_mut * RUNS))
k=0 real_done=0
for ((r = 1; r <= RUNS; r++)); do
    for m in $mutants; do
        jobs+=("$m $r ${NEMESIS_FOR[$m]:-$NEMESIS}")
        k=$((k + 1))
        while [ "$real_done" -lt "$REAL_RUNS" ] && [ $((real_done * total)) -lt $((k * REAL_RUNS)) ]; do
            real_done=$((real_done + 1))
            jobs+=("real $real_done ${REAL_NEMESES[$(((real_done - 1) % ${#REAL_NEMESES[@]}))]}")
        done
    done
done
for ((; real_done < REAL_RUNS; )); do
    real_done=$((real_done + 1))
    jobs+=("real $real_done ${REAL_NEMESES[$(((real_done - 1) % ${#REAL_NEMESES[@]}))]}")
done

# Mutants the recorded runs already settle: caught in at least 2/3 of RUNS,
# or missed in more than 1/3 of them.
need=$(((2 * RUNS + 2) / 3))
settled=" $(awk -F'\t' -v need="$need" -v runs="$RUNS" '
    NR > 1 && $1 != "real" { n[$1]++; if ($8 == "invalid") c[$1]++ }
    END { for (m in n) if (c[m] >= need || n[m] - c[m] > runs - need) printf("%s ", m) }' "$RESULTS") "
early=() late=()
for job in "${jobs[@]}"; do
    read -r b _ <<<"$job"
    if [ "$b" != real ] && [[ $settled == *" $b "* ]]; then late+=("$job"); else early+=("$job"); fi
done
jobs=("${early[@]}" "${late[@]}")

load1() { cut -d' ' -f1 /proc/loadavg; }

# Which checks a run's log shows failing (space-separated, "-" for none).
caught_by() {
    local f=$1 by=""
    grep -q "history INVALID" "$f" && by+="history "
    grep -q "final reads disagree or missing" "$f" && by+="final "
    grep -qE "did not recover within|no recovery measured after the final heal" "$f" && by+="recovery "
    grep -qE "the nemesis failed|nemesis never fired" "$f" && by+="nemesis "
    grep -q "audit of the cluster's files INVALID" "$f" && by+="audit "
    by=${by% }
    echo "${by:--}"
}

start=$(date +%s)
for job in "${jobs[@]}"; do
    read -r b r nem <<<"$job"
    read -r -a nem_args <<<"$nem"
    if [ "$DEADLINE_MIN" -gt 0 ] && [ $(($(date +%s) - start)) -ge $((DEADLINE_MIN * 60)) ]; then
        echo "jepsen/mutants.sh: deadline of $DEADLINE_MIN min reached, no more runs"
        break
    fi
    [ -e "$LOG/stop" ] && { echo "jepsen/mutants.sh: $LOG/stop exists, no more runs"; break; }
    awk -F'\t' -v b="$b" -v r="$r" '$1 == b && $2 == r { f = 1 } END { exit !f }' "$RESULTS" && continue
    if [ "$b" = real ]; then bin=$ROOT/bin; else bin=$ROOT/build/mutants/$b/bin; fi
    [ -x "$bin/paxos-node" ] || { echo "jepsen/mutants.sh: $bin is not built (make mutants)" >&2; exit 2; }
    seed=$((1000 * r + $(cksum <<<"$b" | cut -c1-3)))
    out=$LOG/$b-$r.log
    lb=$(load1) t0=$(date +%s)
    timeout -k 30 $((TIME_LIMIT + 300)) "$ROOT/jepsen/run" test --time-limit "$TIME_LIMIT" \
        --nemesis "${nem_args[@]}" --seed "$seed" --bin "$bin" --store "$LOG/store" >"$out" 2>&1
    secs=$(($(date +%s) - t0)) la=$(load1)
    if grep -q "Analysis invalid!" "$out"; then verdict=invalid
    elif grep -q "Everything looks good!" "$out"; then verdict=valid
    else verdict=error; fi
    by=$(caught_by "$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$b" "$r" "$nem" "$seed" "$lb" "$la" "$secs" \
        "$verdict" "$by" >>"$RESULTS"
    echo "$(date +%T) $b run $r ($nem, seed $seed, load $lb -> $la, ${secs}s): $verdict ${by}"
    # Keep the files of runs that failed only: a valid run's are large.
    rundir=$(sed -nE 's/^jepsen\/run: results in (.*)$/\1/p' "$out" | head -n 1)
    [ "$verdict" = valid ] && [ -n "$rundir" ] && [ -d "$rundir" ] && rm -rf "$rundir"
done

# The table, from every run recorded (this campaign's and earlier ones).
echo
echo "| build | runs | caught | by check | nemeses | load (1 min) |"
echo "|---|---|---|---|---|---|"
pass=0 fail=0
# the real build's row when it was asked for or has runs recorded (a
# campaign of some mutants only does not fail for lack of real runs)
builds=$mutants
if [ "$REAL_RUNS" -gt 0 ] || awk -F'\t' 'NR > 1 && $1 == "real" { f = 1 } END { exit !f }' "$RESULTS"; then
    builds+=" real"
fi
for b in $builds; do
    awk -F'\t' -v b="$b" -v need="$need" '
        NR > 1 && $1 == b { n++; if ($8 == "invalid") c++; if ($8 == "error") e++
            split($9, w, " "); for (i in w) if (w[i] != "-") by[w[i]]++
            nem[$3]++; if (lo == "" || $5 < lo) lo = $5; if ($5 > hi) hi = $5 }
        END {
            if (n == 0) { printf("| %s | 0 | not run | | | |\n", b); exit 3 }
            s = ""; for (k in by) s = s (s == "" ? "" : ", ") k " " by[k]
            ns = ""; for (k in nem) ns = ns (ns == "" ? "" : ", ") k (nem[k] > 1 ? " x" nem[k] : "")
            what = b == "real" ? sprintf("valid %d of %d", n - c - e, n) : sprintf("%d of %d", c, n)
            if (e) what = what sprintf(" (%d errors)", e)
            printf("| %s | %d | %s | %s | %s | %s-%s |\n", b, n, what, s == "" ? "-" : s, ns, lo, hi)
            if (b == "real") exit (c + e == 0 ? 0 : 1)
            exit (c >= need ? 0 : 1) }' "$RESULTS"
    case $? in 0) pass=$((pass + 1)) ;; *) fail=$((fail + 1)) ;; esac
done
echo
echo "logs and results.tsv in $LOG"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
