package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestMetricsCollector(t *testing.T) {
	f := newFake(t)
	c := NewCollector(f)
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	require.Empty(t, problems)

	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(`
# HELP tunfwd_tunnel_encap_packets_total Inner packets encapsulated into the tunnel.
# TYPE tunfwd_tunnel_encap_packets_total counter
tunfwd_tunnel_encap_packets_total{tunnel="g1",type="gre"} 10
tunfwd_tunnel_encap_packets_total{tunnel="g2",type="gre"} 20
tunfwd_tunnel_encap_packets_total{tunnel="vx1",type="vxlan"} 30
# HELP tunfwd_port_rx_packets_total Packets the workers received on the port.
# TYPE tunfwd_port_rx_packets_total counter
tunfwd_port_rx_packets_total{port="lan"} 100
tunfwd_port_rx_packets_total{port="l2"} 200
tunfwd_port_rx_packets_total{port="wan"} 300
# HELP tunfwd_device_rx_missed_total Packets the device dropped for want of rx descriptors (imissed).
# TYPE tunfwd_device_rx_missed_total counter
tunfwd_device_rx_missed_total{port="lan"} 3
tunfwd_device_rx_missed_total{port="l2"} 3
tunfwd_device_rx_missed_total{port="wan"} 3
# HELP tunfwd_worker_polls_total Receive polls of the worker.
# TYPE tunfwd_worker_polls_total counter
tunfwd_worker_polls_total{lcore="1",worker="0"} 1000
# HELP tunfwd_forwarding 1 while the workers forward, 0 when stopped.
# TYPE tunfwd_forwarding gauge
tunfwd_forwarding 1
`), "tunfwd_tunnel_encap_packets_total", "tunfwd_port_rx_packets_total", "tunfwd_device_rx_missed_total",
		"tunfwd_worker_polls_total", "tunfwd_forwarding"))

	// counters are read at scrape time: a tunnel added shows up
	s := New(f)
	mustRun(t, s, "tunnel add gre2 type=gre local=192.0.2.1 remote=192.0.2.9 key=5")
	require.Equal(t, 4, testutil.CollectAndCount(c, "tunfwd_tunnel_decap_bytes_total"))
}

// A real scrape over HTTP on the loopback.
func TestMetricsHTTP(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(newFake(t)))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	body := string(b)
	for _, want := range []string{
		`tunfwd_drops_total{reason="not_local"} 5`,
		`tunfwd_drops_total{reason="truncated"} 0`,
		`tunfwd_port_tx_bytes_total{port="wan"} 15000`,
		`tunfwd_port_drops_total{port="lan"} 1`,
		`tunfwd_tunnel_decap_packets_total{tunnel="vx1",type="vxlan"} 31`,
		`tunfwd_arp_replies_total 2`,
	} {
		require.Contains(t, body, want)
	}
}
