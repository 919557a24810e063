package dataplane

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// Hostile and broken input: one case per way a frame can be wrong, each
// through the rig, each dropped under exactly one named reason with nothing
// sent on any port.

// returnPacket is one IPv4 packet from behind the GRE peer to the inner host.
func returnPacket() []byte { return ipPacket(pktgen.Frame(returnFlow(), 40, 1)) }

// gre1Outer is what the rig's GRE peer (192.0.2.2, key 40, seq) sends.
func gre1Outer() greOuter {
	o := greOuter{src: "192.0.2.2", dst: "192.0.2.1"}
	o.gre.KeyPresent, o.gre.Key = true, 40
	o.gre.SeqPresent, o.gre.Seq = true, 7
	return o
}

func greFrame() []byte { return gre1Outer().frame(returnPacket()) }

// vx1Frame is what the rig's VTEP peer sends for VNI 100.
func vx1Frame() []byte {
	return vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100}.frame(pktgen.Frame(l2Flow(), 40, 1))
}

func setU16(f []byte, off int, v uint16) { binary.BigEndian.PutUint16(f[off:], v) }

type malformedCase struct {
	name   string
	port   string // rig port the frame arrives on
	frame  func() []byte
	reason string
}

func malformedCases() []malformedCase {
	const ip = 14 // outer IPv4 header offset
	withGRE := func(fn func(o *greOuter)) func() []byte {
		return func() []byte { o := gre1Outer(); fn(&o); return o.frame(returnPacket()) }
	}
	withVX := func(fn func(o *vxlanOuter)) func() []byte {
		return func() []byte {
			o := vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100}
			fn(&o)
			return o.frame(pktgen.Frame(l2Flow(), 40, 1))
		}
	}
	innerWith := func(fn func(f *pktgen.Flow)) func() []byte {
		return func() []byte { f := innerFlow(); fn(&f); return pktgen.Frame(f, 100, 1) }
	}
	decapWith := func(fn func(f *pktgen.Flow)) func() []byte {
		return func() []byte { f := returnFlow(); fn(&f); return gre1Outer().frame(ipPacket(pktgen.Frame(f, 40, 1))) }
	}
	return []malformedCase{
		// outer IPv4
		{"ipv4_cut_in_header", "uplink", func() []byte { return cutFrame(greFrame(), ip+12) }, "truncated"},
		{"ipv4_version_6", "uplink", func() []byte { return patch(greFrame(), func(f []byte) { f[ip] = 0x65 }) }, "bad_ip_header"},
		{"ipv4_ihl_4", "uplink", func() []byte { return patch(greFrame(), func(f []byte) { f[ip] = 0x44 }) }, "bad_ip_header"},
		{"ipv4_ihl_0", "uplink", func() []byte { return patch(greFrame(), func(f []byte) { f[ip] = 0x40 }) }, "bad_ip_header"},
		// IHL 15 (60 bytes) in a 66-byte frame: the header runs past the frame
		{"ipv4_ihl_past_frame", "uplink", func() []byte {
			o := greOuter{src: "192.0.2.2", dst: "192.0.2.1"}
			f := o.frame(ipPacket(pktgen.Frame(returnFlow(), 0, 1)))
			if len(f) != 66 {
				panic("ipv4_ihl_past_frame: frame is not 66 bytes")
			}
			f[ip] = 0x4f
			return f
		}, "truncated"},
		// IHL 6 but a total length of 22: shorter than its own header
		{"ipv4_total_below_ihl", "uplink", func() []byte {
			o := gre1Outer()
			o.options = []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
			return patch(o.frame(returnPacket()), func(f []byte) { setU16(f, ip+2, 22) })
		}, "bad_ip_length"},
		{"ipv4_bad_checksum", "uplink", func() []byte { f := greFrame(); f[ip+10] ^= 0x5a; return f }, "bad_ip_checksum"},
		{"ipv4_total_past_frame", "uplink", func() []byte {
			return patch(greFrame(), func(f []byte) { setU16(f, ip+2, uint16(len(f)-ip+10)) })
		}, "bad_ip_length"},
		{"ipv4_more_fragments", "uplink", func() []byte { return patch(greFrame(), func(f []byte) { setU16(f, ip+6, 0x2000) }) }, "fragment"},
		{"ipv4_fragment_offset", "uplink", func() []byte { return patch(greFrame(), func(f []byte) { setU16(f, ip+6, 185) }) }, "fragment"},
		{"ipv4_df_and_offset", "uplink", func() []byte { return patch(greFrame(), func(f []byte) { setU16(f, ip+6, 0x4001) }) }, "fragment"},
		{"ipv4_not_local", "uplink", withGRE(func(o *greOuter) { o.dst = "192.0.2.99" }), "not_local"},
		{"ipv4_inner_address_is_not_a_tunnel_endpoint", "uplink", withGRE(func(o *greOuter) { o.dst = "10.1.0.1" }), "unknown_tunnel"},
		{"wrong_dst_mac", "uplink", func() []byte { f := greFrame(); copy(f, mac("02:00:00:00:99:99")); return f }, "not_local"},
		{"ipv6_ethertype_ipv4_packet", "uplink", func() []byte { f := greFrame(); f[12], f[13] = 0x86, 0xdd; return f }, "bad_ip_header"},
		{"arp_ethertype_ipv4_packet", "uplink", func() []byte { f := greFrame(); f[12], f[13] = 0x08, 0x06; return f }, "unsupported"},
		{"other_ethertype", "uplink", func() []byte { f := greFrame(); f[12], f[13] = 0x88, 0xcc; return f }, "unsupported"},
		{"runt_ethernet", "uplink", func() []byte { return cutFrame(greFrame(), 13) }, "truncated"},
		{"ipv4_other_protocol_to_us", "uplink", func() []byte { return patch(greFrame(), func(f []byte) { f[ip+9] = 6 }) }, "local_unhandled"},

		// UDP
		{"udp_cut_in_header", "uplink", func() []byte { return cutIP(vx1Frame(), 20+4) }, "truncated"},
		{"udp_length_past_packet", "uplink", func() []byte {
			f := vx1Frame()
			setU16(f, ip+20+4, uint16(len(f)-ip-20+8))
			return f
		}, "bad_udp"},
		{"udp_length_short_of_packet", "uplink", func() []byte {
			f := vx1Frame()
			setU16(f, ip+20+4, uint16(len(f)-ip-20-8))
			return f
		}, "bad_udp"},
		{"udp_bad_checksum", "uplink", func() []byte { f := vx1Frame(); f[ip+20+6] ^= 0x11; return f }, "bad_udp_checksum"},
		{"udp_wrong_port", "uplink", withVX(func(o *vxlanOuter) { o.dport = 4790 }), "local_unhandled"},

		// GRE
		{"gre_cut_in_base_header", "uplink", func() []byte { return cutIP(greFrame(), 20+2) }, "truncated"},
		{"gre_cut_in_key", "uplink", func() []byte { return cutIP(greFrame(), 20+4+2) }, "truncated"},
		{"gre_cut_in_sequence", "uplink", func() []byte { return cutIP(greFrame(), 20+8+2) }, "truncated"},
		{"gre_cut_in_checksum", "uplink", withCut(withGRE(func(o *greOuter) { o.gre.ChecksumPresent = true }), 20+4+2), "truncated"},
		// RFC 2784 section 2.3.1: bits 1-5 non-zero (bits 2, 3 are RFC 2890's K and S) mean discard
		{"gre_routing_bit", "uplink", withGRE(func(o *greOuter) { o.gre.RoutingPresent = true }), "bad_gre_header"},
		{"gre_strict_source_route_bit", "uplink", withGRE(func(o *greOuter) { o.gre.StrictSourceRoute = true }), "bad_gre_header"},
		{"gre_recursion_bit5", "uplink", withGRE(func(o *greOuter) { o.gre.RecursionControl = 4 }), "bad_gre_header"},
		{"gre_version_1", "uplink", withGRE(func(o *greOuter) { o.gre.Version = 1 }), "bad_gre_header"},
		{"gre_version_7", "uplink", withGRE(func(o *greOuter) { o.gre.Version = 7 }), "bad_gre_header"},
		{"gre_bad_checksum", "uplink", func() []byte {
			o := gre1Outer()
			o.gre.ChecksumPresent = true
			f := o.frame(returnPacket())
			f[ip+20+4] ^= 0x01
			return f
		}, "bad_gre_checksum"},
		{"gre_wrong_key", "uplink", withGRE(func(o *greOuter) { o.gre.Key = 41 }), "unknown_tunnel"},
		{"gre_no_key", "uplink", withGRE(func(o *greOuter) { o.gre.KeyPresent = false }), "unknown_tunnel"},
		{"gre_wrong_source", "uplink", withGRE(func(o *greOuter) { o.src = "192.0.2.3" }), "unknown_tunnel"},
		{"gre_payload_transparent_ethernet", "uplink", func() []byte {
			o := gre1Outer()
			o.gre.Protocol = layers.EthernetTypeTransparentEthernetBridging // 0x6558
			return o.frame(pktgen.Frame(l2Flow(), 40, 1))
		}, "unknown_payload"},
		{"gre_payload_wccp", "uplink", func() []byte {
			o := gre1Outer()
			o.gre.Protocol = 0x883e
			return o.frame(append([]byte{0, 0, 0, 0}, returnPacket()...))
		}, "unknown_payload"},
		{"gre_inner_ipv4_bad_checksum", "uplink", func() []byte {
			p := returnPacket()
			p[10] ^= 0xff
			return gre1Outer().frame(p)
		}, "bad_ip_checksum"},
		{"gre_inner_ipv4_length_past_packet", "uplink", func() []byte {
			p := returnPacket()
			setU16(p, 2, uint16(len(p)+4))
			binary.BigEndian.PutUint16(p[10:], 0)
			binary.BigEndian.PutUint16(p[10:], ipv4Checksum(p[:20]))
			return gre1Outer().frame(p)
		}, "bad_ip_length"},
		{"gre_inner_says_ipv6_is_ipv4", "uplink", withGRE(func(o *greOuter) { o.gre.Protocol = layers.EthernetTypeIPv6 }), "bad_ip_header"},

		// VXLAN
		{"vxlan_i_flag_clear", "uplink", withVX(func(o *vxlanOuter) { o.noIFlag = true }), "bad_vxlan_header"},
		{"vxlan_cut_in_header", "uplink", func() []byte { return cutUDP(vx1Frame(), 20+8+4) }, "truncated"},
		{"vxlan_cut_in_inner_ethernet", "uplink", func() []byte { return cutUDP(vx1Frame(), 20+8+8+13) }, "truncated"},
		{"vxlan_wrong_vni", "uplink", withVX(func(o *vxlanOuter) { o.vni = 200 }), "unknown_tunnel"},
		{"vxlan_wrong_local_address", "uplink", withVX(func(o *vxlanOuter) { o.dst = "10.1.0.1" }), "unknown_tunnel"},

		// ECN (RFC 6040 section 4.2): CE outside, not-ECT inside
		{"ecn_ce_over_not_ect_gre", "uplink", func() []byte {
			o := gre1Outer()
			o.tos = 0x03
			return o.frame(returnPacket())
		}, "ecn_ce_not_ect"},
		{"ecn_ce_over_not_ect_vxlan", "uplink", withVX(func(o *vxlanOuter) { o.tos = 0x03 }), "ecn_ce_not_ect"},
		// CE outside, an inner frame that says IPv4 (IPv6) but ends before
		// the IP header: RFC 6040 would read and rewrite bytes past the frame
		{"ecn_ce_over_runt_inner_ipv4", "uplink", func() []byte {
			o := vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100, tos: 0x03}
			return o.frame(append(runtInner(0x0800), 0x45, 0x02))
		}, "truncated"},
		{"ecn_ce_over_runt_inner_ipv4_no_l3", "uplink", func() []byte {
			o := vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100, tos: 0x03}
			return o.frame(runtInner(0x0800))
		}, "truncated"},
		{"ecn_ce_over_runt_inner_ipv6", "uplink", func() []byte {
			o := vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100, tos: 0x03}
			return o.frame(append(runtInner(0x86dd), 0x60, 0x20))
		}, "truncated"},

		// TTL, routes, bindings, MTU
		// (from sources with no route back: the others get Time Exceeded, icmp_test.go;
		// the rig's ports have no IPv6 address, so no ICMPv6 error is sourced)
		{"ttl_1_encap", "inner", innerWith(func(f *pktgen.Flow) { f.TTL, f.Src = 1, netip.MustParseAddr("10.77.0.1") }), "ttl_expired"},
		{"ttl_1_decap", "uplink", decapWith(func(f *pktgen.Flow) { f.TTL, f.Src = 1, netip.MustParseAddr("10.77.0.1") }), "ttl_expired"},
		{"hop_limit_1_decap", "uplink", decapWith(func(f *pktgen.Flow) {
			f.Src, f.Dst, f.TTL = netip.MustParseAddr("2001:db8:2::7"), netip.MustParseAddr("2001:db8:1::2"), 1
		}), "ttl_expired"},
		{"hop_limit_1_encap", "inner", innerWith(func(f *pktgen.Flow) {
			f.Src, f.Dst, f.TTL = netip.MustParseAddr("2001:db8:1::2"), netip.MustParseAddr("2001:db8:2::7"), 1
		}), "ttl_expired"},
		{"no_route_encap", "inner", innerWith(func(f *pktgen.Flow) { f.Dst = netip.MustParseAddr("10.9.9.9") }), "no_route"},
		{"no_route_encap_ipv6", "inner", innerWith(func(f *pktgen.Flow) {
			f.Src, f.Dst = netip.MustParseAddr("2001:db8:1::2"), netip.MustParseAddr("2001:db8:9::1")
		}), "no_route"},
		{"no_route_decap", "uplink", decapWith(func(f *pktgen.Flow) { f.Dst = netip.MustParseAddr("10.9.9.9") }), "no_route"},
		{"inner_wrong_dst_mac", "inner", innerWith(func(f *pktgen.Flow) { f.DstMAC = mac("02:00:00:00:99:99") }), "not_local"},
		{"inner_truncated_ipv4", "inner", func() []byte { return cutFrame(pktgen.Frame(innerFlow(), 100, 1), 14+16) }, "truncated"},
		{"inner_ipv4_bad_checksum", "inner", func() []byte { f := pktgen.Frame(innerFlow(), 100, 1); f[24] ^= 0x80; return f }, "bad_ip_checksum"},
		{"inner_ipv4_length_past_frame", "inner", func() []byte {
			f := pktgen.Frame(innerFlow(), 100, 1)
			return patch(f, func(f []byte) { setU16(f, ip+2, uint16(len(f)-ip+1)) })
		}, "bad_ip_length"},
		{"inner_truncated_ipv6", "inner", innerCut(func(f *pktgen.Flow) {
			f.Src, f.Dst = netip.MustParseAddr("2001:db8:1::2"), netip.MustParseAddr("2001:db8:2::7")
		}, 14+39), "truncated"},
		{"inner_ipv6_length_past_frame", "inner", func() []byte {
			f := innerFlow()
			f.Src, f.Dst = netip.MustParseAddr("2001:db8:1::2"), netip.MustParseAddr("2001:db8:2::7")
			fr := pktgen.Frame(f, 100, 1)
			setU16(fr, ip+4, uint16(len(fr)-ip-40+1))
			return fr
		}, "bad_ip_length"},
		{"inner_ipv6_says_ipv4", "inner", func() []byte { f := pktgen.Frame(innerFlow(), 100, 1); f[12], f[13] = 0x86, 0xdd; return f }, "bad_ip_header"},
		{"inner_other_ethertype", "inner", func() []byte { f := pktgen.Frame(innerFlow(), 100, 1); f[12], f[13] = 0x88, 0xcc; return f }, "unsupported"},
		{"l2_runt", "l2", func() []byte { return cutFrame(pktgen.Frame(l2Flow(), 0, 1), 13) }, "truncated"},
		{"l2_runt_vlan_tag", "l2", func() []byte { f := l2Flow(); f.VLAN = 7; return cutFrame(pktgen.Frame(f, 0, 1), 16) }, "truncated"},
		{"vlan_without_binding", "l2", func() []byte { f := l2Flow(); f.VLAN = 5; return pktgen.Frame(f, 40, 1) }, "no_l2_binding"},
		// 1500 bytes of IP + 20 IPv4 + 12 GRE > port mtu 1500
		{"mtu_exceeded_gre", "inner", func() []byte { return pktgen.FrameOfSize(innerFlow(), 14+1500, 1) }, "mtu_exceeded"},
		// 1464 + 14 + 36 of outer headers > 1500
		{"mtu_exceeded_vxlan", "l2", func() []byte { return pktgen.FrameOfSize(l2Flow(), 1465, 1) }, "mtu_exceeded"},
	}
}

// runtInner is an inner Ethernet header alone, of the given ethertype.
func runtInner(ethertype uint16) []byte {
	f := append(append([]byte(nil), mac("02:00:00:00:bb:01")...), mac("02:00:00:00:aa:01")...)
	return binary.BigEndian.AppendUint16(f, ethertype)
}

func innerCut(fn func(f *pktgen.Flow), n int) func() []byte {
	return func() []byte { f := innerFlow(); fn(&f); return cutFrame(pktgen.Frame(f, 100, 1), n) }
}

func withCut(fn func() []byte, n int) func() []byte {
	return func() []byte { return cutIP(fn(), n) }
}

func TestMalformed(t *testing.T) {
	for _, c := range malformedCases() {
		c := c
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			r.extra = conformanceConf
			f := c.frame()
			res := r.run(map[string][][]byte{c.port: {f}})
			requireDropped(t, res, c.reason, 1)
		})
	}
}

// TestMTUBoundary: the largest inner packet that fits the uplink MTU goes
// out at exactly 1500 bytes of IP; one byte more is mtu_exceeded.
func TestMTUBoundary(t *testing.T) {
	r := newRig(t)
	in := [][]byte{
		pktgen.FrameOfSize(innerFlow(), 14+1468, 1), // gre1: 20 + 12 bytes of outer headers
		pktgen.FrameOfSize(innerFlow(), 14+1469, 2),
	}
	l2 := [][]byte{
		pktgen.FrameOfSize(l2Flow(), 1464, 3), // VXLAN: 20 + 8 + 8 + the 14-byte inner Ethernet header
		pktgen.FrameOfSize(l2Flow(), 1465, 4),
	}
	res := r.run(map[string][][]byte{"inner": in, "l2": l2})
	out := res.out["uplink"]
	require.Len(t, out, 2)
	require.Len(t, out[0], 14+1500)
	require.Len(t, out[1], 14+1500)
	require.Equal(t, map[string]uint64{"mtu_exceeded": 2}, nonZero(res.ctr.Drops))
}
