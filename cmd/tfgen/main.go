// Command tfgen writes a pcap of deterministic test traffic for tunfwd
// (for example as the rx_pcap of a net_pcap vdev), built with package pktgen.
//
//	tfgen -o FILE -n N [-flows F] [-src 10.1.0.1] [-dst 10.2.0.1]
//	      [-smac MAC] [-dmac MAC] [-proto udp|tcp|icmp] [-sport P] [-dport P]
//	      [-size N | -mix] [-vlan V] [-ttl T] [-tos T] [-seed S]
//
// Frames are IPv6 when -src and -dst are IPv6 addresses (-proto icmp then
// means ICMPv6). Sizes are Ethernet frame lengths without FCS. Flow k of -flows
// uses source port sport+k and the source address with k added to its last
// byte; frames go round-robin over the flows. Bad flags exit with status 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"

	"tunfwd/pktgen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("tfgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "output pcap `file` (required)")
	n := fs.Int("n", 0, "number of frames (required, >= 1)")
	flows := fs.Int("flows", 1, "number of distinct flows (1..65536)")
	src := fs.String("src", "10.1.0.1", "source IPv4 or IPv6 address (base of the flows)")
	dst := fs.String("dst", "10.2.0.1", "destination address, same family as -src")
	smac := fs.String("smac", pktgen.DefaultSrcMAC.String(), "source MAC")
	dmac := fs.String("dmac", pktgen.DefaultDstMAC.String(), "destination MAC (the tunfwd port's MAC)")
	proto := fs.String("proto", "udp", "udp, tcp or icmp (ICMPv6 for IPv6 addresses)")
	sport := fs.Uint("sport", 1024, "source port / ICMP echo id of flow 0")
	dport := fs.Uint("dport", 5001, "destination port")
	size := fs.Int("size", 0, "Ethernet frame size without FCS (default 64; at least the header length)")
	mix := fs.Bool("mix", false, fmt.Sprintf("pseudo-random frame sizes %d..%d instead of -size", pktgen.MixMinSize, pktgen.MixMaxSize))
	vlan := fs.Uint("vlan", 0, "802.1Q VLAN id, 1..4094 (0 = untagged)")
	ttl := fs.Uint("ttl", pktgen.DefaultTTL, "IPv4 TTL / IPv6 hop limit, 1..255")
	tos := fs.Uint("tos", 0, "IPv4 TOS / IPv6 traffic class byte, 0..255 (0xb8 = DSCP EF)")
	seed := fs.Int("seed", 0, "seed offset: varies -mix sizes and sequence numbers")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: tfgen -o FILE -n N [flags]\n\nWrites a pcap of generated test traffic.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2 // the flag package has printed the error and the usage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	frames, f, err := generate(fs.Args(), *out, *n, *flows, *src, *dst, *smac, *dmac, *proto,
		*sport, *dport, *size, set["size"], *mix, *vlan, *ttl, *tos, *seed)
	if err != nil {
		fmt.Fprintf(stderr, "tfgen: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "run 'tfgen -h' for usage\n")
			return 2
		}
		return 1
	}
	if err := pktgen.WritePcap(*out, frames); err != nil {
		fmt.Fprintf(stderr, "tfgen: %v\n", err)
		return 1
	}
	total, lo, hi := 0, int(^uint(0)>>1), 0
	for _, fr := range frames {
		total += len(fr)
		lo, hi = min(lo, len(fr)), max(hi, len(fr))
	}
	fam := "IPv4"
	if f.IsIPv6() {
		fam = "IPv6"
	}
	fmt.Fprintf(stderr, "tfgen: wrote %d %s/%s frames (%d flows, %d..%d bytes, %d bytes total) to %s\n",
		len(frames), fam, protoName(f.Proto), min(*flows, len(frames)), lo, hi, total, *out)
	return 0
}

func generate(rest []string, out string, n, flows int, src, dst, smac, dmac, proto string,
	sport, dport uint, size int, sizeSet, mix bool, vlan, ttl, tos uint, seed int) ([][]byte, pktgen.Flow, error) {
	var f pktgen.Flow
	if len(rest) > 0 {
		return nil, f, usagef("unexpected argument %q", rest[0])
	}
	if out == "" {
		return nil, f, usagef("-o FILE is required")
	}
	if n < 1 {
		return nil, f, usagef("-n must be at least 1 (got %d)", n)
	}
	if flows < 1 || flows > 65536 {
		return nil, f, usagef("-flows must be 1..65536 (got %d)", flows)
	}
	var err error
	if f.Src, err = netip.ParseAddr(src); err != nil {
		return nil, f, usagef("-src %q is not an IP address", src)
	}
	if f.Dst, err = netip.ParseAddr(dst); err != nil {
		return nil, f, usagef("-dst %q is not an IP address", dst)
	}
	f.Src, f.Dst = f.Src.Unmap().WithZone(""), f.Dst.Unmap().WithZone("")
	if f.Src.Is4() != f.Dst.Is4() {
		return nil, f, usagef("-src %s and -dst %s are different address families", f.Src, f.Dst)
	}
	if f.SrcMAC, err = parseMAC(smac); err != nil {
		return nil, f, usagef("-smac: %v", err)
	}
	if f.DstMAC, err = parseMAC(dmac); err != nil {
		return nil, f, usagef("-dmac: %v", err)
	}
	switch strings.ToLower(proto) {
	case "udp":
		f.Proto = pktgen.ProtoUDP
	case "tcp":
		f.Proto = pktgen.ProtoTCP
	case "icmp", "icmp6", "icmpv6":
		f.Proto = pktgen.ProtoICMP
		if f.Src.Is6() {
			f.Proto = pktgen.ProtoICMPv6
		}
	default:
		return nil, f, usagef("-proto must be udp, tcp or icmp (got %q)", proto)
	}
	if sport > 65535 {
		return nil, f, usagef("-sport must be 0..65535 (got %d)", sport)
	}
	if dport > 65535 {
		return nil, f, usagef("-dport must be 0..65535 (got %d)", dport)
	}
	if vlan > 4094 {
		return nil, f, usagef("-vlan must be 0..4094 (got %d)", vlan)
	}
	if ttl < 1 || ttl > 255 {
		return nil, f, usagef("-ttl must be 1..255 (got %d)", ttl)
	}
	if tos > 255 {
		return nil, f, usagef("-tos must be 0..255 (got %d)", tos)
	}
	f.SrcPort, f.DstPort = uint16(sport), uint16(dport)
	f.VLAN, f.TTL, f.TOS = uint16(vlan), uint8(ttl), uint8(tos)
	if err := f.Validate(); err != nil {
		return nil, f, usageError{err.Error()}
	}

	if mix {
		if sizeSet {
			return nil, f, usagef("-size and -mix are mutually exclusive")
		}
		return pktgen.Mix(n, flows, f, seed), f, nil
	}
	if !sizeSet {
		size = 64
	}
	lo := pktgen.MinFrameLenFor(f)
	hi := min(pktgen.HeaderLen(f)+pktgen.MaxPayloadLen(f), pktgen.Snaplen)
	if size < lo || size > hi {
		if !sizeSet {
			size = lo // the 64-byte default is below this flow's headers (IPv6 TCP with VLAN)
		} else {
			return nil, f, usagef("-size %d out of range %d..%d for this flow (sizes exclude the FCS)", size, lo, hi)
		}
	}
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = pktgen.FrameOfSize(pktgen.FlowN(f, i%flows), size, seed+i)
	}
	return frames, f, nil
}

func parseMAC(s string) (net.HardwareAddr, error) {
	m, err := net.ParseMAC(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a MAC address", s)
	}
	if len(m) != 6 {
		return nil, fmt.Errorf("%q is not a 6-byte Ethernet MAC", s)
	}
	return m, nil
}

func protoName(p uint8) string {
	switch p {
	case pktgen.ProtoUDP:
		return "UDP"
	case pktgen.ProtoTCP:
		return "TCP"
	case pktgen.ProtoICMP:
		return "ICMP"
	case pktgen.ProtoICMPv6:
		return "ICMPv6"
	}
	return fmt.Sprint(p)
}
