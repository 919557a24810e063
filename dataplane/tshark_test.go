package dataplane

import (
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func needTshark(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (scripts/deps.sh installs it)")
	}
}

func runTshark(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("tshark", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// tshark decodes a pcap with Wireshark's dissectors (an implementation that
// is not ours), checksum validation on, and returns one row of the asked
// fields per frame; repeated fields (outer and inner IP) come comma-joined.
func tshark(t *testing.T, pcap string, fields ...string) [][]string {
	t.Helper()
	return tsharkOpts(t, pcap, nil, fields...)
}

// tsharkOpts is tshark with further options (-o preferences, -d decode-as).
func tsharkOpts(t *testing.T, pcap string, opts []string, fields ...string) [][]string {
	t.Helper()
	needTshark(t)
	args := []string{"-n", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
		"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"}
	args = append(args, opts...)
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(runTshark(t, args...)), "\n"), "\n") {
		if line == "" {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}

// tsharkFrame is one frame as tshark shows it with -x: its bytes and, for
// one protocol layer, the offset of every occurrence (outer first).
type tsharkFrame struct {
	raw  []byte
	offs []int
}

// layer returns the bytes from occurrence n of the layer to the end of the frame.
func (f tsharkFrame) layer(t *testing.T, n int) []byte {
	t.Helper()
	require.Greater(t, len(f.offs), n, "tshark found %d layers", len(f.offs))
	return f.raw[f.offs[n]:]
}

// tsharkLayers decodes pcap with `tshark -T json -x` and returns, per frame
// matching filter ("" for all), the frame bytes and the offsets of layer.
func tsharkLayers(t *testing.T, pcap, filter, layer string) []tsharkFrame {
	t.Helper()
	return tsharkLayersOpts(t, pcap, nil, filter, layer)
}

// tsharkLayersOpts is tsharkLayers with further tshark options.
func tsharkLayersOpts(t *testing.T, pcap string, opts []string, filter, layer string) []tsharkFrame {
	t.Helper()
	needTshark(t)
	args := append([]string{"-n", "-r", pcap, "-T", "json", "-x", "--no-duplicate-keys", "-J", layer}, opts...)
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	var pkts []struct {
		Source struct {
			Layers map[string]json.RawMessage `json:"layers"`
		} `json:"_source"`
	}
	require.NoError(t, json.Unmarshal(runTshark(t, args...), &pkts))
	var out []tsharkFrame
	for _, p := range pkts {
		var fr tsharkFrame
		var raw []any
		require.NoError(t, json.Unmarshal(p.Source.Layers["frame_raw"], &raw))
		b, err := hex.DecodeString(raw[0].(string))
		require.NoError(t, err)
		fr.raw = b
		if lr, ok := p.Source.Layers[layer+"_raw"]; ok {
			var one []any
			require.NoError(t, json.Unmarshal(lr, &one))
			if _, nested := one[0].([]any); !nested {
				one = []any{one}
			}
			for _, o := range one {
				fr.offs = append(fr.offs, int(o.([]any)[1].(float64)))
			}
		}
		out = append(out, fr)
	}
	return out
}
