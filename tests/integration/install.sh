#!/usr/bin/env bash
# make install DESTDIR=...: the tree has the programs, the scripts, the
# docs, the example configs and the systemd unit; a cluster runs from the
# installed tree alone (its scripts find the installed binaries from where
# they are, make the certificates, start, report and stop every node; the
# running processes are the installed ones); the unit passes
# `systemd-analyze verify` without a word, and its ExecStart line, run as
# systemd would, keeps a node in the foreground and stops it cleanly on
# SIGTERM.
source "$(dirname "$0")/lib.sh"
it_begin install

stage=$IT_DIR/stage
prefix=/usr/local
if ! make -s -C "$IT_ROOT" install DESTDIR="$stage" PREFIX="$prefix" >"$IT_DIR/install.log" 2>&1; then
    fail install "make install failed: $(tail -n 5 "$IT_DIR/install.log")"
    exit 1
fi
root=$stage$prefix
missing=""
for f in bin/paxos-node bin/paxos-acceptor bin/paxos-proposer bin/paxos-learner bin/paxos-gateway \
    bin/paxosctl libexec/paxos-c/start-cluster.sh libexec/paxos-c/start-node.sh \
    libexec/paxos-c/stop-cluster.sh libexec/paxos-c/status.sh libexec/paxos-c/make-certs.sh \
    libexec/paxos-c/lib.sh share/doc/paxos-c/README.md share/doc/paxos-c/DEPLOY.md \
    share/doc/paxos-c/OPERATIONS.md share/doc/paxos-c/cluster-page.png \
    share/doc/paxos-c/examples/cluster.cfg share/doc/paxos-c/examples/cluster-3-hosts.cfg \
    lib/systemd/system/paxos-node@.service; do
    [ -e "$root/$f" ] || missing+=" $f"
done
for f in bin/paxos-node libexec/paxos-c/start-cluster.sh; do [ -x "$root/$f" ] || missing+=" $f(not executable)"; done
[ -z "$missing" ] && pass install-tree || fail install-tree "missing:$missing"
# the staged tree does not name the stage: it is meant to be moved to PREFIX
grep -rq "$stage" "$root/libexec" "$root/lib" && fail install-no-destdir "DESTDIR leaked into the installed files" ||
    pass install-no-destdir
"$root/bin/paxos-node" --config "$root/share/doc/paxos-c/examples/cluster-3-hosts.cfg" --list-nodes \
    >/dev/null 2>"$IT_DIR/example.err" && pass install-example-config ||
    fail install-example-config "$(cat "$IT_DIR/example.err")"

# --- a cluster from the installed tree only: no PAXOS_BIN, the repository's
# bin/ out of PATH, certificates made by the installed make-certs.sh
rm -rf "$IT_DIR/certs"
run() { env -u PAXOS_BIN -u PAXOS_CONFIG PATH=/usr/bin:/bin "$@" {IT_SLOT_FD}>&-; }
if run "$root/libexec/paxos-c/start-cluster.sh" --config "$IT_CFG" >"$IT_DIR/start.log" 2>&1; then
    pass install-start-cluster
else
    fail install-start-cluster "$(tail -n 5 "$IT_DIR/start.log")"
fi
[ -f "$IT_DIR/certs/ca.crt" ] && pass install-make-certs || fail install-make-certs "no CA made"
exes=""
for r in node acceptor proposer learner gateway; do
    exes+="$(readlink "/proc/$(it_role_pid 1 "$r")/exe" 2>/dev/null || true) "
done
[ "$(tr ' ' '\n' <<<"$exes" | grep -c "^$root/bin/paxos-")" = 5 ] && pass install-runs-installed ||
    fail install-runs-installed "node 1 runs: $exes"
it_append 2 77
[ "$HTTP_CODE" = 200 ] && [ "$(it_list 3 | tail -n 1)" = 77 ] && pass install-append ||
    fail install-append "$HTTP_CODE $HTTP_BODY"
st=$(run "$root/libexec/paxos-c/status.sh" --config "$IT_CFG" 2>&1)
[ "$(grep -c 'gateway pid [0-9]* up' <<<"$st")" = 3 ] && pass install-status || fail install-status "$st"
run "$root/libexec/paxos-c/stop-cluster.sh" --config "$IT_CFG" >"$IT_DIR/stop.log" 2>&1
alive=0
for i in 1 2 3; do kill -0 "$(it_role_pid "$i" node)" 2>/dev/null && alive=1; done
[ "$alive" = 0 ] && pass install-stop-cluster || fail install-stop-cluster "$(tail -n 3 "$IT_DIR/stop.log")"

# --- the systemd unit
unit=$root/lib/systemd/system/paxos-node@.service
exec_line=$(sed -n 's/^ExecStart=//p' "$unit")
[ "$exec_line" = "$prefix/bin/paxos-node --config /etc/paxos-c/cluster.cfg --node %i" ] &&
    grep -q '^Restart=on-failure$' "$unit" && grep -q '^Type=simple$' "$unit" &&
    pass install-unit-content || fail install-unit-content "ExecStart=$exec_line"
if command -v systemd-analyze >/dev/null; then
    # verify needs ExecStart to exist: the same unit with the stage's paths
    mkdir -p "$IT_DIR/units"
    sed "s|$prefix/|$root/|g" "$unit" >"$IT_DIR/units/paxos-node@.service"
    out=$(cd "$IT_DIR/units" && systemd-analyze verify ./paxos-node@1.service 2>&1) && [ -z "$out" ] &&
        pass install-unit-verify || fail install-unit-verify "$out"
else
    note "systemd-analyze not installed: the unit is not verified"
fi
# ExecStart as systemd runs it (foreground), for every node; SIGTERM (what
# KillMode=mixed sends the main process) stops each with status 0
pids=()
for i in 1 2 3; do
    cmd=${exec_line//%i/$i}
    cmd=${cmd/\/etc\/paxos-c\/cluster.cfg/$IT_CFG}
    cmd=${cmd/$prefix\//$root/}
    # a simple command, so $! is paxos-node itself (env execs it)
    env -u PAXOS_BIN -u PAXOS_CONFIG PATH=/usr/bin:/bin $cmd >"$IT_DIR/fg$i.log" 2>&1 {IT_SLOT_FD}>&- &
    pids+=($!)
    IT_EXTRA_PIDS+=($!)
done
if it_wait_ready 20; then
    it_append 1 78
    [ "$HTTP_CODE" = 200 ] && pass install-unit-foreground || fail install-unit-foreground "append: $HTTP_CODE"
else
    fail install-unit-foreground "not ready: $(tail -n 3 "$IT_DIR/fg1.log")"
fi
codes=""
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do
    timeout 20 tail --pid="$p" -f /dev/null
    wait "$p"
    codes+="$? "
done
[ "$codes" = "0 0 0 " ] && pass install-unit-sigterm || fail install-unit-sigterm "exit statuses: $codes"
