// Package pktgen builds deterministic test traffic for tunfwd and reads and
// writes it as pcap files. Frames are built with gopacket (lengths fixed and
// checksums computed by the serializer), so they are valid on the wire and in
// the net_pcap PMD. The package has no cgo.
//
// Sizes: every length in this package is an Ethernet frame length without the
// 4-byte FCS (what a pcap records and what rte_pktmbuf_pkt_len reports).
// Frames shorter than MinFrameLen (60) are padded with a zero Ethernet
// trailer after the IP datagram; the IP and L4 length fields never count it.
package pktgen

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// IP protocol numbers accepted in Flow.Proto.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoICMPv6 uint8 = 58
)

// MinFrameLen is the Ethernet minimum frame length without FCS. Shorter
// frames are padded up to it.
const MinFrameLen = 60

// DefaultTTL is used when Flow.TTL is 0.
const DefaultTTL = 64

// Default MACs, used when Flow.SrcMAC or Flow.DstMAC is nil.
var (
	DefaultSrcMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	DefaultDstMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}
)

// Flow describes one stream of frames.
//
// Src and Dst must be the same family; the family selects IPv4 or IPv6.
// Proto is ProtoUDP, ProtoTCP, ProtoICMP (IPv4 only) or ProtoICMPv6 (IPv6
// only). For ICMP echo requests SrcPort is the echo identifier and DstPort is
// ignored. TTL 0 means DefaultTTL; TOS is the IPv4 TOS byte or the IPv6
// traffic class. VLAN 0 means untagged, 1..4094 adds an 802.1Q tag with that
// VLAN id (priority 0). Nil MACs mean DefaultSrcMAC / DefaultDstMAC.
type Flow struct {
	SrcMAC, DstMAC   net.HardwareAddr
	Src, Dst         netip.Addr
	Proto            uint8
	SrcPort, DstPort uint16
	TTL              uint8
	TOS              uint8
	VLAN             uint16
}

// Validate reports whether f can be built into frames.
func (f Flow) Validate() error {
	if f.SrcMAC != nil && len(f.SrcMAC) != 6 {
		return fmt.Errorf("pktgen: source MAC %v is not 6 bytes", f.SrcMAC)
	}
	if f.DstMAC != nil && len(f.DstMAC) != 6 {
		return fmt.Errorf("pktgen: destination MAC %v is not 6 bytes", f.DstMAC)
	}
	if !f.Src.IsValid() || !f.Dst.IsValid() {
		return errors.New("pktgen: source and destination addresses must be set")
	}
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	if src.Is4() != dst.Is4() {
		return fmt.Errorf("pktgen: source %v and destination %v are different address families", f.Src, f.Dst)
	}
	switch f.Proto {
	case ProtoUDP, ProtoTCP:
	case ProtoICMP:
		if !src.Is4() {
			return errors.New("pktgen: protocol 1 (ICMP) needs IPv4 addresses; use 58 (ICMPv6) for IPv6")
		}
	case ProtoICMPv6:
		if src.Is4() {
			return errors.New("pktgen: protocol 58 (ICMPv6) needs IPv6 addresses; use 1 (ICMP) for IPv4")
		}
	default:
		return fmt.Errorf("pktgen: protocol %d not supported (want 6, 17, 1 or 58)", f.Proto)
	}
	if f.VLAN > 4094 {
		return fmt.Errorf("pktgen: VLAN %d out of range 0..4094", f.VLAN)
	}
	return nil
}

// IsIPv6 reports whether f builds IPv6 frames.
func (f Flow) IsIPv6() bool { return !f.Src.Unmap().Is4() }

// HeaderLen is the length of all headers of f's frames (Ethernet, optional
// 802.1Q, IP, L4 including the 4-byte ICMP echo id/seq), i.e. the frame
// length for a zero-length payload before padding to MinFrameLen.
func HeaderLen(f Flow) int {
	n := 14
	if f.VLAN != 0 {
		n += 4
	}
	if f.IsIPv6() {
		n += 40
	} else {
		n += 20
	}
	switch f.Proto {
	case ProtoTCP:
		n += 20
	default: // UDP 8; ICMP / ICMPv6: 4 type/code/checksum + 4 id/seq
		n += 8
	}
	return n
}

// MaxPayloadLen is the largest payload Build accepts for f: the IP length
// fields are 16 bits.
func MaxPayloadLen(f Flow) int {
	ipHdr := 20
	if f.IsIPv6() {
		ipHdr = 40
	}
	l4 := HeaderLen(f) - 14 - ipHdr
	if f.VLAN != 0 {
		l4 -= 4
	}
	if f.IsIPv6() {
		return 65535 - l4 // payload length excludes the IPv6 header
	}
	return 65535 - ipHdr - l4
}

// Build is Frame with an error instead of a panic.
func Build(f Flow, payloadLen int, seq int) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if payloadLen < 0 || payloadLen > MaxPayloadLen(f) {
		return nil, fmt.Errorf("pktgen: payload length %d out of range 0..%d", payloadLen, MaxPayloadLen(f))
	}
	smac, dmac := f.SrcMAC, f.DstMAC
	if smac == nil {
		smac = DefaultSrcMAC
	}
	if dmac == nil {
		dmac = DefaultDstMAC
	}
	ttl := f.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	v6 := !src.Is4()

	ls := make([]gopacket.SerializableLayer, 0, 6)
	ethType := layers.EthernetTypeIPv4
	if v6 {
		ethType = layers.EthernetTypeIPv6
	}
	eth := &layers.Ethernet{SrcMAC: smac, DstMAC: dmac, EthernetType: ethType}
	ls = append(ls, eth)
	if f.VLAN != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: f.VLAN, Type: ethType})
	}

	var netl gopacket.NetworkLayer
	if v6 {
		ip := &layers.IPv6{
			Version:      6,
			TrafficClass: f.TOS,
			HopLimit:     ttl,
			NextHeader:   layers.IPProtocol(f.Proto),
			SrcIP:        src.AsSlice(),
			DstIP:        dst.AsSlice(),
		}
		netl = ip
		ls = append(ls, ip)
	} else {
		ip := &layers.IPv4{
			Version:  4,
			IHL:      5,
			TOS:      f.TOS,
			Id:       uint16(seq),
			TTL:      ttl,
			Protocol: layers.IPProtocol(f.Proto),
			SrcIP:    src.AsSlice(),
			DstIP:    dst.AsSlice(),
		}
		netl = ip
		ls = append(ls, ip)
	}

	switch f.Proto {
	case ProtoUDP:
		u := &layers.UDP{SrcPort: layers.UDPPort(f.SrcPort), DstPort: layers.UDPPort(f.DstPort)}
		if err := u.SetNetworkLayerForChecksum(netl); err != nil {
			return nil, err
		}
		ls = append(ls, u)
	case ProtoTCP:
		t := &layers.TCP{
			SrcPort: layers.TCPPort(f.SrcPort),
			DstPort: layers.TCPPort(f.DstPort),
			Seq:     uint32(seq),
			Ack:     1,
			ACK:     true,
			Window:  65535,
		}
		if err := t.SetNetworkLayerForChecksum(netl); err != nil {
			return nil, err
		}
		ls = append(ls, t)
	case ProtoICMP:
		ls = append(ls, &layers.ICMPv4{
			TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0),
			Id:       f.SrcPort,
			Seq:      uint16(seq),
		})
	case ProtoICMPv6:
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
		if err := ic.SetNetworkLayerForChecksum(netl); err != nil {
			return nil, err
		}
		ls = append(ls, ic, &layers.ICMPv6Echo{Identifier: f.SrcPort, SeqNumber: uint16(seq)})
	}

	payload := make([]byte, payloadLen)
	for i := range payload {
		payload[i] = byte(i + seq)
	}
	ls = append(ls, gopacket.Payload(payload))

	buf := gopacket.NewSerializeBufferExpectedSize(HeaderLen(f), 0)
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		return nil, fmt.Errorf("pktgen: serialize: %w", err)
	}
	return buf.Bytes(), nil
}

// Frame builds one Ethernet frame of flow f carrying payloadLen bytes of L4
// payload (after the UDP, TCP or ICMP echo header). The payload bytes are
// byte(i+seq) for i = 0..payloadLen-1. seq is also the TCP sequence number,
// the ICMP echo sequence number and the IPv4 identification (truncated to
// their widths); TCP segments carry the ACK flag.
//
// The frame is exactly HeaderLen(f)+payloadLen bytes long, or MinFrameLen if
// that is shorter (zero Ethernet trailer). Frame panics if f is invalid (see
// Flow.Validate) or payloadLen is out of range; use Build to get an error.
func Frame(f Flow, payloadLen int, seq int) []byte {
	b, err := Build(f, payloadLen, seq)
	if err != nil {
		panic(err)
	}
	return b
}

// MinFrameLenFor is the shortest frame FrameOfSize can build for f:
// max(MinFrameLen, HeaderLen(f)).
func MinFrameLenFor(f Flow) int {
	return max(MinFrameLen, HeaderLen(f))
}

// FrameOfSize builds a frame of f whose total Ethernet length (without FCS)
// is exactly frameLen, choosing the payload length to fit. A frameLen below
// MinFrameLenFor(f) yields a frame of that minimum length. It panics like
// Frame.
func FrameOfSize(f Flow, frameLen int, seq int) []byte {
	frameLen = max(frameLen, MinFrameLenFor(f))
	return Frame(f, frameLen-HeaderLen(f), seq)
}

// Mix sizes, Ethernet frame length without FCS.
const (
	MixMinSize = 64
	MixMaxSize = 1400
)

// FlowN is flow k of the flows Mix derives from base: source port
// base.SrcPort+k and source address base.Src with k added to its last byte
// (both wrap around).
func FlowN(base Flow, k int) Flow {
	f := base
	f.SrcPort = base.SrcPort + uint16(k)
	if base.Src.IsValid() {
		a := base.Src.AsSlice()
		a[len(a)-1] += byte(k)
		f.Src, _ = netip.AddrFromSlice(a)
	}
	return f
}

// Mix returns n frames spread round-robin over `flows` distinct flows
// derived from base with FlowN (frame i belongs to flow i%flows; flows < 1
// counts as 1). Frame sizes are pseudo-random in MixMinSize..MixMaxSize
// (raised to MinFrameLenFor where the headers need more). The output depends
// only on the arguments: seedOffset seeds the size sequence and is added to
// every frame's seq (frame i has seq seedOffset+i). It panics if base is
// invalid.
func Mix(n int, flows int, base Flow, seedOffset int) [][]byte {
	if err := base.Validate(); err != nil {
		panic(err)
	}
	if flows < 1 {
		flows = 1
	}
	fl := make([]Flow, min(flows, max(n, 0)))
	for k := range fl {
		fl[k] = FlowN(base, k)
	}
	rng := splitmix64(uint64(int64(seedOffset)) ^ 0x7466_6765_6e00_0000) // "tfgen"
	out := make([][]byte, 0, max(n, 0))
	for i := 0; i < n; i++ {
		size := MixMinSize + int(rng.next()%uint64(MixMaxSize-MixMinSize+1))
		out = append(out, FrameOfSize(fl[i%flows], size, seedOffset+i))
	}
	return out
}

// splitmix64 is a tiny deterministic PRNG, stable across Go releases.
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
