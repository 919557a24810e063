package cli

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"tunfwd/conf"
	"tunfwd/dataplane"
)

// fixture is the configuration the command examples are written against.
const fixture = `
[eal]
file_prefix = "tunfwd-cli"

[dataplane]
workers = [1]
mbufs = 2047

[[port]]
name = "lan"
side = "inner"
vdev = "net_ring_lan"
mac = "02:00:00:00:01:01"
addresses = ["10.1.0.1/24"]

[[port]]
name = "l2"
side = "inner"
vdev = "net_ring_l2"

[[port]]
name = "wan"
side = "underlay"
vdev = "net_ring_wan"
mac = "02:00:00:00:02:01"
addresses = ["192.0.2.1/24"]

[[nexthop]]
ip = "192.0.2.2"
mac = "02:00:00:00:02:02"
port = "wan"

[[nexthop]]
ip = "192.0.2.9"
mac = "02:00:00:00:02:09"
port = "wan"

[[nexthop]]
ip = "10.1.0.2"
mac = "02:00:00:00:01:02"
port = "lan"

[[tunnel]]
name = "g1"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 7

[[tunnel]]
name = "g2"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.9"
key = 8
dscp = 0

[[tunnel]]
name = "vx1"
type = "vxlan"
local = "192.0.2.1"
remote = "192.0.2.2"
vni = 100

[[route]]
prefix = "10.2.0.0/16"
tunnel = "g1"

[[l2]]
port = "l2"
tunnel = "vx1"
`

// fake is a Gateway over a configuration, with made-up counters. Apply
// refuses what the real one refuses (a change of EAL, sizing or ports).
type fake struct {
	cfg      *conf.Config
	running  bool
	applied  int
	cleared  []string
	trace    []dataplane.TraceRecord
	traceErr error
	applyErr error
	capture  string
	capN     int
	starts   int
	stops    int
}

func newFake(t testing.TB) *fake {
	t.Helper()
	cfg, err := conf.Parse([]byte(fixture), "fixture.toml")
	if err != nil {
		t.Fatal(err)
	}
	return &fake{cfg: cfg, running: true}
}

func (f *fake) Counters() dataplane.Counters {
	c := dataplane.Counters{Drops: map[string]uint64{}, Polls: 1000, BusyPolls: 250, ARPReplies: 2}
	for _, n := range dataplane.DropNames {
		c.Drops[n] = 0
	}
	c.Drops["not_local"] = 5
	c.Drops["no_route"] = 1
	for i, p := range f.cfg.Ports {
		n := uint64(100 * (i + 1))
		c.Ports = append(c.Ports, dataplane.PortCounters{Name: p.Name, RxPkts: n, RxBytes: n * 100,
			TxPkts: n / 2, TxBytes: n * 50, Drops: 1,
			Eth: dataplane.EthStats{IPackets: n, OPackets: n / 2, IBytes: n * 100, OBytes: n * 50, IMissed: 3}})
	}
	for i, t := range f.cfg.Tunnels {
		n := uint64(10 * (i + 1))
		c.Tunnels = append(c.Tunnels, dataplane.TunnelCounters{Name: t.Name, Type: t.Type,
			EncapPkts: n, EncapBytes: n * 64, DecapPkts: n + 1, DecapBytes: (n + 1) * 64})
	}
	return c
}

func (f *fake) SACounters() []dataplane.SACounters {
	out := []dataplane.SACounters{}
	for i, s := range f.cfg.SAs {
		out = append(out, dataplane.SACounters{Name: s.Name, Dir: s.Dir, SPI: s.SPI, Packets: uint64(10 * (i + 1))})
	}
	return out
}

func (f *fake) PortInfo() []dataplane.PortInfo {
	var out []dataplane.PortInfo
	for i, p := range f.cfg.Ports {
		out = append(out, dataplane.PortInfo{Name: p.Name, ID: uint16(i), Side: p.Side, MAC: p.MAC.String(),
			Driver: "net_ring", Link: "Link up at 10 Gbps FDX Fixed", MTU: p.MTU})
	}
	return out
}

func (f *fake) Xstats(port string) ([]dataplane.Xstat, error) {
	if _, p := f.cfg.Port(port); p == nil {
		return nil, dataplane.ErrNoSuchPort
	}
	return []dataplane.Xstat{{Name: "rx_good_packets", Value: 100}, {Name: "tx_good_packets", Value: 50}}, nil
}

func (f *fake) ClearCounters(port string) error {
	if port != "" {
		if _, p := f.cfg.Port(port); p == nil {
			return dataplane.ErrNoSuchPort
		}
	}
	f.cleared = append(f.cleared, port)
	return nil
}

func (f *fake) Start() error {
	if f.running {
		return dataplane.ErrRunning
	}
	f.running = true
	f.starts++
	return nil
}

func (f *fake) Stop() error {
	if !f.running {
		return dataplane.ErrStopped
	}
	f.running = false
	f.stops++
	return nil
}

func (f *fake) Running() bool        { return f.running }
func (f *fake) Config() *conf.Config { return f.cfg }

func (f *fake) Apply(cfg *conf.Config) error {
	if f.applyErr != nil {
		return f.applyErr
	}
	if !reflect.DeepEqual(f.cfg.EAL, cfg.EAL) || !reflect.DeepEqual(f.cfg.Dataplane, cfg.Dataplane) {
		return fmt.Errorf("%w: eal or dataplane changed", dataplane.ErrRestartNeeded)
	}
	if len(f.cfg.Ports) != len(cfg.Ports) {
		return fmt.Errorf("%w: ports", dataplane.ErrRestartNeeded)
	}
	for i := range cfg.Ports {
		a, b := f.cfg.Ports[i], cfg.Ports[i]
		a.Addresses, b.Addresses = nil, nil
		if !reflect.DeepEqual(a, b) {
			return fmt.Errorf("%w: port %s changed", dataplane.ErrRestartNeeded, a.Name)
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	f.cfg = cfg
	f.applied++
	return nil
}

func (f *fake) Lcores() []dataplane.LcoreInfo {
	return []dataplane.LcoreInfo{{Lcore: 1, Worker: 0, Queues: []string{"lan:0", "l2:0", "wan:0"}, Polls: 1000, BusyPolls: 250}}
}

func (f *fake) Trace(port string, n int, timeout time.Duration) ([]dataplane.TraceRecord, error) {
	if f.traceErr != nil {
		return nil, f.traceErr
	}
	var out []dataplane.TraceRecord
	for _, r := range f.trace {
		if r.InPort == port && len(out) < n {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fake) CaptureStart(port, file string, n int) error {
	if f.capture != "" {
		return errors.New("busy")
	}
	f.capture, f.capN = file, 0
	return nil
}

func (f *fake) CaptureStop() (int, error) {
	if f.capture == "" {
		return 0, errors.New("no capture running")
	}
	f.capture = ""
	return f.capN, nil
}

var _ Gateway = (*fake)(nil)
