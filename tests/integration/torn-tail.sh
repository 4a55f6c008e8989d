#!/usr/bin/env bash
# A torn tail (acceptor.log truncated mid-record while the node is down):
# the node starts, its acceptor log says at WARN which record was dropped
# (type, slot, ballot), and the node catches up.
source "$(dirname "$0")/lib.sh"
it_begin torn-tail
it_start_cluster
for v in $(seq 1 10); do it_append 1 "$v"; done

it_stop_node 2
log=$(node_dir 2)/acceptor.log
size=$(stat -c %s "$log")
# The log ends with the last batch's 12-byte commit marker, after the ACCEPT
# of the last append: cut the marker and one byte of that ACCEPT, whose
# header stays readable.
truncate -s $((size - 13)) "$log"
note "cut acceptor.log of node 2 from $size to $((size - 13)) bytes"
it_start_node 2

alog=$(node_dir 2)/logs/acceptor.log
want='WARN .*acceptor\.log: dropped torn tail at offset [0-9]+: ACCEPT slot [0-9]+ ballot \([0-9]+,[0-9]+\); 1 record,'
if it_wait_log "$alog" "$want" 10; then
    pass torn-tail-logged
    note "$(grep 'dropped torn tail' "$alog" | tail -n 1)"
else
    fail torn-tail-logged "no WARN 'dropped torn tail ... ACCEPT slot S ballot (R,N)' in node 2's acceptor.log: $(grep 'torn' "$alog" | tail -n 1)"
fi
sleep 1
p=$(it_role_pid 2 acceptor)
[ -n "$p" ] && kill -0 "$p" 2>/dev/null && pass torn-tail-acceptor-runs ||
    fail torn-tail-acceptor-runs "acceptor of node 2 is not running"
it_append 2 11
[ "$HTTP_CODE" = 200 ] && [ "$(it_list 2 | tr '\n' ,)" = "$(seq 1 11 | tr '\n' ,)" ] &&
    pass torn-tail-serves || fail torn-tail-serves "node 2 after restart: $HTTP_CODE $HTTP_BODY"
