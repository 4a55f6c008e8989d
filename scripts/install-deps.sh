#!/usr/bin/env bash
# Installs the Debian packages paxos-c needs to build, run and test.
# Idempotent: installs only what is missing.  Needs root (or sudo).
set -euo pipefail

# The fuzz targets (make fuzz) need clang plus compiler-rt's libFuzzer and
# sanitizer runtimes: Debian 12's clang only *recommends* those
# (libclang-rt-14-dev, via libclang-common-14-dev), so they are named here;
# llvm brings llvm-symbolizer for readable sanitizer stack traces.
# openssl makes the cluster's TLS certificates (scripts/make-certs.sh).
# libcurl (GnuTLS flavour, like libmicrohttpd's TLS): paxosctl's HTTP(S), and
# the gateway fetches its peers' GET /node for GET /cluster.
# The tests of the cluster page and of /metrics run Debian's headless
# chromium (driven by python3's standard library, tests/tools/browser.py)
# and a real Prometheus (the prometheus package, which ships promtool);
# tests/integration/install.sh also runs systemd-analyze verify when systemd is there.
# libnetfilter-queue: bin/paxos-netdelay, the fake hosts' latency where the
# kernel has no netem; iputils-ping and perl: tests/integration/netdelay.sh.
PKGS=(build-essential libnng-dev libmicrohttpd-dev libjson-c-dev libconfig-dev
      curl jq iproute2 iptables procps util-linux gnuplot-nox time valgrind clojure
      clang libclang-rt-dev llvm openssl libcurl4-gnutls-dev libnetfilter-queue-dev
      chromium prometheus python3 iputils-ping perl)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: everything is installed"
    exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
