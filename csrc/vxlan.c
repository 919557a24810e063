//go:build ignore

/*
 * vxlan.c - VXLAN over IPv4 and IPv6 (RFC 7348): an L2 tunnel.
 *
 * Encap: check the MTU, prepend the template (Ethernet + IP + UDP +
 * VXLAN), patch lengths, TOS, id, the UDP source port (inner flow hash, for
 * ECMP entropy; RFC 7348 section 5) and the IPv4 checksum. Over IPv4 the UDP
 * checksum stays zero (section 5: SHOULD be transmitted as zero); over IPv6
 * it is computed (RFC 8200) unless the tunnel sends zero (RFC 6935).
 * Decap: validate UDP, check the I flag, look the tunnel up by (local,
 * port, VNI), strip outer headers, tag with the binding's VLAN, send the
 * inner frame out of the bound inner port.
 */
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "tf.h"
#include "tf_pkt.h"
#include "tf_wire.h"

static void
tf_vxlan_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
	       struct rte_mbuf *m)
{
	uint32_t inner_len = rte_pktmbuf_pkt_len(m);
	uint32_t outer_len = inner_len + tun->hdr_len - RTE_ETHER_HDR_LEN;
	const struct rte_ether_hdr *ieth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint8_t tos = tf_frame_tos(m);
	struct rte_udp_hdr *udp;
	uint32_t hash, udp_len;
	uint8_t *h;

	hash = tf_flow_hash(m, RTE_ETHER_HDR_LEN, ieth->ether_type);
	h = tf_push_outer(w, tun, in, m, 0, outer_len, tos, hash);
	if (unlikely(h == NULL))
		return;
	udp = (struct rte_udp_hdr *)(h + tun->l4_off);
	udp_len = outer_len - (tun->l4_off - RTE_ETHER_HDR_LEN);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)udp_len);
	udp->src_port = rte_cpu_to_be_16(tun->sport_min +
		(uint16_t)(((uint64_t)hash * tun->sport_span) >> 32));
	if (tun->af == 6)
		tf_udp6_cksum_set(tun, m, udp, udp_len);

	tf_encap_count(w, tun, inner_len);
	tf_tx(w, tun->out_port, m);
}

/*
 * tf_vxlan_encap_fast is tf_vxlan_encap for what the bridged burst loop has
 * checked: a TF_FAST_VXLAN4 tunnel (tp), outer_len within the MTU, headroom
 * for the template. The caller counts and sends; id is the outer IPv4 id.
 */
static __rte_always_inline void
tf_vxlan_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m, uint32_t outer_len, uint16_t id)
{
	const struct rte_ether_hdr *ieth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint8_t tos = tf_frame_tos(m);
	struct rte_udp_hdr *udp;
	uint32_t hash;
	uint8_t *h;

	hash = tf_flow_hash(m, RTE_ETHER_HDR_LEN, ieth->ether_type);
	h = tf_push_outer4_fast(tp, m, 0, outer_len, tos, id);
	udp = (struct rte_udp_hdr *)(h + tp->l4_off);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(outer_len - (tp->l4_off - RTE_ETHER_HDR_LEN)));
	udp->src_port = rte_cpu_to_be_16(tp->sport_min +
		(uint16_t)(((uint64_t)hash * tp->sport_span) >> 32));
}

/*
 * tf_vxlan_encap_burst is tf_vxlan_encap_fast over a whole burst from a
 * bridged port whose untagged frames go into tun (TF_FAST_VXLAN4), in one
 * pass that checks each frame as it encapsulates it (untagged, within MTU
 * and headroom), outer ids from w->ip_id on. The template stays in
 * registers (not inlined: the loop around it would spill them). Counts and
 * queues the burst and returns 1, or returns 0 with every frame as it came
 * (only headroom bytes written).
 */
static __rte_noinline int
tf_vxlan_encap_burst(struct tf_worker *w, uint16_t in, const struct tf_tunnel *tun,
		     struct rte_mbuf **pkts, uint16_t n)
{
	const struct tf_tpl tp = tf_tpl_of(tun);
	const uint16_t last = tp.hdr_len - 16, udp_off = tp.l4_off, id = w->ip_id;
	const uint32_t maxlen = tp.mtu + RTE_ETHER_HDR_LEN - tp.hdr_len;
	uint64_t bytes = 0;
	struct tf_tplv v;
	uint16_t i;

	tf_tplv_load(&v, tun->hdr, tp.hdr_len);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *ieth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		uint32_t len = rte_pktmbuf_pkt_len(m), outer_len = len + tp.hdr_len - RTE_ETHER_HDR_LEN;
		uint8_t tos, *h = (uint8_t *)ieth - tp.hdr_len;
		__m128i a = v.a, b = v.b, l = v.last;
		uint32_t hash;

		if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN ||
		    ieth->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
		    len > maxlen || rte_pktmbuf_headroom(m) < tp.hdr_len)
			break;
		bytes += len;
		tos = tp.tos | (tf_frame_tos(m) & tp.tos_mask);
		hash = tf_flow_hash(m, RTE_ETHER_HDR_LEN, ieth->ether_type);
		tf_mbuf_prepend(m, tp.hdr_len);
		tf_outer4_vec(&a, &b, tp.csum_base, tos, outer_len, (uint16_t)(id + i));
		/* the UDP source port and length: the last 16 bytes start with UDP (table.c) */
		l = _mm_insert_epi16(l, rte_cpu_to_be_16(tp.sport_min +
			(uint16_t)(((uint64_t)hash * tp.sport_span) >> 32)), 0);
		l = _mm_insert_epi16(l, rte_cpu_to_be_16((uint16_t)(outer_len - (udp_off - RTE_ETHER_HDR_LEN))), 2);
		_mm_storeu_si128((__m128i *)h, a);
		_mm_storeu_si128((__m128i *)(h + 16), b);
		_mm_storeu_si128((__m128i *)(h + 32), v.c);
		_mm_storeu_si128((__m128i *)(h + last), l);
	}
	return tf_l2_burst_end(w, in, &tp, pkts, n, i, bytes);
}

/*
 * tf_vxlan_decap_peek tells the underlay burst loop whether m, a plain IPv4
 * frame to a local address and not a fragment (tf_plain4), whose UDP
 * destination port is a VXLAN one, is what tf_vxlan_decap delivers as it
 * is: UDP length right, zero checksum (RFC 7348 section 5), I flag, a known
 * VNI bound untagged to a port whose MTU the inner frame fits, and an outer
 * ECN field that asks nothing of the inner header (RFC 6040). Read-only but
 * for the last-tunnel cache. Returns the tunnel, or -1 for the full path.
 */
static __rte_always_inline int
tf_vxlan_decap_peek(struct tf_worker *w, const struct tf_table *t, const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								RTE_ETHER_HDR_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	const struct tf_vxlan_hdr *vx = (const struct tf_vxlan_hdr *)(udp + 1);
	const uint32_t hlen = RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*udp) + sizeof(*vx);
	const struct tf_tunnel *tun;
	int ti;

	/* the UDP length is then at least 8 + 8 + 14: tot is the frame's L3 length */
	if (rte_pktmbuf_data_len(m) < hlen + RTE_ETHER_HDR_LEN ||
	    rte_be_to_cpu_16(udp->dgram_len) != rte_be_to_cpu_16(ip->total_length) - sizeof(*ip) ||
	    udp->dgram_cksum != 0 || !(vx->flags & TF_VXLAN_I) || (ip->type_of_service & TF_ECN_ECT1))
		return -1;
	ti = tf_decap_lookup(w, t, tf_key_lo(TF_TUN_VXLAN, 0, rte_be_to_cpu_16(udp->dst_port),
					     rte_be_to_cpu_32(vx->vni_rsvd) >> 8),
			     tf_key_hi(0, ip->dst_addr));
	if (ti < 0)
		return -1;
	tun = &t->tunnels[ti];
	if (tun->l2_port >= TF_MAX_PORTS || tun->l2_vlan != 0 ||
	    rte_pktmbuf_pkt_len(m) - hlen - RTE_ETHER_HDR_LEN > t->port[tun->l2_port].mtu)
		return -1;
	return ti;
}

/*
 * tf_vxlan_decap_burst: the uniform decap of a burst whose first frame
 * tf_vxlan_decap_peek took (into tunnel ti), in one pass from the first
 * frame on, for as long as they show the same outer bytes where the checks
 * look (destination MAC, plain IPv4 not a fragment, ECN, protocol, local
 * address, UDP port, zero checksum, I flag, VNI) and right lengths,
 * checksum and inner MTU: stripped, counted and queued. Returns how many it
 * took; the per-packet loop does the rest, untouched.
 */
static __rte_noinline uint16_t
tf_vxlan_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		     struct rte_mbuf **pkts, uint16_t n, int ti)
{
	static const uint8_t mask[64] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff,	/* Ethernet */
		0xff, TF_ECN_ECT1, 0, 0, 0, 0, 0x3f, 0xff, 0, 0xff, 0, 0,		/* IPv4 ... */
		0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,					/* src, dst */
		0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff,					/* UDP */
		TF_VXLAN_I, 0, 0, 0, 0xff, 0xff, 0xff, 0,				/* VXLAN */
	};
	const uint32_t hlen = RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) +
			      sizeof(struct rte_udp_hdr) + sizeof(struct tf_vxlan_hdr);
	const struct tf_tunnel *tun = &t->tunnels[ti];
	const uint32_t maxlen = t->port[tun->l2_port].mtu + hlen + RTE_ETHER_HDR_LEN;
	struct tf_sig64 sg;
	uint64_t bytes = 0;
	uint16_t i;

	tf_sig64_make(&sg, rte_pktmbuf_mtod(pkts[0], const uint8_t *), mask);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
		uint32_t len = rte_pktmbuf_pkt_len(m), tot;

		if (rte_pktmbuf_data_len(m) < 64 || !tf_sig64_match(&sg, f))
			break;
		tot = rte_be_to_cpu_16(ip->total_length);
		if (tot != len - RTE_ETHER_HDR_LEN || len > maxlen ||
		    rte_be_to_cpu_16(udp->dgram_len) != tot - sizeof(*ip) || !tf_cksum20_ok(ip))
			break;
		bytes += len;
		tf_mbuf_strip(m, hlen);
	}
	tf_l2_decap_send(w, in, tun, pkts, i, bytes, hlen);
	return i;
}

static void
tf_vxlan_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	       struct rte_mbuf *m, const struct tf_outer *o)
{
	uint32_t off = o->l4_off;
	uint32_t hlen = off + sizeof(struct rte_udp_hdr) + sizeof(struct tf_vxlan_hdr);
	const struct rte_udp_hdr *udp;
	const struct tf_vxlan_hdr *vx;
	const struct tf_tunnel *tun;
	uint16_t ulen;
	int ti;

	/* the classifier checked that the UDP header is there */
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, off);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(ulen != o->l4_len))
		return tf_drop(w, in, m, TF_DROP_BAD_UDP);
	if (unlikely(ulen < sizeof(*udp) + sizeof(*vx) + RTE_ETHER_HDR_LEN ||
		     rte_pktmbuf_data_len(m) < hlen + RTE_ETHER_HDR_LEN))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	/*
	 * RFC 7348 section 5: over IPv4 a zero checksum is accepted; a non-zero
	 * one is verified. Over IPv6 zero is accepted only by a tunnel that says
	 * so (RFC 6936), checked once the tunnel is known.
	 */
	if (udp->dgram_cksum != 0 && tf_l4_cksum_bad(m, o, IPPROTO_UDP))
		return tf_drop(w, in, m, TF_DROP_BAD_UDP_CHECKSUM);
	vx = (const struct tf_vxlan_hdr *)(udp + 1);
	if (unlikely(!(vx->flags & TF_VXLAN_I)))
		return tf_drop(w, in, m, TF_DROP_BAD_VXLAN);

	ti = tf_decap_find(w, t, o, TF_TUN_VXLAN, 0, rte_be_to_cpu_16(udp->dst_port),
			   rte_be_to_cpu_32(vx->vni_rsvd) >> 8, 0);
	if (ti < 0)
		return tf_drop(w, in, m, TF_DROP_UNKNOWN_TUNNEL);
	tun = &t->tunnels[ti];
	if (o->af == 6 && udp->dgram_cksum == 0 && !(tun->flags & TF_TUN_F_UDP6_ZERO_RX))
		return tf_drop(w, in, m, TF_DROP_UDP6_ZERO_CSUM);
	/* an unbound tunnel has nowhere to deliver: not port 0 by default */
	if (unlikely(tun->l2_port >= TF_MAX_PORTS))
		return tf_drop(w, in, m, TF_DROP_NO_L2_BINDING);

	rte_pktmbuf_adj(m, (uint16_t)hlen);
	tf_l2_deliver(w, t, in, m, tun, o->tos);
}
