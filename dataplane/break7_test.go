package dataplane

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// TestBreak7*: the session-7 changes under attack. The decap bursts keep
// their sig mask per worker and kind (tf_dmask_get), keyed on the frame's
// shape: bursts here alternate shapes on the rig's one worker, across and
// within bursts, and must give what the per-packet classifier gives (tap
// armed). The encap templates carry IPv4's payload type: IPv6 inner
// packets, alone and mixed with IPv4 in a burst, must still carry IPv6's
// (decoded by gopacket). Frames round the mbuf data room (chains on the
// packed pool) go both ways with their bytes intact and the pool full again.

// b7Sum0 sets the IPv4 header at p (no options) so that its right checksum
// is 0x0000 (the other words sum to 0xffff, by the id), or with ffff the
// equivalent 0xffff: a checksum tf_cksum20_ok must take as the classifier does.
func b7Sum0(p []byte, ffff bool) []byte {
	p[4], p[5], p[10], p[11] = 0, 0, 0, 0
	c := ipv4Checksum(p[:20]) // ~sum of the others
	binary.BigEndian.PutUint16(p[4:], c)
	if ipv4Checksum(p[:20]) != 0 {
		panic("b7Sum0")
	}
	if ffff {
		p[10], p[11] = 0xff, 0xff
	}
	return p
}

// b7CheckIPv4 requires the IPv4 header's checksum right (gopacket's decode).
func b7CheckIPv4(t *testing.T, ip *layers.IPv4, what string) {
	t.Helper()
	h := ip.Contents
	require.Equal(t, ipv4Checksum(h), binary.BigEndian.Uint16(h[10:]), "%s: IPv4 header checksum %x", what, h)
	require.Equal(t, int(ip.Length), len(h)+len(ip.Payload), "%s: IPv4 total length", what)
}

// b7CheckOut decodes every frame a run sent: every IPv4 header (outer
// and inner) with a right checksum, every UDP length right.
func b7CheckOut(t *testing.T, res *result) {
	t.Helper()
	for port, out := range res.out {
		for i, fr := range out {
			p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
			what := fmt.Sprintf("port %s frame %d", port, i)
			for _, ly := range p.Layers() {
				switch l := ly.(type) {
				case *layers.IPv4:
					b7CheckIPv4(t, l, what)
				case *layers.UDP:
					require.Equal(t, int(l.Length), 8+len(l.Payload), "%s: UDP length", what)
				}
			}
		}
	}
}

func b7Ret(dst string, size, seq int) []byte {
	f := pktgen.FlowN(returnFlow(), seq%5)
	if dst != "" {
		f.Dst = netip.MustParseAddr(dst)
	}
	return ipPacket(pktgen.FrameOfSize(f, size, seq))
}

func b7Size(seq int) int { return 64 + (seq*53)%1300 }

// b7Decap runs the underlay frames in through both paths (b6Same), checks
// every output (b7CheckOut) and that some reached the inner port.
func b7Decap(t *testing.T, mk func() *rig, in [][]byte, what string) *result {
	t.Helper()
	fast := b6Same(t, mk, "uplink", in, what)
	b7CheckOut(t, fast)
	require.NotZero(t, len(fast.out["inner"]))
	t.Logf("%d in, %d out, drops %v", len(in), len(fast.out["inner"]), nonZero(fast.ctr.Drops))
	return fast
}

func TestBreak7DecapGREShapes(t *testing.T) {
	mk := func() *rig { r := newRig(t); r.extra = b6Tunnels; return r } // gre7..gre9 (and two L2TPv2 sessions)
	gre := func(g layers.GRE) func([]byte) []byte {
		o := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: g}
		return func(ip []byte) []byte { return o.frame(ip) }
	}
	shapes := []func([]byte) []byte{
		gre(layers.GRE{KeyPresent: true, Key: 70}),
		gre(layers.GRE{}),
		gre(layers.GRE{KeyPresent: true, Key: 80}),
	}
	kind := func(k, seq int) []byte { return shapes[k%3](b7Ret("", b7Size(seq), seq)) }
	var kinds [][]byte
	for k := range shapes {
		kinds = append(kinds, kind(k, k))
	}
	ip := func(seq int) []byte { return b7Ret("", 200, seq) }
	ttl1 := b6Fix4(append([]byte(nil), ip(3)...))
	ttl1[8] = 1
	b6Fix4(ttl1)
	badIn := append([]byte(nil), ip(4)...)
	badIn[10] ^= 0x33
	odds := [][]byte{
		gre(layers.GRE{SeqPresent: true, Seq: 5})(ip(1)),                            // glen 8 without a key
		gre(layers.GRE{ChecksumPresent: true})(ip(2)),                               // C bit
		gre(layers.GRE{KeyPresent: true, Key: 71})(ip(3)),                           // unknown key
		gre(layers.GRE{KeyPresent: true, Key: 70, SeqPresent: true, Seq: 1})(ip(5)), // key and seq
		gre(layers.GRE{KeyPresent: true, Key: 70})(ttl1),
		gre(layers.GRE{})(badIn),
		gre(layers.GRE{KeyPresent: true, Key: 70})(b7Sum0(ip(6), false)),
		gre(layers.GRE{KeyPresent: true, Key: 70})(b7Sum0(ip(7), true)),
		gre(layers.GRE{})(b7Sum0(ip(8), true)),
		gre(layers.GRE{KeyPresent: true, Key: 80})(b7Ret("", 1500, 9)),
		gre(layers.GRE{})(b7Ret("", 1460, 10)),
	}
	// an outer header whose checksum is 0xffff, not 0x0000
	o := gre(layers.GRE{})(ip(11))
	odds = append(odds, b7OuterSum(o, true), b7OuterSum(append([]byte(nil), o...), false))
	in := b6Bursts(kinds, odds, kind)
	// within bursts: the shapes alternating frame by frame
	for i := 0; i < 96; i++ {
		in = append(in, kind(i%3, i))
	}
	// the checksum edge cases as whole bursts of their own
	for i := 0; i < 40; i++ {
		in = append(in, odds[6+i%3])
	}
	b7Decap(t, mk, in, "gre shapes")
}

// b7OuterSum makes the outer IPv4 header's right checksum 0 (by its id), and
// writes it as 0xffff when ffff.
func b7OuterSum(f []byte, ffff bool) []byte {
	f = append([]byte(nil), f...)
	b7Sum0(f[14:], ffff)
	return f
}

func TestBreak7DecapL2TPv2Shapes(t *testing.T) {
	mk := fvcL2TPRig(t, "")
	peer := l2tpPeer{zeroCsum: true}
	addrPPP := []byte{0xff, 0x03, 0x00, 0x21}
	type shape struct {
		m   v2msg
		ppp []byte
		pri bool // the P bit
	}
	shapes := []shape{
		{v2msg{tid: 100, sid: 200}, addrPPP, false},
		{v2msg{tid: 100, sid: 200, s: true}, addrPPP, false},
		{v2msg{tid: 100, sid: 200}, []byte{0x00, 0x21}, false},
		{v2msg{tid: 100, sid: 200}, []byte{0x21}, false},
		{v2msg{tid: 100, sid: 200}, []byte{0xff, 0x03, 0x21}, false},
		{v2msg{tid: 100, sid: 200, l: true}, []byte{0x00, 0x21}, false}, // in_off as the first, flags not
		{v2msg{tid: 100, sid: 200, l: true, s: true}, addrPPP, false},
		{v2msg{tid: 100, sid: 201, l: true}, []byte{0x21}, false},
		{v2msg{tid: 100, sid: 201}, []byte{0x00, 0x21}, false},
		{v2msg{tid: 100, sid: 201, s: true}, []byte{0xff, 0x03, 0x21}, false},
		{v2msg{tid: 100, sid: 200}, addrPPP, true},
		{v2msg{tid: 100, sid: 200, s: true}, []byte{0x21}, false},
	}
	wrap := func(s shape, ip []byte) []byte {
		f := peer.udp(s.m.bytes(append(append([]byte(nil), s.ppp...), ip...)))
		if s.pri {
			f[42] |= 0x01
		}
		return f
	}
	kind := func(k, seq int) []byte { return wrap(shapes[k], b7Ret("", b7Size(seq)%1300, seq)) }
	var kinds [][]byte
	for k := range shapes {
		kinds = append(kinds, kind(k, k))
	}
	ip := func(seq int) []byte { return b7Ret("", 200, seq) }
	ttl1 := append([]byte(nil), ip(3)...)
	ttl1[8] = 1
	b6Fix4(ttl1)
	odds := [][]byte{
		peer.udp(v2msg{tid: 100, sid: 200, o: true, offset: 2}.bytes(append(append([]byte(nil), addrPPP...), ip(1)...))),
		peer.udp(v2msg{tid: 100, sid: 200, l: true, length: 7}.bytes(append([]byte{0x21}, ip(2)...))),
		wrap(shape{v2msg{tid: 100, sid: 200}, []byte{0xff, 0x03, 0x00, 0x57}, false}, ip(4)), // IPv6's protocol
		wrap(shapes[0], ttl1),
		wrap(shapes[0], b7Sum0(ip(5), true)),
		wrap(shapes[3], b7Sum0(ip(6), false)),
		wrap(shapes[5], b7Sum0(ip(7), true)),
		wrap(shape{v2msg{tid: 100, sid: 202}, addrPPP, false}, ip(8)), // unknown session
		wrap(shapes[0], b7Ret("", 1400, 9)),
		wrap(shapes[0], b7Ret("", 1401, 10)),
		b7OuterSum(wrap(shapes[6], ip(11)), true),
	}
	in := b6Bursts(kinds, odds, kind)
	for i := 0; i < 128; i++ {
		in = append(in, kind(i%len(shapes), i))
	}
	for i := 0; i < 64; i++ { // the same in_off (52), other flags, frame by frame
		in = append(in, kind([]int{0, 5}[i%2], i))
	}
	b7Decap(t, mk, in, "l2tpv2 shapes")
}

var b7L2Ports = []rigPort{
	{"uplink", "underlay", uplinkMAC, `addresses = ["192.0.2.1/24"]`},
	{"l2", "inner", l2MAC, ""},
	{"l2b", "inner", "02:00:00:00:04:01", ""},
}

type b7PW struct {
	udp    bool
	sid    uint32
	cookie string // hex, "" none
}

func (p b7PW) conf(name, port string) string {
	s := fmt.Sprintf("\n[[tunnel]]\nname = %q\ntype = \"l2tpv3\"\n", name)
	if !p.udp {
		s += "encap = \"ip\"\n"
	}
	s += fmt.Sprintf("local = \"192.0.2.1\"\nremote = \"192.0.2.2\"\nsession_id = %d\npeer_session_id = %d\n", p.sid, p.sid+1000)
	if p.cookie != "" {
		s += fmt.Sprintf("cookie = \"0x%s\"\npeer_cookie = \"0x%s\"\n", p.cookie, p.cookie)
	}
	return s + fmt.Sprintf("\n[[l2]]\nport = %q\ntunnel = %q\n", port, name)
}

func (p b7PW) frame(l2 []byte) []byte {
	var cookie []byte
	if p.cookie != "" {
		cookie = unhexT(p.cookie)
	}
	peer := l2tpPeer{zeroCsum: true}
	if p.udp {
		return peer.udp(v3msg(true, p.sid, cookie, nil, l2))
	}
	return peer.ip115(v3msg(false, p.sid, cookie, nil, l2))
}

func TestBreak7DecapL2TPv3Shapes(t *testing.T) {
	l2 := func(seq, n int) []byte { return pktgen.FrameOfSize(pktgen.FlowN(l2Flow(), seq%5), n, seq) }
	for _, c := range []struct {
		name string
		a, b b7PW
	}{
		{"ip4-udp8", b7PW{false, 4096, "01020304"}, b7PW{true, 4097, "1112131415161718"}},
		{"ip0-ip8", b7PW{false, 4096, ""}, b7PW{false, 4097, "1112131415161718"}},
		{"udp0-udp4", b7PW{true, 4096, ""}, b7PW{true, 4097, "a1a2a3a4"}},
		{"ip4-udp4", b7PW{false, 4096, "01020304"}, b7PW{true, 4097, "01020304"}},
		{"ip8-udp0", b7PW{false, 4096, "1112131415161718"}, b7PW{true, 4097, ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			mk := func() *rig {
				r := newRig(t)
				r.conf = rigUplinkHead
				r.ports = b7L2Ports
				r.extra = c.a.conf("pwa", "l2") + c.b.conf("pwb", "l2b")
				return r
			}
			pws := []b7PW{c.a, c.b}
			kind := func(k, seq int) []byte { return pws[k].frame(l2(seq, 64+(seq*41)%1400)) }
			kinds := [][]byte{kind(0, 0), kind(1, 1)}
			wrong := func(p b7PW) b7PW {
				if p.cookie == "" {
					p.sid += 7 // unknown session
				} else {
					b := unhexT(p.cookie)
					b[len(b)-1] ^= 1
					p.cookie = fmt.Sprintf("%x", b)
				}
				return p
			}
			odds := [][]byte{
				wrong(c.a).frame(l2(1, 100)),
				wrong(c.b).frame(l2(2, 100)),
				c.a.frame(l2(3, 1514)),
				c.b.frame(l2(4, 1515)),
				b7OuterSum(c.a.frame(l2(5, 100)), true),
				b7OuterSum(c.b.frame(l2(6, 100)), false),
				// the other session's shape with this one's id
				b7PW{c.b.udp, c.a.sid, c.b.cookie}.frame(l2(7, 100)),
				b7PW{c.a.udp, c.b.sid, c.a.cookie}.frame(l2(8, 100)),
			}
			in := b6Bursts(kinds, odds, kind)
			for i := 0; i < 96; i++ {
				in = append(in, kind(i%2, i))
			}
			fast := b6Same(t, mk, "uplink", in, c.name)
			b7CheckOut(t, fast)
			require.NotZero(t, len(fast.out["l2"]))
			require.NotZero(t, len(fast.out["l2b"]))
			// the inner frame as sent; but a frame with the other
			// session's cookie to a cookie-less session keeps it as frame bytes
			other := 0
			for _, port := range []string{"l2", "l2b"} {
				for _, fr := range fast.out[port] {
					p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
					eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
					if eth.DstMAC.String() != "02:00:00:00:bb:01" {
						require.Equal(t, "", c.a.cookie, "%s: %x", port, fr)
						require.Equal(t, "l2", port)
						require.Equal(t, unhexT(c.b.cookie)[:4], fr[:4], "%x", fr)
						other++
					}
				}
			}
			require.LessOrEqual(t, other, len(in)/len(odds)+1)
			t.Logf("%d in, l2 %d l2b %d, drops %v", len(in), len(fast.out["l2"]), len(fast.out["l2b"]),
				nonZero(fast.ctr.Drops))
		})
	}
}

func TestBreak7DecapSRv6Shapes(t *testing.T) {
	mk := func() *rig { return srv6Rig(t) }
	ret := returnFlow()
	ret.TOS = innerTOS
	v4 := func(seq, n int) []byte { return ipPacket(pktgen.FrameOfSize(pktgen.FlowN(ret, seq%5), n, seq)) }
	sl0 := func(sid string) []byte { return srh(4, 0, 0, []string{sid}, nil) }
	two := func(sid string) []byte { return srh(4, 0, 1, []string{sid, "fc00:2::1"}, nil) }
	three := func(sid string) []byte { return srh(4, 0, 2, []string{sid, "fc00:2::1", "fc00:3::1"}, nil) }
	shapes := []func(ip []byte) []byte{
		func(ip []byte) []byte { return srFrame(sidDX4, 64, sl0(sidDX4), ip) },
		func(ip []byte) []byte { return ip6Frame(uplinkMAC, peer6, sidDX4, 64, 4, ip) },
		func(ip []byte) []byte { return srFrame(sidDX4, 64, two(sidDX4), ip) },
		func(ip []byte) []byte { return srFrame(sidDT4, 64, sl0(sidDT4), ip) },
		func(ip []byte) []byte { return ip6Frame(uplinkMAC, peer6, sidDT4, 64, 4, ip) },
		func(ip []byte) []byte { return srFrame(sidDX4, 64, three(sidDX4), ip) },
	}
	kind := func(k, seq int) []byte { return shapes[k](v4(seq, b7Size(seq))) }
	var kinds [][]byte
	for k := range shapes {
		kinds = append(kinds, kind(k, k))
	}
	odds := [][]byte{
		srFrame(sidDX4, 64, srh(4, 1, 1, []string{sidDX4, "fc00:2::1"}, nil), v4(1, 100)), // SL 1
		srFrame(sidDX4, 64, srh(41, 0, 0, []string{sidDX4}, nil), v4(2, 100)),             // wrong next header
		ip6Frame(uplinkMAC, peer6, sidDX4, 64, 41, v4(3, 100)),
		srFrame(sidDX4, 64, sl0(sidDX4), b7Sum0(v4(4, 100), true)),
		ip6Frame(uplinkMAC, peer6, sidDX4, 64, 4, b7Sum0(v4(5, 100), false)),
		shapes[1](v4(6, 1500)),
		shapes[0](v4(7, 1501)),
		b7RType(srFrame(sidDX4, 64, sl0(sidDX4), v4(8, 100)), 0), // routing types not 4, SL 0
		b7RType(srFrame(sidDX4, 64, sl0(sidDX4), v4(9, 100)), 3),
		b7RType(srFrame(sidDX4, 64, two(sidDX4), v4(10, 100)), 0),
	}
	in := b6Bursts(kinds, odds, kind)
	for i := 0; i < 96; i++ { // SRH / no SRH frame by frame
		in = append(in, kind(i%2, i))
	}
	b7Decap(t, mk, in, "srv6 shapes")
}

// b7RType sets the routing type of the SRH after fr's IPv6 header.
func b7RType(fr []byte, typ byte) []byte {
	fr = append([]byte(nil), fr...)
	fr[14+40+2] = typ
	return fr
}

// b7EncIn: frames from the inner host, IPv4 to dst4 and IPv6 to dst6: whole
// bursts of each, then alternating frame by frame, then runs of 3.
func b7EncIn(dst4, dst6 string, sizes func(int) int) ([][]byte, []bool) {
	var in [][]byte
	var v6 []bool
	add := func(six bool, i int) {
		f := innerFlow()
		f.Dst = netip.MustParseAddr(dst4)
		if six {
			f = flow6(dst6)
		}
		in = append(in, pktgen.FrameOfSize(pktgen.FlowN(f, i%5), sizes(i), i))
		v6 = append(v6, six)
	}
	for i := 0; i < 32; i++ {
		add(false, i)
	}
	for i := 0; i < 32; i++ {
		add(true, i)
	}
	for i := 0; i < 64; i++ {
		add(i%2 == 1, i)
	}
	for i := 0; i < 64; i++ {
		add((i/3)%2 == 0, i)
	}
	for i := 0; i < 32; i++ {
		add(i != 0 && i != 31, i)
	}
	return in, v6
}

// b7SRH reads the SRH after the outer IPv6 header of fr (gopacket decodes
// no type 4 routing header): its Next Header and what follows it.
func b7SRH(t *testing.T, fr []byte) (layers.IPProtocol, []byte) {
	t.Helper()
	h := fr[14+40:]
	require.Equal(t, uint8(4), h[2], "routing type")
	return layers.IPProtocol(h[0]), h[8*(int(h[1])+1):]
}

// b7Inner requires the decoded inner packet to be the input's IP packet one hop on.
func b7Inner(t *testing.T, in []byte, got []byte, what string) {
	t.Helper()
	requireInnerIP(t, ipPacket(in), got, what)
}

// b7SRTunnels: SRv6 tunnels of 4 and 5 segments (templates of 126 and 142 bytes).
const b7SRTunnels = `
[[tunnel]]
name = "sr4"
type = "srv6"
local = "` + uplink6 + `"
segments = ["fc00:2::1", "fc00:3::2", "fc00:4::3", "fc00:5::4"]
nexthop = "` + peer6 + `"

[[route]]
prefix = "10.7.4.0/24"
tunnel = "sr4"

[[route]]
prefix = "2001:db8:74::/48"
tunnel = "sr4"

[[tunnel]]
name = "sr5"
type = "srv6"
local = "` + uplink6 + `"
segments = ["fc00:2::1", "fc00:3::2", "fc00:4::3", "fc00:5::4", "fc00:6::5"]
nexthop = "` + peer6 + `"

[[route]]
prefix = "10.7.5.0/24"
tunnel = "sr5"

[[route]]
prefix = "2001:db8:75::/48"
tunnel = "sr5"
`

// b7Encap runs IPv4 and IPv6 frames to d4 and d6 (b7EncIn) in through
// both paths (b6Same), checks every output (b7CheckOut) and that every
// frame left by the uplink; the outputs, inputs and which were IPv6.
func b7Encap(t *testing.T, mk func() *rig, d4, d6 string, sizes func(int) int, what string) (out, in [][]byte, v6 []bool) {
	t.Helper()
	in, v6 = b7EncIn(d4, d6, sizes)
	fast := b6Same(t, mk, "inner", in, what)
	b7CheckOut(t, fast)
	out = fast.out["uplink"]
	require.Len(t, out, len(in), "drops %v", nonZero(fast.ctr.Drops))
	return out, in, v6
}

// b7Type is the IPv4 or the IPv6 value of a type field, as v6 says.
func b7Type[T any](v6 bool, v4val, v6val T) T {
	if v6 {
		return v6val
	}
	return v4val
}

// b7GRE decodes frame i of a GRE encap run (gopacket) and checks its
// payload type against its own inner packet and the payload itself.
func b7GRE(t *testing.T, fr, in []byte, v6 bool, i int) *layers.GRE {
	t.Helper()
	p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
	g, ok := p.Layer(layers.LayerTypeGRE).(*layers.GRE)
	require.True(t, ok, "frame %d not GRE: %x", i, fr)
	require.Equal(t, b7Type(v6, layers.EthernetTypeIPv4, layers.EthernetTypeIPv6), g.Protocol, "frame %d GRE protocol", i)
	b7Inner(t, in, g.Payload, fmt.Sprintf("frame %d", i))
	return g
}

func TestBreak7EncapPayloadTypes(t *testing.T) {
	sizes := func(i int) int { return 80 + (i*61)%1300 }
	t.Run("gre", func(t *testing.T) {
		mk := func() *rig { r := newRig(t); r.ports = ipv6Ports; return r }
		out, in, v6 := b7Encap(t, mk, "10.2.0.9", "2001:db8:2::9", sizes, "gre encap")
		for i, fr := range out {
			require.Equal(t, uint32(40), b7GRE(t, fr, in[i], v6[i], i).Key)
		}
	})
	t.Run("gre-csum-and-gre6", func(t *testing.T) {
		const csumTun = `
[[tunnel]]
name = "grec"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 90
checksum = true

[[route]]
prefix = "10.12.0.0/16"
tunnel = "grec"

[[route]]
prefix = "2001:db8:12::/48"
tunnel = "grec"
`
		for _, c := range []struct{ name, d4, d6 string }{
			{"grec", "10.12.0.9", "2001:db8:12::9"},
			{"gre6", "10.6.0.9", "2001:db8:6::9"},
		} {
			t.Run(c.name, func(t *testing.T) {
				mk := func() *rig { r := ipv6Rig(t); r.extra += csumTun; return r }
				out, in, v6 := b7Encap(t, mk, c.d4, c.d6, sizes, c.name)
				for i, fr := range out {
					g := b7GRE(t, fr, in[i], v6[i], i)
					if g.ChecksumPresent {
						require.Equal(t, uint16(0xffff), onesSum(append(append([]byte(nil), g.Contents...), g.Payload...)),
							"frame %d GRE checksum", i)
					} else {
						require.Equal(t, "gre6", c.name)
					}
				}
			})
		}
	})
	t.Run("l2tpv2-over-ipv6", func(t *testing.T) {
		mk := func() *rig { return l2tpRig(t) }
		in, v6 := b7EncIn("10.9.0.9", "2001:db8:9::9", sizes)
		fast := b6Same(t, mk, "inner", in, "v2v6")
		out := fast.out["uplink"]
		require.Len(t, out, len(in), "drops %v", nonZero(fast.ctr.Drops))
		for i, fr := range out {
			p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
			ip6, ok := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
			require.True(t, ok, "frame %d not IPv6", i)
			u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
			require.True(t, ok, "frame %d not UDP", i)
			seg := append(append([]byte(nil), u.Contents...), u.Payload...)
			require.Equal(t, int(ip6.Length), len(seg))
			require.Equal(t, int(u.Length), len(seg), "frame %d UDP length", i)
			ph := append(append([]byte(nil), ip6.SrcIP.To16()...), ip6.DstIP.To16()...)
			ph = binary.BigEndian.AppendUint32(ph, uint32(len(seg)))
			ph = binary.BigEndian.AppendUint32(ph, 17)
			require.NotZero(t, u.Checksum, "frame %d: a zero UDP checksum over IPv6", i)
			require.Equal(t, uint16(0xffff), onesSum(append(ph, seg...)), "frame %d UDP checksum", i)
			b := u.Payload
			off := 2 + 4
			require.Equal(t, []byte{0xff, 0x03}, b[off:off+2])
			require.Equal(t, b7Type[uint16](v6[i], 0x0021, 0x0057), binary.BigEndian.Uint16(b[off+2:]),
				"frame %d PPP protocol", i)
			b7Inner(t, in[i], b[off+4:], fmt.Sprintf("frame %d", i))
		}
	})
	t.Run("l2tpv2", func(t *testing.T) {
		for _, c := range []struct {
			name, d4, d6 string
			lenBit, ac   bool
		}{
			{"v2a", "10.7.0.9", "2001:db8:7::9", false, true},
			{"v2b", "10.8.0.9", "2001:db8:8::9", true, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				mk := func() *rig {
					r := l2tpRig(t)
					r.extra += "\n[[route]]\nprefix = \"2001:db8:8::/48\"\ntunnel = \"v2b\"\n"
					return r
				}
				out, in, v6 := b7Encap(t, mk, c.d4, c.d6, sizes, c.name)
				for i, fr := range out {
					p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
					u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
					require.True(t, ok, "frame %d not UDP", i)
					require.Equal(t, layers.UDPPort(1701), u.DstPort)
					b := u.Payload
					fl := binary.BigEndian.Uint16(b)
					require.Equal(t, uint16(2), fl&0xf, "frame %d L2TP version", i)
					off := 2
					require.Equal(t, c.lenBit, fl&0x4000 != 0, "frame %d L bit", i)
					if c.lenBit {
						require.Equal(t, len(b), int(binary.BigEndian.Uint16(b[2:])), "frame %d L2TP Length", i)
						off += 2
					}
					off += 4
					if fl&0x0800 != 0 {
						off += 4
					}
					if c.ac {
						require.Equal(t, []byte{0xff, 0x03}, b[off:off+2], "frame %d PPP address, control", i)
						off += 2
					}
					require.Equal(t, b7Type[uint16](v6[i], 0x0021, 0x0057), binary.BigEndian.Uint16(b[off:]),
						"frame %d PPP protocol", i)
					inner := b[off+2:]
					if v6[i] {
						ip6 := gopacket.NewPacket(inner, layers.LayerTypeIPv6, gopacket.Default).Layer(layers.LayerTypeIPv6)
						require.NotNil(t, ip6, "frame %d inner IPv6", i)
					} else {
						ip4 := gopacket.NewPacket(inner, layers.LayerTypeIPv4, gopacket.Default).Layer(layers.LayerTypeIPv4)
						require.NotNil(t, ip4, "frame %d inner IPv4", i)
						b7CheckIPv4(t, ip4.(*layers.IPv4), "inner")
					}
					b7Inner(t, in[i], inner, fmt.Sprintf("frame %d", i))
				}
			})
		}
	})
	t.Run("srv6", func(t *testing.T) {
		for _, c := range []struct {
			name, d4, d6 string
			srh          bool
		}{
			{"sr3", "10.7.1.9", "2001:db8:7::9", true},
			{"sr3red", "10.7.2.9", "2001:db8:72::9", true},
			{"sr1red", "10.7.3.9", "2001:db8:73::9", false},
			{"sr4", "10.7.4.9", "2001:db8:74::9", true}, // a 126-byte template: the last in registers
			{"sr5", "10.7.5.9", "2001:db8:75::9", true}, // 142: the copying loop
		} {
			t.Run(c.name, func(t *testing.T) {
				mk := func() *rig {
					r := srv6Rig(t)
					r.extra += "\n[[route]]\nprefix = \"2001:db8:72::/48\"\ntunnel = \"sr3red\"\n" +
						"\n[[route]]\nprefix = \"2001:db8:73::/48\"\ntunnel = \"sr1red\"\n" + b7SRTunnels
					return r
				}
				out, in, v6 := b7Encap(t, mk, c.d4, c.d6, sizes, c.name)
				for i, fr := range out {
					p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.NoCopy)
					ip6, ok := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
					require.True(t, ok, "frame %d not IPv6", i)
					require.Equal(t, len(fr)-14-40, int(ip6.Length), "frame %d payload length", i)
					want := b7Type(v6[i], layers.IPProtocolIPv4, layers.IPProtocolIPv6)
					next, rest := ip6.NextHeader, fr[14+40:]
					if c.srh {
						require.Equal(t, layers.IPProtocolIPv6Routing, next, "frame %d", i)
						next, rest = b7SRH(t, fr)
					}
					require.Equal(t, want, next, "frame %d inner next header", i)
					b7Inner(t, in[i], rest, fmt.Sprintf("frame %d", i))
				}
			})
		}
	})
}

// Frames round the mbuf data room (2048): single mbufs near its end on
// the packed pool, and chains of two, through the encaps and decaps.
func TestBreak7BigFrames(t *testing.T) {
	sizes := func(i int) int { return 1400 + (i*43)%800 }
	extra := gre7Tunnel + v2aTunnel + "\n[[route]]\nprefix = \"10.8.0.0/16\"\ntunnel = \"v2a\"\n"
	mk := func() *rig {
		r := newRig(t)
		r.ports = jumboPorts(9000, 9100, 9000)
		r.extra = extra
		return r
	}
	t.Run("encap", func(t *testing.T) {
		var in [][]byte
		for i := 0; i < 160; i++ {
			f := innerFlow()
			f.Dst = netip.MustParseAddr([]string{"10.7.0.9", "10.8.0.9"}[(i/32+i/7)%2])
			in = append(in, pktgen.FrameOfSize(pktgen.FlowN(f, i%5), sizes(i), i))
		}
		fast := b6Same(t, mk, "inner", in, "big encap")
		requireAllSent(t, fast, len(in))
		b7CheckOut(t, fast)
		for i, fr := range fast.out["uplink"] {
			p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
			var inner []byte
			if g, ok := p.Layer(layers.LayerTypeGRE).(*layers.GRE); ok {
				require.Equal(t, layers.EthernetTypeIPv4, g.Protocol)
				inner = g.Payload
			} else {
				u := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
				inner = u.Payload[6+4:] // flags, ids, PPP ff03 0021
				require.Equal(t, []byte{0xff, 0x03, 0x00, 0x21}, u.Payload[6:10])
			}
			b7Inner(t, in[i], inner, fmt.Sprintf("frame %d", i))
		}
	})
	t.Run("decap", func(t *testing.T) {
		g7 := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 70}}
		peer := l2tpPeer{zeroCsum: true}
		var in, ips [][]byte
		for i := 0; i < 160; i++ {
			ip := b7Ret("", sizes(i), i)
			ips = append(ips, ip)
			if (i/32+i/5)%2 == 0 {
				in = append(in, g7.frame(ip))
			} else {
				in = append(in, peer.udp(v2msg{tid: 100, sid: 200}.bytes(append(pppFor(ip), ip...))))
			}
		}
		fast := b6Same(t, mk, "uplink", in, "big decap")
		requireAllSent(t, fast, len(in))
		b7CheckOut(t, fast)
		for i, fr := range fast.out["inner"] {
			requireInnerIP(t, ips[i], ipPacket(fr), fmt.Sprintf("frame %d", i))
		}
	})
	t.Run("srv6", func(t *testing.T) {
		ports := append([]rigPort(nil), ipv6Ports...)
		for i := range ports {
			ports[i].keys += "\nmtu = 9000"
		}
		mkS := func() *rig { r := srv6Rig(t); r.ports = ports; return r }
		var enc, dec, ips [][]byte
		for i := 0; i < 96; i++ {
			f := innerFlow()
			f.Dst = netip.MustParseAddr("10.7.1.9")
			enc = append(enc, pktgen.FrameOfSize(pktgen.FlowN(f, i%5), sizes(i), i))
			ip := b7Ret("", sizes(i), i)
			ips = append(ips, ip)
			if i%3 == 0 {
				dec = append(dec, ip6Frame(uplinkMAC, peer6, sidDX4, 64, 4, ip))
			} else {
				dec = append(dec, srFrame(sidDX4, 64, srh(4, 0, 0, []string{sidDX4}, nil), ip))
			}
		}
		fe := b6Same(t, mkS, "inner", enc, "big srv6 encap")
		requireAllSent(t, fe, len(enc))
		for i, fr := range fe.out["uplink"] {
			p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
			ip6, ok := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
			require.True(t, ok, "frame %d not IPv6", i)
			require.Equal(t, layers.IPProtocolIPv6Routing, ip6.NextHeader)
			require.Equal(t, len(fr)-14-40, int(ip6.Length), "frame %d payload length", i)
			next, rest := b7SRH(t, fr)
			require.Equal(t, layers.IPProtocolIPv4, next)
			b7Inner(t, enc[i], rest, fmt.Sprintf("frame %d", i))
		}
		fd := b6Same(t, mkS, "uplink", dec, "big srv6 decap")
		requireAllSent(t, fd, len(dec))
		b7CheckOut(t, fd)
		for i, fr := range fd.out["inner"] {
			requireInnerIP(t, ips[i], ipPacket(fr), fmt.Sprintf("frame %d", i))
		}
	})
}

// b7Split cuts f into segments at the offsets cuts (those inside f).
func b7Split(f []byte, cuts ...int) [][]byte {
	var out [][]byte
	last := 0
	for _, c := range cuts {
		if c > last && c < len(f) {
			out = append(out, f[last:c])
			last = c
		}
	}
	return append(out, f[last:])
}

// TestBreak7Chains: frames given as chains of mbufs cut at header
// boundaries and round the 64 bytes the decap bursts compare, mixed into
// bursts of whole frames, through the encap and decap paths.
func TestBreak7Chains(t *testing.T) {
	extra := gre7Tunnel + v2aTunnel + "\n[[route]]\nprefix = \"10.8.0.0/16\"\ntunnel = \"v2a\"\n"
	mk := func() *rig {
		r := newRig(t)
		r.ports = jumboPorts(9000, 9100, 9000)
		r.extra = extra
		return r
	}
	srPorts := append([]rigPort(nil), ipv6Ports...)
	for i := range srPorts {
		srPorts[i].keys += "\nmtu = 9000"
	}
	mkS := func() *rig { r := srv6Rig(t); r.ports = srPorts; return r }
	cutsets := [][]int{nil, {14}, {34}, {42}, {50}, {60}, {62}, {63}, {64}, {65}, {70}, {100}, {14, 34, 62, 64},
		{2048}, {1000, 1001}, {94}, {96}}
	g7 := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 70}}
	g0 := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 40}}
	peer := l2tpPeer{zeroCsum: true}
	chains := func(n int, mkf func(i int) []byte) [][][]byte {
		var out [][][]byte
		for i := 0; i < n; i++ {
			f := mkf(i)
			if (i/7)%2 == 0 {
				out = append(out, [][]byte{f})
			} else {
				out = append(out, b7Split(f, cutsets[i%len(cutsets)]...))
			}
		}
		return out
	}
	size := func(i int) int { return 64 + (i*97)%2300 }
	for _, c := range []struct {
		name string
		mk   func() *rig
		port string
		in   func(i int) []byte
	}{
		{"dec-gre", mk, "uplink", func(i int) []byte { return g7.frame(b7Ret("", size(i), i)) }},
		{"dec-gre-mixed-keys", mk, "uplink", func(i int) []byte {
			if i%3 == 0 {
				return g0.frame(b7Ret("", size(i), i))
			}
			return g7.frame(b7Ret("", size(i), i))
		}},
		{"dec-l2tpv2", mk, "uplink", func(i int) []byte {
			ip := b7Ret("", size(i), i)
			return peer.udp(v2msg{tid: 100, sid: 200, s: i%4 == 0}.bytes(append(pppFor(ip), ip...)))
		}},
		{"dec-srv6", mkS, "uplink", func(i int) []byte {
			ip := b7Ret("", size(i), i)
			if i%5 == 0 {
				return ip6Frame(uplinkMAC, peer6, sidDX4, 64, 4, ip)
			}
			return srFrame(sidDX4, 64, srh(4, 0, 0, []string{sidDX4}, nil), ip)
		}},
		{"enc-gre-l2tp", mk, "inner", func(i int) []byte {
			f := innerFlow()
			f.Dst = netip.MustParseAddr([]string{"10.7.0.9", "10.8.0.9", "10.2.0.9"}[(i/9)%3])
			return pktgen.FrameOfSize(pktgen.FlowN(f, i%5), size(i), i)
		}},
		{"enc-srv6", mkS, "inner", func(i int) []byte {
			if i%4 == 3 {
				return pktgen.FrameOfSize(pktgen.FlowN(flow6("2001:db8:7::9"), i%5), size(i), i)
			}
			f := innerFlow()
			f.Dst = netip.MustParseAddr("10.7.1.9")
			return pktgen.FrameOfSize(pktgen.FlowN(f, i%5), size(i), i)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := chains(256, c.in)
			fast := ebRunChains(t, c.mk, c.port, in, false)
			each := ebRunChains(t, c.mk, c.port, in, true)
			requireSameRun(t, fast, each, c.name)
			b7CheckOut(t, fast)
			sent := 0
			for _, o := range fast.out {
				sent += len(o)
			}
			// headers cut across segments are dropped as truncated (both
			// ways alike); every chain with its first 100 bytes whole is sent
			whole := 0
			for _, ch := range in {
				if len(ch[0]) >= 100 {
					whole++
				}
			}
			require.GreaterOrEqual(t, sent, whole, "drops %v", nonZero(fast.ctr.Drops))
			for k := range nonZero(fast.ctr.Drops) {
				require.Contains(t, []string{"truncated", "srh_truncated"}, k)
			}
			t.Logf("%d in, drops %v", len(in), nonZero(fast.ctr.Drops))
		})
	}
}

// TestBreak7DecapKindsMixed: the decap kinds (GRE with and without a key,
// L2TPv2 shapes, L2TPv3 over IP, SRv6 with and without an SRH) in bursts
// of one after the other on the one worker: each kind keeps its own mask.
func TestBreak7DecapKindsMixed(t *testing.T) {
	mk := func() *rig {
		r := srv6Rig(t)
		r.conf = strings.Replace(baseConf, "[[l2]]\nport = \"l2\"\ntunnel = \"vx1\"\n", "", 1)
		require.NotEqual(t, baseConf, r.conf)
		r.extra += v2aTunnel + `
[[tunnel]]
name = "gre9"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
` + uniformPWIP
		return r
	}
	peer := l2tpPeer{zeroCsum: true}
	g40 := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 40}}
	g0 := greOuter{src: "192.0.2.2", dst: "192.0.2.1"}
	cookie := unhexT("01020304")
	l2 := func(seq, n int) []byte { return pktgen.FrameOfSize(pktgen.FlowN(l2Flow(), seq%5), n, seq) }
	shapes := []func(seq int) []byte{
		func(seq int) []byte { return g40.frame(b7Ret("", b7Size(seq), seq)) },
		func(seq int) []byte { return g0.frame(b7Ret("", b7Size(seq), seq)) },
		func(seq int) []byte {
			ip := b7Ret("", b7Size(seq), seq)
			return peer.udp(v2msg{tid: 100, sid: 200}.bytes(append(pppFor(ip), ip...)))
		},
		func(seq int) []byte {
			ip := b7Ret("", b7Size(seq), seq)
			return peer.udp(v2msg{tid: 100, sid: 200, l: true, s: true}.bytes(append([]byte{0x21}, ip...)))
		},
		func(seq int) []byte { return peer.ip115(v3msg(false, 4096, cookie, nil, l2(seq, 64+(seq*41)%1400))) },
		func(seq int) []byte {
			return srFrame(sidDX4, 64, srh(4, 0, 0, []string{sidDX4}, nil), b7Ret("", b7Size(seq), seq))
		},
		func(seq int) []byte { return ip6Frame(uplinkMAC, peer6, sidDX4, 64, 4, b7Ret("", b7Size(seq), seq)) },
		func(seq int) []byte {
			return srFrame(sidDT4, 64, srh(4, 0, 1, []string{sidDT4, "fc00:2::1"}, nil), b7Ret("", b7Size(seq), seq))
		},
	}
	kind := func(k, seq int) []byte { return shapes[k](seq) }
	var kinds [][]byte
	for k := range shapes {
		kinds = append(kinds, kind(k, k))
	}
	odds := [][]byte{
		greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 41}}.frame(b7Ret("", 100, 1)),
		peer.ip115(v3msg(false, 4096, unhexT("01020305"), nil, l2(2, 100))),
		srFrame(sidDX4, 64, srh(4, 1, 1, []string{sidDX4, "fc00:2::1"}, nil), b7Ret("", 100, 3)),
	}
	in := b6Bursts(kinds, odds, kind)
	for i := 0; i < 256; i++ { // every kind after every other, frame by frame
		in = append(in, kind((i*5+i/8)%len(shapes), i))
	}
	fast := b6Same(t, mk, "uplink", in, "kinds mixed")
	b7CheckOut(t, fast)
	require.NotZero(t, len(fast.out["inner"]))
	require.NotZero(t, len(fast.out["l2"]))
	t.Logf("%d in, inner %d l2 %d, drops %v", len(in), len(fast.out["inner"]), len(fast.out["l2"]), nonZero(fast.ctr.Drops))
}

// TestBreak7L2TPv2MaskKey: the cached L2TPv2 decap mask must be keyed by
// the flags as well as the inner offset. A burst with the Length field
// (ids at 46) caches its mask; the next burst has the same inner offset
// (52) without it (ids at 44), and a frame whose only difference from the
// first is its tunnel id: under the first burst's mask that id is not
// compared, and the fast path would take the frame into the first one's
// session, where the classifier drops it (unknown tunnel).
func TestBreak7L2TPv2MaskKey(t *testing.T) {
	mk := fvcL2TPRig(t, "")
	peer := l2tpPeer{zeroCsum: true}
	withLen := func(seq int) []byte {
		return peer.udp(v2msg{tid: 100, sid: 200, l: true}.bytes(append([]byte{0x00, 0x21}, b7Ret("", 200, seq)...)))
	}
	plain := func(tid uint16, seq int) []byte {
		return peer.udp(v2msg{tid: tid, sid: 200}.bytes(append([]byte{0xff, 0x03, 0x00, 0x21}, b7Ret("", 200, seq)...)))
	}
	var in [][]byte
	for round := 0; round < 4; round++ {
		for i := 0; i < 32; i++ {
			in = append(in, withLen(i))
		}
		for i := 0; i < 32; i++ {
			tid := uint16(100)
			if i == 1+round*7 {
				tid = 101 // the only byte that differs: the tunnel id
			}
			in = append(in, plain(tid, i))
		}
	}
	fast := b6Same(t, mk, "uplink", in, "l2tpv2 mask key")
	b7CheckOut(t, fast)
	require.Len(t, fast.out["inner"], len(in)-4, "one unknown-tunnel frame dropped per round")
}
