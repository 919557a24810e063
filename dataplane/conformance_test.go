package dataplane

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// The conformance suite: one descriptor per tunnel protocol (or per
// configuration of one), the same subtests over each, every one through the
// rig (so every run also checks the mempool and rx = tx + drops):
//
//	<proto>/encap           clear traffic in, tunnel traffic out: decoded by
//	                        gopacket and by tshark, field by field
//	<proto>/decap           tunnel traffic as a peer builds it (gopacket), the
//	                        inner packet or frame out, decoded by both
//	<proto>/wrong_key       the tunnel's endpoints with a key (VNI, SPI, SID)
//	                        no tunnel has: unknown_tunnel, nothing out
//	<proto>/truncated/<at>  a peer's frame cut at each header: the exact reason
//
// A new protocol (L2TP, SRv6, ESP) adds a constructor returning protoCase
// and a line in protoCases.

type protoCase struct {
	name   string
	tunnel string // tunnel name in conformanceConf, for its counters
	clear  string // rig port of the clear side: "inner" (routed) or "l2" (bridged)

	// encapIn returns frames arriving on clear towards the tunnel.
	encapIn func() [][]byte
	// checkEncap asserts encapsulated frame out (gopacket) made of in.
	checkEncap func(t *testing.T, i int, in, out []byte)
	// checkEncapAll runs once over all frames (optional).
	checkEncapAll func(t *testing.T, in, out [][]byte)
	// encapFields are tshark fields of the encapsulated frames and
	// encapRow the expected values for frame i made of in.
	encapFields []string
	encapRow    func(i int, in []byte) []string
	// encapInner returns, for frame i, where tshark says the carried packet
	// starts (layer name and occurrence) and what it must be, compared by
	// sameCarried.
	encapInner  func(i int, in []byte) (layer string, occ int, want []byte)
	sameCarried func(t *testing.T, want, got []byte, msg string)

	// payloads are what a peer sends through the tunnel (IP packets for an
	// L3 tunnel, Ethernet frames for an L2 one); decap builds the frame.
	payloads func() [][]byte
	decap    func(i int, payload []byte) []byte
	// checkDecap asserts frame out left the clear port for payload.
	checkDecap  func(t *testing.T, i int, payload, out []byte)
	decapFields []string
	decapRow    func(i int, payload []byte) []string

	// wrongKey builds a frame towards a local tunnel endpoint with a key
	// no tunnel has.
	wrongKey func(payload []byte) []byte
	// truncations cut a frame built by decap at named places.
	truncations []truncation
	// tsharkOpts are further tshark options (session parameters tshark
	// would learn from a control plane, decode-as).
	tsharkOpts []string
}

type truncation struct {
	where  string
	frame  func(pc *protoCase, payload []byte) []byte
	reason string
}

// conformanceConf adds to the rig's gre1 (key 40, seq, DSCP copied) three
// GRE tunnels with other options, and an IPv6 inner next hop.
const conformanceConf = `
[[nexthop]]
ip = "2001:db8:1::2"
mac = "` + innerPeer + `"
port = "inner"

[[tunnel]]
name = "gre2"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.9"
nexthop = "192.0.2.2"
checksum = true
dscp = 46
ttl = 17

[[route]]
prefix = "10.3.0.0/16"
tunnel = "gre2"

[[tunnel]]
name = "gre3"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.10"
nexthop = "192.0.2.2"
df = false

[[route]]
prefix = "10.4.0.0/16"
tunnel = "gre3"

[[tunnel]]
name = "gre4"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.11"
nexthop = "192.0.2.2"
key = 3735928559
seq = true
checksum = true
dscp = 0
ttl = 255

[[route]]
prefix = "10.5.0.0/16"
tunnel = "gre4"

[[route]]
prefix = "2001:db8:5::/48"
tunnel = "gre4"
`

func protoCases() []protoCase {
	return []protoCase{
		greCase(greSpec{name: "gre_key_seq", tunnel: "gre1", remote: "192.0.2.2", key: u32(40), seq: true,
			ttl: 64, df: true, tos: func(in uint8) uint8 { return in }, dst: "10.2.0.7"}),
		greCase(greSpec{name: "gre_key_seq_ipv6", tunnel: "gre1", remote: "192.0.2.2", key: u32(40), seq: true,
			ttl: 64, df: true, tos: func(in uint8) uint8 { return in }, dst: "2001:db8:2::7"}),
		greCase(greSpec{name: "gre_csum", tunnel: "gre2", remote: "192.0.2.9", csum: true,
			ttl: 17, df: true, tos: func(in uint8) uint8 { return 46<<2 | in&3 }, dst: "10.3.0.7"}),
		greCase(greSpec{name: "gre_plain", tunnel: "gre3", remote: "192.0.2.10",
			ttl: 64, tos: func(in uint8) uint8 { return in }, dst: "10.4.0.7"}),
		greCase(greSpec{name: "gre_key_seq_csum", tunnel: "gre4", remote: "192.0.2.11", key: u32(0xdeadbeef), seq: true, csum: true,
			ttl: 255, df: true, tos: func(in uint8) uint8 { return in & 3 }, dst: "10.5.0.7"}),
		greCase(greSpec{name: "gre_key_seq_csum_ipv6", tunnel: "gre4", remote: "192.0.2.11", key: u32(0xdeadbeef), seq: true, csum: true,
			ttl: 255, df: true, tos: func(in uint8) uint8 { return in & 3 }, dst: "2001:db8:5::7"}),
		vxlanCase(),
		l2tpv2Case(),
		l2tpv3Case(),
	}
}

func conformanceRig(t *testing.T) *rig {
	r := newRig(t)
	r.extra = conformanceConf + conformanceL2TPConf
	return r
}

func TestConformance(t *testing.T) {
	for _, pc := range protoCases() {
		pc := pc
		t.Run(pc.name+"/encap", func(t *testing.T) { pc.testEncap(t) })
		t.Run(pc.name+"/decap", func(t *testing.T) { pc.testDecap(t) })
		t.Run(pc.name+"/wrong_key", func(t *testing.T) {
			in := [][]byte{pc.wrongKey(pc.payloads()[0]), pc.wrongKey(pc.payloads()[1])}
			res := conformanceRig(t).run(map[string][][]byte{"uplink": in})
			requireDropped(t, res, "unknown_tunnel", len(in))
			require.Zero(t, res.tunnel(pc.tunnel).DecapPkts)
		})
		for _, tr := range pc.truncations {
			tr := tr
			t.Run(pc.name+"/truncated/"+tr.where, func(t *testing.T) {
				f := tr.frame(&pc, pc.payloads()[0])
				res := conformanceRig(t).run(map[string][][]byte{"uplink": {f}})
				requireDropped(t, res, tr.reason, 1)
			})
		}
	}
}

func (pc *protoCase) testEncap(t *testing.T) {
	in := pc.encapIn()
	res := conformanceRig(t).run(map[string][][]byte{pc.clear: in})
	out := res.out["uplink"]
	require.Len(t, out, len(in))
	for i := range out {
		pc.checkEncap(t, i, in[i], out[i])
	}
	if pc.checkEncapAll != nil {
		pc.checkEncapAll(t, in, out)
	}
	rows := tsharkOpts(t, res.pcap["uplink"], pc.tsharkOpts, pc.encapFields...)
	require.Len(t, rows, len(in))
	for i, row := range rows {
		require.Equal(t, pc.encapRow(i, in[i]), row, "frame %d: %v", i, pc.encapFields)
	}
	layer, _, _ := pc.encapInner(0, in[0])
	for i, fr := range tsharkLayersOpts(t, res.pcap["uplink"], pc.tsharkOpts, "", layer) {
		_, occ, want := pc.encapInner(i, in[i])
		pc.sameCarried(t, want, fr.layer(t, occ), fmt.Sprintf("frame %d (tshark)", i))
	}
	require.EqualValues(t, len(in), res.tunnel(pc.tunnel).EncapPkts)
	require.Empty(t, nonZero(res.ctr.Drops))
}

func (pc *protoCase) testDecap(t *testing.T) {
	pay := pc.payloads()
	var in [][]byte
	for i, p := range pay {
		in = append(in, pc.decap(i, p))
	}
	res := conformanceRig(t).run(map[string][][]byte{"uplink": in})
	out := res.out[pc.clear]
	require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))
	for i := range out {
		pc.checkDecap(t, i, pay[i], out[i])
	}
	rows := tsharkOpts(t, res.pcap[pc.clear], pc.tsharkOpts, pc.decapFields...)
	require.Len(t, rows, len(in))
	for i, row := range rows {
		require.Equal(t, pc.decapRow(i, pay[i]), row, "frame %d: %v", i, pc.decapFields)
	}
	require.EqualValues(t, len(in), res.tunnel(pc.tunnel).DecapPkts)
	require.Empty(t, nonZero(res.ctr.Drops))
}

// GRE (RFC 2784, RFC 2890) over IPv4, carrying IPv4 or IPv6.

type greSpec struct {
	name, tunnel string
	remote       string  // outer peer address
	key          *uint32 // nil: no key field
	seq, csum    bool
	ttl          uint8                // outer TTL
	df           bool                 // outer don't-fragment
	tos          func(in uint8) uint8 // outer TOS from the inner one
	dst          string               // an inner address routed into the tunnel
}

// innerTOS: DSCP 2 and ECT(0), so that DSCP copy and ECN copy both show.
const innerTOS = 0x0a

func (s greSpec) v6() bool { return netip.MustParseAddr(s.dst).Is6() }

func (s greSpec) flow() pktgen.Flow {
	f := innerFlow()
	f.TOS = innerTOS
	f.Dst = netip.MustParseAddr(s.dst)
	if s.v6() {
		f.Src = netip.MustParseAddr("2001:db8:1::2")
	}
	return f
}

// greLen is the GRE header length: base + checksum, key, sequence words.
func (s greSpec) greLen() int {
	n := 4
	for _, b := range []bool{s.csum, s.key != nil, s.seq} {
		if b {
			n += 4
		}
	}
	return n
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func greCase(s greSpec) protoCase {
	pc := protoCase{name: s.name, tunnel: s.tunnel, clear: "inner"}
	pc.encapIn = func() [][]byte { return pktgen.Mix(30, 6, s.flow(), 0) }
	pc.checkEncap = func(t *testing.T, i int, in, f []byte) {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		require.Nil(t, p.ErrorLayer(), "frame %d decodes", i)
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		require.Equal(t, uplinkPeer, eth.DstMAC.String())
		require.Equal(t, uplinkMAC, eth.SrcMAC.String())
		require.Equal(t, layers.EthernetTypeIPv4, eth.EthernetType)
		ip := p.Layers()[1].(*layers.IPv4)
		require.Equal(t, "192.0.2.1", ip.SrcIP.String())
		require.Equal(t, s.remote, ip.DstIP.String())
		require.Equal(t, layers.IPProtocolGRE, ip.Protocol)
		require.EqualValues(t, s.ttl, ip.TTL)
		require.EqualValues(t, 5, ip.IHL)
		require.Equal(t, s.tos(innerTOS), ip.TOS, "outer TOS (RFC 6040 4.1: ECN copied)")
		if s.df {
			require.Equal(t, layers.IPv4DontFragment, ip.Flags)
		} else {
			require.Zero(t, ip.Flags)
		}
		require.Zero(t, ip.FragOffset)
		gre := p.Layer(layers.LayerTypeGRE).(*layers.GRE)
		require.Equal(t, s.key != nil, gre.KeyPresent)
		if s.key != nil {
			require.Equal(t, *s.key, gre.Key)
		}
		require.Equal(t, s.seq, gre.SeqPresent)
		if s.seq {
			require.EqualValues(t, i, gre.Seq, "RFC 2890 2.2: from 0, one per packet")
		}
		require.Equal(t, s.csum, gre.ChecksumPresent)
		if s.csum {
			require.EqualValues(t, 0xffff, onesSum(f[34:]), "GRE checksum over header and payload")
		}
		require.False(t, gre.RoutingPresent || gre.StrictSourceRoute || gre.AckPresent)
		require.Zero(t, gre.RecursionControl|gre.Flags|gre.Version)
		want := ipPacket(in)
		if s.v6() {
			require.Equal(t, layers.EthernetTypeIPv6, gre.Protocol)
		} else {
			require.Equal(t, layers.EthernetTypeIPv4, gre.Protocol)
		}
		require.Len(t, f, 14+20+s.greLen()+len(want), "no Ethernet padding carried")
		require.EqualValues(t, len(f)-14, ip.Length)
		requireInnerIP(t, want, f[14+20+s.greLen():], fmt.Sprintf("frame %d", i))
	}
	pc.encapFields = []string{"ip.src", "ip.dst", "ip.ttl", "ip.checksum.status", "ip.dsfield", "ip.flags.df",
		"gre.flags.checksum", "gre.checksum.status", "gre.flags.key", "gre.key",
		"gre.flags.sequence_number", "gre.sequence_number", "gre.flags.version", "gre.proto",
		"ipv6.dst", "ipv6.hlim", "udp.checksum.status"}
	pc.encapRow = func(i int, in []byte) []string {
		src := pktgen.FlowN(s.flow(), i%6).Src.String()
		hex2 := func(b uint8) string { return fmt.Sprintf("0x%02x", b) }
		r := []string{"192.0.2.1", s.remote, strconv.Itoa(int(s.ttl)), "1", hex2(s.tos(innerTOS)), boolStr(s.df)}
		if !s.v6() {
			r = []string{"192.0.2.1," + src, s.remote + "," + s.dst, strconv.Itoa(int(s.ttl)) + ",63", "1,1",
				hex2(s.tos(innerTOS)) + "," + hex2(innerTOS), boolStr(s.df) + ",0"}
		}
		r = append(r, boolStr(s.csum), "", boolStr(s.key != nil), "", boolStr(s.seq), "", "0", "0x0800", "", "", "1")
		if s.csum {
			r[7] = "1"
		}
		if s.key != nil {
			r[9] = fmt.Sprintf("0x%08x", *s.key)
		}
		if s.seq {
			r[11] = strconv.Itoa(i)
		}
		if s.v6() {
			r[13], r[14], r[15] = "0x86dd", s.dst, "63"
		}
		return r
	}
	pc.encapInner = func(i int, in []byte) (string, int, []byte) {
		if s.v6() {
			return "ipv6", 0, ipPacket(in)
		}
		return "ip", 1, ipPacket(in)
	}
	pc.sameCarried = requireInnerIP

	// decap: traffic from behind the peer to the inner host
	back := func() pktgen.Flow {
		f := returnFlow()
		f.Src, f.TOS = netip.MustParseAddr(s.dst), innerTOS
		if s.v6() {
			f.Dst = netip.MustParseAddr("2001:db8:1::2")
		}
		return f
	}
	pc.payloads = func() [][]byte { return ipPackets(30, 5, back(), 100) }
	outer := func(i int) greOuter {
		o := greOuter{src: s.remote, dst: "192.0.2.1"}
		o.gre.ChecksumPresent = s.csum
		if s.key != nil {
			o.gre.KeyPresent, o.gre.Key = true, *s.key
		}
		if s.seq {
			o.gre.SeqPresent, o.gre.Seq = true, uint32(1000+i)
		}
		return o
	}
	pc.decap = func(i int, p []byte) []byte { return outer(i).frame(p) }
	pc.checkDecap = func(t *testing.T, i int, p, f []byte) {
		require.Equal(t, mac(innerPeer), net.HardwareAddr(f[0:6]))
		require.Equal(t, mac(innerMAC), net.HardwareAddr(f[6:12]))
		et := []byte{0x08, 0x00}
		if s.v6() {
			et = []byte{0x86, 0xdd}
		}
		require.Equal(t, et, f[12:14])
		requireInnerIP(t, p, f[14:], fmt.Sprintf("frame %d", i))
	}
	pc.decapFields = []string{"eth.dst", "eth.src", "ip.src", "ip.dst", "ip.ttl", "ip.checksum.status", "ip.dsfield",
		"ipv6.src", "ipv6.dst", "ipv6.hlim", "udp.checksum.status", "gre"}
	pc.decapRow = func(i int, p []byte) []string {
		src := pktgen.FlowN(back(), i%5).Src.String()
		if s.v6() {
			return []string{innerPeer, innerMAC, "", "", "", "", "", src, "2001:db8:1::2", "29", "1", ""}
		}
		return []string{innerPeer, innerMAC, src, "10.1.0.2", "29", "1", "0x0a", "", "", "", "1", ""}
	}

	pc.wrongKey = func(p []byte) []byte {
		o := outer(0)
		if s.key != nil {
			o.gre.Key = *s.key + 1
		} else {
			o.gre.KeyPresent, o.gre.Key = true, 40 // a key where the tunnel has none
		}
		return o.frame(p)
	}

	// Truncations: every cut shortens the IP datagram too (its total
	// length says so), so that the cut reaches the GRE parser; "capture"
	// is a short capture instead (the lengths promise more than there is).
	pc.truncations = []truncation{
		{"outer_ip", func(pc *protoCase, p []byte) []byte { return cutFrame(pc.decap(0, p), 14+12) }, "truncated"},
		{"capture", func(pc *protoCase, p []byte) []byte { f := pc.decap(0, p); return cutFrame(f, len(f)-3) }, "bad_ip_length"},
		{"gre_base", func(pc *protoCase, p []byte) []byte { return cutIP(pc.decap(0, p), 20+2) }, "truncated"},
	}
	off := 20 + 4
	for _, fld := range []struct {
		name string
		on   bool
	}{{"gre_checksum", s.csum}, {"gre_key", s.key != nil}, {"gre_seq", s.seq}} {
		if !fld.on {
			continue
		}
		at := off + 2
		pc.truncations = append(pc.truncations, truncation{fld.name,
			func(pc *protoCase, p []byte) []byte { return cutIP(pc.decap(0, p), at) }, "truncated"})
		off += 4
	}
	innerCut := 10
	if s.v6() {
		innerCut = 30
	}
	pc.truncations = append(pc.truncations, truncation{"inner_ip",
		func(pc *protoCase, p []byte) []byte { return pc.decap(0, p[:innerCut]) }, "truncated"})
	return pc
}

// onesSum is the folded one's complement sum of b (0xffff over data that
// includes a correct Internet checksum).
func onesSum(b []byte) uint16 {
	var s uint32
	for i := 0; i < len(b); i += 2 {
		if i+1 < len(b) {
			s += uint32(binary.BigEndian.Uint16(b[i:]))
		} else {
			s += uint32(b[i]) << 8
		}
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// VXLAN (RFC 7348) over IPv4: vx1, VNI 100, bridged to port l2.

func vxlanCase() protoCase {
	pc := protoCase{name: "vxlan", tunnel: "vx1", clear: "l2"}
	pc.encapIn = func() [][]byte { return pktgen.Mix(40, 16, l2Flow(), 0) }
	pc.checkEncap = func(t *testing.T, i int, in, f []byte) {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		require.Equal(t, uplinkPeer, eth.DstMAC.String())
		require.Equal(t, uplinkMAC, eth.SrcMAC.String())
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		require.Equal(t, "192.0.2.1", ip.SrcIP.String())
		require.Equal(t, "192.0.2.2", ip.DstIP.String())
		require.Equal(t, layers.IPProtocolUDP, ip.Protocol)
		require.Equal(t, layers.IPv4DontFragment, ip.Flags)
		require.EqualValues(t, 64, ip.TTL)
		require.EqualValues(t, 20+8+8+len(in), ip.Length)
		udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		require.EqualValues(t, 4789, udp.DstPort)
		require.GreaterOrEqual(t, int(udp.SrcPort), 49152)
		require.EqualValues(t, 0, udp.Checksum, "RFC 7348: zero UDP checksum over IPv4")
		require.EqualValues(t, 8+8+len(in), udp.Length)
		vx := p.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN)
		require.True(t, vx.ValidIDFlag)
		require.EqualValues(t, 100, vx.VNI)
		require.Equal(t, byte(0x08), f[42], "flags: I only")
		require.Equal(t, in, vx.LayerPayload(), "inner frame carried byte for byte")
	}
	pc.checkEncapAll = func(t *testing.T, in, out [][]byte) {
		sports := map[uint16]bool{}
		byFlow := map[int]uint16{}
		for i, f := range out {
			sp := binary.BigEndian.Uint16(f[34:])
			sports[sp] = true
			if prev, ok := byFlow[i%16]; ok {
				require.Equal(t, prev, sp, "one flow, one source port")
			}
			byFlow[i%16] = sp
		}
		require.Greater(t, len(sports), 4, "source port varies with the inner flow")
	}
	pc.encapFields = []string{"ip.src", "ip.dst", "ip.ttl", "ip.checksum.status", "ip.flags.df",
		"udp.dstport", "udp.length", "udp.checksum", "vxlan.flag_i", "vxlan.vni", "eth.src", "eth.dst"}
	pc.encapRow = func(i int, in []byte) []string {
		src := pktgen.FlowN(l2Flow(), i%16).Src.String()
		return []string{"192.0.2.1," + src, "192.0.2.2,172.16.0.2", "64,64", "1,1", "1,0",
			"4789", strconv.Itoa(16 + len(in)), "0x0000", "1", "100",
			uplinkMAC + ",02:00:00:00:aa:01", uplinkPeer + ",02:00:00:00:bb:01"}
	}
	pc.encapInner = func(i int, in []byte) (string, int, []byte) { return "eth", 1, in }
	pc.sameCarried = func(t *testing.T, want, got []byte, msg string) { require.Equal(t, want, got, msg) }

	pc.payloads = func() [][]byte { return pktgen.Mix(25, 5, l2Flow(), 7) }
	outer := vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 100}
	pc.decap = func(i int, p []byte) []byte {
		o := outer
		o.sport = uint16(50000 + i)
		o.noCsum = i%2 == 1 // both are legal over IPv4 (RFC 7348 section 5)
		return o.frame(p)
	}
	pc.checkDecap = func(t *testing.T, i int, p, f []byte) { require.Equal(t, p, f, "frame %d", i) }
	pc.decapFields = []string{"eth.src", "eth.dst", "ip.src", "ip.dst", "ip.checksum.status", "tcp.srcport", "tcp.checksum.status", "vxlan"}
	pc.decapRow = func(i int, p []byte) []string {
		src := pktgen.FlowN(l2Flow(), i%5).Src.String()
		return []string{"02:00:00:00:aa:01", "02:00:00:00:bb:01", src, "172.16.0.2", "1", strconv.Itoa(3000 + i%5), "1", ""}
	}
	pc.wrongKey = func(p []byte) []byte {
		o := outer
		o.vni = 101
		return o.frame(p)
	}
	pc.truncations = []truncation{
		{"outer_ip", func(pc *protoCase, p []byte) []byte { return cutFrame(pc.decap(0, p), 14+12) }, "truncated"},
		{"capture", func(pc *protoCase, p []byte) []byte { f := pc.decap(0, p); return cutFrame(f, len(f)-3) }, "bad_ip_length"},
		{"udp", func(pc *protoCase, p []byte) []byte { return cutUDP(pc.decap(0, p), 20+4) }, "truncated"},
		{"vxlan", func(pc *protoCase, p []byte) []byte { return cutUDP(pc.decap(0, p), 20+8+4) }, "truncated"},
		{"inner_eth", func(pc *protoCase, p []byte) []byte { return cutUDP(pc.decap(0, p), 20+8+8+10) }, "truncated"},
	}
	return pc
}

// cutUDP cuts the IP datagram to n bytes with UDP length (when the UDP
// header is whole) and checksum to match: a short datagram, not a short capture.
func cutUDP(f []byte, n int) []byte {
	f = cutIP(f, n)
	hl := ipHL(f)
	if n >= hl+8 {
		binary.BigEndian.PutUint16(f[14+hl+4:], uint16(n-hl))
		f[14+hl+6], f[14+hl+7] = 0, 0
	}
	return f
}
