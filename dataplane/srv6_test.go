package dataplane

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// SRv6 (RFC 8754, RFC 8986): the source node behaviours from routes and an
// L2 binding, every SID behaviour with frames built here byte by byte, the
// SRH checks of RFC 8754 4.3.1.1 and the ICMPv6 errors, decoded by gopacket
// and tshark.

const (
	innerHost6 = "2001:db8:1::2"
	sidEnd     = "fc00:1::10"
	sidEndX    = "fc00:1::11"
	sidDX4     = "fc00:1::4"
	sidDX6     = "fc00:1::6"
	sidDT4     = "fc00:1::44"
	sidDT6     = "fc00:1::66"
	sidDX2     = "fc00:1::2"
	sidPrefix  = "fc00:1:ff::/48" // end.dt6, matched longest-prefix
)

var srv6Segs = []string{"fc00:2::1", "fc00:3::2", "fc00:4::3"}

// srv6Conf goes after ipv6Conf, which has the underlay peer peer6.
const srv6Conf = `
[[nexthop]]
ip = "` + innerHost6 + `"
mac = "` + innerPeer + `"
port = "inner"

[[tunnel]]
name = "sr3"
type = "srv6"
local = "` + uplink6 + `"
segments = ["fc00:2::1", "fc00:3::2", "fc00:4::3"]
nexthop = "` + peer6 + `"
ttl = 50

[[tunnel]]
name = "sr3red"
type = "srv6"
mode = "encaps.red"
local = "` + uplink6 + `"
segments = ["fc00:2::1", "fc00:3::2", "fc00:4::3"]
nexthop = "` + peer6 + `"

[[tunnel]]
name = "sr1red"
type = "srv6"
mode = "encaps.red"
local = "` + uplink6 + `"
segments = ["fc00:5::1"]
nexthop = "` + peer6 + `"
dscp = 10

[[tunnel]]
name = "srl2"
type = "srv6"
mode = "encaps.l2"
local = "` + uplink6 + `"
segments = ["fc00:2::1", "fc00:6::7"]
nexthop = "` + peer6 + `"

[[route]]
prefix = "10.7.1.0/24"
tunnel = "sr3"

[[route]]
prefix = "2001:db8:7::/48"
tunnel = "sr3"

[[route]]
prefix = "10.7.2.0/24"
tunnel = "sr3red"

[[route]]
prefix = "10.7.3.0/24"
tunnel = "sr1red"

[[l2]]
port = "l2"
vlan = 700
tunnel = "srl2"

[[sid]]
sid = "` + sidEnd + `"
behavior = "end"

[[sid]]
sid = "` + sidEndX + `"
behavior = "end.x"
nexthop = "` + peer6 + `"

[[sid]]
sid = "` + sidDX4 + `"
behavior = "end.dx4"
nexthop = "10.1.0.2"

[[sid]]
sid = "` + sidDX6 + `"
behavior = "end.dx6"
nexthop = "` + innerHost6 + `"

[[sid]]
sid = "` + sidDT4 + `"
behavior = "end.dt4"

[[sid]]
sid = "` + sidDT6 + `"
behavior = "end.dt6"

[[sid]]
sid = "` + sidDX2 + `"
behavior = "end.dx2"
port = "l2"
vlan = 701

[[sid]]
sid = "` + sidPrefix + `"
behavior = "end.dt6"
`

func srv6Rig(t *testing.T) *rig {
	r := ipv6Rig(t)
	r.extra = ipv6Conf + srv6Conf
	return r
}

func addr16(s string) []byte { return net.ParseIP(s).To16() }

// srh builds a Segment Routing Header (RFC 8754 section 2): segs is the
// Segment List in wire order (segs[0] = the last segment), tlvs are
// appended and must make the header a multiple of 8 bytes.
func srh(next uint8, sl, le uint8, segs []string, tlvs []byte) []byte {
	n := 8 + 16*len(segs) + len(tlvs)
	if n%8 != 0 {
		panic("SRH not a multiple of 8 bytes")
	}
	b := []byte{next, uint8(n/8 - 1), 4, sl, le, 0, 0, 0}
	for _, s := range segs {
		b = append(b, addr16(s)...)
	}
	return append(b, tlvs...)
}

// ip6Frame is an Ethernet + IPv6 frame from the underlay peer to dstMAC with
// the given next header and payload (extension headers included).
func ip6Frame(dstMAC, src, dst string, hop uint8, next uint8, payload []byte) []byte {
	f := append([]byte(nil), mac(dstMAC)...)
	f = append(f, mac(uplinkPeer)...)
	f = append(f, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, next, hop)
	binary.BigEndian.PutUint16(f[18:], uint16(len(payload)))
	f = append(f, addr16(src)...)
	f = append(f, addr16(dst)...)
	return append(f, payload...)
}

// srFrame: the peer's SRv6 packet to the gateway's uplink, with an SRH.
func srFrame(dst string, hop uint8, h []byte, payload []byte) []byte {
	return ip6Frame(uplinkMAC, peer6, dst, hop, 43, append(append([]byte(nil), h...), payload...))
}

// ip6Packet is an IPv6 UDP packet from the far side (hop limit 40).
func ip6Packet(src, dst string) []byte {
	f := flow6(dst)
	f.Src = netip.MustParseAddr(src)
	f.TTL = 40
	return ipPacket(pktgen.Frame(f, 30, 1))
}

// decTTL returns the IP packet p with its TTL / hop limit one lower (and the
// IPv4 checksum recomputed): what a router forwards.
func decTTL(p []byte) []byte {
	p = append([]byte(nil), p...)
	if p[0]>>4 == 6 {
		p[7]--
		return p
	}
	p[8]--
	p[10], p[11] = 0, 0
	binary.BigEndian.PutUint16(p[10:], ipv4Checksum(p[:ipHLOf(p)]))
	return p
}

func ethTo(dst, src string, ethertype uint16) []byte {
	b := append(append([]byte(nil), mac(dst)...), mac(src)...)
	return binary.BigEndian.AppendUint16(b, ethertype)
}

func TestSRv6Encap(t *testing.T) {
	f4 := func(dst string) pktgen.Flow { return flow6(dst) }
	var in [][]byte
	in = append(in, pktgen.Mix(4, 2, f4("10.7.1.9"), 1)...)      // sr3: H.Encaps, 3 segments
	in = append(in, pktgen.Mix(4, 2, f4("2001:db8:7::9"), 2)...) // sr3, IPv6 inner
	in = append(in, pktgen.Mix(4, 2, f4("10.7.2.9"), 3)...)      // sr3red: H.Encaps.Red
	in = append(in, pktgen.Mix(4, 2, f4("10.7.3.9"), 4)...)      // sr1red: reduced, one segment: no SRH
	res := srv6Rig(t).run(map[string][][]byte{"inner": in})
	out := res.out["uplink"]
	require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))

	full := srh(0, 2, 2, []string{"fc00:4::3", "fc00:3::2", "fc00:2::1"}, nil)
	red := srh(0, 2, 1, []string{"fc00:4::3", "fc00:3::2"}, nil)
	for i, f := range out {
		inner := decTTL(ipPacket(in[i]))
		var ext []byte
		hop, next, tc := uint8(50), uint8(4), uint8(innerTOS)
		switch i / 4 {
		case 0:
			ext = full
		case 1:
			ext, next = full, 41
		case 2:
			ext, hop = red, 64
		case 3:
			hop, tc = 64, 10<<2|innerTOS&3 // fixed DSCP, ECN copied
		}
		proto := uint8(43)
		if ext != nil {
			ext = append([]byte(nil), ext...)
			ext[0] = next
		} else {
			proto = next
		}
		// the known answer: RFC 8986 5.1 / 5.2, byte for byte but the flow label
		want := ethTo(uplinkPeer, uplinkMAC, 0x86dd)
		want = append(want, 0x60|tc>>4, tc<<4, 0, 0, 0, 0, proto, hop)
		binary.BigEndian.PutUint16(want[18:], uint16(len(ext)+len(inner)))
		want = append(want, addr16(uplink6)...)
		want = append(want, addr16("fc00:2::1")...)
		if i/4 == 3 {
			copy(want[38:54], addr16("fc00:5::1"))
		}
		want = append(append(want, ext...), inner...)
		label := binary.BigEndian.Uint32(f[14:]) & 0xfffff
		require.NotZero(t, label, "flow label from the inner flow")
		got := append([]byte(nil), f...)
		got[15] &= 0xf0
		got[16], got[17] = 0, 0
		require.Equal(t, want, got, "frame %d", i)

		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		ip := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		require.Equal(t, uplink6, ip.SrcIP.String())
		require.EqualValues(t, proto, ip.NextHeader)
		require.EqualValues(t, len(ext)+len(inner), ip.Length)
		// gopacket has no SRH decoder (type 4): decode what follows it
		lt := layers.LayerTypeIPv4
		if next == 41 {
			lt = layers.LayerTypeIPv6
		}
		ip2 := gopacket.NewPacket(f[54+len(ext):], lt, gopacket.Default).NetworkLayer()
		require.NotNil(t, ip2, "frame %d: inner IP after the SRH", i)
		require.Equal(t, []string{"10.7.1.9", "2001:db8:7::9", "10.7.2.9", "10.7.3.9"}[i/4], ip2.NetworkFlow().Dst().String())
		require.Equal(t, inner[len(inner)-len(ip2.LayerPayload()):], ip2.LayerPayload(), "frame %d: inner payload", i)
	}
	rows := tshark(t, res.pcap["uplink"], "ipv6.dst", "ipv6.hlim", "ipv6.routing.type", "ipv6.routing.segleft",
		"ipv6.routing.srh.last_entry", "ipv6.routing.srh.addr", "ipv6.routing.nxt", "ip.dst", "ip.checksum.status")
	require.Len(t, rows, len(in))
	for i, row := range rows {
		want := []string{"fc00:2::1", "50", "4", "2", "2", "fc00:4::3,fc00:3::2,fc00:2::1", "4", "10.7.1.9", "1"}
		switch i / 4 {
		case 1:
			want = []string{"fc00:2::1,2001:db8:7::9", "50,63", "4", "2", "2", "fc00:4::3,fc00:3::2,fc00:2::1", "41", "", ""}
		case 2:
			want = []string{"fc00:2::1", "64", "4", "2", "1", "fc00:4::3,fc00:3::2", "4", "10.7.2.9", "1"}
		case 3:
			want = []string{"fc00:5::1", "64", "", "", "", "", "", "10.7.3.9", "1"}
		}
		require.Equal(t, want, row, "frame %d", i)
	}
	for name, n := range map[string]uint64{"sr3": 8, "sr3red": 4, "sr1red": 4} {
		require.EqualValues(t, n, res.tunnel(name).EncapPkts, name)
	}
}

func TestSRv6EncapL2(t *testing.T) {
	var in [][]byte
	for _, fr := range pktgen.Mix(6, 3, l2Flow(), 5) {
		in = append(in, append(append(append([]byte(nil), fr[:12]...), 0x81, 0, 700>>8, 700&0xff), fr[12:]...))
	}
	res := srv6Rig(t).run(map[string][][]byte{"l2": in})
	out := res.out["uplink"]
	require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))
	ext := srh(143, 1, 1, []string{"fc00:6::7", "fc00:2::1"}, nil)
	for i, f := range out {
		frame := append(append([]byte(nil), in[i][:12]...), in[i][16:]...) // the tag stands for the SID list
		require.Equal(t, ext, f[54:54+len(ext)], "frame %d SRH", i)
		require.Equal(t, frame, f[54+len(ext):], "frame %d: the untagged frame, byte for byte", i)
	}
	rows := tshark(t, res.pcap["uplink"], "ipv6.dst", "ipv6.routing.nxt", "ipv6.routing.segleft", "eth.src", "ip.src", "tcp.checksum.status")
	for i, row := range rows {
		require.Equal(t, []string{"fc00:2::1", "143", "1", uplinkMAC + ",02:00:00:00:aa:01",
			pktgen.FlowN(l2Flow(), i%3).Src.String(), "1"}, row, "frame %d", i)
	}
	require.EqualValues(t, len(in), res.tunnel("srl2").EncapPkts)
}

// sidCase is one SID behaviour: the peer's frame in, the frame out of a port.
type sidCase struct {
	name string
	in   []byte
	port string
	want []byte
}

func sidCases() []sidCase {
	v4 := ipPacket(pktgen.Frame(returnFlow(), 30, 1)) // 10.2.0.7 -> 10.1.0.2, TTL 30
	v6 := ip6Packet("2001:db8:7::9", innerHost6)
	l2 := pktgen.Frame(l2Flow(), 40, 2)
	sl0 := func(sid string, next uint8) []byte { return srh(next, 0, 0, []string{sid}, nil) }
	toInner4 := append(ethTo(innerPeer, innerMAC, 0x0800), decTTL(v4)...)
	toInner6 := append(ethTo(innerPeer, innerMAC, 0x86dd), decTTL(v6)...)
	tagged := append(append(append([]byte(nil), l2[:12]...), 0x81, 0, 701>>8, 701&0xff), l2[12:]...)

	endIn := srFrame(sidEnd, 9, srh(17, 1, 1, []string{innerHost6, sidEnd}, nil), []byte("udp-ish payload!"))
	endOut := append(ethTo(innerPeer, innerMAC, 0x86dd), endIn[14:]...)
	endOut[14+7] = 8                         // hop limit decremented once
	copy(endOut[14+24:], addr16(innerHost6)) // DA = Segment List[0]
	endOut[14+40+3] = 0                      // Segments Left
	xIn := srFrame(sidEndX, 9, srh(41, 1, 1, []string{"fc00:9::1", sidEndX}, nil), v6)
	xOut := append(ethTo(uplinkPeer, uplinkMAC, 0x86dd), xIn[14:]...)
	xOut[14+7] = 8
	copy(xOut[14+24:], addr16("fc00:9::1"))
	xOut[14+40+3] = 0
	return []sidCase{
		{"end", endIn, "inner", endOut},
		{"end.x", xIn, "uplink", xOut},
		{"end.dx4", srFrame(sidDX4, 64, sl0(sidDX4, 4), v4), "inner", toInner4},
		{"end.dx4_no_srh", ip6Frame(uplinkMAC, peer6, sidDX4, 64, 4, v4), "inner", toInner4},
		{"end.dx6", srFrame(sidDX6, 64, sl0(sidDX6, 41), v6), "inner", toInner6},
		{"end.dt4", srFrame(sidDT4, 64, sl0(sidDT4, 4), v4), "inner", toInner4},
		{"end.dt6", srFrame(sidDT6, 64, sl0(sidDT6, 41), v6), "inner", toInner6},
		{"end.dt6_prefix", srFrame("fc00:1:ff::5", 64, sl0("fc00:1:ff::5", 41), v6), "inner", toInner6},
		{"end.dt6_reduced_srh_tlv", srFrame(sidDT6, 64, srh(41, 0, 0, []string{sidDT6}, []byte{0, 1, 4, 0, 0, 0, 0, 0}), v6), "inner", toInner6},
		{"end.dx2", srFrame(sidDX2, 64, sl0(sidDX2, 143), l2), "l2", tagged},
		{"end.dx6_after_dstopts", ip6Frame(uplinkMAC, peer6, sidDX6, 64, 60,
			append(append([]byte{43, 0, 1, 4, 0, 0, 0, 0}, sl0(sidDX6, 41)...), v6...)), "inner", toInner6},
	}
}

func TestSRv6SIDs(t *testing.T) {
	for _, c := range sidCases() {
		c := c
		t.Run(c.name, func(t *testing.T) {
			res := srv6Rig(t).run(map[string][][]byte{"uplink": {c.in}})
			require.Equal(t, [][]byte{c.want}, res.out[c.port], "drops %v", nonZero(res.ctr.Drops))
			var n uint64
			for _, s := range res.ctr.SIDs {
				n += s.Pkts
			}
			require.EqualValues(t, 1, n, "one SID counted")
		})
	}
	// decoded by tshark: the End output's SRH and the DX2 frame's tag
	res := srv6Rig(t).run(map[string][][]byte{"uplink": {sidCases()[0].in}})
	require.Equal(t, [][]string{{innerHost6, "8", "0", "1", innerHost6 + "," + sidEnd}},
		tshark(t, res.pcap["inner"], "ipv6.dst", "ipv6.hlim", "ipv6.routing.segleft", "ipv6.routing.srh.last_entry", "ipv6.routing.srh.addr"))
	require.EqualValues(t, 1, res.ctr.SIDs[0].Pkts)
	require.Equal(t, sidEnd, res.ctr.SIDs[0].SID)
	res = srv6Rig(t).run(map[string][][]byte{"uplink": {sidCases()[9].in}})
	require.Equal(t, [][]string{{"701", "02:00:00:00:aa:01", "172.16.0.1", "1"}},
		tshark(t, res.pcap["l2"], "vlan.id", "eth.src", "ip.src", "tcp.checksum.status"))
}

// icmpCase is an input a SID answers with an ICMPv6 error (RFC 8754 4.3.1.1,
// RFC 8986 4.1, 4.1.1 and 4.4-4.9).
type icmpCase struct {
	name         string
	in           []byte
	reason       string
	typ, code    int
	pointer      int
	sid, typName string
}

func icmpCases() []icmpCase {
	v4 := ipPacket(pktgen.Frame(returnFlow(), 30, 1))
	v6 := ip6Packet("2001:db8:7::9", innerHost6)
	return []icmpCase{
		{"last_entry_beyond_hdr_ext_len", srFrame(sidEnd, 64, srh(41, 1, 1, []string{sidEnd}, nil), v6),
			"srh_bad_last_entry", 4, 0, 43, sidEnd, "param"},
		{"segments_left_beyond_last_entry", srFrame(sidEndX, 64, srh(41, 3, 1, []string{"fc00:9::1", sidEndX}, nil), v6),
			"srh_bad_segments_left", 4, 0, 43, sidEndX, "param"},
		{"hop_limit_1_at_end", srFrame(sidEnd, 1, srh(41, 1, 1, []string{"fc00:9::1", sidEnd}, nil), v6),
			"srv6_hop_limit", 3, 0, 0, sidEnd, "time"},
		{"segments_left_at_dt6", srFrame(sidDT6, 64, srh(41, 1, 1, []string{"fc00:9::1", sidDT6}, nil), v6),
			"srv6_segments_left", 4, 0, 43, sidDT6, "param"},
		{"ipv6_at_dx4", srFrame(sidDX4, 64, srh(41, 0, 0, []string{sidDX4}, nil), v6),
			"srv6_bad_upper_layer", 4, 4, 64, sidDX4, "param"},
		{"ipv4_at_end_sl0", srFrame(sidEnd, 64, srh(4, 0, 0, []string{sidEnd}, nil), v4),
			"srv6_bad_upper_layer", 4, 4, 64, sidEnd, "param"},
		{"no_srh_udp_at_dt4", ip6Frame(uplinkMAC, peer6, sidDT4, 64, 17, []byte("eight by")),
			"srv6_bad_upper_layer", 4, 4, 40, sidDT4, "param"},
	}
}

func TestSRv6Errors(t *testing.T) {
	for _, c := range icmpCases() {
		c := c
		t.Run(c.name, func(t *testing.T) {
			res := srv6Rig(t).run(map[string][][]byte{"uplink": {c.in}})
			out := res.out["uplink"]
			require.Len(t, out, 1, "answered (drops %v)", nonZero(res.ctr.Drops))
			require.Empty(t, nonZero(res.ctr.Drops))
			require.Equal(t, map[string]uint64{c.reason: 1}, res.ctr.ICMPErrors)
			// RFC 4443: the invoking packet follows the 8-byte ICMPv6 header
			f := out[0]
			require.Equal(t, c.in[14:], f[14+48:], "the whole invoking packet is quoted")
			require.Equal(t, ethTo(uplinkPeer, uplinkMAC, 0x86dd), f[:14])
			p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
			ip := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
			require.Equal(t, c.sid, ip.SrcIP.String(), "sourced from the SID")
			require.Equal(t, peer6, ip.DstIP.String())
			icmp := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
			require.EqualValues(t, c.typ, icmp.TypeCode.Type())
			require.EqualValues(t, c.code, icmp.TypeCode.Code())
			rows := tshark(t, res.pcap["uplink"], "icmpv6.type", "icmpv6.code", "icmpv6.pointer", "icmpv6.checksum.status")
			ptr := ""
			if c.typName == "param" {
				ptr = strconv.Itoa(c.pointer)
			}
			require.Equal(t, [][]string{{strconv.Itoa(c.typ), strconv.Itoa(c.code), ptr, "1"}}, rows)
		})
	}
}

func TestSRv6Malformed(t *testing.T) {
	v6 := ip6Packet("2001:db8:7::9", innerHost6)
	trunc := srFrame(sidEnd, 64, srh(41, 1, 1, []string{"fc00:9::1", sidEnd}, nil), nil)
	trunc = trunc[:14+40+8+16] // Hdr Ext Len 4 says two segments; one is there
	binary.BigEndian.PutUint16(trunc[18:], 8+16)
	icmpErr := append([]byte{1, 0, 0, 0, 0, 0, 0, 0}, v6[:48]...) // a Destination Unreachable
	cases := []struct {
		name, reason string
		f            []byte
	}{
		{"wrong_sid", "not_local", srFrame("fc00:1::99", 64, srh(41, 0, 0, []string{"fc00:1::99"}, nil), v6)},
		{"truncated_segment_list", "srh_truncated", trunc},
		{"srh_cut_in_fixed_part", "srh_truncated", patch(trunc[:14+40+4], func(f []byte) { binary.BigEndian.PutUint16(f[18:], 4) })},
		{"payload_length_past_frame", "bad_ip_length", patch(srFrame(sidDT6, 64, srh(41, 0, 0, []string{sidDT6}, nil), v6), func(f []byte) { f[19] += 9 })},
		{"two_routing_headers", "bad_ipv6_ext", srFrame(sidDT6, 64, srh(43, 0, 0, []string{sidDT6}, nil), srh(41, 0, 0, []string{sidDT6}, nil))},
		{"routing_type_0_with_segments_left", "bad_ipv6_ext", srFrame(sidDT6, 64, patch(srh(41, 1, 1, []string{sidDT6}, nil), func(b []byte) { b[2] = 0 }), v6)},
		{"fragment_at_dt6", "fragment", ip6Frame(uplinkMAC, peer6, sidDT6, 64, 44, append([]byte{41, 0, 0, 1, 0, 0, 0, 1}, v6...))},
		{"icmp_error_not_answered", "srv6_bad_upper_layer", srFrame(sidEnd, 64, srh(58, 0, 0, []string{sidEnd}, nil), icmpErr)},
		{"dx2_frame_short", "truncated", srFrame(sidDX2, 64, srh(143, 0, 0, []string{sidDX2}, nil), []byte{1, 2, 3, 4, 5, 6, 7, 8})},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			res := srv6Rig(t).run(map[string][][]byte{"uplink": {c.f}})
			requireDropped(t, res, c.reason, 1)
			require.Empty(t, res.ctr.ICMPErrors)
		})
	}
	// a routing header with segments left to an address that is no SID is still refused
	res := srv6Rig(t).run(map[string][][]byte{"uplink": {srFrame(uplink6, 64, srh(41, 1, 1, []string{"fc00:9::1", uplink6}, nil), v6)}})
	requireDropped(t, res, "bad_ipv6_ext", 1)
}

// TestSRv6ICMPRateLimit: a bucket of 3 that never refills answers the first
// 3 errors and drops the rest under their reason; burst 0 answers none.
func TestSRv6ICMPRateLimit(t *testing.T) {
	bad := icmpCases()[0].in
	for _, burst := range []int{3, 0} {
		r := srv6Rig(t)
		r.conf = strings.Replace(baseConf, "idle_us = 20", fmt.Sprintf("idle_us = 20\nicmp_error_rate = 0\nicmp_error_burst = %d", burst), 1)
		in := [][]byte{bad, bad, bad, bad, bad, bad, bad}
		res := r.run(map[string][][]byte{"uplink": in})
		require.Len(t, res.out["uplink"], burst)
		require.Equal(t, uint64(len(in)-burst), res.drops("srh_bad_last_entry"))
		require.Equal(t, uint64(burst), res.ctr.ICMPErrors["srh_bad_last_entry"])
		if burst > 0 {
			rows := tshark(t, res.pcap["uplink"], "icmpv6.type", "icmpv6.checksum.status")
			require.Equal(t, [][]string{{"4", "1"}, {"4", "1"}, {"4", "1"}}, rows)
		}
	}
}

// TestSRv6ICMPTruncated: an error quotes at most what fits in 1280 bytes (RFC 4443 2.4 (c)).
func TestSRv6ICMPTruncated(t *testing.T) {
	r := srv6Rig(t)
	r.ports = append([]rigPort(nil), ipv6Ports...)
	r.ports[1].keys += "\nmtu = 3000"
	big := ip6Packet("2001:db8:7::9", innerHost6)
	big = append(big, make([]byte, 2000)...)
	binary.BigEndian.PutUint16(big[4:], uint16(len(big)-40))
	in := srFrame(sidEnd, 64, srh(41, 1, 1, []string{sidEnd}, nil), big)
	res := r.run(map[string][][]byte{"uplink": {in}})
	out := res.out["uplink"]
	require.Len(t, out, 1, "drops %v", nonZero(res.ctr.Drops))
	require.Len(t, out[0], 14+1280)
	require.Equal(t, in[14:14+1280-48], out[0][14+48:])
	rows := tshark(t, res.pcap["uplink"], "ipv6.plen", "icmpv6.checksum.status")
	require.Equal(t, "1240,"+strconv.Itoa(len(in)-14-40)+","+strconv.Itoa(len(big)-40), rows[0][0],
		"outer, then the quoted headers' own lengths")
	require.Equal(t, "1", rows[0][1])
}

// srhCaptureRig stands in for the node a capture was sent to: its uplink has
// the capture's destination MAC; sids is its [[sid]] tables.
func srhCaptureRig(t *testing.T, gwMAC, sids string) *rig {
	r := newRig(t)
	r.ports = []rigPort{
		{"uplink", "underlay", gwMAC, `addresses = ["2001:db8:ff::1/64"]`},
		{"inner", "inner", innerMAC, `addresses = ["2001:db8:99::1/64"]`},
		{"l2", "inner", l2MAC, ""},
	}
	r.conf = captureDataplane + `
[[nexthop]]
ip = "2001:db8:ff::2"
mac = "` + uplinkPeer + `"
port = "uplink"

[[nexthop]]
ip = "` + innerHost6 + `"
mac = "` + innerPeer + `"
port = "inner"
` + sids
	return r
}

// TestCaptureSRHEndX: ipv6-srh-ext-header.pcap (SL 1, inner ICMPv6 echo)
// and ipv6-srh-insert-cksum.pcap (SL 2, an SRH inserted before UDP) at an
// End.X SID: Segments Left decremented, the destination the next segment,
// the hop limit one less, everything else as captured (RFC 8754 4.3.1.1).
func TestCaptureSRHEndX(t *testing.T) {
	for _, c := range []struct {
		file, gwMAC, sid, next string
		sl                     int
	}{
		{"ipv6-srh-ext-header.pcap", "08:00:27:20:6b:cf", "a:b:c:2::f1:0", "a:b:c:3::d6", 0},
		{"ipv6-srh-insert-cksum.pcap", "08:00:27:b9:df:40", "2::f1:0", "3::d6", 1},
	} {
		in := readCapture(t, c.file)
		require.Len(t, in, 1)
		res := srhCaptureRig(t, c.gwMAC, `
[[sid]]
sid = "`+c.sid+`"
behavior = "end.x"
nexthop = "2001:db8:ff::2"
`).run(map[string][][]byte{"uplink": in})
		out := res.out["uplink"]
		require.Len(t, out, 1, "%s: drops %v", c.file, nonZero(res.ctr.Drops))
		want := append(ethTo(uplinkPeer, c.gwMAC, 0x86dd), in[0][14:]...)
		want[14+7]--
		copy(want[14+24:], addr16(c.next))
		want[14+40+3]--
		require.Equal(t, want, out[0], c.file)
		rows := tshark(t, res.pcap["uplink"], "ipv6.dst", "ipv6.routing.segleft")
		require.Equal(t, c.next, strings.Split(rows[0][0], ",")[0], c.file)
		require.Equal(t, strconv.Itoa(c.sl), rows[0][1], c.file)
		require.EqualValues(t, 1, res.ctr.SIDs[0].Pkts)
	}
}

// TestCaptureSRHEther: ipv6-srh-ipproto-ether.pcap (Next Header 143, SL 0)
// at an End.DX2 SID: the inner Ethernet frame tshark finds, byte for byte.
func TestCaptureSRHEther(t *testing.T) {
	const f = "ipv6-srh-ipproto-ether.pcap"
	var want [][]byte
	for _, fr := range tsharkLayers(t, capturePath(f), "", "eth") {
		want = append(want, fr.layer(t, 1))
	}
	require.Len(t, want, 1)
	res := srhCaptureRig(t, "d6:67:19:4e:0f:4f", `
[[sid]]
sid = "c::2"
behavior = "end.dx2"
port = "l2"
`).run(map[string][][]byte{"uplink": readCapture(t, f)})
	require.Equal(t, want, res.out["l2"], "drops %v", nonZero(res.ctr.Drops))
}

// TestCaptureSRHTLV: ipv6-srh-tlv-hmac.pcap and ipv6-srh-tlv-pad1-padn-5.pcap
// carry TLVs after one segment and Next Header 59 (no next header). At an
// End.DX6 SID the TLVs are skipped by the SRH's length and the upper layer
// is refused as RFC 8986 4.1.1 says: Parameter Problem code 4 pointing past
// the SRH, quoting the packet with its TLVs. With an IPv6 packet after the
// same SRH (Next Header 41: the capture extended here), it decapsulates.
func TestCaptureSRHTLV(t *testing.T) {
	const sids = `
[[sid]]
sid = "cafe:1::2"
behavior = "end.dx6"
nexthop = "` + innerHost6 + `"
`
	for _, c := range []struct {
		file   string
		srhLen int
	}{{"ipv6-srh-tlv-hmac.pcap", 48}, {"ipv6-srh-tlv-pad1-padn-5.pcap", 32}} {
		in := readCapture(t, c.file)
		require.Len(t, in, 1)
		res := srhCaptureRig(t, "00:00:00:00:11:11", sids).run(map[string][][]byte{"uplink": in})
		require.Len(t, res.out["uplink"], 1, "%s: drops %v", c.file, nonZero(res.ctr.Drops))
		require.Equal(t, map[string]uint64{"srv6_bad_upper_layer": 1}, res.ctr.ICMPErrors)
		rows := tshark(t, res.pcap["uplink"], "ipv6.src", "ipv6.dst", "icmpv6.type", "icmpv6.code", "icmpv6.pointer",
			"icmpv6.checksum.status", "ipv6.routing.srh.addr")
		require.Equal(t, [][]string{{"cafe:1::2,2001:db8:1::1", "2001:db8:1::1,cafe:1::2", "4", "4",
			strconv.Itoa(40 + c.srhLen), "1", "cafe:1::2"}}, rows, c.file)
		require.Equal(t, in[0][14:], res.out["uplink"][0][14+48:], "%s quoted whole", c.file)

		v6 := ip6Packet("2001:db8:7::9", innerHost6)
		ext := append([]byte(nil), in[0]...)
		ext[14+40] = 41
		ext = append(ext, v6...)
		binary.BigEndian.PutUint16(ext[18:], uint16(c.srhLen+len(v6)))
		res = srhCaptureRig(t, "00:00:00:00:11:11", sids).run(map[string][][]byte{"uplink": {ext}})
		require.Equal(t, [][]byte{append(ethTo(innerPeer, innerMAC, 0x86dd), decTTL(v6)...)}, res.out["inner"],
			"%s + IPv6: drops %v", c.file, nonZero(res.ctr.Drops))
	}
}
