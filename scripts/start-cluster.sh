#!/usr/bin/env bash
# start-cluster.sh [--config FILE] [--timeout SECONDS]
#
# Starts every node of the config (daemonized) and waits, bounded, until a
# leader is elected and a linearizable read (GET /list, which goes through
# the log) answers.  Prints each node's gateway URL.  PAXOS_BIN overrides bin/.
# Each node must start and answer as itself (see start-node.sh); on any
# failure the nodes this run started are stopped again and it exits 1.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
TIMEOUT=20

usage() {
    echo "usage: $0 [--config FILE] [--timeout SECONDS]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --config) [ $# -ge 2 ] || usage; CONFIG=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || usage; TIMEOUT=$2; shift 2 ;;
    *) usage ;;
    esac
done
[ -x "$BIN/paxos-node" ] || { echo "$0: $BIN/paxos-node not found: run make first" >&2; exit 1; }
[ -f "$CONFIG" ] || { echo "$0: config $CONFIG not found (use --config FILE)" >&2; exit 1; }

nodes=$("$BIN/paxos-node" --config "$CONFIG" --list-nodes)

# Development certificates on first start, so the default cluster is
# mutually authenticated TLS from the first command (make-certs.sh keeps
# whatever already exists).
tls=$("$BIN/paxos-node" --config "$CONFIG" --tls-paths)
if grep -q '^tls on$' <<<"$tls"; then
    missing=0
    while read -r kind _ _ crt key; do
        [ "$kind" = node ] && { [ -f "$crt" ] && [ -f "$key" ] || missing=1; }
    done <<<"$tls"
    if [ "$missing" -eq 1 ]; then
        echo "no certificates yet: making a development CA and node certificates"
        PAXOS_BIN=$BIN "$SCRIPTS/make-certs.sh" --config "$CONFIG"
    fi
fi

# What this run started, to stop again if the whole start fails.
started=()
undo() {
    local d
    [ ${#started[@]} -gt 0 ] || return 0
    echo "$0: stopping the nodes this run started" >&2
    for d in "${started[@]}"; do stop_node_dir "$d" || true; done
}

while read -r id _ _ dir; do
    if ! PAXOS_BIN=$BIN "$SCRIPTS/start-node.sh" "$id" --config "$CONFIG"; then
        undo
        exit 1
    fi
    started+=("$dir")
done <<<"$nodes"

# Ready = some gateway names a leader, and a read through the log succeeds.
deadline=$((SECONDS + TIMEOUT))
while [ $SECONDS -lt $deadline ]; do
    while read -r id host port _; do
        url=$(gateway_url "$host" "$port")
        st=$(gateway_curl -s -m 1 "$url/status" 2>/dev/null || true)
        if grep -Eq '"leader": *[1-9]' <<<"$st" &&
            [ "$(gateway_curl -s -m 3 -o /dev/null -w '%{http_code}' "$url/list")" = 200 ]; then
            echo "cluster ready (leader elected, reads answer):"
            while read -r i h p _; do echo "  node $i: $(gateway_url "$h" "$p")"; done <<<"$nodes"
            exit 0
        fi
    done <<<"$nodes"
    sleep 0.2
done
echo "$0: cluster not ready after ${TIMEOUT}s; see the logs under each node's logs/ directory:" >&2
while read -r _ _ _ dir; do echo "  $dir/logs" >&2; done <<<"$nodes"
undo
exit 1
