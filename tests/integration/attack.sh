#!/usr/bin/env bash
# Forged frames from a local user change nothing on the default (mutual TLS)
# cluster, before and after a restart.  The frames that once broke a
# cluster (issue 11): a CHOSEN with a fresh slot and a value nobody
# appended, a PREPARE at round 2^64-1, a TRIM far ahead, a HEARTBEAT
# claiming leadership at the top round.
#   1. sent to every role port of every node from a dialer with no
#      certificate, a self-signed one, one from another CA, and plain tcp://:
#      not one connection is made;
#   2. ipc: a process of another uid cannot reach a node's sockets (node
#      directory 0700, socket files 0600), and when both are opened up it is
#      still refused by the peer-uid check, which is counted and logged;
#   3. the same frames sent with a real node's certificate (a buggy or
#      compromised peer) pass TLS and are refused by the protocol bounds,
#      counted by reason;
#   4. through all of it appends go on, every node's list is the same, the
#      forged value appears nowhere, promises stay far below the ceiling,
#      and all of it holds again after a whole-cluster restart.
source "$(dirname "$0")/lib.sh"
it_begin attack
it_start_cluster
FORGE=$BIN/paxos-forge
[ -x "$FORGE" ] || { fail attack "$FORGE missing (run make)"; exit 1; }
FORGED=424242
TOP=18446744073709551615

for v in $(seq 1 10); do it_append $(((v % 3) + 1)) "$v"; done

# A self-signed certificate, and a whole other CA with a node certificate.
rogue=$IT_DIR/rogue
mkdir -p "$rogue"
openssl ecparam -name prime256v1 -genkey -noout -out "$rogue/self.key" 2>/dev/null
openssl req -x509 -new -key "$rogue/self.key" -subj "/CN=paxos-c node 3" -days 2 \
    -addext "subjectAltName=IP:127.0.0.3" -out "$rogue/self.crt" 2>/dev/null
other=$IT_DIR/other/cluster.cfg
mkdir -p "$IT_DIR/other"
it_write_config "$other" 41 "$IT_DIR/other/data"
PAXOS_BIN=$BIN "$IT_ROOT/scripts/make-certs.sh" --config "$other" >/dev/null

# forge_all URL_SCHEME [CERT ARGS...]: every frame to every role port of
# every node; prints how many got a connection.
forge_all() {
    local scheme=$1 i port from connected=0
    shift
    for ((i = 1; i <= IT_N; i++)); do
        from=$(((i % IT_N) + 1)) # claim to be another member
        for port in $(port_acc "$i") $(port_prop "$i") $(port_learn "$i"); do
            local url=$scheme://$(host_of "$i"):$port
            for frame in "chosen --slot 1000 --acks 0xe --value $FORGED" \
                "prepare --ballot $TOP:$from" "trim --below 1000000000 --ballot 1:$from" \
                "heartbeat --ballot 1152921504606846976:$from --leader $from --chosen-upto 5000"; do
                # shellcheck disable=SC2086
                if "$FORGE" "$url" $frame --cluster 41 --from "$from" --wait-ms 500 "$@" \
                    >/dev/null 2>>"$IT_DIR/forge.err"; then
                    connected=$((connected + 1))
                fi
            done
        done
    done
    echo "$connected"
}

# check_unharmed LABEL: appends work on every node, lists agree, no forged
# value, promises far below the ceiling.
check_unharmed() {
    local label=$1 i ok=1 first="" l
    for ((i = 1; i <= IT_N; i++)); do
        it_append "$i" $((1000 + i))
        [ "$HTTP_CODE" = 200 ] || { ok=0; note "$label: append on node $i: $HTTP_CODE $HTTP_BODY"; }
    done
    [ "$ok" -eq 1 ] && pass "attack-$label-appends" || fail "attack-$label-appends" "appends failed"
    ok=1
    for ((i = 1; i <= IT_N; i++)); do
        l=$(it_list "$i" | tr '\n' ' ') || { ok=0; note "$label: node $i /list failed"; continue; }
        [ -z "$first" ] && first=$l
        [ "$l" = "$first" ] || { ok=0; note "$label: node $i list differs"; }
        grep -qw "$FORGED" <<<"$l" && { ok=0; note "$label: node $i holds the forged value"; }
    done
    [ "$ok" -eq 1 ] && pass "attack-$label-lists-equal" || fail "attack-$label-lists-equal" "lists differ or hold $FORGED"
    ok=1
    for ((i = 1; i <= IT_N; i++)); do
        local r
        r=$(curl -s -m 2 "http://$(gw_of "$i")/roles/acceptor" | jq -r '.promised.round')
        [ -n "$r" ] && [ "$r" != null ] && [ "$r" -lt 1000000 ] || { ok=0; note "$label: node $i promised round $r"; }
    done
    [ "$ok" -eq 1 ] && pass "attack-$label-promises-sane" || fail "attack-$label-promises-sane" "a promise went up to the forged round"
}

# --- 1. no valid certificate: no connection at all
for dialer in "tcp" "tls+tcp" "tls+tcp --cert $rogue/self.crt --key $rogue/self.key" \
    "tls+tcp --cert $IT_DIR/other/certs/node3.crt --key $IT_DIR/other/certs/node3.key"; do
    # shellcheck disable=SC2086
    n=$(forge_all $dialer)
    [ "$n" -eq 0 ] && pass "attack-no-connection ($dialer)" ||
        fail "attack-no-connection ($dialer)" "$n forged frames got a connection"
done
note "a refused dial says: $(sort "$IT_DIR/forge.err" | uniq -c | sort -rn | head -n 2 | tr -s ' ' | tr '\n' ';')"
check_unharmed tls

# --- 2. ipc from another uid
nobody_run() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
    d1=$(node_dir 1)
    [ "$(stat -c %a "$d1")" = 700 ] && pass attack-node-dir-0700 || fail attack-node-dir-0700 "mode $(stat -c %a "$d1")"
    # let nobody traverse down to the node directory and run the tool
    chmod 711 "$IT_DIR" "$IT_DIR/data"
    install -m 755 "$FORGE" "$IT_DIR/forge"
    url=ipc://$d1/learner.ipc
    if nobody_run "$IT_DIR/forge" "$url" chosen --slot 1000 --acks 0xe --value "$FORGED" \
        --cluster 41 --from 1 --wait-ms 500 >/dev/null 2>"$IT_DIR/ipc1.err"; then
        fail attack-ipc-dir "uid 65534 reached $url"
    else
        pass attack-ipc-dir
        note "$(head -n 1 "$IT_DIR/ipc1.err")"
    fi
    [ "$(stat -c %a "$d1/learner.ipc")" = 600 ] && pass attack-ipc-socket-0600 ||
        fail attack-ipc-socket-0600 "learner.ipc has mode $(stat -c %a "$d1/learner.ipc")"
    # open both locks an operator could get wrong: the uid check still refuses
    chmod 711 "$d1"
    chmod 666 "$d1/learner.ipc"
    nobody_run "$IT_DIR/forge" "$url" chosen --slot 1000 --acks 0xe --value "$FORGED" \
        --cluster 41 --from 1 --wait-ms 500 >/dev/null 2>"$IT_DIR/ipc2.err" || true
    chmod 700 "$d1"
    sleep 0.3
    n=$(curl -s -m 2 "http://$(gw_of 1)/roles/learner" | jq -r '.rejected_frames.foreign_uid_connections // 0')
    [ "$n" -gt 0 ] && pass attack-ipc-uid-refused || fail attack-ipc-uid-refused "foreign_uid_connections = $n"
    grep -q "refused an ipc connection from uid 65534" "$d1/logs/learner.log" && pass attack-ipc-uid-logged ||
        fail attack-ipc-uid-logged "no log line in learner.log"
    chmod 700 "$IT_DIR"
else
    note "not root or no setpriv: the ipc uid checks are skipped"
fi

# --- 3. a real node's certificate: TLS lets the frames in, the bounds refuse them
peer=(--cert "$IT_DIR/certs/node3.crt" --key "$IT_DIR/certs/node3.key" --ca "$IT_DIR/certs/ca.crt")
u1=tls+tcp://$(host_of 1)
# f FROM URL TYPE ARGS...: one frame claiming to come from node FROM.
f() {
    local from=$1
    shift
    "$FORGE" "$@" --cluster 41 --from "$from" --wait-ms 1000 "${peer[@]}" >/dev/null 2>>"$IT_DIR/forge.err" ||
        note "forge $*: failed"
}
f 3 "$u1:$(port_learn 1)" chosen --slot 1000 --acks 0x2 --value "$FORGED" # one ack: not a quorum
f 3 "$u1:$(port_acc 1)" prepare --ballot "$TOP:3"
f 3 "$u1:$(port_acc 1)" trim --below 1000000000 --ballot 999:3 # not the promised ballot
# under the promised ballot (claiming to be the leader), far ahead, to a node that is not the leader
pb=$(curl -s -m 2 "http://$(gw_of 1)/roles/acceptor" | jq -r '"\(.promised.round):\(.promised.node)"')
lead=${pb#*:}
tgt=$(((lead % IT_N) + 1))
f "$lead" "tls+tcp://$(host_of "$tgt"):$(port_acc "$tgt")" trim --below 1000000000 --ballot "$pb"
f 3 "$u1:$(port_prop 1)" heartbeat --ballot "1152921504606846977:3" --leader 3
f 3 "$u1:$(port_prop 1)" accepted --ballot 1:3 --acceptor 2 --slot 5 # claims to be acceptor 2
f 1 "$u1:$(port_acc 1)" prepare --ballot 5:1         # our own id, over tcp
f 3 "$u1:$(port_learn 1)" list_req --slot 0          # a request only our gateway sends, over tcp
f 3 "$u1:$(port_prop 1)" accept --ballot 5:3 --slot 5 # proposers never receive ACCEPT
f 3 "$u1:$(port_learn 1)" vote --ballot 999:3 --acceptor 2 --slot 1000 --value "$FORGED" # claims to be acceptor 2
f 3 "$u1:$(port_learn 1)" vote --ballot 999:3 --slot 1001 --value "$FORGED"    # one vote: no quorum
f 3 "$u1:$(port_learn 1)" vote --ballot 999:3 --slot 1001 --value $((FORGED + 1)) # another value, same ballot
sleep 0.5
reasons() { curl -s -m 2 "http://$(gw_of 1)/roles/$1" | jq -c '.rejected_frames'; }
racc=$(reasons acceptor) rlearn=$(reasons learner) rprop=$(reasons proposer)
note "refusals: acceptor $racc learner $rlearn proposer $rprop"
jq -e '.chosen_quorum >= 1' <<<"$rlearn" >/dev/null && pass attack-peer-chosen-quorum ||
    fail attack-peer-chosen-quorum "learner: $rlearn"
jq -e '.ballot_ceiling >= 1' <<<"$racc" >/dev/null && pass attack-peer-prepare-ceiling ||
    fail attack-peer-prepare-ceiling "acceptor: $racc"
rtgt=$(curl -s -m 2 "http://$(gw_of "$tgt")/roles/acceptor" | jq -c '.rejected_frames')
jq -e '(.trim_ballot // 0) >= 1' <<<"$racc" >/dev/null && pass attack-peer-trim-ballot ||
    fail attack-peer-trim-ballot "acceptor: $racc"
jq -e '(.trim_ahead // 0) >= 1' <<<"$rtgt" >/dev/null && pass attack-peer-trim-ahead ||
    fail attack-peer-trim-ahead "node $tgt's acceptor: $rtgt (promised $pb)"
jq -e '.ballot_ceiling >= 1' <<<"$rprop" >/dev/null && pass attack-peer-heartbeat-ceiling ||
    fail attack-peer-heartbeat-ceiling "proposer: $rprop"
jq -e '.sender_mismatch >= 1' <<<"$rprop" >/dev/null && pass attack-peer-sender-mismatch ||
    fail attack-peer-sender-mismatch "proposer: $rprop"
jq -e '.wrong_path >= 1' <<<"$racc" >/dev/null && jq -e '.wrong_path >= 1' <<<"$rlearn" >/dev/null &&
    pass attack-peer-wrong-path || fail attack-peer-wrong-path "acceptor: $racc learner: $rlearn"
jq -e '.unexpected_type >= 1' <<<"$rprop" >/dev/null && pass attack-peer-unexpected-type ||
    fail attack-peer-unexpected-type "proposer: $rprop"
jq -e '(.sender_mismatch // 0) >= 1 and (.vote_mismatch // 0) >= 1' <<<"$rlearn" >/dev/null &&
    pass attack-peer-vote || fail attack-peer-vote "learner: $rlearn"
grep -Eq "rejected frame from 127\.0\.0\.[0-9]+:[0-9]+: CHOSEN whose acks are not a quorum" "$(node_dir 1)/logs/learner.log" &&
    pass attack-peer-logged || fail attack-peer-logged "no 'rejected frame from' line naming the sender"
check_unharmed peer

# --- 4. after a whole-cluster restart: nothing forged was made durable
for ((i = 1; i <= IT_N; i++)); do it_stop_node "$i"; done
it_start_cluster
check_unharmed restart
