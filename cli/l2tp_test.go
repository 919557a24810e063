package cli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/conf"
)

// L2TP tunnels survive show config: their keys are written, the other
// types' zero values pruned, and the text parses back to the same config.
func TestEncodeConfigRoundTripL2TP(t *testing.T) {
	src := fixture + `
[[tunnel]]
name = "l2a"
type = "l2tpv2"
local = "192.0.2.1"
remote = "192.0.2.2"
tunnel_id = 1
session_id = 2
peer_tunnel_id = 3
peer_session_id = 4
ppp_addr_ctrl = false
length_bit = true

[[route]]
prefix = "10.77.0.0/16"
tunnel = "l2a"

[[tunnel]]
name = "pw"
type = "l2tpv3"
encap = "ip"
local = "192.0.2.1"
remote = "192.0.2.2"
session_id = 70000
peer_session_id = 80000
cookie = "0x0102030405060708"
l2_sublayer = true
seq = true

[[l2]]
port = "l2"
vlan = 77
tunnel = "pw"
`
	cfg, err := conf.Parse([]byte(src), "l2tp.toml")
	require.NoError(t, err)
	text := requireRoundTrip(t, cfg)
	require.Contains(t, text, `cookie = "0x0102030405060708"`)
	for _, k := range []string{"peer_cookie =", "tunnel_id = 0", "vni = 0", "src_port_range = [0, 0]", `encap = ""`} {
		require.NotContains(t, text, k, "zero value written")
	}
	require.Equal(t, 1, strings.Count(text, "dst_port = 1701"), "the L2TPv2 tunnel's port, not the pseudowire's over IP")
}
