package dataplane

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// ESP over an IPv6 underlay: outer IPv6 2001:db8:1::1 <-> 2001:db8:1::2,
// inner IPv4. scapy decrypts tunfwd's output and encrypts what it must
// decrypt; tshark decrypts the output too.

const (
	esp6Local  = "2001:db8:1::1"
	esp6Remote = "2001:db8:1::2"
)

func TestESPIPv6Underlay(t *testing.T) {
	for _, a := range []espAlgo{espAlgos[0], espAlgos[6]} { // GCM cpu, CBC+SHA256 openssl lookaside
		t.Run(a.name, func(t *testing.T) {
			r := newRig(t)
			r.ports = []rigPort{
				{"inner", "inner", innerMAC, `addresses = ["10.1.0.1/24"]`},
				{"uplink", "underlay", uplinkMAC, `addresses = ["192.0.2.1/24", "` + esp6Local + `/64"]`},
				{"l2", "inner", l2MAC, ""},
			}
			ex := espExtra(r, a, "")
			ex = strings.ReplaceAll(ex, `local = "192.0.2.1"`, `local = "`+esp6Local+`"`)
			ex = strings.ReplaceAll(ex, `remote = "192.0.2.2"`, `remote = "`+esp6Remote+`"`)
			r.extra = ex + fmt.Sprintf("\n[[nexthop]]\nip = %q\nmac = %q\nport = \"uplink\"\n", esp6Remote, uplinkPeer)

			out := innerFrames("10.1.0.2", "10.3.0.5", espSizes)
			back := innerFrames("10.3.0.5", "10.1.0.2", espSizes)
			var pkts []pyPkt
			for i, f := range back {
				pkts = append(pkts, pyPkt{Inner: hex.EncodeToString(ipOf(f)), Seq: uint32(i + 1)})
			}
			path := filepath.Join(r.dir, "enc6.pcap")
			runPy(t, map[string]any{"op": "encrypt", "sa": a.py(espInSPI, esp6Remote, esp6Local), "pcap": path,
				"src_mac": uplinkPeer, "dst_mac": uplinkMAC, "packets": pkts})
			enc, err := pktgen.ReadPcap(path)
			require.NoError(t, err)
			require.Equal(t, uint16(0x86dd), binary.BigEndian.Uint16(enc[0][12:]))

			res := r.run(map[string][][]byte{"inner": out, "uplink": enc})
			require.Zero(t, res.ctr.Dropped(), "drops %v", nonZero(res.ctr.Drops))

			require.Len(t, res.out["uplink"], len(out))
			var dec pyESP
			require.NoError(t, json.Unmarshal(runPy(t, map[string]any{"op": "decrypt",
				"sa": a.py(espOutSPI, esp6Local, esp6Remote), "pcap": res.pcap["uplink"]}), &dec))
			require.Len(t, dec.Packets, len(out))
			for i, p := range dec.Packets {
				fr := res.out["uplink"][i]
				require.Equal(t, uint16(0x86dd), binary.BigEndian.Uint16(fr[12:]), "outer IPv6")
				require.Equal(t, uint32(espOutSPI), p.SPI)
				require.Equal(t, uint32(i+1), p.Seq)
				require.Equal(t, len(fr)-14, p.OuterLen, "IPv6 payload length")
				require.Equal(t, 0x28, p.TOS, "DSCP copied to the traffic class")
				require.Equal(t, hex.EncodeToString(forwarded(ipOf(out[i]))), p.Inner, "packet %d", i)
			}
			got := tsharkESP(t, res.pcap["uplink"], a.uatESP("IPv6", espOutSPI, esp6Local, esp6Remote))
			require.Len(t, got, len(out))
			for i, p := range got {
				require.True(t, p.icvGood, "tshark: ICV of packet %d", i)
				require.Equal(t, forwarded(ipOf(out[i])), p.inner)
			}

			require.Len(t, res.out["inner"], len(back))
			for i, fr := range res.out["inner"] {
				require.Equal(t, forwarded(ipOf(back[i])), fr[14:], "packet %d", i)
			}
		})
	}
}
