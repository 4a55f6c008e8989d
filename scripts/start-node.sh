#!/usr/bin/env bash
# start-node.sh N [--config FILE] [--foreground]
#
# Starts node N's supervisor (bin/paxos-node), which runs the node's
# acceptor, proposer, learner and gateway.  Daemonized by default; with
# --foreground it stays attached and logs to the terminal too.
#
# Daemonized, it returns 0 only when every role has bound its sockets and
# said it is ready (paxos-node --daemon waits for that) and the gateway that
# answers on the node's port is this node's of this cluster (node id,
# cluster id, and the pid we started); otherwise it stops what it started,
# prints why, and exits 1.
# Builds nothing: run `make` first.  PAXOS_BIN overrides bin/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
FOREGROUND=0
NODE=""

usage() {
    echo "usage: $0 N [--config FILE] [--foreground]" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --config) [ $# -ge 2 ] || usage; CONFIG=$2; shift 2 ;;
    --foreground) FOREGROUND=1; shift ;;
    -h | --help) usage ;;
    [1-9]) NODE=$1; shift ;;
    *) echo "$0: unexpected argument '$1'" >&2; usage ;;
    esac
done
[ -n "$NODE" ] || usage
[ -x "$BIN/paxos-node" ] || { echo "$0: $BIN/paxos-node not found: run make first" >&2; exit 1; }
[ -f "$CONFIG" ] || { echo "$0: config $CONFIG not found (use --config FILE)" >&2; exit 1; }

# "id host gateway_port node_dir" for this node, straight from the config parser.
line=$("$BIN/paxos-node" --config "$CONFIG" --list-nodes | awk -v n="$NODE" '$1 == n')
[ -n "$line" ] || { echo "$0: node $NODE is not in $CONFIG" >&2; exit 1; }
read -r _ host port dir <<<"$line"

if [ "$FOREGROUND" -eq 1 ]; then
    echo "node $NODE: gateway $(gateway_url "$host" "$port")  data $dir  logs $dir/logs"
    exec "$BIN/paxos-node" --config "$CONFIG" --node "$NODE"
fi
if ! "$BIN/paxos-node" --config "$CONFIG" --node "$NODE" --daemon >/dev/null; then
    echo "$0: node $NODE did not start (logs in $dir/logs)" >&2
    exit 1
fi
if ! check_gateway_is_ours "$NODE" "$host" "$port" "$dir"; then
    stop_node_dir "$dir" || true
    echo "$0: stopped node $NODE again" >&2
    exit 1
fi
echo "node $NODE: gateway $(gateway_url "$host" "$port")  data $dir  logs $dir/logs"
