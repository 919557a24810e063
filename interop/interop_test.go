package interop

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"

	"tunfwd/conf"
)

// kernelCase is one live interop case: the kernel side (run by netns.sh in
// the namespaces), tunfwd's config, the pings that must cross both, and
// which kernel device terminates which tunfwd tunnel. Add a protocol by
// adding a case; the checks in TestKernelInterop apply to every one.
type kernelCase struct {
	name  string   // subtest name, also in the namespace names
	needs []string // kernelFeatures the kernel side uses; the case skips without them
	ipv6  bool     // IPv6 on in lan, peer and far (netns.sh up -6)

	// kernel holds netns.sh "ROLE: command" lines: addresses in lan and far,
	// the kernel's tunnel end in peer. The chain itself (veths, MACs,
	// offloads off) is netns.sh's.
	kernel string
	// conf is tunfwd's config after confBase: ports, next hops, tunnels,
	// bindings. {{mac "ROLE" "DEV"}} is an interface's MAC.
	conf string

	pings   []ping
	tunnels []tunnelDev
	// underlay is tunfwd's underlay address: the peer's kernel must have
	// resolved it (ARP or Neighbour Solicitation) to tunfwd's underlay MAC.
	underlay string
}

// ping is `ping -c count` from a role's namespace; all must come back.
type ping struct {
	from, to string
	count    int
	size     int  // ICMP payload bytes; 0: ping's default (56)
	df       bool // -M do: a reply proves the frame fitted unfragmented
}

// tunnelDev pairs a tunfwd tunnel with the kernel device at its far end:
// what tunfwd encapsulates the device receives, what the device sends
// tunfwd decapsulates, packet for packet.
type tunnelDev struct {
	tunnel string // tunfwd [[tunnel]] name
	role   string // namespace of the kernel device
	dev    string
	// l3Off: bytes of each inner frame tunfwd counts and the kernel does
	// not (a VXLAN device counts the inner frame from its L3 header: 14)
	l3Off uint64
}

// confBase is common to every case: one worker, a small pool, no control
// socket (parallel runs), a per-run EAL file prefix.
const confBase = `
[eal]
file_prefix = "{{.Prefix}}"

[dataplane]
workers = [1]
mbufs = 2047
idle_us = 20

[control]
socket = "none"
`

// ports4: tunfwd's inner port on lan0, its underlay port on wan0 as
// 192.0.2.1, the kernel peer 192.0.2.2 behind it.
const ports4 = `
[[port]]
name = "lan"
side = "inner"
vdev = "net_af_packet_lan,iface=lan0"
mac = "{{mac "gw" "lan0"}}"

[[port]]
name = "wan"
side = "underlay"
vdev = "net_af_packet_wan,iface=wan0"
mac = "{{mac "gw" "wan0"}}"
addresses = ["192.0.2.1/24"]

[[nexthop]]
ip = "192.0.2.2"
mac = "{{mac "peer" "eth0"}}"
port = "wan"
`

// ports6: the same over IPv6, tunfwd 2001:db8:2::1, the peer 2001:db8:2::2.
const ports6 = `
[[port]]
name = "lan"
side = "inner"
vdev = "net_af_packet_lan,iface=lan0"
mac = "{{mac "gw" "lan0"}}"

[[port]]
name = "wan"
side = "underlay"
vdev = "net_af_packet_wan,iface=wan0"
mac = "{{mac "gw" "wan0"}}"
addresses = ["2001:db8:2::1/64"]

[[nexthop]]
ip = "2001:db8:2::2"
mac = "{{mac "peer" "eth0"}}"
port = "wan"
`

// Hosts lan (10.1.0.2) and far (10.1.0.3) share one Ethernet segment,
// stretched across tunfwd's L2 binding and the kernel's bridge; their MTU
// leaves room for VXLAN over IPv4 (50 bytes) in the 1500 of the underlay.
const hosts4 = `
peer: ip addr add 192.0.2.2/24 dev eth0
peer: ip link add br0 type bridge mcast_snooping 0   # snooping would send IGMP reports of its own
peer: ip link set far0 master br0 && ip link set br0 up
lan:  ip link set eth0 mtu 1450 && ip addr add 10.1.0.2/24 dev eth0
far:  ip link set eth0 mtu 1450 && ip addr add 10.1.0.3/24 dev eth0
`

// hosts6: the same segment, also with IPv6 (2001:db8:1::2 and ::3), over an
// IPv6 underlay (VXLAN over IPv6: 70 bytes).
const hosts6 = `
peer: ip addr add 2001:db8:2::2/64 dev eth0
peer: ip link add br0 type bridge mcast_snooping 0
peer: ip link set far0 master br0 && ip link set br0 up
lan:  ip link set eth0 mtu 1430 && ip addr add 10.1.0.2/24 dev eth0 && ip addr add 2001:db8:1::2/64 dev eth0
far:  ip link set eth0 mtu 1430 && ip addr add 10.1.0.3/24 dev eth0 && ip addr add 2001:db8:1::3/64 dev eth0
# The MLD reports of these joins (two, 12 ms apart: netns.sh -6) must be over
# before a tunnel device joins br0: one flooded into it starts a Neighbour
# Solicitation for tunfwd's address, retried for 3 s, into the test's counts.
far:  sleep 0.1
`

var kernelCases = []kernelCase{
	{
		// tunfwd VTEP 192.0.2.1 <-> kernel vxlan 192.0.2.2, VNI 100, the
		// kernel's UDP checksum on (tunfwd verifies it); the second ping fills
		// the 1450-byte inner MTU, so the outer packet is exactly 1500 bytes.
		name:  "vxlan4",
		needs: []string{"vxlan", "bridge"},
		kernel: hosts4 + `
peer: ip link add vx0 mtu 1450 type vxlan id 100 local 192.0.2.2 remote 192.0.2.1 dstport 4789 udpcsum
peer: ip link set vx0 master br0 && ip link set vx0 up
`,
		conf: ports4 + `
[[tunnel]]
name = "vx100"
type = "vxlan"
local = "192.0.2.1"
remote = "192.0.2.2"
vni = 100

[[l2]]
port = "lan"
tunnel = "vx100"
`,
		pings: []ping{
			{from: "lan", to: "10.1.0.3", count: 3},
			{from: "lan", to: "10.1.0.3", count: 3, size: 1450 - 28, df: true},
		},
		tunnels:  []tunnelDev{{tunnel: "vx100", role: "peer", dev: "vx0", l3Off: 14}},
		underlay: "192.0.2.1",
	},
	{
		// The kernel starts: far pings lan. VXLAN on Linux's old port 8472 and
		// a zero UDP checksum from the kernel (RFC 7348 section 5 allows it).
		name:  "vxlan4-8472-far-pings",
		needs: []string{"vxlan", "bridge"},
		kernel: hosts4 + `
peer: ip link add vx1 mtu 1450 type vxlan id 200 local 192.0.2.2 remote 192.0.2.1 dstport 8472 noudpcsum
peer: ip link set vx1 master br0 && ip link set vx1 up
`,
		conf: ports4 + `
[[tunnel]]
name = "vx200"
type = "vxlan"
local = "192.0.2.1"
remote = "192.0.2.2"
vni = 200
dst_port = 8472

[[l2]]
port = "lan"
tunnel = "vx200"
`,
		pings:    []ping{{from: "far", to: "10.1.0.2", count: 3}},
		tunnels:  []tunnelDev{{tunnel: "vx200", role: "peer", dev: "vx1", l3Off: 14}},
		underlay: "192.0.2.1",
	},
	{
		// VXLAN over IPv6: UDP checksums both ways (RFC 8200), the kernel's
		// default; inner IPv4 and IPv6, each also at the full 1430-byte MTU.
		name:  "vxlan6",
		needs: []string{"vxlan6", "bridge"},
		ipv6:  true,
		kernel: hosts6 + `
peer: ip link add vx0 mtu 1430 type vxlan id 100 local 2001:db8:2::2 remote 2001:db8:2::1 dstport 4789
peer: ip link set vx0 master br0 && ip link set vx0 up
`,
		conf: ports6 + `
[[tunnel]]
name = "vx100"
type = "vxlan"
local = "2001:db8:2::1"
remote = "2001:db8:2::2"
vni = 100

[[l2]]
port = "lan"
tunnel = "vx100"
`,
		pings: []ping{
			{from: "lan", to: "10.1.0.3", count: 3},
			{from: "lan", to: "2001:db8:1::3", count: 3},
			{from: "lan", to: "10.1.0.3", count: 3, size: 1430 - 28, df: true},
			{from: "lan", to: "2001:db8:1::3", count: 3, size: 1430 - 48, df: true},
		},
		tunnels:  []tunnelDev{{tunnel: "vx100", role: "peer", dev: "vx0", l3Off: 14}},
		underlay: "2001:db8:2::1",
	},
	{
		// VXLAN over IPv6 with zero UDP checksums, sent and accepted on both
		// sides only because both are told to (RFC 6935, RFC 6936); far pings.
		name:  "vxlan6-zero-csum",
		needs: []string{"vxlan6", "bridge"},
		ipv6:  true,
		kernel: hosts6 + `
peer: ip link add vx0 mtu 1430 type vxlan id 300 local 2001:db8:2::2 remote 2001:db8:2::1 dstport 4789 udp6zerocsumtx udp6zerocsumrx
peer: ip link set vx0 master br0 && ip link set vx0 up
`,
		conf: ports6 + `
[[tunnel]]
name = "vx300"
type = "vxlan"
local = "2001:db8:2::1"
remote = "2001:db8:2::2"
vni = 300
udp6_zero_csum_tx = true
udp6_zero_csum_rx = true

[[l2]]
port = "lan"
tunnel = "vx300"
`,
		pings: []ping{
			{from: "far", to: "2001:db8:1::2", count: 3},
			{from: "far", to: "10.1.0.2", count: 3},
		},
		tunnels:  []tunnelDev{{tunnel: "vx300", role: "peer", dev: "vx0", l3Off: 14}},
		underlay: "2001:db8:2::1",
	},
}

// SRv6 (routed, not bridged): lan 10.1.0.2 behind tunfwd's inner port
// 10.1.0.1, far 10.9.0.2 behind the kernel peer 10.9.0.1, the underlay IPv6
// only (2001:db8:2::1 tunfwd, ::2 the peer). The kernel reaches tunfwd's
// locator fc00:1::/48 through tunfwd's underlay address (resolved by ND),
// tunfwd reaches the kernel's fc00:9::/48 through its next hop.
const hostsSR = `
peer: sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
peer: sysctl -qw net.ipv6.conf.all.seg6_enabled=1 net.ipv6.conf.eth0.seg6_enabled=1
peer: ip addr add 2001:db8:2::2/64 dev eth0 && ip addr add 10.9.0.1/24 dev far0
peer: ip -6 route add fc00:1::/48 via 2001:db8:2::1 dev eth0
peer: ip sr tunsrc set 2001:db8:2::2
lan:  ip addr add 10.1.0.2/24 dev eth0 && ip route add default via 10.1.0.1
far:  ip addr add 10.9.0.2/24 dev eth0 && ip route add default via 10.9.0.1
`

const portsSR = `
[[port]]
name = "lan"
side = "inner"
vdev = "net_af_packet_lan,iface=lan0"
mac = "{{mac "gw" "lan0"}}"
addresses = ["10.1.0.1/24"]

[[port]]
name = "wan"
side = "underlay"
vdev = "net_af_packet_wan,iface=wan0"
mac = "{{mac "gw" "wan0"}}"
addresses = ["2001:db8:2::1/64"]

[[nexthop]]
ip = "2001:db8:2::2"
mac = "{{mac "peer" "eth0"}}"
port = "wan"

[[nexthop]]
ip = "10.1.0.2"
mac = "{{mac "lan" "eth0"}}"
port = "lan"
`

func init() {
	kernelCases = append(kernelCases,
		kernelCase{
			// tunfwd H.Encaps towards the kernel's End.DX4 (fc00:9::4 -> far),
			// the kernel's H.Encaps (seg6 mode encap) back to tunfwd's End.DX4
			// (fc00:1::4 -> lan). Needs CONFIG_IPV6_SEG6_LWTUNNEL.
			name:  "srv6-encaps-end.dx4",
			needs: []string{"seg6", "seg6local"},
			ipv6:  true,
			kernel: hostsSR + `
peer: ip -6 route add fc00:9::4/128 encap seg6local action End.DX4 nh4 10.9.0.2 dev far0
peer: ip route add 10.1.0.0/24 encap seg6 mode encap segs fc00:1::4 dev eth0
`,
			conf: portsSR + `
[[tunnel]]
name = "to-kernel"
type = "srv6"
local = "2001:db8:2::1"
segments = ["fc00:9::4"]
mode = "encaps"
nexthop = "2001:db8:2::2"

[[route]]
prefix = "10.9.0.0/24"
tunnel = "to-kernel"

[[sid]]
sid = "fc00:1::4"
behavior = "end.dx4"
nexthop = "10.1.0.2"
`,
			pings:    []ping{{from: "lan", to: "10.9.0.2", count: 3}, {from: "far", to: "10.1.0.2", count: 3}},
			underlay: "2001:db8:2::1",
		},
		kernelCase{
			// the kernel's H.Encaps of IPv6 towards tunfwd's End.DT6 (decapsulate,
			// route by the inner destination), tunfwd's H.Encaps back.
			name:  "srv6-encaps-end.dt6",
			needs: []string{"seg6", "seg6local"},
			ipv6:  true,
			kernel: hostsSR + `
peer: ip addr add 2001:db8:9::1/64 dev far0
far:  ip addr add 2001:db8:9::2/64 dev eth0 && ip -6 route add default via 2001:db8:9::1
lan:  ip addr add 2001:db8:1::2/64 dev eth0 && ip -6 route add default via 2001:db8:1::1
peer: ip -6 route add fc00:9::6/128 encap seg6local action End.DX6 nh6 2001:db8:9::2 dev far0
peer: ip -6 route add 2001:db8:1::/64 encap seg6 mode encap segs fc00:1::66 dev eth0
`,
			conf: strings.Replace(portsSR, `addresses = ["10.1.0.1/24"]`, `addresses = ["10.1.0.1/24", "2001:db8:1::1/64"]`, 1) + `
[[nexthop]]
ip = "2001:db8:1::2"
mac = "{{mac "lan" "eth0"}}"
port = "lan"

[[tunnel]]
name = "to-kernel6"
type = "srv6"
local = "2001:db8:2::1"
segments = ["fc00:9::6"]
mode = "encaps"
nexthop = "2001:db8:2::2"

[[route]]
prefix = "2001:db8:9::/64"
tunnel = "to-kernel6"

[[sid]]
sid = "fc00:1::66"
behavior = "end.dt6"
`,
			pings:    []ping{{from: "lan", to: "2001:db8:9::2", count: 3}},
			underlay: "2001:db8:2::1",
		})
}

var pingStats = regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`)

// TestKernelInterop runs every case: pings from a host behind tunfwd to a
// host behind the kernel's tunnel end and back. It checks what both sides
// say happened: every echo answered; tunfwd's per-tunnel counts equal the
// kernel device's, packet for packet and byte for byte; tunfwd's port
// counts equal the kernel's counts on the veths tunfwd owns; the peer
// resolved tunfwd's underlay address to tunfwd's MAC; nothing dropped,
// rx = tx + drops, the mempool full again.
func TestKernelInterop(t *testing.T) {
	needRig(t)
	for i, c := range kernelCases {
		t.Run(c.name, func(t *testing.T) {
			needKernel(t, c.needs...)
			tp := upTopo(t, strconv.Itoa(i), c.ipv6, c.kernel)
			runCase(t, tp, c)
		})
	}
}

func runCase(t *testing.T, tp *topo, c kernelCase) {
	gwBefore := map[string]linkStats{"lan0": tp.stats("gw", "lan0"), "wan0": tp.stats("gw", "wan0")}
	devBefore := make([]linkStats, len(c.tunnels))
	for i, td := range c.tunnels {
		devBefore[i] = tp.stats(td.role, td.dev)
	}
	g := tp.startGateway(tp.renderConf(confBase + c.conf))

	var echoes uint64
	for _, p := range c.pings {
		args := []string{"ping", "-n", "-c", strconv.Itoa(p.count), "-i", "0.2", "-W", "2",
			"-w", "10"} // -w: give up after 10 s (a hang guard) and exit 1 unless all came back
		if p.size > 0 {
			args = append(args, "-s", strconv.Itoa(p.size))
		}
		if p.df {
			args = append(args, "-M", "do")
		}
		out, err := tp.run(p.from, append(args, p.to)...)
		require.NoError(t, err, "%s: %v\n%s\ntunfwd:\n%s", p.from, args, out, g.out)
		m := pingStats.FindStringSubmatch(out)
		require.NotNil(t, m, out)
		require.Equal(t, strconv.Itoa(p.count), m[1], out)
		require.Equal(t, m[1], m[2], "every echo answered, none lost:\n%s", out)
		echoes += uint64(p.count)
	}
	s := g.stop()
	t.Logf("tunfwd:\n%s", g.out)

	// tunfwd's own accounting
	require.Equal(t, s.Mempool.Size, s.Mempool.Available, "mempool full again")
	var rx, tx uint64
	ports := map[string]int{}
	for i, p := range s.Ports {
		rx += p.RxPkts
		tx += p.TxPkts
		ports[p.Name] = i
		require.Equal(t, int(p.Device.IPackets), int(p.RxPkts), "port %s: af_packet's own rx count", p.Name)
		require.Equal(t, int(p.Device.OPackets), int(p.TxPkts), "port %s: af_packet's own tx count", p.Name)
	}
	require.Equal(t, int(rx), int(tx+s.Dropped), "rx = tx + drops")
	for reason, n := range s.Drops {
		require.Zero(t, n, "drop %s: nothing in these cases is malformed or unknown", reason)
	}

	// tunfwd's tunnels against the kernel devices at their far ends
	tunnels := map[string]int{}
	for i, tn := range s.Tunnels {
		tunnels[tn.Name] = i
	}
	for i, td := range c.tunnels {
		k := tp.stats(td.role, td.dev)
		b := devBefore[i]
		ti, ok := tunnels[td.tunnel]
		require.True(t, ok, "tunnel %s in tunfwd's counters", td.tunnel)
		tn := s.Tunnels[ti]
		dev := fmt.Sprintf("%s/%s", td.role, td.dev)
		require.GreaterOrEqual(t, tn.EncapPkts, echoes, "%s: every echo request encapsulated", td.tunnel)
		require.GreaterOrEqual(t, tn.DecapPkts, echoes, "%s: every echo reply decapsulated", td.tunnel)
		require.Equal(t, int(tn.EncapPkts), int(k.RxPackets-b.RxPackets), "%s encap = %s rx packets", td.tunnel, dev)
		require.Equal(t, int(tn.DecapPkts), int(k.TxPackets-b.TxPackets), "%s decap = %s tx packets", td.tunnel, dev)
		require.Equal(t, int(tn.EncapBytes-td.l3Off*tn.EncapPkts), int(k.RxBytes-b.RxBytes), "%s encap bytes = %s rx bytes", td.tunnel, dev)
		require.Equal(t, int(tn.DecapBytes-td.l3Off*tn.DecapPkts), int(k.TxBytes-b.TxBytes), "%s decap bytes = %s tx bytes", td.tunnel, dev)
		require.Zero(t, k.RxErrors+k.RxDropped-b.RxErrors-b.RxDropped, "%s: rx errors or drops", dev)
		require.Zero(t, k.TxErrors+k.TxDropped-b.TxErrors-b.TxDropped, "%s: tx errors or drops", dev)
	}

	// the veths tunfwd opened, as the kernel counted them
	for dev, port := range map[string]string{"lan0": "lan", "wan0": "wan"} {
		k, b := tp.stats("gw", dev), gwBefore[dev]
		p := s.Ports[ports[port]]
		require.Equal(t, int(p.RxPkts), int(k.RxPackets-b.RxPackets), "port %s rx = kernel gw/%s rx", port, dev)
		require.Equal(t, int(p.TxPkts), int(k.TxPackets-b.TxPackets), "port %s tx = kernel gw/%s tx", port, dev)
	}

	if c.underlay != "" {
		require.Equal(t, tp.mac("gw", "wan0"), tp.neigh("peer", c.underlay),
			"the peer resolved %s to tunfwd's underlay MAC", c.underlay)
		if netip.MustParseAddr(c.underlay).Is4() {
			require.NotZero(t, s.ARP, "tunfwd answered the peer's ARP")
		} else {
			require.NotZero(t, s.ND, "tunfwd answered the peer's Neighbour Solicitation")
		}
	}
}

// TestKernelCaseConfigs: every case's tunfwd config is valid, also where the
// kernel cannot run the case (SRv6 needs CONFIG_IPV6_SEG6_LWTUNNEL), so a
// skipped case is not a broken one waiting for a kernel that has it.
func TestKernelCaseConfigs(t *testing.T) {
	for _, c := range kernelCases {
		tm, err := template.New("conf").Funcs(template.FuncMap{
			"mac": func(role, dev string) string { return "02:00:00:00:09:01" },
		}).Parse(confBase + c.conf)
		require.NoError(t, err, c.name)
		var b strings.Builder
		require.NoError(t, tm.Execute(&b, struct{ Prefix string }{"tfi-check"}))
		_, err = conf.Parse([]byte(b.String()), c.name+".toml")
		require.NoError(t, err, "%s:\n%s", c.name, b.String())
	}
}
