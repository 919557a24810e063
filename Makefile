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
