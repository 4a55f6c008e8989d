#!/usr/bin/env bash
# log_format = "json": every line of every log a node writes (the
# supervisor's node.log and each role's <role>.log) is one JSON object
# with time, level, node, role, message and fields, through a start, a
# leader's proposer killed and restarted, forged frames refused (warnings
# carrying a peer's address), a bad HTTP request, a clean stop.  Then the
# same node restarted without the setting logs text again (the default).
source "$(dirname "$0")/lib.sh"
it_begin json-logs
sed -i '1i log_format = "json";' "$IT_CFG"

it_start_cluster
for v in 1 2 3; do
    it_append 1 "$v"
    [ "$HTTP_CODE" = 200 ] || fail json-logs "append $v: $HTTP_CODE $HTTP_BODY"
done
it_http POST 2 /append '{"value": 1.5}' # refused by the gateway, logged or not
leader=$(it_leader)
kill -9 "$(it_role_pid "$leader" proposer)"
sleep 1
# a frame from node 3's certificate claiming to be node 1, over tcp: refused and logged
"$BIN/paxos-forge" "tls+tcp://$(host_of 1):$(port_acc 1)" prepare --ballot 5:1 --cluster 41 --from 1 \
    --wait-ms 500 --cert "$IT_DIR/certs/node3.crt" --key "$IT_DIR/certs/node3.key" \
    --ca "$IT_DIR/certs/ca.crt" >/dev/null 2>&1 || true
it_wait_ready 10 || fail json-logs "cluster not ready again after the proposer kill"
it_append 2 4
for i in 1 2 3; do it_stop_node "$i" || fail json-logs "node $i did not stop"; done

# check_json FILE NODE ROLE: every line a JSON object with the keys, this
# node and role; prints "lines bad first-bad-line"
check_json() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
path, node, role = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = bad = 0
first = ""
with open(path, "rb") as f:
    for raw in f:
        lines += 1
        try:
            o = json.loads(raw.decode("utf-8"))
            ok = (isinstance(o, dict) and set(o) == {"time", "level", "node", "role", "message", "fields"}
                  and o["node"] == node and o["role"] == role and isinstance(o["fields"], dict)
                  and o["level"] in ("debug", "info", "warn", "error")
                  and isinstance(o["message"], str) and o["time"].endswith("Z"))
        except Exception:
            ok = False
        if not ok:
            bad += 1
            first = first or raw[:200].decode("utf-8", "replace").rstrip()
print(lines, bad, first)
EOF
}
total=0
for i in 1 2 3; do
    for role in node acceptor proposer learner gateway; do
        f=$(node_dir "$i")/logs/$role.log
        if [ ! -s "$f" ]; then
            fail "json-logs-n$i-$role" "$f is empty or missing"
            continue
        fi
        read -r lines bad first < <(check_json "$f" "$i" "$role")
        total=$((total + lines))
        [ "$bad" = 0 ] && pass "json-logs-n$i-$role" ||
            fail "json-logs-n$i-$role" "$bad of $lines lines are not the JSON promised, first: $first"
    done
done
note "$total JSON lines checked"
# the events happened, and were logged as such
d=$(node_dir "$leader")/logs
grep -q '"message":"became leader' "$IT_DIR"/data/node*/logs/proposer.log &&
    grep -q '"level":"warn"' "$(node_dir 1)/logs/acceptor.log" &&
    grep -q '"role":"node".*restart' "$d/node.log" &&
    pass json-logs-events || fail json-logs-events "no leader, refusal or restart line in JSON"

# the setting removed: node 1 logs text again
sed -i '/^log_format = "json";$/d' "$IT_CFG"
n=$(wc -l <"$(node_dir 1)/logs/acceptor.log")
it_start_node 1
it_stop_node 1
new=$(tail -n +"$((n + 1))" "$(node_dir 1)/logs/acceptor.log")
if [ -n "$new" ] && ! grep -q '^{' <<<"$new" &&
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z INFO  n1 acceptor ready' <<<"$new"; then
    pass json-logs-text-default
else
    fail json-logs-text-default "after the setting was removed: $(head -n 2 <<<"$new")"
fi
