package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A point's ratio to a reference says how much faster tunfwd is, not why.
// With -profile, after a point's measured rounds each tool runs once more,
// `perf record` samples the worker lcore over its measured window, and the
// polling thread's samples are split by the shared object they fell in:
// the tool's own code and the libraries every tool of the point calls alike
// (crypto, librte_ipsec, the ports).
// Time per packet times each part's share gives its cycles per packet. For
// ESP this bounds the ratio to ipsec-secgw: both spend the same library
// cycles, so however little tunfwd's own part costs, it stays under
// secgw's total / tunfwd's library cycles.

// Profile is one profiled run of one tool on one point.
type Profile struct {
	Tool    string             `json:"tool"`
	Mpps    float64            `json:"mpps"`    // the profiled run's rate, over the sampled window
	Samples int                `json:"samples"` // the polling thread's, in user space
	Share   map[string]float64 `json:"share_percent"`
	Ns      map[string]float64 `json:"ns_per_packet"` // by part, and "total"; cycles: times the bench clock
	Note    string             `json:"note,omitempty"`
}

// profileParts are the parts, in the order the tables show them.
var profileParts = []string{"own", "librte_ipsec", "crypto", "ports", "libc", "other"}

// partOf puts a perf DSO name in a part; bin is the tool's program file.
// The lookup libraries a tool chooses to call (ACL, LPM, hash) count as its
// own work.
func partOf(dso, bin string) string {
	base := dso
	if i := strings.Index(base, ".so"); i > 0 {
		base = base[:i]
	}
	switch {
	case dso == filepath.Base(bin):
		return "own"
	case base == "librte_acl" || base == "librte_lpm" || base == "librte_hash" || base == "librte_fib" || base == "librte_rib":
		return "own"
	case base == "librte_ipsec":
		return "librte_ipsec"
	case strings.HasPrefix(base, "libIPSec_MB") || strings.HasPrefix(base, "librte_crypto_") ||
		base == "librte_cryptodev" || base == "libcrypto" || base == "librte_security":
		return "crypto"
	case strings.HasPrefix(base, "librte_net_") || strings.HasPrefix(base, "librte_mempool") ||
		base == "librte_mbuf" || base == "librte_ethdev" || base == "libpcap" || base == "librte_ring":
		return "ports"
	case base == "libc":
		return "libc"
	}
	return "other"
}

// parsePerfReport reads `perf report --sort comm,dso -F sample,comm,dso
// --stdio -q` of the worker CPU during a run of program bin and returns the
// samples by part of the thread that polled there: the one with the most
// samples, without its kernel ones (its start-up: page clearing, mmap; a
// poll loop makes no system calls). Idle time and other programs' threads
// are left out.
func parsePerfReport(text, bin string) (map[string]int, int) {
	byComm := map[string]map[string]int{}
	sums := map[string]int{}
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		comm, dso := strings.Join(f[1:len(f)-1], " "), f[len(f)-1]
		sums[comm] += n
		if dso == "[kernel.kallsyms]" {
			continue
		}
		if byComm[comm] == nil {
			byComm[comm] = map[string]int{}
		}
		byComm[comm][partOf(dso, bin)] += n
	}
	busy := ""
	for c, n := range sums {
		if n > sums[busy] || n == sums[busy] && c < busy {
			busy = c
		}
	}
	total := 0
	for _, n := range byComm[busy] {
		total += n
	}
	return byComm[busy], total
}

// profileOf turns samples by part into shares and time per packet at rate mpps.
func profileOf(tool string, by map[string]int, total int, mpps float64) Profile {
	pf := Profile{Tool: tool, Mpps: mpps, Samples: total, Share: map[string]float64{}, Ns: map[string]float64{}}
	if total == 0 || mpps <= 0 {
		pf.Note = "no samples or no rate"
		return pf
	}
	ns := 1e3 / mpps
	pf.Ns["total"] = ns
	for part, n := range by {
		s := float64(n) / float64(total)
		pf.Share[part] = 100 * s
		pf.Ns[part] = s * ns
	}
	return pf
}

// perfUsable says whether perf can sample a CPU here.
func perfUsable() error {
	if _, err := exec.LookPath("perf"); err != nil {
		return fmt.Errorf("no perf (package linux-perf)")
	}
	out, err := exec.Command("perf", "record", "-q", "-e", "cpu-clock", "-a", "-o", "/dev/null", "--", "true").CombinedOutput()
	if err != nil {
		return fmt.Errorf("perf record: %v: %s", err, lastLine(string(out)))
	}
	return nil
}

// profiled runs run with perf sampling the worker CPU from the end of the
// warm-up to the tool's exit, and splits what it saw. perf started on a
// running process reads its mappings from /proc, so its samples have names.
func profiled(worker int, file, bin string, tm timing, run func(timing) Run) Profile {
	var perf *exec.Cmd
	var perr error
	tm.steady = func() {
		perf = exec.Command("perf", "record", "-q", "-e", "cpu-clock", "-C", strconv.Itoa(worker), "-o", file)
		perr = perf.Start()
	}
	r := run(tm) // returns after the goroutine that called steady is done
	defer os.Remove(file)
	switch {
	case perf == nil:
		return Profile{Tool: r.Tool, Note: "no steady state: " + r.Note}
	case perr != nil:
		return Profile{Tool: r.Tool, Note: "perf record: " + perr.Error()}
	}
	perf.Process.Signal(syscall.SIGINT)
	perf.Wait()
	if !r.Valid {
		return Profile{Tool: r.Tool, Note: "run invalid: " + r.Note}
	}
	out, err := exec.Command("perf", "report", "-i", file, "--no-children", "--sort", "comm,dso",
		"-F", "sample,comm,dso", "--stdio", "-q").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			err = fmt.Errorf("%v: %s", err, lastLine(string(ee.Stderr)))
		}
		return Profile{Tool: r.Tool, Note: "perf report: " + err.Error()}
	}
	by, total := parsePerfReport(string(out), bin)
	return profileOf(r.Tool, by, total, r.Mpps)
}

// profilePoint profiles tunfwd and the references that ran on p, one run each.
func profilePoint(o options, env Env, p Point, pcaps []string, tm timing, log, stdout io.Writer) []Profile {
	file := filepath.Join(o.out, "perf.data")
	type tool struct {
		bin string
		run func(timing) Run
	}
	tools := []tool{{o.tunfwd, func(tm timing) Run { return runTunfwd(o.tunfwd, o.out, p, env, pcaps, tm, log) }}}
	if o.refs {
		tools = append(tools, tool{o.testpmd, func(tm timing) Run { return runTestpmd(o.testpmd, p, env, pcaps, tm, log) }})
		if _, err := os.Stat(o.secgw); err == nil && p.Proto == "esp" {
			for _, mode := range []string{"secgw-cpu", "secgw-lookaside"} {
				tools = append(tools, tool{o.secgw, func(tm timing) Run {
					return runSecgw(o.secgw, o.out, mode, p, env, pcaps[0], tm, log)
				}})
			}
		}
	}
	var pfs []Profile
	for _, t := range tools {
		pf := profiled(env.Worker, file, t.bin, tm, t.run)
		fmt.Fprintf(stdout, "  profile %s\n", pf.brief())
		pfs = append(pfs, pf)
	}
	return pfs
}

func (pf Profile) brief() string {
	if pf.Note != "" {
		return pf.Tool + ": " + pf.Note
	}
	s := fmt.Sprintf("%-15s %7.3f Mpps, %6.1f ns/pkt:", pf.Tool, pf.Mpps, pf.Ns["total"])
	for _, part := range profileParts {
		s += fmt.Sprintf(" %s %.1f", part, pf.Ns[part])
	}
	return s
}

// profileBound is, for an ESP point, the ratio to ipsec-secgw tunfwd would
// reach if its own part cost nothing: the faster secgw mode's total over
// tunfwd's cycles outside its own code. 0 when a profile is missing.
func profileBound(pfs []Profile) (bound float64, ref string) {
	var tf, best Profile
	for _, pf := range pfs {
		switch {
		case pf.Note != "":
		case pf.Tool == "tunfwd":
			tf = pf
		case strings.HasPrefix(pf.Tool, "secgw") && (best.Mpps == 0 || pf.Mpps > best.Mpps):
			best = pf
		}
	}
	lib := tf.Ns["total"] - tf.Ns["own"]
	if tf.Mpps == 0 || best.Mpps == 0 || lib <= 0 {
		return 0, ""
	}
	return best.Ns["total"] / lib, best.Tool
}

var profileHeader = append(append([]string{"point", "tool", "Mpps", "cycles/pkt"}, profileParts...), "bound secgw")

// profileMethod says how the profile table was made and what its columns mean.
const profileMethod = "one more run per tool, perf record sampling the worker lcore after the warm-up, its cycles per packet split by part; " +
	"own: the tool's binary and the lookup libraries it calls (ACL, LPM, hash); ports: the PMDs, mempool and ethdev; " +
	"bound secgw: the ratio to the faster ipsec-secgw mode tunfwd would reach if its own part cost nothing"

// profileRows are pr's profiles in cycles per packet at clock clockHz.
func profileRows(pr PointResult, clockHz float64) [][]string {
	var rows [][]string
	bound, _ := profileBound(pr.Profiles)
	for _, pf := range pr.Profiles {
		row := []string{pr.Name, pf.Tool}
		if pf.Note != "" {
			row[1] += " (" + pf.Note + ")"
			rows = append(rows, append(row, make([]string, len(profileHeader)-2)...))
			continue
		}
		cyc := clockHz / 1e9
		row = append(row, f3(pf.Mpps), f1(cyc*pf.Ns["total"]))
		for _, part := range profileParts {
			row = append(row, f1(cyc*pf.Ns[part]))
		}
		b := "-"
		if pf.Tool == "tunfwd" && bound > 0 {
			b = f2(bound)
		}
		rows = append(rows, append(row, b))
	}
	return rows
}

// profiledPoints are m's points that have profiles.
func profiledPoints(m Mode) []PointResult {
	var ps []PointResult
	for _, pr := range m.Points {
		if len(pr.Profiles) > 0 {
			ps = append(ps, pr)
		}
	}
	return ps
}
