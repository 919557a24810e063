package dataplane

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tunfwd/conf"
	"tunfwd/pktgen"
)

// BenchmarkPacketPath times the C packet path alone (no rx PMD, net_null
// output) on the bench driver's points, for comparing changes on a noisy
// machine: the minimum and quartiles of TSC ticks per packet over many
// bursts. It needs the configs and pcaps of `go run ./bench` (TF_PERF_DIR,
// default ../build/bench) and is skipped without them. Not a test: run it
// with go test ./dataplane -run '^$' -bench PacketPath -benchtime 1x.
func BenchmarkPacketPath(b *testing.B) {
	dir := os.Getenv("TF_PERF_DIR")
	if dir == "" {
		dir = "../build/bench"
	}
	points := []string{"gre-encap-64", "gre-decap-64", "vxlan-encap-64", "vxlan-decap-64"}
	if p := os.Getenv("TF_PERF_POINTS"); p != "" {
		points = strings.Split(p, ",")
	}
	for _, name := range points {
		b.Run(name, func(b *testing.B) { perfPoint(b, dir, name) })
	}
}

func perfPoint(b *testing.B, dir, name string) {
	toml, err := os.ReadFile(filepath.Join(dir, name+".toml"))
	if err != nil {
		b.Skip(err)
	}
	// the EAL is the test binary's own
	src := regexp.MustCompile(`(?s)^.*?\n\[dataplane\]`).ReplaceAllString(string(toml), "[dataplane]")
	cfg, err := conf.Parse([]byte(src), name+".toml")
	if err != nil {
		b.Fatal(err)
	}
	inPort, outPort, pcap, err := PerfPorts(cfg)
	if err != nil {
		b.Fatal(err)
	}
	frames, err := pktgen.ReadPcap(pcap)
	if err != nil {
		b.Skip(err)
	}
	g, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	if err := g.StartPortsPerf(); err != nil {
		b.Fatal(err)
	}
	defer g.StopPortsPerf()
	iters := 30000
	if s := os.Getenv("TF_PERF_ITERS"); s != "" {
		fmt.Sscan(s, &iters)
	}
	c, err := g.PerfPath(inPort, outPort, frames, iters)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(c.AddedMin, "added-min-tsc/pkt")
	b.ReportMetric(c.PathP10, "p10-tsc/pkt")
	b.ReportMetric(c.IOP10, "io-p10-tsc/pkt")
	b.ReportMetric(c.AddedP10, "added-p10-tsc/pkt")
	b.ReportMetric(c.AddedP50, "added-p50-tsc/pkt")
}
