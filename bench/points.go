package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"tunfwd/pktgen"
)

// The benchmark topology: one input port (net_pcap, infinite_rx) and one
// output port (net_null). Encap points feed clear frames to the inner port
// and count the tunnel frames leaving the underlay; decap points feed the
// tunnel frames a peer would send to the underlay port and count the clear
// frames leaving the inner port.
const (
	innerMAC  = "02:00:00:00:01:01" // gateway, inner port
	hostMAC   = "02:00:00:00:01:02" // inner next hop 10.1.0.2
	wanMAC    = "02:00:00:00:02:01" // gateway, underlay port
	peerMAC   = "02:00:00:00:02:02" // tunnel peer 192.0.2.2
	innerAddr = "10.1.0.1"
	hostAddr  = "10.1.0.2"
	localAddr = "192.0.2.1" // the gateway's tunnel endpoint
	peerAddr  = "192.0.2.2" // the far tunnel endpoint
	greKey    = 40
	vni       = 100
	vxlanPort = 4789
)

// Point is one measured configuration.
type Point struct {
	Proto string `json:"proto"` // "gre", "vxlan" or "esp"
	Dir   string `json:"dir"`   // "encap" or "decap"
	Size  int    `json:"size"`  // inner Ethernet frame length, without FCS
	Flows int    `json:"flows"`
}

func (p Point) Name() string { return fmt.Sprintf("%s-%s-%d", p.Proto, p.Dir, p.Size) }

// outerOverhead is what the tunnel adds to an inner Ethernet frame.
func (p Point) outerOverhead() int {
	if p.Proto == "esp" {
		return espOuterLen(p.Size) - p.Size
	}
	if p.Proto == "gre" {
		return 20 + 8 // outer IPv4 + GRE with key; the inner Ethernet header is replaced by the outer one
	}
	return 14 + 20 + 8 + 8 // outer Ethernet + IPv4 + UDP + VXLAN in front of the inner frame
}

// InputSize is the length of the frames in the input pcap.
func (p Point) InputSize() int {
	if p.Dir == "encap" {
		return p.Size
	}
	return p.Size + p.outerOverhead()
}

// OutputSize is the length of the frames the gateway sends.
func (p Point) OutputSize() int {
	if p.Dir == "encap" {
		return p.Size + p.outerOverhead()
	}
	return p.Size
}

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// innerFlow is the base clear flow of a point (pktgen.FlowN varies the
// source address and port per flow).
func (p Point) innerFlow() pktgen.Flow {
	switch {
	case (p.Proto == "gre" || p.Proto == "esp") && p.Dir == "encap":
		// a host behind the inner port to the remote LAN 10.2.0.0/16, sent to the gateway's MAC
		return pktgen.Flow{SrcMAC: mustMAC(hostMAC), DstMAC: mustMAC(innerMAC),
			Src: netip.MustParseAddr("10.1.1.0"), Dst: netip.MustParseAddr("10.2.0.1"),
			Proto: pktgen.ProtoUDP, SrcPort: 10000, DstPort: 5001}
	case p.Proto == "gre" || p.Proto == "esp":
		// from the remote LAN to 10.3.0.0/16 behind the inner host 10.1.0.2; the
		// inner Ethernet header is replaced by the GRE encapsulation
		return pktgen.Flow{Src: netip.MustParseAddr("10.2.1.0"), Dst: netip.MustParseAddr("10.3.0.1"),
			Proto: pktgen.ProtoUDP, SrcPort: 10000, DstPort: 5001}
	case p.Dir == "encap":
		// bridged: any Ethernet frame on the l2 port goes into VNI 100
		return pktgen.Flow{SrcMAC: mustMAC("02:00:00:00:03:02"), DstMAC: mustMAC("02:00:00:00:04:02"),
			Src: netip.MustParseAddr("10.5.1.0"), Dst: netip.MustParseAddr("10.5.2.1"),
			Proto: pktgen.ProtoUDP, SrcPort: 10000, DstPort: 5001}
	default:
		return pktgen.Flow{SrcMAC: mustMAC("02:00:00:00:04:02"), DstMAC: mustMAC("02:00:00:00:03:02"),
			Src: netip.MustParseAddr("10.5.2.0"), Dst: netip.MustParseAddr("10.5.1.1"),
			Proto: pktgen.ProtoUDP, SrcPort: 10000, DstPort: 5001}
	}
}

// Frames builds the input frames: one per flow (the pcap is replayed
// forever by infinite_rx), each exactly InputSize bytes long.
func (p Point) Frames() ([][]byte, error) {
	base := p.innerFlow()
	out := make([][]byte, 0, p.Flows)
	for k := 0; k < p.Flows; k++ {
		inner := pktgen.FrameOfSize(pktgen.FlowN(base, k), p.Size, k)
		if len(inner) != p.Size {
			return nil, fmt.Errorf("%s: inner frame is %d bytes, want %d", p.Name(), len(inner), p.Size)
		}
		fr := inner
		if p.Dir == "decap" {
			var err error
			if fr, err = p.encapsulate(inner, k); err != nil {
				return nil, err
			}
		}
		if len(fr) != p.InputSize() {
			return nil, fmt.Errorf("%s: input frame is %d bytes, want %d", p.Name(), len(fr), p.InputSize())
		}
		out = append(out, fr)
	}
	return out, nil
}

// encapsulate wraps an inner frame as the peer 192.0.2.2 would send it to
// the gateway's underlay MAC and address.
func (p Point) encapsulate(inner []byte, k int) ([]byte, error) {
	if p.Proto == "esp" {
		return espFrame(inner, uint32(k+1), uint16(k)), nil
	}
	eth := &layers.Ethernet{SrcMAC: mustMAC(peerMAC), DstMAC: mustMAC(wanMAC), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment, Id: uint16(k),
		SrcIP: net.ParseIP(peerAddr).To4(), DstIP: net.ParseIP(localAddr).To4()}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var err error
	if p.Proto == "gre" {
		ip.Protocol = layers.IPProtocolGRE
		gre := &layers.GRE{KeyPresent: true, Key: greKey, Protocol: layers.EthernetTypeIPv4}
		err = gopacket.SerializeLayers(buf, opts, eth, ip, gre, gopacket.Payload(inner[14:]))
	} else {
		ip.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(49152 + k%16384), DstPort: vxlanPort}
		udp.SetNetworkLayerForChecksum(ip)
		vx := &layers.VXLAN{ValidIDFlag: true, VNI: vni}
		// RFC 7348: the UDP checksum SHOULD be zero; gopacket would fill it, so clear it after.
		err = gopacket.SerializeLayers(buf, opts, eth, ip, udp, vx, gopacket.Payload(inner))
		if err == nil {
			b := buf.Bytes()
			b[14+20+6], b[14+20+7] = 0, 0
		}
	}
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), buf.Bytes()...), nil
}

// Env is what every run of one mode shares.
type Env struct {
	Huge       bool
	Main       int // main lcore
	Worker     int // worker lcore (the measured core)
	Mbufs      int
	Prefix     string // EAL file prefix stem
	CryptoMode string // tunfwd's ESP crypto mode: "cpu" or "lookaside"
}

// tunfwdConf is the gateway config of a point: input and output vdevs on
// the sides the direction needs, next hops and routes such that every input
// frame is forwarded.
func tunfwdConf(p Point, env Env, pcap string) string {
	in := fmt.Sprintf("net_pcap_bin,rx_pcap=%s,infinite_rx=1", pcap)
	out := "net_null_bout,no-rx=1"
	var inner, under string
	if p.Dir == "encap" {
		inner, under = in, out
	} else {
		inner, under = out, in
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# tunfwd bench point %s (generated)
[eal]
main_lcore = %d
memory_mb = 512
hugepages = %v
file_prefix = %q
log_level = "notice"
`, p.Name(), env.Main, env.Huge, env.Prefix)
	if env.Huge {
		b.WriteString("args = [\"--huge-unlink\"]\n")
	}
	fmt.Fprintf(&b, `
[dataplane]
workers = [%d]
mbufs = %d
idle_us = 0   # busy poll
`, env.Worker, env.Mbufs)
	innerName, innerKeys := "lan", fmt.Sprintf("addresses = [\"%s/24\"]\n", innerAddr)
	if p.Proto == "vxlan" {
		innerName, innerKeys = "l2", ""
	}
	fmt.Fprintf(&b, `
[[port]]
name = %q
side = "inner"
vdev = %q
mac = %q
%s
[[port]]
name = "wan"
side = "underlay"
vdev = %q
mac = %q
addresses = ["%s/24"]

[[nexthop]]
ip = %q
mac = %q
port = "wan"
`, innerName, inner, innerMAC, innerKeys, under, wanMAC, localAddr, peerAddr, peerMAC)
	if p.Proto == "esp" {
		b.WriteString(tunfwdESPConf(env.CryptoMode))
	} else if p.Proto == "gre" {
		fmt.Fprintf(&b, `
[[nexthop]]
ip = %q
mac = %q
port = "lan"

[[tunnel]]
name = "gre1"
type = "gre"
local = %q
remote = %q
key = %d

[[route]]
prefix = "10.2.0.0/16"
tunnel = "gre1"

[[route]]
prefix = "10.3.0.0/16"
via = %q
`, hostAddr, hostMAC, localAddr, peerAddr, greKey, hostAddr)
	} else {
		fmt.Fprintf(&b, `
[[tunnel]]
name = "vx1"
type = "vxlan"
local = %q
remote = %q
vni = %d

[[l2]]
port = "l2"
tunnel = "vx1"
`, localAddr, peerAddr, vni)
	}
	return b.String()
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
