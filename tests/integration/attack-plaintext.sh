#!/usr/bin/env bash
# A cluster run with tls = false (plaintext, unauthenticated peers): every
# process warns at start, and the forged frames of attack.sh, sent over plain
# tcp:// by anyone, get through the transport but are refused by the protocol
# bounds wherever a bound can tell (a CHOSEN without a quorum of acks, rounds
# above the ceiling, a TRIM not under the promised ballot or beyond what was
# accepted, ids that do not match the sender or the path).  What no bound can
# tell -- a well-formed forgery of an honest frame -- is why TLS is the
# default (docs/SECURITY.md).
source "$(dirname "$0")/lib.sh"
it_begin attack-plaintext
echo "tls = false;" >>"$IT_CFG"
it_start_cluster
FORGE=$BIN/paxos-forge
FORGED=434343
TOP=18446744073709551615

grep -q "tls = false in .*plaintext tcp:// and not authenticated" "$(node_dir 1)/logs/acceptor.log" &&
    pass plaintext-warns || fail plaintext-warns "no plaintext warning in node 1's acceptor.log"
for v in 1 2 3; do it_append "$v" "$v"; done

u1=tcp://$(host_of 1)
f() {
    local from=$1
    shift
    "$FORGE" "$@" --cluster 41 --from "$from" --wait-ms 1000 >/dev/null 2>>"$IT_DIR/forge.err" ||
        note "forge $*: failed"
}
for from in 2 3; do
    f "$from" "$u1:$(port_learn 1)" chosen --slot 1000 --acks 0x2 --value "$FORGED"
    f "$from" "$u1:$(port_learn 1)" chosen --slot 2 --acks 0x200 --value "$FORGED" # acks of a non-member
    f "$from" "$u1:$(port_acc 1)" prepare --ballot "$TOP:$from"
    f "$from" "$u1:$(port_acc 1)" trim --below 1000000000 --ballot "999:$from" # not the promised ballot
    f "$from" "$u1:$(port_prop 1)" heartbeat --ballot "1152921504606846977:$from" --leader "$from"
done
f 7 "$u1:$(port_acc 1)" prepare --ballot 9:7 # a node that is not a member
# A TRIM under the very ballot the acceptor promised (so claiming to come
# from the leader), far ahead of what it accepted, to a node that is not
# the leader (its own id over tcp would be refused by the path check first).
pb=$(curl -s -m 2 "http://$(gw_of 1)/roles/acceptor" | jq -r '"\(.promised.round):\(.promised.node)"')
lead=${pb#*:}
tgt=$(((lead % IT_N) + 1))
f "$lead" "tcp://$(host_of "$tgt"):$(port_acc "$tgt")" trim --below 1000000000 --ballot "$pb"
sleep 0.5
reasons() { curl -s -m 2 "http://$(gw_of 1)/roles/$1" | jq -c '.rejected_frames'; }
racc=$(reasons acceptor) rlearn=$(reasons learner) rprop=$(reasons proposer)
note "refusals: acceptor $racc learner $rlearn proposer $rprop"
jq -e '.chosen_quorum >= 4' <<<"$rlearn" >/dev/null && pass plaintext-chosen-quorum ||
    fail plaintext-chosen-quorum "learner: $rlearn"
jq -e '.ballot_ceiling >= 2' <<<"$racc" >/dev/null && pass plaintext-prepare-ceiling ||
    fail plaintext-prepare-ceiling "acceptor: $racc"
jq -e '(.trim_ballot // 0) >= 2' <<<"$racc" >/dev/null && pass plaintext-trim-ballot ||
    fail plaintext-trim-ballot "acceptor: $racc"
rtgt=$(curl -s -m 2 "http://$(gw_of "$tgt")/roles/acceptor" | jq -c '.rejected_frames')
jq -e '(.trim_ahead // 0) >= 1' <<<"$rtgt" >/dev/null && pass plaintext-trim-ahead ||
    fail plaintext-trim-ahead "node $tgt's acceptor: $rtgt (promised $pb)"
jq -e '.ballot_ceiling >= 2' <<<"$rprop" >/dev/null && pass plaintext-heartbeat-ceiling ||
    fail plaintext-heartbeat-ceiling "proposer: $rprop"
jq -e '(.not_member // 0) + (.bad_sender_id // 0) >= 1' <<<"$racc" >/dev/null && pass plaintext-not-member ||
    fail plaintext-not-member "acceptor: $racc"

ok=1 first=""
for i in 1 2 3; do
    it_append "$i" $((10 + i))
    [ "$HTTP_CODE" = 200 ] || { ok=0; note "append on node $i: $HTTP_CODE $HTTP_BODY"; }
done
[ "$ok" -eq 1 ] && pass plaintext-appends-go-on || fail plaintext-appends-go-on "appends failed"
ok=1
for i in 1 2 3; do
    l=$(it_list "$i" | tr '\n' ' ') || { ok=0; continue; }
    [ -z "$first" ] && first=$l
    [ "$l" = "$first" ] && ! grep -qw "$FORGED" <<<"$l" || ok=0
done
[ "$ok" -eq 1 ] && pass plaintext-lists-equal || fail plaintext-lists-equal "lists differ or hold $FORGED"
