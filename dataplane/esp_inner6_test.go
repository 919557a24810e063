package dataplane

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// IPv6 inner packets in SAs (issue 4): SA o6 carries 2001:db8:6::/48 from
// the inner LAN 2001:db8:10::/64 (ESP next header 41), i6 brings it back,
// its selectors IPv6 prefixes and a UDP port; over IPv4 and IPv6 outer
// headers. scapy decrypts and encrypts, tshark decrypts.

const (
	esp6OutSPI = 0x5001
	esp6InSPI  = 0x6001
)

func esp6Extra(r *rig, a espAlgo, c greESPCase) string {
	mode := a.modeTOML()
	nh := c.nexthopTOML()
	return fmt.Sprintf(`%s
[[nexthop]]
ip = "2001:db8:10::2"
mac = %q
port = "inner"

[[crypto]]
name = "c0"
vdev = "%s_t%d"
%s
[[sa]]
name = "o6"
spi = %d
dir = "out"
local = %q
remote = %q
%s
[[sa]]
name = "i6"
spi = %d
dir = "in"
local = %q
remote = %q
%s
[[route]]
prefix = "2001:db8:6::/48"
sa = "o6"

[[policy]]
sa = "o6"
src = "2001:db8:10::/64"

[[policy]]
sa = "i6"
src = "2001:db8:6::/48"
dst = "2001:db8:10::/64"
proto = 17
dst_ports = [5678, 5678]
`, nh, innerPeer, a.vdev, r.id, mode, esp6OutSPI, c.local, c.remote, a.algoTOML(),
		esp6InSPI, c.local, c.remote, a.algoTOML())
}

// innerFrames6: IPv6 UDP from src to dst (port 1234 -> dport) of the given sizes.
func innerFrames6(src, dst string, dport uint16, sizes []int) [][]byte {
	f := pktgen.Flow{SrcMAC: mustMAC(innerPeer), DstMAC: mustMAC(innerMAC),
		Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: pktgen.ProtoUDP,
		SrcPort: 1234, DstPort: dport, TOS: 0x28}
	var out [][]byte
	for i, n := range sizes {
		out = append(out, pktgen.Frame(f, n, i))
	}
	return out
}

// ip6Of returns the IPv6 packet of an Ethernet frame without padding.
func ip6Of(frame []byte) []byte {
	ip := frame[14:]
	return ip[:40+int(binary.BigEndian.Uint16(ip[4:]))]
}

// forwarded6 is an IPv6 packet as a router sends it on: hop limit one less.
func forwarded6(ip []byte) []byte {
	b := append([]byte(nil), ip...)
	b[7]--
	return b
}

// TestESPInnerIPv6: per outer family and crypto mode, IPv6 packets routed
// into o6 decrypt with scapy and tshark (next header 41) to what was sent;
// scapy's IPv6 packets through i6 leave the inner port as sent; packets
// outside the selectors (a source outside o6's, a source and a port outside
// i6's) are dropped as policy_mismatch.
func TestESPInnerIPv6(t *testing.T) {
	for _, c := range greESPCases {
		for _, a := range []espAlgo{espAlgos[0], espAlgos[6]} {
			t.Run(c.name+"/"+a.name, func(t *testing.T) {
				r := newRig(t)
				if c.family == "IPv6" {
					r.ports = esp6Ports()
				}
				r.extra = esp6Extra(r, a, c)

				out := innerFrames6("2001:db8:10::2", "2001:db8:6::5", 5678, espSizes)
				stranger := innerFrames6("2001:db8:11::2", "2001:db8:6::5", 5678, []int{20})
				back := innerFrames6("2001:db8:6::5", "2001:db8:10::2", 5678, espSizes)
				bad := append(innerFrames6("2001:db8:7::5", "2001:db8:10::2", 5678, []int{20}),
					innerFrames6("2001:db8:6::5", "2001:db8:10::2", 9999, []int{20})...)
				var pkts []pyPkt
				for i, f := range append(append([][]byte(nil), back...), bad...) {
					pkts = append(pkts, pyPkt{Inner: hex.EncodeToString(ip6Of(f)), Seq: uint32(i + 1)})
				}
				path := filepath.Join(r.dir, "enc-inner6.pcap")
				runPy(t, map[string]any{"op": "encrypt", "sa": a.py(esp6InSPI, c.remote, c.local), "pcap": path,
					"src_mac": uplinkPeer, "dst_mac": uplinkMAC, "packets": pkts})
				enc, err := pktgen.ReadPcap(path)
				require.NoError(t, err)

				res := r.run(map[string][][]byte{"inner": append(append([][]byte(nil), out...), stranger...), "uplink": enc})
				require.Equal(t, uint64(3), res.drops("policy_mismatch"), "drops %v", nonZero(res.ctr.Drops))
				require.Equal(t, uint64(3), res.ctr.Dropped(), "drops %v", nonZero(res.ctr.Drops))

				require.Len(t, res.out["uplink"], len(out))
				var dec pyESP
				require.NoError(t, json.Unmarshal(runPy(t, map[string]any{"op": "decrypt",
					"sa": a.py(esp6OutSPI, c.local, c.remote), "pcap": res.pcap["uplink"]}), &dec))
				require.Len(t, dec.Packets, len(out))
				for i, p := range dec.Packets {
					require.Equal(t, uint32(esp6OutSPI), p.SPI)
					require.Equal(t, uint32(i+1), p.Seq)
					require.Equal(t, 0x28, p.TOS, "traffic class copied to the outer header")
					require.Equal(t, hex.EncodeToString(forwarded6(ip6Of(out[i]))), p.Inner, "packet %d", i)
				}
				got := tsharkESP(t, res.pcap["uplink"], a.uatESP(c.family, esp6OutSPI, c.local, c.remote))
				require.Len(t, got, len(out))
				for i, p := range got {
					require.True(t, p.icvGood, "tshark: ICV of packet %d", i)
					require.Equal(t, 41, p.next, "next header: IPv6")
					require.Equal(t, forwarded6(ip6Of(out[i])), p.inner, "packet %d", i)
				}

				require.Len(t, res.out["inner"], len(back))
				for i, fr := range res.out["inner"] {
					require.Equal(t, uint16(0x86dd), binary.BigEndian.Uint16(fr[12:]))
					require.Equal(t, forwarded6(ip6Of(back[i])), fr[14:], "packet %d", i)
				}
				for _, s := range res.sa {
					switch s.Name {
					case "o6":
						require.Equal(t, uint64(len(out)), s.Packets)
					case "i6":
						require.Equal(t, uint64(len(back)), s.Packets)
						require.Equal(t, uint64(len(bad)), s.Errors)
					}
				}
			})
		}
	}
}
