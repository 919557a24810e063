//go:build ignore

/*
 * gre.c - GRE over IPv4 (RFC 2784, keys and sequence numbers of RFC 2890),
 * carrying IPv4 and IPv6.
 *
 * Encap: check the MTU, prepend the tunnel's template over the inner
 * Ethernet header, patch lengths, TOS, id, payload type, sequence, checksums.
 * Decap: validate flags and lengths against the buffer, look the tunnel up by
 * (remote, local, key), strip the outer IP + GRE and route the inner packet.
 */
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "tf.h"
#include "tf_pkt.h"
#include "tf_wire.h"

static void
tf_gre_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
	     struct rte_mbuf *m, uint16_t ethertype)
{
	uint32_t inner_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	uint32_t outer_len = inner_len + tun->hdr_len - RTE_ETHER_HDR_LEN;
	uint8_t tos = tf_inner_tos(rte_pktmbuf_mtod_offset(m, void *, RTE_ETHER_HDR_LEN), ethertype);
	uint32_t hash = tun->af == 6 ? tf_flow_hash(m, RTE_ETHER_HDR_LEN, ethertype) : 0;
	struct tf_gre_hdr *gre;
	uint8_t *opt;
	uint8_t *h;

	h = tf_push_outer(w, tun, in, m, RTE_ETHER_HDR_LEN, outer_len, tos, hash);
	if (unlikely(h == NULL))
		return;
	gre = (struct tf_gre_hdr *)(h + tun->l4_off);
	gre->proto = ethertype;
	opt = (uint8_t *)(gre + 1);
	if (tun->flags & TF_TUN_F_CSUM)
		opt += 4;
	if (tun->flags & TF_TUN_F_KEY)
		opt += 4;
	if (tun->flags & TF_TUN_F_SEQ)	/* RFC 2890 2.2: starts at 0, one per packet */
		tf_store32(opt, rte_cpu_to_be_32(__atomic_fetch_add(&w->sh->gre_seq[tun->slot], 1,
								    __ATOMIC_RELAXED)));
	if (tun->flags & TF_TUN_F_CSUM) {	/* RFC 2784 2.5: header and payload */
		uint16_t sum = 0;

		tf_raw_cksum_mbuf(m, tun->l4_off, outer_len - (tun->l4_off - RTE_ETHER_HDR_LEN), &sum);
		*(uint16_t *)(gre + 1) = (uint16_t)~sum;
	}

	tf_encap_count(w, tun, inner_len);
	if (unlikely(tun->flags & TF_TUN_F_ESP))
		return tf_esp_gre_out(w, tun, in, m);
	tf_tx(w, tun->out_port, m);
}

/*
 * tf_gre_encap_fast is tf_gre_encap for what the routed burst loop has
 * checked: a TF_FAST_GRE4 tunnel (tp), an IPv4 packet whose outer_len fits
 * the MTU, headroom for the template. The caller counts and
 * sends; id is the outer IPv4 id.
 */
static __rte_always_inline void
tf_gre_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m, uint32_t outer_len, uint16_t id)
{
	uint8_t tos = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
					      RTE_ETHER_HDR_LEN)->type_of_service;

	/* the template has the IPv4 payload type in (dataplane/template.go) */
	tf_push_outer4_fast(tp, m, RTE_ETHER_HDR_LEN, outer_len, tos, id);
}

/*
 * tf_gre_encap_burst is tf_gre_encap_fast over the packets of a routed
 * burst from the first on that go r's way into tun (TF_FAST_GRE4), each
 * checked (tf_rrun_ok) in the pass that encapsulates it: TTL decremented,
 * outer ids from id on. The template, with the payload type already in,
 * stays in registers (not inlined: the loop around it would spill them).
 * Returns how many it took, their frame bytes in *bytes; the caller counts
 * and sends them.
 */
static __rte_noinline uint16_t
tf_gre_encap_burst(const struct tf_rrun *r, const struct tf_tunnel *tun, struct rte_mbuf **pkts,
		   uint16_t n, uint16_t id, uint64_t *bytes)
{
	const struct tf_tpl tp = tf_tpl_of(tun);
	const uint16_t last = tp.hdr_len - 16;
	uint64_t sum = 0;
	struct tf_tplv v;
	uint16_t i;

	/* the template has the IPv4 payload type in (dataplane/template.go) */
	tf_tplv_load(&v, tun->hdr, tp.hdr_len);
	for (i = 0; i < n; i++) {
		__m128i a = v.a, b = v.b;
		uint32_t outer_len;
		uint8_t *h = tf_rrun_outer4(r, &tp, pkts[i], (uint16_t)(id + i), &a, &b, &outer_len, &sum);

		if (h == NULL)
			break;
		/* last first: without a key it overlaps b, whose patched words must win */
		_mm_storeu_si128((__m128i *)(h + last), v.last);
		_mm_storeu_si128((__m128i *)h, a);
		_mm_storeu_si128((__m128i *)(h + 16), b);
	}
	*bytes = sum;
	return i;
}

/*
 * tf_gre_decap_peek tells the underlay burst loop whether m, a plain IPv4
 * frame to a local address and not a fragment (tf_plain4), is what
 * tf_gre_decap turns into a plain inner IPv4 packet to route: GRE version
 * 0 with no flags but K, an inner header without options that fills the
 * payload exactly, a right checksum, TTL left, and an outer ECN field that
 * asks nothing of the inner one (RFC 6040: not-ECT or ECT(0)). Read-only
 * but for the last-tunnel cache. Returns the tunnel, or -1 for the full
 * path; *strip: the bytes before the inner packet's Ethernet header room.
 */
static __rte_always_inline int
tf_gre_decap_peek(struct tf_worker *w, const struct tf_table *t, const struct rte_mbuf *m,
		  uint32_t *strip)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								RTE_ETHER_HDR_LEN);
	const struct tf_gre_hdr *gre = (const struct tf_gre_hdr *)(ip + 1);
	const struct rte_ipv4_hdr *inner;
	uint32_t glen, key = 0, tot = rte_be_to_cpu_16(ip->total_length);
	uint16_t fl;
	int ti;

	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*gre) + sizeof(*inner))
		return -1;
	fl = rte_be_to_cpu_16(gre->flags_ver);
	if ((fl & ~TF_GRE_K) != 0 || gre->proto != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    (ip->type_of_service & TF_ECN_ECT1))
		return -1;
	glen = sizeof(*gre) + (fl != 0 ? 4 : 0);
	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(*ip) + glen + sizeof(*inner))
		return -1;
	if (fl != 0)
		key = rte_be_to_cpu_32(tf_load32(gre + 1));
	inner = (const struct rte_ipv4_hdr *)((const uint8_t *)gre + glen);
	/* tot is the frame's L3 length (tf_plain4): at least 20 + glen + 20 here */
	if (inner->version_ihl != 0x45 || inner->time_to_live <= 1 ||
	    rte_be_to_cpu_16(inner->total_length) != tot - sizeof(*ip) - glen ||
	    tf_cksum20(inner) != 0xffff)
		return -1;
	*strip = sizeof(*ip) + glen;
	ti = tf_decap_lookup(w, t, tf_key_lo(TF_TUN_GRE, fl != 0, 0, key),
			     tf_key_hi(ip->src_addr, ip->dst_addr));
	/* a tunnel an SA protects takes clear GRE nowhere: the full path drops it */
	if (ti >= 0 && (t->tunnels[ti].flags & TF_TUN_F_ESP))
		return -1;
	return ti;
}

/*
 * tf_gre_decap_burst: the uniform decap of a burst whose first frame
 * tf_gre_decap_peek took (strip: its outer IPv4 + GRE bytes), in one pass
 * from the first frame on, for as long as they show the same outer bytes
 * where the checks look (destination MAC, plain IPv4 not a fragment, ECN,
 * protocol, addresses, GRE flags, payload type and key, inner version and
 * IHL), right lengths and checksums inside and out, TTL left, and inner
 * destinations that the first one's route sends to a next hop within its
 * MTU (tf_dnh): stripped, routed, counted and queued. Returns how many it
 * took; the per-packet loop does the rest, untouched.
 */
static __rte_noinline uint16_t
tf_gre_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		   struct rte_mbuf **pkts, uint16_t n, int ti, uint32_t strip)
{
	static const uint8_t mask0[64] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff,	/* Ethernet */
		0xff, TF_ECN_ECT1, 0, 0, 0, 0, 0x3f, 0xff, 0, 0xff, 0, 0,		/* IPv4 ... */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,				/* src, dst */
		0xff, 0xff, 0xff, 0xff,							/* GRE */
	};
	const uint32_t glen = strip - sizeof(struct rte_ipv4_hdr), in_off = RTE_ETHER_HDR_LEN + strip;
	const uint8_t *f0 = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
	const uint16_t slot = t->tunnels[ti].slot;
	uint64_t bytes = 0;
	struct tf_sig64 sg;
	struct tf_dnh d;
	uint8_t *mask;
	uint16_t i;
	int build;

	if (rte_pktmbuf_data_len(pkts[0]) < 64 ||
	    !tf_dnh_route(&d, t, ((const struct rte_ipv4_hdr *)(f0 + in_off))->dst_addr))
		return 0;
	/* the key (glen 8), and the inner version / IHL byte */
	mask = tf_dmask_get(w, TF_DMASK_GRE, in_off, &build);	/* in_off tells glen */
	if (build) {
		memcpy(mask, mask0, sizeof(mask0));
		if (glen == 8)
			memset(mask + 38, 0xff, 4);
		mask[in_off] = 0xff;
	}
	tf_sig64_make(&sg, f0, mask);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
		const struct rte_ipv4_hdr *inner = (const struct rte_ipv4_hdr *)(f + in_off);
		uint32_t len = rte_pktmbuf_pkt_len(m), tot = rte_be_to_cpu_16(ip->total_length);

		if (rte_pktmbuf_data_len(m) < RTE_MAX(64u, in_off + sizeof(*inner)) ||
		    !tf_sig64_match(&sg, f) || tot != len - RTE_ETHER_HDR_LEN ||
		    rte_be_to_cpu_16(inner->total_length) != tot - strip || inner->time_to_live <= 1 ||
		    !tf_cksum20_ok(ip) || !tf_cksum20_ok(inner) ||
		    !tf_dnh_put(&d, f + strip, inner->dst_addr, tot - strip))
			break;
		tf_mbuf_strip(m, (uint16_t)strip);
		bytes += len;
	}
	tf_dnh_send(w, &d, in, slot, pkts, i, bytes, strip);
	return i;
}

static void
tf_gre_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	     struct rte_mbuf *m, const struct tf_outer *o)
{
	uint32_t off = o->l4_off, glen;
	uint32_t key_id = 0;
	uint8_t has_key = 0;
	const struct tf_gre_hdr *gre;
	const struct tf_tunnel *tun;
	const uint8_t *p;
	uint16_t fl, proto;
	int ti;

	if (unlikely(o->l4_len < sizeof(*gre) || rte_pktmbuf_data_len(m) < off + sizeof(*gre)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	gre = rte_pktmbuf_mtod_offset(m, const struct tf_gre_hdr *, off);
	fl = rte_be_to_cpu_16(gre->flags_ver);
	if (unlikely(fl & (TF_GRE_MUST_BE_ZERO | TF_GRE_VER_MASK)))
		return tf_drop(w, in, m, TF_DROP_BAD_GRE);
	glen = sizeof(*gre) + 4 * (!!(fl & TF_GRE_C) + !!(fl & TF_GRE_K) + !!(fl & TF_GRE_S));
	if (unlikely(o->l4_len < glen || rte_pktmbuf_data_len(m) < off + glen))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);

	p = (const uint8_t *)(gre + 1);
	if (fl & TF_GRE_C) {
		uint16_t sum = 0;

		if (tf_raw_cksum_mbuf(m, off, o->l4_len, &sum) != 0 || sum != 0xffff)
			return tf_drop(w, in, m, TF_DROP_BAD_GRE_CHECKSUM);
		p += 4;
	}
	if (fl & TF_GRE_K) {
		has_key = 1;
		key_id = rte_be_to_cpu_32(tf_load32(p));
	}
	/* A sequence number, if any, is accepted as it comes: no reordering (RFC 2890 2.2 allows it). */
	ti = tf_decap_find(w, t, o, TF_TUN_GRE, has_key, 0, key_id, 1);
	if (ti < 0)
		return tf_drop(w, in, m, TF_DROP_UNKNOWN_TUNNEL);
	tun = &t->tunnels[ti];
	/* GRE over IPsec: as a protect policy, clear GRE for the tunnel is refused */
	if (unlikely((tun->flags & TF_TUN_F_ESP) && !w->esp.via_sa))
		return tf_drop(w, in, m, TF_DROP_GRE_NOT_PROTECTED);
	proto = gre->proto;
	if (proto != RTE_BE16(RTE_ETHER_TYPE_IPV4) && proto != RTE_BE16(RTE_ETHER_TYPE_IPV6))
		return tf_drop(w, in, m, TF_DROP_UNKNOWN_PAYLOAD);

	/* keep 14 bytes in front of the inner packet for its new Ethernet header */
	rte_pktmbuf_adj(m, (uint16_t)(off + glen - RTE_ETHER_HDR_LEN));
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = proto;

	tf_note(w, TF_ACT_DECAP, tun->slot);
	w->ctr.tun[tun->slot].decap_pkts++;
	w->ctr.tun[tun->slot].decap_bytes += rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	tf_l3_forward(w, t, in, m, proto, o->tos);
}
