package dataplane

/*
#include "tf.h"
*/
import "C"

import (
	"errors"
	"fmt"
)

// Drop reasons as the C dataplane declares them (TF_DROP_LIST in csrc/tf.h).
var (
	DropNames = dropNames()
	DropHelp  = dropHelp()
)

func dropNames() []string {
	n := make([]string, C.TF_DROP_MAX)
	for i := range n {
		n[i] = C.GoString(C.tf_drop_name(C.uint(i)))
	}
	return n
}

func dropHelp() []string {
	n := make([]string, C.TF_DROP_MAX)
	for i := range n {
		n[i] = C.GoString(C.tf_drop_help(C.uint(i)))
	}
	return n
}

// PortCounters are one port's counters summed over workers, with the
// device's own.
type PortCounters struct {
	Name    string   `json:"name"`
	RxPkts  uint64   `json:"rx_packets"`
	RxBytes uint64   `json:"rx_bytes"`
	TxPkts  uint64   `json:"tx_packets"`
	TxBytes uint64   `json:"tx_bytes"`
	Drops   uint64   `json:"drops"`
	TxFull  uint64   `json:"tx_full"` // refused by the device's tx queue
	Eth     EthStats `json:"device"`
}

// TunnelCounters count inner packets and bytes into and out of a tunnel.
type TunnelCounters struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	EncapPkts  uint64 `json:"encap_packets"`
	EncapBytes uint64 `json:"encap_bytes"`
	DecapPkts  uint64 `json:"decap_packets"`
	DecapBytes uint64 `json:"decap_bytes"`
}

// SIDCounters count the packets a local SRv6 SID processed (bytes as received).
type SIDCounters struct {
	SID      string `json:"sid"`
	Behavior string `json:"behavior"`
	Pkts     uint64 `json:"packets"`
	Bytes    uint64 `json:"bytes"`
}

// Counters is a sum of every worker's counter block.
type Counters struct {
	Polls       uint64            `json:"polls"`
	BusyPolls   uint64            `json:"busy_polls"`
	ARPReplies  uint64            `json:"arp_replies"`
	NDReplies   uint64            `json:"nd_replies"` // Neighbour Advertisements sent
	EchoReplies uint64            `json:"echo_replies"`
	Routed      uint64            `json:"routed"`
	Drops       map[string]uint64 `json:"drops"` // by reason name; every reason present
	// ICMP and ICMPv6 errors sent in place of a drop, by the drop reason they stand
	// for (the packet is answered, not dropped: it counts as tx)
	ICMPErrors map[string]uint64 `json:"icmp_errors"`
	SIDs       []SIDCounters     `json:"sids"`
	Ports      []PortCounters    `json:"ports"`
	Tunnels    []TunnelCounters  `json:"tunnels"`
}

// Dropped is the total of every drop reason.
func (c *Counters) Dropped() uint64 {
	var n uint64
	for _, v := range c.Drops {
		n += v
	}
	return n
}

// baseline holds the raw totals at the last clear, subtracted from reads.
type baseline struct {
	polls, busy, arp, nd, echo, routed uint64
	drops                              [C.TF_DROP_MAX]uint64
	icmp                               [C.TF_DROP_MAX]uint64
	sidPkts, sidBytes                  [C.TF_MAX_SIDS]uint64        // by SID index
	ports                              [C.TF_MAX_PORTS]PortCounters // by port id
}

// raw sums every worker's counter block (plain loads of C memory that the
// workers write: a live read may be a few packets behind, never torn).
func (g *Gateway) raw() (b baseline) {
	for _, w := range g.workers {
		k := &w.c.ctr
		b.polls += uint64(k.polls)
		b.busy += uint64(k.busy_polls)
		b.arp += uint64(k.arp_replies)
		b.nd += uint64(k.nd_replies)
		b.echo += uint64(k.echo_replies)
		b.routed += uint64(k.routed)
		for i := range b.drops {
			b.drops[i] += uint64(k.drop[i])
			b.icmp[i] += uint64(k.icmp_err[i])
		}
		for i := range b.sidPkts {
			b.sidPkts[i] += uint64(k.sid[i].pkts)
			b.sidBytes[i] += uint64(k.sid[i].bytes)
		}
		for _, p := range g.Ports {
			pc, bp := &k.port[p.ID], &b.ports[p.ID]
			bp.RxPkts += uint64(pc.rx_pkts)
			bp.RxBytes += uint64(pc.rx_bytes)
			bp.TxPkts += uint64(pc.tx_pkts)
			bp.TxBytes += uint64(pc.tx_bytes)
			bp.Drops += uint64(pc.drops)
			bp.TxFull += uint64(pc.tx_full)
		}
	}
	return b
}

func subPort(a, b PortCounters) PortCounters {
	return PortCounters{RxPkts: a.RxPkts - b.RxPkts, RxBytes: a.RxBytes - b.RxBytes,
		TxPkts: a.TxPkts - b.TxPkts, TxBytes: a.TxBytes - b.TxBytes, Drops: a.Drops - b.Drops, TxFull: a.TxFull - b.TxFull}
}

func subTunnel(a, b TunnelCounters) TunnelCounters {
	a.EncapPkts -= b.EncapPkts
	a.EncapBytes -= b.EncapBytes
	a.DecapPkts -= b.DecapPkts
	a.DecapBytes -= b.DecapBytes
	return a
}

// Counters returns the counters since start or the last clear, summed over
// workers, with each device's own stats.
func (g *Gateway) Counters() Counters {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.raw()
	base := &g.base
	c := Counters{Drops: map[string]uint64{},
		Polls: r.polls - base.polls, BusyPolls: r.busy - base.busy,
		ARPReplies: r.arp - base.arp, NDReplies: r.nd - base.nd, EchoReplies: r.echo - base.echo, Routed: r.routed - base.routed}
	c.ICMPErrors = map[string]uint64{}
	for i := range r.drops {
		c.Drops[DropNames[i]] = r.drops[i] - base.drops[i]
		if n := r.icmp[i] - base.icmp[i]; n != 0 {
			c.ICMPErrors[DropNames[i]] = n
		}
	}
	// SID counters are by position: a SID that moves in the table keeps
	// the count of the one that was there
	c.SIDs = make([]SIDCounters, len(g.cfg.SIDs))
	for i, s := range g.cfg.SIDs {
		c.SIDs[i] = SIDCounters{SID: s.SID.String(), Behavior: s.Behavior,
			Pkts: r.sidPkts[i] - base.sidPkts[i], Bytes: r.sidBytes[i] - base.sidBytes[i]}
	}
	c.Ports = make([]PortCounters, len(g.Ports))
	for i, p := range g.Ports {
		c.Ports[i] = subPort(r.ports[p.ID], base.ports[p.ID])
		c.Ports[i].Name = p.Name
	}
	c.Tunnels = make([]TunnelCounters, len(g.cfg.Tunnels))
	for i, t := range g.cfg.Tunnels {
		s := g.tunSlots[i]
		c.Tunnels[i] = subTunnel(g.slotTotals(s), g.slots.base[s])
		c.Tunnels[i].Name, c.Tunnels[i].Type = t.Name, t.Type
	}
	Do(func() {
		for i, p := range g.Ports {
			c.Ports[i].Eth, _ = p.ethStats()
		}
	})
	return c
}

// ClearCounters zeroes the counters of one port (its device stats too), or
// with port "" of everything: ports, tunnels, drop reasons.
func (g *Gateway) ClearCounters(port string) (err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.raw()
	var ports []*Port
	for _, p := range g.Ports {
		if port == "" || p.Name == port {
			ports = append(ports, p)
			g.base.ports[p.ID] = r.ports[p.ID]
		}
	}
	if len(ports) == 0 {
		return fmt.Errorf("%w: %s", ErrNoSuchPort, port)
	}
	if port == "" {
		keep := g.base.ports
		g.base = r
		g.base.ports = keep
		for _, s := range g.tunSlots {
			g.slots.base[s] = g.slotTotals(s)
		}
	}
	Do(func() {
		for _, p := range ports {
			if e := p.resetStats(); e != nil && err == nil {
				err = e
			}
		}
	})
	return err
}

// LcoreInfo describes one worker.
type LcoreInfo struct {
	Lcore     int      `json:"lcore"`
	Worker    int      `json:"worker"`
	Queues    []string `json:"queues"` // "port:queue" polled
	Polls     uint64   `json:"polls"`
	BusyPolls uint64   `json:"busy_polls"`
}

// Lcores describes the workers and how busy they are.
func (g *Gateway) Lcores() []LcoreInfo {
	var out []LcoreInfo
	for i, w := range g.workers {
		li := LcoreInfo{Lcore: w.lcore, Worker: i, Polls: uint64(w.c.ctr.polls), BusyPolls: uint64(w.c.ctr.busy_polls)}
		for _, p := range g.Ports {
			li.Queues = append(li.Queues, fmt.Sprintf("%s:%d", p.Name, i))
		}
		out = append(out, li)
	}
	return out
}

// Xstats returns the extended statistics of the named port.
func (g *Gateway) Xstats(port string) (xs []Xstat, err error) {
	for _, p := range g.Ports {
		if p.Name == port {
			Do(func() { xs, err = p.xstats() })
			return xs, err
		}
	}
	return nil, ErrNoSuchPort
}

// ErrNoSuchPort is returned for a port name the gateway does not have.
var ErrNoSuchPort = errors.New("no such port")

// RxPackets is the total the workers received over all ports.
func (c *Counters) RxPackets() uint64 {
	var rx uint64
	for _, p := range c.Ports {
		rx += p.RxPkts
	}
	return rx
}

// DeviceRx is the total the devices report received (rte_eth_stats ipackets).
func (c *Counters) DeviceRx() uint64 {
	var rx uint64
	for _, p := range c.Ports {
		rx += p.Eth.IPackets
	}
	return rx
}
