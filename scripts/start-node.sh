#!/usr/bin/env bash
# start-node.sh N [--config FILE] [--foreground]
#
# Starts node N's supervisor (bin/paxos-node), which runs the node's
# acceptor, proposer, learner and gateway.  Daemonized by default; with
# --foreground it stays attached and logs to the terminal too.
# Builds nothing: run `make` first.  PAXOS_BIN overrides bin/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PAXOS_BIN:-$ROOT/bin}
CONFIG=${PAXOS_CONFIG:-$ROOT/cluster.cfg}
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
    echo "node $NODE: gateway http://$host:$port  data $dir  logs $dir/logs"
    exec "$BIN/paxos-node" --config "$CONFIG" --node "$NODE"
fi
"$BIN/paxos-node" --config "$CONFIG" --node "$NODE" --daemon >/dev/null
echo "node $NODE: gateway http://$host:$port  data $dir  logs $dir/logs"
