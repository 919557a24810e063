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
