#!/usr/bin/env bash
# kill -9 a whole node (the leader's): the other two serve; restart it and
# it catches up (its /list equals the others').
source "$(dirname "$0")/lib.sh"
it_begin node-crash
it_start_cluster

for v in $(seq 1 10); do it_append 1 "$v"; done
victim=$(it_leader)
[ -n "$victim" ] || { fail node-crash "no leader"; exit 1; }
it_kill_node "$victim"
note "killed node $victim (supervisor and children)"

alive=()
for ((i = 1; i <= IT_N; i++)); do [ "$i" -ne "$victim" ] && alive+=("$i"); done
served=1
for v in $(seq 11 30); do
    n=${alive[$((v % 2))]}
    ok=0
    for try in 1 2 3 4 5; do
        IT_CURL_TIMEOUT=5 it_append "$n" "$v"
        [ "$HTTP_CODE" = 200 ] && { ok=1; break; }
        sleep 0.3
    done
    [ "$ok" -eq 1 ] || { served=0; note "append $v on node $n: $HTTP_CODE $HTTP_BODY"; break; }
done
[ "$served" -eq 1 ] && pass node-crash-survivors-serve || fail node-crash-survivors-serve "appends failed with node $victim down"

it_start_node "$victim"
caught=0
for ((t = 0; t < 100; t++)); do
    a=$(IT_CURL_TIMEOUT=3 it_list "${alive[0]}" 2>/dev/null | tr '\n' ,) || a=x
    b=$(IT_CURL_TIMEOUT=3 it_list "$victim" 2>/dev/null | tr '\n' ,) || b=y
    if [ "$a" = "$b" ] && [ -n "$a" ]; then caught=1; break; fi
    sleep 0.2
done
[ "$caught" -eq 1 ] && pass node-crash-restart-catches-up ||
    fail node-crash-restart-catches-up "node $victim list '${b:0:80}' != '${a:0:80}'"
