package dataplane

/*
#include <stdlib.h>
#include <rte_ethdev.h>
#include "tf.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"

	"tunfwd/conf"
)

// Port is a configured DPDK port.
type Port struct {
	Name string
	ID   uint16
	Spec conf.Port
	MAC  conf.MAC // the MAC tunfwd answers to and sends from
	vdev bool
}

// openPort probes and configures a port with nq queue pairs (call inside Do).
func openPort(spec conf.Port, nq int, dp conf.Dataplane, pool *C.struct_rte_mempool) (*Port, error) {
	p := &Port{Name: spec.Name, Spec: spec, vdev: spec.Vdev != ""}
	var devargs, name *C.char
	if p.vdev {
		devargs = C.CString(spec.Vdev)
		defer C.free(unsafe.Pointer(devargs))
		name = C.CString(strings.SplitN(spec.Vdev, ",", 2)[0])
	} else {
		name = C.CString(spec.PCI)
	}
	defer C.free(unsafe.Pointer(name))
	var id C.uint16_t
	if ret := C.tf_port_probe(devargs, name, &id); ret != 0 {
		return nil, cerr(fmt.Sprintf("port %s: probe", spec.Name), ret)
	}
	p.ID = uint16(id)
	promisc := 0
	if spec.Promiscuous == nil || *spec.Promiscuous {
		promisc = 1
	}
	ret := C.tf_port_setup(id, C.uint16_t(nq), C.uint16_t(dp.RxDesc), C.uint16_t(dp.TxDesc),
		C.uint16_t(spec.MTU), C.int(promisc), pool)
	if ret != 0 {
		p.close()
		if ret == -C.EINVAL {
			return nil, fmt.Errorf("port %s: cannot configure %d queue pairs (one per worker): %w", spec.Name, nq, errno(ret))
		}
		return nil, cerr(fmt.Sprintf("port %s: setup", spec.Name), ret)
	}
	if spec.MAC.IsZero() {
		var a C.struct_rte_ether_addr
		C.rte_eth_macaddr_get(id, &a)
		copy(p.MAC[:], C.GoBytes(unsafe.Pointer(&a.addr_bytes[0]), 6))
	} else {
		p.MAC = spec.MAC
		var a C.struct_rte_ether_addr
		for i := range p.MAC {
			a.addr_bytes[i] = C.uint8_t(p.MAC[i])
		}
		C.rte_eth_dev_default_mac_addr_set(id, &a) // best effort: promiscuous covers vdevs
	}
	return p, nil
}

func (p *Port) start() error {
	return cerr(fmt.Sprintf("port %s: start", p.Name), C.rte_eth_dev_start(C.uint16_t(p.ID)))
}

func (p *Port) stop() error {
	return cerr(fmt.Sprintf("port %s: stop", p.Name), C.rte_eth_dev_stop(C.uint16_t(p.ID)))
}

func (p *Port) close() error {
	rm := 0
	if p.vdev {
		rm = 1
	}
	return cerr(fmt.Sprintf("port %s: close", p.Name), C.tf_port_close(C.uint16_t(p.ID), C.int(rm)))
}

// EthStats are the device's own counters (rte_eth_stats).
type EthStats struct {
	IPackets, OPackets, IBytes, OBytes  uint64
	IMissed, IErrors, OErrors, RxNoMbuf uint64
}

func (p *Port) ethStats() (EthStats, error) {
	var s C.struct_rte_eth_stats
	if ret := C.rte_eth_stats_get(C.uint16_t(p.ID), &s); ret != 0 {
		return EthStats{}, cerr("rte_eth_stats_get", ret)
	}
	return EthStats{
		IPackets: uint64(s.ipackets), OPackets: uint64(s.opackets),
		IBytes: uint64(s.ibytes), OBytes: uint64(s.obytes),
		IMissed: uint64(s.imissed), IErrors: uint64(s.ierrors),
		OErrors: uint64(s.oerrors), RxNoMbuf: uint64(s.rx_nombuf),
	}, nil
}

// Xstat is one extended device statistic.
type Xstat struct {
	Name  string
	Value uint64
}

func (p *Port) xstats() ([]Xstat, error) {
	id := C.uint16_t(p.ID)
	n := C.rte_eth_xstats_get_names(id, nil, 0)
	if n < 0 {
		return nil, cerr("rte_eth_xstats_get_names", n)
	}
	if n == 0 {
		return nil, nil
	}
	names := (*C.struct_rte_eth_xstat_name)(C.calloc(C.size_t(n), C.sizeof_struct_rte_eth_xstat_name))
	defer C.free(unsafe.Pointer(names))
	vals := (*C.struct_rte_eth_xstat)(C.calloc(C.size_t(n), C.sizeof_struct_rte_eth_xstat))
	defer C.free(unsafe.Pointer(vals))
	if got := C.rte_eth_xstats_get_names(id, names, C.uint(n)); got != n {
		return nil, fmt.Errorf("rte_eth_xstats_get_names: %d of %d", got, n)
	}
	if got := C.rte_eth_xstats_get(id, vals, C.uint(n)); got != n {
		return nil, fmt.Errorf("rte_eth_xstats_get: %d of %d", got, n)
	}
	ns := unsafe.Slice(names, int(n))
	vs := unsafe.Slice(vals, int(n))
	out := make([]Xstat, 0, int(n))
	for _, v := range vs {
		out = append(out, Xstat{Name: C.GoString(&ns[v.id].name[0]), Value: uint64(v.value)})
	}
	return out, nil
}

func (p *Port) resetStats() error {
	return cerr("rte_eth_stats_reset", C.rte_eth_stats_reset(C.uint16_t(p.ID)))
}

// PortInfo describes a port as the device reports it.
type PortInfo struct {
	Name   string
	ID     uint16
	Side   string
	MAC    string
	Driver string
	Link   string // rte_eth_link_to_str
	MTU    int
}

// PortInfo reports each port's device, MAC and link state.
func (g *Gateway) PortInfo() []PortInfo {
	var out []PortInfo
	Do(func() {
		for _, p := range g.Ports {
			pi := PortInfo{Name: p.Name, ID: p.ID, Side: p.Spec.Side, MAC: p.MAC.String(), MTU: p.Spec.MTU}
			var info C.struct_rte_eth_dev_info
			if C.rte_eth_dev_info_get(C.uint16_t(p.ID), &info) == 0 {
				pi.Driver = C.GoString(info.driver_name)
			}
			var link C.struct_rte_eth_link
			var buf [C.RTE_ETH_LINK_MAX_STR_LEN]C.char
			if C.rte_eth_link_get_nowait(C.uint16_t(p.ID), &link) == 0 &&
				C.rte_eth_link_to_str(&buf[0], C.size_t(len(buf)), &link) > 0 {
				pi.Link = C.GoString(&buf[0])
			}
			out = append(out, pi)
		}
	})
	return out
}
