#!/usr/bin/env bash
# make-certs.sh [--config FILE] [--node N]... [--force] [--days D]
#
# Makes the certificates peers use to authenticate each other (mutual TLS,
# see docs/SECURITY.md), at the paths cluster.cfg names (tls_ca, and each
# node's tls_cert / tls_key):
#
#   - a cluster CA (EC P-256): its certificate at tls_ca, its key beside it
#     as <tls_ca without .crt>.key (mode 600).  Keep that key off the nodes
#     in production: it can sign new members.
#   - for each node: a key (mode 600) and a certificate signed by the CA,
#     whose subjectAltName names the node's host (IP and DNS forms), so a
#     dialer can check it reached the node it meant to.
#
# An existing CA is reused (so new or renewed node certificates join the same
# cluster); existing node files are kept unless --force.  --node limits the
# work to the given nodes.  PAXOS_BIN overrides bin/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
FORCE=0
DAYS=825
ONLY=()

usage() {
    echo "usage: $0 [--config FILE] [--node N]... [--force] [--days D]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --config) [ $# -ge 2 ] || usage; CONFIG=$2; shift 2 ;;
    --node) [ $# -ge 2 ] || usage; ONLY+=("$2"); shift 2 ;;
    --force) FORCE=1; shift ;;
    --days) [ $# -ge 2 ] || usage; DAYS=$2; shift 2 ;;
    *) usage ;;
    esac
done
command -v openssl >/dev/null || { echo "$0: openssl is needed (apt-get install openssl)" >&2; exit 1; }
[ -x "$BIN/paxos-node" ] || { echo "$0: $BIN/paxos-node not found: run make first" >&2; exit 1; }
[ -f "$CONFIG" ] || { echo "$0: config $CONFIG not found" >&2; exit 1; }

paths=$("$BIN/paxos-node" --config "$CONFIG" --tls-paths)
ca_crt=$(awk '$1 == "ca" { print $2 }' <<<"$paths")
ca_key=${ca_crt%.crt}.key
[ "$ca_key" != "$ca_crt" ] || ca_key=$ca_crt.key
umask 077

wanted() {
    local n
    [ ${#ONLY[@]} -eq 0 ] && return 0
    for n in "${ONLY[@]}"; do [ "$n" = "$1" ] && return 0; done
    return 1
}

if [ -f "$ca_crt" ]; then
    if [ ! -f "$ca_key" ]; then
        echo "$0: $ca_crt exists but its key $ca_key does not: cannot sign node certificates" >&2
        exit 1
    fi
else
    mkdir -p "$(dirname "$ca_crt")" "$(dirname "$ca_key")"
    openssl ecparam -name prime256v1 -genkey -noout -out "$ca_key" 2>/dev/null
    openssl req -x509 -new -key "$ca_key" -sha256 -days "$DAYS" \
        -subj "/CN=paxos-c cluster CA $(date -u +%Y%m%dT%H%M%SZ)" -out "$ca_crt" 2>/dev/null
    chmod 644 "$ca_crt"
    echo "made the cluster CA: $ca_crt (key $ca_key)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
while read -r kind id host crt key; do
    [ "$kind" = node ] || continue
    wanted "$id" || continue
    if [ -f "$crt" ] && [ -f "$key" ] && [ "$FORCE" -eq 0 ]; then
        echo "node $id: keeping $crt"
        continue
    fi
    mkdir -p "$(dirname "$crt")" "$(dirname "$key")"
    openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/key" 2>/dev/null
    openssl req -new -key "$tmp/key" -subj "/CN=paxos-c node $id" -out "$tmp/csr" 2>/dev/null
    printf 'subjectAltName=IP:%s,DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' \
        "$host" "$host" >"$tmp/ext"
    openssl x509 -req -in "$tmp/csr" -CA "$ca_crt" -CAkey "$ca_key" -CAcreateserial \
        -CAserial "$tmp/serial" -days "$DAYS" -sha256 -extfile "$tmp/ext" -out "$tmp/crt" 2>/dev/null
    install -m 600 "$tmp/key" "$key"
    install -m 644 "$tmp/crt" "$crt"
    echo "node $id: made $crt for $host (key $key)"
done <<<"$paths"
