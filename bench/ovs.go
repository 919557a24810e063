package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The Open vSwitch reference: ovs-vswitchd (Debian's openvswitch-switch-dpdk,
// the DPDK build) with the userspace (netdev) datapath, one PMD thread on
// the worker lcore, native tunnelling: br-int holds the inner port and the
// tunnel port (vxlan, or gre with packet_type=legacy_l3 for IP in GRE like
// tunfwd's routes), br-phy the underlay port and the local endpoint address
// 192.0.2.1 (on its tap, inside a private network namespace so the host's
// routes are untouched). The same net_pcap infinite_rx input and net_null
// output vdevs as tunfwd's, re-added for each run. The rate is the tx_packets
// of the net_null port (ovs-ofctl dump-ports, read live from the device),
// sampled every period after the warm-up.
type ovsRig struct {
	dir, ns  string
	db, sw   *exec.Cmd
	log      io.Writer
	runs     int
	env      Env
	err      error
	version  string
	swDone   chan struct{}
	dbDone   chan struct{}
	hugeNote string
}

const ovsNS = "tfbench-ovs"

func findOVS() (vswitchd string, err error) {
	for _, p := range []string{"/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk", "/usr/sbin/ovs-vswitchd"} {
		if _, err := os.Stat(p); err == nil {
			out, _ := exec.Command("ldd", p).Output()
			if strings.Contains(string(out), "librte_") {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("no DPDK-enabled ovs-vswitchd (install openvswitch-switch-dpdk: scripts/bench-deps.sh)")
}

// newOVS starts a private ovsdb-server and ovs-vswitchd for one memory mode.
// On failure it returns nil and the reason.
func newOVS(o options, env Env, dir string, log io.Writer) (*ovsRig, string) {
	sw, err := findOVS()
	if err != nil {
		return nil, err.Error()
	}
	for _, t := range []string{"ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-ofctl", "ovs-appctl", "ip"} {
		if _, err := exec.LookPath(t); err != nil {
			return nil, t + " not found"
		}
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err.Error()
	}
	r := &ovsRig{dir: dir, ns: ovsNS, log: log, env: env}
	exec.Command("ip", "netns", "del", ovsNS).Run()
	if out, err := exec.Command("ip", "netns", "add", ovsNS).CombinedOutput(); err != nil {
		return nil, "ip netns add: " + strings.TrimSpace(string(out))
	}
	fail := func(why string) (*ovsRig, string) {
		r.close()
		return nil, why
	}
	if out, err := exec.Command("ovsdb-tool", "create", r.path("conf.db"), "/usr/share/openvswitch/vswitch.ovsschema").CombinedOutput(); err != nil {
		return fail("ovsdb-tool create: " + strings.TrimSpace(string(out)))
	}
	r.db = exec.Command("ip", "netns", "exec", ovsNS, "ovsdb-server", r.path("conf.db"), "--remote=punix:"+r.path("db.sock"),
		"--unixctl="+r.path("ovsdb.ctl"), "--log-file="+r.path("ovsdb.log"), "--pidfile="+r.path("ovsdb.pid"))
	r.db.Env = append(os.Environ(), "OVS_RUNDIR="+dir, "OVS_LOGDIR="+dir, "OVS_DBDIR="+dir)
	if err := r.db.Start(); err != nil {
		return fail("ovsdb-server: " + err.Error())
	}
	r.dbDone = make(chan struct{})
	go func() { r.db.Wait(); close(r.dbDone) }()
	if !waitFile(r.path("db.sock"), 5*time.Second) {
		return fail("ovsdb-server did not create its socket; see " + r.path("ovsdb.log"))
	}
	extra := fmt.Sprintf("--no-pci --no-telemetry --file-prefix %s-ovs-%d", env.Prefix, os.Getpid())
	cfg := []string{"--no-wait", "set", "Open_vSwitch", ".",
		"other_config:dpdk-init=true",
		fmt.Sprintf("other_config:dpdk-lcore-mask=0x%x", 1<<env.Main),
		fmt.Sprintf("other_config:pmd-cpu-mask=0x%x", 1<<env.Worker),
		"other_config:max-idle=10000", // keep the datapath flows across a run's ramp
	}
	if env.Huge {
		cfg = append(cfg, "other_config:dpdk-socket-mem=512")
	} else {
		// OVS adds --in-memory unless --legacy-mem is given, and DPDK 22.11
		// refuses --in-memory with --no-huge (which implies legacy memory)
		extra += " --no-huge -m 512 --legacy-mem"
	}
	cfg = append(cfg, "other_config:dpdk-extra="+extra)
	if _, err := r.vsctl("--no-wait", "init"); err != nil {
		return fail(err.Error())
	}
	if _, err := r.vsctl(cfg...); err != nil {
		return fail(err.Error())
	}
	r.sw = exec.Command("ip", "netns", "exec", ovsNS, sw, "unix:"+r.path("db.sock"), "--unixctl="+r.path("vswitchd.ctl"),
		"--log-file="+r.path("vswitchd.log"), "--pidfile="+r.path("vswitchd.pid"))
	r.sw.Env = r.db.Env
	if err := r.sw.Start(); err != nil {
		return fail("ovs-vswitchd: " + err.Error())
	}
	r.swDone = make(chan struct{})
	go func() { r.sw.Wait(); close(r.swDone) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, _ := r.vsctl("get", "Open_vSwitch", ".", "dpdk_initialized")
		if strings.TrimSpace(out) == "true" {
			break
		}
		select {
		case <-r.swDone:
			return fail("ovs-vswitchd exited during DPDK init: " + grepLog(r.path("vswitchd.log"), "EAL", "dpdk|ERR", "EMER"))
		default:
		}
		if time.Now().After(deadline) {
			return fail("ovs-vswitchd: DPDK not initialized after 20 s: " + grepLog(r.path("vswitchd.log"), "EAL", "dpdk|ERR"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	v, _ := exec.Command(sw, "--version").Output()
	r.version = strings.SplitN(string(v), "\n", 2)[0]
	for _, c := range [][]string{
		{"add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=netdev"},
		{"add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev", "other_config:hwaddr=" + wanMAC},
	} {
		if _, err := r.vsctl(c...); err != nil {
			return fail(err.Error())
		}
	}
	for _, c := range [][]string{
		{"ip", "addr", "add", localAddr + "/24", "dev", "br-phy"},
		{"ip", "link", "set", "br-phy", "up"},
		{"ip", "link", "set", "br-int", "up"},
	} {
		if out, err := r.nsExec(c...); err != nil {
			return fail(strings.Join(c, " ") + ": " + out)
		}
	}
	if out, err := r.appctl("tnl/arp/set", "br-phy", peerAddr, peerMAC); err != nil {
		return fail("tnl/arp/set: " + out)
	}
	if out, err := r.ofctl("del-flows", "br-phy"); err != nil {
		return fail("ovs-ofctl: " + out)
	}
	return r, ""
}

func (r *ovsRig) path(f string) string { return filepath.Join(r.dir, f) }

func (r *ovsRig) vsctl(args ...string) (string, error) {
	out, err := exec.Command("ovs-vsctl", append([]string{"--db=unix:" + r.path("db.sock"), "--timeout=20"}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ovs-vsctl %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func (r *ovsRig) ofctl(cmd, br string, args ...string) (string, error) {
	out, err := exec.Command("ovs-ofctl", append([]string{cmd, "unix:" + r.path(br+".mgmt")}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (r *ovsRig) appctl(args ...string) (string, error) {
	out, err := exec.Command("ovs-appctl", append([]string{"-t", r.path("vswitchd.ctl")}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (r *ovsRig) nsExec(args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", r.ns}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

var txPktsOVS = regexp.MustCompile(`tx pkts=(\d+)`)

func (r *ovsRig) txPackets(br, port string) (uint64, error) {
	out, err := r.ofctl("dump-ports", br, port)
	if err != nil {
		return 0, fmt.Errorf("dump-ports: %s", out)
	}
	m := txPktsOVS.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("dump-ports: no tx pkts in %q", out)
	}
	return strconv.ParseUint(m[1], 10, 64)
}

// runOVS measures one point with a fresh OVS instance (started for the run
// and stopped after it, so that its PMD thread never competes with the
// other tools for the worker core, nor its hugepages with their EALs).
// A non-empty second result means OVS cannot run here at all.
func runOVS(o options, env Env, dir string, p Point, pcap string, tm timing, log io.Writer) (Run, string) {
	r, why := newOVS(o, env, dir, log)
	if r == nil {
		return Run{Tool: "ovs", Note: why}, why
	}
	defer r.close()
	return r.run(p, pcap, tm), ""
}

// run measures one point: the ports and flows are set up for it and the
// rate is sampled.
func (r *ovsRig) run(p Point, pcap string, tm timing) Run {
	res := Run{Tool: "ovs", Mbufs: 0}
	r.runs++
	in := fmt.Sprintf("net_pcap_oin%d,rx_pcap=%s,infinite_rx=1", r.runs, pcap)
	out := fmt.Sprintf("net_null_oout%d,no-rx=1", r.runs)
	lanDev, wanDev := in, out
	outBr, outPort := "br-phy", "wan"
	if p.Dir == "decap" {
		lanDev, wanDev = out, in
		outBr, outPort = "br-int", "lan"
	}
	tun := []string{"add-port", "br-int", "tun0", "--", "set", "Interface", "tun0", "type=" + p.Proto,
		"options:remote_ip=" + peerAddr, "options:local_ip=" + localAddr}
	var intFlows []string
	if p.Proto == "gre" {
		// IP in GRE (protocol 0x0800), as tunfwd's routes send it; the inner
		// TTL is decremented and the MACs set as tunfwd's router does
		tun = append(tun, fmt.Sprintf("options:key=%d", greKey), "options:packet_type=legacy_l3")
		intFlows = []string{"in_port=lan,ip,actions=dec_ttl,output:tun0",
			fmt.Sprintf("in_port=tun0,ip,actions=dec_ttl,mod_dl_src:%s,mod_dl_dst:%s,output:lan", innerMAC, hostMAC)}
	} else {
		tun = append(tun, fmt.Sprintf("options:key=%d", vni))
		intFlows = []string{"in_port=lan,actions=output:tun0", "in_port=tun0,actions=output:lan"}
	}
	steps := [][]string{
		{"add-port", "br-phy", "wan", "--", "set", "Interface", "wan", "type=dpdk", "options:dpdk-devargs=" + wanDev},
		{"add-port", "br-int", "lan", "--", "set", "Interface", "lan", "type=dpdk", "options:dpdk-devargs=" + lanDev},
		tun,
	}
	for _, s := range steps {
		if _, err := r.vsctl(s...); err != nil {
			res.Note = err.Error()
			return res
		}
	}
	for br, flows := range map[string][]string{"br-int": intFlows,
		"br-phy": {"in_port=LOCAL,actions=output:wan", "in_port=wan,actions=LOCAL"}} {
		if out, err := r.ofctl("del-flows", br); err != nil {
			res.Note = out
			return res
		}
		for _, f := range flows {
			if out, err := r.ofctl("add-flow", br, f); err != nil {
				res.Note = "add-flow " + f + ": " + out
				return res
			}
		}
	}
	for _, port := range []string{"lan", "wan", "tun0"} {
		if e, _ := r.vsctl("get", "Interface", port, "error"); strings.TrimSpace(e) != "[]" {
			res.Note = fmt.Sprintf("port %s: %s", port, strings.TrimSpace(e))
			return res
		}
	}
	start := time.Now()
	time.Sleep(tm.warmup)
	prev, err := r.txPackets(outBr, outPort)
	if err != nil {
		res.Note = err.Error()
		return res
	}
	rx0, err := rxPackets(r, p)
	if err != nil {
		res.Note = err.Error()
		return res
	}
	prevAt := time.Now()
	first, firstAt := prev, prevAt
	n := max(1, int((tm.measure+tm.period-1)/tm.period))
	var rx1 uint64
	for i := 0; i < n; i++ {
		time.Sleep(tm.period)
		if i == n-1 {
			// read rx before the last tx (and rx0 after the first): the rx
			// window lies inside the tx window, so only real drops show
			if rx1, err = rxPackets(r, p); err != nil {
				res.Note = err.Error()
				return res
			}
		}
		v, err := r.txPackets(outBr, outPort)
		if err != nil {
			res.Note = err.Error()
			return res
		}
		now := time.Now()
		res.Samples = append(res.Samples, float64(v-prev)/now.Sub(prevAt).Seconds()/1e6)
		prev, prevAt = v, now
	}
	res.Mpps = mean(res.Samples)
	res.TxPkts = prev
	res.Seconds = time.Since(start).Seconds()
	res.MppsTotal = float64(prev-first) / prevAt.Sub(firstAt).Seconds() / 1e6
	if r.sw != nil && r.sw.Process != nil {
		res.VmHWMkB, res.HugetlbkB = procMem(r.sw.Process.Pid)
		if pid, err := os.ReadFile(r.path("vswitchd.pid")); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
				res.VmHWMkB, res.HugetlbkB = procMem(n)
			}
		}
	}
	// drops: what the input port received in the steady window and the output
	// port did not send (the datapath counters in the database lag by seconds)
	res.RxPkts = rx1
	if out, err := r.appctl("netdev-dpdk/get-mempool-info", outPort); err == nil {
		if m := regexp.MustCompile(`size=(\d+)`).FindStringSubmatch(out); m != nil {
			res.Mbufs, _ = strconv.Atoi(m[1])
		}
	}
	if din, dout := rx1-rx0, prev-first; din > dout {
		res.Drops = din - dout
		res.Note = fmt.Sprintf("%d of %d packets received in the steady window not sent: %s", res.Drops, din,
			firstLines(mustOut(r.appctl("dpctl/dump-flows")), 3))
	}
	res.Valid = res.Mpps > 0 && res.Drops == 0
	return res
}

func rxPackets(r *ovsRig, p Point) (uint64, error) {
	br, port := "br-int", "lan"
	if p.Dir == "decap" {
		br, port = "br-phy", "wan"
	}
	out, err := r.ofctl("dump-ports", br, port)
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`rx pkts=(\d+)`).FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no rx pkts")
	}
	return strconv.ParseUint(m[1], 10, 64)
}

func mustOut(s string, _ error) string { return s }

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, " | ")
}

func sumStat(s string, keys ...string) uint64 {
	var t uint64
	for _, k := range keys {
		for _, m := range regexp.MustCompile(`\b`+k+`=(\d+)`).FindAllStringSubmatch(s, -1) {
			v, _ := strconv.ParseUint(m[1], 10, 64)
			t += v
		}
	}
	return t
}

func (r *ovsRig) close() {
	if r.sw != nil && r.swDone != nil {
		r.appctl("exit")
		select {
		case <-r.swDone:
		case <-time.After(10 * time.Second):
			r.sw.Process.Kill()
			<-r.swDone
		}
	}
	if r.db != nil && r.dbDone != nil {
		exec.Command("ovs-appctl", "-t", r.path("ovsdb.ctl"), "exit").Run()
		select {
		case <-r.dbDone:
		case <-time.After(5 * time.Second):
			r.db.Process.Kill()
			<-r.dbDone
		}
	}
	exec.Command("ip", "netns", "del", r.ns).Run()
	os.RemoveAll(filepath.Join("/var/run/dpdk", fmt.Sprintf("%s-ovs-%d", r.env.Prefix, os.Getpid())))
}

func waitFile(p string, d time.Duration) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if _, err := os.Stat(p); err == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func grepLog(path string, subs ...string) string {
	b, _ := os.ReadFile(path)
	var o []string
	for _, l := range strings.Split(string(b), "\n") {
		for _, s := range subs {
			if strings.Contains(l, s) {
				o = append(o, l)
				break
			}
		}
	}
	if len(o) > 6 {
		o = o[len(o)-6:]
	}
	return strings.Join(o, " | ")
}
