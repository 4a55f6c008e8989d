#!/usr/bin/env bash
# A flipped byte in an early record of acceptor.log: the acceptor refuses to
# start, its log names the file and the offset, the node's start fails with
# the acceptor's own error (and leaves nothing running), and the other nodes
# keep serving.
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
if it_start_node 3 2>"$IT_DIR/start3.err"; then
    fail corrupt-log-start-fails "start-node.sh 3 succeeded on a corrupt log"
else
    pass corrupt-log-start-fails
    note "$(head -n 1 "$IT_DIR/start3.err")"
fi
grep -q "acceptor exited with code 1 before it was ready: .*corrupt record at offset" "$IT_DIR/start3.err" &&
    pass corrupt-log-start-says-why ||
    fail corrupt-log-start-says-why "start-node's error does not carry the acceptor's: $(head -c 300 "$IT_DIR/start3.err")"
left=$(it_node_pids 3 | xargs -r ps -o pid= -p 2>/dev/null | wc -l)
[ "$left" -eq 0 ] && pass corrupt-log-nothing-left || fail corrupt-log-nothing-left "$left processes of node 3 still running"

alog=$(node_dir 3)/logs/acceptor.log
if it_wait_log "$alog" "acceptor\.log: corrupt record at offset [0-9]+" 10; then
    pass corrupt-log-refused
    note "$(grep -m1 'corrupt record' "$alog")"
else
    fail corrupt-log-refused "no 'corrupt record at offset' in node 3's acceptor log: $(tail -n 2 "$alog")"
fi
if it_wait_log "$(node_dir 3)/logs/node.log" "node 3 failed to start: acceptor exited with code 1" 10; then
    pass corrupt-log-supervisor-logs
    note "$(grep -m1 'failed to start' "$(node_dir 3)/logs/node.log" | cut -c1-200)"
else
    fail corrupt-log-supervisor-logs "node.log of node 3 does not report the acceptor's exit"
fi
# The log was not "repaired" behind the operator's back.
[ "$(od -An -tu1 -j22 -N1 "$log" | tr -d ' ')" = $((b ^ 0xff)) ] && pass corrupt-log-untouched ||
    fail corrupt-log-untouched "acceptor.log was modified"

it_append 1 11
[ "$HTTP_CODE" = 200 ] && pass corrupt-log-others-serve || fail corrupt-log-others-serve "$HTTP_CODE $HTTP_BODY"
