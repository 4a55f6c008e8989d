#!/usr/bin/env bash
# soak.sh -- a long run under crashes: do memory and disk stay flat, and is
# every acknowledged append still there at the end?
#
#   bench/soak.sh [--appends N] [--kill-every K] [--concurrency C] [--out DIR]
#                 [--keep] [--bin DIR] [--timeout S] [--interval S]
#                 [--port-base P] [--seed S] [--slack-pct P] [--slack-mb M] [--stall S]
#   bench/soak.sh --self-test        the flatness verdict on synthetic data
#   bench/soak.sh --judge DIR        verdict and plots again for a finished run
#
# Starts a private 3-node cluster (fsync on, the default cluster.cfg's
# settings) on 127.0.0.21-23, gateways on P+1..P+3, acceptors P+11..,
# proposers P+21.., learners P+31.. (P = 7400 by default: clear of the
# default cluster's 5001-6203 and the integration tests' 20000-29999), data
# in a temp dir.  paxos-bench then makes N appends (default 1,000,000) in
# index mode, C closed-loop clients (default 64) spread over the three
# gateways, recording every acknowledged (value, index).  About every K
# acknowledged appends (default 100,000) a random role process (acceptor,
# proposer, learner or gateway of a random node) is killed with SIGKILL;
# its supervisor restarts it.  Every --interval seconds (default 2) a
# monitor samples each process's RSS, each node's disk use (the whole node
# directory; separately the acceptor log, learner.snap and logs/), each
# node's list length and applied slot, and the appends/s since the last
# sample, into OUT/samples.tsv.
#
# At the end: every node's final list (GET /list, read through the log)
# must be identical, free of duplicates and complete (every acknowledged
# value at the index it was acknowledged with); then the flatness verdict
# (see judge below and docs/PERFORMANCE.md, "Soak") and the plots
# (bench/soak.gp: OUT/rss.png, disk.png, throughput.png).
#
# The last line is "soak: PASS ..." or "soak: FAIL ...".  Exit 0: PASS;
# 1: a list check failed or the run did not finish; 2: usage or setup;
# 3: the lists are right but some line is NOT FLAT.
#
# Builds nothing: run make first.  Other helpers may rebuild bin/ during a
# long run: copy it and point --bin (or PAXOS_BIN) at the copy.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PAXOS_BIN:-$ROOT/bin}
APPENDS=1000000
KILL_EVERY=100000
CONC=64
OUT=""
KEEP=0
TIMEOUT=""
INTERVAL=2
PORT_BASE=7400
SEED=""
SLACK_PCT=20
STALL=120
SLACK_MB=""
MODE=run
JUDGE_DIR=""
ROLES=(node acceptor proposer learner gateway)
KILLABLE=(acceptor proposer learner gateway)

usage() {
    sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
die() { echo "soak: $*" >&2; exit 2; }
log() { echo "[soak $(date -u +%H:%M:%S)] $*"; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
# ms_since T0: sets MS to the milliseconds since T0 (no fork: the monitor and
# the kill loop run beside a saturated cluster, where every fork is slow).
ms_since() { MS=$((${EPOCHREALTIME/./} / 1000 - $1)); }
secs_of() { printf -v "$1" '%d.%d' $(($2 / 1000)) $(($2 % 1000 / 100)); }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
is_num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
        --self-test) MODE=self-test; shift; continue ;;
        --keep) KEEP=1; shift; continue ;;
        -h | --help) usage ;;
        esac
        [ $# -ge 2 ] || usage
        case $1 in
        --appends) APPENDS=$2 ;;
        --kill-every) KILL_EVERY=$2 ;;
        --concurrency) CONC=$2 ;;
        --out) OUT=$2 ;;
        --bin) BIN=$2 ;;
        --timeout) TIMEOUT=$2 ;;
        --interval) INTERVAL=$2 ;;
        --port-base) PORT_BASE=$2 ;;
        --seed) SEED=$2 ;;
        --slack-pct) SLACK_PCT=$2 ;;
        --slack-mb) SLACK_MB=$2 ;;
        --stall) STALL=$2 ;;
        --judge) MODE=judge; JUDGE_DIR=$2 ;;
        *) usage ;;
        esac
        shift 2
    done
    is_uint "$APPENDS" && [ "$APPENDS" -gt 0 ] || die "--appends wants a positive integer"
    is_uint "$KILL_EVERY" || die "--kill-every wants an integer (0: no kills)"
    is_uint "$CONC" && [ "$CONC" -ge 1 ] || die "--concurrency wants a positive integer"
    is_uint "$PORT_BASE" && [ "$PORT_BASE" -ge 1024 ] && [ "$PORT_BASE" -le 65400 ] ||
        die "--port-base wants 1024..65400"
    is_num "$INTERVAL" || die "--interval wants seconds"
    is_uint "$STALL" && [ "$STALL" -ge 10 ] || die "--stall wants seconds (at least 10)"
    is_num "$SLACK_PCT" && is_num "${SLACK_MB:-0}" || die "--slack-pct and --slack-mb want numbers"
    # 45 minutes for a million appends, scaled down, never under 5 minutes.
    if [ -z "$TIMEOUT" ]; then
        TIMEOUT=$(((2700 * APPENDS + 999999) / 1000000))
        [ "$TIMEOUT" -ge 300 ] || TIMEOUT=300
    fi
    is_uint "$TIMEOUT" && [ "$TIMEOUT" -ge 30 ] || die "--timeout wants seconds (at least 30)"
    [ -n "$SEED" ] || SEED=$((RANDOM * 32768 + RANDOM))
    is_uint "$SEED" || die "--seed wants an integer"
}

# ---- the flatness verdict -----------------------------------------------------

# default_slack: 8 MB unless --slack-mb says.  Not scaled down for short
# runs: a leader change moves a megabyte or two from one proposer to another,
# which a short run would call growth.  Short runs therefore only catch gross
# growth; the "B/append" column shows the rate (last third's mean minus the
# middle third's, per append), which a million appends turns into megabytes.
default_slack() {
    [ -n "$SLACK_MB" ] || SLACK_MB=8
}
#
# judge TSV: for every process line (RSS) and every node's disk line, the
# maximum over the last third of the run (by time) must not exceed the
# maximum over the middle third by more than max(SLACK_PCT %, SLACK_MB MB);
# the first third is warm-up.  A learner or gateway holds the list, so 16
# bytes per element (the cluster's list length at that sample) are taken
# off its RSS first; a node's disk is counted without its learner.snap (and
# learner.snap.tmp, a snapshot being written), which hold the list too.
# Prints one line per judged line and a summary line "flatness: FLAT ..."
# or "flatness: NOT FLAT: names"; returns 1 if some line is not flat or
# there are too few samples to judge.
judge() {
    awk -F'\t' -v pct="$SLACK_PCT" -v mb="$SLACK_MB" '
    function isnan(x) { return x == "" || x == "NaN" }
    function role_of(name) { sub(/^n[0-9]+_/, "", name); return name }
    NR == 1 {
        for (i = 1; i <= NF; i++) {
            col[$i] = i
            if ($i ~ /^n[0-9]+_(node|acceptor|proposer|learner|gateway)$/) rss[++nrss] = $i
            if ($i ~ /^n[0-9]+_disk$/) disk[++ndisk] = $i
        }
        if (!("t" in col) || !("list_len" in col) || !("acked" in col)) {
            print "judge: not a soak samples file (no t, acked or list_len column)"; bad = 1; exit
        }
        next
    }
    {
        n++; T[n] = $col["t"] + 0; A[n] = $col["acked"]
        len = isnan($col["list_len"]) ? 0 : $col["list_len"] + 0
        for (k = 1; k <= nrss; k++) {
            v = $col[rss[k]]
            if (isnan(v)) { V[rss[k], n] = "NaN"; continue }
            r = role_of(rss[k])
            share = (r == "learner" || r == "gateway") ? 16 * len : 0
            V[rss[k], n] = v * 1024 - share          # kB -> bytes, minus the list
        }
        for (k = 1; k <= ndisk; k++) {
            d = disk[k]; s = d; sub(/_disk$/, "_snap", s)
            v = $col[d]; sv = (s in col) ? $col[s] : 0
            if (isnan(v)) { V[d, n] = "NaN"; continue }
            V[d, n] = v - (isnan(sv) ? 0 : sv)
        }
    }
    # line NAME KIND: compare the thirds of one line; sets notflat on growth.
    function line(name, kind,    i, mid, last, nm, nl, am, al, sm, sl, lim, grow, per) {
        mid = last = -1e18; nm = nl = am = al = sm = sl = 0
        for (i = 1; i <= n; i++) {
            if (V[name, i] == "NaN") continue
            if (T[i] >= t1 && T[i] < t2) { nm++; if (V[name, i] > mid) mid = V[name, i]; sm += V[name, i]; am += A[i] }
            else if (T[i] >= t2) { nl++; if (V[name, i] > last) last = V[name, i]; sl += V[name, i]; al += A[i] }
        }
        if (nm < 2 || nl < 2) {
            printf "UNJUDGED  %-14s %-4s too few samples (middle %d, last %d)\n", name, kind, nm, nl
            notflat = notflat " " name "(" kind ")"; return
        }
        lim = pct / 100 * (mid > 0 ? mid : 0)
        if (lim < mb * 1048576) lim = mb * 1048576
        grow = last - mid
        per = (al / nl - am / nm) > 0 ? (sl / nl - sm / nm) / (al / nl - am / nm) : 0
        printf "%-9s %-14s %-4s middle max %8.1f MB, last max %8.1f MB, %+7.1f MB (limit +%.1f), %+.1f B/append\n", \
            (grow > lim ? "NOT FLAT" : "flat"), name, kind, mid / 1048576, last / 1048576, \
            grow / 1048576, lim / 1048576, per
        if (grow > lim) notflat = notflat " " name "(" kind ")"
    }
    END {
        if (bad) exit 1
        if (n < 6) { print "flatness: UNJUDGED: only " n " samples"; exit 1 }
        t2 = T[1] + 2 * (T[n] - T[1]) / 3; t1 = T[1] + (T[n] - T[1]) / 3
        for (k = 1; k <= nrss; k++) line(rss[k], "rss")
        for (k = 1; k <= ndisk; k++) line(disk[k], "disk")
        if (notflat == "") { printf "flatness: FLAT (%d processes, %d disks)\n", nrss, ndisk; exit 0 }
        print "flatness: NOT FLAT:" notflat; exit 1
    }' "$1"
}

# A synthetic samples file: 3 nodes, 90 samples 2 s apart, 4000 appends/s.
# Everything flat except what GROW names: "acceptor" (n2's acceptor RSS
# grows 100 B per append), "learner" (n1's learner grows 72 B per element,
# far more than the 16 allowed), "disk" (n3's disk grows 50 B per append,
# outside learner.snap).  Learners and gateways grow 12 B per element and
# snapshots 8 B per element in every variant: both allowed.
synthetic_tsv() {
    awk -v grow="$1" 'BEGIN {
        OFS = "\t"; srand(7)
        split("node acceptor proposer learner gateway", R, " ")
        h = "t\tacked\tthr\terrors\tlist_len"
        for (n = 1; n <= 3; n++) h = h "\tn" n "_list\tn" n "_applied"
        for (n = 1; n <= 3; n++) for (r = 1; r <= 5; r++) h = h "\tn" n "_" R[r]
        for (n = 1; n <= 3; n++) h = h "\tn" n "_disk\tn" n "_acclog\tn" n "_snap\tn" n "_logs"
        print h
        for (i = 0; i < 90; i++) {
            t = 2 * i; a = 8000 * i
            line = t OFS a OFS 4000 OFS 0 OFS a
            for (n = 1; n <= 3; n++) line = line OFS a OFS int(a / 6)
            for (n = 1; n <= 3; n++) for (r = 1; r <= 5; r++) {
                kb = 20000 + int(rand() * 2000)                 # 20 MB, 10% noise
                if (R[r] == "learner" || R[r] == "gateway") kb += int(a * 12 / 1024)
                if (grow == "acceptor" && n == 2 && R[r] == "acceptor") kb += int(a * 100 / 1024)
                if (grow == "learner" && n == 1 && R[r] == "learner") kb += int(a * 60 / 1024)
                if (i % 29 == 5) kb = "NaN"                       # a process being restarted
                line = line OFS kb
            }
            for (n = 1; n <= 3; n++) {
                snap = 8 * a
                acc = 3000000 + (a % 200000) * 20                # a rewritten log: sawtooth
                if (grow == "disk" && n == 3) acc += 50 * a
                line = line OFS (acc + snap + 40000) OFS acc OFS snap OFS 40000
            }
            print line
        }
    }'
}

self_test() {
    local d rc=0 out case want
    SLACK_PCT=20 SLACK_MB=8     # what the synthetic data is made for
    d=$(mktemp -d /tmp/pxsoak-selftest.XXXXXX)
    for case in flat acceptor learner disk; do
        synthetic_tsv "$case" >"$d/$case.tsv"
        if out=$(judge "$d/$case.tsv"); then got=PASS; else got=FAIL; fi
        case $case in
        flat) want=PASS; name="" ;;
        acceptor) want=FAIL; name="n2_acceptor(rss)" ;;
        learner) want=FAIL; name="n1_learner(rss)" ;;
        disk) want=FAIL; name="n3_disk(disk)" ;;
        esac
        summary=$(tail -n 1 <<<"$out")
        if [ "$got" != "$want" ]; then
            echo "self-test FAIL: $case: verdict $got, expected $want"; rc=1
        elif [ -n "$name" ] && [ "$summary" != "flatness: NOT FLAT: $name" ]; then
            echo "self-test FAIL: $case: expected exactly $name to be flagged, got: $summary"; rc=1
        else
            echo "self-test ok: $case -> $summary"
        fi
    done
    # Too short to judge is a failure, not a pass.
    head -n 5 "$d/flat.tsv" >"$d/short.tsv"
    if judge "$d/short.tsv" >/dev/null; then echo "self-test FAIL: 4 samples judged"; rc=1
    else echo "self-test ok: 4 samples -> unjudged"; fi
    rm -rf "$d"
    [ "$rc" -eq 0 ] && echo "soak self-test: PASS" || echo "soak self-test: FAIL"
    return "$rc"
}

plot() {
    gnuplot -e "dir='$1'" "$ROOT/bench/soak.gp" 2>"$1/gnuplot.err" ||
        { echo "soak: gnuplot failed:" >&2; cat "$1/gnuplot.err" >&2; return 1; }
}

# ---- the cluster ----------------------------------------------------------------

TMP=""
CFG=""
LOCK_FD=""
BENCH_PID=""
MON_PID=""
FAILED=0

host_of() { echo "127.0.0.$((20 + $1))"; }
gw_of() { echo "$(host_of "$1"):$((PORT_BASE + $1))"; }
GW=()   # GW[i] = gw_of i, for the monitor, which avoids forks
node_dir() { echo "$TMP/data/node$1"; }
role_pid() { cat "$(node_dir "$1")/pids/$2.pid" 2>/dev/null || true; }

cleanup() {
    local rc=$? p i
    set +e
    [ -n "$MON_PID" ] && kill "$MON_PID" 2>/dev/null && wait "$MON_PID" 2>/dev/null
    [ -n "$BENCH_PID" ] && kill -9 "$BENCH_PID" 2>/dev/null && wait "$BENCH_PID" 2>/dev/null
    if [ -n "$CFG" ]; then
        PAXOS_BIN=$BIN "$ROOT/scripts/stop-cluster.sh" --config "$CFG" >/dev/null 2>&1
        for i in 1 2 3; do   # a supervisor that did not stop in 10 s, and its children
            for p in $(cat "$(node_dir "$i")"/pids/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        done
    fi
    if [ -n "$TMP" ]; then
        if [ "$KEEP" -eq 1 ] || [ "$FAILED" -ne 0 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; }; then
            echo "soak: kept $TMP (config, data, node logs, acknowledged values, final lists)"
        else
            rm -rf "$TMP"
        fi
    fi
    exit "$rc"
}

need_tools() {
    local b
    for b in paxos-node paxos-acceptor paxos-proposer paxos-learner paxos-gateway paxos-bench; do
        [ -x "$BIN/$b" ] || die "$BIN/$b missing: run make first (or give --bin DIR)"
    done
    grep -q -- '--acked' <<<"$("$BIN/paxos-bench" --help 2>&1 || true)" ||
        die "$BIN/paxos-bench has no --total/--acked: rebuild it (make)"
    for b in gnuplot jq curl flock ss; do
        command -v "$b" >/dev/null || die "$b is needed (scripts/install-deps.sh)"
    done
}

# One soak per port base at a time, and none of its ports in use.
reserve_ports() {
    local i p
    exec {LOCK_FD}>"/tmp/paxos-soak-$PORT_BASE.lock"
    flock -n "$LOCK_FD" || die "another soak uses ports $PORT_BASE+ (lock /tmp/paxos-soak-$PORT_BASE.lock)"
    for i in 1 2 3; do
        for p in $((PORT_BASE + i)) $((PORT_BASE + 10 + i)) $((PORT_BASE + 20 + i)) $((PORT_BASE + 30 + i)); do
            ! ss -Htln "sport = :$p" 2>/dev/null | grep -q . || die "port $p is in use (try --port-base)"
        done
    done
}

# The default cluster.cfg's settings (batching, pipeline, snapshots if it
# has them), with fsync forced on, our own addresses, ports and data dir.
write_config() {
    local i sep
    CFG=$TMP/soak.cfg
    {
        sed -n '/^nodes *=/q;p' "$ROOT/cluster.cfg" |
            sed -e 's/^cluster_id.*/cluster_id = 77;/' -e "s|^data_dir.*|data_dir = \"$TMP/data\";|" \
                -e 's/^fsync.*/fsync = true;/'
        echo "nodes = ("
        for i in 1 2 3; do
            sep=","; [ "$i" -eq 3 ] && sep=""
            echo "  { id = $i; host = \"$(host_of "$i")\"; gateway_port = $((PORT_BASE + i));" \
                "acceptor_port = $((PORT_BASE + 10 + i)); proposer_port = $((PORT_BASE + 20 + i));" \
                "learner_port = $((PORT_BASE + 30 + i)); }$sep"
        done
        echo ");"
    } >"$CFG"
    grep -q '^fsync = true;' "$CFG" || die "could not force fsync on in $CFG"
    drop_unknown_settings
    cp "$CFG" "$OUT/cluster.cfg"
    if "$BIN/paxos-node" --config "$CFG" --tls-paths >/dev/null 2>&1; then
        PAXOS_BIN=$BIN "$ROOT/scripts/make-certs.sh" --config "$CFG" >"$OUT/make-certs.log" 2>&1 ||
            die "make-certs.sh failed: $(tail -n 3 "$OUT/make-certs.log")"
    fi
}

# Binaries older than cluster.cfg (a --bin snapshot taken before a setting
# was added) refuse settings they do not know: leave those out, and say so.
drop_unknown_settings() {
    local err key tries
    for ((tries = 0; tries < 10; tries++)); do
        err=$("$BIN/paxos-node" --config "$CFG" --list-nodes 2>&1 >/dev/null) && return 0
        key=$(sed -n "s/.*setting '\([a-z_]*\)': unknown setting.*/\1/p" <<<"$err" | head -n 1)
        [ -n "$key" ] || die "$BIN/paxos-node refuses $CFG: $err"
        log "note: $BIN does not know the setting $key: left out of the config"
        sed -i "/^$key *=/d" "$CFG"
    done
    die "$BIN/paxos-node refuses $CFG: $err"
}

# Ready: some gateway names a leader and every gateway answers GET /list.
wait_ready() {
    local deadline=$(($(now_ms) + $1 * 1000)) i ok st
    while [ "$(now_ms)" -lt "$deadline" ]; do
        st=$(curl -s -m 1 "http://$(gw_of 1)/status" "http://$(gw_of 2)/status" \
            "http://$(gw_of 3)/status" 2>/dev/null || true)
        if grep -Eq '"leader": *[1-9]' <<<"$st"; then
            ok=1
            for i in 1 2 3; do
                [ "$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://$(gw_of "$i")/list")" = 200 ] ||
                    { ok=0; break; }
            done
            [ "$ok" -eq 1 ] && return 0
        fi
        sleep 0.2
    done
    return 1
}

start_cluster() {
    local i
    for i in 1 2 3; do
        PAXOS_BIN=$BIN "$ROOT/scripts/start-node.sh" "$i" --config "$CFG" >/dev/null {LOCK_FD}>&- ||
            { echo "soak: node $i did not start; see $(node_dir "$i")/logs" >&2; exit 1; }
    done
    wait_ready 30 || { echo "soak: cluster not ready in 30 s; logs in $TMP/data/node*/logs" >&2; exit 1; }
    log "cluster ready: gateways $(gw_of 1) $(gw_of 2) $(gw_of 3); data $TMP/data"
}

# ---- the monitor ----------------------------------------------------------------

# The bench's last "progress t=.. acked=N errors=E" line: sets ACK and ERR
# (left as they were if the last line is something else).
ACK=0 ERR=0
bench_progress() {
    local l
    l=$(tail -n 1 "$OUT/bench.err" 2>/dev/null || true)
    [[ $l =~ ^progress\ t=[0-9.]+\ acked=([0-9]+)\ errors=([0-9]+)$ ]] || return 0
    ACK=${BASH_REMATCH[1]} ERR=${BASH_REMATCH[2]}
}

# rss_of NODE ROLE: sets RSS to the kB of that process, NaN if it is not
# running.  The pid must still be that role's binary (a pid file can
# outlive its process).  Builtins only.
rss_of() {
    local pid="" comm="" k v _
    RSS=NaN
    { read -r pid <"$TMP/data/node$1/pids/$2.pid" || [ -n "$pid" ]; } 2>/dev/null || return 0
    { read -r comm <"/proc/$pid/comm" || [ -n "$comm" ]; } 2>/dev/null || return 0
    [ "$comm" = "paxos-$2" ] || return 0
    while read -r k v _; do
        [ "$k" = VmRSS: ] && { RSS=$v; return 0; }
    done 2>/dev/null <"/proc/$pid/status"
}

# fetch_status: every gateway's /status at once (one curl, in parallel)
# into $TMP/status.N; a gateway that does not answer (killed, restarting)
# leaves an empty file.
fetch_status() {
    rm -f "$TMP"/status.[123]
    curl -s -m 1 --parallel --parallel-immediate \
        -o "$TMP/status.1" "http://${GW[1]}/status" -o "$TMP/status.2" "http://${GW[2]}/status" \
        -o "$TMP/status.3" "http://${GW[3]}/status" 2>/dev/null || true
}

# status_of NODE: sets LEN and APPLIED from what fetch_status got (NaN if
# nothing).
status_of() {
    local st=""
    LEN=NaN APPLIED=NaN
    [ -f "$TMP/status.$1" ] && st=$(<"$TMP/status.$1")
    [[ $st =~ \"gateway_list_len\":\ *([0-9]+) ]] && LEN=${BASH_REMATCH[1]}
    [[ $st =~ \"applied_upto\":\ *([0-9]+) ]] && APPLIED=${BASH_REMATCH[1]}
    return 0
}

sample_header() {
    local h="t	acked	thr	errors	list_len" i r
    for i in 1 2 3; do h+="	n${i}_list	n${i}_applied"; done
    for i in 1 2 3; do for r in "${ROLES[@]}"; do h+="	n${i}_$r"; done; done
    for i in 1 2 3; do h+="	n${i}_disk	n${i}_acclog	n${i}_snap	n${i}_logs"; done
    echo "$h"
}

# One row: time since the bench started, bench progress, list lengths,
# RSS of all 15 processes, disk of the 3 nodes.
sample_row() {
    local t=$1 acked=$2 thr=$3 errors=$4 i r maxlen=0 row lists="" d f sz name
    local -A size=()
    fetch_status
    for i in 1 2 3; do
        status_of "$i"
        lists+="	$LEN	$APPLIED"
        [ "$LEN" != NaN ] && [ "$LEN" -gt "$maxlen" ] && maxlen=$LEN
    done
    [ "$acked" -le "$maxlen" ] || maxlen=$acked
    row="$t	$acked	$thr	$errors	$maxlen$lists"
    for i in 1 2 3; do for r in "${ROLES[@]}"; do rss_of "$i" "$r"; row+="	$RSS"; done; done
    # Two forks for all the sizes: du of each node directory (everything in
    # it, logs included), stat of the files broken out.
    while read -r sz name; do size[$name]=$sz; done < <(
        du -sb "$TMP"/data/node[123] 2>/dev/null
        stat -c '%s %n' "$TMP"/data/node[123]/{acceptor.log,learner.snap,learner.snap.tmp} \
            "$TMP"/data/node[123]/logs/*.log 2>/dev/null)
    for i in 1 2 3; do
        d=$TMP/data/node$i
        sz=0
        for f in "$d"/logs/*.log; do sz=$((sz + ${size[$f]:-0})); done
        # a snapshot being written (learner.snap.tmp) counts as snapshot
        row+="	${size[$d]:-NaN}	${size[$d/acceptor.log]:-0}"
        row+="	$((${size[$d/learner.snap]:-0} + ${size[$d/learner.snap.tmp]:-0}))	$sz"
    done
    echo "$row"
}

# Samples every INTERVAL s (from one start to the next) until TERM.
monitor() {
    local t0=$1 prev_ms=0 prev_a=0 t thr p step next=0
    set +e
    trap - EXIT
    trap 'exit 0' TERM
    step=$(awk -v s="$INTERVAL" 'BEGIN { printf "%d", s * 1000 }')
    sample_header >"$OUT/samples.tsv"
    while :; do
        ms_since "$t0"
        bench_progress
        thr=0
        [ "$MS" -gt "$prev_ms" ] && thr=$(((ACK - prev_a) * 1000 / (MS - prev_ms)))
        secs_of t "$MS"
        sample_row "$t" "$ACK" "$thr" "$ERR" >>"$OUT/samples.tsv"
        prev_ms=$MS prev_a=$ACK
        next=$((next + step))
        ms_since "$t0"
        [ "$next" -gt "$MS" ] || next=$((MS + 100))     # behind: do not burst
        secs_of p $((next - MS))
        sleep "$p" & wait $!
    done
}

# ---- the nemesis ----------------------------------------------------------------

# kill_one T ACKED: SIGKILL a random role of a random node and wait (30 s at
# most) for its supervisor to start a new one.
kill_one() {
    local node=$((RANDOM % 3 + 1)) role=${KILLABLE[$((RANDOM % 4))]} pid new t0 waited
    pid=$(role_pid "$node" "$role")
    if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "paxos-$role" ]; then
        log "kill: n$node $role is not running (restarting?): skipped"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$node" "$role" - skipped >>"$OUT/kills.tsv"
        return
    fi
    kill -9 "$pid"
    t0=$(now_ms)
    while :; do
        new=$(role_pid "$node" "$role")
        [ -n "$new" ] && [ "$new" != "$pid" ] && kill -0 "$new" 2>/dev/null && break
        [ $(($(now_ms) - t0)) -lt 30000 ] || { new=none; break; }
        sleep 0.05
    done
    waited=$(($(now_ms) - t0))
    log "kill -9 n$node $role (pid $pid) at $2 acked; restarted as $new after $waited ms"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$node" "$role" "$pid" "$new:${waited}ms" >>"$OUT/kills.tsv"
}

# ---- the final check ----------------------------------------------------------

# Until all three nodes report the same applied slot and list length, at
# least the acknowledged count (restarted learners and gateways catch up).
wait_converged() {
    local deadline=$(($(now_ms) + $1 * 1000)) i st seen
    while [ "$(now_ms)" -lt "$deadline" ]; do
        seen=""
        for i in 1 2 3; do
            st=$(curl -s -m 2 "http://$(gw_of "$i")/status" 2>/dev/null || true)
            seen+="$(jq -r '"\(.applied_upto) \(.gateway_list_len)"' <<<"$st" 2>/dev/null || echo x)|"
        done
        IFS='|' read -r a b c _ <<<"$seen"
        if [ "$a" = "$b" ] && [ "$b" = "$c" ] && [ "${a#* }" != null ] && [ -n "${a#* }" ] &&
            [ "${a#* }" -ge "$ACKED" ] 2>/dev/null; then
            log "converged: applied slot ${a% *}, list length ${a#* } on every node"
            return 0
        fi
        sleep 0.5
    done
    log "not converged after $1 s: $seen"
    show_status
    return 1
}

fail() { echo "soak: check failed: $*"; FAILED=1; }

# SIGTERM: the bench lets its ops in flight finish (10 s at most) and
# writes out every acknowledged append; SIGKILL if it does not.
stop_bench() {
    local t
    kill -TERM "$BENCH_PID" 2>/dev/null || return 0
    for ((t = 0; t < 150; t++)); do kill -0 "$BENCH_PID" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$BENCH_PID" 2>/dev/null || true
}

# What every gateway says: for a stalled or unconverged run.
show_status() {
    local i st
    for i in 1 2 3; do
        st=$(curl -s -m 2 "http://$(gw_of "$i")/status" 2>/dev/null || true)
        log "  n$i: $(jq -c '{leader, chosen_upto, applied_upto, gateway_list_len, pids: (.roles | map_values(.pid))}' <<<"$st" 2>/dev/null || echo "no answer")"
    done
}

# Every node's list through the log; equal, no duplicates, complete.
check_lists() {
    local i code n1 n dups bad
    for i in 1 2 3; do
        code=$(curl -s -m 300 -o "$TMP/list$i.json" -w '%{http_code}' "http://$(gw_of "$i")/list" ||
            true)
        [ "$code" = 200 ] || { fail "GET /list on node $i answered $code"; continue; }
        jq -r '.list[]' "$TMP/list$i.json" >"$TMP/list$i" || { fail "node $i: bad list JSON"; continue; }
        rm -f "$TMP/list$i.json"
    done
    [ "$FAILED" -eq 0 ] || return 0
    n1=$(wc -l <"$TMP/list1")
    for i in 2 3; do
        if ! cmp -s "$TMP/list1" "$TMP/list$i"; then
            n=$(wc -l <"$TMP/list$i")
            fail "node $i's list differs from node 1's (lengths $n1 and $n): $(cmp "$TMP/list1" "$TMP/list$i" 2>&1 | head -n 1)"
        fi
    done
    dups=$(sort -n "$TMP/list1" | uniq -d | head -n 5 | tr '\n' ' ')
    [ -z "$dups" ] || fail "values twice in the list: $dups..."
    n=$ACKED
    [ "$BENCH_ACKED" -eq "$n" ] || fail "the bench counted $BENCH_ACKED acknowledged appends but recorded $n"
    [ "$n" -eq "$APPENDS" ] || fail "$n appends acknowledged, $APPENDS wanted"
    [ "$n1" -ge "$n" ] || fail "the list has $n1 elements, fewer than the $n acknowledged"
    # list[index] == value for every acknowledged (value, index).
    bad=$(awk 'NR == FNR { v[FNR - 1] = $1; next }
        !($2 in v) { miss++; if (!ex) ex = $0 " (index past the end)"; next }
        v[$2] != $1 { wrong++; if (!ex) ex = $0 " (list has " v[$2] ")"; next }
        END { if (miss + wrong) print miss + 0 " missing, " wrong + 0 " at a wrong index, e.g. value index " ex }' \
        "$TMP/list1" "$TMP/acked")
    [ -z "$bad" ] || fail "acknowledged appends not in the list: $bad"
    EXTRA=$((n1 - n))
    LIST_LEN=$n1
}

# ---- main -----------------------------------------------------------------------

judge_and_plot() {
    local dir=$1 rc=0
    judge "$dir/samples.tsv" >"$dir/verdict.txt" || rc=1
    cat "$dir/verdict.txt"
    plot "$dir" && log "plots: $dir/rss.png $dir/disk.png $dir/throughput.png"
    return "$rc"
}

run() {
    need_tools
    [ -n "$OUT" ] || OUT=$ROOT/build/soak/$(date -u +%Y%m%dT%H%M%SZ)
    mkdir -p "$OUT"
    OUT=$(cd "$OUT" && pwd)
    # a reused out dir: nothing of an earlier run may be read as this one's
    rm -f "$OUT"/{samples.tsv,kills.tsv,bench.json,bench.err,verdict.txt,summary.txt,gnuplot.err} \
        "$OUT"/{rss,disk,throughput}.png
    : >"$OUT/bench.err"
    reserve_ports
    local i
    for i in 1 2 3; do GW[i]=$(gw_of "$i"); done
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    TMP=$(mktemp -d /tmp/pxsoak.XXXXXX)   # short: ipc socket paths live under it
    RANDOM=$SEED
    default_slack
    local deadline=$((SECONDS + TIMEOUT))
    log "$APPENDS appends, kill -9 every ~$KILL_EVERY, $CONC clients, sample every ${INTERVAL}s, timeout ${TIMEOUT}s, seed $SEED, binaries $BIN"
    log "flat: last third's max <= middle third's max + max($SLACK_PCT %, $SLACK_MB MB)"
    log "out $OUT; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    write_config
    start_cluster
    printf 't\tacked\tnode\trole\tpid\trestart\n' >"$OUT/kills.tsv"

    local t0 remaining
    t0=$(now_ms)
    remaining=$((deadline - SECONDS - 60))   # at least a minute for the final checks
    [ "$remaining" -gt 10 ] || die "--timeout too short"
    "$BIN/paxos-bench" --targets "$(gw_of 1),$(gw_of 2),$(gw_of 3)" --concurrency "$CONC" \
        --list-mode index --total "$APPENDS" --warmup 0 --duration "$remaining" --progress 0.2 \
        --acked "$TMP/acked" --timeout-ms 10000 --json >"$OUT/bench.json" 2>"$OUT/bench.err" \
        {LOCK_FD}>&- &
    BENCH_PID=$!
    monitor "$t0" {LOCK_FD}>&- &
    MON_PID=$!

    local next_kill=$KILL_EVERY t last_log=$SECONDS last_ack=0 last_move=$SECONDS
    while kill -0 "$BENCH_PID" 2>/dev/null; do
        bench_progress
        [ "$ACK" -eq "$last_ack" ] || { last_ack=$ACK; last_move=$SECONDS; }
        if [ $((SECONDS - last_move)) -ge "$STALL" ]; then
            fail "stalled: no append acknowledged for ${STALL}s, at $ACK of $APPENDS; the gateways say:"
            show_status
            stop_bench
            break
        fi
        ms_since "$t0"; secs_of t "$MS"
        if [ "$KILL_EVERY" -gt 0 ] && [ "$ACK" -ge "$next_kill" ] && [ "$ACK" -lt "$APPENDS" ]; then
            kill_one "$t" "$ACK"
            next_kill=$((next_kill + KILL_EVERY))
        fi
        if [ $((SECONDS - last_log)) -ge 30 ]; then
            log "progress: $ACK of $APPENDS acknowledged after ${t}s"; last_log=$SECONDS
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "timeout: $ACK of $APPENDS acknowledged after ${TIMEOUT}s"
            stop_bench
            break
        fi
        sleep 0.1
    done
    local brc=0
    wait "$BENCH_PID" || brc=$?
    BENCH_PID=""
    sleep "$INTERVAL"                         # one more sample after the last append
    kill "$MON_PID" 2>/dev/null; wait "$MON_PID" 2>/dev/null || true
    MON_PID=""
    bench_progress; BENCH_ACKED=$ACK   # its last progress line is printed at its end
    ACKED=$(wc -l <"$TMP/acked")
    [ "$brc" -eq 0 ] || fail "paxos-bench exited $brc: $(grep -v '^progress' "$OUT/bench.err" | tail -n 2 | tr '\n' ' ')"
    local secs thr
    ms_since "$t0"; secs=$((MS / 1000))
    thr=$(jq -r '.throughput' "$OUT/bench.json" 2>/dev/null || echo '?')
    log "bench done: $ACKED acknowledged, $(jq -r '.errors' "$OUT/bench.json" 2>/dev/null || echo '?') errors, $thr appends/s, p99 $(jq -r '.p99_ms' "$OUT/bench.json" 2>/dev/null || echo '?') ms"

    EXTRA=0 LIST_LEN=0
    # A learner killed late catches up from its peers: give it what is left.
    local conv=$((deadline - SECONDS - 30))
    [ "$FAILED" -eq 0 ] || [ "$conv" -le 60 ] || conv=60   # already failed: just look
    [ "$conv" -ge 30 ] || conv=30
    if wait_converged "$conv"; then check_lists; else fail "nodes did not converge in $conv s"; fi
    local lists_ok="lists equal, complete, no duplicates ($LIST_LEN elements, $ACKED acknowledged, $EXTRA unacknowledged also applied)"
    [ "$FAILED" -eq 0 ] || lists_ok="list checks FAILED (see above)"
    log "$lists_ok"
    local flat=0
    judge_and_plot "$OUT" || flat=1
    local kills
    kills=$(awk -F'\t' 'NR > 1 && $5 != "-"' "$OUT/kills.tsv" | wc -l)
    {
        echo "appends $APPENDS acked $ACKED seconds $secs throughput $thr kills $kills seed $SEED"
        echo "$lists_ok"
        tail -n 1 "$OUT/verdict.txt"
    } >"$OUT/summary.txt"
    if [ "$FAILED" -ne 0 ]; then
        echo "soak: FAIL ($lists_ok; $(tail -n 1 "$OUT/verdict.txt"); out $OUT)"
        exit 1
    fi
    if [ "$flat" -ne 0 ]; then
        echo "soak: FAIL (lists ok; $(tail -n 1 "$OUT/verdict.txt"); out $OUT)"
        exit 3
    fi
    echo "soak: PASS ($ACKED appends in ${secs}s, $kills kills, lists ok, flat; out $OUT)"
}

parse_args "$@"
case $MODE in
self-test) self_test ;;
judge) [ -f "$JUDGE_DIR/samples.tsv" ] || die "$JUDGE_DIR/samples.tsv not found"
    default_slack
    judge_and_plot "$JUDGE_DIR" ;;
run) run ;;
esac
