package dataplane

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// Legal but unusual input: handled, not dropped.

// TestOuterIPv4Options: a peer's outer header with options (IHL 6, 7) is
// skipped by its length to find GRE or UDP, and the options go with it.
func TestOuterIPv4Options(t *testing.T) {
	ra := layers.IPv4Option{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}} // router alert, RFC 2113
	nop := layers.IPv4Option{OptionType: 1}
	for _, c := range []struct {
		name string
		opts []layers.IPv4Option
		ihl  byte
	}{
		{"ihl6", []layers.IPv4Option{ra}, 6},
		{"ihl7", []layers.IPv4Option{ra, nop, nop, nop, nop}, 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			inner := ipPackets(4, 2, returnFlow(), 3)
			frames := pktgen.Mix(4, 2, l2Flow(), 4)
			var in [][]byte
			for i, p := range inner {
				o := gre1Outer()
				o.options, o.gre.Seq = c.opts, uint32(i)
				in = append(in, o.frame(p))
			}
			for _, f := range frames {
				ip := &layers.IPv4{Version: 4, TTL: 60, Protocol: layers.IPProtocolUDP, Options: c.opts,
					SrcIP: net.IP{192, 0, 2, 2}, DstIP: net.IP{192, 0, 2, 1}}
				udp := &layers.UDP{SrcPort: 50000, DstPort: 4789}
				require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
				in = append(in, serialize(t, &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(uplinkMAC),
					EthernetType: layers.EthernetTypeIPv4}, ip, udp, &layers.VXLAN{ValidIDFlag: true, VNI: 100}, gopacket.Payload(f)))
			}
			for _, f := range in {
				require.Equal(t, 0x40|c.ihl, f[14])
			}
			res := newRig(t).run(map[string][][]byte{"uplink": in})
			require.Len(t, res.out["inner"], len(inner))
			for i, f := range res.out["inner"] {
				requireInnerIP(t, inner[i], f[14:], fmt.Sprintf("gre %d", i))
			}
			require.Equal(t, frames, res.out["l2"])
			require.Empty(t, nonZero(res.ctr.Drops))
		})
	}
}

// TestEthernetPadding: bytes after the IP packet (Ethernet padding, a
// switch's trailer) are not carried into or out of an L3 tunnel; an L2
// tunnel carries the frame it bridges as it is.
func TestEthernetPadding(t *testing.T) {
	short := innerFlow() // 28 bytes of IP: a 60-byte frame with 18 bytes of padding
	padded := pktgen.Frame(short, 0, 1)
	require.Len(t, padded, 60)
	l2padded := pktgen.Frame(l2Flow(), 0, 2) // TCP: 54 bytes + 6 of padding
	require.Len(t, l2padded, 60)
	inner := returnPacket()
	vxInner := pktgen.Frame(l2Flow(), 10, 3)
	res := newRig(t).run(map[string][][]byte{
		"inner": {padded},
		"l2":    {l2padded},
		"uplink": {
			withTrailer(greFrame(), 10),
			withTrailer(vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100}.frame(vxInner), 7),
		},
	})
	require.Empty(t, nonZero(res.ctr.Drops))
	var gre, vx []byte
	for _, f := range res.out["uplink"] {
		if f[23] == 47 {
			gre = f
		} else {
			vx = f
		}
	}
	require.Len(t, gre, 14+20+12+28, "GRE carries the 28-byte IP packet only")
	requireInnerIP(t, ipPacket(padded), gre[46:], "gre encap")
	require.Len(t, vx, 14+20+8+8+60)
	require.Equal(t, l2padded, vx[50:], "VXLAN bridges the frame as it came")
	require.Len(t, res.out["inner"], 1)
	requireInnerIP(t, inner, res.out["inner"][0][14:], "gre decap")
	require.Equal(t, [][]byte{vxInner}, res.out["l2"], "no outer trailer in the inner frame")
}

// jumboPorts is the rig with port MTUs raised (inner, uplink, l2).
func jumboPorts(inner, uplink, l2 int) []rigPort {
	ps := append([]rigPort(nil), rigPorts...)
	for i, mtu := range []int{inner, uplink, l2} {
		ps[i].keys += fmt.Sprintf("\nmtu = %d", mtu)
	}
	return ps
}

// TestJumboChain: 9000-byte frames arrive from net_pcap as chains of five
// mbufs (2048 bytes of data room each). Encap prepends to the first
// segment, decap strips from it, the GRE checksum runs over the chain, the
// PMD writes the chain out whole; what does not fit the MTU is dropped as
// mtu_exceeded. The rig checks that no segment leaks.
func TestJumboChain(t *testing.T) {
	big := pktgen.FrameOfSize(innerFlow(), 9000, 1)
	bigL2 := pktgen.FrameOfSize(l2Flow(), 9000, 2)
	back := ipPacket(pktgen.FrameOfSize(returnFlow(), 9000, 3))
	t.Run("encap_mtu_exceeded", func(t *testing.T) {
		// the routed chain without DF is fragmented for gre1 (frag.c), the
		// one with DF answered with Fragmentation Needed, the bridged one dropped
		r := newRig(t)
		r.ports = jumboPorts(9000, 1500, 9000)
		bigDF := withDF(append([]byte(nil), big...))
		res := r.run(map[string][][]byte{"inner": {big, bigDF}, "l2": {bigL2}})
		require.Equal(t, map[string]uint64{"mtu_exceeded": 1}, nonZero(res.ctr.Drops))
		require.Equal(t, map[string]uint64{"mtu_exceeded": 1}, res.ctr.ICMPErrors)
		require.EqualValues(t, 1, res.ctr.Fragmented)
		out := res.out["uplink"]
		require.EqualValues(t, len(out), res.ctr.Fragments)
		var frags [][]byte
		for _, f := range out {
			frags = append(frags, f[14+20+12:])
		}
		requireSamePacket(t, ttlLess(ipPacket(big)), reassemble(t, frags))
	})
	t.Run("encap", func(t *testing.T) {
		r := newRig(t)
		r.ports = jumboPorts(9000, 9100, 9000)
		r.extra = conformanceConf
		f2 := innerFlow()
		f2.Dst = netip.MustParseAddr("10.3.0.1") // gre2: with the GRE checksum
		big2 := pktgen.FrameOfSize(f2, 9000, 4)
		res := r.run(map[string][][]byte{"inner": {big, big2}, "l2": {bigL2}})
		require.Empty(t, nonZero(res.ctr.Drops))
		out := res.out["uplink"]
		require.Len(t, out, 3)
		var gre1, gre2, vx []byte
		for _, f := range out {
			switch {
			case f[23] == 17:
				vx = f
			case f[34]&0x80 != 0:
				gre2 = f
			default:
				gre1 = f
			}
		}
		require.Len(t, gre1, 9000+32)
		requireInnerIP(t, ipPacket(big), gre1[46:], "gre1")
		require.Len(t, gre2, 9000+28)
		require.EqualValues(t, 0xffff, onesSum(gre2[34:]), "GRE checksum over the whole chain")
		requireInnerIP(t, ipPacket(big2), gre2[42:], "gre2")
		require.Len(t, vx, 9000+50)
		require.Equal(t, bigL2, vx[50:])
		rows := tshark(t, res.pcap["uplink"], "frame.len", "ip.checksum.status", "gre.checksum.status", "udp.length")
		require.Len(t, rows, 3)
		want := map[string][]string{
			"9032": {"9032", "1,1", "", "8966"},
			"9028": {"9028", "1,1", "1", "8966"},
			"9050": {"9050", "1,1", "", "9016"},
		}
		for _, row := range rows {
			require.Equal(t, want[row[0]], row)
		}
	})
	t.Run("decap", func(t *testing.T) {
		r := newRig(t)
		r.ports = jumboPorts(9000, 9100, 9000)
		o := gre1Outer()
		vx := vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100}
		r.extra = conformanceConf
		csum := greOuter{src: "192.0.2.9", dst: "192.0.2.1", gre: layers.GRE{ChecksumPresent: true}} // gre2
		bad := csum.frame(back)
		bad[len(bad)-1] ^= 0x01 // in the last segment: the checksum must cover the chain
		res := r.run(map[string][][]byte{"uplink": {o.frame(back), vx.frame(bigL2), csum.frame(back), bad}})
		require.Equal(t, map[string]uint64{"bad_gre_checksum": 1}, nonZero(res.ctr.Drops))
		require.Len(t, res.out["inner"], 2)
		requireInnerIP(t, back, res.out["inner"][0][14:], "gre decap")
		requireInnerIP(t, back, res.out["inner"][1][14:], "gre decap with checksum")
		require.Equal(t, [][]byte{bigL2}, res.out["l2"])
	})
	t.Run("decap_mtu_exceeded", func(t *testing.T) {
		r := newRig(t)
		r.ports = jumboPorts(1500, 9100, 1500)
		vx := vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100}
		res := r.run(map[string][][]byte{"uplink": {gre1Outer().frame(back), vx.frame(bigL2)}})
		// the bridged frame is dropped; the routed packet is fragmented
		require.Equal(t, map[string]uint64{"mtu_exceeded": 1}, nonZero(res.ctr.Drops))
		require.Empty(t, res.out["l2"])
		var frags [][]byte
		for _, f := range res.out["inner"] {
			frags = append(frags, f[14:])
		}
		require.EqualValues(t, len(frags), res.ctr.Fragments)
		requireSamePacket(t, ttlLess(back), reassemble(t, frags))
	})
}

// arpFrame is an ARP request (or reply) from a neighbour.
func arpFrame(op uint16, srcMAC string, srcIP, dstIP string) []byte {
	eth := &layers.Ethernet{SrcMAC: mac(srcMAC), DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP}
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: op, SourceHwAddress: mac(srcMAC), SourceProtAddress: net.ParseIP(srcIP).To4(),
		DstHwAddress: make([]byte, 6), DstProtAddress: net.ParseIP(dstIP).To4()}
	return serialize(nil, eth, arp)
}

// TestARP: a request for a port's own address is answered in place (RFC
// 826); a request for any other address, even one of another port, is not ours.
func TestARP(t *testing.T) {
	res := newRig(t).run(map[string][][]byte{
		"uplink": {
			arpFrame(layers.ARPRequest, uplinkPeer, "192.0.2.2", "192.0.2.1"),
			arpFrame(layers.ARPRequest, uplinkPeer, "192.0.2.2", "192.0.2.50"),
			arpFrame(layers.ARPRequest, uplinkPeer, "192.0.2.2", "10.1.0.1"),
			arpFrame(layers.ARPReply, uplinkPeer, "192.0.2.2", "192.0.2.1"),
		},
		"inner": {arpFrame(layers.ARPRequest, innerPeer, "10.1.0.2", "10.1.0.1")},
	})
	require.Equal(t, map[string]uint64{"not_local": 2, "unsupported": 1}, nonZero(res.ctr.Drops))
	require.EqualValues(t, 2, res.ctr.ARPReplies)
	for _, c := range []struct{ port, mac, ip, peerMAC, peerIP string }{
		{"uplink", uplinkMAC, "192.0.2.1", uplinkPeer, "192.0.2.2"},
		{"inner", innerMAC, "10.1.0.1", innerPeer, "10.1.0.2"},
	} {
		require.Len(t, res.out[c.port], 1, c.port)
		p := gopacket.NewPacket(res.out[c.port][0], layers.LayerTypeEthernet, gopacket.Default)
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		require.Equal(t, c.peerMAC, eth.DstMAC.String())
		require.Equal(t, c.mac, eth.SrcMAC.String())
		arp := p.Layer(layers.LayerTypeARP).(*layers.ARP)
		require.EqualValues(t, layers.ARPReply, arp.Operation)
		require.Equal(t, c.mac, net.HardwareAddr(arp.SourceHwAddress).String())
		require.Equal(t, c.ip, net.IP(arp.SourceProtAddress).String())
		require.Equal(t, c.peerMAC, net.HardwareAddr(arp.DstHwAddress).String())
		require.Equal(t, c.peerIP, net.IP(arp.DstProtAddress).String())
		rows := tshark(t, res.pcap[c.port], "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4")
		require.Equal(t, [][]string{{"2", c.mac, c.ip, c.peerMAC, c.peerIP}}, rows)
	}
}

// TestEcho: echo requests to the gateway's addresses are answered from the
// port they came in on (RFC 792), padding trimmed, checksums good; also when
// a default route into a tunnel covers those addresses (the routed loop must
// still see them as the gateway's), alone and among packets for the tunnel.
func TestEcho(t *testing.T) {
	// gre9 (no sequence numbers) is one the routed loop encapsulates inline
	const dflt = `
[[tunnel]]
name = "gre9"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 90

[[route]]
prefix = "0.0.0.0/0"
tunnel = "gre9"
`
	t.Run("no-covering-route", func(t *testing.T) { testEcho(t, "", 0) })
	t.Run("default-route-into-tunnel", func(t *testing.T) { testEcho(t, dflt, 0) })
	t.Run("default-route-among-tunnel-packets", func(t *testing.T) { testEcho(t, dflt, 40) })
}

// testEcho sends the echo requests, on the inner port amid tunnelled
// packets to 10.9.0.9 (routed by extra's default route into gre9).
func testEcho(t *testing.T, extra string, tunnelled int) {
	echo := func(srcMAC, dstMAC, src, dst string, id uint16, payload int) []byte {
		return pktgen.Frame(pktgen.Flow{SrcMAC: mac(srcMAC), DstMAC: mac(dstMAC),
			Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: pktgen.ProtoICMP, SrcPort: id, TTL: 9}, payload, 5)
	}
	up := [][]byte{
		echo(uplinkPeer, uplinkMAC, "192.0.2.2", "192.0.2.1", 0x101, 56),
		echo(uplinkPeer, uplinkMAC, "198.51.100.7", "192.0.2.1", 0x102, 0), // padded to 60
	}
	in := [][]byte{
		echo(innerPeer, innerMAC, "10.1.0.2", "10.1.0.1", 0x201, 1000),
		echo(innerPeer, innerMAC, "10.1.0.2", "192.0.2.1", 0x202, 3),
	}
	var tun [][]byte
	for i := 0; i < tunnelled; i++ {
		f := innerFlow()
		f.Dst = netip.MustParseAddr("10.9.0.9")
		tun = append(tun, pktgen.Frame(pktgen.FlowN(f, i), 40, i))
	}
	r := newRig(t)
	r.extra = extra
	innerIn := append(append(append([][]byte(nil), tun[:tunnelled/2]...), in...), tun[tunnelled/2:]...)
	res := r.run(map[string][][]byte{"uplink": up, "inner": innerIn})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.EqualValues(t, 4, res.ctr.EchoReplies)
	require.EqualValues(t, tunnelled, res.tunnel("gre9").EncapPkts)
	require.Len(t, res.out["uplink"], len(up)+tunnelled)
	var replies [][]byte
	for _, f := range res.out["uplink"] {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		if g, ok := p.Layer(layers.LayerTypeGRE).(*layers.GRE); ok {
			require.EqualValues(t, 90, g.Key)
			continue
		}
		replies = append(replies, f)
	}
	res.out["uplink"] = replies
	for port, reqs := range map[string][][]byte{"uplink": up, "inner": in} {
		out := res.out[port]
		require.Len(t, out, len(reqs))
		for i, f := range out {
			q := gopacket.NewPacket(reqs[i], layers.LayerTypeEthernet, gopacket.Default)
			p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
			qe, pe := q.Layer(layers.LayerTypeEthernet).(*layers.Ethernet), p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			require.Equal(t, qe.SrcMAC, pe.DstMAC)
			require.Equal(t, qe.DstMAC, pe.SrcMAC)
			qi, pi := q.Layer(layers.LayerTypeIPv4).(*layers.IPv4), p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			require.Equal(t, qi.SrcIP, pi.DstIP)
			require.Equal(t, qi.DstIP, pi.SrcIP)
			require.Len(t, f, 14+int(qi.Length), "reply is the request's IP length, no padding")
			qc, pc := q.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4), p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
			require.EqualValues(t, layers.ICMPv4TypeEchoReply, pc.TypeCode.Type())
			require.Equal(t, qc.Id, pc.Id)
			require.Equal(t, qc.Seq, pc.Seq)
			require.Equal(t, qc.Payload, pc.Payload)
		}
		rows := tshark(t, res.pcap[port], "icmp.type", "icmp.code", "ip.checksum.status", "icmp.checksum.status")
		if port == "uplink" {
			all := rows
			rows = nil
			for _, row := range all {
				if row[0] != "" { // not a GRE packet (its inner packet is UDP)
					rows = append(rows, row)
				}
			}
		}
		require.Len(t, rows, len(reqs))
		for _, row := range rows {
			require.Equal(t, []string{"0", "0", "1", "1"}, row)
		}
	}
}

// TestECNDecap is RFC 6040 section 4.2, figure 4: every (inner, outer) ECN
// pair decapsulated by GRE (IPv4 and IPv6 inner) and VXLAN; only CE over
// not-ECT is dropped. The outer DSCP is not copied in.
func TestECNDecap(t *testing.T) {
	const notECT, ect1, ect0, ce = 0, 1, 2, 3
	// result[inner][outer]; -1: drop
	result := [4][4]int{
		notECT: {notECT, notECT, notECT, -1},
		ect1:   {ect1, ect1, ect1, ce},
		ect0:   {ect0, ect1, ect0, ce},
		ce:     {ce, ce, ce, ce},
	}
	const dscp = 0x28 // inner DSCP 10; the outer carries DSCP 46
	for _, proto := range []string{"gre_ipv4", "gre_ipv6", "vxlan"} {
		t.Run(proto, func(t *testing.T) {
			var in, want [][]byte
			drops := 0
			for inner := 0; inner < 4; inner++ {
				for outer := 0; outer < 4; outer++ {
					var pkt, frame []byte
					switch proto {
					case "gre_ipv4", "gre_ipv6":
						f := returnFlow()
						f.TOS = dscp | uint8(inner)
						if proto == "gre_ipv6" {
							f.Src, f.Dst = netip.MustParseAddr("2001:db8:2::7"), netip.MustParseAddr("2001:db8:1::2")
						}
						pkt = ipPacket(pktgen.Frame(f, 20, inner*4+outer))
						o := gre1Outer()
						o.tos = 0xb8 | uint8(outer)
						frame = o.frame(pkt)
					default:
						f := l2Flow()
						f.TOS = dscp | uint8(inner)
						pkt = pktgen.Frame(f, 20, inner*4+outer)
						frame = vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100, tos: 0xb8 | uint8(outer)}.frame(pkt)
					}
					in = append(in, frame)
					if result[inner][outer] < 0 {
						drops++
						continue
					}
					w := append([]byte(nil), pkt...)
					setECN(w, proto, uint8(result[inner][outer]))
					want = append(want, w)
				}
			}
			r := newRig(t)
			r.extra = conformanceConf
			res := r.run(map[string][][]byte{"uplink": in})
			require.Equal(t, map[string]uint64{"ecn_ce_not_ect": uint64(drops)}, nonZero(res.ctr.Drops))
			port, fields := "inner", []string{"ip.dsfield", "ip.checksum.status", "ipv6.tclass"}
			if proto == "vxlan" {
				port = "l2"
			}
			out := res.out[port]
			require.Len(t, out, len(want))
			rows := tshark(t, res.pcap[port], fields...)
			for i, f := range out {
				if proto == "vxlan" {
					require.Equal(t, want[i], f, "frame %d", i)
				} else {
					requireInnerIP(t, want[i], f[14:], fmt.Sprintf("frame %d", i))
				}
				ecn := want[i][15] & 3 // vxlan: the inner IPv4 TOS byte of the frame
				if proto == "gre_ipv4" {
					ecn = want[i][1] & 3
				}
				switch proto {
				case "gre_ipv6":
					require.Equal(t, []string{"", "", fmt.Sprintf("0x%08x", uint32(dscp|tclassECN(want[i])))}, rows[i])
				default:
					require.Equal(t, []string{fmt.Sprintf("0x%02x", dscp|ecn), "1", ""}, rows[i], "frame %d", i)
				}
			}
		})
	}
}

// setECN sets the ECN field of the IP packet (or, for vxlan, the frame's
// IPv4 packet) and fixes the IPv4 checksum.
func setECN(p []byte, proto string, ecn uint8) {
	switch proto {
	case "gre_ipv6":
		v := binary.BigEndian.Uint32(p) &^ (3 << 20)
		binary.BigEndian.PutUint32(p, v|uint32(ecn)<<20)
	case "vxlan":
		setECN(p[14:], "gre_ipv4", ecn)
	default:
		p[1] = p[1]&^3 | ecn
		binary.BigEndian.PutUint16(p[10:], ipv4Checksum(p[:20]))
	}
}

func tclassECN(p []byte) uint8 { return uint8(binary.BigEndian.Uint32(p)>>20) & 3 }

// TestGREIgnoredAndOptionalFields: what RFC 2784 and 2890 let a receiver
// ignore or accept: reserved0 bits (6-12) set, a checksum or a sequence
// number from a peer whose tunnel does not send them.
func TestGREIgnoredAndOptionalFields(t *testing.T) {
	p := returnPacket()
	mk := func(fn func(o *greOuter)) []byte { o := gre1Outer(); fn(&o); return o.frame(p) }
	in := [][]byte{
		mk(func(o *greOuter) { o.gre.Flags = 0x1f }),         // bits 8-12
		mk(func(o *greOuter) { o.gre.RecursionControl = 3 }), // bits 6-7
		mk(func(o *greOuter) { o.gre.ChecksumPresent = true }),
		mk(func(o *greOuter) { o.gre.SeqPresent = false }),
		// gre3 (plain) from 192.0.2.10 with a sequence number and a checksum
		greOuter{src: "192.0.2.10", dst: "192.0.2.1", gre: layers.GRE{SeqPresent: true, Seq: 5, ChecksumPresent: true}}.frame(p),
	}
	require.Equal(t, byte(0xf8), in[0][34+1]&0xf8)
	r := newRig(t)
	r.extra = conformanceConf
	res := r.run(map[string][][]byte{"uplink": in})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Len(t, res.out["inner"], len(in))
	for i, f := range res.out["inner"] {
		requireInnerIP(t, p, f[14:], fmt.Sprintf("frame %d", i))
	}
	require.EqualValues(t, 4, res.tunnel("gre1").DecapPkts)
	require.EqualValues(t, 1, res.tunnel("gre3").DecapPkts)
}

// TestVXLANRuntInnerFrame: a bridge does not parse what it bridges: an
// inner frame that says IPv4 but is only an Ethernet header passes when the
// outer ECN field asks nothing of it (with ECT(1) or CE it is truncated:
// see TestMalformed/ecn_ce_over_runt_inner_*).
func TestVXLANRuntInnerFrame(t *testing.T) {
	frames := [][]byte{runtInner(0x0800), append(runtInner(0x86dd), 0x60, 0x20), runtInner(0x0806)}
	var in [][]byte
	for i, f := range frames {
		in = append(in, vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100, tos: uint8(i%2) * 2}.frame(f))
	}
	res := newRig(t).run(map[string][][]byte{"uplink": in})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Equal(t, frames, res.out["l2"])
}

// TestVXLANVLANBinding: a VLAN of the bridged port bound to its own VNI:
// the tag is stripped on the way in (the VNI stands for it) and put back
// on the way out; a VLAN bound to nothing is no_l2_binding.
func TestVXLANVLANBinding(t *testing.T) {
	r := newRig(t)
	r.extra = `
[[tunnel]]
name = "vx2"
type = "vxlan"
local = "192.0.2.1"
remote = "192.0.2.2"
vni = 200

[[l2]]
port = "l2"
vlan = 7
tunnel = "vx2"
`
	tagged := l2Flow()
	tagged.VLAN = 7
	other := l2Flow()
	other.VLAN = 8
	var in, stripped [][]byte
	for _, f := range pktgen.Mix(3, 3, tagged, 20) {
		require.Equal(t, []byte{0x81, 0x00, 0x00, 0x07}, f[12:16])
		in = append(in, f)
		stripped = append(stripped, untag(f))
	}
	in = append(in, pktgen.Frame(other, 30, 9))
	var back [][]byte
	for _, f := range stripped {
		back = append(back, vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 200}.frame(f))
	}
	res := r.run(map[string][][]byte{"l2": in, "uplink": back})
	require.Equal(t, map[string]uint64{"no_l2_binding": 1}, nonZero(res.ctr.Drops))
	require.Len(t, res.out["uplink"], 3)
	for i, f := range res.out["uplink"] {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		require.EqualValues(t, 200, p.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN).VNI)
		require.Equal(t, stripped[i], f[50:], "frame %d: the tag is not carried", i)
	}
	require.Equal(t, pktgen.Mix(3, 3, tagged, 20), res.out["l2"], "the tag is put back")
	rows := tshark(t, res.pcap["l2"], "vlan.id", "vlan.etype")
	require.Equal(t, [][]string{{"7", "0x0800"}, {"7", "0x0800"}, {"7", "0x0800"}}, rows)
	require.EqualValues(t, 3, res.tunnel("vx2").EncapPkts)
	require.EqualValues(t, 3, res.tunnel("vx2").DecapPkts)
}
