#!/usr/bin/env bash
# With a majority of acceptors stopped (SIGSTOP: the supervisor sees no
# death, so nothing restarts them), appends answer 503 or 504 promptly
# (within request_timeout_ms + slack) and never hang; after SIGCONT the
# cluster serves again.
IT_REQUEST_TIMEOUT_MS=2000
source "$(dirname "$0")/lib.sh"
it_begin majority-down
it_start_cluster
it_append 1 1

stopped=()
for i in 2 3; do
    p=$(it_role_pid "$i" acceptor)
    kill -STOP "$p"
    stopped+=("$p")
done
note "stopped the acceptors of nodes 2 and 3"

prompt=1
for n in 1 2 3; do
    t0=$(now_ms)
    IT_CURL_TIMEOUT=10 it_append "$n" $((10 + n))
    dt=$(($(now_ms) - t0))
    note "node $n: $HTTP_CODE in $dt ms: $HTTP_BODY"
    case $HTTP_CODE in
    503 | 504) [ "$dt" -le $((IT_REQUEST_TIMEOUT_MS + 1500)) ] || prompt=0 ;;
    *) prompt=0 ;;
    esac
    jq -e .error <<<"$HTTP_BODY" >/dev/null 2>&1 || prompt=0
done
[ "$prompt" -eq 1 ] && pass majority-down-prompt-errors ||
    fail majority-down-prompt-errors "want 503/504 JSON errors within $((IT_REQUEST_TIMEOUT_MS + 1500)) ms"

kill -CONT "${stopped[@]}"
ok=0
for ((t = 0; t < 30; t++)); do
    IT_CURL_TIMEOUT=5 it_append 1 99
    [ "$HTTP_CODE" = 200 ] && { ok=1; break; }
    sleep 0.3
done
[ "$ok" -eq 1 ] && pass majority-down-recovers || fail majority-down-recovers "no append succeeded after SIGCONT: $HTTP_CODE"
