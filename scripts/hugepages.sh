#!/usr/bin/env bash
# Reserves 2 MB hugepages for DPDK and mounts hugetlbfs at /dev/hugepages.
#
#   scripts/hugepages.sh [N]        reserve N 2 MB pages (default 1024 = 2 GB)
#   scripts/hugepages.sh --release  give them back (nr_hugepages = 0)
#
# Idempotent: running it twice with the same N changes nothing. Needs root.
# The pages are reserved system-wide (spread over NUMA nodes by the kernel);
# tunfwd uses them when the config says `[eal] hugepages = true`.
# For tests, HUGEPAGES_SYSFS (default /sys/kernel/mm/hugepages/hugepages-2048kB)
# and HUGEPAGES_MOUNT (default /dev/hugepages) may point elsewhere.
set -euo pipefail

prog=hugepages
sysfs=${HUGEPAGES_SYSFS:-/sys/kernel/mm/hugepages/hugepages-2048kB}
mnt=${HUGEPAGES_MOUNT:-/dev/hugepages}

usage() {
	echo "usage: $0 [N]          reserve N 2 MB hugepages (default 1024) and mount hugetlbfs at $mnt"
	echo "       $0 --release    set the 2 MB hugepage reservation back to 0"
}
die() { echo "$prog: $*" >&2; exit 1; }

release=0
want=1024
case $# in
0) ;;
1)
	case $1 in
	-h | --help) usage; exit 0 ;;
	--release) release=1; want=0 ;;
	*[!0-9]* | '') echo "$prog: N must be a positive number of 2 MB pages, got '$1'" >&2; usage >&2; exit 2 ;;
	*) want=$((10#$1)); [ "$want" -gt 0 ] || { echo "$prog: N must be at least 1 (use --release for 0)" >&2; exit 2; } ;;
	esac
	;;
*) usage >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
	die "must run as root to change $sysfs/nr_hugepages (try: sudo $0 $*)"
fi
[ -d "$sysfs" ] || die "$sysfs not found: this kernel has no 2 MB hugepage support (CONFIG_HUGETLBFS)"
nr=$sysfs/nr_hugepages
[ -w "$nr" ] || die "$nr is not writable (read-only /sys, e.g. in a container?); reserve hugepages on the host"

have=$(<"$nr")
if [ "$have" -eq "$want" ]; then
	echo "$prog: $have x 2 MB hugepages already reserved ($((have * 2)) MB); nothing to change"
else
	echo "$want" >"$nr" || die "writing $want to $nr failed"
	have=$(<"$nr")
	if [ "$have" -eq "$want" ]; then
		echo "$prog: nr_hugepages set to $have ($((have * 2)) MB)"
	elif [ "$release" -eq 1 ]; then
		# Pages still mapped by a running DPDK process stay as surplus until it exits.
		echo "$prog: asked for 0, kernel still holds $have pages: a DPDK process (tunfwd?) is probably using them; stop it and rerun" >&2
		exit 1
	elif [ "$have" -eq 0 ]; then
		die "the kernel reserved no hugepages (memory too fragmented or too small); reboot with hugepages=$want on the kernel command line"
	else
		echo "$prog: warning: asked for $want pages, kernel reserved only $have ($((have * 2)) MB): memory is fragmented; lower [eal] memory_mb, or reserve at boot with hugepages=$want" >&2
	fi
fi
if [ -r "$sysfs/free_hugepages" ]; then
	echo "$prog: free 2 MB pages: $(<"$sysfs/free_hugepages") of $have"
fi

if [ "$release" -eq 1 ]; then
	# The mount is harmless without pages; leave it for the next reservation.
	exit 0
fi

# DPDK looks for any hugetlbfs mount; /dev/hugepages is the usual one (systemd's
# dev-hugepages.mount creates it on most distributions).
if command -v findmnt >/dev/null && findmnt -rn -t hugetlbfs -M "$mnt" >/dev/null 2>&1; then
	echo "$prog: hugetlbfs already mounted at $mnt"
elif awk -v m="$mnt" '$2 == m && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts; then
	echo "$prog: hugetlbfs already mounted at $mnt"
else
	if mkdir -p "$mnt" && mount -t hugetlbfs -o pagesize=2M nodev "$mnt"; then
		echo "$prog: mounted hugetlbfs (pagesize=2M) at $mnt"
	else
		# The reservation itself worked, so this is a warning, not a failure.
		echo "$prog: warning: could not mount hugetlbfs at $mnt." >&2
		echo "$prog: DPDK 22.11 can still use the reserved pages without a mount: add --in-memory" >&2
		echo "$prog: to the EAL arguments ([eal] args = [\"--in-memory\"]); it maps hugepages through memfd." >&2
	fi
fi
