package dataplane

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestESPTooBig: a route into an SA carries at most the SA's inner MTU
// (1500 less outer IPv4, ESP header, IV, trailer padded to 4 and ICV: 1446
// for AES-GCM). One byte more with DF is answered with Fragmentation Needed
// naming 1446; without DF it is fragmented and each fragment encrypted:
// scapy decrypts them and gopacket puts them back together.
func TestESPTooBig(t *testing.T) {
	a := espAlgos[0]
	r := newRig(t)
	r.extra = espExtra(r, a, "")
	fit := withDF(innerFrames("10.1.0.2", "10.3.0.5", []int{1446 - 28})[0])
	big := withDF(innerFrames("10.1.0.2", "10.3.0.5", []int{1447 - 28})[0])
	noDF := innerFrames("10.1.0.2", "10.3.0.5", []int{3000 - 28})[0]
	res := r.run(map[string][][]byte{"inner": {fit, big, noDF}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.Equal(t, map[string]uint64{"mtu_exceeded": 1}, res.ctr.ICMPErrors)
	require.EqualValues(t, 1, res.ctr.Fragmented)
	require.EqualValues(t, 3, res.ctr.Fragments) // 1424 + 1424 + 124 bytes of payload

	rows := tshark(t, res.pcap["inner"], "ip.src", "ip.dst", "icmp.type", "icmp.code", "icmp.mtu", "icmp.checksum.status")
	require.Equal(t, [][]string{{"10.1.0.1,10.1.0.2", "10.1.0.2,10.3.0.5", "3", "4", "1446", "1"}}, rows)

	var dec pyESP
	require.NoError(t, json.Unmarshal(runPy(t, map[string]any{"op": "decrypt",
		"sa": a.py(espOutSPI, "192.0.2.1", "192.0.2.2"), "pcap": res.pcap["uplink"]}), &dec))
	require.Len(t, dec.Packets, 4)
	require.Equal(t, hex.EncodeToString(forwarded(ipOf(fit))), dec.Packets[0].Inner)
	var frags [][]byte
	for _, p := range dec.Packets[1:] {
		b, err := hex.DecodeString(p.Inner)
		require.NoError(t, err)
		frags = append(frags, b)
	}
	requireSamePacket(t, forwarded(ipOf(noDF)), reassemble(t, frags))
	require.Len(t, res.out["uplink"][1], 14+1500, "the first fragment fills the SA exactly")
}
