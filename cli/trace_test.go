package cli

import (
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/dataplane"
)

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...))
	return buf.Bytes()
}

func udp4(t *testing.T, src, dst string, sp, dp int, payload int) []gopacket.SerializableLayer {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
	require.NoError(t, u.SetNetworkLayerForChecksum(ip))
	return []gopacket.SerializableLayer{ip, u, gopacket.Payload(make([]byte, payload))}
}

// Trace output for a GRE encap, a VXLAN decap and a dropped packet, with
// frames built and decoded by gopacket.
func TestTraceOutput(t *testing.T) {
	eth := &layers.Ethernet{SrcMAC: mac("02:00:00:00:00:01"), DstMAC: mac("02:00:00:00:01:01"), EthernetType: layers.EthernetTypeIPv4}
	clear := serialize(t, append([]gopacket.SerializableLayer{eth}, udp4(t, "10.1.0.2", "10.2.0.7", 1000, 2000, 86)...)...)
	require.Len(t, clear, 128)

	inner := &layers.Ethernet{SrcMAC: mac("02:00:00:00:0a:01"), DstMAC: mac("02:00:00:00:0b:01"), EthernetType: layers.EthernetTypeIPv4}
	innerIP := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolICMPv4,
		SrcIP: net.ParseIP("172.16.0.1"), DstIP: net.ParseIP("172.16.0.2")}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}
	outerEth := &layers.Ethernet{SrcMAC: mac("02:00:00:00:02:02"), DstMAC: mac("02:00:00:00:02:01"), EthernetType: layers.EthernetTypeIPv4}
	oip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP("192.0.2.2"), DstIP: net.ParseIP("192.0.2.1")}
	ou := &layers.UDP{SrcPort: 49152, DstPort: 4789}
	require.NoError(t, ou.SetNetworkLayerForChecksum(oip))
	vx := serialize(t, outerEth, oip, ou, &layers.VXLAN{ValidIDFlag: true, VNI: 100}, inner, innerIP, icmp, gopacket.Payload(make([]byte, 8)))

	stray := serialize(t, append([]gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: mac("02:00:00:00:02:02"),
		DstMAC: mac("02:00:00:00:09:09"), EthernetType: layers.EthernetTypeIPv4}}, udp4(t, "192.0.2.2", "192.0.2.50", 5, 6, 10)...)...)

	f := newFake(t)
	f.trace = []dataplane.TraceRecord{
		{Worker: 0, InPort: "lan", Frame: clear, Len: len(clear), Action: "encap", Tunnel: "g1", OutPort: "wan"},
		{Worker: 0, InPort: "wan", Frame: vx, Len: len(vx), Action: "decap", Tunnel: "vx1", OutPort: "l2"},
		{Worker: 1, InPort: "wan", Frame: stray, Len: len(stray), Action: "drop", Reason: "not_local"},
		{Worker: 0, InPort: "wan", Frame: vx[:40], Len: len(vx), Action: "drop", Reason: "truncated"},
	}
	s := New(f)
	require.Equal(t, `trace lan: 1 of 5 packets
#1 lan worker 0, 128 bytes
  Ethernet 02:00:00:00:00:01>02:00:00:00:01:01 IPv4 10.1.0.2>10.2.0.7 UDP 1000>2000 len 128
  -> encap g1 out wan
`, mustRun(t, s, "trace lan 5"))

	require.Equal(t, `trace wan: 3 of 3 packets
#1 wan worker 0, 110 bytes
  Ethernet 02:00:00:00:02:02>02:00:00:00:02:01 IPv4 192.0.2.2>192.0.2.1 UDP 49152>4789 VXLAN vni 100 Ethernet 02:00:00:00:0a:01>02:00:00:00:0b:01 IPv4 172.16.0.1>172.16.0.2 ICMPv4 EchoRequest len 110
  -> decap vx1 out l2
#2 wan worker 1, 60 bytes
  Ethernet 02:00:00:00:02:02>02:00:00:00:09:09 IPv4 192.0.2.2>192.0.2.50 UDP 5>6 len 60
  -> drop not_local (not addressed to this gateway (L2 or L3 destination))
#3 wan worker 0, 110 bytes (first 40 decoded)
  Ethernet 02:00:00:00:02:02>02:00:00:00:02:01 IPv4 192.0.2.2>192.0.2.1 UDP (undecodable: Invalid UDP header. Length 6 less than 8) len 110
  -> drop truncated (a header runs past the end of the frame)
`, mustRun(t, s, "trace wan 3 1s"))

	require.Equal(t, "trace l2: no packet received in 10s\n", mustRun(t, s, "trace l2 1"))
}

func TestDescribeFrameGRE(t *testing.T) {
	eth := &layers.Ethernet{SrcMAC: mac("02:00:00:00:02:01"), DstMAC: mac("02:00:00:00:02:02"), EthernetType: layers.EthernetTypeIPv4}
	oip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolGRE, SrcIP: net.ParseIP("192.0.2.1"), DstIP: net.ParseIP("192.0.2.2")}
	gre := &layers.GRE{KeyPresent: true, Key: 7, SeqPresent: true, Seq: 3, Protocol: layers.EthernetTypeIPv4}
	fr := serialize(t, append([]gopacket.SerializableLayer{eth, oip, gre}, udp4(t, "10.1.0.2", "10.2.0.7", 1000, 2000, 0)...)...)
	require.Equal(t, "Ethernet 02:00:00:00:02:01>02:00:00:00:02:02 IPv4 192.0.2.1>192.0.2.2 GRE key 7 seq 3 IPv4 10.1.0.2>10.2.0.7 UDP 1000>2000", DescribeFrame(fr))
}
