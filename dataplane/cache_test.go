package dataplane

import (
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// The workers' last-tunnel cache must never answer for a key it was not
// filled with: keys alternate between a known tunnel, an unknown key, a
// known tunnel from another source, and a VXLAN tunnel.
func TestDecapCacheNeverStale(t *testing.T) {
	r := newRig(t)
	r.extra = "\n[[tunnel]]\nname = \"gre9\"\ntype = \"gre\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.9\"\nnexthop = \"192.0.2.2\"\nkey = 40\n"
	pkts := ipPackets(8, 1, returnFlow(), 0)
	good := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 40}}
	wrong := greOuter{src: "192.0.2.2", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 41}}
	other := greOuter{src: "192.0.2.9", dst: "192.0.2.1", gre: layers.GRE{KeyPresent: true, Key: 40}}
	nokey := greOuter{src: "192.0.2.2", dst: "192.0.2.1"}
	vx := vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 100}
	vxWrong := vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 101}
	l2 := pktgenFrame()
	in := [][]byte{
		good.frame(pkts[0]), good.frame(pkts[1]), wrong.frame(pkts[2]), good.frame(pkts[3]),
		other.frame(pkts[4]), other.frame(pkts[5]), nokey.frame(pkts[6]), good.frame(pkts[7]),
		vx.frame(l2), vxWrong.frame(l2), vx.frame(l2),
	}
	res := r.run(map[string][][]byte{"uplink": in})
	require.EqualValues(t, 4, res.tunnel("gre1").DecapPkts)
	require.EqualValues(t, 2, res.tunnel("gre9").DecapPkts)
	require.EqualValues(t, 2, res.tunnel("vx1").DecapPkts)
	require.EqualValues(t, 3, res.drops("unknown_tunnel"))
}

func pktgenFrame() []byte { return pktgen.Mix(1, 1, l2Flow(), 0)[0] }
