package dataplane

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// The SRv6 burst paths (H.Encaps of IPv4 from a routed port inline and
// whole-burst, End.DX4 / End.DT4 at the last segment whole-burst) against
// the per-packet classifier: each input runs once through the burst loops
// and once with the tap armed on every port, which sends every packet
// through tf_burst_each and the full classifier, one by one. Output frames
// and every counter (drops, ICMP errors, SIDs, ports, tunnels) must match,
// for bursts the fast paths take whole and for bursts with frames they must
// refuse mixed in.
func TestUniformSRv6AsPerPacket(t *testing.T) {
	v4 := func(f pktgen.Flow, i int) []byte {
		return ipPacket(pktgen.FrameOfSize(pktgen.FlowN(f, i%5), 64+(i*37)%400, i))
	}
	ret := returnFlow()
	ret.TOS = innerTOS
	sized := func(n int, mk func(i int) []byte) [][]byte {
		var out [][]byte
		for i := 0; i < n; i++ {
			out = append(out, mk(i))
		}
		return out
	}
	// encap: frames from the inner host into sr3 (3 segments), sr3red and sr1red (no SRH)
	encTo := func(dst string) func(i int) []byte {
		return func(i int) []byte {
			return pktgen.FrameOfSize(pktgen.FlowN(flow6(dst), i%5), 64+(i*37)%400, i)
		}
	}
	// decap: SRv6 frames from the peer to a SID at its last segment
	sl0 := func(sid string) []byte { return srh(4, 0, 0, []string{sid}, nil) }
	two := func(sid string) []byte { return srh(4, 0, 1, []string{sid, "fc00:2::1"}, nil) }
	dx4 := func(i int) []byte { return srFrame(sidDX4, 64, two(sidDX4), v4(ret, i)) }
	dt4 := func(i int) []byte { return srFrame(sidDT4, 64, sl0(sidDT4), v4(ret, i)) }
	bare := func(i int) []byte { return ip6Frame(uplinkMAC, peer6, sidDX4, 64, 4, v4(ret, i)) }

	ipv4Fix := func(p []byte) {
		p[10], p[11] = 0, 0
		binary.BigEndian.PutUint16(p[10:], ipv4Checksum(p[:ipHLOf(p)]))
	}
	withOpts := func(p []byte) []byte { // 4 bytes of NOP options
		q := append(append(append([]byte(nil), p[:20]...), 1, 1, 1, 1), p[20:]...)
		q[0] = 0x46
		binary.BigEndian.PutUint16(q[2:], uint16(len(q)))
		ipv4Fix(q)
		return q
	}
	ttl1 := func(p []byte) []byte {
		p = append([]byte(nil), p...)
		p[8] = 1
		ipv4Fix(p)
		return p
	}
	ecnIn := func(p []byte, ecn byte) []byte {
		p = append([]byte(nil), p...)
		p[1] = p[1]&^3 | ecn
		ipv4Fix(p)
		return p
	}
	df := func(p []byte) []byte {
		p = append([]byte(nil), p...)
		p[6] |= 0x40
		ipv4Fix(p)
		return p
	}
	frame4 := func(p []byte) []byte { return append(ethTo(innerMAC, innerPeer, 0x0800), p...) }
	// outer IPv6 edits: traffic class, payload length, hop limit
	outerTC := func(f []byte, tc byte) []byte {
		f = append([]byte(nil), f...)
		f[14] = 0x60 | tc>>4
		f[15] = f[15]&0x0f | tc<<4
		return f
	}
	patch := func(f []byte, fn func([]byte)) []byte {
		f = append([]byte(nil), f...)
		fn(f)
		return f
	}
	big := ipPacket(pktgen.FrameOfSize(ret, 14+1501, 99))
	enc1 := encTo("10.7.1.9")

	cases := []struct {
		name, port string
		good       [][]byte
		bad        [][]byte
		reasons    []string // drop or ICMP error reasons the bad frames add up to
	}{
		{"h.encaps", "inner", sized(20, enc1), [][]byte{
			frame4(ttl1(ipPacket(enc1(3)))),
			patch(enc1(4), func(f []byte) { f[14+10] ^= 0x5a }),
			frame4(withOpts(ipPacket(enc1(5)))),
			pktgen.FrameOfSize(flow6("10.7.1.9"), 14+1500, 7), // fragmented
			frame4(df(ipPacket(pktgen.FrameOfSize(flow6("10.7.1.9"), 14+1500, 8)))),
			encTo("10.7.3.9")(6),
		}, []string{"ttl_expired", "bad_ip_checksum", "mtu_exceeded"}},
		{"h.encaps.red", "inner", sized(20, encTo("10.7.2.9")), [][]byte{encTo("10.7.1.9")(1), encTo("10.1.0.9")(2)}, nil},
		{"h.encaps.red_one_segment", "inner", sized(20, encTo("10.7.3.9")), [][]byte{
			frame4(withOpts(ipPacket(encTo("10.7.3.9")(5)))),
		}, nil},
		{"end.dx4", "uplink", sized(20, dx4), [][]byte{
			srFrame(sidDX4, 64, srh(4, 1, 1, []string{sidDX4, "fc00:2::1"}, nil), v4(ret, 1)), // segments left 1
			srFrame("fc00:1::99", 64, two("fc00:1::99"), v4(ret, 2)),                          // no SID
			srFrame(sidDX6, 64, two(sidDX6), v4(ret, 3)),                                      // End.DX6: no IPv4
			patch(dx4(4), func(f []byte) { f[19]++ }),                                         // payload length past the frame
			patch(append(dx4(5), 0, 0, 0, 0), func(f []byte) {}),                              // padding
			patch(dx4(6), func(f []byte) { f[21] = 1 }),                                       // hop limit 1: decapsulated
			srFrame(sidDX4, 64, two(sidDX4), ttl1(v4(ret, 7))),
			srFrame(sidDX4, 64, two(sidDX4), withOpts(v4(ret, 8))),
			srFrame(sidDX4, 64, two(sidDX4), big), // fragmented
			srFrame(sidDX4, 64, two(sidDX4), df(big)),
			outerTC(srFrame(sidDX4, 64, two(sidDX4), ecnIn(v4(ret, 9), 0)), 3),  // CE over not-ECT
			outerTC(srFrame(sidDX4, 64, two(sidDX4), ecnIn(v4(ret, 10), 2)), 1), // ECT(1) over ECT(0)
			outerTC(dx4(11), 0xb8|2),                                            // EF, ECT(0): as is
			patch(dx4(12), func(f []byte) { f[14+40+40+10] ^= 0x5a }),           // inner checksum
			ip6Frame(uplinkMAC, peer6, sidDX4, 64, 0, append([]byte{43, 0, 1, 4, 0, 0, 0, 0},
				append(two(sidDX4), v4(ret, 13)...)...)), // hop-by-hop first
		}, []string{"srv6_segments_left", "not_local", "srv6_bad_upper_layer", "bad_ip_length", "ttl_expired",
			"mtu_exceeded", "ecn_ce_not_ect", "bad_ip_checksum"}},
		{"end.dx4_no_srh", "uplink", sized(20, bare), [][]byte{dx4(1), dt4(2)}, nil},
		{"end.dt4", "uplink", sized(20, dt4), [][]byte{
			srFrame(sidDT4, 64, sl0(sidDT4), v4(func() pktgen.Flow { f := ret; f.Dst = netip.MustParseAddr("10.7.1.9"); return f }(), 1)),
			srFrame(sidDT4, 64, sl0(sidDT4), v4(func() pktgen.Flow { f := ret; f.Dst = netip.MustParseAddr("10.99.0.1"); return f }(), 2)),
			srFrame(sidDT4, 64, sl0(sidDT4), ttl1(v4(ret, 3))),
		}, []string{"no_route", "ttl_expired"}},
	}
	run := func(t *testing.T, port string, in [][]byte, each bool) *result {
		return srv6Rig(t).runEach(map[string][][]byte{port: in}, each)
	}
	same := requireSameRun
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			alone := run(t, c.port, c.good, false)
			requireAllSent(t, alone, len(c.good))
			same(t, alone, run(t, c.port, c.good, true), "good frames")

			// one refused frame at a time among the good ones: each must
			// turn the burst away from the fast path by itself
			seen := map[string]uint64{}
			for j, bad := range c.bad {
				in := append(append(append([][]byte(nil), c.good[:7]...), bad), c.good[7:]...)
				mixed := run(t, c.port, in, false)
				same(t, mixed, run(t, c.port, in, true), fmt.Sprintf("bad frame %d", j))
				for k, v := range mixed.ctr.Drops {
					seen[k] += v
				}
				for k, v := range mixed.ctr.ICMPErrors {
					seen[k] += v
				}
			}
			for _, why := range c.reasons {
				require.NotZero(t, seen[why], "reason %s", why)
			}
		})
	}
}
