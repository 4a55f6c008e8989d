#!/usr/bin/env bash
# A torn tail (acceptor.log truncated mid-record while the node is down):
# the node starts, its acceptor log says the tail was truncated, and the
# node catches up.
source "$(dirname "$0")/lib.sh"
it_begin torn-tail
it_start_cluster
for v in $(seq 1 10); do it_append 1 "$v"; done

it_stop_node 2
log=$(node_dir 2)/acceptor.log
size=$(stat -c %s "$log")
truncate -s $((size - 5)) "$log"
note "cut acceptor.log of node 2 from $size to $((size - 5)) bytes"
it_start_node 2

if it_wait_log "$(node_dir 2)/logs/acceptor.log" 'truncated torn tail' 10; then
    pass torn-tail-logged
    note "$(grep 'truncated torn tail' "$(node_dir 2)/logs/acceptor.log" | tail -n 1)"
else
    fail torn-tail-logged "no 'truncated torn tail' line in node 2's acceptor.log"
fi
sleep 1
p=$(it_role_pid 2 acceptor)
[ -n "$p" ] && kill -0 "$p" 2>/dev/null && pass torn-tail-acceptor-runs ||
    fail torn-tail-acceptor-runs "acceptor of node 2 is not running"
it_append 2 11
[ "$HTTP_CODE" = 200 ] && [ "$(it_list 2 | tr '\n' ,)" = "$(seq 1 11 | tr '\n' ,)" ] &&
    pass torn-tail-serves || fail torn-tail-serves "node 2 after restart: $HTTP_CODE $HTTP_BODY"
