package main

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ESP points: AES-128-GCM tunnel mode (RFC 4106) through crypto_aesni_gcm
// (or crypto_aesni_mb, -esp-pmd), tunfwd against DPDK's ipsec-secgw example (Debian's dpdk-doc sources,
// built by scripts/bench-deps.sh into build/ipsec-secgw) on the same vdevs,
// crypto PMD and lcores, in its cpu-crypto and lookaside-none modes.
// infinite_rx replays the same sequence numbers, so the inbound SAs run
// without an anti-replay window on both sides.
const (
	espOutSPI = 0x1001
	espInSPI  = 0x2001
	espKey    = "00112233445566778899aabbccddeeff"
	espSalt   = "01020304"
)

// secgwModes are ipsec-secgw's SA types measured, as tool names.
var secgwModes = map[string]string{"secgw-cpu": "cpu-crypto", "secgw-lookaside": "no-offload"}

// espOuterLen is the ESP frame an inner Ethernet frame of size becomes:
// outer Ethernet + IPv4 + ESP header + IV, the inner IPv4 packet padded to
// 4 bytes with the 2-byte trailer, and the 16-byte ICV.
func espOuterLen(size int) int {
	clen := (size - 14 + 2 + 3) &^ 3
	return 14 + 20 + 8 + 8 + clen + 16
}

// espSeal is the ESP tunnel-mode payload (RFC 4303, AES-GCM of RFC 4106)
// of the IPv4 packet ip: SPI, sequence, IV (from seq), the packet with the
// default padding and trailer, sealed with its ICV.
func espSeal(key, salt []byte, spi, seq uint32, ip []byte) []byte {
	blk, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(blk)
	plen := (len(ip)+2+3)&^3 - len(ip) - 2
	plain := append([]byte(nil), ip...)
	for i := 1; i <= plen; i++ { // RFC 4303 2.4 default padding
		plain = append(plain, byte(i))
	}
	plain = append(plain, byte(plen), 4) // next header: IPv4
	hdr := make([]byte, 16)
	binary.BigEndian.PutUint32(hdr[0:], spi)
	binary.BigEndian.PutUint32(hdr[4:], seq)
	binary.BigEndian.PutUint64(hdr[8:], uint64(seq))
	nonce := append(append([]byte(nil), salt...), hdr[8:]...)
	return gcm.Seal(hdr, nonce, plain, hdr[:8])
}

// espFrame encrypts the inner IPv4 packet of frame as the peer 192.0.2.2
// sends it to the gateway (SPI espInSPI, sequence seq).
func espFrame(inner []byte, seq uint32, id uint16) []byte {
	key, _ := hex.DecodeString(espKey)
	salt, _ := hex.DecodeString(espSalt)
	esp := espSeal(key, salt, espInSPI, seq, inner[14:])

	f := make([]byte, 14+20, 14+20+len(esp))
	copy(f[0:6], mustMAC(wanMAC))
	copy(f[6:12], mustMAC(peerMAC))
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	o := f[14:]
	o[0] = 0x45
	binary.BigEndian.PutUint16(o[2:], uint16(20+len(esp)))
	binary.BigEndian.PutUint16(o[4:], id)
	binary.BigEndian.PutUint16(o[6:], 0x4000)
	o[8], o[9] = 64, 50
	copy(o[12:16], []byte{192, 0, 2, 2})
	copy(o[16:20], []byte{192, 0, 2, 1})
	var s uint32
	for i := 0; i < 20; i += 2 {
		s += uint32(binary.BigEndian.Uint16(o[i:]))
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	binary.BigEndian.PutUint16(o[10:], ^uint16(s))
	return append(f, esp...)
}

// tunfwdESPConf is the gateway part of an ESP point: SAs both ways, the
// remote LAN 10.2.0.0/16 into SA out1, 10.3.0.0/16 to the inner host.
func tunfwdESPConf(pmd, mode string) string {
	return fmt.Sprintf(`
[[nexthop]]
ip = %q
mac = %q
port = "lan"

[[crypto]]
name = "c0"
vdev = "crypto_%s0"
mode = %q

[[sa]]
name = "out1"
spi = %d
dir = "out"
local = %q
remote = %q
aead = "aes-128-gcm"
key = %q
salt = %q

[[sa]]
name = "in1"
spi = %d
dir = "in"
local = %q
remote = %q
aead = "aes-128-gcm"
key = %q
salt = %q
replay_window = 0   # infinite_rx replays the same sequence numbers

[[route]]
prefix = "10.2.0.0/16"
sa = "out1"

[[route]]
prefix = "10.3.0.0/16"
via = %q
`, hostAddr, hostMAC, pmd, mode, espOutSPI, localAddr, peerAddr, espKey, espSalt,
		espInSPI, localAddr, peerAddr, espKey, espSalt, hostAddr)
}

// secgwConf is ipsec-secgw's SP/SA/route file for a point: port 0 is the
// input, port 1 the output (net_null). It wants SAs in both directions
// whenever a port is unprotected, so both are always there.
func secgwConf(p Point, typ string) string {
	key := colonHex(espKey + espSalt)
	mac := peerMAC
	if p.Dir == "decap" {
		mac = hostMAC
	}
	return fmt.Sprintf(`# ipsec-secgw, tunfwd bench point %s (generated)
sp ipv4 out esp protect %d pri 1 dst 10.2.0.0/16 sport 0:65535 dport 0:65535
sp ipv4 in esp protect %d pri 1 dst 10.3.0.0/16 sport 0:65535 dport 0:65535
sa out %d aead_algo aes-128-gcm aead_key %s mode ipv4-tunnel src %s dst %s type %s
sa in %d aead_algo aes-128-gcm aead_key %s mode ipv4-tunnel src %s dst %s type %s
rt ipv4 dst %s/32 port 1
rt ipv4 dst 10.3.0.0/16 port 1
neigh port 1 %s
`, p.Name(), espOutSPI, espInSPI, espOutSPI, key, localAddr, peerAddr, typ,
		espInSPI, key, peerAddr, localAddr, typ, peerAddr, mac)
}

func colonHex(h string) string {
	var p []string
	for i := 0; i < len(h); i += 2 {
		p = append(p, h[i:i+2])
	}
	return strings.Join(p, ":")
}

var secgwSentRE = regexp.MustCompile(`Total packets sent:\s+(\d+)`)
var secgwRecvRE = regexp.MustCompile(`Total packets received:\s+(\d+)`)
var secgwDropRE = regexp.MustCompile(`Total packets dropped:\s+(\d+)`)

// runSecgw measures ipsec-secgw (librte_ipsec path, -l) on a point: its
// once-a-second statistics screen (-t 1) gives the packets sent.
func runSecgw(bin, dir, tool string, p Point, env Env, pcap string, tm timing, log io.Writer) Run {
	r := Run{Tool: tool, Mbufs: env.Mbufs}
	cf := filepath.Join(dir, p.Name()+"."+tool+".cfg")
	if err := writeFile(cf, secgwConf(p, secgwModes[tool])); err != nil {
		r.Note = err.Error()
		return r
	}
	prefix := fmt.Sprintf("%s-sg-%d", env.Prefix, os.Getpid())
	// ipsec-secgw wants a tx queue per lcore on every port and net_pcap
	// has one: the measured lcore is its only (main) lcore, its statistics
	// come from the EAL alarm thread
	args := []string{"-l", strconv.Itoa(env.Worker), "-m", "512", "--no-pci", "--no-telemetry", "--file-prefix", prefix}
	if env.Huge {
		args = append(args, "--huge-unlink")
	} else {
		args = append(args, "--no-huge", "--no-shconf")
	}
	unprot := "0x2" // encrypt: clear in on port 0, ESP out on port 1
	if p.Dir == "decap" {
		unprot = "0x1"
	}
	args = append(args, "--vdev", fmt.Sprintf("net_pcap_sgin,rx_pcap=%s,infinite_rx=1", pcap),
		"--vdev", "net_null_sgout,no-rx=1", "--vdev", "crypto_"+env.CryptoPMD+"_sg",
		"--", "-p", "0x3", "-u", unprot, "-l", "-t", "1", "-s", strconv.Itoa(env.Mbufs),
		"--rxoffload", "0", "--txoffload", "0", "-f", cf, "--config", fmt.Sprintf("(0,0,%d),(1,0,%d)", env.Worker, env.Worker))
	cmd := exec.Command(bin, args...)
	if sb, err := exec.LookPath("stdbuf"); err == nil {
		// its screens reach the sampler as printed, not a pipe buffer later
		// (stdbuf execs it: the pid and signals stay its own)
		cmd = exec.Command(sb, append([]string{"-oL", bin}, args...)...)
	}
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.Note = err.Error()
		return r
	}
	tm.period = time.Second
	ss := newSampler(tm)
	ss.skip++ // the first screen has no previous one to rate against
	var tail []string
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		var last uint64
		seen, flowing := false, false
		for sc.Scan() {
			l := sc.Text()
			tail = append(tail, l)
			if len(tail) > 40 {
				tail = tail[1:]
			}
			fmt.Fprintln(log, "  "+tool+":", l)
			if m := secgwRecvRE.FindStringSubmatch(l); m != nil {
				r.RxPkts, _ = strconv.ParseUint(m[1], 10, 64)
			}
			if m := secgwDropRE.FindStringSubmatch(l); m != nil {
				r.Drops, _ = strconv.ParseUint(m[1], 10, 64)
			}
			if m := secgwSentRE.FindStringSubmatch(l); m != nil {
				v, _ := strconv.ParseUint(m[1], 10, 64)
				// its screen starts before traffic flows: the warm-up
				// counts from the first second that forwarded anything
				if seen && (flowing || v > last) {
					flowing = true
					ss.add(float64(v-last) / 1e6)
				}
				last, seen = v, true
				r.TxPkts = v
			}
		}
		cmd.Wait()
		close(done)
	}()
	hwm, huge, err := stopWhen(cmd, ss.ready, tm.warmup+tm.measure+60*time.Second, done)
	r.Seconds = time.Since(start).Seconds()
	os.RemoveAll(filepath.Join("/var/run/dpdk", prefix))
	r.VmHWMkB, r.HugetlbkB = hwm, huge
	if err != nil {
		r.Note = tool + " " + err.Error() + ": " + strings.Join(tail, " | ")
		return r
	}
	// screens printed while it shuts down come after the window
	r.Samples = ss.steady()
	if len(r.Samples) > ss.want {
		r.Samples = r.Samples[:ss.want]
	}
	r.Mpps = mean(r.Samples)
	r.MppsTotal = float64(r.TxPkts) / r.Seconds / 1e6
	r.Valid = r.Drops == 0 && r.Mpps > 0
	if r.Drops != 0 {
		r.Note = fmt.Sprintf("%d drops: invalid", r.Drops)
	} else if r.Mpps == 0 {
		r.Note = "no steady-state rate sample: " + strings.Join(tail, " | ")
	}
	return r
}
