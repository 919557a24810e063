#!/usr/bin/env bash
# netns.sh - test hosts in network namespaces for live interop with the
# Linux kernel (interop/ runs it; it also works by hand, as root).
#
#   netns.sh up NAME [-6] [< CASE]   build the chain below, then run CASE's lines
#   netns.sh down NAME               end what runs inside, delete the namespaces
#   netns.sh sweep                   delete the leftovers of dead test runs (tfi<pid>-*)
#
#   NAME-lan          NAME-gw (tunfwd)          NAME-peer (kernel)          NAME-far
#   eth0 <--------> lan0         wan0 <------> eth0  [tunnel dev]  far0 <------> eth0
#   02:..:01:02     02:..:01:01  02:..:02:01   02:..:02:02         02:..:03:01   02:..:03:02
#
# Interface names are the same in every run (each lives in its own namespace);
# only the namespace names carry NAME, so parallel runs never collide. MACs are
# static (02:00:00:00:LINK:SIDE) so a tunfwd config can name them in [[nexthop]].
# tunfwd opens lan0 and wan0 with net_af_packet from inside NAME-gw (af_packet
# binds in the netns of the process: run it with `ip netns exec NAME-gw`).
#
# CASE is read from stdin, one "ROLE: command" a line (# comments), each run
# with sh -c inside NAME-ROLE; the first that fails stops `up`, which then
# removes everything it made. Example (VXLAN VNI 100 bridged to far):
#
#   scripts/netns.sh up t1 <<'EOF'
#   lan:  ip addr add 10.1.0.2/24 dev eth0
#   far:  ip addr add 10.1.0.3/24 dev eth0
#   peer: ip addr add 192.0.2.2/24 dev eth0
#   peer: ip link add vx0 type vxlan id 100 local 192.0.2.2 remote 192.0.2.1 dstport 4789
#   peer: ip link add br0 type bridge mcast_snooping 0 && ip link set vx0 master br0 && ip link set far0 master br0
#   peer: ip link set vx0 up && ip link set br0 up
#   EOF
#   ip netns exec t1-gw build/bin/tunfwd --conf my.toml    # ports iface=lan0, iface=wan0
#   ip netns exec t1-lan ping 10.1.0.3
#   scripts/netns.sh down t1
#
# What every namespace gets, and why:
# - offloads off on every veth end (ethtool -K: tx, rx, tso, gso, gro). With tx
#   checksum offload a kernel sender leaves a partial checksum that a packet
#   socket (af_packet) hands tunfwd as is; with rx checksum offload a veth marks
#   whatever tunfwd sends as already verified, so the kernel would not check
#   tunfwd's checksums at all. GSO/GRO would hand af_packet frames over the MTU.
# - NAME-gw: IPv6 off and no address: the kernel there must stay silent (an
#   af_packet socket also sees what the local stack sends on the interface).
# - the others: IPv6 off unless -6; then on for the veth ends (not for the
#   devices a case adds: a bridge or a tunnel device would send MLD reports
#   and solicitations of its own), without DAD or router solicitations, and
#   the MLD reports of a join sent within 10 ms instead of 1 s, so they are
#   over before `up` returns; no neighbour re-probe during a test
#   (delay_first_probe_time 60 s). What crosses tunfwd is then only the test's.
# A case's own devices should be quiet too: a bridge with multicast snooping
# (the default) joins 224.0.0.106 and sends IGMP reports: mcast_snooping 0.
set -euo pipefail

roles=(lan gw peer far)

die() {
	echo "netns.sh: $*" >&2
	exit 1
}

nsx() { # nsx NS CMD...: run CMD inside namespace NS
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

down() {
	local name=$1 r ns pids
	for r in "${roles[@]}"; do
		ns=$name-$r
		[ -e "/run/netns/$ns" ] || continue
		# a namespace lives on while a process runs in it: end those first
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [ -n "$pids" ]; then
			kill $pids 2>/dev/null || true
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				pids=$(ip netns pids "$ns" 2>/dev/null || true)
				[ -z "$pids" ] && break
				sleep 0.2
			done
			[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
}

# veth A IFA MACA B IFB MACB: a veth pair created straight into two namespaces
veth() {
	ip -n "$1" link add "$2" address "$3" type veth peer name "$5" address "$6" netns "$4"
	offloads_off "$1" "$2"
	offloads_off "$4" "$5"
	v6_on "$1" "$2"
	v6_on "$4" "$5"
	no_reprobe "$1" "$2"
	no_reprobe "$4" "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

offloads_off() {
	local f
	# one feature at a time: ethtool fails the whole call when one is fixed
	for f in tx rx tso gso gro; do
		nsx "$1" ethtool -K "$2" "$f" off >/dev/null 2>&1 || true
	done
	nsx "$1" ethtool -k "$2" | grep -Eq '^(tx|rx)-checksumming: on' &&
		die "$1/$2: checksum offload stays on"
	return 0
}

v6_on() { # v6_on NS IF: IPv6 on the interface with -6, never in NAME-gw
	[ "$v6" = 1 ] && [ "${1##*-}" != gw ] || return 0
	nsx "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=0"
}

# no_reprobe NS IF: a neighbour entry used within 60 s is not re-probed
# (neigh "default" exists only in the initial namespace: set it per interface)
no_reprobe() {
	nsx "$1" sysctl -qw "net.ipv4.neigh.$2.delay_first_probe_time=60"
	nsx "$1" sysctl -qw "net.ipv6.neigh.$2.delay_first_probe_time=60"
}

# quiet NS: sysctls before any interface exists (new ones inherit "default").
# IPv6 off ("all" also sets "default"); with -6, veth() turns it on again
# for the veth ends outside NAME-gw, the ones a case gives addresses to.
quiet() {
	nsx "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.default.mldv1_unsolicited_report_interval=10 \
		net.ipv6.conf.default.mldv2_unsolicited_report_interval=10 \
		net.ipv6.conf.all.disable_ipv6=1
	if [ "$v6" = 1 ] && [ "${1##*-}" != gw ]; then
		nsx "$1" sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
	fi
}

up() {
	local r line role cmd n=0
	name=$1 # global: the EXIT trap needs it
	shift
	v6=0
	[ "${1:-}" = -6 ] && v6=1
	[ ${#name} -le 40 ] && [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad NAME: $name"
	for r in "${roles[@]}"; do
		[ -e "/run/netns/$name-$r" ] && die "namespace $name-$r exists (netns.sh down $name)"
	done
	command -v ethtool >/dev/null || die "ethtool missing (scripts/deps.sh installs it)"
	trap 'down "$name"' EXIT
	trap 'exit 130' INT TERM
	for r in "${roles[@]}"; do
		ip netns add "$name-$r"
		ip -n "$name-$r" link set lo up
		quiet "$name-$r"
	done
	veth "$name-lan" eth0 02:00:00:00:01:02 "$name-gw" lan0 02:00:00:00:01:01
	veth "$name-gw" wan0 02:00:00:00:02:01 "$name-peer" eth0 02:00:00:00:02:02
	veth "$name-peer" far0 02:00:00:00:03:01 "$name-far" eth0 02:00:00:00:03:02
	if [ ! -t 0 ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			n=$((n + 1))
			line=${line%%#*}
			[[ $line =~ ^[[:space:]]*$ ]] && continue
			[[ $line =~ ^[[:space:]]*([a-z]+):[[:space:]]*(.*)$ ]] || die "case line $n: want ROLE: command: $line"
			role=${BASH_REMATCH[1]}
			cmd=${BASH_REMATCH[2]}
			[[ " ${roles[*]} " == *" $role "* ]] || die "case line $n: no role $role (${roles[*]})"
			nsx "$name-$role" sh -c "$cmd" || die "case line $n ($role): $cmd"
		done
	fi
	# the MLD reports of the joins just made: 2 within 10 ms each (see quiet)
	[ "$v6" = 0 ] || sleep 0.1
	trap - EXIT INT TERM
}

# sweep: namespaces of a test run (tfi<pid>-...) whose process is gone
sweep() {
	local ns pid
	for ns in $(ip netns list | awk '{print $1}'); do
		[[ $ns =~ ^tfi([0-9]+)-(.*)-(lan|gw|peer|far)$ ]] || continue
		pid=${BASH_REMATCH[1]}
		[ -d "/proc/$pid" ] && continue
		down "tfi$pid-${BASH_REMATCH[2]}"
	done
}

case "${1:-}" in
up)
	[ $# -ge 2 ] || die "usage: netns.sh up NAME [-6] [< CASE]"
	shift
	up "$@"
	;;
down)
	[ $# -eq 2 ] || die "usage: netns.sh down NAME"
	down "$2"
	;;
sweep) sweep ;;
*) die "usage: netns.sh up NAME [-6] [< CASE] | down NAME | sweep" ;;
esac
