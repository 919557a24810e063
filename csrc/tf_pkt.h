//go:build ignore

/*
 * tf_pkt.h - per-packet helpers shared by the protocol files: drop and tx
 * queues, outer IPv4 validation, TTL, ECN (RFC 6040), checksums, flow hash.
 * Everything here is static inline: the whole dataplane is one translation
 * unit (dataplane/csrc.c), so the compiler sees through every call.
 */
#ifndef TF_PKT_H
#define TF_PKT_H

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <rte_vect.h>

#include "tf.h"
#include "tf_wire.h"

#define TF_ECN_MASK	0x03
#define TF_ECN_NOT_ECT	0x00
#define TF_ECN_ECT1	0x01
#define TF_ECN_ECT0	0x02
#define TF_ECN_CE	0x03

/*
 * tf_outer: what the classifier learnt from the outer IP header of a frame
 * addressed to the gateway, handed to the protocol decap functions so that
 * they serve IPv4 and IPv6 underlays alike.
 */
struct tf_outer {
	const void *ip;		/* outer IPv4 or IPv6 header: contiguous, validated */
	uint32_t l4_off;	/* frame offset of the IP payload (after IPv6 extension headers) */
	uint32_t l4_len;	/* bytes of IP payload from l4_off (padding trimmed) */
	uint8_t af;		/* 4 or 6 */
	uint8_t tos;		/* outer TOS / traffic class: DSCP and ECN */
};

/* tf_note records a step of the packet in hand when it is being traced. */
static inline void
tf_note(struct tf_worker *w, enum tf_action act, uint16_t slot)
{
	if (unlikely(w->tr != NULL)) {
		w->tr->action = act;
		w->tr->tunnel = slot;
	}
}

/*
 * tf_free_later frees m with the burst's drops, at the end of the burst (one
 * bulk free); a burst that made more packets than it received (fragments)
 * may fill the list first.
 */
static inline void
tf_free_later(struct tf_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->nb_free == TF_BURST_MAX)) {
		rte_pktmbuf_free_bulk(w->free, w->nb_free);
		w->nb_free = 0;
	}
	w->free[w->nb_free++] = m;
}

/* tf_drop frees m at the end of the burst and counts it under reason. */
static inline void
tf_drop(struct tf_worker *w, uint16_t in_port, struct rte_mbuf *m, enum tf_drop reason)
{
	if (unlikely(w->tr != NULL)) {
		w->tr->action = TF_ACT_DROP;
		w->tr->reason = reason;
	}
	w->ctr.drop[reason]++;
	w->ctr.port[in_port].drops++;
	tf_free_later(w, m);
}

static inline void
tf_tx_flush(struct tf_worker *w, uint16_t port)
{
	struct tf_txbuf *b = &w->tx[port];
	uint64_t bytes = b->bytes;
	uint16_t sent, i;

	if (b->n == 0)
		return;
	/* the burst loops summed the bytes as they queued; only a refusal costs a pass */
	sent = rte_eth_tx_burst(port, w->txq[port], b->m, b->n);
	for (i = sent; i < b->n; i++)
		bytes -= rte_pktmbuf_pkt_len(b->m[i]);
	w->ctr.port[port].tx_pkts += sent;
	w->ctr.port[port].tx_bytes += bytes;
	if (unlikely(sent < b->n)) {
		w->ctr.drop[TF_DROP_TX_FULL] += b->n - sent;
		w->ctr.port[port].tx_full += b->n - sent;
		rte_pktmbuf_free_bulk(&b->m[sent], b->n - sent);
	}
	b->n = 0;
	b->bytes = 0;
}

/* tf_tx queues m on port; it is sent at the end of the burst. */
static inline void
tf_tx(struct tf_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct tf_txbuf *b = &w->tx[port];

	if (unlikely(w->tr != NULL))
		w->tr->out_port = port;
	b->bytes += rte_pktmbuf_pkt_len(m);
	b->m[b->n++] = m;
	if (b->n == TF_TXBUF)
		tf_tx_flush(w, port);
}

/*
 * tf_run: the tunnel counters of a burst loop's current run of packets
 * through one tunnel (and direction), kept in registers and added once per
 * run: a counter bumped per packet is a chain of dependent read-modify-writes.
 */
struct tf_run {
	uint64_t *c;		/* &encap_pkts or &decap_pkts of the run's tunnel (bytes follow), or NULL */
	uint64_t pkts, bytes;
};

static __rte_always_inline void
tf_run_end(struct tf_run *r)
{
	if (r->c != NULL) {
		r->c[0] += r->pkts;
		r->c[1] += r->bytes;
	}
	r->c = NULL;
	r->pkts = r->bytes = 0;
}

static __rte_always_inline void
tf_run_add(struct tf_run *r, uint64_t *c, uint32_t bytes)
{
	if (unlikely(c != r->c)) {
		tf_run_end(r);
		r->c = c;
	}
	r->pkts++;
	r->bytes += bytes;
}

/*
 * tf_copy_hdr copies an encap template of 33..64 bytes in 16-byte moves,
 * the last one ending at len (overlapping the one before: same source).
 */
static __rte_always_inline void
tf_copy_hdr(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	memcpy(dst, src, 16);
	memcpy(dst + 16, src + 16, 16);
	if (len > 48)
		memcpy(dst + 32, src + 32, 16);
	memcpy(dst + len - 16, src + len - 16, 16);
}

/*
 * tf_tx_bulk queues n packets (n <= TF_BURST_MAX) on port at once: the
 * uniform burst loops, where every packet of the burst leaves by one port.
 */
static __rte_always_inline void
tf_tx_bulk(struct tf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	struct tf_txbuf *b = &w->tx[port];

	if (unlikely(b->n + n > TF_TXBUF))
		tf_tx_flush(w, port);
	memcpy(&b->m[b->n], pkts, n * sizeof(pkts[0]));
	b->n += n;
	b->bytes += bytes;
}

/*
 * tf_tplv: the first bytes of an encap template in vector registers, loaded
 * once per burst by the uniform encap loops (tf_tplv_load) with what is the
 * same for every packet already patched in; a 33..48-byte template is
 * stored as a, b and the last 16 bytes, a 49..64-byte one as a, b, c, last.
 */
struct tf_tplv {
	__m128i a, b, c, last;
};

static __rte_always_inline void
tf_tplv_load(struct tf_tplv *v, const uint8_t *hdr, uint32_t len)
{
	v->a = _mm_loadu_si128((const __m128i *)hdr);
	v->b = _mm_loadu_si128((const __m128i *)(hdr + 16));
	v->c = _mm_loadu_si128((const __m128i *)(hdr + 32));
	v->last = _mm_loadu_si128((const __m128i *)(hdr + len - 16));
}

/*
 * tf_txc: a burst loop's tx cursor, the fill of one port's tx buffer kept
 * in a register (bumped in memory per packet it is a chain of dependent
 * read-modify-writes). tf_txc_sync writes it back: before any call that
 * may queue packets itself, and at the end of the loop.
 */
struct tf_txc {
	struct tf_txbuf *b;	/* NULL: nothing cached */
	uint16_t port;
	uint16_t n;
	uint64_t bytes;		/* queued through the cursor since it took b */
};

static __rte_always_inline void
tf_txc_sync(struct tf_txc *c)
{
	if (c->b != NULL) {
		c->b->n = c->n;
		c->b->bytes += c->bytes;
	}
	c->b = NULL;
}

/* tf_txc_put is tf_tx through the cursor (no tap: the burst loops that use it do not trace). */
static __rte_always_inline void
tf_txc_put(struct tf_worker *w, struct tf_txc *c, uint16_t port, struct rte_mbuf *m)
{
	if (unlikely(c->b == NULL || c->port != port)) {
		tf_txc_sync(c);
		c->b = &w->tx[port];
		c->port = port;
		c->n = c->b->n;
		c->bytes = 0;
	}
	c->b->m[c->n++] = m;
	c->bytes += rte_pktmbuf_pkt_len(m);
	if (unlikely(c->n == TF_TXBUF)) {
		c->b->n = c->n;
		c->b->bytes += c->bytes;
		tf_tx_flush(w, port);
		c->n = 0;
		c->bytes = 0;
	}
}

/* Unaligned 32-bit access: headers after an IPv4 header with options need not be aligned. */
static inline uint32_t
tf_load32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
tf_load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * tf_mac48 is the 6 bytes of a MAC address in the low bits of a word, in
 * registers: bytes stored one way and read back wider stall on store
 * forwarding.
 */
static __rte_always_inline uint64_t
tf_mac48(const struct rte_ether_addr *a)
{
	uint16_t hi;

	memcpy(&hi, &a->addr_bytes[4], 2);
	return tf_load32(a->addr_bytes) | (uint64_t)hi << 32;
}

static inline void
tf_store32(void *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* RFC 1624 incremental update of a 16-bit one's complement checksum. */
static inline uint16_t
tf_csum_update16(uint16_t csum, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~csum + (uint16_t)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * tf_cksum20 is rte_raw_cksum over the 20 bytes of an IPv4 header without
 * options: five 32-bit words summed in 64 bits and folded (the one's
 * complement sum does not depend on the word size), no loop.
 */
static inline uint16_t
tf_cksum20(const void *p)
{
	const uint8_t *b = p;
	uint64_t s;

	s = (uint64_t)tf_load32(b) + tf_load32(b + 4) + tf_load32(b + 8) + tf_load32(b + 12) +
	    tf_load32(b + 16);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * tf_sig64: what the uniform decap loops require of a frame's first 64
 * bytes, as a mask and the value under it, taken from the first frame of a
 * burst that the full checks accepted: every other frame of the burst that
 * shows the same bytes under the mask passes the same checks (the caller
 * adds those on lengths and checksums) into the same tunnel.
 */
struct tf_sig64 {
	__m128i v[4], m[4];
};

static __rte_always_inline void
tf_sig64_make(struct tf_sig64 *sg, const uint8_t *frame, const uint8_t *mask)
{
	int k;

	for (k = 0; k < 4; k++) {
		sg->m[k] = _mm_loadu_si128((const __m128i *)(mask + 16 * k));
		sg->v[k] = _mm_and_si128(_mm_loadu_si128((const __m128i *)(frame + 16 * k)), sg->m[k]);
	}
}

/*
 * tf_dmask_get returns w's mask of a kind of decap for key (non-zero):
 * after *build is set, it is zeroed and the caller fills it. Kept, not
 * built on the stack each burst: a mask written byte by byte and read back
 * at once as vectors stalls on store forwarding (about a tick a packet on
 * the L2TPv2 decap).
 */
static __rte_always_inline uint8_t *
tf_dmask_get(struct tf_worker *w, int kind, uint32_t key, int *build)
{
	struct tf_dmask *d = &w->dmask[kind];

	*build = d->key != key;
	if (unlikely(*build)) {
		memset(d->m, 0, sizeof(d->m));
		d->key = key;
	}
	return d->m;
}

/* tf_sig64_match: frame (64 bytes readable) shows sg's bytes under its mask. */
static __rte_always_inline int
tf_sig64_match(const struct tf_sig64 *sg, const uint8_t *frame)
{
	__m128i x = _mm_cmpeq_epi8(_mm_and_si128(_mm_loadu_si128((const __m128i *)frame), sg->m[0]), sg->v[0]);
	int k;

	for (k = 1; k < 4; k++)
		x = _mm_and_si128(x, _mm_cmpeq_epi8(_mm_and_si128(_mm_loadu_si128((const __m128i *)(frame + 16 * k)),
								   sg->m[k]), sg->v[k]));
	return _mm_movemask_epi8(x) == 0xffff;
}

/*
 * tf_cksum20_ok says whether the IPv4 header without options at p (version
 * byte non-zero) has a right checksum: its one's complement sum is 0xffff
 * exactly when the plain sum of its words is a non-zero multiple of 0xffff.
 * 2^16 = 1 mod 0xffff, so the header may be summed as two 64-bit words and
 * a 32-bit one, in either byte order, each carry added back in: a sum
 * modulo 2^64 - 1 (which 0xffff divides) that is 0 only for a header of
 * zeros. An add and two adds with carry, and a multiply instead of folds.
 */
static inline int
tf_cksum20_ok(const void *p)
{
	const uint8_t *b = p;
	uint64_t s = tf_load64(b);

	/* not _addcarry_u64: GCC 12 then stores the sum to the stack at each use */
	__asm__("addq %1, %0\n\tadcq %2, %0\n\tadcq $0, %0"
		: "+r"(s) : "r"(tf_load64(b + 8)), "r"((uint64_t)tf_load32(b + 16)) : "cc");
	return s != 0 && s % 0xffff == 0;
}

/*
 * tf_ttl4_dec decrements the TTL (RFC 1812 5.3.1; the caller has checked it
 * is at least 1) and patches the checksum as RFC 1624 eqn. 3 does: the TTL
 * word drops by 0x100, so the checksum grows by 0x100 modulo 0xffff (a
 * result of 0xffff is 0). Done on the bytes as they lie: one's complement
 * sums do not depend on byte order, 0x100 in network order is 1 here.
 */
static inline void
tf_ttl4_dec(struct rte_ipv4_hdr *ip)
{
	uint32_t w, s;

	/* TTL, protocol and checksum are one 32-bit word: one load, one store */
	memcpy(&w, &ip->time_to_live, 4);
	s = (w >> 16) + 1;
	s -= s >= 0xffff ? 0xffff : 0;
	w = ((w - 1) & 0xffff) | (s << 16);	/* TTL >= 1: no borrow into the protocol */
	memcpy(&ip->time_to_live, &w, 4);
}

/*
 * tf_ipv4_check validates the IPv4 header at ip (avail bytes contiguous,
 * frame_l3 bytes of L3 in the packet) and returns its length or a negative
 * drop reason.
 */
static inline int
tf_ipv4_check(const struct rte_ipv4_hdr *ip, uint32_t avail, uint32_t frame_l3)
{
	uint32_t hl, tot;

	if (avail < sizeof(*ip))
		return -TF_DROP_TRUNCATED;
	if ((ip->version_ihl >> 4) != 4 || (ip->version_ihl & 0xf) < 5)
		return -TF_DROP_BAD_IP_HEADER;
	hl = (ip->version_ihl & 0xf) * 4u;
	if (avail < hl)
		return -TF_DROP_TRUNCATED;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < hl || tot > frame_l3)
		return -TF_DROP_BAD_IP_LENGTH;
	if ((hl == sizeof(*ip) ? tf_cksum20(ip) : rte_raw_cksum(ip, hl)) != 0xffff)
		return -TF_DROP_BAD_IP_CHECKSUM;
	return (int)hl;
}

/*
 * tf_raw_cksum_mbuf is rte_raw_cksum_mbuf (the one's complement sum of len
 * bytes of m from off, not complemented; 0 or -1 when m is shorter), done
 * right for a segment that starts at an odd byte of the sum: DPDK 22.11
 * truncates that segment's unfolded 32-bit sum to 16 bits before swapping
 * its bytes, so a chain with odd-length segments got wrong GRE, ICMP and UDP
 * checksums (found by FuzzPacketPath). Each segment's sum is folded first.
 */
static inline int
tf_raw_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *cksum)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	if (likely(off + len <= rte_pktmbuf_data_len(m))) {
		*cksum = rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const char *, off), len);
		return 0;
	}
	if (unlikely(off + len > rte_pktmbuf_pkt_len(m)))
		return -1;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (done < len) {
		uint32_t n;
		uint16_t part;

		if (unlikely(seg == NULL))
			return -1;
		n = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		part = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const char *, off), n);
		if (done & 1)
			part = rte_bswap16(part);
		sum += part;	/* at most 65535 parts of 16 bits each: no overflow */
		done += n;
		off = 0;
		seg = seg->next;
	}
	*cksum = __rte_raw_cksum_reduce(sum);
	return 0;
}

/* tf_udp4_cksum_bad: rte_ipv4_udptcp_cksum_mbuf_verify over tf_raw_cksum_mbuf (1: wrong). */
static inline int
tf_udp4_cksum_bad(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4_off)
{
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);
	uint16_t raw;
	uint32_t s;

	if (tf_raw_cksum_mbuf(m, l4_off, len, &raw) != 0)
		return 1;
	s = (uint32_t)raw + rte_ipv4_phdr_cksum(ip, 0);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s != 0xffff;
}

/* tf_ipv6_phdr_sum: the RFC 8200 section 8.1 pseudo-header sum (not folded). */
static inline uint32_t
tf_ipv6_phdr_sum(const struct rte_ipv6_hdr *ip6, uint32_t len, uint8_t proto)
{
	uint32_t s = __rte_raw_cksum(ip6->src_addr, 32, 0);

	/* the raw sum adds words as they lie in memory: add these the same way */
	return s + rte_cpu_to_be_16((uint16_t)(len >> 16)) + rte_cpu_to_be_16((uint16_t)len) +
	       rte_cpu_to_be_16(proto);
}

/*
 * tf_l4_cksum_bad verifies the UDP or ICMPv6 checksum of the outer packet
 * described by o (1: wrong or unreadable). Over IPv6 the pseudo header has
 * the upper-layer length, not the payload length (extension headers).
 */
static inline int
tf_l4_cksum_bad(const struct rte_mbuf *m, const struct tf_outer *o, uint8_t proto)
{
	uint16_t raw;
	uint32_t s;

	if (o->af == 4)
		return tf_udp4_cksum_bad(m, o->ip, o->l4_off);
	if (tf_raw_cksum_mbuf(m, o->l4_off, o->l4_len, &raw) != 0)
		return 1;
	s = raw + tf_ipv6_phdr_sum(o->ip, o->l4_len, proto);
	return __rte_raw_cksum_reduce(s) != 0xffff;
}

/* tf_trim_slow: tf_trim when there is padding to drop. */
static __rte_noinline int
tf_trim_slow(struct rte_mbuf *m, uint32_t l3_off, uint32_t l3_len)
{
	uint32_t extra = rte_pktmbuf_pkt_len(m) - l3_off - l3_len;
	uint32_t keep = l3_off + l3_len;
	struct rte_mbuf *s = m;
	uint16_t segs = 1;

	if (rte_pktmbuf_trim(m, extra) == 0)
		return 0;
	/*
	 * padding spread over segments: cut the chain where the packet ends
	 * (linearize would need the whole chain to fit the first segment)
	 */
	while (keep > s->data_len && s->next != NULL) {
		keep -= s->data_len;
		s = s->next;
		segs++;
	}
	if (keep > s->data_len)
		return -1;
	rte_pktmbuf_free(s->next);
	s->next = NULL;
	s->data_len = (uint16_t)keep;
	m->nb_segs = segs;
	m->pkt_len = l3_off + l3_len;
	return 0;
}

/* tf_trim drops Ethernet padding after an L3 packet of l3_len at l3_off. */
static inline int
tf_trim(struct rte_mbuf *m, uint32_t l3_off, uint32_t l3_len)
{
	if (likely(rte_pktmbuf_pkt_len(m) == l3_off + l3_len))
		return 0;
	return tf_trim_slow(m, l3_off, l3_len);
}

static inline uint8_t
tf_inner_tos(const void *l3, uint16_t ethertype)
{
	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return ((const struct rte_ipv4_hdr *)l3)->type_of_service;
	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		return (uint8_t)(rte_be_to_cpu_32(((const struct rte_ipv6_hdr *)l3)->vtc_flow) >> 20);
	return 0;
}

/* tf_frame_tos: the TOS / traffic class of the IP packet in Ethernet frame m, 0 if none. */
static __rte_always_inline uint8_t
tf_frame_tos(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + 4)	/* IPv4 TOS or IPv6 vtc_flow */
		return 0;
	return tf_inner_tos(eth + 1, eth->ether_type);
}

/* tf_encap_count traces and counts a packet tun encapsulated (inner_len bytes before). */
static inline void
tf_encap_count(struct tf_worker *w, const struct tf_tunnel *tun, uint32_t inner_len)
{
	tf_note(w, TF_ACT_ENCAP, tun->slot);
	w->ctr.tun[tun->slot].encap_pkts++;
	w->ctr.tun[tun->slot].encap_bytes += inner_len;
}

/*
 * tf_ecn_decap applies RFC 6040 section 4.2 to the inner header (contiguous,
 * already validated): returns 0, or -1 when the packet must be dropped
 * (outer CE over a not-ECT inner packet).
 */
static inline int
tf_ecn_decap(void *l3, uint16_t ethertype, uint8_t outer_tos)
{
	uint8_t out = outer_tos & TF_ECN_MASK, in, set;

	if (out == TF_ECN_NOT_ECT || out == TF_ECN_ECT0)
		return 0;
	if (ethertype != RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
	    ethertype != RTE_BE16(RTE_ETHER_TYPE_IPV6))
		return 0;
	in = tf_inner_tos(l3, ethertype) & TF_ECN_MASK;
	if (in == TF_ECN_NOT_ECT)
		return out == TF_ECN_CE ? -1 : 0;
	if (out == TF_ECN_CE)
		set = TF_ECN_CE;
	else if (in == TF_ECN_ECT0)	/* outer ECT(1) */
		set = TF_ECN_ECT1;
	else
		return 0;
	if (set == in)
		return 0;
	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = l3;
		uint16_t old = *(uint16_t *)ip;

		ip->type_of_service = (ip->type_of_service & ~TF_ECN_MASK) | set;
		ip->hdr_checksum = tf_csum_update16(ip->hdr_checksum, old, *(uint16_t *)ip);
	} else {
		struct rte_ipv6_hdr *ip6 = l3;
		uint32_t v = rte_be_to_cpu_32(ip6->vtc_flow);

		v = (v & ~(TF_ECN_MASK << 20)) | ((uint32_t)set << 20);
		ip6->vtc_flow = rte_cpu_to_be_32(v);
	}
	return 0;
}

/* tf_outer_csum: the outer IPv4 checksum from the template's base and the patched words. */
static inline rte_be16_t
tf_outer_csum(const struct tf_tunnel *tun, uint8_t tos, uint16_t len, uint16_t id)
{
	uint32_t s = tun->ip_csum_base + tos + len + id;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return rte_cpu_to_be_16((uint16_t)~s);
}

/* Outer TOS on encapsulation (defined below). */
static inline uint8_t tf_encap_tos(const struct tf_tunnel *tun, uint8_t inner_tos);

/*
 * tf_tpl: what the inline encaps need of a tunnel, copied out of it once per
 * burst or per run of packets: locals stay in registers, where fields of
 * the tunnel would be read again after every store into a packet (which
 * the compiler must assume may alias them).
 */
struct tf_tpl {
	const uint8_t *hdr;
	uint32_t csum_base;
	uint16_t hdr_len, mtu, l4_off, out_port, slot, sport_min, sport_span, flags;
	uint8_t tos, tos_mask;	/* outer TOS = tos | (inner TOS & tos_mask) (tf_encap_tos) */
	uint8_t fast;		/* enum tf_fast */
};

static __rte_always_inline struct tf_tpl
tf_tpl_of(const struct tf_tunnel *tun)
{
	struct tf_tpl tp = {
		.hdr = tun->hdr, .csum_base = tun->ip_csum_base, .hdr_len = tun->hdr_len,
		.mtu = tun->mtu, .l4_off = tun->l4_off, .out_port = tun->out_port, .slot = tun->slot,
		.sport_min = tun->sport_min, .sport_span = tun->sport_span, .flags = tun->flags,
		.fast = tun->fast,
	};

	if (tun->flags & TF_TUN_F_DSCP_COPY) {
		tp.tos = 0;
		tp.tos_mask = 0xff;
	} else {
		tp.tos = tun->tos;
		tp.tos_mask = TF_ECN_MASK;
	}
	return tp;
}

/*
 * tf_outer4_patch writes the per-packet words of a templated outer IPv4
 * header at h + 14: TOS, total length, id, and the checksum from the
 * template's base sum (as tf_outer_csum).
 */
static __rte_always_inline void
tf_outer4_patch(uint8_t *h, uint32_t csum_base, uint8_t tos, uint32_t outer_len, uint16_t id)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + RTE_ETHER_HDR_LEN);
	uint32_t s = csum_base + tos + (uint16_t)outer_len + id;

	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16((uint16_t)outer_len);
	ip->packet_id = rte_cpu_to_be_16(id);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~s);
}

/*
 * tf_outer4_vec is tf_outer4_patch in registers, for the uniform encap
 * loops: a and b, the template's first 32 bytes, come back with TOS (byte
 * 15), total length, id and checksum (bytes 16, 18 and 24) patched in, so
 * the header is written by whole vector stores and no narrow store follows.
 */
static __rte_always_inline void
tf_outer4_vec(__m128i *a, __m128i *b, uint32_t csum_base, uint8_t tos, uint32_t outer_len,
	      uint16_t id)
{
	uint32_t s = csum_base + tos + (uint16_t)outer_len + id;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	*a = _mm_insert_epi8(*a, tos, 15);
	*b = _mm_insert_epi16(*b, rte_cpu_to_be_16((uint16_t)outer_len), 0);
	*b = _mm_insert_epi16(*b, rte_cpu_to_be_16(id), 1);
	*b = _mm_insert_epi16(*b, rte_cpu_to_be_16((uint16_t)~s), 4);
}

/*
 * tf_mbuf_prepend moves m's data start d bytes back (the caller checked the
 * headroom): pkt_len and data_len lie side by side, one 64-bit add grows
 * both (neither can carry out: data_len + d stays far below 2^16).
 */
static __rte_always_inline void
tf_mbuf_prepend(struct rte_mbuf *m, uint16_t d)
{
	uint64_t x;

	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, data_len) != offsetof(struct rte_mbuf, pkt_len) + 4);
	m->data_off -= d;
	memcpy(&x, &m->pkt_len, 8);
	x += d | (uint64_t)d << 32;
	memcpy(&m->pkt_len, &x, 8);
}

/* tf_mbuf_strip moves m's data start d bytes on (d <= data_len), as tf_mbuf_prepend. */
static __rte_always_inline void
tf_mbuf_strip(struct rte_mbuf *m, uint16_t d)
{
	uint64_t x;

	m->data_off += d;
	memcpy(&x, &m->pkt_len, 8);
	x -= d | (uint64_t)d << 32;
	memcpy(&m->pkt_len, &x, 8);
}

/*
 * tf_push_outer4_fast is tf_push_outer4 for a frame the caller has checked
 * (outer_len within the MTU, headroom for the template) with the outer IPv4
 * id given: prepend the template (33..64 bytes) over the first strip bytes
 * and patch length, TOS, id and checksum. Returns the new frame start.
 */
static __rte_always_inline uint8_t *
tf_push_outer4_fast(const struct tf_tpl *tp, struct rte_mbuf *m, uint16_t strip,
		    uint32_t outer_len, uint8_t inner_tos, uint16_t id)
{
	uint16_t d = tp->hdr_len - strip;
	uint8_t *h;

	tf_mbuf_prepend(m, d);
	h = rte_pktmbuf_mtod(m, uint8_t *);
	tf_copy_hdr(h, tp->hdr, tp->hdr_len);
	tf_outer4_patch(h, tp->csum_base, tp->tos | (inner_tos & tp->tos_mask), outer_len, id);
	return h;
}

/*
 * tf_push_outer4 is the common part of every IPv4 encap: check the MTU,
 * prepend tun's template (over the first strip bytes of m, the inner
 * Ethernet header for L3 tunnels), patch length, TOS, id and checksum.
 * Returns the new frame start, or NULL when m was dropped.
 */
static inline uint8_t *
tf_push_outer4(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
	       struct rte_mbuf *m, uint16_t strip, uint32_t outer_len, uint8_t inner_tos)
{
	struct rte_ipv4_hdr *ip;
	uint8_t tos;
	uint8_t *h;

	if (unlikely(outer_len > tun->mtu)) {
		tf_drop(w, in, m, TF_DROP_MTU_EXCEEDED);
		return NULL;
	}
	h = (uint8_t *)rte_pktmbuf_prepend(m, tun->hdr_len - strip);
	if (unlikely(h == NULL)) {
		tf_drop(w, in, m, TF_DROP_NO_HEADROOM);
		return NULL;
	}
	rte_memcpy(h, tun->hdr, tun->hdr_len);
	ip = (struct rte_ipv4_hdr *)(h + RTE_ETHER_HDR_LEN);
	tos = tf_encap_tos(tun, inner_tos);
	ip->total_length = rte_cpu_to_be_16((uint16_t)outer_len);
	ip->type_of_service = tos;
	ip->packet_id = rte_cpu_to_be_16(w->ip_id);
	ip->hdr_checksum = tf_outer_csum(tun, tos, (uint16_t)outer_len, w->ip_id);
	w->ip_id++;
	return h;
}

/* Outer TOS on encapsulation: DSCP copied or fixed, ECN copied (RFC 6040 4.1, normal mode). */
static inline uint8_t
tf_encap_tos(const struct tf_tunnel *tun, uint8_t inner_tos)
{
	if (tun->flags & TF_TUN_F_DSCP_COPY)
		return inner_tos;
	return tun->tos | (inner_tos & TF_ECN_MASK);
}

/*
 * tf_push_outer6 is tf_push_outer4 for an IPv6 underlay: outer_len is the
 * whole outer IPv6 packet; traffic class as for IPv4, flow label from the
 * inner flow hash (RFC 6438).
 */
static inline uint8_t *
tf_push_outer6(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
	       struct rte_mbuf *m, uint16_t strip, uint32_t outer_len, uint8_t inner_tos,
	       uint32_t hash)
{
	struct rte_ipv6_hdr *ip6;
	uint8_t *h;

	if (unlikely(outer_len > tun->mtu)) {
		tf_drop(w, in, m, TF_DROP_MTU_EXCEEDED);
		return NULL;
	}
	h = (uint8_t *)rte_pktmbuf_prepend(m, tun->hdr_len - strip);
	if (unlikely(h == NULL)) {
		tf_drop(w, in, m, TF_DROP_NO_HEADROOM);
		return NULL;
	}
	rte_memcpy(h, tun->hdr, tun->hdr_len);
	ip6 = (struct rte_ipv6_hdr *)(h + RTE_ETHER_HDR_LEN);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)tf_encap_tos(tun, inner_tos) << 20 |
					 (hash & 0xfffff));
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(outer_len - sizeof(*ip6)));
	return h;
}

/* tf_push_outer: tf_push_outer4 or tf_push_outer6 by the tunnel's underlay. */
static inline uint8_t *
tf_push_outer(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
	      struct rte_mbuf *m, uint16_t strip, uint32_t outer_len, uint8_t inner_tos,
	      uint32_t hash)
{
	if (tun->af == 6)
		return tf_push_outer6(w, tun, in, m, strip, outer_len, inner_tos, hash);
	return tf_push_outer4(w, tun, in, m, strip, outer_len, inner_tos);
}

/*
 * tf_udp6_cksum_set fills the UDP checksum of an IPv6-encapsulated frame
 * (RFC 8200 section 8.1: mandatory, 0 sent as 0xffff) unless the tunnel
 * sends zero (RFC 6935).
 */
static inline void
tf_udp6_cksum_set(const struct tf_tunnel *tun, struct rte_mbuf *m, struct rte_udp_hdr *udp,
		  uint32_t udp_len)
{
	const struct rte_ipv6_hdr *ip6;
	uint16_t raw = 0;
	uint16_t c;

	udp->dgram_cksum = 0;
	if (tun->flags & TF_TUN_F_UDP6_ZERO_TX)
		return;
	ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
	tf_raw_cksum_mbuf(m, tun->l4_off, udp_len, &raw);	/* length known good: just built */
	c = (uint16_t)~__rte_raw_cksum_reduce(raw + tf_ipv6_phdr_sum(ip6, udp_len, IPPROTO_UDP));
	udp->dgram_cksum = c == 0 ? 0xffff : c;
}

/*
 * tf_flow_hash hashes the inner flow (L3 addresses and, for unfragmented TCP
 * and UDP, ports) for ECMP entropy; non-IP frames hash their MAC addresses.
 * CRC32-C by the SSE4.2 instruction (the -march DPDK builds for has it):
 * rte_hash_crc would test at run time which one to use, at every word.
 */
static const uint32_t tf_no_ports;

/*
 * tf_flow_hash4 is tf_flow_hash of an IPv4 header ip of hl bytes with avail
 * bytes from ip to the end of the segment (at least 20).
 */
static __rte_always_inline uint32_t
tf_flow_hash4(const struct rte_ipv4_hdr *ip, uint32_t hl, uint32_t avail)
{
	int l4 = (ip->next_proto_id == IPPROTO_UDP) | (ip->next_proto_id == IPPROTO_TCP);
	/* the ports when there are (unfragmented, in the segment), else 0: no branch */
	const void *ports = l4 && (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK |
							RTE_IPV4_HDR_MF_FLAG)) == 0 &&
			    avail >= hl + 4 ? (const void *)((const uint8_t *)ip + hl) : (const void *)&tf_no_ports;
	uint32_t h = (uint32_t)_mm_crc32_u64(ip->next_proto_id, tf_load64(&ip->src_addr));

	return _mm_crc32_u32(h, tf_load32(ports));
}

static __rte_always_inline uint32_t
tf_flow_hash(const struct rte_mbuf *m, uint32_t l3_off, uint16_t ethertype)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);

	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4) && len >= l3_off + 20) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + l3_off);

		return tf_flow_hash4(ip, (ip->version_ihl & 0xf) * 4u, len - l3_off);
	}
	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6) && len >= l3_off + 44) {
		const struct rte_ipv6_hdr *ip6 = (const void *)(p + l3_off);
		int l4 = (ip6->proto == IPPROTO_UDP) | (ip6->proto == IPPROTO_TCP);
		uint64_t h = ip6->proto;

		h = _mm_crc32_u64(h, tf_load64(ip6->src_addr));
		h = _mm_crc32_u64(h, tf_load64(ip6->src_addr + 8));
		h = _mm_crc32_u64(h, tf_load64(ip6->dst_addr));
		h = _mm_crc32_u64(h, tf_load64(ip6->dst_addr + 8));
		return _mm_crc32_u32((uint32_t)h, tf_load32(l4 ? (const void *)(p + l3_off + 40) : (const void *)&tf_no_ports));
	}
	if (len >= 12)
		return _mm_crc32_u32((uint32_t)_mm_crc32_u64(0, tf_load64(p)), tf_load32(p + 8));
	return 0;
}

/*
 * A decap key as two words, built in registers: a struct filled field by
 * field and then compared as words stalls on store forwarding. The layout
 * is struct tf_decap_key's on a little-endian CPU (x86).
 */
static inline uint64_t
tf_key_lo(uint8_t type, uint8_t has_key, uint16_t port, uint32_t id)
{
	return type | (uint64_t)has_key << 8 | (uint64_t)port << 16 | (uint64_t)id << 32;
}

static inline uint64_t
tf_key_hi(uint32_t src, uint32_t dst)
{
	return src | (uint64_t)dst << 32;
}

/*
 * tf_decap_lookup returns the index of the tunnel of key (lo, hi), or -1.
 * A one-entry cache per worker sits in front of the hash (keyed by table
 * generation: a freed table's address may come back).
 */
static inline int
tf_decap_lookup(struct tf_worker *w, const struct tf_table *t, uint64_t lo, uint64_t hi)
{
	struct tf_decap_key k;
	void *data;

	if (likely(w->lc_gen == t->gen && w->lc_lo == lo && w->lc_hi == hi))
		return w->lc_idx;
	memcpy(&k, &lo, 8);
	memcpy((uint8_t *)&k + 8, &hi, 8);
	if (rte_hash_lookup_data(t->decap, &k, &data) < 0)
		return -1;
	w->lc_gen = t->gen;
	w->lc_lo = lo;
	w->lc_hi = hi;
	w->lc_idx = (uint16_t)(uintptr_t)data;
	return w->lc_idx;
}

/* tf_decap_lookup6: the same for a tunnel over IPv6 (no cache: 40-byte keys). */
static inline int
tf_decap_lookup6(const struct tf_table *t, const struct rte_ipv6_hdr *ip6, uint8_t type,
		 uint8_t has_key, uint16_t port, uint32_t id, int with_src)
{
	struct tf_decap_key6 k;
	void *data;

	k.type = type;
	k.has_key = has_key;
	k.port = port;
	k.id = id;
	if (with_src)
		memcpy(k.src, ip6->src_addr, 16);
	else
		memset(k.src, 0, 16);
	memcpy(k.dst, ip6->dst_addr, 16);
	if (rte_hash_lookup_data(t->decap6, &k, &data) < 0)
		return -1;
	return (int)(uintptr_t)data;
}

/*
 * tf_decap_find looks the tunnel of a decapsulated frame up by its outer
 * addresses (the remote one only when with_src) and protocol fields.
 */
static inline int
tf_decap_find(struct tf_worker *w, const struct tf_table *t, const struct tf_outer *o,
	      uint8_t type, uint8_t has_key, uint16_t port, uint32_t id, int with_src)
{
	if (likely(o->af == 4)) {
		const struct rte_ipv4_hdr *ip = o->ip;

		return tf_decap_lookup(w, t, tf_key_lo(type, has_key, port, id),
				       tf_key_hi(with_src ? ip->src_addr : 0, ip->dst_addr));
	}
	return tf_decap_lookup6(t, o->ip, type, has_key, port, id, with_src);
}

static inline int
tf_same6(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

static inline int
tf_is_local6(const struct tf_table *t, const uint8_t *addr)
{
	uint16_t i;

	for (i = 0; i < t->nb_local6; i++)
		if (tf_same6(t->local6[i], addr))
			return 1;
	return 0;
}

static inline int
tf_is_local4(const struct tf_table *t, uint32_t addr)
{
	uint16_t i;

	for (i = 0; i < t->nb_local4; i++)
		if (t->local4[i] == addr)
			return 1;
	return 0;
}

/* tf_inner_l3_short: the inner frame says IPv4 or IPv6 but its fixed header is not all there. */
static inline int
tf_inner_l3_short(const struct rte_mbuf *m, uint16_t ethertype)
{
	uint32_t avail = rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN;

	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return avail < sizeof(struct rte_ipv4_hdr);
	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		return avail < sizeof(struct rte_ipv6_hdr);
	return 0;
}

/*
 * tf_l2_out sends the decapsulated Ethernet frame m holds out of inner port
 * port, tagged with vlan (0: untagged), within the port's MTU.
 */
static inline void
tf_l2_out(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	  uint16_t port, uint16_t vlan)
{
	if (vlan != 0) {
		struct rte_ether_hdr *ieth;
		struct rte_vlan_hdr *vh;
		uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, sizeof(*vh));

		if (unlikely(p == NULL))
			return tf_drop(w, in, m, TF_DROP_NO_HEADROOM);
		memmove(p, p + sizeof(*vh), 2 * RTE_ETHER_ADDR_LEN);
		ieth = (struct rte_ether_hdr *)p;
		vh = (struct rte_vlan_hdr *)(ieth + 1);	/* eth_proto: the old ethertype, in place */
		vh->vlan_tci = rte_cpu_to_be_16(vlan);
		ieth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	}
	if (unlikely(rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN - (vlan ? 4 : 0) > t->port[port].mtu))
		return tf_drop(w, in, m, TF_DROP_MTU_EXCEEDED);
	tf_tx(w, port, m);
}

/*
 * tf_l2_deliver sends the Ethernet frame m holds (at least its header
 * contiguous), just decapsulated from the L2 tunnel tun, out of the inner
 * port its [[l2]] binds, tagged with the binding's VLAN: RFC 6040 applied to
 * an inner IP header, the port's MTU checked.
 */
static inline void
tf_l2_deliver(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	      const struct tf_tunnel *tun, uint8_t outer_tos)
{
	struct rte_ether_hdr *ieth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	/* outer ECT(1) or CE: RFC 6040 reads and may rewrite the inner IP header, so it must be whole */
	if ((outer_tos & TF_ECN_ECT1) && tf_inner_l3_short(m, ieth->ether_type))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (tf_ecn_decap(ieth + 1, ieth->ether_type, outer_tos) != 0)
		return tf_drop(w, in, m, TF_DROP_ECN_NOT_ECT);
	tf_note(w, TF_ACT_DECAP, tun->slot);
	w->ctr.tun[tun->slot].decap_pkts++;
	w->ctr.tun[tun->slot].decap_bytes += rte_pktmbuf_pkt_len(m);

	tf_l2_out(w, t, in, m, tun->l2_port, tun->l2_vlan);
}

/*
 * tf_rsame tells whether an IPv4 destination is routed by route hop: for a
 * TF_RT_F_LEAF route (resolved when the table was built) a prefix compare,
 * else an LPM lookup. For the burst loops that follow the route of a
 * burst's first packet.
 */
struct tf_rsame {
	const struct tf_table *t;
	uint32_t hop;		/* the route's LPM next hop: its index */
	uint32_t net, mask;	/* a leaf's prefix, network order */
	uint8_t leaf;
};

static __rte_always_inline void
tf_rsame_of(struct tf_rsame *rs, const struct tf_table *t, uint32_t hop)
{
	const struct tf_route *rt = &t->routes[hop];
	uint32_t a4;

	memcpy(&a4, rt->addr, sizeof(a4));
	rs->t = t;
	rs->hop = hop;
	rs->leaf = (rt->flags & TF_RT_F_LEAF) != 0;
	rs->mask = rte_cpu_to_be_32(rt->depth == 0 ? 0 : ~0u << (32 - rt->depth));
	rs->net = a4 & rs->mask;
}

/* tf_rsame_dst: dst (network order) is routed by rs's route */
static __rte_always_inline int
tf_rsame_dst(const struct tf_rsame *rs, uint32_t dst)
{
	uint32_t hop;

	if (rs->leaf)
		return (dst & rs->mask) == rs->net;
	return rte_lpm_lookup(rs->t->lpm4, rte_be_to_cpu_32(dst), &hop) == 0 && hop == rs->hop;
}

/*
 * tf_dnh: the next hop a uniform routed decap (GRE, L2TPv2, SRv6 End.DX4
 * and End.DT4) sends its inner IPv4 packets to, re-framed in the pass that
 * checks them: a SID's own next hop, or the one the route of the first
 * packet's destination gives. The first packet another route takes, or too
 * long for the next hop's port, ends the run: the per-packet loop takes it
 * and those after it.
 */
struct tf_dnh {
	struct tf_rsame rs;	/* the route; rs.t NULL: any destination (End.DX4) */
	uint64_t e0, e1;	/* the new Ethernet header as two overlapping 8-byte stores */
	uint32_t mtu;
	uint16_t port;
};

static __rte_always_inline void
tf_dnh_set(struct tf_dnh *d, const struct tf_table *t, const struct tf_nexthop *nh)
{
	uint64_t src = tf_mac48(&t->port[nh->port].mac);

	d->e0 = tf_mac48(&nh->mac) | src << 48;
	d->e1 = src | 0x0008ull << 48;	/* bytes 12, 13: RTE_ETHER_TYPE_IPV4 */
	d->port = nh->port;
	d->mtu = t->port[nh->port].mtu;
	memset(&d->rs, 0, sizeof(d->rs));	/* any destination, until tf_dnh_route */
}

/* tf_dnh_route: d follows the route of dst (network order); 0 when that is no next hop */
static __rte_always_inline int
tf_dnh_route(struct tf_dnh *d, const struct tf_table *t, uint32_t dst)
{
	const struct tf_route *rt;
	uint32_t hop;

	if (rte_lpm_lookup(t->lpm4, rte_be_to_cpu_32(dst), &hop) != 0)
		return 0;
	rt = &t->routes[hop];
	if (rt->kind != TF_RT_NEXTHOP)
		return 0;
	tf_dnh_set(d, t, &t->nexthops[rt->idx]);
	tf_rsame_of(&d->rs, t, hop);
	return 1;
}

/*
 * tf_dnh_send counts the n frames a routed tunnel decap took (bytes: their
 * frame bytes as they came; strip: the outer bytes each lost) into tunnel
 * counter slot, and queues them for d's port.
 */
static __rte_always_inline void
tf_dnh_send(struct tf_worker *w, const struct tf_dnh *d, uint16_t in, uint16_t slot, struct rte_mbuf **pkts,
	    uint16_t n, uint64_t bytes, uint32_t strip)
{
	w->ctr.port[in].rx_bytes += bytes;
	w->ctr.tun[slot].decap_pkts += n;
	w->ctr.tun[slot].decap_bytes += bytes - (uint64_t)n * (RTE_ETHER_HDR_LEN + strip);
	w->ctr.routed += n;
	tf_tx_bulk(w, d->port, pkts, n, bytes - (uint64_t)n * strip);
}

/*
 * tf_dnh_put: an inner IPv4 packet of l3 bytes to dst goes d's way: then
 * f, its frame (14 bytes of room for the Ethernet header first), gets the
 * TTL decremented (the caller saw it above 1) and the new Ethernet header,
 * 1; else 0, f untouched.
 */
static __rte_always_inline int
tf_dnh_put(const struct tf_dnh *d, uint8_t *f, uint32_t dst, uint32_t l3)
{
	if (l3 > d->mtu || (d->rs.t != NULL && !tf_rsame_dst(&d->rs, dst)))
		return 0;
	tf_ttl4_dec((struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN));
	memcpy(f, &d->e0, 8);
	memcpy(f + 6, &d->e1, 8);
	return 1;
}

/*
 * tf_l2_decap_send counts the n frames a bridged decap (VXLAN, L2TPv3) took
 * into tun (bytes: their frame bytes as they came; strip: the bytes before
 * each inner frame) and queues them for tun's bound port.
 */
static __rte_always_inline void
tf_l2_decap_send(struct tf_worker *w, uint16_t in, const struct tf_tunnel *tun, struct rte_mbuf **pkts,
		 uint16_t n, uint64_t bytes, uint32_t strip)
{
	w->ctr.port[in].rx_bytes += bytes;
	w->ctr.tun[tun->slot].decap_pkts += n;
	w->ctr.tun[tun->slot].decap_bytes += bytes - (uint64_t)n * strip;
	tf_tx_bulk(w, tun->l2_port, pkts, n, bytes - (uint64_t)n * strip);
}

/*
 * tf_l2_burst_end ends a one-pass bridged encap (VXLAN, L2TPv3) of n frames
 * into tp's tunnel that stopped at frame i (bytes: the frame bytes of those
 * before): all taken, they are counted and queued, 1; else the i already
 * encapsulated get their frames back as they came, 0.
 */
static __rte_always_inline int
tf_l2_burst_end(struct tf_worker *w, uint16_t in, const struct tf_tpl *tp, struct rte_mbuf **pkts,
		uint16_t n, uint16_t i, uint64_t bytes)
{
	if (i < n) {
		while (i-- > 0)
			tf_mbuf_strip(pkts[i], tp->hdr_len);
		return 0;
	}
	w->ip_id += n;
	w->ctr.port[in].rx_bytes += bytes;
	w->ctr.tun[tp->slot].encap_pkts += n;
	w->ctr.tun[tp->slot].encap_bytes += bytes;
	tf_tx_bulk(w, tp->out_port, pkts, n, bytes + (uint64_t)n * tp->hdr_len);
	return 1;
}

/*
 * tf_plain4 says whether m is a plain IPv4 packet to the port's MAC, the
 * case every fast path starts from: header without options in the first
 * segment, total length exactly the frame's (no padding to trim), checksum
 * right. Anything else takes the full classifier, which drops or handles it.
 * The burst loops hand it the port's tf_eth4 pattern, made once per burst.
 */
struct tf_eth4 {
	__m128i want, mask;	/* the first 16 bytes: destination MAC, ethertype, version/IHL */
};

static inline struct tf_eth4
tf_eth4_of(const struct tf_port *p)
{
	struct tf_eth4 e;

	/* bytes 12..14: RTE_ETHER_TYPE_IPV4, then version 4 and IHL 5 */
	e.want = _mm_set_epi64x(0x450008ll << 32, (long long)tf_mac48(&p->mac));
	e.mask = _mm_set_epi64x(0xffffffll << 32, 0xffffffffffffll);
	return e;
}

static __rte_always_inline int
tf_plain4(const struct tf_eth4 *e, const struct rte_mbuf *m)
{
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + RTE_ETHER_HDR_LEN);

	return rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN + sizeof(*ip) &&
	       _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(_mm_loadu_si128((const __m128i *)eth),
							      e->mask), e->want)) == 0xffff &&
	       rte_be_to_cpu_16(ip->total_length) == rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN &&
	       tf_cksum20_ok(ip);
}

/*
 * tf_rrun: the way the first packet of a routed burst goes, for the burst
 * encaps of the inline tunnels to take the packets after it that go the
 * same way (tf_routed_run in worker.c).
 */
struct tf_rrun {
	struct tf_eth4 e4;
	struct tf_rsame rs;	/* the route */
	uint32_t maxlen;	/* the longest frame the tunnel's MTU takes */
	uint16_t room;		/* the headroom its template needs */
	uint8_t local;		/* TF_RT_F_LOCAL: the route covers a gateway address */
};

/*
 * tf_rrun_ok: m goes r's way: plain IPv4 (tf_plain4) with TTL left, routed
 * by the same route, not to the gateway, within the tunnel's MTU and with
 * headroom for its template. Read-only.
 */
static __rte_always_inline int
tf_rrun_ok(const struct tf_rrun *r, const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								RTE_ETHER_HDR_LEN);

	return tf_plain4(&r->e4, m) && ip->time_to_live > 1 && rte_pktmbuf_pkt_len(m) <= r->maxlen &&
	       rte_pktmbuf_headroom(m) >= r->room && tf_rsame_dst(&r->rs, ip->dst_addr) &&
	       !(r->local && tf_is_local4(r->rs.t, ip->dst_addr));
}

/*
 * tf_rrun_outer4 starts the IPv4-underlay encap of a routed burst's packet
 * m (GRE, L2TPv2) with tp's template, a and b its first 32 bytes: when m
 * goes r's way, TTL decremented, tp.hdr_len - 14 bytes prepended, TOS,
 * length, id and checksum patched into a and b; returns where the header
 * goes, its frame bytes added to *sum. NULL, m untouched, when not.
 */
static __rte_always_inline uint8_t *
tf_rrun_outer4(const struct tf_rrun *r, const struct tf_tpl *tp, struct rte_mbuf *m, uint16_t id,
	       __m128i *a, __m128i *b, uint32_t *outer_len, uint64_t *sum)
{
	const uint16_t d = tp->hdr_len - RTE_ETHER_HDR_LEN;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	uint8_t tos;

	if (!tf_rrun_ok(r, m))
		return NULL;
	*outer_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN + d;
	*sum += rte_pktmbuf_pkt_len(m);
	tos = tp->tos | (ip->type_of_service & tp->tos_mask);
	tf_ttl4_dec(ip);
	tf_mbuf_prepend(m, d);
	tf_outer4_vec(a, b, tp->csum_base, tos, *outer_len, id);
	return p - d;
}

/* Entry points of the protocol files, called by the classifier in worker.c. */
static void tf_gre_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
			 struct rte_mbuf *m, const struct tf_outer *o);
static void tf_gre_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
			 struct rte_mbuf *m, uint16_t ethertype);
static void tf_vxlan_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
			   struct rte_mbuf *m, const struct tf_outer *o);
static void tf_vxlan_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
			   struct rte_mbuf *m);
static __rte_always_inline void tf_gre_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m,
						   uint32_t outer_len, uint16_t id);
static __rte_noinline uint16_t tf_gre_encap_burst(const struct tf_rrun *r, const struct tf_tunnel *tun,
						  struct rte_mbuf **pkts, uint16_t n, uint16_t id, uint64_t *bytes);
static __rte_always_inline int tf_gre_decap_peek(struct tf_worker *w, const struct tf_table *t,
						 const struct rte_mbuf *m, uint32_t *strip);
static __rte_always_inline void tf_vxlan_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m,
						     uint32_t outer_len, uint16_t id);
static __rte_noinline int tf_vxlan_encap_burst(struct tf_worker *w, uint16_t in, const struct tf_tunnel *tun,
					       struct rte_mbuf **pkts, uint16_t n);
static __rte_noinline uint16_t tf_vxlan_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
						    struct rte_mbuf **pkts, uint16_t n, int ti);
static __rte_noinline uint16_t tf_gre_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
						  struct rte_mbuf **pkts, uint16_t n, int ti, uint32_t strip);
static __rte_always_inline int tf_vxlan_decap_peek(struct tf_worker *w, const struct tf_table *t,
						   const struct rte_mbuf *m);
static __rte_always_inline void tf_l2tpv2_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m,
						      uint32_t outer_len, uint16_t id);
static __rte_noinline uint16_t tf_l2tpv2_encap_burst(const struct tf_rrun *r, const struct tf_tunnel *tun,
						     struct rte_mbuf **pkts, uint16_t n, uint16_t id,
						     uint64_t *bytes);
static __rte_always_inline void tf_l2tpv3_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m,
						      uint32_t outer_len, uint16_t id);
static __rte_noinline int tf_l2tpv3_encap_burst(struct tf_worker *w, uint16_t in, const struct tf_tunnel *tun,
						struct rte_mbuf **pkts, uint16_t n);
static __rte_always_inline int tf_l2tp_ip_decap_peek(struct tf_worker *w, const struct tf_table *t,
						     const struct rte_mbuf *m, uint32_t *strip);
static __rte_always_inline int tf_l2tp_udp_decap_peek(struct tf_worker *w, const struct tf_table *t,
						      const struct rte_mbuf *m, uint8_t versions,
						      uint32_t *strip);
static __rte_noinline uint16_t tf_l2tpv2_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
						     struct rte_mbuf **pkts, uint16_t n, int ti, uint32_t strip);
static __rte_noinline uint16_t tf_l2tpv3_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
						     struct rte_mbuf **pkts, uint16_t n, int ti, uint32_t strip);
static void tf_l2tp_udp_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
			      struct rte_mbuf *m, const struct tf_outer *o, uint8_t versions);
static void tf_l2tpv3_ip_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
			       struct rte_mbuf *m, const struct tf_outer *o);
static void tf_l2tpv2_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
			    struct rte_mbuf *m, uint16_t ethertype);
static void tf_l2tpv3_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
			    struct rte_mbuf *m);
static inline void tf_l3_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
			       struct rte_mbuf *m, uint16_t ethertype);
static inline void tf_l2_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
			       struct rte_mbuf *m);
static void tf_l3_forward(struct tf_worker *w, const struct tf_table *t, uint16_t in,
			  struct rte_mbuf *m, uint16_t ethertype, int outer_tos);
static inline void tf_l3_route(struct tf_worker *w, const struct tf_table *t, uint16_t in,
			       struct rte_mbuf *m, uint16_t ethertype, uint32_t l3_len, uint32_t idx);
static inline void tf_l3_nexthop(struct tf_worker *w, const struct tf_table *t, uint16_t in,
				 struct rte_mbuf *m, uint16_t ethertype, uint32_t l3_len, uint32_t nh_idx);
static void tf_l3_forward_via(struct tf_worker *w, const struct tf_table *t, uint16_t in,
			      struct rte_mbuf *m, uint16_t ethertype, int outer_tos, int nh_idx);
static void tf_srv6_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
			  struct rte_mbuf *m, uint16_t ethertype);
static void tf_srv6_encap_l2(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
			     struct rte_mbuf *m);
static __rte_always_inline void tf_srv6_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m,
						    uint32_t outer_len);
static __rte_noinline uint16_t tf_srv6_encap_burst(const struct tf_rrun *r, const struct tf_tunnel *tun,
						   struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes);
static __rte_noinline uint16_t tf_srv6_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
						   struct rte_mbuf **pkts, uint16_t n);
/* tf_srv6_input: -1 when the IPv6 destination is no local SID (m untouched), else 0 (m consumed). */
static int tf_srv6_input(struct tf_worker *w, const struct tf_table *t, uint16_t in,
			 struct rte_mbuf *m);
static void tf_local4(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		      struct rte_mbuf *m, uint32_t ip_hl);
static void tf_local6(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		      struct rte_mbuf *m, const struct tf_outer *o);
static void tf_arp(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		   struct rte_mbuf *m);
static void tf_esp_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
			 struct rte_mbuf *m, const struct tf_outer *o);
static void tf_esp_encap(struct tf_worker *w, const struct tf_table *t, uint16_t sai, uint16_t in,
			 struct rte_mbuf *m, uint16_t ethertype);
static __rte_noinline uint16_t tf_esp_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
						  const struct tf_eth4 *e4, struct rte_mbuf **pkts, uint16_t n);
static __rte_noinline uint16_t tf_esp_encap_burst(struct tf_worker *w, const struct tf_rrun *r, uint16_t sai,
						  uint16_t in, struct rte_mbuf **pkts, uint16_t n,
						  uint64_t *bytes);
static void tf_esp_flush(struct tf_worker *w, const struct tf_table *t);
static void tf_esp_encap_sa(struct tf_worker *w, const struct tf_esp *e, uint16_t sai, uint16_t in,
			    struct rte_mbuf *m, uint16_t ethertype);
static void tf_esp_gre_out(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
			   struct rte_mbuf *m);

#endif /* TF_PKT_H */
