package dataplane

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tshark as a second decoder of tunfwd's ESP: Wireshark's ESP dissector
// (libgcrypt) decrypts with an esp_sa UAT given on the command line.

// uatESP is a's SA as one esp_sa UAT record of Wireshark 4.0: protocol,
// source, destination, SPI, encryption, key, authentication, key. The
// algorithm names are Wireshark's value strings; an RFC 4106 key is the
// AES key followed by the salt.
func (a espAlgo) uatESP(family string, spi uint32, src, dst string) string {
	enc, key, auth, akey := "NULL", "", "NULL", ""
	switch {
	case a.aead != "":
		enc, key = "AES-GCM with 16 octet ICV [RFC4106]", "0x"+a.key+a.salt
	case a.cipher != "null":
		enc, key = "AES-CBC [RFC3602]", "0x"+a.key
	}
	switch a.auth {
	case "hmac-sha1-96":
		auth, akey = "HMAC-SHA-1-96 [RFC2404]", "0x"+a.authKey
	case "hmac-sha256-128":
		auth, akey = "HMAC-SHA-256-128 [RFC4868]", "0x"+a.authKey
	}
	return fmt.Sprintf(`uat:esp_sa:"%s","%s","%s","0x%08x","%s","%s","%s","%s"`,
		family, src, dst, spi, enc, key, auth, akey)
}

// tsharkESPPkt is one ESP frame as Wireshark decrypted it.
type tsharkESPPkt struct {
	spi, seq uint32
	icvGood  bool   // the ICV checked good (absent for NULL auth)
	icv      bool   // an ICV verdict was given
	next     int    // next header of the trailer
	padLen   int    // pad length of the trailer
	pad      []byte // the padding bytes
	inner    []byte // the decrypted inner packet, without trailer
}

// tsharkESP decrypts the ESP of pcap with the given UAT records.
func tsharkESP(t *testing.T, pcap string, uat ...string) []tsharkESPPkt {
	t.Helper()
	needTshark(t)
	args := []string{"-n", "-r", pcap, "-Y", "esp", "-T", "fields", "-E", "separator=\t",
		"-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE",
		"-o", "esp.do_esp_sequence_analysis:FALSE"}
	for _, u := range uat {
		args = append(args, "-o", u)
	}
	for _, f := range []string{"esp.spi", "esp.sequence", "esp.icv_good", "esp.protocol",
		"esp.pad_len", "esp.pad", "esp.contained_data"} {
		args = append(args, "-e", f)
	}
	var out []tsharkESPPkt
	for _, line := range strings.Split(strings.TrimRight(string(runTshark(t, args...)), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		require.Len(t, f, 7, "tshark row %q", line)
		num := func(s string) uint64 {
			v, err := strconv.ParseUint(s, 0, 32)
			require.NoError(t, err, "tshark field %q in %q", s, line)
			return v
		}
		p := tsharkESPPkt{spi: uint32(num(f[0])), seq: uint32(num(f[1])), icv: f[2] != "", icvGood: f[2] == "1"}
		if f[3] == "" {
			t.Fatalf("tshark did not decrypt %q", line)
		}
		p.next, p.padLen = int(num(f[3])), int(num(f[4]))
		var err error
		p.pad, err = hex.DecodeString(f[5])
		require.NoError(t, err)
		p.inner, err = hex.DecodeString(f[6])
		require.NoError(t, err)
		out = append(out, p)
	}
	return out
}

// checkTsharkESP: every outbound frame in pcap decrypts with tshark to the
// inner packet sent (routed: TTL one less), in order, with sequence numbers
// from 1, RFC 4303 2.4 default padding (1, 2, 3, ...) and a good ICV.
func checkTsharkESP(t *testing.T, a espAlgo, pcap string, sent [][]byte) {
	t.Helper()
	got := tsharkESP(t, pcap, a.uatESP("IPv4", espOutSPI, "192.0.2.1", "192.0.2.2"))
	require.Len(t, got, len(sent))
	for i, p := range got {
		require.Equal(t, uint32(espOutSPI), p.spi)
		require.Equal(t, uint32(i+1), p.seq)
		require.Equal(t, 4, p.next, "next header: IPv4 (IP-in-IP)")
		require.Len(t, p.pad, p.padLen)
		for j, b := range p.pad {
			require.Equal(t, byte(j+1), b, "padding byte %d (RFC 4303 2.4)", j)
		}
		switch {
		case a.auth == "null":
			require.False(t, p.icv, "NULL integrity has no ICV")
		case a.esn:
			// Wireshark 4.0 has no ESN: its ICV (HMAC input or GCM AAD)
			// leaves the high bits out, so it decrypts but cannot verify.
			require.True(t, p.icv)
			require.False(t, p.icvGood)
		default:
			require.True(t, p.icvGood, "ICV of packet %d", i)
		}
		require.Equal(t, hex.EncodeToString(forwarded(ipOf(sent[i]))), hex.EncodeToString(p.inner), "packet %d", i)
	}
}
