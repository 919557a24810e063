package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"tunfwd/pktgen"
)

// The soak (issue 7): tunfwd runs for a long time on a mixed, partly
// malformed input through every tunnel type, from three net_pcap infinite_rx
// ports at once (routed inner, bridged inner, underlay), each sending to
// /dev/null. At the end it must have stopped cleanly on SIGINT with the pool
// whole, every received packet sent or dropped under a reason, every tunnel
// used both ways, every malformed kind dropped under its reason, and a
// resident set that stopped growing once warm.
//
//	go run ./bench -soak 10m        (make soak SOAK=10m)

const (
	soakLocal6 = "2001:db8:ff::1"
	soakPeer6  = "2001:db8:ff::2"
)

// SoakResult is what build/bench/soak.json holds.
type SoakResult struct {
	Duration     string            `json:"duration"`
	Seconds      float64           `json:"seconds"`
	Huge         bool              `json:"hugepages"`
	RxPackets    uint64            `json:"rx_packets"`
	TxPackets    uint64            `json:"tx_packets"`
	Dropped      uint64            `json:"dropped"`
	Fragmented   uint64            `json:"fragmented"`
	Fragments    uint64            `json:"fragments"`
	Drops        map[string]uint64 `json:"drops"`
	Tunnels      []soakTunnel      `json:"tunnels"`
	SAs          []soakSA          `json:"sas"`
	SIDs         []soakSIDCount    `json:"sids"`
	ICMPErrors   map[string]uint64 `json:"icmp_errors"`
	Replies      map[string]uint64 `json:"replies"`
	Mempool      [2]int            `json:"mempool"` // available, size
	RSSkB        []int             `json:"rss_kb"`  // VmRSS samples, one per sample period
	RSSWarmkB    int               `json:"rss_warm_kb"`
	RSSEndkB     int               `json:"rss_end_kb"`
	ExitCode     int               `json:"exit_code"`
	StopSeconds  float64           `json:"stop_seconds"` // SIGINT to exit
	Checks       []soakCheck       `json:"checks"`
	Note         string            `json:"note,omitempty"`
	InputsFrames map[string]int    `json:"input_frames"`
}

type soakTunnel struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	EncapPkts uint64 `json:"encap_packets"`
	DecapPkts uint64 `json:"decap_packets"`
}

type soakSA struct {
	Name    string `json:"name"`
	Dir     string `json:"dir"`
	Packets uint64 `json:"packets"`
	Errors  uint64 `json:"errors"`
}

type soakSIDCount struct {
	SID      string `json:"sid"`
	Behavior string `json:"behavior"`
	Pkts     uint64 `json:"packets"`
}

type soakCheck struct {
	What string `json:"what"`
	OK   bool   `json:"ok"`
}

// soakSummary is the part of tunfwd's --stats-json the soak reads.
type soakSummary struct {
	tunfwdSummary
	Tunnels []soakTunnel      `json:"tunnels"`
	SAs     []soakSA          `json:"sas"`
	SIDs    []soakSIDCount    `json:"sids"`
	ICMP    map[string]uint64 `json:"icmp_errors"`
	ARP     uint64            `json:"arp_replies"`
	ND      uint64            `json:"nd_replies"`
	Echo    uint64            `json:"echo_replies"`
	Routed  uint64            `json:"routed"`
	Frags   uint64            `json:"fragmented"`
	FragsTo uint64            `json:"fragments"`
}

// soakExpectDrops are the reasons the malformed part of the input must hit.
var soakExpectDrops = []string{"truncated", "bad_ip_checksum", "bad_ip_length", "fragment",
	"unknown_tunnel", "bad_gre_header", "bad_vxlan_header", "bad_udp_checksum", "no_route",
	"no_l2_binding", "not_local",
	"esp_auth_failed", "esp_no_sa", "srh_truncated", "l2tp_control", "bad_l2tp_version", "bad_l2tp_cookie"}

// soakExpectHandled: malformed SRHs are answered with ICMPv6 errors (rate
// limited: the rest are dropped), so each reason shows in one or the other.
// TTL expiry gets ICMP errors the same way (icmp.c).
var soakExpectHandled = []string{"srh_bad_last_entry", "srh_bad_segments_left", "srv6_segments_left",
	"ttl_expired"}

func soak(o options, d time.Duration, stdout, stderr io.Writer) error {
	dir := filepath.Join(o.out, "soak")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	inputs := soakInputs()
	res := SoakResult{Duration: d.String(), InputsFrames: map[string]int{}}
	for name, frames := range inputs {
		if err := writePcap(filepath.Join(dir, name+".pcap"), frames); err != nil {
			return err
		}
		res.InputsFrames[name] = len(frames)
	}
	huge, _ := hugepagesReady()
	if o.huge == "off" {
		huge = false
	}
	res.Huge = huge
	cf := filepath.Join(dir, "soak.toml")
	js := filepath.Join(dir, "soak.tunfwd.json")
	os.Remove(js)
	if err := writeFile(cf, soakConf(o, huge, dir)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "soak: %s of mixed, partly malformed traffic on 3 infinite_rx ports (%s), config %s\n",
		d, hugeName(huge), cf)
	cmd := exec.Command(o.tunfwd, "--conf", cf, "--stats-period", "0", "--stats-json", js)
	var errb strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &errb
	if o.verbose {
		cmd.Stdout = stdout
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()

	period := max(time.Second, d/60)
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		select {
		case <-done:
			return fmt.Errorf("tunfwd exited during the soak: %s", lastLine(errb.String()))
		case <-time.After(period):
		}
		if rss := procRSS(cmd.Process.Pid); rss > 0 {
			res.RSSkB = append(res.RSSkB, rss)
		}
	}
	t0 := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("tunfwd did not stop within 30 s of SIGINT")
	}
	res.StopSeconds = time.Since(t0).Seconds()
	res.ExitCode = cmd.ProcessState.ExitCode()
	b, err := os.ReadFile(js)
	if err != nil {
		return fmt.Errorf("no stats JSON (%v): %s", err, lastLine(errb.String()))
	}
	var s soakSummary
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	res.fill(&s)
	res.judge()
	if err := writeJSON(filepath.Join(dir, "soak.json"), res); err != nil {
		return err
	}
	md := res.markdown()
	if err := writeFile(filepath.Join(dir, "soak.md"), md); err != nil {
		return err
	}
	fmt.Fprint(stdout, md)
	for _, c := range res.Checks {
		if !c.OK {
			return fmt.Errorf("soak failed: %s", c.What)
		}
	}
	return nil
}

func (res *SoakResult) fill(s *soakSummary) {
	res.Seconds = s.Seconds
	for _, p := range s.Ports {
		res.RxPackets += p.RxPkts
		res.TxPackets += p.TxPkts
	}
	res.Dropped = s.Dropped
	res.Fragmented, res.Fragments = s.Frags, s.FragsTo
	res.Drops = nonzero(s.Drops)
	res.Tunnels = s.Tunnels
	res.SAs, res.SIDs, res.ICMPErrors = s.SAs, s.SIDs, nonzero(s.ICMP)
	res.Replies = map[string]uint64{"arp": s.ARP, "nd": s.ND, "echo": s.Echo, "routed": s.Routed}
	res.Mempool = [2]int{s.Mempool.Available, s.Mempool.Size}
	if n := len(res.RSSkB); n > 0 {
		res.RSSWarmkB = res.RSSkB[n/4] // a quarter in: every mbuf has cycled, caches are warm
		res.RSSEndkB = res.RSSkB[n-1]
	}
}

func (res *SoakResult) judge() {
	add := func(ok bool, f string, a ...any) {
		res.Checks = append(res.Checks, soakCheck{fmt.Sprintf(f, a...), ok})
	}
	add(res.ExitCode == 0, "exit status 0 after SIGINT (got %d)", res.ExitCode)
	add(res.StopSeconds < 2, "stopped %.2f s after SIGINT", res.StopSeconds)
	add(res.Mempool[0] == res.Mempool[1], "mempool whole: %d of %d mbufs", res.Mempool[0], res.Mempool[1])
	add(res.RxPackets > 0 && res.RxPackets+res.Fragments-res.Fragmented == res.TxPackets+res.Dropped,
		"rx %d + fragments %d - fragmented %d = tx %d + dropped %d",
		res.RxPackets, res.Fragments, res.Fragmented, res.TxPackets, res.Dropped)
	for _, t := range res.Tunnels {
		if t.Type == "srv6" { // what comes back arrives at a SID, counted there
			add(t.EncapPkts > 0, "tunnel %s (srv6) encapsulated %d", t.Name, t.EncapPkts)
			continue
		}
		add(t.EncapPkts > 0 && t.DecapPkts > 0, "tunnel %s used both ways (%d encap, %d decap)", t.Name, t.EncapPkts, t.DecapPkts)
	}
	for _, r := range soakExpectDrops {
		add(res.Drops[r] > 0, "malformed input dropped as %s (%d)", r, res.Drops[r])
	}
	for _, r := range soakExpectHandled {
		add(res.Drops[r]+res.ICMPErrors[r] > 0, "%s: %d ICMP errors, %d dropped", r, res.ICMPErrors[r], res.Drops[r])
	}
	add(res.Fragmented > 0 && res.Fragments >= 2*res.Fragmented,
		"too big without DF: %d packets fragmented into %d", res.Fragmented, res.Fragments)
	for _, a := range res.SAs {
		add(a.Packets > 0, "SA %s (%s) carried %d packets", a.Name, a.Dir, a.Packets)
	}
	for _, d := range res.SIDs {
		add(d.Pkts > 0, "SID %s (%s) took %d packets", d.SID, d.Behavior, d.Pkts)
	}
	for _, r := range []string{"arp", "nd", "echo", "routed"} {
		add(res.Replies[r] > 0, "%s answered / done (%d)", r, res.Replies[r])
	}
	// a leak of a few bytes per packet would be hundreds of MB here
	grow := res.RSSEndkB - res.RSSWarmkB
	if res.Seconds >= 60 {
		add(len(res.RSSkB) >= 8 && grow <= 4096, "resident memory flat once warm: %d kB -> %d kB (%+d kB)",
			res.RSSWarmkB, res.RSSEndkB, grow)
	} else {
		res.Note = fmt.Sprintf("shorter than a minute: resident memory not judged (%d kB -> %d kB)", res.RSSWarmkB, res.RSSEndkB)
	}
}

func (res *SoakResult) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### Soak: %s (%s), %.0f s\n\n", res.Duration, hugeName(res.Huge), res.Seconds)
	fmt.Fprintf(&b, "%d packets in (%.2f Mpps over 3 ports), %d out, %d dropped under a reason\n\n",
		res.RxPackets, float64(res.RxPackets)/max(res.Seconds, 1)/1e6, res.TxPackets, res.Dropped)
	b.WriteString("| check | |\n| --- | --- |\n")
	for _, c := range res.Checks {
		v := "ok"
		if !c.OK {
			v = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", c.What, v)
	}
	for k, v := range res.ICMPErrors {
		fmt.Fprintf(&b, "\nICMP errors sent for %s: %d", k, v)
	}
	var rs []string
	for k := range res.Drops {
		rs = append(rs, k)
	}
	sort.Strings(rs)
	if res.Note != "" {
		fmt.Fprintf(&b, "\n%s\n", res.Note)
	}
	b.WriteString("\ndrops:")
	for _, k := range rs {
		fmt.Fprintf(&b, " %s=%d", k, res.Drops[k])
	}
	b.WriteString("\n")
	return b.String()
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// procRSS reads VmRSS (kB) of pid.
func procRSS(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.Atoi(f[1])
			return v
		}
	}
	return 0
}

func soakConf(o options, huge bool, dir string) string {
	port := func(name, side, mac, keys string) string {
		return fmt.Sprintf(`
[[port]]
name = %q
side = %q
mac = %q
vdev = "net_pcap_soak_%s,rx_pcap=%s,tx_pcap=/dev/null,infinite_rx=1"
%s
`, name, side, mac, name, filepath.Join(dir, name+".pcap"), keys)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# tunfwd soak (generated by bench -soak)
[eal]
main_lcore = %[1]d
memory_mb = 512
hugepages = %[2]v
file_prefix = "tunfwd-soak-%[5]d"

[control]
socket = "none"   # soaks may run side by side (and the test suite's smoke one)

[dataplane]
workers = [%[3]d]
mbufs = %[4]d
`, o.main, huge, o.worker, o.mbufs, os.Getpid())
	b.WriteString(port("lan", "inner", innerMAC, "mtu = 1300 # 1400-byte frames decapsulated towards it: fragmented, or mtu_exceeded with DF\n"+`addresses = ["10.1.0.1/24", "2001:db8:1::1/64"]`))
	b.WriteString(port("l2", "inner", "02:00:00:00:03:01", ""))
	b.WriteString(port("wan", "underlay", wanMAC, `addresses = ["192.0.2.1/24", "`+soakLocal6+`/64"]`))
	fmt.Fprintf(&b, `
[[nexthop]]
ip = %[1]q
mac = %[2]q
port = "wan"

[[nexthop]]
ip = %[3]q
mac = %[2]q
port = "wan"

[[nexthop]]
ip = %[4]q
mac = %[5]q
port = "lan"

[[tunnel]]
name = "gre4"
type = "gre"
local = %[6]q
remote = %[1]q
key = 40
seq = true
checksum = true

[[tunnel]]
name = "gre6"
type = "gre"
local = %[7]q
remote = %[3]q
key = 7

[[tunnel]]
name = "vx4"
type = "vxlan"
local = %[6]q
remote = %[1]q
vni = 100

[[tunnel]]
name = "vx6"
type = "vxlan"
local = %[7]q
remote = %[3]q
vni = 600

[[route]]
prefix = "10.2.0.0/16"
tunnel = "gre4"

[[route]]
prefix = "10.6.0.0/16"
tunnel = "gre6"

[[route]]
prefix = "2001:db8:6::/48"
tunnel = "gre6"

[[route]]
prefix = "10.3.0.0/16"
via = %[4]q

[[l2]]
port = "l2"
tunnel = "vx4"

[[l2]]
port = "l2"
vlan = 600
tunnel = "vx6"

[[tunnel]]
name = "sr6"
type = "srv6"
local = %[7]q
segments = ["fc00:2::1", "fc00:3::d4"]
nexthop = %[3]q

[[route]]
prefix = "10.8.0.0/16"
tunnel = "sr6"

[[sid]]
sid = %[8]q
behavior = "end.dx4"
nexthop = %[4]q

[[sid]]
sid = "fc00:1::/48"
behavior = "end"

[[crypto]]
name = "c0"
vdev = "crypto_aesni_gcm_soak"

[[sa]]
name = "esp-out"
spi = %[9]d
dir = "out"
local = %[6]q
remote = %[1]q
aead = "aes-128-gcm"
key = %[10]q
salt = %[11]q

[[sa]]
name = "esp-in"
spi = %[12]d
dir = "in"
local = %[6]q
remote = %[1]q
aead = "aes-128-gcm"
key = %[10]q
salt = %[11]q
replay_window = 0   # the input repeats: anti-replay off, or every lap after the first is a replay

[[route]]
prefix = "10.4.0.0/16"
sa = "esp-out"

[[tunnel]]
name = "l2tp2"
type = "l2tpv2"
local = %[6]q
remote = %[1]q
tunnel_id = 100
session_id = 200
peer_tunnel_id = 300
peer_session_id = 400

[[route]]
prefix = "10.7.0.0/16"
tunnel = "l2tp2"

[[tunnel]]
name = "pw3"
type = "l2tpv3"
encap = "ip"
local = %[6]q
remote = %[1]q
session_id = 4096
peer_session_id = 8192
cookie = "0x01020304"
peer_cookie = "0x0a0b0c0d"

[[l2]]
port = "l2"
vlan = 700
tunnel = "pw3"
`, peerAddr, peerMAC, soakPeer6, hostAddr, hostMAC, localAddr, soakLocal6, soakSID,
		soakSPIOut, "0x"+hex.EncodeToString(soakKey), "0x"+hex.EncodeToString(soakSalt), soakSPIIn)
	return b.String()
}

const (
	soakSID    = "fc00:1::4"
	soakSPIOut = 0x1001
	soakSPIIn  = 0x2002
)

var (
	soakKey  = []byte{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f}
	soakSalt = []byte{0xca, 0xfe, 0xba, 0xbe}
)

// srh6 is IPv6 (DA sid) + an SRH of segs (Segments Left sl) + the payload of next header nh.
func srh6(sid string, segs []string, sl int, nh uint8, payload []byte) []byte {
	srh := []byte{nh, uint8(2 * len(segs)), 4, uint8(sl), uint8(len(segs) - 1), 0, 0, 0}
	for _, s := range segs {
		srh = append(srh, net.ParseIP(s).To16()...)
	}
	ip := make([]byte, 40)
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(srh)+len(payload)))
	ip[6], ip[7] = 43, 64
	copy(ip[8:], net.ParseIP(soakPeer6).To16())
	copy(ip[24:], net.ParseIP(sid).To16())
	eth := append(append(append([]byte(nil), mustMAC(wanMAC)...), mustMAC(peerMAC)...), 0x86, 0xdd)
	return append(append(append(eth, ip...), srh...), payload...)
}

// soakInputs builds the three ports' input: good traffic of every kind and,
// from it, malformed variants (cut at each header, checksums and lengths
// broken, wrong keys, fragments, random bytes).
func soakInputs() map[string][][]byte {
	rng := rand.New(rand.NewSource(7))
	ser := func(ls ...gopacket.SerializableLayer) []byte {
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			panic(err)
		}
		return append([]byte(nil), buf.Bytes()...)
	}
	flow := func(src, dst string, k int) pktgen.Flow {
		f := pktgen.Flow{SrcMAC: mustMAC(hostMAC), DstMAC: mustMAC(innerMAC),
			Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst),
			Proto: pktgen.ProtoUDP, SrcPort: 10000, DstPort: 5001}
		return pktgen.FlowN(f, k)
	}
	sizes := []int{64, 128, 512, 1400} // infinite_rx takes no multi-segment frames
	var lan, l2, wan [][]byte

	// lan: into gre4, gre6 (IPv4 and IPv6 inner), no route, TTL 1, ARP, echo, ND
	for k := 0; k < 64; k++ {
		n := sizes[k%len(sizes)]
		lan = append(lan, pktgen.FrameOfSize(flow("10.1.0.2", "10.2.0.1", k), n, k))
		lan = append(lan, pktgen.FrameOfSize(flow("10.1.0.2", "10.6.0.1", k), n, k))
		lan = append(lan, pktgen.FrameOfSize(flow("2001:db8:1::2", "2001:db8:6::1", k), n, k))
	}
	for k := 0; k < 16; k++ {
		n := sizes[k%len(sizes)]
		lan = append(lan, pktgen.FrameOfSize(flow("10.1.0.2", "10.8.0.1", k), n, k)) // SRv6 H.Encaps
		lan = append(lan, pktgen.FrameOfSize(flow("10.1.0.2", "10.4.0.1", k), n, k)) // ESP out
		lan = append(lan, pktgen.FrameOfSize(flow("10.1.0.2", "10.7.0.1", k), n, k)) // L2TPv2
	}
	lan = append(lan, pktgen.FrameOfSize(flow("10.1.0.2", "10.9.0.1", 0), 100, 0)) // no_route
	ttl1 := flow("10.1.0.2", "10.2.0.1", 1)
	ttl1.TTL = 1
	lan = append(lan, pktgen.FrameOfSize(ttl1, 100, 0))
	lanEth := &layers.Ethernet{SrcMAC: mustMAC(hostMAC), DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP}
	lan = append(lan, ser(lanEth, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPRequest, SourceHwAddress: mustMAC(hostMAC),
		SourceProtAddress: net.ParseIP(hostAddr).To4(), DstHwAddress: make([]byte, 6), DstProtAddress: net.ParseIP(innerAddr).To4()}))
	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: net.ParseIP(hostAddr).To4(), DstIP: net.ParseIP(innerAddr).To4()}
	lan = append(lan, ser(&layers.Ethernet{SrcMAC: mustMAC(hostMAC), DstMAC: mustMAC(innerMAC), EthernetType: layers.EthernetTypeIPv4},
		ip4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}, gopacket.Payload("soak")))
	ip6 := &layers.IPv6{Version: 6, HopLimit: 255, NextHeader: layers.IPProtocolICMPv6,
		SrcIP: net.ParseIP("2001:db8:1::2"), DstIP: net.ParseIP("ff02::1:ff00:1")}
	icmp6 := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborSolicitation, 0)}
	icmp6.SetNetworkLayerForChecksum(ip6)
	lan = append(lan, ser(&layers.Ethernet{SrcMAC: mustMAC(hostMAC), DstMAC: mustMAC("33:33:ff:00:00:01"), EthernetType: layers.EthernetTypeIPv6},
		ip6, icmp6, &layers.ICMPv6NeighborSolicitation{TargetAddress: net.ParseIP("2001:db8:1::1"),
			Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: mustMAC(hostMAC)}}}))

	// l2: untagged into vx4, VLAN 600 into vx6, VLAN 999 bound to nothing
	for k := 0; k < 64; k++ {
		f := flow("10.5.1.1", "10.5.2.1", k)
		f.SrcMAC, f.DstMAC = mustMAC("02:00:00:00:03:02"), mustMAC("02:00:00:00:04:02")
		n := sizes[k%len(sizes)]
		l2 = append(l2, pktgen.FrameOfSize(f, n, k))
		f.VLAN = 600
		l2 = append(l2, pktgen.FrameOfSize(f, n, k))
		f.VLAN = 700 // L2TPv3 pseudowire
		l2 = append(l2, pktgen.FrameOfSize(f, n, k))
	}
	nb := flow("10.5.1.1", "10.5.2.1", 0)
	nb.VLAN = 999
	l2 = append(l2, pktgen.FrameOfSize(nb, 100, 0))

	// wan: what the peers send back through each tunnel
	weth4 := func() *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: mustMAC(peerMAC), DstMAC: mustMAC(wanMAC), EthernetType: layers.EthernetTypeIPv4}
	}
	weth6 := func() *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: mustMAC(peerMAC), DstMAC: mustMAC(wanMAC), EthernetType: layers.EthernetTypeIPv6}
	}
	o4 := func(proto layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(peerAddr).To4(), DstIP: net.ParseIP(localAddr).To4()}
	}
	o6 := func(proto layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: net.ParseIP(soakPeer6), DstIP: net.ParseIP(soakLocal6)}
	}
	var good [][]byte
	for k := 0; k < 64; k++ {
		n := sizes[k%len(sizes)]
		back := pktgen.FrameOfSize(flow("10.2.0.9", "10.3.0.1", k), n, k)[14:]
		good = append(good, ser(weth4(), o4(layers.IPProtocolGRE),
			&layers.GRE{ChecksumPresent: true, KeyPresent: true, Key: 40, SeqPresent: true, Seq: uint32(k), Protocol: layers.EthernetTypeIPv4},
			gopacket.Payload(back)))
		good = append(good, ser(weth6(), o6(layers.IPProtocolGRE), &layers.GRE{KeyPresent: true, Key: 7, Protocol: layers.EthernetTypeIPv4},
			gopacket.Payload(back)))
		f := flow("10.5.2.1", "10.5.1.1", k)
		f.SrcMAC, f.DstMAC = mustMAC("02:00:00:00:04:02"), mustMAC("02:00:00:00:03:02")
		inner := pktgen.FrameOfSize(f, n, k)
		ip := o4(layers.IPProtocolUDP)
		udp := &layers.UDP{SrcPort: layers.UDPPort(50000 + k), DstPort: vxlanPort}
		udp.SetNetworkLayerForChecksum(ip)
		good = append(good, ser(weth4(), ip, udp, &layers.VXLAN{ValidIDFlag: true, VNI: vni}, gopacket.Payload(inner)))
		ip6 := o6(layers.IPProtocolUDP)
		udp6 := &layers.UDP{SrcPort: layers.UDPPort(50000 + k), DstPort: vxlanPort}
		udp6.SetNetworkLayerForChecksum(ip6)
		good = append(good, ser(weth6(), ip6, udp6, &layers.VXLAN{ValidIDFlag: true, VNI: 600}, gopacket.Payload(inner)))
	}
	wan = append(wan, good...)
	wan = append(wan, ser(&layers.Ethernet{SrcMAC: mustMAC(peerMAC), DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: mustMAC(peerMAC), SourceProtAddress: net.ParseIP(peerAddr).To4(),
			DstHwAddress: make([]byte, 6), DstProtAddress: net.ParseIP(localAddr).To4()}))
	ec := o6(layers.IPProtocolICMPv6)
	ei := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
	ei.SetNetworkLayerForChecksum(ec)
	wan = append(wan, ser(weth6(), ec, ei, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1}, gopacket.Payload("soak")))

	// SRv6 to the End.DX4 SID, and through End (to fc00:1::9, then on to the SID)
	for k := 0; k < 16; k++ {
		back := pktgen.FrameOfSize(flow("10.8.0.9", "10.1.0.2", k), sizes[k%3], k)[14:]
		wan = append(wan, srh6(soakSID, []string{soakSID}, 0, 4, back))
		wan = append(wan, srh6("fc00:1::9", []string{soakSID, "fc00:1::9"}, 1, 4, back))
	}
	sr := srh6(soakSID, []string{soakSID}, 0, 4, pktgen.FrameOfSize(flow("10.8.0.9", "10.1.0.2", 0), 100, 0)[14:])
	wan = append(wan, func() []byte { f := append([]byte(nil), sr...); f[14+40+3] = 1; return f }()) // SL 1 at End.DX4
	// at the End SID, with a segment left: RFC 8754 4.3.1.1's checks
	sr2 := srh6("fc00:1::9", []string{soakSID, "fc00:1::9"}, 1, 4, pktgen.FrameOfSize(flow("10.8.0.9", "10.1.0.2", 0), 100, 0)[14:])
	cutSR := append([]byte(nil), sr2[:14+40+20]...) // the segment list cut short, lengths consistent
	binary.BigEndian.PutUint16(cutSR[14+4:], 20)
	wan = append(wan, cutSR)
	wan = append(wan, func() []byte { f := append([]byte(nil), sr2...); f[14+40+4] = 5; return f }()) // Last Entry past Hdr Ext Len
	wan = append(wan, func() []byte { f := append([]byte(nil), sr2...); f[14+40+3] = 3; return f }()) // SL > Last Entry + 1
	// L2TPv2 data (PPP, IPv4) and L2TPv3 over IP (session, cookie, Ethernet), then broken ones
	for k := 0; k < 16; k++ {
		back := pktgen.FrameOfSize(flow("10.7.0.9", "10.3.0.1", k), sizes[k%len(sizes)], k)[14:]
		wan = append(wan, soakL2TPv2(0x0002, back))
		f := flow("10.5.2.1", "10.5.1.1", k)
		f.SrcMAC, f.DstMAC = mustMAC("02:00:00:00:04:02"), mustMAC("02:00:00:00:03:02")
		wan = append(wan, soakL2TPv3(4096, 0x01020304, pktgen.FrameOfSize(f, sizes[k%len(sizes)], k)))
	}
	l2tpBack := pktgen.FrameOfSize(flow("10.7.0.9", "10.3.0.1", 0), 100, 0)[14:]
	wan = append(wan, soakL2TPv2(0xc802, l2tpBack), soakL2TPv2(0x0001, l2tpBack)) // T bit (control), version 1
	wan = append(wan, soakL2TPv3(4096, 0x01020305, pktgen.FrameOfSize(flow("10.5.2.1", "10.5.1.1", 0), 100, 0)))
	// ESP from the peer: good (anti-replay off), tampered, unknown SPI
	for k := 0; k < 16; k++ {
		in := pktgen.FrameOfSize(flow("10.4.0.9", "10.1.0.2", k), sizes[k%len(sizes)], k)[14:]
		wan = append(wan, soakESPFrame(espSeal(soakKey, soakSalt, soakSPIIn, uint32(k+1), in)))
	}
	bad := soakESPFrame(espSeal(soakKey, soakSalt, soakSPIIn, 99, pktgen.FrameOfSize(flow("10.4.0.9", "10.1.0.2", 0), 200, 0)[14:]))
	bad[len(bad)-1] ^= 1
	wan = append(wan, bad, soakESPFrame(espSeal(soakKey, soakSalt, 0x7777, 1, pktgen.FrameOfSize(flow("10.4.0.9", "10.1.0.2", 0), 100, 0)[14:])))

	// the malformed part, from the good decap frames (offsets: outer IPv4 at 14)
	for i, g := range good[:16] {
		v6 := binary.BigEndian.Uint16(g[12:]) == 0x86dd
		cut := func(n int) []byte { return append([]byte(nil), g[:min(n, len(g))]...) }
		mut := func(fn func(f []byte)) []byte { f := append([]byte(nil), g...); fn(f); return f }
		wan = append(wan, cut(14+10), cut(14+int(g[14]&0xf)*4+2), cut(13))
		wan = append(wan, mut(func(f []byte) { f[len(f)-1] ^= 0xff })) // GRE/UDP checksum or inner bytes
		if v6 {
			wan = append(wan, mut(func(f []byte) { f[14+4]++ }))  // payload length past the frame
			wan = append(wan, mut(func(f []byte) { f[14+39]++ })) // not local
			continue
		}
		wan = append(wan, mut(func(f []byte) { f[14+10] ^= 0x55 }))      // IPv4 checksum
		wan = append(wan, mut(func(f []byte) { f[14+2] += 0x40 }))       // total length past the frame
		wan = append(wan, fix4(mut(func(f []byte) { f[14+6] |= 0x20 }))) // MF: a fragment
		wan = append(wan, fix4(mut(func(f []byte) { f[14+19]++ })))      // not local
		switch g[14+9] {
		case 47:
			wan = append(wan, mut(func(f []byte) { f[14+20+1] |= 1 }))        // GRE version 1
			wan = append(wan, mut(func(f []byte) { f[14+20+4+4+3] ^= 0x0f })) // key (checksum breaks first)
			wan = append(wan, soakGREKey(g, 41))
		case 17:
			wan = append(wan, mut(func(f []byte) { f[14+20+6], f[14+20+7] = 0, 0; f[14+20+8] = 0 }))    // I flag clear
			wan = append(wan, mut(func(f []byte) { f[14+20+6], f[14+20+7] = 0, 0; f[14+20+8+6] ^= 1 })) // VNI
		}
		_ = i
	}
	for k := 0; k < 32; k++ { // random bytes behind the gateway's MAC, IPv4 and IPv6 ethertypes
		f := make([]byte, 14+rng.Intn(200))
		rng.Read(f[14:])
		copy(f, mustMAC(wanMAC))
		copy(f[6:], mustMAC(peerMAC))
		binary.BigEndian.PutUint16(f[12:], []uint16{0x0800, 0x86dd}[k%2])
		if k%4 < 2 && len(f) > 14 {
			f[14] = f[14]&0x0f | []byte{0x40, 0x60}[k%2]
		}
		wan = append(wan, f)
	}
	// the inner TTL runs out on the way to the host
	ttl := pktgen.FrameOfSize(flow("10.2.0.9", "10.3.0.1", 0), 100, 0)[14:]
	ttl = append([]byte(nil), ttl...)
	ttl[8] = 1
	binary.BigEndian.PutUint16(ttl[10:], 0)
	binary.BigEndian.PutUint16(ttl[10:], ^ipSum(ttl[:20]))
	wan = append(wan, ser(weth6(), o6(layers.IPProtocolGRE), &layers.GRE{KeyPresent: true, Key: 7, Protocol: layers.EthernetTypeIPv4},
		gopacket.Payload(ttl)))
	return map[string][][]byte{"lan": lan, "l2": l2, "wan": wan}
}

// soakIPv4 is the peer's IPv4 frame to the gateway with payload of protocol proto.
func soakIPv4(proto uint8, payload []byte) []byte {
	ip := make([]byte, 20)
	ip[0], ip[8], ip[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	copy(ip[12:], net.ParseIP(peerAddr).To4())
	copy(ip[16:], net.ParseIP(localAddr).To4())
	binary.BigEndian.PutUint16(ip[10:], ^ipSum(ip))
	eth := append(append(append([]byte(nil), mustMAC(wanMAC)...), mustMAC(peerMAC)...), 0x08, 0x00)
	return append(append(eth, ip...), payload...)
}

// soakL2TPv2 is an L2TPv2 message (flags/version word fv, tunnel 100,
// session 200, PPP IPv4) over UDP 1701 with a zero checksum.
func soakL2TPv2(fv uint16, inner []byte) []byte {
	m := []byte{byte(fv >> 8), byte(fv), 0, 100, 0, 200}
	if fv&0x4000 != 0 { // L bit: the length field comes first
		m = []byte{byte(fv >> 8), byte(fv), 0, 0, 0, 100, 0, 200}
	}
	m = append(append(m, 0xff, 0x03, 0x00, 0x21), inner...)
	if fv&0x4000 != 0 {
		binary.BigEndian.PutUint16(m[2:], uint16(len(m)))
	}
	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp, 1701)
	binary.BigEndian.PutUint16(udp[2:], 1701)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(m)))
	return soakIPv4(17, append(udp, m...))
}

// soakL2TPv3 is an L2TPv3 data message over IP (RFC 3931 4.1.1.1).
func soakL2TPv3(session, cookie uint32, frame []byte) []byte {
	h := make([]byte, 8)
	binary.BigEndian.PutUint32(h, session)
	binary.BigEndian.PutUint32(h[4:], cookie)
	return soakIPv4(115, append(h, frame...))
}

// soakESPFrame puts an ESP packet in the peer's IPv4 frame to the gateway.
func soakESPFrame(esp []byte) []byte { return soakIPv4(50, esp) }

// soakGREKey re-keys the checksummed GRE frame g (valid checksum, unknown key).
func soakGREKey(g []byte, key uint32) []byte {
	f := append([]byte(nil), g...)
	gre := f[14+20:]
	binary.BigEndian.PutUint32(gre[8:], key)
	gre[4], gre[5] = 0, 0
	binary.BigEndian.PutUint16(gre[4:], ^ipSum(gre))
	return f
}

// fix4 recomputes the outer IPv4 header checksum of f.
func fix4(f []byte) []byte {
	hl := int(f[14]&0xf) * 4
	f[14+10], f[14+11] = 0, 0
	binary.BigEndian.PutUint16(f[14+10:], ^ipSum(f[14:14+hl]))
	return f
}

// ipSum is the folded one's complement sum of b (big-endian words).
func ipSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
