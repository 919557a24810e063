package interop

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/require"
)

// The rig: scripts/netns.sh builds NAME-{lan,gw,peer,far}; tunfwd runs in
// NAME-gw on net_af_packet ports over lan0 and wan0; the case's kernel
// commands make NAME-peer the far tunnel end. Everything here runs commands,
// none of it decides whether a case passed.

var (
	script = filepath.Join("..", "scripts", "netns.sh")

	binDir  string
	binOnce sync.Once
	binErr  error

	envOnce   sync.Once
	envReason string // non-empty: why the rig cannot run here
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// needRig skips the test, saying why, unless this machine can build the rig.
func needRig(t *testing.T) {
	t.Helper()
	envOnce.Do(func() { envReason = probeRig() })
	if envReason != "" {
		t.Skip("kernel interop skipped: " + envReason)
	}
}

func probeRig() string {
	if os.Geteuid() != 0 {
		return "needs root (network namespaces, DPDK)"
	}
	for _, tool := range []string{"ip", "ethtool", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " not found (scripts/deps.sh installs iproute2, ethtool, iputils-ping)"
		}
	}
	ns := fmt.Sprintf("tfi%d-probe", os.Getpid())
	defer exec.Command("ip", "netns", "del", ns).Run()
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		return fmt.Sprintf("ip netns add: %v: %s", err, bytes.TrimSpace(out))
	}
	if out, err := exec.Command("ip", "-n", ns, "link", "add", "name", "p0", "type", "veth", "peer", "name", "p1").CombinedOutput(); err != nil {
		return fmt.Sprintf("veth in a namespace: %v: %s", err, bytes.TrimSpace(out))
	}
	// namespaces of earlier runs that died before their cleanup
	exec.Command("bash", script, "sweep").Run()
	return ""
}

// kernelFeatures are probed in a scratch namespace before a case that needs
// them: a kernel built without one makes the case skip, naming what is missing.
var kernelFeatures = map[string]string{
	"vxlan":  "ip link add t0 type vxlan id 1 local 192.0.2.9 remote 192.0.2.8 dstport 4789",
	"vxlan6": "ip link add t0 type vxlan id 1 local 2001:db8::9 remote 2001:db8::8 dstport 4789",
	"bridge": "ip link add t0 type bridge",
	// CONFIG_IPV6_SEG6_LWTUNNEL: seg6 and seg6local routes
	"seg6": "ip link add t0 type veth peer name t1 && ip link set t0 up && " +
		"ip -6 route add 2001:db8:9::/64 encap seg6 mode encap segs 2001:db8::1 dev t0",
	"seg6local": "ip link add t0 type veth peer name t1 && ip link set t0 up && " +
		"ip -6 route add 2001:db8:9::100/128 encap seg6local action End.DX4 nh4 192.0.2.1 dev t0",
}

func needKernel(t *testing.T, features ...string) {
	t.Helper()
	for _, f := range features {
		cmd, ok := kernelFeatures[f]
		require.True(t, ok, "no probe for kernel feature %q", f)
		ns := fmt.Sprintf("tfi%d-feat", os.Getpid())
		require.NoError(t, exec.Command("ip", "netns", "add", ns).Run())
		out, err := exec.Command("ip", "netns", "exec", ns, "sh", "-c", cmd).CombinedOutput()
		exec.Command("ip", "netns", "del", ns).Run()
		if err != nil {
			t.Skipf("kernel interop skipped: this kernel has no %s (%s: %s)", f, cmd, bytes.TrimSpace(out))
		}
	}
}

// tunfwdBinary builds cmd/tunfwd once per test binary.
func tunfwdBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "tunfwd-interop"); binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir, "tunfwd/cmd/tunfwd").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, binErr)
	return filepath.Join(binDir, "tunfwd")
}

// topo is one built chain of namespaces.
type topo struct {
	t    *testing.T
	name string
}

// upTopo builds the chain and runs the kernel side of a case (netns.sh's
// "ROLE: command" lines); it is taken down when the test ends.
func upTopo(t *testing.T, tag string, ipv6 bool, kernel string) *topo {
	t.Helper()
	tp := &topo{t: t, name: fmt.Sprintf("tfi%d-%s", os.Getpid(), tag)}
	args := []string{script, "up", tp.name}
	if ipv6 {
		args = append(args, "-6")
	}
	cmd := exec.Command("bash", args...)
	cmd.Stdin = strings.NewReader(kernel)
	out, err := cmd.CombinedOutput()
	t.Cleanup(func() {
		if out, err := exec.Command("bash", script, "down", tp.name).CombinedOutput(); err != nil {
			t.Errorf("netns.sh down %s: %v\n%s", tp.name, err, out)
		}
	})
	require.NoError(t, err, "netns.sh up %s:\n%s", tp.name, out)
	return tp
}

func (tp *topo) ns(role string) string { return tp.name + "-" + role }

// run runs a command in a role's namespace and returns its output.
func (tp *topo) run(role string, args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", tp.ns(role)}, args...)...).CombinedOutput()
	return string(out), err
}

func (tp *topo) ipJSON(role string, v any, args ...string) {
	tp.t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", tp.ns(role), "-j"}, args...)...).Output()
	require.NoError(tp.t, err, "ip -n %s -j %v", tp.ns(role), args)
	require.NoError(tp.t, json.Unmarshal(out, v), "ip -j %v: %s", args, out)
}

// mac is the address of an interface, as the kernel reports it.
func (tp *topo) mac(role, dev string) string {
	var links []struct {
		Address string `json:"address"`
	}
	tp.ipJSON(role, &links, "link", "show", "dev", dev)
	require.Len(tp.t, links, 1)
	return links[0].Address
}

// linkStats are an interface's kernel counters (ip -s link).
type linkStats struct {
	RxPackets, RxBytes, TxPackets, TxBytes, RxErrors, RxDropped, TxErrors, TxDropped uint64
}

func (tp *topo) stats(role, dev string) linkStats {
	type dir struct {
		Bytes   uint64 `json:"bytes"`
		Packets uint64 `json:"packets"`
		Errors  uint64 `json:"errors"`
		Dropped uint64 `json:"dropped"`
	}
	var links []struct {
		Stats struct {
			Rx dir `json:"rx"`
			Tx dir `json:"tx"`
		} `json:"stats64"`
	}
	tp.ipJSON(role, &links, "-s", "link", "show", "dev", dev)
	require.Len(tp.t, links, 1)
	s := links[0].Stats
	return linkStats{s.Rx.Packets, s.Rx.Bytes, s.Tx.Packets, s.Tx.Bytes,
		s.Rx.Errors, s.Rx.Dropped, s.Tx.Errors, s.Tx.Dropped}
}

// neigh is the link-layer address a namespace's kernel holds for addr ("" if none).
func (tp *topo) neigh(role, addr string) string {
	var ns []struct {
		LLAddr string `json:"lladdr"`
	}
	tp.ipJSON(role, &ns, "neigh", "show", addr)
	if len(ns) == 0 {
		return ""
	}
	return ns[0].LLAddr
}

// renderConf fills a case's tunfwd config: {{.Prefix}} (a file prefix of
// this run) and {{mac "ROLE" "DEV"}} (read from the interface).
func (tp *topo) renderConf(text string) string {
	tp.t.Helper()
	tm, err := template.New("conf").Funcs(template.FuncMap{"mac": tp.mac}).Parse(text)
	require.NoError(tp.t, err)
	var b strings.Builder
	require.NoError(tp.t, tm.Execute(&b, struct{ Prefix string }{tp.name}))
	return b.String()
}

// gateway is a tunfwd process in NAME-gw.
type gateway struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *syncBuffer
	stats  string
	exited chan struct{} // closed once the process is reaped; err is set then
	err    error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startGateway runs tunfwd with the config inside NAME-gw and returns once
// it forwards.
func (tp *topo) startGateway(confText string) *gateway {
	t := tp.t
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "fwd.toml")
	require.NoError(t, os.WriteFile(path, []byte(confText), 0o644))
	g := &gateway{t: t, out: &syncBuffer{}, stats: filepath.Join(dir, "stats.json"), exited: make(chan struct{})}
	g.cmd = exec.Command("ip", "netns", "exec", tp.ns("gw"), tunfwdBinary(t), "--conf", path,
		"--stats-json", g.stats)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	g.cmd.Stdout, g.cmd.Stderr = pw, pw
	require.NoError(t, g.cmd.Start())
	pw.Close()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintln(g.out, sc.Text())
			if strings.Contains(sc.Text(), "tunfwd: forwarding on") {
				close(ready)
			}
		}
		pr.Close()
		g.err = g.cmd.Wait()
		close(g.exited)
	}()
	t.Cleanup(func() { // a test that failed half way: never leave it running
		select {
		case <-g.exited:
		default:
			g.cmd.Process.Kill()
			<-g.exited
		}
	})
	select {
	case <-ready:
	case <-g.exited:
		t.Fatalf("tunfwd exited before forwarding: %v\n%s", g.err, g.out)
	case <-time.After(30 * time.Second): // a hang guard, not a measurement
		t.Fatalf("tunfwd did not start forwarding:\n%s", g.out)
	}
	return g
}

// summary is the part of tunfwd's --stats-json that the checks read.
type summary struct {
	Mempool struct {
		Size      int `json:"size"`
		Available int `json:"available"`
	} `json:"mempool"`
	Ports []struct {
		Name   string `json:"name"`
		RxPkts uint64 `json:"rx_packets"`
		TxPkts uint64 `json:"tx_packets"`
		Drops  uint64 `json:"drops"`
		TxFull uint64 `json:"tx_full"`
		Device struct {
			IPackets uint64 `json:"IPackets"`
			OPackets uint64 `json:"OPackets"`
		} `json:"device"`
	} `json:"ports"`
	Tunnels []struct {
		Name       string `json:"name"`
		EncapPkts  uint64 `json:"encap_packets"`
		EncapBytes uint64 `json:"encap_bytes"`
		DecapPkts  uint64 `json:"decap_packets"`
		DecapBytes uint64 `json:"decap_bytes"`
	} `json:"tunnels"`
	Drops   map[string]uint64 `json:"drops"`
	Dropped uint64            `json:"dropped"`
	ARP     uint64            `json:"arp_replies"`
	ND      uint64            `json:"nd_replies"`
}

// stop ends tunfwd with SIGINT, as an operator would, and reads its final counters.
func (g *gateway) stop() *summary {
	t := g.t
	t.Helper()
	require.NoError(t, g.cmd.Process.Signal(syscall.SIGINT))
	select {
	case <-g.exited:
		require.NoError(t, g.err, "tunfwd:\n%s", g.out)
	case <-time.After(30 * time.Second):
		g.cmd.Process.Kill()
		t.Fatalf("tunfwd did not stop on SIGINT:\n%s", g.out)
	}
	b, err := os.ReadFile(g.stats)
	require.NoError(t, err)
	var s summary
	require.NoError(t, json.Unmarshal(b, &s))
	return &s
}
