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

// L2TP in the conformance suite (conformance_test.go): an L2TPv2 session
// (cv2, Length field on) and an L2TPv3 pseudowire over IP (cv3, cookie and
// sublayer with sequence numbers, VLAN 40 of the l2 port).
const conformanceL2TPConf = `
[[tunnel]]
name = "cv2"
type = "l2tpv2"
local = "192.0.2.1"
remote = "192.0.2.2"
tunnel_id = 11
session_id = 12
peer_tunnel_id = 13
peer_session_id = 14
length_bit = true

[[route]]
prefix = "10.11.0.0/16"
tunnel = "cv2"

[[tunnel]]
name = "cv3"
type = "l2tpv3"
encap = "ip"
local = "192.0.2.1"
remote = "192.0.2.2"
session_id = 21
peer_session_id = 22
cookie = "0x31323334"
peer_cookie = "0x41424344"
l2_sublayer = true
seq = true

[[l2]]
port = "l2"
vlan = 40
tunnel = "cv3"
`

func l2tpv2Case() protoCase {
	pc := protoCase{name: "l2tpv2", tunnel: "cv2", clear: "inner"}
	flow := innerFlow()
	flow.Dst, flow.TOS = netip.MustParseAddr("10.11.0.7"), innerTOS
	pc.encapIn = func() [][]byte { return pktgen.Mix(30, 6, flow, 0) }
	pc.checkEncap = func(t *testing.T, i int, in, f []byte) {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		ip := p.Layers()[1].(*layers.IPv4)
		require.Equal(t, "192.0.2.1", ip.SrcIP.String())
		require.Equal(t, "192.0.2.2", ip.DstIP.String())
		require.Equal(t, layers.IPProtocolUDP, ip.Protocol)
		require.EqualValues(t, innerTOS, ip.TOS)
		require.EqualValues(t, len(f)-14, ip.Length)
		udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		require.EqualValues(t, 1701, udp.SrcPort)
		require.EqualValues(t, 1701, udp.DstPort)
		require.EqualValues(t, len(f)-34, udp.Length)
		msg := f[42:]
		require.Equal(t, []byte{0x40, 0x02}, msg[:2], "L bit, version 2")
		require.EqualValues(t, len(msg), binary.BigEndian.Uint16(msg[2:]))
		require.Equal(t, []byte{0, 13, 0, 14, 0xff, 0x03, 0x00, 0x21}, msg[4:12])
		requireInnerIP(t, ipPacket(in), msg[12:], fmt.Sprintf("frame %d", i))
	}
	pc.encapFields = []string{"ip.src", "ip.dst", "ip.checksum.status", "udp.srcport", "udp.dstport",
		"l2tp.type", "l2tp.length", "l2tp.tunnel", "l2tp.session", "ppp.protocol"}
	pc.encapRow = func(i int, in []byte) []string {
		src := pktgen.FlowN(flow, i%6).Src.String()
		iu := gopacket.NewPacket(in, layers.LayerTypeEthernet, gopacket.Default).Layer(layers.LayerTypeUDP).(*layers.UDP)
		return []string{"192.0.2.1," + src, "192.0.2.2,10.11.0.7", "1,1",
			"1701," + strconv.Itoa(int(iu.SrcPort)), "1701," + strconv.Itoa(int(iu.DstPort)),
			"0", strconv.Itoa(len(ipPacket(in)) + 12), "13", "14", "0x0021"}
	}
	pc.encapInner = func(i int, in []byte) (string, int, []byte) { return "ip", 1, ipPacket(in) }
	pc.sameCarried = requireInnerIP

	back := l2tpBack(false, "10.11.0.7")
	pc.payloads = func() [][]byte { return ipPackets(30, 5, back, 100) }
	// frame 0 has Ns/Nr and an Offset (so that the truncations cut through
	// them), the others a mix; the Length field only on odd frames, so that a
	// cut datagram reaches the field it cuts rather than a wrong Length
	msg := func(i int, sid uint16) v2msg {
		return v2msg{l: i%2 == 1, s: i%2 == 0, o: i%3 == 0, offset: i % 4, tid: 11, sid: sid}
	}
	pc.decap = func(i int, p []byte) []byte {
		m := msg(i, 12)
		m.ppp = pppFor(p)
		if i%5 == 4 {
			m.ppp = m.ppp[2:] // address and control compressed away
		}
		return l2tpPeer{zeroCsum: i%2 == 1}.udp(m.bytes(p))
	}
	pc.checkDecap = func(t *testing.T, i int, p, f []byte) {
		require.Equal(t, mac(innerPeer), net.HardwareAddr(f[0:6]))
		require.Equal(t, mac(innerMAC), net.HardwareAddr(f[6:12]))
		require.Equal(t, []byte{0x08, 0x00}, f[12:14])
		requireInnerIP(t, p, f[14:], fmt.Sprintf("frame %d", i))
	}
	pc.decapFields = []string{"eth.dst", "eth.src", "ip.src", "ip.dst", "ip.ttl", "ip.checksum.status", "ip.dsfield", "l2tp", "ppp"}
	pc.decapRow = func(i int, p []byte) []string {
		return []string{innerPeer, innerMAC, pktgen.FlowN(back, i%5).Src.String(), "10.1.0.2", "29", "1", "0x0a", "", ""}
	}
	pc.wrongKey = func(p []byte) []byte {
		m := msg(0, 13)
		m.ppp = pppFor(p)
		return l2tpPeer{}.udp(m.bytes(p))
	}
	// frame 0: flags(2) ids(4) Ns/Nr(4) Offset Size(2), offset 0, PPP(4)
	pc.truncations = []truncation{
		{"outer_ip", func(pc *protoCase, p []byte) []byte { return cutFrame(pc.decap(0, p), 14+12) }, "truncated"},
		{"capture", func(pc *protoCase, p []byte) []byte { f := pc.decap(0, p); return cutFrame(f, len(f)-3) }, "bad_ip_length"},
		{"udp", func(pc *protoCase, p []byte) []byte { return cutUDP(pc.decap(0, p), 20+4) }, "truncated"},
		{"l2tp_flags", func(pc *protoCase, p []byte) []byte { return cutUDP(pc.decap(0, p), 20+8+1) }, "truncated"},
		{"l2tp_ids", func(pc *protoCase, p []byte) []byte { return cutUDP(pc.decap(0, p), 20+8+5) }, "truncated"},
		{"l2tp_ns_nr", func(pc *protoCase, p []byte) []byte { return cutUDP(pc.decap(0, p), 20+8+8) }, "truncated"},
		{"l2tp_offset", func(pc *protoCase, p []byte) []byte { return cutUDP(pc.decap(0, p), 20+8+11) }, "truncated"},
		{"ppp", func(pc *protoCase, p []byte) []byte { return cutUDP(pc.decap(0, p), 20+8+12+3) }, "truncated"},
		{"inner_ip", func(pc *protoCase, p []byte) []byte { return pc.decap(0, p[:10]) }, "truncated"},
	}
	return pc
}

func l2tpv3Case() protoCase {
	pc := protoCase{name: "l2tpv3_ip", tunnel: "cv3", clear: "l2", tsharkOpts: l3Opts(4, true)}
	fl := l2Flow()
	fl.VLAN = 40
	pc.encapIn = func() [][]byte { return pktgen.Mix(40, 8, fl, 0) }
	pc.checkEncap = func(t *testing.T, i int, in, f []byte) {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		require.Equal(t, uplinkPeer, eth.DstMAC.String())
		ip := p.Layers()[1].(*layers.IPv4)
		require.Equal(t, "192.0.2.1", ip.SrcIP.String())
		require.Equal(t, "192.0.2.2", ip.DstIP.String())
		require.EqualValues(t, 115, ip.Protocol)
		require.Equal(t, layers.IPv4DontFragment, ip.Flags)
		require.EqualValues(t, len(f)-14, ip.Length)
		require.Equal(t, []byte{0, 0, 0, 22, 0x41, 0x42, 0x43, 0x44}, f[34:42], "peer session and cookie")
		require.Equal(t, uint32(0x40000000|i), binary.BigEndian.Uint32(f[42:]), "S bit, sequence from 0")
		require.Equal(t, untag(in), f[46:], "the inner frame, untagged, byte for byte")
	}
	pc.encapFields = []string{"ip.src", "ip.dst", "ip.proto", "ip.checksum.status", "l2tp.sid", "l2tp.cookie",
		"l2tp.l2_spec_s", "l2tp.l2_spec_sequence", "eth.src", "eth.dst", "vlan.id"}
	pc.encapRow = func(i int, in []byte) []string {
		src := pktgen.FlowN(fl, i%8).Src.String()
		return []string{"192.0.2.1," + src, "192.0.2.2,172.16.0.2", "115,6", "1,1", "0x00000016", "41424344",
			"1", strconv.Itoa(i), uplinkMAC + ",02:00:00:00:aa:01", uplinkPeer + ",02:00:00:00:bb:01", ""}
	}
	pc.encapInner = func(i int, in []byte) (string, int, []byte) { return "eth", 1, untag(in) }
	pc.sameCarried = func(t *testing.T, want, got []byte, msg string) { require.Equal(t, want, got, msg) }

	spec := v3spec{sid: 21, cookie: "31323334", sublayer: true}
	pc.payloads = func() [][]byte { return pktgen.Mix(25, 5, l2Flow(), 7) }
	pc.decap = func(i int, p []byte) []byte { return spec.frame(p, spec.sub(uint32(500+i))) }
	pc.checkDecap = func(t *testing.T, i int, p, f []byte) { require.Equal(t, tagged(p, 40), f, "frame %d", i) }
	pc.decapFields = []string{"vlan.id", "eth.src", "eth.dst", "ip.src", "ip.dst", "ip.checksum.status", "tcp.checksum.status", "l2tp"}
	pc.decapRow = func(i int, p []byte) []string {
		src := pktgen.FlowN(l2Flow(), i%5).Src.String()
		return []string{"40", "02:00:00:00:aa:01", "02:00:00:00:bb:01", src, "172.16.0.2", "1", "1", ""}
	}
	pc.wrongKey = func(p []byte) []byte {
		s := spec
		s.sid = 23
		return s.frame(p, s.sub(0))
	}
	pc.truncations = []truncation{
		{"outer_ip", func(pc *protoCase, p []byte) []byte { return cutFrame(pc.decap(0, p), 14+12) }, "truncated"},
		{"capture", func(pc *protoCase, p []byte) []byte { f := pc.decap(0, p); return cutFrame(f, len(f)-3) }, "bad_ip_length"},
		{"session", func(pc *protoCase, p []byte) []byte { return cutIP(pc.decap(0, p), 20+3) }, "truncated"},
		{"cookie", func(pc *protoCase, p []byte) []byte { return cutIP(pc.decap(0, p), 20+6) }, "truncated"},
		{"sublayer", func(pc *protoCase, p []byte) []byte { return cutIP(pc.decap(0, p), 20+10) }, "truncated"},
		{"inner_eth", func(pc *protoCase, p []byte) []byte { return cutIP(pc.decap(0, p), 20+12+10) }, "truncated"},
	}
	return pc
}
