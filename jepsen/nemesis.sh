#!/usr/bin/env bash
# jepsen/nemesis.sh ACTION KIND -- starts or stops one fault.  Called by
# paxos-jepsen-client inside the test's network namespace; prints one line
# describing what it did (it goes into the history).
#
#   ACTION: start | stop
#   KIND:   partition         random halves (a majority and a minority)
#           partition-leader  the current leader alone against the rest
#           partition-ring    every node sees a majority, no two the same one
#           bridge            two halves joined only through one node
#           kill              kill -9 one node, a minority, a majority or all
#                             (supervisor and roles); stop restarts them
#           pause             SIGSTOP a random node's processes; stop: SIGCONT
#           all               (stop only) heal everything
#
# Environment (set by jepsen/run): PX_NODES "id:host:port ..." ,
# PX_CONFIG, PX_DATA (the cluster's data_dir), PX_STATE (a directory for what is cut, killed, paused),
# PX_ROOT (the repository), PX_BIN (binaries), PX_SEED.
#
# Partitions are iptables rules in the namespace's own filter table, in a
# chain of our own, matching source AND destination address: every node
# lives on lo at 127.0.0.N, so cutting by source alone would also cut the
# node from itself and from the client (which uses its own address).
set -uo pipefail

ACTION=${1:?action}
KIND=${2:?kind}
CHAIN=PAXOS-NEMESIS
read -r -a NODES <<<"$PX_NODES"
N=${#NODES[@]}
RANDOM=$(( (${PX_SEED:-1} + $(date +%N | sed 's/^0*//;s/^$/0/')) % 32768 ))

host_of() { local e; for e in "${NODES[@]}"; do [ "${e%%:*}" = "$1" ] && { e=${e#*:}; echo "${e%%:*}"; return; }; done; }
port_of() { local e; for e in "${NODES[@]}"; do [ "${e%%:*}" = "$1" ] && { echo "${e##*:}"; return; }; done; }
ids() { local e; for e in "${NODES[@]}"; do echo "${e%%:*}"; done; }
shuffled() { ids | awk -v seed="$RANDOM" 'BEGIN{srand(seed)} {print rand() "\t" $0}' | sort | cut -f2; }

# A nemesis that silently does nothing would make every run look good:
# any failure prints "error: ..." and exits 1, and jepsen/run fails the run.
fail() {
    echo "error: $*"
    exit 1
}

ensure_chain() {
    iptables -w -N "$CHAIN" 2>/dev/null || iptables -w -L "$CHAIN" >/dev/null 2>&1 ||
        fail "cannot create iptables chain $CHAIN"
    iptables -w -C INPUT -j "$CHAIN" 2>/dev/null || iptables -w -I INPUT -j "$CHAIN" ||
        fail "cannot hook $CHAIN into INPUT"
}

# cut_link A B: drop traffic between node A and node B, both ways.
cut_link() {
    local a b
    a=$(host_of "$1"); b=$(host_of "$2")
    [ -n "$a" ] && [ -n "$b" ] || fail "unknown node in cut $1-$2"
    iptables -w -A "$CHAIN" -s "$a" -d "$b" -j DROP || fail "iptables refused $a -> $b"
    iptables -w -A "$CHAIN" -s "$b" -d "$a" -j DROP || fail "iptables refused $b -> $a"
    echo "$1-$2" >>"$PX_STATE/cuts"
}

# cut_groups "1 2" "3 4 5": every node of one group from every node of the other.
cut_groups() {
    local a b
    for a in $1; do for b in $2; do cut_link "$a" "$b"; done; done
}

heal() {
    iptables -w -F "$CHAIN" 2>/dev/null || true
    local cuts=""
    [ -f "$PX_STATE/cuts" ] && cuts=$(tr '\n' ' ' <"$PX_STATE/cuts")
    rm -f "$PX_STATE/cuts"
    echo "healed ${cuts:-nothing}"
}

leader() {
    local id out l
    for id in $(ids); do
        out=$(curl -s -m 1 "http://$(host_of "$id"):$(port_of "$id")/status" 2>/dev/null) || continue
        l=$(sed -n 's/.*"leader": *\([0-9][0-9]*\).*/\1/p' <<<"$out")
        if [ -n "$l" ] && [ "$l" != 0 ]; then echo "$l"; return; fi
    done
    shuffled | head -n 1
}

# The supervisor first, so it cannot restart a child it sees die.
node_pids() {
    local dir=$PX_DATA/node$1
    cat "$dir/pids/node.pid" 2>/dev/null
    ls "$dir"/pids/*.pid 2>/dev/null | grep -v '/node.pid$' | xargs -r cat 2>/dev/null
}

start_partition() {
    local order half
    mapfile -t order < <(shuffled)
    half=$((N / 2))
    cut_groups "${order[*]:0:$half}" "${order[*]:$half}"
    echo "partitioned [${order[*]:0:$half}] from [${order[*]:$half}]"
}

start_partition_leader() {
    local l others
    l=$(leader)
    others=$(ids | grep -vx "$l" | tr '\n' ' ')
    cut_groups "$l" "$others"
    echo "isolated leader $l from [${others% }]"
}

start_ring() {
    local order i j d
    mapfile -t order < <(shuffled)
    # Node i keeps the links to the k nearest nodes on each side along the
    # ring order, where 2k+1 is the smallest odd count holding a majority,
    # and loses the rest.  With 3 nodes that is every link, so one goes.
    local k=$(((N / 2 + 1) / 2))
    if [ "$N" -eq 3 ]; then
        cut_link "${order[0]}" "${order[1]}"
    else
        for ((i = 0; i < N; i++)); do
            for ((j = i + 1; j < N; j++)); do
                d=$((j - i)); [ $((N - d)) -lt "$d" ] && d=$((N - d))
                [ "$d" -gt "$k" ] && cut_link "${order[$i]}" "${order[$j]}"
            done
        done
    fi
    echo "ring over [${order[*]}], cut $(tr '\n' ' ' <"$PX_STATE/cuts")"
}

start_bridge() {
    local order half
    mapfile -t order < <(shuffled)
    half=$((N / 2))
    cut_groups "${order[*]:0:$half}" "${order[*]:$((half + 1))}"
    echo "bridge ${order[$half]} between [${order[*]:0:$half}] and [${order[*]:$((half + 1))}]"
}

# Like Jepsen's kill nemesis, the victims are one node, a minority, a
# majority or all of them: losing a majority at once is what exposes an
# acceptor that acknowledged votes it had not made durable.
start_kill() {
    local order k victims=() id
    mapfile -t order < <(shuffled)
    case $((RANDOM % 4)) in
        0) k=1 ;;
        1) k=$(((N - 1) / 2)); [ "$k" -lt 1 ] && k=1 ;;
        2) k=$((N / 2 + 1)) ;;
        3) k=$N ;;
    esac
    local pids=()
    for id in "${order[@]:0:$k}"; do
        [ -n "$(node_pids "$id")" ] || fail "no pid files for node $id"
        mapfile -t -O "${#pids[@]}" pids < <(node_pids "$id")
        victims+=("$id")
        echo "$id" >>"$PX_STATE/killed"
    done
    # One kill(1) for every victim: the nodes die within microseconds of one
    # another, as in a power cut, not one fork+exec apart.
    kill -9 "${pids[@]}" 2>/dev/null
    echo "killed nodes [${victims[*]}]"
}

stop_kill() {
    local id started=()
    [ -f "$PX_STATE/killed" ] || { echo "nothing to restart"; return; }
    for id in $(sort -u "$PX_STATE/killed"); do
        # Anything of the node still alive (a role the kill raced with) goes first.
        # shellcheck disable=SC2046
        kill -9 $(node_pids "$id") 2>/dev/null
        PAXOS_BIN="$PX_BIN" "$PX_ROOT/scripts/start-node.sh" "$id" --config "$PX_CONFIG" >/dev/null 2>&1
        started+=("$id")
    done
    rm -f "$PX_STATE/killed"
    echo "restarted nodes [${started[*]}]"
}

start_pause() {
    local id
    id=$(shuffled | head -n 1)
    [ -n "$(node_pids "$id")" ] || fail "no pid files for node $id"
    # shellcheck disable=SC2046
    kill -STOP $(node_pids "$id") 2>/dev/null
    echo "$id" >>"$PX_STATE/paused"
    echo "paused node $id"
}

stop_pause() {
    local id resumed=()
    [ -f "$PX_STATE/paused" ] || { echo "nothing paused"; return; }
    for id in $(sort -u "$PX_STATE/paused"); do
        # shellcheck disable=SC2046
        kill -CONT $(node_pids "$id") 2>/dev/null
        resumed+=("$id")
    done
    rm -f "$PX_STATE/paused"
    echo "resumed node ${resumed[*]}"
}

ensure_chain
case "$ACTION:$KIND" in
    start:partition) start_partition ;;
    start:partition-leader) start_partition_leader ;;
    start:partition-ring) start_ring ;;
    start:bridge) start_bridge ;;
    start:kill) start_kill ;;
    start:pause) start_pause ;;
    stop:partition | stop:partition-leader | stop:partition-ring | stop:bridge) heal ;;
    stop:kill) stop_kill ;;
    stop:pause) stop_pause ;;
    stop:all) echo "$(heal); $(stop_pause); $(stop_kill)" ;;
    *) echo "unknown nemesis $ACTION $KIND" >&2; exit 2 ;;
esac
