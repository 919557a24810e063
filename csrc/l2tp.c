//go:build ignore

/*
 * l2tp.c - L2TP data messages, sessions configured statically:
 *  - L2TPv2 (RFC 2661) over UDP, IPv4 and IPv6 underlays: an L3 tunnel whose
 *    sessions carry PPP-framed IPv4 (0x0021) and IPv6 (0x0057);
 *  - L2TPv3 (RFC 3931) Ethernet pseudowires over IP protocol 115 or over
 *    UDP: an L2 tunnel, bound to an inner port or VLAN like VXLAN.
 *
 * Encap: check the MTU, prepend the template (Ethernet + IP [+ UDP] + L2TP
 * [+ PPP]), patch lengths, the PPP protocol, the L2TPv2 Length field, the
 * L2TPv3 sublayer sequence number and, over IPv6, the UDP checksum.
 * Decap: validate UDP, dispatch on the version word (one UDP port may carry
 * both versions), parse the optional fields against the message and the
 * buffer, look the session up by (remote, local, port, ids), check the
 * cookie, strip and route (v2) or bridge (v3) the inner packet.
 *
 * Control messages (T bit; L2TPv3 session 0 over IP) and PPP negotiation
 * (LCP, IPCP, ...) are counted and dropped: they belong to a control plane.
 * Received sequence numbers (Ns/Nr, the sublayer's) are accepted as they
 * come: no reordering (RFC 2661 and RFC 3931 leave it to the receiver).
 */
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "tf.h"
#include "tf_pkt.h"
#include "tf_wire.h"

/* tf_l2tp_udp_fin patches the UDP length (and over IPv6 the checksum, last) of an encapsulation. */
static inline void
tf_l2tp_udp_fin(const struct tf_tunnel *tun, struct rte_mbuf *m, uint8_t *h, uint32_t outer_len)
{
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(h + tun->l4_off);
	uint32_t udp_len = outer_len - (tun->l4_off - RTE_ETHER_HDR_LEN);

	udp->dgram_len = rte_cpu_to_be_16((uint16_t)udp_len);
	if (tun->af == 6)
		tf_udp6_cksum_set(tun, m, udp, udp_len);
}

static void
tf_l2tpv2_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
		struct rte_mbuf *m, uint16_t ethertype)
{
	uint32_t inner_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	uint32_t outer_len = inner_len + tun->hdr_len - RTE_ETHER_HDR_LEN;
	uint8_t tos = tf_inner_tos(rte_pktmbuf_mtod_offset(m, void *, RTE_ETHER_HDR_LEN), ethertype);
	uint32_t hash = tun->af == 6 ? tf_flow_hash(m, RTE_ETHER_HDR_LEN, ethertype) : 0;
	rte_be16_t proto = ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4) ? RTE_BE16(TF_PPP_IPV4)
								       : RTE_BE16(TF_PPP_IPV6);
	uint8_t *h;

	h = tf_push_outer(w, tun, in, m, RTE_ETHER_HDR_LEN, outer_len, tos, hash);
	if (unlikely(h == NULL))
		return;
	/* the PPP protocol ends the template */
	memcpy(h + tun->hdr_len - 2, &proto, 2);
	if (tun->flags & TF_TUN_F_L2TP_LEN) {	/* the L2TP message: UDP payload */
		rte_be16_t l = rte_cpu_to_be_16((uint16_t)(outer_len - (tun->l4_off - RTE_ETHER_HDR_LEN) -
							   sizeof(struct rte_udp_hdr)));

		memcpy(h + tun->l4_off + sizeof(struct rte_udp_hdr) + 2, &l, 2);
	}
	tf_l2tp_udp_fin(tun, m, h, outer_len);

	tf_encap_count(w, tun, inner_len);
	tf_tx(w, tun->out_port, m);
}

static void
tf_l2tpv3_encap(struct tf_worker *w, const struct tf_tunnel *tun, uint16_t in,
		struct rte_mbuf *m)
{
	uint32_t inner_len = rte_pktmbuf_pkt_len(m);
	uint32_t outer_len = inner_len + tun->hdr_len - RTE_ETHER_HDR_LEN;
	const struct rte_ether_hdr *ieth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint8_t tos = tf_frame_tos(m);
	uint32_t hash;
	uint8_t *h;

	hash = tun->af == 6 ? tf_flow_hash(m, RTE_ETHER_HDR_LEN, ieth->ether_type) : 0;
	h = tf_push_outer(w, tun, in, m, 0, outer_len, tos, hash);
	if (unlikely(h == NULL))
		return;
	if (tun->flags & TF_TUN_F_SEQ)	/* RFC 3931 4.6: S set, 24-bit sequence from 0 */
		tf_store32(h + tun->hdr_len - 4,
			   rte_cpu_to_be_32(TF_L2TP_SEQ_S |
					    (__atomic_fetch_add(&w->sh->gre_seq[tun->slot], 1,
								__ATOMIC_RELAXED) & 0xffffff)));
	if (tun->flags & TF_TUN_F_L2TP_UDP)
		tf_l2tp_udp_fin(tun, m, h, outer_len);

	tf_encap_count(w, tun, inner_len);
	tf_tx(w, tun->out_port, m);
}

/*
 * tf_l2tpv3_decap handles the session header at frame offset off, len bytes
 * of L2TPv3 message from there (RFC 3931 4.1.1.1 over IP; over UDP it
 * follows the flags word, 4.1.2.1); port is the UDP port, 0 over IP.
 * zero6: a zero UDP checksum over IPv6, for the session to accept or not.
 */
static inline void
tf_l2tpv3_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
		const struct tf_outer *o, uint32_t off, uint32_t len, uint16_t port, int zero6)
{
	const struct tf_tunnel *tun;
	const uint8_t *p;
	uint32_t sid, hl;
	int ti;

	if (unlikely(len < 4 || rte_pktmbuf_data_len(m) < off + 4))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	p = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	sid = rte_be_to_cpu_32(tf_load32(p));
	if (sid == 0)	/* 4.1.1.1: session 0 is the control channel over IP */
		return tf_drop(w, in, m, TF_DROP_L2TP_CONTROL);
	ti = tf_decap_find(w, t, o, TF_TUN_L2TPV3, 0, port, sid, 1);
	if (ti < 0)
		return tf_drop(w, in, m, TF_DROP_UNKNOWN_TUNNEL);
	tun = &t->tunnels[ti];
	if (zero6 && !(tun->flags & TF_TUN_F_UDP6_ZERO_RX))
		return tf_drop(w, in, m, TF_DROP_UDP6_ZERO_CSUM);
	hl = 4 + tun->cookie_len + (tun->flags & TF_TUN_F_L2TP_SUBLAYER ? 4 : 0);
	if (unlikely(len < hl + RTE_ETHER_HDR_LEN ||
		     rte_pktmbuf_data_len(m) < off + hl + RTE_ETHER_HDR_LEN))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	/* 4.1: a cookie that does not match is a misdirected or spoofed packet */
	if (memcmp(p + 4, tun->cookie, tun->cookie_len) != 0)
		return tf_drop(w, in, m, TF_DROP_BAD_L2TP_COOKIE);
	if (unlikely(tun->l2_port >= TF_MAX_PORTS))
		return tf_drop(w, in, m, TF_DROP_NO_L2_BINDING);
	rte_pktmbuf_adj(m, (uint16_t)(off + hl));
	tf_l2_deliver(w, t, in, m, tun, o->tos);
}

static void
tf_l2tpv3_ip_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		   struct rte_mbuf *m, const struct tf_outer *o)
{
	tf_l2tpv3_decap(w, t, in, m, o, o->l4_off, o->l4_len, 0, 0);
}

/*
 * tf_l2tpv2_decap handles the L2TPv2 data message at frame offset off, len
 * bytes (the UDP payload), flags fl (version 2, T clear).
 */
static inline void
tf_l2tpv2_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
		const struct tf_outer *o, uint32_t off, uint32_t len, uint16_t fl, uint16_t port,
		int zero6)
{
	uint32_t hl = 6 + (fl & TF_L2TP_L ? 2 : 0) + (fl & TF_L2TP_S ? 4 : 0) + (fl & TF_L2TP_O ? 2 : 0);
	uint32_t data_len = rte_pktmbuf_data_len(m);
	const struct tf_tunnel *tun;
	const uint8_t *p, *q;
	uint16_t tid, sid, proto;
	rte_be16_t ethertype;
	int ti;

	if (unlikely(len < hl || data_len < off + hl))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	p = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	q = p + 2;
	if (fl & TF_L2TP_L) {	/* the whole message, header included */
		if (((uint32_t)q[0] << 8 | q[1]) != len)
			return tf_drop(w, in, m, TF_DROP_BAD_L2TP_LENGTH);
		q += 2;
	}
	tid = (uint16_t)(q[0] << 8 | q[1]);
	sid = (uint16_t)(q[2] << 8 | q[3]);
	q += 4;
	if (fl & TF_L2TP_S)	/* Ns, Nr */
		q += 4;
	if (fl & TF_L2TP_O) {	/* the payload starts Offset Size bytes after the field */
		hl += (uint32_t)q[0] << 8 | q[1];
		if (hl > len)
			return tf_drop(w, in, m, TF_DROP_BAD_L2TP_OFFSET);
	}
	ti = tf_decap_find(w, t, o, TF_TUN_L2TPV2, 0, port, (uint32_t)tid << 16 | sid, 1);
	if (ti < 0)
		return tf_drop(w, in, m, TF_DROP_UNKNOWN_TUNNEL);
	tun = &t->tunnels[ti];
	if (zero6 && !(tun->flags & TF_TUN_F_UDP6_ZERO_RX))
		return tf_drop(w, in, m, TF_DROP_UDP6_ZERO_CSUM);

	/*
	 * PPP: address and control 0xff03 are accepted with or without
	 * (RFC 1662 3.2: a receiver takes the uncompressed form even when
	 * compression was agreed), and a one-byte protocol (RFC 1661 6.5:
	 * odd first byte) as well as two. 0xff is never a protocol's first byte.
	 */
	if (len >= hl + 2 && data_len >= off + hl + 2 && p[hl] == TF_PPP_ADDR && p[hl + 1] == TF_PPP_CTRL)
		hl += 2;
	if (unlikely(len < hl + 1 || data_len < off + hl + 1))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (p[hl] & 1) {
		proto = p[hl];
		hl += 1;
	} else {
		if (unlikely(len < hl + 2 || data_len < off + hl + 2))
			return tf_drop(w, in, m, TF_DROP_TRUNCATED);
		proto = (uint16_t)(p[hl] << 8 | p[hl + 1]);
		hl += 2;
	}
	if (proto == TF_PPP_IPV4)
		ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	else if (proto == TF_PPP_IPV6)
		ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	else
		return tf_drop(w, in, m, TF_DROP_PPP_NOT_IP);

	/* keep 14 bytes in front of the inner packet for its new Ethernet header */
	rte_pktmbuf_adj(m, (uint16_t)(off + hl - RTE_ETHER_HDR_LEN));
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = ethertype;

	tf_note(w, TF_ACT_DECAP, tun->slot);
	w->ctr.tun[tun->slot].decap_pkts++;
	w->ctr.tun[tun->slot].decap_bytes += rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
	tf_l3_forward(w, t, in, m, ethertype, o->tos);
}

/*
 * tf_l2tp_udp_decap: an L2TP port. versions has bit 1 << v set for each
 * version v a tunnel on the port speaks: a message of another version is
 * dropped (RFC 2661 3.1: version 3 is L2TPv3's, RFC 3931 4.1.2.1).
 */
static void
tf_l2tp_udp_decap(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		  struct rte_mbuf *m, const struct tf_outer *o, uint8_t versions)
{
	uint32_t off = o->l4_off + sizeof(struct rte_udp_hdr);
	uint32_t len = o->l4_len - sizeof(struct rte_udp_hdr);
	const struct rte_udp_hdr *udp;
	uint16_t fl, ver;
	int zero6;

	/* the classifier checked that the UDP header is there */
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, o->l4_off);
	if (unlikely(rte_be_to_cpu_16(udp->dgram_len) != o->l4_len))
		return tf_drop(w, in, m, TF_DROP_BAD_UDP);
	if (unlikely(len < 2 || rte_pktmbuf_data_len(m) < off + 2))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	/* a zero checksum over IPv4 is legal (RFC 768); over IPv6 the session decides (RFC 6936) */
	if (udp->dgram_cksum != 0 && tf_l4_cksum_bad(m, o, IPPROTO_UDP))
		return tf_drop(w, in, m, TF_DROP_BAD_UDP_CHECKSUM);
	zero6 = o->af == 6 && udp->dgram_cksum == 0;
	memcpy(&fl, rte_pktmbuf_mtod_offset(m, const void *, off), 2);	/* may be unaligned */
	fl = rte_be_to_cpu_16(fl);
	ver = fl & TF_L2TP_VER_MASK;
	if (ver > 7 || !(versions & (1u << ver)))
		return tf_drop(w, in, m, TF_DROP_BAD_L2TP_VERSION);
	if (fl & TF_L2TP_T)
		return tf_drop(w, in, m, TF_DROP_L2TP_CONTROL);
	if (ver == 2)
		return tf_l2tpv2_decap(w, t, in, m, o, off, len, fl, rte_be_to_cpu_16(udp->dst_port), zero6);
	/* L2TPv3 over UDP: flags/version and 16 reserved bits, then the session */
	if (unlikely(len < 4))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	tf_l2tpv3_decap(w, t, in, m, o, off + 4, len - 4, rte_be_to_cpu_16(udp->dst_port), zero6);
}
