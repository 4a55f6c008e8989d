#!/usr/bin/env bash
# GET /metrics on every gateway: Prometheus text that promtool accepts,
# every family issue 14 names present, and values that match what the
# cluster did (appends by outcome and HTTP codes counted on the gateway
# that answered them, one leader, applied slots and list lengths as
# /status has them, fsync and batching histograms consistent with their
# counters, a forged frame counted by its reason, a killed role counted as
# restarted, a stopped role reported down).  Then a real Prometheus
# (Debian's, on loopback, storage in the test's directory) scrapes the
# three gateways every second: its HTTP API must report `up` 1 for all
# three, one leader, and a positive append rate while appends run.
source "$(dirname "$0")/lib.sh"
IT_SNAPSHOT_EVERY=16 # a snapshot within the test's appends
it_begin metrics

for tool in promtool prometheus; do
    if ! command -v "$tool" >/dev/null; then
        fail metrics "$tool missing: run scripts/install-deps.sh (Debian package prometheus)"
        exit 1
    fi
done
it_start_cluster

scrape() { curl -s -m 5 "http://$(gw_of "$1")/metrics"; }
# val FILE SERIES: the value of one exact series (name or name{labels}), or "".
val() { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }
# num_eq A B: numerically equal (both present)
num_eq() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a == b) }'; }
num_gt() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# --- known traffic on node 2: 20 appends, one bad request, one unknown path
for ((v = 1; v <= 20; v++)); do
    it_append 2 "$v"
    [ "$HTTP_CODE" = 200 ] || { fail metrics "append $v: $HTTP_CODE $HTTP_BODY"; exit 1; }
done
it_http POST 2 /append '{"value":"twelve"}'
[ "$HTTP_CODE" = 400 ] || fail metrics "a bad append answered $HTTP_CODE"
it_http GET 2 /no-such-thing
# settled: every node applied what the leader chose
for ((t = 0; t < 50; t++)); do
    a=$(for i in 1 2 3; do curl -s -m 2 "http://$(gw_of "$i")/status" | jq -r .applied_upto; done | sort -u)
    [ "$(wc -l <<<"$a")" = 1 ] && [ "$a" != null ] && break
    sleep 0.2
done
leader=$(it_leader)

for i in 1 2 3; do scrape "$i" >"$IT_DIR/m$i.txt"; done

# --- the format: promtool's parser and linter
for i in 1 2 3; do
    out=$(promtool check metrics <"$IT_DIR/m$i.txt" 2>&1) && [ -z "$out" ] &&
        pass "metrics-promtool-node$i" || fail "metrics-promtool-node$i" "$(head -n 5 <<<"$out")"
done
hdr=$(curl -s -m 5 -o /dev/null -D - "http://$(gw_of 1)/metrics" | tr -d '\r')
grep -qi '^content-type: text/plain; version=0.0.4' <<<"$hdr" && pass metrics-content-type ||
    fail metrics-content-type "$(grep -i content-type <<<"$hdr")"

# the strict edge holds for the new endpoints too: a wrong method is a JSON 405
ok405=1
for path in /metrics / /cluster /node; do
    it_http POST 1 "$path" 1
    [ "$HTTP_CODE" = 405 ] && jq -e '.error | strings' <<<"$HTTP_BODY" >/dev/null 2>&1 || { ok405=0; note "POST $path: $HTTP_CODE $HTTP_BODY"; }
done
[ "$ok405" = 1 ] && pass metrics-endpoints-strict || fail metrics-endpoints-strict "see notes"

# --- every family the issue names, typed, with at least one sample on the leader
FAMILIES="paxos_appends_total paxos_slots_chosen_total paxos_commands_per_slot
paxos_acceptor_fsync_seconds paxos_acceptor_log_bytes paxos_leader paxos_elections_total
paxos_ballot_round paxos_chosen_slot paxos_applied_slot paxos_list_length paxos_snapshots_total
paxos_rejected_frames_total paxos_role_restarts_total paxos_http_requests_total
paxos_request_duration_seconds"
missing=""
for f in $FAMILIES; do
    grep -q "^# TYPE $f " "$IT_DIR/m$leader.txt" &&
        grep -Eq "^${f}(_bucket)?(\{| )" "$IT_DIR/m$leader.txt" || missing+=" $f"
done
[ -z "$missing" ] && pass metrics-families || fail metrics-families "missing or empty:$missing"
for h in paxos_commands_per_slot paxos_acceptor_fsync_seconds paxos_request_duration_seconds; do
    grep -q "^# TYPE $h histogram" "$IT_DIR/m$leader.txt" || fail metrics-histograms "$h is not a histogram"
done

# --- the gateway's own counts: node 2 answered exactly this traffic
m2=$IT_DIR/m2.txt
if num_eq "$(val "$m2" 'paxos_appends_total{result="applied"}')" 20 &&
    num_eq "$(val "$m2" 'paxos_appends_total{result="refused"}')" 1 &&
    num_eq "$(val "$m2" 'paxos_http_requests_total{code="400"}')" 1 &&
    num_eq "$(val "$m2" 'paxos_http_requests_total{code="404"}')" 1 &&
    num_eq "$(val "$m2" 'paxos_request_duration_seconds_count{endpoint="append"}')" 21 &&
    num_eq "$(val "$m2" 'paxos_request_duration_seconds_bucket{endpoint="append",le="+Inf"}')" 21; then
    pass metrics-gateway-counts
else
    fail metrics-gateway-counts "$(grep -E '^paxos_(appends_total|http_requests_total|request_duration_seconds_count\{endpoint="append")' "$m2" | tr '\n' ' ')"
fi
num_eq "$(val "$IT_DIR/m1.txt" 'paxos_appends_total{result="applied"}')" 0 &&
    pass metrics-counts-per-gateway || fail metrics-counts-per-gateway "node 1 counted appends it never answered"

# --- the roles: one leader, the slots /status has, consistent histograms
leaders=0
ok=1
for i in 1 2 3; do
    m=$IT_DIR/m$i.txt
    l=$(val "$m" paxos_leader)
    [ "$l" = 1 ] && { leaders=$((leaders + 1)); [ "$i" = "$leader" ] || ok=0; }
    st=$(curl -s -m 2 "http://$(gw_of "$i")/status")
    num_eq "$(val "$m" paxos_applied_slot)" "$(jq -r .applied_upto <<<"$st")" || { ok=0; note "node $i applied"; }
    num_eq "$(val "$m" paxos_list_length)" 20 || { ok=0; note "node $i list length"; }
    bytes=$(stat -c %s "$(node_dir "$i")/acceptor.log")
    num_eq "$(val "$m" paxos_acceptor_log_bytes)" "$bytes" || { ok=0; note "node $i log bytes vs $bytes"; }
    num_gt "$(val "$m" paxos_acceptor_fsync_seconds_count)" 0 &&
        num_eq "$(val "$m" paxos_acceptor_fsync_seconds_count)" "$(val "$m" paxos_acceptor_fsyncs_total)" &&
        num_eq "$(val "$m" 'paxos_acceptor_fsync_seconds_bucket{le="+Inf"}')" \
            "$(val "$m" paxos_acceptor_fsync_seconds_count)" || { ok=0; note "node $i fsync histogram"; }
    num_gt "$(val "$m" paxos_snapshots_total)" 0 || { ok=0; note "node $i snapshots"; }
    round=$(curl -s -m 2 "http://$(gw_of "$i")/roles/proposer" | jq -r .ballot.round)
    num_eq "$(val "$m" paxos_ballot_round)" "$round" || { ok=0; note "node $i ballot round"; }
done
[ "$leaders" = 1 ] && [ "$ok" = 1 ] && pass metrics-roles ||
    fail metrics-roles "leaders $leaders (status says $leader); see notes"
ml=$IT_DIR/m$leader.txt
if num_gt "$(val "$ml" paxos_slots_chosen_total)" 19 &&
    num_eq "$(val "$ml" paxos_commands_per_slot_count)" "$(val "$ml" paxos_slots_chosen_total)" &&
    num_eq "$(val "$ml" paxos_commands_per_slot_sum)" "$(val "$ml" paxos_commands_chosen_total)" &&
    num_gt "$(val "$ml" paxos_elections_total)" 0 &&
    ! num_gt "$(val "$ml" paxos_applied_slot)" "$(val "$ml" paxos_chosen_slot)"; then
    pass metrics-leader
else
    fail metrics-leader "$(grep -E '^paxos_(slots_chosen|commands_per_slot_(sum|count)|commands_chosen|elections|chosen_slot|applied_slot)' "$ml" | tr '\n' ' ')"
fi

# --- a forged frame (a real node's certificate, node 1's own id over tcp)
# is counted by its reason; before it, the counter exists at 0
series='paxos_rejected_frames_total{role="acceptor",reason="wrong_path"}'
before=$(val "$IT_DIR/m1.txt" "$series")
"$BIN/paxos-forge" "tls+tcp://$(host_of 1):$(port_acc 1)" prepare --ballot 5:1 --cluster 41 --from 1 \
    --wait-ms 1000 --cert "$IT_DIR/certs/node3.crt" --key "$IT_DIR/certs/node3.key" \
    --ca "$IT_DIR/certs/ca.crt" >/dev/null 2>"$IT_DIR/forge.err" || note "forge: $(cat "$IT_DIR/forge.err")"
sleep 0.3
after=$(scrape 1 | awk -v s="$series" '$1 == s { print $2 }')
num_eq "$before" 0 && num_eq "$after" 1 && pass metrics-rejected-frames ||
    fail metrics-rejected-frames "$series: $before before, $after after"

# --- a killed role: the supervisor's restart count; a stopped one: down
kill -9 "$(it_role_pid 3 proposer)"
got=""
for ((t = 0; t < 50; t++)); do
    got=$(scrape 3 | awk '$1 == "paxos_role_restarts_total{role=\"proposer\"}" { print $2 }')
    [ "$got" = 1 ] && break
    sleep 0.2
done
[ "$got" = 1 ] && pass metrics-role-restarts || fail metrics-role-restarts "proposer restarts: '$got'"
kill -STOP "$(it_role_pid 3 learner)"
scrape 3 >"$IT_DIR/m3-stopped.txt"
kill -CONT "$(it_role_pid 3 learner)"
num_eq "$(val "$IT_DIR/m3-stopped.txt" 'paxos_role_up{role="learner"}')" 0 &&
    [ -z "$(val "$IT_DIR/m3-stopped.txt" paxos_applied_slot)" ] &&
    num_eq "$(val "$IT_DIR/m3-stopped.txt" 'paxos_role_up{role="acceptor"}')" 1 &&
    pass metrics-role-down || fail metrics-role-down "$(grep -E '^paxos_(role_up|applied_slot)' "$IT_DIR/m3-stopped.txt" | tr '\n' ' ')"

# --- a real Prometheus scraping the three gateways
prom_port=$((IT_PORT_BASE + 60))
prom=http://127.0.0.1:$prom_port
{
    echo "global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }"
    echo "scrape_configs:"
    echo "  - job_name: paxos"
    echo "    static_configs:"
    echo "      - targets: ['$(gw_of 1)', '$(gw_of 2)', '$(gw_of 3)']"
} >"$IT_DIR/prometheus.yml"
promtool check config "$IT_DIR/prometheus.yml" >"$IT_DIR/promtool-config.log" 2>&1 ||
    fail metrics-prometheus-config "$(cat "$IT_DIR/promtool-config.log")"
prometheus --config.file="$IT_DIR/prometheus.yml" --storage.tsdb.path="$IT_DIR/prometheus" \
    --web.listen-address="127.0.0.1:$prom_port" --storage.tsdb.retention.time=1h \
    >"$IT_DIR/prometheus.log" 2>&1 &
IT_EXTRA_PIDS+=($!)
# q EXPR: the query's result vector, as JSON
q() { curl -s -m 5 "$prom/api/v1/query" --data-urlencode "query=$1" | jq -c '.data.result'; }
for ((t = 0; t < 100; t++)); do
    curl -s -m 1 "$prom/-/ready" >/dev/null 2>&1 && break
    sleep 0.2
done
ups=""
for ((t = 0; t < 60; t++)); do
    ups=$(q 'up{job="paxos"}')
    [ "$(jq '[.[] | select(.value[1] == "1")] | length' <<<"$ups" 2>/dev/null)" = 3 ] && break
    sleep 0.5
done
[ "$(jq '[.[] | select(.value[1] == "1")] | length' <<<"$ups" 2>/dev/null)" = 3 ] &&
    pass metrics-prometheus-up || fail metrics-prometheus-up "up: $ups ($(tail -n 3 "$IT_DIR/prometheus.log"))"

# appends for 6 s on node 1 while Prometheus scrapes; then the rate it computes
end=$(($(now_ms) + 6000))
n=0
while [ "$(now_ms)" -lt "$end" ]; do
    it_append 1 "$((100 + n))"
    n=$((n + 1))
    sleep 0.05
done
rate=$(q 'sum(rate(paxos_appends_total{job="paxos",result="applied"}[5s]))' | jq -r '.[0].value[1] // empty')
note "$n appends in 6 s; Prometheus computes $rate appends/s"
num_gt "$rate" 0 && pass metrics-prometheus-rate || fail metrics-prometheus-rate "rate: '$rate'"
lead=$(q 'sum(paxos_leader{job="paxos"})' | jq -r '.[0].value[1] // empty')
num_eq "$lead" 1 && pass metrics-prometheus-one-leader || fail metrics-prometheus-one-leader "sum(paxos_leader) = '$lead'"
p90=$(q 'histogram_quantile(0.9, sum by (le) (rate(paxos_request_duration_seconds_bucket{job="paxos",endpoint="append"}[5s])))' |
    jq -r '.[0].value[1] // empty')
note "p90 append latency as Prometheus computes it: $p90 s"
num_gt "$p90" 0 && pass metrics-prometheus-histogram || fail metrics-prometheus-histogram "p90: '$p90'"
