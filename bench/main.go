// Command bench is tunfwd's benchmark driver (issue 6): for each protocol,
// direction and inner frame size it measures, on one worker lcore (or
// more: -workers), the packets per second tunfwd forwards from a net_pcap
// infinite_rx port to net_null (GRE, VXLAN, L2TPv2, L2TPv3 over IP and UDP, SRv6
// H.Encaps and End.DX4, ESP), and in the same run the references on the
// same vdevs and input:
// dpdk-testpmd io forwarding (the ceiling of this harness), Open vSwitch's
// userspace datapath (VXLAN/GRE push and pop) where it can run, DPDK's
// ipsec-secgw for ESP. With -workers 1,2 each point is measured with one
// and two worker lcores (one rx and tx queue each). It prints a table and
// writes build/bench/results.{json,md} and ratios.png.
//
//	go run ./bench [-seconds 5] [-repeats 3] [-sizes 64,512,1400] [-flows 1024]
//	               [-points gre-encap,vxlan,l2tpv2,srv6-decap] [-workers 1,2]
//	               [-huge auto|on|off] [-both] [-quick]
//	go run ./bench -soak 10m    (the long run of issue 7: see soak.go)
//
// Needs root (DPDK) and a built tunfwd (make bench does both).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-spin" { // perf cross-check of the clock chain
		n, _ := strconv.ParseUint(os.Args[2], 10, 64)
		imulChain(n)
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	tunfwd, testpmd string
	secgw           string
	out             string
	seconds         time.Duration
	warmup          time.Duration
	period          time.Duration
	repeats         int
	sizes           []int
	workers         []int // worker counts measured
	flows           int
	points          []string // name filters ("gre", "gre-encap", "vxlan-decap-64")
	huge            string
	both            bool
	quick           bool
	refs            bool
	ovs             string
	mbufs           int
	main, worker    int
	verbose         bool
	profile         string // off, esp or all: which points get a perf profile per tool
	espPMD, espMode string // the ESP points' crypto PMD (both tools) and tunfwd's crypto mode
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var sizes, points, workers string
	fs.StringVar(&o.tunfwd, "tunfwd", "build/bin/tunfwd", "tunfwd binary")
	fs.StringVar(&o.testpmd, "testpmd", "dpdk-testpmd", "dpdk-testpmd binary")
	fs.StringVar(&o.secgw, "secgw", "build/ipsec-secgw/ipsec-secgw", "DPDK ipsec-secgw binary (scripts/bench-deps.sh builds it from dpdk-doc); missing: left out")
	fs.StringVar(&o.out, "out", "build/bench", "output directory (inputs, configs, results)")
	fs.DurationVar(&o.seconds, "seconds", 5*time.Second, "steady-state measuring time per run, after the warm-up")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "warm-up discarded at the start of each run")
	fs.DurationVar(&o.period, "period", time.Second, "tunfwd sample period (--stats-period); testpmd always samples each second")
	fs.IntVar(&o.repeats, "repeats", 3, "runs per point and tool; the median is reported")
	fs.StringVar(&sizes, "sizes", "64,512,1400", "inner Ethernet frame sizes (bytes, without FCS)")
	fs.StringVar(&workers, "workers", "auto", "worker lcore counts to measure each point with, e.g. 1,2 (one rx and tx queue per worker; "+
		"workers beyond the free CPUs share the main lcore's CPU); auto: 1,2 when the machine has a CPU for each and the main lcore, else 1")
	fs.IntVar(&o.flows, "flows", 1024, "distinct flows (frames in the input pcap)")
	fs.StringVar(&points, "points", "", "comma-separated point filters, e.g. gre-encap,vxlan-decap-64 (default all)")
	fs.StringVar(&o.huge, "huge", "auto", "hugepages: auto (when reserved and mounted), on, off (--no-huge)")
	fs.BoolVar(&o.both, "both", false, "measure with hugepages and with --no-huge")
	fs.BoolVar(&o.quick, "quick", false, "smoke run: one point per protocol (encap, 64 B), 1 s, 1 repeat")
	fs.BoolVar(&o.refs, "refs", true, "measure the references (testpmd, OVS)")
	fs.StringVar(&o.ovs, "ovs", "auto", "Open vSwitch reference: auto (when installed) or off")
	fs.IntVar(&o.mbufs, "mbufs", 16383, "mempool size, the same for every tool")
	fs.IntVar(&o.main, "main-lcore", 0, "main lcore (control threads)")
	fs.IntVar(&o.worker, "worker-lcore", 1, "the (first) measured worker lcore (also testpmd's first forwarding core, OVS's PMD)")
	fs.BoolVar(&o.verbose, "v", false, "print the tools' output")
	fs.StringVar(&o.profile, "profile", "esp", "after a point's rounds, run each tool once more under perf record on the worker lcore and "+
		"split its cycles per packet into its own code and the libraries all tools share: esp (ESP points), all, or off")
	fs.StringVar(&o.espPMD, "esp-pmd", "aesni_gcm", "ESP points: the crypto PMD of both tunfwd and ipsec-secgw, aesni_gcm or aesni_mb (both Intel IPsec-MB)")
	fs.StringVar(&o.espMode, "esp-mode", "cpu", "ESP points: tunfwd's crypto mode, cpu or lookaside (ipsec-secgw runs in both)")
	soakFor := fs.Duration("soak", 0, "soak instead of benchmarking: run tunfwd this long on mixed, partly malformed traffic through every tunnel type and check pool, counters and memory at the end")
	rerender := fs.String("report", "", "only recompute and rewrite the table, results.md and ratios.png from this results.json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.espPMD != "aesni_gcm" && o.espPMD != "aesni_mb" {
		fmt.Fprintf(stderr, "bench: -esp-pmd %q: want aesni_gcm or aesni_mb\n", o.espPMD)
		return 2
	}
	if o.espMode != "cpu" && o.espMode != "lookaside" {
		fmt.Fprintf(stderr, "bench: -esp-mode %q: want cpu or lookaside\n", o.espMode)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "bench: unexpected arguments", fs.Args())
		return 2
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 64 || n > 1450 {
			fmt.Fprintf(stderr, "bench: bad size %q (64..1450)\n", s)
			return 2
		}
		o.sizes = append(o.sizes, n)
	}
	if workers == "auto" {
		workers = "1"
		if runtime.NumCPU() >= 3 && !o.quick {
			workers = "1,2"
		}
	}
	for _, s := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 8 {
			fmt.Fprintf(stderr, "bench: bad worker count %q (1..8)\n", s)
			return 2
		}
		o.workers = append(o.workers, n)
	}
	if points != "" {
		o.points = strings.Split(points, ",")
	}
	if o.quick {
		o.seconds, o.warmup, o.period, o.repeats = time.Second, 500*time.Millisecond, 250*time.Millisecond, 1
		o.sizes = []int{64}
		if points == "" {
			o.points = []string{"gre-encap", "vxlan-encap", "l2tpv2-encap", "l2tpv3-encap", "srv6-encap"}
		}
	}
	if *rerender != "" {
		if err := report(*rerender, stdout); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		return 0
	}
	if o.profile != "off" && o.profile != "esp" && o.profile != "all" {
		fmt.Fprintf(stderr, "bench: -profile %q: want off, esp or all\n", o.profile)
		return 2
	}
	if o.repeats < 1 || o.flows < 1 || o.period <= 0 {
		fmt.Fprintln(stderr, "bench: -repeats, -flows and -period must be positive")
		return 2
	}
	for _, w := range o.workers {
		if o.flows < w {
			fmt.Fprintf(stderr, "bench: -flows %d: fewer flows than the %d workers' rx queues\n", o.flows, w)
			return 2
		}
	}
	if *soakFor > 0 {
		if err := soak(o, *soakFor, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		return 0
	}
	if err := bench(o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

// report re-reads a results.json and writes its table, Markdown and chart again.
func report(path string, stdout io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var res Results
	if err := json.Unmarshal(b, &res); err != nil {
		return err
	}
	res.summarize()
	printTable(stdout, &res)
	return res.write(filepath.Dir(path))
}

// hugepagesReady says whether 2 MB pages are reserved and hugetlbfs is mounted.
func hugepagesReady() (bool, string) {
	b, err := os.ReadFile("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages")
	if err != nil {
		return false, "no 2 MB hugepage support"
	}
	free, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if free < 300 { // 512 MB for the EAL plus slack
		return false, fmt.Sprintf("only %d free 2 MB hugepages (run scripts/hugepages.sh)", free)
	}
	m, _ := os.ReadFile("/proc/mounts")
	if !strings.Contains(string(m), " hugetlbfs ") {
		return false, "no hugetlbfs mount (run scripts/hugepages.sh)"
	}
	return true, fmt.Sprintf("%d free 2 MB hugepages", free)
}

func allPoints(o options) []Point {
	var ps []Point
	for _, w := range o.workers {
		for _, proto := range protos {
			for _, dir := range []string{"encap", "decap"} {
				for _, sz := range o.sizes {
					p := Point{Proto: proto, Dir: dir, Size: sz, Flows: o.flows, Workers: w}
					if selected(p, o.points) {
						ps = append(ps, p)
					}
				}
			}
		}
	}
	return ps
}

func selected(p Point, filters []string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		f = strings.TrimSpace(f)
		if f == p.Name() || strings.HasPrefix(p.Name(), f+"-") {
			return true
		}
	}
	return false
}

func bench(o options, stdout, stderr io.Writer) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root (DPDK)")
	}
	if _, err := os.Stat(o.tunfwd); err != nil {
		return fmt.Errorf("tunfwd binary: %w (make bench builds it)", err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	abs, _ := filepath.Abs(o.out)
	o.out = abs
	points := allPoints(o)
	if len(points) == 0 {
		return fmt.Errorf("no point matches -points %v", o.points)
	}
	log := io.Discard
	if o.verbose {
		log = stderr
	}
	res := &Results{Date: time.Now().UTC().Format(time.RFC3339), Command: "bench " + strings.Join(os.Args[1:], " "),
		CPU: cpuModel(), TSCMHz: cpuinfoMHz(o.worker), Flows: o.flows, Repeats: o.repeats,
		WarmupS: o.warmup.Seconds(), MeasureS: o.seconds.Seconds(), WorkerLcore: o.worker, MainLcore: o.main,
		Workers: o.workers, CPUs: runtime.NumCPU(), ESPPMD: o.espPMD, ESPMode: o.espMode}
	res.Host, _ = os.Hostname()
	clk := newClock(o.worker)
	res.ClockMethod = clk.method
	fmt.Fprintf(stdout, "bench: %d points x %d repeats, %v steady + %v warm-up each, worker lcore %d; clock: %s\n",
		len(points), o.repeats, o.seconds, o.warmup, o.worker, clk.method)

	var modes []bool
	hugeOK, hugeWhy := hugepagesReady()
	switch {
	case o.both:
		if !hugeOK {
			fmt.Fprintf(stdout, "bench: -both, but hugepages are not usable (%s): --no-huge only\n", hugeWhy)
			modes = []bool{false}
		} else {
			modes = []bool{true, false}
		}
	case o.huge == "on":
		if !hugeOK {
			return fmt.Errorf("-huge on: %s", hugeWhy)
		}
		modes = []bool{true}
	case o.huge == "off":
		modes = []bool{false}
	case o.huge == "auto":
		modes = []bool{hugeOK}
		if !hugeOK {
			fmt.Fprintf(stdout, "bench: hugepages not usable (%s): running with --no-huge\n", hugeWhy)
		}
	default:
		return fmt.Errorf("-huge %q: want auto, on or off", o.huge)
	}

	tm := timing{warmup: o.warmup, measure: o.seconds, period: o.period}
	if o.profile != "off" {
		if err := perfUsable(); err != nil {
			fmt.Fprintf(stdout, "bench: no profiles (%v)\n", err)
			o.profile = "off"
		}
	}
	for _, huge := range modes {
		env := Env{Huge: huge, Main: o.main, Worker: o.worker, Mbufs: o.mbufs, Prefix: "tfbench", CryptoMode: o.espMode, CryptoPMD: o.espPMD}
		mode := Mode{Hugepages: huge}
		useOVS := o.refs && o.ovs != "off"
		if !useOVS {
			mode.OVSNote = "not measured (-refs=false or -ovs off)"
		}
		for _, p := range points {
			pr := PointResult{Point: p, Name: p.Name(), InputSize: p.InputSize(), OutputSize: p.OutputSize(),
				Runs: map[string][]Run{}}
			frames, err := p.Frames()
			if err != nil {
				return err
			}
			// one input file per rx queue, i.e. per worker
			var pcaps []string
			for q, fs := range queueFrames(frames, max(1, p.Workers)) {
				f := filepath.Join(o.out, p.Name()+".in.pcap")
				if p.Workers > 1 {
					f = filepath.Join(o.out, fmt.Sprintf("%s.q%d.in.pcap", p.Name(), q))
				}
				if err := writePcap(f, fs); err != nil {
					return err
				}
				pcaps = append(pcaps, f)
			}
			pl := env.place(max(1, p.Workers))
			where := fmt.Sprintf("worker lcores %v", pl.ids)
			if pl.shared {
				where += " (--lcores " + pl.lcores + ": a worker shares the main lcore's CPU)"
				pr.Lcores, pr.SharedCPU = pl.lcores, true
			}
			fmt.Fprintf(stdout, "%s (%s): %d input file(s), %d flows, %d B in -> %d B out, %s\n", p.Name(), hugeName(huge),
				len(pcaps), p.Flows, p.InputSize(), p.OutputSize(), where)
			for i := 0; i < o.repeats; i++ {
				// interleave the tools so that a noisy neighbour hits them alike
				r := runTunfwd(o.tunfwd, o.out, p, env, pcaps, tm, log)
				r.ClockHz = clk.measure()
				pr.Runs["tunfwd"] = append(pr.Runs["tunfwd"], r)
				fmt.Fprintf(stdout, "  tunfwd  #%d %s\n", i+1, r.brief())
				// the path alone, in-process (its own clock reading); tunfwd perf holds at most 4096 frames
				if p.Workers <= 1 && len(frames) <= 4096 {
					pp := runPath(o.tunfwd, o.out, p, log)
					pp.ClockHz = clk.measure()
					pr.Path = append(pr.Path, pp)
					fmt.Fprintf(stdout, "  path    #%d %s\n", i+1, pp.brief())
				}
				if !o.refs {
					continue
				}
				r = runTestpmd(o.testpmd, p, env, pcaps, tm, log)
				r.ClockHz = clk.measure()
				pr.Runs["testpmd"] = append(pr.Runs["testpmd"], r)
				fmt.Fprintf(stdout, "  testpmd #%d %s\n", i+1, r.brief())
				if p.Workers > 1 {
					continue // ipsec-secgw and OVS: one worker only
				}
				if p.Proto == "esp" {
					if _, err := os.Stat(o.secgw); err != nil {
						if i == 0 {
							pr.Setup = append(pr.Setup, "ipsec-secgw left out: "+err.Error())
						}
						continue
					}
					for _, tool := range []string{"secgw-cpu", "secgw-lookaside"} {
						r = runSecgw(o.secgw, o.out, tool, p, env, pcaps[0], tm, log)
						r.ClockHz = clk.measure()
						pr.Runs[tool] = append(pr.Runs[tool], r)
						fmt.Fprintf(stdout, "  %-7s #%d %s\n", tool, i+1, r.brief())
					}
					continue
				}
				if useOVS && (p.Proto == "gre" || p.Proto == "vxlan") {
					var why string
					r, why = runOVS(o, env, filepath.Join(o.out, "ovs"), p, pcaps[0], tm, log)
					if why != "" {
						mode.OVSNote = "left out: " + why
						fmt.Fprintf(stdout, "bench: Open vSwitch left out (%s): %s\n", hugeName(huge), why)
						useOVS = false
						continue
					}
					r.ClockHz = clk.measure()
					pr.Runs["ovs"] = append(pr.Runs["ovs"], r)
					fmt.Fprintf(stdout, "  ovs     #%d %s\n", i+1, r.brief())
				}
			}
			if p.Workers <= 1 && (o.profile == "all" || o.profile == "esp" && p.Proto == "esp") {
				pr.Profiles = profilePoint(o, env, p, pcaps, tm, log, stdout)
			}
			mode.Points = append(mode.Points, pr)
		}
		res.Modes = append(res.Modes, mode)
	}
	res.summarize()
	printTable(stdout, res)
	if err := res.write(o.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s/results.json, results.md, ratios.png\n", o.out)
	var bad []string
	for _, m := range res.Modes {
		for _, pr := range m.Points {
			if !pr.Valid {
				bad = append(bad, pr.Name+" ("+hugeName(m.Hugepages)+")")
			}
		}
	}
	if len(bad) > 0 { // a point that did not forward what it should is a failure, not a number
		return fmt.Errorf("%d point(s) invalid, see their notes: %s", len(bad), strings.Join(bad, ", "))
	}
	return nil
}

func hugeName(h bool) string {
	if h {
		return "hugepages"
	}
	return "no-huge"
}

func (r Run) brief() string {
	s := fmt.Sprintf("%7.3f Mpps (samples %s; whole run %.3f Mpps), tx %d, drops %d, VmHWM %d MB",
		r.Mpps, fmtSamples(r.Samples), r.MppsTotal, r.TxPkts, r.Drops, r.VmHWMkB/1024)
	if r.ClockHz > 0 {
		s += fmt.Sprintf(", clock %.2f GHz", r.ClockHz/1e9)
	}
	if !r.Valid {
		s += " INVALID"
	}
	if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	return s
}

func fmtSamples(v []float64) string {
	p := make([]string, len(v))
	for i, x := range v {
		p[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(p, " ")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
