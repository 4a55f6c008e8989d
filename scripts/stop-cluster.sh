#!/usr/bin/env bash
# stop-cluster.sh [--config FILE]
#
# Sends SIGTERM to every node's supervisor (which stops its children) and
# waits up to 10 s for each.  PAXOS_BIN overrides bin/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
parse_config_only "$@"

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
