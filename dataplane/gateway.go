package dataplane

/*
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include "tf.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"tunfwd/conf"
)

// ErrRunning and ErrStopped report a lifecycle call made in the wrong state.
var (
	ErrRunning = errors.New("gateway is running")
	ErrStopped = errors.New("gateway is not running")
)

var gens atomic.Uint32 // unique names for pools and tables within the process

// Gateway is the live dataplane built from one configuration: a mempool,
// the ports, the published table and one worker per configured lcore.
type Gateway struct {
	cfg         *conf.Config
	pool        *C.struct_rte_mempool
	poolSize    int
	Ports       []*Port
	sh          *C.struct_tf_shared
	workers     []*worker
	running     atomic.Bool // read by the CLI's goroutines
	mu          sync.Mutex  // guards cfg, slots, tunSlots, base against Apply and clears
	slots       *slotMap
	tunSlots    []int // slot of cfg.Tunnels[i]
	base        baseline
	closedAvail int
	tap         tapState
	esp         *espState // crypto devices and SAs
}

type worker struct {
	lcore int
	c     *C.struct_tf_worker
}

// New opens the ports and builds the first table of cfg (a validated
// configuration). Nothing forwards until Start.
func New(cfg *conf.Config) (g *Gateway, err error) {
	g = &Gateway{cfg: cfg}
	Do(func() { err = g.open() })
	if err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

func (g *Gateway) open() error {
	dp := g.cfg.Dataplane
	gen := gens.Add(1)
	name := C.CString(fmt.Sprintf("tf_mbuf_%d", gen))
	defer C.free(unsafe.Pointer(name))
	cache := dp.MbufCache
	if cache > dp.Mbufs*2/3 {
		cache = dp.Mbufs * 2 / 3
	}
	if cache > C.RTE_MEMPOOL_CACHE_MAX_SIZE {
		cache = C.RTE_MEMPOOL_CACHE_MAX_SIZE
	}
	// packed on 4 KB pages when no port is a PCI device (nothing DMAs)
	packed := C.int(0)
	if C.rte_eal_has_hugepages() == 0 {
		packed = 1
	}
	for _, ps := range g.cfg.Ports {
		if ps.PCI != "" {
			packed = 0
		}
	}
	g.pool = C.tf_mbuf_pool(name, C.uint(dp.Mbufs), C.uint(cache), packed)
	if g.pool == nil {
		return fmt.Errorf("mbuf pool of %d: %w", dp.Mbufs, errno(-C.tf_errno()))
	}
	g.poolSize = dp.Mbufs
	nq := len(dp.Workers)
	for _, ps := range g.cfg.Ports {
		p, err := openPort(ps, nq, dp, g.pool)
		if err != nil {
			return err
		}
		g.Ports = append(g.Ports, p)
	}
	esp, err := openESP(g.cfg, g.Ports, nq, gen)
	if err != nil {
		return err
	}
	g.esp = esp
	g.sh = C.tf_shared_new(C.uint16_t(nq))
	if g.sh == nil {
		return errors.New("tf_shared_new: out of memory")
	}
	for i, lc := range dp.Workers {
		w := (*C.struct_tf_worker)(C.rte_zmalloc(nil, C.sizeof_struct_tf_worker, C.RTE_CACHE_LINE_SIZE))
		if w == nil {
			return errors.New("worker: out of memory")
		}
		w.id = C.uint16_t(i)
		w.burst = C.uint16_t(dp.Burst)
		w.idle_us = C.uint32_t(dp.IdleUs)
		w.sh = g.sh
		w.ip_id = C.uint16_t(i << 12)
		for _, p := range g.Ports {
			w.rxq[w.nb_rxq] = C.struct_tf_rxq{port: C.uint16_t(p.ID), queue: C.uint16_t(i)}
			w.nb_rxq++
			w.txq[p.ID] = C.uint16_t(i)
		}
		g.workers = append(g.workers, &worker{lcore: lc, c: w})
	}
	g.slots = newSlotMap()
	slots := g.slots.assign(g.cfg.Tunnels)
	t, err := buildTable(g.cfg, g.Ports, slots, gen)
	if err != nil {
		return err
	}
	if err := fillESP(t, g.cfg, g.esp); err != nil {
		C.tf_table_free(t)
		return err
	}
	g.tunSlots = slots
	C.tf_publish(g.sh, t) // no worker yet: nothing to wait for, nothing replaced
	return nil
}

// Start starts the ports and launches the workers.
func (g *Gateway) Start() (err error) {
	if g.running.Load() {
		return ErrRunning
	}
	Do(func() {
		for _, p := range g.Ports {
			if err = p.start(); err != nil {
				return
			}
		}
		for _, w := range g.workers {
			C.tf_worker_reset(w.c)
			if ret := C.tf_worker_launch(w.c, C.uint(w.lcore)); ret != 0 {
				err = cerr(fmt.Sprintf("launch worker on lcore %d", w.lcore), ret)
				return
			}
		}
	})
	g.running.Store(err == nil)
	return err
}

// Stop raises every worker's quit flag, waits for them (each flushes its tx
// buffers on the way out) and stops the ports (net_pcap closes its files).
func (g *Gateway) Stop() (err error) {
	if !g.running.Load() {
		return ErrStopped
	}
	Do(func() {
		for _, w := range g.workers {
			C.tf_worker_stop(w.c)
		}
		for _, w := range g.workers {
			C.rte_eal_wait_lcore(C.uint(w.lcore))
		}
		for _, p := range g.Ports {
			if e := p.stop(); e != nil && err == nil {
				err = e
			}
		}
	})
	g.running.Store(false)
	return err
}

// Close stops the gateway if needed and frees everything it holds.
func (g *Gateway) Close() error {
	var err error
	if g.running.Load() {
		err = g.Stop()
	}
	Do(func() {
		for _, p := range g.Ports {
			if e := p.close(); e != nil && err == nil {
				err = e
			}
		}
		g.Ports = nil
		for _, w := range g.workers {
			C.rte_free(unsafe.Pointer(w.c.tap.recs))
			C.rte_free(unsafe.Pointer(w.c))
		}
		g.workers = nil
		if g.esp != nil {
			if e := g.esp.close(); e != nil && err == nil {
				err = e
			}
			g.esp = nil
		}
		if g.sh != nil {
			C.tf_table_free(C.tf_publish(g.sh, nil))
			C.tf_shared_free(g.sh)
			g.sh = nil
		}
		if g.pool != nil {
			// only now, with the ports closed, is every mbuf back: a PMD may
			// hold some until close (net_pcap infinite_rx keeps its replay ring)
			g.closedAvail = int(C.rte_mempool_avail_count(g.pool))
			if g.closedAvail != g.poolSize && err == nil {
				err = fmt.Errorf("%w: %d of %d mbufs back in the pool", ErrMbufLeak, g.closedAvail, g.poolSize)
			}
			C.rte_mempool_free(g.pool)
			g.pool = nil
		}
	})
	return err
}

// ErrMbufLeak is returned by Close when mbufs are missing from the pool
// after every port and worker has let go of them.
var ErrMbufLeak = errors.New("mbuf leak")

// ClosedPool returns the mbufs free when Close released the pool, and its size.
func (g *Gateway) ClosedPool() (avail, size int) { return g.closedAvail, g.poolSize }

// Running reports whether the workers run.
func (g *Gateway) Running() bool { return g.running.Load() }

// Config returns the configuration the gateway runs (do not modify it).
func (g *Gateway) Config() *conf.Config {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg
}

// PoolAvail returns the mbufs free in the pool (per-lcore caches included)
// and the pool size: equal when no mbuf leaked.
func (g *Gateway) PoolAvail() (avail, size int) {
	Do(func() { avail = int(C.rte_mempool_avail_count(g.pool)) })
	return avail, g.poolSize
}
