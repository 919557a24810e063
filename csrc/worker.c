//go:build ignore

/*
 * worker.c - the poll-mode loop and the classifier.
 *
 * Each iteration of tf_worker_main:
 *  1. loads the published table (one acquire load; used only inside the iteration),
 *  2. rx-bursts every (port, queue) of this worker,
 *  3. runs the burst through the loop of its port's kind (tf_burst_routed,
 *     tf_burst_l2, tf_burst_underlay): stages over the whole burst that
 *     finish the common shapes inline, and hand every other mbuf, untouched,
 *     to the classifier (tf_rx_underlay or tf_rx_inner) and a protocol file,
 *     which transmits or drops it (tf_burst_each, one by one, when tapping),
 *  4. flushes the tx buffers and bulk-frees the burst's drops,
 *  5. reports an RCU quiescent state (and goes offline while it sleeps).
 */
#include <unistd.h>

#include <rte_arp.h>
#include <rte_esp.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "tf.h"
#include "tf_pkt.h"

#define TF_DROP_NAME(e, name, help) name,
#define TF_DROP_HELP(e, name, help) help,
static const char *const tf_drop_names[] = { TF_DROP_LIST(TF_DROP_NAME) };
static const char *const tf_drop_helps[] = { TF_DROP_LIST(TF_DROP_HELP) };

const char *
tf_drop_name(unsigned int reason)
{
	return reason < TF_DROP_MAX ? tf_drop_names[reason] : "?";
}

const char *
tf_drop_help(unsigned int reason)
{
	return reason < TF_DROP_MAX ? tf_drop_helps[reason] : "?";
}

/*
 * Unicast to the port's MAC; broadcast and multicast only for ARP and IPv6
 * (Neighbour Solicitations go to solicited-node multicast; no multicast routing).
 */
static inline int
tf_l2_for_us(const struct tf_port *p, const struct rte_ether_hdr *eth)
{
	if (rte_is_same_ether_addr(&eth->dst_addr, &p->mac))
		return 1;
	return rte_is_multicast_ether_addr(&eth->dst_addr) &&
	       (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) ||
		eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6));
}

/* tf_rx_l4 hands a frame addressed to the gateway to its protocol. */
static inline void
tf_rx_l4(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	 const struct tf_outer *o, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_GRE:
		return tf_gre_decap(w, t, in, m, o);
	case IPPROTO_ESP:
		return tf_esp_decap(w, t, in, m, o);
	case IPPROTO_UDP: {
		const struct rte_udp_hdr *udp;
		uint16_t i;

		if (unlikely(o->l4_len < sizeof(*udp) ||
			     rte_pktmbuf_data_len(m) < o->l4_off + sizeof(*udp)))
			return tf_drop(w, in, m, TF_DROP_TRUNCATED);
		udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, o->l4_off);
		for (i = 0; i < t->nb_udp; i++) {
			if (udp->dst_port != rte_cpu_to_be_16(t->udp[i].port))
				continue;
			switch (t->udp[i].type) {
			case TF_TUN_VXLAN:
				return tf_vxlan_decap(w, t, in, m, o);
			case TF_TUN_L2TPV2:
			case TF_TUN_L2TPV3:
				return tf_l2tp_udp_decap(w, t, in, m, o, t->udp[i].l2tp);
			case TF_TUN_ESP:
				if (o->af == 4)
					return tf_esp_decap(w, t, in, m, o);
				break;
			}
		}
		return tf_drop(w, in, m, TF_DROP_LOCAL_UNHANDLED);
	}
	case TF_IPPROTO_L2TP:
		return tf_l2tpv3_ip_decap(w, t, in, m, o);
	case IPPROTO_ICMPV6:
		if (o->af == 6)
			return tf_local6(w, t, in, m, o);
		return tf_drop(w, in, m, TF_DROP_LOCAL_UNHANDLED);
	default:
		if (o->af == 4)	/* ICMP echo, or local_unhandled */
			return tf_local4(w, t, in, m, o->l4_off - RTE_ETHER_HDR_LEN);
		return tf_drop(w, in, m, TF_DROP_LOCAL_UNHANDLED);
	}
}

/* Underlay IPv4 to a local address: a tunnel protocol or echo. */
static inline void
tf_rx_ip4(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	struct tf_outer o;
	uint32_t l3_len;
	int hl;

	hl = tf_ipv4_check(ip, rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN,
			   rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN);
	if (unlikely(hl < 0))
		return tf_drop(w, in, m, (enum tf_drop)-hl);
	if (!tf_is_local4(t, ip->dst_addr))
		return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
		return tf_drop(w, in, m, TF_DROP_FRAGMENT);
	l3_len = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tf_trim(m, RTE_ETHER_HDR_LEN, l3_len) != 0))
		return tf_drop(w, in, m, TF_DROP_BAD_IP_LENGTH);
	o.ip = ip;
	o.af = 4;
	o.tos = ip->type_of_service;
	o.l4_off = RTE_ETHER_HDR_LEN + (uint32_t)hl;
	o.l4_len = l3_len - (uint32_t)hl;
	tf_rx_l4(w, t, in, m, &o, ip->next_proto_id);
}

/* Solicited-node multicast ff02::1:ffXX:XXXX (RFC 4291 2.7.1) of a local address. */
static inline int
tf_is_our_snma(const struct tf_table *t, const uint8_t *a)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	uint16_t i;

	if (memcmp(a, pfx, sizeof(pfx)) != 0)
		return 0;
	for (i = 0; i < t->nb_local6; i++)
		if (memcmp(t->local6[i] + 13, a + 13, 3) == 0)
			return 1;
	return 0;
}

/*
 * tf_ip6_parse validates the IPv6 header at offset 14 of m, trims padding
 * and walks the extension headers a host must process before the upper
 * layer (hop-by-hop and destination options, a routing header with no
 * segments left: RFC 8200 section 4). Fills o and *proto; 0 or a drop reason.
 */
static inline int
tf_ip6_parse(struct rte_mbuf *m, struct tf_outer *o, uint8_t *proto)
{
	const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *,
								 RTE_ETHER_HDR_LEN);
	uint32_t end, off = RTE_ETHER_HDR_LEN + sizeof(*ip6);
	uint8_t nh = ip6->proto;
	int n;

	if (unlikely(rte_pktmbuf_data_len(m) < off))
		return TF_DROP_TRUNCATED;
	if (unlikely((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6))
		return TF_DROP_BAD_IP_HEADER;
	end = off + rte_be_to_cpu_16(ip6->payload_len);
	if (unlikely(end > rte_pktmbuf_pkt_len(m)))
		return TF_DROP_BAD_IP_LENGTH;
	if (unlikely(tf_trim(m, RTE_ETHER_HDR_LEN, end - RTE_ETHER_HDR_LEN) != 0))
		return TF_DROP_BAD_IP_LENGTH;
	for (n = 0; n < 8; n++) {
		const uint8_t *x;
		uint32_t xl;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_DSTOPTS && nh != IPPROTO_ROUTING)
			break;
		if (nh == IPPROTO_HOPOPTS && n != 0)	/* only right after the IPv6 header */
			return TF_DROP_BAD_IPV6_EXT;
		if (unlikely(end < off + 8 || rte_pktmbuf_data_len(m) < off + 8))
			return TF_DROP_TRUNCATED;
		x = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
		xl = (x[1] + 1u) * 8;
		if (unlikely(end < off + xl || rte_pktmbuf_data_len(m) < off + xl))
			return TF_DROP_TRUNCATED;
		/*
		 * Options are skipped whatever their type: a gateway that terminates
		 * tunnels carries no option it must act on. A routing header with
		 * segments left is not ours to follow (SRv6 SIDs are matched before).
		 */
		if (nh == IPPROTO_ROUTING && x[3] != 0)
			return TF_DROP_BAD_IPV6_EXT;
		nh = x[0];
		off += xl;
	}
	if (nh == IPPROTO_FRAGMENT)
		return TF_DROP_FRAGMENT;
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS || nh == IPPROTO_ROUTING)
		return TF_DROP_BAD_IPV6_EXT;	/* more than 8 extension headers */
	o->ip = ip6;
	o->af = 6;
	o->tos = (uint8_t)(rte_be_to_cpu_32(ip6->vtc_flow) >> 20);
	o->l4_off = off;
	o->l4_len = end - off;
	*proto = nh;
	return 0;
}

/* Underlay IPv6 to a local address (or its solicited-node group): a tunnel protocol, ND, echo. */
static inline void
tf_rx_ip6(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m)
{
	const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *,
								 RTE_ETHER_HDR_LEN);
	struct tf_outer o;
	uint8_t proto;
	int r;

	if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(*ip6)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (unlikely((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6))
		return tf_drop(w, in, m, TF_DROP_BAD_IP_HEADER);
	/* SIDs first: their routing header has segments left, which tf_ip6_parse refuses */
	if (t->nb_sids != 0 && tf_srv6_input(w, t, in, m) == 0)
		return;
	if (!tf_is_local6(t, ip6->dst_addr) && !tf_is_our_snma(t, ip6->dst_addr))
		return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);
	r = tf_ip6_parse(m, &o, &proto);
	if (unlikely(r != 0))
		return tf_drop(w, in, m, (enum tf_drop)r);
	if (ip6->dst_addr[0] == 0xff && proto != IPPROTO_ICMPV6)
		return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);	/* multicast: ND only */
	tf_rx_l4(w, t, in, m, &o, proto);
}

/* Underlay: ARP, IPv4 and IPv6 to a local address. */
static inline void
tf_rx_underlay(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	       struct rte_mbuf *m)
{
	const struct tf_port *p = &t->port[in];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (!tf_l2_for_us(p, eth))
		return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return tf_rx_ip4(w, t, in, m);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return tf_rx_ip6(w, t, in, m);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return tf_arp(w, t, in, m);
	default:
		return tf_drop(w, in, m, TF_DROP_UNSUPPORTED);
	}
}

/* Inner, bridged port: every frame goes into the L2 tunnel of its VLAN. */
static inline void
tf_rx_l2(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m)
{
	const struct tf_port *p = &t->port[in];
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint16_t ti, vid = 0;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		const struct rte_vlan_hdr *vh = (const void *)(eth + 1);

		if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*vh)))
			return tf_drop(w, in, m, TF_DROP_TRUNCATED);
		/* VID 0 is a priority tag (802.1Q): the frame is untagged, carried as is */
		vid = rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
	}
	if (vid != 0) {
		ti = p->l2_vlan[vid];
		if (ti == TF_NO_TUNNEL)
			return tf_drop(w, in, m, TF_DROP_NO_L2_BINDING);
		/* strip the tag: the VNI stands for the VLAN across the tunnel */
		memmove(rte_pktmbuf_mtod_offset(m, uint8_t *, 4),
			rte_pktmbuf_mtod(m, uint8_t *), 2 * RTE_ETHER_ADDR_LEN);
		rte_pktmbuf_adj(m, 4);
	} else {
		ti = p->l2_untagged;
		if (ti == TF_NO_TUNNEL)
			return tf_drop(w, in, m, TF_DROP_NO_L2_BINDING);
	}
	tf_l2_encap(w, &t->tunnels[ti], in, m);
}

/* Inner IPv6: ND and echo for the gateway's addresses, everything else routed. */
static inline void
tf_rx_inner6(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m)
{
	const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *,
								 RTE_ETHER_HDR_LEN);
	struct tf_outer o;
	uint8_t proto;
	int r;

	if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(*ip6)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (likely(!tf_is_local6(t, ip6->dst_addr) && !tf_is_our_snma(t, ip6->dst_addr))) {
		if (ip6->dst_addr[0] == 0xff)
			return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);	/* no multicast routing */
		return tf_l3_forward(w, t, in, m, RTE_BE16(RTE_ETHER_TYPE_IPV6), -1);
	}
	r = tf_ip6_parse(m, &o, &proto);
	if (unlikely(r != 0))
		return tf_drop(w, in, m, (enum tf_drop)r);
	if (proto != IPPROTO_ICMPV6)
		return tf_drop(w, in, m, TF_DROP_LOCAL_UNHANDLED);
	tf_local6(w, t, in, m, &o);
}

/* Inner, routed port: ARP, ND and echo for the gateway, IP routed. */
static inline void
tf_rx_inner(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	    struct rte_mbuf *m)
{
	const struct tf_port *p = &t->port[in];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (p->l2)
		return tf_rx_l2(w, t, in, m);
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (!tf_l2_for_us(p, eth))
		return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return tf_arp(w, t, in, m);
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return tf_l3_forward(w, t, in, m, eth->ether_type, -1);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return tf_rx_inner6(w, t, in, m);
	default:
		return tf_drop(w, in, m, TF_DROP_UNSUPPORTED);
	}
}

static void
tf_flush_all(struct tf_worker *w, const struct tf_table *t)
{
	uint16_t i;

	for (i = 0; i < t->nb_ports; i++)
		tf_tx_flush(w, i);
	if (w->nb_free > 0) {
		rte_pktmbuf_free_bulk(w->free, w->nb_free);
		w->nb_free = 0;
	}
}

/* tf_tap_begin takes a record for m if its port is tapped and the ring has room. */
static void
tf_tap_begin(struct tf_worker *w, uint16_t in, struct rte_mbuf *m)
{
	struct tf_tap *tap = &w->tap;
	struct tf_tap_rec *r;
	uint32_t left = __atomic_load_n(&tap->left, __ATOMIC_ACQUIRE);

	if (left == 0 || !(tap->port_mask & (1u << in)) ||
	    tap->head - __atomic_load_n(&tap->tail, __ATOMIC_ACQUIRE) >= TF_TAP_SLOTS)
		return;
	/* Go may disarm concurrently: only the worker decrements, Go only zeroes */
	if (!__atomic_compare_exchange_n(&tap->left, &left, left - 1, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	r = &tap->recs[tap->head % TF_TAP_SLOTS];
	r->tsc = rte_rdtsc();
	r->pkt_len = rte_pktmbuf_pkt_len(m);
	r->cap_len = (uint16_t)RTE_MIN(r->pkt_len, (uint32_t)TF_TAP_SNAP);
	r->in_port = in;
	r->out_port = 0xffff;
	r->tunnel = TF_NO_TUNNEL;
	r->action = TF_ACT_NONE;
	r->reason = 0;
	{
		/* rte_pktmbuf_read returns a pointer into m when the bytes are contiguous */
		const void *p = rte_pktmbuf_read(m, 0, r->cap_len, r->data);

		if (p != NULL && p != r->data)
			rte_memcpy(r->data, p, r->cap_len);
	}
	w->tr = r;
}

/* tf_burst_each: one packet at a time, through the classifier (tapping when armed). */
static void
tf_burst_each(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	      struct rte_mbuf **pkts, uint16_t n)
{
	struct tf_port_ctr *pc = &w->ctr.port[in];
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		pc->rx_bytes += rte_pktmbuf_pkt_len(m);
		if (unlikely(__atomic_load_n(&w->tap.left, __ATOMIC_RELAXED) != 0))
			tf_tap_begin(w, in, m);
		if (t->port[in].side == TF_SIDE_UNDERLAY)
			tf_rx_underlay(w, t, in, m);
		else
			tf_rx_inner(w, t, in, m);
		if (unlikely(w->tr != NULL)) {
			w->tr = NULL;
			__atomic_store_n(&w->tap.head, w->tap.head + 1, __ATOMIC_RELEASE);
		}
	}
}

/*
 * tf_routed_run takes the common burst of a routed port in one pass: when
 * its first packet is plain IPv4 routed into an inline tunnel (GRE, L2TPv2,
 * SRv6), the tunnel's burst encap checks and encapsulates packets from the
 * first on for as long as they go the same way (tf_rrun_ok), and they are
 * counted and queued at once. Returns how many it took (0..n): the burst
 * loop does the rest, which starts with the first packet that differs.
 */
static __rte_always_inline uint16_t
tf_routed_run(struct tf_worker *w, const struct tf_table *t, uint16_t in, const struct tf_eth4 *e4,
	      struct rte_mbuf **pkts, uint16_t n)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(pkts[0], const struct rte_ipv4_hdr *,
								RTE_ETHER_HDR_LEN);
	const struct tf_tunnel *tun;
	const struct tf_route *rt;
	struct tf_rrun r;
	uint64_t bytes = 0;
	uint32_t hop;
	uint16_t k;

	if (!tf_plain4(e4, pkts[0]) || rte_lpm_lookup(t->lpm4, rte_be_to_cpu_32(ip->dst_addr), &hop) != 0)
		return 0;
	rt = &t->routes[hop];
	r.e4 = *e4;
	tf_rsame_of(&r.rs, t, hop);
	r.local = rt->flags & TF_RT_F_LOCAL;
	if (rt->kind == TF_RT_ESP) {
		const struct tf_sa *sa;

		/* staged, not sent: the SA's group sends them after the burst */
		if (t->esp == NULL || rt->idx >= t->esp->nb_sa || t->esp->sa[rt->idx].inner_af != 4)
			return 0;
		sa = &t->esp->sa[rt->idx];
		r.maxlen = tf_sa_inner_mtu(sa) + RTE_ETHER_HDR_LEN;
		r.room = sa->hdr_len + sizeof(struct rte_esp_hdr) + sa->iv_len - RTE_ETHER_HDR_LEN;
		k = tf_esp_encap_burst(w, &r, rt->idx, in, pkts, n, &bytes);
		w->ctr.port[in].rx_bytes += bytes;
		return k;
	}
	if (rt->kind != TF_RT_TUNNEL)
		return 0;
	tun = &t->tunnels[rt->idx];
	if (tun->fast != TF_FAST_GRE4 && tun->fast != TF_FAST_L2TPV2_4 && tun->fast != TF_FAST_SRV6)
		return 0;
	r.maxlen = (uint32_t)tun->mtu + 2 * RTE_ETHER_HDR_LEN - tun->hdr_len;
	r.room = tun->hdr_len - RTE_ETHER_HDR_LEN;
	switch (tun->fast) {
	case TF_FAST_GRE4:
		k = tf_gre_encap_burst(&r, tun, pkts, n, w->ip_id, &bytes);
		w->ip_id += k;
		break;
	case TF_FAST_L2TPV2_4:
		k = tf_l2tpv2_encap_burst(&r, tun, pkts, n, w->ip_id, &bytes);
		w->ip_id += k;
		break;
	default:
		k = tf_srv6_encap_burst(&r, tun, pkts, n, &bytes);	/* no outer IPv4 id */
		break;
	}
	if (k == 0)
		return 0;
	w->ctr.port[in].rx_bytes += bytes;
	w->ctr.tun[tun->slot].encap_pkts += k;
	w->ctr.tun[tun->slot].encap_bytes += bytes - (uint64_t)k * RTE_ETHER_HDR_LEN;
	tf_tx_bulk(w, tun->out_port, pkts, k, bytes + (uint64_t)k * (tun->hdr_len - RTE_ETHER_HDR_LEN));
	return k;
}

/*
 * tf_burst_routed: a routed inner port, in stages over the burst.
 *  1. find the plain IPv4 packets to route (tf_plain4, TTL left):
 *     read-only, every other packet stays as it came;
 *  2. look their destinations up in one bulk LPM pass;
 *  3. in arrival order: GRE, L2TPv2 or SRv6 encap inline for a
 *     TF_FAST_GRE4, TF_FAST_L2TPV2_4 or TF_FAST_SRV6 tunnel within MTU
 *     and headroom, tf_l3_route for any other route, and the full
 *     classifier, untouched, for every other packet and for packets to
 *     the gateway (only a TF_RT_F_LOCAL route can carry one).
 * The outer IPv4 id, the tunnel counters and the tx cursor stay in
 * registers, handed back to w before every call that may use them.
 */
static void
tf_burst_routed(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		struct rte_mbuf **pkts, uint16_t n)
{
	const struct tf_port *p = &t->port[in];
	uint32_t dst[TF_BURST_MAX], hop[TF_BURST_MAX];
	uint64_t fast = 0, bytes = 0;
	struct tf_run run = { NULL, 0, 0 };
	struct tf_txc txc = { NULL, 0, 0, 0 };
	const struct tf_tunnel *last = NULL;
	struct tf_tpl tp = { 0 };
	const struct tf_eth4 e4 = tf_eth4_of(p);
	uint16_t i, id;

	/* the common burst: as many packets as go the first one's way, in one pass */
	i = tf_routed_run(w, t, in, &e4, pkts, n);
	pkts += i;
	n -= i;
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
									RTE_ETHER_HDR_LEN);
		uint32_t len = rte_pktmbuf_pkt_len(m);

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += len;
		dst[i] = 0;
		/* to the gateway or not: seen by the route (TF_RT_F_LOCAL) */
		if (tf_plain4(&e4, m) && ip->time_to_live > 1) {
			dst[i] = rte_be_to_cpu_32(ip->dst_addr);
			fast |= 1ull << i;
		}
	}
	w->ctr.port[in].rx_bytes += bytes;
	if (fast == 0) {
		for (i = 0; i < n; i++)
			tf_rx_inner(w, t, in, pkts[i]);
		return;
	}
	rte_lpm_lookup_bulk(t->lpm4, dst, hop, n);
	id = w->ip_id;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t l3_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
								  RTE_ETHER_HDR_LEN);

		if ((fast >> i & 1) && (hop[i] & RTE_LPM_LOOKUP_SUCCESS) &&
		    !((t->routes[hop[i] & 0xffffff].flags & TF_RT_F_LOCAL) && tf_is_local4(t, ip->dst_addr))) {
			const struct tf_route *rt = &t->routes[hop[i] & 0xffffff];

			if (rt->kind == TF_RT_TUNNEL) {
				const struct tf_tunnel *tun = &t->tunnels[rt->idx];

				if (tun != last) {
					last = tun;
					tp = tf_tpl_of(tun);
					if (tun->fast != TF_FAST_GRE4 && tun->fast != TF_FAST_L2TPV2_4 &&
					    tun->fast != TF_FAST_SRV6)
						tp.hdr_len = 0;	/* not inline */
				}
				if (tp.hdr_len != 0 && l3_len + tp.hdr_len - RTE_ETHER_HDR_LEN <= tp.mtu &&
				    rte_pktmbuf_headroom(m) >= tp.hdr_len - RTE_ETHER_HDR_LEN) {
					tf_ttl4_dec(ip);
					if (tp.fast == TF_FAST_SRV6)
						tf_srv6_encap_fast(&tp, m, l3_len + tp.hdr_len - RTE_ETHER_HDR_LEN);
					else if (tp.fast == TF_FAST_GRE4)
						tf_gre_encap_fast(&tp, m, l3_len + tp.hdr_len - RTE_ETHER_HDR_LEN, id++);
					else
						tf_l2tpv2_encap_fast(&tp, m, l3_len + tp.hdr_len - RTE_ETHER_HDR_LEN, id++);
					tf_run_add(&run, &w->ctr.tun[tp.slot].encap_pkts, l3_len);
					tf_txc_put(w, &txc, tp.out_port, m);
					continue;
				}
			}
			tf_txc_sync(&txc);
			w->ip_id = id;
			tf_ttl4_dec(ip);
			tf_l3_route(w, t, in, m, RTE_BE16(RTE_ETHER_TYPE_IPV4), l3_len, hop[i] & 0xffffff);
		} else {
			tf_txc_sync(&txc);
			w->ip_id = id;
			tf_rx_inner(w, t, in, m);
		}
		id = w->ip_id;
	}
	tf_txc_sync(&txc);
	w->ip_id = id;
	tf_run_end(&run);
}

/*
 * tf_burst_l2: a bridged inner port. Untagged frames into a TF_FAST_VXLAN4
 * or TF_FAST_L2TPV3_4 tunnel within MTU and headroom are encapsulated
 * inline; every other frame takes the full classifier, untouched.
 */
static void
tf_burst_l2(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	    struct rte_mbuf **pkts, uint16_t n)
{
	const struct tf_port *p = &t->port[in];
	struct tf_txc txc = { NULL, 0, 0, 0 };
	struct tf_tpl tp = { 0 };
	uint64_t bytes = 0, enc = 0, enc_bytes = 0;
	uint16_t i, id = w->ip_id;

	if (p->l2_untagged != TF_NO_TUNNEL && t->tunnels[p->l2_untagged].fast == TF_FAST_L2TPV3_4) {
		/* the common burst, checked as it is encapsulated */
		if (tf_l2tpv3_encap_burst(w, in, &t->tunnels[p->l2_untagged], pkts, n))
			return;
		tp = tf_tpl_of(&t->tunnels[p->l2_untagged]);
	} else if (p->l2_untagged != TF_NO_TUNNEL && t->tunnels[p->l2_untagged].fast == TF_FAST_VXLAN4) {
		/* the common burst, checked as it is encapsulated */
		if (tf_vxlan_encap_burst(w, in, &t->tunnels[p->l2_untagged], pkts, n))
			return;
		tp = tf_tpl_of(&t->tunnels[p->l2_untagged]);
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		uint32_t len = rte_pktmbuf_pkt_len(m);

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += len;
		/* tp.hdr_len is 0 without an inline tunnel: the MTU test then fails */
		if (rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN &&
		    eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_VLAN) &&
		    len + tp.hdr_len - RTE_ETHER_HDR_LEN <= tp.mtu && tp.hdr_len != 0 &&
		    rte_pktmbuf_headroom(m) >= tp.hdr_len) {
			if (tp.fast == TF_FAST_VXLAN4)
				tf_vxlan_encap_fast(&tp, m, len + tp.hdr_len - RTE_ETHER_HDR_LEN, id++);
			else
				tf_l2tpv3_encap_fast(&tp, m, len + tp.hdr_len - RTE_ETHER_HDR_LEN, id++);
			enc++;
			enc_bytes += len;
			tf_txc_put(w, &txc, tp.out_port, m);
			continue;
		}
		tf_txc_sync(&txc);
		w->ip_id = id;
		tf_rx_inner(w, t, in, m);
		id = w->ip_id;
	}
	tf_txc_sync(&txc);
	w->ip_id = id;
	w->ctr.port[in].rx_bytes += bytes;
	if (enc > 0) {
		w->ctr.tun[tp.slot].encap_pkts += enc;
		w->ctr.tun[tp.slot].encap_bytes += enc_bytes;
	}
}

/* The first stage's verdicts in tf_burst_underlay. */
enum { TF_FV_FULL = 0, TF_FV_GRE, TF_FV_VXLAN, TF_FV_ESP, TF_FV_L2TPV2, TF_FV_L2TPV3 };

/*
 * tf_underlay_verdict: the first stage of tf_burst_underlay for one frame,
 * read-only: TF_FV_GRE or TF_FV_VXLAN with the tunnel in *ti (and for GRE
 * the outer IPv4 + GRE length in *strip) when tf_gre_decap_peek or
 * tf_vxlan_decap_peek takes it, TF_FV_L2TPV2 (stripped and routed as GRE)
 * or TF_FV_L2TPV3 (bridged, *strip: the bytes before the inner frame) when
 * an L2TP peek does, TF_FV_ESP for ESP to a local address, else
 * TF_FV_FULL (*ti -1).
 */
static __rte_always_inline int
tf_underlay_verdict(struct tf_worker *w, const struct tf_table *t, const struct tf_eth4 *e4,
		    const struct rte_mbuf *m, int *ti, uint32_t *strip)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								RTE_ETHER_HDR_LEN);

	*ti = -1;
	if (!tf_plain4(e4, m) || !tf_is_local4(t, ip->dst_addr) ||
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
		return TF_FV_FULL;
	if (ip->next_proto_id == IPPROTO_GRE) {
		*ti = tf_gre_decap_peek(w, t, m, strip);
		return *ti >= 0 ? TF_FV_GRE : TF_FV_FULL;
	}
	if (ip->next_proto_id == IPPROTO_ESP)
		return TF_FV_ESP;	/* tf_plain4 did all tf_rx_ip4 would */
	if (ip->next_proto_id == TF_IPPROTO_L2TP) {
		*ti = tf_l2tp_ip_decap_peek(w, t, m, strip);
		return *ti >= 0 ? TF_FV_L2TPV3 : TF_FV_FULL;
	}
	if (ip->next_proto_id == IPPROTO_UDP &&
	    rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(struct rte_udp_hdr)) {
		rte_be16_t dport = ((const struct rte_udp_hdr *)(ip + 1))->dst_port;
		uint16_t u;

		/* the first UDP protocol of that port decides, as in tf_rx_l4 */
		for (u = 0; u < t->nb_udp && dport != rte_cpu_to_be_16(t->udp[u].port); u++)
			;
		if (u < t->nb_udp && t->udp[u].type == TF_TUN_ESP)
			return TF_FV_ESP;	/* ESP in UDP (RFC 3948): staged as tf_rx_l4 would */
		if (u < t->nb_udp && t->udp[u].type == TF_TUN_VXLAN) {
			*ti = tf_vxlan_decap_peek(w, t, m);
			return *ti >= 0 ? TF_FV_VXLAN : TF_FV_FULL;
		}
		if (u < t->nb_udp && (t->udp[u].type == TF_TUN_L2TPV2 || t->udp[u].type == TF_TUN_L2TPV3)) {
			*ti = tf_l2tp_udp_decap_peek(w, t, m, t->udp[u].l2tp, strip);
			if (*ti < 0)
				return TF_FV_FULL;
			return t->tunnels[*ti].type == TF_TUN_L2TPV2 ? TF_FV_L2TPV2 : TF_FV_L2TPV3;
		}
	}
	return TF_FV_FULL;
}

/*
 * tf_burst_underlay: an underlay port. The common burst, frames like its
 * first into one tunnel, SA or SID, is taken from the first frame on by
 * that protocol's uniform decap, in one pass, for as long as they are like
 * it; the frames from the first that is not, or a burst whose first frame
 * none takes, go in stages:
 *  1. find the plain IPv4 frames to a local address that are GRE, VXLAN or
 *     L2TP the protocol files would decapsulate as they are
 *     (tf_gre_decap_peek, tf_vxlan_decap_peek, the L2TP peeks), or ESP:
 *     read-only, every other frame stays as it came;
 *  2. look the inner destinations of the GRE and L2TPv2 ones up in one bulk
 *     LPM pass;
 *  3. in arrival order: strip, count and route or bridge those inline
 *     (a next hop inline, any other route through tf_l3_route), stage the
 *     ESP ones straight in esp.c (tf_esp_decap: the classifier would only
 *     check again what tf_plain4 checked), and hand every other frame,
 *     untouched, to the full classifier.
 */
static void
tf_burst_underlay(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		  struct rte_mbuf **pkts, uint16_t n)
{
	const struct tf_port *p = &t->port[in];
	uint32_t dst[TF_BURST_MAX], hop[TF_BURST_MAX];
	uint16_t tix[TF_BURST_MAX];
	uint8_t kind[TF_BURST_MAX], strip[TF_BURST_MAX];
	struct tf_run run = { NULL, 0, 0 };
	struct tf_txc txc = { NULL, 0, 0, 0 };
	uint64_t bytes = 0, routed = 0;
	const struct tf_eth4 e4 = tf_eth4_of(p);
	int gre = 0, ti;
	uint32_t s;
	uint16_t i;

	i = (uint16_t)tf_underlay_verdict(w, t, &e4, pkts[0], &ti, &s);
	/* the common burst: frames like its first, taken from the first on, as long as they are like it */
	if (i == TF_FV_VXLAN)
		i = tf_vxlan_decap_burst(w, t, in, pkts, n, ti);
	else if (i == TF_FV_L2TPV3)
		i = tf_l2tpv3_decap_burst(w, t, in, pkts, n, ti, s);
	else if (i == TF_FV_GRE)
		i = tf_gre_decap_burst(w, t, in, pkts, n, ti, s);
	else if (i == TF_FV_L2TPV2)
		i = tf_l2tpv2_decap_burst(w, t, in, pkts, n, ti, s);
	else if (i == TF_FV_ESP)	/* staged for the SA, not sent yet */
		i = tf_esp_decap_burst(w, t, in, &e4, pkts, n);
	else if (i == TF_FV_FULL && t->nb_sids != 0)
		i = tf_srv6_decap_burst(w, t, in, pkts, n);
	else
		i = 0;
	pkts += i;
	n -= i;
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += rte_pktmbuf_pkt_len(m);
		dst[i] = 0;
		tix[i] = 0;
		kind[i] = (uint8_t)tf_underlay_verdict(w, t, &e4, m, &ti, &s);
		if (kind[i] == TF_FV_L2TPV3)
			strip[i] = (uint8_t)s;
		if (kind[i] == TF_FV_GRE || kind[i] == TF_FV_L2TPV2) {
			strip[i] = (uint8_t)s;
			/* the inner destination address: 16 bytes into its header */
			dst[i] = rte_be_to_cpu_32(tf_load32(rte_pktmbuf_mtod(m, const uint8_t *) +
							    RTE_ETHER_HDR_LEN + s + 16));
			gre = 1;
		}
		if (ti >= 0)
			tix[i] = (uint16_t)ti;
	}
	w->ctr.port[in].rx_bytes += bytes;
	if (gre)
		rte_lpm_lookup_bulk(t->lpm4, dst, hop, n);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct tf_tunnel *tun = &t->tunnels[tix[i]];

		if ((kind[i] == TF_FV_GRE || kind[i] == TF_FV_L2TPV2) && (hop[i] & RTE_LPM_LOOKUP_SUCCESS)) {
			const struct tf_route *rt = &t->routes[hop[i] & 0xffffff];
			struct rte_ether_hdr *eth;
			uint32_t l3_len;

			/* keep 14 bytes in front of the inner packet for its new Ethernet header */
			tf_mbuf_strip(m, strip[i]);
			l3_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
			eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			tf_run_add(&run, &w->ctr.tun[tun->slot].decap_pkts, l3_len);
			tf_ttl4_dec((struct rte_ipv4_hdr *)(eth + 1));
			if (rt->kind == TF_RT_NEXTHOP) {
				const struct tf_nexthop *nh = &t->nexthops[rt->idx];

				if (likely(l3_len <= t->port[nh->port].mtu)) {
					rte_ether_addr_copy(&nh->mac, &eth->dst_addr);
					rte_ether_addr_copy(&t->port[nh->port].mac, &eth->src_addr);
					eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
					routed++;
					tf_txc_put(w, &txc, nh->port, m);
					continue;
				}
			}
			eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
			tf_txc_sync(&txc);
			tf_l3_route(w, t, in, m, RTE_BE16(RTE_ETHER_TYPE_IPV4), l3_len, hop[i] & 0xffffff);
		} else if (kind[i] == TF_FV_VXLAN || kind[i] == TF_FV_L2TPV3) {
			const uint32_t hlen = kind[i] == TF_FV_L2TPV3 ? strip[i] :
					      RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) +
					      sizeof(struct rte_udp_hdr) + sizeof(struct tf_vxlan_hdr);

			tf_mbuf_strip(m, hlen);
			tf_run_add(&run, &w->ctr.tun[tun->slot].decap_pkts, rte_pktmbuf_pkt_len(m));
			tf_txc_put(w, &txc, tun->l2_port, m);
		} else if (kind[i] == TF_FV_ESP) {
			const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
										RTE_ETHER_HDR_LEN);
			const struct tf_outer o = {
				.ip = ip, .af = 4, .tos = ip->type_of_service,
				.l4_off = RTE_ETHER_HDR_LEN + sizeof(*ip),
				.l4_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN - sizeof(*ip),
			};

			tf_txc_sync(&txc);
			tf_esp_decap(w, t, in, m, &o);	/* only stages it */
		} else {
			tf_txc_sync(&txc);
			tf_rx_underlay(w, t, in, m);
		}
	}
	tf_txc_sync(&txc);
	w->ctr.routed += routed;
	tf_run_end(&run);
}

static void
tf_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	 struct rte_mbuf **pkts, uint16_t n)
{
	const struct tf_port *p = &t->port[in];

	w->ctr.port[in].rx_pkts += n;
	w->esp.each = __atomic_load_n(&w->tap.left, __ATOMIC_RELAXED) != 0;
	if (unlikely(w->esp.each))
		tf_burst_each(w, t, in, pkts, n);
	else if (p->side == TF_SIDE_UNDERLAY)
		tf_burst_underlay(w, t, in, pkts, n);
	else if (p->l2)
		tf_burst_l2(w, t, in, pkts, n);
	else
		tf_burst_routed(w, t, in, pkts, n);
	/* ESP was only staged above: librte_ipsec works on the burst's groups */
	if (w->esp.n > 0)
		tf_esp_flush(w, t);
}

void
tf_process_burst(struct tf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct tf_table *t = __atomic_load_n(&w->sh->table, __ATOMIC_ACQUIRE);

	if (t == NULL) {
		w->ctr.drop[TF_DROP_NO_TABLE] += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	/* w->free holds TF_BURST_MAX drops: a longer burst would overrun it */
	while (n > 0) {
		uint16_t k = RTE_MIN(n, (uint16_t)TF_BURST_MAX);

		tf_burst(w, t, port, pkts, k);
		tf_flush_all(w, t);
		pkts += k;
		n -= k;
	}
}

int
tf_worker_main(void *arg)
{
	struct tf_worker *w = arg;
	struct tf_shared *sh = w->sh;
	struct rte_mbuf *pkts[TF_BURST_MAX];
	uint16_t burst = w->burst > TF_BURST_MAX ? TF_BURST_MAX : w->burst;

	rte_rcu_qsbr_thread_register(sh->qs, w->id);
	rte_rcu_qsbr_thread_online(sh->qs, w->id);
	while (!__atomic_load_n(&w->quit, __ATOMIC_ACQUIRE)) {
		struct tf_table *t = __atomic_load_n(&sh->table, __ATOMIC_ACQUIRE);
		uint32_t got = 0;
		uint16_t q, n;

		w->ctr.polls++;
		for (q = 0; q < w->nb_rxq; q++) {
			n = rte_eth_rx_burst(w->rxq[q].port, w->rxq[q].queue, pkts, burst);
			if (n == 0)
				continue;
			got += n;
			if (unlikely(t == NULL)) {
				w->ctr.drop[TF_DROP_NO_TABLE] += n;
				rte_pktmbuf_free_bulk(pkts, n);
				continue;
			}
			tf_burst(w, t, w->rxq[q].port, pkts, n);
			tf_flush_all(w, t);
		}
		rte_rcu_qsbr_quiescent(sh->qs, w->id);
		if (got > 0) {
			w->ctr.busy_polls++;
		} else if (w->idle_us > 0) {
			rte_rcu_qsbr_thread_offline(sh->qs, w->id);
			usleep(w->idle_us);
			rte_rcu_qsbr_thread_online(sh->qs, w->id);
		}
	}
	rte_rcu_qsbr_thread_offline(sh->qs, w->id);
	rte_rcu_qsbr_thread_unregister(sh->qs, w->id);
	return 0;
}

void
tf_worker_stop(struct tf_worker *w)
{
	__atomic_store_n(&w->quit, 1, __ATOMIC_RELEASE);
}

void
tf_worker_reset(struct tf_worker *w)
{
	__atomic_store_n(&w->quit, 0, __ATOMIC_RELEASE);
}

int
tf_tap_arm(struct tf_worker *w, uint32_t mask, uint32_t n)
{
	if (w->tap.recs == NULL) {
		w->tap.recs = rte_zmalloc("tf_tap", sizeof(struct tf_tap_rec) * TF_TAP_SLOTS, 64);
		if (w->tap.recs == NULL)
			return -ENOMEM;
	}
	__atomic_store_n(&w->tap.port_mask, mask, __ATOMIC_RELEASE);
	__atomic_store_n(&w->tap.left, n, __ATOMIC_RELEASE);
	return 0;
}

void
tf_tap_disarm(struct tf_worker *w)
{
	__atomic_store_n(&w->tap.left, 0, __ATOMIC_RELEASE);
}

uint32_t
tf_tap_head(struct tf_worker *w)
{
	return __atomic_load_n(&w->tap.head, __ATOMIC_ACQUIRE);
}

void
tf_tap_consume(struct tf_worker *w, uint32_t tail)
{
	__atomic_store_n(&w->tap.tail, tail, __ATOMIC_RELEASE);
}
