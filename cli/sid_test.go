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
