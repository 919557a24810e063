package conf

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// nh6 and sa6 make base an IPv6 next hop and an outbound SA between IPv6 endpoints.
const (
	nh6  = "\n[[nexthop]]\nip = \"2001:db8::254\"\nmac = \"02:00:00:00:00:fc\"\nport = \"up0\"\n"
	tun6 = "\n[[tunnel]]\nname = \"g6\"\ntype = \"gre\"\nlocal = \"2001:db8::1\"\nremote = \"2001:db8::9\"\nnexthop = \"2001:db8::254\"\n"
)

// TestTunnelSAChecks: a GRE tunnel's sa names an outbound SA of its family;
// an SA carries one inner family, which routes and policies must share.
func TestTunnelSAChecks(t *testing.T) {
	out := sprintf(saOut, "out")
	out6 := strings.NewReplacer(`local = "192.0.2.1"`, `local = "2001:db8::1"`, `remote = "192.0.2.254"`, `remote = "2001:db8::254"`).Replace(out)
	runErrCases(t, []errCase{
		{name: "no such sa", add: out + tunG + "sa = \"nosuch\" #<\n", key: "tunnel[2].sa", msg: `no [[sa]] named "nosuch"`},
		{name: "inbound sa", add: sprintf(saOut, "in") + tunG + "sa = \"o1\" #<\n", key: "tunnel[2].sa", msg: "is inbound"},
		{name: "families", add: out + nh6 + tun6 + "sa = \"o1\" #<\n", key: "tunnel[2].sa", msg: "the families must match"},
		{name: "vxlan", add: out + tunV + "sa = \"o1\" #<\n", key: "tunnel[2].sa", msg: "sa is for gre tunnels"},
		{name: "inner of an IPv4 tunnel", add: out + "inner = \"ipv6\"\n" + tunG + "sa = \"o1\" #<\n", key: "tunnel[2].sa", msg: "carries IPv6 packets"},
		{name: "bad inner", add: out + "inner = \"ipx\" #<\n", key: "sa[0].inner", msg: `want "ipv4" or "ipv6"`},
		{name: "IPv6 route into an IPv4 SA", add: out + "\n[[policy]]\nsa = \"o1\"\nsrc = \"10.1.0.0/16\"\n\n[[route]]\nprefix = \"2001:db8:5::/48\"\nsa = \"o1\" #<\n",
			key: "route[0].sa", msg: "carries IPv4 packets"},
		{name: "mixed policies", add: out + "\n[[policy]]\nsa = \"o1\"\nsrc = \"10.1.0.0/16\"\n\n[[policy]]\nsa = \"o1\"\ndst = \"2001:db8::/32\" #<\n",
			key: "policy[1].dst", msg: "carries IPv4 packets"},
		// the policy's prefix decides the SA's family, the tunnel then disagrees
		{name: "IPv6 sa on an IPv6 tunnel, IPv4 policy", add: out6 + nh6 + tun6 + "sa = \"o1\" #<\n\n[[policy]]\nsa = \"o1\"\nsrc = \"10.0.0.0/8\"\n",
			key: "tunnel[2].sa", msg: "carries IPv4 packets"},
	})
}

// TestSAInnerDefaults: an SA's inner family comes from its policies, else
// its routes or GRE tunnels; a policy's default prefixes follow it.
func TestSAInnerDefaults(t *testing.T) {
	out := sprintf(saOut, "out")
	out6 := strings.NewReplacer(`local = "192.0.2.1"`, `local = "2001:db8::1"`, `remote = "192.0.2.254"`, `remote = "2001:db8::254"`).Replace(out)
	for _, c := range []struct {
		name, add, inner string
		src, dst         string // of policy[0], when there is one
	}{
		{"none", out, InnerIPv4, "", ""},
		{"IPv6 route", out + "\n[[route]]\nprefix = \"2001:db8:5::/48\"\nsa = \"o1\"\n\n[[policy]]\nsa = \"o1\"\nproto = 17\n", InnerIPv6, "::/0", "::/0"},
		{"IPv6 policy", out + "\n[[policy]]\nsa = \"o1\"\ndst = \"2001:db8:5::/48\"\n", InnerIPv6, "::/0", "2001:db8:5::/48"},
		{"IPv6 GRE tunnel", out6 + nh6 + tun6 + "sa = \"o1\"\n\n[[policy]]\nsa = \"o1\"\nproto = 47\n", InnerIPv6, "::/0", "::/0"},
		{"IPv6 endpoints, IPv4 inner", out6 + "inner = \"ipv4\"\n" + nh6, InnerIPv4, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(base+c.add), "t.toml")
			require.NoError(t, err)
			require.Equal(t, c.inner, cfg.SAs[0].Inner)
			if c.src != "" {
				require.Equal(t, netip.MustParsePrefix(c.src), cfg.Policies[0].Src)
				require.Equal(t, netip.MustParsePrefix(c.dst), cfg.Policies[0].Dst)
			}
		})
	}
}
