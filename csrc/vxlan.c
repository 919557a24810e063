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
	uint8_t tos = 0;
	struct rte_udp_hdr *udp;
	uint32_t hash, udp_len;
	uint8_t *h;

	if (rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN + 4)	/* IPv4 TOS or IPv6 vtc_flow */
		tos = tf_inner_tos(ieth + 1, ieth->ether_type);
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

	tf_note(w, TF_ACT_ENCAP, tun->slot);
	w->ctr.tun[tun->slot].encap_pkts++;
	w->ctr.tun[tun->slot].encap_bytes += inner_len;
	tf_tx(w, tun->out_port, m);
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
