#!/usr/bin/env bash
# multihost.sh -- the cluster as real hosts: every node in a network
# namespace of its own, with its own address (10.77.K.N, K the test's port
# slot) on a veth to a bridge that lives in a "switch" namespace
# (scripts/netns-hosts.sh); a client host at 10.77.K.100.  Every host gets
# the same cluster.cfg and starts its node with scripts/start-node.sh N, as
# an operator would on N machines; peers talk mutual TLS across the bridge
# with certificates naming those addresses.
#
#   1. every node serves; each host holds only its own address; every
#      node's veth carried traffic (the peers met across the bridge)
#   2. appends through every gateway
#   3. the leader cut off with iptables inside its own namespace: the other
#      two elect a leader and take appends, the cut-off gateway acknowledges
#      none; healed, it catches up
#   4. kill -9 of a whole node (supervisor and roles): the others take
#      appends; restarted, it catches up
#   5. every node answers the same list: every acknowledged value exactly
#      once, nothing that was never sent
#
# Needs root, iproute2 and iptables; everything it made (namespaces, veths,
# bridge, the root namespace's unreachable route) goes on exit, and a
# watchdog ends it after MH_DEADLINE_S (90) seconds.
source "$(dirname "$0")/lib.sh"
source "$IT_ROOT/scripts/netns-hosts.sh"

for t in ip iptables curl jq; do
    command -v "$t" >/dev/null || { echo "FAIL multihost: '$t' is missing (scripts/install-deps.sh)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL multihost: needs root (network namespaces)"; exit 1; }

# This test's subnet, from the port slot it_begin reserves (flock): no two
# tests running side by side share one.
it_host_prefix() { echo "10.77.$IT_SLOT"; }
CLIENT=100
NH=""
it_begin multihost
NH=pxmh-$IT_SLOT
PREFIX=$(it_host_prefix)

# Every curl of lib.sh (it_http, it_leader, it_wait_ready) is sent from
# the client host, never from the root namespace.
curl() { ip netns exec "$(nh_ns "$NH" "$CLIENT")" /usr/bin/env curl "$@"; }
in_host() { local id=$1; shift; ip netns exec "$(nh_ns "$NH" "$id")" "$@"; }

# A node starts inside its own host, like `scripts/start-node.sh N` on a
# machine of its own (the slot lock stays with this shell).
it_start_node() {
    in_host "$1" env PAXOS_BIN="$BIN" "$IT_ROOT/scripts/start-node.sh" "$1" --config "$IT_CFG" \
        >>"$IT_DIR/start-node$1.out" 2>&1 {IT_SLOT_FD}>&-
}

mh_cleanup() {
    local rc=$? i
    set +e
    for ((i = 1; i <= IT_N; i++)); do it_stop_node "$i" >/dev/null 2>&1; done
    [ -z "$NH" ] || nh_destroy "$NH" "$PREFIX"
    (exit "$rc")
    it_cleanup
}
trap mh_cleanup EXIT
trap 'echo "FAIL multihost: deadline or signal"; exit 1' TERM INT
# (short sleeps: killed at cleanup, it leaves no long sleep behind)
(for ((t = 0; t < ${MH_DEADLINE_S:-90} * 5; t++)); do sleep 0.2; done; kill -TERM $$) {IT_SLOT_FD}>&- >/dev/null 2>&1 &
IT_EXTRA_PIDS+=($!)

if ! nh_create "$NH" "$PREFIX" $(seq 1 "$IT_N") "$CLIENT" 2>"$IT_DIR/netns.err"; then
    fail multihost "cannot build the hosts: $(head -n 3 "$IT_DIR/netns.err")"
    exit 1
fi
if ip route get "$PREFIX.1" >/dev/null 2>&1; then
    fail multihost "the root namespace can route to $PREFIX.0/24"
    exit 1
fi
note "hosts $PREFIX.1-$IT_N, client $PREFIX.$CLIENT, switch $NH-sw"

# ---- 1. the cluster on three hosts ---------------------------------------
it_start_cluster
ok=1
for ((i = 1; i <= IT_N; i++)); do
    addrs=$(in_host "$i" ip -4 -o addr show | awk '{ print $4 }' | sort | tr '\n' ' ')
    want=$(printf '%s\n' 127.0.0.1/8 "$PREFIX.$i/24" | sort | tr '\n' ' ')
    [ "$addrs" = "$want" ] || { ok=0; fail multihost "host $i has addresses '$addrs'"; }
done
# The peers must have met across the bridge: every node's port of the
# switch carried thousands of bytes (heartbeats, TLS handshakes).
sleep 0.5
for ((i = 1; i <= IT_N; i++)); do
    rx=$(ip netns exec "$NH-sw" cat "/sys/class/net/p$i/statistics/rx_bytes")
    [ "$rx" -gt 2000 ] || { ok=0; fail multihost "node $i sent only $rx bytes through the bridge"; }
done
[ "$ok" -eq 1 ] && pass "three hosts, one address each, peers talking across the bridge"

# ---- 2. appends through every gateway -------------------------------------
ACKED=()
SENT=()
NEXT=1
# append NODE: a fresh value through NODE's gateway; remembers what was
# sent and what was acknowledged.  Returns 0 on 200.
append() {
    local v=$((NEXT++))
    SENT+=("$v")
    it_append "$1" "$v"
    [ "$HTTP_CODE" = 200 ] || return 1
    ACKED+=("$v")
}
# append_retry NODE SECONDS: until one is acknowledged (after a fault the
# survivors need an election first).
append_retry() {
    local deadline=$(($(now_ms) + $2 * 1000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        append "$1" && return 0
        sleep 0.2
    done
    return 1
}

ok=1
for ((v = 1; v <= 30; v++)); do
    n=$(((v - 1) % IT_N + 1))
    append "$n" || { ok=0; fail multihost "append $v through node $n: HTTP $HTTP_CODE $HTTP_BODY"; }
done
[ "$ok" -eq 1 ] && pass "30 appends, round robin through the 3 gateways"

# ---- 3. the leader cut off inside its own namespace -----------------------
L=$(it_leader)
[ -n "$L" ] || { fail multihost "no leader named"; exit 1; }
others=()
for ((i = 1; i <= IT_N; i++)); do [ "$i" -eq "$L" ] || others+=("$i"); done
# Its host drops every packet to and from the other nodes (the client can
# still reach it): the partition is the host's own firewall, nothing shared.
for i in "${others[@]}"; do
    in_host "$L" iptables -w -A INPUT -s "$(host_of "$i")" -j DROP
    in_host "$L" iptables -w -A OUTPUT -d "$(host_of "$i")" -j DROP
done
note "leader $L cut off from nodes ${others[*]} by its own iptables"
ok=1
for i in "${others[@]}"; do
    append_retry "$i" 15 ||
        { ok=0; fail multihost "node $i took no append within 15 s of the cut: HTTP $HTTP_CODE"; }
done
[ "$ok" -eq 1 ] && pass "the majority side elected a leader and took appends through both gateways"
# The cut-off node is a minority: nothing it is sent may be acknowledged.
cut_ok=1
for _ in 1 2; do
    IT_CURL_TIMEOUT=6 append "$L" &&
        { cut_ok=0; fail multihost "node $L acknowledged an append while cut off from the majority (a minority committed: the cut did not hold, or quorums are too small)"; }
done
[ "$cut_ok" -eq 1 ] && pass "the cut-off node $L acknowledged nothing (HTTP $HTTP_CODE)"
in_host "$L" iptables -w -F INPUT
in_host "$L" iptables -w -F OUTPUT
append_retry "$L" 15 || fail multihost "node $L took no append within 15 s of the heal: HTTP $HTTP_CODE"
append "${others[0]}" || fail multihost "append after the heal through node ${others[0]}: HTTP $HTTP_CODE"

# ---- 4. kill -9 of a whole node --------------------------------------------
K=${others[1]}
it_kill_node "$K"
note "node $K killed (-9): supervisor and every role"
ok=1
for ((i = 1; i <= IT_N; i++)); do
    [ "$i" -eq "$K" ] && continue
    append_retry "$i" 15 || { ok=0; fail multihost "node $i took no append with node $K dead: HTTP $HTTP_CODE"; }
done
[ "$ok" -eq 1 ] && pass "the two surviving hosts took appends with node $K dead"
it_start_node "$K" || { fail multihost "node $K did not restart: $(tail -n 3 "$IT_DIR/start-node$K.out")"; exit 1; }
append_retry "$K" 15 || fail multihost "restarted node $K took no append within 15 s: HTTP $HTTP_CODE"

# ---- 5. the same list everywhere --------------------------------------------
# Wait (bounded) until every node answers the same list; then check it.
deadline=$(($(now_ms) + 15000))
while :; do
    same=1
    it_list 1 >"$IT_DIR/list1" || same=0
    for ((i = 2; i <= IT_N; i++)); do
        it_list "$i" >"$IT_DIR/list$i" || same=0
        cmp -s "$IT_DIR/list1" "$IT_DIR/list$i" || same=0
    done
    [ "$same" -eq 1 ] || [ "$(now_ms)" -ge "$deadline" ] && break
    sleep 0.3
done
if [ "$same" -ne 1 ]; then
    fail multihost "the nodes' lists differ after 15 s: $(wc -l "$IT_DIR"/list* | head -n "$IT_N" | tr -s ' \n' ' ')"
else
    printf '%s\n' "${ACKED[@]}" | sort -n >"$IT_DIR/acked"
    printf '%s\n' "${SENT[@]}" | sort -n >"$IT_DIR/sent"
    sort -n "$IT_DIR/list1" >"$IT_DIR/list.sorted"
    missing=$(comm -23 "$IT_DIR/acked" "$IT_DIR/list.sorted" | tr '\n' ' ')
    dups=$(uniq -d "$IT_DIR/list.sorted" | tr '\n' ' ')
    foreign=$(comm -13 "$IT_DIR/sent" "$IT_DIR/list.sorted" | tr '\n' ' ')
    if [ -n "$missing$dups$foreign" ]; then
        fail multihost "the list is wrong: acknowledged but missing [${missing}], twice [${dups}], never sent [${foreign}]"
    else
        pass "all $IT_N nodes hold the same list of $(wc -l <"$IT_DIR/list1") values: all ${#ACKED[@]} acknowledged ones, once each"
    fi
fi
[ "$IT_FAILED" -eq 0 ] && note "done"
