package dataplane

/*
#include <rte_cycles.h>
#include "tf.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
	"unsafe"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// ErrTapBusy is returned when a trace or capture is already running.
var ErrTapBusy = errors.New("a trace or capture is already running")

// TraceRecord is one packet a worker saw on a tapped port and what it did
// with it.
type TraceRecord struct {
	Worker  int       `json:"worker"`
	Time    time.Time `json:"time"`
	InPort  string    `json:"in_port"`
	Frame   []byte    `json:"frame"`  // as received, at most 2048 bytes
	Len     int       `json:"len"`    // wire length
	Action  string    `json:"action"` // encap, decap, route, reply, drop
	Tunnel  string    `json:"tunnel,omitempty"`
	OutPort string    `json:"out_port,omitempty"`
	Reason  string    `json:"reason,omitempty"` // drop reason
}

var actionNames = map[int]string{
	C.TF_ACT_NONE: "none", C.TF_ACT_ENCAP: "encap", C.TF_ACT_DECAP: "decap",
	C.TF_ACT_ROUTE: "route", C.TF_ACT_REPLY: "reply", C.TF_ACT_DROP: "drop",
}

// tapState is the one trace or capture that may run at a time.
type tapState struct {
	mu      sync.Mutex
	busy    bool
	tails   []uint32
	t0      time.Time
	tsc0    uint64
	hz      float64
	capture *capture
}

type capture struct {
	f     *os.File
	w     *pcapgo.Writer
	n     int
	stop  chan struct{}
	done  chan error
	limit int
}

func (g *Gateway) portByName(name string) (*Port, error) {
	for _, p := range g.Ports {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNoSuchPort, name)
}

func (g *Gateway) tapArm(port string, n uint32) error {
	p, err := g.portByName(port)
	if err != nil {
		return err
	}
	ts := &g.tap
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.busy {
		return ErrTapBusy
	}
	ts.tails = make([]uint32, len(g.workers))
	Do(func() {
		ts.hz = float64(C.rte_get_tsc_hz())
		ts.tsc0, ts.t0 = uint64(C.rte_rdtsc()), time.Now()
		for i, w := range g.workers {
			ts.tails[i] = uint32(C.tf_tap_head(w.c)) // skip records of an earlier tap
			C.tf_tap_consume(w.c, C.uint32_t(ts.tails[i]))
			if ret := C.tf_tap_arm(w.c, C.uint32_t(1)<<p.ID, C.uint32_t(n)); ret != 0 && err == nil {
				err = cerr("tap", ret)
			}
		}
	})
	if err != nil {
		g.tapDisarm()
		return err
	}
	ts.busy = true
	return nil
}

// tapDisarm stops the tap and waits until the records of packets already
// in hand are written.
func (g *Gateway) tapDisarm() {
	Do(func() {
		for _, w := range g.workers {
			C.tf_tap_disarm(w.c)
		}
		C.tf_quiesce(g.sh)
	})
}

// tapDrain copies out the records the workers have written since the last
// drain (reads of C memory, no cgo call per record).
func (g *Gateway) tapDrain() []TraceRecord {
	ts := &g.tap
	var out []TraceRecord
	for i, w := range g.workers {
		head := uint32(C.tf_tap_head(w.c))
		if w.c.tap.recs == nil {
			continue
		}
		recs := unsafe.Slice(w.c.tap.recs, C.TF_TAP_SLOTS)
		for ; ts.tails[i] != head; ts.tails[i]++ {
			r := &recs[ts.tails[i]%C.TF_TAP_SLOTS]
			tr := TraceRecord{Worker: i, Len: int(r.pkt_len), Action: actionNames[int(r.action)],
				Frame: C.GoBytes(unsafe.Pointer(&r.data[0]), C.int(r.cap_len))}
			tr.Time = ts.t0.Add(time.Duration(float64(uint64(r.tsc)-ts.tsc0) / ts.hz * 1e9))
			if pi := g.portIndex(uint16(r.in_port)); pi >= 0 {
				tr.InPort = g.Ports[pi].Name
			}
			if r.out_port != 0xffff {
				if pi := g.portIndex(uint16(r.out_port)); pi >= 0 {
					tr.OutPort = g.Ports[pi].Name
				}
			}
			if r.action == C.TF_ACT_DROP {
				tr.Reason = DropNames[r.reason]
			}
			if r.tunnel != C.TF_NO_TUNNEL {
				tr.Tunnel = g.tunnelBySlot(int(r.tunnel))
			}
			out = append(out, tr)
		}
		C.tf_tap_consume(w.c, C.uint32_t(ts.tails[i]))
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Time.Before(out[b].Time) })
	return out
}

func (g *Gateway) portIndex(id uint16) int {
	for i, p := range g.Ports {
		if p.ID == id {
			return i
		}
	}
	return -1
}

func (g *Gateway) tunnelBySlot(s int) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, ts := range g.tunSlots {
		if ts == s {
			return g.cfg.Tunnels[i].Name
		}
	}
	return fmt.Sprintf("slot%d", s)
}

// Trace returns the next n packets received on port, with what the
// dataplane did with each, waiting at most timeout for them.
func (g *Gateway) Trace(port string, n int, timeout time.Duration) ([]TraceRecord, error) {
	if n <= 0 || n > C.TF_TAP_SLOTS {
		return nil, fmt.Errorf("trace: count must be 1..%d", C.TF_TAP_SLOTS)
	}
	if err := g.tapArm(port, uint32(n)); err != nil {
		return nil, err
	}
	defer func() {
		g.tap.mu.Lock()
		g.tap.busy = false
		g.tap.mu.Unlock()
	}()
	var out []TraceRecord
	deadline := time.Now().Add(timeout)
	for len(out) < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		out = append(out, g.tapDrain()...)
	}
	g.tapDisarm()
	out = append(out, g.tapDrain()...)
	if len(out) > n { // each worker counts n on its own
		out = out[:n]
	}
	return out, nil
}

// CaptureStart copies packets received on port into a pcap file until
// CaptureStop or, with n > 0, n packets. Frames longer than 2048 bytes are
// truncated (the pcap records their full length).
func (g *Gateway) CaptureStart(port, file string, n int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	pw := pcapgo.NewWriterNanos(f)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return err
	}
	limit := uint32(0xffffffff)
	if n > 0 {
		limit = uint32(n)
	}
	if err := g.tapArm(port, limit); err != nil {
		f.Close()
		os.Remove(file)
		return err
	}
	c := &capture{f: f, w: pw, stop: make(chan struct{}), done: make(chan error, 1), limit: n}
	g.tap.capture = c
	go g.captureLoop(c)
	return nil
}

func (g *Gateway) captureLoop(c *capture) {
	write := func() error {
		for _, r := range g.tapDrain() {
			if c.limit > 0 && c.n >= c.limit {
				return nil
			}
			ci := gopacketCI(r)
			if err := c.w.WritePacket(ci, r.Frame); err != nil {
				return err
			}
			c.n++
		}
		return nil
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			g.tapDisarm()
			err := write()
			if e := c.f.Close(); err == nil {
				err = e
			}
			c.done <- err
			return
		case <-tick.C:
			if err := write(); err != nil {
				g.tapDisarm()
				c.f.Close()
				<-c.stop
				c.done <- err
				return
			}
		}
	}
}

// CaptureStop ends the capture and returns how many packets it wrote.
func (g *Gateway) CaptureStop() (int, error) {
	ts := &g.tap
	ts.mu.Lock()
	c := ts.capture
	ts.capture = nil
	ts.mu.Unlock()
	if c == nil {
		return 0, errors.New("no capture running")
	}
	close(c.stop)
	err := <-c.done
	ts.mu.Lock()
	ts.busy = false
	ts.mu.Unlock()
	return c.n, err
}

func gopacketCI(r TraceRecord) gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: r.Time, CaptureLength: len(r.Frame), Length: r.Len}
}
