// Package interop holds the live interoperability tests: tunfwd forwards
// between network namespaces (scripts/netns.sh) with the Linux kernel's own
// tunnel devices as the far end, and a ping crosses both implementations.
// The tests need root and ip netns; they skip, saying why, where either is
// missing. The package has no code outside its tests.
package interop
