# tunfwd: every target installs what it needs first (scripts/deps.sh is
# idempotent and quick when everything is there).
GO      ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all deps build test demo vet fmt-check clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	$(GO) build -o build/bin/ ./cmd/...

vet: deps
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The test suite: EAL runs inside the test binaries (--no-huge, net_pcap vdevs);
# outputs are checked with gopacket and tshark. Needs root (DPDK).
test: deps fmt-check vet
	$(GO) test -count=1 ./...
	@# a short fuzz of the packet path under ASan/UBSan, and of the config loader;
	@# a count, not a time: a -fuzztime deadline races busy workers (golang/go#75804, fixed in Go 1.27)
	$(MAKE) --no-print-directory fuzz FUZZTIME=20000x

# The built-in demo over net_pcap: see README.md.
demo: deps
	bash scripts/demo.sh

clean:
	rm -rf build

# The benchmark driver (issue 6, bench/): tunfwd against dpdk-testpmd io and
# Open vSwitch / ipsec-secgw on net_pcap infinite_rx -> net_null, 1 (and 2) worker lcores; prints the
# table and writes build/bench/results.{json,md} and ratios.png. Reserves 2 MB
# hugepages when none are free (else --no-huge). Needs root.
# BENCH_FLAGS: e.g. -both, -quick, -seconds 10s, -points gre-encap,l2tpv2,srv6-decap,
# -workers 1,2 (the default where the machine has a CPU per worker besides the main one).
BENCH_FLAGS ?=
.PHONY: bench soak
# The soak (issue 7): SOAK of mixed, partly malformed traffic through every
# tunnel type; checks pool, counters and memory at the end (build/bench/soak/).
SOAK ?= 10m
soak: deps
	$(GO) build -o build/bin/ ./cmd/...
	$(GO) run ./bench -soak $(SOAK)

bench: deps
	@bash scripts/bench-deps.sh
	$(GO) build -o build/bin/ ./cmd/...
	@free=$$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0); \
	[ "$$free" -ge 300 ] || bash scripts/hugepages.sh 512 || echo "bench: no hugepages: measuring with --no-huge"
	$(GO) run ./bench $(BENCH_FLAGS)

# Fuzzing (issue 7). The C packet path through a cgo hook (dataplane/fuzz.go,
# FuzzPacketPath) for FUZZTIME, then the config loader (conf FuzzParse) for a
# quarter of it. The C is built with AddressSanitizer and UBSan (alignment
# left out: DPDK's own inline hash reads unaligned words, fine on x86);
# ProcessChains then puts every segment in a malloc'd buffer that ends with its
# bytes, so a read past a segment is an ASan report. The Go code is not
# instrumented: go test -asan works too (FUZZ_SAN='-asan' FUZZ_CFLAGS=
# FUZZ_LDFLAGS=) but its checks on every Go load make the fuzzing engine about
# 30 times slower. FUZZ_CFLAGS= FUZZ_LDFLAGS= fuzzes without sanitizers. A
# finding is written to <pkg>/testdata/fuzz/<Fuzz...>/ and from then on runs
# in make test.
FUZZTIME     ?= 60s
FUZZ_SAN     ?=
FUZZ_CFLAGS  ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize=alignment -fno-sanitize-recover=undefined
FUZZ_LDFLAGS ?= -fsanitize=address,undefined
# libFuzzer over the C packet path (issue 7): clang instruments csrc/ for
# coverage (-fsanitize=fuzzer-no-link) and AddressSanitizer, libFuzzer's loop
# runs inside the test binary (dataplane/libfuzzer_test.go) with the same
# gateway and invariants as FuzzPacketPath. Corpus in build/libfuzz/corpus
# (seeded from the Go fuzz seeds), crashes in dataplane/testdata/libfuzzer/,
# replayed by every go test run. Installs clang if missing.
LIBFUZZTIME ?= 60
LIBFUZZ_RT  ?= $(firstword $(wildcard /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a))
.PHONY: libfuzz
libfuzz: deps
	@command -v clang >/dev/null && [ -n "$(LIBFUZZ_RT)" ] || \
		{ echo "installing clang and libFuzzer (Debian)"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang libclang-rt-14-dev >/dev/null; }
	mkdir -p build/libfuzz/corpus
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 CC=clang \
	CGO_CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address -DTF_LIBFUZZER" \
	CGO_LDFLAGS="-fsanitize=address $$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1) -lstdc++" \
	TF_LIBFUZZER="-max_total_time=$(LIBFUZZTIME) -print_final_stats=1 $(CURDIR)/build/libfuzz/corpus" \
	$(GO) test ./dataplane -count=1 -run '^TestLibFuzzer$$' -v -timeout 0

.PHONY: fuzz
fuzz: deps
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CGO_CFLAGS="$(FUZZ_CFLAGS)" CGO_LDFLAGS="$(FUZZ_LDFLAGS)" \
	$(GO) test $(FUZZ_SAN) ./dataplane -run '^$$' -fuzz '^FuzzPacketPath$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s
	@t=$(FUZZTIME); case $$t in *[0-9]s) c=$$(( $${t%s} / 4 ))s;; *x) c=$$(( $${t%x} / 4 ))x;; *) c=$$t;; esac; \
	[ "$$c" != 0s ] && [ "$$c" != 0x ] || c=1s; \
	echo "$(GO) test ./conf -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $$c -fuzzminimizetime 10s"; \
	$(GO) test ./conf -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $$c -fuzzminimizetime 10s
