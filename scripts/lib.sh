# lib.sh -- sourced by the scripts: sets SCRIPTS (where they are), BIN
# (the binaries) and CONFIG (the default cluster.cfg), and for scripts that
# take only [--config FILE] checks that both exist.
# Usage: source lib.sh; parse_config_only "$@"
#
# The scripts find everything relative to where they are, so they work
# from the source tree and from an installed one (make install):
#
#   source tree   scripts/*.sh       bin/                 ./cluster.cfg
#   installed     PREFIX/libexec/paxos-c/*.sh   PREFIX/bin/   $PAXOS_CONFIG,
#                 or the one the install named (paths.sh, written by make install)
#
# PAXOS_BIN and PAXOS_CONFIG override both.
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPTS/.." && pwd)
PAXOS_DEFAULT_CONFIG=$ROOT/cluster.cfg
if [ -f "$SCRIPTS/paths.sh" ]; then
    # installed: PREFIX/libexec/paxos-c -> PREFIX/bin
    # shellcheck source=/dev/null
    source "$SCRIPTS/paths.sh"
    BIN=${PAXOS_BIN:-$(cd "$SCRIPTS/../../bin" && pwd)}
else
    BIN=${PAXOS_BIN:-$ROOT/bin}
fi
CONFIG=${PAXOS_CONFIG:-$PAXOS_DEFAULT_CONFIG}

parse_config_only() {
    while [ $# -gt 0 ]; do
        case $1 in
        --config) [ $# -ge 2 ] || config_usage; CONFIG=$2; shift 2 ;;
        *) config_usage ;;
        esac
    done
    [ -x "$BIN/paxos-node" ] || { echo "$0: $BIN/paxos-node not found: run make first" >&2; exit 1; }
    [ -f "$CONFIG" ] || { echo "$0: config $CONFIG not found (use --config FILE)" >&2; exit 1; }
}

config_usage() {
    echo "usage: $0 [--config FILE]" >&2
    exit 2
}

# gateway_url HOST PORT: the node's gateway base URL (http or https, as the
# config says).  Needs CONFIG and BIN.
gateway_url() {
    local scheme
    scheme=$("$BIN/paxos-node" --config "$CONFIG" --describe | awk '$1 == "gateway_scheme" { print $2 }')
    echo "$scheme://$1:$2"
}

# gateway_curl ARGS...: curl that trusts the cluster CA when gateways speak
# HTTPS (harmless for plain HTTP).
gateway_curl() {
    local ca
    ca=$("$BIN/paxos-node" --config "$CONFIG" --describe | awk '$1 == "ca" { print $2 }')
    if [ -f "$ca" ]; then curl --cacert "$ca" "$@"; else curl "$@"; fi
}

# check_gateway_is_ours N HOST PORT DIR: the gateway answering at HOST:PORT
# must be node N's of this cluster, started by us: its /status names node N,
# our cluster id, and the gateway pid in DIR/pids/gateway.pid.  Prints why
# not and returns 1 otherwise (another cluster's gateway on our port once
# made start-cluster.sh report a cluster "ready" that was not ours).
check_gateway_is_ours() {
    local n=$1 host=$2 port=$3 dir=$4 want_cid want_pid st got
    want_cid=$("$BIN/paxos-node" --config "$CONFIG" --describe | awk '$1 == "cluster_id" { print $2 }')
    want_pid=$(cat "$dir/pids/gateway.pid" 2>/dev/null || true)
    if [ -z "$want_pid" ] && [ ! -x "$BIN/paxos-gateway" ]; then
        return 0 # a node without a gateway binary runs as a replica only: nothing answers for it
    fi
    [ -n "$want_pid" ] || { echo "node $n: no gateway pid file in $dir/pids" >&2; return 1; }
    st=$(gateway_curl -s -m 3 "$(gateway_url "$host" "$port")/status" 2>/dev/null || true)
    got=$(jq -r '"\(.node) \(.cluster_id) \(.pid)"' <<<"$st" 2>/dev/null || true)
    if [ "$got" != "$n $want_cid $want_pid" ]; then
        echo "node $n: the gateway at $host:$port is not ours: it says node/cluster_id/pid" \
            "'${got:-no answer}', expected '$n $want_cid $want_pid'" >&2
        return 1
    fi
}

# stop_node_dir DIR: SIGTERM the supervisor whose pid is in DIR/pids/node.pid
# and wait up to 10 s for it.
stop_node_dir() {
    local pid t
    pid=$(cat "$1/pids/node.pid" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((t = 0; t < 100; t++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}
