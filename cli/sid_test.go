package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/conf"
)

// show sid lists each SID with its behaviour, where packets go and the
// dataplane's counters for it (by position in the table).
func TestShowSID(t *testing.T) {
	src := fixture + `
[[sid]]
sid = "fc00:1::4"
behavior = "end.dx4"
nexthop = "10.1.0.2"

[[sid]]
sid = "fc00:1:ff::/48"
behavior = "end.dt6"

[[sid]]
sid = "fc00:1::2"
behavior = "end.dx2"
port = "l2"
vlan = 7
`
	cfg, err := conf.Parse([]byte(src), "sid.toml")
	require.NoError(t, err)
	f := newFake(t)
	f.cfg = cfg
	s := New(f)
	out := mustRun(t, s, "show sid")
	require.Regexp(t, `fc00:1::4\s+end.dx4\s+nexthop 10.1.0.2\s+0\s+0`, out)
	require.Regexp(t, `fc00:1:ff::/48\s+end.dt6\s+route lookup`, out)
	require.Regexp(t, `fc00:1::2\s+end.dx2\s+port l2 vlan 7`, out)
	var views []sidView
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, s, "show sid --json")), &views))
	require.Len(t, views, 3)
	require.Equal(t, "end.dx2", views[2].Behavior)
}

// The running config with srv6 tunnels and SIDs goes through TOML and back
// unchanged (every CLI change takes that path).
func TestEncodeSRv6(t *testing.T) {
	src := fixture + `
[[nexthop]]
ip = "2001:db8::fe"
mac = "02:00:00:00:02:fe"
port = "wan"

[[tunnel]]
name = "sr"
type = "srv6"
local = "2001:db8::1"
segments = ["fc00:2::1", "fc00:3::1"]
mode = "encaps.red"
nexthop = "2001:db8::fe"

[[route]]
prefix = "10.9.0.0/16"
tunnel = "sr"

[[sid]]
sid = "fc00:1::4"
behavior = "end.dx4"
nexthop = "10.1.0.2"

[[sid]]
sid = "fc00:1:ff::/48"
behavior = "end"
`
	src = strings.Replace(src, `addresses = ["192.0.2.1/24"]`, `addresses = ["192.0.2.1/24", "2001:db8::1/64"]`, 1)
	cfg, err := conf.Parse([]byte(src), "sr.toml")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, EncodeConfig(&b, cfg))
	back, err := conf.Parse(b.Bytes(), "encoded.toml")
	require.NoError(t, err, "%s", b.String())
	require.Equal(t, cfg, back)
	require.NotContains(t, b.String(), "remote = \"\"")
}

// show tunnel shows an srv6 tunnel by its segments and mode (it has no
// remote and no DF bit), show route a route into an SA by the SA.
func TestShowSRv6TunnelAndSARoute(t *testing.T) {
	src := fixture + `
[[nexthop]]
ip = "2001:db8::fe"
mac = "02:00:00:00:02:fe"
port = "wan"

[[tunnel]]
name = "sr"
type = "srv6"
local = "2001:db8::1"
segments = ["fc00:2::1", "fc00:3::1"]
mode = "encaps.red"
nexthop = "2001:db8::fe"

[[route]]
prefix = "10.9.0.0/16"
tunnel = "sr"

[[crypto]]
name = "c0"
vdev = "crypto_aesni_gcm0"

[[sa]]
name = "out1"
spi = 0x1001
dir = "out"
local = "192.0.2.1"
remote = "192.0.2.2"
aead = "aes-128-gcm"
key = "0x00112233445566778899aabbccddeeff"
salt = "0x01020304"

[[route]]
prefix = "10.4.0.0/16"
sa = "out1"
`
	src = strings.Replace(src, `addresses = ["192.0.2.1/24"]`, `addresses = ["192.0.2.1/24", "2001:db8::1/64"]`, 1)
	cfg, err := conf.Parse([]byte(src), "sr.toml")
	require.NoError(t, err)
	f := newFake(t)
	f.cfg = cfg
	s := New(f)
	out := mustRun(t, s, "show tunnel")
	require.Regexp(t, `sr\s+srv6\s+2001:db8::1\s+fc00:2::1\s+2001:db8::fe\s+encaps.red, 2 segments\s+64\s+copy\s+10.9.0.0/16`, out)
	require.NotContains(t, out, "invalid IP")
	out = mustRun(t, s, "show tunnel sr")
	require.Regexp(t, `segments\s+fc00:2::1, fc00:3::1`, out)
	require.NotContains(t, out, "df")
	out = mustRun(t, s, "show route")
	require.Regexp(t, `10.4.0.0/16\s+protect with SA out1 \(esp\)`, out)
	require.NotContains(t, out, "invalid IP")
}
