package dataplane

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"
)

// The ESP burst paths (a routed burst staged into its outbound SA in one
// pass, an underlay burst of one SA's ESP staged after one SA lookup, the
// decrypted packets of a group forwarded the short way) against the
// per-packet classifier: each input runs through the burst loops and again
// with the tap armed, which takes every packet through tf_burst_each, the
// full classifier and tf_esp_in_done one by one. Output frames (their
// ciphertext too: the IV and sequence numbers follow the order packets
// reach the SA) and every counter must match, for bursts the short ways
// take whole and for bursts with one frame they must refuse among them.
func TestUniformESPAsPerPacket(t *testing.T) {
	ipFix := func(p []byte) []byte {
		p[10], p[11] = 0, 0
		binary.BigEndian.PutUint16(p[10:], ipv4Checksum(p[:ipHLOf(p)]))
		return p
	}
	ipFix2 := func(f []byte) []byte { ipFix(f[14:]); return f } // a frame's IPv4 header checksum
	edit := func(f []byte, at int, fn func(ip []byte)) []byte { // f's IPv4 header at at, checksum fixed
		f = append([]byte(nil), f...)
		fn(f[at:])
		ipFix(f[at:])
		return f
	}
	withOpts := func(ip []byte) []byte { // 4 bytes of NOP options
		q := append(append(append([]byte(nil), ip[:20]...), 1, 1, 1, 1), ip[20:]...)
		q[0] = 0x46
		binary.BigEndian.PutUint16(q[2:], uint16(len(q)))
		return ipFix(q)
	}
	sizes := func(n int) []int {
		var s []int
		for i := 0; i < n; i++ {
			s = append(s, 20+(i*53)%700)
		}
		return s
	}
	good := func(src, dst string, n int) [][]byte { return innerFrames(src, dst, sizes(n)) }
	one := func(src, dst string, size int) []byte { return innerFrames(src, dst, []int{size})[0] }

	// outbound: frames from the inner peer into out1, and frames its pass must refuse
	outGood := good("10.1.0.2", "10.3.0.5", 20)
	outBad := [][]byte{
		edit(outGood[3], 14, func(ip []byte) { ip[8] = 1 }), // TTL 1: time exceeded
		func() []byte { f := append([]byte(nil), outGood[4]...); f[14+10] ^= 0x5a; return f }(),
		append(append([]byte(nil), outGood[5][:14]...), withOpts(ipOf(outGood[5]))...),
		one("10.1.0.2", "10.3.0.5", 1480),                                              // past out1's inner MTU: fragmented
		edit(one("10.1.0.2", "10.3.0.5", 1480), 14, func(ip []byte) { ip[6] |= 0x40 }), // DF: frag needed
		one("10.1.7.7", "10.3.0.5", 100),                                               // outside out1's selectors
		one("10.1.0.2", "10.1.0.9", 100),                                               // another route
		one("10.1.0.2", "10.3.0.5", 0),                                                 // Ethernet padding
	}

	// inbound: what scapy encrypts for in1, and packets the short way must leave to tf_esp_in_done
	backGood := good("10.3.0.5", "10.1.0.2", 20)
	inner := func(f []byte) string { return hex.EncodeToString(ipOf(f)) }
	ect0 := edit(backGood[2], 14, func(ip []byte) { ip[1] = ip[1]&^3 | 2 })
	type inBad struct {
		p     pyPkt
		outer func([]byte) []byte // an edit of the ESP frame's outer header
	}
	outerECN := func(ecn byte) func([]byte) []byte {
		return func(f []byte) []byte { return edit(f, 14, func(ip []byte) { ip[1] = ip[1]&^3 | ecn }) }
	}
	inBads := []inBad{
		{p: pyPkt{Inner: inner(edit(backGood[3], 14, func(ip []byte) { ip[8] = 1 }))}},
		{p: pyPkt{Inner: inner(func() []byte { f := append([]byte(nil), backGood[4]...); f[14+10] ^= 0x5a; return f }())}},
		{p: pyPkt{Inner: hex.EncodeToString(withOpts(ipOf(backGood[5])))}},
		{p: pyPkt{Inner: inner(backGood[6]) + "00000000"}},         // padding after the inner packet
		{p: pyPkt{Inner: inner(ect0)}, outer: outerECN(3)},         // CE over ECT(0): CE
		{p: pyPkt{Inner: inner(backGood[7])}, outer: outerECN(3)},  // CE over Not-ECT: dropped
		{p: pyPkt{Inner: inner(ect0)}, outer: outerECN(1)},         // ECT(1) over ECT(0): ECT(1)
		{p: pyPkt{Inner: inner(one("10.9.9.9", "10.1.0.2", 100))}}, // outside in1's selectors
		{p: pyPkt{Inner: inner(backGood[8]), Tamper: "icv"}},       // fails authentication
		{p: pyPkt{Inner: inner(backGood[9]), Seq: 5}},              // replayed
		{p: pyPkt{Inner: inner(backGood[10])}, outer: func(f []byte) []byte { // another SPI
			f = append([]byte(nil), f...)
			f[14+20+3] ^= 1
			return f
		}},
		{p: pyPkt{Inner: inner(backGood[11])}, outer: func(f []byte) []byte { // outer IPv4 options
			return append(append([]byte(nil), f[:14]...), withOpts(ipOf(f))...)
		}},
	}

	for _, a := range []espAlgo{espAlgos[0], espAlgos[2], espAlgos[4], espAlgos[9]} {
		t.Run(a.name, func(t *testing.T) {
			r0 := newRig(t)
			var pkts []pyPkt
			for i, f := range backGood {
				pkts = append(pkts, pyPkt{Inner: inner(f), Seq: uint32(i + 1)})
			}
			for i, b := range inBads {
				p := b.p
				if p.Seq == 0 {
					p.Seq = uint32(100 + i)
				}
				pkts = append(pkts, p)
			}
			enc := scapyEncrypt(t, r0.dir, a, espInSPI, pkts)
			inGood := enc[:len(backGood)]
			var inBadFrames [][]byte
			for i, b := range inBads {
				f := enc[len(backGood)+i]
				if b.outer != nil {
					f = b.outer(f)
				}
				inBadFrames = append(inBadFrames, f)
			}
			if a.udp { // RFC 3948: what else reaches UDP 4500
				udpFrame := func(payload []byte, fix func(f []byte)) []byte {
					f := append(append([]byte(nil), inGood[0][:14+28]...), payload...)
					binary.BigEndian.PutUint16(f[14+2:], uint16(len(f)-14))
					binary.BigEndian.PutUint16(f[14+24:], uint16(len(f)-14-20))
					if fix != nil {
						fix(f)
					}
					return ipFix2(f)
				}
				inBadFrames = append(inBadFrames,
					udpFrame([]byte{0xff}, nil),                                     // NAT keepalive
					udpFrame(append([]byte{0, 0, 0, 0}, inGood[1][14+28:]...), nil), // non-ESP marker: IKE
					udpFrame(inGood[2][14+28:], func(f []byte) { f[14+25]++ }),      // UDP length off by one
					udpFrame(inGood[3][14+28:], func(f []byte) { f[14+23]++ }),      // to port 4501
					udpFrame(inGood[4][14+28:], func(f []byte) { f[14+21]++ }),      // from another port (a NAT): taken
				)
			}

			run := func(t *testing.T, port string, in [][]byte, each bool) *result {
				r := newRig(t)
				r.extra = espExtra(r, a, "")
				return r.runEach(map[string][][]byte{port: in}, each)
			}
			for _, c := range []struct {
				name, port string
				good, bad  [][]byte
			}{
				{"out", "inner", outGood, outBad},
				{"in", "uplink", inGood, inBadFrames},
			} {
				t.Run(c.name, func(t *testing.T) {
					alone := run(t, c.port, c.good, false)
					requireAllSent(t, alone, len(c.good))
					requireSameRun(t, alone, run(t, c.port, c.good, true), "good frames")
					for j, bad := range c.bad {
						// first, amid and last: the pass stops there and goes on after it
						for _, at := range []int{0, 9, len(c.good)} {
							in := append(append(append([][]byte(nil), c.good[:at]...), bad), c.good[at:]...)
							requireSameRun(t, run(t, c.port, in, false), run(t, c.port, in, true),
								fmt.Sprintf("bad frame %d at %d", j, at))
						}
					}
				})
			}
		})
	}
}
