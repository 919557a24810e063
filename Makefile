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

# The built-in demo over net_pcap: see README.md.
demo: deps
	bash scripts/demo.sh

clean:
	rm -rf build

# The benchmark driver (issue 6, bench/): tunfwd against dpdk-testpmd io and
# Open vSwitch on net_pcap infinite_rx -> net_null, one worker lcore; prints the
# table and writes build/bench/results.{json,md} and ratios.png. Reserves 2 MB
# hugepages when none are free (else --no-huge). Needs root.
# BENCH_FLAGS: e.g. -both, -quick, -seconds 10s, -points gre-encap.
BENCH_FLAGS ?=
.PHONY: bench
bench: deps
	@bash scripts/bench-deps.sh
	$(GO) build -o build/bin/ ./cmd/...
	@free=$$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0); \
	[ "$$free" -ge 300 ] || bash scripts/hugepages.sh 512 || echo "bench: no hugepages: measuring with --no-huge"
	$(GO) run ./bench $(BENCH_FLAGS)
