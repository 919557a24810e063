package cli

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/conf"
)

// Tunnels over IPv6 survive show config: no `df` is written for them (the
// key is refused on an IPv6 underlay), and the text parses back the same.
func TestEncodeConfigRoundTripIPv6Underlay(t *testing.T) {
	src := strings.Replace(fixture, `addresses = ["192.0.2.1/24"]`, `addresses = ["192.0.2.1/24", "2001:db8:ff::1/64"]`, 1) + `
[[nexthop]]
ip = "2001:db8:ff::2"
mac = "02:00:00:00:02:06"
port = "wan"

[[tunnel]]
name = "g6"
type = "gre"
local = "2001:db8:ff::1"
remote = "2001:db8:ff::2"
nexthop = "2001:db8:ff::2"
key = 9

[[route]]
prefix = "10.66.0.0/16"
tunnel = "g6"

[[tunnel]]
name = "v6"
type = "vxlan"
local = "2001:db8:ff::1"
remote = "2001:db8:ff::2"
nexthop = "2001:db8:ff::2"
vni = 66
`
	cfg, err := conf.Parse([]byte(src), "v6.toml")
	require.NoError(t, err)
	requireRoundTrip(t, cfg)
}

// requireRoundTrip: cfg written as show config writes it parses back to an
// equal Config; returns the text.
func requireRoundTrip(t *testing.T, cfg *conf.Config) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, EncodeConfig(&b, cfg))
	text := b.String()
	back, err := conf.Parse(b.Bytes(), "encoded.toml")
	require.NoError(t, err, text)
	require.True(t, reflect.DeepEqual(cfg, back), "does not round-trip:\n%s", text)
	return text
}
