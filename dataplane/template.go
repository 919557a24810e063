package dataplane

import (
	"encoding/binary"
	"fmt"

	"tunfwd/conf"
)

// Outer header templates: every constant field of a tunnel's outer headers,
// built once per tunnel. The worker copies the template in front of a packet
// and patches lengths, TOS, IPv4 id, checksums, UDP source port and GRE
// sequence (see csrc/gre.c, csrc/vxlan.c).

const (
	ethLen      = 14
	ipv4Len     = 20
	ipv6Len     = 40
	udpLen      = 8
	vxlanHdrLen = 8

	greFlagC = 0x8000
	greFlagK = 0x2000
	greFlagS = 0x1000
)

// template is the result of building one tunnel's outer headers.
type template struct {
	hdr   []byte
	l4Off int // offset of GRE or UDP
}

func ethHeader(dst, src conf.MAC, ethertype uint16) []byte {
	b := make([]byte, ethLen)
	copy(b[0:6], dst[:])
	copy(b[6:12], src[:])
	binary.BigEndian.PutUint16(b[12:], ethertype)
	return b
}

// ipv4Header: total length, id and checksum left zero (patched per packet).
func ipv4Header(t *conf.Tunnel, proto uint8) []byte {
	b := make([]byte, ipv4Len)
	b[0] = 0x45
	if !t.DSCP.Copy {
		b[1] = t.DSCP.Value << 2
	}
	if t.DF == nil || *t.DF {
		binary.BigEndian.PutUint16(b[6:], 0x4000)
	}
	b[8] = uint8(t.TTL)
	b[9] = proto
	l, r := t.Local.As4(), t.Remote.As4()
	copy(b[12:16], l[:])
	copy(b[16:20], r[:])
	return b
}

// ipv6Header: payload length, traffic class and flow label left zero
// (patched per packet: tf_push_outer6).
func ipv6Header(t *conf.Tunnel, next uint8) []byte {
	b := make([]byte, ipv6Len)
	b[0] = 0x60
	b[6] = next
	b[7] = uint8(t.TTL)
	l, r := t.Local.As16(), t.Remote.As16()
	copy(b[8:24], l[:])
	copy(b[24:40], r[:])
	return b
}

// outerIP is the Ethernet and IP part of a template, and the offset of what follows.
func outerIP(t *conf.Tunnel, dstMAC, srcMAC conf.MAC, proto uint8) ([]byte, int) {
	if t.Local.Is6() {
		return append(ethHeader(dstMAC, srcMAC, 0x86dd), ipv6Header(t, proto)...), ethLen + ipv6Len
	}
	return append(ethHeader(dstMAC, srcMAC, 0x0800), ipv4Header(t, proto)...), ethLen + ipv4Len
}

// greTemplate: flags word and the optional checksum, key and sequence
// fields (RFC 2784 section 2.1, RFC 2890 section 2); the payload type is
// IPv4's, what the burst encap sends as it is, and patched per packet
// elsewhere.
func greTemplate(t *conf.Tunnel, dstMAC, srcMAC conf.MAC) template {
	h, l4 := outerIP(t, dstMAC, srcMAC, 47)
	var flags uint16
	if t.Checksum {
		flags |= greFlagC
	}
	if t.Key != nil {
		flags |= greFlagK
	}
	if t.Seq {
		flags |= greFlagS
	}
	g := make([]byte, 4)
	binary.BigEndian.PutUint16(g, flags)
	binary.BigEndian.PutUint16(g[2:], 0x0800)
	if t.Checksum {
		g = append(g, 0, 0, 0, 0)
	}
	if t.Key != nil {
		g = binary.BigEndian.AppendUint32(g, *t.Key)
	}
	if t.Seq {
		g = append(g, 0, 0, 0, 0)
	}
	return template{hdr: append(h, g...), l4Off: l4}
}

// vxlanTemplate: UDP with a zero checksum (RFC 7348 section 5) and the VXLAN
// header with the I flag and the VNI.
func vxlanTemplate(t *conf.Tunnel, dstMAC, srcMAC conf.MAC) template {
	h, l4 := outerIP(t, dstMAC, srcMAC, 17)
	u := make([]byte, udpLen+vxlanHdrLen)
	binary.BigEndian.PutUint16(u[2:], uint16(t.DstPort))
	u[8] = 0x08
	binary.BigEndian.PutUint32(u[12:], t.VNI<<8)
	return template{hdr: append(h, u...), l4Off: l4}
}

// udpHeader: source and destination port, length and checksum patched per packet.
func udpHeader(sport, dport int) []byte {
	u := make([]byte, udpLen)
	binary.BigEndian.PutUint16(u, uint16(sport))
	binary.BigEndian.PutUint16(u[2:], uint16(dport))
	return u
}

// l2tpv2Template: UDP from and to the L2TP port (RFC 2661 8.1), the data
// message header (version 2, Length field when asked for, the peer's tunnel
// and session ids; RFC 2661 3.1), PPP address and control when configured
// and the PPP protocol (RFC 1661 2): IPv4's (0x0021), what the burst encap
// sends as it is, patched per packet elsewhere.
func l2tpv2Template(t *conf.Tunnel, dstMAC, srcMAC conf.MAC) template {
	h, l4 := outerIP(t, dstMAC, srcMAC, 17)
	b := udpHeader(t.DstPort, t.DstPort)
	flags := uint16(2)
	if t.LengthBit {
		flags |= 0x4000
	}
	b = binary.BigEndian.AppendUint16(b, flags)
	if t.LengthBit {
		b = append(b, 0, 0)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(t.PeerTunnelID))
	b = binary.BigEndian.AppendUint16(b, uint16(t.PeerSessionID))
	if t.PPPAddrCtrl == nil || *t.PPPAddrCtrl {
		b = append(b, 0xff, 0x03)
	}
	b = append(b, 0, 0x21)
	return template{hdr: append(h, b...), l4Off: l4}
}

// l2tpv3Template: over UDP the flags/version word (T clear, version 3) and
// 16 reserved bits (RFC 3931 4.1.2.1), over IP protocol 115 nothing
// (4.1.1.1); then the peer's session id and cookie and, when configured,
// the default L2-specific sublayer (4.6), its S bit and sequence patched.
func l2tpv3Template(t *conf.Tunnel, dstMAC, srcMAC conf.MAC) template {
	var h, b []byte
	var l4 int
	if t.Encap == conf.EncapIP {
		h, l4 = outerIP(t, dstMAC, srcMAC, 115)
	} else {
		h, l4 = outerIP(t, dstMAC, srcMAC, 17)
		b = append(udpHeader(t.DstPort, t.DstPort), 0, 3, 0, 0)
	}
	b = binary.BigEndian.AppendUint32(b, t.PeerSessionID)
	b = append(b, t.PeerCookie...)
	if t.L2Sublayer {
		b = append(b, 0, 0, 0, 0)
	}
	return template{hdr: append(h, b...), l4Off: l4}
}

// ipv4CsumBase sums the 16-bit words of an outer IPv4 header template with
// the TOS byte, total length, id and checksum taken as zero; the worker adds
// the per-packet values (tf_outer_csum in csrc/tf_pkt.h).
func ipv4CsumBase(h []byte) uint32 {
	var s uint32
	for i := 0; i < len(h); i += 2 {
		switch i {
		case 0:
			s += uint32(h[0]) << 8 // version and IHL; TOS added per packet
		case 2, 4, 10: // total length, id, checksum
		default:
			s += uint32(binary.BigEndian.Uint16(h[i:]))
		}
	}
	return s
}

// srv6Template: IPv6 to the first segment and the SRH (RFC 8754 section
// 2) with the segment list last segment first, Segments Left and Last
// Entry at the list's end (RFC 8986 5.1); the reduced form leaves the first
// segment out (5.2: Segments Left n-1, Last Entry n-2), and a reduced
// single segment has no SRH. l4Off is the Next Header byte the worker
// patches with the inner protocol; the template has IPv4's (4), what the
// burst encap sends as it is, or an L2 mode's 143.
func srv6Template(t *conf.Tunnel, dstMAC, srcMAC conf.MAC) template {
	segs := t.Segments
	red := t.Mode == conf.SRv6EncapsRed || t.Mode == conf.SRv6EncapsL2Red
	next := uint8(4) // IPv4 in IPv6
	if t.CarriesEthernet() {
		next = 143
	}
	ip := make([]byte, ipv6Len)
	ip[0] = 0x60
	ip[6] = 43 // routing header
	ip[7] = uint8(t.TTL)
	l, d := t.Local.As16(), segs[0].As16()
	copy(ip[8:24], l[:])
	copy(ip[24:40], d[:])
	h := append(ethHeader(dstMAC, srcMAC, 0x86dd), ip...)
	list := segs
	if red {
		list = segs[1:]
	}
	if len(list) == 0 {
		h[ethLen+6] = next
		return template{hdr: h, l4Off: ethLen + 6}
	}
	srh := []byte{next, uint8(2 * len(list)), 4, uint8(len(segs) - 1), uint8(len(list) - 1), 0, 0, 0}
	for i := len(list) - 1; i >= 0; i-- {
		a := list[i].As16()
		srh = append(srh, a[:]...)
	}
	return template{hdr: append(h, srh...), l4Off: ethLen + ipv6Len}
}

func buildTemplate(t *conf.Tunnel, dstMAC, srcMAC conf.MAC) (template, error) {
	switch t.Type {
	case conf.TunnelSRv6:
		return srv6Template(t, dstMAC, srcMAC), nil
	case conf.TunnelGRE:
		return greTemplate(t, dstMAC, srcMAC), nil
	case conf.TunnelVXLAN:
		return vxlanTemplate(t, dstMAC, srcMAC), nil
	case conf.TunnelL2TPv2:
		return l2tpv2Template(t, dstMAC, srcMAC), nil
	case conf.TunnelL2TPv3:
		return l2tpv3Template(t, dstMAC, srcMAC), nil
	}
	return template{}, fmt.Errorf("tunnel %s: type %q has no template", t.Name, t.Type)
}
