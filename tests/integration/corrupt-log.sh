#!/usr/bin/env bash
# A flipped byte in an early record of acceptor.log: the acceptor refuses to
# start, its log names the file and the offset, the supervisor logs the exit
# (and backs off), and the other nodes keep serving.
source "$(dirname "$0")/lib.sh"
it_begin corrupt-log
it_start_cluster
for v in $(seq 1 10); do it_append 1 "$v"; done

it_stop_node 3
log=$(node_dir 3)/acceptor.log
# The file header is 20 bytes: offset 22 is inside the first record's header
# (its checksum), with durable records and commit markers after it.
b=$(od -An -tu1 -j22 -N1 "$log" | tr -d ' ')
printf "$(printf '\\%03o' $((b ^ 0xff)))" | dd of="$log" bs=1 seek=22 conv=notrunc status=none
note "flipped byte 22 of node 3's acceptor.log"
: >"$(node_dir 3)/logs/acceptor.log"
it_start_node 3

alog=$(node_dir 3)/logs/acceptor.log
if it_wait_log "$alog" "acceptor\.log: corrupt record at offset [0-9]+" 10; then
    pass corrupt-log-refused
    note "$(grep -m1 'corrupt record' "$alog")"
else
    fail corrupt-log-refused "no 'corrupt record at offset' in node 3's acceptor log: $(tail -n 2 "$alog")"
fi
if it_wait_log "$(node_dir 3)/logs/node.log" "acceptor exited with code 1" 10; then
    pass corrupt-log-supervisor-logs
    note "$(grep -m1 'acceptor exited with code 1' "$(node_dir 3)/logs/node.log")"
else
    fail corrupt-log-supervisor-logs "node.log of node 3 does not report the acceptor's exit"
fi
# The log was not "repaired" behind the operator's back.
[ "$(od -An -tu1 -j22 -N1 "$log" | tr -d ' ')" = $((b ^ 0xff)) ] && pass corrupt-log-untouched ||
    fail corrupt-log-untouched "acceptor.log was modified"

it_append 1 11
[ "$HTTP_CODE" = 200 ] && pass corrupt-log-others-serve || fail corrupt-log-others-serve "$HTTP_CODE $HTTP_BODY"
