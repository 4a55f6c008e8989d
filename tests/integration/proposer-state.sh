#!/usr/bin/env bash
# proposer.state keeps a proposer's highest ballot round across restarts
# (docs/PROTOCOL.md, "Proposer details"): a restarted leader starts from the
# round it had persisted, and a damaged file makes the proposer refuse to
# start (never fall back to round 0, which could reuse a ballot) while the
# other nodes keep serving.
source "$(dirname "$0")/lib.sh"
it_begin proposer-state
it_start_cluster
for v in $(seq 1 5); do it_append 1 "$v"; done

l=$(it_leader)
st=$(node_dir "$l")/proposer.state
plog=$(node_dir "$l")/logs/proposer.log
if [ -f "$st" ] && [ "$(stat -c %s "$st")" = 20 ]; then
    pass proposer-state-written
else
    fail proposer-state-written "leader $l has no 20-byte $st"
fi

# A clean restart reads the round back.
it_stop_node "$l"
it_start_node "$l"
if it_wait_log "$plog" "proposer\.state: round [1-9][0-9]*" 10; then
    pass proposer-state-restored
    note "$(grep -E -m1 'proposer\.state: round [1-9]' "$plog")"
else
    fail proposer-state-restored "no 'proposer.state: round N>0' in node $l's proposer log"
fi
it_wait_ready 20 || true

# Flip a byte of the round: the CRC no longer matches.
it_stop_node "$l"
b=$(od -An -tu1 -j8 -N1 "$st" | tr -d ' ')
printf "$(printf '\\%03o' $((b ^ 0xff)))" | dd of="$st" bs=1 seek=8 conv=notrunc status=none
note "flipped byte 8 of node $l's proposer.state"
: >"$plog"
if it_start_node "$l" 2>"$IT_DIR/start.err"; then
    fail proposer-state-start-fails "node $l started with a damaged proposer.state"
elif grep -q "proposer exited with code 1 before it was ready: .*proposer\.state: bad CRC; refusing to start" "$IT_DIR/start.err"; then
    pass proposer-state-start-fails
else
    fail proposer-state-start-fails "start-node's error: $(head -c 300 "$IT_DIR/start.err")"
fi
if it_wait_log "$plog" "proposer\.state: bad CRC; refusing to start" 10; then
    pass proposer-state-refused
    note "$(grep -m1 'refusing' "$plog")"
else
    fail proposer-state-refused "no refusal in node $l's proposer log: $(tail -n 2 "$plog")"
fi
if it_wait_log "$(node_dir "$l")/logs/node.log" "failed to start: proposer exited with code 1" 10; then
    pass proposer-state-supervisor-logs
else
    fail proposer-state-supervisor-logs "node.log of node $l does not report the proposer's exit"
fi
[ "$(od -An -tu1 -j8 -N1 "$st" | tr -d ' ')" = $((b ^ 0xff)) ] && pass proposer-state-untouched ||
    fail proposer-state-untouched "proposer.state was modified"

o=$((l % 3 + 1))
it_wait_ready 20 "$o" || true
it_append "$o" 6
[ "$HTTP_CODE" = 200 ] && pass proposer-state-others-serve ||
    fail proposer-state-others-serve "$HTTP_CODE $HTTP_BODY"
