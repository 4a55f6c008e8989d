#!/usr/bin/env bash
# status.sh [--config FILE]
#
# Per node: is the supervisor alive, is each role alive, and (if the gateway
# answers) its /status.  PAXOS_BIN overrides bin/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
parse_config_only "$@"

# pid_state DIR NAME: "NAME pid N up" / "NAME pid N dead" / "NAME down"
pid_state() {
    local pid
    pid=$(cat "$1/pids/$2.pid" 2>/dev/null || true)
    if [ -z "$pid" ]; then echo "$2 down"
    elif kill -0 "$pid" 2>/dev/null; then echo "$2 pid $pid up"
    else echo "$2 pid $pid dead"; fi
}

while read -r id host port dir; do
    url=$(gateway_url "$host" "$port")
    echo "node $id ($host, gateway $url, data $dir)"
    for r in node acceptor proposer learner gateway; do echo "  $(pid_state "$dir" "$r")"; done
    if out=$(gateway_curl -s -m 2 "$url/status" 2>/dev/null) && [ -n "$out" ]; then
        echo "  status: $out"
    else
        echo "  status: gateway not answering"
    fi
done < <("$BIN/paxos-node" --config "$CONFIG" --list-nodes)
