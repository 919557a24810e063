package dataplane

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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

var perfVdev = regexp.MustCompile(`(?m)^vdev = "([^"]*)"$`)

func perfPoint(b *testing.B, dir, name string) {
	toml, err := os.ReadFile(filepath.Join(dir, name+".toml"))
	if err != nil {
		b.Skip(err)
	}
	frames, err := pktgen.ReadPcap(filepath.Join(dir, name+".in.pcap"))
	if err != nil {
		b.Skip(err)
	}
	// every port a net_null; the pcap port is where the frames come in
	n := 0
	var inPort string
	names := regexp.MustCompile(`(?m)^name = "([^"]*)"$`).FindAllStringSubmatch(string(toml), -1)
	seq := rigSeq.Add(1)
	src := perfVdev.ReplaceAllStringFunc(string(toml), func(l string) string {
		if strings.Contains(l, "net_pcap") && n < len(names) {
			inPort = names[n][1]
		}
		n++
		return fmt.Sprintf(`vdev = "net_null_perf%d_%d,no-rx=1"`, seq, n)
	})
	src = regexp.MustCompile(`(?s)^.*?\n\[dataplane\]`).ReplaceAllString(src, "[dataplane]")
	cfg, err := conf.Parse([]byte(src), name+".toml")
	if err != nil {
		b.Fatal(err)
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
	const burst = 32
	iters := 30000
	if s := os.Getenv("TF_PERF_ITERS"); s != "" {
		fmt.Sscan(s, &iters)
	}
	var outPort string
	for _, nm := range names[:n] {
		if nm[1] != inPort {
			outPort = nm[1]
		}
	}
	before := g.raw()
	cyc, io, err := g.PerfRun(inPort, outPort, frames, burst, iters)
	if err != nil {
		b.Fatal(err)
	}
	after := g.raw()
	var tx, drops uint64
	for _, p := range g.Ports {
		tx += after.ports[p.ID].TxPkts - before.ports[p.ID].TxPkts
	}
	for i := range after.drops {
		drops += after.drops[i] - before.drops[i]
	}
	if tx != uint64(burst*iters) || drops != 0 {
		b.Fatalf("tx %d of %d, drops %d", tx, burst*iters, drops)
	}
	if avail, size := g.PoolAvail(); avail != size {
		b.Fatalf("mbuf leak: %d of %d", avail, size)
	}
	q := func(c []uint64, f float64) float64 {
		sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
		return float64(c[int(f*float64(len(c)-1))]) / burst
	}
	b.ReportMetric(q(cyc, 0)-q(io, 0), "added-min-tsc/pkt")
	b.ReportMetric(q(cyc, 0.1), "p10-tsc/pkt")
	b.ReportMetric(q(io, 0.1), "io-p10-tsc/pkt")
	b.ReportMetric(q(cyc, 0.1)-q(io, 0.1), "added-p10-tsc/pkt")
	b.ReportMetric(q(cyc, 0.5)-q(io, 0.5), "added-p50-tsc/pkt")
}
