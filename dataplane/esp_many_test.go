package dataplane

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// TestESPManyInboundSAs: 240 inbound SAs, each with its own key, found by
// the (SPI, destination) hash: 200 SPIs to 192.0.2.1, the first 20 of them
// again to 192.0.2.3 and to 2001:db8:1::1 with other keys. scapy sends one
// packet per SA; every one decrypts (a lookup that took the wrong SA would
// fail its ICV) and leaves the inner port as sent. A known SPI to an
// address that has no SA with it, and an unknown SPI, are esp_no_sa.
func TestESPManyInboundSAs(t *testing.T) {
	const nv4, nsame = 200, 20
	a := espAlgos[0] // AES-128-GCM, aesni_gcm cpu
	r := newRig(t)
	r.ports = []rigPort{
		{"inner", "inner", innerMAC, `addresses = ["10.1.0.1/24"]`},
		{"uplink", "underlay", uplinkMAC, `addresses = ["192.0.2.1/24", "192.0.2.3/24", "` + esp6Local + `/64"]`},
		{"l2", "inner", l2MAC, ""},
	}
	type sa struct {
		spi           uint32
		local, remote string
		key           string
	}
	var sas []sa
	for i := range nv4 {
		sas = append(sas, sa{0x10000 + uint32(i), "192.0.2.1", "192.0.2.2", fmt.Sprintf("%032x", i+1)})
	}
	for i := range nsame {
		sas = append(sas, sa{0x10000 + uint32(i), "192.0.2.3", "192.0.2.2", fmt.Sprintf("%032x", 1000+i)})
		sas = append(sas, sa{0x10000 + uint32(i), esp6Local, esp6Remote, fmt.Sprintf("%032x", 2000+i)})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n[[nexthop]]\nip = %q\nmac = %q\nport = \"uplink\"\n", esp6Remote, uplinkPeer)
	fmt.Fprintf(&b, "\n[[crypto]]\nname = \"c0\"\nvdev = \"%s_t%d\"\n", a.vdev, r.id)
	var pySAs []map[string]any
	var pkts []pyPkt
	var sent [][]byte
	for i, s := range sas {
		fmt.Fprintf(&b, "\n[[sa]]\nname = \"in%d\"\nspi = %d\ndir = \"in\"\nlocal = %q\nremote = %q\naead = %q\nkey = %q\nsalt = %q\n",
			i, s.spi, s.local, s.remote, a.aead, s.key, a.salt)
		as := a
		as.key = s.key
		pySAs = append(pySAs, as.py(s.spi, s.remote, s.local))
		// the inner source names the SA: 10.7.i/256.i%256
		f := innerFrames(fmt.Sprintf("10.7.%d.%d", i/256, i%256), "10.1.0.2", []int{10 + i%50})[0]
		sent = append(sent, f)
		pkts = append(pkts, pyPkt{Inner: hex.EncodeToString(ipOf(f)), Seq: 1})
		pkts[len(pkts)-1].SA = i
	}
	// SPI 0x10000+199 is in use, but not to 192.0.2.3: encrypted with in199's key, sent there
	stray := len(sas)
	pySAs = append(pySAs, a.py(0x10000+nv4-1, "192.0.2.2", "192.0.2.3"))
	pySAs = append(pySAs, a.py(0x20000, "192.0.2.2", "192.0.2.1"))
	pySAs[stray]["key"] = sas[nv4-1].key
	for j := range 2 {
		pkts = append(pkts, pyPkt{Inner: hex.EncodeToString(ipOf(sent[0])), Seq: 1, SA: stray + j})
	}
	r.extra = b.String()
	path := filepath.Join(r.dir, "enc-many.pcap")
	runPy(t, map[string]any{"op": "encrypt", "sas": pySAs, "pcap": path,
		"src_mac": uplinkPeer, "dst_mac": uplinkMAC, "packets": pkts})
	enc, err := pktgen.ReadPcap(path)
	require.NoError(t, err)
	require.Len(t, enc, len(sas)+2)

	res := r.run(map[string][][]byte{"uplink": enc})
	require.Equal(t, uint64(2), res.drops("esp_no_sa"), "drops %v", nonZero(res.ctr.Drops))
	require.Equal(t, uint64(2), res.ctr.Dropped(), "drops %v", nonZero(res.ctr.Drops))
	require.Len(t, res.out["inner"], len(sas))
	for i, fr := range res.out["inner"] {
		require.Equal(t, forwarded(ipOf(sent[i])), fr[14:], "packet of SA in%d", i)
	}
	require.Len(t, res.sa, len(sas))
	for i, s := range res.sa {
		require.Equal(t, fmt.Sprintf("in%d", i), s.Name)
		require.Equal(t, uint64(1), s.Packets, "SA %s", s.Name)
		require.Zero(t, s.Errors, "SA %s", s.Name)
	}
}
