package dataplane

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// ESP tests: tunfwd's output is decrypted by scapy's SecurityAssociation,
// and scapy (or, for deliberately malformed packets, the cryptography
// package) encrypts what tunfwd must decrypt.

type espAlgo struct {
	name, vdev, mode   string
	aead, cipher, auth string
	key, salt, authKey string
	esn, udp           bool
}

var espAlgos = []espAlgo{
	{name: "gcm128-aesni_gcm-cpu", vdev: "crypto_aesni_gcm", aead: "aes-128-gcm",
		key: "00112233445566778899aabbccddeeff", salt: "01020304"},
	{name: "gcm256-aesni_mb-cpu", vdev: "crypto_aesni_mb", aead: "aes-256-gcm",
		key: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", salt: "cafebabe"},
	{name: "gcm128-aesni_gcm-lookaside", vdev: "crypto_aesni_gcm", mode: "lookaside", aead: "aes-128-gcm",
		key: "0f0e0d0c0b0a09080706050403020100", salt: "deadbeef"},
	{name: "gcm128-openssl-lookaside", vdev: "crypto_openssl", aead: "aes-128-gcm",
		key: "00112233445566778899aabbccddeeff", salt: "01020304"},
	{name: "cbc128-sha1-aesni_mb-cpu", vdev: "crypto_aesni_mb", cipher: "aes-128-cbc", auth: "hmac-sha1-96",
		key: "00112233445566778899aabbccddeeff", authKey: "0102030405060708090a0b0c0d0e0f1011121314"},
	{name: "cbc256-sha256-aesni_mb-lookaside", vdev: "crypto_aesni_mb", mode: "lookaside", cipher: "aes-256-cbc", auth: "hmac-sha256-128",
		key:     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		authKey: "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"},
	{name: "cbc128-sha256-openssl-lookaside", vdev: "crypto_openssl", cipher: "aes-128-cbc", auth: "hmac-sha256-128",
		key:     "00112233445566778899aabbccddeeff",
		authKey: "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"},
	{name: "null-crypto_null", vdev: "crypto_null", cipher: "null", auth: "null"},
	{name: "gcm128-esn-aesni_mb-cpu", vdev: "crypto_aesni_mb", aead: "aes-128-gcm", esn: true,
		key: "00112233445566778899aabbccddeeff", salt: "01020304"},
	{name: "gcm128-udp-aesni_gcm-cpu", vdev: "crypto_aesni_gcm", aead: "aes-128-gcm", udp: true,
		key: "00112233445566778899aabbccddeeff", salt: "01020304"},
}

const (
	espOutSPI = 0x1001
	espInSPI  = 0x2001
)

// modeTOML is the [[crypto]] mode line of a, if it names one.
func (a espAlgo) modeTOML() string {
	if a.mode == "" {
		return ""
	}
	return fmt.Sprintf("mode = %q\n", a.mode)
}

func (a espAlgo) algoTOML() string {
	var b strings.Builder
	if a.aead != "" {
		fmt.Fprintf(&b, "aead = %q\nkey = %q\nsalt = %q\n", a.aead, a.key, a.salt)
	} else {
		fmt.Fprintf(&b, "cipher = %q\nauth = %q\n", a.cipher, a.auth)
		if a.key != "" {
			fmt.Fprintf(&b, "key = %q\n", a.key)
		}
		if a.authKey != "" {
			fmt.Fprintf(&b, "auth_key = %q\n", a.authKey)
		}
	}
	fmt.Fprintf(&b, "esn = %v\nudp_encap = %v\n", a.esn, a.udp)
	return b.String()
}

// espExtra: out1 protects 10.3.0.0/16 (from the inner LAN only), in1
// brings 10.3.0.0/16 -> 10.1.0.0/24 back.
func espExtra(r *rig, a espAlgo, saKeys string) string {
	mode := a.modeTOML()
	return fmt.Sprintf(`
[[crypto]]
name = "c0"
vdev = "%s_t%d"
%s
[[sa]]
name = "out1"
spi = %d
dir = "out"
local = "192.0.2.1"
remote = "192.0.2.2"
%s
[[sa]]
name = "in1"
spi = %d
dir = "in"
local = "192.0.2.1"
remote = "192.0.2.2"
%s%s
[[route]]
prefix = "10.3.0.0/16"
sa = "out1"

[[policy]]
sa = "out1"
src = "10.1.0.0/24"

[[policy]]
sa = "in1"
src = "10.3.0.0/16"
dst = "10.1.0.0/24"
`, a.vdev, r.id, mode, espOutSPI, a.algoTOML(), espInSPI, a.algoTOML(), saKeys)
}

func (a espAlgo) py(spi uint32, src, dst string) map[string]any {
	m := map[string]any{"spi": spi, "src": src, "dst": dst, "esn": a.esn, "udp": a.udp,
		"key": a.key, "salt": a.salt, "auth_key": a.authKey}
	if a.aead != "" {
		m["aead"] = a.aead
	} else {
		m["cipher"], m["auth"] = a.cipher, a.auth
	}
	return m
}

type pyESP struct {
	Packets []struct {
		SPI         uint32 `json:"spi"`
		Seq         uint32 `json:"seq"`
		UDP         bool   `json:"udp"`
		OuterLen    int    `json:"outer_len"`
		TOS         int    `json:"tos"`
		DF          bool   `json:"df"`
		OuterCsumOK bool   `json:"outer_csum_ok"`
		Inner       string `json:"inner"`
		CsumOK      bool   `json:"csum_ok"`
	} `json:"packets"`
}

func runPy(t *testing.T, req map[string]any) []byte {
	t.Helper()
	in, err := json.Marshal(req)
	require.NoError(t, err)
	cmd := exec.Command("/usr/bin/python3", "testdata/esp/esp.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "esp.py: %s", stderr.String())
	return out
}

type pyPkt struct {
	Inner  string `json:"inner"`
	Seq    uint32 `json:"seq"`
	High   uint32 `json:"seq_high,omitempty"` // ESN: the high 32 bits
	Tamper string `json:"tamper,omitempty"`
	Pad    string `json:"pad,omitempty"`
	Next   int    `json:"next,omitempty"`
	SA     int    `json:"sa,omitempty"` // with "sas": the index of the packet's SA
}

// scapyEncrypt returns the frames scapy makes of pkts with SA a (to the rig's uplink).
func scapyEncrypt(t *testing.T, dir string, a espAlgo, spi uint32, pkts []pyPkt) [][]byte {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("enc-%d.pcap", spi))
	runPy(t, map[string]any{"op": "encrypt", "sa": a.py(spi, "192.0.2.2", "192.0.2.1"), "pcap": path,
		"src_mac": uplinkPeer, "dst_mac": uplinkMAC, "packets": pkts})
	frames, err := pktgen.ReadPcap(path)
	require.NoError(t, err)
	return frames
}

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// innerFrames: UDP from src to dst of assorted sizes, as the inner peer sends them.
func innerFrames(src, dst string, sizes []int) [][]byte {
	f := pktgen.Flow{SrcMAC: mustMAC(innerPeer), DstMAC: mustMAC(innerMAC),
		Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: pktgen.ProtoUDP,
		SrcPort: 1234, DstPort: 5678, TOS: 0x28}
	var out [][]byte
	for i, n := range sizes {
		out = append(out, pktgen.Frame(f, n, i))
	}
	return out
}

// ipOf returns the IPv4 packet of an Ethernet frame without padding.
func ipOf(frame []byte) []byte {
	ip := frame[14:]
	return ip[:binary.BigEndian.Uint16(ip[2:])]
}

// forwarded is ip as a router sends it on: TTL one less, checksum updated.
func forwarded(ip []byte) []byte {
	b := append([]byte(nil), ip...)
	b[8]--
	b[10], b[11] = 0, 0
	var s uint32
	for i := 0; i < 20; i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(s))
	return b
}

var espSizes = []int{0, 1, 15, 16, 100, 1000}

// TestESPAlgorithms: per algorithm and crypto mode, outbound output decrypts
// with scapy to the inner packets sent, and scapy's packets decrypt to theirs.
func TestESPAlgorithms(t *testing.T) {
	for _, a := range espAlgos {
		t.Run(a.name, func(t *testing.T) {
			r := newRig(t)
			r.extra = espExtra(r, a, "")
			out := innerFrames("10.1.0.2", "10.3.0.5", espSizes)
			back := innerFrames("10.3.0.5", "10.1.0.2", espSizes)
			var pkts []pyPkt
			for i, f := range back {
				pkts = append(pkts, pyPkt{Inner: hex.EncodeToString(ipOf(f)), Seq: uint32(i + 1)})
			}
			enc := scapyEncrypt(t, r.dir, a, espInSPI, pkts)
			res := r.run(map[string][][]byte{"inner": out, "uplink": enc})
			require.Zero(t, res.ctr.Dropped(), "drops %v", nonZero(res.ctr.Drops))

			// outbound: scapy decrypts every packet to what was sent, routed
			require.Len(t, res.out["uplink"], len(out))
			var dec pyESP
			require.NoError(t, json.Unmarshal(runPy(t, map[string]any{"op": "decrypt",
				"sa": a.py(espOutSPI, "192.0.2.1", "192.0.2.2"), "pcap": res.pcap["uplink"]}), &dec))
			require.Len(t, dec.Packets, len(out))
			for i, p := range dec.Packets {
				require.Equal(t, uint32(espOutSPI), p.SPI)
				require.Equal(t, uint32(i+1), p.Seq, "sequence numbers from 1 (RFC 4303 3.3.3)")
				require.Equal(t, a.udp, p.UDP)
				require.True(t, p.OuterCsumOK, "outer IPv4 checksum")
				require.True(t, p.DF)
				require.Equal(t, 0x28, p.TOS, "DSCP copied to the outer header")
				require.True(t, p.CsumOK, "inner checksum")
				require.Equal(t, hex.EncodeToString(forwarded(ipOf(out[i]))), p.Inner, "packet %d", i)
				fr := res.out["uplink"][i]
				require.Equal(t, mustMAC(uplinkPeer), net.HardwareAddr(fr[0:6]))
				require.Equal(t, mustMAC(uplinkMAC), net.HardwareAddr(fr[6:12]))
			}
			// and tshark, a second decoder, agrees
			checkTsharkESP(t, a, res.pcap["uplink"], out)
			// inbound: the inner packets scapy encrypted, to the inner next hop
			require.Len(t, res.out["inner"], len(back))
			for i, fr := range res.out["inner"] {
				require.Equal(t, mustMAC(innerPeer), net.HardwareAddr(fr[0:6]))
				require.Equal(t, forwarded(ipOf(back[i])), fr[14:], "packet %d", i)
			}
			sa := g2sa(res)
			require.Equal(t, uint64(len(out)), sa["out1"].Packets)
			require.Equal(t, uint64(len(back)), sa["in1"].Packets)
		})
	}
}

// g2sa: SA counters by name, as the run left them.
func g2sa(res *result) map[string]SACounters {
	m := map[string]SACounters{}
	for _, s := range res.sa {
		m[s.Name] = s
	}
	return m
}

// espCut shortens the ESP of frame to n bytes, fixing the outer IPv4 length and checksum.
func espCut(frame []byte, n int) []byte {
	b := append([]byte(nil), frame[:14+20+n]...)
	binary.BigEndian.PutUint16(b[16:], uint16(20+n))
	b[24], b[25] = 0, 0
	var s uint32
	for i := 14; i < 34; i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	binary.BigEndian.PutUint16(b[24:], ^uint16(s))
	return b
}

// TestESPInboundRejects: replayed, too old, tampered, wrong SPI, truncated,
// bad padding, wrong next header and off-policy packets are each dropped
// under their reason; the good ones come out. One packet per burst, so that
// the window moves between packets as it would on a real link.
func TestESPInboundRejects(t *testing.T) {
	for _, a := range []espAlgo{espAlgos[0], espAlgos[5]} {
		t.Run(a.name, func(t *testing.T) {
			r := newRig(t)
			r.conf = strings.Replace(baseConf, "mbufs = 4095", "mbufs = 4095\nburst = 1", 1)
			r.extra = espExtra(r, a, "")
			good := innerFrames("10.3.0.5", "10.1.0.2", []int{64})[0]
			stray := innerFrames("10.9.9.9", "10.1.0.2", []int{64})[0]
			in := hex.EncodeToString(ipOf(good))
			pkts := []pyPkt{
				{Inner: in, Seq: 1}, {Inner: in, Seq: 2},
				{Inner: in, Seq: 2},   // replayed
				{Inner: in, Seq: 200}, // moves the window: 136..200
				{Inner: in, Seq: 100}, // left of it
				{Inner: in, Seq: 201, Tamper: "ciphertext"},
				{Inner: in, Seq: 202, Tamper: "icv"},
				{Inner: hex.EncodeToString(ipOf(stray)), Seq: 203}, // decrypts, outside in1's selectors
				{Inner: in, Seq: 204},                              // cut below
			}
			if a.aead != "" {
				pkts = append(pkts, pyPkt{Inner: in, Seq: 205, Pad: "bad"}, pyPkt{Inner: in, Seq: 206, Next: 41})
			}
			frames := scapyEncrypt(t, r.dir, a, espInSPI, pkts)
			frames[8] = espCut(frames[8], 12)
			frames = append(frames, espCut(frames[0], 4))
			frames = append(frames, scapyEncrypt(t, r.dir, a, 0x9999, []pyPkt{{Inner: in, Seq: 1}})...)
			res := r.run(map[string][][]byte{"uplink": frames})

			require.Len(t, res.out["inner"], 3)
			for _, fr := range res.out["inner"] {
				require.Equal(t, forwarded(ipOf(good)), fr[14:])
			}
			want := map[string]uint64{"esp_replayed": 1, "esp_outside_window": 1, "esp_auth_failed": 2,
				"policy_mismatch": 1, "esp_bad_length": 1, "truncated": 1, "esp_no_sa": 1}
			if a.aead != "" {
				want["esp_bad_padding"] = 2
			}
			require.Equal(t, want, nonZero(res.ctr.Drops))
			sa := g2sa(res)
			require.Equal(t, uint64(3), sa["in1"].Packets)
		})
	}
}

// TestESPOutboundLimits: a packet outside out1's selectors is dropped; the
// SA stops after its packet lifetime and says so.
func TestESPOutboundLimits(t *testing.T) {
	a := espAlgos[0]
	r := newRig(t)
	r.extra = strings.Replace(espExtra(r, a, ""), "dir = \"out\"\n", "dir = \"out\"\nlifetime_packets = 4\n", 1)
	out := innerFrames("10.1.0.2", "10.3.0.5", []int{10, 20, 30, 40, 50, 60})
	out = append(out, innerFrames("10.1.7.7", "10.3.0.5", []int{10})...)
	res := r.run(map[string][][]byte{"inner": out})
	require.Len(t, res.out["uplink"], 4)
	require.Equal(t, map[string]uint64{"esp_sa_expired": 2, "policy_mismatch": 1}, nonZero(res.ctr.Drops))
	sa := g2sa(res)
	require.True(t, sa["out1"].Expired)
	require.Equal(t, uint64(4), sa["out1"].Packets)
	require.Equal(t, uint64(2), sa["out1"].Errors)
}

// TestESPSunriseCapture: 08-sunrise-sunset-aes.pcap is ESP to SPI
// 0xd1234567 whose integrity key is not published: with the README's
// AES-256-CBC key and any HMAC-SHA1-96 key every packet fails authentication
// and nothing reaches the inner side.
func TestESPSunriseCapture(t *testing.T) {
	frames, err := pktgen.ReadPcap("/work/shared/captures/08-sunrise-sunset-aes.pcap")
	if err != nil {
		t.Skipf("capture not available: %v", err)
	}
	r := newRig(t)
	r.ports = []rigPort{
		{"inner", "inner", innerMAC, `addresses = ["10.1.0.1/24"]`},
		{"uplink", "underlay", "10:00:00:64:64:45", `addresses = ["192.1.2.45/24"]`},
	}
	r.conf = fmt.Sprintf(`
[dataplane]
workers = [1]
mbufs = 4095
idle_us = 20

{{ports}}

[[crypto]]
name = "c0"
vdev = "crypto_aesni_mb_t%d"

[[sa]]
name = "sunrise"
spi = 0xd1234567
dir = "in"
local = "192.1.2.45"
remote = "192.1.2.23"
cipher = "aes-256-cbc"
key = "0xaaaabbbbccccdddd4043434545464649494a4a4c4c4f4f515152525454575758"
auth = "hmac-sha1-96"
auth_key = "0x000102030405060708090a0b0c0d0e0f10111213"
`, r.id)
	res := r.run(map[string][][]byte{"uplink": frames})
	require.Len(t, frames, 8)
	require.Empty(t, res.out["inner"])
	require.Equal(t, map[string]uint64{"esp_auth_failed": 8}, nonZero(res.ctr.Drops))
	require.Equal(t, uint64(8), g2sa(res)["sunrise"].Errors)
}
