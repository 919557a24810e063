package dataplane

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPoolPacked: on 4 KB pages (the tests' --no-huge EAL) with no PCI
// port, the mbuf pool is packed (tf_mbuf_pool): mbufs lie side by side, not
// one to a page at the same offset, where each packet's loads falsely wait
// on the stores to the one before (4K aliasing). And the pool is whole
// again after the allocations.
func TestPoolPacked(t *testing.T) {
	r := newRig(t)
	g, _ := r.open(nil)
	defer g.Close()
	addrs := g.mbufAddrs(64)
	require.Len(t, addrs, 64)
	sort.Slice(addrs, func(i, j int) bool { return addrs[i] < addrs[j] })
	offs := map[uintptr]bool{}
	near := 0
	for i, a := range addrs {
		offs[a&0xfff] = true
		if i > 0 && a-addrs[i-1] < 4096 {
			near++
		}
	}
	require.Greater(t, len(offs), 8, "mbufs at %d page offsets only", len(offs))
	require.Greater(t, near, 32, "only %d of 63 neighbours closer than a page", near)
	avail, size := g.PoolAvail()
	require.Equal(t, size, avail)
}
