package dataplane

/*
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include "tf.h"

// tf_perf_run times the packet path alone (no rx PMD): iters rounds of two
// bursts of burst packets, frames taken round-robin from blob (nframes
// frames of flen[i] bytes each, one segment), copied into fresh mbufs as an
// rx PMD would. The first burst of round i is sent as it is to port io
// (testpmd's io forwarding: the reference), cyc[2i] gets its TSC ticks; the
// second goes through tf_process_burst (classify, encap or decap, tx to the
// ports, bulk free), cyc[2i+1]. Interleaved, both see the same machine.
// 0 or -errno.
static int
tf_perf_run(struct tf_worker *w, uint16_t port, struct rte_mempool *mp, const uint8_t *blob,
	    const uint32_t *flen, uint32_t nframes, uint16_t burst, uint32_t iters, uint64_t *cyc,
	    uint16_t io)
{
	struct rte_mbuf *pkts[TF_BURST_MAX];
	const uint8_t *off[4096];
	uint32_t i, k = 0, j;
	uint16_t b;

	if (burst == 0 || burst > TF_BURST_MAX || nframes == 0 || nframes > 4096)
		return -EINVAL;
	for (j = 0, i = 0; j < nframes; j++) {
		off[j] = blob + i;
		i += flen[j];
	}
	for (i = 0; i < 2 * iters; i++) {
		uint64_t t0;

		if (rte_pktmbuf_alloc_bulk(mp, pkts, burst) != 0)
			return -ENOMEM;
		for (b = 0; b < burst; b++, k = (k + 1) % nframes) {
			memcpy(rte_pktmbuf_mtod(pkts[b], uint8_t *), off[k], flen[k]);
			pkts[b]->data_len = (uint16_t)flen[k];
			pkts[b]->pkt_len = flen[k];
		}
		t0 = rte_rdtsc_precise();
		if (i % 2 == 0) {
			uint16_t sent = rte_eth_tx_burst(io, 0, pkts, burst);

			if (sent < burst)
				rte_pktmbuf_free_bulk(pkts + sent, burst - sent);
		} else {
			tf_process_burst(w, port, pkts, burst);
		}
		cyc[i] = rte_rdtsc_precise() - t0;
	}
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"unsafe"

	"tunfwd/conf"
)

// StartPortsPerf starts the gateway's ports without launching a worker and
// without the fuzz tx check (it reads every frame); StopPortsPerf stops them.
func (g *Gateway) StartPortsPerf() (err error) {
	if g.running.Load() {
		return ErrRunning
	}
	Do(func() {
		for _, p := range g.Ports {
			if err = p.start(); err != nil {
				return
			}
		}
	})
	return err
}

// StopPortsPerf stops the ports StartPortsPerf started.
func (g *Gateway) StopPortsPerf() (err error) {
	Do(func() {
		for _, p := range g.Ports {
			if e := p.stop(); e != nil && err == nil {
				err = e
			}
		}
	})
	return err
}

// The limits of PerfRun: tf_perf_run's frame table, and a tick buffer
// (16 bytes a round) that stays small.
const (
	PerfMaxFrames = 4096
	PerfMaxBursts = 1 << 20
)

// PerfRun is a measuring hook (dataplane/perf_test.go, BenchmarkPacketPath):
// it runs the packet path on the control thread over iters bursts of burst
// copies of frames, as if the first worker had received them on port, and
// returns the TSC ticks each burst took; interleaved with them, as many
// bursts sent as they are to port io (the io forwarding reference), and
// their ticks. The gateway must not be started (StartPortsPerf).
func (g *Gateway) PerfRun(port, io string, frames [][]byte, burst, iters int) (path, ref []uint64, err error) {
	if g.running.Load() {
		return nil, nil, ErrRunning
	}
	if len(g.workers) == 0 {
		return nil, nil, errors.New("no worker")
	}
	pid, iop := -1, -1
	for _, p := range g.Ports {
		if p.Name == port {
			pid = int(p.ID)
		}
		if p.Name == io {
			iop = int(p.ID)
		}
	}
	if pid < 0 || iop < 0 {
		return nil, nil, fmt.Errorf("no port %q or %q", port, io)
	}
	if len(frames) > PerfMaxFrames || iters > PerfMaxBursts {
		return nil, nil, fmt.Errorf("%d frames, %d bursts: at most %d and %d", len(frames), iters,
			PerfMaxFrames, PerfMaxBursts)
	}
	var blob []byte
	lens := make([]C.uint32_t, len(frames))
	for i, f := range frames {
		if len(f) == 0 || len(f) > SegmentRoom {
			return nil, nil, fmt.Errorf("frame %d: %d bytes", i, len(f))
		}
		blob = append(blob, f...)
		lens[i] = C.uint32_t(len(f))
	}
	if len(frames) == 0 || iters <= 0 {
		return nil, nil, errors.New("nothing to run")
	}
	cbuf := (*C.uint64_t)(C.malloc(C.size_t(16 * iters)))
	cblob := C.CBytes(blob)
	clens := C.CBytes(unsafe.Slice((*byte)(unsafe.Pointer(&lens[0])), 4*len(lens)))
	defer C.free(unsafe.Pointer(cbuf))
	defer C.free(cblob)
	defer C.free(clens)
	var ret C.int
	Do(func() {
		ret = C.tf_perf_run(g.workers[0].c, C.uint16_t(pid), g.pool, (*C.uint8_t)(cblob),
			(*C.uint32_t)(clens), C.uint32_t(len(frames)), C.uint16_t(burst), C.uint32_t(iters), cbuf,
			C.uint16_t(iop))
	})
	if err := cerr("perf run", ret); err != nil {
		return nil, nil, err
	}
	all := unsafe.Slice((*uint64)(unsafe.Pointer(cbuf)), 2*iters)
	for i := 0; i < iters; i++ {
		ref = append(ref, all[2*i])
		path = append(path, all[2*i+1])
	}
	return path, ref, nil
}

// PathCost is what PerfPath measured, in TSC ticks per packet: quantiles
// over the bursts of the packet path and of io forwarding, and of their
// difference (the added: tunnel work alone, rx left out of both).
type PathCost struct {
	Bursts, Burst int
	TSCHz         float64
	PathP10       float64
	IOP10         float64
	AddedMin      float64
	AddedP10      float64
	AddedP50      float64
}

// PerfPath runs PerfRun with bursts of the config's size (dataplane.burst,
// what a worker's rx asks for) over frames, as received on port in, with io
// forwarding to port io as the reference, and checks the run: every packet
// sent, none dropped, the mempool full again.
func (g *Gateway) PerfPath(in, io string, frames [][]byte, iters int) (c PathCost, err error) {
	burst := int(g.workers[0].c.burst)
	before := g.raw()
	path, ref, err := g.PerfRun(in, io, frames, burst, iters)
	if err != nil {
		return c, err
	}
	after := g.raw()
	var tx, drops uint64
	for _, p := range g.Ports {
		tx += after.ports[p.ID].TxPkts - before.ports[p.ID].TxPkts
	}
	for i := range after.drops {
		drops += after.drops[i] - before.drops[i]
	}
	if tx != uint64(burst*iters) || drops != 0 {
		return c, fmt.Errorf("perf run: sent %d of %d, %d dropped", tx, burst*iters, drops)
	}
	if avail, size := g.PoolAvail(); avail != size {
		return c, fmt.Errorf("perf run: mbuf leak: %d of %d in the pool", avail, size)
	}
	q := func(v []uint64, f float64) float64 {
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		return float64(v[int(f*float64(len(v)-1))]) / float64(burst)
	}
	c = PathCost{Bursts: iters, Burst: burst, TSCHz: float64(C.rte_get_tsc_hz())}
	c.AddedMin = q(path, 0) - q(ref, 0)
	c.PathP10, c.IOP10 = q(path, 0.1), q(ref, 0.1)
	c.AddedP10 = c.PathP10 - c.IOP10
	c.AddedP50 = q(path, 0.5) - q(ref, 0.5)
	return c, nil
}

var perfSeq atomic.Int32

// PerfPorts readies cfg, whose input port is a net_pcap vdev reading a
// pcap (rx_pcap=), for PerfPath: every port becomes a net_null that
// receives nothing (the frames are put in by hand). Returns the input port,
// another port for the io reference, and the pcap's path.
func PerfPorts(cfg *conf.Config) (in, io, pcap string, err error) {
	seq := perfSeq.Add(1)
	for i := range cfg.Ports {
		p := &cfg.Ports[i]
		if pcap == "" && strings.HasPrefix(p.Vdev, "net_pcap") {
			for _, kv := range strings.Split(p.Vdev, ",")[1:] {
				if v, ok := strings.CutPrefix(kv, "rx_pcap="); ok {
					in, pcap = p.Name, v
				}
			}
		}
		if p.PCI != "" {
			return "", "", "", fmt.Errorf("port %s: a PCI device; perf runs on vdevs only", p.Name)
		}
		p.Vdev = fmt.Sprintf("net_null_perf%d_%d,no-rx=1", seq, i)
	}
	for _, p := range cfg.Ports {
		if p.Name != in {
			io = p.Name
		}
	}
	if in == "" || io == "" {
		return "", "", "", errors.New("perf: want a net_pcap port with rx_pcap= and another port")
	}
	return in, io, pcap, nil
}
