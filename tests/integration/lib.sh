# lib.sh -- helpers shared by the integration tests (sourced, not run).
#
# Each test calls it_begin NAME, which makes a temp directory with its own
# config and data dir, and installs a trap that stops every process the test
# started and removes the directory (kept, with its path printed, if the
# test failed).  Ports come from a slot k reserved with flock, so tests can
# run in parallel (and beside the default cluster on 5001../6001..): node i
# uses gateway 20000+100k+i, acceptor +10+i, proposer +20+i, learner +30+i.
#
#   PAXOS_BIN=DIR   binaries to test (default bin/)
#   IT_KEEP=1       keep the temp directory even on success
#   IT_SNAPSHOT_EVERY=N  write `snapshot_every = N;` into the config (unset:
#                   no line, the built-in default applies)
#   IT_SCHEME=https, IT_CURL_CA=FILE  it_http and it_leader speak HTTPS and
#                   check the gateway's certificate against FILE (for a
#                   cluster with gateway_https = true)
set -euo pipefail

IT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${PAXOS_BIN:-$IT_ROOT/bin}
IT_N=3
IT_FAILED=0
IT_NAME=""
IT_DIR=""
IT_CFG=""
IT_EXTRA_PIDS=()
HTTP_CODE=""
HTTP_BODY=""

pass() { echo "PASS $1"; }
fail() {
    echo "FAIL $1: $2"
    IT_FAILED=1
}
note() { echo "  [$IT_NAME] $*"; }

now_ms() { date +%s%3N; }
# Node i's address: 127.0.0.i unless a test puts its nodes elsewhere by
# defining it_host_prefix (multihost.sh: its own subnet, once per slot).
it_host_prefix() { echo 127.0.0; }
host_of() { echo "$(it_host_prefix).$1"; }
IT_PORT_BASE=""
IT_SLOT=""
IT_SLOT_FD=""
port_gw() { echo $((IT_PORT_BASE + $1)); }
port_acc() { echo $((IT_PORT_BASE + 10 + $1)); }
port_prop() { echo $((IT_PORT_BASE + 20 + $1)); }
port_learn() { echo $((IT_PORT_BASE + 30 + $1)); }
gw_of() { echo "$(host_of "$1"):$(port_gw "$1")"; }
node_dir() { echo "$IT_DIR/data/node$1"; }

# it_write_config FILE CLUSTER_ID [DATA_DIR]
it_write_config() {
    local file=$1 cid=$2 data=${3:-$IT_DIR/data} i sep
    {
        echo "cluster_id = $cid;"
        echo "data_dir = \"$data\";"
        echo "heartbeat_ms = 50;"
        echo "election_timeout_min_ms = 300;"
        echo "election_timeout_max_ms = 600;"
        echo "retransmit_ms = 100;"
        echo "request_timeout_ms = ${IT_REQUEST_TIMEOUT_MS:-3000};"
        echo "fsync = true;"
        [ -z "${IT_SNAPSHOT_EVERY:-}" ] || echo "snapshot_every = $IT_SNAPSHOT_EVERY;"
        echo "nodes = ("
        for ((i = 1; i <= IT_N; i++)); do
            sep=","; [ "$i" -eq "$IT_N" ] && sep=""
            echo "  { id = $i; host = \"$(host_of "$i")\"; gateway_port = $(port_gw "$i");" \
                "acceptor_port = $(port_acc "$i"); proposer_port = $(port_prop "$i");" \
                "learner_port = $(port_learn "$i"); }$sep"
        done
        echo ");"
    } >"$file"
}

# shellcheck source=tests/integration/slot.sh
source "$(dirname "${BASH_SOURCE[0]}")/slot.sh"

# Reserve a port slot: a lock no other test holds, and no port of it in use.
it_reserve_ports() {
    px_reserve_slot || return 1
    IT_PORT_BASE=$PX_SLOT_PORT IT_SLOT=$PX_SLOT IT_SLOT_FD=$PX_SLOT_FD
}

# it_begin NAME: temp dir, config, cleanup trap, binaries present.
it_begin() {
    IT_NAME=$1
    local b
    for b in paxos-node paxos-acceptor paxos-proposer paxos-learner paxos-gateway; do
        if [ ! -x "$BIN/$b" ]; then
            fail "$IT_NAME" "$BIN/$b missing (run make)"
            exit 1
        fi
    done
    # short: unix socket paths under it must fit in 108 bytes
    IT_DIR=$(mktemp -d /tmp/pxit.XXXXXX)
    IT_CFG=$IT_DIR/cluster.cfg
    trap it_cleanup EXIT
    if ! it_reserve_ports; then
        fail "$IT_NAME" "no free port slot"
        exit 1
    fi
    it_write_config "$IT_CFG" 41
    it_make_certs "$IT_CFG"
}

# it_make_certs CONFIG: a cluster CA and node certificates at the paths the
# config names (peers use mutual TLS unless the config says tls = false).
it_make_certs() {
    if ! PAXOS_BIN=$BIN "$IT_ROOT/scripts/make-certs.sh" --config "$1" >"$IT_DIR/make-certs.log" 2>&1; then
        fail "$IT_NAME" "make-certs.sh failed: $(tail -n 3 "$IT_DIR/make-certs.log")"
        exit 1
    fi
}

# Pids of node i: the supervisor first, so it cannot restart what we kill.
it_node_pids() {
    local d
    d=$(node_dir "$1")
    cat "$d/pids/node.pid" 2>/dev/null || true
    ls "$d"/pids/*.pid 2>/dev/null | grep -v '/node.pid$' | xargs -r cat 2>/dev/null || true
}

it_role_pid() { cat "$(node_dir "$1")/pids/$2.pid" 2>/dev/null || true; }

it_start_node() {
    # the slot lock stays with this shell, not with the daemons
    if [ -n "$IT_SLOT_FD" ]; then
        PAXOS_BIN=$BIN "$IT_ROOT/scripts/start-node.sh" "$1" --config "$IT_CFG" >/dev/null {IT_SLOT_FD}>&-
    else
        PAXOS_BIN=$BIN "$IT_ROOT/scripts/start-node.sh" "$1" --config "$IT_CFG" >/dev/null
    fi
}

# it_stop_node i: SIGTERM the supervisor, wait up to 10 s.
it_stop_node() {
    local pid t
    pid=$(it_role_pid "$1" node)
    [ -n "$pid" ] || return 0
    kill -CONT $(it_node_pids "$1") 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((t = 0; t < 100; t++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# it_kill_node i: kill -9 the supervisor and every child: a crash.
it_kill_node() {
    local p
    for p in $(it_node_pids "$1"); do kill -9 "$p" 2>/dev/null || true; done
    for p in $(it_node_pids "$1"); do
        while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
    done
}

it_cleanup() {
    local rc=$? i p
    set +e
    for p in "${IT_EXTRA_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for ((i = 1; i <= IT_N; i++)); do it_stop_node "$i" >/dev/null 2>&1; done
    for ((i = 1; i <= IT_N; i++)); do
        for p in $(it_node_pids "$i"); do kill -9 "$p" 2>/dev/null; done
    done
    if [ "$IT_FAILED" -ne 0 ] || [ "$rc" -ne 0 ] || [ -n "${IT_KEEP:-}" ]; then
        echo "  [$IT_NAME] logs kept in $IT_DIR/data/node*/logs"
    else
        rm -rf "$IT_DIR"
    fi
    [ "$IT_FAILED" -ne 0 ] && exit 1
    exit "$rc"
}

# it_http METHOD NODE PATH [BODY] [CURL ARGS...]: sets HTTP_CODE, HTTP_BODY.
it_http() {
    local method=$1 node=$2 path=$3 body=${4:-}
    shift 4 2>/dev/null || shift $#
    local out
    out=$(curl -s -m "${IT_CURL_TIMEOUT:-10}" -X "$method" -w '\n%{http_code}' \
        ${IT_CURL_CA:+--cacert "$IT_CURL_CA"} ${body:+-d "$body"} "$@" \
        "${IT_SCHEME:-http}://$(gw_of "$node")$path" 2>/dev/null) || true
    HTTP_CODE=${out##*$'\n'}
    HTTP_BODY=${out%$'\n'*}
    [ -n "$HTTP_CODE" ] || HTTP_CODE=000
}

it_append() { it_http POST "$1" "/append" "{\"value\":$2}" "${@:3}"; }

# it_leader: the leader some gateway names (empty if none).
it_leader() {
    local i l
    for ((i = 1; i <= IT_N; i++)); do
        l=$(curl -s -m 1 ${IT_CURL_CA:+--cacert "$IT_CURL_CA"} \
            "${IT_SCHEME:-http}://$(gw_of "$i")/status" 2>/dev/null |
            sed -n 's/.*"leader": *\([1-9][0-9]*\).*/\1/p' | head -n 1) || true
        if [ -n "$l" ]; then echo "$l"; return 0; fi
    done
}

# it_wait_ready SECONDS [NODES...]: a leader is known and GET /list answers
# 200 on every given node (default all).
it_wait_ready() {
    local secs=$1 deadline i ok
    shift
    local nodes=("$@")
    [ ${#nodes[@]} -gt 0 ] || nodes=($(seq 1 "$IT_N"))
    deadline=$(($(now_ms) + secs * 1000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        if [ -n "$(it_leader)" ]; then
            ok=1
            for i in "${nodes[@]}"; do
                IT_CURL_TIMEOUT=2 it_http GET "$i" /list
                [ "$HTTP_CODE" = 200 ] || { ok=0; break; }
            done
            [ "$ok" -eq 1 ] && return 0
        fi
        sleep 0.2
    done
    return 1
}

it_start_cluster() {
    local i
    for ((i = 1; i <= IT_N; i++)); do it_start_node "$i"; done
    if ! it_wait_ready 20; then
        fail "$IT_NAME" "cluster not ready within 20 s"
        exit 1
    fi
}

# it_list NODE: prints the node's list as one value per line (fails if not 200).
it_list() {
    IT_CURL_TIMEOUT=${IT_CURL_TIMEOUT:-10} it_http GET "$1" /list
    [ "$HTTP_CODE" = 200 ] || return 1
    jq -r '.list[]' <<<"$HTTP_BODY"
}

# it_wait_log FILE REGEX SECONDS: until the file has a matching line.
it_wait_log() {
    local deadline=$(($(now_ms) + $3 * 1000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        grep -Eq "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
