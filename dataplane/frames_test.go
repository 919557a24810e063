package dataplane

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// Frames as the rig's neighbours send them, built with gopacket, and the
// small byte surgery that turns them into hostile input.

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func u32(v uint32) *uint32 { return &v }

// innerFlow is clear traffic from the inner host into gre1 (10.2.0.0/16).
func innerFlow() pktgen.Flow {
	return pktgen.Flow{SrcMAC: mac(innerPeer), DstMAC: mac(innerMAC),
		Src: netip.MustParseAddr("10.1.0.2"), Dst: netip.MustParseAddr("10.2.0.7"),
		Proto: pktgen.ProtoUDP, SrcPort: 1000, DstPort: 2000, TTL: 64}
}

// returnFlow is traffic from behind the GRE peer towards the inner host
// (only the IP packet is used: the frame's MACs are the default ones).
func returnFlow() pktgen.Flow {
	return pktgen.Flow{Src: netip.MustParseAddr("10.2.0.7"), Dst: netip.MustParseAddr("10.1.0.2"),
		Proto: pktgen.ProtoUDP, SrcPort: 2000, DstPort: 1000, TTL: 30}
}

// l2Flow: frames from a host on the bridged port, any MACs.
func l2Flow() pktgen.Flow {
	return pktgen.Flow{SrcMAC: mac("02:00:00:00:aa:01"), DstMAC: mac("02:00:00:00:bb:01"),
		Src: netip.MustParseAddr("172.16.0.1"), Dst: netip.MustParseAddr("172.16.0.2"),
		Proto: pktgen.ProtoTCP, SrcPort: 3000, DstPort: 80}
}

// ipPacket returns the IP packet of an Ethernet frame without its padding.
func ipPacket(frame []byte) []byte {
	l3 := frame[14:]
	if l3[0]>>4 == 6 {
		return l3[:40+int(binary.BigEndian.Uint16(l3[4:]))]
	}
	return l3[:binary.BigEndian.Uint16(l3[2:])]
}

// ipPackets returns the IP packets of frames built by pktgen from f.
func ipPackets(n, flows int, f pktgen.Flow, seed int) [][]byte {
	var out [][]byte
	for _, fr := range pktgen.Mix(n, flows, f, seed) {
		out = append(out, ipPacket(fr))
	}
	return out
}

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		if t != nil {
			t.Fatalf("serialize: %v", err)
		}
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// greOuter describes the outer headers a GRE peer puts on a packet.
type greOuter struct {
	src, dst string // outer IPv4 addresses
	tos      uint8
	options  []layers.IPv4Option // outer IPv4 options
	gre      layers.GRE          // flags, key, seq; Protocol defaults from the payload
}

// frame wraps payload (an IP packet unless gre.Protocol says otherwise) as
// the peer sends it to the uplink.
func (o greOuter) frame(payload []byte) []byte {
	eth := &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(uplinkMAC), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 60, TOS: o.tos, Protocol: layers.IPProtocolGRE,
		SrcIP: net.ParseIP(o.src).To4(), DstIP: net.ParseIP(o.dst).To4(), Options: o.options}
	gre := o.gre
	if gre.Protocol == 0 {
		gre.Protocol = layers.EthernetTypeIPv4
		if len(payload) > 0 && payload[0]>>4 == 6 {
			gre.Protocol = layers.EthernetTypeIPv6
		}
	}
	return serialize(nil, eth, ip, &gre, gopacket.Payload(payload))
}

// vxlanOuter describes the outer headers a VTEP peer puts on a frame.
type vxlanOuter struct {
	src, dst string
	tos      uint8
	sport    uint16
	dport    uint16 // 0: 4789
	vni      uint32
	noIFlag  bool
	noCsum   bool // send a zero UDP checksum
}

func (o vxlanOuter) frame(inner []byte) []byte {
	eth := &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(uplinkMAC), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 60, TOS: o.tos, Protocol: layers.IPProtocolUDP,
		SrcIP: net.ParseIP(o.src).To4(), DstIP: net.ParseIP(o.dst).To4()}
	sport, dport := o.sport, o.dport
	if sport == 0 {
		sport = 51000
	}
	if dport == 0 {
		dport = 4789
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	udp.SetNetworkLayerForChecksum(ip)
	vx := &layers.VXLAN{ValidIDFlag: !o.noIFlag, VNI: o.vni}
	f := serialize(nil, eth, ip, udp, vx, gopacket.Payload(inner))
	if o.noCsum {
		hl := int(f[14]&0xf) * 4
		f[14+hl+6], f[14+hl+7] = 0, 0
	}
	return f
}

// The byte surgery below works on the outer IPv4 header at offset 14.

func ipHL(f []byte) int { return int(f[14]&0xf) * 4 }

// ipv4Checksum is the RFC 791 header checksum over hdr (its checksum field zeroed).
func ipv4Checksum(hdr []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(hdr); i += 2 {
		if i == 10 {
			continue
		}
		s += uint32(binary.BigEndian.Uint16(hdr[i:]))
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// fixIPv4 recomputes the outer header checksum, if the frame holds the header.
func fixIPv4(f []byte) []byte {
	if hl := ipHL(f); hl >= 20 && len(f) >= 14+hl {
		binary.BigEndian.PutUint16(f[24:], ipv4Checksum(f[14:14+hl]))
	}
	return f
}

// cutIP cuts f to n bytes of outer IP packet and makes the IPv4 total length
// (and the checksum) say so: a short datagram, not a short capture.
func cutIP(f []byte, n int) []byte {
	f = append([]byte(nil), f[:14+n]...)
	binary.BigEndian.PutUint16(f[16:], uint16(n))
	return fixIPv4(f)
}

// cutFrame cuts the frame to n bytes and leaves every length field alone.
func cutFrame(f []byte, n int) []byte { return append([]byte(nil), f[:n]...) }

// patch returns a copy of f with fn applied and the outer IPv4 checksum fixed.
func patch(f []byte, fn func(f []byte)) []byte {
	f = append([]byte(nil), f...)
	fn(f)
	return fixIPv4(f)
}

// withTrailer appends Ethernet padding (or a trailer a switch added) after the IP packet.
func withTrailer(f []byte, n int) []byte {
	f = append([]byte(nil), f...)
	for i := 0; i < n; i++ {
		f = append(f, 0xee)
	}
	return f
}

// requireInnerIP asserts that got is the IP packet want after one hop: the
// same bytes but for the TTL (hop limit) one less and the IPv4 checksum.
func requireInnerIP(t *testing.T, want, got []byte, msg string) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: length (no padding carried)", msg)
	w := append([]byte(nil), want...)
	g := append([]byte(nil), got...)
	if w[0]>>4 == 6 {
		require.Equal(t, w[7]-1, g[7], "%s: hop limit decremented", msg)
		w[7], g[7] = 0, 0
	} else {
		require.Equal(t, w[8]-1, g[8], "%s: TTL decremented", msg)
		w[8], g[8] = 0, 0
		w[10], w[11], g[10], g[11] = 0, 0, 0, 0
		require.Equal(t, ipv4Checksum(got[:ipHLOf(got)]), binary.BigEndian.Uint16(got[10:]), "%s: inner checksum", msg)
	}
	require.Equal(t, w, g, "%s: inner packet", msg)
}

func ipHLOf(ip []byte) int { return int(ip[0]&0xf) * 4 }

// requireDropped asserts that no port sent anything and that all n packets were
// dropped under reason, and under no other.
func requireDropped(t *testing.T, res *result, reason string, n int) {
	t.Helper()
	for port, frames := range res.out {
		require.Empty(t, frames, "port %s sent frames", port)
	}
	require.Contains(t, DropNames, reason)
	require.Equal(t, map[string]uint64{reason: uint64(n)}, nonZero(res.ctr.Drops))
}
