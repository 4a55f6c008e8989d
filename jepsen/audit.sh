#!/usr/bin/env bash
# jepsen/audit.sh RUN NAMESPACES NODES -- the audit step of jepsen/run: stops
# the cluster (its files must stand still to be read as one state), writes
# the lists every node answered in the final reads to RUN/final-lists.txt,
# runs bin/paxos-audit on RUN/data, adds its verdict to RUN/results.edn as
# :audit and its explanation to RUN/check.txt, and prints a summary.
#
# Exit status: paxos-audit's (0 valid, 1 violations, 2 could not audit).
set -uo pipefail

RUN=${1:?run directory}
NS=${2:?network namespaces, comma-separated}
NODES=${3:?node count}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# Every process in the run's namespaces (one, or one per host).
ns_pids() {
    local ns
    for ns in ${NS//,/ }; do ip netns pids "$ns" 2>/dev/null; done
}

# Every supervisor gets SIGTERM and stops its roles (SIGKILL after 5 s);
# whatever is left in the namespaces after 15 s is killed.  Paused nodes
# were resumed by the final heal, but SIGCONT costs nothing.
stop_cluster() {
    local pids t
    pids=$(ns_pids)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -CONT $pids 2>/dev/null
    cat "$RUN"/data/node*/pids/node.pid 2>/dev/null | xargs -r kill -TERM 2>/dev/null
    for ((t = 0; t < 150; t++)); do
        [ -z "$(ns_pids)" ] && return 0
        sleep 0.1
    done
    ns_pids | xargs -r kill -KILL 2>/dev/null
    sleep 0.2
}

# Final read k (0, 1, ...) went to node k mod NODES + 1 (paxos-jepsen-client
# numbers them 1000000 + k).  One line per answered read: NODE v1 v2 ...
final_lists() {
    grep -F ':final? true' "$RUN/history.edn" | grep -F ':type :ok' |
        sed -E 's/.*:process ([0-9]+).*:value \[([^]]*)\].*/\1 \2/' |
        awk -v n="$NODES" '{ $1 = ($1 - 1000000) % n + 1; print }'
}

stop_cluster
final_lists >"$RUN/final-lists.txt"
"$ROOT/bin/paxos-audit" --edn --out "$RUN/audit.edn" --config "$RUN/cluster.cfg" \
    --final-lists "$RUN/final-lists.txt" >"$RUN/audit.txt" 2>&1
rc=$?

# results.edn is paxos-check's map: the audit goes in as :audit.
results=$(cat "$RUN/results.edn" 2>/dev/null)
[ -n "$results" ] || results="{}"
results=${results%\}*}
audit=$(cat "$RUN/audit.edn" 2>/dev/null) || audit='{:valid? :unknown :error "no verdict"}'
printf '%s\n :audit %s}\n' "${results%$'\n'}" "$audit" >"$RUN/results.edn"
{
    echo
    echo "The audit of the cluster's files (bin/paxos-audit, see jepsen/README.md):"
    cat "$RUN/audit.txt"
} >>"$RUN/check.txt"
head -n 12 "$RUN/audit.txt" | cut -c1-400
exit $rc
