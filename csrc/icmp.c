//go:build ignore

/*
 * icmp.c - ICMP and ICMPv6 errors the gateway sends about packets it
 * forwards (RFC 1812 4.3.2, RFC 4443 2.4).
 *
 * A routed packet whose TTL or hop limit runs out gets Time Exceeded; one
 * larger than its next hop or its tunnel carries gets Fragmentation Needed
 * with the MTU (IPv4 with DF: RFC 1191) or Packet Too Big (IPv6: RFC 8201),
 * so path MTU discovery works across tunnels (IPv4 without DF is fragmented
 * instead: frag.c). The error is built in the
 * offending mbuf: its IP header as received and as much of the rest as fits
 * (576 bytes in all for IPv4, 1280 for IPv6) behind a new IP and ICMP
 * header, from the address of the port the packet came in by, then routed
 * like any packet (so an error about a decapsulated packet goes back into
 * its tunnel). Errors share the worker's token bucket with the SRv6 ones
 * (icmp_error_rate, icmp_error_burst). Whenever no error may be sent, the
 * packet is dropped under the reason it would have been.
 */
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_mbuf.h>

#include "tf.h"
#include "tf_pkt.h"

#define TF_ICMP4_UNREACH	3
#define TF_ICMP4_FRAG_NEEDED	4	/* code of TF_ICMP4_UNREACH */
#define TF_ICMP4_TIME_EXCEEDED	11
#define TF_ICMP4_ERR_HDR	(sizeof(struct rte_ipv4_hdr) + 8)
#define TF_ICMP4_ERR_MAX	576	/* RFC 1812 4.3.2.3 */
#define TF_ICMP6_TOO_BIG	2
#define TF_ICMP6_TIME_EXCEEDED	3
#define TF_ICMP6_PARAM_PROBLEM	4
#define TF_IPV6_MIN_MTU		1280
#define TF_ICMP6_ERR_HDR	(sizeof(struct rte_ipv6_hdr) + 8)

/* tf_icmp_allow takes a token from the worker's bucket (no syscall: the TSC). */
static inline int
tf_icmp_allow(struct tf_worker *w, const struct tf_table *t)
{
	uint64_t now = rte_rdtsc();

	if (unlikely(w->icmp_init == 0)) {
		w->icmp_init = 1;
		w->icmp_credit = t->icmp_burst;
		w->icmp_tsc = now;
	}
	if (t->icmp_cost != 0) {
		uint64_t n = (now - w->icmp_tsc) / t->icmp_cost;

		if (n > 0) {
			w->icmp_credit = (uint32_t)RTE_MIN((uint64_t)w->icmp_credit + n,
							   (uint64_t)t->icmp_burst);
			w->icmp_tsc += n * t->icmp_cost;
		}
	}
	if (w->icmp_credit > t->icmp_burst)	/* a new table lowered the burst */
		w->icmp_credit = t->icmp_burst;
	if (w->icmp_credit == 0)
		return 0;
	w->icmp_credit--;
	return 1;
}

/*
 * tf_icmp4_may says whether RFC 1812 4.3.2.7 lets the gateway send an error
 * about the IPv4 packet ip (header of hl bytes at offset 14 of m): not about
 * an ICMP error, a fragment other than the first, a link-layer or IP
 * broadcast or multicast, nor to a source that names no single host.
 */
static int
tf_icmp4_may(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t hl)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(ip->dst_addr);

	if (rte_is_multicast_ether_addr(&eth->dst_addr))
		return 0;
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK))
		return 0;
	if (src == 0 || (src >> 24) == 127 || src >= 0xe0000000u || dst >= 0xe0000000u)
		return 0;	/* 0/8 "this host", loopback, multicast, class E, limited broadcast */
	if (ip->next_proto_id == IPPROTO_ICMP) {
		uint8_t type;

		if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + hl + 1)
			return 0;
		type = *rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN + hl);
		/* queries and replies only: echo, timestamp, information, address mask */
		if (type != 0 && type != 8 && (type < 13 || type > 18))
			return 0;
	}
	return 1;
}

/* tf_icmp4_from: the address errors about packets that came in by port in come from. */
static uint32_t
tf_icmp4_from(const struct tf_table *t, uint16_t in)
{
	if (t->port[in].nb_addr4 != 0)
		return t->port[in].addr4[0];
	return t->nb_local4 != 0 ? t->local4[0] : 0;
}

/*
 * tf_icmp4_error turns the IPv4 packet m (header validated and contiguous
 * at offset 14, padding trimmed; ttl_dec when its TTL was already
 * decremented) into an ICMP error of type/code about itself and routes it.
 * mtu is the next-hop MTU of Fragmentation Needed (RFC 1191), else 0.
 */
static void
tf_icmp4_error(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	       enum tf_drop reason, uint8_t type, uint8_t code, uint16_t mtu, int ttl_dec)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	uint32_t hl = (ip->version_ihl & 0xf) * 4u, len, idx, from, to;
	uint16_t raw = 0, sum;
	uint8_t *icmp;

	if (!tf_icmp4_may(m, ip, hl) || (from = tf_icmp4_from(t, in)) == 0 ||
	    rte_pktmbuf_headroom(m) < TF_ICMP4_ERR_HDR)
		return tf_drop(w, in, m, reason);
	to = ip->src_addr;
	if (rte_lpm_lookup(t->lpm4, rte_be_to_cpu_32(to), &idx) != 0 || !tf_icmp_allow(w, t))
		return tf_drop(w, in, m, reason);
	if (ttl_dec) {	/* quote the header as it came */
		ip->time_to_live++;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	if (len > TF_ICMP4_ERR_MAX - TF_ICMP4_ERR_HDR) {
		len = TF_ICMP4_ERR_MAX - TF_ICMP4_ERR_HDR;
		if (unlikely(tf_trim(m, RTE_ETHER_HDR_LEN, len) != 0))
			return tf_drop(w, in, m, reason);
	}
	ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_prepend(m, TF_ICMP4_ERR_HDR) + RTE_ETHER_HDR_LEN);
	ip->version_ihl = 0x45;
	ip->type_of_service = 0xc0;	/* internetwork control, as routers send errors */
	ip->total_length = rte_cpu_to_be_16((uint16_t)(TF_ICMP4_ERR_HDR + len));
	ip->packet_id = rte_cpu_to_be_16(w->ip_id++);
	ip->fragment_offset = 0;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = from;
	ip->dst_addr = to;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (uint8_t *)(ip + 1);
	icmp[0] = type;
	icmp[1] = code;
	icmp[2] = icmp[3] = icmp[4] = icmp[5] = 0;
	icmp[6] = (uint8_t)(mtu >> 8);
	icmp[7] = (uint8_t)mtu;
	tf_raw_cksum_mbuf(m, RTE_ETHER_HDR_LEN + sizeof(*ip), 8 + len, &raw);	/* just built: in bounds */
	sum = (uint16_t)~raw;
	memcpy(icmp + 2, &sum, 2);
	w->ctr.icmp_err[reason]++;
	tf_note(w, TF_ACT_REPLY, TF_NO_TUNNEL);
	tf_l3_route(w, t, in, m, RTE_BE16(RTE_ETHER_TYPE_IPV4), TF_ICMP4_ERR_HDR + len, idx);
}

/*
 * tf_icmp6_may says whether RFC 4443 2.4 (e) lets the gateway send an error
 * of type about the IPv6 packet at offset 14 of m: never about an ICMPv6
 * error nor to a multicast or unspecified source; about a packet to a
 * multicast group (IP or link layer) only Packet Too Big. The extension
 * headers are walked read-only to find an ICMPv6 header.
 */
static int
tf_icmp6_may(const struct rte_mbuf *m, uint8_t type)
{
	static const uint8_t unspec[16];
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(eth + 1);
	uint32_t off = RTE_ETHER_HDR_LEN + sizeof(*ip6);
	uint8_t nh = ip6->proto;
	int n;

	if (ip6->src_addr[0] == 0xff || memcmp(ip6->src_addr, unspec, 16) == 0)
		return 0;
	if (type != TF_ICMP6_TOO_BIG &&
	    (ip6->dst_addr[0] == 0xff || rte_is_multicast_ether_addr(&eth->dst_addr)))
		return 0;
	for (n = 0; n < 8; n++) {
		const uint8_t *x;

		if (rte_pktmbuf_data_len(m) < off + 8)
			return nh != IPPROTO_ICMPV6 && nh != IPPROTO_HOPOPTS && nh != IPPROTO_DSTOPTS &&
			       nh != IPPROTO_ROUTING && nh != IPPROTO_FRAGMENT;
		x = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
		if (nh == IPPROTO_ICMPV6)
			return x[0] >= 128;	/* informational messages only */
		if (nh == IPPROTO_FRAGMENT) {
			if (x[2] != 0 || (x[3] & 0xf8) != 0)
				return 1;	/* not the first fragment: no upper layer to see */
			off += 8;
		} else if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS || nh == IPPROTO_ROUTING) {
			off += (x[1] + 1u) * 8;
		} else {
			return 1;
		}
		nh = x[0];
	}
	return 0;	/* a chain that long: say nothing */
}

/* tf_icmp6_from: the port's first global address, its first, or the gateway's first. */
static const uint8_t *
tf_icmp6_from(const struct tf_table *t, uint16_t in)
{
	const struct tf_port *p = &t->port[in];
	uint16_t i;

	for (i = 0; i < p->nb_addr6; i++)
		if (p->addr6[i][0] != 0xfe || (p->addr6[i][1] & 0xc0) != 0x80)
			return p->addr6[i];
	if (p->nb_addr6 != 0)
		return p->addr6[0];
	return t->nb_local6 != 0 ? t->local6[0] : NULL;
}

/*
 * tf_icmp6_build turns m (IPv6 at offset 14, header contiguous) into an
 * ICMPv6 error from `from` to its source (RFC 4443 2.4: the invoking packet,
 * as much as fits in 1280 bytes) and returns its IPv6 length; 0 when m
 * cannot hold it (m unchanged). The Ethernet header is left to the caller.
 */
static uint32_t
tf_icmp6_build(struct rte_mbuf *m, const uint8_t *from, uint8_t type, uint8_t code, uint32_t word)
{
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
	uint8_t to[16], src[16];
	uint16_t raw = 0, sum;
	uint8_t *icmp;
	uint32_t len;

	if (rte_pktmbuf_headroom(m) < TF_ICMP6_ERR_HDR)
		return 0;
	memcpy(to, ip6->src_addr, 16);
	memcpy(src, from, 16);	/* from may point into m (the SID) */
	len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	if (len > TF_IPV6_MIN_MTU - TF_ICMP6_ERR_HDR) {
		len = TF_IPV6_MIN_MTU - TF_ICMP6_ERR_HDR;
		if (unlikely(tf_trim(m, RTE_ETHER_HDR_LEN, len) != 0))
			return 0;
	}
	ip6 = (struct rte_ipv6_hdr *)(rte_pktmbuf_prepend(m, TF_ICMP6_ERR_HDR) + RTE_ETHER_HDR_LEN);
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 64;
	memcpy(ip6->src_addr, src, 16);
	memcpy(ip6->dst_addr, to, 16);
	icmp = (uint8_t *)(ip6 + 1);
	icmp[0] = type;
	icmp[1] = code;
	icmp[2] = icmp[3] = 0;
	tf_store32(icmp + 4, rte_cpu_to_be_32(word));
	tf_raw_cksum_mbuf(m, RTE_ETHER_HDR_LEN + sizeof(*ip6), 8 + len, &raw);	/* just built: in bounds */
	sum = (uint16_t)~__rte_raw_cksum_reduce(raw + tf_ipv6_phdr_sum(ip6, 8 + len, IPPROTO_ICMPV6));
	memcpy(icmp + 2, &sum, 2);
	return sizeof(*ip6) + 8 + len;
}

/*
 * tf_icmp6_error (SRv6) turns m into an ICMPv6 error about itself from the
 * SID it was sent to, back out of the port it came from towards the sender's
 * MAC; or, when the rate limit or RFC 4443 2.4 (e) says no, drops it under
 * reason. Either way reason is counted: icmp_err or drop.
 */
static void
tf_icmp6_error(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	       enum tf_drop reason, uint8_t type, uint8_t code, uint32_t word)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	struct rte_ether_addr smac;

	rte_ether_addr_copy(&eth->src_addr, &smac);
	if (!tf_icmp6_may(m, type) || !tf_icmp_allow(w, t) ||
	    tf_icmp6_build(m, ip6->dst_addr, type, code, word) == 0)
		return tf_drop(w, in, m, reason);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&smac, &eth->dst_addr);
	rte_ether_addr_copy(&t->port[in].mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	w->ctr.icmp_err[reason]++;
	tf_note(w, TF_ACT_REPLY, TF_NO_TUNNEL);
	tf_tx(w, in, m);
}

/*
 * tf_icmp6_routed turns the routed IPv6 packet m (hop_dec: hop limit already
 * decremented) into an ICMPv6 error about itself from the address of port
 * in and routes it to the packet's source; or drops it under reason.
 */
static void
tf_icmp6_routed(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
		enum tf_drop reason, uint8_t type, uint8_t code, uint32_t word, int hop_dec)
{
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
	const uint8_t *from = tf_icmp6_from(t, in);
	uint32_t idx, len;

	if (from == NULL || !tf_icmp6_may(m, type) || t->lpm6 == NULL ||
	    rte_lpm6_lookup(t->lpm6, ip6->src_addr, &idx) != 0 || !tf_icmp_allow(w, t))
		return tf_drop(w, in, m, reason);
	if (hop_dec)
		ip6->hop_limits++;	/* quote the header as it came */
	len = tf_icmp6_build(m, from, type, code, word);
	if (len == 0)
		return tf_drop(w, in, m, reason);
	w->ctr.icmp_err[reason]++;
	tf_note(w, TF_ACT_REPLY, TF_NO_TUNNEL);
	tf_l3_route(w, t, in, m, RTE_BE16(RTE_ETHER_TYPE_IPV6), len, idx);
}

/*
 * tf_too_big: the routed packet m (TTL or hop limit decremented) does not
 * fit mtu, on its way via (a next hop, a tunnel or an SA) idx.
 * IPv4 with DF and IPv6 get an error naming the MTU; IPv4 without DF is
 * fragmented (frag.c).
 */
static void
tf_too_big(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	   uint16_t ethertype, uint32_t mtu, enum tf_via via, uint32_t idx)
{
	if (ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
									RTE_ETHER_HDR_LEN);

		if (!(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)))
			return tf_frag4(w, t, in, m, mtu, via, idx);
		return tf_icmp4_error(w, t, in, m, TF_DROP_MTU_EXCEEDED, TF_ICMP4_UNREACH,
				      TF_ICMP4_FRAG_NEEDED, (uint16_t)RTE_MIN(mtu, 0xffffu), 1);
	}
	return tf_icmp6_routed(w, t, in, m, TF_DROP_MTU_EXCEEDED, TF_ICMP6_TOO_BIG, 0, mtu, 1);
}
