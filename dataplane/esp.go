package dataplane

/*
#include <stdlib.h>
#include <rte_ipsec.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include "tf.h"
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"unsafe"

	"tunfwd/conf"
)

// IPsec state of a gateway: crypto devices, pools and SAs. It lives as long
// as the gateway: tables point at it, so sequence numbers and replay windows
// survive table changes (a change to the SAs themselves needs a restart).

// ErrOpLeak is returned by Close when crypto ops are missing from their pool.
var ErrOpLeak = errors.New("crypto op leak")

type cryptoDev struct {
	spec conf.CryptoDev
	id   C.uint8_t
	cpu  bool // mode: synchronous CPU crypto
}

type espState struct {
	devs     []cryptoDev
	sessPool *C.struct_rte_mempool
	opPool   *C.struct_rte_mempool
	opSize   int
	c        *C.struct_tf_esp
	nsa      int
}

// SACounters are one SA's counters summed over workers.
type SACounters struct {
	Name    string `json:"name"`
	Dir     string `json:"dir"`
	SPI     uint32 `json:"spi"`
	Packets uint64 `json:"packets"` // inner packets
	Bytes   uint64 `json:"bytes"`   // inner bytes
	Errors  uint64 `json:"errors"`
	Expired bool   `json:"expired"` // lifetime reached: the SA stopped
}

func (d *cryptoDev) name() (name, args string) {
	if d.spec.PCI != "" {
		return d.spec.PCI, ""
	}
	name, args, _ = strings.Cut(d.spec.Vdev, ",")
	return name, args
}

// openESP probes and starts the crypto devices and creates the SAs of cfg
// (call inside Do). nq is the number of workers: one queue pair each.
func openESP(cfg *conf.Config, ports []*Port, nq int, gen uint32) (*espState, error) {
	e := &espState{}
	if len(cfg.SAs) == 0 && len(cfg.Crypto) == 0 {
		return e, nil
	}
	var maxSess C.uint32_t
	lookaside := false
	for _, spec := range cfg.Crypto {
		d := cryptoDev{spec: spec}
		name, args := d.name()
		cn, ca := C.CString(name), C.CString(args)
		ret := C.tf_crypto_probe(cn, ca, C.int(boolInt(spec.Vdev != "")), &d.id)
		C.free(unsafe.Pointer(cn))
		C.free(unsafe.Pointer(ca))
		if ret != 0 {
			e.close()
			return nil, cerr(fmt.Sprintf("crypto %s: probe %s", spec.Name, name), ret)
		}
		var sz C.uint32_t
		var cpu C.int
		var maxQP C.uint16_t
		C.tf_crypto_info(d.id, &sz, &cpu, &maxQP)
		e.devs = append(e.devs, d)
		if int(maxQP) < nq {
			e.close()
			return nil, fmt.Errorf("crypto %s: %d queue pairs, %d workers need one each", spec.Name, maxQP, nq)
		}
		switch spec.Mode {
		case conf.CryptoCPU:
			if cpu == 0 {
				e.close()
				return nil, fmt.Errorf("crypto %s: %s offers no CPU crypto: use mode = %q", spec.Name, name, conf.CryptoLookaside)
			}
			e.devs[len(e.devs)-1].cpu = true
		case conf.CryptoLookaside:
			lookaside = true
		default:
			e.devs[len(e.devs)-1].cpu = cpu != 0
			lookaside = lookaside || cpu == 0
		}
		maxSess = max(maxSess, sz)
	}
	name := C.CString(fmt.Sprintf("tf_sess_%d", gen))
	defer C.free(unsafe.Pointer(name))
	// one session per SA, plus slack for a device that keeps one per queue pair
	e.sessPool = C.tf_crypto_sess_pool(name, C.uint32_t(2*len(cfg.SAs)+len(cfg.Crypto)*nq+8), maxSess)
	if e.sessPool == nil {
		e.close()
		return nil, fmt.Errorf("crypto session pool: %w", errno(-C.tf_errno()))
	}
	for _, d := range e.devs {
		if ret := C.tf_crypto_setup(d.id, C.uint16_t(nq), 512, e.sessPool); ret != 0 {
			e.close()
			return nil, cerr(fmt.Sprintf("crypto %s: configure", d.spec.Name), ret)
		}
	}
	if lookaside {
		// each worker holds at most a group of 2 bursts in flight
		e.opSize = max(1023, nq*2*C.TF_BURST_MAX*2)
		on := C.CString(fmt.Sprintf("tf_ops_%d", gen))
		defer C.free(unsafe.Pointer(on))
		e.opPool = C.tf_crypto_op_pool(on, C.uint32_t(e.opSize), 0)
		if e.opPool == nil {
			e.close()
			return nil, fmt.Errorf("crypto op pool: %w", errno(-C.tf_errno()))
		}
	}
	if len(cfg.SAs) == 0 {
		return e, nil
	}
	e.c = (*C.struct_tf_esp)(C.rte_zmalloc(nil, C.sizeof_struct_tf_esp, 0))
	sas := (*C.struct_tf_sa)(C.rte_zmalloc(nil, C.size_t(len(cfg.SAs))*C.sizeof_struct_tf_sa, C.RTE_CACHE_LINE_SIZE))
	if e.c == nil || sas == nil {
		C.rte_free(unsafe.Pointer(sas))
		e.close()
		return nil, errors.New("SAs: out of memory")
	}
	e.c.sa = sas
	byName := map[string]*Port{}
	for _, p := range ports {
		byName[p.Name] = p
	}
	for i := range cfg.SAs {
		if err := e.addSA(cfg, &cfg.SAs[i], i, byName, nq); err != nil {
			e.close()
			return nil, fmt.Errorf("sa %s: %w", cfg.SAs[i].Name, err)
		}
	}
	// the inbound SA lookup by (SPI, destination): once, the SAs live as long as the gateway
	hn := C.CString(fmt.Sprintf("tf_sa_%d", gen))
	defer C.free(unsafe.Pointer(hn))
	if ret := C.tf_esp_index(e.c, hn); ret != 0 {
		e.close()
		return nil, cerr("inbound SA index", ret)
	}
	return e, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (e *espState) addSA(cfg *conf.Config, s *conf.SA, i int, ports map[string]*Port, nq int) error {
	di, _ := cfg.CryptoDevice(s.Crypto)
	d := e.devs[di]
	var c C.struct_tf_sa_conf
	c.spi = C.uint32_t(s.SPI)
	c.win = C.uint32_t(s.ReplayWindow)
	c.seq_start = C.uint64_t(s.SeqStart)
	if nq > 1 && (s.Dir == conf.SAOut || s.ReplayWindow > 0) {
		// several workers share the sequence and window; an inbound SA
		// without a window has no replay state, and librte_ipsec 22.11
		// would lock its NULL replay state under SQN_ATOM (rsn_acquire)
		c.flags = C.RTE_IPSEC_SAFLAG_SQN_ATOM
	}
	c.dir = C.TF_SA_IN
	if s.Dir == conf.SAOut {
		c.dir = C.TF_SA_OUT
	}
	c.mode = C.TF_SA_LOOKASIDE
	if d.cpu {
		c.mode = C.TF_SA_CPU
	}
	if s.ESN {
		c.esn = 1
	}
	c.cdev = d.id
	switch {
	case s.AEAD != "":
		c.alg = C.TF_ALG_AES_GCM
	case s.Cipher == "null":
		c.alg = C.TF_ALG_NULL
	default:
		c.alg = C.TF_ALG_AES_CBC
	}
	switch s.Auth {
	case "hmac-sha1-96":
		c.auth = C.TF_AUTH_SHA1_96
	case "hmac-sha256-128":
		c.auth = C.TF_AUTH_SHA256_128
	case "null":
		c.auth = C.TF_AUTH_NULL
	}
	c.key_len = C.uint8_t(len(s.Key))
	for j, b := range s.Key {
		c.key[j] = C.uint8_t(b)
	}
	c.auth_key_len = C.uint8_t(len(s.AuthKey))
	for j, b := range s.AuthKey {
		c.auth_key[j] = C.uint8_t(b)
	}
	for j, b := range s.Salt {
		c.salt[j] = C.uint8_t(b)
	}
	sa := &unsafeSlice(e.c.sa, len(cfg.SAs))[i]
	var outPort *Port
	dstMAC := conf.MAC{}
	if s.Dir == conf.SAOut {
		_, nh := cfg.NexthopByIP(s.Nexthop)
		outPort = ports[nh.Port]
		dstMAC = nh.MAC
	} else {
		outPort = ports[cfg.PortOfAddr(s.Local).Name]
	}
	hdr := espTemplate(s, dstMAC, outPort.MAC)
	c.hdr_len = C.uint8_t(len(hdr))
	c.af = 4
	if s.Local.Is6() {
		c.af = 6
	}
	for j, b := range hdr {
		c.hdr[j] = C.uint8_t(b)
	}
	c.inner_af = 4
	if s.CarriesIPv6() {
		c.inner_af = 6
	}
	ret := C.tf_sa_init(sa, &c, e.sessPool)
	// the keys were copied into the session: do not leave them on the Go heap's copy
	c.key, c.auth_key = [32]C.uint8_t{}, [64]C.uint8_t{}
	if ret != 0 {
		return cerr(fmt.Sprintf("init (crypto %s)", d.spec.Name), ret)
	}
	e.nsa = i + 1
	e.c.nb_sa = C.uint16_t(e.nsa)
	sa.slot = C.uint16_t(i)
	if s.Local.Is6() {
		l := s.Local.As16()
		for j, b := range l {
			sa.local6[j] = C.uint8_t(b)
		}
	} else {
		sa.local = be32(s.Local)
		sa.remote = be32(s.Remote)
	}
	sa.out_port = C.uint16_t(outPort.ID)
	sa.mtu = C.uint16_t(outPort.Spec.MTU)
	sa.hdr_len = C.uint16_t(len(hdr))
	sa.life_pkts = C.uint64_t(s.LifetimePackets)
	sa.life_bytes = C.uint64_t(s.LifetimeBytes)
	sa.op_pool = e.opPool
	if s.UDPEncap {
		sa.udp = 1
	}
	for _, p := range cfg.Policies {
		if p.SA != s.Name {
			continue
		}
		sel := &sa.sel[sa.nb_sel]
		if s.CarriesIPv6() {
			src, dst := p.Src.Addr().As16(), p.Dst.Addr().As16()
			for j := range src {
				sel.src6[j], sel.dst6[j] = C.uint8_t(src[j]), C.uint8_t(dst[j])
			}
			sel.src6_len, sel.dst6_len = C.uint8_t(p.Src.Bits()), C.uint8_t(p.Dst.Bits())
		} else {
			sel.src, sel.src_mask = be32(p.Src.Addr()), prefixMask(p.Src)
			sel.dst, sel.dst_mask = be32(p.Dst.Addr()), prefixMask(p.Dst)
		}
		sel.proto = C.uint8_t(p.Proto)
		sel.sport_lo, sel.sport_hi = C.uint16_t(p.SrcPorts[0]), C.uint16_t(p.SrcPorts[1])
		sel.dport_lo, sel.dport_hi = C.uint16_t(p.DstPorts[0]), C.uint16_t(p.DstPorts[1])
		sa.nb_sel++
	}
	return nil
}

func prefixMask(p netip.Prefix) C.uint32_t {
	var m [4]byte
	binary.BigEndian.PutUint32(m[:], ^uint32(0)<<(32-p.Bits()))
	if p.Bits() == 0 {
		m = [4]byte{}
	}
	return C.uint32_t(binary.NativeEndian.Uint32(m[:]))
}

// espTemplate: Ethernet + outer IPv4 (+ UDP 4500/4500 for RFC 3948) of an
// SA; librte_ipsec patches the IPv4 length and id, the worker TOS, checksum
// and UDP length.
func espTemplate(s *conf.SA, dst, src conf.MAC) []byte {
	if s.Local.Is6() {
		// librte_ipsec patches the payload length, the worker the traffic class
		ip := make([]byte, ipv6Len)
		ip[0] = 0x60
		ip[6] = 50
		ip[7] = 64
		l, r := s.Local.As16(), s.Remote.As16()
		copy(ip[8:24], l[:])
		copy(ip[24:40], r[:])
		return append(ethHeader(dst, src, 0x86dd), ip...)
	}
	h := ethHeader(dst, src, 0x0800)
	ip := make([]byte, ipv4Len)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
	ip[8] = 64
	ip[9] = 50
	if s.UDPEncap {
		ip[9] = 17
	}
	l, r := s.Local.As4(), s.Remote.As4()
	copy(ip[12:16], l[:])
	copy(ip[16:20], r[:])
	h = append(h, ip...)
	if s.UDPEncap {
		u := make([]byte, udpLen)
		binary.BigEndian.PutUint16(u[0:], 4500)
		binary.BigEndian.PutUint16(u[2:], 4500)
		h = append(h, u...)
	}
	return h
}

// close frees the SAs, closes the devices and frees the pools (call inside
// Do, workers stopped). It returns ErrOpLeak when ops are missing.
func (e *espState) close() error {
	var err error
	if e.c != nil {
		sas := unsafeSlice(e.c.sa, e.nsa)
		for i := range sas {
			C.tf_sa_fini(&sas[i])
		}
		C.tf_esp_unindex(e.c)
		C.rte_free(unsafe.Pointer(e.c.sa))
		C.rte_free(unsafe.Pointer(e.c))
		e.c = nil
	}
	for _, d := range e.devs {
		name, _ := d.name()
		cn := C.CString(name)
		if ret := C.tf_crypto_close(d.id, cn, C.int(boolInt(d.spec.Vdev != ""))); ret != 0 && err == nil {
			err = cerr(fmt.Sprintf("crypto %s: close", d.spec.Name), ret)
		}
		C.free(unsafe.Pointer(cn))
	}
	e.devs = nil
	if e.opPool != nil {
		if avail := int(C.rte_mempool_avail_count(e.opPool)); avail != e.opSize && err == nil {
			err = fmt.Errorf("%w: %d of %d ops back in the pool", ErrOpLeak, avail, e.opSize)
		}
		C.rte_mempool_free(e.opPool)
		e.opPool = nil
	}
	if e.sessPool != nil {
		C.rte_mempool_free(e.sessPool)
		e.sessPool = nil
	}
	return err
}

// OpPoolAvail returns the crypto ops free and the op pool size (0, 0
// without lookaside crypto): equal when no op leaked.
func (g *Gateway) OpPoolAvail() (avail, size int) {
	if g.esp == nil || g.esp.opPool == nil {
		return 0, 0
	}
	Do(func() { avail = int(C.rte_mempool_avail_count(g.esp.opPool)) })
	return avail, g.esp.opSize
}

// CryptoModes returns each crypto device's mode as opened ("cpu" or "lookaside").
func (g *Gateway) CryptoModes() map[string]string {
	m := map[string]string{}
	if g.esp != nil {
		for _, d := range g.esp.devs {
			m[d.spec.Name] = conf.CryptoLookaside
			if d.cpu {
				m[d.spec.Name] = conf.CryptoCPU
			}
		}
	}
	return m
}

// SACounters returns every SA's counters.
func (g *Gateway) SACounters() []SACounters {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]SACounters, len(g.cfg.SAs))
	for i, s := range g.cfg.SAs {
		c := &out[i]
		c.Name, c.Dir, c.SPI = s.Name, s.Dir, s.SPI
		for _, w := range g.workers {
			k := &w.c.ctr.sa[i]
			c.Packets += uint64(k.pkts)
			c.Bytes += uint64(k.bytes)
			c.Errors += uint64(k.errors)
		}
		if g.esp != nil && g.esp.c != nil && i < g.esp.nsa {
			c.Expired = unsafeSlice(g.esp.c.sa, g.esp.nsa)[i].expired != 0
		}
	}
	return out
}

// sameIPsec reports whether b keeps a's crypto devices, SAs and policies,
// which live tables cannot change.
func sameIPsec(a, b *conf.Config) error {
	if !reflect.DeepEqual(a.Crypto, b.Crypto) || !reflect.DeepEqual(a.SAs, b.SAs) ||
		!reflect.DeepEqual(a.Policies, b.Policies) {
		return fmt.Errorf("%w: [[crypto]], [[sa]] or [[policy]] changed", ErrRestartNeeded)
	}
	return nil
}

// fillESP points the table and its IPsec-protected GRE tunnels at the SAs
// and registers UDP 4500 when an SA uses it.
func fillESP(t *C.struct_tf_table, cfg *conf.Config, e *espState) error {
	if e == nil || e.c == nil {
		return nil
	}
	t.esp = e.c
	tunnels := unsafeSlice(t.tunnels, int(t.nb_tunnels))
	for i := range tunnels {
		if tunnels[i].flags&C.TF_TUN_F_ESP != 0 {
			tunnels[i].esp = e.c
			// the tunnel's packets must fit the SA: the inner MTU check (and
			// its ICMP error or fragmentation) then sees the ESP overhead too
			sa := &unsafeSlice(e.c.sa, int(e.c.nb_sa))[tunnels[i].sa]
			if m := C.tf_sa_inner_mtu(sa); m < C.uint32_t(tunnels[i].mtu) {
				tunnels[i].mtu = C.uint16_t(m)
			}
		}
	}
	for _, s := range cfg.SAs {
		if s.UDPEncap && s.Dir == conf.SAIn {
			return addUDP(t, 4500, C.TF_TUN_ESP, 0)
		}
	}
	return nil
}
