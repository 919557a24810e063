package dataplane

import (
	"net/netip"
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// The burst loops take a burst whose packets all go one way (one tunnel,
// one route, every check passed) in one straight pass, and any other burst
// packet by packet. Both must give the same bytes: each case runs its good
// frames alone (the uniform pass) and again with one spoiled frame among
// them (the per-packet loops), and compares every output byte for byte.
// gre7Tunnel: GRE tunnel gre7 (key 70) to the rig's peer, routed 10.7.0.0/16.
const gre7Tunnel = `
[[tunnel]]
name = "gre7"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 70

[[route]]
prefix = "10.7.0.0/16"
tunnel = "gre7"
`

func TestUniformBurstsAsPerPacket(t *testing.T) {
	const extra = gre7Tunnel
	sized := func(base pktgen.Flow, n int) [][]byte {
		var out [][]byte
		for i := 0; i < n; i++ {
			out = append(out, pktgen.FrameOfSize(pktgen.FlowN(base, i%5), 64+(i*37)%400, i))
		}
		return out
	}
	enc := innerFlow()
	enc.Dst = netip.MustParseAddr("10.7.0.9")
	ret := returnFlow()
	gre7 := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 70}}
	vx := vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 100, noCsum: true}
	var greIn, vxIn [][]byte
	for _, f := range sized(ret, 20) {
		greIn = append(greIn, gre7.frame(ipPacket(f)))
	}
	for _, f := range sized(l2Flow(), 20) {
		vxIn = append(vxIn, vx.frame(f))
	}
	spoil := func(f []byte, at int) []byte {
		f = append([]byte(nil), f...)
		f[at] ^= 0x5a
		return f
	}
	tagged := append([]byte(nil), sized(l2Flow(), 1)[0]...)
	tagged = append(tagged[:12:12], append([]byte{0x81, 0x00, 0x0f, 0xff}, tagged[12:]...)...)
	cases := []struct {
		name, port string
		good       [][]byte
		bad        []byte
		reason     string
	}{
		{"gre-encap", "inner", sized(enc, 20), spoil(sized(enc, 1)[0], 14+10), "bad_ip_checksum"},
		{"gre-decap", "uplink", greIn, spoil(greIn[3], 14+10), "bad_ip_checksum"},
		{"vxlan-encap", "l2", sized(l2Flow(), 20), tagged, "no_l2_binding"},
		{"vxlan-decap", "uplink", vxIn, vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 101,
			noCsum: true}.frame(sized(l2Flow(), 1)[0]), "unknown_tunnel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := func(in [][]byte) *result {
				r := newRig(t)
				r.extra = extra
				return r.run(map[string][][]byte{c.port: in})
			}
			alone := run(c.good)
			mixed := run(append(append(append([][]byte(nil), c.good[:7]...), c.bad), c.good[7:]...))
			require.Zero(t, alone.ctr.Dropped(), "drops %v", nonZero(alone.ctr.Drops))
			require.EqualValues(t, 1, mixed.ctr.Dropped(), "drops %v", nonZero(mixed.ctr.Drops))
			require.EqualValues(t, 1, mixed.drops(c.reason))
			sent := 0
			for port, out := range alone.out {
				require.Equal(t, out, mixed.out[port], "port %s", port)
				sent += len(out)
			}
			require.Equal(t, len(c.good), sent)
			for _, tn := range []string{"gre7", "vx1"} {
				require.Equal(t, alone.tunnel(tn), mixed.tunnel(tn), "tunnel %s", tn)
			}
		})
	}
}
