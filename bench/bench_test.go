package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestQuickGREEncap runs the driver once in -quick mode on the GRE encap
// point (tunfwd only, no references, --no-huge) to prove it works end to end:
// it produced results with a positive rate and no drop. It never asserts a
// speed (issue 6: no benchmark in the test suite).
func TestQuickGREEncap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (DPDK)")
	}
	if _, err := exec.LookPath("pkg-config"); err != nil {
		t.Skip("no pkg-config: DPDK not installed (scripts/deps.sh)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tunfwd")
	build := exec.Command("go", "build", "-o", bin, "tunfwd/cmd/tunfwd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build tunfwd: %v\n%s", err, out)
	}
	var out bytes.Buffer
	args := []string{"-quick", "-points", "gre-encap", "-refs=false", "-huge", "off", "-flows", "64",
		"-tunfwd", bin, "-out", filepath.Join(dir, "bench")}
	if code := run(args, &out, &out); code != 0 {
		t.Fatalf("bench %v: exit %d\n%s", args, code, out.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "bench", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res Results
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Modes) != 1 || len(res.Modes[0].Points) != 1 {
		t.Fatalf("want 1 mode with 1 point, got %+v\n%s", res.Modes, out.String())
	}
	pr := res.Modes[0].Points[0]
	if pr.Name != "gre-encap-64" || len(pr.Runs["tunfwd"]) != 1 {
		t.Fatalf("unexpected point %s with %d runs\n%s", pr.Name, len(pr.Runs["tunfwd"]), out.String())
	}
	r := pr.Runs["tunfwd"][0]
	if !r.Valid || r.Drops != 0 || r.Mpps <= 0 || r.TxPkts == 0 {
		t.Fatalf("run not valid: %+v\n%s", r, out.String())
	}
	for _, f := range []string{"results.md", "ratios.png"} {
		if st, err := os.Stat(filepath.Join(dir, "bench", f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	t.Logf("gre-encap-64: %.3f Mpps over %v samples (not asserted)", r.Mpps, len(r.Samples))
}

// TestSoakSmoke runs the soak mode for a few seconds: every tunnel type
// used both ways, every malformed kind dropped under its reason, pool whole
// and counters adding up at the end (the same checks as the 10-minute run;
// memory growth is judged only on runs of a minute or more).
func TestSoakSmoke(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (DPDK)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tunfwd")
	if out, err := exec.Command("go", "build", "-o", bin, "tunfwd/cmd/tunfwd").CombinedOutput(); err != nil {
		t.Fatalf("go build tunfwd: %v\n%s", err, out)
	}
	var out bytes.Buffer
	args := []string{"-soak", "3s", "-huge", "off", "-tunfwd", bin, "-out", dir}
	if code := run(args, &out, &out); code != 0 {
		t.Fatalf("bench %v: exit %d\n%s", args, code, out.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "soak", "soak.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res SoakResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Checks) < 20 || res.RxPackets == 0 || res.Mempool[0] != res.Mempool[1] {
		t.Fatalf("soak result incomplete: %+v\n%s", res, out.String())
	}
}
