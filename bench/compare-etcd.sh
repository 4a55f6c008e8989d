#!/usr/bin/env bash
# compare-etcd.sh [--quick] [--only paxos|etcd] [--security tls|plain|both]
#
# The same closed-loop workload (every op one durable write of a fresh
# value / key, over HTTP/1.1 keep-alive, clients spread over 3 endpoints)
# against a 3-member etcd 3.4 (its HTTP/JSON gateway, POST /v3/kv/put,
# default durability) and against a default-shaped 3-node paxos-c cluster
# (fsync on, its own temp config and data dir, ports from a free
# integration-test slot), at 1, 16, 64 and 256 clients (--quick: 1 and 64,
# short runs).
#
# Security is compared like for like: our default, mutual TLS between
# nodes, against etcd with --peer-auto-tls (on 127.0.0.11-13); and, with
# --security both (the default) also plaintext against plaintext (paxos-c
# with tls = false, etcd with http:// peers on 127.0.0.21-23).  Runs
# alternate between the sides at each concurrency so a burst of machine
# noise hits all of them; each side's figure is the mean of its runs.  All
# clusters are stopped and their data removed on any exit.
#
# Prints a table per pair of throughput and p99 with ratios (ours /
# etcd's), the cost of TLS for each system (plain / tls throughput), then
#   cpu per append c=64: N us        (every paxos-c process's CPU, from
#                                     /proc, over the measured window of
#                                     the TLS c=64 runs, per append)
#   ratio c=1 p50: N.NN x            (TLS pair)
# and last, from the TLS pair, exactly
#   ratio c=64: throughput N.NN x, p99 N.NN x
# Bounded: a full run takes about 10 minutes (5 with --security tls),
# --quick about 3.
#
#   COMPARE_CONC="1 64"   concurrencies (must include 64 for the last line)
#   COMPARE_DURATION=S    measured seconds per run   (default 12, quick 4)
#   COMPARE_WARMUP=S      warmup seconds per run     (default 3, quick 1)
#   COMPARE_ROUNDS=N      A B pairs per concurrency  (default 2)
#   PAXOS_BIN=DIR         binaries (default bin/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PAXOS_BIN:-$ROOT/bin}
QUICK=0
ONLY=""
SECURITY=both
usage() { echo "usage: $0 [--quick] [--only paxos|etcd] [--security tls|plain|both]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1; shift ;;
    --only) [ $# -ge 2 ] || usage; ONLY=$2; shift 2 ;;
    --security) [ $# -ge 2 ] || usage; SECURITY=$2; shift 2 ;;
    *) usage ;;
    esac
done
case $SECURITY in tls) MODES="tls" ;; plain) MODES="plain" ;; both) MODES="tls plain" ;; *) usage ;; esac
if [ "$QUICK" -eq 1 ]; then
    CONC=${COMPARE_CONC:-"1 64"}; DUR=${COMPARE_DURATION:-4}; WARM=${COMPARE_WARMUP:-1}
else
    CONC=${COMPARE_CONC:-"1 16 64 256"}; DUR=${COMPARE_DURATION:-12}; WARM=${COMPARE_WARMUP:-3}
fi
ROUNDS=${COMPARE_ROUNDS:-2}
# etcd_hosts MODE: the three member addresses of that etcd cluster.
etcd_hosts() { if [ "$1" = tls ]; then echo 127.0.0.11 127.0.0.12 127.0.0.13; else echo 127.0.0.21 127.0.0.22 127.0.0.23; fi; }

log() { echo "[compare] $*" >&2; }
now_ms() { date +%s%3N; }

TMP=""
ETCD_PIDS=()
PX_CFGS=()
declare -A PX_PORT
cleanup() {
    local rc=$? p t cfg
    set +e
    for cfg in "${PX_CFGS[@]}"; do
        PAXOS_BIN=$BIN "$ROOT/scripts/stop-cluster.sh" --config "$cfg" >/dev/null 2>&1
    done
    for p in "${ETCD_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${ETCD_PIDS[@]}"; do
        for ((t = 0; t < 50; t++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    if [ ${#PX_CFGS[@]} -gt 0 ]; then   # a supervisor that did not stop in 10 s
        for p in $(cat "$TMP"/px-*/node*/pids/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    fi
    [ -n "$TMP" ] && rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- preparation ------------------------------------------------------------

need_binaries() {
    local b
    for b in paxos-bench paxos-node paxos-acceptor paxos-proposer paxos-learner paxos-gateway; do
        [ -x "$BIN/$b" ] || { log "$BIN/$b missing: run make"; exit 1; }
    done
}

install_etcd() {
    command -v etcd >/dev/null && return 0
    log "installing etcd-server and etcd-client (apt-get)"
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y etcd-server etcd-client \
        >/dev/null || { log "cannot install etcd-server"; exit 1; }
}

# Only one comparison at a time: both would want 127.0.0.11-13 and 21-23.
exec {LOCK_FD}>/tmp/paxos-compare-etcd.lock
flock -w 600 "$LOCK_FD" || { log "another compare-etcd.sh holds the lock"; exit 1; }

# ---- etcd ---------------------------------------------------------------------

# start_etcd MODE: tls = peers with --peer-auto-tls (https:// between
# members, certificates made by etcd), plain = http:// peers.  Clients use
# plain HTTP in both, as paxos-c's gateways do.
start_etcd() {
    local mode=$1 i h cluster="" tok="compare-$$-$1" scheme=http tls=() hosts
    read -r -a hosts <<<"$(etcd_hosts "$mode")"
    if [ "$mode" = tls ]; then scheme=https; tls=(--peer-auto-tls); fi
    for i in 0 1 2; do cluster+="${cluster:+,}m$i=$scheme://${hosts[$i]}:2380"; done
    for i in 0 1 2; do
        h=${hosts[$i]}
        etcd --name "m$i" --data-dir "$TMP/etcd-$mode$i" \
            --listen-client-urls "http://$h:2379" --advertise-client-urls "http://$h:2379" \
            --listen-peer-urls "$scheme://$h:2380" --initial-advertise-peer-urls "$scheme://$h:2380" \
            "${tls[@]}" --initial-cluster "$cluster" --initial-cluster-state new \
            --initial-cluster-token "$tok" --log-level warn >"$TMP/etcd-$mode$i.log" 2>&1 &
        ETCD_PIDS+=($!)
        echo $! >>"$TMP/etcd-$mode.pids"
        disown $!   # cleanup kills it; no job-status noise
    done
    local deadline=$(($(now_ms) + 30000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        if curl -s -m 1 -X POST "http://${hosts[0]}:2379/v3/kv/put" \
            -d '{"key":"cmVhZHk=","value":"MQ=="}' | grep -q header; then
            log "etcd $(etcd --version | head -1 | awk '{print $3}') ready on ${hosts[*]} (peers: $scheme)"
            return 0
        fi
        sleep 0.2
    done
    log "etcd ($mode) not ready in 30 s; its log:"; tail -5 "$TMP/etcd-${mode}0.log" >&2
    exit 1
}

# ---- paxos-c ------------------------------------------------------------------

# A free port slot (PX_SLOT_PORT), the same locks the integration tests take.
# shellcheck source=tests/integration/slot.sh
source "$ROOT/tests/integration/slot.sh"
reserve_ports() {
    px_reserve_slot || { log "no free port slot"; exit 1; }
}

# write_paxos_config MODE PORT: the default cluster.cfg's settings
# (batching, pipeline, fsync on, tls on), with its own ports and data dir;
# MODE plain sets tls = false.
write_paxos_config() {
    local mode=$1 port=$2 i sep cfg=$TMP/px-$1.cfg
    {
        sed -n '/^nodes *=/q;p' "$ROOT/cluster.cfg" | sed -e "s/^data_dir.*/data_dir = \"px-$mode\";/"
        echo "nodes = ("
        for i in 1 2 3; do
            sep=","; [ "$i" -eq 3 ] && sep=""
            echo "  { id = $i; host = \"127.0.0.$i\"; gateway_port = $((port + i));" \
                "acceptor_port = $((port + 10 + i)); proposer_port = $((port + 20 + i));" \
                "learner_port = $((port + 30 + i)); }$sep"
        done
        echo ");"
    } >"$cfg"
    grep -q '^fsync = true;' "$cfg" || { log "cluster.cfg does not say fsync = true"; exit 1; }
    grep -q '^tls = true;' "$cfg" || { log "cluster.cfg does not say tls = true"; exit 1; }
    [ "$mode" = tls ] || sed -i 's/^tls = true;/tls = false;/' "$cfg"
    PAXOS_BIN=$BIN "$ROOT/scripts/make-certs.sh" --config "$cfg" >"$TMP/make-certs.log" 2>&1 ||
        { log "make-certs.sh failed: $(tail -n 3 "$TMP/make-certs.log")"; exit 1; }
    PX_CFGS+=("$cfg")
}

# start_paxos MODE: a 3-node cluster, tls (the default) or plain.
start_paxos() {
    local mode=$1 i port
    reserve_ports
    port=$PX_SLOT_PORT
    PX_PORT[$mode]=$port
    write_paxos_config "$mode" "$port"
    for i in 1 2 3; do
        PAXOS_BIN=$BIN "$ROOT/scripts/start-node.sh" "$i" --config "$TMP/px-$mode.cfg" >/dev/null \
            {PX_SLOT_FD}>&-
    done
    local deadline=$(($(now_ms) + 30000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        if curl -s -m 2 -X POST "http://127.0.0.1:$((port + 1))/append?list=false" \
            -d '{"value":0}' | grep -q index; then
            log "paxos-c ($mode) ready, gateways 127.0.0.1-3:$((port + 1))-$((port + 3))"
            return 0
        fi
        sleep 0.2
    done
    log "paxos-c ($mode) not ready in 30 s"; exit 1
}

# ---- runs -----------------------------------------------------------------------

# targets_of KIND MODE
targets_of() {
    local h p
    if [ "$1" = etcd ]; then
        read -r -a h <<<"$(etcd_hosts "$2")"
        echo "${h[0]}:2379,${h[1]}:2379,${h[2]}:2379"
    else
        p=${PX_PORT[$2]}
        echo "127.0.0.1:$((p + 1)),127.0.0.2:$((p + 2)),127.0.0.3:$((p + 3))"
    fi
}

# pids_of KIND MODE: every process of that cluster.
pids_of() {
    if [ "$1" = etcd ]; then cat "$TMP/etcd-$2.pids"
    else cat "$TMP/px-$2"/node*/pids/*.pid 2>/dev/null; fi
}

# cpu_ticks PIDS...: utime + stime of those processes, in clock ticks.
cpu_ticks() {
    local p sum=0 f
    for p in "$@"; do
        f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        f=${f##*) }   # after "(comm) ": field 3 on
        set -- $f
        sum=$((sum + ${12} + ${13}))   # fields 14 and 15: utime, stime
    done
    echo "$sum"
}

# run KIND MODE C: one bench run; appends its JSON line (with side and the
# cluster's CPU per op over the measured window) to $TMP/results.
run() {
    local kind=$1 mode=$2 c=$3 out pids t0 t1 bpid
    pids=$(pids_of "$kind" "$mode" | tr '\n' ' ')
    timeout $((WARM + DUR + 60)) "$BIN/paxos-bench" --target-kind "$kind" \
        --targets "$(targets_of "$kind" "$mode")" --concurrency "$c" --duration "$DUR" \
        --warmup "$WARM" --list-mode index --json >"$TMP/run.json" &
    bpid=$!
    sleep "$WARM"
    # shellcheck disable=SC2086
    t0=$(cpu_ticks $pids)
    sleep "$DUR"
    # shellcheck disable=SC2086
    t1=$(cpu_ticks $pids)
    wait "$bpid" || { log "$kind/$mode c=$c: paxos-bench failed"; return 0; }
    out=$(cat "$TMP/run.json")
    [ -n "$out" ] || return 0
    out=$(jq -c --arg side "$kind-$mode" --argjson ticks "$((t1 - t0))" --argjson hz "$(getconf CLK_TCK)" \
        --argjson dur "$DUR" '. + {side: $side, cpu_us_per_op:
            (if .throughput > 0 then ($ticks / $hz * 1e6) / (.throughput * $dur) else null end)}' <<<"$out")
    echo "$out" >>"$TMP/results"
    log "$kind/$mode c=$c: $(jq -r '"\(.throughput) ops/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, errors \(.errors), cluster CPU \(.cpu_us_per_op // 0 | floor) us/op, client CPU \(.client_cpu_pct)%"' <<<"$out")"
}

# mean FIELD SIDE C: the mean of FIELD over that side's runs ("" if none).
mean() {
    jq -rs --arg s "$2" --argjson c "$3" --arg f "$1" \
        '[.[] | select(.side == $s and .concurrency == $c) | .[$f] | select(. != null)] |
         if length == 0 then "" else (add / length) end' "$TMP/results"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

# print_pair MODE: the table of one pair (paxos-MODE against etcd-MODE).
print_pair() {
    local m=$1 c pt pp et ep
    printf '\n%s between nodes (paxos-c %s, etcd %s)\n' "$m" \
        "$([ "$m" = tls ] && echo "tls = true" || echo "tls = false")" \
        "$([ "$m" = tls ] && echo "--peer-auto-tls" || echo "http:// peers")"
    printf '%-6s %14s %14s %9s %12s %12s %9s %10s %10s\n' clients "paxos ops/s" "etcd ops/s" "thr x" \
        "paxos p99" "etcd p99" "p99 x" "paxos cpu" "etcd cpu"
    for c in $CONC; do
        pt=$(mean throughput "paxos-$m" "$c"); et=$(mean throughput "etcd-$m" "$c")
        pp=$(mean p99_ms "paxos-$m" "$c"); ep=$(mean p99_ms "etcd-$m" "$c")
        printf '%-6s %14s %14s %9s %12s %12s %9s %10s %10s\n' "$c" "$(printf %.0f "${pt:-0}")" \
            "$(printf %.0f "${et:-0}")" "$(ratio "$pt" "$et")" "$(printf %.1fms "${pp:-0}")" \
            "$(printf %.1fms "${ep:-0}")" "$(ratio "$pp" "$ep")" \
            "$(printf %.0fus "$(mean cpu_us_per_op "paxos-$m" "$c")")" \
            "$(printf %.0fus "$(mean cpu_us_per_op "etcd-$m" "$c")")"
    done
    local p e
    p=$(mean p50_ms "paxos-$m" 1); e=$(mean p50_ms "etcd-$m" 1)
    [ -n "$p" ] && [ -n "$e" ] && printf 'c=1 p50: paxos %.2f ms, etcd %.2f ms\n' "$p" "$e"
    return 0
}

# The cost of TLS for each system: plaintext throughput over TLS throughput.
print_tls_cost() {
    local k c line
    for k in paxos etcd; do
        line=""
        for c in $CONC; do
            line+=" c=$c $(ratio "$(mean throughput "$k-plain" "$c")" "$(mean throughput "$k-tls" "$c")") x"
        done
        echo "cost of TLS, $k (plain / tls throughput):$line"
    done
}

print_table() {
    local m first
    for m in $MODES; do print_pair "$m"; done
    [ "$MODES" = "tls plain" ] && { echo; print_tls_cost; }
    first=${MODES%% *} # the ratio lines come from the TLS pair when it ran
    echo
    printf 'cpu per append c=64: %.0f us\n' "$(mean cpu_us_per_op "paxos-$first" 64)"
    echo "ratio c=1 p50: $(ratio "$(mean p50_ms "paxos-$first" 1)" "$(mean p50_ms "etcd-$first" 1)") x"
    echo "ratio c=64: throughput $(ratio "$(mean throughput "paxos-$first" 64)" "$(mean throughput "etcd-$first" 64)") x, p99 $(ratio "$(mean p99_ms "paxos-$first" 64)" "$(mean p99_ms "etcd-$first" 64)") x"
}

main() {
    need_binaries
    command -v jq >/dev/null || { log "jq is needed"; exit 1; }
    [ "$ONLY" = paxos ] || install_etcd
    TMP=$(mktemp -d /tmp/pxcmp.XXXXXX)   # short: ipc socket paths live under it
    : >"$TMP/results"
    local start c r m
    for m in $MODES; do
        [ "$ONLY" = paxos ] || start_etcd "$m"
        [ "$ONLY" = etcd ] || start_paxos "$m"
    done
    start=$(now_ms)
    log "$(nproc) CPUs, $(uname -r); concurrency $CONC; security $MODES; $ROUNDS x (${WARM}s warmup + ${DUR}s) per side"
    for c in $CONC; do
        for ((r = 0; r < ROUNDS; r++)); do
            for m in $MODES; do
                [ "$ONLY" = etcd ] || run paxos "$m" "$c"
                [ "$ONLY" = paxos ] || run etcd "$m" "$c"
            done
        done
    done
    log "measured in $((($(now_ms) - start) / 1000)) s"
    print_table
}
main
