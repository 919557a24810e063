package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
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

// Protocols of the benchmark points, in table order. L3 tunnels route
// 10.2.0.0/16 into the tunnel and bring 10.3.0.0/16 back to the inner host;
// L2 tunnels bridge the whole "l2" port.
var protos = []string{"gre", "vxlan", "l2tpv2", "l2tpv3", "l2tpv3udp", "srv6", "esp"}

// The L2TP sessions and the SRv6 tunnel and SID of the points.
const (
	l2tpTunnelID     = 100 // L2TPv2, what arrives
	l2tpSessionID    = 200
	l2tpPeerTunnel   = 300 // L2TPv2, what is sent
	l2tpPeerSession  = 400
	l2tpPort         = 1701
	l2tp3Session     = 4096 // L2TPv3 over IP, what arrives
	l2tp3PeerSession = 8192 // what is sent
	l2tp3Cookie      = 0x01020304
	l2tp3PeerCookie  = 0x0a0b0c0d
	local6           = "2001:db8:ff::1" // the gateway's IPv6 underlay address
	peer6            = "2001:db8:ff::2" // its IPv6 underlay neighbour
	srSID            = "fc00:1::4"      // the gateway's End.DX4 SID
	srSeg1, srSeg2   = "fc00:2::1", "fc00:3::d4"
)

// Point is one measured configuration.
type Point struct {
	Proto   string `json:"proto"` // one of protos
	Dir     string `json:"dir"`   // "encap" or "decap" (srv6: H.Encaps, End.DX4)
	Size    int    `json:"size"`  // inner Ethernet frame length, without FCS
	Flows   int    `json:"flows"`
	Workers int    `json:"workers"` // worker lcores, one rx and tx queue each on every port
}

func (p Point) Name() string {
	n := fmt.Sprintf("%s-%s-%d", p.Proto, p.Dir, p.Size)
	if p.Workers > 1 {
		n += fmt.Sprintf("-%dw", p.Workers)
	}
	return n
}

// l2 says whether the tunnel carries whole Ethernet frames (bridged from
// the "l2" port) rather than routed IP packets.
func (p Point) l2() bool { return p.Proto == "vxlan" || p.Proto == "l2tpv3" || p.Proto == "l2tpv3udp" }

// outerOverhead is what the tunnel adds to an inner Ethernet frame.
func (p Point) outerOverhead() int {
	switch p.Proto {
	case "esp":
		return espOuterLen(p.Size) - p.Size
	case "gre":
		return 20 + 8 // outer IPv4 + GRE with key; the inner Ethernet header is replaced by the outer one
	case "l2tpv2":
		return 20 + 8 + 6 + 4 // IPv4 + UDP + L2TPv2 (no L, S, O) + PPP 0xff03 0x0021, instead of the inner Ethernet header
	case "l2tpv3":
		return 14 + 20 + 4 + 4 // Ethernet + IPv4 + session id + 4-byte cookie in front of the frame
	case "l2tpv3udp":
		return 14 + 20 + 8 + 4 + 4 + 4 // Ethernet + IPv4 + UDP + flags/version and reserved + session id + cookie
	case "srv6":
		return 40 + 8 + 2*16 // IPv6 + SRH of two segments, instead of the inner Ethernet header
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

// outPort is the tunfwd port the point's frames leave by.
func (p Point) outPort() string {
	switch {
	case p.Dir == "encap":
		return "wan"
	case p.l2():
		return "l2"
	}
	return "lan"
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
	case !p.l2() && p.Dir == "encap":
		// a host behind the inner port to the remote LAN 10.2.0.0/16, sent to the gateway's MAC
		return pktgen.Flow{SrcMAC: mustMAC(hostMAC), DstMAC: mustMAC(innerMAC),
			Src: netip.MustParseAddr("10.1.1.0"), Dst: netip.MustParseAddr("10.2.0.1"),
			Proto: pktgen.ProtoUDP, SrcPort: 10000, DstPort: 5001}
	case !p.l2():
		// from the remote LAN to 10.3.0.0/16 behind the inner host 10.1.0.2; the
		// inner Ethernet header is replaced by the encapsulation
		return pktgen.Flow{Src: netip.MustParseAddr("10.2.1.0"), Dst: netip.MustParseAddr("10.3.0.1"),
			Proto: pktgen.ProtoUDP, SrcPort: 10000, DstPort: 5001}
	case p.Dir == "encap":
		// bridged: any Ethernet frame on the l2 port goes into the tunnel
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

// queueFrames splits the frames into one input file's worth per rx queue
// (worker): flow k goes to queue k mod n, so the workers get distinct flows
// as RSS would give them.
func queueFrames(frames [][]byte, n int) [][][]byte {
	qs := make([][][]byte, n)
	for k, f := range frames {
		qs[k%n] = append(qs[k%n], f)
	}
	return qs
}

// encapsulate wraps an inner frame as the peer 192.0.2.2 (2001:db8:ff::2
// for SRv6) would send it to the gateway's underlay MAC and address.
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
	zeroUDPSum := false
	switch p.Proto {
	case "gre":
		ip.Protocol = layers.IPProtocolGRE
		gre := &layers.GRE{KeyPresent: true, Key: greKey, Protocol: layers.EthernetTypeIPv4}
		err = gopacket.SerializeLayers(buf, opts, eth, ip, gre, gopacket.Payload(inner[14:]))
	case "l2tpv2":
		// gopacket has no L2TP layer: the 6-byte data header (RFC 2661 3.1,
		// version 2, no L/S/O) and PPP in HDLC-like framing (RFC 1662) by hand
		ip.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: l2tpPort, DstPort: l2tpPort}
		udp.SetNetworkLayerForChecksum(ip)
		h := []byte{0x00, 0x02, 0, 0, 0, 0, 0xff, 0x03, 0x00, 0x21}
		binary.BigEndian.PutUint16(h[2:], l2tpTunnelID)
		binary.BigEndian.PutUint16(h[4:], l2tpSessionID)
		err = gopacket.SerializeLayers(buf, opts, eth, ip, udp, gopacket.Payload(append(h, inner[14:]...)))
		zeroUDPSum = true // as tunfwd and the kernel send it over IPv4
	case "l2tpv3":
		// over IP (RFC 3931 4.1.1.1): session id, cookie, the Ethernet frame
		ip.Protocol = 115
		h := make([]byte, 8)
		binary.BigEndian.PutUint32(h, l2tp3Session)
		binary.BigEndian.PutUint32(h[4:], l2tp3Cookie)
		err = gopacket.SerializeLayers(buf, opts, eth, ip, gopacket.Payload(append(h, inner...)))
	case "l2tpv3udp":
		// over UDP (RFC 3931 4.1.2.1): T clear, version 3, 16 reserved bits, then as over IP
		ip.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: l2tpPort, DstPort: l2tpPort}
		udp.SetNetworkLayerForChecksum(ip)
		h := make([]byte, 12)
		binary.BigEndian.PutUint16(h, 0x0003)
		binary.BigEndian.PutUint32(h[4:], l2tp3Session)
		binary.BigEndian.PutUint32(h[8:], l2tp3Cookie)
		err = gopacket.SerializeLayers(buf, opts, eth, ip, udp, gopacket.Payload(append(h, inner...)))
		zeroUDPSum = true
	case "srv6":
		// at the last segment of an H.Encaps with two segments: DA = our
		// End.DX4 SID, SRH Segments Left 0, Segment List[0] = the SID
		// (RFC 8754 2: the list is in reverse order), Next Header IPv4
		eth.EthernetType = layers.EthernetTypeIPv6
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Routing,
			SrcIP: net.ParseIP(peer6), DstIP: net.ParseIP(srSID)}
		srh := []byte{4, 2 * 2, 4, 0, 1, 0, 0, 0} // NH IPv4, Hdr Ext Len 4, type 4, SL 0, Last Entry 1
		srh = append(append(srh, net.ParseIP(srSID).To16()...), net.ParseIP(srSeg1).To16()...)
		err = gopacket.SerializeLayers(buf, opts, eth, ip6, gopacket.Payload(append(srh, inner[14:]...)))
	default:
		ip.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(49152 + k%16384), DstPort: vxlanPort}
		udp.SetNetworkLayerForChecksum(ip)
		vx := &layers.VXLAN{ValidIDFlag: true, VNI: vni}
		err = gopacket.SerializeLayers(buf, opts, eth, ip, udp, vx, gopacket.Payload(inner))
		zeroUDPSum = true // RFC 7348: the UDP checksum SHOULD be zero; gopacket fills it
	}
	if err != nil {
		return nil, err
	}
	b := append([]byte(nil), buf.Bytes()...)
	if zeroUDPSum {
		b[14+20+6], b[14+20+7] = 0, 0
	}
	return b, nil
}

// Env is what every run of one mode shares.
type Env struct {
	Huge       bool
	Main       int // main lcore
	Worker     int // first worker lcore (the measured core)
	Mbufs      int
	Prefix     string // EAL file prefix stem
	CryptoMode string // tunfwd's ESP crypto mode: "cpu" or "lookaside"
	CryptoPMD  string // the ESP points' crypto PMD for both tools: "aesni_gcm" or "aesni_mb"
}

// placement is where n workers run: their lcore ids and, when the machine
// has fewer free CPUs than workers, an EAL --lcores map that puts the extra
// workers on the main lcore's CPU (shared says so).
type placement struct {
	ids    []int
	lcores string // "" when every worker has a CPU of its own: plain -l
	shared bool
}

func (env Env) place(n int) placement {
	cpus := []int{env.Worker}
	for c := 0; c < runtime.NumCPU() && len(cpus) < n; c++ {
		if c != env.Main && c != env.Worker {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) == n {
		return placement{ids: cpus}
	}
	// too few CPUs: lcore ids above the others, the rest on the main CPU
	pl := placement{shared: true}
	m := []string{fmt.Sprintf("%d@%d", env.Main, env.Main)}
	id := env.Worker
	for k := 0; k < n; k++ {
		for id == env.Main || (k > 0 && id <= pl.ids[k-1]) {
			id++
		}
		cpu := env.Main
		if k < len(cpus) {
			cpu = cpus[k]
		}
		pl.ids = append(pl.ids, id)
		m = append(m, fmt.Sprintf("%d@%d", id, cpu))
	}
	pl.lcores = strings.Join(m, ",")
	return pl
}

// pcapVdev is a net_pcap input with one rx queue per file.
func pcapVdev(name string, pcaps []string) string {
	v := name
	for _, f := range pcaps {
		v += ",rx_pcap=" + f
	}
	return v + ",infinite_rx=1"
}

// tunfwdConf is the gateway config of a point: input and output vdevs on
// the sides the direction needs, next hops and routes such that every input
// frame is forwarded; one input file (rx queue) per worker.
func tunfwdConf(p Point, env Env, pcaps []string) string {
	in := pcapVdev("net_pcap_bin", pcaps)
	out := "net_null_bout,no-rx=1"
	var inner, under string
	if p.Dir == "encap" {
		inner, under = in, out
	} else {
		inner, under = out, in
	}
	pl := env.place(max(1, p.Workers))
	var b strings.Builder
	fmt.Fprintf(&b, `# tunfwd bench point %s (generated)
[eal]
main_lcore = %d
memory_mb = 512
hugepages = %v
file_prefix = %q
log_level = "notice"
`, p.Name(), env.Main, env.Huge, env.Prefix)
	if pl.lcores != "" {
		fmt.Fprintf(&b, "lcores = %q # more workers than free CPUs: the last shares the main lcore's CPU\n", pl.lcores)
	}
	if env.Huge {
		b.WriteString("args = [\"--huge-unlink\"]\n")
	}
	ws := make([]string, len(pl.ids))
	for i, id := range pl.ids {
		ws[i] = strconv.Itoa(id)
	}
	fmt.Fprintf(&b, `
[control]
socket = "none"   # benches (and the test suite's quick one) may run side by side

[dataplane]
workers = [%s]
mbufs = %d
idle_us = 0   # busy poll
`, strings.Join(ws, ", "), env.Mbufs)
	innerName, innerKeys := "lan", fmt.Sprintf("addresses = [\"%s/24\"]\n", innerAddr)
	if p.l2() {
		innerName, innerKeys = "l2", ""
	}
	wanKeys := ""
	if mtu := p.OutputSize() - 14; p.Dir == "encap" && mtu > 1500 {
		// large frames through an 80-byte SRv6 header: a jumbo underlay, as deployments give it
		wanKeys = fmt.Sprintf("mtu = %d\n", mtu)
	}
	wanAddrs := fmt.Sprintf("%q", localAddr+"/24")
	if p.Proto == "srv6" {
		wanAddrs += fmt.Sprintf(", %q", local6+"/64")
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
addresses = [%s]
%s
[[nexthop]]
ip = %q
mac = %q
port = "wan"
`, innerName, inner, innerMAC, innerKeys, under, wanMAC, wanAddrs, wanKeys, peerAddr, peerMAC)
	if p.Proto == "esp" {
		b.WriteString(tunfwdESPConf(env.CryptoPMD, env.CryptoMode))
		return b.String()
	}
	var tunnel string
	switch p.Proto {
	case "gre":
		tunnel = fmt.Sprintf("type = \"gre\"\nlocal = %q\nremote = %q\nkey = %d\n", localAddr, peerAddr, greKey)
	case "vxlan":
		tunnel = fmt.Sprintf("type = \"vxlan\"\nlocal = %q\nremote = %q\nvni = %d\n", localAddr, peerAddr, vni)
	case "l2tpv2":
		tunnel = fmt.Sprintf("type = \"l2tpv2\"\nlocal = %q\nremote = %q\ntunnel_id = %d\nsession_id = %d\n"+
			"peer_tunnel_id = %d\npeer_session_id = %d\n", localAddr, peerAddr, l2tpTunnelID, l2tpSessionID,
			l2tpPeerTunnel, l2tpPeerSession)
	case "l2tpv3", "l2tpv3udp":
		encap := "ip"
		if p.Proto == "l2tpv3udp" {
			encap = "udp"
		}
		tunnel = fmt.Sprintf("type = \"l2tpv3\"\nencap = %q\nlocal = %q\nremote = %q\nsession_id = %d\n"+
			"peer_session_id = %d\ncookie = \"0x%08x\"\npeer_cookie = \"0x%08x\"\n", encap, localAddr, peerAddr,
			l2tp3Session, l2tp3PeerSession, l2tp3Cookie, l2tp3PeerCookie)
	case "srv6":
		fmt.Fprintf(&b, "\n[[nexthop]]\nip = %q\nmac = %q\nport = \"wan\"\n", peer6, peerMAC)
		tunnel = fmt.Sprintf("type = \"srv6\"\nmode = \"encaps\"\nlocal = %q\nsegments = [%q, %q]\nnexthop = %q\n",
			local6, srSeg1, srSeg2, peer6)
	}
	fmt.Fprintf(&b, "\n[[tunnel]]\nname = \"t1\"\n%s", tunnel)
	if p.l2() {
		b.WriteString("\n[[l2]]\nport = \"l2\"\ntunnel = \"t1\"\n")
		return b.String()
	}
	fmt.Fprintf(&b, `
[[nexthop]]
ip = %q
mac = %q
port = "lan"

[[route]]
prefix = "10.2.0.0/16"
tunnel = "t1"

[[route]]
prefix = "10.3.0.0/16"
via = %q
`, hostAddr, hostMAC, hostAddr)
	if p.Proto == "srv6" {
		fmt.Fprintf(&b, "\n[[sid]]\nsid = %q\nbehavior = \"end.dx4\"\nnexthop = %q\n", srSID, hostAddr)
	}
	return b.String()
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
