#!/usr/bin/env bash
# Log compaction end to end, with snapshot_every = 16:
#  1. a few thousand appends: every learner has a durable learner.snap,
#     proposers have a trim mark, acceptors trimmed and hold few slots;
#  2. node 3's learner loses learner.snap and is killed: it comes back
#     empty, and since the log below the trim mark is gone everywhere it
#     can only catch up through a snapshot from a peer;
#  3. a flipped byte in node 2's learner.snap: its learner refuses to start
#     (file and reason logged, supervisor retries) while nodes 1 and 3
#     serve; once the file is deleted it fetches a snapshot and catches up;
#  4. every node crashes and restarts: lists identical, every acknowledged
#     append at its index, appends continue.
#
#   IT_SNAPSHOT_EVERY=0 bash tests/integration/compaction.sh
# runs it with snapshots off: step 1 (and the snapshot checks after it)
# must then FAIL, which shows the checks can fail.
IT_SNAPSHOT_EVERY=${IT_SNAPSHOT_EVERY:-16}
source "$(dirname "$0")/lib.sh"
it_begin compaction
T0=$(now_ms)
it_start_cluster
note "cluster up with snapshot_every = $IT_SNAPSHOT_EVERY in $(($(now_ms) - T0)) ms"

LOAD1=${IT_COMPACTION_LOAD:-8000} # appends in step 1: 16 clients put about 6 in a slot, 500+ slots needed
MAX_HELD=100                      # slots an acceptor may still hold after compaction
ACKED=$IT_DIR/acked               # "value index" of every acknowledged append

# role_json NODE ROLE: the role's /roles JSON through the node's gateway ("{}" if none).
role_json() {
    curl -s -m 3 "http://$(gw_of "$1")/roles/$2" 2>/dev/null | jq -c . 2>/dev/null || echo '{}'
}
# field JSON KEY: an integer field, or -1 if absent.
field() { jq -r ".$2 // -1" <<<"$1"; }

# bench NAME TOTAL NODES...: TOTAL appends (values 1..) over the nodes'
# gateways; acknowledged ones are added to $ACKED.  Fails NAME if short.
bench() {
    local name=$1 total=$2 t rc=0 targets="" i
    shift 2
    for i in "$@"; do targets+="${targets:+,}$(gw_of "$i")"; done
    t=$(now_ms)
    "$BIN/paxos-bench" --targets "$targets" --concurrency 16 --list-mode index --total "$total" \
        --warmup 0 --duration 30 --timeout-ms 5000 --acked "$IT_DIR/$name.acked" --json \
        >"$IT_DIR/$name.json" 2>"$IT_DIR/$name.err" {IT_SLOT_FD}>&- || rc=$?
    cat "$IT_DIR/$name.acked" >>"$ACKED" 2>/dev/null || true
    local n
    n=$(wc -l <"$IT_DIR/$name.acked" 2>/dev/null || echo 0)
    if [ "$rc" -eq 0 ] && [ "$n" -eq "$total" ]; then
        pass "$name"
        note "$n appends over nodes $* in $(($(now_ms) - t)) ms ($(jq -r .errors "$IT_DIR/$name.json") errors)"
    else
        fail "$name" "paxos-bench exit $rc, $n of $total acknowledged: $(tail -n 2 "$IT_DIR/$name.err" | tr '\n' ' ')"
    fi
}

# curl_appends NODE FIRST COUNT: appends FIRST.. one by one (retrying a
# few times), recording acknowledged ones; returns 1 if one never succeeds.
curl_appends() {
    local node=$1 v
    for ((v = $2; v < $2 + $3; v++)); do
        for _ in 1 2 3 4 5; do
            IT_CURL_TIMEOUT=5 it_http POST "$node" "/append?list=false" "{\"value\":$v}"
            [ "$HTTP_CODE" = 200 ] && break
            sleep 0.2
        done
        [ "$HTTP_CODE" = 200 ] || { note "append $v on node $node: $HTTP_CODE $HTTP_BODY"; return 1; }
        echo "$v $(jq -r .index <<<"$HTTP_BODY")" >>"$ACKED"
    done
}

# wait_same SECS A B: until nodes A and B have applied the same slots (cheap
# /status polls), then until their lists, read through the log, are equal.
# (Not the gateways' list lengths in /status: after a snapshot install the
# gateway learns the new length only with the next applied slot, which a
# GET /list provides.)  Sets SAME_WHY on failure.
wait_same() {
    local start deadline a="" b=""
    start=$(now_ms)
    deadline=$((start + $1 * 1000))
    SAME_WHY="" SAME_HTTP=""
    : >"$IT_DIR/list.$2"; : >"$IT_DIR/list.$3"
    while [ "$(now_ms)" -lt "$deadline" ]; do
        a=$(curl -s -m 2 "http://$(gw_of "$2")/status" 2>/dev/null | jq -r .applied_upto 2>/dev/null || true)
        b=$(curl -s -m 2 "http://$(gw_of "$3")/status" 2>/dev/null | jq -r .applied_upto 2>/dev/null || true)
        if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != null ]; then
            SAME_HTTP=""
            if IT_CURL_TIMEOUT=5 it_list "$2" >"$IT_DIR/list.$2" || { SAME_HTTP="node $2: $HTTP_CODE ${HTTP_BODY:0:100}"; false; }; then
                if IT_CURL_TIMEOUT=5 it_list "$3" >"$IT_DIR/list.$3" || { SAME_HTTP="node $3: $HTTP_CODE ${HTTP_BODY:0:100}"; false; }; then
                    if cmp -s "$IT_DIR/list.$2" "$IT_DIR/list.$3"; then
                        note "node $3 equals node $2 ($(wc -l <"$IT_DIR/list.$2") values) after $(($(now_ms) - start)) ms"
                        return 0
                    fi
                fi
            fi
        fi
        sleep 0.3
    done
    SAME_WHY="applied_upto: node $2 '$a', node $3 '$b'; lists of $(wc -l <"$IT_DIR/list.$2") and $(wc -l <"$IT_DIR/list.$3") values${SAME_HTTP:+; last GET /list failed on $SAME_HTTP}"
    [ -s "$IT_DIR/list.$2" ] && [ -s "$IT_DIR/list.$3" ] &&
        SAME_WHY+=": $(cmp "$IT_DIR/list.$2" "$IT_DIR/list.$3" 2>&1 | head -n 1)"
    return 1
}

# step NAME: a timing line for the step that begins.
step() { note "--- $1 (at $(($(now_ms) - T0)) ms)"; }

# acked_missing LISTFILE: prints how many acknowledged (value, index) pairs
# the list lacks, and an example.
acked_missing() {
    awk 'NR == FNR { v[FNR - 1] = $1; next }
        !($2 in v) { bad++; if (!ex) ex = $0 " (index past the end)"; next }
        v[$2] != $1 { bad++; if (!ex) ex = $0 " (list has " v[$2] ")" }
        END { if (bad) print bad " missing, e.g. value index " ex }' "$1" "$ACKED"
}

snap_of() { echo "$(node_dir "$1")/learner.snap"; }
# The slot field of a snapshot file (offset 16, u64 little-endian).
snap_file_slot() { od -An -tu8 -j16 -N8 "$1" 2>/dev/null | tr -d ' '; }

# ---- 1. compaction under load ------------------------------------------------
step "1. compaction under load"
bench compaction-load "$LOAD1" 1 2 3

# Let the last snapshots be reported and the trim mark reach the acceptors
# (with the next heartbeats), then check every role.  One round: every
# role's /roles JSON in one parallel curl, one jq per node (forks are slow
# on a loaded machine).  ROLES[i] = "snapshot_upto snapshot_bytes applied
# retained trimmed accepted highest log_bytes rewrites trim_mark chosen".
fetch_roles() {
    local i r args=()
    for ((i = 1; i <= IT_N; i++)); do
        for r in learner acceptor proposer; do
            rm -f "$IT_DIR/role.$i.$r"
            args+=(-o "$IT_DIR/role.$i.$r" "http://$(gw_of "$i")/roles/$r")
        done
    done
    curl -s -m 5 -Z "${args[@]}" 2>/dev/null || true
    for ((i = 1; i <= IT_N; i++)); do
        ROLES[i]=$(cat "$IT_DIR/role.$i.learner" "$IT_DIR/role.$i.acceptor" "$IT_DIR/role.$i.proposer" 2>/dev/null |
            jq -rs 'map({(.role // "x"): .}) | add // {} |
                [.learner.snapshot_upto, .learner.snapshot_bytes, .learner.applied_upto,
                 .learner.retained, .acceptor.trimmed, .acceptor.accepted, .acceptor.highest_slot,
                 .acceptor.log_bytes, .acceptor.log_rewrites, .proposer.trim_mark,
                 .proposer.chosen_upto] | map(. // -1) | join(" ")' 2>/dev/null) ||
            ROLES[i]="-1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1"
    done
}
ROLES=()
CHOSEN=0
check_compacted() {
    local i snap su sb ap ret tr acc hi lb rw tm ch
    WHY=()
    fetch_roles
    CHOSEN=0
    for ((i = 1; i <= IT_N; i++)); do
        read -r su sb ap ret tr acc hi lb rw tm ch <<<"${ROLES[$i]}"
        [ "$ch" -gt "$CHOSEN" ] && CHOSEN=$ch
        snap=$(snap_of "$i")
        [ "$su" -gt 0 ] || WHY+=("learner $i: snapshot_upto $su")
        if [ -f "$snap" ]; then
            [ "$(snap_file_slot "$snap")" = "$su" ] && [ "$(stat -c %s "$snap")" = "$sb" ] ||
                WHY+=("learner $i: learner.snap (slot $(snap_file_slot "$snap"), $(stat -c %s "$snap") bytes) is not what its status reports (slot $su, $sb bytes)")
        else
            WHY+=("learner $i: no $snap")
        fi
        [ "$tr" -gt 0 ] || WHY+=("acceptor $i: trimmed $tr")
        [ "$acc" -ge 0 ] && [ "$acc" -lt "$MAX_HELD" ] ||
            WHY+=("acceptor $i: holds $acc slots (highest $hi)")
        [ "$tm" -gt 0 ] || WHY+=("proposer $i: trim_mark $tm")
    done
    # Thousands of slots chosen, but the acceptors only hold a few.
    [ "$CHOSEN" -ge $((5 * MAX_HELD)) ] ||
        WHY+=("only $CHOSEN slots chosen (want >= $((5 * MAX_HELD)) to tell compaction apart)")
    [ ${#WHY[@]} -eq 0 ]
}
deadline=$(($(now_ms) + 20000))
rounds=0
# (each unsuccessful round goes to checks.log, kept if the test fails)
until check_compacted || [ "$(now_ms)" -ge "$deadline" ]; do
    echo "$(($(now_ms) - T0)) ms: $(printf '%s; ' "${WHY[@]}")" >>"$IT_DIR/checks.log"
    rounds=$((rounds + 1))
    sleep 0.3
done
note "checked after $rounds unsuccessful rounds (at $(($(now_ms) - T0)) ms)"
if [ ${#WHY[@]} -eq 0 ]; then
    pass compaction-snapshots-and-trim
else
    fail compaction-snapshots-and-trim "$(printf '%s; ' "${WHY[@]}")"
fi
for ((i = 1; i <= IT_N; i++)); do
    read -r su sb ap ret tr acc hi lb rw tm ch <<<"${ROLES[$i]}"
    note "node $i: acceptor trimmed $tr holds $acc (highest $hi) log $lb B rewrites $rw;" \
        "learner applied $ap snapshot $su ($sb B) retained $ret; proposer chosen $ch trim_mark $tm"
done

# ---- 2. a learner without its snapshot fetches one from a peer ---------------
step "2. snapshot transfer"
# The supervisor is stopped so it cannot restart the learner before the file
# is gone (and a running learner cannot write a new one).
lead=$(it_leader)
mark=$(field "$(role_json "${lead:-1}" proposer)" trim_mark)
sup=$(it_role_pid 3 node)
lpid=$(it_role_pid 3 learner)
llog=$(node_dir 3)/logs/learner.log
lines=$(wc -l <"$llog")
if [ -z "$sup" ] || [ -z "$lpid" ]; then
    fail compaction-transfer "node 3's supervisor or learner is not running"
    exit 1
fi
kill -STOP "$sup"
kill -9 "$lpid" || true
rm -f "$(snap_of 3)" "$(snap_of 3).tmp"
kill -CONT "$sup"
note "node 3: deleted learner.snap, killed its learner (pid $lpid); trim mark was $mark"
bench compaction-load-during-transfer 500 1 2
if wait_same 20 1 3; then
    pass compaction-transfer-catches-up
else
    fail compaction-transfer-catches-up "$SAME_WHY"
fi
# Its first snapshot after the restart is at or above the old trim mark:
# slots below it exist nowhere but in peers' snapshots, so it was installed
# from a peer (a learner applying from slot 0 would write 16, 32, ...).
first=$(tail -n +"$((lines + 1))" "$llog" | sed -n 's/.*snapshot at slot \([0-9]*\) written.*/\1/p' | head -n 1)
if [ -n "$first" ] && [ "$mark" -gt 0 ] && [ "$first" -ge "$mark" ] && [ -f "$(snap_of 3)" ]; then
    pass compaction-transfer-installed
    note "node 3: $(tail -n +"$((lines + 1))" "$llog" | grep -m1 'snapshot at slot')"
else
    fail compaction-transfer-installed "first snapshot written after the restart: '${first:-none}' (trim mark $mark); learner.snap $( [ -f "$(snap_of 3)" ] && echo present || echo missing)"
fi

# ---- 3. a corrupt snapshot is refused, the cluster serves, deleting heals ----
# At a node's start a corrupt learner.snap makes the start fail (nothing is
# left running); in a running node the supervisor keeps restarting the
# learner, which keeps refusing, until the operator deletes the file.
step "3. corrupt snapshot"
it_stop_node 2
note "node 2 stopped (at $(($(now_ms) - T0)) ms)"
snap2=$(snap_of 2)
llog2=$(node_dir 2)/logs/learner.log
nlog2=$(node_dir 2)/logs/node.log
if [ -f "$snap2" ]; then
    cp "$snap2" "$IT_DIR/snap2.good"
    size=$(stat -c %s "$snap2")
    off=$((size - 5)) # the last byte of the last list value, before the CRC
    b=$(od -An -tu1 -j"$off" -N1 "$snap2" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 0xff)))" | dd of="$snap2" bs=1 seek="$off" conv=notrunc status=none
    note "flipped byte $off of node 2's learner.snap ($size bytes)"
    cp "$snap2" "$IT_DIR/snap2.bad"
    sum=$(md5sum <"$snap2")
    if it_start_node 2 2>"$IT_DIR/start2.err"; then
        fail compaction-corrupt-start-refused "node 2 started with a corrupt learner.snap"
    elif grep -q "learner exited with code 1 before it was ready: .*learner\.snap: refusing the snapshot: CRC mismatch" "$IT_DIR/start2.err"; then
        pass compaction-corrupt-start-refused
        note "$(head -n 1 "$IT_DIR/start2.err" | cut -c1-240)"
    else
        fail compaction-corrupt-start-refused "start-node's error: $(head -c 300 "$IT_DIR/start2.err")"
    fi
    [ "$(md5sum <"$snap2")" = "$sum" ] && pass compaction-corrupt-untouched ||
        fail compaction-corrupt-untouched "learner.snap was modified or removed"
    # A running node: the good file back, start, then the learner dies and
    # finds the corrupt file (stopped first, so it cannot write a new one).
    cp "$IT_DIR/snap2.good" "$snap2"
    it_start_node 2
    lpid=$(it_role_pid 2 learner)
    kill -STOP "$lpid"
    cp "$IT_DIR/snap2.bad" "$snap2"
    : >"$llog2"
    : >"$nlog2"
    kill -9 "$lpid"
    kill -CONT "$lpid" 2>/dev/null || true
    note "node 2 running, its learner killed with a corrupt learner.snap in place"
else
    fail compaction-corrupt-start-refused "node 2 has no learner.snap to corrupt"
fi
if [ -f "$snap2" ]; then
    if it_wait_log "$llog2" "learner\.snap: refusing the snapshot: CRC mismatch" 10; then
        pass compaction-corrupt-refused
        note "$(grep -m1 'refusing the snapshot' "$llog2")"
    else
        fail compaction-corrupt-refused "no 'learner.snap: refusing the snapshot: CRC mismatch' in node 2's learner log: $(tail -n 2 "$llog2")"
    fi
    # It keeps failing (the supervisor retries with backoff) and says so.
    deadline=$(($(now_ms) + 10000))
    until [ "$(grep -c 'learner exited with code 1' "$nlog2")" -ge 2 ] || [ "$(now_ms)" -ge "$deadline" ]; do
        sleep 0.1
    done
    if [ "$(grep -c 'learner exited with code 1' "$nlog2")" -ge 2 ]; then
        pass compaction-corrupt-supervisor-retries
        note "$(grep 'learner exited with code 1' "$nlog2" | tail -n 1)"
    else
        fail compaction-corrupt-supervisor-retries "node 2's node.log: $(grep learner "$nlog2" | tail -n 3 | tr '\n' ' ')"
    fi
fi
# Nodes 1 and 3 serve meanwhile (and keep trimming: a quorum of learners).
bench compaction-load-corrupt 500 1 3
curl_appends 3 900000 5 && pass compaction-corrupt-others-serve ||
    fail compaction-corrupt-others-serve "appends through node 3 failed with node 2's learner down"
# Its control socket never answers: the process never gets to serve.
down=1
for _ in 1 2 3 4 5; do
    code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://$(gw_of 2)/roles/learner" || true)
    [ "$code" = 503 ] || { down=0; break; }
    sleep 0.2
done
[ "$down" -eq 1 ] && pass compaction-corrupt-learner-down ||
    fail compaction-corrupt-learner-down "node 2's /roles/learner answered $code (want 503: not running)"
lead=$(it_leader)
mark2=$(field "$(role_json "${lead:-1}" proposer)" trim_mark)
rm -f "$snap2"
note "deleted node 2's learner.snap; trim mark is $mark2"
if wait_same 20 1 2; then
    pass compaction-corrupt-deleted-catches-up
else
    fail compaction-corrupt-deleted-catches-up "$SAME_WHY"
fi
# As in step 2: what it missed exists only in peers' snapshots.
first=$(sed -n 's/.*snapshot at slot \([0-9]*\) written.*/\1/p' "$llog2" | head -n 1)
if [ -n "$first" ] && [ "$mark2" -gt 0 ] && [ "$first" -ge "$mark2" ] && [ -f "$snap2" ]; then
    pass compaction-corrupt-new-snapshot
    note "node 2: $(grep -m1 'snapshot at slot' "$llog2")"
else
    fail compaction-corrupt-new-snapshot "first snapshot written after the deletion: '${first:-none}' (trim mark $mark2); learner.snap $( [ -f "$snap2" ] && echo present || echo missing)"
fi

# ---- 4. every node crashes and restarts -------------------------------------
step "4. whole-cluster crash and restart"
for ((i = 1; i <= IT_N; i++)); do it_kill_node "$i"; done
note "killed every node; restarting"
for ((i = 1; i <= IT_N; i++)); do
    lines_at[i]=$(wc -l <"$(node_dir "$i")/logs/learner.log")
    it_start_node "$i"
done
if ! it_wait_ready 30; then
    fail compaction-restart "not ready 30 s after the restart"
    exit 1
fi
restored=0
for ((i = 1; i <= IT_N; i++)); do
    tail -n +"$((lines_at[i] + 1))" "$(node_dir "$i")/logs/learner.log" |
        grep -q 'restored .*learner\.snap: every slot below [1-9]' && restored=$((restored + 1))
done
[ "$restored" -eq "$IT_N" ] && pass compaction-restart-restores-snapshots ||
    fail compaction-restart-restores-snapshots "$restored of $IT_N learners logged 'restored ... learner.snap'"
same=1
for ((i = 1; i <= IT_N; i++)); do
    it_list "$i" >"$IT_DIR/final.$i" || { same=0; note "GET /list on node $i: $HTTP_CODE"; }
done
for ((i = 2; i <= IT_N; i++)); do cmp -s "$IT_DIR/final.1" "$IT_DIR/final.$i" || same=0; done
[ "$same" -eq 1 ] && pass compaction-restart-lists-equal ||
    fail compaction-restart-lists-equal "lengths $(wc -l "$IT_DIR"/final.* | head -n "$IT_N" | awk '{print $1}' | tr '\n' ' ')"
missing=$(acked_missing "$IT_DIR/final.1")
n_acked=$(wc -l <"$ACKED")
[ -z "$missing" ] && [ "$n_acked" -gt 0 ] && pass compaction-restart-nothing-lost ||
    fail compaction-restart-nothing-lost "of $n_acked acknowledged appends: ${missing:-none recorded}"
len=$(wc -l <"$IT_DIR/final.1")
note "list of $len values after the restart, $n_acked acknowledged appends all at their index"
IT_CURL_TIMEOUT=5 it_append 1 999999
[ "$HTTP_CODE" = 200 ] && [ "$(jq -r .index <<<"$HTTP_BODY")" = "$len" ] && pass compaction-restart-appends-continue ||
    fail compaction-restart-appends-continue "append after the restart: $HTTP_CODE ${HTTP_BODY:0:100} (list had $len)"
note "total $(($(now_ms) - T0)) ms"
