#!/usr/bin/env bash
# The gateway's HTTP surface on a real 3-node cluster: happy paths, every
# bad input's status code (each with a JSON error body), Idempotency-Key,
# /status and /roles/*, 503 for a role that does not answer, 504 when no
# quorum, and paxosctl against all of it.
source "$(dirname "$0")/lib.sh"
IT_REQUEST_TIMEOUT_MS=2000
it_begin gateway_http
it_start_cluster
CTL="$BIN/paxosctl"

# expect NAME CODE: the last it_http answered CODE with a JSON body (an
# "error" member for codes >= 400).
expect() {
    local name=$1 code=$2
    if [ "$HTTP_CODE" != "$code" ]; then
        fail "$name" "want $code, got $HTTP_CODE: ${HTTP_BODY:0:200}"
    elif [ "$code" -ge 400 ] && ! jq -e '.error | strings' >/dev/null 2>&1 <<<"$HTTP_BODY"; then
        fail "$name" "status $code but the body has no JSON error: ${HTTP_BODY:0:200}"
    elif ! jq -e . >/dev/null 2>&1 <<<"$HTTP_BODY"; then
        fail "$name" "body is not JSON: ${HTTP_BODY:0:200}"
    else
        pass "$name"
    fi
}

# check NAME JQ-EXPR: the last body satisfies the expression.
check() {
    if jq -e "$2" >/dev/null 2>&1 <<<"$HTTP_BODY"; then pass "$1"; else fail "$1" "$2 on ${HTTP_BODY:0:200}"; fi
}

# header NAME CURL-ARGS... : prints the response headers.
headers() { curl -s -m 10 -o /dev/null -D - "$@" 2>/dev/null | tr -d '\r'; }

# ---- happy paths ----------------------------------------------------------
it_append 1 42
expect append-json 200
check append-json-list '.value == 42 and (.list | length) == .index + 1 and .list[-1] == 42'
first=$(jq -r .index <<<"$HTTP_BODY")

it_http POST 1 /append 43
expect append-bare 200
check append-bare-index ".value == 43 and .index == $((first + 1))"

it_http POST 2 "/append?value=-44"
expect append-query 200
check append-query-value '.value == -44 and .list[-1] == -44'

it_http POST 3 "/append?list=false" '{"value": 9223372036854775807}'
expect append-no-list 200
check append-no-list-omits 'has("list") | not'
check append-int64-max '.value == 9223372036854775807'

it_http GET 3 /list
expect list 200
check list-order "(.list | length) == $((first + 4)) and .list[$first:] == [42, 43, -44, 9223372036854775807]"

# ---- bad input -------------------------------------------------------------
it_http POST 1 /append '{"value": 42'
expect bad-malformed-json 400
it_http POST 1 /append 'hello'
expect bad-not-json 400
it_http POST 1 /append '{"value": 4.5}'
expect bad-fraction 400
it_http POST 1 /append '{"value": "42"}'
expect bad-string 400
it_http POST 1 /append '{"value": 9223372036854775808}'
expect bad-over-int64 400
it_http POST 1 /append '{"value": -9223372036854775809}'
expect bad-under-int64 400
it_http POST 1 /append '{"valu": 1}'
expect bad-missing 400
it_http POST 1 /append ''
expect bad-empty 400
it_http POST 1 "/append?value=12abc"
expect bad-query 400
it_http GET 1 /nope
expect unknown-path 404
it_http GET 1 /roles/gateway
expect unknown-role 404
it_http GET 1 /append
expect wrong-method-append 405
it_http POST 1 /list '1'
expect wrong-method-list 405
h=$(headers -X DELETE "http://$(gw_of 1)/status")
grep -qi '^Allow: GET' <<<"$h" && pass allow-header || fail allow-header "no Allow: GET in: $h"
big=$(printf '{"value": 1, "pad": "%05000d"}' 0)
it_http POST 1 /append "$big"
expect too-large 413
it_http POST 1 /append "$big" -H 'Transfer-Encoding: chunked'
expect too-large-chunked 413
# Nothing above may have appended anything.
it_http GET 2 /list
check bad-input-appended-nothing "(.list | length) == $((first + 4))"

# ---- Idempotency-Key --------------------------------------------------------
it_append 1 555 -H 'Idempotency-Key: gw-http-key'
expect idem-first 200
idx=$(jq -r .index <<<"$HTTP_BODY")
it_append 2 555 -H 'Idempotency-Key: gw-http-key'
expect idem-retry 200
check idem-retry-same-index ".index == $idx and .duplicate == true and .value == 555"
it_http GET 3 /list
check idem-applied-once '[.list[] | select(. == 555)] | length == 1'

# ---- /status and /roles ------------------------------------------------------
it_http GET 1 /status
expect status 200
check status-fields '.node == 1 and (.leader | numbers) > 0 and .roles.acceptor.alive == true and .roles.proposer.alive == true and .roles.learner.alive == true and (.applied_upto | numbers) >= 1'
for r in acceptor proposer learner; do
    it_http GET 2 "/roles/$r"
    expect "roles-$r" 200
    check "roles-$r-is-$r" ".role == \"$r\""
done

# ---- paxosctl ---------------------------------------------------------------
if [ -x "$CTL" ]; then
    out=$("$CTL" --config "$IT_CFG" --node 2 append 77 2>&1) &&
        grep -Eq '^appended 77 at index [0-9]+; list has [0-9]+ elements?$' <<<"$out" &&
        pass ctl-append || fail ctl-append "$out"
    out=$("$CTL" --config "$IT_CFG" --node 3 list 2>&1) && grep -q ', 77$' <<<"$out" &&
        pass ctl-list || fail ctl-list "${out:0:200}"
    out=$("$CTL" --config "$IT_CFG" --json status 2>&1) && jq -e '.node == 1' >/dev/null <<<"$out" &&
        pass ctl-status-json || fail ctl-status-json "${out:0:200}"
    out=$("$CTL" --url "http://$(gw_of 1)" roles learner 2>&1) && grep -q '"role"' <<<"$out" &&
        pass ctl-roles || fail ctl-roles "${out:0:200}"
    rc=0; out=$("$CTL" --config "$IT_CFG" append 1.5 2>&1) || rc=$?
    [ "$rc" -ne 0 ] && grep -q 'must be an integer' <<<"$out" && pass ctl-bad-value || fail ctl-bad-value "rc $rc: $out"
    rc=0; out=$("$CTL" --config "$IT_CFG" append 99999999999999999999 2>&1) || rc=$?
    [ "$rc" -eq 1 ] && grep -q 'answered 400' <<<"$out" && pass ctl-400 || fail ctl-400 "rc $rc: $out"
    rc=0; out=$("$CTL" --url http://127.0.0.1:1 status 2>&1) || rc=$?
    [ "$rc" -eq 1 ] && grep -q 'is not reachable' <<<"$out" && pass ctl-unreachable || fail ctl-unreachable "rc $rc: $out"
else
    fail paxosctl "$CTL missing"
fi

# ---- a restarted gateway fetches the list it missed (several LIST_CHUNKs) ----
# 1100 appends (more than one 1024-element chunk), then gateway 2 restarts
# with an empty copy and must serve the whole list.
seq 1000 2099 | xargs -P 16 -I{} curl -s -o /dev/null -m 10 -d '{}' "http://$(gw_of 1)/append?list=false"
gwpid=$(it_role_pid 2 gateway)
kill -9 "$gwpid"
for ((t = 0; t < 100; t++)); do
    np=$(it_role_pid 2 gateway)
    [ -n "$np" ] && [ "$np" != "$gwpid" ] && curl -s -m 1 -o /dev/null "http://$(gw_of 2)/status" && break
    sleep 0.1
done
it_http GET 1 /list
want=$(jq -c .list <<<"$HTTP_BODY")
it_http GET 2 /list
expect restarted-gateway-list 200
got=$(jq -c .list <<<"$HTTP_BODY")
[ "$got" = "$want" ] && [ "$(jq length <<<"$got")" -gt 1100 ] && pass restarted-gateway-same-list ||
    fail restarted-gateway-same-list "node 2 has $(jq length <<<"$got") elements, node 1 $(jq length <<<"$want")"
it_append 2 2100
check restarted-gateway-append '.list[-1] == 2100 and (.list | length) == .index + 1'

# ---- a role that does not answer: 503 -------------------------------------------
# Freeze the supervisor first so it does not restart what we kill.
sup=$(it_role_pid 3 node)
acc=$(it_role_pid 3 acceptor)
kill -STOP "$sup"
kill -9 "$acc"
IT_CURL_TIMEOUT=5 it_http GET 3 /roles/acceptor
expect dead-role-503 503
check dead-role-message '.error | test("acceptor on node 3 is not answering")'
it_http GET 3 /status
check dead-role-status '.roles.acceptor.alive == false and .roles.learner.alive == true'
prop=$(it_role_pid 3 proposer)
kill -STOP "$prop"
IT_CURL_TIMEOUT=5 it_http GET 3 /roles/proposer
expect stuck-role-503 503
kill -CONT "$prop" "$sup"

# ---- no quorum: 504 (outcome unknown), then the cluster recovers ----------------
for i in 1 2; do kill -STOP "$(it_role_pid "$i" acceptor)"; done
t0=$(now_ms)
IT_CURL_TIMEOUT=10 it_append 1 888
t1=$(now_ms)
for i in 1 2; do kill -CONT "$(it_role_pid "$i" acceptor)"; done
if [ "$HTTP_CODE" = 504 ] || [ "$HTTP_CODE" = 503 ]; then
    expect "no-quorum-$HTTP_CODE" "$HTTP_CODE"
else
    fail no-quorum "want 504 or 503, got $HTTP_CODE: $HTTP_BODY"
fi
[ $((t1 - t0)) -lt 6000 ] && pass no-quorum-bounded || fail no-quorum-bounded "answered after $((t1 - t0)) ms"
it_wait_ready 20 1 2 && pass recovers-after-no-quorum || fail recovers-after-no-quorum "cluster did not come back"
it_append 2 889
expect append-after-recovery 200
