//go:build ignore

/*
 * port.c - control path helpers that cgo cannot spell well: EAL init with
 * rte_errno, and ethdev configuration (rte_eth_conf is full of unions).
 */
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

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
