package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Run is one measurement of one tool on one point.
type Run struct {
	Tool      string    `json:"tool"`
	Mpps      float64   `json:"mpps"`       // steady-state output rate (after warm-up)
	Samples   []float64 `json:"samples"`    // per-period output rates, Mpps, warm-up excluded
	MppsTotal float64   `json:"mpps_total"` // output packets / whole run time, warm-up included
	TxPkts    uint64    `json:"tx_packets"`
	RxPkts    uint64    `json:"rx_packets"`
	Drops     uint64    `json:"drops"`
	Seconds   float64   `json:"seconds"`
	ClockHz   float64   `json:"clock_hz"` // effective clock of the worker CPU, right after the run
	VmHWMkB   int       `json:"vm_hwm_kb"`
	HugetlbkB int       `json:"hugetlb_kb"`
	Mbufs     int       `json:"mempool_mbufs"`
	Valid     bool      `json:"valid"`
	Note      string    `json:"note,omitempty"`
}

// timing is how long a run lasts and how it is sampled.
type timing struct {
	warmup  time.Duration // samples ending before this are discarded
	measure time.Duration // steady-state time after the warm-up
	period  time.Duration // sample period (testpmd: whole seconds only)
	steady  func()        // if set, called once when the warm-up is over (bench -profile starts perf then)
}

// procMem reads VmHWM and HugetlbPages (kB) of pid.
func procMem(pid int) (hwm, huge int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmHWM:":
			hwm = v
		case "HugetlbPages:":
			huge = v
		}
	}
	return hwm, huge
}

// sampler collects the periodic output rates of a tool: the first `skip`
// samples cover the warm-up and are dropped, and ready closes once `want`
// steady samples are in.
type sampler struct {
	skip, want int
	all        []float64
	ready      chan struct{}
	onSteady   func()
}

func newSampler(tm timing) *sampler {
	skip := int((tm.warmup + tm.period - 1) / tm.period)
	want := max(1, int((tm.measure+tm.period-1)/tm.period))
	return &sampler{skip: skip, want: want, ready: make(chan struct{}), onSteady: tm.steady}
}

func (s *sampler) add(mpps float64) {
	s.all = append(s.all, mpps)
	if len(s.all) >= s.skip && s.onSteady != nil { // once
		f := s.onSteady
		s.onSteady = nil
		f()
	}
	if len(s.all) == s.skip+s.want {
		close(s.ready)
	}
}

func (s *sampler) steady() []float64 {
	if len(s.all) <= s.skip {
		return nil
	}
	return s.all[s.skip:]
}

// stopWhen sends SIGINT to cmd once ready closes (reading its memory just
// before) or after timeout, and waits for it to exit, killing it if it hangs.
func stopWhen(cmd *exec.Cmd, ready <-chan struct{}, timeout time.Duration, done <-chan struct{}) (hwm, huge int, err error) {
	select {
	case <-ready:
	case <-time.After(timeout):
	case <-done: // Wait has returned: its state says how (a crash is "signal: segmentation fault")
		return 0, 0, fmt.Errorf("exited early (%v)", cmd.ProcessState)
	}
	hwm, huge = procMem(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		return hwm, huge, fmt.Errorf("did not stop within 30 s of SIGINT; killed")
	}
	return hwm, huge, nil
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// tunfwdSummary is the part of tunfwd's --stats-json this driver reads.
type tunfwdSummary struct {
	Seconds float64 `json:"seconds"`
	Mempool struct {
		Size      int `json:"size"`
		Available int `json:"available"`
	} `json:"mempool"`
	Ports []struct {
		Name    string `json:"name"`
		RxPkts  uint64 `json:"rx_packets"`
		TxPkts  uint64 `json:"tx_packets"`
		TxBytes uint64 `json:"tx_bytes"`
	} `json:"ports"`
	Tunnels []struct {
		Name      string `json:"name"`
		EncapPkts uint64 `json:"encap_packets"`
		DecapPkts uint64 `json:"decap_packets"`
	} `json:"tunnels"`
	SAs []struct {
		Dir     string `json:"dir"`
		Packets uint64 `json:"packets"`
	} `json:"sas"`
	SIDs []struct {
		SID  string `json:"sid"`
		Pkts uint64 `json:"packets"`
	} `json:"sids"`
	Workers []struct {
		Lcore     int    `json:"lcore"`
		BusyPolls uint64 `json:"busy_polls"`
	} `json:"workers"`
	Dropped   uint64            `json:"dropped"`
	Drops     map[string]uint64 `json:"drops"`
	EncapPkts uint64            `json:"encap_packets"`
	DecapPkts uint64            `json:"decap_packets"`
}

// verify checks that a run did the point's work and nothing else: frames
// left by the point's output port only, every one of the output size, each
// counted by the tunnel, SA or SID that did the work, rx = tx + drops, and
// the mempool whole again. A point that forwards nothing, or forwards
// something else, is invalid: its rate is not reported.
func verify(p Point, s *tunfwdSummary) error {
	var rx, tx uint64
	var out *struct {
		Name    string `json:"name"`
		RxPkts  uint64 `json:"rx_packets"`
		TxPkts  uint64 `json:"tx_packets"`
		TxBytes uint64 `json:"tx_bytes"`
	}
	for i, pc := range s.Ports {
		rx += pc.RxPkts
		tx += pc.TxPkts
		if pc.Name == p.outPort() {
			out = &s.Ports[i]
		}
	}
	switch {
	case out == nil:
		return fmt.Errorf("no port %q in the summary", p.outPort())
	case out.TxPkts == 0:
		return fmt.Errorf("nothing left port %s", out.Name)
	case out.TxPkts != tx:
		return fmt.Errorf("%d of %d frames left by other ports than %s", tx-out.TxPkts, tx, out.Name)
	case out.TxBytes != out.TxPkts*uint64(p.OutputSize()):
		return fmt.Errorf("port %s sent %d bytes in %d frames, want %d bytes each", out.Name, out.TxBytes, out.TxPkts, p.OutputSize())
	case rx != tx+s.Dropped:
		return fmt.Errorf("rx %d != tx %d + drops %d", rx, tx, s.Dropped)
	case s.Mempool.Available != s.Mempool.Size:
		return fmt.Errorf("mempool %d of %d mbufs free at exit", s.Mempool.Available, s.Mempool.Size)
	}
	if len(s.Workers) != max(1, p.Workers) {
		return fmt.Errorf("%d workers ran, want %d", len(s.Workers), max(1, p.Workers))
	}
	for _, w := range s.Workers {
		if w.BusyPolls == 0 { // its rx queue gave it nothing
			return fmt.Errorf("worker lcore %d received nothing", w.Lcore)
		}
	}
	var did uint64
	what := "tunnel"
	switch {
	case p.Proto == "esp":
		what = "SA"
		for _, sa := range s.SAs {
			if (sa.Dir == "out") == (p.Dir == "encap") {
				did += sa.Packets
			}
		}
	case p.Proto == "srv6" && p.Dir == "decap":
		what = "End.DX4 SID"
		for _, sid := range s.SIDs {
			did += sid.Pkts
		}
	case p.Dir == "encap":
		did = s.EncapPkts
	default:
		did = s.DecapPkts
	}
	if did != tx {
		return fmt.Errorf("%s counters say %d packets %sed, port %s sent %d", what, did, p.Dir, out.Name, tx)
	}
	return nil
}

var rateRE = regexp.MustCompile(`^rx ([0-9.]+) Mpps\s+tx ([0-9.]+) Mpps`)

// PathRun is one `tunfwd perf` run: the packet path's own cost measured
// in-process, bursts of the point's frames through the path interleaved
// with bursts sent straight out (io forwarding), each timed with the TSC.
type PathRun struct {
	AddedP10 float64 `json:"added_p10_tsc"` // p10 of path bursts - p10 of io bursts, TSC ticks per packet
	AddedMin float64 `json:"added_min_tsc"`
	PathP10  float64 `json:"path_p10_tsc"`
	IOP10    float64 `json:"io_p10_tsc"`
	TSCHz    float64 `json:"tsc_hz"`
	ClockHz  float64 `json:"clock_hz"` // effective clock of the worker CPU, right after the run
	Bursts   int     `json:"bursts"`
	Valid    bool    `json:"valid"`
	Note     string  `json:"note,omitempty"`
}

func (r PathRun) brief() string {
	if !r.Valid {
		return "INVALID (" + r.Note + ")"
	}
	return fmt.Sprintf("added %.1f TSC ticks/pkt (p10; min %.1f), path %.1f, io %.1f", r.AddedP10, r.AddedMin, r.PathP10, r.IOP10)
}

// runPath runs `tunfwd perf` on the point's configuration (as runTunfwd wrote it).
func runPath(bin, dir string, p Point, log io.Writer) PathRun {
	var r PathRun
	cmd := exec.Command(bin, "perf", "--conf", filepath.Join(dir, p.Name()+".toml"), "--json")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	fmt.Fprint(log, indent(stderr.String(), "  tunfwd perf! "))
	if err != nil {
		r.Note = "tunfwd perf: " + err.Error() + ": " + lastLine(stderr.String())
		return r
	}
	var c struct {
		Bursts                       int
		TSCHz, PathP10, IOP10        float64
		AddedMin, AddedP10, AddedP50 float64
	}
	if err := json.Unmarshal(out, &c); err != nil {
		r.Note = "tunfwd perf: " + err.Error()
		return r
	}
	r = PathRun{AddedP10: c.AddedP10, AddedMin: c.AddedMin, PathP10: c.PathP10, IOP10: c.IOP10, TSCHz: c.TSCHz,
		Bursts: c.Bursts, Valid: c.TSCHz > 0}
	return r
}

// runTunfwd runs the gateway on one point's config and measures its output rate.
func runTunfwd(bin, dir string, p Point, env Env, pcaps []string, tm timing, log io.Writer) Run {
	r := Run{Tool: "tunfwd"}
	cf := filepath.Join(dir, p.Name()+".toml")
	js := filepath.Join(dir, p.Name()+".tunfwd.json")
	os.Remove(js)
	if err := writeFile(cf, tunfwdConf(p, env, pcaps)); err != nil {
		r.Note = err.Error()
		return r
	}
	cmd := exec.Command(bin, "--conf", cf, "--stats-period", tm.period.String(), "--stats-json", js)
	out, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		r.Note = err.Error()
		return r
	}
	ss := newSampler(tm)
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l := sc.Text()
			fmt.Fprintln(log, "  tunfwd:", l)
			if m := rateRE.FindStringSubmatch(l); m != nil {
				v, _ := strconv.ParseFloat(m[2], 64)
				ss.add(v)
			}
		}
		cmd.Wait()
		close(done)
	}()
	hwm, huge, err := stopWhen(cmd, ss.ready, tm.warmup+tm.measure+30*time.Second, done)
	r.VmHWMkB, r.HugetlbkB = hwm, huge
	fmt.Fprint(log, indent(stderr.String(), "  tunfwd! "))
	if err != nil {
		r.Note = "tunfwd " + err.Error() + ": " + lastLine(stderr.String())
		return r
	}
	exitBad := false
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		r.Note = fmt.Sprintf("tunfwd exit status %d: %s", code, lastLine(stderr.String()))
		exitBad = true
	}
	b, err := os.ReadFile(js)
	if err != nil {
		r.Note = strings.TrimPrefix(r.Note+"; ", "; ") + "no stats JSON: " + err.Error()
		return r
	}
	var s tunfwdSummary
	if err := json.Unmarshal(b, &s); err != nil {
		r.Note = "bad stats JSON: " + err.Error()
		return r
	}
	for _, pc := range s.Ports {
		r.RxPkts += pc.RxPkts
		r.TxPkts += pc.TxPkts
	}
	r.Drops, r.Seconds, r.Mbufs = s.Dropped, s.Seconds, s.Mempool.Size
	r.Samples = ss.steady()
	r.Mpps = mean(r.Samples)
	if s.Seconds > 0 {
		r.MppsTotal = float64(r.TxPkts) / s.Seconds / 1e6
	}
	verr := verify(p, &s)
	r.Valid = r.Drops == 0 && r.Mpps > 0 && verr == nil && !exitBad
	if r.Drops != 0 {
		r.Note = strings.TrimPrefix(r.Note+"; ", "; ") + fmt.Sprintf("%d drops %v: point invalid", r.Drops, nonzero(s.Drops))
	} else if verr != nil {
		r.Note = strings.TrimPrefix(r.Note+"; ", "; ") + verr.Error() + ": point invalid"
	}
	if r.Mpps == 0 && r.Note == "" {
		r.Note = "no steady-state rate sample"
	}
	return r
}

func nonzero(m map[string]uint64) map[string]uint64 {
	o := map[string]uint64{}
	for k, v := range m {
		if v != 0 {
			o[k] = v
		}
	}
	return o
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func indent(s, pre string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre) + "\n"
}

var (
	nicStatsRE = regexp.MustCompile(`NIC statistics for port (\d+)`)
	fwdStatsRE = regexp.MustCompile(`Forward statistics for port (\d+)`)
	txppsRE    = regexp.MustCompile(`Tx-pps:\s+(\d+)`)
	txPktsRE   = regexp.MustCompile(`TX-packets:\s+(\d+)\s+TX-dropped:\s+(\d+)`)
	rxPktsRE   = regexp.MustCompile(`RX-packets:\s+(\d+)\s+RX-dropped:\s+(\d+)`)
	// "Logical Core 1 (socket 0) forwards packets on 2 streams:", then "  RX P=0/Q=0 (socket 0) -> TX P=1/Q=0 ..."
	lcoreStreamsRE = regexp.MustCompile(`^Logical Core (\d+) .*forwards packets on`)
	streamRE       = regexp.MustCompile(`^\s+RX P=(\d+)/Q=(\d+)`)
)

// runTestpmd measures dpdk-testpmd io forwarding from the same input pcaps
// (net_pcap infinite_rx, port 0, one rx queue per file and worker) to
// net_null (port 1) on the same lcores.
func runTestpmd(bin string, p Point, env Env, pcaps []string, tm timing, log io.Writer) Run {
	r := Run{Tool: "testpmd", Mbufs: env.Mbufs}
	prefix := fmt.Sprintf("%s-tp-%d", env.Prefix, os.Getpid())
	nw := max(1, p.Workers)
	pl := env.place(nw)
	var args []string
	if pl.lcores != "" {
		args = []string{"--lcores", pl.lcores}
	} else {
		ids := []string{strconv.Itoa(env.Main)}
		for _, id := range pl.ids {
			ids = append(ids, strconv.Itoa(id))
		}
		args = []string{"-l", strings.Join(ids, ",")}
	}
	args = append(args, "--main-lcore", strconv.Itoa(env.Main),
		"-m", "512", "--no-pci", "--no-telemetry", "--file-prefix", prefix)
	if env.Huge {
		args = append(args, "--huge-unlink")
	} else {
		args = append(args, "--no-huge", "--no-shconf")
	}
	// streams go to cores in the order (port 0, q0), (port 1, q0), (port 0,
	// q1), ...: with one queue per core each core gets one input queue
	args = append(args, "--vdev", pcapVdev("net_pcap_tin", pcaps),
		"--vdev", "net_null_tout,no-rx=1", "--",
		"--forward-mode=io", "--auto-start", "--stats-period", "1",
		"--nb-cores", strconv.Itoa(nw), "--rxq", strconv.Itoa(nw), "--txq", strconv.Itoa(nw),
		"--total-num-mbufs", strconv.Itoa(env.Mbufs), "--mbcache=256",
		"--rxd=1024", "--txd=1024", "--burst=32")
	cmd := exec.Command(bin, args...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.Note = err.Error()
		return r
	}
	tm.period = time.Second // testpmd's --stats-period is whole seconds
	ss := newSampler(tm)
	ss.skip++ // the first show comes right at start, with no previous one to rate against
	var tail []string
	inCores := map[int]bool{} // forwarding cores with a stream from the input port
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		port, fwdPort, core := -1, -1, -1
		for sc.Scan() {
			l := sc.Text()
			tail = append(tail, l)
			if len(tail) > 40 {
				tail = tail[1:]
			}
			if m := lcoreStreamsRE.FindStringSubmatch(l); m != nil {
				core, _ = strconv.Atoi(m[1])
			}
			if m := streamRE.FindStringSubmatch(l); m != nil && m[1] == "0" && core >= 0 {
				inCores[core] = true
			}
			if m := nicStatsRE.FindStringSubmatch(l); m != nil {
				port, _ = strconv.Atoi(m[1])
			}
			if m := fwdStatsRE.FindStringSubmatch(l); m != nil {
				fwdPort, _ = strconv.Atoi(m[1])
			}
			if m := txppsRE.FindStringSubmatch(l); m != nil && port == 1 {
				v, _ := strconv.ParseFloat(m[1], 64)
				ss.add(v / 1e6)
			}
			if m := txPktsRE.FindStringSubmatch(l); m != nil && fwdPort == 1 {
				r.TxPkts, _ = strconv.ParseUint(m[1], 10, 64)
				d, _ := strconv.ParseUint(m[2], 10, 64)
				r.Drops += d
				fwdPort = -1
			}
			if m := rxPktsRE.FindStringSubmatch(l); m != nil && fwdPort == 0 {
				r.RxPkts, _ = strconv.ParseUint(m[1], 10, 64)
				d, _ := strconv.ParseUint(m[2], 10, 64)
				r.Drops += d
			}
		}
		cmd.Wait()
		close(done)
	}()
	hwm, huge, err := stopWhen(cmd, ss.ready, tm.warmup+tm.measure+30*time.Second, done)
	r.Seconds = time.Since(start).Seconds()
	os.RemoveAll(filepath.Join("/var/run/dpdk", prefix))
	r.VmHWMkB, r.HugetlbkB = hwm, huge
	if err != nil {
		r.Note = "testpmd " + err.Error() + ": " + strings.Join(tail, " | ")
		return r
	}
	fmt.Fprintln(log, "  testpmd:", strings.Join(grepLines(tail, "TX-packets", "RX-packets"), " | "))
	r.Samples = ss.steady()
	r.Mpps = mean(r.Samples)
	r.MppsTotal = float64(r.TxPkts) / r.Seconds / 1e6
	r.Valid = r.Drops == 0 && r.Mpps > 0 && len(inCores) == nw
	if r.Drops != 0 {
		r.Note = fmt.Sprintf("%d drops: invalid", r.Drops)
	} else if r.Mpps == 0 {
		r.Note = "no steady-state rate sample: " + strings.Join(tail, " | ")
	} else if len(inCores) != nw {
		r.Note = fmt.Sprintf("%d forwarding cores read the input port, want %d: invalid", len(inCores), nw)
	}
	return r
}

func grepLines(ls []string, subs ...string) []string {
	var o []string
	for _, l := range ls {
		for _, s := range subs {
			if strings.Contains(l, s) {
				o = append(o, strings.Join(strings.Fields(l), " "))
				break
			}
		}
	}
	return o
}
