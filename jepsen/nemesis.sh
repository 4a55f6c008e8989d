#!/usr/bin/env bash
# jepsen/nemesis.sh ACTION KIND -- starts or stops one fault.  Called by
# paxos-jepsen-client inside the test's network namespace; prints one line
# describing what it did (it goes into the history).
#
#   ACTION: start | stop
#   KIND:   partition         random halves (a majority and a minority)
#           partition-leader  the current leader alone against the rest
#                             (half the heals are a comeback: the others'
#                             proposers and its learner held until it leads
#                             again, at most 4 s)
#           partition-ring    every node sees a majority, no two the same one
#           bridge            two halves joined only through one node
#           kill              kill -9 one node, a minority, a majority or all
#                             (supervisor and roles), or all in a power cut
#                             that lands in the acceptors' fsync window;
#                             stop restarts them
#           pause             SIGSTOP a random node's processes; stop: SIGCONT
#           partition-oneway  one-way cuts: a node that can send but not receive,
#                             one that can receive but not send, or Jepsen's
#                             majorities ring made of one-way cuts
#           partition-oneway-ring  that ring only
#           dup               send faults in every role: frames duplicated,
#                             delayed (up to 30 ms), reordered, dropped;
#                             half the time one node is also cut off
#           failpoint         crash or stall roles at protocol boundaries
#                             (common/faults.h), aimed at the leader and at
#                             acceptors during an election the nemesis provokes
#           learner-loss      kill a learner and delete its learner.snap;
#                             stop restarts it, empty
#           election-storm    isolate or pause each new leader soon after it
#                             wins, again and again
#           list-lag          a gateway's list copy left behind: a node's
#                             learner drops every request for list elements
#                             and its gateway restarts with an empty copy;
#                             results still come, the list they need not;
#                             stop lets the requests through
#           power-cut         the kill nemesis's power cut, every round:
#                             every acceptor crashes at its next fsync (its
#                             last batch lost), then every node is killed
#           forge             frames from a buggy peer: a CHOSEN without a
#                             quorum of acks, some slots ahead of a learner,
#                             with a value nobody appended (paxos-forge over
#                             mutual TLS with a member's certificate); every
#                             learner must refuse them
#           all               (stop only) heal and undo everything
#
# Environment (set by jepsen/run): PX_NODES "id:host:port ..." ,
# PX_CONFIG, PX_DATA (the cluster's data_dir), PX_STATE (a directory for what is cut, killed, paused),
# PX_ROOT (the repository), PX_BIN (binaries), PX_SEED, PX_NET_FAULTS (the
# dup nemesis's settings, paxos-fault's `net` syntax), PX_NODE_NS
# ("id:namespace ...", --topology netns-per-node: each node's own
# namespace; unset, every node shares the one the nemesis runs in).
#
# Partitions are iptables rules in a chain of our own in the INPUT of the
# receiving node's namespace, matching source AND destination address: in
# the shared namespace every node lives on lo at 127.0.0.N, so cutting by
# source alone would also cut the node from itself and from the client
# (which uses its own address).  With a namespace per node the same rule
# sits in the receiver's own firewall, as on a real host.
set -uo pipefail

ACTION=${1:?action}
KIND=${2:?kind}
CHAIN=PAXOS-NEMESIS
read -r -a NODES <<<"$PX_NODES"
read -r -a NODE_NS <<<"${PX_NODE_NS:-}"
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

ns_of() { local e; for e in "${NODE_NS[@]}"; do [ "${e%%:*}" = "$1" ] && { echo "${e#*:}"; return; }; done; }

# in_node ID CMD...: CMD where node ID lives (its own namespace, or here).
in_node() {
    local id=$1 ns
    shift
    [ ${#NODE_NS[@]} -eq 0 ] && { "$@"; return; }
    ns=$(ns_of "$id")
    [ -n "$ns" ] || { echo "no namespace for node $id" >&2; return 1; }
    ip netns exec "$ns" "$@"
}

# The namespaces that hold rules: one id per namespace.
rule_homes() { if [ ${#NODE_NS[@]} -eq 0 ]; then ids | head -n 1; else ids; fi; }

ensure_chain() {
    local id
    for id in $(rule_homes); do
        in_node "$id" iptables -w -N "$CHAIN" 2>/dev/null || in_node "$id" iptables -w -L "$CHAIN" >/dev/null 2>&1 ||
            fail "cannot create iptables chain $CHAIN (node $id)"
        in_node "$id" iptables -w -C INPUT -j "$CHAIN" 2>/dev/null || in_node "$id" iptables -w -I INPUT -j "$CHAIN" ||
            fail "cannot hook $CHAIN into INPUT (node $id)"
    done
}

# flush_cuts: every cut gone, in every namespace.
flush_cuts() {
    local id
    for id in $(rule_homes); do in_node "$id" iptables -w -F "$CHAIN" 2>/dev/null; done
    return 0
}

# drop_at A B: node B's firewall drops what node A sends it.
drop_at() {
    local a b
    a=$(host_of "$1"); b=$(host_of "$2")
    [ -n "$a" ] && [ -n "$b" ] || fail "unknown node in cut $1>$2"
    in_node "$2" iptables -w -A "$CHAIN" -s "$a" -d "$b" -j DROP || fail "iptables refused $a -> $b"
}

# cut_link A B: drop traffic between node A and node B, both ways.
cut_link() {
    drop_at "$1" "$2"
    drop_at "$2" "$1"
    echo "$1-$2" >>"$PX_STATE/cuts"
}

# cut_oneway A B: drop what node A sends to node B (B can still reach A).
cut_oneway() {
    drop_at "$1" "$2"
    echo "$1>$2" >>"$PX_STATE/cuts"
}

# cut_groups "1 2" "3 4 5": every node of one group from every node of the other.
cut_groups() {
    local a b
    for a in $1; do for b in $2; do cut_link "$a" "$b"; done; done
}

# cut_packets: the packets the cuts in force have stopped, over every
# namespace (a cut that stops nothing is not a partition at all).
cut_packets() {
    local id
    for id in $(rule_homes); do in_node "$id" iptables -w -L "$CHAIN" -n -v -x 2>/dev/null; done |
        awk '$3 == "DROP" { s += $1 } END { print s + 0 }'
}

heal() {
    local stopped
    stopped=$(cut_packets)
    flush_cuts
    local cuts=""
    [ -f "$PX_STATE/cuts" ] && cuts=$(tr '\n' ' ' <"$PX_STATE/cuts")
    rm -f "$PX_STATE/cuts"
    echo "healed ${cuts:-nothing} (packets the cuts stopped: $stopped)"
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
    # with its round before the cut: a comeback waits for a higher one
    local r0="" _try
    for _try in 1 2 3; do
        r0=$(proposer_view "$l" | cut -d' ' -f2)
        [ -n "$r0" ] && break
    done
    cut_groups "$l" "$others"
    echo "$l $r0" >"$PX_STATE/isolated_leader"
    echo "isolated leader $l from [${others% }]"
}

# Half the heals of an isolated leader are a comeback: the other nodes'
# proposers are held (SIGSTOP) across the heal until the old leader -- which
# has not learned what the majority chose without it -- has won an election
# again (at most 4 s: after a cut its connections take a redial, and it
# first learns from rejections that it was deposed).  Its own learner is
# held too: it would otherwise fetch from its peers within milliseconds
# what it missed, and the proposer's phase 1 starts where every learner
# has applied.  Its phase 1 then reads slots where its own acceptor holds
# its votes (nobody else heard them) and the majority's acceptors hold
# other values of a higher ballot: which one it re-proposes is the heart of
# Paxos (the mutant proposer_lowest_vballot takes the lower).  A slot is
# read so only while the majority has not trimmed it: with --snapshot-every
# 16 it has; with the default 4096 it often has not.
stop_partition_leader() {
    local l pid healed r0 r1 st r t0 ms won="did not lead again"
    l="" r0=""
    [ -f "$PX_STATE/isolated_leader" ] && read -r l r0 <"$PX_STATE/isolated_leader"
    rm -f "$PX_STATE/isolated_leader"
    if [ -z "$l" ] || [ $((RANDOM % 2)) -eq 0 ]; then heal; return; fi
    read -r _ r1 < <(proposer_view "$l")
    [ "${r1:-0}" -gt "${r0:-0}" ] && r0=$r1
    if [ -z "$r0" ]; then echo "$(heal); no comeback: node $l's round unknown"; return; fi
    for pid in $(ids | grep -vx "$l" | sed "s|.*|$PX_DATA/node&/pids/proposer.pid|") \
               "$PX_DATA/node$l/pids/learner.pid"; do
        pid=$(cat "$pid" 2>/dev/null) || continue
        kill -STOP "$pid" 2>/dev/null && echo "$pid" >>"$PX_STATE/held"
    done
    healed=$(heal)
    t0=$(date +%s%3N)
    while ms=$(($(date +%s%3N) - t0)); [ "$ms" -lt 4000 ]; do
        read -r st r < <(proposer_view "$l")
        if [ "$st" = leader ] && [ "${r:-0}" -gt "${r0:-0}" ]; then won="leads again in round $r"; break; fi
        sleep 0.05
    done
    release_held
    echo "$healed; comeback: the other proposers and node $l's learner held $ms ms, node $l $won"
}

# "STATE ROUND" of node id's proposer (its gateway's /roles/proposer), or
# nothing if it did not answer within 2 s.
proposer_view() {
    curl -s -m 2 "http://$(host_of "$1"):$(port_of "$1")/roles/proposer" 2>/dev/null |
        sed -n 's/.*"state": *"\([a-z]*\)", *"ballot": *{ *"round": *\([0-9]*\).*/\1 \2/p'
}

# Resumes the processes a comeback held (also when a run stops mid-way).
release_held() {
    [ -f "$PX_STATE/held" ] || return 0
    # shellcheck disable=SC2046
    kill -CONT $(cat "$PX_STATE/held") 2>/dev/null
    rm -f "$PX_STATE/held"
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
# A power cut at the worst moment: every acceptor crashes at its next
# fsync (failpoint acceptor-before-sync: its last batch is written but not
# synced, so it is lost), then every node is killed.  A kill at a random
# instant rarely lands in the few milliseconds a batch waits for its fsync;
# this one always does.  A correct acceptor never answered for that batch;
# one that answers early (or skips an fsync) loses votes a leader counted.
# Sets CUT to what happened.
power_cut() {
    local id base fired t
    base=$(failpoints_fired | grep -c '^acceptor-before-sync crash')
    for id in $(ids); do fault --node "$id" acceptor failpoint acceptor-before-sync crash >/dev/null 2>&1; done
    # until every acceptor fired (they do at their next batch), at most 2 s
    for ((t = 0; t < 40; t++)); do
        fired=$(($(failpoints_fired | grep -c '^acceptor-before-sync crash') - base))
        [ "$fired" -ge "$N" ] && break
        sleep 0.05
    done
    CUT=" in a power cut (acceptor-before-sync crash fired on $fired of $N acceptors first)"
}

# start_kill [power]: power, every round a power cut (the power-cut kind).
start_kill() {
    local order k victims=() id draw=$((RANDOM % 5))
    CUT=""
    mapfile -t order < <(shuffled)
    [ "${1:-}" = power ] && draw=4
    case $draw in
        0) k=1 ;;
        1) k=$(((N - 1) / 2)); [ "$k" -lt 1 ] && k=1 ;;
        2) k=$((N / 2 + 1)) ;;
        3) k=$N ;;
        4) k=$N; power_cut ;;
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
    echo "killed nodes [${victims[*]}]$CUT"
}

stop_kill() {
    local id started=()
    [ -f "$PX_STATE/killed" ] || { echo "nothing to restart"; return; }
    for id in $(sort -u "$PX_STATE/killed"); do
        # Anything of the node still alive (a role the kill raced with) goes first.
        # shellcheck disable=SC2046
        kill -9 $(node_pids "$id") 2>/dev/null
        in_node "$id" env PAXOS_BIN="$PX_BIN" "$PX_ROOT/scripts/start-node.sh" "$id" --config "$PX_CONFIG" >/dev/null 2>&1
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

# ---- one-way partitions ------------------------------------------------

# Jepsen's majorities ring (jepsen.nemesis/majorities-ring): along a random
# ring, each window of m consecutive nodes (m a majority) names its middle
# node, which drops what every node outside the window sends it.  Every
# node then hears a majority, no two the same one, and each cut is one-way:
# on 3 nodes, a ring of three one-way cuts.
start_oneway_ring() {
    local order i j k m=$((N / 2 + 1)) mid inside
    mapfile -t order < <(shuffled)
    for ((i = 0; i < N; i++)); do
        mid=${order[$(((i + m / 2) % N))]}
        for ((j = 0; j < N; j++)); do
            inside=0
            for ((k = 0; k < m; k++)); do [ "$(((i + k) % N))" -eq "$j" ] && inside=1; done
            [ "$inside" -eq 0 ] && cut_oneway "${order[$j]}" "$mid"
        done
    done
    echo "one-way ring over [${order[*]}], dropped $(tr '\n' ' ' <"$PX_STATE/cuts")"
}

start_oneway() {
    local x others o
    x=$(shuffled | head -n 1)
    others=$(ids | grep -vx "$x" | tr '\n' ' ')
    case $((RANDOM % 3)) in
        0) for o in $others; do cut_oneway "$o" "$x"; done
           echo "node $x hears nobody (it can send, not receive): dropped $(tr '\n' ' ' <"$PX_STATE/cuts")" ;;
        1) for o in $others; do cut_oneway "$x" "$o"; done
           echo "node $x reaches nobody (it can receive, not send): dropped $(tr '\n' ' ' <"$PX_STATE/cuts")" ;;
        2) start_oneway_ring ;;
    esac
}

# ---- fault injection in the processes (common/faults.h) ----------------

FAULT_BIN=$PX_BIN/paxos-fault
[ -x "$FAULT_BIN" ] || FAULT_BIN=$PX_ROOT/bin/paxos-fault

# fault ARGS...: paxos-fault against the test's cluster.
fault() {
    "$FAULT_BIN" --config "$PX_CONFIG" --timeout 2000 "$@"
}

# arm NODE ROLE ARGS...: a fault command that must take; one retry, since
# the role may be restarting (a failpoint just crashed it).
arm() {
    local node=$1; shift
    fault --node "$node" "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
    fault --node "$node" "$@" >/dev/null 2>&1 || fail "paxos-fault --node $node $* did not take"
}

NET_FAULTS=${PX_NET_FAULTS:-dup=0.05 delay=0.05 delay-ms=30 reorder=0.05 drop=0.02}

start_dup() {
    local id
    touch "$PX_STATE/dup" # first: stop must undo even a start that failed half-way
    # shellcheck disable=SC2086
    for id in $(ids); do arm "$id" all net $NET_FAULTS; done
    # Half the time a node is cut off meanwhile: it campaigns alone, over
    # and over, under the same faults, so duplicated and crossed phase-1
    # answers meet an election that must fail, and its high ballot meets
    # the majority's log at the heal.
    local cut=""
    if [ "$N" -ge 3 ] && [ $((RANDOM % 2)) -eq 0 ]; then
        id=$(shuffled | head -n 1)
        cut_groups "$id" "$(ids | grep -vx "$id" | tr '\n' ' ')"
        cut="; node $id cut off from the others meanwhile"
    fi
    echo "send faults on in every role: $NET_FAULTS$cut"
}

# The frames each send fault befell since it was set, summed over roles.
stop_dup() {
    local id line dup=0 delay=0 reorder=0 drop=0 a b c d
    [ -f "$PX_STATE/dup" ] || { echo "no send faults on"; return; }
    for id in $(ids); do
        while read -r line; do
            read -r a b c d < <(sed -n 's/.*"sent":{"dup":\([0-9]*\),"delay":\([0-9]*\),"reorder":\([0-9]*\),"drop":\([0-9]*\)}.*/\1 \2 \3 \4/p' <<<"$line")
            [ -n "$d" ] || continue
            dup=$((dup + a)); delay=$((delay + b)); reorder=$((reorder + c)); drop=$((drop + d))
        done < <(fault --node "$id" all show 2>/dev/null)
        fault --node "$id" all net off >/dev/null 2>&1 # a role that restarted has them off already
    done
    rm -f "$PX_STATE/dup"
    local healed=""
    [ -f "$PX_STATE/cuts" ] && healed="; $(heal)"
    echo "send faults off: frames duplicated $dup, delayed $delay, reordered $reorder, dropped $drop$healed"
}

# Lines of every role log that say a failpoint fired.
failpoints_fired() {
    cat "$PX_DATA"/node*/logs/*.log 2>/dev/null | grep -E 'FAULT failpoint [a-z0-9-]+: (crash|stall|drop)' |
        sed -E 's/.*FAULT failpoint ([a-z0-9-]+): (crash|stall|drop).*/\1 \2/'
}

# Pauses the leader's proposer for a moment, so the others hold an
# election (where the armed failpoints wait).  Says what it did in PROVOKED.
provoke_election() {
    local l pid ms=$((900 + RANDOM % 600))
    l=$(leader)
    pid=$(cat "$PX_DATA/node$l/pids/proposer.pid" 2>/dev/null) || fail "no proposer pid for node $l"
    kill -STOP "$pid" 2>/dev/null || fail "cannot pause the proposer of node $l"
    sleep "$(awk -v m="$ms" 'BEGIN{print m / 1000}')"
    kill -CONT "$pid" 2>/dev/null
    PROVOKED="provoked an election (paused the proposer of leader $l for $ms ms)"
}

# arm_fp NODE ROLE NAME ACTION [prob=P] [count=N], remembered for stop.
arm_fp() {
    local node=$1 role=$2 name=$3; shift 3
    arm "$node" "$role" failpoint "$name" "$@"
    echo "$node $role $name" >>"$PX_STATE/failpoints"
}

start_failpoint() {
    local id l how="" a
    PROVOKED=""
    failpoints_fired | sort | uniq -c >"$PX_STATE/failpoints_base"
    l=$(leader)
    case $((RANDOM % 6)) in
        0) for id in $(ids); do arm_fp "$id" proposer proposer-won-phase1 crash; done
           provoke_election
           how="proposer-won-phase1 crash on every proposer" ;;
        1) for id in $(ids); do arm_fp "$id" acceptor acceptor-promise-durable crash; done
           provoke_election
           how="acceptor-promise-durable crash on every acceptor" ;;
        2) for id in $(ids); do arm_fp "$id" proposer proposer-state-before-rename crash; done
           provoke_election
           how="proposer-state-before-rename crash on every proposer" ;;
        3) a=$(shuffled | grep -vx "$l" | head -n 1)
           arm_fp "$l" acceptor acceptor-accept-durable crash prob=0.2
           arm_fp "$a" acceptor acceptor-before-sync crash prob=0.2
           how="acceptor-accept-durable crash on the leader's ($l) acceptor, acceptor-before-sync crash on node $a's" ;;
        4) a=$(shuffled | head -n 1)
           arm_fp "$a" learner learner-snap-before-rename crash
           arm_fp "$l" acceptor acceptor-before-sync crash prob=0.1
           how="learner-snap-before-rename crash on node $a's learner, acceptor-before-sync crash on the leader's ($l) acceptor" ;;
        5) for id in $(ids); do arm_fp "$id" proposer proposer-won-phase1 stall=800; done
           arm_fp "$l" acceptor acceptor-accept-durable stall=300 prob=0.05 count=3
           provoke_election
           how="proposer-won-phase1 stall 800 ms on every proposer, acceptor-accept-durable stall 300 ms on the leader's ($l) acceptor" ;;
    esac
    echo "armed $how${PROVOKED:+; $PROVOKED}"
}

stop_failpoint() {
    local node role name base fired
    [ -f "$PX_STATE/failpoints" ] || { echo "no failpoints armed"; return; }
    while read -r node role name; do
        # a role that crashed came back unarmed: its disarm may find it restarting
        fault --node "$node" "$role" failpoint "$name" off >/dev/null 2>&1
    done <"$PX_STATE/failpoints"
    rm -f "$PX_STATE/failpoints"
    # this window's fires: the counts now less the counts when it was armed
    fired=$(failpoints_fired | sort | uniq -c |
        awk -v basefile="$PX_STATE/failpoints_base" '
            BEGIN { while ((getline line < basefile) > 0) { split(line, f, " "); base[f[2] " " f[3]] = f[1] } }
            $1 > base[$2 " " $3] { sep = n++ ? ", " : ""; printf("%s%s %s x%d", sep, $2, $3, $1 - base[$2 " " $3]) }')
    rm -f "$PX_STATE/failpoints_base"
    echo "failpoints disarmed; fired: ${fired:-none}"
}

# ---- learner loss -------------------------------------------------------

# The learner's storage is lost: its supervisor is held (so it cannot
# restart the learner at once), the learner killed, learner.snap deleted.
# Stop lets the supervisor restart it, empty: it must catch up from its
# peers, by snapshot where the acceptors have forgotten the log.
start_learner_loss() {
    local id dir sup lp size
    id=$(shuffled | head -n 1)
    dir=$PX_DATA/node$id
    sup=$(cat "$dir/pids/node.pid" 2>/dev/null) || fail "no supervisor pid for node $id"
    lp=$(cat "$dir/pids/learner.pid" 2>/dev/null) || fail "no learner pid for node $id"
    kill -STOP "$sup" || fail "cannot stop the supervisor of node $id"
    echo "$id" >>"$PX_STATE/learner_lost"
    kill -9 "$lp" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$lp" 2>/dev/null || break; sleep 0.05; done
    size=$(stat -c %s "$dir/learner.snap" 2>/dev/null || echo 0)
    rm -f "$dir/learner.snap" "$dir/learner.snap.tmp"
    [ -e "$dir/learner.snap" ] && fail "learner.snap of node $id survived"
    echo "lost the learner of node $id: killed, learner.snap ($size bytes) deleted"
}

stop_learner_loss() {
    local id restarted=()
    [ -f "$PX_STATE/learner_lost" ] || { echo "no learner lost"; return; }
    for id in $(sort -u "$PX_STATE/learner_lost"); do
        kill -CONT "$(cat "$PX_DATA/node$id/pids/node.pid")" 2>/dev/null
        restarted+=("$id")
    done
    rm -f "$PX_STATE/learner_lost"
    echo "restarted the learner of node ${restarted[*]}, empty"
}

# ---- list lag ------------------------------------------------------------

# A gateway's copy of the list left behind its learner: node N's learner
# drops every LIST_REQ (failpoint learner-list-req, drop), then N's gateway
# is killed and its supervisor restarts it with an empty copy.  Commands
# sent through N still come back applied, with their results, but the list
# elements an answer shows never arrive: a read must wait for them and then
# answer 503, never answer with the shorter copy it holds (the mutant
# gateway_read_short).  The copy only lags like this for a moment after a
# gateway restarts or its learner installs a snapshot; the drop stretches
# that moment over the whole fault.  Stop disarms: the copy fills.
start_list_lag() {
    local id gp
    id=$(shuffled | head -n 1)
    gp=$(cat "$PX_DATA/node$id/pids/gateway.pid" 2>/dev/null) || fail "no gateway pid for node $id"
    echo "$id" >>"$PX_STATE/list_lag"
    arm "$id" learner failpoint learner-list-req drop count=0
    kill -9 "$gp" 2>/dev/null || fail "cannot kill the gateway of node $id"
    echo "list lag on node $id: its learner drops list requests, its gateway killed to restart with an empty copy"
}

stop_list_lag() {
    local id lagged=()
    [ -f "$PX_STATE/list_lag" ] || { echo "no list lag"; return; }
    for id in $(sort -u "$PX_STATE/list_lag"); do
        # (a learner restarted meanwhile came back unarmed)
        fault --node "$id" learner failpoint learner-list-req off >/dev/null 2>&1
        lagged+=("$id")
    done
    rm -f "$PX_STATE/list_lag"
    echo "list lag over on node ${lagged[*]}: list requests pass again"
}

# ---- election storm ----------------------------------------------------

# "N R" of the proposer that says it leads with the highest ballot, if any.
current_leadership() {
    local id out best="" best_round=-1 r
    for id in $(ids); do
        out=$(curl -s -m 0.5 "http://$(host_of "$id"):$(port_of "$id")/roles/proposer" 2>/dev/null) || continue
        grep -q '"state": *"leader"' <<<"$out" || continue
        r=$(sed -n 's/.*"ballot": *{ *"round": *\([0-9]*\).*/\1/p' <<<"$out")
        [ -n "$r" ] && [ "$r" -gt "$best_round" ] && { best_round=$r; best="$id $r"; }
    done
    echo "$best"
}

# Runs until killed: each new leadership (a new ballot) is disrupted soon
# after it is won, by cutting its node off or pausing it for a moment.
storm_loop() {
    local last="" now id round d
    while true; do
        now=$(current_leadership)
        if [ -n "$now" ] && [ "$now" != "$last" ]; then
            read -r id round <<<"$now"
            sleep "0.$((RANDOM % 25 + 5))"
            d=$((300 + RANDOM % 500))
            if [ $((RANDOM % 2)) -eq 0 ]; then
                cut_groups "$id" "$(ids | grep -vx "$id" | tr '\n' ' ')"
                sleep "$(awk -v m="$d" 'BEGIN{print m / 1000}')"
                flush_cuts
                rm -f "$PX_STATE/cuts"
                echo "isolated leader $id (round $round) for $d ms" >>"$PX_STATE/storm.events"
            else
                # shellcheck disable=SC2046
                kill -STOP $(node_pids "$id") 2>/dev/null
                sleep "$(awk -v m="$d" 'BEGIN{print m / 1000}')"
                # shellcheck disable=SC2046
                kill -CONT $(node_pids "$id") 2>/dev/null
                echo "paused leader $id (round $round) for $d ms" >>"$PX_STATE/storm.events"
            fi
            last=$now
        fi
        sleep 0.05
    done
}

start_storm() {
    : >"$PX_STATE/storm.events"
    setsid bash "$0" storm-loop - </dev/null >"$PX_STATE/storm.log" 2>&1 &
    echo $! >"$PX_STATE/storm.pid"
    echo "election storm: each new leader isolated or paused (300-800 ms) 50-300 ms after it wins"
}

stop_storm() {
    local pid id n
    [ -f "$PX_STATE/storm.pid" ] || { echo "no election storm"; return; }
    pid=$(cat "$PX_STATE/storm.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    rm -f "$PX_STATE/storm.pid"
    # the loop may have died in the middle of a disruption
    flush_cuts
    rm -f "$PX_STATE/cuts"
    # shellcheck disable=SC2046
    for id in $(ids); do kill -CONT $(node_pids "$id") 2>/dev/null; done
    n=$(wc -l <"$PX_STATE/storm.events" 2>/dev/null || echo 0)
    echo "election storm over: disrupted $n leaders ($(grep -c isolated "$PX_STATE/storm.events") isolated, $(grep -c paused "$PX_STATE/storm.events") paused)"
}

# ---- forged frames -----------------------------------------------------

# The value forged CHOSENs carry: no client appends it, so a list that holds
# it took a decision nobody made.
FORGED_VALUE=987654321

# "applied_upto known_chosen chosen_quorum-refusals" of node ID's learner.
learner_marks() {
    local out a k r
    out=$(curl -s -m 0.5 "http://$(host_of "$1"):$(port_of "$1")/roles/learner" 2>/dev/null) || return 1
    a=$(sed -n 's/.*"applied_upto": *\([0-9]*\).*/\1/p' <<<"$out")
    k=$(sed -n 's/.*"known_chosen": *\([0-9]*\).*/\1/p' <<<"$out")
    r=$(sed -n 's/.*"chosen_quorum": *\([0-9]*\).*/\1/p' <<<"$out")
    [ -n "$a" ] && [ -n "$k" ] || return 1
    echo "$a $k ${r:-0}"
}

# The learner port of node ID, from the cluster's config.
learner_port() {
    sed -n "s/.*{ *id = $1;.*learner_port = \([0-9]*\);.*/\1/p" "$PX_CONFIG" | head -n 1
}

# Runs until killed: every 100-300 ms, one CHOSEN to a random learner for
# a slot 50 to 1050 past what it knows chosen (a few seconds ahead under
# load: the real decision has not reached it yet, so a learner that took
# the forgery would hold it pending and drop the real one), with one ack -- no quorum -- claiming to come
# from another member, over that member's certificate.  A learner that took
# it would apply a value nobody appended in place of the slot's decision.
forge_loop() {
    local certs id from lp slot marks a k
    certs=$(dirname "$PX_CONFIG")/certs
    while true; do
        id=$(shuffled | head -n 1)
        from=$(ids | grep -vx "$id" | awk -v s="$RANDOM" 'BEGIN{srand(s)} {print rand() "\t" $0}' | sort | head -n 1 | cut -f2)
        [ -n "$from" ] || from=$id
        lp=$(learner_port "$id")
        if marks=$(learner_marks "$id") && [ -n "$lp" ]; then
            read -r a k _ <<<"$marks"
            [ "$k" -gt "$a" ] || k=$a
            slot=$((k + 50 + RANDOM % 1000))
            if "$PX_ROOT/bin/paxos-forge" "tls+tcp://$(host_of "$id"):$lp" chosen \
                --cluster "$(sed -n 's/^cluster_id *= *\([0-9]*\);.*/\1/p' "$PX_CONFIG")" \
                --from "$from" --ballot "1:$from" --acks "$((1 << from))" --slot "$slot" \
                --value "$FORGED_VALUE" --wait-ms 300 --cert "$certs/node$from.crt" \
                --key "$certs/node$from.key" --ca "$certs/ca.crt" >/dev/null 2>&1; then
                echo "$id $slot" >>"$PX_STATE/forge.events"
            fi
        fi
        sleep "0.$((RANDOM % 3 + 1))"
    done
}

# The sum of every learner's chosen_quorum refusals (learners that do not
# answer count 0: compare sums over the same answering set only).
forge_refusals() {
    local id m s=0
    for id in $(ids); do
        m=$(learner_marks "$id") || continue
        s=$((s + ${m##* }))
    done
    echo "$s"
}

start_forge() {
    : >"$PX_STATE/forge.events"
    forge_refusals >"$PX_STATE/forge.base"
    setsid bash "$0" forge-loop - </dev/null >"$PX_STATE/forge.log" 2>&1 &
    echo $! >"$PX_STATE/forge.pid"
    echo "forgery: CHOSEN frames without a quorum of acks, value $FORGED_VALUE, to the learners every 100-300 ms"
}

stop_forge() {
    local pid n base now
    [ -f "$PX_STATE/forge.pid" ] || { echo "no forgery"; return; }
    pid=$(cat "$PX_STATE/forge.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    rm -f "$PX_STATE/forge.pid"
    n=$(wc -l <"$PX_STATE/forge.events" 2>/dev/null || echo 0)
    base=$(cat "$PX_STATE/forge.base" 2>/dev/null || echo 0)
    now=$(forge_refusals)
    # (a learner restarted meanwhile starts its counts at 0: the difference
    # is then a lower bound, and only informative)
    echo "forgery over: forged $n CHOSEN frames without a quorum, learners' chosen_quorum refusals $base -> $now"
}

ensure_chain
case "$ACTION:$KIND" in
    start:partition) start_partition ;;
    start:partition-leader) start_partition_leader ;;
    start:partition-ring) start_ring ;;
    start:bridge) start_bridge ;;
    start:kill) start_kill ;;
    start:power-cut) start_kill power ;;
    start:pause) start_pause ;;
    start:partition-oneway) start_oneway ;;
    start:partition-oneway-ring) start_oneway_ring ;;
    start:dup) start_dup ;;
    start:failpoint) start_failpoint ;;
    start:learner-loss) start_learner_loss ;;
    start:election-storm) start_storm ;;
    start:forge) start_forge ;;
    start:list-lag) start_list_lag ;;
    storm-loop:-) storm_loop ;;
    forge-loop:-) forge_loop ;;
    stop:partition-leader) stop_partition_leader ;;
    stop:partition | stop:partition-ring | stop:bridge) heal ;;
    stop:partition-oneway | stop:partition-oneway-ring) heal ;;
    stop:kill | stop:power-cut) stop_kill ;;
    stop:pause) stop_pause ;;
    stop:dup) stop_dup ;;
    stop:failpoint) stop_failpoint ;;
    stop:learner-loss) stop_learner_loss ;;
    stop:election-storm) stop_storm ;;
    stop:forge) stop_forge ;;
    stop:list-lag) stop_list_lag ;;
    stop:all) release_held; echo "$(stop_storm); $(stop_forge); $(heal); $(stop_pause); $(stop_kill); $(stop_dup); $(stop_failpoint); $(stop_learner_loss); $(stop_list_lag)" ;;
    *) echo "unknown nemesis $ACTION $KIND" >&2; exit 2 ;;
esac
