#!/usr/bin/env bash
# cost.sh [--rounds N] [--duration S] [--warmup S] [--conc "64 1"] [--plain] BIN_A [BIN_B]
#
# What an append costs a paxos-c cluster, and two builds side by side.
# For each bin dir it starts a 3-node cluster (fsync on, TLS between nodes
# unless --plain, the integration tests' timings and port slots), then
# alternates runs A B A B ... at each concurrency, so a burst of noise on
# this shared machine hits both builds.  Every run is one bin/paxos-bench
# (closed loop, POST /append?list=false; c=1 at a follower's gateway, other
# concurrencies spread over the three gateways), and over its measured
# window the script reads, for every process of that cluster (supervisors
# and roles):
#   CPU        utime + stime from /proc/PID/stat          -> us per append
#   switches   voluntary + nonvoluntary context switches of every thread,
#              /proc/PID/task/*/status                     -> per append
#   messages   the roles' `sent` counters (GET /roles/<role> and the
#              gateway's /status on each node): nng messages each role sent
#              to each other role                          -> per append
# Prints one line per run, then per concurrency the mean of each build and
# the ratio B / A.  Compare ratios within one run of the script; absolute
# numbers move with the machine's other load.
#
#   bench/cost.sh bin                         # one build
#   bench/cost.sh /tmp/old-bin bin            # old against new
#
# Bounded: rounds x builds x concurrencies x (warmup + duration + 3 s + readings),
# about 2.5 minutes with the defaults and two builds.  Clusters are
# stopped and their temp dirs removed on any exit.  COST_DEBUG=1 logs the
# raw `sent` readings of every run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=2
DUR=5
WARM=1
CONC="64 1"
TLS=true
SLACK=3
usage() {
    echo "usage: $0 [--rounds N] [--duration S] [--warmup S] [--conc \"64 1\"] [--plain] BIN_A [BIN_B]" >&2
    exit 2
}
BINS=()
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) [ $# -ge 2 ] || usage; ROUNDS=$2; shift 2 ;;
    --duration) [ $# -ge 2 ] || usage; DUR=$2; shift 2 ;;
    --warmup) [ $# -ge 2 ] || usage; WARM=$2; shift 2 ;;
    --conc) [ $# -ge 2 ] || usage; CONC=$2; shift 2 ;;
    --plain) TLS=false; shift ;;
    -*) usage ;;
    *) BINS+=("$(cd "$1" && pwd)"); shift ;;
    esac
done
if [ ${#BINS[@]} -lt 1 ] || [ ${#BINS[@]} -gt 2 ]; then usage; fi
command -v jq >/dev/null || { echo "$0: jq is needed" >&2; exit 1; }

log() { echo "[cost] $*" >&2; }
now_ms() { date +%s%3N; }

TMP=$(mktemp -d /tmp/pxcost.XXXXXX) # short: ipc socket paths live under it
SLOT_FDS=()
cleanup() {
    local rc=$? s p
    set +e
    for s in "${!BINS[@]}"; do
        [ -f "$TMP/c$s/cluster.cfg" ] &&
            PAXOS_BIN=${BINS[$s]} "$ROOT/scripts/stop-cluster.sh" --config "$TMP/c$s/cluster.cfg" \
                >/dev/null 2>&1
    done
    # shellcheck disable=SC2013 # one pid per file
    for p in $(cat "$TMP"/c*/data/node*/pids/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port slot, the same locks the integration tests take.
# shellcheck source=tests/integration/slot.sh
source "$ROOT/tests/integration/slot.sh"
reserve_ports() {
    px_reserve_slot || { log "no free port slot"; exit 1; }
    SLOT_PORT=$PX_SLOT_PORT
    SLOT_FDS+=("$PX_SLOT_FD")
}

# start_cluster S: cluster S (of BINS[S]) in $TMP/cS, ports in PORT[S].
declare -A PORT
start_cluster() {
    local s=$1 dir=$TMP/c$1 i sep fd
    mkdir -p "$dir"
    reserve_ports
    PORT[$s]=$SLOT_PORT
    {
        echo "cluster_id = $((50 + s));"
        echo "data_dir = \"$dir/data\";"
        echo "heartbeat_ms = 50;"
        echo "election_timeout_min_ms = 300;"
        echo "election_timeout_max_ms = 600;"
        echo "retransmit_ms = 100;"
        echo "fsync = true;"
        echo "tls = $TLS;"
        echo "nodes = ("
        for i in 1 2 3; do
            sep=","; [ "$i" -eq 3 ] && sep=""
            echo "  { id = $i; host = \"127.0.0.$i\"; gateway_port = $((SLOT_PORT + i));" \
                "acceptor_port = $((SLOT_PORT + 10 + i)); proposer_port = $((SLOT_PORT + 20 + i));" \
                "learner_port = $((SLOT_PORT + 30 + i)); }$sep"
        done
        echo ");"
    } >"$dir/cluster.cfg"
    PAXOS_BIN=${BINS[$s]} "$ROOT/scripts/make-certs.sh" --config "$dir/cluster.cfg" \
        >"$dir/make-certs.log" 2>&1 || { log "make-certs.sh failed"; exit 1; }
    for i in 1 2 3; do
        # the slot locks stay with this shell, not with the daemons
        local close=""
        for fd in "${SLOT_FDS[@]}"; do close+=" $fd>&-"; done
        eval "PAXOS_BIN=\${BINS[\$s]} \"\$ROOT/scripts/start-node.sh\" \"\$i\" --config \"\$dir/cluster.cfg\" >/dev/null $close"
    done
    local deadline=$(($(now_ms) + 30000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        if curl -s -m 2 -X POST "http://127.0.0.1:$((SLOT_PORT + 1))/append?list=false" \
            -d '{"value":0}' | grep -q index; then
            log "cluster $s (${BINS[$s]}) ready, gateways 127.0.0.1-3:$((SLOT_PORT + 1))-$((SLOT_PORT + 3))"
            return 0
        fi
        sleep 0.2
    done
    log "cluster $s not ready in 30 s"; exit 1
}

gw() { echo "127.0.0.$2:$((PORT[$1] + $2))"; }
pids_of() { cat "$TMP/c$1"/data/node*/pids/*.pid 2>/dev/null; }

# leader_of S: the leader node as node 1's gateway names it.
leader_of() {
    curl -s -m 2 "http://$(gw "$1" 1)/status" | jq -r '.leader // empty' 2>/dev/null || true
}

# counters S: "cpu_ticks switches" over every process and thread of cluster S.
counters() {
    local p f ticks=0 cs=0 t
    for p in $(pids_of "$1"); do
        f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        f=${f##*) } # after "(comm) ": field 3 on
        # shellcheck disable=SC2086
        set -- $f
        ticks=$((ticks + ${12} + ${13})) # fields 14 and 15: utime, stime
        t=$(cat /proc/"$p"/task/*/status 2>/dev/null |
            awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }')
        cs=$((cs + t))
    done
    echo "$ticks $cs"
}

# sent S: one JSON object {"<from>":{"<to>":messages,...},...} summed over
# the three nodes (a node that does not answer counts nothing).  One curl
# and one jq: this runs inside the measured span.
sent() {
    local i r urls=()
    for i in 1 2 3; do
        for r in acceptor proposer learner; do urls+=("http://$(gw "$1" "$i")/roles/$r"); done
        urls+=("http://$(gw "$1" "$i")/status")
    done
    curl -s -m 2 "${urls[@]}" | jq -cs '
        def role: if has("decided_by_votes") then "learner" elif has("commands_per_slot")
                  then "proposer" elif has("fsync_seconds") then "acceptor" else "gateway" end;
        reduce (.[] | select(type == "object") | {(role): (.sent // {} | map_values(.messages))})
            as $o ({}; reduce ($o | to_entries[]) as $f (.;
                reduce ($f.value | to_entries[]) as $t (.; .[$f.key][$t.key] += $t.value)))'
}

# run S C: one bench run; appends a JSON line to $TMP/results.
run() {
    local s=$1 c=$2 targets leader f bpid a b ma mb out hz
    if [ "$c" -eq 1 ]; then
        leader=$(leader_of "$s")
        f=1; [ "$leader" = 1 ] && f=2
        targets=$(gw "$s" "$f")
    else
        targets="$(gw "$s" 1),$(gw "$s" 2),$(gw "$s" 3)"
    fi
    timeout $((WARM + DUR + SLACK + 60)) "${BINS[$s]}/paxos-bench" --target-kind paxos --targets "$targets" \
        --concurrency "$c" --duration "$((DUR + SLACK))" --warmup "$WARM" --list-mode index --json \
        >"$TMP/run.json" &
    bpid=$!
    sleep "$WARM"
    # each pair of readings is divided by the appends of its own span (the
    # bench's rate times the span), which lies inside the bench's window:
    # it runs SLACK seconds longer than DUR for the readings themselves
    local m0 m1 c0 c1
    m0=$(now_ms); ma=$(sent "$s")
    c0=$(now_ms); a=$(counters "$s")
    sleep "$DUR"
    c1=$(now_ms); b=$(counters "$s")
    m1=$(now_ms); mb=$(sent "$s")
    wait "$bpid" || { log "build $s c=$c: paxos-bench failed"; return 0; }
    hz=$(getconf CLK_TCK)
    out=$(jq -c --argjson s "$s" --argjson c "$c" --argjson cspan "$((c1 - c0))" --argjson mspan "$((m1 - m0))" --argjson hz "$hz" \
        --argjson t0 "${a% *}" --argjson t1 "${b% *}" --argjson x0 "${a#* }" --argjson x1 "${b#* }" \
        --argjson ma "$ma" --argjson mb "$mb" '
        (.throughput * $cspan / 1000) as $ops | (.throughput * $mspan / 1000) as $mops |
        {build: $s, concurrency: $c, throughput, p50_ms, p99_ms, errors,
         cpu_us: (if $ops > 0 then (($t1 - $t0) / $hz * 1e6) / $ops else null end),
         switches: (if $ops > 0 then ($x1 - $x0) / $ops else null end),
         msgs: (if $mops > 0 then ($mb | to_entries | map({key,
                  value: (.key as $f | .value | to_entries | map({key,
                          value: ((.value - ($ma[$f][.key] // 0)) / $mops)}) | from_entries)})
                  | from_entries) else null end)}' "$TMP/run.json")
    echo "$out" >>"$TMP/results"
    [ -z "${COST_DEBUG:-}" ] || log "sent before $ma after $mb spans ${cspan:-} $((m1 - m0)) $((c1 - c0))"
    log "$(jq -r '"build \(.build) c=\(.concurrency): \(.throughput|floor) appends/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, \(.cpu_us|floor) us CPU/append, \(.switches*10|floor/10) switches/append, errors \(.errors)"' <<<"$out")"
}

# report: per concurrency, each build's mean and the ratio B / A.
report() {
    jq -rs --arg conc "$CONC" --argjson nb "${#BINS[@]}" '
        def mean(f): (map(f) | map(select(. != null))) as $v |
            if ($v | length) == 0 then null else ($v | add / length) end;
        def fmt(x): if x == null then "-" else (x * 100 | round / 100 | tostring) end;
        def ratio(a; b): if a == null or b == null or a == 0 then "-" else fmt(b / a) + " x" end;
        . as $all |
        ($conc | split(" ") | map(select(. != "") | tonumber))[] as $c |
        [range($nb) as $s | $all | map(select(.build == $s and .concurrency == $c))] as $by |
        [$by[] | {thr: mean(.throughput), p50: mean(.p50_ms), p99: mean(.p99_ms),
                  cpu: mean(.cpu_us), sw: mean(.switches),
                  msgs: (map(.msgs | to_entries[] | .key as $f | .value | to_entries[] |
                             {k: "\($f)->\(.key)", v: .value}) | group_by(.k) |
                         map({key: .[0].k, value: (map(.v) | add / length)}) | from_entries)}] as $m |
        "\nc=\($c)" + (if $nb == 2 then "        A          B          B/A" else "        A" end),
        ((["appends/s", "thr"], ["p50 ms", "p50"], ["p99 ms", "p99"], ["CPU us/append", "cpu"],
          ["switches/append", "sw"]) as [$name, $k] |
            "  \($name): " + ([$m[] | fmt(.[$k])] | join("  ")) +
            (if $nb == 2 then "  " + ratio($m[0][$k]; $m[1][$k]) else "" end)),
        "  nng messages/append: " + ([$m[] | fmt(.msgs | add)] | join("  ")) +
            (if $nb == 2 then "  " + ratio($m[0].msgs | add; $m[1].msgs | add) else "" end),
        "  nng messages per append, by hop:",
        (([$m[] | .msgs | keys[]] | unique)[] as $h |
            "    \($h): " + ([$m[] | fmt(.msgs[$h])] | join("  ")) +
            (if $nb == 2 then "  " + ratio($m[0].msgs[$h]; $m[1].msgs[$h]) else "" end))
        ' "$TMP/results"
}

main() {
    local s r c
    : >"$TMP/results"
    for s in "${!BINS[@]}"; do start_cluster "$s"; done
    log "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); tls = $TLS; concurrency $CONC;" \
        "$ROUNDS rounds of ${WARM}s warmup + ${DUR}s per build"
    for c in $CONC; do
        for ((r = 0; r < ROUNDS; r++)); do
            for s in "${!BINS[@]}"; do run "$s" "$c"; done
        done
    done
    report
}
main
