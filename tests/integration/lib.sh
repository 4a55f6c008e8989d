# lib.sh -- helpers shared by the integration tests (sourced, not run).
#
# Each test calls it_begin NAME, which makes a temp directory with its own
# config and data dir (ports that do not collide with the default cluster:
# gateways 5101.., acceptors 7001.., proposers 7101.., learners 7201..),
# and installs a trap that stops every process the test started and removes
# the directory (kept, with its path printed, if the test failed).
#
#   PAXOS_BIN=DIR   binaries to test (default bin/)
#   IT_KEEP=1       keep the temp directory even on success
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
host_of() { echo "127.0.0.$1"; }
gw_of() { echo "127.0.0.$1:$((5100 + $1))"; }
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
        echo "nodes = ("
        for ((i = 1; i <= IT_N; i++)); do
            sep=","; [ "$i" -eq "$IT_N" ] && sep=""
            echo "  { id = $i; host = \"127.0.0.$i\"; gateway_port = $((5100 + i));" \
                "acceptor_port = $((7000 + i)); proposer_port = $((7100 + i));" \
                "learner_port = $((7200 + i)); }$sep"
        done
        echo ");"
    } >"$file"
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
    it_write_config "$IT_CFG" 41
    trap it_cleanup EXIT
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
    PAXOS_BIN=$BIN "$IT_ROOT/scripts/start-node.sh" "$1" --config "$IT_CFG" >/dev/null
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
        ${body:+-d "$body"} "$@" "http://$(gw_of "$node")$path" 2>/dev/null) || true
    HTTP_CODE=${out##*$'\n'}
    HTTP_BODY=${out%$'\n'*}
    [ -n "$HTTP_CODE" ] || HTTP_CODE=000
}

it_append() { it_http POST "$1" "/append" "{\"value\":$2}" "${@:3}"; }

# it_leader: the leader some gateway names (empty if none).
it_leader() {
    local i l
    for ((i = 1; i <= IT_N; i++)); do
        l=$(curl -s -m 1 "http://$(gw_of "$i")/status" 2>/dev/null |
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
