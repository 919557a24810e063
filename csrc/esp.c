//go:build ignore

/*
 * esp.c - IPsec ESP tunnel mode (RFC 4303) over IPv4, optionally in UDP
 * (RFC 3948), or IPv6, through librte_ipsec and cryptodev.
 *
 * ESP wants batches, so the classifier only stages packets here:
 * tf_esp_decap for ESP (proto 50 or UDP 4500) to a local address,
 * tf_esp_encap for inner IPv4 or IPv6 packets routed into an SA (one
 * family per SA: its ESP next header is fixed), tf_esp_gre_out for the
 * packets of a GRE tunnel the SA protects. At the end of the burst
 * tf_esp_flush, for each SA with staged packets:
 *  1. checks the SA's lifetime (packets, bytes),
 *  2. prepares the group: cpu-crypto encrypts or decrypts right there;
 *     lookaside fills crypto ops, enqueues them on this worker's queue pair
 *     and dequeues them all back,
 *  3. finishes it with rte_ipsec_pkt_process (trailer, replay window),
 *  4. counts by reason what librte_ipsec refused (it only moves failures to
 *     the end of the array: the stage that refused, the packet's sequence
 *     number and its mbuf flags tell why),
 *  5. sends the rest: outbound to the SA's next hop with the outer TOS and
 *     checksum set, inbound through the SA's selectors (RFC 4301 5.2) to the
 *     inner route lookup, or, GRE to the gateway, back to the underlay
 *     classifier (tf_esp_gre_in).
 * Sequence numbers, ESN, the replay window, padding and the ICV are the
 * library's job.
 */
#include <string.h>

#include <rte_cryptodev.h>
#include <rte_errno.h>
#include <rte_esp.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_ipsec.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "tf.h"
#include "tf_pkt.h"

#define TF_ESP_OK	0xff	/* verdict of a packet nothing refused (not a drop reason) */
#define TF_ESP_FAIL	0xfe	/* refused by the stage in hand, reason still to find */
#define TF_ESP_GROUP	(2 * TF_BURST_MAX)

_Static_assert(TF_DROP_MAX < TF_ESP_FAIL, "drop reasons collide with ESP verdicts");

/* tf_pfx6_in: 1 when IPv6 address a is inside prefix p/len (host bits of p zero). */
static inline int
tf_pfx6_in(const uint8_t *a, const uint8_t *p, uint8_t len)
{
	uint8_t full = len / 8, rem = len % 8;

	if (memcmp(a, p, full) != 0)
		return 0;
	return rem == 0 || ((a[full] ^ p[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

/* tf_sel_ports: 1 when s takes the ports (any ports when s names none). */
static inline int
tf_sel_ports(const struct tf_sel *s, int ports, uint16_t sport, uint16_t dport)
{
	if (s->sport_lo == 0 && s->sport_hi == 0xffff && s->dport_lo == 0 && s->dport_hi == 0xffff)
		return 1;
	return ports && sport >= s->sport_lo && sport <= s->sport_hi &&
	       dport >= s->dport_lo && dport <= s->dport_hi;
}

/*
 * tf_sa_match6 is tf_sa_match for an SA of IPv6 packets (40 bytes at off
 * checked by the caller). The next layer protocol is the IPv6 header's
 * Next Header: behind extension headers a packet has no ports (OPAQUE,
 * RFC 4301 4.4.1.1) and matches only selectors without them.
 */
static int
tf_sa_match6(const struct tf_sa *sa, const struct rte_mbuf *m, uint32_t off)
{
	const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, off);
	uint32_t avail = rte_pktmbuf_data_len(m) - off;
	uint16_t sport = 0, dport = 0;
	int ports = 0;
	uint8_t i;

	if ((ip6->proto == IPPROTO_TCP || ip6->proto == IPPROTO_UDP || ip6->proto == IPPROTO_SCTP) &&
	    avail >= sizeof(*ip6) + 4) {
		const uint8_t *l4 = (const uint8_t *)(ip6 + 1);

		sport = (uint16_t)(l4[0] << 8 | l4[1]);
		dport = (uint16_t)(l4[2] << 8 | l4[3]);
		ports = 1;
	}
	for (i = 0; i < sa->nb_sel; i++) {
		const struct tf_sel *s = &sa->sel[i];

		if (!tf_pfx6_in(ip6->src_addr, s->src6, s->src6_len) ||
		    !tf_pfx6_in(ip6->dst_addr, s->dst6, s->dst6_len))
			continue;
		if (s->proto != 0 && s->proto != ip6->proto)
			continue;
		if (tf_sel_ports(s, ports, sport, dport))
			return 1;
	}
	return 0;
}

/* tf_sa_match: 1 when the inner packet at off of m is inside one of sa's selectors. */
static int
tf_sa_match(const struct tf_sa *sa, const struct rte_mbuf *m, uint32_t off)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	uint32_t avail = rte_pktmbuf_data_len(m) - off;
	uint32_t hl = (ip->version_ihl & 0xf) * 4u;
	uint16_t sport = 0, dport = 0;
	int ports = 0;
	uint8_t i;

	if (sa->nb_sel == 0)
		return 1;
	if (sa->inner_af == 6)
		return tf_sa_match6(sa, m, off);
	/* ports only where the first fragment carries them (RFC 4301 4.4.1.1, OPAQUE otherwise) */
	if ((ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP ||
	     ip->next_proto_id == IPPROTO_SCTP) &&
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) == 0 && avail >= hl + 4) {
		const uint8_t *l4 = (const uint8_t *)ip + hl;

		sport = (uint16_t)(l4[0] << 8 | l4[1]);
		dport = (uint16_t)(l4[2] << 8 | l4[3]);
		ports = 1;
	}
	for (i = 0; i < sa->nb_sel; i++) {
		const struct tf_sel *s = &sa->sel[i];

		if ((ip->src_addr & s->src_mask) != s->src || (ip->dst_addr & s->dst_mask) != s->dst)
			continue;
		if (s->proto != 0 && s->proto != ip->next_proto_id)
			continue;
		if (tf_sel_ports(s, ports, sport, dport))
			return 1;
	}
	return 0;
}

static inline void
tf_esp_stage(struct tf_worker *w, struct rte_mbuf *m, uint16_t sa, uint16_t in,
	     uint32_t seq, uint32_t len, uint8_t tos)
{
	struct tf_esp_stage *st = &w->esp;
	struct tf_esp_pkt *p;

	if (unlikely(st->n == TF_ESP_GROUP))	/* cannot happen: each packet is staged at most twice */
		return tf_drop(w, in, m, TF_DROP_ESP_CRYPTO);
	p = &st->p[st->n++];
	p->m = m;
	p->sa = sa;
	p->in = in;
	p->seq = seq;
	p->len = len;
	p->tos = tos;
	p->state = 0;
}

/*
 * tf_esp_decap stages ESP to a local IPv4 address (o: the classifier's
 * outer facts, validated and trimmed): proto 50, or UDP (8 bytes of header
 * checked) to port 4500.
 */
static void
tf_esp_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	     struct rte_mbuf *m, const struct tf_outer *o)
{
	const struct rte_ipv4_hdr *ip = o->ip;	/* af 4 only */
	const struct rte_ipv6_hdr *ip6 = o->ip;	/* af 6 only */
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t ip_hl = o->l4_off - RTE_ETHER_HDR_LEN;
	uint32_t off = o->l4_off;
	uint32_t esp_len = o->l4_len;
	uint32_t hl = ip_hl, spi, body;
	const struct tf_esp *e = t->esp;
	const struct tf_sa *sa = NULL;
	uint16_t si = 0;

	/* UDP 4500 reaches here over IPv4 only (worker.c) */
	if (o->af == 4 && ip->next_proto_id == IPPROTO_UDP) {
		const struct rte_udp_hdr *udp = (const void *)(p + off);

		if (unlikely(rte_be_to_cpu_16(udp->dgram_len) != esp_len))
			return tf_drop(w, in, m, TF_DROP_BAD_UDP);
		/* RFC 3948 3.1.2: the UDP checksum of ESP-in-UDP is not checked */
		off += sizeof(*udp);
		esp_len -= sizeof(*udp);
		hl += sizeof(*udp);
		/* RFC 3948 2.2 non-ESP marker (IKE), 2.3 NAT keepalive: not data */
		if (esp_len == 1 && len >= off + 1 && p[off] == 0xff)
			return tf_drop(w, in, m, TF_DROP_ESP_UDP_NON_ESP);
		if (esp_len >= 4 && len >= off + 4 && tf_load32(p + off) == 0)
			return tf_drop(w, in, m, TF_DROP_ESP_UDP_NON_ESP);
	}
	if (unlikely(esp_len < sizeof(struct rte_esp_hdr) || len < off + sizeof(struct rte_esp_hdr)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	spi = tf_load32(p + off);
	if (e != NULL && e->in != NULL) {
		struct tf_sa_key k = { .spi = spi, .af = o->af };
		void *data;

		if (o->af == 4)
			memcpy(k.dst, &ip->dst_addr, 4);
		else
			memcpy(k.dst, ip6->dst_addr, 16);
		if (rte_hash_lookup_data(e->in, &k, &data) >= 0) {
			si = (uint16_t)(uintptr_t)data;
			sa = &e->sa[si];
		}
	}
	if (sa == NULL)
		return tf_drop(w, in, m, TF_DROP_ESP_NO_SA);
	/* RFC 4303 2.4: ciphertext (payload, padding, pad length, next header) in whole blocks */
	if (unlikely(esp_len < sizeof(struct rte_esp_hdr) + sa->iv_len + sa->icv_len + sa->pad_align))
		return tf_drop(w, in, m, TF_DROP_ESP_BAD_LENGTH);
	body = esp_len - sizeof(struct rte_esp_hdr) - sa->iv_len - sa->icv_len;
	if (unlikely(body % sa->pad_align != 0))
		return tf_drop(w, in, m, TF_DROP_ESP_BAD_LENGTH);
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = hl;		/* librte_ipsec finds ESP at l2_len + l3_len: UDP counts as L3 here */
	tf_note(w, TF_ACT_DECAP, TF_NO_TUNNEL);
	tf_esp_stage(w, m, si, in, rte_be_to_cpu_32(tf_load32(p + off + 4)), body, o->tos);
}

/*
 * tf_esp_decap_burst stages the frames of an underlay burst that are ESP
 * like its first (tf_underlay_verdict: TF_FV_ESP), from the first on, for
 * as long as they are: plain IPv4 (tf_plain4) to the same local address,
 * not a fragment, protocol 50, or UDP to the same port with the right
 * length (RFC 3948: its checksum is not checked), with the same SPI and a
 * ciphertext in whole blocks. One SA lookup for them all instead of one a
 * frame; what tf_esp_decap checks, checked here in a few compares. Returns
 * how many it staged: the burst loop does the rest.
 */
static __rte_noinline uint16_t
tf_esp_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		   const struct tf_eth4 *e4, struct rte_mbuf **pkts, uint16_t n)
{
	const uint32_t l4 = RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr);
	const uint8_t *f0 = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
	const uint8_t proto = f0[RTE_ETHER_HDR_LEN + offsetof(struct rte_ipv4_hdr, next_proto_id)];
	/* UDP 4500 (tf_underlay_verdict): the ESP header after 8 bytes of UDP */
	const uint32_t off = l4 + (proto == IPPROTO_UDP ? sizeof(struct rte_udp_hdr) : 0);
	const struct rte_udp_hdr *u0 = (const struct rte_udp_hdr *)(f0 + l4);
	uint32_t dst, spi, over, mask;
	struct tf_sa_key k = { .af = 4 };
	const struct tf_sa *sa;
	uint64_t bytes = 0;
	uint16_t si, i;
	void *data;

	if (t->esp == NULL || t->esp->in == NULL ||
	    rte_pktmbuf_data_len(pkts[0]) < off + sizeof(struct rte_esp_hdr))
		return 0;
	dst = tf_load32(f0 + RTE_ETHER_HDR_LEN + offsetof(struct rte_ipv4_hdr, dst_addr));
	spi = tf_load32(f0 + off);
	k.spi = spi;
	memcpy(k.dst, &dst, 4);
	if (rte_hash_lookup_data(t->esp->in, &k, &data) < 0)
		return 0;
	si = (uint16_t)(uintptr_t)data;
	sa = &t->esp->sa[si];
	over = sizeof(struct rte_esp_hdr) + sa->iv_len + sa->icv_len;
	mask = sa->pad_align - 1u;	/* 4 or 16 (tf_sa_init) */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
		uint32_t len = rte_pktmbuf_pkt_len(m), body = len - off - over;

		/* tf_plain4 first: the lengths below hold once it has */
		if (!tf_plain4(e4, m) || ip->dst_addr != dst || ip->next_proto_id != proto ||
		    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) ||
		    rte_pktmbuf_data_len(m) < off + sizeof(struct rte_esp_hdr) || tf_load32(f + off) != spi ||
		    len < off + over + sa->pad_align || (body & mask) != 0)
			break;
		/* the destination port decides (tf_rx_l4); a NAT may change the source one */
		if (proto == IPPROTO_UDP) {
			const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(f + l4);

			if (u->dst_port != u0->dst_port || rte_be_to_cpu_16(u->dgram_len) != len - l4)
				break;
		}
		m->l2_len = RTE_ETHER_HDR_LEN;
		m->l3_len = off - RTE_ETHER_HDR_LEN;	/* librte_ipsec finds ESP at l2_len + l3_len */
		bytes += len;
		tf_esp_stage(w, m, si, in, rte_be_to_cpu_32(tf_load32(f + off + 4)), body, ip->type_of_service);
	}
	w->ctr.port[in].rx_bytes += bytes;
	return i;
}

/*
 * tf_esp_encap stages an inner packet (Ethernet + validated IPv4 or IPv6,
 * TTL or hop limit already decremented) that a route sends into outbound
 * SA sai.
 */
static void
tf_esp_encap(struct tf_worker *w, const struct tf_table *t, uint16_t sai, uint16_t in,
	     struct rte_mbuf *m, uint16_t ethertype)
{
	tf_esp_encap_sa(w, t->esp, sai, in, m, ethertype);
}

/* tf_esp_encap_sa is tf_esp_encap with the SAs given (a GRE tunnel keeps them, not its table). */
static void
tf_esp_encap_sa(struct tf_worker *w, const struct tf_esp *e, uint16_t sai, uint16_t in,
		struct rte_mbuf *m, uint16_t ethertype)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	uint32_t inner_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	const struct tf_sa *sa;
	uint32_t clen, outer_len, tail;

	if (unlikely(e == NULL || sai >= e->nb_sa))
		return tf_drop(w, in, m, TF_DROP_ESP_NO_SA);
	sa = &e->sa[sai];
	/* an SA carries one inner family: its ESP next header is fixed (4 or 41) */
	if (ethertype != (sa->inner_af == 6 ? RTE_BE16(RTE_ETHER_TYPE_IPV6) : RTE_BE16(RTE_ETHER_TYPE_IPV4)))
		return tf_drop(w, in, m, TF_DROP_UNKNOWN_PAYLOAD);
	if (sa->nb_sel != 0 && !tf_sa_match(sa, m, RTE_ETHER_HDR_LEN))
		return tf_drop(w, in, m, TF_DROP_POLICY_MISMATCH);
	clen = RTE_ALIGN_CEIL(inner_len + sizeof(struct rte_esp_tail), sa->pad_align);
	outer_len = sa->hdr_len - RTE_ETHER_HDR_LEN + sizeof(struct rte_esp_hdr) + sa->iv_len +
		    clen + sa->icv_len;
	if (unlikely(outer_len > sa->mtu))
		return tf_drop(w, in, m, TF_DROP_MTU_EXCEEDED);
	/* padding, trailer, ICV, and room for ESN high bits and AAD the library puts there */
	tail = clen - inner_len + sa->icv_len + 4 + 16;
	if (unlikely((uint32_t)rte_pktmbuf_headroom(m) + RTE_ETHER_HDR_LEN <
		     sa->hdr_len + sizeof(struct rte_esp_hdr) + sa->iv_len ||
		     rte_pktmbuf_tailroom(rte_pktmbuf_lastseg(m)) < tail))
		return tf_drop(w, in, m, TF_DROP_NO_HEADROOM);
	m->l2_len = RTE_ETHER_HDR_LEN;	/* stripped by the library, the template replaces it */
	m->l3_len = sa->inner_af == 6 ? sizeof(struct rte_ipv6_hdr) : (ip->version_ihl & 0xf) * 4u;
	tf_note(w, TF_ACT_ENCAP, TF_NO_TUNNEL);
	tf_esp_stage(w, m, sai, in, 0, inner_len, tf_inner_tos(ip, ethertype));
}

/*
 * tf_esp_encap_burst stages for outbound SA sai (inner IPv4) the packets of
 * a routed burst from the first on, for as long as they go r's way
 * (tf_rrun_ok: plain IPv4 with TTL left, the route into the SA, within its
 * inner MTU, headroom for its headers) and pass what tf_esp_encap_sa would
 * check: single segment with tailroom for the trailer, the SA's selectors.
 * Their TTL is decremented. Returns how many; *bytes: their frame bytes.
 */
static __rte_noinline uint16_t
tf_esp_encap_burst(struct tf_worker *w, const struct tf_rrun *r, uint16_t sai, uint16_t in,
		   struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes)
{
	const struct tf_sa *sa = &r->rs.t->esp->sa[sai];
	const uint32_t tail = sizeof(struct rte_esp_tail) + sa->pad_align - 1u + sa->icv_len + 4 + 16;
	uint64_t b = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
		uint32_t len = rte_pktmbuf_pkt_len(m);

		/* tail: the most tf_esp_encap_sa can ask (padding to pad_align - 1 bytes) */
		if (!tf_rrun_ok(r, m) || m->next != NULL || rte_pktmbuf_tailroom(m) < tail ||
		    (sa->nb_sel != 0 && !tf_sa_match(sa, m, RTE_ETHER_HDR_LEN)))
			break;
		tf_ttl4_dec(ip);
		m->l2_len = RTE_ETHER_HDR_LEN;
		m->l3_len = sizeof(*ip);
		b += len;
		tf_esp_stage(w, m, sai, in, 0, len - RTE_ETHER_HDR_LEN, ip->type_of_service);
	}
	*bytes = b;
	return i;
}

/*
 * tf_esp_gre_out stages a GRE packet that tun (TF_TUN_F_ESP) has just
 * built, template Ethernet + outer IP + GRE + inner, into the tunnel's SA
 * (GRE over IPsec): in tunnel mode the whole GRE packet is the ESP
 * payload and the SA's template replaces its Ethernet header. The SA's
 * selectors see the GRE packet (protocol 47 between the GRE endpoints).
 */
static void
tf_esp_gre_out(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in, struct rte_mbuf *m)
{
	tf_esp_encap_sa(w, tun->esp, tun->sa, in, m,
			tun->af == 6 ? RTE_BE16(RTE_ETHER_TYPE_IPV6) : RTE_BE16(RTE_ETHER_TYPE_IPV4));
}

/*
 * tf_esp_gre_in hands a decrypted GRE packet addressed to the gateway
 * (Ethernet room + validated IP header at 14) back to the underlay
 * classifier, marked as protected: a tunnel with an SA takes only such
 * GRE (tf_gre_decap). The ESP header's ECN applies to the GRE packet's
 * first (RFC 6040 4.2), whose own then applies to the inner packet.
 */
static void
tf_esp_gre_in(struct tf_worker *w, const struct tf_table *t, const struct tf_esp_pkt *p,
	      struct rte_mbuf *m, uint16_t ethertype)
{
	if (tf_ecn_decap(rte_pktmbuf_mtod_offset(m, void *, RTE_ETHER_HDR_LEN), ethertype, p->tos) != 0)
		return tf_drop(w, p->in, m, TF_DROP_ECN_NOT_ECT);
	w->esp.via_sa = 1;
	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		tf_rx_ip6(w, t, p->in, m);
	else
		tf_rx_ip4(w, t, p->in, m);
	w->esp.via_sa = 0;
}

/* tf_esp_to_gre: 1 when the decrypted IP header l3 is GRE to one of the gateway's addresses. */
static inline int
tf_esp_to_gre(const struct tf_table *t, const void *l3, uint8_t af)
{
	if (af == 6) {
		const struct rte_ipv6_hdr *ip6 = l3;

		return ip6->proto == IPPROTO_GRE && tf_is_local6(t, ip6->dst_addr);
	}
	return ((const struct rte_ipv4_hdr *)l3)->next_proto_id == IPPROTO_GRE &&
	       tf_is_local4(t, ((const struct rte_ipv4_hdr *)l3)->dst_addr);
}

/*
 * tf_esp_live copies the mbufs of the group that nothing refused yet into
 * mb, in group order, and returns how many.
 */
static uint16_t
tf_esp_live(struct rte_mbuf **mb, struct rte_mbuf *const *gm, const uint8_t *gv, uint16_t gn)
{
	uint16_t j, n = 0;

	for (j = 0; j < gn; j++)
		if (gv[j] == TF_ESP_OK)
			mb[n++] = gm[j];
	return n;
}

/*
 * tf_esp_mark: a librte_ipsec call returned k, with the k good mbufs first
 * in their original order; mark the other live ones of the group failed.
 */
static void
tf_esp_mark(struct rte_mbuf *const *gm, uint8_t *gv, uint16_t gn, struct rte_mbuf *const *mb, uint16_t k)
{
	uint16_t j, g = 0;

	for (j = 0; j < gn; j++) {
		if (gv[j] != TF_ESP_OK)
			continue;
		if (g < k && mb[g] == gm[j])
			g++;
		else
			gv[j] = TF_ESP_FAIL;
	}
}

/* tf_esp_lookaside runs the prepared ops of mb through this worker's queue pair. */
static void
tf_esp_lookaside(struct tf_worker *w, struct tf_sa *sa, struct rte_mbuf **mb, uint16_t n,
		 struct rte_mbuf *const *gm, uint8_t *gv, uint16_t gn)
{
	struct rte_crypto_op *cop[TF_ESP_GROUP], *done[TF_ESP_GROUP];
	uint16_t k, sent = 0, got = 0, i, j;

	if (rte_crypto_op_bulk_alloc(sa->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, cop, n) == 0) {
		for (j = 0; j < gn; j++)
			if (gv[j] == TF_ESP_OK)
				gv[j] = TF_DROP_ESP_CRYPTO;
		return;
	}
	rte_errno = 0;
	k = rte_ipsec_pkt_crypto_prepare(&sa->ss, mb, cop, n);
	tf_esp_mark(gm, gv, gn, mb, k);
	for (i = 0; i < k; i++) {
		uint16_t r = rte_cryptodev_enqueue_burst(sa->cdev, w->id, cop + sent, k - sent);

		if (r == 0)
			break;
		sent += r;
		if (sent == k)
			break;
	}
	/* software PMDs complete every op by the time it is dequeued */
	while (got < sent)
		got += rte_cryptodev_dequeue_burst(sa->cdev, w->id, done + got, sent - got);
	for (i = 0; i < got; i++)
		if (done[i]->status != RTE_CRYPTO_OP_STATUS_SUCCESS)
			done[i]->sym->m_src->ol_flags |= RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED;
	for (i = sent; i < k; i++)	/* the queue pair refused them */
		for (j = 0; j < gn; j++)
			if (gm[j] == cop[i]->sym->m_src)
				gv[j] = TF_DROP_ESP_CRYPTO;
	rte_mempool_put_bulk(sa->op_pool, (void **)cop, n);
}

/*
 * tf_esp_replay checks and records sequence number seq (low 32 bits) of an
 * authenticated packet in sa's own window (see tf_sa.rwin) and returns 0 or
 * the drop reason. The window holds top - win .. top, as librte_ipsec's.
 */
static uint8_t
tf_esp_replay(struct tf_sa *sa, uint32_t seq)
{
	uint64_t top = __atomic_load_n(&sa->rtop, __ATOMIC_RELAXED), s = seq;
	uint64_t bit, old;
	uint32_t w;

	if (sa->esn) {
		/* RFC 4303 A2.1: the high bits that put seq nearest the window */
		uint32_t tl = (uint32_t)top, th = (uint32_t)(top >> 32), bl = tl - sa->win + 1;

		if (tl >= sa->win - 1)
			th += seq < bl;
		else if (th != 0)
			th -= seq >= bl;
		s = (uint64_t)th << 32 | seq;
	}
	if (s > top) {
		uint64_t from = (top >> 6) + 1, to = s >> 6, i;

		/* the words s moved past are fresh (none when s is in top's word) */
		if (to >= from && to - from >= TF_RWIN_WORDS)
			from = to - TF_RWIN_WORDS + 1;
		for (i = from; i <= to; i++)
			__atomic_store_n(&sa->rwin[i & (TF_RWIN_WORDS - 1)], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&sa->rtop, s, __ATOMIC_RELAXED);
	} else if (s + sa->win < top) {
		return TF_DROP_ESP_OUTSIDE_WINDOW;
	}
	w = (uint32_t)(s >> 6) & (TF_RWIN_WORDS - 1);
	bit = (uint64_t)1 << (s & 63);
	old = __atomic_fetch_or(&sa->rwin[w], bit, __ATOMIC_RELAXED);
	return (old & bit) != 0 ? TF_DROP_ESP_REPLAYED : 0;
}

/* tf_esp_prepare_why: the reason librte_ipsec refused to prepare the packet of p. */
static uint8_t
tf_esp_prepare_why(const struct tf_sa *sa, const struct tf_esp_pkt *p, int err)
{
	if (sa->dir == TF_SA_OUT)
		return err == EOVERFLOW ? TF_DROP_ESP_SEQ_OVERFLOW : TF_DROP_NO_HEADROOM;
	/* lengths were checked when staged: what is left is the replay check (RFC 4303 3.4.3) */
	if (sa->win == 0)
		return TF_DROP_ESP_BAD_LENGTH;
	/* librte_ipsec's window holds top - win .. top (ipsec_sqn.h esn_inb_check_sqn) */
	if ((int32_t)(__atomic_load_n(&sa->top_seq, __ATOMIC_RELAXED) - p->seq) > (int32_t)sa->win)
		return TF_DROP_ESP_OUTSIDE_WINDOW;
	return TF_DROP_ESP_REPLAYED;
}

/*
 * tf_esp_cksum4 is the header checksum of the outer IPv4 header ip with
 * TOS tos. Of the fields librte_ipsec writes per packet it reads only the
 * length and id, with the 16-bit loads their stores forward to; the rest
 * is the template's and summed once (sa->ck4, tf_sa_init). Words are
 * summed as they lie in memory: the ones' complement sum does not mind
 * the byte order, so the TOS byte counts as the high one of its word.
 */
static inline uint16_t
tf_esp_cksum4(const struct tf_sa *sa, const struct rte_ipv4_hdr *ip, uint8_t tos)
{
	uint64_t s;

	s = (uint64_t)sa->ck4 + ip->total_length + ip->packet_id + ((uint32_t)tos << 8);
	s = (s & 0xffff) + (s >> 16);	/* under 2^18: two folds */
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * tf_esp_q: the packets of a group that leave by one port, in order, handed
 * to its tx buffer in bulk (tf_tx_bulk) rather than by a tf_tx call each,
 * whose count and byte updates would chain through memory packet by packet.
 */
struct tf_esp_q {
	uint16_t port, n;
	uint64_t bytes;
	struct rte_mbuf *m[TF_TXBUF];
};

/* tf_esp_q_init empties q for port: only the counts, not the 512-byte array */
static __rte_always_inline void
tf_esp_q_init(struct tf_esp_q *q, uint16_t port)
{
	q->port = port;
	q->n = 0;
	q->bytes = 0;
}

static __rte_always_inline void
tf_esp_q_flush(struct tf_worker *w, struct tf_esp_q *q)
{
	if (q->n != 0)
		tf_tx_bulk(w, q->port, q->m, q->n, q->bytes);
	q->n = 0;
	q->bytes = 0;
}

static __rte_always_inline void
tf_esp_q_add(struct tf_worker *w, struct tf_esp_q *q, struct rte_mbuf *m)
{
	q->m[q->n++] = m;
	q->bytes += rte_pktmbuf_pkt_len(m);
	if (q->n == TF_TXBUF)
		tf_esp_q_flush(w, q);
}

/* tf_esp_out_hdr finishes the outer header librte_ipsec wrote for p. */
static inline void
tf_esp_out_hdr(const struct tf_sa *sa, const struct tf_esp_pkt *p)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(p->m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);

	/* RFC 4301 5.1.2.1: DSCP copied; ECN copied too (RFC 6040 normal mode) */
	if (sa->af == 6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)ip;

		/* the library set the payload length; no header checksum in IPv6 */
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)p->tos << 20);
		return;
	}
	if (sa->udp) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

		udp->dgram_len = rte_cpu_to_be_16(rte_be_to_cpu_16(ip->total_length) - sizeof(*ip));
		udp->dgram_cksum = 0;	/* RFC 3948 2.1: zero over IPv4 */
	}
	ip->hdr_checksum = tf_esp_cksum4(sa, ip, p->tos);
	ip->type_of_service = p->tos;
}

/* tf_esp_in_done forwards a decrypted packet; 1 when it passed the SA's selectors. */
static int
tf_esp_in_done(struct tf_worker *w, const struct tf_table *t, struct tf_sa *sa,
	       const struct tf_esp_pkt *p)
{
	struct rte_mbuf *m = p->m;
	const struct rte_ipv4_hdr *ip;
	struct rte_ether_hdr *eth;
	uint16_t et = sa->inner_af == 6 ? RTE_BE16(RTE_ETHER_TYPE_IPV6) : RTE_BE16(RTE_ETHER_TYPE_IPV4);

	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	if (unlikely(eth == NULL)) {
		tf_drop(w, p->in, m, TF_DROP_NO_HEADROOM);
		return 0;
	}
	if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN +
		     (sa->inner_af == 6 ? sizeof(struct rte_ipv6_hdr) : sizeof(*ip)))) {
		tf_drop(w, p->in, m, TF_DROP_TRUNCATED);
		return 0;
	}
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	/* the library checked the next header (4 or 41): the version must agree */
	if (unlikely(sa->inner_af == 6 ? (ip->version_ihl >> 4) != 6 :
			 (ip->version_ihl >> 4) != 4 || (ip->version_ihl & 0xf) < 5)) {
		tf_drop(w, p->in, m, TF_DROP_BAD_IP_HEADER);
		return 0;
	}
	if (sa->nb_sel != 0 && !tf_sa_match(sa, m, RTE_ETHER_HDR_LEN)) {
		w->ctr.sa[sa->slot].errors++;
		tf_drop(w, p->in, m, TF_DROP_POLICY_MISMATCH);
		return 0;
	}
	eth->ether_type = et;
	w->ctr.sa[sa->slot].pkts++;
	w->ctr.sa[sa->slot].bytes += rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	if (tf_esp_to_gre(t, ip, sa->inner_af)) {	/* GRE over IPsec */
		tf_esp_gre_in(w, t, p, m, et);
		return 1;
	}
	tf_l3_forward(w, t, p->in, m, et, p->tos);
	return 1;
}

/*
 * tf_esp_fwd: where the decrypted packets of an inbound group went last
 * (tf_esp_in_fast), kept while they go the same way, and those queued
 * there.
 */
struct tf_esp_fwd {
	struct tf_dnh d;	/* the route and next hop, when routed */
	uint8_t routed;
	uint64_t pkts, bytes;	/* for the SA's counters: inner bytes */
	struct tf_esp_q q;	/* for d's port */
};

/*
 * tf_esp_in_fast forwards a decrypted inner IPv4 packet of p's SA (at the
 * mbuf's start) the common way, what tf_esp_in_done and tf_l3_forward do
 * for it in fewer steps: no options, no padding, checksum right, TTL left,
 * not GRE (which may be GRE over IPsec to the gateway), outer ECN that
 * leaves the inner one as it is (RFC 6040: Not-ECT or ECT(0)), inside the
 * SA's selectors, routed to a next hop within its MTU. 1 when sent; 0 with
 * the mbuf untouched, for tf_esp_in_done to handle it fully.
 */
static __rte_always_inline int
tf_esp_in_fast(struct tf_worker *w, const struct tf_table *t, const struct tf_sa *sa,
	       const struct tf_esp_pkt *p, struct tf_esp_fwd *f)
{
	struct rte_mbuf *m = p->m;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint8_t *eth = (uint8_t *)ip - RTE_ETHER_HDR_LEN;	/* its frame, once the headroom is checked */
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (rte_pktmbuf_data_len(m) < sizeof(*ip) || rte_pktmbuf_headroom(m) < RTE_ETHER_HDR_LEN ||
	    ip->version_ihl != 0x45 || rte_be_to_cpu_16(ip->total_length) != len ||
	    ip->time_to_live <= 1 || ip->next_proto_id == IPPROTO_GRE || (p->tos & 1) != 0 ||
	    !tf_cksum20_ok(ip) || (sa->nb_sel != 0 && !tf_sa_match(sa, m, 0)))
		return 0;
	/* the route of the one before (a prefix compare for a leaf route), else a lookup */
	if (!f->routed || !tf_dnh_put(&f->d, eth, ip->dst_addr, len)) {
		struct tf_dnh d;

		if (!tf_dnh_route(&d, t, ip->dst_addr) || !tf_dnh_put(&d, eth, ip->dst_addr, len))
			return 0;
		if (f->routed && d.port != f->d.port)
			tf_esp_q_flush(w, &f->q);
		f->d = d;
		f->routed = 1;
		f->q.port = d.port;
	}
	tf_mbuf_prepend(m, RTE_ETHER_HDR_LEN);
	f->pkts++;
	f->bytes += len;
	tf_esp_q_add(w, &f->q, m);
	return 1;
}

/*
 * tf_esp_why_process: the reason rte_ipsec_pkt_process refused m, whose
 * packet length was len before the call.
 */
static uint8_t
tf_esp_why_process(const struct tf_sa *sa, const struct rte_mbuf *m, uint32_t len)
{
	if (sa->dir == TF_SA_OUT)
		return TF_DROP_ESP_CRYPTO;
	if (m->ol_flags & RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED)
		return TF_DROP_ESP_AUTH_FAILED;
	if (rte_pktmbuf_pkt_len(m) == len)
		return TF_DROP_ESP_BAD_PADDING;	/* refused before the strip */
	return TF_DROP_ESP_REPLAYED;		/* stripped, then refused by the window */
}

/*
 * tf_esp_group processes the waiting packets of SA sai, from stage entry
 * first on. The group's packets stay in mb in stage order while nothing
 * fails, the common case: the verdict array gv and the copies between the
 * steps are only needed once a step refused some.
 */
static void
tf_esp_group(struct tf_worker *w, const struct tf_table *t, uint16_t sai, uint16_t first)
{
	struct tf_esp_stage *st = &w->esp;
	struct tf_sa *sa = &t->esp->sa[sai];
	struct rte_mbuf *gm[TF_ESP_GROUP], *mb[TF_ESP_GROUP];
	uint16_t gi[TF_ESP_GROUP];
	uint32_t glen[TF_ESP_GROUP];
	uint8_t gv[TF_ESP_GROUP];
	uint16_t gn = 0, n, k, i, j, end = st->n;
	uint64_t sent = 0, sent_bytes = 0, failed = 0;
	uint32_t top0 = __atomic_load_n(&sa->top_seq, __ATOMIC_RELAXED), top = top0;
	int err, clean = 1;	/* clean: every verdict still TF_ESP_OK, mb == gm */
	/* inbound IPv4 the short way, but not while the tap traces the burst */
	const int fast = sa->dir == TF_SA_IN && sa->inner_af == 4 && !st->each;
	struct tf_esp_fwd fwd;
	struct tf_esp_q out;

	/* field by field: an initializer would clear both queues' arrays, a KB a group */
	fwd.routed = 0;
	fwd.pkts = 0;
	fwd.bytes = 0;
	tf_esp_q_init(&fwd.q, 0);
	tf_esp_q_init(&out, sa->out_port);
	for (i = first; i < end; i++)
		if (st->p[i].state == 0 && st->p[i].sa == sai) {
			st->p[i].state = 1;
			gi[gn] = i;
			gm[gn] = st->p[i].m;
			mb[gn] = st->p[i].m;
			gv[gn] = TF_ESP_OK;
			gn++;
		}

	/*
	 * 1. lifetime (RFC 4301 4.4.2.1): past it the SA stops. The group is
	 * charged up front, so workers sharing the SA never overshoot; a packet
	 * that would cross a limit is refused, and every later one.
	 */
	if (sa->life_pkts != 0 || sa->life_bytes != 0) {
		uint64_t gb = 0, up, ub;
		uint16_t allow;

		for (j = 0; j < gn; j++)
			gb += st->p[gi[j]].len;
		up = __atomic_fetch_add(&sa->used_pkts, gn, __ATOMIC_RELAXED);
		ub = __atomic_fetch_add(&sa->used_bytes, gb, __ATOMIC_RELAXED);
		for (allow = 0; allow < gn; allow++) {
			up++;
			ub += st->p[gi[allow]].len;
			if ((sa->life_pkts != 0 && up > sa->life_pkts) ||
			    (sa->life_bytes != 0 && ub > sa->life_bytes))
				break;
		}
		for (j = allow; j < gn; j++)
			gv[j] = TF_DROP_ESP_SA_EXPIRED;
		if (allow < gn) {
			__atomic_store_n(&sa->expired, 1, __ATOMIC_RELAXED);
			clean = 0;
		}
	}

	/*
	 * 1b. cpu-crypto: the PMDs of DPDK 22.11 fail a multi-segment buffer
	 * (aesni_mb as an ICV or crypto error), so a chain goes into its first
	 * segment when it fits there, else is dropped for what it is.
	 */
	if (sa->mode == TF_SA_CPU)
		for (j = 0; j < gn; j++)
			if (unlikely(gm[j]->nb_segs > 1) && gv[j] == TF_ESP_OK &&
			    rte_pktmbuf_linearize(gm[j]) != 0) {
				gv[j] = TF_DROP_ESP_CHAINED;
				clean = 0;
			}

	/* 2. prepare (and, cpu-crypto, the crypto itself) */
	n = clean ? gn : tf_esp_live(mb, gm, gv, gn);
	if (n > 0) {
		rte_errno = 0;
		if (sa->mode == TF_SA_CPU) {
			k = rte_ipsec_pkt_cpu_prepare(&sa->ss, mb, n);
			if (k != n) {
				tf_esp_mark(gm, gv, gn, mb, k);
				clean = 0;
			}
		} else {
			tf_esp_lookaside(w, sa, mb, n, gm, gv, gn);
			for (j = 0; j < gn && gv[j] == TF_ESP_OK; j++)
				;
			clean &= j == gn;
		}
		if (!clean) {
			err = rte_errno;
			for (j = 0; j < gn; j++)
				if (gv[j] == TF_ESP_FAIL)
					gv[j] = tf_esp_prepare_why(sa, &st->p[gi[j]], err);
		}
	}

	/* 3. process: trailer, padding, replay window update */
	n = clean ? gn : tf_esp_live(mb, gm, gv, gn);
	if (n > 0) {
		if (sa->dir == TF_SA_IN)	/* to tell the failures apart, in stage order */
			for (j = 0; j < gn; j++)
				glen[j] = rte_pktmbuf_pkt_len(gm[j]);
		k = rte_ipsec_pkt_process(&sa->ss, mb, n);
		if (k != n) {
			tf_esp_mark(gm, gv, gn, mb, k);
			for (j = 0; j < gn; j++)
				if (gv[j] == TF_ESP_FAIL)
					gv[j] = tf_esp_why_process(sa, gm[j], glen[j]);
			clean = 0;
		}
	}

	/* 4. count and send */
	for (j = 0; j < gn; j++) {
		const struct tf_esp_pkt *p = &st->p[gi[j]];

		/* the whole group went through the library since these headers were read */
		if (j + 2 < gn)
			rte_prefetch0(gm[j + 2]);
		if (j + 1 < gn)
			rte_prefetch0(rte_pktmbuf_mtod(gm[j + 1], void *));

		if (!clean && gv[j] != TF_ESP_OK) {
			failed++;
			tf_drop(w, p->in, p->m, (enum tf_drop)gv[j]);
			continue;
		}
		if (sa->dir == TF_SA_OUT) {
			sent++;
			sent_bytes += p->len;
			tf_esp_out_hdr(sa, p);
			tf_esp_q_add(w, &out, p->m);
			continue;
		}
		if (sa->win != 0) {
			uint8_t why = tf_esp_replay(sa, p->seq);

			if (why != 0) {
				failed++;
				tf_drop(w, p->in, p->m, (enum tf_drop)why);
				continue;
			}
		}
		if (fast && tf_esp_in_fast(w, t, sa, p, &fwd)) {
			if ((int32_t)(p->seq - top) > 0)
				top = p->seq;
			continue;
		}
		tf_esp_q_flush(w, &fwd.q);	/* in order with what tf_esp_in_done sends */
		if (tf_esp_in_done(w, t, sa, p) && (int32_t)(p->seq - top) > 0)
			top = p->seq;
	}
	tf_esp_q_flush(w, &fwd.q);
	tf_esp_q_flush(w, &out);
	/* only for telling replayed from too old apart: a lost race costs a label, not a packet */
	if (sa->win != 0 && top != top0)
		__atomic_store_n(&sa->top_seq, top, __ATOMIC_RELAXED);
	w->ctr.sa[sa->slot].pkts += sent + fwd.pkts;
	w->ctr.sa[sa->slot].bytes += sent_bytes + fwd.bytes;
	w->ctr.sa[sa->slot].errors += failed;
	w->ctr.routed += fwd.pkts;
}

/* tf_esp_flush processes every ESP packet staged during the burst, SA by SA. */
static void
tf_esp_flush(struct tf_worker *w, const struct tf_table *t)
{
	struct tf_esp_stage *st = &w->esp;
	uint16_t i;

	/* st->n grows when a decrypted packet is routed into an outbound SA */
	for (i = 0; i < st->n; i++)
		if (st->p[i].state == 0)
			tf_esp_group(w, t, st->p[i].sa, i);
	st->n = 0;
}
