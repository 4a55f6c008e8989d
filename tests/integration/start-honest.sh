#!/usr/bin/env bash
# An honest start-up: `paxos-node --daemon`, start-node.sh and
# start-cluster.sh succeed only when every role bound its sockets and said it
# is ready and the gateway that answers is ours; otherwise they fail with the
# role's own error and leave nothing running.
#   1. a port of ours held by another cluster's role: start fails, says
#      "Address in use", nothing of ours is left;
#   2. another cluster's gateway on our gateway port: the same;
#   3. the identity check refuses a gateway that is not ours, accepts ours;
#   4. start-cluster.sh with one node unable to start stops the nodes it
#      started in that run, and does not touch nodes that were already up;
#   5. a private key others can read is refused with a clear error.
source "$(dirname "$0")/lib.sh"
it_begin start-honest
source "$IT_ROOT/scripts/lib.sh" # check_gateway_is_ours, stop_node_dir
BIN=${PAXOS_BIN:-$IT_ROOT/bin}
CONFIG=$IT_CFG

# node_procs N: processes still running from node N's data dir.
node_procs() { { pgrep -f "paxos-.* --config $IT_CFG --node $1\$" || true; } | wc -l; }

# A foreign cluster (id 99, its own data dir, same ports as ours).
foreign=$IT_DIR/foreign/cluster.cfg
mkdir -p "$IT_DIR/foreign"
it_write_config "$foreign" 99 "$IT_DIR/foreign/data"
PAXOS_BIN=$BIN "$IT_ROOT/scripts/make-certs.sh" --config "$foreign" >/dev/null

# --- 1. our acceptor port is taken by the foreign cluster's acceptor
"$BIN/paxos-acceptor" --config "$foreign" --node 1 >"$IT_DIR/foreign-acc.log" 2>&1 &
fpid=$!
IT_EXTRA_PIDS+=("$fpid")
it_wait_log "$IT_DIR/foreign-acc.log" "ready" 10 || note "foreign acceptor: $(tail -n 2 "$IT_DIR/foreign-acc.log")"
t0=$(now_ms)
if it_start_node 1 2>"$IT_DIR/start1.err"; then
    fail start-port-in-use "start-node.sh 1 succeeded with its acceptor port taken"
else
    pass start-port-in-use
fi
note "failed in $(($(now_ms) - t0)) ms: $(head -n 1 "$IT_DIR/start1.err" | cut -c1-220)"
grep -q "acceptor exited with code 1 before it was ready: .*Address in use" "$IT_DIR/start1.err" &&
    pass start-port-in-use-says-why || fail start-port-in-use-says-why "$(head -c 300 "$IT_DIR/start1.err")"
sleep 0.3
[ "$(node_procs 1)" -eq 0 ] && pass start-port-in-use-nothing-left ||
    fail start-port-in-use-nothing-left "$(node_procs 1) processes of node 1 still running"
[ ! -s "$(node_dir 1)/pids/node.pid" ] && pass start-port-in-use-no-pidfile ||
    fail start-port-in-use-no-pidfile "node.pid left behind"
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null

# --- 2. another cluster's gateway on our gateway port
"$BIN/paxos-gateway" --config "$foreign" --node 1 >"$IT_DIR/foreign-gw.log" 2>&1 &
fpid=$!
IT_EXTRA_PIDS+=("$fpid")
it_wait_log "$IT_DIR/foreign-gw.log" "listening on" 10 || note "foreign gateway: $(tail -n 2 "$IT_DIR/foreign-gw.log")"
if it_start_node 1 2>"$IT_DIR/start1b.err"; then
    fail start-foreign-gateway "start-node.sh 1 succeeded while another cluster's gateway holds its port"
else
    pass start-foreign-gateway
fi
note "$(head -n 1 "$IT_DIR/start1b.err" | cut -c1-220)"
grep -q "gateway exited with code 1 before it was ready" "$IT_DIR/start1b.err" &&
    pass start-foreign-gateway-says-why || fail start-foreign-gateway-says-why "$(head -c 300 "$IT_DIR/start1b.err")"
sleep 0.3
[ "$(node_procs 1)" -eq 0 ] && pass start-foreign-gateway-nothing-left ||
    fail start-foreign-gateway-nothing-left "$(node_procs 1) processes of node 1 still running"

# --- 3. the identity check itself: the foreign gateway is not ours
mkdir -p "$IT_DIR/fake/pids"
echo "$fpid" >"$IT_DIR/fake/pids/gateway.pid"
if out=$(check_gateway_is_ours 1 "$(host_of 1)" "$(port_gw 1)" "$IT_DIR/fake" 2>&1); then
    fail start-identity-foreign "another cluster's gateway passed the identity check"
else
    pass start-identity-foreign
    note "$out"
fi
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null

# --- 4. a whole cluster: nodes 1 and 2 start, node 3 cannot (its learner
# port is taken): the run fails and stops nodes 1 and 2 again.
"$BIN/paxos-learner" --config "$foreign" --node 3 >"$IT_DIR/foreign-l3.log" 2>&1 &
fpid=$!
IT_EXTRA_PIDS+=("$fpid")
it_wait_log "$IT_DIR/foreign-l3.log" "ready" 10 || true
if PAXOS_BIN=$BIN "$IT_ROOT/scripts/start-cluster.sh" --config "$IT_CFG" >"$IT_DIR/sc.out" 2>"$IT_DIR/sc.err"; then
    fail start-cluster-undo "start-cluster.sh succeeded with node 3's learner port taken"
else
    pass start-cluster-fails
fi
sleep 0.3
left=$(($(node_procs 1) + $(node_procs 2) + $(node_procs 3)))
[ "$left" -eq 0 ] && pass start-cluster-undo || fail start-cluster-undo "$left processes left: $(cat "$IT_DIR/sc.err")"
grep -q "stopping the nodes this run started" "$IT_DIR/sc.err" && pass start-cluster-says-undo ||
    fail start-cluster-says-undo "$(cat "$IT_DIR/sc.err")"
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null

# Now it starts; the identity check accepts our own gateway; starting node 1
# again fails ("already running") without stopping it.
it_start_cluster
pass start-cluster-ok
check_gateway_is_ours 1 "$(host_of 1)" "$(port_gw 1)" "$(node_dir 1)" && pass start-identity-ours ||
    fail start-identity-ours "our own gateway failed the identity check"
pid1=$(it_role_pid 1 node)
if it_start_node 1 2>"$IT_DIR/again.err"; then fail start-twice "a second start of node 1 succeeded"; else pass start-twice; fi
kill -0 "$pid1" 2>/dev/null && pass start-twice-keeps-running || fail start-twice-keeps-running "node 1 was stopped"
it_append 1 7
[ "$HTTP_CODE" = 200 ] && pass start-serves || fail start-serves "$HTTP_CODE $HTTP_BODY"

# --- 5. a private key readable by others is refused
it_stop_node 2
chmod 644 "$IT_DIR/certs/node2.key"
if it_start_node 2 2>"$IT_DIR/key.err"; then
    fail start-key-mode "node 2 started with a world-readable key"
else
    grep -q "tls_key .*node2.key is readable by .*chmod 600" "$IT_DIR/key.err" && pass start-key-mode ||
        fail start-key-mode "no clear error: $(head -c 300 "$IT_DIR/key.err")"
fi
note "$(grep -o 'tls_key.*' "$IT_DIR/key.err" | head -n 1 | cut -c1-200)"
chmod 600 "$IT_DIR/certs/node2.key"
it_start_node 2 && pass start-key-fixed || fail start-key-fixed "node 2 did not start after chmod 600"
