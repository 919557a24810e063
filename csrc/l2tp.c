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

/* tf_l2tpv2_lens patches the UDP length and, with the L bit, the L2TPv2 Length (the UDP payload). */
static __rte_always_inline void
tf_l2tpv2_lens(uint8_t *udp, uint32_t udp_len, int with_len)
{
	((struct rte_udp_hdr *)udp)->dgram_len = rte_cpu_to_be_16((uint16_t)udp_len);
	if (with_len) {
		rte_be16_t l = rte_cpu_to_be_16((uint16_t)(udp_len - sizeof(struct rte_udp_hdr)));

		memcpy(udp + sizeof(struct rte_udp_hdr) + 2, &l, 2);
	}
}

/*
 * tf_l2tpv2_encap_fast is tf_l2tpv2_encap for what the routed burst loop
 * has checked: a TF_FAST_L2TPV2_4 tunnel (tp), an IPv4 packet whose
 * outer_len fits the MTU, headroom for the template. The UDP checksum stays
 * zero (RFC 768 over IPv4). The caller counts and sends; id is the outer
 * IPv4 id.
 */
static __rte_always_inline void
tf_l2tpv2_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m, uint32_t outer_len, uint16_t id)
{
	uint8_t tos = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
					      RTE_ETHER_HDR_LEN)->type_of_service;
	/* the template has the IPv4 PPP protocol in (dataplane/template.go) */
	uint8_t *h = tf_push_outer4_fast(tp, m, RTE_ETHER_HDR_LEN, outer_len, tos, id);

	tf_l2tpv2_lens(h + tp->l4_off, outer_len - (tp->l4_off - RTE_ETHER_HDR_LEN),
		       tp->flags & TF_TUN_F_L2TP_LEN);
}

/*
 * tf_l2tpv2_encap_burst is tf_l2tpv2_encap_fast over the packets of a
 * routed burst from the first on that go r's way into tun
 * (TF_FAST_L2TPV2_4: a 49..64-byte template), each checked (tf_rrun_ok) in
 * the pass that encapsulates it: TTL decremented, outer ids from id on. The
 * template, with the PPP protocol already in, stays in registers (not
 * inlined: the loop around it would spill them). Returns how many it took,
 * their frame bytes in *bytes; the caller counts and sends them.
 */
static __rte_noinline uint16_t
tf_l2tpv2_encap_burst(const struct tf_rrun *r, const struct tf_tunnel *tun, struct rte_mbuf **pkts,
		      uint16_t n, uint16_t id, uint64_t *bytes)
{
	const struct tf_tpl tp = tf_tpl_of(tun);
	const uint16_t last = tp.hdr_len - 16, udp_off = tp.l4_off;
	const int with_len = tp.flags & TF_TUN_F_L2TP_LEN;
	uint64_t sum = 0;
	struct tf_tplv v;
	uint16_t i;

	/* the template has the IPv4 PPP protocol in (dataplane/template.go) */
	tf_tplv_load(&v, tun->hdr, tp.hdr_len);
	for (i = 0; i < n; i++) {
		__m128i a = v.a, b = v.b;
		uint32_t outer_len;
		uint8_t *h = tf_rrun_outer4(r, &tp, pkts[i], (uint16_t)(id + i), &a, &b, &outer_len, &sum);

		if (h == NULL)
			break;
		_mm_storeu_si128((__m128i *)(h + 32), v.c);
		_mm_storeu_si128((__m128i *)(h + last), v.last);
		_mm_storeu_si128((__m128i *)h, a);
		_mm_storeu_si128((__m128i *)(h + 16), b);
		tf_l2tpv2_lens(h + udp_off, outer_len - (udp_off - RTE_ETHER_HDR_LEN), with_len);
	}
	*bytes = sum;
	return i;
}

/*
 * tf_l2tpv3_encap_fast is tf_l2tpv3_encap for what the bridged burst loop
 * has checked: a TF_FAST_L2TPV3_4 tunnel (tp), outer_len within the MTU,
 * headroom for the template. The caller counts and sends; id is the outer
 * IPv4 id.
 */
static __rte_always_inline void
tf_l2tpv3_encap_fast(const struct tf_tpl *tp, struct rte_mbuf *m, uint32_t outer_len, uint16_t id)
{
	uint8_t *h = tf_push_outer4_fast(tp, m, 0, outer_len, tf_frame_tos(m), id);

	if (tp->flags & TF_TUN_F_L2TP_UDP)
		((struct rte_udp_hdr *)(h + tp->l4_off))->dgram_len =
			rte_cpu_to_be_16((uint16_t)(outer_len - (tp->l4_off - RTE_ETHER_HDR_LEN)));
}

/*
 * tf_l2tpv3_encap_burst is tf_l2tpv3_encap_fast over a whole burst into
 * tun (TF_FAST_L2TPV3_4, bound untagged to port in) when the burst is
 * uniform: every frame untagged, within the MTU and with headroom for the
 * template. Each frame is checked and encapsulated in one pass (a pass over
 * the mbufs costs more than the work in it), outer ids from w's on; the
 * template stays in registers (not inlined: the loop around it would spill
 * them). Counts and queues the burst and returns 1, or returns 0 with every
 * frame as it came (only headroom bytes written).
 */
static __rte_noinline int
tf_l2tpv3_encap_burst(struct tf_worker *w, uint16_t in, const struct tf_tunnel *tun,
		      struct rte_mbuf **pkts, uint16_t n)
{
	const struct tf_tpl tp = tf_tpl_of(tun);
	const uint16_t last = tp.hdr_len - 16, udp_off = tp.l4_off, id = w->ip_id;
	const uint32_t maxlen = tp.mtu + RTE_ETHER_HDR_LEN - tp.hdr_len;
	const int udp = tp.flags & TF_TUN_F_L2TP_UDP, big = tp.hdr_len > 48;
	uint64_t bytes = 0;
	struct tf_tplv v;
	uint16_t i;

	tf_tplv_load(&v, tun->hdr, tp.hdr_len);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t len = rte_pktmbuf_pkt_len(m), outer_len = len + tp.hdr_len - RTE_ETHER_HDR_LEN;
		uint8_t tos, *h = p - tp.hdr_len;
		__m128i a = v.a, b = v.b;

		if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN ||
		    ((const struct rte_ether_hdr *)p)->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
		    len > maxlen || rte_pktmbuf_headroom(m) < tp.hdr_len)
			break;
		bytes += len;
		tos = tp.tos | (tf_frame_tos(m) & tp.tos_mask);
		tf_mbuf_prepend(m, tp.hdr_len);
		tf_outer4_vec(&a, &b, tp.csum_base, tos, outer_len, (uint16_t)(id + i));
		/* last first: a template of 48 bytes or less overlaps b, whose patched words must win */
		_mm_storeu_si128((__m128i *)(h + last), v.last);
		if (big)
			_mm_storeu_si128((__m128i *)(h + 32), v.c);
		_mm_storeu_si128((__m128i *)h, a);
		_mm_storeu_si128((__m128i *)(h + 16), b);
		if (udp)
			((struct rte_udp_hdr *)(h + udp_off))->dgram_len =
				rte_cpu_to_be_16((uint16_t)(outer_len - (udp_off - RTE_ETHER_HDR_LEN)));
	}
	return tf_l2_burst_end(w, in, &tp, pkts, n, i, bytes);
}

/* Offsets in a frame over plain IPv4 (tf_plain4: no options). */
#define TF_L2TP4_UDP_OFF	(RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))
#define TF_L2TP4_MSG_OFF	(TF_L2TP4_UDP_OFF + sizeof(struct rte_udp_hdr))

/*
 * tf_l2tpv3_peek: the session header of an L2TPv3 frame over plain IPv4 at
 * frame offset off (after IPv4, or after UDP and the flags word), port the
 * UDP port (0 over IP). Takes what tf_l2tpv3_decap delivers as it is: a
 * known session, its cookie, a binding to an untagged port whose MTU the
 * inner frame fits, and an outer ECN field that asks nothing of the inner
 * header (RFC 6040). *strip: the bytes before the inner frame.
 */
static __rte_always_inline int
tf_l2tpv3_peek(struct tf_worker *w, const struct tf_table *t, const struct rte_mbuf *m,
	       uint32_t off, uint16_t port, uint32_t *strip)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								RTE_ETHER_HDR_LEN);
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	const struct tf_tunnel *tun;
	uint32_t sid, hl;
	int ti;

	if (rte_pktmbuf_data_len(m) < off + 4 + RTE_ETHER_HDR_LEN || (ip->type_of_service & TF_ECN_ECT1))
		return -1;
	sid = rte_be_to_cpu_32(tf_load32(p));
	if (sid == 0)
		return -1;
	ti = tf_decap_lookup(w, t, tf_key_lo(TF_TUN_L2TPV3, 0, port, sid),
			     tf_key_hi(ip->src_addr, ip->dst_addr));
	if (ti < 0)
		return -1;
	tun = &t->tunnels[ti];
	hl = 4 + tun->cookie_len + (tun->flags & TF_TUN_F_L2TP_SUBLAYER ? 4 : 0);
	if (tun->l2_port >= TF_MAX_PORTS || tun->l2_vlan != 0 ||
	    rte_pktmbuf_data_len(m) < off + hl + RTE_ETHER_HDR_LEN ||
	    memcmp(p + 4, tun->cookie, tun->cookie_len) != 0 ||
	    rte_pktmbuf_pkt_len(m) - off - hl - RTE_ETHER_HDR_LEN > t->port[tun->l2_port].mtu)
		return -1;
	*strip = off + hl;
	return ti;
}

/*
 * tf_l2tp_ip_decap_peek tells the underlay burst loop whether m, a plain
 * IPv4 frame to a local address and not a fragment (tf_plain4) of IP
 * protocol 115, is what tf_l2tpv3_ip_decap delivers as it is (tf_l2tpv3_peek).
 * Read-only but for the last-tunnel cache. Returns the tunnel, or -1 for
 * the full path.
 */
static __rte_always_inline int
tf_l2tp_ip_decap_peek(struct tf_worker *w, const struct tf_table *t, const struct rte_mbuf *m,
		      uint32_t *strip)
{
	return tf_l2tpv3_peek(w, t, m, TF_L2TP4_UDP_OFF, 0, strip);
}

/*
 * tf_l2tpv2_peek: an L2TPv2 data message over plain IPv4 with flags fl
 * (version 2, T clear), that tf_l2tpv2_decap turns into a plain inner IPv4
 * packet to route: no Offset field, a right Length if any, PPP IPv4 with or
 * without address and control, an inner header without options that fills
 * the payload exactly with a right checksum and TTL left, an outer ECN
 * field that asks nothing of it (RFC 6040), a known session.
 */
static __rte_always_inline int
tf_l2tpv2_peek(struct tf_worker *w, const struct tf_table *t, const struct rte_mbuf *m,
	       uint16_t fl, uint16_t port, uint32_t *strip)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								RTE_ETHER_HDR_LEN);
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, TF_L2TP4_MSG_OFF), *q = p + 2;
	uint32_t hl = 6 + (fl & TF_L2TP_L ? 2 : 0) + (fl & TF_L2TP_S ? 4 : 0), pl;
	/* the UDP payload: tot is the frame's L3 length (tf_plain4) */
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip) - sizeof(struct rte_udp_hdr);
	const struct rte_ipv4_hdr *inner;
	uint16_t tid, sid;

	if ((fl & TF_L2TP_O) || (ip->type_of_service & TF_ECN_ECT1) ||
	    rte_pktmbuf_data_len(m) < TF_L2TP4_MSG_OFF + hl + 2)
		return -1;
	if (fl & TF_L2TP_L) {
		if (((uint32_t)q[0] << 8 | q[1]) != len)
			return -1;
		q += 2;
	}
	tid = (uint16_t)(q[0] << 8 | q[1]);
	sid = (uint16_t)(q[2] << 8 | q[3]);
	pl = hl;
	if (p[pl] == TF_PPP_ADDR && p[pl + 1] == TF_PPP_CTRL)
		pl += 2;
	if (rte_pktmbuf_data_len(m) < TF_L2TP4_MSG_OFF + pl + 2 + sizeof(*inner))
		return -1;
	if (p[pl] == TF_PPP_IPV4)	/* RFC 1661 6.5: the one-byte form */
		pl += 1;
	else if (p[pl] == 0 && p[pl + 1] == TF_PPP_IPV4)
		pl += 2;
	else
		return -1;
	inner = (const struct rte_ipv4_hdr *)(p + pl);
	if (inner->version_ihl != 0x45 || inner->time_to_live <= 1 ||
	    rte_be_to_cpu_16(inner->total_length) != len - pl || tf_cksum20(inner) != 0xffff)
		return -1;
	*strip = sizeof(*ip) + sizeof(struct rte_udp_hdr) + pl;
	return tf_decap_lookup(w, t, tf_key_lo(TF_TUN_L2TPV2, 0, port, (uint32_t)tid << 16 | sid),
			       tf_key_hi(ip->src_addr, ip->dst_addr));
}

/*
 * tf_l2tp_udp_decap_peek tells the underlay burst loop whether m, a plain
 * IPv4 frame to a local address and not a fragment (tf_plain4) to an L2TP
 * UDP port whose tunnels speak versions (as tf_l2tp_udp_decap), is what the
 * full path decapsulates as it is: UDP length right, zero checksum, a data
 * message (T clear) of a version the port speaks, then tf_l2tpv2_peek or
 * tf_l2tpv3_peek. Read-only but for the last-tunnel cache. Returns the
 * tunnel (its type says the version), or -1 for the full path.
 */
static __rte_always_inline int
tf_l2tp_udp_decap_peek(struct tf_worker *w, const struct tf_table *t, const struct rte_mbuf *m,
		       uint8_t versions, uint32_t *strip)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								RTE_ETHER_HDR_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	const uint8_t *l = (const uint8_t *)(udp + 1);
	uint16_t fl;

	if (rte_pktmbuf_data_len(m) < TF_L2TP4_MSG_OFF + 2 ||
	    rte_be_to_cpu_16(udp->dgram_len) != rte_be_to_cpu_16(ip->total_length) - sizeof(*ip) ||
	    udp->dgram_cksum != 0)
		return -1;
	fl = (uint16_t)(l[0] << 8 | l[1]);
	if ((fl & TF_L2TP_T) || !(versions & (1u << (fl & TF_L2TP_VER_MASK))))
		return -1;
	if ((fl & TF_L2TP_VER_MASK) == 2)
		return tf_l2tpv2_peek(w, t, m, fl, rte_be_to_cpu_16(udp->dst_port), strip);
	if ((fl & TF_L2TP_VER_MASK) == 3)	/* flags/version and 16 reserved bits first */
		return tf_l2tpv3_peek(w, t, m, TF_L2TP4_MSG_OFF + 4, rte_be_to_cpu_16(udp->dst_port), strip);
	return -1;
}

/* The bytes the uniform decaps compare of Ethernet, plain IPv4 and UDP (tf_sig64). */
static const uint8_t tf_l2tp4_mask[TF_L2TP4_MSG_OFF] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff,	/* Ethernet */
	0xff, TF_ECN_ECT1, 0, 0, 0, 0, 0x3f, 0xff, 0, 0xff, 0, 0,		/* IPv4 ... */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,				/* src, dst */
	0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff,					/* UDP */
};

/*
 * tf_l2tpv2_decap_burst: the uniform decap of a burst whose first frame
 * tf_l2tp_udp_decap_peek took into L2TPv2 session ti (strip: its outer
 * IPv4, UDP, L2TP and PPP bytes), in one pass from the first frame on, for
 * as long as they show the same bytes where the checks look (destination
 * MAC, plain IPv4 not a fragment, ECN, protocol, addresses, UDP port, zero
 * checksum, L2TP flags, tunnel and session ids, PPP address, control and
 * protocol, inner version and IHL), right lengths (IPv4, UDP, the L2TP
 * Length, inner) and checksums, TTL left, and inner destinations that the
 * first one's route sends to a next hop within its MTU (tf_dnh): stripped,
 * routed, counted and queued. Returns how many it took; the per-packet
 * loop does the rest, untouched.
 */
static __rte_noinline uint16_t
tf_l2tpv2_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		      struct rte_mbuf **pkts, uint16_t n, int ti, uint32_t strip)
{
	const uint32_t in_off = RTE_ETHER_HDR_LEN + strip;
	const uint8_t *f0 = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
	/* the peek read the flags: the L bit adds the Length, S the Ns and Nr words */
	const int with_len = f0[TF_L2TP4_MSG_OFF] & (TF_L2TP_L >> 8);
	const uint32_t ids = TF_L2TP4_MSG_OFF + (with_len ? 4 : 2);
	const uint32_t ppp = ids + 4 + (f0[TF_L2TP4_MSG_OFF] & (TF_L2TP_S >> 8) ? 4 : 0);
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
	/* flags, tunnel and session ids, PPP address, control and protocol, inner version / IHL */
	mask = tf_dmask_get(w, TF_DMASK_L2TPV2, in_off << 8 | f0[TF_L2TP4_MSG_OFF], &build);
	if (build) {
		memcpy(mask, tf_l2tp4_mask, sizeof(tf_l2tp4_mask));
		memset(mask + TF_L2TP4_MSG_OFF, 0xff, 2);
		memset(mask + ids, 0xff, 4);
		memset(mask + ppp, 0xff, in_off - ppp);
		mask[in_off] = 0xff;
	}
	tf_sig64_make(&sg, f0, mask);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
		const struct rte_ipv4_hdr *inner = (const struct rte_ipv4_hdr *)(f + in_off);
		uint32_t len = rte_pktmbuf_pkt_len(m), tot;

		if (rte_pktmbuf_data_len(m) < RTE_MAX(64u, in_off + sizeof(*inner)) ||
		    !tf_sig64_match(&sg, f))
			break;
		tot = rte_be_to_cpu_16(ip->total_length);
		if (tot != len - RTE_ETHER_HDR_LEN || rte_be_to_cpu_16(udp->dgram_len) != tot - sizeof(*ip) ||
		    (with_len && ((uint32_t)f[ids - 2] << 8 | f[ids - 1]) != tot - sizeof(*ip) - sizeof(*udp)) ||
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

/*
 * tf_l2tpv3_decap_burst: the uniform decap of a burst whose first frame a
 * peek took into L2TPv3 session ti (strip: the bytes before its inner
 * frame) when every frame shows the same bytes where the checks look
 * (destination MAC, plain IPv4 not a fragment, ECN, protocol, addresses;
 * over UDP the port, zero checksum, flags and version; session id, cookie)
 * and right lengths, checksum and inner MTU: all stripped, counted and
 * queued at once. Returns 1, or 0 with nothing touched.
 */
static __rte_noinline uint16_t
tf_l2tpv3_decap_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
		      struct rte_mbuf **pkts, uint16_t n, int ti, uint32_t strip)
{
	const struct tf_tunnel *tun = &t->tunnels[ti];
	const int udp = tun->flags & TF_TUN_F_L2TP_UDP;
	const uint32_t sid_off = udp ? TF_L2TP4_MSG_OFF + 4 : TF_L2TP4_UDP_OFF;
	const uint32_t maxlen = t->port[tun->l2_port].mtu + strip + RTE_ETHER_HDR_LEN;
	const uint32_t minlen = RTE_MAX(64u, strip + RTE_ETHER_HDR_LEN);
	struct tf_sig64 sg;
	uint64_t bytes = 0;
	uint8_t *mask;
	uint16_t i;
	int build;

	if (rte_pktmbuf_data_len(pkts[0]) < minlen)
		return 0;
	mask = tf_dmask_get(w, TF_DMASK_L2TPV3, 1 | (udp != 0) << 1 | tun->cookie_len << 2, &build);
	if (build) {
		memcpy(mask, tf_l2tp4_mask, udp ? TF_L2TP4_MSG_OFF : TF_L2TP4_UDP_OFF);
		if (udp)
			memset(mask + TF_L2TP4_MSG_OFF, 0xff, 2);	/* flags and version */
		memset(mask + sid_off, 0xff, 4 + tun->cookie_len);
	}
	tf_sig64_make(&sg, rte_pktmbuf_mtod(pkts[0], const uint8_t *), mask);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
		const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)(ip + 1);
		uint32_t len = rte_pktmbuf_pkt_len(m), tot;

		if (rte_pktmbuf_data_len(m) < minlen || !tf_sig64_match(&sg, f))
			break;
		tot = rte_be_to_cpu_16(ip->total_length);
		if (tot != len - RTE_ETHER_HDR_LEN || len > maxlen || !tf_cksum20_ok(ip) ||
		    (udp && rte_be_to_cpu_16(uh->dgram_len) != tot - sizeof(*ip)))
			break;
		bytes += len;
		tf_mbuf_strip(m, (uint16_t)strip);
	}
	tf_l2_decap_send(w, in, tun, pkts, i, bytes, strip);
	return i;
}
