#!/usr/bin/env bash
# kill -9 the leader's proposer: the supervisor restarts it, a leader is
# elected, and appends continue.  Prints the time from the kill to the
# first successful append.
source "$(dirname "$0")/lib.sh"
it_begin leader-failover
it_start_cluster

for v in 1 2 3; do it_append 1 "$v"; done
leader=$(it_leader)
[ -n "$leader" ] || { fail leader-failover "no leader"; exit 1; }
old=$(it_role_pid "$leader" proposer)
other=$((leader % IT_N + 1))
note "leader is node $leader (proposer pid $old); appending through node $other"

# A client keeps appending from the moment of the kill (as a real one
# would); meanwhile we watch for the new leader.
t0=$(now_ms)
kill -9 "$old"
(
    while [ $(($(now_ms) - t0)) -lt 15000 ]; do
        IT_CURL_TIMEOUT=3 it_append "$other" 100
        if [ "$HTTP_CODE" = 200 ]; then now_ms >"$IT_DIR/acked"; exit 0; fi
        sleep 0.02
    done
) &
appender=$!
elected=""
while [ $(($(now_ms) - t0)) -lt 15000 ]; do
    l=$(curl -s -m 1 "http://$(gw_of "$other")/status" 2>/dev/null |
        sed -n 's/.*"leader": *\([1-9][0-9]*\).*/\1/p') || true
    if [ -n "$l" ] && [ "$l" != "$leader" ]; then elected=$(now_ms); break; fi
    sleep 0.01
done
wait "$appender" || true
if [ -s "$IT_DIR/acked" ]; then
    if [ -n "$elected" ]; then e="new leader $l known $((elected - t0)) ms after kill -9"
    else e="leader $leader re-elected (restarted proposer)"; fi
    note "leader recovery: $e;" \
        "first append acknowledged after $(($(cat "$IT_DIR/acked") - t0)) ms"
    pass leader-failover-recovers
else
    fail leader-failover-recovers "no append succeeded within 15 s of the kill"
fi

# The supervisor restarted the proposer and said why.
new=""
for ((t = 0; t < 50; t++)); do
    new=$(it_role_pid "$leader" proposer)
    [ -n "$new" ] && [ "$new" != "$old" ] && kill -0 "$new" 2>/dev/null && break
    sleep 0.1
done
if [ -n "$new" ] && [ "$new" != "$old" ] &&
    grep -q "proposer was killed by SIGKILL" "$(node_dir "$leader")/logs/node.log"; then
    pass leader-failover-restarted
else
    fail leader-failover-restarted "proposer pid $old -> '$new'; node.log: $(tail -n 3 "$(node_dir "$leader")/logs/node.log")"
fi

# Appends keep working through every gateway.
okall=1
for n in 1 2 3; do it_append "$n" $((200 + n)); [ "$HTTP_CODE" = 200 ] || okall=0; done
[ "$okall" -eq 1 ] && pass leader-failover-appends-continue ||
    fail leader-failover-appends-continue "an append after recovery failed: $HTTP_CODE $HTTP_BODY"
