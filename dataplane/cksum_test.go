package dataplane

import (
	"encoding/binary"
	"math/rand"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"
)

// rfc1071OK is the check of RFC 1071 as written: the one's complement sum
// of the header's 16-bit words, carries folded back in, is 0xffff.
func rfc1071OK(h []byte) bool {
	var s uint32
	for i := 0; i < 20; i += 2 {
		s += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return s == 0xffff
}

// TestCksum20 checks the burst paths' IPv4 header check (tf_cksum20_ok,
// which sums the header in 32-bit words and tests divisibility by 0xffff
// with a multiply) against RFC 1071: headers that
// gopacket checksummed, each with one bit flipped, the checksum's two
// encodings of zero (0x0000 and 0xffff, RFC 1624), all-zero and all-one
// headers, and random bytes.
func TestCksum20(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	check := func(h []byte, what string) {
		t.Helper()
		require.Equal(t, rfc1071OK(h), cksum20OK(h), "%s: % x", what, h)
	}
	good := 0
	for n := 0; n < 2000; n++ {
		ip := &layers.IPv4{
			Version: 4, IHL: 5, TOS: uint8(rng.Intn(256)), Id: uint16(rng.Intn(65536)),
			Flags: layers.IPv4Flag(rng.Intn(8)), FragOffset: uint16(rng.Intn(8192)),
			TTL: uint8(rng.Intn(256)), Protocol: layers.IPProtocol(rng.Intn(256)),
			SrcIP: net.IPv4(byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(256))),
			DstIP: net.IPv4(byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(256))),
		}
		buf := gopacket.NewSerializeBuffer()
		payload := gopacket.Payload(make([]byte, rng.Intn(1400)))
		require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, payload))
		h := append([]byte(nil), buf.Bytes()[:20]...)
		dec := gopacket.NewPacket(buf.Bytes(), layers.LayerTypeIPv4, gopacket.Default).Layer(layers.LayerTypeIPv4)
		require.NotNil(t, dec)
		require.True(t, cksum20OK(h), "gopacket's checksum refused: % x", h)
		good++
		check(h, "gopacket")
		// the other encoding of the same sum: 0x0000 <-> 0xffff in the checksum field
		if c := binary.BigEndian.Uint16(h[10:]); c == 0 || c == 0xffff {
			alt := append([]byte(nil), h...)
			binary.BigEndian.PutUint16(alt[10:], ^c)
			check(alt, "checksum's other zero")
		}
		for k := 0; k < 4; k++ {
			bad := append([]byte(nil), h...)
			bad[rng.Intn(20)] ^= 1 << rng.Intn(8)
			require.False(t, cksum20OK(bad), "one bit flipped, still taken: % x", bad)
		}
	}
	require.Equal(t, 2000, good)
	edge := [][]byte{make([]byte, 20), {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
	ones := make([]byte, 20)
	for i := range ones {
		ones[i] = 0xff
	}
	edge = append(edge, ones)
	// a header whose words sum to exactly 0xffff before any fold, and to 2*0xffff
	w := make([]byte, 20)
	binary.BigEndian.PutUint16(w[0:], 0x4500)
	binary.BigEndian.PutUint16(w[10:], 0xffff-0x4500)
	edge = append(edge, w)
	w2 := append([]byte(nil), w...)
	binary.BigEndian.PutUint16(w2[12:], 0xffff)
	edge = append(edge, w2)
	for _, h := range edge {
		check(h, "edge")
	}
	for n := 0; n < 200000; n++ {
		h := make([]byte, 20)
		rng.Read(h)
		if n%2 == 0 { // make half of them right
			binary.BigEndian.PutUint16(h[10:], ipv4Checksum(h[:20]))
		}
		check(h, "random")
	}
}
