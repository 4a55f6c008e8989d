#!/usr/bin/env bash
# kill -9 every node, restart them all: no acknowledged append is lost and
# the order is unchanged.
source "$(dirname "$0")/lib.sh"
it_begin full-restart
it_start_cluster

for v in $(seq 1 30); do
    it_append $((v % IT_N + 1)) "$v" 
    [ "$HTTP_CODE" = 200 ] || { fail full-restart "append $v: $HTTP_CODE"; exit 1; }
done
before=$(it_list 1 | tr '\n' ,)

for ((i = 1; i <= IT_N; i++)); do it_kill_node "$i"; done
note "killed all nodes; restarting"
for ((i = 1; i <= IT_N; i++)); do it_start_node "$i"; done
it_wait_ready 30 || { fail full-restart "not ready 30 s after restart"; exit 1; }

after=$(it_list 2 | tr '\n' ,)
[ "$after" = "$before" ] && pass full-restart-nothing-lost ||
    fail full-restart-nothing-lost "before '${before:0:100}' after '${after:0:100}'"
it_append 3 31
[ "$HTTP_CODE" = 200 ] && [ "$(jq -r .index <<<"$HTTP_BODY")" = 30 ] && pass full-restart-appends-continue ||
    fail full-restart-appends-continue "append after restart: $HTTP_CODE $HTTP_BODY"
