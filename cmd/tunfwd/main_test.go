package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"tunfwd/dataplane"
	"tunfwd/pktgen"
)

// These tests run the real binary: EAL in its own process, net_pcap ports.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tunfwd-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tunfwd")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const e2eConf = `
[eal]
file_prefix = "tunfwd-e2e"

[dataplane]
workers = [1]
mbufs = 2047
idle_us = 20

[[port]]
name = "lan"
side = "inner"
vdev = "net_pcap_e2e_lan,rx_pcap={dir}/lan.in.pcap,tx_pcap={dir}/lan.out.pcap"
mac = "02:00:00:00:01:01"
addresses = ["10.1.0.1/24"]

[[port]]
name = "wan"
side = "underlay"
vdev = "net_pcap_e2e_wan,rx_pcap={dir}/wan.in.pcap,tx_pcap={dir}/wan.out.pcap"
mac = "02:00:00:00:02:01"
addresses = ["192.0.2.1/24"]

[[nexthop]]
ip = "192.0.2.2"
mac = "02:00:00:00:02:02"
port = "wan"

[[tunnel]]
name = "g1"
type = "gre"
local = "192.0.2.1"
remote = "192.0.2.2"
key = 7

[[route]]
prefix = "10.2.0.0/16"
tunnel = "g1"
`

func writeConf(t *testing.T, text string) (dir, path string) {
	dir = t.TempDir()
	path = filepath.Join(dir, "fwd.toml")
	require.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(text, "{dir}", dir)), 0o644))
	return dir, path
}

func writeInputs(t *testing.T, dir string, n int) {
	hw, _ := net.ParseMAC("02:00:00:00:01:01")
	f := pktgen.Flow{DstMAC: hw, Src: netip.MustParseAddr("10.1.0.2"), Dst: netip.MustParseAddr("10.2.0.1"),
		Proto: pktgen.ProtoUDP, SrcPort: 1, DstPort: 2}
	require.NoError(t, pktgen.WritePcap(filepath.Join(dir, "lan.in.pcap"), pktgen.Mix(n, 4, f, 0)))
	require.NoError(t, pktgen.WritePcap(filepath.Join(dir, "wan.in.pcap"), nil))
}

func TestRunIdleExit(t *testing.T) {
	dir, path := writeConf(t, e2eConf)
	writeInputs(t, dir, 200)
	js := filepath.Join(dir, "summary.json")
	cmd := exec.Command(binary, "--conf", path, "--idle-exit", "300ms", "--stats-json", js)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), out.String())
	require.Contains(t, out.String(), "tunfwd stopped (idle)")

	var s summary
	b, err := os.ReadFile(js)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &s))
	require.Equal(t, s.Mempool.Size, s.Mempool.Available)
	require.EqualValues(t, 200, s.Tunnels[0].EncapPkts)
	require.EqualValues(t, 200, s.EncapPkts)
	require.Len(t, s.Workers, 1, "one worker, with its polls (the bench checks each worker got input)")
	require.NotZero(t, s.Workers[0].BusyPolls)
	require.GreaterOrEqual(t, s.Workers[0].Polls, s.Workers[0].BusyPolls)
	frames, err := pktgen.ReadPcap(filepath.Join(dir, "wan.out.pcap"))
	require.NoError(t, err)
	require.Len(t, frames, 200, "output flushed and closed at exit")
}

func TestSignalStops(t *testing.T) {
	dir, path := writeConf(t, e2eConf)
	writeInputs(t, dir, 10)
	cmd := exec.Command(binary, "--conf", path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "forwarding on") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("did not start:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	sent := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.NoError(t, cmd.Wait(), out.String())
	require.Less(t, time.Since(sent), 2*time.Second, "stop within a second or so")
	require.Contains(t, out.String(), "tunfwd stopped (signal)")
	require.Contains(t, out.String(), "g1")
}

// A bad configuration: exit 2, the file, line and key named, and no port
// touched (net_pcap would have created the tx file at probe).
func TestBadConfigExits2BeforePorts(t *testing.T) {
	bad := strings.Replace(e2eConf, `key = 7`, `key = 7
vni = 5`, 1)
	dir, path := writeConf(t, bad)
	writeInputs(t, dir, 1)
	for _, args := range [][]string{{"--conf", path}, {"check", "--conf", path}} {
		cmd := exec.Command(binary, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		require.Equal(t, 2, ee.ExitCode())
		line := strings.Count(bad[:strings.Index(bad, "vni = 5")], "\n") + 1
		require.Contains(t, stderr.String(), fmt.Sprintf("fwd.toml:%d: tunnel[0].vni", line))
		_, err = os.Stat(filepath.Join(dir, "wan.out.pcap"))
		require.True(t, os.IsNotExist(err), "a port was opened")
	}
}

// tunfwd perf: the path measured against io forwarding on net_null ports
// (the pcap ports are replaced, nothing written), every packet sent and
// the mempool full again, or it fails; a bad config exits 2 as ever.
func TestPerf(t *testing.T) {
	dir, path := writeConf(t, e2eConf)
	writeInputs(t, dir, 64)
	out, err := exec.Command(binary, "perf", "--conf", path, "--bursts", "500", "--json").Output()
	require.NoError(t, err)
	var c dataplane.PathCost
	require.NoError(t, json.Unmarshal(out, &c), string(out))
	require.Equal(t, 500, c.Bursts)
	require.Positive(t, c.PathP10)
	require.Positive(t, c.IOP10)
	require.Positive(t, c.TSCHz)
	for _, f := range []string{"lan.out.pcap", "wan.out.pcap"} {
		_, err = os.Stat(filepath.Join(dir, f))
		require.True(t, os.IsNotExist(err), "%s written: the ports were not replaced", f)
	}

	bad := strings.Replace(e2eConf, `key = 7`, `key = 7
vni = 5`, 1)
	_, path = writeConf(t, bad)
	err = exec.Command(binary, "perf", "--conf", path).Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, 2, ee.ExitCode())
	// no port reading a pcap: nothing to measure
	none := strings.ReplaceAll(strings.ReplaceAll(e2eConf, "rx_pcap={dir}/lan.in.pcap,", ""), "rx_pcap={dir}/wan.in.pcap,", "")
	dir, path = writeConf(t, none)
	writeInputs(t, dir, 1)
	cmd := exec.Command(binary, "perf", "--conf", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.ErrorAs(t, cmd.Run(), &ee)
	require.Equal(t, 2, ee.ExitCode())
	require.Contains(t, stderr.String(), "want a net_pcap port with rx_pcap=")
}

func TestCheckGood(t *testing.T) {
	_, path := writeConf(t, e2eConf)
	out, err := exec.Command(binary, "check", "--conf", path).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "ok: 2 ports, 1 tunnels")
	for _, f := range []string{"../../conf/demo.toml", "../../conf/fwd.toml"} {
		out, err := exec.Command(binary, "check", "--conf", f).CombinedOutput()
		require.NoError(t, err, string(out))
		if strings.HasSuffix(f, "demo.toml") {
			require.Contains(t, string(out), "1 SIDs, 1 crypto devices, 2 SAs, 1 policies")
		}
	}
}

func TestUsageExits2(t *testing.T) {
	err := exec.Command(binary, "--bogus").Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, 2, ee.ExitCode())
}

// A worker lcore the machine does not have: exit 2 naming the key, before
// EAL prints its usage page.
func TestMissingLcoreExits2(t *testing.T) {
	bad := strings.Replace(e2eConf, "workers = [1]", "workers = [127]", 1)
	_, path := writeConf(t, bad)
	cmd := exec.Command(binary, "--conf", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, 2, ee.ExitCode())
	require.Contains(t, stderr.String(), "dataplane.workers: lcore 127 does not exist")
	require.NotContains(t, stderr.String(), "EAL")
}

// SIGHUP re-reads the file: a broken one is rejected and the running state
// stays; a good one is applied live (the new tunnel carries traffic from the
// next packet on, the old tunnel's counters stay).
func TestSIGHUPReload(t *testing.T) {
	dir, path := writeConf(t, strings.Replace(e2eConf, "net_pcap_e2e_lan,rx_pcap={dir}/lan.in.pcap,tx_pcap={dir}/lan.out.pcap",
		"net_pcap_e2e_lan,rx_pcap={dir}/lan.in.pcap,infinite_rx=1", 1))
	writeInputs(t, dir, 64)
	js := filepath.Join(dir, "summary.json")
	cmd := exec.Command(binary, "--conf", path, "--stats-period", "0", "--stats-json", js, "--ctl-socket", "none")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	waitFor := func(s string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), s) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in:\n%s", s, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("forwarding on")
	good, err := os.ReadFile(path)
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(path, append(append([]byte{}, good...), "\n[[tunnel]]\nname = \"g2\"\nbogus = 1\n"...), 0o644))
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	waitFor("rejected, running configuration unchanged")
	require.Contains(t, out.String(), "tunnel[1].bogus")

	added := string(good) + "\n[[tunnel]]\nname = \"g2\"\ntype = \"gre\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.3\"\nnexthop = \"192.0.2.2\"\nkey = 8\n"
	require.NoError(t, os.WriteFile(path, []byte(added), 0o644))
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	waitFor("applied: 2 tunnels")
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.NoError(t, cmd.Wait(), out.String())
	var s summary
	b, err := os.ReadFile(js)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &s))
	require.Len(t, s.Tunnels, 2)
	require.Equal(t, "g1", s.Tunnels[0].Name)
	require.Greater(t, s.Tunnels[0].EncapPkts, uint64(1000), "g1 kept forwarding and counting through both reloads")
	require.Zero(t, s.Dropped, "no packet lost: %v", s.Drops)
}
