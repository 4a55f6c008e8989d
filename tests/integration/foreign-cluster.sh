#!/usr/bin/env bash
# A peer with another cluster id (a proposer started from a config with
# cluster_id 99 pointing at this cluster's acceptors) is rejected: the
# acceptors log "rejected frame from <addr>: ... cluster ..." and count it,
# and the cluster keeps serving.  (Its config sits beside ours, so it has a
# certificate of our CA and passes TLS: the cluster id is what refuses it.)
source "$(dirname "$0")/lib.sh"
it_begin foreign-cluster
it_start_cluster

foreign=$IT_DIR/foreign.cfg
it_write_config "$foreign" 99 "$IT_DIR/foreign-data"
# its own node 3 listens on ports of its own; nodes 1 and 2 are ours
sed -i "s/acceptor_port = $(port_acc 3); proposer_port = $(port_prop 3); learner_port = $(port_learn 3);/acceptor_port = $((IT_PORT_BASE + 43)); proposer_port = $((IT_PORT_BASE + 53)); learner_port = $((IT_PORT_BASE + 63));/" "$foreign"
grep -q "proposer_port = $((IT_PORT_BASE + 53))" "$foreign" || { fail foreign-cluster "could not rewrite the foreign config"; exit 1; }
"$BIN/paxos-proposer" --config "$foreign" --node 3 >"$IT_DIR/foreign.log" 2>&1 &
IT_EXTRA_PIDS+=($!)

alog=$(node_dir 1)/logs/acceptor.log
if it_wait_log "$alog" 'rejected frame from 127\.0\.0\.3:[0-9]+: .*cluster' 10; then
    pass foreign-cluster-logged
    note "$(grep -m1 'rejected frame from' "$alog")"
else
    fail foreign-cluster-logged "node 1's acceptor did not log the foreign frames: $(tail -n 2 "$alog")"
fi
n=$(curl -s -m 2 "http://$(gw_of 1)/roles/acceptor" | jq -r '.. | .rejected_frames?.total? // empty' | head -n 1)
[ "${n:-0}" -gt 0 ] && pass foreign-cluster-counted || fail foreign-cluster-counted "rejected_frames = '${n}'"
it_append 2 5
[ "$HTTP_CODE" = 200 ] && pass foreign-cluster-serves || fail foreign-cluster-serves "$HTTP_CODE $HTTP_BODY"
