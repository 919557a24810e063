#!/usr/bin/env bash
# Installs what `make bench` needs on top of scripts/deps.sh: dpdk-testpmd (the
# harness ceiling, package dpdk), linux-perf (perf stat, used for the clock
# when the kernel exposes a cycles counter) and Open vSwitch with DPDK (the
# userspace-datapath reference), and DPDK's ipsec-secgw example built from
# dpdk-doc's sources into build/ipsec-secgw (the ESP reference). Idempotent:
# nothing happens when all is there.
#
#   scripts/bench-deps.sh          install what is missing (root)
#   BENCH_NO_OVS=1 scripts/bench-deps.sh   skip Open vSwitch
set -euo pipefail

pkgs=(dpdk dpdk-doc linux-perf)
[ "${BENCH_NO_OVS:-0}" = 1 ] || pkgs+=(openvswitch-switch-dpdk)

. "$(dirname "$0")/lib.sh"
need_pkgs bench-deps "${pkgs[@]}" || exit 1

# build_secgw builds ipsec-secgw against pkg-config libdpdk, with one change:
# its port config demands rx checksum offload, which the benchmark's vdevs
# (net_pcap, net_null) lack; the patch asks for none (it verifies no
# checksum in software either, so it gains nothing from it).
build_secgw() {
	local root out src
	root="$(cd "$(dirname "$0")/.." && pwd)"
	out="$root/build/ipsec-secgw"
	[ -x "$out/ipsec-secgw" ] && return 0
	src="$root/build/ipsec-secgw-src"
	rm -rf "$src"
	mkdir -p "$root/build"
	cp -r /usr/share/dpdk/examples/ipsec-secgw "$src"
	sed -i 's/\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,/.offloads = 0, \/* tunfwd bench: vdevs lack it *\//' "$src/ipsec-secgw.c"
	grep -q 'tunfwd bench: vdevs lack it' "$src/ipsec-secgw.c"
	make -C "$src" -j"$(nproc)" >/dev/null
	mkdir -p "$out"
	cp "$src/build/ipsec-secgw-shared" "$out/ipsec-secgw"
}

if [ ${#missing[@]} -eq 0 ]; then
	build_secgw
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Do not let the package scripts start daemons (ovs-vswitchd, ovsdb-server):
# the benchmark starts its own instance with its own database and stops it.
cleanup_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	cleanup_policy=1
fi
trap '[ $cleanup_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# openvswitch-switch-dpdk ships the DPDK build of ovs-vswitchd as an
# alternative; select it so that `ovs-vswitchd` is the one with DPDK.
if [ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ]; then
	update-alternatives --set ovs-vswitchd /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk >/dev/null
fi
build_secgw
