package dataplane

import (
	"encoding/binary"
	"encoding/hex"
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

// L2TP: L2TPv2 data sessions (RFC 2661, PPP-framed IPv4 and IPv6, routed)
// and L2TPv3 Ethernet pseudowires (RFC 3931, over IP protocol 115 and over
// UDP, bound to VLANs of the l2 port), over IPv4 and IPv6 underlays. Frames
// from the peer are built here byte by byte from the RFCs' header layouts
// (gopacket has no L2TP layer); what the gateway sends is decoded by tshark
// and, for the outer IP, UDP and PPP, by gopacket.

// v2aTunnel: the L2TPv2 session the L2TP suites share (ids 100/200 here, 300/400 at the peer).
const v2aTunnel = `[[tunnel]]
name = "v2a"
type = "l2tpv2"
local = "192.0.2.1"
remote = "192.0.2.2"
tunnel_id = 100
session_id = 200
peer_tunnel_id = 300
peer_session_id = 400
dscp = 12
`

// v2bTunnel: a second session of v2a's tunnel, without PPP address and
// control, with the Length bit.
const v2bTunnel = `[[tunnel]]
name = "v2b"
type = "l2tpv2"
local = "192.0.2.1"
remote = "192.0.2.2"
tunnel_id = 100
session_id = 201
peer_tunnel_id = 301
peer_session_id = 401
ppp_addr_ctrl = false
length_bit = true
`

const l2tpConf = `
[[nexthop]]
ip = "` + peer6 + `"
mac = "` + uplinkPeer + `"
port = "uplink"

[[nexthop]]
ip = "2001:db8:1::2"
mac = "` + innerPeer + `"
port = "inner"

` + v2aTunnel + `
[[route]]
prefix = "10.7.0.0/16"
tunnel = "v2a"

[[route]]
prefix = "2001:db8:7::/48"
tunnel = "v2a"

[[tunnel]]
name = "v2b"
type = "l2tpv2"
local = "192.0.2.1"
remote = "192.0.2.2"
tunnel_id = 100
session_id = 201
peer_tunnel_id = 301
peer_session_id = 65535
ppp_addr_ctrl = false
length_bit = true

[[route]]
prefix = "10.8.0.0/16"
tunnel = "v2b"

[[tunnel]]
name = "v2v6"
type = "l2tpv2"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
tunnel_id = 102
session_id = 202
peer_tunnel_id = 302
peer_session_id = 402
ttl = 40

[[route]]
prefix = "10.9.0.0/16"
tunnel = "v2v6"

[[route]]
prefix = "2001:db8:9::/48"
tunnel = "v2v6"

[[tunnel]]
name = "pwip"
type = "l2tpv3"
encap = "ip"
local = "192.0.2.1"
remote = "192.0.2.2"
session_id = 4096
peer_session_id = 8192
cookie = "0x01020304"
peer_cookie = "0a0b0c0d"

[[l2]]
port = "l2"
vlan = 30
tunnel = "pwip"

[[tunnel]]
name = "pwudp"
type = "l2tpv3"
local = "192.0.2.1"
remote = "192.0.2.2"
session_id = 4097
peer_session_id = 4294967295
cookie = "0x1112131415161718"
peer_cookie = "0x2122232425262728"
l2_sublayer = true
seq = true

[[l2]]
port = "l2"
vlan = 31
tunnel = "pwudp"

[[tunnel]]
name = "pwip6"
type = "l2tpv3"
encap = "ip"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
session_id = 4098
peer_session_id = 8194

[[l2]]
port = "l2"
vlan = 32
tunnel = "pwip6"

[[tunnel]]
name = "pwudp6"
type = "l2tpv3"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
session_id = 4099
peer_session_id = 8195
cookie = "0xcafef00d"
peer_cookie = "0xfeedface"

[[l2]]
port = "l2"
vlan = 33
tunnel = "pwudp6"
`

func l2tpRig(t *testing.T) *rig {
	r := newRig(t)
	r.ports = ipv6Ports
	r.extra = l2tpConf
	return r
}

// l2tpPeer is the far end: its outer headers towards the gateway.
type l2tpPeer struct {
	v6       bool
	tos      uint8
	src      string // default the rig's peer (192.0.2.2 or peer6)
	dport    uint16 // default 1701
	zeroCsum bool   // send a zero UDP checksum
}

func (p l2tpPeer) ip(proto layers.IPProtocol) (*layers.Ethernet, gopacket.NetworkLayer, gopacket.SerializableLayer) {
	if p.v6 {
		src := peer6
		if p.src != "" {
			src = p.src
		}
		ip := ip6(src, uplink6, proto)
		ip.TrafficClass = p.tos
		return eth6(uplinkMAC), ip, ip
	}
	src := "192.0.2.2"
	if p.src != "" {
		src = p.src
	}
	ip := &layers.IPv4{Version: 4, TTL: 60, TOS: p.tos, Protocol: proto,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP("192.0.2.1").To4()}
	eth := &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(uplinkMAC), EthernetType: layers.EthernetTypeIPv4}
	return eth, ip, ip
}

// udp wraps an L2TP message in UDP from and to port 1701 (or dport).
func (p l2tpPeer) udp(msg []byte) []byte {
	eth, nl, ip := p.ip(layers.IPProtocolUDP)
	dport := p.dport
	if dport == 0 {
		dport = 1701
	}
	udp := &layers.UDP{SrcPort: 1701, DstPort: layers.UDPPort(dport)}
	udp.SetNetworkLayerForChecksum(nl)
	f := serialize(nil, eth, ip, udp, gopacket.Payload(msg))
	if p.zeroCsum {
		off := 14 + 20
		if p.v6 {
			off = 14 + 40
		}
		f[off+6], f[off+7] = 0, 0
	}
	return f
}

// ip115 sends an L2TPv3 message over IP (RFC 3931 4.1.1).
func (p l2tpPeer) ip115(msg []byte) []byte {
	eth, _, ip := p.ip(115)
	return serialize(nil, eth, ip, gopacket.Payload(msg))
}

// v2msg is an L2TPv2 message (RFC 2661 3.1) as a peer sends it.
type v2msg struct {
	t, l, s, o bool
	ver        uint16 // 0: 2
	length     int    // Length field when l: 0 = the right one, else this
	tid, sid   uint16
	offset     int // Offset Size when o; that many pad bytes follow unless pad < 0
	pad        int // pad bytes actually sent when o (default offset)
	ppp        []byte
}

func (m v2msg) bytes(payload []byte) []byte {
	fl := m.ver
	if fl == 0 {
		fl = 2
	}
	for _, b := range []struct {
		on  bool
		bit uint16
	}{{m.t, 0x8000}, {m.l, 0x4000}, {m.s, 0x0800}, {m.o, 0x0200}} {
		if b.on {
			fl |= b.bit
		}
	}
	b := binary.BigEndian.AppendUint16(nil, fl)
	if m.l {
		b = append(b, 0, 0)
	}
	b = binary.BigEndian.AppendUint16(b, m.tid)
	b = binary.BigEndian.AppendUint16(b, m.sid)
	if m.s {
		b = append(b, 0x12, 0x34, 0x56, 0x78) // Ns, Nr
	}
	if m.o {
		b = binary.BigEndian.AppendUint16(b, uint16(m.offset))
		pad := m.offset
		if m.pad != 0 {
			pad = max(m.pad, 0)
		}
		for i := 0; i < pad; i++ {
			b = append(b, 0xa5)
		}
	}
	b = append(append(b, m.ppp...), payload...)
	if m.l {
		n := len(b)
		if m.length != 0 {
			n = m.length
		}
		binary.BigEndian.PutUint16(b[2:], uint16(n))
	}
	return b
}

// pppFor is PPP address, control and protocol for an IP packet (RFC 1662 3.1).
func pppFor(ip []byte) []byte {
	if ip[0]>>4 == 6 {
		return []byte{0xff, 0x03, 0x00, 0x57}
	}
	return []byte{0xff, 0x03, 0x00, 0x21}
}

// v3msg is an L2TPv3 data message: over UDP the flags/version word
// (RFC 3931 4.1.2.1) first, then session id, cookie and sublayer.
func v3msg(udp bool, sid uint32, cookie, sublayer, frame []byte) []byte {
	var b []byte
	if udp {
		b = []byte{0, 3, 0, 0}
	}
	b = binary.BigEndian.AppendUint32(b, sid)
	b = append(append(append(b, cookie...), sublayer...), frame...)
	return b
}

func unhexT(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// tagged inserts an 802.1Q tag with vid after the MAC addresses of frame.
func tagged(frame []byte, vid uint16) []byte {
	out := append([]byte(nil), frame[:12]...)
	out = append(out, 0x81, 0x00, byte(vid>>8), byte(vid))
	return append(out, frame[12:]...)
}

// l3Opts are the tshark options for an L2TPv3 session: tshark learns the
// cookie size, sublayer and pseudowire type from control messages, so a
// capture without them is decoded with the session's (one per capture).
func l3Opts(cookieLen int, sublayer bool) []string {
	cs := map[int]string{0: "None", 4: "4 Byte Cookie", 8: "8 Byte Cookie"}[cookieLen]
	sub := "None"
	if sublayer {
		sub = "Default L2-Specific"
	}
	return []string{"-o", "l2tp.cookie_size:" + cs, "-o", "l2tp.l2_specific:" + sub, "-d", "l2tp.pw_type==0,eth"}
}

// v2spec: an L2TPv2 session of l2tpConf, as seen from the inner side.
type v2spec struct {
	tunnel    string
	dst       string // an inner address routed into it
	v6        bool   // underlay
	tid, sid  uint16 // what the gateway sends (peer ids)
	ac, lbit  bool   // PPP address/control sent, Length field sent
	ttl, dscp uint8
	dscpCopy  bool
}

var v2specs = []v2spec{
	{tunnel: "v2a", dst: "10.7.0.5", tid: 300, sid: 400, ac: true, ttl: 64, dscp: 12},
	{tunnel: "v2a", dst: "2001:db8:7::5", tid: 300, sid: 400, ac: true, ttl: 64, dscp: 12},
	{tunnel: "v2b", dst: "10.8.0.5", tid: 301, sid: 65535, lbit: true, ttl: 64, dscpCopy: true},
	{tunnel: "v2v6", dst: "10.9.0.5", v6: true, tid: 302, sid: 402, ac: true, ttl: 40, dscpCopy: true},
	{tunnel: "v2v6", dst: "2001:db8:9::5", v6: true, tid: 302, sid: 402, ac: true, ttl: 40, dscpCopy: true},
}

func TestL2TPv2Encap(t *testing.T) {
	for _, s := range v2specs {
		s := s
		t.Run(s.tunnel+"/"+s.dst, func(t *testing.T) {
			in := pktgen.Mix(24, 6, flow6(s.dst), 5)
			res := l2tpRig(t).run(map[string][][]byte{"inner": in})
			out := res.out["uplink"]
			require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))
			innerV6 := netip.MustParseAddr(s.dst).Is6()
			wantTOS := s.dscp<<2 | innerTOS&3
			if s.dscpCopy {
				wantTOS = innerTOS
			}
			for i, f := range out {
				p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
				eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
				require.Equal(t, uplinkPeer, eth.DstMAC.String())
				require.Equal(t, uplinkMAC, eth.SrcMAC.String())
				var l4 int
				if s.v6 {
					ip := p.Layers()[1].(*layers.IPv6)
					require.Equal(t, uplink6, ip.SrcIP.String())
					require.Equal(t, peer6, ip.DstIP.String())
					require.EqualValues(t, s.ttl, ip.HopLimit)
					require.Equal(t, wantTOS, ip.TrafficClass)
					require.NotZero(t, ip.FlowLabel)
					require.EqualValues(t, len(f)-14-40, ip.Length)
					l4 = 14 + 40
				} else {
					ip := p.Layers()[1].(*layers.IPv4)
					require.Equal(t, "192.0.2.1", ip.SrcIP.String())
					require.Equal(t, "192.0.2.2", ip.DstIP.String())
					require.EqualValues(t, s.ttl, ip.TTL)
					require.Equal(t, wantTOS, ip.TOS)
					require.Equal(t, layers.IPv4DontFragment, ip.Flags)
					require.EqualValues(t, len(f)-14, ip.Length)
					l4 = 14 + 20
				}
				udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
				require.EqualValues(t, 1701, udp.SrcPort)
				require.EqualValues(t, 1701, udp.DstPort)
				require.EqualValues(t, len(f)-l4, udp.Length)
				if !s.v6 {
					require.Zero(t, udp.Checksum, "zero UDP checksum over IPv4")
				}
				msg := f[l4+8:]
				hl := 6
				fl := uint16(0x0002)
				if s.lbit {
					fl |= 0x4000
					hl += 2
					require.EqualValues(t, len(msg), binary.BigEndian.Uint16(msg[2:]), "Length: the whole message")
				}
				require.Equal(t, fl, binary.BigEndian.Uint16(msg), "flags: data, version 2")
				require.Equal(t, s.tid, binary.BigEndian.Uint16(msg[hl-4:]))
				require.Equal(t, s.sid, binary.BigEndian.Uint16(msg[hl-2:]))
				pp := msg[hl:]
				if s.ac {
					require.Equal(t, []byte{0xff, 0x03}, pp[:2])
				}
				// gopacket's PPP decoder takes the frame with or without 0xff03
				pk := gopacket.NewPacket(pp, layers.LayerTypePPP, gopacket.Default)
				ppp := pk.Layer(layers.LayerTypePPP).(*layers.PPP)
				want := ipPacket(in[i])
				if innerV6 {
					require.Equal(t, layers.PPPTypeIPv6, ppp.PPPType)
					require.NotNil(t, pk.Layer(layers.LayerTypeIPv6))
				} else {
					require.Equal(t, layers.PPPTypeIPv4, ppp.PPPType)
					require.NotNil(t, pk.Layer(layers.LayerTypeIPv4))
				}
				requireInnerIP(t, want, ppp.LayerPayload(), fmt.Sprintf("frame %d", i))
			}
			rows := tshark(t, res.pcap["uplink"], "udp.srcport", "udp.dstport", "udp.checksum.status",
				"l2tp.type", "l2tp.length_bit", "l2tp.length", "l2tp.version", "l2tp.tunnel", "l2tp.session",
				"ppp.address", "ppp.control", "ppp.protocol")
			require.Len(t, rows, len(in))
			for i, row := range rows {
				csum := "3" // not present: zero over IPv4
				if s.v6 {
					csum = "1"
				}
				// the inner packet is UDP too: tshark lists its ports and checksum after the outer ones
				iu := gopacket.NewPacket(in[i], layers.LayerTypeEthernet, gopacket.Default).Layer(layers.LayerTypeUDP).(*layers.UDP)
				proto := "0x0021"
				if innerV6 {
					proto = "0x0057"
				}
				length := ""
				if s.lbit {
					length = strconv.Itoa(len(out[i]) - 14 - 20 - 8)
				}
				ac := []string{"0xff", "0x03"}
				if !s.ac {
					ac = []string{"", ""}
				}
				require.Equal(t, append([]string{"1701," + strconv.Itoa(int(iu.SrcPort)), "1701," + strconv.Itoa(int(iu.DstPort)), csum + ",1", "0", boolStr(s.lbit), length, "2",
					strconv.Itoa(int(s.tid)), strconv.Itoa(int(s.sid))}, append(ac, proto)...), row, "frame %d", i)
			}
			require.EqualValues(t, len(in), res.tunnel(s.tunnel).EncapPkts)
		})
	}
}

// back is traffic from behind the L2TP peer to the inner host (IPv4 or IPv6).
func l2tpBack(v6 bool, src string) pktgen.Flow {
	f := returnFlow()
	f.Src, f.TOS = netip.MustParseAddr(src), innerTOS
	if v6 {
		f.Dst = netip.MustParseAddr("2001:db8:1::2")
	}
	return f
}

func TestL2TPv2Decap(t *testing.T) {
	v4 := ipPackets(6, 3, l2tpBack(false, "10.7.0.9"), 11)
	v6 := ipPackets(6, 3, l2tpBack(true, "2001:db8:7::9"), 12)
	a := v2msg{tid: 100, sid: 200}
	cases := []struct {
		name   string
		peer   l2tpPeer
		msg    v2msg
		ppp    func(ip []byte) []byte
		tunnel string
	}{
		{"plain", l2tpPeer{}, a, pppFor, "v2a"},
		{"zero_udp_checksum", l2tpPeer{zeroCsum: true}, a, pppFor, "v2a"},
		{"length", l2tpPeer{}, v2msg{l: true, tid: 100, sid: 200}, pppFor, "v2a"},
		{"ns_nr", l2tpPeer{}, v2msg{s: true, tid: 100, sid: 200}, pppFor, "v2a"},
		{"offset_padding", l2tpPeer{}, v2msg{o: true, offset: 5, tid: 100, sid: 200}, pppFor, "v2a"},
		{"offset_zero", l2tpPeer{}, v2msg{o: true, tid: 100, sid: 200}, pppFor, "v2a"},
		{"all_fields", l2tpPeer{}, v2msg{l: true, s: true, o: true, offset: 2, tid: 100, sid: 200}, pppFor, "v2a"},
		// RFC 1662 address/control compressed, RFC 1661 protocol compressed
		{"no_addr_ctrl", l2tpPeer{}, a, func(ip []byte) []byte { return pppFor(ip)[2:] }, "v2a"},
		{"pfc", l2tpPeer{}, a, func(ip []byte) []byte { return pppFor(ip)[3:] }, "v2a"},
		{"addr_ctrl_pfc", l2tpPeer{}, a, func(ip []byte) []byte { p := pppFor(ip); return []byte{p[0], p[1], p[3]} }, "v2a"},
		// v2b sends without address/control; it takes both
		{"v2b_with_addr_ctrl", l2tpPeer{}, v2msg{tid: 100, sid: 201}, pppFor, "v2b"},
		{"ipv6_underlay", l2tpPeer{v6: true}, v2msg{tid: 102, sid: 202}, pppFor, "v2v6"},
		{"ipv6_underlay_fields", l2tpPeer{v6: true}, v2msg{l: true, s: true, o: true, offset: 3, tid: 102, sid: 202}, pppFor, "v2v6"},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			pay := append(append([][]byte(nil), v4...), v6...)
			var in [][]byte
			for _, p := range pay {
				m := c.msg
				m.ppp = c.ppp(p)
				in = append(in, c.peer.udp(m.bytes(p)))
			}
			res := l2tpRig(t).run(map[string][][]byte{"uplink": in})
			out := res.out["inner"]
			require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))
			for i, f := range out {
				require.Equal(t, mac(innerPeer), net.HardwareAddr(f[0:6]))
				require.Equal(t, mac(innerMAC), net.HardwareAddr(f[6:12]))
				requireInnerIP(t, pay[i], f[14:], fmt.Sprintf("frame %d", i))
			}
			rows := tshark(t, res.pcap["inner"], "eth.type", "ip.src", "ipv6.src", "ip.ttl", "ipv6.hlim", "ip.checksum.status", "udp.checksum.status", "l2tp")
			require.Len(t, rows, len(in))
			for i, row := range rows {
				if i < len(v4) {
					src := pktgen.FlowN(l2tpBack(false, "10.7.0.9"), i%3).Src.String()
					require.Equal(t, []string{"0x0800", src, "", "29", "", "1", "1", ""}, row, "frame %d", i)
				} else {
					src := pktgen.FlowN(l2tpBack(true, "2001:db8:7::9"), (i-len(v4))%3).Src.String()
					require.Equal(t, []string{"0x86dd", "", src, "", "29", "", "1", ""}, row, "frame %d", i)
				}
			}
			require.EqualValues(t, len(in), res.tunnel(c.tunnel).DecapPkts)
		})
	}
}

// TestL2TPv2Malformed: each hostile or foreign message dropped under its reason.
func TestL2TPv2Malformed(t *testing.T) {
	p := returnPacket()
	ok := v2msg{tid: 100, sid: 200, ppp: pppFor(p)}
	msg := func(m v2msg) []byte { return m.bytes(p) }
	with := func(fn func(m *v2msg)) []byte { m := ok; fn(&m); return msg(m) }
	v4, v6 := l2tpPeer{}, l2tpPeer{v6: true}
	ok6 := ok
	ok6.tid, ok6.sid = 102, 202
	cases := []struct {
		name   string
		frame  []byte
		reason string
	}{
		{"short_header", v4.udp(msg(ok)[:4]), "truncated"},
		{"flags_only", v4.udp(msg(ok)[:1]), "truncated"},
		{"short_length_field", v4.udp(with(func(m *v2msg) { m.l = true })[:5]), "truncated"},
		{"short_ns_nr", v4.udp(with(func(m *v2msg) { m.s = true; m.ppp = nil })[:8]), "truncated"},
		{"length_too_long", v4.udp(with(func(m *v2msg) { m.l, m.length = true, 1000 })), "bad_l2tp_length"},
		{"length_too_short", v4.udp(with(func(m *v2msg) { m.l, m.length = true, 8 })), "bad_l2tp_length"},
		{"offset_past_end", v4.udp(with(func(m *v2msg) { m.o, m.offset, m.pad = true, 500, -1 })), "bad_l2tp_offset"},
		{"offset_past_end_by_one", v4.udp(with(func(m *v2msg) { m.o, m.offset, m.pad, m.ppp = true, 3, -1, nil })[:10]), "bad_l2tp_offset"},
		{"offset_to_the_end", v4.udp(with(func(m *v2msg) { m.o, m.offset, m.pad, m.ppp = true, 2, -1, nil })[:10]), "truncated"},
		{"offset_field_missing", v4.udp(with(func(m *v2msg) { m.o = true })[:7]), "truncated"},
		{"control_message", v4.udp(with(func(m *v2msg) { m.t, m.l, m.s = true, true, true })), "l2tp_control"},
		{"control_unknown_tunnel", v4.udp(with(func(m *v2msg) { m.t, m.l, m.s, m.tid, m.sid = true, true, true, 9, 0 })), "l2tp_control"},
		{"version_1_l2f", v4.udp(with(func(m *v2msg) { m.ver = 1 })), "bad_l2tp_version"},
		{"version_15", v4.udp(with(func(m *v2msg) { m.ver = 15 })), "bad_l2tp_version"},
		// version 3 on 1701, where L2TPv3 sessions listen: no such session
		{"version_3_no_session", v4.udp(v3msg(true, 77, nil, nil, pktgen.Frame(l2Flow(), 60, 1))), "unknown_tunnel"},
		{"version_3_short", v4.udp([]byte{0, 3, 0, 0, 0, 0}), "truncated"},
		{"unknown_session", v4.udp(with(func(m *v2msg) { m.sid = 999 })), "unknown_tunnel"},
		{"unknown_tunnel_id", v4.udp(with(func(m *v2msg) { m.tid = 999 })), "unknown_tunnel"},
		{"wrong_remote", l2tpPeer{src: "192.0.2.77"}.udp(msg(ok)), "unknown_tunnel"},
		{"session_of_other_family", v6.udp(msg(ok)), "unknown_tunnel"},
		{"lcp", v4.udp(with(func(m *v2msg) { m.ppp = []byte{0xff, 0x03, 0xc0, 0x21} })), "ppp_not_ip"},
		{"ipcp", v4.udp(with(func(m *v2msg) { m.ppp = []byte{0x80, 0x21} })), "ppp_not_ip"},
		{"ppp_missing", v4.udp(with(func(m *v2msg) { m.ppp = nil })[:6]), "truncated"},
		{"ppp_half_protocol", v4.udp(with(func(m *v2msg) { m.ppp = []byte{0xff, 0x03, 0x00} })[:9]), "truncated"},
		{"inner_ip_cut", v4.udp(with(func(m *v2msg) {})[:6+4+10]), "truncated"},
		{"udp_length", patch(v4.udp(msg(ok)), func(f []byte) { binary.BigEndian.PutUint16(f[14+20+4:], 9) }), "bad_udp"},
		{"udp_checksum", patch(v4.udp(msg(ok)), func(f []byte) { f[14+20+6] ^= 0x55 }), "bad_udp_checksum"},
		{"ipv6_zero_checksum", l2tpPeer{v6: true, zeroCsum: true}.udp(msg(ok6)), "udp6_zero_checksum"},
		{"ipv6_length", v6.udp(func() []byte { m := ok6; m.l, m.length = true, 3; return msg(m) }()), "bad_l2tp_length"},
		{"ipv6_offset", v6.udp(func() []byte { m := ok6; m.o, m.offset, m.pad = true, 300, -1; return msg(m) }()), "bad_l2tp_offset"},
		{"ipv6_control", v6.udp(func() []byte { m := ok6; m.t, m.l = true, true; return msg(m) }()), "l2tp_control"},
		{"ipv6_short", v6.udp(msg(ok6)[:3]), "truncated"},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			res := l2tpRig(t).run(map[string][][]byte{"uplink": {c.frame, c.frame}})
			requireDropped(t, res, c.reason, 2)
		})
	}
}

// TestL2TPv2OnlyVersion3: on a port where no L2TPv3 session listens, a
// version 3 message is of a protocol the port does not carry.
func TestL2TPv2OnlyVersion3(t *testing.T) {
	r := newRig(t)
	r.extra = `
[[tunnel]]
name = "v2"
type = "l2tpv2"
local = "192.0.2.1"
remote = "192.0.2.2"
tunnel_id = 1
session_id = 2
peer_tunnel_id = 3
peer_session_id = 4
`
	f := l2tpPeer{}.udp(v3msg(true, 2, nil, nil, pktgen.Frame(l2Flow(), 60, 1)))
	res := r.run(map[string][][]byte{"uplink": {f}})
	requireDropped(t, res, "bad_l2tp_version", 1)
}

// v3spec: an L2TPv3 pseudowire of l2tpConf.
type v3spec struct {
	tunnel       string
	vlan         uint16
	v6, udp      bool
	sid, peerSid uint32
	cookie, peer string // hex
	sublayer     bool
}

var v3specs = []v3spec{
	{tunnel: "pwip", vlan: 30, sid: 4096, peerSid: 8192, cookie: "01020304", peer: "0a0b0c0d"},
	{tunnel: "pwudp", vlan: 31, udp: true, sid: 4097, peerSid: 0xffffffff, cookie: "1112131415161718", peer: "2122232425262728", sublayer: true},
	{tunnel: "pwip6", vlan: 32, v6: true, sid: 4098, peerSid: 8194},
	{tunnel: "pwudp6", vlan: 33, v6: true, udp: true, sid: 4099, peerSid: 8195, cookie: "cafef00d", peer: "feedface"},
}

// opts are the tshark options for the session's cookie and sublayer.
func (s v3spec) opts() []string { return l3Opts(len(s.peer)/2, s.sublayer) }

func TestL2TPv3Encap(t *testing.T) {
	for _, s := range v3specs {
		s := s
		t.Run(s.tunnel, func(t *testing.T) {
			fl := l2Flow()
			fl.VLAN = s.vlan
			in := pktgen.Mix(20, 5, fl, 3)
			res := l2tpRig(t).run(map[string][][]byte{"l2": in})
			out := res.out["uplink"]
			require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))
			for i, f := range out {
				p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
				l4 := 14 + 20
				proto := layers.IPProtocol(115)
				if s.udp {
					proto = layers.IPProtocolUDP
				}
				if s.v6 {
					ip := p.Layers()[1].(*layers.IPv6)
					require.Equal(t, uplink6, ip.SrcIP.String())
					require.Equal(t, peer6, ip.DstIP.String())
					require.Equal(t, proto, ip.NextHeader)
					require.EqualValues(t, len(f)-14-40, ip.Length)
					l4 = 14 + 40
				} else {
					ip := p.Layers()[1].(*layers.IPv4)
					require.Equal(t, "192.0.2.1", ip.SrcIP.String())
					require.Equal(t, "192.0.2.2", ip.DstIP.String())
					require.Equal(t, proto, ip.Protocol)
					require.EqualValues(t, len(f)-14, ip.Length)
				}
				msg := f[l4:]
				if s.udp {
					udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
					require.EqualValues(t, 1701, udp.SrcPort)
					require.EqualValues(t, 1701, udp.DstPort)
					require.EqualValues(t, len(f)-l4, udp.Length)
					require.Equal(t, []byte{0, 3, 0, 0}, msg[8:12], "T clear, version 3, reserved")
					msg = msg[12:]
				}
				require.Equal(t, s.peerSid, binary.BigEndian.Uint32(msg))
				msg = msg[4:]
				require.Equal(t, unhexT(s.peer), msg[:len(s.peer)/2], "peer cookie")
				msg = msg[len(s.peer)/2:]
				if s.sublayer {
					require.Equal(t, uint32(0x40000000|i), binary.BigEndian.Uint32(msg), "S bit, sequence from 0")
					msg = msg[4:]
				}
				require.Equal(t, untag(in[i]), msg, "frame %d: the inner frame without its VLAN tag", i)
			}
			rows := tsharkOpts(t, res.pcap["uplink"], s.opts(), "l2tp.sid", "l2tp.cookie", "l2tp.l2_spec_s",
				"l2tp.l2_spec_sequence", "l2tp.version", "udp.checksum.status", "eth.src", "ip.dst", "tcp.srcport", "tcp.checksum.status")
			require.Len(t, rows, len(in))
			for i, row := range rows {
				ver, csum, seqS, seq := "", "", "", ""
				if s.udp {
					ver, csum = "3", "3" // 3: not present (zero over IPv4)
					if s.v6 {
						csum = "1"
					}
				}
				if s.sublayer {
					seqS, seq = "1", strconv.Itoa(i)
				}
				cookie := s.peer
				dst := "172.16.0.2"
				if !s.v6 {
					dst = "192.0.2.2," + dst
				}
				require.Equal(t, []string{fmt.Sprintf("0x%08x", s.peerSid), cookie, seqS, seq, ver, csum,
					uplinkMAC + ",02:00:00:00:aa:01", dst, strconv.Itoa(3000 + i%5), "1"}, row, "frame %d", i)
			}
			require.EqualValues(t, len(in), res.tunnel(s.tunnel).EncapPkts)
		})
	}
}

// v3frame is what the peer sends through s for frame.
func (s v3spec) frame(frame []byte, sublayer []byte) []byte {
	p := l2tpPeer{v6: s.v6}
	m := v3msg(s.udp, s.sid, unhexT(s.cookie), sublayer, frame)
	if s.udp {
		return p.udp(m)
	}
	return p.ip115(m)
}

func (s v3spec) sub(seq uint32) []byte {
	if !s.sublayer {
		return nil
	}
	return binary.BigEndian.AppendUint32(nil, 0x40000000|seq)
}

func TestL2TPv3Decap(t *testing.T) {
	for _, s := range v3specs {
		s := s
		t.Run(s.tunnel, func(t *testing.T) {
			pay := pktgen.Mix(20, 5, l2Flow(), 9)
			var in [][]byte
			for i, p := range pay {
				in = append(in, s.frame(p, s.sub(uint32(1000+i))))
			}
			res := l2tpRig(t).run(map[string][][]byte{"uplink": in})
			out := res.out["l2"]
			require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))
			for i := range out {
				require.Equal(t, tagged(pay[i], s.vlan), out[i], "frame %d: tagged with the binding's VLAN", i)
			}
			rows := tshark(t, res.pcap["l2"], "vlan.id", "eth.src", "ip.dst", "tcp.checksum.status", "l2tp")
			require.Len(t, rows, len(in))
			for i, row := range rows {
				require.Equal(t, []string{strconv.Itoa(int(s.vlan)), "02:00:00:00:aa:01", "172.16.0.2", "1", ""}, row, "frame %d", i)
			}
			require.EqualValues(t, len(in), res.tunnel(s.tunnel).DecapPkts)
		})
	}
}

func TestL2TPv3Malformed(t *testing.T) {
	ip, udp, ip6s, udp6 := v3specs[0], v3specs[1], v3specs[2], v3specs[3]
	fr := pktgen.Frame(l2Flow(), 60, 1)
	with := func(s v3spec, fn func(s *v3spec)) v3spec { fn(&s); return s }
	cut := func(f []byte, n int) []byte { // cut the IP datagram to n bytes of L2TP message
		if f[12] == 0x86 {
			f = append([]byte(nil), f[:14+40+n]...)
			binary.BigEndian.PutUint16(f[18:], uint16(n))
			return f
		}
		return cutIP(f, 20+n)
	}
	cases := []struct {
		name   string
		frame  []byte
		reason string
	}{
		{"bad_cookie", with(ip, func(s *v3spec) { s.cookie = "01020305" }).frame(fr, nil), "bad_l2tp_cookie"},
		{"bad_cookie_udp", with(udp, func(s *v3spec) { s.cookie = "1112131415161700" }).frame(fr, udp.sub(0)), "bad_l2tp_cookie"},
		{"bad_cookie_ipv6", with(udp6, func(s *v3spec) { s.cookie = "00000000" }).frame(fr, nil), "bad_l2tp_cookie"},
		{"session_0_over_ip", with(ip, func(s *v3spec) { s.sid = 0 }).frame(fr, nil), "l2tp_control"},
		{"session_0_over_ipv6", with(ip6s, func(s *v3spec) { s.sid = 0 }).frame(fr, nil), "l2tp_control"},
		{"control_over_udp", l2tpPeer{}.udp(append([]byte{0xc8, 0x03, 0, 20}, make([]byte, 16)...)), "l2tp_control"},
		{"unknown_session", with(ip, func(s *v3spec) { s.sid = 5 }).frame(fr, nil), "unknown_tunnel"},
		{"unknown_session_udp", with(udp, func(s *v3spec) { s.sid = 4096 }).frame(fr, nil), "unknown_tunnel"}, // pwip's id, over UDP
		{"short_session_id", cut(ip.frame(fr, nil), 3), "truncated"},
		{"short_cookie", cut(ip.frame(fr, nil), 6), "truncated"},
		{"short_sublayer", cutUDP(udp.frame(fr, udp.sub(1)), 20+8+4+4+8+2), "truncated"},
		{"short_inner_ethernet", cut(ip.frame(fr, nil), 8+10), "truncated"},
		{"short_ipv6", cut(ip6s.frame(fr, nil), 2), "truncated"},
		{"ipv6_zero_udp_checksum", func() []byte {
			p := l2tpPeer{v6: true, zeroCsum: true}
			return p.udp(v3msg(true, udp6.sid, unhexT(udp6.cookie), nil, fr))
		}(), "udp6_zero_checksum"},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			res := l2tpRig(t).run(map[string][][]byte{"uplink": {c.frame}})
			requireDropped(t, res, c.reason, 1)
		})
	}
}

// TestL2TPECN: RFC 6040 decapsulation through both versions: outer CE over an
// ECT(0) inner packet marks it CE (checksum updated), over a not-ECT one it
// is dropped; outer ECT(1) over ECT(0) makes it ECT(1).
func TestL2TPECN(t *testing.T) {
	ect0 := l2tpBack(false, "10.7.0.9") // TOS 0x0a: ECT(0)
	notECT := ect0
	notECT.TOS = 0x08
	v2 := func(p []byte, tos uint8) []byte {
		return l2tpPeer{tos: tos}.udp(v2msg{tid: 100, sid: 200, ppp: pppFor(p)}.bytes(p))
	}
	pw := v3specs[0]
	inner := func(f pktgen.Flow) []byte {
		f.SrcMAC, f.DstMAC = mac("02:00:00:00:aa:01"), mac("02:00:00:00:bb:01")
		return pktgen.Frame(f, 80, 1)
	}
	p4, pn := ipPacket(pktgen.Frame(ect0, 80, 1)), ipPacket(pktgen.Frame(notECT, 80, 1))
	ce3 := func(f []byte) []byte {
		return l2tpPeer{tos: 0x03}.ip115(v3msg(false, pw.sid, unhexT(pw.cookie), nil, f))
	}
	in := [][]byte{
		v2(p4, 0x03),       // CE over ECT(0): CE
		v2(p4, 0x01),       // ECT(1) over ECT(0): ECT(1)
		v2(pn, 0x03),       // CE over not-ECT: dropped
		ce3(inner(ect0)),   // the same through the pseudowire: CE
		ce3(inner(notECT)), // dropped
	}
	res := l2tpRig(t).run(map[string][][]byte{"uplink": in})
	require.Equal(t, map[string]uint64{"ecn_ce_not_ect": 2}, nonZero(res.ctr.Drops))
	routed, bridged := res.out["inner"], res.out["l2"]
	require.Len(t, routed, 2)
	require.Len(t, bridged, 1)
	for i, want := range []uint8{0x0b, 0x09} {
		ip := gopacket.NewPacket(routed[i], layers.LayerTypeEthernet, gopacket.Default).Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		require.Equal(t, want, ip.TOS, "frame %d", i)
	}
	require.Equal(t, byte(0x0b), bridged[0][14+4+1], "inner TOS of the pseudowire's frame (after its VLAN tag)")
	rows := tshark(t, res.pcap["inner"], "ip.dsfield.ecn", "ip.checksum.status")
	require.Equal(t, [][]string{{"3", "1"}, {"1", "1"}}, rows)
	rows = tshark(t, res.pcap["l2"], "ip.dsfield.ecn", "ip.checksum.status")
	require.Equal(t, [][]string{{"3", "1"}}, rows)
}
