package dataplane

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/conf"
	"tunfwd/pktgen"
)

// GRE over IPsec (issue 4 item 5): GRE tunnel gs (key 77) has sa = "gs_out",
// so the GRE packets it builds are ESP-encrypted whole (tunnel mode, next
// header 4 or 41); inbound SA gs_in brings GRE back, which goes through the
// GRE decapsulation to the inner port. Clear GRE for gs is dropped.

const (
	greESPKey    = 77
	greESPOutSPI = 0x3001
	greESPInSPI  = 0x4001
)

// greESPCase is one underlay family: the gateway's and the peer's addresses.
type greESPCase struct {
	name, family  string // family: tshark's UAT word
	local, remote string
}

var greESPCases = []greESPCase{
	{"ipv4", "IPv4", "192.0.2.1", "192.0.2.2"},
	{"ipv6", "IPv6", esp6Local, esp6Remote},
}

// nexthopTOML: over IPv6 the far endpoint needs its own [[nexthop]].
func (c greESPCase) nexthopTOML() string {
	if c.family != "IPv6" {
		return ""
	}
	return fmt.Sprintf("\n[[nexthop]]\nip = %q\nmac = %q\nport = \"uplink\"\n", c.remote, uplinkPeer)
}

func (c greESPCase) hostBits() int {
	if netip.MustParseAddr(c.local).Is6() {
		return 128
	}
	return 32
}

// greESPExtra: SAs gs_out / gs_in between c's endpoints whose selectors
// are GRE between them, GRE tunnel gs protected by gs_out, 10.6.0.0/16 into gs.
func greESPExtra(r *rig, a espAlgo, c greESPCase) string {
	mode := a.modeTOML()
	nh := c.nexthopTOML()
	b := c.hostBits()
	return fmt.Sprintf(`%s
[[crypto]]
name = "c0"
vdev = "%s_t%d"
%s
[[sa]]
name = "gs_out"
spi = %d
dir = "out"
local = %q
remote = %q
%s
[[sa]]
name = "gs_in"
spi = %d
dir = "in"
local = %q
remote = %q
%s
[[tunnel]]
name = "gs"
type = "gre"
local = %q
remote = %q
key = %d
sa = "gs_out"

[[route]]
prefix = "10.6.0.0/16"
tunnel = "gs"

[[policy]]
sa = "gs_out"
src = "%s/%d"
dst = "%s/%d"
proto = 47

[[policy]]
sa = "gs_in"
src = "%s/%d"
dst = "%s/%d"
proto = 47
`, nh, a.vdev, r.id, mode, greESPOutSPI, c.local, c.remote, a.algoTOML(),
		greESPInSPI, c.local, c.remote, a.algoTOML(), c.local, c.remote, greESPKey,
		c.local, b, c.remote, b, c.remote, b, c.local, b)
}

// grePacket is an IP packet src -> dst carrying GRE with key and inner
// (an IPv4 packet), serialized by gopacket.
func grePacket(t *testing.T, src, dst string, key uint32, inner []byte) []byte {
	t.Helper()
	s, d := net.IP(netip.MustParseAddr(src).AsSlice()), net.IP(netip.MustParseAddr(dst).AsSlice())
	gre := &layers.GRE{KeyPresent: true, Key: key, Protocol: layers.EthernetTypeIPv4}
	var ip gopacket.SerializableLayer
	if s.To4() == nil {
		ip6 := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolGRE, HopLimit: 64, SrcIP: s, DstIP: d}
		ip = ip6
	} else {
		ip = &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment,
			Protocol: layers.IPProtocolGRE, SrcIP: s, DstIP: d}
	}
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, gre, gopacket.Payload(inner)))
	return buf.Bytes()
}

// decodeGRE decodes the decrypted payload p with gopacket: an IPv4 or IPv6
// packet src -> dst carrying GRE; it returns the GRE layer and its payload.
func decodeGRE(t *testing.T, p []byte, c greESPCase) (*layers.GRE, []byte) {
	t.Helper()
	first := layers.LayerTypeIPv4
	if c.family == "IPv6" {
		first = layers.LayerTypeIPv6
	}
	pkt := gopacket.NewPacket(p, first, gopacket.Default)
	require.Nil(t, pkt.ErrorLayer(), "gopacket: %v", pkt.ErrorLayer())
	if c.family == "IPv6" {
		ip := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		require.Equal(t, c.local, ip.SrcIP.String())
		require.Equal(t, c.remote, ip.DstIP.String())
		require.Equal(t, layers.IPProtocolGRE, ip.NextHeader)
		require.Equal(t, len(p)-40, int(ip.Length))
	} else {
		ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		require.Equal(t, c.local, ip.SrcIP.String())
		require.Equal(t, c.remote, ip.DstIP.String())
		require.Equal(t, layers.IPProtocolGRE, ip.Protocol)
		require.Equal(t, len(p), int(ip.Length))
	}
	gl := pkt.Layer(layers.LayerTypeGRE)
	require.NotNil(t, gl, "no GRE in the decrypted payload")
	gre := gl.(*layers.GRE)
	return gre, gre.LayerPayload()
}

// esp6Ports: the rig's ports with an IPv6 address on the uplink too (the
// SAs' local endpoint over an IPv6 underlay).
func esp6Ports() []rigPort {
	return []rigPort{
		{"inner", "inner", innerMAC, `addresses = ["10.1.0.1/24"]`},
		{"uplink", "underlay", uplinkMAC, `addresses = ["192.0.2.1/24", "` + esp6Local + `/64"]`},
		{"l2", "inner", l2MAC, ""},
	}
}

// TestESPGREOverIPsec: per underlay family and crypto mode, the packets of
// GRE tunnel gs leave only as ESP of SA gs_out; scapy and tshark decrypt
// them to GRE (key 77) with the inner packet byte for byte. scapy's ESP of
// GRE packets comes out of the inner port as the inner packets sent; clear
// GRE for gs is dropped as gre_not_protected; a decrypted GRE packet from
// outside gs_in's selectors as policy_mismatch.
func TestESPGREOverIPsec(t *testing.T) {
	for _, c := range greESPCases {
		for _, a := range []espAlgo{espAlgos[0], espAlgos[6]} { // GCM cpu, CBC+SHA256 openssl lookaside
			t.Run(c.name+"/"+a.name, func(t *testing.T) {
				r := newRig(t)
				if c.family == "IPv6" {
					r.ports = esp6Ports()
				}
				r.extra = greESPExtra(r, a, c)

				out := innerFrames("10.1.0.2", "10.6.0.5", espSizes)
				back := innerFrames("10.6.0.5", "10.1.0.2", espSizes)
				var pkts []pyPkt
				var clear [][]byte
				for i, f := range back {
					g := grePacket(t, c.remote, c.local, greESPKey, ipOf(f))
					pkts = append(pkts, pyPkt{Inner: hex.EncodeToString(g), Seq: uint32(i + 1)})
					eth := ethHeader(mustConfMAC(uplinkMAC), mustConfMAC(uplinkPeer), etherTypeOf(c))
					clear = append(clear, append(eth, g...))
				}
				// GRE from an address outside gs_in's selectors, though decrypted by it
				stranger := "192.0.2.9"
				if c.family == "IPv6" {
					stranger = "2001:db8:1::9"
				}
				pkts = append(pkts, pyPkt{Inner: hex.EncodeToString(grePacket(t, stranger, c.local, greESPKey, ipOf(back[0]))),
					Seq: uint32(len(back) + 1)})
				path := filepath.Join(r.dir, "enc-gre.pcap")
				runPy(t, map[string]any{"op": "encrypt", "sa": a.py(greESPInSPI, c.remote, c.local), "pcap": path,
					"src_mac": uplinkPeer, "dst_mac": uplinkMAC, "packets": pkts})
				enc, err := pktgen.ReadPcap(path)
				require.NoError(t, err)

				res := r.run(map[string][][]byte{"inner": out, "uplink": append(enc, clear...)})
				require.Equal(t, uint64(len(clear)), res.drops("gre_not_protected"), "drops %v", nonZero(res.ctr.Drops))
				require.Equal(t, uint64(1), res.drops("policy_mismatch"), "drops %v", nonZero(res.ctr.Drops))
				require.Equal(t, uint64(len(clear)+1), res.ctr.Dropped(), "drops %v", nonZero(res.ctr.Drops))

				// outbound: nothing leaves as clear GRE; scapy decrypts every
				// ESP packet to the GRE packet of the inner one
				require.Len(t, res.out["uplink"], len(out))
				var dec pyESP
				require.NoError(t, json.Unmarshal(runPy(t, map[string]any{"op": "decrypt",
					"sa": a.py(greESPOutSPI, c.local, c.remote), "pcap": res.pcap["uplink"]}), &dec))
				require.Len(t, dec.Packets, len(out))
				for i, p := range dec.Packets {
					require.Equal(t, uint32(greESPOutSPI), p.SPI)
					require.Equal(t, uint32(i+1), p.Seq)
					require.True(t, p.CsumOK, "GRE packet's IPv4 header checksum")
					raw, err := hex.DecodeString(p.Inner)
					require.NoError(t, err)
					gre, payload := decodeGRE(t, raw, c)
					require.True(t, gre.KeyPresent)
					require.Equal(t, uint32(greESPKey), gre.Key)
					require.False(t, gre.SeqPresent || gre.ChecksumPresent)
					require.Equal(t, layers.EthernetTypeIPv4, gre.Protocol)
					require.Equal(t, hex.EncodeToString(forwarded(ipOf(out[i]))), hex.EncodeToString(payload), "packet %d", i)
				}
				// tshark decrypts the same, next header 4 or 41
				next := 4
				if c.family == "IPv6" {
					next = 41
				}
				got := tsharkESP(t, res.pcap["uplink"], a.uatESP(c.family, greESPOutSPI, c.local, c.remote))
				require.Len(t, got, len(out))
				for i, p := range got {
					require.True(t, p.icvGood, "tshark: ICV of packet %d", i)
					require.Equal(t, next, p.next, "ESP next header")
					gre, payload := decodeGRE(t, p.inner, c)
					require.Equal(t, uint32(greESPKey), gre.Key)
					require.Equal(t, forwarded(ipOf(out[i])), payload, "packet %d", i)
				}

				// inbound: the inner packets of scapy's GRE, routed to the inner host
				require.Len(t, res.out["inner"], len(back))
				for i, fr := range res.out["inner"] {
					require.Equal(t, innerPeer, net.HardwareAddr(fr[0:6]).String())
					require.Equal(t, forwarded(ipOf(back[i])), fr[14:], "packet %d", i)
				}
				gs := res.tunnel("gs")
				require.Equal(t, uint64(len(out)), gs.EncapPkts)
				require.Equal(t, uint64(len(back)), gs.DecapPkts)
				for _, s := range res.sa {
					switch s.Name {
					case "gs_out":
						require.Equal(t, uint64(len(out)), s.Packets)
					case "gs_in":
						require.Equal(t, uint64(len(back)), s.Packets)
						require.Equal(t, uint64(1), s.Errors, "the policy mismatch")
					}
				}
			})
		}
	}
}

func etherTypeOf(c greESPCase) uint16 {
	if c.family == "IPv6" {
		return 0x86dd
	}
	return 0x0800
}

func mustConfMAC(s string) conf.MAC {
	var m conf.MAC
	copy(m[:], mustMAC(s))
	return m
}

// TestESPGREMalformed: what an SA decrypts to GRE for the gateway goes
// through the same checks as clear GRE: each malformed kind is dropped
// under its reason, counted against no tunnel, nothing leaves.
func TestESPGREMalformed(t *testing.T) {
	a, c := espAlgos[0], greESPCases[0]
	r := newRig(t)
	r.extra = greESPExtra(r, a, c)
	inner := ipOf(innerFrames("10.6.0.5", "10.1.0.2", []int{40})[0])
	unknownKey := grePacket(t, c.remote, c.local, greESPKey+1, inner)
	badCsum := grePacket(t, c.remote, c.local, greESPKey, inner)
	badCsum[10] ^= 0xff
	// an IPv4 header announcing GRE with 2 bytes of it
	short := grePacket(t, c.remote, c.local, greESPKey, inner)[:22]
	short[2], short[3] = 0, 22
	cs := ipv4Checksum(short[:20])
	short[10], short[11] = byte(cs>>8), byte(cs)
	cases := []struct {
		pkt    []byte
		reason string
	}{{unknownKey, "unknown_tunnel"}, {badCsum, "bad_ip_checksum"}, {short, "truncated"}}
	var pkts []pyPkt
	for i, k := range cases {
		pkts = append(pkts, pyPkt{Inner: hex.EncodeToString(k.pkt), Seq: uint32(i + 1)})
	}
	path := filepath.Join(r.dir, "enc-bad.pcap")
	runPy(t, map[string]any{"op": "encrypt", "sa": a.py(greESPInSPI, c.remote, c.local), "pcap": path,
		"src_mac": uplinkPeer, "dst_mac": uplinkMAC, "packets": pkts})
	enc, err := pktgen.ReadPcap(path)
	require.NoError(t, err)
	res := r.run(map[string][][]byte{"uplink": enc})
	for _, k := range cases {
		require.Equal(t, uint64(1), res.drops(k.reason), "%s: drops %v", k.reason, nonZero(res.ctr.Drops))
	}
	require.Equal(t, uint64(len(cases)), res.ctr.Dropped())
	require.Zero(t, res.tunnel("gs").DecapPkts)
	require.Empty(t, res.out["inner"])
}
