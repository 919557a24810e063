package main

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tunfwd/cli"
)

// checkMetricsAddr accepts host:port on a loopback address ("localhost"
// included); any address with any.
func checkMetricsAddr(addr string, any bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--metrics %q: want HOST:PORT, e.g. 127.0.0.1:9469", addr)
	}
	if any || host == "localhost" {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil && a.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--metrics %q is not a loopback address: counters would be open to the network (add --metrics-any to mean it)", addr)
}

// serveMetrics serves the gateway's counters in Prometheus text format at
// /metrics on ln until the returned server is closed.
func serveMetrics(ln net.Listener, gw cli.Gateway) *http.Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(cli.NewCollector(gw))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return srv
}
