package dataplane

import (
	"os/exec"
	"strings"
	"testing"
)

// tshark decodes a pcap with Wireshark's dissectors (an implementation that
// is not ours), checksum validation on, and returns one row of the asked
// fields per frame; repeated fields (outer and inner IP) come comma-joined.
func tshark(t *testing.T, pcap string, fields ...string) [][]string {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (scripts/deps.sh installs it)")
	}
	args := []string{"-n", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
		"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command("tshark", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}
