# lib.sh -- sourced by scripts that take only [--config FILE]: sets ROOT,
# BIN (PAXOS_BIN overrides bin/) and CONFIG (PAXOS_CONFIG, or --config),
# and checks that both exist.  Usage: source lib.sh; parse_config_only "$@"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${PAXOS_BIN:-$ROOT/bin}
CONFIG=${PAXOS_CONFIG:-$ROOT/cluster.cfg}

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
