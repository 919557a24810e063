package dataplane

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The libFuzzer target (make libfuzz): the same gateway and invariants as
// FuzzPacketPath, but the fuzzing engine is libFuzzer, guided by coverage of
// the C packet path itself (clang -fsanitize=fuzzer-no-link,address).
// An input is [port][split, 2 bytes little-endian][frame...], port and split
// as in FuzzPacketPath.
//
// TF_LIBFUZZER holds libFuzzer's arguments (e.g. "-max_total_time=60
// build/libfuzz/corpus"); the corpus directory is seeded with fuzzSeeds when
// empty. Crash artifacts go to testdata/libfuzzer/, where
// TestLibFuzzerArtifacts replays them in every go test run.
func TestLibFuzzer(t *testing.T) {
	args := os.Getenv("TF_LIBFUZZER")
	if args == "" {
		t.Skip("TF_LIBFUZZER not set (make libfuzz)")
	}
	fz := newFuzzGateway(t)
	LibFuzzerOne = func(data []byte) error {
		if len(data) < 3 {
			return nil
		}
		return fz.check(data[3:], data[0], binary.LittleEndian.Uint16(data[1:]))
	}
	argv := append([]string{"tunfwd-libfuzzer", "-artifact_prefix=testdata/libfuzzer/"}, strings.Fields(args)...)
	for _, a := range argv[1:] {
		if !strings.HasPrefix(a, "-") {
			seedCorpus(t, a)
		}
	}
	done := make(chan struct{})
	var ret int
	var err error
	go func() { // not the EAL thread: every check calls into the gateway through Do
		defer close(done)
		runtime.LockOSThread()
		ret, err = RunLibFuzzer(argv)
	}()
	<-done
	if errors.Is(err, ErrNoLibFuzzer) {
		t.Skip(err)
	}
	if ret != 0 {
		t.Fatalf("libFuzzer returned %d", ret)
	}
}

// seedCorpus writes every FuzzPacketPath seed into the corpus directory
// (named by content: seeds of new protocols join an old corpus).
func seedCorpus(t *testing.T, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range fuzzSeeds(t) {
		in := append([]byte{s.port, byte(s.split), byte(s.split >> 8)}, s.data...)
		sum := sha1.Sum(in)
		if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:])), in, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLibFuzzerArtifacts replays what libFuzzer ever found (testdata/libfuzzer).
func TestLibFuzzerArtifacts(t *testing.T) {
	files, _ := filepath.Glob("testdata/libfuzzer/*")
	if len(files) == 0 {
		t.Skip("no libFuzzer artifacts")
	}
	fz := newFuzzGateway(t)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 3 {
			continue
		}
		if err := fz.check(data[3:], data[0], binary.LittleEndian.Uint16(data[1:])); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
