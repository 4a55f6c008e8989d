#!/usr/bin/env bash
# run-netns.sh test [--netns 3] [jepsen options...]
#
# Single-machine mode: creates a private network namespace, runs the Jepsen
# test INSIDE it (`ip netns exec NS lein run test --netns 3 ...`), and
# removes the namespace afterwards.  The JVM has to run inside: node N lives
# at 127.0.0.N on the namespace's own lo, unreachable from anywhere else.
# Needs root (or sudo), ip, iptables and sudo (jepsen.control/su runs
# commands through sudo, even as root).  Build first: `make` at the top.
#
#   JEPSEN_CMD   how to start the test (default: "lein run"); it gets the
#                arguments given here plus --netns-name NS
#
# Exit status: the test's (0 = valid).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"
for t in ip iptables sudo; do
    command -v "$t" >/dev/null || { echo "run-netns.sh: '$t' is missing (apt-get install iproute2 iptables sudo)" >&2; exit 2; }
done
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(test)
case " ${args[*]} " in *" --netns "*) ;; *) args+=(--netns 3) ;; esac

NS=paxos-jepsen-$$
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if ip netns list 2>/dev/null | grep -qw "$NS"; then
        # Whatever is still running in our namespace (nodes, if the test
        # was interrupted): resumed, asked, then forced; by pid.
        ip netns pids "$NS" 2>/dev/null | xargs -r kill -CONT 2>/dev/null || true
        ip netns pids "$NS" 2>/dev/null | xargs -r kill -TERM 2>/dev/null || true
        sleep 1
        ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
        ip netns del "$NS" 2>/dev/null || true
    fi
    exit $rc
}
trap cleanup EXIT
trap 'echo "run-netns.sh: interrupted" >&2; exit 130' INT TERM

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
echo "run-netns.sh: namespace $NS" >&2
cd "$HERE"
# shellcheck disable=SC2086
ip netns exec "$NS" ${JEPSEN_CMD:-lein run} "${args[@]}" --netns-name "$NS"
