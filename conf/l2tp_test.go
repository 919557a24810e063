package conf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// L2TP tunnels appended to base: an L2TPv2 session and an L2TPv3 pseudowire.
const (
	tunL2 = "\n[[tunnel]]\nname = \"l2\"\ntype = \"l2tpv2\"\nlocal = \"192.0.2.1\"\nremote = \"198.51.100.9\"\nnexthop = \"192.0.2.254\"\n" +
		"tunnel_id = 1\nsession_id = 2\npeer_tunnel_id = 3\npeer_session_id = 4\n"
	tunL3 = "\n[[tunnel]]\nname = \"l3\"\ntype = \"l2tpv3\"\nlocal = \"192.0.2.1\"\nremote = \"198.51.100.9\"\nnexthop = \"192.0.2.254\"\n" +
		"session_id = 10\npeer_session_id = 11\n"
)

// without drops line from a tunnel table and marks its [[tunnel]] header.
func without(tun, line string) string {
	if !strings.Contains(tun, line+"\n") {
		panic("no line " + line)
	}
	return strings.Replace(strings.Replace(tun, line+"\n", "", 1), "[[tunnel]]", "[[tunnel]] #<", 1)
}

func mark(tun, line string) string {
	if !strings.Contains(tun, line+"\n") {
		panic("no line " + line)
	}
	return strings.Replace(tun, line+"\n", line+" #<\n", 1)
}

func TestParseL2TP(t *testing.T) {
	src := base + tunL2 + "length_bit = true\n" + tunL3 + "cookie = \"0x0102030405060708\"\npeer_cookie = \"a1b2c3d4\"\nl2_sublayer = true\nseq = true\n" +
		strings.NewReplacer(`"l3"`, `"l3ip"`, "session_id = 10", "session_id = 12").Replace(tunL3) + "encap = \"ip\"\n" + `
[[route]]
prefix = "10.20.0.0/16"
tunnel = "l2"

[[l2]]
port = "in0"
vlan = 5
tunnel = "l3"

[[l2]]
port = "in0"
vlan = 6
tunnel = "l3ip"
`
	cfg, err := Parse([]byte(src), "l2tp.toml")
	require.NoError(t, err)
	l2, l3, l3ip := cfg.Tunnels[2], cfg.Tunnels[3], cfg.Tunnels[4]
	assert.Equal(t, TunnelL2TPv2, l2.Type)
	assert.EqualValues(t, []uint32{1, 2, 3, 4}, []uint32{l2.TunnelID, l2.SessionID, l2.PeerTunnelID, l2.PeerSessionID})
	assert.Equal(t, 1701, l2.DstPort, "default port (RFC 2661 8.1)")
	assert.Equal(t, ptr(true), l2.PPPAddrCtrl, "address and control sent by default")
	assert.True(t, l2.LengthBit)
	assert.Empty(t, l2.Encap)
	assert.Equal(t, EncapUDP, l3.Encap, "default encap")
	assert.Equal(t, 1701, l3.DstPort)
	assert.Equal(t, Hex{1, 2, 3, 4, 5, 6, 7, 8}, l3.Cookie)
	assert.Equal(t, Hex{0xa1, 0xb2, 0xc3, 0xd4}, l3.PeerCookie)
	assert.True(t, l3.L2Sublayer && l3.Seq)
	assert.Nil(t, l3.PPPAddrCtrl)
	assert.Equal(t, EncapIP, l3ip.Encap)
	assert.Zero(t, l3ip.DstPort, "no port over IP")
	assert.True(t, l3.CarriesEthernet() && l3ip.CarriesEthernet() && !l2.CarriesEthernet())
	require.NoError(t, cfg.Validate())

	// round trip, as for the other types
	var buf bytes.Buffer
	require.NoError(t, toml.NewEncoder(&buf).Encode(cfg))
	again, err := Parse(buf.Bytes(), "encoded.toml")
	require.NoError(t, err, buf.String())
	assert.Equal(t, cfg, again)

	// one L2TP port for both versions and sessions of the same id over IP and UDP
	_, err = Parse([]byte(base+tunL2+strings.Replace(tunL3, "session_id = 10", "session_id = 2", 1)+
		strings.NewReplacer(`"l3"`, `"l3ip"`, "session_id = 10", "session_id = 2").Replace(tunL3)+"encap = \"ip\"\n"), "t.toml")
	require.NoError(t, err)
	// the same session ids towards another peer
	_, err = Parse([]byte(base+tunL2+strings.NewReplacer(`"l2"`, `"l2b"`, "198.51.100.9", "198.51.100.10").Replace(tunL2)), "t.toml")
	require.NoError(t, err)
}

func TestHex(t *testing.T) {
	for in, want := range map[string]Hex{"": {}, "0x00ff": {0, 0xff}, "DEADbeef": {0xde, 0xad, 0xbe, 0xef}, "0X01": {1}} {
		var h Hex
		require.NoError(t, h.UnmarshalText([]byte(in)), in)
		assert.Equal(t, want, h, in)
	}
	for _, in := range []string{"0x1", "xyz", "0x", "01 02"} {
		var h Hex
		if in == "0x" {
			require.NoError(t, h.UnmarshalText([]byte(in)))
			assert.Empty(t, h)
			continue
		}
		assert.Error(t, h.UnmarshalText([]byte(in)), in)
	}
	b, err := Hex{0xca, 0xfe}.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "0xcafe", string(b))
}

func TestValidationL2TP(t *testing.T) {
	v6 := strings.NewReplacer(`local = "192.0.2.1"`, `local = "2001:db8::1"`, `remote = "198.51.100.9"`, `remote = "2001:db8:9::9"`,
		`nexthop = "192.0.2.254"`, `nexthop = "2001:db8::fe"`)
	nh6 := "\n[[nexthop]]\nip = \"2001:db8::fe\"\nmac = \"02:00:00:00:00:fe\"\nport = \"up0\"\n"
	runErrCases(t, []errCase{
		// L2TPv2
		{name: "v2 tunnel_id missing", add: without(tunL2, "tunnel_id = 1"), key: "tunnel[2].tunnel_id", msg: "required"},
		{name: "v2 session_id missing", add: without(tunL2, "session_id = 2"), key: "tunnel[2].session_id", msg: "required"},
		{name: "v2 peer_tunnel_id missing", add: without(tunL2, "peer_tunnel_id = 3"), key: "tunnel[2].peer_tunnel_id", msg: "required"},
		{name: "v2 peer_session_id missing", add: without(tunL2, "peer_session_id = 4"), key: "tunnel[2].peer_session_id", msg: "required"},
		{name: "v2 tunnel_id 0", add: mark(strings.Replace(tunL2, "tunnel_id = 1", "tunnel_id = 0", 1), "tunnel_id = 0"), key: "tunnel[2].tunnel_id", msg: "1..65535 (0 is reserved"},
		{name: "v2 session_id 16 bits", add: mark(strings.Replace(tunL2, "\nsession_id = 2", "\nsession_id = 65536", 1), "session_id = 65536"), key: "tunnel[2].session_id", msg: "1..65535"},
		{name: "v2 peer_session_id 0", add: mark(strings.Replace(tunL2, "peer_session_id = 4", "peer_session_id = 0", 1), "peer_session_id = 0"), key: "tunnel[2].peer_session_id", msg: "1..65535"},
		{name: "v2 peer_tunnel_id negative", add: mark(strings.Replace(tunL2, "peer_tunnel_id = 3", "peer_tunnel_id = -3", 1), "peer_tunnel_id = -3"), key: "tunnel[2].peer_tunnel_id"},
		{name: "v2 id not a number", add: mark(strings.Replace(tunL2, "\nsession_id = 2", "\nsession_id = \"2\"", 1), `session_id = "2"`), key: "tunnel[2].session_id", msg: "want an integer"},
		{name: "v2 ppp_addr_ctrl type", add: tunL2 + "ppp_addr_ctrl = 1 #<\n", key: "tunnel[2].ppp_addr_ctrl", msg: "want a boolean"},
		{name: "v2 length_bit type", add: tunL2 + "length_bit = \"yes\" #<\n", key: "tunnel[2].length_bit", msg: "want a boolean"},
		{name: "v2 dst_port 0", add: tunL2 + "dst_port = 0 #<\n", key: "tunnel[2].dst_port", msg: "1..65535"},
		{name: "v2 dst_port high", add: tunL2 + "dst_port = 70000 #<\n", key: "tunnel[2].dst_port", msg: "1..65535"},
		{name: "v2 with cookie", add: tunL2 + "cookie = \"01020304\" #<\n", key: "tunnel[2].cookie", msg: "cookie is for l2tpv3 tunnels, not l2tpv2"},
		{name: "v2 with encap", add: tunL2 + "encap = \"ip\" #<\n", key: "tunnel[2].encap", msg: "l2tpv3"},
		{name: "v2 with l2_sublayer", add: tunL2 + "l2_sublayer = true #<\n", key: "tunnel[2].l2_sublayer", msg: "l2tpv3"},
		{name: "v2 with seq", add: tunL2 + "seq = true #<\n", key: "tunnel[2].seq", msg: "gre and l2tpv3"},
		{name: "v2 with vni", add: tunL2 + "vni = 5 #<\n", key: "tunnel[2].vni", msg: "vxlan tunnels, not l2tpv2"},
		{name: "v2 with key", add: tunL2 + "key = 5 #<\n", key: "tunnel[2].key", msg: "gre tunnels, not l2tpv2"},
		{name: "v2 with checksum", add: tunL2 + "checksum = true #<\n", key: "tunnel[2].checksum", msg: "gre"},
		{name: "v2 with src_port_range", add: tunL2 + "src_port_range = [1, 2] #<\n", key: "tunnel[2].src_port_range", msg: "vxlan"},
		{name: "v2 udp6 zero csum over ipv4", add: tunL2 + "udp6_zero_csum_tx = true #<\n", key: "tunnel[2].udp6_zero_csum_tx", msg: "over IPv6"},
		{name: "v2 twice", add: tunL2 + mark(strings.Replace(tunL2, `"l2"`, `"l2b"`, 1), "session_id = 2"), key: "tunnel[3].session_id", msg: "tunnel 1 session 2 already defined in tunnel[2] (line 38)"},
		{name: "v2 ipv6 df", add: nh6 + v6.Replace(tunL2) + "df = true #<\n", key: "tunnel[2].df", msg: "IPv4 underlay"},
		{name: "route into v2 ok, l2 with v2", add: tunL2 + "[[l2]]\nport = \"in0\"\ntunnel = \"l2\" #<\n", key: "l2[0].tunnel", msg: "[[route]]"},

		// L2TPv3
		{name: "v3 session_id missing", add: without(tunL3, "session_id = 10"), key: "tunnel[2].session_id", msg: "required for an l2tpv3 tunnel (1..4294967295)"},
		{name: "v3 peer_session_id 0", add: mark(strings.Replace(tunL3, "peer_session_id = 11", "peer_session_id = 0", 1), "peer_session_id = 0"), key: "tunnel[2].peer_session_id", msg: "reserved for control"},
		{name: "v3 session_id too big", add: mark(strings.Replace(tunL3, "\nsession_id = 10", "\nsession_id = 4294967296", 1), "session_id = 4294967296"), key: "tunnel[2].session_id"},
		{name: "v3 with tunnel_id", add: tunL3 + "tunnel_id = 5 #<\n", key: "tunnel[2].tunnel_id", msg: "l2tpv2 tunnels, not l2tpv3"},
		{name: "v3 with ppp_addr_ctrl", add: tunL3 + "ppp_addr_ctrl = false #<\n", key: "tunnel[2].ppp_addr_ctrl", msg: "l2tpv2"},
		{name: "v3 with length_bit", add: tunL3 + "length_bit = true #<\n", key: "tunnel[2].length_bit", msg: "l2tpv2"},
		{name: "v3 encap", add: tunL3 + "encap = \"gre\" #<\n", key: "tunnel[2].encap", msg: `want "udp" or "ip"`},
		{name: "v3 cookie 3 bytes", add: tunL3 + "cookie = \"0x010203\" #<\n", key: "tunnel[2].cookie", msg: "3 bytes: a cookie is 0, 4 or 8 bytes"},
		{name: "v3 peer_cookie 16 bytes", add: tunL3 + "peer_cookie = \"00112233445566778899aabbccddeeff\" #<\n", key: "tunnel[2].peer_cookie", msg: "16 bytes"},
		{name: "v3 cookie not hex", add: tunL3 + "cookie = \"cookie\" #<\n", key: "tunnel[2].cookie", msg: "hex"},
		{name: "v3 cookie odd digits", add: tunL3 + "peer_cookie = \"0x123\" #<\n", key: "tunnel[2].peer_cookie", msg: "hex"},
		{name: "v3 cookie a number", add: tunL3 + "cookie = 1234 #<\n", key: "tunnel[2].cookie"},
		{name: "v3 seq without sublayer", add: tunL3 + "seq = true #<\n", key: "tunnel[2].seq", msg: "l2_sublayer"},
		{name: "v3 dst_port over ip", add: tunL3 + "encap = \"ip\"\ndst_port = 1701 #<\n", key: "tunnel[2].dst_port", msg: "no port"},
		{name: "v3 udp6 zero csum over ip", add: nh6 + v6.Replace(tunL3) + "encap = \"ip\"\nudp6_zero_csum_rx = true #<\n", key: "tunnel[2].udp6_zero_csum_rx", msg: "L2TP over UDP"},
		{name: "v3 dst_port 0", add: tunL3 + "dst_port = 0 #<\n", key: "tunnel[2].dst_port", msg: "1..65535"},
		{name: "v3 twice", add: tunL3 + mark(strings.Replace(tunL3, `"l3"`, `"l3b"`, 1), "session_id = 10"), key: "tunnel[3].session_id", msg: "session 10 already defined in tunnel[2] (line 38)"},
		{name: "v3 twice over ip", add: tunL3 + "encap = \"ip\"\n" + mark(strings.Replace(tunL3, `"l3"`, `"l3b"`, 1), "session_id = 10") + "encap = \"ip\"\n", key: "tunnel[3].session_id", msg: "already defined"},
		{name: "v3 with vni", add: tunL3 + "vni = 1 #<\n", key: "tunnel[2].vni", msg: "vxlan"},
		{name: "route into v3", add: tunL3 + "[[route]]\nprefix = \"10.20.0.0/16\"\ntunnel = \"l3\" #<\n", key: "route[0].tunnel", msg: "l2tpv3, which carries Ethernet frames"},
		{name: "v3 bound twice", add: tunL3 + "[[l2]]\nport = \"in0\"\nvlan = 1\ntunnel = \"l3\"\n[[l2]]\nport = \"in0\"\nvlan = 2\ntunnel = \"l3\" #<\n", key: "l2[1].tunnel", msg: "already bound"},

		// the new keys on GRE and VXLAN tunnels, and shared UDP ports
		{name: "gre with session_id", add: tunG + "session_id = 5 #<\n", key: "tunnel[2].session_id", msg: "l2tpv2 and l2tpv3 tunnels, not gre"},
		{name: "gre with cookie", add: tunG + "cookie = \"01020304\" #<\n", key: "tunnel[2].cookie", msg: "l2tpv3"},
		{name: "vxlan with length_bit", add: tunV + "length_bit = true #<\n", key: "tunnel[2].length_bit", msg: "not vxlan"},
		{name: "vxlan with encap", add: tunV + "encap = \"udp\" #<\n", key: "tunnel[2].encap", msg: "not vxlan"},
		{name: "l2tp on the vxlan port", add: tunL2 + "dst_port = 4789 #<\n", key: "tunnel[2].dst_port", msg: "udp port 4789 already carries vxlan (tunnel[1] (line 30))"},
		{name: "l2tp on the esp port", add: "\n[[crypto]]\nname = \"c0\"\nvdev = \"crypto_aesni_mb0\"\n\n[[sa]]\nname = \"in1\"\nspi = 300\ndir = \"in\"\n" +
			"local = \"192.0.2.1\"\nremote = \"198.51.100.9\"\ncipher = \"aes-128-cbc\"\nkey = \"0x00112233445566778899aabbccddeeff\"\nauth = \"hmac-sha1-96\"\n" +
			"auth_key = \"0x000102030405060708090a0b0c0d0e0f10111213\"\nudp_encap = true\n" + tunL2 + "dst_port = 4500 #<\n",
			key: "tunnel[2].dst_port", msg: "udp port 4500 already carries esp (sa[0]"},
		{name: "vxlan on the l2tp port", add: tunL3 + tunV + "dst_port = 1701 #<\n", key: "tunnel[3].dst_port", msg: "already carries l2tp"},
	})
}

// TestL2TPDefaultsOnlyWhereTheyApply: GRE and VXLAN tunnels get no L2TP
// defaults, L2TPv3 over IP no port.
func TestL2TPDefaultsOnlyWhereTheyApply(t *testing.T) {
	cfg, err := Parse([]byte(base+tunL3+"encap = \"ip\"\n"), "t.toml")
	require.NoError(t, err)
	for _, tn := range cfg.Tunnels[:2] {
		assert.Nil(t, tn.PPPAddrCtrl)
		assert.Empty(t, tn.Encap)
	}
	assert.Equal(t, 4789, cfg.Tunnels[1].DstPort)
	assert.Zero(t, cfg.Tunnels[0].DstPort)
	assert.Zero(t, cfg.Tunnels[2].DstPort)
}
