package dataplane

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"tunfwd/conf"
	"tunfwd/pktgen"
)

// The test rig: a gateway with one inner and one underlay net_pcap port.
// A test writes frames to each port's rx pcap, runs the gateway until the
// workers have received them all, stops it and reads each port's tx pcap.
// Every run checks the mempool is full again and that the counters add up.

const (
	innerMAC   = "02:00:00:00:01:01"
	innerPeer  = "02:00:00:00:01:02"
	uplinkMAC  = "02:00:00:00:02:01"
	uplinkPeer = "02:00:00:00:02:02"
	l2MAC      = "02:00:00:00:03:01"
)

// rigUplinkHead starts most rig configs: one worker, the port tables
// ({{ports}}) and the underlay peer 192.0.2.2 as a next hop.
const rigUplinkHead = `
[dataplane]
workers = [1]
mbufs = 4095
idle_us = 20

{{ports}}

[[nexthop]]
ip = "192.0.2.2"
mac = "` + uplinkPeer + `"
port = "uplink"
`

// baseConf is the rig's topology; {{ports}} is replaced by the port tables.
// Inner 10.1.0.1/24 with host 10.1.0.2; underlay 192.0.2.1/24 with peer
// 192.0.2.2; GRE gre1 (key 40, seq) for 10.2.0.0/16 and 2001:db8:2::/48;
// VXLAN vx1 (VNI 100) bridged to port l2.
const baseConf = rigUplinkHead + `
[[nexthop]]
ip = "10.1.0.2"
mac = "` + innerPeer + `"
port = "inner"

[[tunnel]]
name = "gre1"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 40
seq = true

[[tunnel]]
name = "vx1"
type = "vxlan"
local = "192.0.2.1"
remote = "192.0.2.2"
vni = 100

[[route]]
prefix = "10.2.0.0/16"
tunnel = "gre1"

[[route]]
prefix = "2001:db8:2::/48"
tunnel = "gre1"

[[l2]]
port = "l2"
tunnel = "vx1"
`

var rigSeq atomic.Int32

type rig struct {
	t     *testing.T
	dir   string
	id    int32
	extra string    // appended to the config
	conf  string    // replaces baseConf when set
	ports []rigPort // replaces rigPorts when set
}

func newRig(t *testing.T) *rig {
	return &rig{t: t, dir: t.TempDir(), id: rigSeq.Add(1)}
}

// rigPort is one net_pcap port of the rig; keys holds any further TOML
// lines of its [[port]] table (addresses, mtu).
type rigPort struct{ name, side, mac, keys string }

var rigPorts = []rigPort{
	{"inner", "inner", innerMAC, `addresses = ["10.1.0.1/24"]`},
	{"uplink", "underlay", uplinkMAC, `addresses = ["192.0.2.1/24"]`},
	{"l2", "inner", l2MAC, ""},
}

func (r *rig) portList() []rigPort {
	if r.ports != nil {
		return r.ports
	}
	return rigPorts
}

func (r *rig) config() string {
	var b strings.Builder
	for _, p := range r.portList() {
		fmt.Fprintf(&b, "[[port]]\nname = %q\nside = %q\nmac = %q\n%s\n", p.name, p.side, p.mac, p.keys)
		fmt.Fprintf(&b, "vdev = \"net_pcap_t%d_%s,rx_pcap=%s,tx_pcap=%s\"\n\n", r.id, p.name,
			r.path(p.name, "in"), r.path(p.name, "out"))
	}
	base := baseConf
	if r.conf != "" {
		base = r.conf
	}
	return strings.Replace(base, "{{ports}}", b.String(), 1) + r.extra
}

func (r *rig) hasPort(name string) bool {
	for _, p := range r.portList() {
		if p.name == name {
			return true
		}
	}
	return false
}

func (r *rig) path(port, dir string) string {
	return filepath.Join(r.dir, port+"."+dir+".pcap")
}

// result is what came out of a run.
type result struct {
	out  map[string][][]byte // tx frames by port name
	ctr  Counters
	pcap map[string]string // tx pcap path by port name
	sa   []SACounters
}

func (res *result) drops(reason string) uint64 { return res.ctr.Drops[reason] }

func (res *result) tunnel(name string) TunnelCounters {
	for _, t := range res.ctr.Tunnels {
		if t.Name == name {
			return t
		}
	}
	return TunnelCounters{}
}

// run feeds in (frames by port name) through a fresh gateway.
func (r *rig) run(in map[string][][]byte) *result {
	r.t.Helper()
	g, total := r.open(in)
	defer g.Close()
	require.NoError(r.t, g.Start())
	return r.finish(g, total)
}

// open writes the inputs and builds the gateway, not yet started.
func (r *rig) open(in map[string][][]byte) (*Gateway, int) {
	t := r.t
	t.Helper()
	total := 0
	for name := range in {
		require.True(t, r.hasPort(name), "no rig port %q", name)
	}
	for _, p := range r.portList() {
		require.NoError(t, pktgen.WritePcap(r.path(p.name, "in"), in[p.name]))
		total += len(in[p.name])
	}
	cfg, err := conf.Parse([]byte(r.config()), "rig.toml")
	require.NoError(t, err)
	g, err := New(cfg)
	require.NoError(t, err)
	return g, total
}

// finish waits until the started gateway g has received total packets,
// stops it, reads the outputs and checks the invariants.
func (r *rig) finish(g *Gateway, total int) *result {
	t := r.t
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := g.Counters()
		if c.RxPackets() >= uint64(total) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers received %d of %d packets in 10 s", c.RxPackets(), total)
		}
		time.Sleep(2 * time.Millisecond)
	}
	require.NoError(t, g.Stop())
	res := &result{out: map[string][][]byte{}, ctr: g.Counters(), pcap: map[string]string{}, sa: g.SACounters()}
	for _, p := range r.portList() {
		frames, err := pktgen.ReadPcap(r.path(p.name, "out"))
		require.NoError(t, err)
		res.out[p.name] = frames
		res.pcap[p.name] = r.path(p.name, "out")
	}
	r.checkInvariants(g, res, total)
	return res
}

// checkInvariants: no mbuf leaked; every received packet was sent or
// dropped under a reason; devices saw no errors.
func (r *rig) checkInvariants(g *Gateway, res *result, total int) {
	t := r.t
	avail, size := g.PoolAvail()
	require.Equal(t, size, avail, "mbufs leaked")
	avail, size = g.OpPoolAvail()
	require.Equal(t, size, avail, "crypto ops leaked")
	var rx, tx uint64
	for i, p := range res.ctr.Ports {
		rx += p.RxPkts
		tx += p.TxPkts
		require.Equal(t, uint64(len(res.out[p.Name])), p.TxPkts, "port %s tx count vs pcap", p.Name)
		require.Zero(t, p.Eth.RxNoMbuf, "port %s rx_nombuf", p.Name)
		require.Zero(t, p.Eth.IErrors, "port %s ierrors", p.Name)
		_ = i
	}
	require.Equal(t, uint64(total), rx)
	require.Equal(t, rx+res.ctr.Fragments-res.ctr.Fragmented, tx+res.ctr.Dropped(),
		"rx + fragments - fragmented = tx + drops (drops %v)", nonZero(res.ctr.Drops))
}

func nonZero(m map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func TestMain_Sanity(t *testing.T) {
	if _, err := os.Stat("/usr/bin/tshark"); err != nil {
		t.Log("tshark missing: run scripts/deps.sh")
	}
}

// runEach is run with the tap armed on every port when each is set: every
// packet then takes tf_burst_each and the full classifier one by one, the
// reference the burst paths are compared with (requireSameRun).
func (r *rig) runEach(in map[string][][]byte, each bool) *result {
	r.t.Helper()
	g, total := r.open(in)
	defer g.Close()
	if each {
		require.NoError(r.t, g.ArmTapAll())
	}
	require.NoError(r.t, g.Start())
	return r.finish(g, total)
}

// requireSameRun: two runs sent the same frames on every port and counted
// the same (all counters but the polls, and the SA counters).
func requireSameRun(t *testing.T, x, y *result, what string) {
	t.Helper()
	for port, out := range y.out {
		require.Equal(t, len(out), len(x.out[port]), "%s: port %s frame count", what, port)
		for i := range out {
			require.Equal(t, hex.EncodeToString(out[i]), hex.EncodeToString(x.out[port][i]),
				"%s: port %s frame %d", what, port, i)
		}
	}
	xc, yc := x.ctr, y.ctr
	xc.Polls, xc.BusyPolls, yc.Polls, yc.BusyPolls = 0, 0, 0, 0
	require.Equal(t, yc, xc, "%s: counters", what)
	require.Equal(t, y.sa, x.sa, "%s: SA counters", what)
}

// requireAllSent: a run of good frames dropped none and sent n frames in all.
func requireAllSent(t *testing.T, res *result, n int) {
	t.Helper()
	require.Zero(t, res.ctr.Dropped(), "drops %v", nonZero(res.ctr.Drops))
	sent := 0
	for _, out := range res.out {
		sent += len(out)
	}
	require.Equal(t, n, sent)
}
