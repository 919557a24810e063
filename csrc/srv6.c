//go:build ignore

/*
 * srv6.c - SRv6 (RFC 8754 Segment Routing Header, RFC 8986 behaviours).
 *
 * Source node (encap): H.Encaps, H.Encaps.Red, H.Encaps.L2 (and .L2.Red):
 * prepend the tunnel's template (Ethernet + IPv6 to the first segment +
 * SRH with the segment list, or no SRH for a reduced single segment), patch
 * payload length, traffic class, flow label and the Next Header of the
 * inner packet.
 * Endpoint (SID table, longest prefix on the IPv6 destination):
 *  1. walk the extension headers up to the SRH (hop-by-hop, destination
 *     options are skipped: a SID acts on no option);
 *  2. Segments Left != 0: End / End.X check hop limit, Last Entry and
 *     Segments Left (RFC 8754 4.3.1.1, RFC 8986 4.1 S05-S15), update the
 *     destination and forward (FIB lookup / next hop); the decap behaviours
 *     answer Parameter Problem (RFC 8986 4.4-4.9 S02-S03);
 *  3. Segments Left 0 (or no SRH): upper-layer processing, Next Header 4,
 *     41 or 143 per behaviour; anything else Parameter Problem code 4
 *     (RFC 8986 4.1.1). TLVs are not processed (RFC 8754 2.1: local policy;
 *     no HMAC key is configured): the SRH is skipped whole by its length.
 * ICMPv6 errors are built in the offending mbuf, sourced from the SID,
 * sent back towards the sender's MAC and rate-limited per worker.
 */
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_lpm6.h>
#include <rte_mbuf.h>

#include "tf.h"
#include "tf_pkt.h"
#include "tf_wire.h"

#define TF_PP_ERRONEOUS_FIELD	0	/* RFC 4443 3.4 */
#define TF_PP_SR_UPPER_LAYER	4	/* RFC 8754 section 11.2 */

static void
tf_srv6_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
	      struct rte_mbuf *m, uint16_t ethertype)
{
	uint32_t inner_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	uint32_t outer_len = inner_len + tun->hdr_len - RTE_ETHER_HDR_LEN;
	uint8_t tos = tf_inner_tos(rte_pktmbuf_mtod_offset(m, void *, RTE_ETHER_HDR_LEN), ethertype);
	uint32_t hash = tf_flow_hash(m, RTE_ETHER_HDR_LEN, ethertype);
	uint8_t *h;

	h = tf_push_outer6(w, tun, in, m, RTE_ETHER_HDR_LEN, outer_len, tos, hash);
	if (unlikely(h == NULL))
		return;
	/* the SRH's Next Header, or the IPv6 header's without an SRH (reduced, one segment) */
	h[tun->l4_off] = ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4) ? IPPROTO_IPIP : IPPROTO_IPV6;
	tf_encap_count(w, tun, inner_len);
	tf_tx(w, tun->out_port, m);
}

/* H.Encaps.L2 (RFC 8986 5.3): the whole frame, Next Header 143 in the template. */
static void
tf_srv6_encap_l2(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
		 struct rte_mbuf *m)
{
	uint32_t inner_len = rte_pktmbuf_pkt_len(m);
	uint32_t outer_len = inner_len + tun->hdr_len - RTE_ETHER_HDR_LEN;
	const struct rte_ether_hdr *ieth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint8_t tos = tf_frame_tos(m);
	uint32_t hash;

	hash = tf_flow_hash(m, RTE_ETHER_HDR_LEN, ieth->ether_type);
	if (unlikely(tf_push_outer6(w, tun, in, m, 0, outer_len, tos, hash) == NULL))
		return;
	tf_encap_count(w, tun, inner_len);
	tf_tx(w, tun->out_port, m);
}

static inline void
tf_sid_count(struct tf_worker *w, const struct tf_table *t, const struct tf_sid *sid,
	     const struct rte_mbuf *m)
{
	struct tf_sid_ctr *c = &w->ctr.sid[sid - t->sids];

	c->pkts++;
	c->bytes += rte_pktmbuf_pkt_len(m);
}

/*
 * tf_srv6_end: End and End.X with Segments Left != 0 (RFC 8986 4.1 and 4.2,
 * RFC 8754 4.3.1.1); srh_off is the SRH's frame offset, whole in the first
 * segment.
 */
static void
tf_srv6_end(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	    const struct tf_sid *sid, uint32_t srh_off)
{
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
	struct tf_srh *srh = rte_pktmbuf_mtod_offset(m, struct tf_srh *, srh_off);
	uint32_t sl_ptr = srh_off - RTE_ETHER_HDR_LEN + TF_SRH_SL_OFF;
	int max_le = srh->hdr_ext_len / 2 - 1;
	uint8_t sl;

	if (ip6->hop_limits <= 1)
		return tf_icmp6_error(w, t, in, m, TF_DROP_SRV6_HOP_LIMIT, TF_ICMP6_TIME_EXCEEDED, 0, 0);
	/* both checks point at Segments Left (RFC 8754 4.3.1.1, RFC 8986 4.1 S10) */
	if ((int)srh->last_entry > max_le)
		return tf_icmp6_error(w, t, in, m, TF_DROP_SRH_LAST_ENTRY, TF_ICMP6_PARAM_PROBLEM,
				      TF_PP_ERRONEOUS_FIELD, sl_ptr);
	if (srh->segments_left > srh->last_entry + 1)
		return tf_icmp6_error(w, t, in, m, TF_DROP_SRH_SEGMENTS_LEFT, TF_ICMP6_PARAM_PROBLEM,
				      TF_PP_ERRONEOUS_FIELD, sl_ptr);
	/* End.X: too big for the link is answered from the SID, before the SRH changes */
	if (sid->behavior != TF_SID_END) {
		uint16_t mtu = t->port[t->nexthops[sid->nexthop].port].mtu;

		if (unlikely(rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN > mtu))
			return tf_icmp6_error(w, t, in, m, TF_DROP_MTU_EXCEEDED, TF_ICMP6_TOO_BIG, 0, mtu);
	}
	tf_sid_count(w, t, sid, m);
	sl = --srh->segments_left;
	memcpy(ip6->dst_addr, srh->segments + 16u * sl, 16);	/* sl <= last_entry <= max_le: inside */
	if (sid->behavior == TF_SID_END) {
		/* tf_l3_forward decrements the hop limit (checked above) and looks up the FIB */
		tf_note(w, TF_ACT_ROUTE, TF_NO_TUNNEL);
		return tf_l3_forward(w, t, in, m, RTE_BE16(RTE_ETHER_TYPE_IPV6), -1);
	}
	ip6->hop_limits--;
	{
		const struct tf_nexthop *nh = &t->nexthops[sid->nexthop];
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		rte_ether_addr_copy(&nh->mac, &eth->dst_addr);
		rte_ether_addr_copy(&t->port[nh->port].mac, &eth->src_addr);
		tf_note(w, TF_ACT_ROUTE, TF_NO_TUNNEL);
		w->ctr.routed++;
		tf_tx(w, nh->port, m);
	}
}

/* tf_srv6_decap2: End.DX2 (RFC 8986 4.9): the Ethernet frame at off out of the SID's port. */
static void
tf_srv6_decap2(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	       const struct tf_sid *sid, uint32_t off)
{
	if (unlikely(rte_pktmbuf_pkt_len(m) < off + RTE_ETHER_HDR_LEN ||
		     rte_pktmbuf_data_len(m) < off + RTE_ETHER_HDR_LEN))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	tf_sid_count(w, t, sid, m);
	rte_pktmbuf_adj(m, (uint16_t)off);
	tf_note(w, TF_ACT_DECAP, TF_NO_TUNNEL);
	tf_l2_out(w, t, in, m, sid->port, sid->vlan);
}

/*
 * tf_srv6_upper: upper-layer header nh at frame offset off (Segments Left
 * 0, or no SRH): decapsulate as the behaviour says, else Parameter Problem
 * code 4 pointing at the header (RFC 8986 4.1.1).
 */
static void
tf_srv6_upper(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	      const struct tf_sid *sid, uint32_t off, uint8_t nh)
{
	const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *,
								 RTE_ETHER_HDR_LEN);
	uint8_t outer_tos = (uint8_t)(rte_be_to_cpu_32(ip6->vtc_flow) >> 20);
	uint16_t et;
	uint8_t want;

	switch (sid->behavior) {
	case TF_SID_END_DX4:
	case TF_SID_END_DT4:
		want = IPPROTO_IPIP;
		et = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		break;
	case TF_SID_END_DX6:
	case TF_SID_END_DT6:
		want = IPPROTO_IPV6;
		et = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		break;
	case TF_SID_END_DX2:
		if (nh != TF_IPPROTO_ETHERNET)
			goto refuse;
		return tf_srv6_decap2(w, t, in, m, sid, off);
	default:	/* End, End.X: no upper layer is allowed by configuration */
		goto refuse;
	}
	if (nh != want)
		goto refuse;
	tf_sid_count(w, t, sid, m);
	/* keep 14 bytes in front of the inner packet for its new Ethernet header */
	rte_pktmbuf_adj(m, (uint16_t)(off - RTE_ETHER_HDR_LEN));
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = et;
	tf_note(w, TF_ACT_DECAP, TF_NO_TUNNEL);
	if (sid->behavior == TF_SID_END_DX4 || sid->behavior == TF_SID_END_DX6)
		return tf_l3_forward_via(w, t, in, m, et, outer_tos, sid->nexthop);
	return tf_l3_forward(w, t, in, m, et, outer_tos);
refuse:
	/* never an error about an ICMPv6 error (RFC 4443 2.4 (e.1)) */
	if (nh == IPPROTO_ICMPV6 && (rte_pktmbuf_data_len(m) <= off ||
				     rte_pktmbuf_mtod_offset(m, const uint8_t *, off)[0] < 128))
		return tf_drop(w, in, m, TF_DROP_SRV6_UPPER_LAYER);
	tf_icmp6_error(w, t, in, m, TF_DROP_SRV6_UPPER_LAYER, TF_ICMP6_PARAM_PROBLEM,
		       TF_PP_SR_UPPER_LAYER, off - RTE_ETHER_HDR_LEN);
}

static int
tf_srv6_input(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m)
{
	const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *,
								 RTE_ETHER_HDR_LEN);
	uint32_t end, off = RTE_ETHER_HDR_LEN + sizeof(*ip6);
	const struct tf_sid *sid;
	uint8_t nh = ip6->proto;
	int srh_seen = 0, n;
	uint32_t idx;

	/* the classifier checked the fixed header is contiguous and version 6 */
	if (rte_lpm6_lookup(t->sid6, ip6->dst_addr, &idx) != 0)
		return -1;
	sid = &t->sids[idx];
	end = off + rte_be_to_cpu_16(ip6->payload_len);
	if (unlikely(end > rte_pktmbuf_pkt_len(m) ||
		     tf_trim(m, RTE_ETHER_HDR_LEN, end - RTE_ETHER_HDR_LEN) != 0)) {
		tf_drop(w, in, m, TF_DROP_BAD_IP_LENGTH);
		return 0;
	}
	for (n = 0; n < 8; n++) {
		const uint8_t *x;
		uint32_t xl;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_DSTOPTS && nh != IPPROTO_ROUTING)
			break;
		if (nh == IPPROTO_HOPOPTS && n != 0)
			goto bad_ext;
		if (unlikely(end < off + 8 || rte_pktmbuf_data_len(m) < off + 8)) {
			tf_drop(w, in, m, nh == IPPROTO_ROUTING ? TF_DROP_SRH_TRUNCATED : TF_DROP_TRUNCATED);
			return 0;
		}
		x = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
		xl = (x[1] + 1u) * 8;
		if (unlikely(end < off + xl || rte_pktmbuf_data_len(m) < off + xl)) {
			tf_drop(w, in, m, nh == IPPROTO_ROUTING && x[2] == TF_SRH_TYPE ?
				TF_DROP_SRH_TRUNCATED : TF_DROP_TRUNCATED);
			return 0;
		}
		if (nh == IPPROTO_ROUTING) {
			if (srh_seen)	/* at most once (RFC 8200 4.1) */
				goto bad_ext;
			srh_seen = 1;
			if (x[2] != TF_SRH_TYPE) {
				if (x[3] != 0)	/* a routing type we do not follow (RFC 8200 4.4) */
					goto bad_ext;
			} else if (x[3] != 0) {
				if (sid->behavior == TF_SID_END || sid->behavior == TF_SID_END_X)
					tf_srv6_end(w, t, in, m, sid, off);
				else
					tf_icmp6_error(w, t, in, m, TF_DROP_SRV6_SL_NOT_ZERO,
						       TF_ICMP6_PARAM_PROBLEM, TF_PP_ERRONEOUS_FIELD,
						       off - RTE_ETHER_HDR_LEN + TF_SRH_SL_OFF);
				return 0;
			}
		}
		nh = x[0];
		off += xl;
	}
	if (nh == IPPROTO_FRAGMENT) {
		tf_drop(w, in, m, TF_DROP_FRAGMENT);
		return 0;
	}
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS || nh == IPPROTO_ROUTING)
		goto bad_ext;	/* more than 8 extension headers */
	tf_srv6_upper(w, t, in, m, sid, off, nh);
	return 0;
bad_ext:
	tf_drop(w, in, m, TF_DROP_BAD_IPV6_EXT);
	return 0;
}

/*
 * tf_srv6_tpl_copy copies an SRv6 template of 48..TF_HDR_MAX bytes in
 * 16-byte moves, the last one ending at len (overlapping the one before:
 * same source).
 */
static __rte_always_inline void
tf_srv6_tpl_copy(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	uint32_t k;

	for (k = 0; k + 16 < len; k += 16)
		_mm_storeu_si128((__m128i *)(dst + k), _mm_loadu_si128((const __m128i *)(src + k)));
	_mm_storeu_si128((__m128i *)(dst + len - 16), _mm_loadu_si128((const __m128i *)(src + len - 16)));
}

/* tf_srv6_patch writes the per-packet words of the outer IPv6 header at h + 14, as tf_push_outer6. */
static __rte_always_inline void
tf_srv6_patch(uint8_t *h, uint8_t tos, uint32_t hash, uint32_t outer_len)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(h + RTE_ETHER_HDR_LEN);

	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)tos << 20 | (hash & 0xfffff));
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(outer_len - sizeof(*ip6)));
}

/*
 * tf_srv6_encap_fast is tf_srv6_encap for what the routed burst loop has
 * checked: a TF_FAST_SRV6 tunnel (tp), a plain IPv4 packet whose outer_len
 * fits the MTU, headroom for the template. The caller counts and sends.
 */
static __rte_always_inline void
tf_srv6_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m, uint32_t outer_len)
{
	uint8_t tos = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
					      RTE_ETHER_HDR_LEN)->type_of_service;
	uint32_t hash = tf_flow_hash(m, RTE_ETHER_HDR_LEN, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	uint16_t d = tp->hdr_len - RTE_ETHER_HDR_LEN;
	uint8_t *h;

	tf_mbuf_prepend(m, d);
	h = rte_pktmbuf_mtod(m, uint8_t *);
	tf_srv6_tpl_copy(h, tp->hdr, tp->hdr_len);
	/* the template has Next Header IPv4 in (dataplane/template.go) */
	tf_srv6_patch(h, tp->tos | (tos & tp->tos_mask), hash, outer_len);
}

/*
 * tf_srv6_encap_prep: how many of the n packets at pkts, from the first on,
 * go r's way (tf_rrun_ok) into tp's tunnel; each of those gets its TTL
 * decremented and the outer vtc_flow word it will carry in vtc[], network
 * order (TOS as tp asks, the flow label a hash of the inner flow, RFC 6437).
 * Not inlined: with few values live, its loop keeps r in registers, which
 * the encap loop needs for the template.
 */
static __rte_noinline uint16_t
tf_srv6_encap_prep(const struct tf_rrun *r, const struct tf_tpl *tp, struct rte_mbuf **pkts, uint16_t n,
		   uint32_t *vtc)
{
	uint16_t k;

	for (k = 0; k < n; k++) {
		struct rte_mbuf *m = pkts[k];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
		uint32_t hash;
		uint8_t tos;

		if (!tf_rrun_ok(r, m))
			break;
		/* plain (tf_plain4): no options, the header in the segment */
		hash = tf_flow_hash4(ip, sizeof(*ip), rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN);
		tos = tp->tos | (ip->type_of_service & tp->tos_mask);
		vtc[k] = rte_cpu_to_be_32(6u << 28 | (uint32_t)tos << 20 | (hash & 0xfffff));
		tf_ttl4_dec(ip);
	}
	return k;
}

/*
 * tf_srv6_encap_burst is tf_srv6_encap_fast over the packets of a routed
 * burst from the first on that go r's way into tun (TF_FAST_SRV6), each
 * checked (tf_rrun_ok) in the pass that encapsulates it: TTL decremented,
 * template (Next Header already in) copied. Returns how many it took, their
 * frame bytes in *bytes; the caller counts and sends them.
 */
static __rte_noinline uint16_t
tf_srv6_encap_burst(const struct tf_rrun *r, const struct tf_tunnel *tun, struct rte_mbuf **pkts,
		    uint16_t n, uint64_t *bytes)
{
	const struct tf_tpl tp = tf_tpl_of(tun);
	const uint16_t d = tp.hdr_len - RTE_ETHER_HDR_LEN;
	const uint8_t *hdr = tun->hdr;	/* with Next Header IPv4 in (dataplane/template.go) */
	uint32_t vtc[TF_BURST_MAX];
	uint64_t sum = 0;
	uint16_t i;

	if (tp.hdr_len <= 128) {
		/* up to 4 segments (14 + 40 + 8 + 64): the template stays in registers */
		const __m128i v0 = _mm_load_si128((const __m128i *)hdr);
		const __m128i v1 = _mm_load_si128((const __m128i *)(hdr + 16));
		const __m128i v2 = _mm_load_si128((const __m128i *)(hdr + 32));
		const __m128i v3 = _mm_load_si128((const __m128i *)(hdr + 48));
		const __m128i v4 = _mm_load_si128((const __m128i *)(hdr + 64));
		const __m128i v5 = _mm_load_si128((const __m128i *)(hdr + 80));
		const __m128i v6 = _mm_load_si128((const __m128i *)(hdr + 96));
		const __m128i vl = _mm_loadu_si128((const __m128i *)(hdr + tp.hdr_len - 16));
		const uint32_t len = tp.hdr_len;
		uint16_t k;

		/* checked, hashed and TTL decremented in a pass of their own: the template leaves no registers */
		k = tf_srv6_encap_prep(r, &tp, pkts, n, vtc);
		for (i = 0; i < k; i++) {
			struct rte_mbuf *m = pkts[i];
			uint32_t outer_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN + d;
			uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *) - d;
			__m128i a = v0, b = v1;

			sum += rte_pktmbuf_pkt_len(m);
			tf_mbuf_prepend(m, d);
			/* vtc_flow and payload length (bytes 14..19) patched in registers */
			a = _mm_insert_epi16(a, (uint16_t)vtc[i], 7);
			b = _mm_insert_epi16(b, (uint16_t)(vtc[i] >> 16), 0);
			b = _mm_insert_epi16(b, rte_cpu_to_be_16((uint16_t)(outer_len - sizeof(struct rte_ipv6_hdr))), 1);
			_mm_storeu_si128((__m128i *)h, a);
			_mm_storeu_si128((__m128i *)(h + 16), b);
			if (len > 48)
				_mm_storeu_si128((__m128i *)(h + 32), v2);
			if (len > 64)
				_mm_storeu_si128((__m128i *)(h + 48), v3);
			if (len > 80)
				_mm_storeu_si128((__m128i *)(h + 64), v4);
			if (len > 96)
				_mm_storeu_si128((__m128i *)(h + 80), v5);
			if (len > 112)
				_mm_storeu_si128((__m128i *)(h + 96), v6);
			_mm_storeu_si128((__m128i *)(h + len - 16), vl);	/* at 32 or past: not over b */
		}
		*bytes = sum;
		return i;
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
		uint32_t outer_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN + d, hash;
		uint8_t *h = p - d;

		if (!tf_rrun_ok(r, m))
			break;
		sum += rte_pktmbuf_pkt_len(m);
		hash = tf_flow_hash(m, RTE_ETHER_HDR_LEN, RTE_BE16(RTE_ETHER_TYPE_IPV4));
		tf_ttl4_dec(ip);
		tf_mbuf_prepend(m, d);
		tf_srv6_tpl_copy(h, hdr, tp.hdr_len);
		tf_srv6_patch(h, tp.tos | (ip->type_of_service & tp.tos_mask), hash, outer_len);
	}
	*bytes = sum;
	return i;
}

/*
 * tf_srv6_decap_burst: End.DX4 and End.DT4 (RFC 8986 4.6 and 4.8) over an
 * underlay burst, when its first frame is what tf_rx_underlay and
 * tf_srv6_input would decapsulate without a question (to the port's MAC,
 * IPv6 with no padding to a SID of those behaviours, either no extension
 * header or only an SRH with Segments Left 0, Next Header 4, an outer ECN
 * field that asks nothing of the inner header: not-ECT or ECT(0)), in one
 * pass from the first frame on, for as long as they show the same bytes
 * where those checks look (the SID's address among them: one lookup for
 * the burst), an inner IPv4 header without options that fills the payload
 * exactly, a right checksum and TTL left, and go to one next hop within its
 * MTU (End.DX4: the SID's; End.DT4: the first one's route): stripped,
 * routed, counted and queued. Returns how many it took; the per-packet
 * loop does the rest, untouched.
 */
static __rte_noinline uint16_t
tf_srv6_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		    struct rte_mbuf **pkts, uint16_t n)
{
	const uint8_t *f0 = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
	const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(f0 + RTE_ETHER_HDR_LEN);
	const uint32_t l3_off = RTE_ETHER_HDR_LEN + sizeof(*ip6);
	uint32_t in_off = l3_off, idx, strip;
	const struct tf_sid *sid;
	uint64_t bytes = 0;
	struct tf_sig64 sg;
	struct tf_dnh d;
	uint8_t *mask;
	uint16_t i;
	int build;

	if (rte_pktmbuf_data_len(pkts[0]) < 64 ||
	    !rte_is_same_ether_addr((const struct rte_ether_addr *)f0, &t->port[in].mac) ||
	    ((const struct rte_ether_hdr *)f0)->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV6) ||
	    (f0[14] >> 4) != 6 || (f0[15] & TF_ECN_ECT1 << 4))
		return 0;
	if (ip6->proto == IPPROTO_ROUTING) {
		const uint8_t *x = f0 + l3_off;

		/* any routing type with Segments Left 0 is skipped whole (RFC 8200 4.4) */
		if (x[0] != IPPROTO_IPIP || x[3] != 0)
			return 0;
		in_off += (x[1] + 1u) * 8;
	} else if (ip6->proto != IPPROTO_IPIP) {
		return 0;
	}
	/* destination MAC, ethertype, version, ECT(1)/CE bit, Next Header, destination; the SRH's first words */
	mask = tf_dmask_get(w, TF_DMASK_SRV6, 1 + (ip6->proto == IPPROTO_ROUTING), &build);
	if (build) {
		memset(mask, 0xff, RTE_ETHER_ADDR_LEN);
		mask[12] = mask[13] = 0xff;
		mask[14] = 0xf0;
		mask[15] = TF_ECN_ECT1 << 4;
		mask[20] = 0xff;
		memset(mask + 38, 0xff, 16);
		if (ip6->proto == IPPROTO_ROUTING)
			mask[l3_off] = mask[l3_off + 1] = mask[l3_off + 3] = 0xff;
	}
	if (rte_lpm6_lookup(t->sid6, ip6->dst_addr, &idx) != 0)
		return 0;
	sid = &t->sids[idx];
	if (sid->behavior == TF_SID_END_DX4)
		tf_dnh_set(&d, t, &t->nexthops[sid->nexthop]);
	else if (sid->behavior != TF_SID_END_DT4 || rte_pktmbuf_data_len(pkts[0]) < in_off + 20 ||
		 !tf_dnh_route(&d, t, ((const struct rte_ipv4_hdr *)(f0 + in_off))->dst_addr))
		return 0;
	strip = in_off - RTE_ETHER_HDR_LEN;
	tf_sig64_make(&sg, f0, mask);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		const struct rte_ipv4_hdr *inner = (const struct rte_ipv4_hdr *)(f + in_off);
		uint32_t len = rte_pktmbuf_pkt_len(m);

		if (rte_pktmbuf_data_len(m) < RTE_MAX(64u, in_off + sizeof(*inner)) ||
		    !tf_sig64_match(&sg, f) ||
		    rte_be_to_cpu_16(((const struct rte_ipv6_hdr *)(f + RTE_ETHER_HDR_LEN))->payload_len) !=
			len - l3_off ||
		    inner->version_ihl != 0x45 || rte_be_to_cpu_16(inner->total_length) != len - in_off ||
		    inner->time_to_live <= 1 || !tf_cksum20_ok(inner) ||
		    !tf_dnh_put(&d, f + strip, inner->dst_addr, len - in_off))
			break;
		tf_mbuf_strip(m, (uint16_t)strip);
		bytes += len;
	}
	w->ctr.port[in].rx_bytes += bytes;
	w->ctr.sid[idx].pkts += i;
	w->ctr.sid[idx].bytes += bytes;
	w->ctr.routed += i;
	tf_tx_bulk(w, d.port, pkts, i, bytes - (uint64_t)i * strip);
	return i;
}
