//go:build ignore

/*
 * port.c - control path helpers that cgo cannot spell well: EAL init with
 * rte_errno, and ethdev configuration (rte_eth_conf is full of unions).
 */
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>

#include "tf.h"

int
tf_eal_init(int argc, char **argv)
{
	int ret = rte_eal_init(argc, argv);

	return ret < 0 ? -rte_errno : ret;
}

int
tf_errno(void)
{
	return rte_errno;
}

int
tf_port_setup(uint16_t port, uint16_t nb_q, uint16_t nb_rxd, uint16_t nb_txd,
	      uint16_t mtu, int promisc, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	int socket = rte_eth_dev_socket_id(port);
	uint16_t q;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	if (nb_q > info.max_rx_queues || nb_q > info.max_tx_queues)
		return -EINVAL;
	if (nb_q > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
		if (conf.rx_adv_conf.rss_conf.rss_hf == 0)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	ret = rte_eth_dev_configure(port, nb_q, nb_q, &conf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	if (socket < 0)
		socket = SOCKET_ID_ANY;
	for (q = 0; q < nb_q; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, NULL, mp);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, socket, NULL);
		if (ret != 0)
			return ret;
	}
	/* vdevs without an MTU op (net_pcap, net_ring) answer -ENOTSUP: the MTU is then ours alone */
	ret = rte_eth_dev_set_mtu(port, mtu);
	if (ret != 0 && ret != -ENOTSUP)
		return ret;
	if (promisc) {
		ret = rte_eth_promiscuous_enable(port);
		if (ret != 0 && ret != -ENOTSUP)
			return ret;
	}
	return 0;
}

int
tf_port_probe(const char *devargs, const char *name, uint16_t *port)
{
	int ret;

	if (devargs != NULL) {
		ret = rte_dev_probe(devargs);
		if (ret != 0)
			return ret;
	}
	return rte_eth_dev_get_port_by_name(name, port);
}

int
tf_port_close(uint16_t port, int remove)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;
	int ret;

	if (rte_eth_dev_info_get(port, &info) == 0)
		dev = info.device;
	ret = rte_eth_dev_close(port);
	if (ret != 0)
		return ret;
	if (remove && dev != NULL)
		return rte_dev_remove(dev);
	return 0;
}

int
tf_worker_launch(struct tf_worker *w, unsigned int lcore)
{
	return rte_eal_remote_launch(tf_worker_main, w, lcore);
}

/*
 * Without hugepages a pool must keep every object inside one 4 KB page
 * unless told otherwise: one 2.3 KB mbuf per page, all at the same offset
 * in their pages, so the loads of one packet falsely wait on the stores to
 * the one before (4K aliasing), and 40% of the memory is lost. Vdevs do no
 * DMA and need no IOVA-contiguous object: packed, mbufs lie side by side
 * as they do on hugepages. What rte_pktmbuf_pool_create_by_ops does, with
 * that one flag.
 */
struct rte_mempool *
tf_mbuf_pool(const char *name, unsigned int n, unsigned int cache, int packed)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE,
		.mbuf_priv_size = 0,
	};
	struct rte_mempool *mp;
	int ret;

	if (!packed)
		return rte_pktmbuf_pool_create(name, n, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, cache,
				      sizeof(struct rte_pktmbuf_pool_private), SOCKET_ID_ANY,
				      RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	ret = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (ret == 0) {
		rte_pktmbuf_pool_init(mp, &priv);
		ret = rte_mempool_populate_default(mp);
		ret = ret < 0 ? ret : 0;
	}
	if (ret != 0) {
		rte_mempool_free(mp);
		rte_errno = -ret;
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
}
