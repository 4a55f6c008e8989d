#!/usr/bin/env bash
# Concurrent appends from several clients to every gateway: all learners end
# with the same list, every list a client got back is a prefix of it, and
# no acknowledged value is lost or doubled.  Also prints appends/s.
source "$(dirname "$0")/lib.sh"
it_begin concurrent-appends
it_start_cluster

CLIENTS=6
PER_CLIENT=40
out=$IT_DIR/clients
mkdir -p "$out"

# client C: PER_CLIENT appends of unique values C*100000+i to gateway C%N+1;
# writes "value index" per ack to C.acks and each returned list to C.lists.
client() {
    local c=$1 node=$(($1 % IT_N + 1)) i v
    for ((i = 0; i < PER_CLIENT; i++)); do
        v=$((c * 100000 + i))
        it_append "$node" "$v"
        if [ "$HTTP_CODE" = 200 ]; then
            # one jq per answer: "value index" to .acks, the list to .lists
            jq -r '"\(.value) \(.index)\t\(.list | tostring)"' <<<"$HTTP_BODY" |
                { IFS=$'\t' read -r ack list; echo "$ack" >>"$out/$c.acks"; echo "$list" >>"$out/$c.lists"; }
        else
            echo "$v $HTTP_CODE" >>"$out/$c.errors"
        fi
    done
}

# While the clients run: every node's /status, again and again; its
# chosen_upto must never be below its applied_upto (every applied slot is
# chosen, but a follower's proposer hears chosen_upto from heartbeats only).
status_poller() {
    local i
    while [ ! -f "$out/done" ]; do
        for ((i = 1; i <= IT_N; i++)); do
            curl -s -m 2 "http://$(gw_of "$i")/status" >>"$out/status.$i" 2>/dev/null
            echo >>"$out/status.$i"
        done
    done
}
status_poller &
poller=$!

start=$(now_ms)
pids=()
for ((c = 1; c <= CLIENTS; c++)); do client "$c" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
touch "$out/done"
wait "$poller"
elapsed=$(($(now_ms) - start))
acked=$(cat "$out"/*.acks 2>/dev/null | wc -l)
note "$acked appends acknowledged in $elapsed ms by $CLIENTS shell clients (fork-bound):" \
    "$((acked * 1000 / (elapsed > 0 ? elapsed : 1))) appends/s"
[ -z "$(cat "$out"/*.errors 2>/dev/null)" ] ||
    fail concurrent-appends-errors "some appends failed: $(cat "$out"/*.errors | head -3 | tr '\n' ' ')"

# Throughput without the shell's fork costs: one curl process, 32 requests
# in parallel over keep-alive connections, spread over the gateways.
PAR=300
args=()
for ((i = 0; i < PAR; i++)); do
    args+=(-X POST -d "{\"value\":$((900000 + i))}" -o /dev/null "http://$(gw_of $((i % IT_N + 1)))/append?list=false" --next)
done
start=$(now_ms)
curl -s -Z --parallel-max 32 -m 20 "${args[@]}" -o /dev/null "http://$(gw_of 1)/status" 2>/dev/null || true
elapsed=$(($(now_ms) - start))
note "throughput: $PAR appends in $elapsed ms with 32 in parallel:" \
    "$((PAR * 1000 / (elapsed > 0 ? elapsed : 1))) appends/s"

# Every node's list, read through the log, must be identical.
for ((i = 1; i <= IT_N; i++)); do
    it_list "$i" >"$out/final.$i" || fail concurrent-appends "GET /list on node $i: $HTTP_CODE"
done
same=1
for ((i = 2; i <= IT_N; i++)); do cmp -s "$out/final.1" "$out/final.$i" || same=0; done
[ "$same" -eq 1 ] && pass concurrent-appends-same-list ||
    fail concurrent-appends-same-list "nodes' lists differ"

# No value twice; every acknowledged value present at the index it was given.
final=$out/final.1
dups=$(sort "$final" | uniq -d | head -3 | tr '\n' ' ')
[ -z "$dups" ] && pass concurrent-appends-no-dup || fail concurrent-appends-no-dup "doubled: $dups"
lost=0
while read -r v idx; do
    got=$(sed -n "$((idx + 1))p" "$final")
    [ "$got" = "$v" ] || { lost=$((lost + 1)); [ "$lost" -le 3 ] && note "value $v acked at $idx, list has '$got'"; }
done < <(cat "$out"/*.acks)
[ "$lost" -eq 0 ] && pass concurrent-appends-none-lost || fail concurrent-appends-none-lost "$lost acked values missing or moved"
[ "$(wc -l <"$final")" -eq "$((CLIENTS * PER_CLIENT + PAR))" ] ||
    note "final list has $(wc -l <"$final") values, $((CLIENTS * PER_CLIENT + PAR)) sent"

# Every list a client saw is a prefix of the final list.
final_json=$(jq -cs . "$final")
bad=$(cat "$out"/*.lists | jq -c --argjson f "$final_json" 'select(. != $f[0:length])' | wc -l)
[ "$bad" -eq 0 ] && pass concurrent-appends-prefixes || fail concurrent-appends-prefixes "$bad returned lists are not prefixes of the final list"

# The learners themselves agree (not only what the gateways serve).
lens=$(for ((i = 1; i <= IT_N; i++)); do
    curl -s -m 2 "http://$(gw_of "$i")/roles/learner" | jq -r '.. | .list_length? // empty' | head -n 1
done | sort -u | tr '\n' ' ')
note "learner list lengths: $lens"

# A restarted proposer knows chosen_upto 0 until the leader's next
# heartbeat, while its node's learner has applied everything: watch node
# 3's /status through a kill -9 of its proposer (the supervisor restarts it).
victim=3
[ "$(it_leader)" = 3 ] && victim=2
kill -9 "$(it_role_pid "$victim" proposer)"
t_end=$(($(now_ms) + 1500))
while [ "$(now_ms)" -lt "$t_end" ]; do
    curl -s -m 1 "http://$(gw_of "$victim")/status" >>"$out/status.$victim" 2>/dev/null
    echo >>"$out/status.$victim"
done

# What the poller saw under load and through the restart.
samples=$(cat "$out"/status.* | grep -c '^{' || true)
bad=$(cat "$out"/status.* | grep '^{' | jq -c 'select(.chosen_upto != null and .applied_upto != null and .chosen_upto < .applied_upto) | {node, chosen_upto, applied_upto}' | head -n 3)
note "$samples /status answers under load"
[ "$samples" -ge 10 ] && [ -z "$bad" ] && pass concurrent-appends-status-chosen ||
    fail concurrent-appends-status-chosen "chosen_upto below applied_upto: ${bad:-only $samples samples}"
