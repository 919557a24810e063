package dataplane

// IPv4 fragmentation of routed packets without DF (csrc/frag.c): into a
// tunnel (inner fragmentation, RFC 4459 3.2) and to a next hop; options
// copied by their flag (RFC 791 3.1); a packet that was already a fragment.
// Fragments are decoded by tshark and put back together by gopacket's
// ip4defrag, which must give the packet as sent (less one TTL).

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/ip4defrag"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// reassemble decodes IPv4 fragments (IP packets) and defragments them with
// gopacket; it returns the whole packet's bytes.
func reassemble(t *testing.T, frags [][]byte) []byte {
	t.Helper()
	d := ip4defrag.NewIPv4Defragmenter()
	for i, f := range frags {
		p := gopacket.NewPacket(f, layers.LayerTypeIPv4, gopacket.Default)
		ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		require.True(t, ok, "fragment %d: no IPv4", i)
		out, err := d.DefragIPv4(ip)
		require.NoError(t, err)
		if out != nil {
			require.Equal(t, len(frags)-1, i, "whole before the last fragment")
			b := gopacket.NewSerializeBuffer()
			require.NoError(t, gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
				out, gopacket.Payload(out.Payload)))
			return append([]byte(nil), b.Bytes()...)
		}
	}
	t.Fatalf("%d fragments did not make a packet", len(frags))
	return nil
}

// requireSamePacket compares packets without printing kilobytes of them.
func requireSamePacket(t *testing.T, want, got []byte) {
	t.Helper()
	if !bytes.Equal(want, got) {
		n := 0
		for n < len(want) && n < len(got) && want[n] == got[n] {
			n++
		}
		t.Fatalf("reassembled packet differs at byte %d: %d bytes, want %d", n, len(got), len(want))
	}
}

// ttlLess is IP packet p with its TTL one lower and the checksum fixed.
func ttlLess(p []byte) []byte {
	q := append([]byte(nil), p...)
	q[8]--
	hl := int(q[0]&0xf) * 4
	binary.BigEndian.PutUint16(q[10:], ipv4Checksum(q[:hl]))
	return q
}

// TestFragmentIntoTunnel: 3000 bytes of IP without DF into gre1 (1468 fit)
// leave as three GRE packets whose inner fragments make the packet again.
func TestFragmentIntoTunnel(t *testing.T) {
	r := icmpRig(t)
	in := pktgen.FrameOfSize(innerFlow(), 14+3000, 1) // 2980 bytes of payload: 1448 + 1448 + 84
	res := r.run(map[string][][]byte{"inner": {in}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.EqualValues(t, 1, res.ctr.Fragmented)
	require.EqualValues(t, 3, res.ctr.Fragments)
	require.EqualValues(t, 3, res.tunnel("gre1").EncapPkts)
	// tshark shows the offset in 8-byte units
	rows := tshark(t, res.pcap["uplink"], "gre.key", "ip.len", "ip.flags.mf", "ip.frag_offset", "ip.checksum.status")
	require.Equal(t, [][]string{
		{"0x00000028", "1500,1468", "0,1", "0,0", "1,1"},
		{"0x00000028", "1500,1468", "0,1", "0,181", "1,1"},
		{"0x00000028", "136,104", "0,0", "0,362", "1,1"},
	}, rows)
	var frags [][]byte
	for _, f := range res.out["uplink"] {
		frags = append(frags, f[14+20+12:]) // outer Ethernet, IPv4 and GRE with key and sequence
	}
	requireSamePacket(t, ttlLess(ipPacket(in)), reassemble(t, frags))
}

// TestFragmentToNexthop: out of gre1 towards the inner port (MTU 1400), a
// 1409-byte packet without DF becomes two; one that already was a first
// fragment keeps MF on all of its pieces and its offsets continue.
func TestFragmentToNexthop(t *testing.T) {
	r := icmpRig(t)
	whole := ipPacket(pktgen.FrameOfSize(returnFlow(), 14+1409, 1)) // 13 bytes left for the last: gopacket refuses fewer than 8
	first := ipPacket(pktgen.FrameOfSize(returnFlow(), 14+1409, 2))
	first[6] |= 0x20 // MF: the first fragment of something bigger, offset 0
	binary.BigEndian.PutUint16(first[10:], ipv4Checksum(first[:20]))
	res := r.run(map[string][][]byte{"uplink": {gre1Outer().frame(whole), gre1Outer().frame(first)}})
	require.Empty(t, nonZero(res.ctr.Drops))
	require.EqualValues(t, 2, res.ctr.Fragmented)
	require.EqualValues(t, 4, res.ctr.Fragments)
	rows := tshark(t, res.pcap["inner"], "eth.dst", "ip.len", "ip.flags.mf", "ip.frag_offset", "ip.id")
	require.Equal(t, [][]string{
		{innerPeer, "1396", "1", "0", "0x0001"}, // 1376 of payload: (1400 - 20) rounded down to 8
		{innerPeer, "33", "0", "172", "0x0001"}, // tshark shows the offset in 8-byte units
		{innerPeer, "1396", "1", "0", "0x0002"},
		{innerPeer, "33", "1", "172", "0x0002"},
	}, rows)
	out := res.out["inner"]
	requireSamePacket(t, ttlLess(whole), reassemble(t, [][]byte{out[0][14:], out[1][14:]}))
}

// TestFragmentOptions: the first fragment carries every option, the others
// only those with the copied flag (RFC 791 3.1): Router Alert (148) is
// copied, Record Route (7) is not.
func TestFragmentOptions(t *testing.T) {
	r := icmpRig(t)
	p := ipPacket(pktgen.FrameOfSize(returnFlow(), 14+1401, 1))
	opts := []byte{7, 7, 4, 0, 0, 0, 0, 1, 148, 4, 0, 0} // RR (room for 1), NOP, Router Alert: 12 bytes
	q := append(append(append([]byte(nil), p[:20]...), opts...), p[20:]...)
	q[0] = 0x45 + byte(len(opts)/4)
	binary.BigEndian.PutUint16(q[2:], uint16(len(q)))
	binary.BigEndian.PutUint16(q[10:], ipv4Checksum(q[:32]))
	res := r.run(map[string][][]byte{"uplink": {gre1Outer().frame(q)}})
	require.Empty(t, nonZero(res.ctr.Drops))
	rows := tshark(t, res.pcap["inner"], "ip.hdr_len", "ip.opt.type", "ip.len", "ip.frag_offset", "ip.checksum.status")
	require.Equal(t, [][]string{
		{"32", "7,1,148", "1400", "0", "1"},
		{"24", "148", "37", "171", "1"},
	}, rows)
	// (gopacket's defragmenter does not take fragments with options: put
	// the payload together by hand, after the headers tshark decoded)
	out := res.out["inner"]
	f0, f1 := out[0][14:], out[1][14:]
	requireSamePacket(t, q[32:], append(append([]byte(nil), f0[32:]...), f1[24:]...))
	require.Equal(t, q[20:32], f0[20:32], "every option in the first fragment")
	require.Equal(t, opts[8:], f1[20:24], "Router Alert alone in the second")
}
