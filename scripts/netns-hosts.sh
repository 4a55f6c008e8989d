# netns-hosts.sh -- fake hosts for tests: one network namespace per host,
# joined by a bridge that lives in a "switch" namespace of its own (sourced,
# not run; needs root and iproute2).
#
#   nh_create NAME PREFIX ID...   namespaces NAME-sw (the bridge) and NAME-hID
#                                 for each ID, host ID at PREFIX.ID/24 on its
#                                 own veth to the bridge, lo up
#   nh_ns NAME ID                 the namespace of host ID
#   nh_delay NAME MS ID...        one-way latency: MS ms on every packet each
#                                 given host sends (tc netem on its veth)
#   nh_destroy NAME PREFIX        kills every process in NAME-*, deletes the
#                                 namespaces (their veths, bridge and iptables
#                                 rules go with them) and the root route
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

nh_delay() {
    local name=$1 ms=$2 id
    shift 2
    for id in "$@"; do
        ip netns exec "$(nh_ns "$name" "$id")" tc qdisc replace dev eth0 root netem delay "${ms}ms" limit 100000 ||
            return 1
    done
}

nh_destroy() {
    local name=$1 prefix=$2 ns pids
    for ns in $(ip netns list 2>/dev/null | awk -v p="$name-" 'index($1, p) == 1 { print $1 }'); do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    ip route del unreachable "$prefix.0/24" 2>/dev/null
    return 0
}
