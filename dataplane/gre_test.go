package dataplane

import (
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func innerFlow() pktgen.Flow {
	return pktgen.Flow{SrcMAC: mac(innerPeer), DstMAC: mac(innerMAC),
		Src: netip.MustParseAddr("10.1.0.2"), Dst: netip.MustParseAddr("10.2.0.7"),
		Proto: pktgen.ProtoUDP, SrcPort: 1000, DstPort: 2000, TTL: 64}
}

func TestGREEncap(t *testing.T) {
	r := newRig(t)
	in := pktgen.Mix(50, 8, innerFlow(), 0)
	res := r.run(map[string][][]byte{"inner": in})
	out := res.out["uplink"]
	require.Len(t, out, len(in))
	for i, f := range out {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		require.Equal(t, uplinkPeer, eth.DstMAC.String())
		require.Equal(t, uplinkMAC, eth.SrcMAC.String())
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		require.Equal(t, "192.0.2.1", ip.SrcIP.String())
		require.Equal(t, "192.0.2.2", ip.DstIP.String())
		require.Equal(t, layers.IPProtocolGRE, ip.Protocol)
		require.EqualValues(t, 64, ip.TTL)
		require.Equal(t, layers.IPv4DontFragment, ip.Flags)
		gre := p.Layer(layers.LayerTypeGRE).(*layers.GRE)
		require.True(t, gre.KeyPresent)
		require.EqualValues(t, 40, gre.Key)
		require.True(t, gre.SeqPresent)
		require.EqualValues(t, i, gre.Seq)
		require.Equal(t, layers.EthernetTypeIPv4, gre.Protocol)
		// the inner packet is the input's IP packet, TTL one less
		want := append([]byte(nil), in[i][14:]...)
		ilen := int(want[2])<<8 | int(want[3])
		want = want[:ilen]
		want[8]--
		got := gre.LayerPayload()
		require.Equal(t, len(want), len(got))
		require.Equal(t, want[:8], got[:8])
		require.Equal(t, want[8], got[8])
		require.Equal(t, want[12:], got[12:])
		require.Equal(t, len(f), 14+20+12+ilen)
	}
	require.EqualValues(t, len(in), res.tunnel("gre1").EncapPkts)
}

// TestGREEncapTshark decodes the encapsulated output with Wireshark: outer
// and inner addresses, key, sequence, and both IPv4 checksums good.
func TestGREEncapTshark(t *testing.T) {
	r := newRig(t)
	r.extra = "\n[[tunnel]]\nname = \"gre2\"\ntype = \"gre\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.9\"\nnexthop = \"192.0.2.2\"\nchecksum = true\ndscp = 46\nttl = 17\n\n[[route]]\nprefix = \"10.3.0.0/16\"\ntunnel = \"gre2\"\n"
	f := innerFlow()
	f.TOS = 0x02 // ECT(0): copied to the outer header (RFC 6040 4.1)
	in := pktgen.Mix(10, 4, f, 0)
	f.Dst = netip.MustParseAddr("10.3.0.1")
	in = append(in, pktgen.Mix(10, 4, f, 10)...)
	res := r.run(map[string][][]byte{"inner": in})
	rows := tshark(t, res.pcap["uplink"], "ip.src", "ip.dst", "ip.ttl", "ip.checksum.status",
		"gre.flags.key", "gre.key", "gre.sequence_number", "gre.checksum.status", "ip.dsfield", "gre.proto")
	require.Len(t, rows, 20)
	for i, row := range rows {
		src := "192.0.2.1," + netip.AddrFrom4([4]byte(in[i][26:30])).String()
		if i < 10 {
			require.Equal(t, []string{src, "192.0.2.2,10.2.0.7", "64,63", "1,1",
				"1", "0x00000028", itoa(i), "", "0x02,0x02", "0x0800"}, row, "frame %d", i)
		} else {
			require.Equal(t, []string{src, "192.0.2.9,10.3.0.1", "17,63", "1,1",
				"0", "", "", "1", "0xba,0x02", "0x0800"}, row, "frame %d", i)
		}
	}
	require.EqualValues(t, 10, res.tunnel("gre1").EncapPkts)
	require.EqualValues(t, 10, res.tunnel("gre2").EncapPkts)
}

func itoa(i int) string { return strconv.Itoa(i) }

// outerGRE wraps an inner IP packet into Ethernet + IPv4 + GRE as a peer
// would send it (gopacket builds it).
func outerGRE(src, dst string, key *uint32, seq *uint32, csum bool, tos uint8, inner []byte, proto layers.EthernetType) []byte {
	eth := &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(uplinkMAC), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 60, TOS: tos, Protocol: layers.IPProtocolGRE,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	gre := &layers.GRE{Protocol: proto, ChecksumPresent: csum}
	if key != nil {
		gre.KeyPresent, gre.Key = true, *key
	}
	if seq != nil {
		gre.SeqPresent, gre.Seq = true, *seq
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, gre, gopacket.Payload(inner)); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func u32(v uint32) *uint32 { return &v }

// returnFlow is traffic from behind the GRE peer towards the inner host.
func returnFlow() pktgen.Flow {
	return pktgen.Flow{Src: netip.MustParseAddr("10.2.0.7"), Dst: netip.MustParseAddr("10.1.0.2"),
		Proto: pktgen.ProtoUDP, SrcPort: 2000, DstPort: 1000, TTL: 30}
}

func TestGREDecap(t *testing.T) {
	r := newRig(t)
	var in, inner [][]byte
	for i, fr := range pktgen.Mix(30, 5, returnFlow(), 0) {
		ipPkt := fr[14 : 14+(int(fr[16])<<8|int(fr[17]))]
		inner = append(inner, ipPkt)
		in = append(in, outerGRE("192.0.2.2", "192.0.2.1", u32(40), u32(uint32(i)), i%2 == 0, 0, ipPkt, layers.EthernetTypeIPv4))
	}
	res := r.run(map[string][][]byte{"uplink": in})
	out := res.out["inner"]
	require.Len(t, out, len(in))
	for i, f := range out {
		require.Equal(t, mac(innerPeer), net.HardwareAddr(f[0:6]))
		require.Equal(t, mac(innerMAC), net.HardwareAddr(f[6:12]))
		require.Equal(t, []byte{0x08, 0x00}, f[12:14])
		want := append([]byte(nil), inner[i]...)
		got := f[14:]
		require.Equal(t, len(want), len(got), "frame %d: no Ethernet padding carried", i)
		require.Equal(t, want[8]-1, got[8], "TTL decremented")
		require.Equal(t, want[:8], got[:8])
		require.Equal(t, want[12:], got[12:])
	}
	rows := tshark(t, res.pcap["inner"], "ip.ttl", "ip.checksum.status", "udp.checksum.status", "ip.dst")
	require.Len(t, rows, len(in))
	for _, row := range rows {
		require.Equal(t, []string{"29", "1", "1", "10.1.0.2"}, row)
	}
	require.EqualValues(t, len(in), res.tunnel("gre1").DecapPkts)
}
