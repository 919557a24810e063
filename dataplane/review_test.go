package dataplane

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"tunfwd/conf"
	"tunfwd/pktgen"
)

// Review findings: one test per bug, each failing before its fix.

// TestReviewVXLANUnbound: a VXLAN tunnel that no [[l2]] binds (valid
// config: validation does not require a binding) must not deliver what it
// decapsulates anywhere. Before the fix the tunnel's l2_port stayed 0 and
// the inner frame went out of whichever port has id 0, with no MTU or side
// check: anyone on the underlay who knows the VNI could inject frames there.
func TestReviewVXLANUnbound(t *testing.T) {
	r := newRig(t)
	r.extra = `
[[tunnel]]
name = "vx2"
type = "vxlan"
local = "192.0.2.1"
remote = "192.0.2.2"
vni = 200
`
	inner := pktgen.Frame(l2Flow(), 40, 1)
	f := vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 200}.frame(inner)
	res := r.run(map[string][][]byte{"uplink": {f}})
	requireDropped(t, res, "no_l2_binding", 1)
}

// TestReviewDefaultRoute: 0.0.0.0/0 and ::/0 pass validation, but rte_lpm_add
// and rte_lpm6_add reject depth 0 (-EINVAL), so New failed with
// "tf_table_build: invalid argument". A default route into a tunnel is the
// commonest gateway route there is.
func TestReviewDefaultRoute(t *testing.T) {
	r := newRig(t)
	r.extra = `
[[route]]
prefix = "0.0.0.0/0"
tunnel = "gre1"

[[route]]
prefix = "::/0"
tunnel = "gre1"
`
	f4 := innerFlow()
	f4.Dst = netip.MustParseAddr("198.51.100.9") // only the default route covers it
	f6 := innerFlow()
	f6.Src, f6.Dst = netip.MustParseAddr("2001:db8:1::2"), netip.MustParseAddr("2001:db8:99::1")
	f1 := innerFlow() // 10.2.0.7: the /16 still wins over /0 (both gre1 here, but it must route)
	res := r.run(map[string][][]byte{"inner": {pktgen.Frame(f4, 40, 1), pktgen.Frame(f6, 40, 2), pktgen.Frame(f1, 40, 3)}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Len(t, res.out["uplink"], 3)
	require.EqualValues(t, 3, res.tunnel("gre1").EncapPkts)
}

// TestReviewDefaultRouteMoreSpecific: with a default route expanded into
// the LPM, a more specific route of another kind still wins, both ways.
func TestReviewDefaultRouteMoreSpecific(t *testing.T) {
	r := newRig(t)
	r.extra = `
[[route]]
prefix = "0.0.0.0/0"
via = "10.1.0.2"

[[route]]
prefix = "128.0.0.0/1"
tunnel = "gre1"
`
	low := innerFlow()
	low.Dst = netip.MustParseAddr("100.64.0.1") // 0/0: back out of the inner port to 10.1.0.2
	high := innerFlow()
	high.Dst = netip.MustParseAddr("198.51.100.9") // 128/1: gre1
	res := r.run(map[string][][]byte{"inner": {pktgen.Frame(low, 40, 1), pktgen.Frame(high, 40, 2)}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Len(t, res.out["inner"], 1)
	require.Len(t, res.out["uplink"], 1)
}

// TestReviewManyHostRoutes: a valid config with many long prefixes. The
// LPM tables were created with a fixed 256 (IPv4) and 1024 (IPv6) tbl8
// groups: every IPv4 route longer than /24 in its own /24 takes one, every
// IPv6 /128 up to 13, so 300 IPv4 /32 (or 150 IPv6 /128) routes made New
// fail with "tf_table_build: no space left on device".
func TestReviewManyHostRoutes(t *testing.T) {
	for _, c := range []struct {
		name  string
		n     int
		route func(i int) string
		dst   netip.Addr
		src   netip.Addr
	}{
		{"ipv4_32", 300, func(i int) string { return fmt.Sprintf("10.%d.%d.1/32", 100+i/256, i%256) },
			netip.MustParseAddr("10.101.43.1"), netip.MustParseAddr("10.1.0.2")},
		{"ipv6_128", 150, func(i int) string { return fmt.Sprintf("2001:db8:%x::1/128", 0x100+i*0x101) },
			netip.MustParseAddr(fmt.Sprintf("2001:db8:%x::1", 0x100+149*0x101)), netip.MustParseAddr("2001:db8:1::2")},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			for i := 0; i < c.n; i++ {
				fmt.Fprintf(&b, "\n[[route]]\nprefix = %q\ntunnel = \"gre1\"\n", c.route(i))
			}
			r := newRig(t)
			r.extra = b.String()
			f := innerFlow()
			f.Src, f.Dst = c.src, c.dst
			res := r.run(map[string][][]byte{"inner": {pktgen.Frame(f, 40, 1)}})
			require.Empty(t, nonZero(res.ctr.Drops))
			require.Len(t, res.out["uplink"], 1)
		})
	}
}

// TestReviewTrailerAcrossSegments: a jumbo GRE packet whose Ethernet
// trailer straddles the first segment boundary (net_pcap: 2048 bytes per
// segment). rte_pktmbuf_trim only cuts the last segment and linearize
// needs the whole chain to fit the first, so tf_trim failed and a legal
// packet was dropped as bad_ip_length.
func TestReviewTrailerAcrossSegments(t *testing.T) {
	r := newRig(t)
	r.ports = jumboPorts(9000, 9100, 9000)
	// outer: 14 eth + 20 ip + 12 gre (key, seq) + inner; frame ends at 2040 + 24 bytes trailer
	inner := ipPacket(pktgen.FrameOfSize(returnFlow(), 2040-46+14, 7))
	f := withTrailer(gre1Outer().frame(inner), 24)
	require.Len(t, f, 2064)
	res := r.run(map[string][][]byte{"uplink": {f}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Len(t, res.out["inner"], 1)
	requireInnerIP(t, inner, res.out["inner"][0][14:], "decap")
}

// TestReviewApplySlotReuse: Apply removes gre1 and adds gre3 (no route
// into it) in one step. The slot gre1 freed went straight to gre3 while
// workers still ran the old table: gre1's packets encapsulated between the
// counter baseline and the end of the grace period were counted as gre3's
// (and gre3's GRE sequence, reset before the publish, was advanced by them).
func TestReviewApplySlotReuse(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "inner.in.pcap")
	require.NoError(t, pktgen.WritePcap(in, pktgen.Mix(64, 8, innerFlow(), 1)))
	id := rigSeq.Add(1)
	text := func(tun, remote string, route bool) string {
		s := fmt.Sprintf(`
[dataplane]
workers = [1]
mbufs = 4095
idle_us = 0

[[port]]
name = "inner"
side = "inner"
mac = %q
addresses = ["10.1.0.1/24"]
vdev = "net_pcap_rv%d_inner,rx_pcap=%s,infinite_rx=1"

[[port]]
name = "uplink"
side = "underlay"
mac = %q
addresses = ["192.0.2.1/24"]
vdev = "net_null_rv%d_up,no-rx=1"

[[nexthop]]
ip = "192.0.2.2"
mac = %q
port = "uplink"

[[tunnel]]
name = %q
type = "gre"
local = "192.0.2.1"
remote = %q
nexthop = "192.0.2.2"
seq = true
`, innerMAC, id, in, uplinkMAC, id, uplinkPeer, tun, remote)
		if route {
			s += fmt.Sprintf("\n[[route]]\nprefix = \"10.2.0.0/16\"\ntunnel = %q\n", tun)
		}
		return s
	}
	a, err := conf.Parse([]byte(text("gre1", "192.0.2.2", true)), "a.toml")
	require.NoError(t, err)
	b, err := conf.Parse([]byte(text("gre3", "192.0.2.3", false)), "b.toml")
	require.NoError(t, err)
	g, err := New(a)
	require.NoError(t, err)
	defer g.Close()
	require.NoError(t, g.Start())
	defer g.Stop()
	tun := func(name string) TunnelCounters {
		for _, c := range g.Counters().Tunnels {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no tunnel %s", name)
		return TunnelCounters{}
	}
	waitEncap := func() {
		deadline := time.Now().Add(5 * time.Second)
		for tun("gre1").EncapPkts < 1000 {
			require.True(t, time.Now().Before(deadline), "gre1 carries no traffic")
			time.Sleep(time.Millisecond)
		}
	}
	var leaked uint64
	for i := 0; i < 10; i++ {
		waitEncap()
		require.NoError(t, g.Apply(b))
		leaked += tun("gre3").EncapPkts
		require.NoError(t, g.Apply(a))
	}
	require.Zero(t, leaked, "packets of removed gre1 counted as new gre3's (no route leads to gre3)")
}

// TestReviewPriorityTag: an 802.1Q tag with VID 0 carries only a priority
// (IEEE 802.1Q 9.6, "null VLAN ID"): the frame belongs to the untagged
// binding. It was looked up as VLAN 0, which no binding can name (vlan = 0
// means untagged), and dropped as no_l2_binding.
func TestReviewPriorityTag(t *testing.T) {
	fl := l2Flow()
	fl.VLAN = 5
	f := pktgen.Frame(fl, 40, 1)
	setU16(f, 14, 0x6000) // PCP 3, VID 0
	res := newRig(t).run(map[string][][]byte{"l2": {f}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Len(t, res.out["uplink"], 1)
	require.Equal(t, f, res.out["uplink"][0][50:], "carried as it came")
	require.EqualValues(t, 1, res.tunnel("vx1").EncapPkts)
}
