package dataplane

/*
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include "tf.h"

// Test hooks for the fuzz harness (dataplane/fuzz_test.go): run the packet
// path over given bytes on the control thread, and check what it sends.

#ifdef __SANITIZE_ADDRESS__
static const int tf_fz_asan = 1;
#else
static const int tf_fz_asan = 0;
#endif

// libFuzzer (make libfuzz): the C packet path built with clang's coverage
// instrumentation, its fuzzing loop run by LLVMFuzzerRunDriver on a Go
// thread; each input goes to tfLibFuzzerOne (libfuzzer_test.go), the same
// invariant checks as FuzzPacketPath. A failed check aborts: libFuzzer keeps
// the input as a crash artifact.
int tf_fz_abort(void);
int tf_fz_abort(void) { abort(); }

int tf_cksum20_check(const void *p);

#ifdef TF_LIBFUZZER
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *data, size_t size));
extern int tfLibFuzzerOne(uint8_t *data, size_t size);

static int
tf_lf_one(const uint8_t *data, size_t size)
{
	return tfLibFuzzerOne((uint8_t *)data, size);
}

static int
tf_lf_run(int argc, char **argv)
{
	return LLVMFuzzerRunDriver(&argc, &argv, tf_lf_one);
}
#else
static int tf_lf_run(int argc, char **argv) { (void)argc; (void)argv; return -ENOSYS; }
#endif

// external buffers alive (guarded mode): back to 0 when every mbuf is freed
static int64_t tf_fz_ext_live;

static void
tf_fz_free_ext(void *addr, void *opaque)
{
	free(addr);
	free(opaque);
	tf_fz_ext_live--;
}

// tf_fz_seg returns an mbuf of g's pool holding len bytes of data. Guarded, the
// bytes sit at the very end of a malloc'd external buffer (with the usual
// headroom in front of a first segment): AddressSanitizer then reports any
// read or write past the segment, which the pool's contiguous memory hides.
static struct rte_mbuf *
tf_fz_seg(struct rte_mempool *mp, const uint8_t *data, uint32_t len, int first, int guarded)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (m == NULL)
		return NULL;
	if (guarded) {
		uint32_t head = first ? RTE_PKTMBUF_HEADROOM : 0;
		struct rte_mbuf_ext_shared_info *shi = malloc(sizeof(*shi));
		uint8_t *buf = malloc(head + len > 0 ? head + len : 1);

		if (shi == NULL || buf == NULL || head + len > UINT16_MAX) {
			free(shi);
			free(buf);
			rte_pktmbuf_free(m);
			return NULL;
		}
		memset(shi, 0, sizeof(*shi));
		shi->free_cb = tf_fz_free_ext;
		shi->fcb_opaque = shi;
		rte_mbuf_ext_refcnt_set(shi, 1);
		// IOVA as VA: nothing DMAs these, but rte_mbuf_check wants one
		rte_pktmbuf_attach_extbuf(m, buf, (rte_iova_t)(uintptr_t)buf, (uint16_t)(head + len), shi);
		m->data_off = (uint16_t)head;
		tf_fz_ext_live++;
	} else if (len > rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	if (len > 0)
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), data, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return m;
}

// tf_fz_run builds npkt packets, packet p of nseg[p] segments whose lengths
// follow in seglen and whose bytes follow in blob, and runs the packet path
// over them as if received on port; 0 or -errno.
static int
tf_fz_run(struct tf_worker *w, uint16_t port, struct rte_mempool *mp, const uint8_t *blob,
	  const uint32_t *seglen, const uint16_t *nseg, uint16_t npkt, int guarded)
{
	struct rte_mbuf **pkts = calloc(npkt > 0 ? npkt : 1, sizeof(*pkts));
	uint32_t k = 0;
	uint16_t p, s;

	if (pkts == NULL)
		return -ENOMEM;
	for (p = 0; p < npkt; p++) {
		struct rte_mbuf *head = NULL, *last = NULL;

		for (s = 0; s < nseg[p]; s++, k++) {
			struct rte_mbuf *m = tf_fz_seg(mp, blob, seglen[k], head == NULL, guarded);

			if (m == NULL) {
				rte_pktmbuf_free(head);
				rte_pktmbuf_free_bulk(pkts, p);
				free(pkts);
				return -ENOMEM;
			}
			blob += seglen[k];
			if (head == NULL) {
				head = m;
			} else {
				last->next = m;
				head->nb_segs++;
				head->pkt_len += m->data_len;
			}
			last = m;
		}
		pkts[p] = head;
	}
	tf_process_burst(w, port, pkts, npkt);
	if (w->tap.recs != NULL)
		tf_tap_consume(w, tf_tap_head(w));
	free(pkts);
	return 0;
}

// What the tx check found: every frame the gateway sends must be a sane
// mbuf chain holding at least an Ethernet header, within the port's MTU
// (replies to ARP and ICMP excepted: they mirror what came in); on a routed
// or underlay port an IPv4 frame must carry a valid header checksum and a
// total length equal to its size, and a GRE checksum, when present, must
// hold.
struct tf_fz_check {
	uint64_t pkts, bad;
	uint16_t mtu[TF_MAX_PORTS];
	uint8_t l2[TF_MAX_PORTS];
	uint8_t underlay[TF_MAX_PORTS];
	char why[160];
};

// tf_fz_sum is a one's complement sum over len bytes of m from off, byte by
// byte across segments: independent of rte_raw_cksum_mbuf, which it checks.
static uint16_t
tf_fz_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint64_t s = 0;
	uint32_t i = 0;

	for (; m != NULL && len > 0; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t j;

		for (j = 0; j < m->data_len && len > 0; j++) {
			if (off > 0) {
				off--;
				continue;
			}
			s += (i & 1) ? p[j] : (uint32_t)p[j] << 8;
			i++;
			len--;
		}
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

// tf_fz_l4_6: the upper-layer checksum right after the IPv6 header holds
// (pseudo header of RFC 8200 8.1, summed byte by byte).
static int
tf_fz_l4_6(const struct rte_mbuf *m, const struct rte_ipv6_hdr *ip6, uint32_t l3)
{
	const uint8_t *a = ip6->src_addr;
	uint32_t len = l3 - sizeof(*ip6), i;
	uint64_t s = tf_fz_sum(m, RTE_ETHER_HDR_LEN + sizeof(*ip6), len);

	for (i = 0; i < 32; i += 2)
		s += (uint32_t)a[i] << 8 | a[i + 1];
	s += (len >> 16) + (len & 0xffff) + ip6->proto;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

static const char *
tf_fz_check_one(const struct tf_fz_check *c, uint16_t port, const struct rte_mbuf *m)
{
	const char *why = NULL;
	const struct rte_ether_hdr *eth;
	uint16_t et;
	uint32_t l3;

	if (rte_mbuf_check(m, 1, &why) != 0)
		return why;
	if (m->data_len < RTE_ETHER_HDR_LEN)
		return "first segment shorter than an Ethernet header";
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	et = rte_be_to_cpu_16(eth->ether_type);
	l3 = m->pkt_len - RTE_ETHER_HDR_LEN;
	if (et == RTE_ETHER_TYPE_VLAN && l3 >= 4)
		l3 -= 4;
	if (et == RTE_ETHER_TYPE_ARP)
		return NULL;
	if (c->l2[port]) {
		if (l3 > c->mtu[port])
			return "frame larger than the port MTU";
		return NULL;
	}
	if (et == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const void *)(eth + 1);
		uint32_t hl;

		if (m->data_len < RTE_ETHER_HDR_LEN + sizeof(*ip))
			return "IPv4 header not in the first segment";
		hl = (ip->version_ihl & 0xf) * 4u;
		if (hl < sizeof(*ip) || m->data_len < RTE_ETHER_HDR_LEN + hl)
			return "IPv4 header length invalid or past the first segment";
		if (rte_raw_cksum(ip, hl) != 0xffff)
			return "IPv4 header checksum wrong";
		if (rte_be_to_cpu_16(ip->total_length) != l3)
			return "IPv4 total length is not the frame's L3 length";
		if (ip->next_proto_id == IPPROTO_ICMP)
			return NULL;	// an echo reply mirrors the request
		if (l3 > c->mtu[port])
			return "IPv4 packet larger than the port MTU";
		if (ip->next_proto_id == IPPROTO_GRE && l3 >= hl + 4 &&
		    (rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN + hl)[0] & 0x80) &&
		    tf_fz_sum(m, RTE_ETHER_HDR_LEN + hl, l3 - hl) != 0xffff)
			return "GRE checksum wrong";
		return NULL;
	}
	if (et == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip6 = (const void *)(eth + 1);

		if (m->data_len < RTE_ETHER_HDR_LEN + sizeof(*ip6))
			return "IPv6 header not in the first segment";
		if (sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len) != l3)
			return "IPv6 payload length is not the frame's L3 length";
		// Out of an inner port go packets routed as they came (a router
		// neither verifies nor fixes their transport checksums: found by
		// FuzzPacketPath, a decapsulated UDP packet with a wrong one) and
		// the gateway's own replies; the underlay gets what it built.
		if (ip6->proto == IPPROTO_ICMPV6)
			return !c->underlay[port] || tf_fz_l4_6(m, ip6, l3) ? NULL : "ICMPv6 checksum wrong";
		if (l3 > c->mtu[port])
			return "IPv6 packet larger than the port MTU";
		if (c->underlay[port] && ip6->proto == IPPROTO_UDP && l3 >= sizeof(*ip6) + 8 &&
		    !tf_fz_l4_6(m, ip6, l3) &&
		    rte_pktmbuf_mtod_offset(m, const uint16_t *, RTE_ETHER_HDR_LEN + sizeof(*ip6))[3] != 0)
			return "UDP over IPv6 checksum wrong";
		if (ip6->proto == IPPROTO_GRE && l3 >= sizeof(*ip6) + 4 &&
		    (rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN + sizeof(*ip6))[0] & 0x80) &&
		    tf_fz_sum(m, RTE_ETHER_HDR_LEN + sizeof(*ip6), l3 - sizeof(*ip6)) != 0xffff)
			return "GRE checksum wrong";
		return NULL;
	}
	return "routed port sends neither IPv4, IPv6 nor ARP";
}

static uint16_t
tf_fz_tx_cb(uint16_t port, uint16_t queue __rte_unused, struct rte_mbuf *pkts[],
	    uint16_t n, void *arg)
{
	struct tf_fz_check *c = arg;
	uint16_t i;

	c->pkts += n;
	for (i = 0; i < n; i++) {
		const char *why = port < TF_MAX_PORTS ? tf_fz_check_one(c, port, pkts[i]) :
							"port id out of range";

		if (why != NULL) {
			c->bad++;
			snprintf(c->why, sizeof(c->why), "port %u, frame of %u bytes in %u segments: %s",
				 port, pkts[i]->pkt_len, pkts[i]->nb_segs, why);
		}
	}
	return n;
}

static int
tf_fz_add_check(uint16_t port, struct tf_fz_check *c)
{
	return rte_eth_add_tx_callback(port, 0, tf_fz_tx_cb, c) == NULL ? -rte_errno : 0;
}

// accessors: Go reading a static directly fails to link under -asan
static int tf_fz_asan_on(void) { return tf_fz_asan; }
static int64_t tf_fz_ext_count(void) { return tf_fz_ext_live; }

// tf_fz_unpin lets the calling thread run on every CPU (EAL pins the main
// lcore to one: parallel fuzz workers would all share it).
static int
tf_fz_unpin(void)
{
	cpu_set_t s;
	int i;

	CPU_ZERO(&s);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &s);
	return sched_setaffinity(0, sizeof(s), &s) == 0 ? 0 : -errno;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"tunfwd/conf"
)

// Test hooks: the fuzz harness runs the packet path directly, on the control
// thread, with the first worker's struct (never launched). A gateway so used
// must not be started: StartPortsOnly starts the devices, StopPortsOnly stops
// them before Close.

// ASanBuild reports whether the C code was built with AddressSanitizer
// (go test -asan): ProcessChains then guards every segment's bytes.
func ASanBuild() bool { return C.tf_fz_asan_on() != 0 }

// ErrNoLibFuzzer: this build has no libFuzzer driver (make libfuzz builds one).
var ErrNoLibFuzzer = errors.New("not built with libFuzzer (make libfuzz)")

// RunLibFuzzer runs libFuzzer's loop with args (its command line, argv[0]
// first) on the calling goroutine's thread, which must not be the EAL
// thread: each input's checks call into the gateway through Do.
func RunLibFuzzer(args []string) (int, error) {
	argv := make([]*C.char, len(args)+1)
	for i, a := range args {
		argv[i] = C.CString(a)
	}
	cargv := (**C.char)(C.calloc(C.size_t(len(argv)), C.size_t(unsafe.Sizeof(argv[0]))))
	copy(unsafe.Slice(cargv, len(argv)), argv)
	ret := int(C.tf_lf_run(C.int(len(args)), cargv))
	if ret == -C.ENOSYS {
		return 0, ErrNoLibFuzzer
	}
	return ret, nil
}

// fuzzCheck is the tx check of a gateway whose ports StartPortsOnly started.
var (
	fuzzMu    sync.Mutex
	fuzzCheck = map[*Gateway]*C.struct_tf_fz_check{}
)

// StartPortsOnly starts the gateway's ports without launching a worker, and
// installs the tx check (TxViolations) on each.
func (g *Gateway) StartPortsOnly() (err error) {
	if g.running.Load() {
		return ErrRunning
	}
	fuzzMu.Lock()
	defer fuzzMu.Unlock()
	if _, ok := fuzzCheck[g]; ok {
		return errors.New("ports already started")
	}
	Do(func() {
		c := (*C.struct_tf_fz_check)(C.calloc(1, C.sizeof_struct_tf_fz_check))
		if c == nil {
			err = errors.New("tx check: out of memory")
			return
		}
		for _, p := range g.Ports {
			c.mtu[p.ID] = C.uint16_t(p.Spec.MTU)
			if g.portIsL2(p.Name) {
				c.l2[p.ID] = 1
			}
			if p.Spec.Side == conf.SideUnderlay {
				c.underlay[p.ID] = 1
			}
		}
		for _, p := range g.Ports {
			if err = p.start(); err != nil {
				return
			}
			if err = cerr("port "+p.Name+": tx callback", C.tf_fz_add_check(C.uint16_t(p.ID), c)); err != nil {
				return
			}
		}
		fuzzCheck[g] = c
	})
	return err
}

func (g *Gateway) portIsL2(name string) bool {
	for _, b := range g.cfg.L2 {
		if b.Port == name {
			return true
		}
	}
	return false
}

// StopPortsOnly stops the ports StartPortsOnly started.
func (g *Gateway) StopPortsOnly() (err error) {
	fuzzMu.Lock()
	defer fuzzMu.Unlock()
	if _, ok := fuzzCheck[g]; !ok {
		return ErrStopped
	}
	Do(func() {
		for _, p := range g.Ports {
			if e := p.stop(); e != nil && err == nil {
				err = e
			}
		}
	})
	delete(fuzzCheck, g) // the callbacks stay registered on the closed ports: C memory kept
	return err
}

// TxViolations returns the frames sent so far, how many of them failed the
// tx check and the last failure.
func (g *Gateway) TxViolations() (pkts, bad uint64, last string) {
	fuzzMu.Lock()
	defer fuzzMu.Unlock()
	c := fuzzCheck[g]
	if c == nil {
		return 0, 0, ""
	}
	Do(func() { pkts, bad, last = uint64(c.pkts), uint64(c.bad), C.GoString(&c.why[0]) })
	return pkts, bad, last
}

// ExtBufsLive returns the guarded segment buffers not yet freed (0 when
// every mbuf ProcessChains made is back).
func ExtBufsLive() (n int64) {
	Do(func() { n = int64(C.tf_fz_ext_count()) })
	return n
}

// ArmTapAll arms the first worker's tap on every port, for good: each
// ProcessChains consumes the records, so tf_tap_begin copies every packet.
func (g *Gateway) ArmTapAll() (err error) {
	Do(func() { err = cerr("tap", C.tf_tap_arm(g.workers[0].c, C.uint32_t(1<<C.TF_MAX_PORTS-1), 1<<31)) })
	return err
}

// UnpinControlThread lets the EAL main lcore thread run on every CPU.
func UnpinControlThread() (err error) {
	Do(func() { err = cerr("sched_setaffinity", C.tf_fz_unpin()) })
	return err
}

// fuzzDropMax is the number of drop reasons.
const fuzzDropMax = C.TF_DROP_MAX

// SegmentRoom is the most data one segment holds (a pool mbuf's data room).
const SegmentRoom = C.RTE_MBUF_DEFAULT_DATAROOM

// ProcessFrames runs the packet path over frames as if the first worker had
// received them on port, each frame one packet; a frame longer than
// SegmentRoom becomes a chain of mbufs.
func (g *Gateway) ProcessFrames(port string, frames [][]byte) error {
	pkts := make([][][]byte, len(frames))
	for i, f := range frames {
		pkts[i] = [][]byte{f}
	}
	return g.ProcessChains(port, pkts)
}

// ProcessChains is ProcessFrames with each packet given as its segments, one
// mbuf each (empty segments after the first are left out, longer ones split
// at SegmentRoom). With ASanBuild every segment is a malloc'd external
// buffer that ends where its bytes end.
func (g *Gateway) ProcessChains(port string, pkts [][][]byte) error {
	if g.running.Load() {
		return ErrRunning
	}
	if len(g.workers) == 0 {
		return errors.New("no worker")
	}
	var pid int = -1
	for _, p := range g.Ports {
		if p.Name == port {
			pid = int(p.ID)
		}
	}
	if pid < 0 {
		return fmt.Errorf("no port %q", port)
	}
	if len(pkts) > 0xffff {
		return fmt.Errorf("%d packets: at most 65535 at a time", len(pkts))
	}
	var blob []byte
	var seglen []C.uint32_t
	nseg := make([]C.uint16_t, len(pkts))
	for i, segs := range pkts {
		n := 0
		add := func(b []byte) {
			blob = append(blob, b...)
			seglen = append(seglen, C.uint32_t(len(b)))
			n++
		}
		for _, s := range segs {
			for len(s) > SegmentRoom {
				add(s[:SegmentRoom])
				s = s[SegmentRoom:]
			}
			if len(s) > 0 {
				add(s)
			}
		}
		if n == 0 {
			add(nil)
		}
		if n > 0xffff {
			return fmt.Errorf("packet %d: %d segments", i, n)
		}
		nseg[i] = C.uint16_t(n)
	}
	if len(pkts) == 0 {
		return nil
	}
	var bp *C.uint8_t
	if len(blob) > 0 {
		bp = (*C.uint8_t)(unsafe.Pointer(&blob[0]))
	}
	var sp *C.uint32_t
	if len(seglen) > 0 {
		sp = &seglen[0]
	}
	var ret C.int
	Do(func() {
		ret = C.tf_fz_run(g.workers[0].c, C.uint16_t(pid), g.pool, bp, sp, &nseg[0],
			C.uint16_t(len(pkts)), C.tf_fz_asan_on())
	})
	return cerr("process", ret)
}

// cksum20OK is the burst paths' IPv4 header check (tf_cksum20_ok) over the
// first 20 bytes of h, for cksum_test.go.
func cksum20OK(h []byte) bool {
	if len(h) < 20 {
		panic("cksum20OK: short header")
	}
	p := C.CBytes(h[:20])
	defer C.free(p)
	return C.tf_cksum20_check(p) != 0
}

// mbufAddrs allocates n mbufs of g's pool, notes where each lies, and frees
// them: for the test of how the pool is laid out (TestPoolPacked).
func (g *Gateway) mbufAddrs(n int) []uintptr {
	ms := make([]*C.struct_rte_mbuf, n)
	out := make([]uintptr, 0, n)
	for i := range ms {
		ms[i] = C.rte_pktmbuf_alloc(g.pool)
		if ms[i] == nil {
			break
		}
		out = append(out, uintptr(unsafe.Pointer(ms[i])))
	}
	for _, m := range ms {
		if m != nil {
			C.rte_pktmbuf_free(m)
		}
	}
	return out
}
