package dataplane

import (
	"encoding/binary"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"tunfwd/conf"
	"tunfwd/pktgen"
)

// FuzzPacketPath feeds arbitrary bytes, as one frame (or 65 copies of it,
// crossing the burst and tx buffer sizes), through the packet path the
// workers run, on a gateway with a tunnel of each kind: GRE with key,
// sequence and checksum, GRE without key, VXLAN untagged and on a VLAN,
// GRE and VXLAN (checksummed and zero-checksum) over IPv6, routes v4 and v6
// into the GRE tunnels and to an inner next hop, IPv6 addresses for ND and echo.
//
// Inputs: data, the frame; port, bits 0-1 the port it arrives on (inner,
// uplink, l2, uplink) and bits 6-7 both set for 65 copies (fewer of a long
// chain); split, how the frame is cut into mbufs: bits 0-11 (mod len+1) the
// length of the first segment, 0 for none, bits 12-15 the size of the
// segments after it.
//
// After every input: every mbuf is back in the pool; rx = tx + drops; every
// frame sent passes the tx check (fuzz.go: a sane chain, within the MTU,
// valid IPv4 and GRE checksums and lengths). Built with -asan (make fuzz),
// each segment is a malloc'd buffer that ends with its bytes, so any read
// past a segment is an ASan report.
//
// The seeds (run by plain go test, as TestFuzzCorpusSeeds would be): the
// project's own frames, the malformed cases, and every frame of the
// captures in testdata/captures and ../shared/captures, as captured and
// readdressed to the gateway, on both sides.
func FuzzPacketPath(f *testing.F) {
	fz := newFuzzGateway(f)
	for _, s := range fuzzSeeds(f) {
		f.Add(s.data, s.port, s.split)
	}
	f.Fuzz(func(t *testing.T, data []byte, port uint8, split uint16) {
		fz.run(t, data, port, split)
	})
}

// fuzzConf: ports and addresses as the rig's (so that the rig's frames are
// seeds that go deep), more tunnels. net_null ports: tf_process_burst does
// not receive, and net_null sends everything it is given.
const fuzzConf = `
[dataplane]
workers = [1]
mbufs = 16383
mbuf_cache = 0

[[port]]
name = "inner"
side = "inner"
mac = "` + innerMAC + `"
addresses = ["10.1.0.1/24", "` + inner6 + `/64"]
vdev = "net_null_fz%[1]d_inner,no-rx=1"

[[port]]
name = "uplink"
side = "underlay"
mac = "` + uplinkMAC + `"
mtu = 9000
addresses = ["192.0.2.1/24", "198.51.100.1/24", "` + uplink6 + `/64"]
vdev = "net_null_fz%[1]d_uplink,no-rx=1"

[[port]]
name = "l2"
side = "inner"
mac = "` + l2MAC + `"
vdev = "net_null_fz%[1]d_l2,no-rx=1"

[[nexthop]]
ip = "192.0.2.2"
mac = "` + uplinkPeer + `"
port = "uplink"

[[nexthop]]
ip = "10.1.0.2"
mac = "` + innerPeer + `"
port = "inner"

[[tunnel]]
name = "gre1"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 40
seq = true
checksum = true

[[tunnel]]
name = "gre2"
type = "gre"
local = "198.51.100.1"
remote = "192.0.2.3"
nexthop = "192.0.2.2"
dscp = 10
ttl = 1

[[tunnel]]
name = "vx1"
type = "vxlan"
local = "192.0.2.1"
remote = "192.0.2.2"
vni = 100

[[tunnel]]
name = "vx2"
type = "vxlan"
local = "192.0.2.1"
remote = "192.0.2.4"
nexthop = "192.0.2.2"
vni = 200
dst_port = 8472

[[tunnel]]
name = "l2tp2"
type = "l2tpv2"
local = "192.0.2.1"
remote = "192.0.2.2"
tunnel_id = 100
session_id = 200
peer_tunnel_id = 300
peer_session_id = 400
length_bit = true

[[tunnel]]
name = "pw3ip"
type = "l2tpv3"
encap = "ip"
local = "192.0.2.1"
remote = "192.0.2.2"
session_id = 4096
peer_session_id = 8192
cookie = "0x01020304"
peer_cookie = "0x0a0b0c0d"

[[tunnel]]
name = "pw3udp"
type = "l2tpv3"
local = "192.0.2.1"
remote = "192.0.2.2"
session_id = 4097
peer_session_id = 8193
cookie = "0x1112131415161718"
l2_sublayer = true
seq = true

[[route]]
prefix = "10.7.0.0/16"
tunnel = "l2tp2"

[[l2]]
port = "l2"
vlan = 30
tunnel = "pw3ip"

[[l2]]
port = "l2"
vlan = 31
tunnel = "pw3udp"

[[tunnel]]
name = "l2tp2v6"
type = "l2tpv2"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
tunnel_id = 102
session_id = 202
peer_tunnel_id = 302
peer_session_id = 402
udp6_zero_csum_rx = true

[[route]]
prefix = "10.9.0.0/16"
tunnel = "l2tp2v6"

[[tunnel]]
name = "pw3udp6"
type = "l2tpv3"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
session_id = 4099
peer_session_id = 8195
cookie = "0xcafef00d"

[[l2]]
port = "l2"
vlan = 33
tunnel = "pw3udp6"

[[nexthop]]
ip = "` + peer6 + `"
mac = "` + uplinkPeer + `"
port = "uplink"

[[tunnel]]
name = "gre6"
type = "gre"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
key = 7
checksum = true

[[route]]
prefix = "10.6.0.0/16"
tunnel = "gre6"

[[tunnel]]
name = "vx6"
type = "vxlan"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
vni = 600

[[l2]]
port = "l2"
vlan = 600
tunnel = "vx6"

[[tunnel]]
name = "vx6z"
type = "vxlan"
local = "` + uplink6 + `"
remote = "` + peer6 + `"
vni = 601
udp6_zero_csum_tx = true
udp6_zero_csum_rx = true

[[l2]]
port = "l2"
vlan = 601
tunnel = "vx6z"

[[route]]
prefix = "10.2.0.0/16"
tunnel = "gre1"

[[route]]
prefix = "2001:db8:2::/48"
tunnel = "gre1"

[[route]]
prefix = "10.3.0.0/16"
tunnel = "gre2"

[[route]]
prefix = "::/0"
tunnel = "gre2"

[[route]]
prefix = "10.99.0.0/16"
via = "10.1.0.2"

[[l2]]
port = "l2"
tunnel = "vx1"

[[l2]]
port = "l2"
vlan = 10
tunnel = "vx2"
` + srv6Conf + espFuzzConf // SRv6 tunnels and a SID of each behaviour; ESP

// espFuzzConf: NULL-ESP SAs (no ICV, so mutated plaintext reaches the
// decrypted-packet path) and GRE tunnel gres protected by one of them.
const espFuzzConf = `
[[crypto]]
name = "fzc"
vdev = "crypto_null_fz%[1]d"

[[sa]]
name = "fz-out"
spi = 0x7001
dir = "out"
local = "192.0.2.1"
remote = "192.0.2.2"
cipher = "null"
auth = "null"

[[sa]]
name = "fz-in"
spi = 0x7002
dir = "in"
local = "192.0.2.1"
remote = "192.0.2.2"
cipher = "null"
auth = "null"

[[tunnel]]
name = "gres"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.5"
nexthop = "192.0.2.2"
key = 99
sa = "fz-out"

[[route]]
prefix = "10.66.0.0/16"
tunnel = "gres"
`

// nullESP is the frame the peer sends for payload (an IPv4 packet) in
// SA fz-in: ESP with NULL encryption and integrity (RFC 4303 2, RFC 2410).
func nullESP(payload []byte, seq uint32) []byte {
	esp := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 0x7002), seq)
	esp = append(esp, payload...)
	pad := (4 - (len(payload)+2)%4) % 4
	for i := range pad {
		esp = append(esp, byte(i+1))
	}
	esp = append(esp, byte(pad), 4)
	eth := &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(uplinkMAC), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolESP,
		SrcIP: netip.MustParseAddr("192.0.2.2").AsSlice(), DstIP: netip.MustParseAddr("192.0.2.1").AsSlice()}
	b := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, gopacket.Payload(esp)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

var fuzzPorts = [4]string{"inner", "uplink", "l2", "uplink"}

// fuzzMaxFrame bounds an input (the largest IPv4 packet and some): longer
// ones are cut, so that a mutator's growth does not slow every execution.
const fuzzMaxFrame = 65535 + 14 + 64

type fuzzGateway struct {
	g    *Gateway
	size int
}

func newFuzzGateway(f testing.TB) *fuzzGateway {
	if fl := flag.Lookup("test.fuzzworker"); fl != nil && fl.Value.String() == "true" {
		// EAL pinned this process's control thread to CPU 0, as every other worker's
		if err := UnpinControlThread(); err != nil {
			f.Fatal(err)
		}
	}
	cfg, err := conf.Parse([]byte(fmt.Sprintf(fuzzConf, rigSeq.Add(1))), "fuzz.toml")
	if err != nil {
		f.Fatal(err)
	}
	g, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	if err := g.StartPortsOnly(); err != nil {
		g.Close()
		f.Fatal(err)
	}
	if err := g.ArmTapAll(); err != nil {
		f.Fatal(err)
	}
	fz := &fuzzGateway{g: g}
	avail, size := g.PoolAvail()
	if avail != size {
		f.Fatalf("fresh pool: %d of %d mbufs", avail, size)
	}
	fz.size = size
	f.Cleanup(func() {
		if err := g.StopPortsOnly(); err != nil {
			f.Error(err)
		}
		if err := g.Close(); err != nil {
			f.Error(err) // ErrMbufLeak among others
		}
	})
	return fz
}

// fuzzSegments cuts data into the segments split asks for.
func fuzzSegments(data []byte, split uint16) [][]byte {
	first := int(split&0xfff) % (len(data) + 1)
	if first == 0 {
		return [][]byte{data}
	}
	sizes := [16]int{SegmentRoom, 1, 2, 3, 7, 8, 13, 40, 64, 100, 255, 256, 511, 1000, 1024, 1500}
	chunk := sizes[split>>12]
	if rest := len(data) - first; rest/chunk > 1000 { // bound the chain: 1000 mbufs
		chunk = rest/1000 + 1
	}
	segs := [][]byte{data[:first]}
	for rest := data[first:]; len(rest) > 0; {
		n := min(chunk, len(rest))
		segs = append(segs, rest[:n])
		rest = rest[n:]
	}
	return segs
}

// fuzzTotals are the counters the invariants compare, summed over workers.
type fuzzTotals struct {
	rx, tx, drops uint64
	drop          [fuzzDropMax]uint64
	arp, echo     uint64
	routed        uint64
	frags         uint64 // fragments made less packets fragmented
	txPort        [3]uint64
	sent, bad     uint64
}

func (fz *fuzzGateway) totals() (s fuzzTotals) {
	r := fz.g.raw()
	for i, p := range fz.g.Ports {
		s.rx += r.ports[p.ID].RxPkts
		s.tx += r.ports[p.ID].TxPkts
		if i < len(s.txPort) {
			s.txPort[i] = r.ports[p.ID].TxPkts
		}
	}
	for i, d := range r.drops {
		s.drops += d
		s.drop[i] = d
	}
	s.arp, s.echo, s.routed = r.arp, r.echo, r.routed
	s.frags = r.fragments - r.fragmented
	s.sent, s.bad, _ = fz.g.TxViolations()
	return s
}

// run processes one input and checks the invariants on what changed (so
// that a finding does not fail every input after it in this process, which
// would defeat minimization).
func (fz *fuzzGateway) run(t testing.TB, data []byte, port uint8, split uint16) {
	t.Helper()
	if err := fz.check(data, port, split); err != nil {
		t.Fatal(err)
	}
}

// check is run without a testing.TB (the libFuzzer driver calls it too).
func (fz *fuzzGateway) check(data []byte, port uint8, split uint16) error {
	if len(data) > fuzzMaxFrame {
		data = data[:fuzzMaxFrame]
	}
	segs := fuzzSegments(data, split)
	n := 1
	if port&0xc0 == 0xc0 {
		n = min(65, max(1, 4096/len(segs))) // at most 4096 mbufs: a quarter of the pool
	}
	pkts := make([][][]byte, n)
	for i := range pkts {
		pkts[i] = segs
	}
	in := int(port & 3)
	before := fz.totals()
	availBefore, _ := fz.g.PoolAvail()
	if err := fz.g.ProcessChains(fuzzPorts[in], pkts); err != nil {
		return err
	}
	avail, size := fz.g.PoolAvail()
	after := fz.totals()
	if avail != availBefore || avail != size {
		return fmt.Errorf("mbuf leak: %d of %d mbufs in the pool, %d before this input", avail, size, availBefore)
	}
	if live := ExtBufsLive(); live != 0 {
		return fmt.Errorf("%d guarded segment buffers not freed", live)
	}
	rx, tx, drops := after.rx-before.rx, after.tx-before.tx, after.drops-before.drops
	if rx != uint64(n) || rx+after.frags-before.frags != tx+drops {
		return fmt.Errorf("counters: rx %d (of %d) != tx %d + drops %d (%v)", rx, n, tx, drops, fuzzDropDelta(before, after))
	}
	if after.bad != before.bad {
		_, _, why := fz.g.TxViolations()
		return fmt.Errorf("tx check: %d bad frames of %d sent: %s", after.bad-before.bad, after.sent-before.sent, why)
	}
	if d := after.drop[fuzzNoTable] - before.drop[fuzzNoTable]; d != 0 {
		return fmt.Errorf("%d dropped as no_table", d)
	}
	// coverage of the C code: one Go branch per outcome, so that the
	// fuzzer keeps the inputs that reach a new one (64 per port and
	// chaining: drop reasons 0..51, replies 52..54, tx ports 56..58)
	multi := 0
	if len(segs) > 1 {
		multi = 1
	}
	for i := range after.drop {
		if after.drop[i] != before.drop[i] {
			fuzzEdge(((multi*4+in)*64 + i))
		}
	}
	for k, d := range [3]uint64{after.arp - before.arp, after.echo - before.echo, after.routed - before.routed} {
		if d != 0 {
			fuzzEdge((multi*4+in)*64 + 52 + k)
		}
	}
	for p := range after.txPort {
		if after.txPort[p] != before.txPort[p] {
			fuzzEdge((multi*4+in)*64 + 56 + p)
		}
	}
	return nil
}

// fuzzNoTable is the index of the no_table reason (not the last one).
var fuzzNoTable = slices.Index(DropNames, "no_table")

func init() {
	if len(DropNames) > 52 {
		panic("fuzz coverage edges: more than 52 drop reasons, widen the 64 per port in check")
	}
}

func fuzzDropDelta(a, b fuzzTotals) map[string]uint64 {
	m := map[string]uint64{}
	for i := range a.drop {
		if d := b.drop[i] - a.drop[i]; d != 0 {
			m[DropNames[i]] = d
		}
	}
	return m
}

type fuzzSeed struct {
	data  []byte
	port  uint8
	split uint16
}

// fuzzSeeds: the project's frames on the ports they are for, cut a few ways;
// every capture frame on the inner and the uplink port, as captured and
// readdressed (Ethernet destination the port's MAC, IPv4 source the peer,
// destination the gateway, checksums fixed).
func fuzzSeeds(f testing.TB) []fuzzSeed {
	var seeds []fuzzSeed
	add := func(port string, fr []byte, splits ...uint16) {
		for i, name := range fuzzPorts[:3] {
			if name == port {
				seeds = append(seeds, fuzzSeed{fr, uint8(i), 0})
				for _, s := range splits {
					seeds = append(seeds, fuzzSeed{fr, uint8(i), s})
				}
			}
		}
	}
	// the project's own frames
	add("uplink", greFrame(), 14, 34, 0x1000|20, 0x3000|42)
	// GRE over IPsec: into gres and out of it inside fz-in's NULL ESP, and gres's clear GRE
	toGres := innerFlow()
	toGres.Dst = netip.MustParseAddr("10.66.0.9")
	add("inner", pktgen.Frame(toGres, 100, 1), 14)
	gres := greOuter{src: "192.0.2.5", dst: "192.0.2.1"}
	gres.gre.KeyPresent, gres.gre.Key = true, 99
	add("uplink", nullESP(gres.frame(returnPacket())[14:], 1), 34, 0x2000|46)
	add("uplink", gres.frame(returnPacket()))
	add("uplink", nullESP(returnPacket(), 2))
	add("uplink", vx1Frame(), 14, 42, 0x2000|50, 0x6000|34)
	add("inner", pktgen.Frame(innerFlow(), 100, 1), 14, 0x3000|14)
	fl6 := innerFlow()
	fl6.Src, fl6.Dst = netip.MustParseAddr("2001:db8:1::2"), netip.MustParseAddr("2001:db8:2::7")
	add("inner", pktgen.Frame(fl6, 100, 1), 20, 0x5000|54)
	fl6.Dst = netip.MustParseAddr("2001:db8:77::1") // ::/0 -> gre2
	add("inner", pktgen.Frame(fl6, 1400, 2), 0x9000|60)
	to3 := innerFlow()
	to3.Dst = netip.MustParseAddr("10.3.0.9")
	add("inner", pktgen.Frame(to3, 3000, 1), 0xd000|100) // 3 kB: a chain, into gre2 (ttl 1)
	jumbo := innerFlow()
	add("inner", pktgen.Frame(jumbo, 8000, 1), 0x1000|2047, 0xf000|1) // a chain into gre1: GRE checksum over segments
	toNH := innerFlow()
	toNH.Dst = netip.MustParseAddr("10.99.3.4")
	add("inner", pktgen.Frame(toNH, 60, 1), 0)
	add("inner", arpFrame(1, innerPeer, "10.1.0.2", "10.1.0.1"), 30)
	add("uplink", arpFrame(1, uplinkPeer, "192.0.2.2", "192.0.2.1"))
	add("l2", pktgen.Frame(l2Flow(), 40, 1), 14, 0x2000|18)
	vl := l2Flow()
	vl.VLAN = 10
	add("l2", pktgen.Frame(vl, 1200, 1), 0x8000|30)
	add("l2", pktgen.Frame(vl, 3000, 1)) // a chain over the MTU
	gre2 := greOuter{src: "192.0.2.3", dst: "198.51.100.1"}
	add("uplink", gre2.frame(returnPacket()), 24)
	csum := gre1Outer()
	csum.gre.ChecksumPresent = true
	add("uplink", csum.frame(ipPacket(pktgen.Frame(returnFlow(), 3000, 1))), 0x1000|1, 0x5000|38, 0xb000|41)
	ret6 := returnFlow()
	ret6.Src, ret6.Dst = netip.MustParseAddr("2001:db8:2::7"), netip.MustParseAddr("2001:db8:1::2")
	add("uplink", gre1Outer().frame(ipPacket(pktgen.Frame(ret6, 64, 1))), 60)
	back := returnFlow()
	back.Dst = netip.MustParseAddr("10.99.0.1")
	add("uplink", gre1Outer().frame(ipPacket(pktgen.Frame(back, 64, 1))))
	vx2 := vxlanOuter{src: "192.0.2.4", dst: "192.0.2.1", vni: 200, dport: 8472, tos: 3}
	add("uplink", vx2.frame(pktgen.Frame(l2Flow(), 40, 1)), 0x4000|50)
	vx2.noCsum = true
	add("uplink", vx2.frame(pktgen.Frame(vl, 1400, 1)))
	ce := gre1Outer()
	ce.tos = 3
	add("uplink", ce.frame(returnPacket()))
	echo := serialize(f, &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(uplinkMAC), EthernetType: layers.EthernetTypeIPv4},
		&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4,
			SrcIP: netip.MustParseAddr("192.0.2.2").AsSlice(), DstIP: netip.MustParseAddr("198.51.100.1").AsSlice()},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1},
		gopacket.Payload(make([]byte, 3000)))
	add("uplink", echo, 0x7000|34)
	// L2TP: a session's data messages with every optional field, pseudowires over IP and UDP
	l2tpBack := ipPacket(pktgen.Frame(returnFlow(), 100, 1))
	add("uplink", l2tpPeer{}.udp(v2msg{l: true, s: true, o: true, offset: 3, tid: 100, sid: 200, ppp: pppFor(l2tpBack)}.bytes(l2tpBack)), 42, 0x2000|46)
	add("uplink", l2tpPeer{}.udp(v2msg{tid: 100, sid: 200, ppp: []byte{0x21}}.bytes(l2tpBack)))
	add("uplink", v3specs[0].frame(pktgen.Frame(l2Flow(), 60, 1), nil), 0x1000|38)
	add("uplink", v3spec{udp: true, sid: 4097, cookie: "1112131415161718", sublayer: true}.frame(pktgen.Frame(l2Flow(), 60, 1), binary.BigEndian.AppendUint32(nil, 0x40000007)), 50)
	to7 := innerFlow()
	to7.Dst = netip.MustParseAddr("10.7.0.9")
	add("inner", pktgen.Frame(to7, 200, 1), 14)
	add("uplink", l2tpPeer{v6: true}.udp(v2msg{s: true, tid: 102, sid: 202, ppp: pppFor(l2tpBack)}.bytes(l2tpBack)), 62, 0x1000|70)
	add("uplink", l2tpPeer{v6: true, zeroCsum: true}.udp(v2msg{o: true, offset: 1, tid: 102, sid: 202, ppp: pppFor(l2tpBack)}.bytes(l2tpBack)))
	add("uplink", v3specs[3].frame(pktgen.Frame(l2Flow(), 100, 1), nil), 0x2000|66)
	to9 := innerFlow()
	to9.Dst = netip.MustParseAddr("10.9.0.9")
	add("inner", pktgen.Frame(to9, 300, 1))
	for _, vid := range []uint16{30, 31, 33} {
		vf := l2Flow()
		vf.VLAN = vid
		add("l2", pktgen.Frame(vf, 300, 1), 0x3000|18)
	}
	// IPv6 underlay: GRE and VXLAN, ND, echo, extension headers
	back6 := returnFlow()
	back6.Src = netip.MustParseAddr("10.6.0.9")
	add("uplink", gre6Frame(ipPacket(pktgen.Frame(back6, 200, 1)), 7, 1), 54, 0x2000|58)
	add("uplink", insertExt6(gre6Frame(ipPacket(pktgen.Frame(back6, 64, 1)), 7, 0), 60, []byte{1, 4, 0, 0, 0, 0}), 60)
	add("uplink", vxlan6Frame(pktgen.Frame(l2Flow(), 300, 1), 600, false), 62, 0x3000|70)
	add("uplink", vxlan6Frame(pktgen.Frame(l2Flow(), 64, 1), 601, true))
	add("uplink", ns(peer6, "ff02::1:ff00:1", uplink6, 255, true), 60)
	add("uplink", ns("::", "ff02::1:ff00:1", uplink6, 255, false))
	to6 := innerFlow()
	to6.Dst = netip.MustParseAddr("10.6.0.3")
	add("inner", pktgen.Frame(to6, 500, 1), 0x4000|20)
	vl6 := l2Flow()
	vl6.VLAN = 600
	add("l2", pktgen.Frame(vl6, 700, 1), 0x2000|30)
	vl6.VLAN = 601
	add("l2", pktgen.Frame(vl6, 100, 1))
	for _, c := range malformedCases() {
		add(c.port, c.frame(), 0x1000|uint16(14+20))
	}
	for _, c := range sidCases() {
		add("uplink", c.in, 0x1000|(14+40+4))
	}
	for _, c := range icmpCases() {
		add("uplink", c.in, 0x3000|(14+40+8))
	}
	// the captures, on both sides
	var files []string
	for _, dir := range []string{"testdata/captures", "../../shared/captures", "../../shared/captures/malformed"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
		files = append(files, m...)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	for _, file := range files {
		frames, err := readAnyCapture(file)
		if err != nil {
			f.Logf("seed %s: %v", file, err)
			continue
		}
		for _, fr := range frames {
			for i, port := range []string{"inner", "uplink"} {
				for _, v := range [][]byte{fr, readdress(fr, i == 1)} {
					key := fmt.Sprintf("%d:%x", i, v)
					if !seen[key] {
						seen[key] = true
						add(port, v)
					}
				}
			}
		}
	}
	if testing.Verbose() {
		f.Logf("%d seeds (captures from %d files)", len(seeds), len(files))
	}
	return seeds
}

// readAnyCapture reads a pcap, giving frames of raw IP link types an
// Ethernet header (type from the IP version).
func readAnyCapture(path string) ([][]byte, error) {
	frames, err := pktgen.ReadPcap(path)
	if err != nil {
		return nil, err
	}
	head, err := os.ReadFile(path)
	if err != nil || len(head) < 24 {
		return frames, err
	}
	var lt uint32
	switch binary.LittleEndian.Uint32(head) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		lt = binary.LittleEndian.Uint32(head[20:])
	case 0xd4c3b2a1, 0x4d3cb2a1:
		lt = binary.BigEndian.Uint32(head[20:])
	}
	switch lt & 0x0fffffff {
	case 101, 228, 229: // LINKTYPE_RAW, IPV4, IPV6
		for i, fr := range frames {
			et := uint16(0x86dd)
			if len(fr) > 0 && fr[0]>>4 == 4 {
				et = 0x0800
			}
			eth := make([]byte, 14, 14+len(fr))
			copy(eth[6:], mac(innerPeer))
			binary.BigEndian.PutUint16(eth[12:], et)
			frames[i] = append(eth, fr...)
		}
	}
	return frames, nil
}

// readdress makes a captured frame the gateway's: Ethernet destination the
// port's MAC (past a VLAN tag too); on the uplink an outer IPv4 source of the
// GRE peer and destination of the gateway, header checksum fixed and a UDP
// checksum zeroed (VXLAN accepts zero); inside, the destination into gre1.
func readdress(fr []byte, uplink bool) []byte {
	fr = append([]byte(nil), fr...)
	if len(fr) < 14 {
		return fr
	}
	if uplink {
		copy(fr, mac(uplinkMAC))
	} else {
		copy(fr, mac(innerMAC))
	}
	l3 := 14
	if binary.BigEndian.Uint16(fr[12:]) == 0x8100 && len(fr) >= 18 {
		copy(fr[12:], fr[16:18]) // untag
		fr = append(fr[:14], fr[18:]...)
	}
	if binary.BigEndian.Uint16(fr[12:]) != 0x0800 || len(fr) < l3+20 {
		return fr
	}
	hl := int(fr[l3]&0xf) * 4
	if hl < 20 || len(fr) < l3+hl {
		return fr
	}
	if uplink {
		copy(fr[l3+12:], []byte{192, 0, 2, 2})
		copy(fr[l3+16:], []byte{192, 0, 2, 1})
		if fr[l3+9] == 17 && len(fr) >= l3+hl+8 {
			fr[l3+hl+6], fr[l3+hl+7] = 0, 0
		}
	} else {
		copy(fr[l3+16:], []byte{10, 2, 0, 7})
	}
	return fixIPv4(fr)
}

// TestChecksumOddSegments: checksums over chains whose segments have odd
// lengths, the first finding of FuzzPacketPath. DPDK 22.11's
// rte_raw_cksum_mbuf truncated the sum of a segment starting at an odd byte,
// so that gre1 (checksum = true) sent wrong GRE checksums and valid GRE,
// VXLAN (UDP) and ICMP checksums were dropped as wrong. Now each is carried
// (the tx check in run verifies what gre1 sends) and none is dropped.
func TestChecksumOddSegments(t *testing.T) {
	fz := newFuzzGateway(t)
	withCsum := gre1Outer()
	withCsum.gre.ChecksumPresent = true
	echo := serialize(t, &layers.Ethernet{SrcMAC: mac(uplinkPeer), DstMAC: mac(uplinkMAC), EthernetType: layers.EthernetTypeIPv4},
		&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4,
			SrcIP: netip.MustParseAddr("192.0.2.2").AsSlice(), DstIP: netip.MustParseAddr("192.0.2.1").AsSlice()},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1},
		gopacket.Payload(make([]byte, 3000)))
	for _, c := range []struct {
		name  string
		port  uint8
		frame []byte
	}{
		{"gre_encap", 0, pktgen.Frame(innerFlow(), 3000, 1)},
		{"gre_decap", 1, withCsum.frame(ipPacket(pktgen.Frame(returnFlow(), 1400, 1)))},
		{"vxlan_decap", 1, vxlanOuter{src: "192.0.2.2", dst: "192.0.2.1", vni: 100}.frame(pktgen.Frame(l2Flow(), 1400, 1))},
		{"echo", 1, echo},
	} {
		// the first segment holds every header the path reads (inner IPv4 too),
		// and an odd number of the bytes summed: the segments after it start odd
		for _, split := range []uint16{0, 0x1000 | 2047, 0x3000 | 71, 0x4000 | 73, 0x5000 | 75, 0x6000 | 101} {
			before := fz.totals()
			fz.run(t, c.frame, c.port, split)
			after := fz.totals()
			if d := fuzzDropDelta(before, after); len(d) != 0 {
				t.Errorf("%s, split %#x into %d segments: dropped %v", c.name, split, len(fuzzSegments(c.frame, split)), d)
			}
		}
	}
}

// TestFuzzSegments: the cuts the split input asks for.
func TestFuzzSegments(t *testing.T) {
	data := make([]byte, 5000)
	for _, c := range []struct {
		split uint16
		want  []int
	}{
		{0, []int{5000}},
		{0x2000, []int{5000}}, // no first segment: the size of the others does not matter
		{14, []int{14, 2048, 2048, 890}},
		{0x1000 | 4095, []int{4095 % 5001}},
	} {
		var got []int
		for _, s := range fuzzSegments(data, c.split) {
			got = append(got, len(s))
		}
		if c.split == 0x1000|4095 {
			if len(got) != 1+5000-4095 || got[0] != 4095 {
				t.Fatalf("split %#x: %d segments, first %d", c.split, len(got), got[0])
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Fatalf("split %#x: %v, want %v", c.split, got, c.want)
		}
	}
	if n := len(fuzzSegments(make([]byte, 65535), 0x1000|1)); n > 1002 {
		t.Fatalf("%d segments: the chain is not bounded", n)
	}
}

// fuzzEdge gives each outcome of an input its own basic block: Go's fuzzer
// sees coverage of Go code only, and the C packet path is not Go.
var fuzzEdges [512]uint32

func fuzzEdge(id int) {
	switch id {
	case 0:
		fuzzEdges[0]++
	case 1:
		fuzzEdges[1]++
	case 2:
		fuzzEdges[2]++
	case 3:
		fuzzEdges[3]++
	case 4:
		fuzzEdges[4]++
	case 5:
		fuzzEdges[5]++
	case 6:
		fuzzEdges[6]++
	case 7:
		fuzzEdges[7]++
	case 8:
		fuzzEdges[8]++
	case 9:
		fuzzEdges[9]++
	case 10:
		fuzzEdges[10]++
	case 11:
		fuzzEdges[11]++
	case 12:
		fuzzEdges[12]++
	case 13:
		fuzzEdges[13]++
	case 14:
		fuzzEdges[14]++
	case 15:
		fuzzEdges[15]++
	case 16:
		fuzzEdges[16]++
	case 17:
		fuzzEdges[17]++
	case 18:
		fuzzEdges[18]++
	case 19:
		fuzzEdges[19]++
	case 20:
		fuzzEdges[20]++
	case 21:
		fuzzEdges[21]++
	case 22:
		fuzzEdges[22]++
	case 23:
		fuzzEdges[23]++
	case 24:
		fuzzEdges[24]++
	case 25:
		fuzzEdges[25]++
	case 26:
		fuzzEdges[26]++
	case 27:
		fuzzEdges[27]++
	case 28:
		fuzzEdges[28]++
	case 29:
		fuzzEdges[29]++
	case 30:
		fuzzEdges[30]++
	case 31:
		fuzzEdges[31]++
	case 32:
		fuzzEdges[32]++
	case 33:
		fuzzEdges[33]++
	case 34:
		fuzzEdges[34]++
	case 35:
		fuzzEdges[35]++
	case 36:
		fuzzEdges[36]++
	case 37:
		fuzzEdges[37]++
	case 38:
		fuzzEdges[38]++
	case 39:
		fuzzEdges[39]++
	case 40:
		fuzzEdges[40]++
	case 41:
		fuzzEdges[41]++
	case 42:
		fuzzEdges[42]++
	case 43:
		fuzzEdges[43]++
	case 44:
		fuzzEdges[44]++
	case 45:
		fuzzEdges[45]++
	case 46:
		fuzzEdges[46]++
	case 47:
		fuzzEdges[47]++
	case 48:
		fuzzEdges[48]++
	case 49:
		fuzzEdges[49]++
	case 50:
		fuzzEdges[50]++
	case 51:
		fuzzEdges[51]++
	case 52:
		fuzzEdges[52]++
	case 53:
		fuzzEdges[53]++
	case 54:
		fuzzEdges[54]++
	case 55:
		fuzzEdges[55]++
	case 56:
		fuzzEdges[56]++
	case 57:
		fuzzEdges[57]++
	case 58:
		fuzzEdges[58]++
	case 59:
		fuzzEdges[59]++
	case 60:
		fuzzEdges[60]++
	case 61:
		fuzzEdges[61]++
	case 62:
		fuzzEdges[62]++
	case 63:
		fuzzEdges[63]++
	case 64:
		fuzzEdges[64]++
	case 65:
		fuzzEdges[65]++
	case 66:
		fuzzEdges[66]++
	case 67:
		fuzzEdges[67]++
	case 68:
		fuzzEdges[68]++
	case 69:
		fuzzEdges[69]++
	case 70:
		fuzzEdges[70]++
	case 71:
		fuzzEdges[71]++
	case 72:
		fuzzEdges[72]++
	case 73:
		fuzzEdges[73]++
	case 74:
		fuzzEdges[74]++
	case 75:
		fuzzEdges[75]++
	case 76:
		fuzzEdges[76]++
	case 77:
		fuzzEdges[77]++
	case 78:
		fuzzEdges[78]++
	case 79:
		fuzzEdges[79]++
	case 80:
		fuzzEdges[80]++
	case 81:
		fuzzEdges[81]++
	case 82:
		fuzzEdges[82]++
	case 83:
		fuzzEdges[83]++
	case 84:
		fuzzEdges[84]++
	case 85:
		fuzzEdges[85]++
	case 86:
		fuzzEdges[86]++
	case 87:
		fuzzEdges[87]++
	case 88:
		fuzzEdges[88]++
	case 89:
		fuzzEdges[89]++
	case 90:
		fuzzEdges[90]++
	case 91:
		fuzzEdges[91]++
	case 92:
		fuzzEdges[92]++
	case 93:
		fuzzEdges[93]++
	case 94:
		fuzzEdges[94]++
	case 95:
		fuzzEdges[95]++
	case 96:
		fuzzEdges[96]++
	case 97:
		fuzzEdges[97]++
	case 98:
		fuzzEdges[98]++
	case 99:
		fuzzEdges[99]++
	case 100:
		fuzzEdges[100]++
	case 101:
		fuzzEdges[101]++
	case 102:
		fuzzEdges[102]++
	case 103:
		fuzzEdges[103]++
	case 104:
		fuzzEdges[104]++
	case 105:
		fuzzEdges[105]++
	case 106:
		fuzzEdges[106]++
	case 107:
		fuzzEdges[107]++
	case 108:
		fuzzEdges[108]++
	case 109:
		fuzzEdges[109]++
	case 110:
		fuzzEdges[110]++
	case 111:
		fuzzEdges[111]++
	case 112:
		fuzzEdges[112]++
	case 113:
		fuzzEdges[113]++
	case 114:
		fuzzEdges[114]++
	case 115:
		fuzzEdges[115]++
	case 116:
		fuzzEdges[116]++
	case 117:
		fuzzEdges[117]++
	case 118:
		fuzzEdges[118]++
	case 119:
		fuzzEdges[119]++
	case 120:
		fuzzEdges[120]++
	case 121:
		fuzzEdges[121]++
	case 122:
		fuzzEdges[122]++
	case 123:
		fuzzEdges[123]++
	case 124:
		fuzzEdges[124]++
	case 125:
		fuzzEdges[125]++
	case 126:
		fuzzEdges[126]++
	case 127:
		fuzzEdges[127]++
	case 128:
		fuzzEdges[128]++
	case 129:
		fuzzEdges[129]++
	case 130:
		fuzzEdges[130]++
	case 131:
		fuzzEdges[131]++
	case 132:
		fuzzEdges[132]++
	case 133:
		fuzzEdges[133]++
	case 134:
		fuzzEdges[134]++
	case 135:
		fuzzEdges[135]++
	case 136:
		fuzzEdges[136]++
	case 137:
		fuzzEdges[137]++
	case 138:
		fuzzEdges[138]++
	case 139:
		fuzzEdges[139]++
	case 140:
		fuzzEdges[140]++
	case 141:
		fuzzEdges[141]++
	case 142:
		fuzzEdges[142]++
	case 143:
		fuzzEdges[143]++
	case 144:
		fuzzEdges[144]++
	case 145:
		fuzzEdges[145]++
	case 146:
		fuzzEdges[146]++
	case 147:
		fuzzEdges[147]++
	case 148:
		fuzzEdges[148]++
	case 149:
		fuzzEdges[149]++
	case 150:
		fuzzEdges[150]++
	case 151:
		fuzzEdges[151]++
	case 152:
		fuzzEdges[152]++
	case 153:
		fuzzEdges[153]++
	case 154:
		fuzzEdges[154]++
	case 155:
		fuzzEdges[155]++
	case 156:
		fuzzEdges[156]++
	case 157:
		fuzzEdges[157]++
	case 158:
		fuzzEdges[158]++
	case 159:
		fuzzEdges[159]++
	case 160:
		fuzzEdges[160]++
	case 161:
		fuzzEdges[161]++
	case 162:
		fuzzEdges[162]++
	case 163:
		fuzzEdges[163]++
	case 164:
		fuzzEdges[164]++
	case 165:
		fuzzEdges[165]++
	case 166:
		fuzzEdges[166]++
	case 167:
		fuzzEdges[167]++
	case 168:
		fuzzEdges[168]++
	case 169:
		fuzzEdges[169]++
	case 170:
		fuzzEdges[170]++
	case 171:
		fuzzEdges[171]++
	case 172:
		fuzzEdges[172]++
	case 173:
		fuzzEdges[173]++
	case 174:
		fuzzEdges[174]++
	case 175:
		fuzzEdges[175]++
	case 176:
		fuzzEdges[176]++
	case 177:
		fuzzEdges[177]++
	case 178:
		fuzzEdges[178]++
	case 179:
		fuzzEdges[179]++
	case 180:
		fuzzEdges[180]++
	case 181:
		fuzzEdges[181]++
	case 182:
		fuzzEdges[182]++
	case 183:
		fuzzEdges[183]++
	case 184:
		fuzzEdges[184]++
	case 185:
		fuzzEdges[185]++
	case 186:
		fuzzEdges[186]++
	case 187:
		fuzzEdges[187]++
	case 188:
		fuzzEdges[188]++
	case 189:
		fuzzEdges[189]++
	case 190:
		fuzzEdges[190]++
	case 191:
		fuzzEdges[191]++
	case 192:
		fuzzEdges[192]++
	case 193:
		fuzzEdges[193]++
	case 194:
		fuzzEdges[194]++
	case 195:
		fuzzEdges[195]++
	case 196:
		fuzzEdges[196]++
	case 197:
		fuzzEdges[197]++
	case 198:
		fuzzEdges[198]++
	case 199:
		fuzzEdges[199]++
	case 200:
		fuzzEdges[200]++
	case 201:
		fuzzEdges[201]++
	case 202:
		fuzzEdges[202]++
	case 203:
		fuzzEdges[203]++
	case 204:
		fuzzEdges[204]++
	case 205:
		fuzzEdges[205]++
	case 206:
		fuzzEdges[206]++
	case 207:
		fuzzEdges[207]++
	case 208:
		fuzzEdges[208]++
	case 209:
		fuzzEdges[209]++
	case 210:
		fuzzEdges[210]++
	case 211:
		fuzzEdges[211]++
	case 212:
		fuzzEdges[212]++
	case 213:
		fuzzEdges[213]++
	case 214:
		fuzzEdges[214]++
	case 215:
		fuzzEdges[215]++
	case 216:
		fuzzEdges[216]++
	case 217:
		fuzzEdges[217]++
	case 218:
		fuzzEdges[218]++
	case 219:
		fuzzEdges[219]++
	case 220:
		fuzzEdges[220]++
	case 221:
		fuzzEdges[221]++
	case 222:
		fuzzEdges[222]++
	case 223:
		fuzzEdges[223]++
	case 224:
		fuzzEdges[224]++
	case 225:
		fuzzEdges[225]++
	case 226:
		fuzzEdges[226]++
	case 227:
		fuzzEdges[227]++
	case 228:
		fuzzEdges[228]++
	case 229:
		fuzzEdges[229]++
	case 230:
		fuzzEdges[230]++
	case 231:
		fuzzEdges[231]++
	case 232:
		fuzzEdges[232]++
	case 233:
		fuzzEdges[233]++
	case 234:
		fuzzEdges[234]++
	case 235:
		fuzzEdges[235]++
	case 236:
		fuzzEdges[236]++
	case 237:
		fuzzEdges[237]++
	case 238:
		fuzzEdges[238]++
	case 239:
		fuzzEdges[239]++
	case 240:
		fuzzEdges[240]++
	case 241:
		fuzzEdges[241]++
	case 242:
		fuzzEdges[242]++
	case 243:
		fuzzEdges[243]++
	case 244:
		fuzzEdges[244]++
	case 245:
		fuzzEdges[245]++
	case 246:
		fuzzEdges[246]++
	case 247:
		fuzzEdges[247]++
	case 248:
		fuzzEdges[248]++
	case 249:
		fuzzEdges[249]++
	case 250:
		fuzzEdges[250]++
	case 251:
		fuzzEdges[251]++
	case 252:
		fuzzEdges[252]++
	case 253:
		fuzzEdges[253]++
	case 254:
		fuzzEdges[254]++
	case 255:
		fuzzEdges[255]++
	case 256:
		fuzzEdges[256]++
	case 257:
		fuzzEdges[257]++
	case 258:
		fuzzEdges[258]++
	case 259:
		fuzzEdges[259]++
	case 260:
		fuzzEdges[260]++
	case 261:
		fuzzEdges[261]++
	case 262:
		fuzzEdges[262]++
	case 263:
		fuzzEdges[263]++
	case 264:
		fuzzEdges[264]++
	case 265:
		fuzzEdges[265]++
	case 266:
		fuzzEdges[266]++
	case 267:
		fuzzEdges[267]++
	case 268:
		fuzzEdges[268]++
	case 269:
		fuzzEdges[269]++
	case 270:
		fuzzEdges[270]++
	case 271:
		fuzzEdges[271]++
	case 272:
		fuzzEdges[272]++
	case 273:
		fuzzEdges[273]++
	case 274:
		fuzzEdges[274]++
	case 275:
		fuzzEdges[275]++
	case 276:
		fuzzEdges[276]++
	case 277:
		fuzzEdges[277]++
	case 278:
		fuzzEdges[278]++
	case 279:
		fuzzEdges[279]++
	case 280:
		fuzzEdges[280]++
	case 281:
		fuzzEdges[281]++
	case 282:
		fuzzEdges[282]++
	case 283:
		fuzzEdges[283]++
	case 284:
		fuzzEdges[284]++
	case 285:
		fuzzEdges[285]++
	case 286:
		fuzzEdges[286]++
	case 287:
		fuzzEdges[287]++
	case 288:
		fuzzEdges[288]++
	case 289:
		fuzzEdges[289]++
	case 290:
		fuzzEdges[290]++
	case 291:
		fuzzEdges[291]++
	case 292:
		fuzzEdges[292]++
	case 293:
		fuzzEdges[293]++
	case 294:
		fuzzEdges[294]++
	case 295:
		fuzzEdges[295]++
	case 296:
		fuzzEdges[296]++
	case 297:
		fuzzEdges[297]++
	case 298:
		fuzzEdges[298]++
	case 299:
		fuzzEdges[299]++
	case 300:
		fuzzEdges[300]++
	case 301:
		fuzzEdges[301]++
	case 302:
		fuzzEdges[302]++
	case 303:
		fuzzEdges[303]++
	case 304:
		fuzzEdges[304]++
	case 305:
		fuzzEdges[305]++
	case 306:
		fuzzEdges[306]++
	case 307:
		fuzzEdges[307]++
	case 308:
		fuzzEdges[308]++
	case 309:
		fuzzEdges[309]++
	case 310:
		fuzzEdges[310]++
	case 311:
		fuzzEdges[311]++
	case 312:
		fuzzEdges[312]++
	case 313:
		fuzzEdges[313]++
	case 314:
		fuzzEdges[314]++
	case 315:
		fuzzEdges[315]++
	case 316:
		fuzzEdges[316]++
	case 317:
		fuzzEdges[317]++
	case 318:
		fuzzEdges[318]++
	case 319:
		fuzzEdges[319]++
	case 320:
		fuzzEdges[320]++
	case 321:
		fuzzEdges[321]++
	case 322:
		fuzzEdges[322]++
	case 323:
		fuzzEdges[323]++
	case 324:
		fuzzEdges[324]++
	case 325:
		fuzzEdges[325]++
	case 326:
		fuzzEdges[326]++
	case 327:
		fuzzEdges[327]++
	case 328:
		fuzzEdges[328]++
	case 329:
		fuzzEdges[329]++
	case 330:
		fuzzEdges[330]++
	case 331:
		fuzzEdges[331]++
	case 332:
		fuzzEdges[332]++
	case 333:
		fuzzEdges[333]++
	case 334:
		fuzzEdges[334]++
	case 335:
		fuzzEdges[335]++
	case 336:
		fuzzEdges[336]++
	case 337:
		fuzzEdges[337]++
	case 338:
		fuzzEdges[338]++
	case 339:
		fuzzEdges[339]++
	case 340:
		fuzzEdges[340]++
	case 341:
		fuzzEdges[341]++
	case 342:
		fuzzEdges[342]++
	case 343:
		fuzzEdges[343]++
	case 344:
		fuzzEdges[344]++
	case 345:
		fuzzEdges[345]++
	case 346:
		fuzzEdges[346]++
	case 347:
		fuzzEdges[347]++
	case 348:
		fuzzEdges[348]++
	case 349:
		fuzzEdges[349]++
	case 350:
		fuzzEdges[350]++
	case 351:
		fuzzEdges[351]++
	case 352:
		fuzzEdges[352]++
	case 353:
		fuzzEdges[353]++
	case 354:
		fuzzEdges[354]++
	case 355:
		fuzzEdges[355]++
	case 356:
		fuzzEdges[356]++
	case 357:
		fuzzEdges[357]++
	case 358:
		fuzzEdges[358]++
	case 359:
		fuzzEdges[359]++
	case 360:
		fuzzEdges[360]++
	case 361:
		fuzzEdges[361]++
	case 362:
		fuzzEdges[362]++
	case 363:
		fuzzEdges[363]++
	case 364:
		fuzzEdges[364]++
	case 365:
		fuzzEdges[365]++
	case 366:
		fuzzEdges[366]++
	case 367:
		fuzzEdges[367]++
	case 368:
		fuzzEdges[368]++
	case 369:
		fuzzEdges[369]++
	case 370:
		fuzzEdges[370]++
	case 371:
		fuzzEdges[371]++
	case 372:
		fuzzEdges[372]++
	case 373:
		fuzzEdges[373]++
	case 374:
		fuzzEdges[374]++
	case 375:
		fuzzEdges[375]++
	case 376:
		fuzzEdges[376]++
	case 377:
		fuzzEdges[377]++
	case 378:
		fuzzEdges[378]++
	case 379:
		fuzzEdges[379]++
	case 380:
		fuzzEdges[380]++
	case 381:
		fuzzEdges[381]++
	case 382:
		fuzzEdges[382]++
	case 383:
		fuzzEdges[383]++
	case 384:
		fuzzEdges[384]++
	case 385:
		fuzzEdges[385]++
	case 386:
		fuzzEdges[386]++
	case 387:
		fuzzEdges[387]++
	case 388:
		fuzzEdges[388]++
	case 389:
		fuzzEdges[389]++
	case 390:
		fuzzEdges[390]++
	case 391:
		fuzzEdges[391]++
	case 392:
		fuzzEdges[392]++
	case 393:
		fuzzEdges[393]++
	case 394:
		fuzzEdges[394]++
	case 395:
		fuzzEdges[395]++
	case 396:
		fuzzEdges[396]++
	case 397:
		fuzzEdges[397]++
	case 398:
		fuzzEdges[398]++
	case 399:
		fuzzEdges[399]++
	case 400:
		fuzzEdges[400]++
	case 401:
		fuzzEdges[401]++
	case 402:
		fuzzEdges[402]++
	case 403:
		fuzzEdges[403]++
	case 404:
		fuzzEdges[404]++
	case 405:
		fuzzEdges[405]++
	case 406:
		fuzzEdges[406]++
	case 407:
		fuzzEdges[407]++
	case 408:
		fuzzEdges[408]++
	case 409:
		fuzzEdges[409]++
	case 410:
		fuzzEdges[410]++
	case 411:
		fuzzEdges[411]++
	case 412:
		fuzzEdges[412]++
	case 413:
		fuzzEdges[413]++
	case 414:
		fuzzEdges[414]++
	case 415:
		fuzzEdges[415]++
	case 416:
		fuzzEdges[416]++
	case 417:
		fuzzEdges[417]++
	case 418:
		fuzzEdges[418]++
	case 419:
		fuzzEdges[419]++
	case 420:
		fuzzEdges[420]++
	case 421:
		fuzzEdges[421]++
	case 422:
		fuzzEdges[422]++
	case 423:
		fuzzEdges[423]++
	case 424:
		fuzzEdges[424]++
	case 425:
		fuzzEdges[425]++
	case 426:
		fuzzEdges[426]++
	case 427:
		fuzzEdges[427]++
	case 428:
		fuzzEdges[428]++
	case 429:
		fuzzEdges[429]++
	case 430:
		fuzzEdges[430]++
	case 431:
		fuzzEdges[431]++
	case 432:
		fuzzEdges[432]++
	case 433:
		fuzzEdges[433]++
	case 434:
		fuzzEdges[434]++
	case 435:
		fuzzEdges[435]++
	case 436:
		fuzzEdges[436]++
	case 437:
		fuzzEdges[437]++
	case 438:
		fuzzEdges[438]++
	case 439:
		fuzzEdges[439]++
	case 440:
		fuzzEdges[440]++
	case 441:
		fuzzEdges[441]++
	case 442:
		fuzzEdges[442]++
	case 443:
		fuzzEdges[443]++
	case 444:
		fuzzEdges[444]++
	case 445:
		fuzzEdges[445]++
	case 446:
		fuzzEdges[446]++
	case 447:
		fuzzEdges[447]++
	case 448:
		fuzzEdges[448]++
	case 449:
		fuzzEdges[449]++
	case 450:
		fuzzEdges[450]++
	case 451:
		fuzzEdges[451]++
	case 452:
		fuzzEdges[452]++
	case 453:
		fuzzEdges[453]++
	case 454:
		fuzzEdges[454]++
	case 455:
		fuzzEdges[455]++
	case 456:
		fuzzEdges[456]++
	case 457:
		fuzzEdges[457]++
	case 458:
		fuzzEdges[458]++
	case 459:
		fuzzEdges[459]++
	case 460:
		fuzzEdges[460]++
	case 461:
		fuzzEdges[461]++
	case 462:
		fuzzEdges[462]++
	case 463:
		fuzzEdges[463]++
	case 464:
		fuzzEdges[464]++
	case 465:
		fuzzEdges[465]++
	case 466:
		fuzzEdges[466]++
	case 467:
		fuzzEdges[467]++
	case 468:
		fuzzEdges[468]++
	case 469:
		fuzzEdges[469]++
	case 470:
		fuzzEdges[470]++
	case 471:
		fuzzEdges[471]++
	case 472:
		fuzzEdges[472]++
	case 473:
		fuzzEdges[473]++
	case 474:
		fuzzEdges[474]++
	case 475:
		fuzzEdges[475]++
	case 476:
		fuzzEdges[476]++
	case 477:
		fuzzEdges[477]++
	case 478:
		fuzzEdges[478]++
	case 479:
		fuzzEdges[479]++
	case 480:
		fuzzEdges[480]++
	case 481:
		fuzzEdges[481]++
	case 482:
		fuzzEdges[482]++
	case 483:
		fuzzEdges[483]++
	case 484:
		fuzzEdges[484]++
	case 485:
		fuzzEdges[485]++
	case 486:
		fuzzEdges[486]++
	case 487:
		fuzzEdges[487]++
	case 488:
		fuzzEdges[488]++
	case 489:
		fuzzEdges[489]++
	case 490:
		fuzzEdges[490]++
	case 491:
		fuzzEdges[491]++
	case 492:
		fuzzEdges[492]++
	case 493:
		fuzzEdges[493]++
	case 494:
		fuzzEdges[494]++
	case 495:
		fuzzEdges[495]++
	case 496:
		fuzzEdges[496]++
	case 497:
		fuzzEdges[497]++
	case 498:
		fuzzEdges[498]++
	case 499:
		fuzzEdges[499]++
	case 500:
		fuzzEdges[500]++
	case 501:
		fuzzEdges[501]++
	case 502:
		fuzzEdges[502]++
	case 503:
		fuzzEdges[503]++
	case 504:
		fuzzEdges[504]++
	case 505:
		fuzzEdges[505]++
	case 506:
		fuzzEdges[506]++
	case 507:
		fuzzEdges[507]++
	case 508:
		fuzzEdges[508]++
	case 509:
		fuzzEdges[509]++
	case 510:
		fuzzEdges[510]++
	case 511:
		fuzzEdges[511]++
	}
}
