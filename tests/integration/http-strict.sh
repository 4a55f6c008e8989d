#!/usr/bin/env bash
# The gateway's strict HTTP edge on a real 3-node cluster, with raw requests
# (bash /dev/tcp): every refusal's status code, and that its body is JSON
# with an "error" (or, for the few answers libmicrohttpd gives by itself,
# that they are still what docs/OPERATIONS.md says); slow senders closed
# with a 408 while idle keep-alive connections are kept; /status and
# /roles queries bounded while a role hangs, with the gateway's descriptors
# flat; a stopping gateway's 503 "shutting down"; HTTPS with the node's
# certificate.
source "$(dirname "$0")/lib.sh"
IT_REQUEST_TIMEOUT_MS=2000
it_begin http-strict
it_start_cluster
trap '' PIPE # a gateway that answers early and closes must not kill the shell

# raw NODE BYTES [SECONDS]: BYTES (printf %b escapes) on a fresh connection
# to node's gateway; reads until the gateway closes it (at most SECONDS).
# Sets RAW (CRs removed), RAW_CODE, RAW_HEADERS, RAW_BODY.
raw() {
    local node=$1 bytes=$2 secs=${3:-5} fd
    RAW="" RAW_CODE="" RAW_HEADERS="" RAW_BODY=""
    if ! exec {fd}<>"/dev/tcp/127.0.0.$node/$(port_gw "$node")"; then
        RAW_CODE="refused"
        return 0
    fi
    printf '%b' "$bytes" >&"$fd" 2>/dev/null || true
    RAW=$(timeout "$secs" cat <&"$fd" 2>/dev/null | tr -d '\r') || true
    exec {fd}>&-
    RAW_CODE=$(sed -n '1s|^HTTP/1\.1 \([0-9][0-9][0-9]\) .*|\1|p' <<<"$RAW")
    RAW_HEADERS=${RAW%%$'\n\n'*}
    RAW_BODY=""
    [[ $RAW == *$'\n\n'* ]] && RAW_BODY=${RAW#*$'\n\n'}
    return 0
}

# json_error NAME CODE [REGEX]: the last raw answer is CODE, says it is
# JSON, and its body is {"error": "..."} (matching REGEX).
json_error() {
    local name=$1 code=$2 re=${3:-}
    if [ "$RAW_CODE" != "$code" ]; then
        fail "$name" "want $code, got '$RAW_CODE': ${RAW:0:300}"
    elif ! grep -qix 'Content-Type: application/json' <<<"$RAW_HEADERS"; then
        fail "$name" "not application/json: ${RAW_HEADERS:0:300}"
    elif ! jq -e '.error | strings' >/dev/null 2>&1 <<<"$RAW_BODY"; then
        fail "$name" "body is not a JSON error: ${RAW_BODY:0:300}"
    elif [ -n "$re" ] && ! jq -e --arg re "$re" '.error | test($re)' >/dev/null <<<"$RAW_BODY"; then
        fail "$name" "error does not match /$re/: $RAW_BODY"
    else
        pass "$name"
    fi
}

# status_is NAME CODE: the last raw answer is CODE (a request the checks let through).
status_is() {
    if [ "$RAW_CODE" = "$2" ]; then pass "$1"; else fail "$1" "want $2, got '$RAW_CODE': ${RAW:0:300}"; fi
}

# mhd_html NAME CODE: libmicrohttpd answered CODE by itself, with its HTML
# (docs/OPERATIONS.md lists these; if it ever answers JSON, update the docs).
mhd_html() {
    if [ "$RAW_CODE" = "$2" ] && [[ $RAW_BODY == "<html>"* ]]; then pass "$1"
    else fail "$1" "want libmicrohttpd's own $2 (HTML), got '$RAW_CODE': ${RAW:0:300}"; fi
}

pad() { head -c "$1" /dev/zero | tr '\0' a; }
list_len() { IT_CURL_TIMEOUT=5 it_http GET 1 /list; jq '.list | length' <<<"$HTTP_BODY"; }
len0=$(list_len)

# ---- the head: sizes, version, Host, Content-Length, Transfer-Encoding ----------
# A target of exactly GW_MAX_URI (2048) bytes passes; one more is 414.
t="/status?x="; t="$t$(pad $((2048 - ${#t})))"
raw 1 "GET $t HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
status_is uri-at-limit 200
raw 1 "GET ${t}a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
json_error uri-over-limit 414 'request target too long: 2049 bytes'
raw 1 "GET /status?x=$(pad 20000) HTTP/1.1\r\nHost: a\r\n\r\n"
json_error uri-20k 414 'request target too long'
# A head (request line, headers, blank line) of exactly 8192 bytes passes.
h1='GET /status HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Pad: '
n=$((8192 - $(printf '%b' "$h1" | wc -c) - 4)) # 4: the \r\n\r\n that ends the head
raw 1 "$h1$(pad $n)\r\n\r\n"
status_is headers-at-limit 200
raw 1 "$h1$(pad $((n + 1)))\r\n\r\n"
json_error headers-over-limit 431 'request headers too large: 8193 bytes'
raw 1 "GET /status HTTP/1.1\r\nHost: a\r\nX-Pad: $(pad 20000)\r\n\r\n"
json_error headers-20k 431 'request headers too large'
raw 1 "GET /status HTTP/1.5\r\nHost: a\r\n\r\n"
json_error http-1.5 505 'HTTP version "HTTP/1.5" is not supported'
raw 1 "GET /status HTTP/1.1\r\nConnection: close\r\n\r\n"
json_error no-host 400 'needs a Host header'
raw 1 "GET /status HTTP/1.0\r\n\r\n"
status_is http-1.0-no-host 200
raw 1 "GET /status HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
json_error two-hosts 400 'more than one Host'
raw 1 "POST /append?list=false HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n12"
json_error content-length-conflict 400 'more than one Content-Length'
raw 1 "POST /append?list=false HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n1"
json_error content-length-twice 400 'more than one Content-Length'
raw 1 "POST /append?list=false HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n12345"
json_error header-name-space 400 'malformed header name "Content-Length "'
raw 1 "POST /append?list=false HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\n5\r\n0\r\n\r\n"
json_error chunked-and-length 400 'both Transfer-Encoding and Content-Length'
raw 1 "POST /append?list=false HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nxx"
json_error transfer-encoding-gzip 501 'Transfer-Encoding "gzip" is not supported'
raw 1 "POST /append%00junk?list=false HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n5"
json_error path-nul 400 'control character at offset 7'

# ---- the body and the value ---------------------------------------------------
post() { # post BODY-BYTES [QUERY]: POST /append with a body given in %b escapes
    local body
    body=$(printf '%b' "$1" | wc -c)
    raw 1 "POST /append?list=false${2:-} HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: $body\r\n\r\n$1"
}
post '{"value":7}\x00garbage'
json_error body-nul 400 'body has a NUL byte at offset 11'
post '7\x00'
json_error body-bare-nul 400 'NUL byte at offset 1'
post '{"value":7,"x":"\xff"}'
json_error body-not-utf8 400 'not valid UTF-8: byte 0xff at offset 16'
post '{"value":7,"x":"\xed\xa0\x80"}'
json_error body-surrogate 400 'not valid UTF-8'
raw 1 "POST /append?list=false&value=7%00garbage HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
json_error query-nul 400 'request target has a control character at offset 26'
raw 1 "POST /append?list=false&value=7%ff HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
json_error query-not-utf8 400 'value= is not valid UTF-8: byte 0xff at offset 1'
raw 1 "POST /append?list=false&value=1&value=2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
json_error query-value-twice 400 '"value" given more than once'
post '{"value": null}'
json_error value-null 400 '^"value" must be an integer, not null$'
post '{"value": true}'
json_error value-bool 400 'must be an integer, not a boolean'
post '{"value": "7"}'
json_error value-string 400 'must be an integer, not a string'
post '{"value": [7]}'
json_error value-array 400 'must be an integer, not an array'
post '{"value": {"v": 7}}'
json_error value-object 400 'must be an integer, not an object'
post '{"value": 7.0}'
json_error value-fraction 400 'must be an integer, not a number with a fraction'
post 'null'
json_error bare-null 400 'or a bare integer, not null'
post '{"value":"caf\xc3\xa9 \xe2\x82\xac"}'
json_error value-utf8-string 400 'must be an integer, not a string'
post '{"note":"caf\xc3\xa9","value":12345}'
status_is utf8-accepted 200
[ "$(list_len)" = $((len0 + 1)) ] && pass refusals-appended-nothing ||
    fail refusals-appended-nothing "list grew from $len0 to $(list_len), want exactly one append"

# ---- what libmicrohttpd answers by itself (docs/OPERATIONS.md) ---------------------
# Heads past its 32 KB connection pool, and syntax it parses before any
# handler runs.  Pinned so a change (a new libmicrohttpd, a pool size) is seen.
raw 1 "GET /status?x=$(pad 70000) HTTP/1.1\r\nHost: a\r\n\r\n"
mhd_html mhd-uri-past-pool 414
raw 1 "GET /status HTTP/1.1\r\nHost: a\r\nX-Pad: $(pad 70000)\r\n\r\n"
mhd_html mhd-headers-past-pool 431
raw 1 "GET /status HTTP/2.0\r\nHost: a\r\n\r\n"
mhd_html mhd-http-2 505
raw 1 "GET /status\r\n\r\n"
mhd_html mhd-no-version 400
raw 1 "GET /status HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"
mhd_html mhd-header-without-colon 400
# (0.9.75 sends the head of this one twice, then the HTML)
raw 1 "POST /append HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n1"
[ "$RAW_CODE" = 400 ] && [ "$(grep -c '^HTTP/1.1 400 Bad Request$' <<<"$RAW")" = 2 ] &&
    [[ $RAW == *$'\n\n<html>'* ]] && pass mhd-content-length-not-a-number ||
    fail mhd-content-length-not-a-number "want libmicrohttpd's own 400 (HTML, its head twice): ${RAW:0:300}"
raw 1 "POST /append HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
mhd_html mhd-bad-chunk 400
raw 1 "GARBAGE\r\n\r\n"
[ -z "$RAW" ] && pass mhd-garbage-closed || fail mhd-garbage-closed "want the connection closed unanswered, got: ${RAW:0:200}"

# ---- slow senders -------------------------------------------------------------------
# slow NAME FIRST-BYTES STEP-BYTES: on node 1, send FIRST, then STEP every
# 2 s (up to 20 s); NAME.out gets the answer, NAME.ms when it came.
slow() {
    local name=$1 first=$2 step=$3 fd t0 i
    exec {fd}<>"/dev/tcp/127.0.0.1/$(port_gw 1)"
    t0=$(now_ms)
    ( printf '%b' "$first"; for ((i = 0; i < 10; i++)); do sleep 2; printf '%b' "$step"; done ) \
        >&"$fd" 2>/dev/null &
    IT_EXTRA_PIDS+=($!)
    { timeout 25 cat <&"$fd" | tr -d '\r' >"$IT_DIR/$name.out"; echo $(($(now_ms) - t0)) >"$IT_DIR/$name.ms"; } &
    exec {fd}>&-
}
# slow_closed NAME LOW-MS HIGH-MS: NAME got a JSON 408 between LOW and HIGH ms.
slow_closed() {
    local ms out
    ms=$(cat "$IT_DIR/$1.ms" 2>/dev/null || echo 0)
    out=$(cat "$IT_DIR/$1.out" 2>/dev/null)
    if [[ $out != "HTTP/1.1 408 "* ]] || ! jq -e '.error | test("did not arrive whole")' >/dev/null 2>&1 <<<"${out#*$'\n\n'}"; then
        fail "$1" "want a JSON 408, got after $ms ms: ${out:0:200}"
    elif [ "$ms" -lt "$2" ] || [ "$ms" -gt "$3" ]; then
        fail "$1" "closed after $ms ms, want $2..$3"
    else
        pass "$1"
    fi
}
slow slow-headers 'GET /status HTTP/1.1\r\nHost: a\r\n' 'X-Slow: 1\r\n'
slow slow-body 'POST /append HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{' ' '
# a kept-alive connection: one request, idle 4 s, then the next one slowly:
# its deadline runs from its first byte, not from the end of the first
exec {ka}<>"/dev/tcp/127.0.0.1/$(port_gw 1)"
( printf 'GET /roles/acceptor HTTP/1.1\r\nHost: a\r\n\r\n'; sleep 4; printf 'GET /roles/acceptor HTTP/1.1\r\n'
  for ((i = 0; i < 10; i++)); do sleep 2; printf 'X-Slow: 1\r\n'; done ) >&"$ka" 2>/dev/null &
IT_EXTRA_PIDS+=($!)
t0=$(now_ms)
{ timeout 25 cat <&"$ka" | tr -d '\r' >"$IT_DIR/slow-keepalive.out"; echo $(($(now_ms) - t0)) >"$IT_DIR/slow-keepalive.ms"; } &
exec {ka}>&-
# an idle keep-alive connection is not slow: 12 s idle, then a request, answered
exec {idle}<>"/dev/tcp/127.0.0.1/$(port_gw 1)"
( printf 'GET /roles/acceptor HTTP/1.1\r\nHost: a\r\n\r\n'; sleep 12
  printf 'GET /roles/acceptor HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' ) >&"$idle" 2>/dev/null &
IT_EXTRA_PIDS+=($!)
{ timeout 25 cat <&"$idle" | tr -d '\r' >"$IT_DIR/idle.out"; } &
exec {idle}>&-
for ((t = 0; t < 150; t++)); do
    [ -s "$IT_DIR/slow-headers.ms" ] && [ -s "$IT_DIR/slow-body.ms" ] &&
        [ -s "$IT_DIR/slow-keepalive.ms" ] && break
    sleep 0.2
done
slow_closed slow-headers 9500 11500
slow_closed slow-body 9500 11500
ka_out=$(cat "$IT_DIR/slow-keepalive.out" 2>/dev/null)
ka_ms=$(cat "$IT_DIR/slow-keepalive.ms" 2>/dev/null || echo 0)
[ "$(grep -c '^HTTP/1.1 200 ' <<<"$ka_out")" = 1 ] && grep -q '^HTTP/1.1 408 ' <<<"$ka_out" &&
    [ "$ka_ms" -ge 13500 ] && [ "$ka_ms" -le 15500 ] && pass slow-after-keepalive ||
    fail slow-after-keepalive "want a 200, then a 408 ~10 s after the second request began (at 4 s); got after $ka_ms ms: ${ka_out:0:300}"
for ((t = 0; t < 25; t++)); do
    [ "$(grep -c '^HTTP/1.1 200 ' "$IT_DIR/idle.out")" -ge 2 ] && break
    sleep 0.2
done
[ "$(grep -c '^HTTP/1.1 200 ' "$IT_DIR/idle.out")" = 2 ] && pass idle-keepalive-kept ||
    fail idle-keepalive-kept "want two 200s on one connection 12 s apart: $(head -c 300 "$IT_DIR/idle.out")"
it_http GET 1 /status
check_status() { jq -e "$1" >/dev/null 2>&1 <<<"$HTTP_BODY"; }
check_status '.http.slow_requests_closed >= 3' && pass slow-counted ||
    fail slow-counted "want http.slow_requests_closed >= 3: $HTTP_BODY"
grep -q 'whose request did not arrive whole within 10000 ms (the last from 127\.0\.0\.1:' \
    "$(node_dir 1)/logs/gateway.log" && pass slow-logged || fail slow-logged "no log line"

# ---- /status and /roles while a role hangs ------------------------------------------
# Node 3's learner (and its supervisor, so nothing restarts) stopped: each
# query of it waits its 500 ms.  At most 16 run at once; the rest get 503 at
# once.  Polling /status then must not grow the gateway's descriptors: once
# the stopped learner's listen backlog (128) is full every dial fails at
# once, and a query that redialled every 10 ms opened hundreds of sockets a
# second -- seen 8 to 19 s into the polling, so it polls for 20 s.
sup3=$(it_role_pid 3 node)
lrn3=$(it_role_pid 3 learner)
gw3=$(it_role_pid 3 gateway)
kill -STOP "$sup3" "$lrn3"
threads0=$(ls "/proc/$gw3/task" | wc -l)
( seq 1 40 | xargs -P 40 -I{} curl -s -m 5 -o "$IT_DIR/q{}.json" -w '%{http_code} %{time_total}\n' \
    "http://$(gw_of 3)/roles/learner" >"$IT_DIR/queries.txt" || true ) &
burst=$!
maxt=0
while kill -0 "$burst" 2>/dev/null; do
    n=$(ls "/proc/$gw3/task" 2>/dev/null | wc -l || true)
    [ "$n" -gt "$maxt" ] && maxt=$n
    sleep 0.05
done
busy=$(cat "$IT_DIR"/q*.json | grep -c 'too many /status, /roles, /node, /metrics and /cluster queries in flight (16)' || true)
waited=$(cat "$IT_DIR"/q*.json | grep -c 'learner on node 3 is not answering' || true)
all_json=$(cat "$IT_DIR"/q*.json | jq -s 'length == 40 and all(.error | strings)' 2>/dev/null)
[ "$busy" -ge 1 ] && [ $((busy + waited)) = 40 ] && [ "$all_json" = true ] &&
    pass ctl-queries-bounded || fail ctl-queries-bounded "refused $busy, waited $waited of 40, all JSON errors: $all_json"
[ "$maxt" -le $((threads0 + 16)) ] && pass ctl-threads-bounded ||
    fail ctl-threads-bounded "threads grew from $threads0 to $maxt (at most 16 queries at once)"
fast=$(awk '$1 == 503 && $2 < 0.3' "$IT_DIR/queries.txt" | wc -l || true)
[ "$fast" -ge "$busy" ] && pass ctl-refused-at-once || fail ctl-refused-at-once "only $fast of $busy refusals within 0.3 s"
fds0=$(ls "/proc/$gw3/fd" | wc -l)
( seq 1 100000 2>/dev/null | timeout 20 xargs -P 50 -I{} curl -s -m 0.2 -o /dev/null "http://$(gw_of 3)/status" || true ) &
poller=$!
max=0
while kill -0 "$poller" 2>/dev/null; do
    n=$(ls "/proc/$gw3/fd" 2>/dev/null | wc -l || true)
    [ "$n" -gt "$max" ] && max=$n
    sleep 0.1
done
# 50 client connections, 16 queries' sockets, what the gateway always has
[ "$max" -le $((fds0 + 120)) ] && pass status-poll-fds-flat ||
    fail status-poll-fds-flat "descriptors grew from $fds0 to $max while /status was polled"
kill -CONT "$lrn3" "$sup3"

# ---- a stopping gateway -----------------------------------------------------------
# Hold the drain open with a query of a stopped learner (500 ms), stop the
# gateway, and ask it something new meanwhile.
sup2=$(it_role_pid 2 node)
lrn2=$(it_role_pid 2 learner)
gw2=$(it_role_pid 2 gateway)
kill -STOP "$sup2" "$lrn2"
threads=$(ls "/proc/$gw2/task" | wc -l)
curl -s -m 5 -o "$IT_DIR/inflight.json" "http://$(gw_of 2)/roles/learner" &
inflight=$!
# the query's thread is there: the drain lasts until its 500 ms are up
for ((t = 0; t < 100; t++)); do
    [ "$(ls "/proc/$gw2/task" | wc -l)" -gt "$threads" ] && break
    sleep 0.02
done
kill -TERM "$gw2"
sleep 0.05
raw 2 "POST /append?value=5 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"
json_error stopping-append 503 '^shutting down$'
grep -qix 'Connection: close' <<<"$RAW_HEADERS" && pass stopping-closes ||
    fail stopping-closes "no Connection: close: $RAW_HEADERS"
wait "$inflight" || true
jq -e '.error | test("learner on node 2 is not answering")' "$IT_DIR/inflight.json" >/dev/null 2>&1 &&
    pass stopping-inflight-answered || fail stopping-inflight-answered "$(cat "$IT_DIR/inflight.json")"
kill -CONT "$lrn2" "$sup2"
it_wait_ready 20 2 && pass gateway-restarted || fail gateway-restarted "node 2 did not come back"

# ---- HTTPS ----------------------------------------------------------------------------
for i in 1 2 3; do it_stop_node "$i"; done
echo 'gateway_https = true;' >>"$IT_CFG"
IT_SCHEME=https
IT_CURL_CA=$IT_DIR/certs/ca.crt
it_start_cluster
it_append 1 4242
[ "$HTTP_CODE" = 200 ] && jq -e '.value == 4242' >/dev/null <<<"$HTTP_BODY" && pass https-append ||
    fail https-append "$HTTP_CODE $HTTP_BODY"
it_http GET 2 /nope
[ "$HTTP_CODE" = 404 ] && jq -e '.error | strings' >/dev/null <<<"$HTTP_BODY" && pass https-json-error ||
    fail https-json-error "$HTTP_CODE $HTTP_BODY"
rc=0; curl -s -m 3 -o /dev/null "https://$(gw_of 1)/status" || rc=$?
[ "$rc" = 60 ] && pass https-needs-the-ca || fail https-needs-the-ca "curl without the CA: rc $rc, want 60"
p1=$(port_gw 1)
rc=0; curl -s -m 3 -o /dev/null --cacert "$IT_CURL_CA" --connect-to "localhost:$p1:127.0.0.1:$p1" \
    "https://localhost:$p1/status" || rc=$?
[ "$rc" = 60 ] && pass https-cert-names-the-node || fail https-cert-names-the-node "a name the certificate lacks: rc $rc, want 60"
raw 1 "GET /status HTTP/1.1\r\nHost: a\r\n\r\n"
[ -z "$RAW" ] && pass plain-http-to-https-closed || fail plain-http-to-https-closed "got: ${RAW:0:200}"
it_http GET 1 /status
[ "$HTTP_CODE" = 200 ] && pass https-serves-after-plain || fail https-serves-after-plain "$HTTP_CODE"
grep -q 'listening on https://127.0.0.1:' "$(node_dir 1)/logs/gateway.log" && pass https-logged ||
    fail https-logged "no 'listening on https://' in the log"
# paxosctl speaks HTTPS from the config (gateway_https, tls_ca), or with
# --url https://... --cacert; a gateway whose certificate the CA did not
# sign is refused before anything is sent.
CTL=$BIN/paxosctl
out=$("$CTL" --config "$IT_CFG" --node 2 append 4343 2>&1) &&
    grep -Eq '^appended 4343 at index [0-9]+' <<<"$out" && pass https-ctl-append || fail https-ctl-append "$out"
out=$("$CTL" --url "https://$(gw_of 3)" --cacert "$IT_CURL_CA" --json list 2>&1) &&
    jq -e '.list | index(4343) != null' >/dev/null <<<"$out" && pass https-ctl-url ||
    fail https-ctl-url "${out:0:200}"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=rogue -keyout "$IT_DIR/rogue.key" \
    -out "$IT_DIR/rogue.crt" >/dev/null 2>&1
rc=0; out=$("$CTL" --url "https://$(gw_of 1)" --cacert "$IT_DIR/rogue.crt" append 4444 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q 'not trusted' <<<"$out" && pass https-ctl-wrong-ca || fail https-ctl-wrong-ca "rc $rc: $out"
rc=0; out=$("$CTL" --url "http://$(gw_of 1)" status 2>&1) || rc=$?
[ "$rc" = 1 ] && pass https-ctl-plain-refused || fail https-ctl-plain-refused "rc $rc: $out"
it_http GET 1 /list
jq -e '.list | index(4444) == null' >/dev/null <<<"$HTTP_BODY" && pass https-ctl-wrong-ca-sent-nothing ||
    fail https-ctl-wrong-ca-sent-nothing "4444 was appended through an untrusted connection"
