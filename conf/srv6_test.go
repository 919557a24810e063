package conf

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// srv6Base adds to base what SRv6 needs: IPv6 next hops on both sides, an
// srv6 tunnel and one SID of each kind of key.
const srv6Base = `
[[nexthop]]
ip = "2001:db8::fe"
mac = "02:00:00:00:00:fc"
port = "up0"

[[nexthop]]
ip = "2001:db8:1::fe"
mac = "02:00:00:00:00:fb"
port = "in0"

[[tunnel]]
name = "s0"
type = "srv6"
local = "2001:db8::1"
segments = ["fc00:2::1", "fc00:3::d6"]
nexthop = "2001:db8::fe"

[[sid]]
sid = "fc00:1::100"
behavior = "end.dx4"
nexthop = "10.1.0.254"

[[sid]]
sid = "fc00:1:0:1::/64"
behavior = "end.x"
nexthop = "2001:db8::fe"
`

func TestSRv6Parse(t *testing.T) {
	src := base + srv6Base + `
[[tunnel]]
name = "s2"
type = "srv6"
local = "2001:db8::1"
segments = ["fc00:2::2"]
mode = "encaps.l2"
nexthop = "2001:db8::fe"

[[route]]
prefix = "10.30.0.0/16"
tunnel = "s0"

[[l2]]
port = "in0"
vlan = 7
tunnel = "s2"

[[sid]]
sid = "fc00:1::200"
behavior = "end.dx2"
port = "in0"
vlan = 9
`
	cfg, err := Parse([]byte(src), "s.toml")
	require.NoError(t, err)
	_, s0 := cfg.Tunnel("s0")
	assert.Equal(t, SRv6Encaps, s0.Mode, "default mode")
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("fc00:2::1"), netip.MustParseAddr("fc00:3::d6")}, s0.Segments)
	assert.False(t, s0.Remote.IsValid())
	assert.False(t, s0.CarriesEthernet())
	_, s2 := cfg.Tunnel("s2")
	assert.True(t, s2.CarriesEthernet())
	require.Len(t, cfg.SIDs, 3)
	assert.Equal(t, netip.MustParsePrefix("fc00:1::100/128"), cfg.SIDs[0].SID.Prefix)
	assert.Equal(t, "fc00:1::100", cfg.SIDs[0].SID.String())
	assert.Equal(t, "fc00:1:0:1::/64", cfg.SIDs[1].SID.String())
	assert.Equal(t, SIDEndDX2, cfg.SIDs[2].Behavior)
	assert.Equal(t, 9, cfg.SIDs[2].VLAN)
	assert.Equal(t, DefaultICMPRate, cfg.Dataplane.ICMPErrorRate)
	assert.Equal(t, DefaultICMPBurst, cfg.Dataplane.ICMPErrorBurst)
}

func TestSRv6Validation(t *testing.T) {
	b := base + srv6Base
	sid := func(body string) string { return b + "\n[[sid]]\n" + body + "\n" }
	tun := func(body string) string {
		return b + "\n[[tunnel]]\nname = \"s1\"\ntype = \"srv6\"\n" + body + "\n"
	}
	tunAt := func(body string) string { // the error is at the table header: the key is missing
		return b + "\n[[tunnel]] #<\nname = \"s1\"\ntype = \"srv6\"\n" + body + "\n"
	}
	sidAt := func(body string) string { return b + "\n[[sid]] #<\n" + body + "\n" }
	okTun := "local = \"2001:db8::1\"\nnexthop = \"2001:db8::fe\"\n"
	runErrCases(t, []errCase{
		{name: "segments missing", src: tunAt(okTun + "mode = \"encaps\""), key: "tunnel[3].segments", msg: "segments are required"},
		{name: "segment ipv4", src: tun(okTun + "segments = [\"fc00::1\", \"192.0.2.9\"] #<"), key: "tunnel[3].segments", msg: "segments[1] = 192.0.2.9: a segment is an IPv6 address"},
		{name: "segment multicast", src: tun(okTun + "segments = [\"ff02::1\"] #<"), key: "tunnel[3].segments", msg: "not a unicast address"},
		{name: "too many segments", src: tun(okTun + "segments = [" + strings.Repeat("\"fc00::1\", ", 11) + "\"fc00::2\"] #<"), key: "tunnel[3].segments", msg: "12 segments, at most 11"},
		{name: "bad mode", src: tun(okTun + "segments = [\"fc00::1\"]\nmode = \"insert\" #<"), key: "tunnel[3].mode", msg: `"insert": want "encaps"`},
		{name: "remote set", src: tun(okTun + "segments = [\"fc00::1\"]\nremote = \"2001:db8::9\" #<"), key: "tunnel[3].remote", msg: "no remote"},
		{name: "local ipv4", src: tun("local = \"192.0.2.1\" #<\nnexthop = \"2001:db8::fe\"\nsegments = [\"fc00::1\"]"), key: "tunnel[3].local", msg: "needs an IPv6 local address"},
		{name: "nexthop missing", src: tunAt("local = \"2001:db8::1\"\nsegments = [\"fc00::1\"]"), key: "tunnel[3].nexthop", msg: "nexthop is required for an srv6 tunnel"},
		{name: "nexthop inner", src: tun("local = \"2001:db8::1\"\nsegments = [\"fc00::1\"]\nnexthop = \"2001:db8:1::fe\" #<"), key: "tunnel[3].nexthop", msg: "not an underlay port"},
		{name: "gre key on srv6", src: tun(okTun + "segments = [\"fc00::1\"]\nkey = 5 #<"), key: "tunnel[3].key", msg: "key is not an srv6 tunnel key"},
		{name: "segments on gre", add: strings.Replace(tunG, "nexthop = \"192.0.2.254\"\n", "nexthop = \"192.0.2.254\"\nsegments = [\"fc00::1\"] #<\n", 1), key: "tunnel[2].segments", msg: "segments are for srv6 tunnels"},
		{name: "route into l2 srv6", src: tun(okTun+"segments = [\"fc00::1\"]\nmode = \"encaps.l2\"") + "\n[[route]]\nprefix = \"10.9.0.0/16\"\ntunnel = \"s1\" #<\n", key: "route[0].tunnel", msg: "is srv6 mode encaps.l2, which carries Ethernet frames"},
		{name: "l2 onto l3 srv6", src: b + "\n[[l2]]\nport = \"in0\"\ntunnel = \"s0\" #<\n", key: "l2[0].tunnel", msg: "is srv6 mode encaps, which carries IP packets"},

		{name: "sid missing", src: sidAt("behavior = \"end\""), key: "sid[2].sid", msg: "sid is required"},
		{name: "sid ipv4", src: sid("sid = \"192.0.2.77\" #<\nbehavior = \"end\""), key: "sid[2].sid", msg: "a SID is IPv6"},
		{name: "sid not an address", src: sid("sid = \"fc00::zz\" #<\nbehavior = \"end\""), key: "sid[2].sid", msg: "bad SID"},
		{name: "sid host bits", src: sid("sid = \"fc00:9::1/64\" #<\nbehavior = \"end\""), key: "sid[2].sid", msg: "write fc00:9::/64"},
		{name: "sid duplicate", src: sid("sid = \"fc00:1::100\" #<\nbehavior = \"end\""), key: "sid[2].sid", msg: "SID fc00:1::100 already defined in sid[0]"},
		{name: "sid covers port address", src: sid("sid = \"2001:db8::/64\" #<\nbehavior = \"end\""), key: "sid[2].sid", msg: "covers 2001:db8::1, an address of port \"up0\""},
		{name: "behavior missing", src: sidAt("sid = \"fc00:9::1\""), key: "sid[2].behavior", msg: "behavior is required"},
		{name: "behavior unknown", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.b6\" #<"), key: "sid[2].behavior", msg: `"end.b6": want one of end, end.x`},
		{name: "end.x needs nexthop", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.x\" #<"), key: "sid[2].behavior", msg: "end.x needs a nexthop: the IPv6 neighbour (a [[nexthop]] behind an underlay port)"},
		{name: "end.dx4 wrong family", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.dx4\"\nnexthop = \"2001:db8:1::fe\" #<"), key: "sid[2].nexthop", msg: "end.dx4 forwards IPv4, it needs an IPv4 next hop"},
		{name: "end.dx6 underlay nexthop", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.dx6\"\nnexthop = \"2001:db8::fe\" #<"), key: "sid[2].nexthop", msg: "not an inner port"},
		{name: "end.x inner nexthop", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.x\"\nnexthop = \"2001:db8:1::fe\" #<"), key: "sid[2].nexthop", msg: "not an underlay port"},
		{name: "end.dx6 unknown nexthop", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.dx6\"\nnexthop = \"2001:db8:1::77\" #<"), key: "sid[2].nexthop", msg: "no [[nexthop]] with ip 2001:db8:1::77"},
		{name: "end with nexthop", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end\"\nnexthop = \"2001:db8::fe\" #<"), key: "sid[2].nexthop", msg: "nexthop is for end.x, end.dx4 and end.dx6, not end"},
		{name: "end.dx2 needs port", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.dx2\" #<"), key: "sid[2].behavior", msg: "end.dx2 needs a port"},
		{name: "end.dx2 underlay port", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.dx2\"\nport = \"up0\" #<"), key: "sid[2].port", msg: "port \"up0\" is not an inner port"},
		{name: "end.dx2 vlan range", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.dx2\"\nport = \"in0\"\nvlan = 4095 #<"), key: "sid[2].vlan", msg: "4095 out of range 0..4094"},
		{name: "port on end.dt6", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end.dt6\"\nport = \"in0\" #<"), key: "sid[2].port", msg: "port is for end.dx2, not end.dt6"},
		{name: "unknown sid key", src: sid("sid = \"fc00:9::1\"\nbehavior = \"end\"\nfunction = 3 #<"), key: "sid[2].function", msg: "unknown key"},
		{name: "icmp rate negative", src: "[dataplane]\nicmp_error_burst = -1 #<\n" + b, key: "dataplane.icmp_error_burst", msg: "must not be negative"},
	})
}
