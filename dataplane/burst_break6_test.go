package dataplane

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/conf"
	"tunfwd/pktgen"
)

// TestBurstBreak6 tries to catch the burst paths (routed decaps taken from
// the first frame on up to the first that differs, bridged decaps the same
// way, leaf routes matched by prefix) sending or counting anything the
// per-packet classifier would not. Every input runs twice, once through the
// burst loops and once with the tap armed (every packet through the
// classifier), and both must give the same bytes and counters; the routed
// outputs are also checked against a longest-prefix match done here over
// the configuration, decoded by gopacket.

// b6Ports: the inner port with a small MTU and a second address (a
// fourth port does not probe in this rig).
var b6Ports = []rigPort{
	{"inner", "inner", innerMAC, "addresses = [\"10.1.0.1/24\", \"10.3.0.1/24\"]\nmtu = 600"},
	{"uplink", "underlay", uplinkMAC, `addresses = ["192.0.2.1/24"]`},
	{"l2", "inner", l2MAC, ""},
}

const b6Nexthops = `
[[nexthop]]
ip = "10.1.0.3"
mac = "02:00:00:00:01:03"
port = "inner"
`

const b6Nexthop2 = `
[[nexthop]]
ip = "10.3.0.2"
mac = "02:00:00:00:04:02"
port = "inner"
`

// b6Routes: nested routes, sibling leaves, adjacent /32 leaves, a route
// to a small-MTU port, a route into a tunnel, and a /32 route on an inner
// next hop's own address (the same prefix as its host route).
const b6Routes = `
[[route]]
prefix = "10.9.0.0/16"
via = "10.1.0.2"

[[route]]
prefix = "10.9.1.0/24"
via = "10.1.0.3"

[[route]]
prefix = "10.9.2.4/32"
via = "10.1.0.2"

[[route]]
prefix = "10.9.2.5/32"
via = "10.1.0.3"

[[route]]
prefix = "10.11.0.0/17"
via = "10.1.0.2"

[[route]]
prefix = "10.11.128.0/17"
via = "10.1.0.3"
`

const b6Routes2 = `
[[route]]
prefix = "10.9.1.7/32"
via = "10.3.0.2"

[[route]]
prefix = "10.10.0.0/16"
via = "10.3.0.2"

[[route]]
prefix = "10.1.0.3/32"
tunnel = "gre8"
`

const b6Tunnels = gre7Tunnel + `
[[tunnel]]
name = "gre8"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 80

[[tunnel]]
name = "gre9"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"

` + v2aTunnel + "\n" + v2bTunnel

const b6Default = `
[[route]]
prefix = "0.0.0.0/0"
via = "10.1.0.3"
`

// b6LPM is the longest-prefix match over a configuration's IPv4 routes and
// the host routes of its inner next hops (a configured route wins a tie:
// it is added after them).
type b6LPM struct {
	cfg    *conf.Config
	routes []conf.Route
}

func newB6LPM(t *testing.T, text string) *b6LPM {
	cfg, err := conf.Parse([]byte(text), "rig.toml")
	require.NoError(t, err)
	l := &b6LPM{cfg: cfg}
	for _, nh := range cfg.Nexthops {
		if _, p := cfg.Port(nh.Port); p != nil && p.Side == conf.SideInner {
			l.routes = append(l.routes, conf.Route{Prefix: netip.PrefixFrom(nh.IP, nh.IP.BitLen()), Via: nh.IP})
		}
	}
	l.routes = append(l.routes, cfg.Routes...)
	return l
}

func (l *b6LPM) lookup(dst netip.Addr) (conf.Route, bool) {
	best, bits := conf.Route{}, -1
	for _, r := range l.routes {
		if r.Prefix.Contains(dst) && r.Prefix.Bits() >= bits {
			best, bits = r, r.Prefix.Bits()
		}
	}
	return best, bits >= 0
}

// check: every frame sent left the way the longest prefix of its last IPv4
// header's destination says: a next hop's port and MAC, or the uplink in a
// GRE tunnel with its key (ICMP errors included: to their source).
func (l *b6LPM) check(t *testing.T, res *result) int {
	t.Helper()
	n := 0
	for port, out := range res.out {
		for _, fr := range out {
			p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
			var ips []*layers.IPv4
			for _, ly := range p.Layers() {
				if ip, ok := ly.(*layers.IPv4); ok {
					ips = append(ips, ip)
				}
			}
			if len(ips) == 0 {
				continue // IPv6 (SRv6 encaps of the outputs): port checked by the byte compare
			}
			ip := ips[len(ips)-1]
			dst, _ := netip.AddrFromSlice(ip.DstIP.To4())
			r, ok := l.lookup(dst)
			require.True(t, ok, "port %s: a frame to %s, which has no route", port, dst)
			if r.Via.IsValid() {
				_, nh := l.cfg.NexthopByIP(r.Via)
				eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
				require.Equal(t, nh.Port, port, "%s via %s", dst, r.Via)
				require.Equal(t, nh.MAC.String(), eth.DstMAC.String(), "%s via %s", dst, r.Via)
				require.Len(t, ips, 1, "%s: still in a tunnel", dst)
				require.Greater(t, ip.TTL, uint8(0))
			} else {
				require.Equal(t, "uplink", port, "%s into %s", dst, r.Tunnel)
				_, tun := l.cfg.Tunnel(r.Tunnel)
				if tun.Type == conf.TunnelGRE {
					gre, ok := p.Layer(layers.LayerTypeGRE).(*layers.GRE)
					require.True(t, ok, "%s: not in GRE", dst)
					want := uint32(0)
					if tun.Key != nil {
						want = *tun.Key
					}
					require.Equal(t, want, gre.Key, "%s into %s", dst, r.Tunnel)
				}
			}
			n++
		}
	}
	return n
}

// b6Same runs in through the burst loops and through the classifier and
// requires the same result; it returns the burst run.
func b6Same(t *testing.T, mk func() *rig, port string, in [][]byte, what string) *result {
	t.Helper()
	fast := mk().runEach(map[string][][]byte{port: in}, false)
	ref := mk().runEach(map[string][][]byte{port: in}, true)
	requireSameRun(t, fast, ref, what)
	return fast
}

// b6Bursts lays frames out in bursts of 32: for each kind k of the base
// frames, bursts of k with one odd frame first, second, in the middle,
// last but one and last, odd frames cycling through odds; then bursts of
// runs of 3 of each kind, a burst for every ordered pair of kinds (16 of
// one, 16 of the other), and a seeded random mix of kinds and odds.
func b6Bursts(kinds [][]byte, odds [][]byte, mk func(kind int, seq int) []byte) [][]byte {
	var out [][]byte
	o := 0
	for k := range kinds {
		for _, pos := range []int{0, 1, 15, 30, 31} {
			for i := 0; i < 32; i++ {
				if i == pos {
					out = append(out, odds[o%len(odds)])
					o++
				} else {
					out = append(out, mk(k, len(out)))
				}
			}
		}
	}
	for b := range kinds {
		for i := 0; i < 32; i++ {
			out = append(out, mk((b+i/3)%len(kinds), len(out)))
		}
	}
	// every ordered pair of kinds: a burst of one then the other
	for a := range kinds {
		for b := range kinds {
			if a == b {
				continue
			}
			for i := 0; i < 32; i++ {
				k := a
				if i >= 16 {
					k = b
				}
				out = append(out, mk(k, len(out)))
			}
		}
	}
	rng := rand.New(rand.NewSource(6))
	for i := 0; i < 8*32; i++ {
		if rng.Intn(6) == 0 {
			out = append(out, odds[rng.Intn(len(odds))])
		} else {
			out = append(out, mk(rng.Intn(len(kinds)), len(out)))
		}
	}
	return out
}

// b6Conf: base with an ICMP error bucket that never runs dry, so that
// errors do not depend on timing (the default burst is 10).
func b6Conf(base string) string {
	return strings.Replace(base, "mbufs = 4095", "mbufs = 4095\nicmp_error_rate = 1000000\nicmp_error_burst = 1000000", 1)
}

func b6Inner(dst string, l3, seq int, ttl uint8) []byte {
	f := pktgen.FlowN(returnFlow(), seq%4)
	f.Dst = netip.MustParseAddr(dst)
	if ttl != 0 {
		f.TTL = ttl
	}
	return ipPacket(pktgen.FrameOfSize(f, 14+l3, seq))
}

func b6Fix4(p []byte) []byte {
	p[10], p[11] = 0, 0
	binary.BigEndian.PutUint16(p[10:], ipv4Checksum(p[:20]))
	return p
}

func TestBurstBreak6(t *testing.T) {
	routedConf := func(withDefault bool) string {
		extra := b6Nexthops + b6Nexthop2 + b6Tunnels + b6Routes + b6Routes2
		if withDefault {
			extra += b6Default
		}
		return extra
	}
	routedRig := func(t *testing.T, extra string) func() *rig {
		return func() *rig {
			r := newRig(t)
			r.conf = b6Conf(baseConf)
			r.ports = b6Ports
			r.extra = extra
			return r
		}
	}
	// destinations a decap burst may start on, and what may break it
	dsts := []string{"10.9.0.5", "10.9.1.5", "10.9.1.7", "10.9.2.4", "10.9.2.5", "10.9.3.3",
		"10.10.0.9", "10.11.0.1", "10.11.200.1", "10.7.0.9", "10.1.0.3", "10.1.0.2", "10.99.0.1",
		"10.1.0.1", "10.3.0.1"}
	size := func(seq int) int { return 50 + (seq*37)%530 } // all within the inner MTU (600)
	inners := func() (kinds [][]byte, odds [][]byte, mk func(int, int) []byte) {
		mk = func(k, seq int) []byte { return b6Inner(dsts[k], size(seq), seq, 0) }
		for k := range dsts {
			kinds = append(kinds, mk(k, k))
		}
		odds = append(odds,
			b6Inner("10.9.1.7", 600, 1, 0), // exactly the inner MTU
			b6Inner("10.9.1.7", 601, 2, 0), // one past it
			b6Inner("10.10.0.9", 601, 3, 0),
			b6Inner("10.9.0.5", 1400, 4, 0),
			b6Inner("10.9.2.5", 100, 5, 1),
			b6Inner("10.9.2.4", 100, 6, 2),
			b6Inner("10.11.128.0", 100, 7, 0),
			b6Inner("10.11.127.255", 100, 8, 0),
			b6Fix4(append([]byte(nil), b6Inner("10.9.2.6", 100, 9, 0)...)),
		)
		bad := b6Inner("10.9.1.5", 100, 10, 0)
		bad[10] ^= 0x5a // inner checksum
		odds = append(odds, bad)
		ect := b6Inner("10.9.0.5", 100, 11, 0)
		ect[1] |= 2
		odds = append(odds, b6Fix4(ect))
		return kinds, odds, mk
	}

	type wrapper struct {
		name string
		wrap func(ip []byte) []byte
	}
	gre := func(key *uint32, tos uint8) func([]byte) []byte {
		o := greOuter{src: "192.0.2.2", dst: "192.0.2.1", tos: tos}
		if key != nil {
			o.gre = layers.GRE{KeyPresent: true, Key: *key}
		}
		return func(ip []byte) []byte { return o.frame(ip) }
	}
	peer := l2tpPeer{zeroCsum: true}
	v2a := v2msg{tid: 100, sid: 200}
	v2aS := v2msg{tid: 100, sid: 200, s: true}
	v2b := v2msg{tid: 100, sid: 201, l: true}
	wrappers := []wrapper{
		{"gre-key", gre(u32(70), 0)},
		{"gre-nokey", gre(nil, 0)},
		{"l2tpv2", func(ip []byte) []byte { return peer.udp(v2a.bytes(append(pppFor(ip), ip...))) }},
		{"l2tpv2-seq", func(ip []byte) []byte { return peer.udp(v2aS.bytes(append(pppFor(ip), ip...))) }},
		{"l2tpv2-len", func(ip []byte) []byte { return peer.udp(v2b.bytes(append([]byte{0x21}, ip...))) }},
	}
	for _, withDefault := range []bool{false, true} {
		extra := routedConf(withDefault)
		for _, w := range wrappers {
			name := fmt.Sprintf("decap/%s/default-%v", w.name, withDefault)
			t.Run(name, func(t *testing.T) {
				kinds, odds, mk := inners()
				wrap := func(fs [][]byte) [][]byte {
					var out [][]byte
					for _, f := range fs {
						out = append(out, w.wrap(f))
					}
					return out
				}
				// odd outer frames too: another tunnel, CE, ECT(0), a key the burst's first has not
				outerOdds := wrap(odds)
				ip := b6Inner("10.9.0.5", 100, 12, 0)
				outerOdds = append(outerOdds, gre(u32(80), 0)(ip), gre(u32(70), 3)(ip), gre(u32(70), 2)(ip),
					gre(nil, 2)(ip), peer.udp(v2b.bytes(append([]byte{0x21}, ip...))),
					l2tpPeer{zeroCsum: true, tos: 2}.udp(v2a.bytes(append(pppFor(ip), ip...))))
				in := b6Bursts(wrap(kinds), outerOdds, func(k, seq int) []byte { return w.wrap(mk(k, seq)) })
				mkRig := routedRig(t, extra)
				fast := b6Same(t, mkRig, "uplink", in, name)
				l := newB6LPM(t, mkRig().config())
				got := l.check(t, fast)
				require.NotZero(t, got)
				t.Logf("%d frames in, %d out, drops %v, icmp %v", len(in), got, nonZero(fast.ctr.Drops),
					nonZero(fast.ctr.ICMPErrors))
			})
		}
	}

	// End.DT4 with nested routes, End.DX4 with sizes round the inner MTU
	t.Run("srv6", func(t *testing.T) {
		srRig := func() *rig {
			r := srv6Rig(t)
			r.conf = b6Conf(baseConf)
			r.extra += b6Nexthops + b6Routes
			return r
		}
		sdsts := []string{"10.9.0.5", "10.9.1.5", "10.9.2.4", "10.9.2.5", "10.9.3.3", "10.11.0.1",
			"10.11.200.1", "10.7.1.9", "10.99.0.1", "10.1.0.2", "10.1.0.3"}
		two := func(sid string) []byte { return srh(4, 0, 1, []string{sid, "fc00:2::1"}, nil) }
		for _, sid := range []string{sidDT4, sidDX4} {
			t.Run(sid, func(t *testing.T) {
				sr := func(ip []byte) []byte { return srFrame(sid, 64, two(sid), ip) }
				mk := func(k, seq int) []byte {
					return sr(b6Inner(sdsts[k], 50+(seq*53)%1400, seq, 0))
				}
				var kinds [][]byte
				for k := range sdsts {
					kinds = append(kinds, mk(k, k))
				}
				odds := [][]byte{
					sr(b6Inner("10.9.0.5", 1500, 1, 0)),
					sr(b6Inner("10.9.0.5", 1501, 2, 0)),
					sr(b6Inner("10.9.2.5", 100, 3, 1)),
					sr(b6Inner("10.9.2.4", 100, 4, 2)),
					sr(b6Inner("10.11.128.0", 100, 5, 0)),
					srFrame(sidDT4, 64, two(sidDT4), b6Inner("10.9.1.5", 100, 6, 0)),
					srFrame(sidDX4, 64, two(sidDX4), b6Inner("10.9.0.5", 100, 7, 0)), // 10.1.0.2 both ways
					ip6Frame(uplinkMAC, peer6, sid, 64, 4, b6Inner("10.9.1.5", 100, 8, 0)),
				}
				in := b6Bursts(kinds, odds, mk)
				fast := b6Same(t, srRig, "uplink", in, sid)
				l := newB6LPM(t, srRig().config())
				if sid == sidDT4 {
					require.NotZero(t, l.check(t, fast))
				}
				t.Logf("%d frames in, drops %v, icmp %v", len(in), nonZero(fast.ctr.Drops), nonZero(fast.ctr.ICMPErrors))
			})
		}
	})

	// the encap runs: sibling and adjacent /32 leaves, nested routes, a
	// route over a gateway address, a default route
	encExtra := b6Nexthops + b6Nexthop2 + b6Tunnels + `
[[route]]
prefix = "10.20.0.0/25"
tunnel = "gre7"

[[route]]
prefix = "10.20.0.128/25"
tunnel = "gre8"

[[route]]
prefix = "10.20.1.0/32"
tunnel = "gre7"

[[route]]
prefix = "10.20.1.1/32"
tunnel = "gre8"

[[route]]
prefix = "10.20.1.2/32"
tunnel = "gre9"

[[route]]
prefix = "10.7.5.0/24"
via = "10.3.0.2"

[[route]]
prefix = "10.7.5.7/32"
tunnel = "gre8"

[[route]]
prefix = "10.3.0.0/30"
tunnel = "gre9"
`
	edsts := []string{"10.20.0.1", "10.20.0.127", "10.20.0.128", "10.20.0.255", "10.20.1.0", "10.20.1.1",
		"10.20.1.2", "10.7.5.7", "10.7.5.8", "10.7.0.1", "10.2.0.7", "10.3.0.1", "10.3.0.2", "10.3.0.3",
		"10.1.0.3", "10.20.2.0"}
	for _, withDefault := range []bool{false, true} {
		name := fmt.Sprintf("encap/default-%v", withDefault)
		t.Run(name, func(t *testing.T) {
			extra := encExtra
			if withDefault {
				extra += `
[[route]]
prefix = "0.0.0.0/0"
tunnel = "gre8"
`
			}
			mkRig := routedRig(t, extra)
			mk := func(k, seq int) []byte {
				f := pktgen.FlowN(innerFlow(), seq%4)
				f.Dst = netip.MustParseAddr(edsts[k])
				return pktgen.FrameOfSize(f, 64+(seq*29)%1300, seq)
			}
			var kinds [][]byte
			for k := range edsts {
				kinds = append(kinds, mk(k, k))
			}
			ttl1 := innerFlow()
			ttl1.Dst, ttl1.TTL = netip.MustParseAddr("10.20.0.1"), 1
			odds := [][]byte{pktgen.FrameOfSize(ttl1, 100, 1)}
			in := b6Bursts(kinds, odds, mk)
			fast := b6Same(t, mkRig, "inner", in, name)
			l := newB6LPM(t, mkRig().config())
			require.NotZero(t, l.check(t, fast))
		})
	}

	// routes changed live (the table rebuilt): a leaf gets a route inside
	// it and loses it again; each table must route as a fresh gateway
	// started on it does, and as the prefixes say
	t.Run("apply", func(t *testing.T) {
		base := b6Nexthops + b6Tunnels + `
[[route]]
prefix = "10.20.0.0/16"
via = "10.1.0.2"
`
		nested := base + `
[[route]]
prefix = "10.20.0.128/25"
via = "10.1.0.3"

[[route]]
prefix = "10.20.0.5/32"
tunnel = "gre8"
`
		dd := []string{"10.20.0.1", "10.20.0.5", "10.20.0.200", "10.20.9.9"}
		mk := func(k, seq int) []byte { return gre(u32(70), 0)(b6Inner(dd[k], size(seq), seq, 0)) }
		var kinds [][]byte
		for k := range dd {
			kinds = append(kinds, mk(k, k))
		}
		in := b6Bursts(kinds, [][]byte{gre(u32(70), 0)(b6Inner("10.20.0.6", 100, 1, 1))}, mk)
		encIn := func() [][]byte {
			var out [][]byte
			for i := 0; i < 32*len(dd)*3; i++ {
				f := pktgen.FlowN(innerFlow(), i%4)
				f.Dst = netip.MustParseAddr(dd[(i/5)%len(dd)])
				out = append(out, pktgen.FrameOfSize(f, 64+(i*29)%600, i))
			}
			return out
		}()
		for _, c := range []struct{ name, from, to string }{
			{"leaf-gets-nested", base, nested},
			{"nested-removed", nested, base},
		} {
			for _, dir := range []struct {
				port string
				in   [][]byte
			}{{"uplink", in}, {"inner", encIn}} {
				t.Run(c.name+"/"+dir.port, func(t *testing.T) {
					r := newRig(t)
					r.conf = b6Conf(baseConf)
					r.extra = c.to
					to, err := conf.Parse([]byte(r.config()), "rig.toml")
					require.NoError(t, err)
					r.extra = c.from
					g, total := r.open(map[string][][]byte{dir.port: dir.in})
					defer g.Close()
					require.NoError(t, g.Apply(to))
					require.NoError(t, g.Start())
					live := r.finish(g, total)

					fresh := func() *rig { r := newRig(t); r.conf = b6Conf(baseConf); r.extra = c.to; return r }
					ref := fresh().runEach(map[string][][]byte{dir.port: dir.in}, true)
					requireSameRun(t, live, ref, c.name)
					l := newB6LPM(t, fresh().config())
					require.NotZero(t, l.check(t, live))
				})
			}
		}
	})

	// the bridged decaps: a frame they refuse first, second, in the middle,
	// last but one and last, and across two bursts
	t.Run("bridged", func(t *testing.T) {
		vx := vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 100, noCsum: true}
		l2 := func(seq int, n int) []byte { return pktgen.FrameOfSize(pktgen.FlowN(l2Flow(), seq%5), n, seq) }
		spoilOuter := func(f []byte, fn func([]byte)) []byte {
			f = append([]byte(nil), f...)
			fn(f)
			return fixIPv4(f)
		}
		vxOdds := [][]byte{
			vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 101, noCsum: true}.frame(l2(1, 100)),
			vx.frame(l2(2, 1514)),
			vx.frame(l2(3, 1515)),
			vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 100}.frame(l2(4, 100)), // UDP checksum
			vxlanOuter{src: "192.0.2.78", dst: "192.0.2.1", vni: 100, noCsum: true}.frame(l2(5, 100)),
			vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 100, noCsum: true, tos: 3}.frame(l2(6, 100)),
			spoilOuter(vx.frame(l2(7, 100)), func(f []byte) { f[22] = 0 }), // outer TTL 0
			spoilOuter(vx.frame(l2(8, 100)), func(f []byte) { f[20] |= 0x20 }),
			append(vx.frame(l2(9, 100)), 0, 0, 0, 0), // trailing bytes past the IPv4 length
		}
		cookie := unhexT("01020304")
		pw := func(f []byte) []byte { return peer.ip115(v3msg(false, 4096, cookie, nil, f)) }
		pwOdds := [][]byte{
			peer.ip115(v3msg(false, 4097, cookie, nil, l2(1, 100))),
			peer.ip115(v3msg(false, 4096, unhexT("01020305"), nil, l2(2, 100))),
			pw(l2(3, 1400)),
			pw(l2(4, 1401)),
			pw(l2(5, 1514)),
			l2tpPeer{zeroCsum: true, tos: 3}.ip115(v3msg(false, 4096, cookie, nil, l2(6, 100))),
			spoilOuter(pw(l2(7, 100)), func(f []byte) { f[22] = 0 }),
			append(pw(l2(8, 100)), 0, 0),
		}
		for _, c := range []struct {
			name string
			mk   func() *rig
			good func(seq int) []byte
			odds [][]byte
		}{
			{"vxlan", func() *rig { r := newRig(t); r.conf = b6Conf(baseConf); return r }, func(seq int) []byte { return vx.frame(l2(seq, 64+(seq*37)%1400)) }, vxOdds},
			{"l2tpv3-ip", func() *rig {
				r := newRig(t)
				r.conf = b6Conf(uniformL2TPBase)
				r.ports = uniformL2TPPorts
				r.extra = uniformPWIP
				return r
			}, func(seq int) []byte { return pw(l2(seq, 64+(seq*37)%1300)) }, pwOdds},
		} {
			t.Run(c.name, func(t *testing.T) {
				in := b6Bursts([][]byte{c.good(0)}, c.odds, func(_ int, seq int) []byte { return c.good(seq) })
				// two bursts whose boundary falls between odd frames
				for i := 0; i < 64; i++ {
					if i == 31 || i == 32 {
						in = append(in, c.odds[i%len(c.odds)])
					} else {
						in = append(in, c.good(i))
					}
				}
				fast := b6Same(t, c.mk, "uplink", in, c.name)
				require.NotZero(t, len(fast.out["l2"]))
				for _, fr := range fast.out["l2"] {
					p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
					eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
					require.Equal(t, "02:00:00:00:bb:01", eth.DstMAC.String(), "the inner frame as it was sent")
				}
			})
		}
	})
}
