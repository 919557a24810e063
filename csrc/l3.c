//go:build ignore

/*
 * l3.c - the gateway as a router and a host: inner IPv4/IPv6 forwarding (TTL,
 * route lookup, then encap or next-hop rewrite), ARP replies and ICMP echo
 * replies for the gateway's own addresses.
 */
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_mbuf.h>

#include "tf.h"
#include "tf_pkt.h"

/*
 * tf_l3_forward routes the IP packet at offset 14 of m (from an inner port,
 * or just decapsulated with outer_tos >= 0). The Ethernet header in front of
 * it is rewritten for a next hop or covered by a tunnel template.
 */
static void
tf_l3_forward(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	      struct rte_mbuf *m, uint16_t ethertype, int outer_tos)
{
	tf_l3_forward_via(w, t, in, m, ethertype, outer_tos, -1);
}

/*
 * tf_l3_forward_via is tf_l3_forward with the route lookup replaced by next
 * hop nh when nh >= 0 (SRv6 End.DX4 / End.DX6 cross-connects).
 */
static void
tf_l3_forward_via(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		  struct rte_mbuf *m, uint16_t ethertype, int outer_tos, int nh_idx)
{
	uint32_t avail = rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN;
	uint32_t frame_l3 = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	void *l3 = rte_pktmbuf_mtod_offset(m, void *, RTE_ETHER_HDR_LEN);
	uint32_t idx, l3_len;

	/*
	 * Decapsulated (outer_tos set): the bytes before the inner packet are
	 * what is left of the outer headers, which ICMP errors about it read
	 * as the frame's destination MAC (RFC 1812 4.3.2.7: none about link
	 * multicast). The packet came unicast to the port: say so.
	 */
	if (outer_tos >= 0)
		rte_ether_addr_copy(&t->port[in].mac, rte_pktmbuf_mtod(m, struct rte_ether_addr *));
	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = l3;
		int hl = tf_ipv4_check(ip, avail, frame_l3);

		if (unlikely(hl < 0))
			return tf_drop(w, in, m, (enum tf_drop)-hl);
		l3_len = rte_be_to_cpu_16(ip->total_length);
		if (outer_tos < 0 && tf_is_local4(t, ip->dst_addr))
			return tf_local4(w, t, in, m, (uint32_t)hl);
		if (unlikely(tf_trim(m, RTE_ETHER_HDR_LEN, l3_len) != 0))
			return tf_drop(w, in, m, TF_DROP_BAD_IP_LENGTH);
		if (unlikely(ip->time_to_live <= 1))
			return tf_icmp4_error(w, t, in, m, TF_DROP_TTL_EXPIRED, TF_ICMP4_TIME_EXCEEDED,
					      0, 0, 0);
		if (outer_tos >= 0 && tf_ecn_decap(ip, ethertype, (uint8_t)outer_tos) != 0)
			return tf_drop(w, in, m, TF_DROP_ECN_NOT_ECT);
		tf_ttl4_dec(ip);
		if (nh_idx < 0 && rte_lpm_lookup(t->lpm4, rte_be_to_cpu_32(ip->dst_addr), &idx) != 0)
			return tf_drop(w, in, m, TF_DROP_NO_ROUTE);
	} else {
		struct rte_ipv6_hdr *ip6 = l3;

		if (unlikely(avail < sizeof(*ip6)))
			return tf_drop(w, in, m, TF_DROP_TRUNCATED);
		if (unlikely((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6))
			return tf_drop(w, in, m, TF_DROP_BAD_IP_HEADER);
		l3_len = sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len);
		if (unlikely(l3_len > frame_l3))
			return tf_drop(w, in, m, TF_DROP_BAD_IP_LENGTH);
		if (unlikely(tf_trim(m, RTE_ETHER_HDR_LEN, l3_len) != 0))
			return tf_drop(w, in, m, TF_DROP_BAD_IP_LENGTH);
		if (unlikely(ip6->hop_limits <= 1))
			return tf_icmp6_routed(w, t, in, m, TF_DROP_TTL_EXPIRED, TF_ICMP6_TIME_EXCEEDED,
					       0, 0, 0);
		if (outer_tos >= 0 && tf_ecn_decap(ip6, ethertype, (uint8_t)outer_tos) != 0)
			return tf_drop(w, in, m, TF_DROP_ECN_NOT_ECT);
		ip6->hop_limits--;
		if (nh_idx < 0 && (t->lpm6 == NULL || rte_lpm6_lookup(t->lpm6, ip6->dst_addr, &idx) != 0))
			return tf_drop(w, in, m, TF_DROP_NO_ROUTE);
	}

	if (nh_idx >= 0)
		return tf_l3_nexthop(w, t, in, m, ethertype, l3_len, (uint32_t)nh_idx);
	tf_l3_route(w, t, in, m, ethertype, l3_len, idx);
}

/*
 * tf_l3_route sends a routed packet (validated, TTL or hop limit already
 * decremented, l3_len bytes after its Ethernet header) by route idx: into a
 * tunnel, an SA, or to a next hop.
 */
static inline void
tf_l3_route(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	    uint16_t ethertype, uint32_t l3_len, uint32_t idx)
{
	const struct tf_route *rt = &t->routes[idx];

	if (rt->kind == TF_RT_TUNNEL) {
		const struct tf_tunnel *tun = &t->tunnels[rt->idx];
		uint32_t over = tun->hdr_len - RTE_ETHER_HDR_LEN;	/* what the tunnel adds */

		if (unlikely(l3_len + over > tun->mtu))
			return tf_too_big(w, t, in, m, ethertype, tun->mtu > over ? tun->mtu - over : 0,
					  TF_VIA_TUNNEL, rt->idx);
		return tf_l3_encap(w, tun, in, m, ethertype);
	}
	if (rt->kind == TF_RT_ESP) {
		if (likely(t->esp != NULL && rt->idx < t->esp->nb_sa)) {
			uint32_t mtu = tf_sa_inner_mtu(&t->esp->sa[rt->idx]);

			if (unlikely(l3_len > mtu))
				return tf_too_big(w, t, in, m, ethertype, mtu, TF_VIA_SA, rt->idx);
		}
		return tf_esp_encap(w, t, rt->idx, in, m, ethertype);	/* refuses a bad SA index */
	}
	tf_l3_nexthop(w, t, in, m, ethertype, l3_len, rt->idx);
}

/* tf_l3_nexthop sends a routed packet to next hop nh_idx. */
static inline void
tf_l3_nexthop(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	      uint16_t ethertype, uint32_t l3_len, uint32_t nh_idx)
{
	const struct tf_nexthop *nh = &t->nexthops[nh_idx];
	struct rte_ether_hdr *eth;

	if (unlikely(l3_len > t->port[nh->port].mtu))
		return tf_too_big(w, t, in, m, ethertype, t->port[nh->port].mtu, TF_VIA_NEXTHOP, nh_idx);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&nh->mac, &eth->dst_addr);
	rte_ether_addr_copy(&t->port[nh->port].mac, &eth->src_addr);
	eth->ether_type = ethertype;
	if (unlikely(w->tr != NULL) && w->tr->action != TF_ACT_DECAP)
		w->tr->action = TF_ACT_ROUTE;	/* a decapsulated packet stays "decap" */
	w->ctr.routed++;
	tf_tx(w, nh->port, m);
}

/* tf_l3_encap puts an IP packet (after its Ethernet header) into an L3 tunnel. */
static inline void
tf_l3_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
	    struct rte_mbuf *m, uint16_t ethertype)
{
	switch (tun->type) {
	case TF_TUN_GRE:
		return tf_gre_encap(w, tun, in, m, ethertype);
	case TF_TUN_L2TPV2:
		return tf_l2tpv2_encap(w, tun, in, m, ethertype);
	case TF_TUN_SRV6:
		return tf_srv6_encap(w, tun, in, m, ethertype);
	default:	/* the table builder routes only into L3 tunnels */
		return tf_drop(w, in, m, TF_DROP_UNKNOWN_TUNNEL);
	}
}

/* tf_l2_encap puts an Ethernet frame into an L2 tunnel. */
static inline void
tf_l2_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in, struct rte_mbuf *m)
{
	switch (tun->type) {
	case TF_TUN_VXLAN:
		return tf_vxlan_encap(w, tun, in, m);
	case TF_TUN_L2TPV3:
		return tf_l2tpv3_encap(w, tun, in, m);
	case TF_TUN_SRV6:
		return tf_srv6_encap_l2(w, tun, in, m);
	default:	/* the table builder binds only L2 tunnels */
		return tf_drop(w, in, m, TF_DROP_NO_L2_BINDING);
	}
}

static inline int
tf_port_has4(const struct tf_port *p, uint32_t addr)
{
	uint16_t i;

	for (i = 0; i < p->nb_addr4; i++)
		if (p->addr4[i] == addr)
			return 1;
	return 0;
}

/* tf_arp answers a request for one of the port's addresses (RFC 826), in place. */
static void
tf_arp(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m)
{
	const struct tf_port *p = &t->port[in];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	uint32_t tip;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*arp)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4 ||
	    arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST))
		return tf_drop(w, in, m, TF_DROP_UNSUPPORTED);
	tip = arp->arp_data.arp_tip;
	if (!tf_port_has4(p, tip))
		return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);

	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	rte_ether_addr_copy(&p->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = tip;
	tf_note(w, TF_ACT_REPLY, TF_NO_TUNNEL);
	w->ctr.arp_replies++;
	tf_tx(w, in, m);
}

/*
 * tf_local4 handles IPv4 addressed to the gateway that is not a tunnel:
 * an echo request is answered in place (RFC 792), anything else dropped.
 */
static void
tf_local4(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	  struct rte_mbuf *m, uint32_t ip_hl)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint32_t l3_len = rte_be_to_cpu_16(ip->total_length);
	struct rte_icmp_hdr *icmp;
	uint32_t addr;

	if (ip->next_proto_id != IPPROTO_ICMP)
		return tf_drop(w, in, m, TF_DROP_LOCAL_UNHANDLED);
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
		return tf_drop(w, in, m, TF_DROP_FRAGMENT);
	if (unlikely(l3_len < ip_hl + sizeof(*icmp) ||
		     rte_pktmbuf_data_len(m) < sizeof(*eth) + ip_hl + sizeof(*icmp)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (unlikely(tf_trim(m, sizeof(*eth), l3_len) != 0))
		return tf_drop(w, in, m, TF_DROP_BAD_IP_LENGTH);
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ip_hl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return tf_drop(w, in, m, TF_DROP_LOCAL_UNHANDLED);
	{
		uint16_t sum = 0;	/* RFC 792: over the whole ICMP message */

		if (tf_raw_cksum_mbuf(m, sizeof(*eth) + ip_hl, l3_len - ip_hl, &sum) != 0 ||
		    sum != 0xffff)
			return tf_drop(w, in, m, TF_DROP_BAD_ICMP_CHECKSUM);
	}

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = tf_csum_update16(icmp->icmp_cksum,
					    RTE_BE16(RTE_IP_ICMP_ECHO_REQUEST << 8),
					    RTE_BE16(RTE_IP_ICMP_ECHO_REPLY << 8));
	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&t->port[in].mac, &eth->src_addr);
	tf_note(w, TF_ACT_REPLY, TF_NO_TUNNEL);
	w->ctr.echo_replies++;
	tf_tx(w, in, m);
}

static inline int
tf_port_has6(const struct tf_port *p, const uint8_t *addr)
{
	uint16_t i;

	for (i = 0; i < p->nb_addr6; i++)
		if (tf_same6(p->addr6[i], addr))
			return 1;
	return 0;
}

#define TF_ND_NS	135
#define TF_ND_NA	136
#define TF_ND_OPT_SLLA	1
#define TF_ND_OPT_TLLA	2
#define TF_NA_R		0x80000000u	/* sender is a router */
#define TF_NA_S		0x40000000u	/* solicited */
#define TF_NA_O		0x20000000u	/* override */
#define TF_NA_LEN	32		/* NA with a target link-layer address option */

/*
 * tf_nd_ns answers a Neighbour Solicitation for one of the port's addresses
 * with a Neighbour Advertisement (RFC 4861 sections 7.1.1 and 7.2.4), built
 * in m's first segment.
 */
static void
tf_nd_ns(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	 const struct tf_outer *o)
{
	const struct tf_port *p = &t->port[in];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	const uint8_t *icmp = rte_pktmbuf_mtod_offset(m, const uint8_t *, o->l4_off);
	static const uint8_t unspec[16];
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
	uint8_t target[16], *na;
	uint32_t off, len = o->l4_len, flags;
	int dad, slla = 0;
	uint16_t sum;

	if (ip6->hop_limits != 255 || icmp[1] != 0 || len < 24)
		return tf_drop(w, in, m, TF_DROP_BAD_ND);
	memcpy(target, icmp + 8, 16);
	if (target[0] == 0xff)
		return tf_drop(w, in, m, TF_DROP_BAD_ND);
	for (off = 24; off < len; ) {	/* options: type, length in 8-byte units, all contiguous */
		if (len - off < 2 || icmp[off + 1] == 0 || len - off < icmp[off + 1] * 8u)
			return tf_drop(w, in, m, TF_DROP_BAD_ND);
		slla |= icmp[off] == TF_ND_OPT_SLLA;
		off += icmp[off + 1] * 8u;
	}
	dad = tf_same6(ip6->src_addr, unspec);
	if (dad && (ip6->dst_addr[0] != 0xff || slla))
		return tf_drop(w, in, m, TF_DROP_BAD_ND);
	if (!tf_port_has6(p, target))
		return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);

	/* the reply: one segment of 14 + 40 + 32 bytes */
	if (m->nb_segs > 1) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
	}
	if (m->data_len < RTE_ETHER_HDR_LEN + sizeof(*ip6) + TF_NA_LEN) {
		if (rte_pktmbuf_append(m, RTE_ETHER_HDR_LEN + sizeof(*ip6) + TF_NA_LEN - m->data_len) == NULL)
			return tf_drop(w, in, m, TF_DROP_NO_HEADROOM);
	} else {
		rte_pktmbuf_trim(m, m->data_len - (RTE_ETHER_HDR_LEN + sizeof(*ip6) + TF_NA_LEN));
	}
	if (dad) {	/* 7.2.4: to all-nodes, not solicited */
		memcpy(ip6->dst_addr, all_nodes, 16);
		flags = TF_NA_R | TF_NA_O;
		eth->dst_addr = (struct rte_ether_addr){ { 0x33, 0x33, 0, 0, 0, 1 } };
	} else {
		memcpy(ip6->dst_addr, ip6->src_addr, 16);
		flags = TF_NA_R | TF_NA_S | TF_NA_O;
		rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	}
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	memcpy(ip6->src_addr, target, 16);
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = RTE_BE16(TF_NA_LEN);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	na = (uint8_t *)(ip6 + 1);
	na[0] = TF_ND_NA;
	na[1] = 0;
	na[2] = na[3] = 0;
	tf_store32(na + 4, rte_cpu_to_be_32(flags));
	memcpy(na + 8, target, 16);
	na[24] = TF_ND_OPT_TLLA;
	na[25] = 1;
	memcpy(na + 26, &p->mac, RTE_ETHER_ADDR_LEN);
	sum = __rte_raw_cksum_reduce(__rte_raw_cksum(na, TF_NA_LEN, 0) +
				     tf_ipv6_phdr_sum(ip6, TF_NA_LEN, IPPROTO_ICMPV6));
	sum = (uint16_t)~sum;
	memcpy(na + 2, &sum, 2);
	tf_note(w, TF_ACT_REPLY, TF_NO_TUNNEL);
	w->ctr.nd_replies++;
	tf_tx(w, in, m);
}

/*
 * tf_local6 handles ICMPv6 addressed to the gateway: Neighbour Solicitations
 * and echo requests (RFC 4443 4.1) are answered, anything else dropped.
 */
static void
tf_local6(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	  const struct tf_outer *o)
{
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
	uint8_t *icmp;
	uint8_t addr[16];

	if (unlikely(o->l4_len < 4 || rte_pktmbuf_data_len(m) < o->l4_off + 4))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, o->l4_off);
	if (icmp[0] != TF_ND_NS && icmp[0] != 128)
		return tf_drop(w, in, m, TF_DROP_LOCAL_UNHANDLED);
	if (unlikely(rte_pktmbuf_data_len(m) < o->l4_off + RTE_MIN(o->l4_len, 24u)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);	/* NS: fixed part contiguous */
	if (tf_l4_cksum_bad(m, o, IPPROTO_ICMPV6))
		return tf_drop(w, in, m, TF_DROP_BAD_ICMP_CHECKSUM);
	if (icmp[0] == TF_ND_NS) {
		if (unlikely(rte_pktmbuf_data_len(m) < o->l4_off + o->l4_len))
			return tf_drop(w, in, m, TF_DROP_TRUNCATED);	/* options read in place */
		return tf_nd_ns(w, t, in, m, o);
	}
	/* echo request to a unicast address, without extension headers */
	if (icmp[1] != 0 || o->l4_len < 8 || ip6->dst_addr[0] == 0xff ||
	    o->l4_off != RTE_ETHER_HDR_LEN + sizeof(*ip6))
		return tf_drop(w, in, m, TF_DROP_LOCAL_UNHANDLED);
	icmp[0] = 129;
	{
		uint16_t c;

		memcpy(&c, icmp + 2, 2);
		c = tf_csum_update16(c, RTE_BE16(128 << 8), RTE_BE16(129 << 8));
		memcpy(icmp + 2, &c, 2);
	}
	memcpy(addr, ip6->src_addr, 16);
	memcpy(ip6->src_addr, ip6->dst_addr, 16);
	memcpy(ip6->dst_addr, addr, 16);
	ip6->hop_limits = 64;
	{
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
		rte_ether_addr_copy(&t->port[in].mac, &eth->src_addr);
	}
	tf_note(w, TF_ACT_REPLY, TF_NO_TUNNEL);
	w->ctr.echo_replies++;
	tf_tx(w, in, m);
}

/* tf_cksum20_check is tf_cksum20_ok for the tests (dataplane/cksum_test.go). */
int tf_cksum20_check(const void *p);
int
tf_cksum20_check(const void *p)
{
	return tf_cksum20_ok(p);
}
