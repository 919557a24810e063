package cli

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"tunfwd/dataplane"
)

// Collector exports a gateway's counters in Prometheus form, read from
// Counters and Lcores at each scrape (nothing is cached or sampled).
type Collector struct {
	gw Gateway
}

// NewCollector returns a collector over gw; register it with a
// prometheus.Registry and serve that with promhttp.
func NewCollector(gw Gateway) *Collector { return &Collector{gw: gw} }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("tunfwd_"+name, help, labels, nil)
}

var (
	mUp = desc("forwarding", "1 while the workers forward, 0 when stopped.")

	mPortRxPkts  = desc("port_rx_packets_total", "Packets the workers received on the port.", "port")
	mPortRxBytes = desc("port_rx_bytes_total", "Bytes the workers received on the port.", "port")
	mPortTxPkts  = desc("port_tx_packets_total", "Packets the workers sent on the port.", "port")
	mPortTxBytes = desc("port_tx_bytes_total", "Bytes the workers sent on the port.", "port")
	mPortDrops   = desc("port_drops_total", "Packets received on the port and dropped, for any reason.", "port")

	mDevRxPkts  = desc("device_rx_packets_total", "Packets the device received (rte_eth_stats ipackets).", "port")
	mDevTxPkts  = desc("device_tx_packets_total", "Packets the device sent (opackets).", "port")
	mDevRxBytes = desc("device_rx_bytes_total", "Bytes the device received (ibytes).", "port")
	mDevTxBytes = desc("device_tx_bytes_total", "Bytes the device sent (obytes).", "port")
	mDevMissed  = desc("device_rx_missed_total", "Packets the device dropped for want of rx descriptors (imissed).", "port")
	mDevRxErr   = desc("device_rx_errors_total", "Erroneous packets the device received (ierrors).", "port")
	mDevTxErr   = desc("device_tx_errors_total", "Packets the device failed to send (oerrors).", "port")
	mDevNoMbuf  = desc("device_rx_nombuf_total", "Receive mbuf allocation failures (rx_nombuf).", "port")

	mTunEncapPkts  = desc("tunnel_encap_packets_total", "Inner packets encapsulated into the tunnel.", "tunnel", "type")
	mTunEncapBytes = desc("tunnel_encap_bytes_total", "Inner bytes encapsulated into the tunnel.", "tunnel", "type")
	mTunDecapPkts  = desc("tunnel_decap_packets_total", "Inner packets decapsulated from the tunnel.", "tunnel", "type")
	mTunDecapBytes = desc("tunnel_decap_bytes_total", "Inner bytes decapsulated from the tunnel.", "tunnel", "type")

	mSAPkts    = desc("sa_packets_total", "Inner packets the IPsec SA protected (out) or accepted (in).", "sa", "dir", "spi")
	mSABytes   = desc("sa_bytes_total", "Inner bytes the IPsec SA protected or accepted.", "sa", "dir", "spi")
	mSAErrors  = desc("sa_errors_total", "Packets the IPsec SA refused (see drops_total for the reasons).", "sa", "dir", "spi")
	mSAExpired = desc("sa_expired", "1 once the SA reached a lifetime limit and stopped.", "sa", "dir", "spi")

	mDrops  = desc("drops_total", "Packets dropped, by reason (see tunfwd show drops all).", "reason")
	mARP    = desc("arp_replies_total", "ARP requests for the gateway's addresses answered.")
	mND     = desc("nd_replies_total", "Neighbour Solicitations for the gateway's addresses answered.")
	mEcho   = desc("echo_replies_total", "ICMP echo requests to the gateway's addresses answered.")
	mRouted = desc("routed_total", "Packets routed to inner next hops.")

	mPolls     = desc("worker_polls_total", "Receive polls of the worker.", "lcore", "worker")
	mBusyPolls = desc("worker_busy_polls_total", "Receive polls of the worker that returned packets.", "lcore", "worker")
)

var allDescs = []*prometheus.Desc{
	mUp, mPortRxPkts, mPortRxBytes, mPortTxPkts, mPortTxBytes, mPortDrops,
	mDevRxPkts, mDevTxPkts, mDevRxBytes, mDevTxBytes, mDevMissed, mDevRxErr, mDevTxErr, mDevNoMbuf,
	mTunEncapPkts, mTunEncapBytes, mTunDecapPkts, mTunDecapBytes,
	mSAPkts, mSABytes, mSAErrors, mSAExpired,
	mDrops, mARP, mND, mEcho, mRouted, mPolls, mBusyPolls,
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect reads the gateway's counters and sends them.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	up := 0.0
	if c.gw.Running() {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(mUp, prometheus.GaugeValue, up)
	k := c.gw.Counters()
	for _, p := range k.Ports {
		counter(mPortRxPkts, p.RxPkts, p.Name)
		counter(mPortRxBytes, p.RxBytes, p.Name)
		counter(mPortTxPkts, p.TxPkts, p.Name)
		counter(mPortTxBytes, p.TxBytes, p.Name)
		counter(mPortDrops, p.Drops, p.Name)
		counter(mDevRxPkts, p.Eth.IPackets, p.Name)
		counter(mDevTxPkts, p.Eth.OPackets, p.Name)
		counter(mDevRxBytes, p.Eth.IBytes, p.Name)
		counter(mDevTxBytes, p.Eth.OBytes, p.Name)
		counter(mDevMissed, p.Eth.IMissed, p.Name)
		counter(mDevRxErr, p.Eth.IErrors, p.Name)
		counter(mDevTxErr, p.Eth.OErrors, p.Name)
		counter(mDevNoMbuf, p.Eth.RxNoMbuf, p.Name)
	}
	for _, t := range k.Tunnels {
		counter(mTunEncapPkts, t.EncapPkts, t.Name, t.Type)
		counter(mTunEncapBytes, t.EncapBytes, t.Name, t.Type)
		counter(mTunDecapPkts, t.DecapPkts, t.Name, t.Type)
		counter(mTunDecapBytes, t.DecapBytes, t.Name, t.Type)
	}
	for _, s := range c.gw.SACounters() {
		spi := fmt.Sprintf("0x%08x", s.SPI)
		counter(mSAPkts, s.Packets, s.Name, s.Dir, spi)
		counter(mSABytes, s.Bytes, s.Name, s.Dir, spi)
		counter(mSAErrors, s.Errors, s.Name, s.Dir, spi)
		exp := 0.0
		if s.Expired {
			exp = 1
		}
		ch <- prometheus.MustNewConstMetric(mSAExpired, prometheus.GaugeValue, exp, s.Name, s.Dir, spi)
	}
	for _, r := range dataplane.DropNames {
		counter(mDrops, k.Drops[r], r)
	}
	counter(mARP, k.ARPReplies)
	counter(mND, k.NDReplies)
	counter(mEcho, k.EchoReplies)
	counter(mRouted, k.Routed)
	for _, l := range c.gw.Lcores() {
		lc, wk := strconv.Itoa(l.Lcore), strconv.Itoa(l.Worker)
		counter(mPolls, l.Polls, lc, wk)
		counter(mBusyPolls, l.BusyPolls, lc, wk)
	}
}
