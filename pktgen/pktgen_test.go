package pktgen

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

func flow4(proto uint8) Flow {
	return Flow{
		Src: netip.MustParseAddr("10.1.0.1"), Dst: netip.MustParseAddr("10.2.0.1"),
		Proto: proto, SrcPort: 1000, DstPort: 2000, TTL: 17, TOS: 0xb8,
	}
}

func flow6(proto uint8) Flow {
	return Flow{
		Src: netip.MustParseAddr("2001:db8:1::1"), Dst: netip.MustParseAddr("2001:db8:2::1"),
		Proto: proto, SrcPort: 1000, DstPort: 2000, TTL: 17, TOS: 0xb8,
	}
}

// csum is the RFC 1071 one's complement sum, folded, not inverted.
func csum(init uint32, b []byte) uint32 {
	s := init
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return s
}

// checkFrame decodes fr independently of the generator's layer structs and
// verifies family, VLAN, lengths and every checksum. It returns the L4
// payload.
func checkFrame(t *testing.T, f Flow, fr []byte) []byte {
	t.Helper()
	if len(fr) < MinFrameLen {
		t.Fatalf("frame %d bytes, below %d", len(fr), MinFrameLen)
	}
	if !bytes.Equal(fr[0:6], DefaultDstMAC) && f.DstMAC == nil {
		t.Fatalf("dst MAC %x", fr[0:6])
	}
	et := binary.BigEndian.Uint16(fr[12:])
	off := 14
	if f.VLAN != 0 {
		if et != 0x8100 {
			t.Fatalf("ethertype %#x, want 802.1Q", et)
		}
		if vid := binary.BigEndian.Uint16(fr[14:]) & 0xfff; vid != f.VLAN {
			t.Fatalf("VLAN %d, want %d", vid, f.VLAN)
		}
		et = binary.BigEndian.Uint16(fr[16:])
		off = 18
	}
	var l4 []byte
	var pseudo uint32
	if f.IsIPv6() {
		if et != 0x86dd {
			t.Fatalf("ethertype %#x, want IPv6", et)
		}
		ip := fr[off:]
		if ip[0]>>4 != 6 || ip[6] != f.Proto || ip[7] != f.TTL {
			t.Fatalf("bad IPv6 header % x", ip[:8])
		}
		if tc := byte(binary.BigEndian.Uint16(ip) >> 4); tc != f.TOS {
			t.Fatalf("traffic class %#x want %#x", tc, f.TOS)
		}
		plen := int(binary.BigEndian.Uint16(ip[4:]))
		l4 = ip[40 : 40+plen]
		if off+40+plen != len(fr) && len(fr) != MinFrameLen {
			t.Fatalf("IPv6 payload length %d does not match frame %d", plen, len(fr))
		}
		pseudo = csum(0, ip[8:40]) + uint32(plen) + uint32(f.Proto)
	} else {
		if et != 0x0800 {
			t.Fatalf("ethertype %#x, want IPv4", et)
		}
		ip := fr[off:]
		if ip[0] != 0x45 || ip[9] != f.Proto || ip[8] != f.TTL || ip[1] != f.TOS {
			t.Fatalf("bad IPv4 header % x", ip[:20])
		}
		if csum(0, ip[:20]) != 0xffff {
			t.Fatalf("bad IPv4 header checksum")
		}
		tot := int(binary.BigEndian.Uint16(ip[2:]))
		if off+tot != len(fr) && len(fr) != MinFrameLen {
			t.Fatalf("IPv4 total length %d does not match frame %d", tot, len(fr))
		}
		l4 = ip[20:tot]
		pseudo = csum(0, ip[12:20]) + uint32(len(l4)) + uint32(f.Proto)
	}
	var hl int
	switch f.Proto {
	case ProtoUDP:
		hl = 8
		if int(binary.BigEndian.Uint16(l4[4:])) != len(l4) {
			t.Fatalf("UDP length %d, want %d", binary.BigEndian.Uint16(l4[4:]), len(l4))
		}
		if binary.BigEndian.Uint16(l4[6:]) == 0 {
			t.Fatalf("UDP checksum not set")
		}
		if csum(pseudo, l4) != 0xffff {
			t.Fatalf("bad UDP checksum")
		}
	case ProtoTCP:
		hl = int(l4[12]>>4) * 4
		if hl != 20 || l4[13] != 0x10 {
			t.Fatalf("TCP data offset %d flags %#x", hl, l4[13])
		}
		if csum(pseudo, l4) != 0xffff {
			t.Fatalf("bad TCP checksum")
		}
	case ProtoICMP:
		hl = 8
		if l4[0] != 8 || l4[1] != 0 {
			t.Fatalf("ICMP type/code %d/%d", l4[0], l4[1])
		}
		if csum(0, l4) != 0xffff {
			t.Fatalf("bad ICMP checksum")
		}
	case ProtoICMPv6:
		hl = 8
		if l4[0] != 128 || l4[1] != 0 {
			t.Fatalf("ICMPv6 type/code %d/%d", l4[0], l4[1])
		}
		if csum(pseudo, l4) != 0xffff {
			t.Fatalf("bad ICMPv6 checksum")
		}
	}
	if f.Proto == ProtoICMP || f.Proto == ProtoICMPv6 {
		if id := binary.BigEndian.Uint16(l4[4:]); id != f.SrcPort {
			t.Fatalf("echo id %d want %d", id, f.SrcPort)
		}
	} else if sp, dp := binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:]); sp != f.SrcPort || dp != f.DstPort {
		t.Fatalf("ports %d>%d want %d>%d", sp, dp, f.SrcPort, f.DstPort)
	}
	return l4[hl:]
}

func allFlows() []Flow {
	var fs []Flow
	for _, vlan := range []uint16{0, 100} {
		for _, f := range []Flow{flow4(ProtoUDP), flow4(ProtoTCP), flow4(ProtoICMP), flow6(ProtoUDP), flow6(ProtoTCP), flow6(ProtoICMPv6)} {
			f.VLAN = vlan
			fs = append(fs, f)
		}
	}
	return fs
}

func TestFrameLengthsAndChecksums(t *testing.T) {
	for _, f := range allFlows() {
		for _, pl := range []int{0, 1, 5, 17, 100, 1000, 1458} {
			fr := Frame(f, pl, 7)
			want := max(HeaderLen(f)+pl, MinFrameLen)
			if len(fr) != want {
				t.Fatalf("%+v payload %d: frame %d bytes, want %d", f, pl, len(fr), want)
			}
			p := checkFrame(t, f, fr)
			if len(p) != pl {
				t.Fatalf("%+v: payload %d bytes, want %d", f, len(p), pl)
			}
			for i, b := range p {
				if b != byte(i+7) {
					t.Fatalf("payload byte %d = %d", i, b)
				}
			}
		}
	}
}

func TestFrameGopacketDecode(t *testing.T) {
	for _, f := range allFlows() {
		fr := Frame(f, 33, 0x12345)
		pkt := gopacket.NewPacket(fr, layers.LayerTypeEthernet, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil {
			t.Fatalf("%+v: decode: %v", f, el.Error())
		}
		if (pkt.Layer(layers.LayerTypeDot1Q) != nil) != (f.VLAN != 0) {
			t.Fatalf("%+v: Dot1Q layer presence wrong", f)
		}
		if d, ok := pkt.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok && d.VLANIdentifier != f.VLAN {
			t.Fatalf("vlan %d", d.VLANIdentifier)
		}
		nl := pkt.NetworkLayer()
		if nl == nil {
			t.Fatalf("%+v: no network layer", f)
		}
		if f.IsIPv6() != (nl.LayerType() == layers.LayerTypeIPv6) {
			t.Fatalf("%+v: network layer %v", f, nl.LayerType())
		}
		if got := nl.NetworkFlow().Src().String(); got != f.Src.String() {
			t.Fatalf("src %s want %s", got, f.Src)
		}
		switch f.Proto {
		case ProtoTCP:
			tcp := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if !tcp.ACK || tcp.SYN || tcp.Seq != 0x12345 {
				t.Fatalf("tcp %+v", tcp)
			}
		case ProtoUDP:
			if pkt.Layer(layers.LayerTypeUDP) == nil {
				t.Fatal("no UDP")
			}
		case ProtoICMP:
			ic := pkt.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
			if ic.TypeCode.Type() != layers.ICMPv4TypeEchoRequest || ic.Seq != 0x2345 || ic.Id != f.SrcPort {
				t.Fatalf("icmp %+v", ic)
			}
		case ProtoICMPv6:
			e, ok := pkt.Layer(layers.LayerTypeICMPv6Echo).(*layers.ICMPv6Echo)
			if !ok || e.SeqNumber != 0x2345 || e.Identifier != f.SrcPort {
				t.Fatalf("icmpv6 echo %+v", e)
			}
			// gopacket 1.1.19 does not decode past ICMPv6Echo: the ICMPv6
			// layer's payload is the 4-byte id/seq plus the data.
			if ic := pkt.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6); len(ic.Payload) != 4+33 {
				t.Fatalf("icmpv6 payload %d bytes", len(ic.Payload))
			}
			continue
		}
		if al := pkt.ApplicationLayer(); al == nil || len(al.Payload()) != 33 {
			t.Fatalf("%+v: application payload %v", f, al)
		}
	}
}

func TestFrameOfSize(t *testing.T) {
	for _, f := range allFlows() {
		for _, n := range []int{0, 42, 60, 61, 64, 65, 78, 79, 128, 1514, 1518, 9000} {
			fr := FrameOfSize(f, n, 3)
			want := max(n, MinFrameLenFor(f))
			if len(fr) != want {
				t.Fatalf("%+v size %d: got %d want %d", f, n, len(fr), want)
			}
			checkFrame(t, f, fr)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []Flow{
		{},
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("::1"), Proto: ProtoUDP},
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Proto: 47},
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Proto: ProtoICMPv6},
		{Src: netip.MustParseAddr("::1"), Dst: netip.MustParseAddr("::2"), Proto: ProtoICMP},
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Proto: ProtoUDP, VLAN: 4095},
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Proto: ProtoUDP, SrcMAC: []byte{1, 2}},
	}
	for _, f := range bad {
		if f.Validate() == nil {
			t.Errorf("%+v: Validate accepted", f)
		}
		if _, err := Build(f, 10, 0); err == nil {
			t.Errorf("%+v: Build accepted", f)
		}
	}
	if _, err := Build(flow4(ProtoUDP), MaxPayloadLen(flow4(ProtoUDP))+1, 0); err == nil {
		t.Error("oversized payload accepted")
	}
	if _, err := Build(flow4(ProtoUDP), MaxPayloadLen(flow4(ProtoUDP)), 0); err != nil {
		t.Errorf("max payload: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Frame did not panic on invalid flow")
		}
	}()
	Frame(Flow{}, 0, 0)
}

func TestMix(t *testing.T) {
	for _, base := range []Flow{flow4(ProtoUDP), flow6(ProtoTCP), func() Flow { f := flow6(ProtoTCP); f.VLAN = 7; return f }()} {
		a := Mix(500, 8, base, 11)
		b := Mix(500, 8, base, 11)
		c := Mix(500, 8, base, 12)
		if len(a) != 500 {
			t.Fatalf("len %d", len(a))
		}
		sizes := map[int]bool{}
		type key struct {
			src  string
			port uint16
		}
		keys := map[key]bool{}
		differ := false
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				t.Fatalf("frame %d not deterministic", i)
			}
			if !bytes.Equal(a[i], c[i]) {
				differ = true
			}
			if len(a[i]) < max(MixMinSize, MinFrameLenFor(base)) || len(a[i]) > MixMaxSize {
				t.Fatalf("frame %d size %d", i, len(a[i]))
			}
			sizes[len(a[i])] = true
			f := FlowN(base, i%8)
			checkFrame(t, f, a[i])
			pkt := gopacket.NewPacket(a[i], layers.LayerTypeEthernet, gopacket.Default)
			tl := pkt.TransportLayer()
			keys[key{pkt.NetworkLayer().NetworkFlow().Src().String(), binary.BigEndian.Uint16(tl.TransportFlow().Src().Raw())}] = true
		}
		if !differ {
			t.Error("seedOffset has no effect")
		}
		if len(keys) != 8 {
			t.Errorf("%d distinct flows, want 8", len(keys))
		}
		if len(sizes) < 100 {
			t.Errorf("only %d distinct sizes", len(sizes))
		}
	}
	if got := len(Mix(10, 0, flow4(ProtoICMP), 0)); got != 10 {
		t.Errorf("flows=0: %d frames", got)
	}
	if got := len(Mix(0, 5, flow4(ProtoICMP), 0)); got != 0 {
		t.Errorf("n=0: %d frames", got)
	}
}

func TestPcapRoundTrip(t *testing.T) {
	frames := Mix(100, 4, flow4(ProtoUDP), 0)
	frames = append(frames, Frame(flow6(ProtoICMPv6), 0, 1))
	p := filepath.Join(t.TempDir(), "x.pcap")
	if err := WritePcap(p, frames); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(raw) != 0xa1b2c3d4 {
		t.Fatalf("magic %#x, want microsecond pcap", binary.LittleEndian.Uint32(raw))
	}
	if sl, lt := binary.LittleEndian.Uint32(raw[16:]), binary.LittleEndian.Uint32(raw[20:]); sl != 65535 || lt != 1 {
		t.Fatalf("snaplen %d linktype %d", sl, lt)
	}
	r, err := pcapgo.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Unix(1, int64(i)*1000); !ci.Timestamp.Equal(want) {
			t.Fatalf("ts %d = %v want %v", i, ci.Timestamp, want)
		}
	}
	got, err := ReadPcap(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(frames) {
		t.Fatalf("read %d frames, want %d", len(got), len(frames))
	}
	for i := range got {
		if !bytes.Equal(got[i], frames[i]) {
			t.Fatalf("frame %d differs", i)
		}
	}
}

func TestReadPcapNanosAndNg(t *testing.T) {
	frames := Mix(20, 3, flow6(ProtoUDP), 5)
	dir := t.TempDir()

	var nb bytes.Buffer
	w := pcapgo.NewWriterNanos(&nb)
	if err := w.WriteFileHeader(Snaplen, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	var ngb bytes.Buffer
	ng, err := pcapgo.NewNgWriter(&ngb, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(2, int64(i)), CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
		if err := ng.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := ng.Flush(); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"nanos.pcap": nb.Bytes(), "x.pcapng": ngb.Bytes()} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadPcap(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(frames) {
			t.Fatalf("%s: %d frames", name, len(got))
		}
		for i := range got {
			if !bytes.Equal(got[i], frames[i]) {
				t.Fatalf("%s: frame %d differs", name, i)
			}
		}
	}
	if _, err := ReadPcap(filepath.Join(dir, "missing.pcap")); err == nil {
		t.Error("missing file accepted")
	}
	junk := filepath.Join(dir, "junk.pcap")
	os.WriteFile(junk, []byte("not a pcap file at all, definitely"), 0o644)
	if _, err := ReadPcap(junk); err == nil {
		t.Error("junk accepted")
	}
}
