#!/usr/bin/env bash
# stop-cluster.sh [--config FILE]
#
# Sends SIGTERM to every node's supervisor (which stops its children) and
# waits up to 10 s for each.  PAXOS_BIN overrides bin/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PAXOS_BIN:-$ROOT/bin}
CONFIG=${PAXOS_CONFIG:-$ROOT/cluster.cfg}

usage() {
    echo "usage: $0 [--config FILE]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --config) [ $# -ge 2 ] || usage; CONFIG=$2; shift 2 ;;
    *) usage ;;
    esac
done
[ -x "$BIN/paxos-node" ] || { echo "$0: $BIN/paxos-node not found: run make first" >&2; exit 1; }
[ -f "$CONFIG" ] || { echo "$0: config $CONFIG not found (use --config FILE)" >&2; exit 1; }

rc=0
pids=()
ids=()
while read -r id _ _ dir; do
    pid=$(cat "$dir/pids/node.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
        pids+=("$pid"); ids+=("$id")
    else
        echo "node $id: not running"
    fi
done < <("$BIN/paxos-node" --config "$CONFIG" --list-nodes)

for i in "${!pids[@]}"; do
    for ((t = 0; t < 100; t++)); do
        kill -0 "${pids[$i]}" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "${pids[$i]}" 2>/dev/null; then
        echo "node ${ids[$i]}: supervisor ${pids[$i]} still running after 10 s" >&2
        rc=1
    else
        echo "node ${ids[$i]}: stopped"
    fi
done
exit $rc
