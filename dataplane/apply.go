package dataplane

/*
#include "tf.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"

	"tunfwd/conf"
)

// ErrRestartNeeded is returned by Apply for a change that live tables cannot
// carry (ports, EAL or dataplane sizing).
var ErrRestartNeeded = errors.New("change needs a restart")

// slotMap gives each tunnel name a counter/sequence slot that survives
// table changes, so that a tunnel's counters never reset while it exists.
type slotMap struct {
	byName map[string]int
	free   []int
	next   int
	base   [C.TF_MAX_TUNNELS]TunnelCounters // worker totals when the slot was (re)assigned
}

func newSlotMap() *slotMap { return &slotMap{byName: map[string]int{}} }

// assign returns the slots of ts: existing names keep theirs; names gone
// are freed; new names take a free slot. A slot freed here is reusable
// only from the next call on: until the table that drops its tunnel is
// published and its grace period over, workers still count into it and
// advance its GRE sequence.
func (m *slotMap) assign(ts []conf.Tunnel) []int {
	keep := map[string]bool{}
	for _, t := range ts {
		keep[t.Name+"/"+t.Type] = true
	}
	var freed []int
	for k, s := range m.byName {
		if !keep[k] {
			delete(m.byName, k)
			freed = append(freed, s)
		}
	}
	defer func() { m.free = append(m.free, freed...) }()
	slots := make([]int, len(ts))
	for i, t := range ts {
		k := t.Name + "/" + t.Type
		s, ok := m.byName[k]
		if !ok {
			if n := len(m.free); n > 0 {
				s, m.free = m.free[n-1], m.free[:n-1]
			} else {
				s = m.next
				m.next++
			}
			m.byName[k] = s
		}
		slots[i] = s
	}
	return slots
}

// Apply replaces the running tables (tunnels, routes, next hops, L2
// bindings, addresses) with those of cfg, a validated configuration: a new
// snapshot is published in one atomic store, so no packet of an unchanged
// tunnel is lost and no counter of a tunnel that stays resets. On error
// nothing changed.
func (g *Gateway) Apply(cfg *conf.Config) (err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := sameShape(g.cfg, cfg); err != nil {
		return err
	}
	// slots are computed on a copy, committed only once the table is built
	trial := *g.slots
	trial.byName = make(map[string]int, len(g.slots.byName))
	for k, v := range g.slots.byName {
		trial.byName[k] = v
	}
	trial.free = append([]int(nil), g.slots.free...)
	slots := trial.assign(cfg.Tunnels)
	for _, s := range slots {
		if s >= C.TF_MAX_TUNNELS {
			return fmt.Errorf("%w: at most %d tunnels", ErrTooMany, C.TF_MAX_TUNNELS)
		}
	}
	Do(func() {
		var t *C.struct_tf_table
		t, err = buildTable(cfg, g.Ports, slots, gens.Add(1))
		if err != nil {
			return
		}
		if err = fillESP(t, cfg, g.esp); err != nil {
			C.tf_table_free(t)
			return
		}
		// new slots start from the workers' current totals and sequence 0
		fresh := map[int]bool{}
		for i, tun := range cfg.Tunnels {
			if _, ok := g.slots.byName[tun.Name+"/"+tun.Type]; !ok {
				fresh[slots[i]] = true
			}
		}
		for s := range fresh {
			trial.base[s] = g.slotTotals(s)
			C.tf_seq_reset(g.sh, C.uint16_t(s))
		}
		C.tf_table_free(C.tf_publish(g.sh, t))
	})
	if err != nil {
		return err
	}
	*g.slots = trial
	g.tunSlots = slots
	g.cfg = cfg
	return nil
}

// slotTotals sums the workers' counters of one slot.
func (g *Gateway) slotTotals(s int) TunnelCounters {
	var t TunnelCounters
	for _, w := range g.workers {
		k := &w.c.ctr.tun[s]
		t.EncapPkts += uint64(k.encap_pkts)
		t.EncapBytes += uint64(k.encap_bytes)
		t.DecapPkts += uint64(k.decap_pkts)
		t.DecapBytes += uint64(k.decap_bytes)
	}
	return t
}

// sameShape reports whether b differs from a only in what Apply can change.
func sameShape(a, b *conf.Config) error {
	if !reflect.DeepEqual(a.EAL, b.EAL) {
		return fmt.Errorf("%w: [eal] changed", ErrRestartNeeded)
	}
	if !reflect.DeepEqual(a.Dataplane, b.Dataplane) {
		return fmt.Errorf("%w: [dataplane] changed", ErrRestartNeeded)
	}
	if err := sameIPsec(a, b); err != nil {
		return err
	}
	if len(a.Ports) != len(b.Ports) {
		return fmt.Errorf("%w: ports added or removed", ErrRestartNeeded)
	}
	for i := range a.Ports {
		pa, pb := a.Ports[i], b.Ports[i]
		pa.Addresses, pb.Addresses = nil, nil // addresses are table data
		if !reflect.DeepEqual(pa, pb) {
			return fmt.Errorf("%w: port %s changed", ErrRestartNeeded, a.Ports[i].Name)
		}
	}
	return nil
}
