package dataplane

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// IPv6 underlays: GRE over IPv6 (RFC 7676), VXLAN over IPv6 with the UDP
// checksum rules of RFC 8200 / RFC 6935 / RFC 6936, Neighbour Discovery and
// ICMPv6 echo for the gateway's own IPv6 addresses, extension headers.

const (
	uplink6 = "2001:db8:ff::1"
	peer6   = "2001:db8:ff::2"
	inner6  = "2001:db8:1::1"
)

var ipv6Ports = []rigPort{
	{"inner", "inner", innerMAC, `addresses = ["10.1.0.1/24", "` + inner6 + `/64"]`},
	{"uplink", "underlay", uplinkMAC, `addresses = ["192.0.2.1/24", "` + uplink6 + `/64"]`},
	{"l2", "inner", l2MAC, ""},
}

const ipv6Conf = `
[[nexthop]]
ip = "` + peer6 + `"
mac = "` + uplinkPeer + `"
port = "uplink"

[[tunnel]]
name = "gre6"
type = "gre"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
key = 7
ttl = 33

[[route]]
prefix = "10.6.0.0/16"
tunnel = "gre6"

[[route]]
prefix = "2001:db8:6::/48"
tunnel = "gre6"

[[tunnel]]
name = "vx6"
type = "vxlan"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
vni = 600

[[l2]]
port = "l2"
vlan = 600
tunnel = "vx6"

[[tunnel]]
name = "vx6z"
type = "vxlan"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
vni = 601
udp6_zero_csum_tx = true
udp6_zero_csum_rx = true

[[l2]]
port = "l2"
vlan = 601
tunnel = "vx6z"
`

func ipv6Rig(t *testing.T) *rig {
	r := newRig(t)
	r.ports = ipv6Ports
	r.extra = ipv6Conf
	return r
}

// eth6 is the Ethernet header of a frame the underlay peer sends to the gateway.
func eth6(dst string) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(dst), EthernetType: layers.EthernetTypeIPv6}
}

func ip6(src, dst string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 60, NextHeader: next,
		SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

// gre6Frame is what the peer sends through gre6.
func gre6Frame(payload []byte, key uint32, tc uint8) []byte {
	ip := ip6(peer6, uplink6, layers.IPProtocolGRE)
	ip.TrafficClass = tc
	proto := layers.EthernetTypeIPv4
	if payload[0]>>4 == 6 {
		proto = layers.EthernetTypeIPv6
	}
	return serialize(nil, eth6(uplinkMAC), ip, &layers.GRE{KeyPresent: true, Key: key, Protocol: proto},
		gopacket.Payload(payload))
}

// vxlan6Frame is what the peer VTEP sends; zero sends a zero UDP checksum.
func vxlan6Frame(inner []byte, vni uint32, zero bool) []byte {
	ip := ip6(peer6, uplink6, layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: 50001, DstPort: 4789}
	udp.SetNetworkLayerForChecksum(ip)
	f := serialize(nil, eth6(uplinkMAC), ip, udp, &layers.VXLAN{ValidIDFlag: true, VNI: vni},
		gopacket.Payload(inner))
	if zero {
		f[14+40+6], f[14+40+7] = 0, 0
	}
	return f
}

func flow6(dst string) pktgen.Flow {
	f := innerFlow()
	f.Dst = netip.MustParseAddr(dst)
	if f.Dst.Is6() {
		f.Src = netip.MustParseAddr("2001:db8:1::2")
	}
	f.TOS = innerTOS
	return f
}

func TestIPv6GREEncap(t *testing.T) {
	in := append(pktgen.Mix(20, 8, flow6("10.6.0.9"), 1), pktgen.Mix(20, 8, flow6("2001:db8:6::9"), 2)...)
	res := ipv6Rig(t).run(map[string][][]byte{"inner": in})
	out := res.out["uplink"]
	require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))
	labels := map[int]uint32{}
	for i, f := range out {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		require.Equal(t, layers.EthernetTypeIPv6, eth.EthernetType)
		require.Equal(t, uplinkPeer, eth.DstMAC.String())
		ip := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		require.Equal(t, uplink6, ip.SrcIP.String())
		require.Equal(t, peer6, ip.DstIP.String())
		require.EqualValues(t, 33, ip.HopLimit)
		require.Equal(t, layers.IPProtocolGRE, ip.NextHeader)
		require.EqualValues(t, innerTOS, ip.TrafficClass, "DSCP and ECN copied")
		require.NotZero(t, ip.FlowLabel)
		if prev, ok := labels[i%8+i/20*8]; ok {
			require.Equal(t, prev, ip.FlowLabel, "one inner flow, one flow label")
		}
		labels[i%8+i/20*8] = ip.FlowLabel
		gre := p.Layer(layers.LayerTypeGRE).(*layers.GRE)
		require.True(t, gre.KeyPresent)
		require.EqualValues(t, 7, gre.Key)
		inner := ipPacket(in[i])
		require.EqualValues(t, 8+len(inner), ip.Length, "payload length")
		got := gre.LayerPayload()
		require.Len(t, got, len(inner))
		if i < 20 {
			require.Equal(t, inner[8]-1, got[8], "inner TTL decremented")
		} else {
			require.Equal(t, inner[7]-1, got[7], "inner hop limit decremented")
		}
	}
	require.Greater(t, len(map[uint32]bool{labels[0]: true, labels[1]: true, labels[2]: true, labels[3]: true}), 1,
		"the flow label follows the inner flow")
	rows := tshark(t, res.pcap["uplink"], "ipv6.src", "ipv6.dst", "ipv6.hlim", "gre.key", "gre.proto", "ip.checksum.status")
	require.Len(t, rows, len(in))
	for i, row := range rows {
		src, dst, hlim, proto, csum := uplink6, peer6, "33", "0x0800", "1"
		if i >= 20 { // tshark lists the outer and the inner IPv6 header
			src, dst, hlim, proto, csum = uplink6+","+pktgen.FlowN(flow6("2001:db8:6::9"), (i-20)%8).Src.String(),
				peer6+",2001:db8:6::9", "33,63", "0x86dd", ""
		}
		require.Equal(t, []string{src, dst, hlim, "0x00000007", proto, csum}, row, "frame %d", i)
	}
	require.EqualValues(t, len(in), res.tunnel("gre6").EncapPkts)
}

func TestIPv6GREDecap(t *testing.T) {
	back := returnFlow()
	back.Src = netip.MustParseAddr("10.6.0.9")
	pay := ipPackets(10, 4, back, 3)
	var in [][]byte
	for _, p := range pay {
		in = append(in, gre6Frame(p, 7, 0x01)) // outer ECT(1) over a not-ECT inner: nothing changes
	}
	res := ipv6Rig(t).run(map[string][][]byte{"uplink": in})
	out := res.out["inner"]
	require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))
	rows := tshark(t, res.pcap["inner"], "eth.dst", "ip.src", "ip.dst", "ip.ttl", "ip.checksum.status", "gre")
	for i, row := range rows {
		src := pktgen.FlowN(back, i%4).Src.String()
		require.Equal(t, []string{innerPeer, src, "10.1.0.2", "29", "1", ""}, row, "frame %d", i)
		require.Equal(t, pay[i][12:], ipPacket(out[i])[12:], "inner packet after its TTL and checksum")
	}
	require.EqualValues(t, len(in), res.tunnel("gre6").DecapPkts)

	// the same through a Destination Options header (RFC 8200 4.6: skipped)
	f := gre6Frame(pay[0], 7, 0)
	f = insertExt6(f, 60, []byte{1, 4, 0, 0, 0, 0}) // PadN
	res = ipv6Rig(t).run(map[string][][]byte{"uplink": {f, gre6Frame(pay[0], 8, 0)}})
	require.Len(t, res.out["inner"], 1)
	require.Equal(t, map[string]uint64{"unknown_tunnel": 1}, nonZero(res.ctr.Drops)) // key 8
}

// insertExt6 puts an extension header of type typ (body without its first
// two bytes, a multiple of 8 minus 2 bytes long) after the IPv6 header of f.
func insertExt6(f []byte, typ uint8, body []byte) []byte {
	ext := append([]byte{f[14+6], uint8((len(body)+2)/8 - 1)}, body...)
	out := append(append(append([]byte(nil), f[:54]...), ext...), f[54:]...)
	out[14+6] = typ
	binary.BigEndian.PutUint16(out[14+4:], binary.BigEndian.Uint16(f[14+4:])+uint16(len(ext)))
	return out
}

func TestIPv6VXLANEncap(t *testing.T) {
	var in [][]byte
	for i, fr := range pktgen.Mix(20, 5, l2Flow(), 4) {
		vid := 600 + i%2
		tagged := append(append(append([]byte(nil), fr[:12]...), 0x81, 0, byte(vid>>8), byte(vid)), fr[12:]...)
		in = append(in, tagged)
	}
	res := ipv6Rig(t).run(map[string][][]byte{"l2": in})
	out := res.out["uplink"]
	require.Len(t, out, len(in), "drops %v", nonZero(res.ctr.Drops))
	for i, f := range out {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		ip := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		require.Equal(t, uplink6, ip.SrcIP.String())
		require.EqualValues(t, 64, ip.HopLimit)
		udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		vx := p.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN)
		require.EqualValues(t, 600+i%2, vx.VNI)
		want := append(append([]byte(nil), in[i][:12]...), in[i][16:]...)
		require.Equal(t, want, vx.LayerPayload(), "untagged inner frame carried byte for byte")
		if i%2 == 1 {
			require.Zero(t, udp.Checksum, "vx6z sends zero (RFC 6935)")
		} else {
			require.NotZero(t, udp.Checksum)
		}
	}
	rows := tshark(t, res.pcap["uplink"], "udp.dstport", "udp.length", "udp.checksum.status", "vxlan.vni")
	for i, row := range rows {
		status := "1" // good
		if i%2 == 1 {
			status = "4" // "illegal" to tshark: RFC 8200 forbids zero, RFC 6935 allows it per tunnel
		}
		require.Equal(t, []string{"4789", strconv.Itoa(8 + 8 + len(in[i]) - 4), status, strconv.Itoa(600 + i%2)}, row, "frame %d", i)
	}
}

func TestIPv6VXLANDecap(t *testing.T) {
	frames := pktgen.Mix(6, 3, l2Flow(), 5)
	in := [][]byte{
		vxlan6Frame(frames[0], 600, false),
		vxlan6Frame(frames[1], 601, false),
		vxlan6Frame(frames[2], 601, true), // zero accepted by vx6z
		vxlan6Frame(frames[3], 600, true), // zero refused by vx6
		patch(vxlan6Frame(frames[4], 600, false), func(f []byte) { f[14+40+6] ^= 0x40 }),
	}
	res := ipv6Rig(t).run(map[string][][]byte{"uplink": in})
	out := res.out["l2"]
	require.Len(t, out, 3, "drops %v", nonZero(res.ctr.Drops))
	require.Equal(t, map[string]uint64{"udp6_zero_checksum": 1, "bad_udp_checksum": 1}, nonZero(res.ctr.Drops))
	rows := tshark(t, res.pcap["l2"], "vlan.id", "eth.src", "ip.src", "tcp.checksum.status")
	for i, row := range rows {
		require.Equal(t, []string{[]string{"600", "601", "601"}[i], "02:00:00:00:aa:01",
			pktgen.FlowN(l2Flow(), i%3).Src.String(), "1"}, row, "frame %d", i)
	}
}

// ns builds a Neighbour Solicitation for target from the peer.
func ns(src, dst, target string, hop uint8, slla bool) []byte {
	ip := ip6(src, dst, layers.IPProtocolICMPv6)
	ip.HopLimit = hop
	dmac := uplinkMAC
	if d := net.ParseIP(dst); d.IsMulticast() {
		dmac = net.HardwareAddr{0x33, 0x33, d[12], d[13], d[14], d[15]}.String()
	}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborSolicitation, 0)}
	icmp.SetNetworkLayerForChecksum(ip)
	sol := &layers.ICMPv6NeighborSolicitation{TargetAddress: net.ParseIP(target)}
	if slla {
		sol.Options = layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: mac(uplinkPeer)}}
	}
	return serialize(nil, eth6(dmac), ip, icmp, sol)
}

func TestIPv6NeighbourDiscovery(t *testing.T) {
	in := [][]byte{
		ns(peer6, "ff02::1:ff00:1", uplink6, 255, true),            // address resolution
		ns(peer6, uplink6, uplink6, 255, false),                    // reachability (unicast)
		ns("::", "ff02::1:ff00:1", uplink6, 255, false),            // duplicate address detection
		ns(peer6, "ff02::1:ff00:1", uplink6, 64, true),             // hop limit not 255: bad_nd
		ns("::", "ff02::1:ff00:1", uplink6, 255, true),             // DAD with SLLA: bad_nd
		ns(peer6, "ff02::1:ff00:99", "2001:db8:ff::99", 255, true), // someone else's group
		ns(peer6, uplink6, "2001:db8:ff::99", 255, true),           // someone else's address
		patch(ns(peer6, uplink6, uplink6, 255, true), func(f []byte) { f[14+40+2] ^= 1 }),
	}
	res := ipv6Rig(t).run(map[string][][]byte{"uplink": in})
	out := res.out["uplink"]
	require.Len(t, out, 3, "drops %v", nonZero(res.ctr.Drops))
	require.EqualValues(t, 3, res.ctr.NDReplies)
	require.EqualValues(t, 2, res.drops("bad_nd"))
	require.EqualValues(t, 2, res.drops("not_local"))
	require.EqualValues(t, 1, res.drops("bad_icmp_checksum"))
	for i, f := range out {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		ip := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		na, ok := p.Layer(layers.LayerTypeICMPv6NeighborAdvertisement).(*layers.ICMPv6NeighborAdvertisement)
		require.True(t, ok, "frame %d is an NA", i)
		require.Equal(t, uplink6, na.TargetAddress.String())
		require.Equal(t, uplink6, ip.SrcIP.String())
		require.EqualValues(t, 255, ip.HopLimit)
		require.True(t, na.Router() && na.Override())
		require.Len(t, na.Options, 1)
		require.Equal(t, layers.ICMPv6OptTargetAddress, na.Options[0].Type)
		require.Equal(t, uplinkMAC, net.HardwareAddr(na.Options[0].Data).String())
		if i == 2 {
			require.Equal(t, "ff02::1", ip.DstIP.String(), "DAD: to all nodes")
			require.False(t, na.Solicited())
		} else {
			require.Equal(t, peer6, ip.DstIP.String())
			require.Equal(t, uplinkPeer, p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet).DstMAC.String())
			require.True(t, na.Solicited())
		}
	}
	rows := tshark(t, res.pcap["uplink"], "icmpv6.type", "icmpv6.checksum.status", "icmpv6.nd.na.flag.s", "icmpv6.opt.linkaddr")
	require.Equal(t, [][]string{{"136", "1", "1", uplinkMAC}, {"136", "1", "1", uplinkMAC}, {"136", "1", "0", uplinkMAC}}, rows)

	// and on an inner port, for the inner address
	innerNS := ns("2001:db8:1::2", "ff02::1:ff00:1", inner6, 255, true)
	copy(innerNS[6:12], mac(innerPeer))
	res = ipv6Rig(t).run(map[string][][]byte{"inner": {innerNS}})
	rows = tshark(t, res.pcap["inner"], "eth.dst", "ipv6.dst", "icmpv6.nd.na.target_address", "icmpv6.opt.linkaddr")
	require.Equal(t, [][]string{{innerPeer, "2001:db8:1::2", inner6, innerMAC}}, rows)
}

func TestIPv6Echo(t *testing.T) {
	ip := ip6(peer6, uplink6, layers.IPProtocolICMPv6)
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
	icmp.SetNetworkLayerForChecksum(ip)
	req := serialize(nil, eth6(uplinkMAC), ip, icmp, &layers.ICMPv6Echo{Identifier: 9, SeqNumber: 3},
		gopacket.Payload("ping over the underlay"))
	res := ipv6Rig(t).run(map[string][][]byte{"uplink": {req}})
	require.EqualValues(t, 1, res.ctr.EchoReplies)
	rows := tshark(t, res.pcap["uplink"], "ipv6.src", "ipv6.dst", "icmpv6.type", "icmpv6.checksum.status", "icmpv6.echo.identifier", "icmpv6.echo.sequence_number", "data.data")
	require.Equal(t, [][]string{{uplink6, peer6, "129", "1", "0x0009", "3", "70696e67206f7665722074686520756e6465726c6179"}}, rows)
}

func TestIPv6Malformed(t *testing.T) {
	back := returnFlow()
	back.Src = netip.MustParseAddr("10.6.0.9")
	good := gre6Frame(ipPackets(1, 1, back, 0)[0], 7, 0)
	cases := []struct {
		name, reason string
		f            []byte
	}{
		{"short_header", "truncated", cutFrame(good, 14+30)},
		{"payload_length_past_frame", "bad_ip_length", patch(good, func(f []byte) { f[14+4]++ })},
		{"version", "bad_ip_header", patch(good, func(f []byte) { f[14] = 0x40 })},
		{"not_local", "not_local", patch(good, func(f []byte) { f[14+39] = 9 })},
		{"multicast_gre", "not_local", patch(good, func(f []byte) { copy(f[14+24:], net.ParseIP("ff02::1:ff00:1")) })},
		{"fragment", "fragment", insertExt6(good, 44, []byte{0, 0, 0, 0, 0, 1})},
		{"routing_segments_left", "bad_ipv6_ext", insertExt6(good, 43, append([]byte{4, 1, 0, 0, 0, 0}, make([]byte, 16)...))},
		{"ext_past_payload", "truncated", patch(insertExt6(good, 60, []byte{1, 4, 0, 0, 0, 0}), func(f []byte) { f[14+41] = 200 })},
		{"hop_by_hop_late", "bad_ipv6_ext", insertExt6(insertExt6(good, 0, []byte{1, 4, 0, 0, 0, 0}), 60, []byte{1, 4, 0, 0, 0, 0})},
		{"gre_short", "truncated", patch(cutFrame(good, 14+40+2), func(f []byte) { binary.BigEndian.PutUint16(f[14+4:], 2) })},
		{"icmp_short", "truncated", patch(cutFrame(good, 14+40+2), func(f []byte) {
			binary.BigEndian.PutUint16(f[14+4:], 2)
			f[14+6] = 58
		})},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			res := ipv6Rig(t).run(map[string][][]byte{"uplink": {c.f}})
			requireDropped(t, res, c.reason, 1)
		})
	}
	// routing header with no segments left is skipped (RFC 8200 4.4)
	res := ipv6Rig(t).run(map[string][][]byte{"uplink": {insertExt6(good, 43, append([]byte{4, 0, 0, 0, 0, 0}, make([]byte, 16)...))}})
	require.Len(t, res.out["inner"], 1, "drops %v", nonZero(res.ctr.Drops))
}
