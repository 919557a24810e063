package dataplane

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// ESP at the edges of the sequence space: replay window wrap, ESN
// rollover in both directions, sequence overflow without ESN, and the
// byte lifetime. Each packet is its own burst (burst = 1), so the window
// moves between packets as on a real link.

// oneBurst is baseConf with one packet per rx burst.
var oneBurst = strings.Replace(baseConf, "mbufs = 4095", "mbufs = 4095\nburst = 1", 1)

// seqCase is one inbound packet and whether it must come out.
type seqCase struct {
	high, seq uint32
	ok        bool
	wrongHigh bool // encrypted with high bits other than the receiver reconstructs
}

// runSeqCases sends cases through in1 (a's keys, window 64) and checks that
// exactly the ok ones come out, in order, each identified by its length.
func runSeqCases(t *testing.T, a espAlgo, cases []seqCase, keys ...string) *result {
	r := newRig(t)
	r.conf = oneBurst
	r.extra = espExtra(r, a, "replay_window = 64\n"+strings.Join(keys, ""))
	var pkts []pyPkt
	var want [][]byte
	for i, c := range cases {
		f := innerFrames("10.3.0.5", "10.1.0.2", []int{20 + i})[0]
		p := pyPkt{Inner: hex.EncodeToString(ipOf(f)), Seq: c.seq, High: c.high}
		if c.wrongHigh {
			p.High ^= 1
		}
		pkts = append(pkts, p)
		if c.ok {
			want = append(want, forwarded(ipOf(f)))
		}
	}
	res := r.run(map[string][][]byte{"uplink": scapyEncrypt(t, r.dir, a, espInSPI, pkts)})
	require.Len(t, res.out["inner"], len(want))
	for i, fr := range res.out["inner"] {
		require.Equal(t, want[i], fr[14:], "accepted packet %d", i)
	}
	require.Equal(t, uint64(len(want)), g2sa(res)["in1"].Packets)
	return res
}

// TestESPReplayWindowWrap: window 64 is a ring of two 64-bit buckets in
// librte_ipsec (RFC 6479); numbers that reuse a bucket after the ring
// wrapped are fresh, the ones left of the window are outside it. The
// library's window spans top-64 .. top (one more than RFC 4303 3.4.3's
// top-63), and tunfwd labels by the same edge.
func TestESPReplayWindowWrap(t *testing.T) {
	cases := []seqCase{
		{seq: 1, ok: true},
		{seq: 64, ok: true},
		{seq: 65, ok: true},  // top 65: into the second bucket
		{seq: 1},             // top-64: inside, already seen: replayed
		{seq: 129, ok: true}, // the ring wraps: bucket of 1..63 cleared
		{seq: 65},            // top-64, seen: replayed
		{seq: 64},            // top-65: outside
		{seq: 66, ok: true},  // top-63, fresh
		{seq: 129},           // top itself: replayed
		{seq: 449, ok: true}, // five windows ahead: both buckets cleared
		{seq: 385, ok: true}, // top-64, fresh after the clear
		{seq: 384},           // top-65: outside
		{seq: 449},           // replayed
		{seq: 400, ok: true},
		{seq: 400}, // replayed
	}
	res := runSeqCases(t, espAlgos[0], cases)
	require.Equal(t, map[string]uint64{"esp_replayed": 5, "esp_outside_window": 2}, nonZero(res.ctr.Drops))
}

// TestESPESNRollover: an ESN SA (RFC 4303 2.2.1, appendix A) receives
// across the 2^32 boundary: the high bits are reconstructed from the
// window, proven by packets encrypted with other high bits failing
// authentication, including one left of the window that A2.2 reads as the
// next subspace.
func TestESPESNRollover(t *testing.T) {
	a := espAlgos[8]
	require.True(t, a.esn)
	cases := []seqCase{
		{high: 0, seq: 0xfffffffe, ok: true},
		{high: 0, seq: 0xffffffff, ok: true},
		{high: 1, seq: 0, ok: true}, // low bits 0 are a valid number with ESN
		{high: 1, seq: 1, ok: true},
		{high: 0, seq: 0xfffffffd, ok: true}, // behind the rollover, inside the window, fresh
		{high: 0, seq: 0xffffffff},           // replayed across the rollover
		{high: 1, seq: 5, wrongHigh: true},   // sender used high 0: ICV fails
		{high: 1, seq: 6, ok: true},
		{high: 0, seq: 0xffffffc0}, // left of the window: read as high 1 (A2.2), ICV fails
	}
	res := runSeqCases(t, a, cases)
	require.Equal(t, map[string]uint64{"esp_replayed": 1, "esp_auth_failed": 2}, nonZero(res.ctr.Drops))
}

// outSeqRun sends n inner packets through out1 with extra keys and
// returns the run and scapy's decryption of what came out.
func outSeqRun(t *testing.T, a espAlgo, keys string, n int, highs []uint32) (*result, pyESP, [][]byte) {
	r := newRig(t)
	r.extra = strings.Replace(espExtra(r, a, ""), "dir = \"out\"\n", "dir = \"out\"\n"+keys, 1)
	sizes := make([]int, n)
	for i := range sizes {
		sizes[i] = 30 + i
	}
	out := innerFrames("10.1.0.2", "10.3.0.5", sizes)
	res := r.run(map[string][][]byte{"inner": out})
	var dec pyESP
	req := map[string]any{"op": "decrypt", "sa": a.py(espOutSPI, "192.0.2.1", "192.0.2.2"), "pcap": res.pcap["uplink"]}
	if highs != nil {
		req["esn_highs"] = highs[:len(res.out["uplink"])]
	}
	require.NoError(t, json.Unmarshal(runPy(t, req), &dec))
	return res, dec, out
}

// TestESPOutboundSeqOverflow: without ESN an SA must not cycle its 32-bit
// counter (RFC 4303 3.3.3). Started at 2^32-3 (seq_start), it sends
// 2^32-3 and 2^32-2 and then refuses: librte_ipsec keeps 2^32-1 unused
// (its counter is the next number, capped at 2^32-1).
func TestESPOutboundSeqOverflow(t *testing.T) {
	a := espAlgos[0]
	res, dec, out := outSeqRun(t, a, "seq_start = 0xfffffffd\n", 5, nil)
	require.Len(t, dec.Packets, 2)
	for i, p := range dec.Packets {
		require.Equal(t, uint32(0xfffffffd+i), p.Seq)
		require.Equal(t, hex.EncodeToString(forwarded(ipOf(out[i]))), p.Inner)
	}
	require.Equal(t, map[string]uint64{"esp_seq_overflow": 3}, nonZero(res.ctr.Drops))
	require.Equal(t, uint64(3), g2sa(res)["out1"].Errors)
}

// TestESPOutboundESNRollover: with ESN the same start rolls over: the
// wire carries the low 32 bits, and the ICV covers the high bits, which
// scapy must be given to verify (RFC 4303 2.2.1).
func TestESPOutboundESNRollover(t *testing.T) {
	a := espAlgos[8]
	res, dec, out := outSeqRun(t, a, "seq_start = 0xfffffffe\n", 4, []uint32{0, 0, 1, 1})
	require.Zero(t, res.ctr.Dropped())
	require.Len(t, dec.Packets, 4)
	for i, p := range dec.Packets {
		require.Equal(t, uint32(0xfffffffe+i), p.Seq, "low 32 bits")
		require.Equal(t, hex.EncodeToString(forwarded(ipOf(out[i]))), p.Inner)
	}
}

// TestESPByteLifetime: an SA stops at its byte lifetime: the packet that
// would cross it is refused and every later one, all in one burst.
func TestESPByteLifetime(t *testing.T) {
	a := espAlgos[0]
	sizes := []int{30, 31, 32, 33, 34}
	frames := innerFrames("10.1.0.2", "10.3.0.5", sizes)
	limit := len(ipOf(frames[0])) + len(ipOf(frames[1])) + len(ipOf(frames[2]))
	res, dec, out := outSeqRun(t, a, "lifetime_bytes = "+strconv.Itoa(limit)+"\n", len(sizes), nil)
	require.Len(t, dec.Packets, 3)
	for i, p := range dec.Packets {
		require.Equal(t, hex.EncodeToString(forwarded(ipOf(out[i]))), p.Inner)
	}
	require.Equal(t, map[string]uint64{"esp_sa_expired": 2}, nonZero(res.ctr.Drops))
	sa := g2sa(res)["out1"]
	require.True(t, sa.Expired)
	require.Equal(t, uint64(limit), sa.Bytes)
}

// TestESPReplayUpperBits: replays of numbers whose low 6 bits are 32..63.
// librte_ipsec 22.11 never marks those seen (its bit mask is a uint32_t)
// and lets their replays through; tunfwd's own window drops them.
func TestESPReplayUpperBits(t *testing.T) {
	cases := []seqCase{
		{seq: 40, ok: true}, {seq: 41, ok: true}, {seq: 40},
		{seq: 63, ok: true}, {seq: 63},
		{seq: 1001, ok: true}, {seq: 1001}, // bit 41 after a jump
		{seq: 980, ok: true}, {seq: 980}, // bit 20 of the word before
		{seq: 1000, ok: true}, {seq: 1000},
	}
	res := runSeqCases(t, espAlgos[5], cases) // CBC+HMAC, lookaside: the same library window
	require.Equal(t, map[string]uint64{"esp_replayed": 5}, nonZero(res.ctr.Drops))
}
