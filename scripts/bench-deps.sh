#!/usr/bin/env bash
# Installs what `make bench` needs on top of scripts/deps.sh: dpdk-testpmd (the
# harness ceiling, package dpdk), linux-perf (perf stat, used for the clock
# when the kernel exposes a cycles counter) and Open vSwitch with DPDK (the
# userspace-datapath reference). Idempotent: nothing happens when all is there.
#
#   scripts/bench-deps.sh          install what is missing (root)
#   BENCH_NO_OVS=1 scripts/bench-deps.sh   skip Open vSwitch
set -euo pipefail

pkgs=(dpdk linux-perf)
[ "${BENCH_NO_OVS:-0}" = 1 ] || pkgs+=(openvswitch-switch-dpdk)

. "$(dirname "$0")/lib.sh"
need_pkgs bench-deps "${pkgs[@]}" || exit 1
[ ${#missing[@]} -eq 0 ] && exit 0
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
