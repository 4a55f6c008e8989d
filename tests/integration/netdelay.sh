#!/usr/bin/env bash
# netdelay.sh -- one-way latency between fake hosts without netem: two hosts
# (scripts/netns-hosts.sh) delayed by nh_delay through its NFQUEUE backend,
# one bin/paxos-netdelay per host holding every arriving packet 20 ms.
#
#   1. without delay, the round trip is well under a millisecond
#   2. 20 ms each way: 200 pings, none lost, none out of order, not one
#      faster than 40 ms, the mean within 40 + DELAY_TOLERANCE_MS (15) of
#      the baseline; a TCP echo (what the cluster speaks) 40 ms per round
#      trip, the bytes intact
#   3. a delayer holding 300 ms of pings (host 2 only) gets SIGTERM with
#      its rule still in place: it accepts every held packet at once, in
#      order (no ping lost, none overtaken, and its log counts them); nh_delay 0 while pings are in flight: the
#      delayers exit cleanly, no ping lost, the round trip is back down
#   4. a delayer killed -9 under its rule: --queue-bypass lets packets flow
#   5. the bound: a delayer holding at most 5 packets for 300 ms lets 5 of
#      a burst of 20 through and the kernel drops the 15 others
#
# Needs root, iproute2, iptables, ping (iputils-ping), perl and the kernel's
# nfnetlink_queue; everything goes on exit, and it ends itself after
# ND_DEADLINE_S (60) seconds.  Traffic stays inside the two namespaces.
source "$(dirname "$0")/lib.sh"
source "$IT_ROOT/scripts/netns-hosts.sh"

for t in ip iptables ping perl; do
    command -v "$t" >/dev/null || { echo "FAIL netdelay: '$t' is missing (scripts/install-deps.sh)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL netdelay: needs root (network namespaces)"; exit 1; }
[ -x "$BIN/paxos-netdelay" ] || { echo "FAIL netdelay: $BIN/paxos-netdelay missing (run make)"; exit 1; }
export NH_NETDELAY=$BIN/paxos-netdelay
# The delayer is what is under test, even where the kernel has netem.
export NH_DELAY_BACKEND=nfqueue
DELAY_MS=20
TOL_MS=${DELAY_TOLERANCE_MS:-15}

NH=""
it_begin netdelay
NH=pxnd-$IT_SLOT
PREFIX=10.77.$IT_SLOT
export NH_LOG_DIR=$IT_DIR
in_host() { local id=$1; shift; ip netns exec "$(nh_ns "$NH" "$id")" "$@"; }

nd_cleanup() {
    local rc=$?
    set +e
    [ -z "$NH" ] || nh_destroy "$NH" "$PREFIX"
    (exit "$rc")
    it_cleanup
}
trap nd_cleanup EXIT
trap 'echo "FAIL netdelay: deadline or signal"; exit 1' TERM INT
(for ((t = 0; t < ${ND_DEADLINE_S:-60} * 5; t++)); do sleep 0.2; done; kill -TERM $$) {IT_SLOT_FD}>&- >/dev/null 2>&1 &
IT_EXTRA_PIDS+=($!)

if ! nh_create "$NH" "$PREFIX" 1 2 2>"$IT_DIR/netns.err"; then
    fail netdelay "cannot build the hosts: $(head -n 3 "$IT_DIR/netns.err")"
    exit 1
fi
if ip route get "$PREFIX.1" >/dev/null 2>&1; then
    fail netdelay "the root namespace can route to $PREFIX.0/24"
    exit 1
fi

# pings COUNT INTERVAL: from host 1 to host 2, each reply timed when ping
# reads it (-U: the kernel stamps a packet on arrival, before a delayer
# holds it).  Sets SENT RECEIVED MIN_US AVG_US and IN_ORDER (1 if the
# replies came back in the order sent); output in $IT_DIR/ping.out.
pings() {
    in_host 1 ping -U -n -c "$1" -i "$2" -W 2 "$PREFIX.2" >"$IT_DIR/ping.out" 2>&1 || true # losses are counted below
    SENT="" RECEIVED="" MIN_US="" AVG_US="" # (no summary line when nothing came back)
    read -r SENT RECEIVED < <(sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) received.*/\1 \2/p' "$IT_DIR/ping.out") || true
    read -r MIN_US AVG_US < <(sed -nE 's|^rtt min/avg/max/mdev = ([0-9.]+)/([0-9.]+)/.*|\1 \2|p' "$IT_DIR/ping.out" |
        awk '{ printf "%d %d\n", $1 * 1000, $2 * 1000 }') || true
    SENT=${SENT:-0} RECEIVED=${RECEIVED:-0} MIN_US=${MIN_US:-0} AVG_US=${AVG_US:-0}
    IN_ORDER=$(in_order "$IT_DIR/ping.out")
}
# in_order PINGOUT: 1 if the replies came back in the order they were sent.
in_order() {
    sed -nE 's/.*icmp_seq=([0-9]+).*/\1/p' "$1" | awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { print bad ? 0 : 1 }'
}
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
delayers() { { nh_delayer_pids "$(nh_ns "$NH" 1)"; nh_delayer_pids "$(nh_ns "$NH" 2)"; } | wc -l; }

# ---- 1. the baseline --------------------------------------------------------
pings 50 0.01
BASE_US=$AVG_US
if [ "$RECEIVED" -ne 50 ] || [ "$BASE_US" -ge 2000 ]; then
    fail netdelay "baseline: $RECEIVED of 50 replies, mean $(ms "$BASE_US") ms: the hosts are not talking"
    exit 1
fi
pass "baseline: 50 pings, mean round trip $(ms "$BASE_US") ms"

# ---- 2. 20 ms each way -------------------------------------------------------
if ! nh_delay "$NH" "$DELAY_MS" 1 2 2>"$IT_DIR/delay.err"; then
    fail netdelay "nh_delay: $(head -n 3 "$IT_DIR/delay.err")"
    exit 1
fi
[ "$(delayers)" -eq 2 ] || fail netdelay "$(delayers) delayers run, not one per host"
pings 200 0.01
want_us=$((2 * DELAY_MS * 1000))
ok=1
[ "$SENT" -eq 200 ] && [ "$RECEIVED" -eq 200 ] ||
    { ok=0; fail netdelay "delayed: $RECEIVED of $SENT pings came back"; }
[ "$IN_ORDER" -eq 1 ] || { ok=0; fail netdelay "delayed: replies out of order: $(grep -c icmp_seq "$IT_DIR/ping.out") lines"; }
[ "$MIN_US" -ge "$want_us" ] ||
    { ok=0; fail netdelay "delayed: a round trip of $(ms "$MIN_US") ms, under 2 x $DELAY_MS ms"; }
[ $((AVG_US - BASE_US)) -ge "$want_us" ] && [ $((AVG_US - BASE_US)) -le $((want_us + TOL_MS * 1000)) ] ||
    { ok=0; fail netdelay "delayed: mean round trip $(ms "$AVG_US") ms, baseline $(ms "$BASE_US"): not 40 (+$TOL_MS) ms more"; }
[ "$ok" -eq 1 ] && pass "20 ms each way: 200 of 200 pings, in order, min $(ms "$MIN_US") ms, mean $(ms "$AVG_US") ms"

# TCP: 20 echoed lines, one at a time; the client prints each round trip
# in microseconds and "intact" if every byte came back.
in_host 2 perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => 7999, Listen => 1, ReuseAddr => 1) or die "listen: $!";
    my $c = $s->accept or die; while (my $l = <$c>) { print $c $l; $c->flush; }' "$PREFIX.2" 2>"$IT_DIR/echo.err" &
IT_EXTRA_PIDS+=($!)
sleep 0.5
in_host 1 perl -MIO::Socket::INET -MTime::HiRes=time -e '
    my $c = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => 7999, Timeout => 5) or die "connect: $!";
    $c->autoflush(1); my $intact = 1;
    for my $i (1 .. 20) { my $line = "line $i " . ("x" x $i) . "\n"; my $t = time; print $c $line;
        my $back = <$c>; printf "%d\n", (time - $t) * 1e6; $intact = 0 unless defined $back && $back eq $line; }
    print $intact ? "intact\n" : "garbled\n";' "$PREFIX.2" >"$IT_DIR/tcp.out" 2>&1 || true
tcp_n=$(grep -cE '^[0-9]+$' "$IT_DIR/tcp.out" || true)
read -r tcp_min tcp_avg < <(grep -E '^[0-9]+$' "$IT_DIR/tcp.out" |
    awk 'NR == 1 || $1 < m { m = $1 } { s += $1 } END { printf "%d %d\n", m, NR ? s / NR : 0 }') || true
if [ "$tcp_n" -eq 20 ] && grep -qx intact "$IT_DIR/tcp.out" && [ "$tcp_min" -ge "$want_us" ] &&
    [ "$tcp_avg" -le $((want_us + TOL_MS * 1000)) ]; then
    pass "TCP echo: 20 round trips, min $(ms "$tcp_min") ms, mean $(ms "$tcp_avg") ms, every byte back"
else
    fail netdelay "TCP echo: $tcp_n round trips, min $(ms "${tcp_min:-0}") mean $(ms "${tcp_avg:-0}") ms: $(tail -n 2 "$IT_DIR/tcp.out" | tr '\n' ' ')"
fi

# ---- 3. the delay taken off under load ----------------------------------------
# Host 2's delayer at 300 ms: with a ping every 10 ms it holds 20 to 30
# when SIGTERM comes; the rule stays, so what comes later bypasses it.
nh_delay "$NH" 0 1 2>>"$IT_DIR/delay.err" || fail netdelay "nh_delay 0: $(tail -n 2 "$IT_DIR/delay.err")"
nh_delay "$NH" 300 2 2>>"$IT_DIR/delay.err" || fail netdelay "nh_delay 300: $(tail -n 2 "$IT_DIR/delay.err")"
in_host 1 ping -U -n -c 100 -i 0.01 -W 2 "$PREFIX.2" >"$IT_DIR/ping-term.out" 2>&1 &
ping_pid=$!
sleep 0.5
# shellcheck disable=SC2046
kill -TERM $(nh_delayer_pids "$(nh_ns "$NH" 2)") || fail netdelay "no delayer to stop in host 2"
wait "$ping_pid" || true # (exits 1 on a loss: counted below)
sleep 0.2
got=$(sed -nE 's/^[0-9]+ packets transmitted, ([0-9]+) received.*/\1/p' "$IT_DIR/ping-term.out")
early=$(sed -nE 's/.* ([0-9]+) released early at exit.*/\1/p' "$IT_DIR/netdelay-$(nh_ns "$NH" 2).log" | tail -n 1)
if [ "${got:-0}" -eq 100 ] && [ "${early:-0}" -ge 10 ] && [ "$(in_order "$IT_DIR/ping-term.out")" -eq 1 ]; then
    pass "SIGTERM with 300 ms of pings held: ${early} released at once, 100 of 100 pings came back, in order"
else
    fail netdelay "SIGTERM with pings held: ${got:-0} of 100 came back (in order: $(in_order "$IT_DIR/ping-term.out")), the delayer released ${early:-?} early"
fi

# Both hosts at 20 ms again, then nh_delay 0 under load: the rule out
# first, then SIGTERM.
nh_delay "$NH" "$DELAY_MS" 1 2 2>>"$IT_DIR/delay.err" || fail netdelay "nh_delay: $(tail -n 2 "$IT_DIR/delay.err")"
cat "$IT_DIR"/netdelay-*.log >"$IT_DIR/exits.before"
# Pings every 10 ms while nh_delay 0 deletes the rules and then stops the
# delayers (they exit with a count of what they did): none may be lost.
in_host 1 ping -U -n -c 100 -i 0.01 -W 2 "$PREFIX.2" >"$IT_DIR/ping-undelay.out" 2>&1 &
ping_pid=$!
sleep 0.5
nh_delay "$NH" 0 1 2 2>>"$IT_DIR/delay.err" || fail netdelay "nh_delay 0: $(tail -n 2 "$IT_DIR/delay.err")"
wait "$ping_pid" || true # (exits 1 on a loss: counted below)
got=$(sed -nE 's/^[0-9]+ packets transmitted, ([0-9]+) received.*/\1/p' "$IT_DIR/ping-undelay.out")
clean_exits() { cat "$@" | grep -c 'packets delayed.* 0 dropped' || true; }
exits=$(($(clean_exits "$IT_DIR"/netdelay-*.log) - $(clean_exits "$IT_DIR/exits.before")))
ok=1
[ "${got:-0}" -eq 100 ] || { ok=0; fail netdelay "taken off mid-flight: ${got:-0} of 100 pings came back"; }
[ "$(delayers)" -eq 0 ] || { ok=0; fail netdelay "$(delayers) delayers still run after nh_delay 0"; }
[ "$exits" -eq 2 ] || { ok=0; fail netdelay "$exits of 2 delayers logged a clean exit: $(cat "$IT_DIR"/netdelay-*.log)"; }
pings 50 0.01
[ "$RECEIVED" -eq 50 ] && [ "$AVG_US" -lt 5000 ] ||
    { ok=0; fail netdelay "after nh_delay 0: $RECEIVED of 50, mean $(ms "$AVG_US") ms"; }
[ "$ok" -eq 1 ] && pass "taken off under load: 100 of 100 pings, clean exits, round trip back to $(ms "$AVG_US") ms"

# ---- 4. a delayer that dies ------------------------------------------------------
nh_delay "$NH" "$DELAY_MS" 1 2 2>>"$IT_DIR/delay.err" || fail netdelay "nh_delay again: $(tail -n 2 "$IT_DIR/delay.err")"
for id in 1 2; do
    # shellcheck disable=SC2046
    kill -9 $(nh_delayer_pids "$(nh_ns "$NH" "$id")") || fail netdelay "no delayer to kill in host $id"
done
sleep 0.3
rules=$(in_host 1 iptables -w -t mangle -S PREROUTING | grep -c NFQUEUE || true)
pings 50 0.01
if [ "$rules" -eq 1 ] && [ "$RECEIVED" -eq 50 ] && [ "$AVG_US" -lt 5000 ]; then
    pass "delayers killed -9 under their rules: 50 of 50 pings pass undelayed (--queue-bypass)"
else
    fail netdelay "delayers killed -9: $rules NFQUEUE rules, $RECEIVED of 50 pings, mean $(ms "$AVG_US") ms"
fi
nh_delay "$NH" 0 1 2 2>>"$IT_DIR/delay.err" || fail netdelay "nh_delay 0: $(tail -n 2 "$IT_DIR/delay.err")"

# ---- 5. the bound --------------------------------------------------------------------
# Host 2 alone, at most 5 held for 300 ms; 20 pings within 100 ms.
in_host 2 "$NH_NETDELAY" --delay-ms 300 --limit 5 2>"$IT_DIR/bound.log" &
IT_EXTRA_PIDS+=($!)
for ((t = 0; t < 50; t++)); do nh_nfq_bound "$(nh_ns "$NH" 2)" && break; sleep 0.1; done
in_host 2 iptables -w -t mangle -A PREROUTING -i eth0 -j NFQUEUE --queue-num 0 --queue-bypass
pings 20 0.005
# queue_dropped, the 6th column of the namespace's nfnetlink_queue line
# shellcheck disable=SC2016
kdrops=$(in_host 2 awk '$1 == 0 { print $6 }' /proc/net/netfilter/nfnetlink_queue)
if [ "$RECEIVED" -eq 5 ] && [ "${kdrops:-0}" -eq 15 ] && [ "$MIN_US" -ge 300000 ]; then
    pass "bounded: 5 held, 5 of 20 pings through after $(ms "$MIN_US") ms, 15 dropped by the kernel's queue"
else
    fail netdelay "bound 5: $RECEIVED of 20 pings through (min $(ms "$MIN_US") ms), the kernel dropped ${kdrops:-?}"
fi
[ "$IT_FAILED" -eq 0 ] && note "done"
