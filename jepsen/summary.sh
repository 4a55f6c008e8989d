#!/usr/bin/env bash
# jepsen/summary.sh RUN_DIR BOUND_S -- after a jepsen/run: how long the
# cluster took to recover after each heal, and how many faults each nemesis
# really injected.  Adds :recovery and :faults to RUN_DIR/results.edn,
# prints a readable summary, and exits 1 if the cluster did not recover
# within BOUND_S after some heal, or if a nemesis that was started never
# fired (a fault that silently did not happen proves nothing).
#
# Inputs: recovery.tsv (paxos-jepsen-client: heal index, the heal's :f, its
# time, the window in ms, the slowest node's ms or -1, each node's ms or
# -1), history.edn (the nemesis's own lines) and logs/ (FAULT lines the
# roles write when a failpoint fires, "removed leftover" when a kill landed
# between writing a file and renaming it).
set -uo pipefail
RUN=${1:?run dir}
BOUND_S=${2:?bound in seconds}
H=$RUN/history.edn
bound_ms=$(awk -v b="$BOUND_S" 'BEGIN { printf "%d", b * 1000 }')
status=0

# ---- recovery ----------------------------------------------------------
# A heal is judged when its window (until the next fault began) was at
# least the bound: no acknowledgement from some node by then exceeds it.
# A shorter window that closed before every node answered is inconclusive.
read -r heals exceeded inconclusive max_ms < <(awk -F'\t' -v b="$bound_ms" '
    { n++; if ($5 >= 0 && $5 > max) max = $5
      if ($5 > b || ($5 < 0 && $4 >= b)) ex++
      else if ($5 < 0) inc++ }
    END { printf "%d %d %d %d\n", n, ex, inc, max }' "$RUN/recovery.tsv" 2>/dev/null || echo "0 0 0 0")
heals=${heals:-0} exceeded=${exceeded:-0} inconclusive=${inconclusive:-0} max_ms=${max_ms:-0}
heal_edn=$(awk -F'\t' -v b="$bound_ms" '{
    nodes = ""; for (i = 6; i <= NF; i++) nodes = nodes (i > 6 ? " " : "") $i
    verdict = ($5 > b || ($5 < 0 && $4 >= b)) ? ":exceeded" : ($5 < 0 ? ":inconclusive" : ":ok")
    sep = NR > 1 ? "\n            " : ""
    printf("%s{:after :%s, :heal-s %s, :window-ms %s, :ms %s, :nodes-ms [%s], :verdict %s}",
           sep, $2, $3, $4, $5, nodes, verdict) }' "$RUN/recovery.tsv")
final_ok=$(awk -F'\t' '$2 == "final-heal" && $5 >= 0 { ok = 1 } END { print ok + 0 }' "$RUN/recovery.tsv" 2>/dev/null || echo 0)
rec_valid=true
if [ "$exceeded" -ne 0 ]; then
    rec_valid=false
    echo "jepsen/run: the cluster did not recover within ${BOUND_S} s after $exceeded of $heals heals"
fi
if grep -q ':process :nemesis' "$H" && [ "$final_ok" -ne 1 ]; then
    rec_valid=false
    echo "jepsen/run: no recovery measured after the final heal"
fi
[ "$rec_valid" = true ] || status=1
echo "jepsen/run: recovery after $heals heals: slowest ${max_ms} ms (bound ${bound_ms} ms), $exceeded exceeded, $inconclusive inconclusive"

# ---- faults ------------------------------------------------------------
nem=$(grep ':process :nemesis' "$H" 2>/dev/null)
count() { grep -c -- "$1" <<<"$nem"; }
# sum_field FILTER WORD: the sum of the numbers after WORD on lines with FILTER
sum_field() { grep -- "$1" <<<"$nem" | grep -o -- "$2 [0-9][0-9]*" | awk '{ s += $NF } END { print s + 0 }'; }
partitions=$(count '"partitioned \[\|"isolated leader\|"ring over\|"bridge ')
oneway=$(count 'hears nobody\|reaches nobody\|one-way ring over')
oneway_cuts=$(grep -E 'hears nobody|reaches nobody|one-way ring over' <<<"$nem" | grep -o '[0-9]>[0-9]' | wc -l)
kills=$(count '"killed nodes')
pauses=$(count '"paused node')
dup=$(sum_field 'send faults off:' 'duplicated')
delayed=$(sum_field 'send faults off:' 'delayed')
reordered=$(sum_field 'send faults off:' 'reordered')
dropped=$(sum_field 'send faults off:' 'dropped')
losses=$(count '"lost the learner')
lost_bytes=$(grep -o 'learner.snap ([0-9]* bytes) deleted' <<<"$nem" | grep -o '[0-9]*' | awk '{ s += $1 } END { print s + 0 }')
storm=$(sum_field 'election storm over:' 'disrupted')
forged=$(sum_field 'forgery over:' 'forged')
fp_lines=$(cat "$RUN"/logs/node*/*.log 2>/dev/null | grep -E 'FAULT failpoint [a-z0-9-]+: (crash|stall|drop)' |
    sed -E 's/.*FAULT failpoint ([a-z0-9-]+): (crash|stall|drop).*/\1 \2/')
fp_total=$(grep -c . <<<"$fp_lines")
# the list-lag nemesis's drops of a gateway's list requests (a failpoint too)
list_drops=$(grep -c '^learner-list-req drop$' <<<"$fp_lines")
fp_edn=$(sort <<<"$fp_lines" | uniq -c | awk 'NF == 3 { sep = n++ ? ", " : ""; printf("%s\"%s %s\" %d", sep, $2, $3, $1) }')
# Every heal of real cuts must show packets they stopped: a rule in the
# wrong place (the wrong namespace, the wrong address) stops nothing.
cut_packets=$(grep -o 'packets the cuts stopped: [0-9]*' <<<"$nem" | awk '{ s += $NF } END { print s + 0 }')
idle_cuts=$(grep -o 'healed [0-9][^(]*(packets the cuts stopped: 0)' <<<"$nem" | grep -c .)
leftovers=$(cat "$RUN"/logs/node*/learner.log "$RUN"/logs/node*/proposer.log 2>/dev/null | grep -c 'removed leftover')
# compaction: snapshots written by the learners, snapshots fetched from a peer
snapshots=$(cat "$RUN"/logs/node*/learner.log 2>/dev/null | grep -c 'snapshot at slot [0-9]* written')
transfers=$(cat "$RUN"/logs/node*/learner.log 2>/dev/null | grep -c 'installed the snapshot at slot')

echo "jepsen/run: faults: partitions $partitions, one-way ($oneway_cuts cuts) $oneway, kills $kills, pauses $pauses," \
    "frames duplicated $dup / delayed $delayed / reordered $reordered / dropped $dropped," \
    "failpoints fired $fp_total${fp_edn:+ ($fp_edn)}, learners lost $losses ($lost_bytes bytes)," \
    "leaders disrupted $storm, forged CHOSENs $forged, list requests dropped $list_drops, half-written files left by a kill $leftovers," \
    "packets stopped by cuts $cut_packets ($idle_cuts heals of cuts that stopped none);" \
    "compaction: $snapshots snapshots written, $transfers fetched from a peer"

# A nemesis started in this run must show at least one fault it injected.
never=""
started() { grep -q -- ":f :$1, :value \"$2\"" <<<"$nem"; }
fired() { [ "$1" -gt 0 ] || never+=" $2"; }
started start-partition partition-oneway && fired "$oneway_cuts" partition-oneway
started start-partition partition-oneway-ring && fired "$oneway_cuts" partition-oneway-ring
started start-dup dup && fired "$((dup + delayed + reordered + dropped))" dup
started start-failpoint failpoint && fired "$((fp_total - list_drops))" failpoint
started lose-learner learner-loss && fired "$losses" learner-loss
started start-storm election-storm && fired "$storm" election-storm
if [ "$idle_cuts" -ne 0 ]; then
    never+=" partition"
    echo "jepsen/run: $idle_cuts heals undid cuts that had stopped no packet"
fi
started start-forge forge && fired "$forged" forge
started start-list-lag list-lag && fired "$list_drops" list-lag
if [ -n "$never" ]; then
    echo "jepsen/run: nemesis never fired:$never (the run proves nothing about it)"
    status=1
fi

# ---- results.edn ---------------------------------------------------------
if [ -f "$RUN/results.edn" ]; then
    tmp=$RUN/results.edn.tmp
    # paxos-check's map, less its closing brace, then ours
    sed '$ s/}[[:space:]]*$//' "$RUN/results.edn" >"$tmp"
    cat >>"$tmp" <<EOF
 :recovery {:valid? $rec_valid, :bound-ms $bound_ms, :max-ms $max_ms, :heals-count $heals,
            :exceeded $exceeded, :inconclusive $inconclusive,
            :heals [$heal_edn]}
 :faults {:partitions $partitions, :oneway-partitions $oneway, :oneway-cuts $oneway_cuts,
          :kills $kills, :pauses $pauses,
          :frames {:duplicated $dup, :delayed $delayed, :reordered $reordered, :dropped $dropped},
          :failpoints-fired $fp_total, :failpoints {$fp_edn},
          :learners-lost $losses, :learner-bytes-lost $lost_bytes, :leaders-disrupted $storm, :forged-chosen $forged, :list-requests-dropped $list_drops,
          :half-written-files $leftovers, :cut-packets $cut_packets, :idle-cuts $idle_cuts, :snapshots-written $snapshots,
          :snapshots-fetched $transfers, :never-fired [$(for k in $never; do printf ':%s ' "$k"; done)]}
}
EOF
    mv "$tmp" "$RUN/results.edn"
fi
exit $status
