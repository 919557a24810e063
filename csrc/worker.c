//go:build ignore

/*
 * worker.c - the poll-mode loop and the classifier.
 *
 * Each iteration of tf_worker_main:
 *  1. loads the published table (one acquire load; used only inside the iteration),
 *  2. rx-bursts every (port, queue) of this worker,
 *  3. classifies each mbuf once from its outer headers (tf_rx_underlay or
 *     tf_rx_inner) and hands it to a protocol file, which transmits or drops it,
 *  4. flushes the tx buffers and bulk-frees the burst's drops,
 *  5. reports an RCU quiescent state (and goes offline while it sleeps).
 */
#include <unistd.h>

#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
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

/* Unicast to the port's MAC; broadcast and multicast only for ARP (no multicast routing). */
static inline int
tf_l2_for_us(const struct tf_port *p, const struct rte_ether_hdr *eth)
{
	if (rte_is_same_ether_addr(&eth->dst_addr, &p->mac))
		return 1;
	return rte_is_multicast_ether_addr(&eth->dst_addr) &&
	       eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP);
}

/* Underlay: ARP, and IPv4 to a local address (GRE, VXLAN, echo). */
static inline void
tf_rx_underlay(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	       struct rte_mbuf *m)
{
	const struct tf_port *p = &t->port[in];
	uint32_t len = rte_pktmbuf_data_len(m);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip;
	uint32_t l3_len;
	int hl;

	if (unlikely(len < sizeof(*eth)))
		return tf_drop(w, in, m, TF_DROP_TRUNCATED);
	if (!tf_l2_for_us(p, eth))
		return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return tf_arp(w, t, in, m);
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return tf_drop(w, in, m, TF_DROP_UNSUPPORTED);

	ip = (struct rte_ipv4_hdr *)(eth + 1);
	hl = tf_ipv4_check(ip, len - sizeof(*eth), rte_pktmbuf_pkt_len(m) - sizeof(*eth));
	if (unlikely(hl < 0))
		return tf_drop(w, in, m, (enum tf_drop)-hl);
	if (!tf_is_local4(t, ip->dst_addr))
		return tf_drop(w, in, m, TF_DROP_NOT_LOCAL);
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
		return tf_drop(w, in, m, TF_DROP_FRAGMENT);
	l3_len = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tf_trim(m, sizeof(*eth), l3_len) != 0))
		return tf_drop(w, in, m, TF_DROP_BAD_IP_LENGTH);

	switch (ip->next_proto_id) {
	case IPPROTO_GRE:
		return tf_gre_decap(w, t, in, m, (uint32_t)hl);
	case IPPROTO_ESP:
		return tf_esp_decap(w, t, in, m, (uint32_t)hl);
	case IPPROTO_UDP: {
		const struct rte_udp_hdr *udp = (const void *)((uint8_t *)ip + hl);
		uint16_t i;

		if (unlikely(l3_len < (uint32_t)hl + sizeof(*udp) ||
			     len < sizeof(*eth) + hl + sizeof(*udp)))
			return tf_drop(w, in, m, TF_DROP_TRUNCATED);
		for (i = 0; i < t->nb_udp; i++)
			if (udp->dst_port == rte_cpu_to_be_16(t->udp[i].port))
				return t->udp[i].type == TF_TUN_ESP ?
				       tf_esp_decap(w, t, in, m, (uint32_t)hl) :
				       tf_vxlan_decap(w, t, in, m, (uint32_t)hl);
		return tf_drop(w, in, m, TF_DROP_LOCAL_UNHANDLED);
	}
	default:
		return tf_local4(w, t, in, m, (uint32_t)hl);
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
	tf_vxlan_encap(w, &t->tunnels[ti], in, m);
}

/* Inner, routed port: ARP and echo for the gateway, IP routed. */
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
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return tf_l3_forward(w, t, in, m, eth->ether_type, -1);
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

static void
tf_burst(struct tf_worker *w, const struct tf_table *t, uint16_t in,
	 struct rte_mbuf **pkts, uint16_t n)
{
	struct tf_port_ctr *pc = &w->ctr.port[in];
	uint16_t i;

	pc->rx_pkts += n;
	/*
	 * Encap writes the template into the headroom, a cache line nothing has
	 * touched since the mbuf was last freed: ask for all of them at once.
	 */
	if (t->port[in].side == TF_SIDE_INNER)
		for (i = 0; i < n; i++)
			__builtin_prefetch(rte_pktmbuf_mtod_offset(pkts[i], char *, -RTE_CACHE_LINE_SIZE), 1, 3);
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
