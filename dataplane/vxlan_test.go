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

// l2Flow: frames from a host on the bridged port, any MACs.
func l2Flow() pktgen.Flow {
	return pktgen.Flow{SrcMAC: mac("02:00:00:00:aa:01"), DstMAC: mac("02:00:00:00:bb:01"),
		Src: netip.MustParseAddr("172.16.0.1"), Dst: netip.MustParseAddr("172.16.0.2"),
		Proto: pktgen.ProtoTCP, SrcPort: 3000, DstPort: 80}
}

func TestVXLANEncap(t *testing.T) {
	r := newRig(t)
	in := pktgen.Mix(40, 16, l2Flow(), 0)
	res := r.run(map[string][][]byte{"l2": in})
	out := res.out["uplink"]
	require.Len(t, out, len(in))
	sports := map[uint16]bool{}
	for i, f := range out {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		require.Equal(t, uplinkPeer, eth.DstMAC.String())
		require.Equal(t, uplinkMAC, eth.SrcMAC.String())
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		require.Equal(t, "192.0.2.1", ip.SrcIP.String())
		require.Equal(t, "192.0.2.2", ip.DstIP.String())
		udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		require.EqualValues(t, 4789, udp.DstPort)
		require.GreaterOrEqual(t, int(udp.SrcPort), 49152)
		require.EqualValues(t, 0, udp.Checksum, "RFC 7348: zero UDP checksum over IPv4")
		require.EqualValues(t, 8+8+len(in[i]), udp.Length)
		sports[uint16(udp.SrcPort)] = true
		vx := p.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN)
		require.True(t, vx.ValidIDFlag)
		require.EqualValues(t, 100, vx.VNI)
		require.Equal(t, in[i], vx.LayerPayload(), "inner frame carried byte for byte")
	}
	require.Greater(t, len(sports), 4, "source port varies with the inner flow")
	rows := tshark(t, res.pcap["uplink"], "vxlan.vni", "ip.checksum.status", "udp.length")
	for i, row := range rows {
		require.Equal(t, []string{"100", "1,1", strconv.Itoa(16 + len(in[i]))}, row[:3])
	}
	require.EqualValues(t, len(in), res.tunnel("vx1").EncapPkts)
}

// outerVXLAN wraps an Ethernet frame as a VTEP peer would.
func outerVXLAN(src, dst string, dport uint16, vni uint32, flags bool, inner []byte) []byte {
	eth := &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(uplinkMAC), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 60, Protocol: layers.IPProtocolUDP,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	udp := &layers.UDP{SrcPort: 51000, DstPort: layers.UDPPort(dport)}
	udp.SetNetworkLayerForChecksum(ip)
	vx := &layers.VXLAN{ValidIDFlag: flags, VNI: vni}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, udp, vx, gopacket.Payload(inner)); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func TestVXLANDecap(t *testing.T) {
	r := newRig(t)
	inner := pktgen.Mix(25, 5, l2Flow(), 0)
	var in [][]byte
	for _, f := range inner {
		in = append(in, outerVXLAN("192.0.2.77", "192.0.2.1", 4789, 100, true, f))
	}
	res := r.run(map[string][][]byte{"uplink": in})
	require.Equal(t, inner, res.out["l2"])
	require.EqualValues(t, len(in), res.tunnel("vx1").DecapPkts)
	rows := tshark(t, res.pcap["l2"], "ip.src", "tcp.dstport")
	require.Len(t, rows, len(in))
}
