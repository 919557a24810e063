package dataplane

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// The L2TP burst paths (a whole uniform burst at once, or the staged loop's
// inline steps) must give what the classifier gives one packet at a time.
// Every input runs twice: as it comes, and with the tap armed, which sends
// every burst through tf_burst_each (the full classifier, frame by frame).
// Both runs must send the same bytes and count the same. The inputs: good
// frames alone (the uniform pass), and good frames with one frame the fast
// paths must refuse among them (the staged loop, and the classifier for
// that frame).

const uniformL2TPBase = rigUplinkHead + `
[[nexthop]]
ip = "10.1.0.2"
mac = "` + innerPeer + `"
port = "inner"

[[route]]
prefix = "10.1.9.0/24"
via = "10.1.0.2"

` + v2aTunnel + `
[[route]]
prefix = "10.7.0.0/16"
tunnel = "v2a"

` + v2bTunnel + `
[[route]]
prefix = "10.8.0.0/16"
tunnel = "v2b"
`

// the L2TPv3 session bound untagged to port l2, one per case
const (
	uniformPWIP = `
[[tunnel]]
name = "pw"
type = "l2tpv3"
encap = "ip"
local = "192.0.2.1"
remote = "192.0.2.2"
session_id = 4096
peer_session_id = 8192
cookie = "0x01020304"
peer_cookie = "0x0a0b0c0d"

[[l2]]
port = "l2"
tunnel = "pw"
`
	uniformPWUDP = `
[[tunnel]]
name = "pw"
type = "l2tpv3"
local = "192.0.2.1"
remote = "192.0.2.2"
session_id = 4097
peer_session_id = 8193
`
	uniformPWUDPSub = `
[[tunnel]]
name = "pw"
type = "l2tpv3"
local = "192.0.2.1"
remote = "192.0.2.2"
session_id = 4098
peer_session_id = 8194
cookie = "0x1112131415161718"
peer_cookie = "0x2122232425262728"
l2_sublayer = true
`
	uniformL2Bind = `
[[l2]]
port = "l2"
tunnel = "pw"
`
)

// inner ports with a smaller MTU than the underlay: decap can be too big for them
var uniformL2TPPorts = []rigPort{
	{"inner", "inner", innerMAC, "addresses = [\"10.1.0.1/24\"]\nmtu = 1400"},
	{"uplink", "underlay", uplinkMAC, `addresses = ["192.0.2.1/24"]`},
	{"l2", "inner", l2MAC, "mtu = 1400"},
}

func TestUniformL2TPAsPerPacket(t *testing.T) {
	sized := func(base pktgen.Flow, n int) [][]byte {
		var out [][]byte
		for i := 0; i < n; i++ {
			out = append(out, pktgen.FrameOfSize(pktgen.FlowN(base, i%5), 64+(i*37)%400, i))
		}
		return out
	}
	edit := func(f []byte, fn func([]byte)) []byte {
		f = append([]byte(nil), f...)
		fn(f)
		return f
	}
	// set changes byte at of an IPv4 header at off and fixes its checksum
	set := func(off, at int, v byte) func([]byte) {
		return func(f []byte) {
			f[off+at] = v
			f[off+10], f[off+11] = 0, 0
			c := ipv4Checksum(f[off : off+20])
			f[off+10], f[off+11] = byte(c>>8), byte(c)
		}
	}
	withOpts := func(f []byte) []byte { // an inner IPv4 header with a 4-byte NOP option
		ip := ipPacket(f)
		out := append(append([]byte(nil), f[:14]...), ip[:20]...)
		out = append(append(out, 1, 1, 1, 0), ip[20:]...)
		out[14] = 0x46
		l := len(ip) + 4
		out[16], out[17] = byte(l>>8), byte(l)
		return edit(out, set(14, 8, out[14+8]))
	}

	v2aFlow, v2bFlow := innerFlow(), innerFlow()
	v2aFlow.Dst, v2aFlow.TOS = netip.MustParseAddr("10.7.0.9"), 0x2e<<2|1
	v2bFlow.Dst, v2bFlow.TOS = netip.MustParseAddr("10.8.0.9"), 0x0a<<2|2
	ret := returnFlow()
	ret.Dst = netip.MustParseAddr("10.1.9.5")
	noRoute := ret
	noRoute.Dst = netip.MustParseAddr("10.99.0.1")
	peer := l2tpPeer{zeroCsum: true}
	v2a := v2msg{tid: 100, sid: 200}
	v2b := v2msg{tid: 100, sid: 201, l: true}
	v2aUDP := func(ip []byte) []byte { return peer.udp(v2a.bytes(append(pppFor(ip), ip...))) }
	v2bUDP := func(ip []byte) []byte { return peer.udp(v2b.bytes(append([]byte{0x21}, ip...))) }
	var v2aIn, v2bIn [][]byte
	for _, f := range sized(ret, 20) {
		v2aIn = append(v2aIn, v2aUDP(ipPacket(f)))
		v2bIn = append(v2bIn, v2bUDP(ipPacket(f)))
	}
	cookieIP, cookieSub := unhexT("01020304"), unhexT("1112131415161718")
	var pwIPIn, pwUDPIn, pwSubIn [][]byte
	for _, f := range sized(l2Flow(), 20) {
		pwIPIn = append(pwIPIn, peer.ip115(v3msg(false, 4096, cookieIP, nil, f)))
		pwUDPIn = append(pwUDPIn, peer.udp(v3msg(true, 4097, nil, nil, f)))
		pwSubIn = append(pwSubIn, peer.udp(v3msg(true, 4098, cookieSub, []byte{0x40, 0, 0, 7}, f)))
	}
	one := func(f pktgen.Flow) []byte { return sized(f, 1)[0] }
	big := func(f pktgen.Flow) []byte { return pktgen.FrameOfSize(f, 1514, 3) }
	ttl1 := func(f pktgen.Flow) pktgen.Flow { f.TTL = 1; return f }
	l2big := pktgen.FrameOfSize(l2Flow(), 1514, 3)

	type bad struct {
		name  string
		frame []byte
	}
	encapBad := func(f pktgen.Flow) []bad {
		return []bad{
			{"bad-checksum", edit(one(f), func(b []byte) { b[14+10] ^= 0x5a })},
			{"ttl-1", one(ttl1(f))},
			{"options", withOpts(one(f))},
			{"too-big", big(f)},
			{"short-length", edit(one(f), set(14, 3, one(f)[14+3]-2))},
		}
	}
	l2Bad := []bad{
		{"tagged", tagged(one(l2Flow()), 99)},
		{"too-big", l2big},
		{"runt", one(l2Flow())[:12]},
	}
	v2Bad := func(wrap func([]byte) []byte, msg v2msg) []bad {
		ip := ipPacket(one(ret))
		wrong := msg
		wrong.sid = 999
		badLen := msg
		badLen.l, badLen.length = true, 7
		return []bad{
			{"wrong-session", peer.udp(wrong.bytes(append(pppFor(ip), ip...)))},
			{"bad-length", peer.udp(badLen.bytes(append(pppFor(ip), ip...)))},
			{"udp-checksum", l2tpPeer{}.udp(msg.bytes(append(pppFor(ip), ip...)))},
			{"ttl-1", wrap(ipPacket(one(ttl1(ret))))},
			{"inner-options", wrap(ipPacket(withOpts(one(ret))))},
			{"inner-bad-checksum", wrap(edit(ip, func(b []byte) { b[10] ^= 0x5a }))},
			{"too-big", wrap(ipPacket(big(ret)))},
			{"outer-ce", l2tpPeer{zeroCsum: true, tos: 3}.udp(msg.bytes(append(pppFor(ip), ip...)))},
			{"no-route", wrap(ipPacket(one(noRoute)))},
			{"ipv6-inner", wrap(ipPacket(one(pktgen.Flow{Src: netip.MustParseAddr("2001:db8:7::1"),
				Dst: netip.MustParseAddr("2001:db8:1::2"), Proto: pktgen.ProtoUDP, SrcPort: 1, DstPort: 2,
				TTL: 9})))},
		}
	}
	v3Bad := func(udp bool, sid uint32, cookie, sub []byte) []bad {
		wrap := func(p l2tpPeer, sid uint32, cookie, f []byte) []byte {
			if udp {
				return p.udp(v3msg(true, sid, cookie, sub, f))
			}
			return p.ip115(v3msg(false, sid, cookie, sub, f))
		}
		f := one(l2Flow())
		out := []bad{
			{"wrong-session", wrap(peer, sid+100, cookie, f)},
			{"too-big", wrap(peer, sid, cookie, l2big)},
			{"outer-ce", wrap(l2tpPeer{zeroCsum: true, tos: 3}, sid, cookie, f)},
			{"truncated", wrap(peer, sid, cookie, f[:6])},
			{"inner-tagged", wrap(peer, sid, cookie, tagged(f, 5))},
		}
		if len(cookie) > 0 {
			out = append(out, bad{"cookie-mismatch", wrap(peer, sid, edit(cookie, func(b []byte) { b[0] ^= 1 }), f)})
		}
		if udp {
			out = append(out, bad{"udp-checksum", wrap(l2tpPeer{}, sid, cookie, f)},
				bad{"version-2", edit(wrap(peer, sid, cookie, f), func(b []byte) { b[14+20+8+1] = 2 })})
		}
		return out
	}
	cases := []struct {
		name, port, conf string
		good             [][]byte
		bad              []bad
	}{
		{"l2tpv2-encap", "inner", "", sized(v2aFlow, 20), encapBad(v2aFlow)},
		{"l2tpv2-len-encap", "inner", "", sized(v2bFlow, 20), encapBad(v2bFlow)},
		{"l2tpv2-decap", "uplink", "", v2aIn, v2Bad(v2aUDP, v2a)},
		{"l2tpv2-len-decap", "uplink", "", v2bIn, v2Bad(v2bUDP, v2b)},
		{"l2tpv3-ip-encap", "l2", uniformPWIP, sized(l2Flow(), 20), l2Bad},
		{"l2tpv3-udp-encap", "l2", uniformPWUDP + uniformL2Bind, sized(l2Flow(), 20), l2Bad},
		{"l2tpv3-sublayer-encap", "l2", uniformPWUDPSub + uniformL2Bind, sized(l2Flow(), 20), l2Bad},
		{"l2tpv3-ip-decap", "uplink", uniformPWIP, pwIPIn, v3Bad(false, 4096, cookieIP, nil)},
		{"l2tpv3-udp-decap", "uplink", uniformPWUDP + uniformL2Bind, pwUDPIn, v3Bad(true, 4097, nil, nil)},
		{"l2tpv3-sublayer-decap", "uplink", uniformPWUDPSub + uniformL2Bind, pwSubIn,
			v3Bad(true, 4098, cookieSub, []byte{0x40, 0, 0, 7})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// run feeds in as it comes, or frame by frame through the classifier
			run := func(in [][]byte, each bool) *result {
				r := newRig(t)
				r.conf = uniformL2TPBase
				r.ports = uniformL2TPPorts
				r.extra = c.conf
				g, total := r.open(map[string][][]byte{c.port: in})
				defer g.Close()
				if each {
					require.NoError(t, g.tapArm(c.port, 1<<30))
				}
				require.NoError(t, g.Start())
				res := r.finish(g, total)
				if each {
					g.tapDisarm()
				}
				return res
			}
			same := func(in [][]byte) *result {
				fast, each := run(in, false), run(in, true)
				for port, out := range each.out {
					require.Equal(t, out, fast.out[port], "port %s", port)
				}
				fc, ec := fast.ctr, each.ctr
				fc.Polls, fc.BusyPolls, ec.Polls, ec.BusyPolls = 0, 0, 0, 0
				require.Equal(t, ec, fc)
				return fast
			}
			alone := same(c.good)
			require.Zero(t, alone.ctr.Dropped(), "drops %v", nonZero(alone.ctr.Drops))
			sent := 0
			for _, out := range alone.out {
				sent += len(out)
			}
			require.Equal(t, len(c.good), sent)
			for _, b := range c.bad {
				t.Run(b.name, func(t *testing.T) {
					same(append(append(append([][]byte(nil), c.good[:7]...), b.frame), c.good[7:]...))
				})
			}
		})
	}
}
