package dataplane

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// armed starts f (a trace or capture) and waits until it has armed the tap.
func armed(t *testing.T, g *Gateway, f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.tap.mu.Lock()
		busy := g.tap.busy
		g.tap.mu.Unlock()
		if busy {
			return done
		}
		require.True(t, time.Now().Before(deadline), "tap never armed")
		time.Sleep(time.Millisecond)
	}
}

// A trace shows each packet as received and the last step taken with it:
// a GRE encap, a drop with its reason, a VXLAN decap.
func TestTrace(t *testing.T) {
	r := newRig(t)
	enc := pktgen.Mix(3, 1, innerFlow(), 0)
	bad := append([]byte(nil), enc[0]...)
	copy(bad[0:6], mac("02:00:00:00:99:99")) // not our MAC
	inner := append(enc, bad)
	vx := vxlanOuter{src: "192.0.2.77", dst: "192.0.2.1", vni: 100}.frame(pktgen.Mix(2, 1, l2Flow(), 0)[0])
	g, total := r.open(map[string][][]byte{"inner": inner, "uplink": {vx}})
	defer g.Close()

	var trIn, trUp []TraceRecord
	var errIn error
	done := armed(t, g, func() { trIn, errIn = g.Trace("inner", 4, 5*time.Second) })
	require.NoError(t, g.Start())
	<-done
	require.NoError(t, errIn)
	r.finish(g, total)
	require.Len(t, trIn, 4)
	for i := 0; i < 3; i++ {
		require.Equal(t, "encap", trIn[i].Action)
		require.Equal(t, "gre1", trIn[i].Tunnel)
		require.Equal(t, "uplink", trIn[i].OutPort)
		require.Equal(t, "inner", trIn[i].InPort)
		require.Equal(t, enc[i], trIn[i].Frame, "frame as received")
		require.Equal(t, len(enc[i]), trIn[i].Len)
	}
	require.Equal(t, "drop", trIn[3].Action)
	require.Equal(t, "not_local", trIn[3].Reason)

	// a second gateway run: trace the underlay
	r2 := newRig(t)
	g2, total2 := r2.open(map[string][][]byte{"uplink": {vx}})
	defer g2.Close()
	var err2 error
	done = armed(t, g2, func() { trUp, err2 = g2.Trace("uplink", 1, 5*time.Second) })
	require.NoError(t, g2.Start())
	<-done
	require.NoError(t, err2)
	r2.finish(g2, total2)
	require.Len(t, trUp, 1)
	require.Equal(t, "decap", trUp[0].Action)
	require.Equal(t, "vx1", trUp[0].Tunnel)
	require.Equal(t, "l2", trUp[0].OutPort)

	_, err := g2.Trace("nosuch", 1, time.Millisecond)
	require.ErrorIs(t, err, ErrNoSuchPort)
}

// A capture writes what a port received to a pcap that tshark reads.
func TestCapture(t *testing.T) {
	r := newRig(t)
	in := pktgen.Mix(20, 4, innerFlow(), 0)
	g, total := r.open(map[string][][]byte{"inner": in})
	defer g.Close()
	file := filepath.Join(t.TempDir(), "cap.pcap")
	require.NoError(t, g.CaptureStart("inner", file, 0))
	require.ErrorIs(t, g.CaptureStart("inner", file+"2", 0), ErrTapBusy)
	require.NoError(t, g.Start())
	deadline := time.Now().Add(5 * time.Second)
	for c := g.Counters(); c.RxPackets() < uint64(total) && time.Now().Before(deadline); c = g.Counters() {
		time.Sleep(time.Millisecond)
	}
	n, err := g.CaptureStop()
	require.NoError(t, err)
	require.Equal(t, len(in), n)
	r.finish(g, total)
	got, err := pktgen.ReadPcap(file)
	require.NoError(t, err)
	require.Equal(t, in, got)
	rows := tshark(t, file, "ip.src", "udp.dstport")
	require.Len(t, rows, len(in))
}

func TestClearCounters(t *testing.T) {
	r := newRig(t)
	g, total := r.open(map[string][][]byte{"inner": pktgen.Mix(10, 1, innerFlow(), 0)})
	defer g.Close()
	require.NoError(t, g.Start())
	r.finish(g, total)
	c := g.Counters()
	require.EqualValues(t, 10, c.Ports[0].RxPkts)
	require.EqualValues(t, 10, c.Tunnels[0].EncapPkts)
	require.NoError(t, g.ClearCounters("uplink"))
	c = g.Counters()
	require.EqualValues(t, 10, c.Ports[0].RxPkts, "another port's counters stay")
	require.Zero(t, c.Ports[1].TxPkts)
	require.NoError(t, g.ClearCounters(""))
	c = g.Counters()
	require.Zero(t, c.Ports[0].RxPkts)
	require.Zero(t, c.Tunnels[0].EncapPkts)
	require.Zero(t, c.Ports[0].Eth.IPackets, "device stats reset too")
	require.ErrorIs(t, g.ClearCounters("nosuch"), ErrNoSuchPort)
}
