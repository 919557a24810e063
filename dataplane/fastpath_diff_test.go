package dataplane

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// The fast-path differential tests: many inputs the burst fast paths must
// handle exactly as the full classifier does, each run twice on a fresh
// gateway, as it comes and with the tap armed on every port (which sends
// every packet through the classifier one by one), comparing every output
// frame byte for byte and every counter. Bursts of 1, 64, 65 and 200; TTL
// 0/1/2 first, mid and last; MTU sweeps across the limit with and without
// DF; padding; TOS/ECN values; packets to the gateway through a default
// route into each inline tunnel; routes changing mid-burst; odd frames
// first, mid and last; mbuf chains; decap frames differing in one field.

const fvcExtra = gre7Tunnel + v2aTunnel + `
[[route]]
prefix = "10.8.0.0/16"
tunnel = "v2a"

[[route]]
prefix = "10.9.0.0/16"
via = "10.1.0.2"
`

func fvcDefault(tun string) string {
	return fmt.Sprintf("\n[[route]]\nprefix = \"0.0.0.0/0\"\ntunnel = %q\n", tun)
}

func fvcFix(p []byte) {
	p[10], p[11] = 0, 0
	binary.BigEndian.PutUint16(p[10:], ipv4Checksum(p[:ipHLOf(p)]))
}

// fvcEdit edits the IPv4 header of a frame (at 14) and fixes the checksum
func fvcEdit(f []byte, fn func(ip []byte)) []byte {
	f = append([]byte(nil), f...)
	fn(f[14:])
	fvcFix(f[14:])
	return f
}

// fvcSame runs in on port both ways on the base rig plus fvcExtra and extra.
func fvcSame(t *testing.T, extra, port string, in [][]byte) *result {
	t.Helper()
	return fvcSameRig(t, func() *rig {
		r := newRig(t)
		r.extra = fvcExtra + extra
		return r
	}, port, in)
}

// fvcTo: frame i (size bytes) of the inner flows to dst.
func fvcTo(dst string, i, size int) []byte {
	f := innerFlow()
	f.Dst = netip.MustParseAddr(dst)
	return pktgen.FrameOfSize(pktgen.FlowN(f, i%5), size, i)
}

// fvcN: k frames of the inner flows to dst, 64 to 463 bytes.
func fvcN(dst string, k int) [][]byte {
	f := innerFlow()
	f.Dst = netip.MustParseAddr(dst)
	return fvcSized(f, k)
}

func TestFastVsClassifierRouted(t *testing.T) {
	to, n := fvcTo, fvcN
	cat := func(parts ...[][]byte) [][]byte {
		var out [][]byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	one := func(f []byte) [][]byte { return [][]byte{f} }
	ttl := func(f []byte, v byte) []byte { return fvcEdit(f, func(ip []byte) { ip[8] = v }) }
	dfb := func(f []byte) []byte { return fvcEdit(f, func(ip []byte) { ip[6] |= 0x40 }) }
	tos := func(f []byte, v byte) []byte { return fvcEdit(f, func(ip []byte) { ip[1] = v }) }
	pad := func(f []byte, k int) []byte { return append(append([]byte(nil), f...), make([]byte, k)...) }
	echo := func(dst string, i int) []byte {
		f := innerFlow()
		f.Dst = netip.MustParseAddr(dst)
		f.Proto = pktgen.ProtoICMP
		return pktgen.FrameOfSize(f, 98, i)
	}
	udpTo := func(dst string, i int) []byte { return to(dst, i, 100) }
	tiny := func(dst string, i int) []byte { // 1-byte UDP payload: padded to 60 by pktgen?
		f := innerFlow()
		f.Dst = netip.MustParseAddr(dst)
		return pktgen.Frame(f, 1, i)
	}
	var sweep = func(dst string, df bool) [][]byte {
		var out [][]byte
		for s := 1474; s <= 1494; s++ {
			f := to(dst, s, s)
			if df {
				f = dfb(f)
			}
			out = append(out, f)
		}
		return out
	}
	mac := func(f []byte, b byte) []byte { f = append([]byte(nil), f...); f[0] = b; return f }

	type tc struct {
		name, extra string
		in          [][]byte
	}
	var cases []tc
	for _, dst := range []string{"10.7.0.9", "10.8.0.9", "10.2.0.9"} {
		d := dst
		cases = append(cases,
			tc{"b64-" + d, "", n(d, 64)},
			tc{"b1-" + d, "", n(d, 1)},
			tc{"b65-" + d, "", n(d, 65)},
			tc{"b200-" + d, "", n(d, 200)},
			tc{"ttl2-all-" + d, "", func() [][]byte {
				var o [][]byte
				for _, f := range n(d, 10) {
					o = append(o, ttl(f, 2))
				}
				return o
			}()},
			tc{"ttl1-first-" + d, "", cat(one(ttl(to(d, 0, 80), 1)), n(d, 10))},
			tc{"ttl1-mid-" + d, "", cat(n(d, 5), one(ttl(to(d, 0, 80), 1)), n(d, 5))},
			tc{"ttl0-mid-" + d, "", cat(n(d, 5), one(ttl(to(d, 0, 80), 0)), n(d, 5))},
			tc{"mtu-sweep-" + d, "", sweep(d, false)},
			tc{"mtu-sweep-df-" + d, "", sweep(d, true)},
			tc{"mtu-sweep-rev-df-" + d, "", func() [][]byte {
				s := sweep(d, true)
				for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
					s[i], s[j] = s[j], s[i]
				}
				return s
			}()},
			tc{"pad-first-" + d, "", cat(one(pad(to(d, 0, 200), 4)), n(d, 10))},
			tc{"pad-mid-" + d, "", cat(n(d, 5), one(pad(to(d, 0, 200), 1)), n(d, 5))},
			tc{"tiny-" + d, "", cat(one(tiny(d, 0)), n(d, 4), one(tiny(d, 1)), n(d, 3))},
			tc{"tos-ce-dscp-" + d, "", func() [][]byte {
				var o [][]byte
				for i, f := range n(d, 12) {
					o = append(o, tos(f, []byte{0xbb, 0x03, 0xfe, 0x01, 0x02, 0xff}[i%6]))
				}
				return o
			}()},
			tc{"bad-mac-first-" + d, "", cat(one(mac(to(d, 0, 90), 0xff)), n(d, 8))},
			tc{"bad-csum-first-" + d, "", cat(one(fvcEdit(to(d, 0, 90), func(ip []byte) {})), func() [][]byte {
				f := to(d, 1, 90)
				f[14+10] ^= 1
				return one(f)
			}(), n(d, 8))},
			tc{"local-mid-default-" + d, fvcDefault(map[string]string{"10.7.0.9": "gre7", "10.8.0.9": "v2a", "10.2.0.9": "gre1"}[d]),
				cat(n("10.99.0.1", 5), one(echo("10.1.0.1", 1)), n("10.99.0.2", 5), one(udpTo("192.0.2.1", 2)),
					n("10.99.0.3", 3), one(echo("192.0.2.1", 3)), n("10.99.0.4", 3))},
			tc{"local-first-default-" + d, fvcDefault(map[string]string{"10.7.0.9": "gre7", "10.8.0.9": "v2a", "10.2.0.9": "gre1"}[d]),
				cat(one(echo("10.1.0.1", 1)), n("10.99.0.1", 7), one(echo("192.0.2.1", 3)))},
			tc{"local-ttl1-default-" + d, fvcDefault(map[string]string{"10.7.0.9": "gre7", "10.8.0.9": "v2a", "10.2.0.9": "gre1"}[d]),
				cat(n("10.99.0.1", 3), one(ttl(echo("10.1.0.1", 1), 1)), n("10.99.0.2", 3))},
		)
	}
	cases = append(cases,
		tc{"route-change", "", cat(n("10.7.0.9", 5), n("10.8.0.9", 5), n("10.2.0.9", 5), n("10.9.0.1", 3),
			n("10.7.1.9", 3), n("10.99.0.1", 2), n("10.8.0.9", 4))},
		tc{"route-change-default", fvcDefault("gre7"), cat(n("10.7.0.9", 5), n("10.99.0.9", 5), n("10.8.0.9", 5),
			n("10.50.0.1", 5), n("10.7.0.9", 5))},
		tc{"route-alternate", "", func() [][]byte {
			var o [][]byte
			for i := 0; i < 40; i++ {
				o = append(o, to([]string{"10.7.0.9", "10.8.0.9", "10.2.0.9", "10.9.0.1"}[i%4], i, 64+i*13))
			}
			return o
		}()},
		tc{"nexthop-host-route", fvcDefault("gre7"), cat(n("10.7.0.9", 3), n("192.0.2.2", 3), n("10.1.0.2", 3), n("10.7.0.9", 3))},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fvcSame(t, c.extra, "inner", c.in) })
	}
}

func TestFastVsClassifierL2(t *testing.T) {
	sized := func(k int) [][]byte {
		var out [][]byte
		for i := 0; i < k; i++ {
			out = append(out, pktgen.FrameOfSize(pktgen.FlowN(l2Flow(), i%5), 64+(i*37)%400, i))
		}
		return out
	}
	cat := func(parts ...[][]byte) [][]byte {
		var out [][]byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tg := func(i int) []byte { return tagged(sized(1)[0], uint16(5+i)) }
	var sweep [][]byte
	for s := 1500; s <= 1524; s++ {
		sweep = append(sweep, pktgen.FrameOfSize(l2Flow(), s, s))
	}
	var tsweep [][]byte
	for s := 1500; s <= 1524; s++ {
		tsweep = append(tsweep, tagged(pktgen.FrameOfSize(l2Flow(), s, s), 7))
	}
	cases := []struct {
		name string
		in   [][]byte
	}{
		{"b64", sized(64)},
		{"b1", sized(1)},
		{"b65", sized(65)},
		{"tagged-first", cat([][]byte{tg(0)}, sized(10))},
		{"tagged-last", cat(sized(10), [][]byte{tg(1)})},
		{"tagged-only", [][]byte{tg(0), tg(1), tg(2)}},
		{"mtu-sweep", sweep},
		{"mtu-sweep-tagged", tsweep},
		{"runt-first", cat([][]byte{sized(1)[0][:14]}, sized(5))},
		{"runt13-mid", cat(sized(3), [][]byte{sized(1)[0][:13]}, sized(3))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fvcSame(t, "", "l2", c.in) })
	}
}

func TestFastVsClassifierUnderlay(t *testing.T) {
	ret := returnFlow()
	inner := func(dst string, i int) []byte {
		f := ret
		f.Dst = netip.MustParseAddr(dst)
		return ipPacket(pktgen.FrameOfSize(pktgen.FlowN(f, i%5), 64+(i*37)%400, i))
	}
	gre7 := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 70}}
	gre1 := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 40}}
	gre1s := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 40, SeqPresent: true, Seq: 5}}
	vx := vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 100, noCsum: true}
	l2 := func(i int) []byte { return pktgen.FrameOfSize(pktgen.FlowN(l2Flow(), i%5), 64+(i*37)%400, i) }
	greN := func(o greOuter, dst string, k int) [][]byte {
		var out [][]byte
		for i := 0; i < k; i++ {
			out = append(out, o.frame(inner(dst, i)))
		}
		return out
	}
	vxN := func(k int) [][]byte {
		var out [][]byte
		for i := 0; i < k; i++ {
			out = append(out, vx.frame(l2(i)))
		}
		return out
	}
	cat := func(parts ...[][]byte) [][]byte {
		var out [][]byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	outer := func(f []byte, fn func(ip []byte)) [][]byte { return [][]byte{fvcEdit(f, fn)} }
	raw := func(f []byte, fn func(f []byte)) [][]byte { f = append([]byte(nil), f...); fn(f); return [][]byte{f} }
	g0 := gre7.frame(inner("10.1.0.2", 9))
	v0 := vx.frame(l2(9))
	var vsweep [][]byte
	for s := 1500; s <= 1520; s++ {
		vsweep = append(vsweep, vx.frame(pktgen.FrameOfSize(l2Flow(), s, s)))
	}
	var vtsweep [][]byte
	for s := 1496; s <= 1520; s++ {
		vtsweep = append(vtsweep, vx.frame(tagged(pktgen.FrameOfSize(l2Flow(), s, s), 9)))
	}
	var gsweep [][]byte
	for s := 1490; s <= 1504; s++ {
		gsweep = append(gsweep, gre7.frame(ipPacket(pktgen.FrameOfSize(ret, s, s))))
	}
	cases := []struct {
		name, extra string
		in          [][]byte
	}{
		{"gre-b64", "", greN(gre7, "10.1.0.2", 64)},
		{"gre-b1", "", greN(gre7, "10.1.0.2", 1)},
		{"gre-outer-id-ttl-df", "", cat(greN(gre7, "10.1.0.2", 3), outer(g0, func(ip []byte) { ip[4] ^= 0x77; ip[8] = 1; ip[6] |= 0x40 }), greN(gre7, "10.1.0.2", 3))},
		{"gre-outer-ect0", "", cat(greN(gre7, "10.1.0.2", 3), outer(g0, func(ip []byte) { ip[1] = 0xb8 | 2 }), greN(gre7, "10.1.0.2", 3))},
		{"gre-outer-ce-mid", "", cat(greN(gre7, "10.1.0.2", 3), outer(g0, func(ip []byte) { ip[1] = 3 }), greN(gre7, "10.1.0.2", 3))},
		{"gre-key-differs", "", cat(greN(gre7, "10.1.0.2", 3), greN(gre1, "10.1.0.2", 3), greN(gre7, "10.1.0.2", 3))},
		{"gre-seq-mid", "", cat(greN(gre1, "10.1.0.2", 3), greN(gre1s, "10.1.0.2", 2), greN(gre1, "10.1.0.2", 3))},
		{"gre-seq-first", "", cat(greN(gre1s, "10.1.0.2", 2), greN(gre1, "10.1.0.2", 5))},
		{"gre-inner-route-change", "", cat(greN(gre7, "10.1.0.2", 3), greN(gre7, "10.9.0.5", 3), greN(gre7, "10.7.0.5", 3), greN(gre7, "10.1.0.2", 3))},
		{"gre-inner-to-gateway", "", cat(greN(gre7, "10.1.0.2", 3), greN(gre7, "10.1.0.1", 1), greN(gre7, "192.0.2.1", 1), greN(gre7, "10.1.0.2", 3))},
		{"gre-inner-to-gateway-default", fvcDefault("gre1"), cat(greN(gre7, "10.99.0.1", 3), greN(gre7, "10.1.0.1", 1), greN(gre7, "192.0.2.1", 1), greN(gre7, "10.99.0.2", 3))},
		{"gre-inner-ttl", "", cat(greN(gre7, "10.1.0.2", 2), raw(g0, func(f []byte) { ip := f[14+20+8:]; ip[8] = 2; fvcFix(ip) }),
			raw(g0, func(f []byte) { ip := f[14+20+8:]; ip[8] = 1; fvcFix(ip) }), greN(gre7, "10.1.0.2", 2))},
		{"gre-inner-pad", "", cat(greN(gre7, "10.1.0.2", 2), raw(g0, func(f []byte) {
			ip := f[14+20+8:]
			binary.BigEndian.PutUint16(ip[2:], binary.BigEndian.Uint16(ip[2:])-2)
			fvcFix(ip)
		}), greN(gre7, "10.1.0.2", 2))},
		{"gre-outer-pad", "", cat(greN(gre7, "10.1.0.2", 2), [][]byte{append(append([]byte(nil), g0...), 0, 0, 0)}, greN(gre7, "10.1.0.2", 2))},
		{"gre-mtu-sweep", "", gsweep},
		{"vx-b64", "", vxN(64)},
		{"vx-b1", "", vxN(1)},
		{"vx-vni-rsvd", "", cat(vxN(3), raw(v0, func(f []byte) { f[49] = 0x55 }), vxN(3))},
		{"vx-vni-rsvd-first", "", cat(raw(v0, func(f []byte) { f[49] = 0x55 }), vxN(3))},
		{"vx-flags-other", "", cat(vxN(3), raw(v0, func(f []byte) { f[42] |= 0x80; f[43] = 1; f[45] = 2 }), vxN(3))},
		{"vx-flags-other-first", "", cat(raw(v0, func(f []byte) { f[42] |= 0x80; f[43] = 1 }), vxN(3))},
		{"vx-src-sport", "", cat(vxN(3), outer(v0, func(ip []byte) { ip[12] = 9; ip[20] = 0x12 }), vxN(3))},
		{"vx-outer-ect0-ce", "", cat(vxN(3), outer(v0, func(ip []byte) { ip[1] = 2 }), outer(v0, func(ip []byte) { ip[1] = 3 }), vxN(3))},
		{"vx-outer-ect0-first", "", cat(outer(v0, func(ip []byte) { ip[1] = 2 }), vxN(3))},
		{"vx-mtu-sweep", "", vsweep},
		{"vx-mtu-sweep-tagged", "", vtsweep},
		{"vx-outer-pad", "", cat(vxN(2), [][]byte{append(append([]byte(nil), v0...), 0, 0)}, vxN(2))},
		{"vx-short-inner", "", cat(vxN(2), [][]byte{vx.frame(l2(1)[:14])}, vxN(2))},
		{"vx-short-inner-first", "", cat([][]byte{vx.frame(l2(1)[:14])}, vxN(2))},
		{"mixed-gre-vx", "", cat(greN(gre7, "10.1.0.2", 3), vxN(3), greN(gre7, "10.1.0.2", 3), vxN(3))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fvcSame(t, c.extra, "uplink", c.in) })
	}
}

// fvcSameRig runs in on port twice, on fresh rigs from mk: through the
// burst loops and with the tap armed (the classifier frame by frame), and
// requires the same frames on every port and the same counters.
func fvcSameRig(t *testing.T, mk func() *rig, port string, in [][]byte) *result {
	t.Helper()
	run := func(each bool) *result { return mk().runEach(map[string][][]byte{port: in}, each) }
	fast, each := run(false), run(true)
	for p, out := range each.out {
		require.Equal(t, len(out), len(fast.out[p]), "port %s frame count", p)
		for i := range out {
			require.Equal(t, out[i], fast.out[p][i], "port %s frame %d", p, i)
		}
	}
	fc, ec := fast.ctr, each.ctr
	fc.Polls, fc.BusyPolls, ec.Polls, ec.BusyPolls = 0, 0, 0, 0
	require.Equal(t, ec, fc)
	tx := map[string]int{}
	for p, o := range fast.out {
		tx[p] = len(o)
	}
	t.Logf("in %d tx %v drops %v icmp %v", len(in), tx, nonZero(fast.ctr.Drops), nonZero(fast.ctr.ICMPErrors))
	return fast
}

func fvcCat(parts ...[][]byte) [][]byte {
	var out [][]byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestFastVsClassifierJumbo(t *testing.T) {
	mk := func() *rig {
		r := newRig(t)
		r.ports = jumboPorts(9000, 9100, 9000)
		r.extra = fvcExtra
		return r
	}
	to := fvcTo
	mix := func(dst string) [][]byte {
		var o [][]byte
		for i, s := range []int{3000, 100, 8000, 2047, 2048, 2049, 1500, 9000, 9050, 9100, 4100, 64} {
			o = append(o, to(dst, i, s))
		}
		return o
	}
	ret := returnFlow()
	gre7 := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 70}}
	vx := vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 100, noCsum: true}
	var gdec, vdec, l2in [][]byte
	for i, s := range []int{3000, 100, 8000, 2047, 2048, 2049, 9000, 8990, 64} {
		gdec = append(gdec, gre7.frame(ipPacket(pktgen.FrameOfSize(pktgen.FlowN(ret, i%5), s, i))))
		vdec = append(vdec, vx.frame(pktgen.FrameOfSize(pktgen.FlowN(l2Flow(), i%5), s, i)))
		l2in = append(l2in, pktgen.FrameOfSize(pktgen.FlowN(l2Flow(), i%5), s, i))
	}
	big := func(dst string, k int) [][]byte {
		var o [][]byte
		for i := 0; i < k; i++ {
			o = append(o, to(dst, i, 3000+i*97))
		}
		return o
	}
	cases := []struct {
		name, port string
		in         [][]byte
	}{
		{"enc-gre7", "inner", mix("10.7.0.9")},
		{"enc-gre1", "inner", mix("10.2.0.9")},
		{"enc-v2a", "inner", mix("10.8.0.9")},
		{"enc-gre7-all-chains", "inner", big("10.7.0.9", 20)},
		{"enc-v2a-all-chains", "inner", big("10.8.0.9", 20)},
		{"enc-mixed-routes", "inner", fvcCat(big("10.7.0.9", 3), big("10.8.0.9", 3), big("10.9.0.1", 3), big("10.2.0.9", 3))},
		{"dec-gre7", "uplink", gdec},
		{"dec-vx", "uplink", vdec},
		{"l2-vx", "l2", l2in},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fvcSameRig(t, mk, c.port, c.in) })
	}
}

func TestFastVsClassifierSRv6(t *testing.T) {
	mk := func(extra string) func() *rig {
		return func() *rig {
			r := srv6Rig(t)
			r.extra += extra
			return r
		}
	}
	to := func(dst string, i, size int) []byte {
		return pktgen.FrameOfSize(pktgen.FlowN(flow6(dst), i%5), size, i)
	}
	n := func(dst string, k int) [][]byte {
		var o [][]byte
		for i := 0; i < k; i++ {
			o = append(o, to(dst, i, 64+(i*37)%400))
		}
		return o
	}
	ttl := func(f []byte, v byte) []byte { return fvcEdit(f, func(ip []byte) { ip[8] = v }) }
	dfb := func(f []byte) []byte { return fvcEdit(f, func(ip []byte) { ip[6] |= 0x40 }) }
	tos := func(f []byte, v byte) []byte { return fvcEdit(f, func(ip []byte) { ip[1] = v }) }
	pad := func(f []byte, k int) []byte { return append(append([]byte(nil), f...), make([]byte, k)...) }
	echo := func(dst string, i int) []byte {
		f := flow6(dst)
		f.Proto = pktgen.ProtoICMP
		return pktgen.FrameOfSize(f, 98, i)
	}
	sweep := func(dst string, df bool) [][]byte {
		var o [][]byte
		for s := 1400; s <= 1500; s += 4 {
			f := to(dst, s, s)
			if df {
				f = dfb(f)
			}
			o = append(o, f)
		}
		for s := 1420; s <= 1450; s++ {
			f := to(dst, s, s)
			if df {
				f = dfb(f)
			}
			o = append(o, f)
		}
		return o
	}
	type tc struct {
		name, extra string
		in          [][]byte
	}
	var cases []tc
	for _, d := range []string{"10.7.1.9", "10.7.2.9", "10.7.3.9"} {
		cases = append(cases,
			tc{"b64-" + d, "", n(d, 64)},
			tc{"b1-" + d, "", n(d, 1)},
			tc{"b65-" + d, "", n(d, 65)},
			tc{"ttl2-" + d, "", func() [][]byte {
				var o [][]byte
				for _, f := range n(d, 6) {
					o = append(o, ttl(f, 2))
				}
				return o
			}()},
			tc{"ttl1-first-" + d, "", fvcCat([][]byte{ttl(to(d, 0, 80), 1)}, n(d, 6))},
			tc{"ttl1-mid-" + d, "", fvcCat(n(d, 4), [][]byte{ttl(to(d, 0, 80), 1)}, n(d, 4))},
			tc{"mtu-sweep-" + d, "", sweep(d, false)},
			tc{"mtu-sweep-df-" + d, "", sweep(d, true)},
			tc{"pad-" + d, "", fvcCat([][]byte{pad(to(d, 0, 100), 3)}, n(d, 4), [][]byte{pad(to(d, 1, 100), 5)}, n(d, 4))},
			tc{"tos-" + d, "", func() [][]byte {
				var o [][]byte
				for i, f := range n(d, 12) {
					o = append(o, tos(f, []byte{0xbb, 0x03, 0xfe, 0x01, 0x02, 0xff}[i%6]))
				}
				return o
			}()},
		)
	}
	def := "\n[[route]]\nprefix = \"0.0.0.0/0\"\ntunnel = \"sr3\"\n"
	cases = append(cases,
		tc{"local-mid-default", def, fvcCat(n("10.99.0.1", 5), [][]byte{echo("10.1.0.1", 1)}, n("10.99.0.2", 5),
			[][]byte{echo("192.0.2.1", 2)}, n("10.99.0.3", 5))},
		tc{"local-first-default", def, fvcCat([][]byte{echo("10.1.0.1", 1)}, n("10.99.0.2", 5))},
		tc{"route-change", "", fvcCat(n("10.7.1.9", 4), n("10.7.2.9", 4), n("10.7.3.9", 4), n("10.7.1.9", 4), n("10.1.0.2", 2), n("10.7.3.9", 4))},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fvcSameRig(t, mk(c.extra), "inner", c.in) })
	}
}

// fvcL2TPRig makes rigs on the L2TP uniform test's ports and base config plus extra.
func fvcL2TPRig(t *testing.T, extra string) func() *rig {
	return func() *rig {
		r := newRig(t)
		r.conf = uniformL2TPBase
		r.ports = uniformL2TPPorts
		r.extra = extra
		return r
	}
}

// fvcSized: k frames of base's flows, 64 to 463 bytes.
func fvcSized(base pktgen.Flow, k int) [][]byte {
	var out [][]byte
	for i := 0; i < k; i++ {
		out = append(out, pktgen.FrameOfSize(pktgen.FlowN(base, i%5), 64+(i*37)%400, i))
	}
	return out
}

func TestFastVsClassifierL2TP(t *testing.T) {
	mk := func(extra string) func() *rig { return fvcL2TPRig(t, extra) }
	sized := fvcSized
	ret := returnFlow()
	ret.Dst = netip.MustParseAddr("10.1.9.5")
	peer := l2tpPeer{zeroCsum: true}
	v2a := v2msg{tid: 100, sid: 200}
	v2b := v2msg{tid: 100, sid: 201, l: true}
	v2aUDP := func(ip []byte) []byte { return peer.udp(v2a.bytes(append(pppFor(ip), ip...))) }
	v2bUDP := func(ip []byte) []byte { return peer.udp(v2b.bytes(append([]byte{0x21}, ip...))) }
	dec := func(wrap func([]byte) []byte, f pktgen.Flow, k int) [][]byte {
		var o [][]byte
		for _, fr := range sized(f, k) {
			o = append(o, wrap(ipPacket(fr)))
		}
		return o
	}
	gw := ret
	gw.Dst = netip.MustParseAddr("10.1.0.1")
	other := ret
	other.Dst = netip.MustParseAddr("10.1.0.2")
	var msweep [][]byte
	for s := 1390; s <= 1420; s++ {
		msweep = append(msweep, v2aUDP(ipPacket(pktgen.FrameOfSize(ret, s, s))))
	}
	v2aFlow := innerFlow()
	v2aFlow.Dst = netip.MustParseAddr("10.7.0.9")
	var esweep [][]byte
	for s := 1440; s <= 1500; s++ {
		esweep = append(esweep, pktgen.FrameOfSize(v2aFlow, s, s))
	}
	cookieIP := unhexT("01020304")
	var l2in, l2sweep, pwIn [][]byte
	l2in = sized(l2Flow(), 64)
	for s := 1390; s <= 1430; s++ {
		l2sweep = append(l2sweep, pktgen.FrameOfSize(l2Flow(), s, s))
	}
	for _, f := range sized(l2Flow(), 20) {
		pwIn = append(pwIn, peer.ip115(v3msg(false, 4096, cookieIP, nil, f)))
	}
	cases := []struct {
		name, port, extra string
		in                [][]byte
	}{
		{"v2a-dec-b64", "uplink", "", dec(v2aUDP, ret, 64)},
		{"v2b-dec-b64", "uplink", "", dec(v2bUDP, ret, 64)},
		{"v2a-dec-b1", "uplink", "", dec(v2aUDP, ret, 1)},
		{"v2-dec-mixed-sessions", "uplink", "", fvcCat(dec(v2aUDP, ret, 4), dec(v2bUDP, ret, 4), dec(v2aUDP, ret, 4))},
		{"v2-dec-route-change", "uplink", "", fvcCat(dec(v2aUDP, ret, 4), dec(v2aUDP, other, 4), dec(v2aUDP, gw, 2), dec(v2aUDP, ret, 4))},
		{"v2-dec-mtu-sweep", "uplink", "", msweep},
		{"v2-enc-mtu-sweep", "inner", "", esweep},
		{"v2-enc-b64", "inner", "", sized(v2aFlow, 64)},
		{"v3-enc-b64", "l2", uniformPWIP, l2in},
		{"v3-enc-sweep", "l2", uniformPWIP, l2sweep},
		{"v3-enc-tagged-first", "l2", uniformPWIP, fvcCat([][]byte{tagged(l2in[0], 3)}, l2in[:10])},
		{"v3-enc-tagged-last", "l2", uniformPWIP, fvcCat(l2in[:10], [][]byte{tagged(l2in[0], 3)})},
		{"v3-dec-b20", "uplink", uniformPWIP, pwIn},
		{"v3-dec-b1", "uplink", uniformPWIP, pwIn[:1]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fvcSameRig(t, mk(c.extra), c.port, c.in) })
	}
}

func TestFastVsClassifierL2TPFields(t *testing.T) {
	mk := func(extra string) func() *rig { return fvcL2TPRig(t, extra) }
	sized := fvcSized
	ret := returnFlow()
	ret.Dst = netip.MustParseAddr("10.1.9.5")
	peer := l2tpPeer{zeroCsum: true}
	cookieSub := unhexT("1112131415161718")
	edit := func(f []byte, fn func([]byte)) []byte { f = append([]byte(nil), f...); fn(f); return f }
	sub := func(s []byte) [][]byte {
		var o [][]byte
		for _, f := range sized(l2Flow(), 4) {
			o = append(o, peer.udp(v3msg(true, 4098, cookieSub, s, f)))
		}
		return o
	}
	v3u := func(k int) [][]byte {
		var o [][]byte
		for _, f := range sized(l2Flow(), k) {
			o = append(o, peer.udp(v3msg(true, 4097, nil, nil, f)))
		}
		return o
	}
	v2 := func(m v2msg, k int) [][]byte {
		var o [][]byte
		for _, f := range sized(ret, k) {
			ip := ipPacket(f)
			o = append(o, peer.udp(m.bytes(append(pppFor(ip), ip...))))
		}
		return o
	}
	a := v2msg{tid: 100, sid: 200}
	as := v2msg{tid: 100, sid: 200, s: true}
	// L2TPv3 UDP header starts at 14+20+8 = 42: flags/ver 42-43, reserved 44-45
	cases := []struct {
		name, port, extra string
		in                [][]byte
	}{
		{"v3-sub-seq-varies", "uplink", uniformPWUDPSub + uniformL2Bind, fvcCat(sub([]byte{0x40, 0, 0, 7}), sub([]byte{0, 0, 0, 0}), sub([]byte{0x40, 0xff, 0xff, 0xff}), sub([]byte{0xbf, 1, 2, 3}))},
		{"v3-sub-zero-first", "uplink", uniformPWUDPSub + uniformL2Bind, fvcCat(sub([]byte{0, 0, 0, 0}), sub([]byte{0x40, 0, 0, 1}))},
		{"v3-udp-reserved", "uplink", uniformPWUDP + uniformL2Bind, fvcCat(v3u(3), [][]byte{edit(v3u(1)[0], func(f []byte) { f[44] = 0xff; f[45] = 1 })}, v3u(3))},
		{"v3-udp-reserved-first", "uplink", uniformPWUDP + uniformL2Bind, fvcCat([][]byte{edit(v3u(1)[0], func(f []byte) { f[44] = 0xff })}, v3u(3))},
		{"v3-udp-flags-other", "uplink", uniformPWUDP + uniformL2Bind, fvcCat(v3u(3), [][]byte{edit(v3u(1)[0], func(f []byte) { f[42] |= 0x40 })}, v3u(3))},
		{"v2-seq", "uplink", "", fvcCat(v2(as, 5))},
		{"v2-seq-mixed", "uplink", "", fvcCat(v2(a, 3), v2(as, 3), v2(a, 3))},
		{"v2-prio-bit", "uplink", "", fvcCat(v2(a, 3), [][]byte{edit(v2(a, 1)[0], func(f []byte) { f[42] |= 0x01 })}, v2(a, 3))},
		{"v2-prio-bit-first", "uplink", "", fvcCat([][]byte{edit(v2(a, 1)[0], func(f []byte) { f[42] |= 0x01 })}, v2(a, 3))},
		{"v2-ns-varies", "uplink", "", fvcCat(v2(as, 2), [][]byte{edit(v2(as, 1)[0], func(f []byte) { f[48] = 9; f[50] = 7 })}, v2(as, 2))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fvcSameRig(t, mk(c.extra), c.port, c.in) })
	}
}

func TestFastVsClassifierL2Sweep(t *testing.T) {
	var sw [][]byte
	for s := 1440; s <= 1480; s++ {
		sw = append(sw, pktgen.FrameOfSize(pktgen.FlowN(l2Flow(), s%5), s, s))
	}
	rev := append([][]byte(nil), sw...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	cases := []struct {
		name string
		in   [][]byte
	}{
		{"vx-sweep", sw},
		{"vx-sweep-rev", rev},
		{"vx-sweep-tagged-first", fvcCat([][]byte{tagged(sw[0], 3)}, sw)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fvcSame(t, "", "l2", c.in) })
	}
	for _, c := range cases {
		t.Run("v3-"+c.name, func(t *testing.T) {
			fvcSameRig(t, fvcL2TPRig(t, uniformPWIP), "l2", c.in)
		})
	}
}

func TestFastVsClassifierRoutedMisc(t *testing.T) {
	to, n := fvcTo, fvcN
	v6 := pktgen.FrameOfSize(flow6("2001:db8:2::9"), 120, 1)
	tg := tagged(to("10.7.0.9", 1, 100), 5)
	long := fvcEdit(to("10.7.0.9", 2, 100), func(ip []byte) { binary.BigEndian.PutUint16(ip[2:], binary.BigEndian.Uint16(ip[2:])+6) })
	frag := fvcEdit(to("10.7.0.9", 3, 100), func(ip []byte) { ip[6] |= 0x20 })
	bcast := append([]byte(nil), to("10.7.0.9", 4, 100)...)
	copy(bcast, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	short := to("10.7.0.9", 5, 100)[:33]
	for _, d := range []string{"10.7.0.9", "10.8.0.9", "10.2.0.9"} {
		for name, odd := range map[string][]byte{"v6": v6, "tagged": tg, "totlen-long": long, "mf": frag, "bcast": bcast, "short33": short} {
			in := fvcCat([][]byte{odd}, n(d, 6), [][]byte{odd}, n(d, 6), [][]byte{odd})
			t.Run(d+"-"+name, func(t *testing.T) { fvcSame(t, "", "inner", in) })
		}
	}
}
