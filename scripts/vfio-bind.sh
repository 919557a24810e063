#!/usr/bin/env bash
# Binds NICs to vfio-pci for DPDK, with Debian's dpdk-devbind.py (package dpdk).
#
#   scripts/vfio-bind.sh [--noiommu] PCI [PCI...]   bind to vfio-pci
#   scripts/vfio-bind.sh --status                   show network devices and their drivers
#   scripts/vfio-bind.sh --unbind PCI DRIVER        give PCI back to a kernel driver (e.g. ixgbe, i40e, ice, mlx5_core)
#
# PCI is 0000:01:00.0 (or 01:00.0). vfio-pci needs the IOMMU on (VT-d / AMD-Vi in
# the BIOS, intel_iommu=on iommu=pt on the kernel command line). Without one,
# --noiommu turns on vfio's unsafe no-IOMMU mode: no DMA isolation, taints the
# kernel, only for test machines and VMs without a virtual IOMMU. An interface
# that is up with routes is refused by dpdk-devbind.py: `ip link set IF down` first.
set -euo pipefail

prog=vfio-bind
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
	sed -n '4,6s/^#   /usage: /p' "$0" | sed "s#scripts/vfio-bind.sh#$0#"
}
usage_die() { echo "$prog: $*" >&2; usage >&2; exit 2; }

devbind=$(command -v dpdk-devbind.py || command -v dpdk-devbind || true)
need_devbind() {
	[ -n "$devbind" ] || die "dpdk-devbind.py not found: install the Debian package 'dpdk' (scripts/deps.sh)"
}
# lspci in minimal systems prints a libkmod warning per device; drop that noise only.
devbind() { "$devbind" "$@" 2> >(grep -v 'Unable to load libkmod' >&2); }
need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root to load modules and rebind devices (try: sudo $0 ...)"
}

# norm_pci ADDR: prints the full domain:bus:dev.fn form, or fails.
norm_pci() {
	local a=$1
	[[ $a =~ ^[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]] && a=0000:$a
	[[ $a =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]] ||
		usage_die "'$1' is not a PCI address like 0000:01:00.0"
	a=${a,,}
	[ -e "/sys/bus/pci/devices/$a" ] || die "no PCI device $a (see: $0 --status)"
	echo "$a"
}
driver_of() {
	local l=/sys/bus/pci/devices/$1/driver
	if [ -e "$l" ]; then basename "$(readlink -f "$l")"; else echo none; fi
}
iommu_groups() { find /sys/kernel/iommu_groups -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

noiommu=0
case ${1:-} in
'' | -h | --help)
	usage
	[ $# -eq 0 ] && exit 2 || exit 0
	;;
--status)
	[ $# -eq 1 ] || usage_die "--status takes no arguments"
	need_devbind
	devbind --status-dev net
	exit
	;;
--unbind)
	[ $# -eq 3 ] || usage_die "--unbind needs PCI and DRIVER, e.g. --unbind 0000:01:00.0 ixgbe"
	need_devbind
	need_root
	pci=$(norm_pci "$2")
	drv=$3
	[[ $drv =~ ^[A-Za-z0-9_-]+$ ]] || usage_die "'$drv' is not a driver name"
	if [ "$(driver_of "$pci")" = "$drv" ]; then
		echo "$prog: $pci already bound to $drv"
		exit 0
	fi
	if [ ! -d "/sys/bus/pci/drivers/$drv" ]; then
		modprobe "$drv" 2>/dev/null || die "kernel driver '$drv' is not loaded and 'modprobe $drv' failed"
	fi
	devbind -b "$drv" "$pci" || die "dpdk-devbind.py could not bind $pci to $drv"
	now=$(driver_of "$pci")
	[ "$now" = "$drv" ] || die "$pci is bound to '$now', not $drv (see dmesg)"
	echo "$prog: $pci bound to $drv"
	exit 0
	;;
--noiommu)
	noiommu=1
	shift
	;;
esac
[ $# -ge 1 ] || usage_die "no PCI address given"

need_devbind
need_root
pcis=()
for a in "$@"; do
	[[ $a == -* ]] && usage_die "unknown option '$a'"
	pcis+=("$(norm_pci "$a")")
done

groups=$(iommu_groups)
if [ "$groups" -eq 0 ]; then
	if [ "$noiommu" -eq 0 ]; then
		die "no IOMMU groups in /sys/kernel/iommu_groups: enable VT-d / AMD-Vi in the BIOS and boot with intel_iommu=on iommu=pt (AMD: amd_iommu=on iommu=pt), or, on a test machine only, rerun with --noiommu (unsafe: no DMA isolation)"
	fi
	# The parameter must be set before vfio-pci probes the device.
	if [ -e /sys/module/vfio ]; then
		p=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode
		[ -e "$p" ] || die "this kernel's vfio has no no-IOMMU mode (CONFIG_VFIO_NOIOMMU is off)"
		[ "$(<"$p")" = Y ] || echo 1 >"$p" || die "could not write $p"
	else
		modprobe vfio enable_unsafe_noiommu_mode=1 || die "'modprobe vfio enable_unsafe_noiommu_mode=1' failed"
	fi
	echo "$prog: warning: vfio unsafe no-IOMMU mode is on: no DMA isolation, the kernel is tainted" >&2
elif [ "$noiommu" -eq 1 ]; then
	echo "$prog: $groups IOMMU groups present: --noiommu not needed, using the IOMMU"
fi

if [ ! -e /sys/module/vfio_pci ] && [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
	modprobe vfio-pci || die "'modprobe vfio-pci' failed: is the kernel built with CONFIG_VFIO_PCI?"
	echo "$prog: loaded vfio-pci"
fi

todo=()
for pci in "${pcis[@]}"; do
	if [ "$(driver_of "$pci")" = vfio-pci ]; then
		echo "$prog: $pci already bound to vfio-pci"
		continue
	fi
	if [ "$groups" -gt 0 ]; then
		g=/sys/bus/pci/devices/$pci/iommu_group/devices
		[ -d "$g" ] || die "$pci has no IOMMU group although the IOMMU is on (iommu=off for it?)"
		# vfio takes whole groups: every other member must be unbound or on vfio-pci too.
		for m in "$g"/*; do
			m=$(basename "$m")
			[ "$m" = "$pci" ] && continue
			d=$(driver_of "$m")
			case $d in none | vfio-pci | pcieport) ;; *)
				echo "$prog: warning: $m shares IOMMU group $(basename "$(readlink -f "$g/..")") with $pci and is bound to $d; DPDK cannot open the group until it is unbound or bound to vfio-pci too" >&2 ;;
			esac
		done
	fi
	todo+=("$pci")
done
[ ${#todo[@]} -gt 0 ] || exit 0

devbind -b vfio-pci "${todo[@]}" || die "dpdk-devbind.py could not bind ${todo[*]} to vfio-pci (an interface that is up with routes is refused: ip link set IF down)"
rc=0
for pci in "${todo[@]}"; do
	d=$(driver_of "$pci")
	if [ "$d" = vfio-pci ]; then
		grp=$(basename "$(readlink -f "/sys/bus/pci/devices/$pci/iommu_group" 2>/dev/null)" 2>/dev/null || true)
		if [ -n "$grp" ]; then
			dev=/dev/vfio/$grp; [ "$groups" -eq 0 ] && dev=/dev/vfio/noiommu-$grp
			echo "$prog: $pci bound to vfio-pci (IOMMU group $grp, $dev)"
		else
			echo "$prog: $pci bound to vfio-pci"
		fi
	else
		echo "$prog: $pci is still bound to '$d', not vfio-pci (see dmesg)" >&2
		rc=1
	fi
done
exit "$rc"
