package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"

	"tunfwd/conf"
	"tunfwd/dataplane"
	"tunfwd/pktgen"
)

// syncBuffer is an output buffer the test reads while the process writes.
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

// waitFor waits until the output holds want (after from bytes).
func waitFor(t *testing.T, out *syncBuffer, from int, want string) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := out.String()
		if i := strings.Index(s[min(from, len(s)):], want); i >= 0 {
			return from + i + len(want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output:\n%s", want, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// answer is the output between the echo of cmd and the next prompt.
func answer(t *testing.T, out, cmd string) string {
	t.Helper()
	i := strings.Index(out, prompt+cmd+"\n")
	require.GreaterOrEqual(t, i, 0, "no %q in\n%s", cmd, out)
	rest := out[i+len(prompt+cmd+"\n"):]
	if j := strings.Index(rest, prompt); j >= 0 {
		return rest[:j]
	}
	if j := strings.Index(rest, "\ntunfwd stopped"); j >= 0 {
		return rest[:j]
	}
	return rest
}

// Commands piped into -i: each echoed after the prompt with its answer;
// a rejected one changes nothing; quit stops like a signal does.
func TestInteractivePipe(t *testing.T) {
	dir, path := writeConf(t, e2eConf)
	writeInputs(t, dir, 50)
	sock := filepath.Join(dir, "ctl.sock")
	cmd := exec.Command(binary, "--conf", path, "-i", "--ctl-socket", sock)
	cmd.Stdin = strings.NewReader(`show port stats
tunnel add g2 type=gre local=192.0.2.1 remote=192.0.2.2 key=9 seq=true
show tunnel
route add 10.3.0.0/16 via g2
route add 10.4.0.0/16 via nosuch
show route
show config
tunnel del g2
show port info
help route add
quit
show tunnel
`)
	b, err := cmd.CombinedOutput()
	out := string(b)
	require.NoError(t, err, out)

	require.Regexp(t, `(?m)^\s+port\s+rx pkts\s+rx bytes\s+tx pkts`, answer(t, out, "show port stats"))
	require.Regexp(t, `(?m)^\s+lan\s+\d+`, answer(t, out, "show port stats"))
	require.Equal(t, "tunnel g2 added: gre 192.0.2.1 -> 192.0.2.2 key 9 seq\n",
		answer(t, out, "tunnel add g2 type=gre local=192.0.2.1 remote=192.0.2.2 key=9 seq=true"))
	tun := answer(t, out, "show tunnel")
	require.Regexp(t, `(?m)^g1\s+gre\s+192.0.2.1\s+192.0.2.2\s+192.0.2.2\s+key 7\s+64\s+copy\s+df\s+10.2.0.0/16$`, tun)
	require.Regexp(t, `(?m)^g2\s+gre\s+192.0.2.1\s+192.0.2.2\s+192.0.2.2\s+key 9\s+64\s+copy\s+seq,df\s+-$`, tun)
	require.Equal(t, "route 10.3.0.0/16 added: encap into g2 (gre)\n", answer(t, out, "route add 10.3.0.0/16 via g2"))
	require.Equal(t, "error: route add: tunnel: no [[tunnel]] named \"nosuch\"\nusage: route add PREFIX via TUNNEL|nexthop IP\n",
		answer(t, out, "route add 10.4.0.0/16 via nosuch"))
	routes := answer(t, out, "show route")
	require.Regexp(t, `10.3.0.0/16\s+encap into g2 \(gre\)`, routes)
	require.NotContains(t, routes, "10.4.0.0")
	require.Equal(t, "error: tunnel del: tunnel g2 is in use by route 10.3.0.0/16: delete those first\n", answer(t, out, "tunnel del g2"))
	require.Regexp(t, `0\s+lan\s+inner\s+net_pcap\s+02:00:00:00:01:01\s+1500\s+10.1.0.1/24`, answer(t, out, "show port info"))
	require.Contains(t, answer(t, out, "help route add"), "example: route add")

	// show config is a config tunfwd accepts, with what was added
	text := answer(t, out, "show config")
	cfg, err := conf.Parse([]byte(text), "show-config.toml")
	require.NoError(t, err, text)
	require.Len(t, cfg.Tunnels, 2)
	require.Len(t, cfg.Routes, 2)

	require.Contains(t, out, "tunfwd stopped (quit)")
	require.Equal(t, 1, strings.Count(out, prompt+"show tunnel\n"), "the line after quit ran")
	require.NotContains(t, out, "Mpps", "no rate line with -i")
	_, err = os.Stat(sock)
	require.True(t, os.IsNotExist(err), "socket removed at exit")
}

// --cmdline-file runs its commands at start, then the run goes on (here
// until idle).
func TestCmdlineFile(t *testing.T) {
	dir, path := writeConf(t, e2eConf)
	writeInputs(t, dir, 20)
	script := filepath.Join(dir, "cmds")
	require.NoError(t, os.WriteFile(script, []byte("# set up\nroute add 10.5.0.0/16 via g1\n\nshow route\n"), 0o644))
	js := filepath.Join(dir, "summary.json")
	out, err := exec.Command(binary, "--conf", path, "--cmdline-file", script, "--idle-exit", "300ms",
		"--ctl-socket", "none", "--stats-json", js).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), prompt+"route add 10.5.0.0/16 via g1\nroute 10.5.0.0/16 added")
	require.Regexp(t, `10.5.0.0/16\s+encap into g1`, answer(t, string(out), "show route"))
	require.Contains(t, string(out), "tunfwd stopped (idle)")

	_, err = exec.Command(binary, "--conf", path, "--cmdline-file", filepath.Join(dir, "nosuch")).CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, 2, ee.ExitCode())
}

// The prompt on a terminal: it shows, completes, recalls history and
// answers.
func TestInteractivePTY(t *testing.T) {
	dir, path := writeConf(t, e2eConf)
	writeInputs(t, dir, 10)
	cmd := exec.Command(binary, "--conf", path, "-i", "--ctl-socket", filepath.Join(dir, "ctl.sock"))
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 60, Cols: 200})
	require.NoError(t, err)
	defer ptmx.Close()
	out := &syncBuffer{}
	go io.Copy(out, ptmx)
	defer cmd.Process.Kill()

	at := waitFor(t, out, 0, prompt)
	ptmx.Write([]byte("show po\t"))
	at = waitFor(t, out, at, "show port ")
	ptmx.Write([]byte("st\tlan\r"))
	at = waitFor(t, out, at, "show port stats lan")
	at = waitFor(t, out, at, "rx pkts")
	waitFor(t, out, at, "lan")
	at = waitFor(t, out, at, prompt)

	ptmx.Write([]byte("show tunnel stats\r"))
	at = waitFor(t, out, at, "encap pkts")
	at = waitFor(t, out, at, prompt)
	ptmx.Write([]byte("\x1b[A\r")) // up arrow: the last line again
	at = waitFor(t, out, at, "encap pkts")
	at = waitFor(t, out, at, prompt)

	ptmx.Write([]byte("route add 10.6.0.0/16 via nosuch\r"))
	at = waitFor(t, out, at, `no [[tunnel]] named "nosuch"`)
	at = waitFor(t, out, at, "usage: route add PREFIX via TUNNEL|nexthop IP")

	ptmx.Write([]byte("quit\r"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, out.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("did not exit:\n%s", out.String())
	}
	waitFor(t, out, at, "tunfwd stopped (quit)")
}

func startInstance(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, out, 0, "forwarding on")
	return cmd, out
}

func runCtl(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"ctl"}, args...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	require.NoError(t, err)
	return o.String(), e.String(), 0
}

// tunfwd ctl against a running instance: answers, JSON, usage errors with
// exit 2, failures with exit 1, live changes, quit; metrics on loopback.
func TestCtl(t *testing.T) {
	dir, path := writeConf(t, e2eConf)
	writeInputs(t, dir, 200)
	sock := filepath.Join(dir, "ctl.sock")
	cmd, out := startInstance(t, "--conf", path, "--ctl-socket", sock, "--metrics", "127.0.0.1:0")

	fi, err := os.Stat(sock)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	var tc []dataplane.TunnelCounters
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, e, code := runCtl(t, "--socket", sock, "--json", "show", "tunnel", "stats", "g1")
		require.Zero(t, code, e)
		require.NoError(t, json.Unmarshal([]byte(o), &tc), o)
		if tc[0].EncapPkts == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.EqualValues(t, 200, tc[0].EncapPkts)

	o, e, code := runCtl(t, "--socket", sock, "show", "port", "stats", "--json")
	require.Zero(t, code, e)
	var ps []dataplane.PortCounters
	require.NoError(t, json.Unmarshal([]byte(o), &ps), o)
	require.Equal(t, "lan", ps[0].Name)
	require.EqualValues(t, 200, ps[0].RxPkts)

	o, _, code = runCtl(t, "--socket", sock, "show", "tunnel", "stats")
	require.Zero(t, code)
	require.Regexp(t, `g1\s+gre\s+200\s+\d+\s+0\s+0`, o)

	// metrics: a real scrape
	m := regexp.MustCompile(`metrics at http://(\S+)/metrics`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	resp, err := http.Get("http://" + m[1] + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(body), `tunfwd_tunnel_encap_packets_total{tunnel="g1",type="gre"} 200`)
	require.Contains(t, string(body), `tunfwd_port_rx_packets_total{port="lan"} 200`)
	require.Contains(t, string(body), `tunfwd_worker_polls_total{lcore="1",worker="0"}`)

	// a rejected command: exit 2, the reason and the usage on stderr
	o, e, code = runCtl(t, "--socket", sock, "show", "port", "stats", "nosuch")
	require.Equal(t, 2, code)
	require.Empty(t, o)
	require.Equal(t, "show port stats: no port \"nosuch\" (ports: lan, wan)\nusage: show port stats [all|NAME]\n", e)
	// a refused one: exit 1
	_, e, code = runCtl(t, "--socket", sock, "tunnel", "del", "g1")
	require.Equal(t, 1, code)
	require.Contains(t, e, "in use by route 10.2.0.0/16")

	// a live change
	o, e, code = runCtl(t, "--socket", sock, "tunnel", "add", "g2", "type=gre", "local=192.0.2.1", "remote=192.0.2.2", "key=8")
	require.Zero(t, code, e)
	require.Equal(t, "tunnel g2 added: gre 192.0.2.1 -> 192.0.2.2 key 8\n", o)
	o, _, _ = runCtl(t, "--socket", sock, "show", "tunnel", "stats")
	require.Regexp(t, `g1\s+gre\s+200`, o, "g1's counters survive the change")
	require.Regexp(t, `g2\s+gre\s+0`, o)

	// trace and capture are wired (the input is drained: nothing comes)
	o, e, code = runCtl(t, "--socket", sock, "trace", "lan", "1", "100ms")
	require.Zero(t, code, e)
	require.Equal(t, "trace lan: no packet received in 100ms\n", o)
	pcap := filepath.Join(dir, "cap.pcap")
	_, e, code = runCtl(t, "--socket", sock, "capture", "start", "wan", pcap)
	require.Zero(t, code, e)
	o, e, code = runCtl(t, "--socket", sock, "capture", "stop")
	require.Zero(t, code, e)
	require.Equal(t, "capture of wan stopped: 0 packets written to "+pcap+"\n", o)
	frames, err := pktgen.ReadPcap(pcap)
	require.NoError(t, err)
	require.Empty(t, frames)

	o, e, code = runCtl(t, "--socket", sock, "clear", "port", "stats", "all")
	require.Zero(t, code, e)
	o, _, _ = runCtl(t, "--socket", sock, "show", "tunnel", "stats", "g1")
	require.Regexp(t, `g1\s+gre\s+0\s+0\s+0\s+0`, o)

	// a second instance on the same socket refuses before touching a port
	dir2, path2 := writeConf(t, strings.ReplaceAll(e2eConf, "net_pcap_e2e_", "net_pcap_e2e2_"))
	writeInputs(t, dir2, 1)
	b, err := exec.Command(binary, "--conf", path2, "--ctl-socket", sock).CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, string(b))
	require.Equal(t, 1, ee.ExitCode())
	require.Contains(t, string(b), "another tunfwd is listening on "+sock)
	_, err = os.Stat(filepath.Join(dir2, "wan.out.pcap"))
	require.True(t, os.IsNotExist(err), "the second instance opened a port")

	// usage of ctl itself, and no instance
	_, _, code = runCtl(t, "--socket", sock)
	require.Equal(t, 2, code)
	_, e, code = runCtl(t, "--socket", filepath.Join(dir, "nobody.sock"), "show", "tunnel")
	require.Equal(t, 1, code)
	require.Contains(t, e, "no tunfwd answers on")

	o, e, code = runCtl(t, "--socket", sock, "quit")
	require.Zero(t, code, e)
	require.Equal(t, "tunfwd stopping\n", o)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, out.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("did not stop:\n%s", out.String())
	}
	require.Contains(t, out.String(), "tunfwd stopped (quit)")
	_, err = os.Stat(sock)
	require.True(t, os.IsNotExist(err), "socket removed at exit")
}

// A stale socket file (no process behind it) is replaced.
func TestCtlStaleSocket(t *testing.T) {
	dir, path := writeConf(t, e2eConf)
	writeInputs(t, dir, 1)
	sock := filepath.Join(dir, "ctl.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	_, err = os.Stat(sock)
	require.NoError(t, err)
	out, err := exec.Command(binary, "--conf", path, "--ctl-socket", sock, "--idle-exit", "200ms").CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "control socket "+sock)
}

func TestMetricsRefusesNonLoopback(t *testing.T) {
	_, path := writeConf(t, e2eConf)
	for _, addr := range []string{"0.0.0.0:9469", ":9469", "192.0.2.1:9469", "nohost"} {
		b, err := exec.Command(binary, "--conf", path, "--metrics", addr).CombinedOutput()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, addr)
		require.Equal(t, 2, ee.ExitCode(), addr)
		require.Contains(t, string(b), "--metrics", addr)
	}
}

// trace on live traffic: an endless rx pcap of clear packets, half routed
// into g1, half to a prefix without a route.
var traceConf = strings.NewReplacer(
	`file_prefix = "tunfwd-e2e"`, `file_prefix = "tunfwd-trace"`,
	"net_pcap_e2e_lan,rx_pcap={dir}/lan.in.pcap,tx_pcap={dir}/lan.out.pcap", "net_pcap_tr_lan,rx_pcap={dir}/lan.in.pcap,infinite_rx=1",
	"net_pcap_e2e_wan,rx_pcap={dir}/wan.in.pcap,tx_pcap={dir}/wan.out.pcap", "net_null_tr_wan,no-rx=1",
).Replace(e2eConf)

func TestTraceLive(t *testing.T) {
	require.Contains(t, traceConf, "infinite_rx=1")
	require.Contains(t, traceConf, "net_null_tr_wan")
	dir, path := writeConf(t, traceConf)
	hw, _ := net.ParseMAC("02:00:00:00:01:01")
	routed := pktgen.Flow{DstMAC: hw, Src: netip.MustParseAddr("10.1.0.2"), Dst: netip.MustParseAddr("10.2.0.7"),
		Proto: pktgen.ProtoUDP, SrcPort: 1000, DstPort: 2000}
	lost := routed
	lost.Dst = netip.MustParseAddr("10.99.0.1")
	frames := [][]byte{pktgen.FrameOfSize(routed, 128, 0), pktgen.FrameOfSize(lost, 100, 1)}
	require.NoError(t, pktgen.WritePcap(filepath.Join(dir, "lan.in.pcap"), frames))
	sock := filepath.Join(dir, "ctl.sock")
	cmd, out := startInstance(t, "--conf", path, "--ctl-socket", sock)

	o, e, code := runCtl(t, "--socket", sock, "trace", "lan", "4")
	require.Zero(t, code, e)
	require.Contains(t, o, "trace lan: 4 of 4 packets\n")
	require.Regexp(t, `(?m)^  Ethernet 02:00:00:00:00:01>02:00:00:00:01:01 IPv4 10.1.0.2>10.2.0.7 UDP 1000>2000 len 128\n  -> encap g1 out wan$`, o)
	require.Regexp(t, `(?m)^  Ethernet 02:00:00:00:00:01>02:00:00:00:01:01 IPv4 10.1.0.2>10.99.0.1 UDP 1000>2000 len 100\n  -> drop no_route \(no route for the inner destination\)$`, o)

	pcap := filepath.Join(dir, "cap.pcap")
	_, e, code = runCtl(t, "--socket", sock, "capture", "start", "lan", pcap, "6")
	require.Zero(t, code, e)
	time.Sleep(200 * time.Millisecond)
	o, e, code = runCtl(t, "--socket", sock, "capture", "stop")
	require.Zero(t, code, e)
	require.Equal(t, "capture of lan stopped: 6 packets written to "+pcap+"\n", o)
	got, err := pktgen.ReadPcap(pcap)
	require.NoError(t, err)
	require.Len(t, got, 6)
	off := 0
	if bytes.Equal(got[0], frames[1]) {
		off = 1
	}
	for i, f := range got {
		require.Equal(t, frames[(i+off)%2], f, "packet %d", i)
	}

	runCtl(t, "--socket", sock, "quit")
	require.NoError(t, cmd.Wait(), out.String())
	require.Contains(t, out.String(), "tunfwd stopped (quit)")
}
