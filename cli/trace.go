package cli

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"tunfwd/dataplane"
)

func (x *Call) portNamed(name string) error {
	cfg := x.GW.Config()
	if _, p := cfg.Port(name); p == nil {
		return x.Usagef("no port %q (ports: %s)", name, strings.Join(portNames(cfg), ", "))
	}
	return nil
}

func trace(x *Call) error {
	if err := x.nargs(2, 3); err != nil {
		return err
	}
	port := x.Args[0]
	if err := x.portNamed(port); err != nil {
		return err
	}
	n, err := strconv.Atoi(x.Args[1])
	if err != nil || n < 1 {
		return x.Usagef("%q: want a packet count of at least 1", x.Args[1])
	}
	timeout := x.Shell.TraceTimeout
	if timeout <= 0 {
		timeout = DefaultTraceTimeout
	}
	if len(x.Args) == 3 {
		if timeout, err = time.ParseDuration(x.Args[2]); err != nil || timeout <= 0 {
			return x.Usagef("%q: want a timeout like 5s or 500ms", x.Args[2])
		}
	}
	if !x.GW.Running() {
		return x.Errorf("forwarding is stopped: start it first")
	}
	recs, err := x.GW.Trace(port, n, timeout)
	if err != nil {
		return x.Errorf("%w", err)
	}
	if len(recs) == 0 {
		fmt.Fprintf(x.Out, "trace %s: no packet received in %s\n", port, timeout)
		return nil
	}
	fmt.Fprintf(x.Out, "trace %s: %d of %d packets\n", port, len(recs), n)
	for i, r := range recs {
		FormatTrace(x.Out, i+1, r)
	}
	return nil
}

// FormatTrace writes one traced packet as a readable block: where it came
// in, its layers as gopacket decodes them, then what the dataplane did:
//
//	#1 lan worker 0, 128 bytes
//	  Ethernet 02:00:00:00:00:01>02:00:00:00:01:01 IPv4 10.1.0.2>10.2.0.7 UDP 1000>2000 len 128
//	  -> encap g1 out wan
func FormatTrace(w io.Writer, seq int, r dataplane.TraceRecord) {
	fmt.Fprintf(w, "#%d %s worker %d, %d bytes", seq, r.InPort, r.Worker, r.Len)
	if len(r.Frame) < r.Len {
		fmt.Fprintf(w, " (first %d decoded)", len(r.Frame))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %s len %d\n", DescribeFrame(r.Frame), r.Len)
	fmt.Fprintf(w, "  -> %s\n", describeAction(r))
}

func describeAction(r dataplane.TraceRecord) string {
	var b strings.Builder
	b.WriteString(r.Action)
	if r.Action == "" {
		b.WriteString("none")
	}
	if r.Action == "drop" {
		b.WriteString(" " + r.Reason)
		if h := dropHelp(r.Reason); h != "" {
			b.WriteString(" (" + h + ")")
		}
		return b.String()
	}
	if r.Tunnel != "" {
		b.WriteString(" " + r.Tunnel)
	}
	if r.OutPort != "" {
		b.WriteString(" out " + r.OutPort)
	}
	return b.String()
}

func dropHelp(reason string) string {
	for i, n := range dataplane.DropNames {
		if n == reason {
			return dataplane.DropHelp[i]
		}
	}
	return ""
}

// DescribeFrame summarises an Ethernet frame layer by layer, outer to
// inner: "Ethernet a>b IPv4 x>y GRE key 7 IPv4 ... UDP 1000>2000".
func DescribeFrame(frame []byte) string {
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Lazy)
	var parts []string
	ls := pkt.Layers()
	for i, l := range ls {
		if i+1 < len(ls) && ls[i+1].LayerType() == gopacket.LayerTypeDecodeFailure {
			// the layer that failed: its fields are not to be believed
			parts = append(parts, l.LayerType().String())
			continue
		}
		if s := describeLayer(l); s != "" {
			parts = append(parts, s)
		}
	}
	if el := pkt.ErrorLayer(); el != nil {
		parts = append(parts, fmt.Sprintf("(undecodable: %v)", el.Error()))
	}
	if len(parts) == 0 {
		return "(empty frame)"
	}
	return strings.Join(parts, " ")
}

func describeLayer(l gopacket.Layer) string {
	switch l := l.(type) {
	case *layers.Ethernet:
		return fmt.Sprintf("Ethernet %s>%s", l.SrcMAC, l.DstMAC)
	case *layers.Dot1Q:
		return fmt.Sprintf("VLAN %d", l.VLANIdentifier)
	case *layers.ARP:
		op := "request"
		if l.Operation == layers.ARPReply {
			op = "reply"
		}
		return fmt.Sprintf("ARP %s %s>%s", op, ipString(l.SourceProtAddress), ipString(l.DstProtAddress))
	case *layers.IPv4:
		s := fmt.Sprintf("IPv4 %s>%s", l.SrcIP, l.DstIP)
		if l.TTL <= 1 {
			s += fmt.Sprintf(" ttl %d", l.TTL)
		}
		if l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0 {
			s += " fragment"
		}
		return s
	case *layers.IPv6:
		return fmt.Sprintf("IPv6 %s>%s", l.SrcIP, l.DstIP)
	case *layers.UDP:
		return fmt.Sprintf("UDP %d>%d", l.SrcPort, l.DstPort)
	case *layers.TCP:
		return fmt.Sprintf("TCP %d>%d", l.SrcPort, l.DstPort)
	case *layers.ICMPv4:
		return "ICMPv4 " + l.TypeCode.String()
	case *layers.ICMPv6:
		return "ICMPv6 " + l.TypeCode.String()
	case *layers.GRE:
		s := "GRE"
		if l.KeyPresent {
			s += fmt.Sprintf(" key %d", l.Key)
		}
		if l.SeqPresent {
			s += fmt.Sprintf(" seq %d", l.Seq)
		}
		if l.ChecksumPresent {
			s += " csum"
		}
		return s
	case *layers.VXLAN:
		return fmt.Sprintf("VXLAN vni %d", l.VNI)
	case *gopacket.Payload, *gopacket.DecodeFailure:
		return ""
	}
	return l.LayerType().String()
}

func ipString(b []byte) string {
	if len(b) == 4 || len(b) == 16 {
		return net.IP(b).String()
	}
	return fmt.Sprintf("%x", b)
}

func captureStart(x *Call) error {
	if err := x.nargs(2, 3); err != nil {
		return err
	}
	port, file := x.Args[0], x.Args[1]
	if err := x.portNamed(port); err != nil {
		return err
	}
	n := 0
	if len(x.Args) == 3 {
		var err error
		if n, err = strconv.Atoi(x.Args[2]); err != nil || n < 1 {
			return x.Usagef("%q: want a packet count of at least 1", x.Args[2])
		}
	}
	if x.Shell.captureFile != "" {
		return x.Errorf("a capture to %s is running: capture stop first", x.Shell.captureFile)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return x.Errorf("%w", err)
	}
	if err := x.GW.CaptureStart(port, abs, n); err != nil {
		return x.Errorf("%w", err)
	}
	x.Shell.captureFile, x.Shell.capturePort = abs, port
	until := "until capture stop"
	if n > 0 {
		until = fmt.Sprintf("%d packets", n)
	}
	fmt.Fprintf(x.Out, "capturing packets received on %s to %s (%s)\n", port, abs, until)
	return nil
}

func captureStop(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	if x.Shell.captureFile == "" {
		return x.Errorf("no capture running")
	}
	file, port := x.Shell.captureFile, x.Shell.capturePort
	x.Shell.captureFile, x.Shell.capturePort = "", ""
	n, err := x.GW.CaptureStop()
	if err != nil {
		return x.Errorf("%w", err)
	}
	fmt.Fprintf(x.Out, "capture of %s stopped: %d packets written to %s\n", port, n, file)
	return nil
}

// Close ends a capture still running, so that its file is complete, and
// says so on w. Call it before stopping the gateway for good.
// Commands after Close fail with ErrClosed.
func (s *Shell) Close(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.captureFile == "" {
		return
	}
	n, err := s.gw.CaptureStop()
	if err != nil {
		fmt.Fprintf(w, "capture to %s: %v\n", s.captureFile, err)
	} else {
		fmt.Fprintf(w, "capture of %s stopped: %d packets written to %s\n", s.capturePort, n, s.captureFile)
	}
	s.captureFile, s.capturePort = "", ""
}
