package dataplane

/*
#include "tf.h"
*/
import "C"

import "errors"

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

// Counters is a sum of every worker's counter block.
type Counters struct {
	Polls       uint64            `json:"polls"`
	BusyPolls   uint64            `json:"busy_polls"`
	ARPReplies  uint64            `json:"arp_replies"`
	EchoReplies uint64            `json:"echo_replies"`
	Routed      uint64            `json:"routed"`
	Drops       map[string]uint64 `json:"drops"` // by reason name; every reason present
	Ports       []PortCounters    `json:"ports"`
	Tunnels     []TunnelCounters  `json:"tunnels"`
}

// Dropped is the total of every drop reason.
func (c *Counters) Dropped() uint64 {
	var n uint64
	for _, v := range c.Drops {
		n += v
	}
	return n
}

// Counters sums the workers' counters (plain loads of C memory that the
// workers write: a live read may be a few packets behind, never torn) and
// reads each device's stats.
func (g *Gateway) Counters() Counters {
	c := Counters{Drops: map[string]uint64{}}
	drops := make([]uint64, C.TF_DROP_MAX)
	c.Ports = make([]PortCounters, len(g.Ports))
	c.Tunnels = make([]TunnelCounters, len(g.cfg.Tunnels))
	for i, t := range g.cfg.Tunnels {
		c.Tunnels[i] = TunnelCounters{Name: t.Name, Type: t.Type}
	}
	for _, w := range g.workers {
		k := &w.c.ctr
		c.Polls += uint64(k.polls)
		c.BusyPolls += uint64(k.busy_polls)
		c.ARPReplies += uint64(k.arp_replies)
		c.EchoReplies += uint64(k.echo_replies)
		c.Routed += uint64(k.routed)
		for i := range drops {
			drops[i] += uint64(k.drop[i])
		}
		for i, p := range g.Ports {
			pc := &k.port[p.ID]
			c.Ports[i].RxPkts += uint64(pc.rx_pkts)
			c.Ports[i].RxBytes += uint64(pc.rx_bytes)
			c.Ports[i].TxPkts += uint64(pc.tx_pkts)
			c.Ports[i].TxBytes += uint64(pc.tx_bytes)
			c.Ports[i].Drops += uint64(pc.drops)
		}
		for i := range c.Tunnels {
			tc := &k.tun[g.tunSlots[i]]
			c.Tunnels[i].EncapPkts += uint64(tc.encap_pkts)
			c.Tunnels[i].EncapBytes += uint64(tc.encap_bytes)
			c.Tunnels[i].DecapPkts += uint64(tc.decap_pkts)
			c.Tunnels[i].DecapBytes += uint64(tc.decap_bytes)
		}
	}
	for i, n := range drops {
		c.Drops[DropNames[i]] = n
	}
	for i := range c.Tunnels {
		b := g.slots.base[g.tunSlots[i]]
		c.Tunnels[i].EncapPkts -= b.EncapPkts
		c.Tunnels[i].EncapBytes -= b.EncapBytes
		c.Tunnels[i].DecapPkts -= b.DecapPkts
		c.Tunnels[i].DecapBytes -= b.DecapBytes
	}
	Do(func() {
		for i, p := range g.Ports {
			c.Ports[i].Name = p.Name
			c.Ports[i].Eth, _ = p.ethStats()
		}
	})
	return c
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
