package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// Results is everything one bench run measured (results.json).
type Results struct {
	Date        string   `json:"date"`
	Command     string   `json:"command"`
	Host        string   `json:"host"`
	CPU         string   `json:"cpu"`
	TSCMHz      float64  `json:"cpuinfo_mhz"`
	ClockMethod string   `json:"clock_method"`
	MainLcore   int      `json:"main_lcore"`
	WorkerLcore int      `json:"worker_lcore"` // the first worker's
	Workers     []int    `json:"workers"`      // worker counts measured
	CPUs        int      `json:"cpus"`
	Flows       int      `json:"flows"`
	Repeats     int      `json:"repeats"`
	WarmupS     float64  `json:"warmup_seconds"`
	MeasureS    float64  `json:"measure_seconds"`
	ClockHz     float64  `json:"clock_hz"`   // the clock used for cycles/packet (see ClockMethod)
	ClockRuns   int      `json:"clock_runs"` // calibrations it is the median of
	Modes       []Mode   `json:"modes"`
	ESPPMD      string   `json:"esp_pmd,omitempty"`  // the ESP points' crypto PMD; "": aesni_gcm (results before -esp-pmd)
	ESPMode     string   `json:"esp_mode,omitempty"` // tunfwd's ESP crypto mode; "": cpu
	Notes       []string `json:"notes"`
}

// Mode is one memory setup: hugepages or --no-huge.
type Mode struct {
	Hugepages bool          `json:"hugepages"`
	OVSNote   string        `json:"ovs_note,omitempty"` // why OVS is missing, when it is
	Points    []PointResult `json:"points"`
}

// PointResult is one point's runs and medians.
type PointResult struct {
	Point
	Name        string             `json:"name"`
	InputSize   int                `json:"input_frame_bytes"`
	OutputSize  int                `json:"output_frame_bytes"`
	Runs        map[string][]Run   `json:"runs"`        // by tool: tunfwd, testpmd, ovs
	Mpps        map[string]float64 `json:"mpps_median"` // by tool, valid runs only
	ClockHz     map[string]float64 `json:"clock_hz_median"`
	CPP         map[string]float64 `json:"cycles_per_packet"` // median clock x workers / median rate: per worker
	VmHWMMB     map[string]float64 `json:"vm_hwm_mb_max"`
	HugetlbMB   map[string]float64 `json:"hugetlb_mb_max"`
	Mbufs       map[string]int     `json:"mempool_mbufs"`
	Added       float64            `json:"added_cycles_over_testpmd"` // 0 when testpmd is missing
	RatioTP     float64            `json:"ratio_to_testpmd"`
	RatioOVS    float64            `json:"ratio_to_ovs"`
	Secgw       string             `json:"secgw_best,omitempty"` // ESP: the faster ipsec-secgw mode
	RatioSecgw  float64            `json:"ratio_to_secgw"`
	Rounds      Rounds             `json:"rounds"`                         // the same figures round by round
	Path        []PathRun          `json:"path_runs,omitempty"`            // tunfwd perf, one per round
	Profiles    []Profile          `json:"profiles,omitempty"`             // -profile: one perf-sampled run per tool
	AddedPath   float64            `json:"added_cycles_in_process"`        // median over Path of added p10, in cycles
	AddedPathLo float64            `json:"added_cycles_in_process_lowest"` // the lowest round's
	Scaling     map[string]float64 `json:"scaling,omitempty"`              // by tool: Mpps over the same point's with 1 worker
	Valid       bool               `json:"valid"`                          // every tunfwd run valid (no drop, counters add up)
	Lcores      string             `json:"lcores,omitempty"`               // the EAL --lcores map, when workers had to share a CPU
	SharedCPU   bool               `json:"shared_cpu"`                     // a worker ran on the main lcore's CPU
	Setup       []string           `json:"setup,omitempty"`                // how the point ran (tools left out)
	Notes       []string           `json:"notes,omitempty"`
}

// Rounds are a point's figures taken round by round: the runs of one round
// (tunfwd, then each reference) ran back to back, so a slow phase of the
// shared machine, which lasts seconds to minutes, hits them alike; between
// rounds it does not. Each is the median over the rounds in which all the
// runs it needs were valid, with the lowest and highest round.
type Rounds struct {
	Added      Spread `json:"added_cycles_over_testpmd"`
	RatioTP    Spread `json:"ratio_to_testpmd"`
	RatioOVS   Spread `json:"ratio_to_ovs"`
	RatioSecgw Spread `json:"ratio_to_secgw"` // each round against its faster ipsec-secgw mode
}

// Spread is a median over rounds with its range; N 0: no round had the runs.
type Spread struct {
	Median, Min, Max float64
	N                int
}

func spread(v []float64) Spread {
	if len(v) == 0 {
		return Spread{}
	}
	s := Spread{Median: median(v), Min: v[0], Max: v[0], N: len(v)}
	for _, x := range v {
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
	}
	return s
}

// rounds pairs run i of tunfwd with run i of each reference (the driver
// runs one of each per round, in that order).
func (pr *PointResult) rounds(clockHz float64) {
	tf := pr.Runs["tunfwd"]
	at := func(tool string, i int) float64 { // Mpps of tool's run in round i, 0 if none or invalid
		if rs := pr.Runs[tool]; i < len(rs) && rs[i].Valid {
			return rs[i].Mpps
		}
		return 0
	}
	var added, tp, ovs, sg []float64
	for i := range tf {
		t := at("tunfwd", i)
		if t == 0 {
			continue
		}
		if p := at("testpmd", i); p > 0 {
			tp = append(tp, t/p)
			if clockHz > 0 {
				w := float64(max(1, pr.Workers))
				added = append(added, clockHz*w/(t*1e6)-clockHz*w/(p*1e6))
			}
		}
		if o := at("ovs", i); o > 0 {
			ovs = append(ovs, t/o)
		}
		if s := max(at("secgw-cpu", i), at("secgw-lookaside", i)); s > 0 {
			sg = append(sg, t/s)
		}
	}
	pr.Rounds = Rounds{Added: spread(added), RatioTP: spread(tp), RatioOVS: spread(ovs), RatioSecgw: spread(sg)}
}

// benchClock is the clock used for every cycles/packet figure: the median
// of the calibrations taken after the runs that were not disturbed. A chain
// that another process preempts reads slow (the machine is shared), so
// readings below the nominal rate (cpuinfo MHz) are left out; the turbo
// clock itself is a property of the core, not of the tool that just ran.
func (res *Results) benchClock() {
	var hz []float64
	for _, m := range res.Modes {
		for _, pr := range m.Points {
			for _, runs := range pr.Runs {
				for _, r := range runs {
					if r.ClockHz > 0 && r.ClockHz >= res.TSCMHz*1e6 {
						hz = append(hz, r.ClockHz)
					}
				}
			}
		}
	}
	res.ClockHz, res.ClockRuns = median(hz), len(hz)
}

// summarize computes every point's medians, cycles and ratios.
func (res *Results) summarize() {
	if len(res.Workers) == 0 { // a results.json from before -workers
		res.Workers = []int{1}
	}
	res.benchClock()
	for i := range res.Modes {
		ps := res.Modes[i].Points
		for j := range ps {
			ps[j].summarize(res.ClockHz)
		}
		// scaling: each multi-worker point against its 1-worker twin
		one := map[string]*PointResult{}
		for j := range ps {
			if ps[j].Workers <= 1 {
				one[ps[j].Name] = &ps[j]
			}
		}
		for j := range ps {
			p := &ps[j]
			b := one[Point{Proto: p.Proto, Dir: p.Dir, Size: p.Size, Workers: 1}.Name()]
			if p.Workers <= 1 || b == nil {
				continue
			}
			p.Scaling = map[string]float64{}
			for _, t := range []string{"tunfwd", "testpmd"} {
				if p.Mpps[t] > 0 && b.Mpps[t] > 0 {
					p.Scaling[t] = p.Mpps[t] / b.Mpps[t]
				}
			}
		}
	}
	res.Notes = notes(res)
}

func (pr *PointResult) summarize(clockHz float64) {
	pr.Notes = append([]string(nil), pr.Setup...)
	pr.Mpps, pr.ClockHz, pr.CPP = map[string]float64{}, map[string]float64{}, map[string]float64{}
	pr.VmHWMMB, pr.HugetlbMB, pr.Mbufs = map[string]float64{}, map[string]float64{}, map[string]int{}
	for tool, runs := range pr.Runs {
		var mpps, hz []float64
		for _, r := range runs {
			if r.Valid {
				mpps = append(mpps, r.Mpps)
			} else {
				pr.Notes = append(pr.Notes, fmt.Sprintf("%s run invalid: %s", tool, r.Note))
			}
			if r.ClockHz > 0 {
				hz = append(hz, r.ClockHz)
			}
			pr.VmHWMMB[tool] = max(pr.VmHWMMB[tool], float64(r.VmHWMkB)/1024)
			pr.HugetlbMB[tool] = max(pr.HugetlbMB[tool], float64(r.HugetlbkB)/1024)
			if r.Mbufs > 0 {
				pr.Mbufs[tool] = r.Mbufs
			}
		}
		if len(mpps) == 0 {
			continue
		}
		pr.Mpps[tool] = median(mpps)
		pr.ClockHz[tool] = median(hz)
		if clockHz > 0 {
			pr.CPP[tool] = clockHz * float64(max(1, pr.Workers)) / (pr.Mpps[tool] * 1e6)
		}
	}
	pr.Valid = len(pr.Runs["tunfwd"]) > 0
	for _, r := range pr.Runs["tunfwd"] {
		pr.Valid = pr.Valid && r.Valid
	}
	var added []float64
	for _, r := range pr.Path {
		if !r.Valid {
			pr.Notes = append(pr.Notes, "tunfwd perf run invalid: "+r.Note)
			pr.Valid = false
			continue
		}
		if clockHz > 0 {
			added = append(added, r.AddedP10*clockHz/r.TSCHz)
		}
	}
	pr.AddedPath, pr.AddedPathLo = median(added), 0
	for _, a := range added {
		if pr.AddedPathLo == 0 || a < pr.AddedPathLo {
			pr.AddedPathLo = a
		}
	}
	if !pr.Valid {
		return
	}
	pr.rounds(clockHz)
	if tp := pr.Mpps["testpmd"]; tp > 0 {
		pr.RatioTP = pr.Mpps["tunfwd"] / tp
		if pr.CPP["tunfwd"] > 0 && pr.CPP["testpmd"] > 0 {
			pr.Added = pr.CPP["tunfwd"] - pr.CPP["testpmd"]
		}
	}
	if ovs := pr.Mpps["ovs"]; ovs > 0 {
		pr.RatioOVS = pr.Mpps["tunfwd"] / ovs
	}
	pr.Secgw, pr.RatioSecgw = "", 0
	for _, t := range []string{"secgw-cpu", "secgw-lookaside"} {
		if v := pr.Mpps[t]; v > 0 && (pr.Secgw == "" || v > pr.Mpps[pr.Secgw]) {
			pr.Secgw = t
		}
	}
	if pr.Secgw != "" {
		pr.RatioSecgw = pr.Mpps["tunfwd"] / pr.Mpps[pr.Secgw]
	}
}

func notes(res *Results) []string {
	pmd, mode := res.ESPPMD, res.ESPMode
	if pmd == "" {
		pmd = "aesni_gcm"
	}
	if mode == "" || mode == "cpu" {
		mode = "cpu-crypto"
	}
	n := []string{
		"Mpps: output-port packets per second in steady state: the mean of the per-period rates the tool reports " +
			"(tunfwd --stats-period, testpmd --stats-period 1 Tx-pps of the net_null port, OVS tx_packets of its net_null interface), " +
			fmt.Sprintf("after discarding the first %.1f s (warm-up); the median over %d runs is reported.", res.WarmupS, res.Repeats),
		"Input: net_pcap infinite_rx replaying one frame per flow; output: net_null (no-rx=1). The net_pcap PMD copies " +
			"every frame into a fresh mbuf on rx, so its cost (growing with frame size) is in every tool's figure alike.",
		fmt.Sprintf("Cycles per packet: effective clock / rate, with the clock %.2f GHz (nominal/TSC %.0f MHz): the median of %d calibrations by a %s; "+
			"readings below the nominal rate (the chain preempted by another process) are left out.", res.ClockHz/1e9, res.TSCMHz, res.ClockRuns, res.ClockMethod),
		"Added cycles = tunfwd cycles/packet - testpmd io cycles/packet on the same input; ratio = tunfwd Mpps / reference Mpps. " +
			"With several workers (points named -Nw) cycles/packet are per worker: clock x workers / rate.",
		"Added in-process (tunfwd perf, one run per round, median): the point's frames copied into mbufs as the rx PMD would, " +
			"in bursts of the config's size (32), alternately through tunfwd's packet path (classify, encap or decap, tx to net_null, free) and straight " +
			"to net_null (what testpmd io does after rx), each burst timed with the TSC on the main lcore; the 10th percentile of the " +
			"path's bursts minus that of io's, per packet, times effective clock / TSC; in brackets the lowest round's. Both share " +
			"each moment of the machine, rx (the same for both) is left out; a slow phase still stretches both, and the added " +
			"ticks with them, so the lowest round is the least disturbed one.",
		"Tunnels: GRE with key, VXLAN (UDP checksum 0), L2TPv2 (UDP 1701, checksum 0, PPP 0xff03 0x0021), L2TPv3 over IP " +
			"(l2tpv3: Ethernet pseudowire, 4-byte cookie) and over UDP 1701 (l2tpv3udp, checksum 0), SRv6 encap = H.Encaps with two segments (IPv6 + SRH, 80 bytes), SRv6 decap = " +
			"End.DX4 at the last segment of such an SRH; IPv4 underlay except SRv6. testpmd io is the reference of every point; OVS " +
			"(GRE, VXLAN) and ipsec-secgw (ESP) only with one worker. Each tunfwd run must send every frame by the point's output " +
			"port with the point's output size, counted by its tunnel, SA or SID, every worker busy, rx = tx + drops, no drop and " +
			"the mempool whole at exit, else the point is INVALID and the driver exits 1.",
		"ESP: AES-128-GCM tunnel mode, crypto_" + pmd + ", tunfwd in " + mode + " mode; DPDK ipsec-secgw (librte_ipsec path, -l) " +
			"in cpu-crypto and lookaside-none (no-offload) SA modes on the same vdevs and lcores; ratio secgw = tunfwd / the faster " +
			"of the two. Inbound SAs run without anti-replay window on both sides (infinite_rx replays sequence numbers).",
	}
	if len(res.Workers) > 1 || (len(res.Workers) == 1 && res.Workers[0] > 1) {
		n = append(n, fmt.Sprintf("Workers: each of %v worker lcores polls its own rx queue of every port (net_pcap: one rx_pcap file "+
			"per queue, flow k in file k mod workers; net_null: one tx queue per worker), testpmd the same with --nb-cores/--rxq/--txq. "+
			"This machine has %d CPUs: where workers plus the main lcore outnumber them, the extra worker runs on the main lcore's CPU "+
			"(EAL --lcores), sharing it with the control thread (tunfwd's stats, testpmd's stats loop). Scaling = Mpps with N workers / "+
			"Mpps with 1. With a CPU per worker and no shared state (per-worker counters and queues) it should be near linear until "+
			"the input PMD or memory bandwidth bounds it.", res.Workers, res.CPUs))
	}
	for _, m := range res.Modes {
		if m.OVSNote != "" {
			n = append(n, fmt.Sprintf("Open vSwitch (%s): %s", hugeName(m.Hugepages), m.OVSNote))
		}
	}
	return n
}

func f3(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func f1(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func f2(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func addedStr(pr PointResult) string {
	if pr.CPP["tunfwd"] == 0 || pr.CPP["testpmd"] == 0 || !pr.Valid {
		return "-"
	}
	return fmt.Sprintf("%+.1f", pr.Added)
}

func addedPathStr(pr PointResult) string {
	if pr.AddedPath == 0 || !pr.Valid {
		return "-"
	}
	return fmt.Sprintf("%+.1f (%+.1f)", pr.AddedPath, pr.AddedPathLo)
}

var header = []string{"point", "tunfwd Mpps", "cycles/pkt", "testpmd Mpps", "testpmd cyc/pkt", "added cycles",
	"added in-process (lowest)", "ratio testpmd", "OVS Mpps", "ratio OVS", "secgw cpu Mpps", "secgw lookaside Mpps", "ratio secgw",
	"tunfwd VmHWM MB", "mbufs"}

func row(pr PointResult) []string {
	name := pr.Name
	if !pr.Valid {
		name += " (INVALID)"
	}
	return []string{name, f3(pr.Mpps["tunfwd"]), f1(pr.CPP["tunfwd"]), f3(pr.Mpps["testpmd"]), f1(pr.CPP["testpmd"]),
		addedStr(pr), addedPathStr(pr), f2(pr.RatioTP), f3(pr.Mpps["ovs"]), f2(pr.RatioOVS),
		f3(pr.Mpps["secgw-cpu"]), f3(pr.Mpps["secgw-lookaside"]), f2(pr.RatioSecgw),
		fmt.Sprintf("%.0f", pr.VmHWMMB["tunfwd"]),
		fmt.Sprint(pr.Mbufs["tunfwd"])}
}

const roundsTitle = "Round by round (each round's tools ran back to back; median over rounds, lowest..highest round):"

var roundsHeader = []string{"point", "rounds", "added cycles", "ratio testpmd", "ratio OVS", "ratio secgw"}

func roundsRow(pr PointResult) []string {
	r := pr.Rounds
	f := func(s Spread, format string) string {
		if s.N == 0 {
			return "-"
		}
		return fmt.Sprintf(format+" ("+format+".."+format+")", s.Median, s.Min, s.Max)
	}
	name := pr.Name
	if !pr.Valid {
		name += " (INVALID)"
	}
	return []string{name, fmt.Sprint(max(r.RatioTP.N, r.Added.N)), f(r.Added, "%+.1f"), f(r.RatioTP, "%.2f"),
		f(r.RatioOVS, "%.2f"), f(r.RatioSecgw, "%.2f")}
}

var scalingHeader = []string{"point", "workers", "tunfwd Mpps", "tunfwd 1w Mpps", "tunfwd scaling", "testpmd Mpps", "testpmd 1w Mpps", "testpmd scaling"}

const sharedNote = "* a worker shared the main lcore's CPU (fewer CPUs than workers + 1; EAL --lcores): not a clean scaling figure"

// scalingRows are the multi-worker points of a mode next to their 1-worker twins.
func scalingRows(m Mode) [][]string {
	one := map[string]PointResult{}
	for _, pr := range m.Points {
		if pr.Workers <= 1 {
			one[pr.Name] = pr
		}
	}
	var rows [][]string
	for _, pr := range m.Points {
		if pr.Workers <= 1 {
			continue
		}
		b := one[Point{Proto: pr.Proto, Dir: pr.Dir, Size: pr.Size, Workers: 1}.Name()]
		w := fmt.Sprint(pr.Workers)
		if pr.SharedCPU {
			w += "*"
		}
		rows = append(rows, []string{pr.Name, w, f3(pr.Mpps["tunfwd"]), f3(b.Mpps["tunfwd"]),
			f2(pr.Scaling["tunfwd"]), f3(pr.Mpps["testpmd"]), f3(b.Mpps["testpmd"]), f2(pr.Scaling["testpmd"])})
	}
	return rows
}

func printTable(w io.Writer, res *Results) {
	for _, m := range res.Modes {
		fmt.Fprintf(w, "\n== %s, workers %v (first on lcore %d), %d flows, median of %d ==\n", hugeName(m.Hugepages), res.Workers, res.WorkerLcore, res.Flows, res.Repeats)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
		for _, pr := range m.Points {
			fmt.Fprintln(tw, strings.Join(row(pr), "\t")+"\t")
		}
		tw.Flush()
		fmt.Fprintln(w, "\n"+roundsTitle)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(roundsHeader, "\t")+"\t")
		for _, pr := range m.Points {
			fmt.Fprintln(tw, strings.Join(roundsRow(pr), "\t")+"\t")
		}
		tw.Flush()
		if sc := scalingRows(m); len(sc) > 0 {
			fmt.Fprintln(w, "\nscaling (Mpps with N workers / with 1, same run):")
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, strings.Join(scalingHeader, "\t")+"\t")
			for _, r := range sc {
				fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
			}
			tw.Flush()
			fmt.Fprintln(w, sharedNote)
		}
		if ps := profiledPoints(m); len(ps) > 0 {
			fmt.Fprintf(w, "\nwhere the worker's time goes (%s):\n", profileMethod)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, strings.Join(profileHeader, "\t")+"\t")
			for _, pr := range ps {
				for _, r := range profileRows(pr, res.ClockHz) {
					fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
				}
			}
			tw.Flush()
		}
		for _, pr := range m.Points {
			for _, n := range pr.Notes {
				fmt.Fprintf(w, "  %s: %s\n", pr.Name, n)
			}
		}
	}
	fmt.Fprintln(w)
	for _, n := range res.Notes {
		fmt.Fprintln(w, "* "+n)
	}
}

func (res *Results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# tunfwd benchmark\n\n%s on `%s` (%s, %d CPUs), workers %v from lcore %d, main lcore %d.\n\nCommand: `%s`\n",
		res.Date, res.Host, res.CPU, res.CPUs, res.Workers, res.WorkerLcore, res.MainLcore, res.Command)
	for _, m := range res.Modes {
		fmt.Fprintf(&b, "\n## %s\n\n", hugeName(m.Hugepages))
		fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" ---: |", len(header)))
		for _, pr := range m.Points {
			fmt.Fprintf(&b, "| %s |\n", strings.Join(row(pr), " | "))
		}
		if sc := scalingRows(m); len(sc) > 0 {
			fmt.Fprintf(&b, "\nScaling (Mpps with N workers / with 1, same run):\n\n| %s |\n|%s\n", strings.Join(scalingHeader, " | "),
				strings.Repeat(" ---: |", len(scalingHeader)))
			for _, r := range sc {
				fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
			}
			fmt.Fprintf(&b, "\n%s\n", sharedNote)
		}
		fmt.Fprintf(&b, "\n%s\n\n| %s |\n|%s\n", roundsTitle, strings.Join(roundsHeader, " | "),
			strings.Repeat(" ---: |", len(roundsHeader)))
		for _, pr := range m.Points {
			fmt.Fprintf(&b, "| %s |\n", strings.Join(roundsRow(pr), " | "))
		}
		for _, pr := range m.Points {
			for _, n := range pr.Notes {
				fmt.Fprintf(&b, "\n- %s: %s", pr.Name, n)
			}
		}
		b.WriteString("\n")
		if ps := profiledPoints(m); len(ps) > 0 {
			fmt.Fprintf(&b, "\nWhere the worker's time goes (%s):\n\n| %s |\n|%s\n", profileMethod,
				strings.Join(profileHeader, " | "), strings.Repeat(" ---: |", len(profileHeader)))
			for _, pr := range ps {
				for _, r := range profileRows(pr, res.ClockHz) {
					fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
				}
			}
		}
		fmt.Fprintf(&b, "\nResident memory (VmHWM, max over runs) and hugepage memory mapped (HugetlbPages):\n\n| point | tool | VmHWM MB | hugetlb MB | mbufs |\n| --- | --- | ---: | ---: | ---: |\n")
		for _, pr := range m.Points {
			for _, t := range []string{"tunfwd", "testpmd", "ovs", "secgw-cpu", "secgw-lookaside"} {
				if _, ok := pr.Runs[t]; ok {
					fmt.Fprintf(&b, "| %s | %s | %.0f | %.0f | %d |\n", pr.Name, t, pr.VmHWMMB[t], pr.HugetlbMB[t], pr.Mbufs[t])
				}
			}
		}
	}
	b.WriteString("\n## Method\n\n")
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	b.WriteString("\n![ratios](ratios.png)\n")
	return b.String()
}

func (res *Results) write(dir string) error {
	j, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(res.markdown()), 0o644); err != nil {
		return err
	}
	return chart(res, filepath.Join(dir, "ratios.png"))
}
