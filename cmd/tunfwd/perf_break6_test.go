package main

import (
	"bytes"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// tunfwd perf on inputs it cannot measure: each must exit 2 with a message
// that says what is wrong, never crash or run.
func TestPerfBreak6(t *testing.T) {
	hw, _ := net.ParseMAC("02:00:00:00:01:01")
	f := pktgen.Flow{DstMAC: hw, Src: netip.MustParseAddr("10.1.0.2"), Dst: netip.MustParseAddr("10.2.0.1"),
		Proto: pktgen.ProtoUDP, SrcPort: 1, DstPort: 2}
	for _, c := range []struct {
		name   string
		frames int
		args   []string
	}{
		{"no-frames", 0, nil},
		{"too-many-frames", 5000, []string{"--bursts", "10"}},
		{"bursts-past-memory", 64, []string{"--bursts", "4000000000"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, path := writeConf(t, e2eConf)
			require.NoError(t, pktgen.WritePcap(filepath.Join(dir, "lan.in.pcap"), pktgen.Mix(c.frames, 4, f, 0)))
			require.NoError(t, pktgen.WritePcap(filepath.Join(dir, "wan.in.pcap"), nil))
			cmd := exec.Command(binary, append([]string{"perf", "--conf", path}, c.args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			t.Logf("stderr: %s", stderr.String())
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, 2, ee.ExitCode(), "%s", stderr.String())
		})
	}
}
