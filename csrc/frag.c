//go:build ignore

/*
 * frag.c - IPv4 fragmentation (RFC 791 3.2) of routed packets without DF
 * that do not fit their tunnel or next hop.
 *
 * The inner packet is fragmented before encapsulation (RFC 4459 3.2), so the
 * far end gets whole tunnel packets and the inner destination reassembles,
 * as a router on the path would have made it do. Each fragment is a new
 * mbuf from the packet's pool (one bulk get): the Ethernet header, the IPv4
 * header (all options in the first fragment, only those with the copied
 * flag in the others) and its share of the payload, a multiple of 8 bytes
 * except the last; offsets and MF continue those of a packet that was
 * already a fragment. The fragments then go the way the packet would have:
 * into the tunnel or SA, or to the next hop. The original is freed with the
 * burst's drops, not counted as one: `fragmented` counts the packets cut,
 * `fragments` the packets made.
 */
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "tf.h"
#include "tf_pkt.h"

#define TF_FRAG_MAX	64	/* fragments of one packet (a 9000-byte packet into 576: 17) */

/*
 * tf_frag_opts copies the options of the IPv4 header ip (hl bytes) that
 * have the copied flag into out, padded with End of Option List to a
 * multiple of 4, and returns their length.
 */
static uint32_t
tf_frag_opts(const uint8_t *ip, uint32_t hl, uint8_t *out)
{
	uint32_t i = sizeof(struct rte_ipv4_hdr), n = 0;

	while (i < hl) {
		uint8_t type = ip[i], len;

		if (type == 0)	/* End of Option List */
			break;
		if (type == 1) {	/* No Operation: not copied */
			i++;
			continue;
		}
		if (i + 1 >= hl || (len = ip[i + 1]) < 2 || i + len > hl)
			break;	/* malformed: copy nothing past it */
		if (type & 0x80) {
			memcpy(out + n, ip + i, len);
			n += len;
		}
		i += len;
	}
	while (n % 4 != 0)
		out[n++] = 0;
	return n;
}

/*
 * tf_frag4 cuts the IPv4 packet m (header validated and contiguous at
 * offset 14, padding trimmed, TTL decremented, DF clear) into fragments of
 * at most mtu bytes of IP and sends each the way m was going: via (a next
 * hop, a tunnel or an SA) idx.
 */
static void
tf_frag4(struct tf_worker *w, const struct tf_table *t, uint16_t in, struct rte_mbuf *m,
	 uint32_t mtu, enum tf_via via, uint32_t idx)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)ip;
	uint32_t hl = (h->version_ihl & 0xf) * 4u, hl2, payload, chunk1, chunk2, room, off, n, k;
	uint16_t frag = rte_be_to_cpu_16(h->fragment_offset);
	uint32_t base = (uint32_t)(frag & RTE_IPV4_HDR_OFFSET_MASK) * 8;
	struct rte_mbuf *f[TF_FRAG_MAX];
	uint8_t opts[40];

	payload = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN - hl;
	hl2 = sizeof(struct rte_ipv4_hdr) + tf_frag_opts(ip, hl, opts);
	/* a fragment is one segment: no more than the pool's data room holds */
	room = rte_pktmbuf_data_room_size(m->pool);
	room = room > RTE_PKTMBUF_HEADROOM + RTE_ETHER_HDR_LEN ? room - RTE_PKTMBUF_HEADROOM - RTE_ETHER_HDR_LEN : 0;
	mtu = RTE_MIN(mtu, room);
	chunk1 = mtu > hl ? (mtu - hl) & ~7u : 0;
	chunk2 = mtu > hl2 ? (mtu - hl2) & ~7u : 0;
	if (unlikely(chunk1 == 0 || chunk2 == 0 || base + payload > 0xffff))
		return tf_drop(w, in, m, TF_DROP_MTU_EXCEEDED);
	n = payload <= chunk1 ? 1 : 1 + (payload - chunk1 + chunk2 - 1) / chunk2;
	if (unlikely(n > TF_FRAG_MAX || rte_pktmbuf_alloc_bulk(m->pool, f, n) != 0))
		return tf_drop(w, in, m, TF_DROP_MTU_EXCEEDED);
	for (k = 0, off = 0; k < n; k++) {
		uint32_t fh = k == 0 ? hl : hl2, len = RTE_MIN(k == 0 ? chunk1 : chunk2, payload - off);
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(f[k], RTE_ETHER_HDR_LEN + fh + len);	/* fits: room */
		struct rte_ipv4_hdr *fip = (struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);
		const void *src;
		uint16_t fo;

		memcpy(d, rte_pktmbuf_mtod(m, const void *), RTE_ETHER_HDR_LEN);
		memcpy(fip, ip, sizeof(*fip));
		if (k == 0)
			memcpy(fip + 1, ip + sizeof(*fip), hl - sizeof(*fip));
		else
			memcpy(fip + 1, opts, hl2 - sizeof(*fip));
		src = rte_pktmbuf_read(m, RTE_ETHER_HDR_LEN + hl + off, len, d + RTE_ETHER_HDR_LEN + fh);
		if (src != d + RTE_ETHER_HDR_LEN + fh)
			memcpy(d + RTE_ETHER_HDR_LEN + fh, src, len);	/* in bounds: off + len <= payload */
		fo = (uint16_t)((base + off) / 8);
		if (k + 1 < n || (frag & RTE_IPV4_HDR_MF_FLAG))
			fo |= RTE_IPV4_HDR_MF_FLAG;
		fip->version_ihl = (uint8_t)(0x40 | fh / 4);
		fip->total_length = rte_cpu_to_be_16((uint16_t)(fh + len));
		fip->fragment_offset = rte_cpu_to_be_16(fo);
		fip->hdr_checksum = 0;
		fip->hdr_checksum = rte_ipv4_cksum(fip);
		f[k]->port = m->port;
		off += len;
	}
	w->ctr.fragmented++;
	w->ctr.fragments += n;
	tf_free_later(w, m);
	for (k = 0; k < n; k++) {
		if (via == TF_VIA_TUNNEL)
			tf_l3_encap(w, &t->tunnels[idx], in, f[k], RTE_BE16(RTE_ETHER_TYPE_IPV4));
		else if (via == TF_VIA_SA)
			tf_esp_encap(w, t, (uint16_t)idx, in, f[k], RTE_BE16(RTE_ETHER_TYPE_IPV4));
		else
			tf_l3_nexthop(w, t, in, f[k], RTE_BE16(RTE_ETHER_TYPE_IPV4),
				      rte_pktmbuf_pkt_len(f[k]) - RTE_ETHER_HDR_LEN, idx);
	}
}
