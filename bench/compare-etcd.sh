#!/usr/bin/env bash
# compare-etcd.sh [--quick] [--only paxos|etcd]
#
# The same closed-loop workload (every op one durable write of a fresh
# value / key, over HTTP/1.1 keep-alive, clients spread over 3 endpoints)
# against a 3-member etcd 3.4 (its HTTP/JSON gateway, POST /v3/kv/put, on
# 127.0.0.11-13:2379, default durability) and against a default-shaped
# 3-node paxos-c cluster (fsync on, its own temp config and data dir, ports
# from a free integration-test slot), at 1, 16, 64 and 256 clients
# (--quick: 1 and 64, short runs).  Runs alternate A B A B at each
# concurrency so a burst of machine noise hits both sides; each side's
# figure is the mean of its runs.  Both clusters are stopped and their data
# removed on any exit.  Prints a table of throughput and p99 with ratios
# (ours / etcd's); the last line is exactly
#   ratio c=64: throughput N.NN x, p99 N.NN x
# Bounded: a full run takes about 5 minutes, --quick under 1.5.
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
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1; shift ;;
    --only) [ $# -ge 2 ] || { echo "usage: $0 [--quick] [--only paxos|etcd]" >&2; exit 2; }
        ONLY=$2; shift 2 ;;
    *) echo "usage: $0 [--quick] [--only paxos|etcd]" >&2; exit 2 ;;
    esac
done
if [ "$QUICK" -eq 1 ]; then
    CONC=${COMPARE_CONC:-"1 64"}; DUR=${COMPARE_DURATION:-4}; WARM=${COMPARE_WARMUP:-1}
else
    CONC=${COMPARE_CONC:-"1 16 64 256"}; DUR=${COMPARE_DURATION:-12}; WARM=${COMPARE_WARMUP:-3}
fi
ROUNDS=${COMPARE_ROUNDS:-2}
ETCD_HOSTS=(127.0.0.11 127.0.0.12 127.0.0.13)

log() { echo "[compare] $*" >&2; }
now_ms() { date +%s%3N; }

TMP=""
ETCD_PIDS=()
PX_CFG=""
cleanup() {
    local rc=$? p t
    set +e
    [ -n "$PX_CFG" ] && PAXOS_BIN=$BIN "$ROOT/scripts/stop-cluster.sh" --config "$PX_CFG" >/dev/null 2>&1
    for p in "${ETCD_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${ETCD_PIDS[@]}"; do
        for ((t = 0; t < 50; t++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    if [ -n "$PX_CFG" ]; then   # a supervisor that did not stop in 10 s
        for p in $(cat "$TMP"/px/node*/pids/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
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

# Only one comparison at a time: both would want 127.0.0.11-13:2379.
exec {LOCK_FD}>/tmp/paxos-compare-etcd.lock
flock -w 600 "$LOCK_FD" || { log "another compare-etcd.sh holds the lock"; exit 1; }

# ---- etcd ---------------------------------------------------------------------

start_etcd() {
    local i h cluster="" tok="compare-$$"
    for i in 0 1 2; do cluster+="${cluster:+,}m$i=http://${ETCD_HOSTS[$i]}:2380"; done
    for i in 0 1 2; do
        h=${ETCD_HOSTS[$i]}
        etcd --name "m$i" --data-dir "$TMP/etcd$i" \
            --listen-client-urls "http://$h:2379" --advertise-client-urls "http://$h:2379" \
            --listen-peer-urls "http://$h:2380" --initial-advertise-peer-urls "http://$h:2380" \
            --initial-cluster "$cluster" --initial-cluster-state new \
            --initial-cluster-token "$tok" --log-level warn >"$TMP/etcd$i.log" 2>&1 &
        ETCD_PIDS+=($!)
        disown $!   # cleanup kills it; no job-status noise
    done
    local deadline=$(($(now_ms) + 30000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        if curl -s -m 1 -X POST "http://${ETCD_HOSTS[0]}:2379/v3/kv/put" \
            -d '{"key":"cmVhZHk=","value":"MQ=="}' | grep -q header; then
            log "etcd $(etcd --version | head -1 | awk '{print $3}') ready on ${ETCD_HOSTS[*]}"
            return 0
        fi
        sleep 0.2
    done
    log "etcd not ready in 30 s; its log:"; tail -5 "$TMP/etcd0.log" >&2
    exit 1
}

# ---- paxos-c ------------------------------------------------------------------

PX_PORT=""
# A free port slot, the same locks the integration tests take.
reserve_ports() {
    local k n fd p busy
    for ((k = RANDOM % 100, n = 0; n < 100; k = (k + 1) % 100, n++)); do
        exec {fd}>"/tmp/pxit-slot-$k.lock"
        if flock -n "$fd"; then
            busy=0
            for ((p = 20000 + 100 * k; p < 20070 + 100 * k; p++)); do
                if ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then busy=1; break; fi
            done
            if [ "$busy" -eq 0 ]; then PX_PORT=$((20000 + 100 * k)); PX_SLOT_FD=$fd; return 0; fi
        fi
        exec {fd}>&-
    done
    log "no free port slot"; exit 1
}

# The default cluster.cfg's settings (batching, pipeline, fsync on), with
# its own ports and data dir.
write_paxos_config() {
    local i sep
    PX_CFG=$TMP/px.cfg
    {
        sed -n '/^nodes *=/q;p' "$ROOT/cluster.cfg" | sed -e 's/^data_dir.*/data_dir = "px";/'
        echo "nodes = ("
        for i in 1 2 3; do
            sep=","; [ "$i" -eq 3 ] && sep=""
            echo "  { id = $i; host = \"127.0.0.$i\"; gateway_port = $((PX_PORT + i));" \
                "acceptor_port = $((PX_PORT + 10 + i)); proposer_port = $((PX_PORT + 20 + i));" \
                "learner_port = $((PX_PORT + 30 + i)); }$sep"
        done
        echo ");"
    } >"$PX_CFG"
    grep -q '^fsync = true;' "$PX_CFG" || { log "cluster.cfg does not say fsync = true"; exit 1; }
    PAXOS_BIN=$BIN "$ROOT/scripts/make-certs.sh" --config "$PX_CFG" >"$TMP/make-certs.log" 2>&1 ||
        { log "make-certs.sh failed: $(tail -n 3 "$TMP/make-certs.log")"; exit 1; }
}

start_paxos() {
    local i
    reserve_ports
    write_paxos_config
    for i in 1 2 3; do
        PAXOS_BIN=$BIN "$ROOT/scripts/start-node.sh" "$i" --config "$PX_CFG" >/dev/null \
            {PX_SLOT_FD}>&-
    done
    local deadline=$(($(now_ms) + 30000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        if curl -s -m 2 -X POST "http://127.0.0.1:$((PX_PORT + 1))/append?list=false" \
            -d '{"value":0}' | grep -q index; then
            log "paxos-c ready, gateways 127.0.0.1-3:$((PX_PORT + 1))-$((PX_PORT + 3))"
            return 0
        fi
        sleep 0.2
    done
    log "paxos-c not ready in 30 s"; exit 1
}

# ---- runs -----------------------------------------------------------------------

targets_of() {
    if [ "$1" = etcd ]; then echo "${ETCD_HOSTS[0]}:2379,${ETCD_HOSTS[1]}:2379,${ETCD_HOSTS[2]}:2379"
    else echo "127.0.0.1:$((PX_PORT + 1)),127.0.0.2:$((PX_PORT + 2)),127.0.0.3:$((PX_PORT + 3))"; fi
}

# run KIND C: one bench run; appends its JSON line to $TMP/results.
run() {
    local out
    out=$(timeout $((WARM + DUR + 60)) "$BIN/paxos-bench" --target-kind "$1" \
        --targets "$(targets_of "$1")" --concurrency "$2" --duration "$DUR" --warmup "$WARM" \
        --list-mode index --json) || { log "$1 c=$2: paxos-bench failed"; out=""; }
    [ -n "$out" ] || return 0
    echo "$out" >>"$TMP/results"
    log "$1 c=$2: $(jq -r '"\(.throughput) ops/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, errors \(.errors), client CPU \(.client_cpu_pct)%"' <<<"$out")"
}

# mean FIELD KIND C: the mean of FIELD over that side's runs ("" if none).
mean() {
    jq -rs --arg k "$2" --argjson c "$3" --arg f "$1" \
        '[.[] | select(.target_kind == $k and .concurrency == $c) | .[$f]] |
         if length == 0 then "" else (add / length) end' "$TMP/results"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

print_table() {
    local c pt pp et ep
    printf '\n%-6s %14s %14s %9s %12s %12s %9s\n' clients "paxos ops/s" "etcd ops/s" "thr x" \
        "paxos p99" "etcd p99" "p99 x"
    for c in $CONC; do
        pt=$(mean throughput paxos "$c"); et=$(mean throughput etcd "$c")
        pp=$(mean p99_ms paxos "$c"); ep=$(mean p99_ms etcd "$c")
        printf '%-6s %14s %14s %9s %12s %12s %9s\n' "$c" "$(printf %.0f "${pt:-0}")" \
            "$(printf %.0f "${et:-0}")" "$(ratio "$pt" "$et")" "$(printf %.1fms "${pp:-0}")" \
            "$(printf %.1fms "${ep:-0}")" "$(ratio "$pp" "$ep")"
    done
    local c1p50p c1p50e
    c1p50p=$(mean p50_ms paxos 1); c1p50e=$(mean p50_ms etcd 1)
    [ -n "$c1p50p" ] && [ -n "$c1p50e" ] &&
        printf 'c=1 p50: paxos %.2f ms, etcd %.2f ms\n' "$c1p50p" "$c1p50e"
    echo "ratio c=64: throughput $(ratio "$(mean throughput paxos 64)" "$(mean throughput etcd 64)") x, p99 $(ratio "$(mean p99_ms paxos 64)" "$(mean p99_ms etcd 64)") x"
}

main() {
    need_binaries
    command -v jq >/dev/null || { log "jq is needed"; exit 1; }
    [ "$ONLY" = paxos ] || install_etcd
    TMP=$(mktemp -d /tmp/pxcmp.XXXXXX)   # short: ipc socket paths live under it
    : >"$TMP/results"
    [ "$ONLY" = paxos ] || start_etcd
    [ "$ONLY" = etcd ] || start_paxos
    local start c r
    start=$(now_ms)
    log "$(nproc) CPUs, $(uname -r); concurrency $CONC; $ROUNDS x (${WARM}s warmup + ${DUR}s) per side"
    for c in $CONC; do
        for ((r = 0; r < ROUNDS; r++)); do
            [ "$ONLY" = etcd ] || run paxos "$c"
            [ "$ONLY" = paxos ] || run etcd "$c"
        done
    done
    log "measured in $((($(now_ms) - start) / 1000)) s"
    print_table
}
main
