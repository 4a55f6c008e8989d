# netns-hosts.sh -- fake hosts for tests: one network namespace per host,
# joined by a bridge that lives in a "switch" namespace of its own (sourced,
# not run; needs root and iproute2).
#
#   nh_create NAME PREFIX ID...   namespaces NAME-sw (the bridge) and NAME-hID
#                                 for each ID, host ID at PREFIX.ID/24 on its
#                                 own veth to the bridge, lo up
#   nh_ns NAME ID                 the namespace of host ID
#   nh_delay NAME MS ID...        one-way latency: MS ms on the packets of the
#                                 given hosts (see below); MS 0 takes it off
#   nh_delay_backend              netem or nfqueue: what nh_delay uses here
#   nh_destroy NAME PREFIX        stops the delayers, kills every process in
#                                 NAME-*, deletes the namespaces (their veths,
#                                 bridge and iptables rules go with them) and
#                                 the root route
#
# Nothing of it is in the root namespace, and nothing is routed out of it:
# a host's only route is its /24.  Before any address of PREFIX.0/24 exists,
# the root namespace gets an `unreachable` route for it, so that a packet
# for the subnet sent there by mistake fails at once instead of following
# the default route off this machine.  Traffic is only ever sent from
# inside the namespaces (ip netns exec).
#
# PREFIX is three octets ("10.77.7"); callers take it from a slot they hold
# a lock on, so tests running side by side never share a subnet.
#
# The delay has two backends, picked once per shell (NH_DELAY_BACKEND=netem
# or nfqueue forces one):
#   netem    where the kernel has sch_netem: `tc qdisc netem` on the host's
#            eth0 delays every packet the host sends.
#   nfqueue  otherwise (Firecracker kernels have no netem, and no fq for
#            TCP_TX_DELAY): an iptables rule in the host's mangle PREROUTING
#            hands every packet arriving on eth0 to NFQUEUE queue 0, and
#            bin/paxos-netdelay (tools/netdelay/), one per host, accepts each
#            MS ms later, in order.  On arrival, not on departure: a packet
#            held in the sender is still charged to its TCP socket, and TCP
#            small queues then stall the socket's next writes until it
#            leaves -- a 64-message burst took 106 ms over a 40 ms round trip
#            instead of 52.  The receiver has uncharged it before PREROUTING.
#            --queue-bypass: packets flow undelayed while no delayer runs.
#            The kernel stamps a packet's receive time before the hold:
#            `ping` shows the delay of the replies only with -U.
# With every host of the subnet delayed, as jepsen/run and the tests do,
# each packet is delayed exactly once either way: MS ms one way, 2*MS a
# round trip.  NH_LOG_DIR, if set, gets each delayer's log
# (netdelay-NAMESPACE.log); NH_NETDELAY names the binary (default
# bin/paxos-netdelay of this tree).

NH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NH_NETDELAY=${NH_NETDELAY:-$NH_ROOT/bin/paxos-netdelay}

nh_ns() { echo "$1-h$2"; }

# nh_have_netem: the kernel has the netem qdisc (sch_netem).
nh_have_netem() {
    local ns=nh-probe-$$ ok=1
    ip netns add "$ns" 2>/dev/null || return 1
    ip -n "$ns" link add nhp0 type veth peer name nhp1 2>/dev/null &&
        ip netns exec "$ns" tc qdisc add dev nhp0 root netem delay 1ms 2>/dev/null && ok=0
    ip netns del "$ns" 2>/dev/null
    return $ok
}

nh_create() {
    local name=$1 prefix=$2 id sw=$1-sw ns
    shift 2
    nh_destroy "$name" "$prefix" # leftovers of a run that was killed -9
    ip route replace unreachable "$prefix.0/24" || { echo "nh_create: cannot add the unreachable route for $prefix.0/24" >&2; return 1; }
    ip netns add "$sw" || return 1
    ip -n "$sw" link add br0 type bridge || return 1
    ip -n "$sw" link set br0 up || return 1
    for id in "$@"; do
        ns=$(nh_ns "$name" "$id")
        ip netns add "$ns" || return 1
        ip -n "$ns" link set lo up || return 1
        # the host's end is eth0 in its namespace; the switch's is pID on the bridge
        ip -n "$sw" link add "p$id" type veth peer name eth0 netns "$ns" || return 1
        ip -n "$sw" link set "p$id" master br0 up || return 1
        ip -n "$ns" addr add "$prefix.$id/24" dev eth0 || return 1
        ip -n "$ns" link set eth0 up || return 1
    done
}

# nh_delay_backend: netem where the kernel has it, else nfqueue.
nh_delay_backend() {
    case ${NH_DELAY_BACKEND:-} in
        netem | nfqueue) echo "$NH_DELAY_BACKEND" ;;
        "") if nh_have_netem; then NH_DELAY_BACKEND=netem; else NH_DELAY_BACKEND=nfqueue; fi
            echo "$NH_DELAY_BACKEND" ;;
        *) echo "nh_delay: NH_DELAY_BACKEND is netem or nfqueue, not '$NH_DELAY_BACKEND'" >&2; return 1 ;;
    esac
}

# nh_delayer_pids NS: the paxos-netdelay processes of a namespace.
nh_delayer_pids() {
    local pid
    for pid in $(ip netns pids "$1" 2>/dev/null); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = paxos-netdelay ] && echo "$pid"
    done
    return 0
}

# nh_nfq_undelay NS: the rule out first (nothing new is queued), then each
# delayer gets SIGTERM and accepts what it holds; KILL after 2 s.
nh_nfq_undelay() {
    local ns=$1 pids t
    while ip netns exec "$ns" iptables -w -t mangle -D PREROUTING -i eth0 \
        -j NFQUEUE --queue-num 0 --queue-bypass 2>/dev/null; do :; done
    pids=$(nh_delayer_pids "$ns")
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null
    for ((t = 0; t < 20; t++)); do
        [ -z "$(nh_delayer_pids "$ns")" ] && return 0
        sleep 0.1
    done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    return 0
}

# nh_nfq_bound NS: some process listens on queue 0 of the namespace (the
# proc file is the namespace's own).
nh_nfq_bound() {
    # shellcheck disable=SC2016
    ip netns exec "$1" awk '$1 == 0 { found = 1 } END { exit !found }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null
}

# nh_nfqueue_delay NS MS: a delayer bound to queue 0, then the rule -- in that
# order, so that no packet is queued before anyone holds it.
nh_nfqueue_delay() {
    local ns=$1 ms=$2 log=/dev/null pid t
    nh_nfq_undelay "$ns"
    [ "$ms" -gt 0 ] || return 0
    [ -x "$NH_NETDELAY" ] || { echo "nh_delay: $NH_NETDELAY is missing (make)" >&2; return 1; }
    [ -z "${NH_LOG_DIR:-}" ] || log=$NH_LOG_DIR/netdelay-$ns.log
    ip netns exec "$ns" "$NH_NETDELAY" --delay-ms "$ms" --queue 0 </dev/null >>"$log" 2>&1 &
    pid=$!
    disown "$pid" # a `wait` of the caller must not wait for it
    for ((t = 0; t < 50; t++)); do
        nh_nfq_bound "$ns" && break
        kill -0 "$pid" 2>/dev/null || { echo "nh_delay: paxos-netdelay in $ns exited (log: $log)" >&2; return 1; }
        sleep 0.1
    done
    nh_nfq_bound "$ns" || { echo "nh_delay: paxos-netdelay in $ns did not bind its queue in 5 s" >&2; return 1; }
    ip netns exec "$ns" iptables -w -t mangle -A PREROUTING -i eth0 -j NFQUEUE --queue-num 0 --queue-bypass ||
        { echo "nh_delay: iptables refused the NFQUEUE rule in $ns" >&2; return 1; }
}

nh_netem_delay() {
    local ns=$1 ms=$2
    if [ "$ms" -eq 0 ]; then
        ip netns exec "$ns" tc qdisc del dev eth0 root 2>/dev/null
        return 0
    fi
    ip netns exec "$ns" tc qdisc replace dev eth0 root netem delay "${ms}ms" limit 100000
}

nh_delay() {
    local name=$1 ms=$2 id backend
    shift 2
    if ! [[ $ms =~ ^[0-9]+$ ]] || [ "$ms" -gt 60000 ]; then
        echo "nh_delay: MS is 0..60000, not '$ms'" >&2
        return 1
    fi
    backend=$(nh_delay_backend) || return 1
    NH_DELAY_BACKEND=$backend # probed once: the probe makes a namespace
    for id in "$@"; do
        "nh_${backend}_delay" "$(nh_ns "$name" "$id")" "$ms" || return 1
    done
}

nh_destroy() {
    local name=$1 prefix=$2 ns pids
    for ns in $(ip netns list 2>/dev/null | awk -v p="$name-" 'index($1, p) == 1 { print $1 }'); do
        [ -z "$(nh_delayer_pids "$ns")" ] || nh_nfq_undelay "$ns"
        pids=$(ip netns pids "$ns" 2>/dev/null)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    ip route del unreachable "$prefix.0/24" 2>/dev/null
    return 0
}
