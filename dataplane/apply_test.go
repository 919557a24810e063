package dataplane

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"tunfwd/conf"
	"tunfwd/pktgen"
)

// liveConf: an endless stream (net_pcap infinite_rx) into tunnel a, out of
// a net_null port that counts what it is given. {{b}} is where tunnel b
// and its route appear and disappear.
const liveConf = `
[dataplane]
workers = [1]
mbufs = 8191

[[port]]
name = "inner"
side = "inner"
mac = "` + innerMAC + `"
vdev = "net_pcap_live%d,rx_pcap=%s,infinite_rx=1"

[[port]]
name = "uplink"
side = "underlay"
mac = "` + uplinkMAC + `"
vdev = "net_null_live%d,no-rx=1"
addresses = ["192.0.2.1/24"]

[[nexthop]]
ip = "192.0.2.2"
mac = "` + uplinkPeer + `"
port = "uplink"

[[tunnel]]
name = "a"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 1
seq = true

[[route]]
prefix = "10.2.0.0/16"
tunnel = "a"
`

const tunnelB = `
[[tunnel]]
name = "b"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.3"
nexthop = "192.0.2.2"
key = 2

[[route]]
prefix = "10.9.0.0/16"
tunnel = "b"
`

// Tunnel b is added and removed a thousand times while tunnel a carries
// steady traffic: every packet of a is accounted for at the output, no
// packet is dropped, and a's counters never reset.
func TestLiveChangesLoseNothing(t *testing.T) {
	id := rigSeq.Add(1)
	in := filepath.Join(t.TempDir(), "in.pcap")
	require.NoError(t, pktgen.WritePcap(in, pktgen.Mix(256, 16, innerFlow(), 0)))
	text := fmt.Sprintf(liveConf, id, in, id)
	base, err := conf.Parse([]byte(text), "live.toml")
	require.NoError(t, err)
	withB, err := conf.Parse([]byte(text+tunnelB), "live.toml")
	require.NoError(t, err)

	g, err := New(base)
	require.NoError(t, err)
	require.NoError(t, g.Start())
	var lastA uint64
	for i := 0; i < 1000; i++ {
		require.NoError(t, g.Apply(withB))
		require.NoError(t, g.Apply(base))
		if i%100 == 0 {
			a := g.Counters().Tunnels[0].EncapPkts
			require.GreaterOrEqual(t, a, lastA, "tunnel a's counters never go back")
			lastA = a
		}
	}
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, g.Stop())
	c := g.Counters()
	require.Len(t, c.Tunnels, 1)
	require.Equal(t, "a", c.Tunnels[0].Name)
	rx, a, tx := c.Ports[0].RxPkts, c.Tunnels[0].EncapPkts, c.Ports[1].TxPkts
	t.Logf("%d packets through tunnel a during 2000 table changes", a)
	require.Greater(t, a, uint64(10000), "traffic flowed throughout")
	require.Equal(t, rx, a, "every packet received went into tunnel a")
	require.Equal(t, a, tx, "every packet of a reached the output")
	require.Equal(t, tx, c.Ports[1].Eth.OPackets, "the device took them all")
	require.Zero(t, c.Dropped(), "drops: %v", nonZero(c.Drops))
	require.NoError(t, g.Close(), "no mbuf leaked")
}

// Apply rejects what live tables cannot carry and changes nothing then.
func TestApplyRejects(t *testing.T) {
	id := rigSeq.Add(1)
	in := filepath.Join(t.TempDir(), "in.pcap")
	require.NoError(t, pktgen.WritePcap(in, nil))
	text := fmt.Sprintf(liveConf, id, in, id)
	base, err := conf.Parse([]byte(text), "live.toml")
	require.NoError(t, err)
	g, err := New(base)
	require.NoError(t, err)
	defer g.Close()
	other, err := conf.Parse([]byte(text), "live.toml")
	require.NoError(t, err)
	other.Ports[0].MTU = 9000
	require.ErrorIs(t, g.Apply(other), ErrRestartNeeded)
	other.Ports[0].MTU = base.Ports[0].MTU
	other.Dataplane.Mbufs = 4095
	require.ErrorIs(t, g.Apply(other), ErrRestartNeeded)
	require.Same(t, base, g.Config())
}
