package dataplane

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestMain runs the EAL once for the test binary: no hugepages, no PCI,
// a per-process file prefix so that parallel test binaries do not collide.
func TestMain(m *testing.M) {
	prefix := fmt.Sprintf("tunfwd-test-%d", os.Getpid())
	args := []string{"-l", "0-1", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--no-telemetry", "--file-prefix", prefix, "--log-level=notice"}
	if os.Getenv("TF_PERF_HUGE") != "" { // BenchmarkPacketPath as the workers run: on hugepages
		args[2] = "--huge-unlink"
	}
	if err := Init(args); err != nil {
		fmt.Fprintln(os.Stderr, "EAL:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := Cleanup(); err != nil {
		fmt.Fprintln(os.Stderr, "EAL cleanup:", err)
	}
	os.RemoveAll(filepath.Join("/var/run/dpdk", prefix))
	os.Exit(code)
}
