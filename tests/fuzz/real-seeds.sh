#!/usr/bin/env bash
# Seeds from a real cluster: starts a 3-node cluster (the integration
# tests' helpers, own ports and temp dir) with snapshot_every = 16, makes
# about 40 appends, some with an Idempotency-Key so the dedup table has
# entries, stops it cleanly and copies node 1's acceptor.log and
# learner.snap and the cluster.cfg into tests/fuzz/corpus/*/seed-real-*.
# Peers speak mutual TLS: it_begin makes the certificates.  Needs bin/
# (make).  Run once; the files are committed (a format change: run again,
# and keep only the files whose format changed -- the config and snapshot
# otherwise differ only in ports and paths).
IT_SNAPSHOT_EVERY=16
source "$(dirname "$0")/../integration/lib.sh"
it_begin fuzz-real-seeds
it_start_cluster
for ((v = 1; v <= 40; v++)); do
    if ((v % 3 == 0)); then
        it_append $((v % 3 + 1)) "$v" -H "Idempotency-Key: seed-$v"
    else
        it_append $((v % 3 + 1)) "$v"
    fi
    [ "$HTTP_CODE" = 200 ] || fail append "value $v: HTTP $HTTP_CODE $HTTP_BODY"
done
for ((i = 1; i <= IT_N; i++)); do it_stop_node "$i"; done
OUT=$IT_ROOT/tests/fuzz/corpus
D=$(node_dir 1)
for f in "$D/acceptor.log" "$D/learner.snap"; do
    [ -s "$f" ] || fail copy "$f missing or empty"
done
cp "$D/acceptor.log" "$OUT/store/seed-real-acceptor.log"
cp "$D/learner.snap" "$OUT/snapshot/seed-real-learner.snap"
cp "$IT_CFG" "$OUT/config/seed-real-cluster.cfg"
ls -l "$OUT"/*/seed-real-*
pass fuzz-real-seeds
