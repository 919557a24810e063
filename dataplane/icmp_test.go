package dataplane

// ICMP and ICMPv6 errors about forwarded packets (csrc/icmp.c): Time
// Exceeded, Fragmentation Needed with the next-hop MTU (RFC 1191), Packet
// Too Big (RFC 8201), the RFC 1812 4.3.2.7 / RFC 4443 2.4 (e) cases where
// none may be sent, and the rate limit. Every error is decoded by tshark
// (checksums validated) and gopacket.

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// icmpPorts: the rig's ports, the inner one with an IPv6 address too (the
// source of ICMPv6 errors) and an MTU of 1400 (smaller than the uplink's).
func icmpPorts() []rigPort {
	return []rigPort{
		{"inner", "inner", innerMAC, "addresses = [\"10.1.0.1/24\", \"2001:db8:1::1/64\"]\nmtu = 1400"},
		{"uplink", "underlay", uplinkMAC, `addresses = ["192.0.2.1/24"]`},
		{"l2", "inner", l2MAC, ""},
	}
}

func icmpRig(t *testing.T) *rig {
	r := newRig(t)
	r.ports = icmpPorts()
	r.extra = conformanceConf
	return r
}

// withDF sets DF on the IPv4 packet of frame f and fixes its checksum.
func withDF(f []byte) []byte {
	f[14+6] |= 0x40
	return fixIPv4(f)
}

func inner6Flow() pktgen.Flow {
	f := innerFlow()
	f.Src, f.Dst = netip.MustParseAddr("2001:db8:1::2"), netip.MustParseAddr("2001:db8:2::7")
	return f
}

// decodeICMP4 decodes an ICMP error frame with gopacket: the error's IPv4
// header, its ICMP header and the quoted IPv4 packet.
func decodeICMP4(t *testing.T, fr []byte) (*layers.IPv4, *layers.ICMPv4, []byte) {
	t.Helper()
	p := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
	ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	require.True(t, ok, "no IPv4 in %x", fr)
	ic, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	require.True(t, ok, "no ICMP in %x", fr)
	return ip, ic, ic.Payload
}

// TestICMPTimeExceeded: TTL 1 / hop limit 1 on a routed packet is answered
// from the inner port's address, quoting the packet as it came, and the
// error is routed: out of the inner port to the host, or back into the GRE
// tunnel for a packet that came out of it.
func TestICMPTimeExceeded(t *testing.T) {
	r := icmpRig(t)
	f4 := innerFlow()
	f4.TTL = 1
	in4 := pktgen.Frame(f4, 100, 1)
	echo := innerFlow()
	echo.Proto, echo.TTL = pktgen.ProtoICMP, 1
	inEcho := pktgen.Frame(echo, 32, 2)
	f6 := inner6Flow()
	f6.TTL = 1
	in6 := pktgen.Frame(f6, 100, 3)
	ret := returnFlow()
	ret.TTL = 1
	back := ipPacket(pktgen.Frame(ret, 40, 4))
	res := r.run(map[string][][]byte{"inner": {in4, inEcho, in6}, "uplink": {gre1Outer().frame(back)}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Equal(t, map[string]uint64{"ttl_expired": 4}, res.ctr.ICMPErrors)

	out := res.out["inner"]
	require.Len(t, out, 3)
	for i, want := range [][]byte{in4, inEcho} {
		ip, ic, quote := decodeICMP4(t, out[i])
		require.Equal(t, "10.1.0.1", ip.SrcIP.String())
		require.Equal(t, "10.1.0.2", ip.DstIP.String())
		require.EqualValues(t, layers.ICMPv4TypeTimeExceeded, ic.TypeCode.Type())
		require.EqualValues(t, 0, ic.TypeCode.Code())
		require.Equal(t, ipPacket(want), quote, "the whole packet, as received (TTL 1)")
		require.Equal(t, []byte(mac(innerPeer)), out[i][:6], "to the host's MAC")
	}
	rows := tshark(t, res.pcap["inner"], "ip.src", "ip.ttl", "icmp.type", "icmp.code", "icmp.checksum.status",
		"icmpv6.type", "icmpv6.code", "icmpv6.checksum.status", "ipv6.src", "ipv6.hlim")
	require.Equal(t, []string{"10.1.0.1,10.1.0.2", "64,1", "11", "0", "1", "", "", "", "", ""}, rows[0])
	// the quoted echo request is decoded too: type 8 after the error's 11
	require.Equal(t, []string{"10.1.0.1,10.1.0.2", "64,1", "11,8", "0,0"}, rows[1][:4])
	require.Equal(t, "1", strings.Split(rows[1][4], ",")[0], "the error's checksum")
	require.Equal(t, []string{"", "", "", "", "", "3", "0", "1", "2001:db8:1::1,2001:db8:1::2", "64,1"}, rows[2])

	// the decapsulated one: back into gre1, to its source behind the peer
	up := res.out["uplink"]
	require.Len(t, up, 1)
	rows = tshark(t, res.pcap["uplink"], "gre.key", "ip.src", "ip.dst", "icmp.type", "icmp.checksum.status")
	require.Equal(t, []string{"0x00000028", "192.0.2.1,192.0.2.1,10.2.0.7", "192.0.2.2,10.2.0.7,10.1.0.2", "11", "1"}, rows[0])
}

// TestICMPTooBig: a packet that does not fit its tunnel or its next hop's
// port gets Fragmentation Needed (IPv4, DF set) or Packet Too Big (IPv6)
// with the MTU it would have fitted; IPv4 without DF is fragmented.
func TestICMPTooBig(t *testing.T) {
	r := icmpRig(t)
	big4 := withDF(pktgen.FrameOfSize(innerFlow(), 14+1469, 1)) // gre1 adds 20 + 12: 1468 fit
	fit4 := withDF(pktgen.FrameOfSize(innerFlow(), 14+1400, 2))
	noDF := pktgen.FrameOfSize(innerFlow(), 14+1469, 3)
	big6 := pktgen.FrameOfSize(inner6Flow(), 14+1469, 4)
	// out of the tunnel towards the inner port (MTU 1400): 1401 bytes with DF
	ret := returnFlow()
	back := withDF(pktgen.FrameOfSize(ret, 14+1401, 5))
	res := r.run(map[string][][]byte{"inner": {big4, fit4, noDF, big6}, "uplink": {gre1Outer().frame(ipPacket(back))}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Equal(t, map[string]uint64{"mtu_exceeded": 3}, res.ctr.ICMPErrors)
	require.EqualValues(t, 1, res.ctr.Fragmented, "the one without DF, fragmented instead (frag_test.go)")
	require.EqualValues(t, 2, res.ctr.Fragments)

	out := res.out["inner"]
	require.Len(t, out, 2)
	ip, ic, quote := decodeICMP4(t, out[0])
	require.EqualValues(t, layers.ICMPv4TypeDestinationUnreachable, ic.TypeCode.Type())
	require.EqualValues(t, layers.ICMPv4CodeFragmentationNeeded, ic.TypeCode.Code())
	require.EqualValues(t, 576, ip.Length, "RFC 1812 4.3.2.3: at most 576 bytes")
	require.Equal(t, ipPacket(big4)[:576-28], quote, "the packet as it came (TTL 64), cut")
	rows := tshark(t, res.pcap["inner"], "icmp.type", "icmp.code", "icmp.mtu", "icmp.checksum.status",
		"icmpv6.type", "icmpv6.mtu", "icmpv6.checksum.status", "ipv6.plen", "ipv6.src")
	require.Equal(t, []string{"3", "4", "1468", "1", "", "", "", "", ""}, rows[0])
	require.Equal(t, []string{"", "", "", "", "2", "1468", "1", "1240,1429", "2001:db8:1::1,2001:db8:1::2"}, rows[1])

	// the tunnel carried the one that fit, the two fragments of the one
	// without DF, and the error about the one that came out of it but did
	// not fit the inner port
	rows = tshark(t, res.pcap["uplink"], "gre.key", "ip.dst", "ip.len", "icmp.type", "icmp.code", "icmp.mtu", "icmp.checksum.status")
	require.Len(t, rows, 4)
	require.Equal(t, []string{"0x00000028", "192.0.2.2,10.2.0.7", "1432,1400"}, rows[0][:3])
	require.Equal(t, []string{"0x00000028", "192.0.2.2,10.2.0.7", "1500,1468"}, rows[1][:3])
	require.Equal(t, []string{"0x00000028", "192.0.2.2,10.2.0.7", "53,21"}, rows[2][:3])
	require.Equal(t, []string{"0x00000028", "192.0.2.2,10.2.0.7,10.1.0.2", "608,576,1401", "3", "4", "1400", "1"}, rows[3])
}

// TestICMPNotSent: no error about an ICMP error, a non-first fragment, a
// multicast or broadcast, or to a source with no route back: each is
// dropped under the reason it would have been answered for.
func TestICMPNotSent(t *testing.T) {
	ttl1 := func(fn func(f *pktgen.Flow)) []byte {
		f := innerFlow()
		f.TTL = 1
		fn(&f)
		return pktgen.Frame(f, 40, 1)
	}
	unreach := ttl1(func(f *pktgen.Flow) { f.Proto = pktgen.ProtoICMP })
	unreach[14+20] = 3 // an ICMP Destination Unreachable, not an echo request
	fixICMP(unreach)
	frag := ttl1(func(*pktgen.Flow) {})
	frag[14+7] = 10 // fragment offset 80 bytes
	fixIPv4(frag)
	v6err := pktgen.Frame(inner6Flow(), 40, 2)
	v6err[14+7] = 1
	v6err[14+6] = 58
	v6err[14+40] = 1 // ICMPv6 Destination Unreachable (the checksum does not matter: never read)
	cases := map[string][]byte{
		"icmp_error":    unreach,
		"fragment":      frag,
		"multicast":     ttl1(func(f *pktgen.Flow) { f.Dst = netip.MustParseAddr("239.1.1.1") }),
		"broadcast_mac": ttl1(func(f *pktgen.Flow) { f.DstMAC = mac("ff:ff:ff:ff:ff:ff") }),
		"no_route_back": ttl1(func(f *pktgen.Flow) { f.Src = netip.MustParseAddr("10.77.0.1") }),
		"loopback_src":  ttl1(func(f *pktgen.Flow) { f.Src = netip.MustParseAddr("127.0.0.1") }),
		"icmpv6_error":  v6err,
		"ipv6_multicast": func() []byte {
			f := inner6Flow()
			f.TTL = 1
			f.Dst = netip.MustParseAddr("ff0e::1")
			return pktgen.Frame(f, 40, 3)
		}(),
	}
	for name, fr := range cases {
		fr := fr
		t.Run(name, func(t *testing.T) {
			r := icmpRig(t)
			res := r.run(map[string][][]byte{"inner": {fr}})
			require.Empty(t, res.ctr.ICMPErrors)
			require.Empty(t, res.out["inner"])
			require.Empty(t, res.out["uplink"])
			require.Equal(t, 1, len(nonZero(res.ctr.Drops)), "dropped once: %v", nonZero(res.ctr.Drops))
		})
	}
}

// fixICMP recomputes the ICMP checksum of an IPv4 frame with a 20-byte header.
func fixICMP(f []byte) {
	m := f[14+20:]
	m[2], m[3] = 0, 0
	var s uint32
	for i := 0; i < len(m); i += 2 {
		w := uint32(m[i]) << 8
		if i+1 < len(m) {
			w |= uint32(m[i+1])
		}
		s += w
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	m[2], m[3] = byte(^s>>8), byte(^s)
}

// TestICMPRateLimit: a bucket of 2 that never refills answers the first two
// and drops the rest under their reason.
func TestICMPRateLimit(t *testing.T) {
	r := icmpRig(t)
	r.conf = strings.Replace(baseConf, "idle_us = 20", "idle_us = 20\nicmp_error_rate = 0\nicmp_error_burst = 2", 1)
	var in [][]byte
	for i := 0; i < 5; i++ {
		f := innerFlow()
		f.TTL = 1
		in = append(in, pktgen.Frame(f, 40, i))
	}
	res := r.run(map[string][][]byte{"inner": in})
	require.Equal(t, map[string]uint64{"ttl_expired": 2}, res.ctr.ICMPErrors)
	require.Equal(t, map[string]uint64{"ttl_expired": 3}, nonZero(res.ctr.Drops))
	rows := tshark(t, res.pcap["inner"], "icmp.type", "icmp.checksum.status")
	require.Equal(t, [][]string{{"11", "1"}, {"11", "1"}}, rows)
}

// TestICMPAboutDecapsulated: a Time Exceeded about a packet that came out
// of a tunnel must not depend on the outer header bytes left in front of
// it. From remote 192.0.3.2 those bytes (its third address byte, odd) read
// as a multicast destination MAC, and the error was not sent (RFC 1812
// 4.3.2.7 is about how the frame came, unicast here).
func TestICMPAboutDecapsulated(t *testing.T) {
	r := icmpRig(t)
	r.extra += `
[[tunnel]]
name = "gre30"
type = "gre"
local = "192.0.2.1"
remote = "192.0.3.2"
nexthop = "192.0.2.2"
key = 30

[[route]]
prefix = "10.30.0.0/16"
tunnel = "gre30"
`
	ret := returnFlow()
	ret.Src, ret.TTL = netip.MustParseAddr("10.30.0.5"), 1
	back := ipPacket(pktgen.Frame(ret, 40, 1))
	outer := greOuter{src: "192.0.3.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 30}}
	res := r.run(map[string][][]byte{"uplink": {outer.frame(back)}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Equal(t, map[string]uint64{"ttl_expired": 1}, res.ctr.ICMPErrors)
	rows := tshark(t, res.pcap["uplink"], "gre.key", "ip.src", "ip.dst", "icmp.type", "icmp.checksum.status")
	require.Len(t, rows, 1)
	// into gre30 (key 30), from the address it came to, quoting the packet to 10.1.0.2
	require.Equal(t, []string{"0x0000001e", "192.0.2.1,192.0.2.1,10.30.0.5", "192.0.3.2,10.30.0.5,10.1.0.2", "11", "1"}, rows[0])
}
