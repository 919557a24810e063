package dataplane

import (
	"net/netip"
	"sort"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// The burst loops follow the route of a burst's first packet: a route with
// no other route inside it (TF_RT_F_LEAF) by comparing the prefix, any
// other by looking each packet up. Here routes hold one another, and the
// packets of one burst alternate between them, the encap and the decap
// way: each must leave as its own longest prefix says (decoded by
// gopacket), and byte for byte as the classifier sends it (tap armed).
func TestBurstNestedRoutes(t *testing.T) {
	const extra = gre7Tunnel + `
[[nexthop]]
ip = "10.1.0.3"
mac = "02:00:00:00:01:03"
port = "inner"

[[tunnel]]
name = "gre8"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 80

[[route]]
prefix = "10.7.5.0/24"
via = "10.1.0.2"

[[route]]
prefix = "10.7.5.128/25"
tunnel = "gre8"

[[route]]
prefix = "10.9.0.0/16"
via = "10.1.0.2"

[[route]]
prefix = "10.9.1.0/24"
via = "10.1.0.3"
`
	// destination -> what must carry it: a GRE key, or a next hop's MAC
	type way struct {
		key uint32
		mac string
	}
	encap := map[string]way{
		"10.7.0.9":   {key: 70},
		"10.7.5.1":   {mac: innerPeer},
		"10.7.5.200": {key: 80},
		"10.7.9.3":   {key: 70},
		"10.2.0.7":   {key: 40},
	}
	decap := map[string]way{
		"10.9.0.5": {mac: innerPeer},
		"10.9.1.5": {mac: "02:00:00:00:01:03"},
		"10.9.2.5": {mac: innerPeer},
	}
	// runs of three of each destination; bursts of 32 that start on each
	order := func(m map[string]way) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		var out []string
		for b := range ks {
			for i := 0; i < 32; i++ {
				out = append(out, ks[(b+i/3)%len(ks)])
			}
		}
		return out
	}
	var encIn, decIn [][]byte
	for i, d := range order(encap) {
		f := pktgen.FlowN(innerFlow(), i%4)
		f.Dst = netip.MustParseAddr(d)
		encIn = append(encIn, pktgen.FrameOfSize(f, 64+(i*29)%300, i))
	}
	gre7 := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 70}}
	for i, d := range order(decap) {
		f := pktgen.FlowN(returnFlow(), i%4)
		f.Dst = netip.MustParseAddr(d)
		decIn = append(decIn, gre7.frame(ipPacket(pktgen.FrameOfSize(f, 64+(i*29)%300, i))))
	}
	check := func(t *testing.T, res *result, want map[string]way, n int) {
		got := 0
		for port, out := range res.out {
			for _, fr := range out {
				p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
				eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
				var ips []*layers.IPv4
				for _, l := range p.Layers() {
					if ip, ok := l.(*layers.IPv4); ok {
						ips = append(ips, ip)
					}
				}
				require.NotEmpty(t, ips, "port %s: %x", port, fr)
				inner := ips[len(ips)-1]
				w, ok := want[inner.DstIP.String()]
				require.True(t, ok, "port %s: to %s", port, inner.DstIP)
				if w.key != 0 {
					gre, ok := p.Layer(layers.LayerTypeGRE).(*layers.GRE)
					require.True(t, ok, "%s: not in GRE", inner.DstIP)
					require.Equal(t, w.key, gre.Key, "%s", inner.DstIP)
					require.Equal(t, "uplink", port)
				} else {
					require.Len(t, ips, 1, "%s: still in a tunnel", inner.DstIP)
					require.Equal(t, w.mac, eth.DstMAC.String(), "%s", inner.DstIP)
				}
				got++
			}
		}
		require.Equal(t, n, got)
	}
	for _, c := range []struct {
		name, port string
		in         [][]byte
		want       map[string]way
	}{
		{"encap", "inner", encIn, encap},
		{"decap", "uplink", decIn, decap},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := func(each bool) *result {
				r := newRig(t)
				r.extra = extra
				return r.runEach(map[string][][]byte{c.port: c.in}, each)
			}
			fast, ref := run(false), run(true)
			requireAllSent(t, fast, len(c.in))
			check(t, fast, c.want, len(c.in))
			requireSameRun(t, fast, ref, c.name)
		})
	}
}
