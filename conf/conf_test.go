package conf

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// base is a small valid config; validation cases append to it or edit it.
const base = `[[port]]
name = "in0"
vdev = "net_null0"
side = "inner"
addresses = ["10.1.0.1/16"]

[[port]]
name = "up0"
vdev = "net_null1"
side = "underlay"
addresses = ["192.0.2.1/24", "2001:db8::1/64"]

[[nexthop]]
ip = "192.0.2.254"
mac = "02:00:00:00:00:fe"
port = "up0"

[[nexthop]]
ip = "10.1.0.254"
mac = "02:00:00:00:00:fd"
port = "in0"

[[tunnel]]
name = "g0"
type = "gre"
local = "192.0.2.1"
remote = "198.51.100.1"
nexthop = "192.0.2.254"

[[tunnel]]
name = "v0"
type = "vxlan"
local = "192.0.2.1"
remote = "198.51.100.2"
nexthop = "192.0.2.254"
vni = 10
`

func TestParseDefaults(t *testing.T) {
	src := base + `
[[route]]
prefix = "10.20.0.0/16"
tunnel = "g0"

[[l2]]
port = "in0"
tunnel = "v0"
`
	cfg, err := Parse([]byte(src), "base.toml")
	require.NoError(t, err)
	yes := ptr(true)
	want := &Config{
		EAL: EAL{MainLcore: 0, MemoryMB: 512, FilePrefix: "tunfwd", LogLevel: "notice"},
		Dataplane: Dataplane{
			Workers: []int{1}, Mbufs: 16383, MbufCache: 256,
			RxDesc: 1024, TxDesc: 1024, Burst: 32, IdleUs: 0, ICMPErrorRate: 100, ICMPErrorBurst: 10,
		},
		Ports: []Port{
			{Name: "in0", Vdev: "net_null0", Side: SideInner, MTU: 1500, Promiscuous: yes,
				Addresses: []netip.Prefix{netip.MustParsePrefix("10.1.0.1/16")}},
			{Name: "up0", Vdev: "net_null1", Side: SideUnderlay, MTU: 1500, Promiscuous: yes,
				Addresses: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("2001:db8::1/64")}},
		},
		Nexthops: []Nexthop{
			{IP: netip.MustParseAddr("192.0.2.254"), MAC: MAC{2, 0, 0, 0, 0, 0xfe}, Port: "up0"},
			{IP: netip.MustParseAddr("10.1.0.254"), MAC: MAC{2, 0, 0, 0, 0, 0xfd}, Port: "in0"},
		},
		Tunnels: []Tunnel{
			{Name: "g0", Type: TunnelGRE, Local: netip.MustParseAddr("192.0.2.1"),
				Remote: netip.MustParseAddr("198.51.100.1"), Nexthop: netip.MustParseAddr("192.0.2.254"),
				TTL: 64, DSCP: DSCP{Copy: true}, DF: yes},
			{Name: "v0", Type: TunnelVXLAN, Local: netip.MustParseAddr("192.0.2.1"),
				Remote: netip.MustParseAddr("198.51.100.2"), Nexthop: netip.MustParseAddr("192.0.2.254"),
				TTL: 64, DSCP: DSCP{Copy: true}, DF: yes,
				VNI: 10, DstPort: 4789, SrcPortRange: [2]int{49152, 65535}},
		},
		Routes: []Route{{Prefix: netip.MustParsePrefix("10.20.0.0/16"), Tunnel: "g0"}},
		L2:     []L2Binding{{Port: "in0", VLAN: 0, Tunnel: "v0"}},
	}
	assert.Equal(t, want, cfg)
	require.NoError(t, cfg.Validate())

	// Round trip: the encoded config, defaults and all, parses to itself.
	var buf bytes.Buffer
	require.NoError(t, toml.NewEncoder(&buf).Encode(cfg))
	again, err := Parse(buf.Bytes(), "encoded.toml")
	require.NoError(t, err, buf.String())
	assert.Equal(t, cfg, again)
}

func TestParseExplicitValues(t *testing.T) {
	src := strings.Replace(base, "vni = 10", "vni = 0\ndscp = 46\nttl = 1\ndf = false", 1) + `
[eal]
main_lcore = 2
lcores = "(0-3)@0"
log_level = "pmd.net.pcap:8"
`
	cfg, err := Parse([]byte(src), "x.toml")
	require.NoError(t, err)
	v := cfg.Tunnels[1]
	assert.Equal(t, uint32(0), v.VNI)
	assert.Equal(t, DSCP{Value: 46}, v.DSCP)
	assert.Equal(t, "46", v.DSCP.String())
	assert.Equal(t, 1, v.TTL)
	assert.False(t, *v.DF)
	assert.Equal(t, 2, cfg.EAL.MainLcore)
}

func TestFwdExample(t *testing.T) {
	cfg, err := Load("fwd.toml")
	require.NoError(t, err)
	require.Len(t, cfg.Ports, 2)
	_, g := cfg.Tunnel("gre-a")
	require.NotNil(t, g)
	require.NotNil(t, g.Key)
	assert.Equal(t, uint32(1001), *g.Key)
	assert.True(t, g.Seq)
	_, v := cfg.Tunnel("vx-b")
	require.NotNil(t, v)
	assert.Equal(t, uint32(5001), v.VNI)
	assert.Equal(t, DSCP{Value: 0}, v.DSCP)
	assert.Equal(t, []string{
		"-l", "0,1,2", "--main-lcore", "0", "-m", "1024",
		"-a", "0000:01:00.0", "-a", "0000:01:00.1",
		"--no-telemetry", "--file-prefix", "tunfwd-42", "--log-level=notice",
	}, cfg.EALArgs(42))
}

func TestLoadMissing(t *testing.T) {
	_, err := Load("does-not-exist.toml")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestEALArgs(t *testing.T) {
	cfg, err := Parse([]byte(base+"[eal]\nargs = [\"--iova-mode=va\"]\n[dataplane]\nworkers = [3, 2]\n"), "x.toml")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"-l", "0,3,2", "--main-lcore", "0", "-m", "512", "--no-huge", "--no-pci",
		"--no-shconf", "--no-telemetry", "--file-prefix", "tunfwd-7", "--log-level=notice",
		"--iova-mode=va",
	}, cfg.EALArgs(7))

	cfg.EAL.Lcores = "(0-1)@0"
	cfg.EAL.Hugepages = true
	assert.Equal(t, []string{
		"--lcores", "(0-1)@0", "--main-lcore", "0", "-m", "512", "--no-pci",
		"--no-telemetry", "--file-prefix", "tunfwd-7", "--log-level=notice", "--iova-mode=va",
	}, cfg.EALArgs(7))
}

func TestLookups(t *testing.T) {
	cfg, err := Parse([]byte(base), "x.toml")
	require.NoError(t, err)
	i, p := cfg.Port("up0")
	assert.Equal(t, 1, i)
	assert.Equal(t, "up0", p.Name)
	i, p = cfg.Port("nope")
	assert.Equal(t, -1, i)
	assert.Nil(t, p)
	i, tu := cfg.Tunnel("v0")
	assert.Equal(t, 1, i)
	assert.Same(t, &cfg.Tunnels[1], tu)
	i, tu = cfg.Tunnel("")
	assert.Equal(t, -1, i)
	assert.Nil(t, tu)
	i, nh := cfg.NexthopByIP(netip.MustParseAddr("10.1.0.254"))
	assert.Equal(t, 1, i)
	assert.Equal(t, "in0", nh.Port)
	i, nh = cfg.NexthopByIP(netip.MustParseAddr("10.1.0.253"))
	assert.Equal(t, -1, i)
	assert.Nil(t, nh)
}

func TestMAC(t *testing.T) {
	var m MAC
	require.NoError(t, m.UnmarshalText([]byte("02:AB:cd:00:00:01")))
	assert.Equal(t, MAC{2, 0xab, 0xcd, 0, 0, 1}, m)
	assert.Equal(t, "02:ab:cd:00:00:01", m.String())
	assert.False(t, m.IsZero())
	assert.False(t, m.IsMulticast())
	assert.True(t, MAC{}.IsZero())
	assert.True(t, MAC{1}.IsMulticast())
	for _, bad := range []string{"", "02:00:00:00:00", "02-00-00-00-00-01", "02:00:00:00:00:0g",
		"02:00:00:00:00:001", "0200.0000.0001", " 02:00:00:00:00:01", "02:00:00:00:00:01 "} {
		assert.Error(t, m.UnmarshalText([]byte(bad)), bad)
	}
}

func TestDSCP(t *testing.T) {
	var d DSCP
	require.NoError(t, d.UnmarshalTOML("copy"))
	assert.Equal(t, DSCP{Copy: true}, d)
	assert.Equal(t, "copy", d.String())
	require.NoError(t, d.UnmarshalTOML(int64(63)))
	assert.Equal(t, DSCP{Value: 63}, d)
	for _, bad := range []any{"Copy", int64(64), int64(-1), 1.5, true} {
		assert.Error(t, d.UnmarshalTOML(bad), "%v", bad)
	}
}

func TestErrorFormat(t *testing.T) {
	assert.Equal(t, "f.toml:3: tunnel[2].vni: bad", (&Error{File: "f.toml", Line: 3, Key: "tunnel[2].vni", Msg: "bad"}).Error())
	assert.Equal(t, "f.toml:3: bad", (&Error{File: "f.toml", Line: 3, Msg: "bad"}).Error())
	assert.Equal(t, "port: bad", (&Error{Key: "port", Msg: "bad"}).Error())
	es := Errors{{File: "a", Line: 1, Key: "k", Msg: "m"}, {File: "a", Line: 2, Key: "l", Msg: "n"}}
	assert.Equal(t, "a:1: k: m\na:2: l: n", es.Error())
	var e *Error
	require.ErrorAs(t, error(es), &e)
	assert.Equal(t, "k", e.Key)
}

// markedLine is the 1-based line of src holding the "#<" marker.
func markedLine(t *testing.T, src string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, "#<") {
			return i + 1
		}
	}
	t.Fatalf("no #< marker in\n%s", src)
	return 0
}

// firstError parses src and returns its first error, checking that Parse
// returned Errors.
func firstError(t *testing.T, src string) *Error {
	t.Helper()
	cfg, err := Parse([]byte(src), "t.toml")
	require.Error(t, err, "config accepted:\n%s", src)
	require.Nil(t, cfg)
	var es Errors
	require.ErrorAs(t, err, &es)
	require.NotEmpty(t, es)
	return es[0]
}

type errCase struct {
	name string
	src  string // whole document; default base + extra
	edit [2]string
	add  string
	key  string
	msg  string // substring of Msg
}

func (c errCase) doc() string {
	src := c.src
	if src == "" {
		src = base
		if c.edit[0] != "" {
			if !strings.Contains(src, c.edit[0]) {
				panic("edit target not found: " + c.edit[0])
			}
			src = strings.Replace(src, c.edit[0], c.edit[1], 1)
		}
		src += c.add
	}
	return src
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := c.doc()
			e := firstError(t, src)
			assert.Equal(t, c.key, e.Key, "%v", e)
			assert.Equal(t, markedLine(t, src), e.Line, "%v", e)
			assert.Equal(t, "t.toml", e.File)
			assert.Contains(t, e.Msg, c.msg)
		})
	}
}

// Extra tables appended to base, with the line each error must point at.
const (
	tunG = "\n[[tunnel]]\nname = \"g1\"\ntype = \"gre\"\nlocal = \"192.0.2.1\"\nremote = \"198.51.100.9\"\nnexthop = \"192.0.2.254\"\n"
	tunV = "\n[[tunnel]]\nname = \"v1\"\ntype = \"vxlan\"\nlocal = \"192.0.2.1\"\nremote = \"198.51.100.9\"\nnexthop = \"192.0.2.254\"\nvni = 20\n"
)

func TestValidation(t *testing.T) {
	runErrCases(t, []errCase{
		// [eal]
		{name: "memory", add: "[eal]\nmemory_mb = 32 #<\n", key: "eal.memory_mb", msg: "at least 64"},
		{name: "main lcore range", add: "[eal]\nmain_lcore = 128 #<\n", key: "eal.main_lcore", msg: "0..127"},
		{name: "file prefix empty", add: "[eal]\nfile_prefix = \"\" #<\n", key: "eal.file_prefix"},
		{name: "file prefix slash", add: "[eal]\nfile_prefix = \"a/b\" #<\n", key: "eal.file_prefix"},
		{name: "log level", add: "[eal]\nlog_level = \"loud\" #<\n", key: "eal.log_level", msg: "notice"},

		// [dataplane]
		{name: "no workers", add: "[dataplane]\nworkers = [] #<\n", key: "dataplane.workers", msg: "at least one"},
		{name: "worker is main", add: "[dataplane]\nworkers = [0] #<\n", key: "dataplane.workers", msg: "main lcore"},
		{name: "worker is main by default", add: "[eal]\nmain_lcore = 1 #<\n", key: "eal.main_lcore", msg: "main lcore"},
		{name: "worker twice", add: "[dataplane]\nworkers = [\n  1,\n  1, #<\n]\n", key: "dataplane.workers", msg: "twice"},
		{name: "worker range", add: "[dataplane]\nworkers = [128] #<\n", key: "dataplane.workers", msg: "0..127"},
		{name: "mbufs", add: "[dataplane]\nmbufs = 1000 #<\n", key: "dataplane.mbufs", msg: "1023"},
		{name: "mbuf cache", add: "[dataplane]\nmbuf_cache = 513 #<\n", key: "dataplane.mbuf_cache"},
		{name: "burst 0", add: "[dataplane]\nburst = 0 #<\n", key: "dataplane.burst", msg: "1..64"},
		{name: "burst 65", add: "[dataplane]\nburst = 65 #<\n", key: "dataplane.burst", msg: "1..64"},
		{name: "rx desc not pow2", add: "[dataplane]\nrx_desc = 1000 #<\n", key: "dataplane.rx_desc", msg: "power of two"},
		{name: "tx desc too big", add: "[dataplane]\ntx_desc = 16384 #<\n", key: "dataplane.tx_desc", msg: "power of two"},
		{name: "rx desc too small", add: "[dataplane]\nrx_desc = 32 #<\n", key: "dataplane.rx_desc"},
		{name: "idle negative", add: "[dataplane]\nidle_us = -1 #<\n", key: "dataplane.idle_us"},

		// [[port]]
		{name: "no port", src: "[eal] #<\nmemory_mb = 512\n", key: "port", msg: "at least one"},
		{name: "empty file", src: "#<\n", key: "port", msg: "at least one"},
		{name: "pci and vdev", add: "[[port]]\nname = \"p\"\npci = \"0000:01:00.0\"\nvdev = \"net_null2\" #<\nside = \"inner\"\n", key: "port[2].vdev", msg: "only one"},
		{name: "neither pci nor vdev", add: "[[port]] #<\nname = \"p\"\nside = \"inner\"\n", key: "port[2]", msg: "one of pci or vdev"},
		{name: "pci format", add: "[[port]]\nname = \"p\"\npci = \"01:00.0\" #<\nside = \"inner\"\n", key: "port[2].pci", msg: "DDDD:BB:DD.F"},
		{name: "pci device > 1f", add: "[[port]]\nname = \"p\"\npci = \"0000:01:20.0\" #<\nside = \"inner\"\n", key: "port[2].pci"},
		{name: "pci twice", add: "[[port]]\nname = \"p\"\npci = \"0000:01:00.0\"\nside = \"inner\"\n[[port]]\nname = \"q\"\npci = \"0000:01:00.0\" #<\nside = \"inner\"\n", key: "port[3].pci", msg: "already used by port[2]"},
		{name: "vdev no driver", add: "[[port]]\nname = \"p\"\nvdev = \",iface=x\" #<\nside = \"inner\"\n", key: "port[2].vdev", msg: "driver"},
		{name: "vdev twice", add: "[[port]]\nname = \"p\"\nvdev = \"net_null1,size=64\" #<\nside = \"inner\"\n", key: "port[2].vdev", msg: "port[1] (line 7)"},
		{name: "port name twice", add: "[[port]]\nname = \"in0\" #<\nvdev = \"net_null2\"\nside = \"inner\"\n", key: "port[2].name", msg: "port[0] (line 1)"},
		{name: "port name chars", add: "[[port]]\nname = \"in 0\" #<\nvdev = \"net_null2\"\nside = \"inner\"\n", key: "port[2].name"},
		{name: "port name missing", add: "[[port]] #<\nvdev = \"net_null2\"\nside = \"inner\"\n", key: "port[2].name", msg: "needs a name"},
		{name: "side", add: "[[port]]\nname = \"p\"\nvdev = \"net_null2\"\nside = \"outer\" #<\n", key: "port[2].side", msg: "inner"},
		{name: "side missing", add: "[[port]] #<\nname = \"p\"\nvdev = \"net_null2\"\n", key: "port[2].side", msg: "required"},
		{name: "mtu low", add: "[[port]]\nname = \"p\"\nvdev = \"net_null2\"\nside = \"inner\"\nmtu = 67 #<\n", key: "port[2].mtu", msg: "68..9600"},
		{name: "mtu high", add: "[[port]]\nname = \"p\"\nvdev = \"net_null2\"\nside = \"inner\"\nmtu = 9601 #<\n", key: "port[2].mtu", msg: "68..9600"},
		{name: "multicast port mac", add: "[[port]]\nname = \"p\"\nvdev = \"net_null2\"\nside = \"inner\"\nmac = \"01:00:5e:00:00:01\" #<\n", key: "port[2].mac", msg: "multicast"},
		{name: "address on two ports", add: "[[port]]\nname = \"p\"\nvdev = \"net_null2\"\nside = \"inner\"\naddresses = [\n  \"10.9.0.1/24\",\n  \"192.0.2.1/30\", #<\n]\n", key: "port[2].addresses", msg: "port[1].addresses"},
		{name: "address twice on a port", edit: [2]string{`addresses = ["10.1.0.1/16"]`, `addresses = ["10.1.0.1/16", "10.1.0.1/24"] #<`}, key: "port[0].addresses", msg: "already assigned"},
		{name: "address multicast", edit: [2]string{`addresses = ["10.1.0.1/16"]`, `addresses = ["224.0.0.1/4"] #<`}, key: "port[0].addresses", msg: "unicast"},
		{name: "address empty", edit: [2]string{`addresses = ["10.1.0.1/16"]`, `addresses = [""] #<`}, key: "port[0].addresses", msg: "empty prefix"},

		// [[nexthop]]
		{name: "nexthop mac missing", add: "[[nexthop]] #<\nip = \"192.0.2.253\"\nport = \"up0\"\n", key: "nexthop[2].mac", msg: "required"},
		{name: "nexthop mac multicast", add: "[[nexthop]]\nip = \"192.0.2.253\"\nmac = \"ff:ff:ff:ff:ff:ff\" #<\nport = \"up0\"\n", key: "nexthop[2].mac", msg: "multicast"},
		{name: "nexthop port unknown", add: "[[nexthop]]\nip = \"192.0.2.253\"\nmac = \"02:00:00:00:00:01\"\nport = \"up1\" #<\n", key: "nexthop[2].port", msg: `no [[port]] named "up1"`},
		{name: "nexthop port missing", add: "[[nexthop]] #<\nip = \"192.0.2.253\"\nmac = \"02:00:00:00:00:01\"\n", key: "nexthop[2].port"},
		{name: "nexthop ip missing", add: "[[nexthop]] #<\nmac = \"02:00:00:00:00:01\"\nport = \"up0\"\n", key: "nexthop[2].ip"},
		{name: "nexthop ip twice", add: "[[nexthop]]\nip = \"192.0.2.254\" #<\nmac = \"02:00:00:00:00:01\"\nport = \"up0\"\n", key: "nexthop[2].ip", msg: "nexthop[0] (line 13)"},

		// [[tunnel]]
		{name: "tunnel name twice", add: strings.Replace(tunG, `"g1"`, `"v0" #<`, 1), key: "tunnel[2].name", msg: "tunnel[1]"},
		{name: "tunnel type", add: strings.Replace(tunG, `"gre"`, `"ipip" #<`, 1), key: "tunnel[2].type", msg: `"gre", "vxlan", "l2tpv2", "l2tpv3" or "srv6"`},
		{name: "tunnel type missing", add: strings.NewReplacer("[[tunnel]]", "[[tunnel]] #<", "type = \"gre\"\n", "").Replace(tunG), key: "tunnel[2].type", msg: "required"},
		{name: "remote missing", add: "\n[[tunnel]] #<\nname = \"g1\"\ntype = \"gre\"\nlocal = \"192.0.2.1\"\n", key: "tunnel[2].remote", msg: "required"},
		{name: "local missing", add: "\n[[tunnel]] #<\nname = \"g1\"\ntype = \"gre\"\nremote = \"192.0.2.9\"\n", key: "tunnel[2].local", msg: "required"},
		{name: "family mismatch", add: strings.Replace(tunG, `remote = "198.51.100.9"`, `remote = "2001:db8::9" #<`, 1), key: "tunnel[2].remote", msg: "different IP families"},
		{name: "ipv6 underlay nexthop family", add: strings.NewReplacer(`local = "192.0.2.1"`, `local = "2001:db8::1"`, `remote = "198.51.100.9"`, `remote = "2001:db8::9"`, `nexthop = "192.0.2.254"`, `nexthop = "192.0.2.254" #<`).Replace(tunG), key: "tunnel[2].nexthop", msg: "different IP families"},
		{name: "ipv6 underlay df", add: "\n[[nexthop]]\nip = \"2001:db8::fe\"\nmac = \"02:00:00:00:00:fe\"\nport = \"up0\"\n" +
			"\n[[tunnel]]\nname = \"g6\"\ntype = \"gre\"\nlocal = \"2001:db8::1\"\nremote = \"2001:db8:9::9\"\nnexthop = \"2001:db8::fe\"\ndf = false #<\n", key: "tunnel[2].df", msg: "IPv4 underlay"},
		{name: "udp6 zero csum over ipv4", add: tunV + "udp6_zero_csum_rx = true #<\n", key: "tunnel[2].udp6_zero_csum_rx", msg: "over IPv6"},
		{name: "local not ours", add: strings.Replace(tunG, `local = "192.0.2.1"`, `local = "192.0.2.2" #<`, 1), key: "tunnel[2].local", msg: "not an address of any underlay port"},
		{name: "local on inner port", add: strings.Replace(tunG, `local = "192.0.2.1"`, `local = "10.1.0.1" #<`, 1), key: "tunnel[2].local", msg: `port "in0", which is not an underlay port`},
		{name: "remote is local", add: strings.Replace(tunG, `remote = "198.51.100.9"`, `remote = "192.0.2.1" #<`, 1), key: "tunnel[2].remote", msg: "local address"},
		{name: "remote multicast", add: strings.Replace(tunG, `remote = "198.51.100.9"`, `remote = "239.1.1.1" #<`, 1), key: "tunnel[2].remote", msg: "unicast"},
		{name: "default nexthop missing", add: strings.NewReplacer(`remote = "198.51.100.9"`, `remote = "198.51.100.9" #<`, "nexthop = \"192.0.2.254\"\n", "").Replace(tunG), key: "tunnel[2].remote", msg: "defaults to remote"},
		{name: "nexthop missing", add: strings.Replace(tunG, `nexthop = "192.0.2.254"`, `nexthop = "192.0.2.253" #<`, 1), key: "tunnel[2].nexthop", msg: "no [[nexthop]] with ip 192.0.2.253"},
		{name: "nexthop on inner port", add: strings.Replace(tunG, `nexthop = "192.0.2.254"`, `nexthop = "10.1.0.254" #<`, 1), key: "tunnel[2].nexthop", msg: "not an underlay port"},
		{name: "ttl 0", add: tunG + "ttl = 0 #<\n", key: "tunnel[2].ttl", msg: "1..255"},
		{name: "ttl 256", add: tunG + "ttl = 256 #<\n", key: "tunnel[2].ttl", msg: "1..255"},
		{name: "gre with vni", add: tunG + "vni = 5 #<\n", key: "tunnel[2].vni", msg: "vxlan"},
		{name: "gre with dst_port", add: tunG + "dst_port = 4789 #<\n", key: "tunnel[2].dst_port", msg: "vxlan"},
		{name: "gre with src_port_range", add: tunG + "src_port_range = [1, 2] #<\n", key: "tunnel[2].src_port_range", msg: "vxlan"},
		{name: "gre twice", add: strings.Replace(tunG, `remote = "198.51.100.9"`, `remote = "198.51.100.1" #<`, 1), key: "tunnel[2].remote", msg: "no key already defined in tunnel[0] (line 23)"},
		{name: "gre twice same key", add: strings.Replace(tunG, `remote = "198.51.100.9"`, `remote = "198.51.100.1"`, 1) + "key = 7\n" + strings.Replace(tunG, `"g1"`, `"g2"`, 1) + "key = 8\n" + strings.NewReplacer(`"g1"`, `"g3"`, `remote = "198.51.100.9"`, `remote = "198.51.100.1"`).Replace(tunG) + "key = 7 #<\n", key: "tunnel[4].key", msg: "key 7 already defined in tunnel[2] (line 38)"},
		{name: "vxlan vni missing", add: strings.Replace(strings.Replace(tunV, "vni = 20\n", "", 1), "[[tunnel]]", "[[tunnel]] #<", 1), key: "tunnel[2].vni", msg: "required"},
		{name: "vxlan vni range", add: strings.Replace(tunV, "vni = 20", "vni = 16777216 #<", 1), key: "tunnel[2].vni", msg: "0..16777215"},
		{name: "vxlan with key", add: tunV + "key = 1 #<\n", key: "tunnel[2].key", msg: "gre"},
		{name: "vxlan with seq", add: tunV + "seq = true #<\n", key: "tunnel[2].seq", msg: "gre"},
		{name: "vxlan with checksum", add: tunV + "checksum = true #<\n", key: "tunnel[2].checksum", msg: "gre"},
		{name: "vxlan dst_port 0", add: tunV + "dst_port = 0 #<\n", key: "tunnel[2].dst_port", msg: "1..65535"},
		{name: "vxlan dst_port high", add: tunV + "dst_port = 65536 #<\n", key: "tunnel[2].dst_port", msg: "1..65535"},
		{name: "vxlan src ports reversed", add: tunV + "src_port_range = [2000, 1000] #<\n", key: "tunnel[2].src_port_range"},
		{name: "vxlan src ports zero", add: tunV + "src_port_range = [0, 1000] #<\n", key: "tunnel[2].src_port_range"},
		{name: "vxlan twice", add: strings.Replace(tunV, "vni = 20", "vni = 10 #<", 1), key: "tunnel[2].vni", msg: "already used by tunnel[1] (line 30)"},
		{name: "vxlan twice by default port", add: strings.Replace(tunV, "vni = 20", "vni = 10 #<\ndst_port = 4789", 1), key: "tunnel[2].vni", msg: "port 4789"},

		// [[route]]
		{name: "route not masked", add: "[[route]]\nprefix = \"10.20.1.1/16\" #<\ntunnel = \"g0\"\n", key: "route[0].prefix", msg: "write 10.20.0.0/16"},
		{name: "route prefix missing", add: "[[route]] #<\ntunnel = \"g0\"\n", key: "route[0].prefix", msg: "required"},
		{name: "route tunnel and via", add: "[[route]]\nprefix = \"10.20.0.0/16\"\ntunnel = \"g0\"\nvia = \"10.1.0.254\" #<\n", key: "route[0].via", msg: "only one"},
		{name: "route neither", add: "[[route]] #<\nprefix = \"10.20.0.0/16\"\n", key: "route[0]", msg: "one of tunnel, via or sa"},
		{name: "route tunnel unknown", add: "[[route]]\nprefix = \"10.20.0.0/16\"\ntunnel = \"g9\" #<\n", key: "route[0].tunnel", msg: `no [[tunnel]] named "g9"`},
		{name: "route into vxlan", add: "[[route]]\nprefix = \"10.20.0.0/16\"\ntunnel = \"v0\" #<\n", key: "route[0].tunnel", msg: "[[l2]]"},
		{name: "route via unknown", add: "[[route]]\nprefix = \"10.20.0.0/16\"\nvia = \"10.1.0.253\" #<\n", key: "route[0].via", msg: "no [[nexthop]]"},
		{name: "route via underlay", add: "[[route]]\nprefix = \"10.20.0.0/16\"\nvia = \"192.0.2.254\" #<\n", key: "route[0].via", msg: "not an inner port"},
		{name: "route via family", add: "[[route]]\nprefix = \"2001:db8:1::/48\"\nvia = \"10.1.0.254\" #<\n", key: "route[0].via", msg: "different IP families"},
		{name: "route twice", add: "[[route]]\nprefix = \"10.20.0.0/16\"\ntunnel = \"g0\"\n[[route]]\nprefix = \"10.20.0.0/16\" #<\nvia = \"10.1.0.254\"\n", key: "route[1].prefix", msg: "route[0]"},

		// [[l2]]
		{name: "l2 port unknown", add: "[[l2]]\nport = \"in9\" #<\ntunnel = \"v0\"\n", key: "l2[0].port", msg: `no [[port]] named "in9"`},
		{name: "l2 port missing", add: "[[l2]] #<\ntunnel = \"v0\"\n", key: "l2[0].port", msg: "required"},
		{name: "l2 port underlay", add: "[[l2]]\nport = \"up0\" #<\ntunnel = \"v0\"\n", key: "l2[0].port", msg: "not an inner port"},
		{name: "l2 vlan range", add: "[[l2]]\nport = \"in0\"\nvlan = 4095 #<\ntunnel = \"v0\"\n", key: "l2[0].vlan", msg: "0..4094"},
		{name: "l2 vlan negative", add: "[[l2]]\nport = \"in0\"\nvlan = -1 #<\ntunnel = \"v0\"\n", key: "l2[0].vlan", msg: "0..4094"},
		{name: "l2 tunnel gre", add: "[[l2]]\nport = \"in0\"\ntunnel = \"g0\" #<\n", key: "l2[0].tunnel", msg: "[[route]]"},
		{name: "l2 tunnel unknown", add: "[[l2]]\nport = \"in0\"\ntunnel = \"v9\" #<\n", key: "l2[0].tunnel", msg: `no [[tunnel]] named "v9"`},
		{name: "l2 tunnel missing", add: "[[l2]] #<\nport = \"in0\"\n", key: "l2[0].tunnel", msg: "required"},
		{name: "l2 port vlan twice", add: tunV + "[[l2]]\nport = \"in0\"\nvlan = 7\ntunnel = \"v0\"\n[[l2]]\nport = \"in0\"\nvlan = 7 #<\ntunnel = \"v1\"\n", key: "l2[1].vlan", msg: "already bound in l2[0]"},
		{name: "l2 port untagged twice", add: tunV + "[[l2]]\nport = \"in0\"\ntunnel = \"v0\"\n[[l2]]\nport = \"in0\" #<\ntunnel = \"v1\"\n", key: "l2[1].port", msg: "vlan 0 already bound"},
		{name: "l2 tunnel twice", add: "[[l2]]\nport = \"in0\"\nvlan = 1\ntunnel = \"v0\"\n[[l2]]\nport = \"in0\"\nvlan = 2\ntunnel = \"v0\" #<\n", key: "l2[1].tunnel", msg: "already bound in l2[0]"},
	})
}

func TestDecodeErrors(t *testing.T) {
	runErrCases(t, []errCase{
		// unknown keys
		{name: "unknown top-level key", add: "colour = \"blue\" #<\n", key: "tunnel[1].colour", msg: "unknown key"},
		{name: "unknown top-level key first", src: "colour = \"blue\" #<\n" + base, key: "colour", msg: "unknown key"},
		{name: "unknown table", src: base + "[ela] #<\nmemory_mb = 1\n", key: "ela", msg: `did you mean "eal"?`},
		{name: "unknown eal key", add: "[eal]\nmemory = 1024 #<\n", key: "eal.memory", msg: "unknown key"},
		{name: "unknown nested key", edit: [2]string{"vni = 10", "vnii = 10 #<"}, key: "tunnel[1].vnii", msg: `unknown key (did you mean "vni"?)`},
		{name: "unknown key in first tunnel", edit: [2]string{`name = "g0"`, "name = \"g0\"\nttll = 3 #<"}, key: "tunnel[0].ttll", msg: `did you mean "ttl"?`},
		{name: "unknown dotted key", edit: [2]string{`name = "g0"`, "name = \"g0\"\nopts.x = 3 #<"}, key: "tunnel[0].opts", msg: "unknown key"},
		{name: "unknown subtable", add: "[tunnel.extra] #<\nx = 1\n", key: "tunnel[1].extra", msg: "unknown key"},
		{name: "unknown array of tables", add: "[[sids]] #<\nsid = \"fc00::1\"\n", key: "sids", msg: `did you mean "sid"?`},
		{name: "wrong case", edit: [2]string{`name = "g0"`, `Name = "g0" #<`}, key: "tunnel[0].Name", msg: `did you mean "name"?`},

		// type errors
		{name: "string for int", add: "[[port]]\nname = \"p\"\nvdev = \"net_null2\"\nside = \"inner\"\nmtu = \"big\" #<\n", key: "port[2].mtu", msg: "want an integer, got a string"},
		{name: "int for string", edit: [2]string{`side = "inner"`, `side = 1 #<`}, key: "port[0].side", msg: "want a string, got an integer"},
		{name: "bad ip", edit: [2]string{`remote = "198.51.100.2"`, `remote = "198.51.100" #<`}, key: "tunnel[1].remote", msg: "bad IP address"},
		{name: "ip as int", edit: [2]string{`remote = "198.51.100.2"`, `remote = 3 #<`}, key: "tunnel[1].remote", msg: "bad IP address"},
		{name: "bad prefix", edit: [2]string{`addresses = ["10.1.0.1/16"]`, `addresses = ["10.1.0.1"] #<`}, key: "port[0].addresses", msg: "bad prefix"},
		{name: "prefix not array", edit: [2]string{`addresses = ["10.1.0.1/16"]`, `addresses = "10.1.0.1/16" #<`}, key: "port[0].addresses", msg: "want an array of prefix strings"},
		{name: "bad mac", edit: [2]string{`mac = "02:00:00:00:00:fd"`, `mac = "02:00:00:00:00" #<`}, key: "nexthop[1].mac", msg: "bad MAC address"},
		{name: "bad dscp string", edit: [2]string{"vni = 10", "vni = 10\ndscp = \"fixed\" #<"}, key: "tunnel[1].dscp", msg: `"copy"`},
		{name: "bad dscp range", edit: [2]string{"vni = 10", "vni = 10\ndscp = 64 #<"}, key: "tunnel[1].dscp", msg: "0..63"},
		{name: "negative vni", edit: [2]string{"vni = 10", "vni = -1 #<"}, key: "tunnel[1].vni", msg: "out of range"},
		{name: "key too big", edit: [2]string{`name = "g0"`, "name = \"g0\"\nkey = 4294967296 #<"}, key: "tunnel[0].key", msg: "out of range"},
		{name: "bool for pointer bool", edit: [2]string{`name = "g0"`, "name = \"g0\"\ndf = \"yes\" #<"}, key: "tunnel[0].df", msg: "want a boolean, got a string"},
		{name: "src ports length", add: tunV + "src_port_range = [1] #<\n", key: "tunnel[2].src_port_range", msg: "length"},
		{name: "workers not ints", add: "[dataplane]\nworkers = [\"a\"] #<\n", key: "dataplane.workers", msg: "want an array of integers, got an array holding a string"},
		{name: "port not array of tables", src: "port = 5 #<\n", key: "port", msg: "[[port]]"},
		{name: "port as table", src: "[port] #<\nname = \"x\"\n", key: "port", msg: "[[port]]"},
		{name: "eal as value", src: "eal = 5 #<\n" + base, key: "eal", msg: "must be a table"},
		{name: "tunnel element not table", src: "tunnel = [1] #<\n" + base[:strings.Index(base, "[[tunnel]]")], key: "tunnel[0]", msg: "must be a table"},
		{name: "inline table element", src: "port = [{name = \"p\"}, {name = \"q\", mtu = \"x\" #<\n}]\n", key: "port[1].mtu", msg: "want an integer"},

		// syntax errors
		{name: "unterminated string", edit: [2]string{`name = "g0"`, `name = "g0 #<`}, key: "tunnel[0].name", msg: "newlines"},
		{name: "duplicate key", edit: [2]string{`name = "g0"`, "name = \"g0\"\nname = \"g1\" #<"}, key: "tunnel[0].name", msg: "already been defined"},
		{name: "missing value", add: "[eal]\nmemory_mb = #<\n", key: "eal.memory_mb", msg: ""},
		{name: "bad header", add: "[[tunnel] #<\n", key: "tunnel[2]", msg: "]"},
	})
}

// TestSyntaxErrorKey: a TOML syntax error names the last key toml saw, which
// has no array index; only the line is exact.
func TestSyntaxErrorLine(t *testing.T) {
	src := base + "\n[eal]\nmemory_mb = 512\nlog_level = notice\n"
	e := firstError(t, src)
	assert.Equal(t, strings.Count(src, "\n")-0, e.Line)
	assert.Contains(t, e.Error(), "t.toml:")
}

func TestMultipleErrors(t *testing.T) {
	src := base + "[dataplane]\nburst = 0\nmbufs = 5\n"
	_, err := Parse([]byte(src), "t.toml")
	var es Errors
	require.ErrorAs(t, err, &es)
	require.Len(t, es, 2)
	assert.Equal(t, "dataplane.burst", es[0].Key)
	assert.Equal(t, "dataplane.mbufs", es[1].Key)
	assert.Less(t, es[0].Line, es[1].Line)
	assert.Equal(t, "t.toml:"+strconv.Itoa(es[0].Line)+": dataplane.burst: 0 out of range 1..64", es[0].Error())
}

func TestValidateInCode(t *testing.T) {
	cfg, err := Parse([]byte(base), "x.toml")
	require.NoError(t, err)
	cfg.Tunnels = append(cfg.Tunnels, Tunnel{Name: "v0", Type: TunnelVXLAN})
	err = cfg.Validate()
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, &Error{Key: "tunnel[2].name", Msg: `tunnel name "v0" already used by tunnel[1]`}, e)
}

func TestLineIndex(t *testing.T) {
	src := `# comment [[tunnel]]
a = 1
"quoted.key" = 'x' # k = 2
[t]
s = """
fake = 1
[[tunnel]]
"""
lit = '''
x = 2'''
arr = [
  1, # a comment ]
  "two]",
  [3, 4],
]
inline = { x = 1, y.z = "}" }
dt = 1979-05-27 07:32:00Z

[[tunnel]]
name = "a"
[tunnel.sub]
v = 1
[[tunnel.hop]]
ip = 1
[[tunnel]]
  name = "b"
[[tunnel.hop]]
[[tunnel.hop]]
ip = 2
[ "odd key" . x ]
k=1
`
	idx := indexLines([]byte(src))
	want := map[string]int{
		"a": 2, `"quoted.key"`: 3, "t": 4, "t.s": 5, "t.lit": 9, "t.arr": 11,
		"t.arr[0]": 12, "t.arr[1]": 13, "t.arr[2]": 14, "t.arr[2][1]": 14,
		"t.inline": 16, "t.inline.x": 16, "t.inline.y.z": 16, "t.dt": 17,
		"tunnel[0]": 19, "tunnel[0].name": 20, "tunnel[0].sub": 21, "tunnel[0].sub.v": 22,
		"tunnel[0].hop[0]": 23, "tunnel[0].hop[0].ip": 24,
		"tunnel[1]": 25, "tunnel[1].name": 26, "tunnel[1].hop[0]": 27, "tunnel[1].hop[1]": 28,
		"tunnel[1].hop[1].ip": 29, `"odd key".x`: 30, `"odd key".x.k`: 31,
	}
	for k, n := range want {
		assert.Equal(t, n, idx[k], k)
	}
	assert.NotContains(t, idx, "t.fake")
	assert.NotContains(t, idx, "t.x")
	assert.NotContains(t, idx, "k")
	assert.Equal(t, 20, idx.line("tunnel[0].name"))
	assert.Equal(t, 25, idx.line("tunnel[1].nope"))
	assert.Equal(t, 30, idx.line(`"odd key".x.nope`))
	assert.Equal(t, 0, idx.line("nope"))
	// The scanner agrees with the TOML parser on this file.
	var v map[string]any
	_, err := toml.Decode(src, &v)
	require.NoError(t, err)
}

func FuzzParse(f *testing.F) {
	fwd, err := os.ReadFile("fwd.toml")
	require.NoError(f, err)
	demo, err := os.ReadFile("demo.toml")
	require.NoError(f, err)
	for _, seed := range []string{
		base, string(fwd), string(demo), "", "[eal]\nmemory_mb = 1\n", "port = [{name = \"p\"}]",
		"[[tunnel]]\nvni = \"x\"\n", "a = \"\"\"\n[[x]]\n\"\"\"\n", "[[port]]\nname = 'a\n",
		"x = {a = 1, b = [1, {c = 2}]}\n", base + "[[route]]\nprefix = \"10.0.0.1/8\"\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.toml")
		if err == nil {
			require.NotNil(t, cfg)
			require.NoError(t, cfg.Validate(), "a parsed config must validate")
			return
		}
		var es Errors
		require.True(t, errors.As(err, &es), "%T %v", err, err)
		require.NotEmpty(t, es)
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, e := range es {
			require.Equal(t, "fuzz.toml", e.File)
			require.True(t, e.Line > 0 || e.Key != "", "%v", e)
			require.NotEmpty(t, e.Msg)
			// the line named is in the file, and the message shows what it names
			require.LessOrEqual(t, e.Line, lines, "%v: line past the end of the file", e)
			if e.Line > 0 {
				require.Contains(t, e.Error(), "fuzz.toml:"+strconv.Itoa(e.Line)+":")
			}
			if e.Key != "" {
				require.Contains(t, e.Error(), e.Key)
			}
		}
	})
}

func TestControlSection(t *testing.T) {
	base := "[[port]]\nname = \"p\"\nvdev = \"net_null0\"\nside = \"inner\"\n"
	c, err := Parse([]byte(base+"[control]\nsocket = \"/run/x.sock\"\nmetrics = \"127.0.0.1:9469\"\n"), "c.toml")
	require.NoError(t, err)
	require.Equal(t, "/run/x.sock", c.Control.Socket)
	require.Equal(t, "127.0.0.1:9469", c.Control.Metrics)
	for _, bad := range []struct{ text, key string }{
		{"[control]\nsocket = \"rel.sock\"\n", "control.socket"},
		{"[control]\nmetrics = \"0.0.0.0:9469\"\n", "control.metrics"},
		{"[control]\nmetrics = \"nonsense\"\n", "control.metrics"},
		{"[control]\nsockett = \"/x\"\n", "control.sockett"},
	} {
		_, err := Parse([]byte(base+bad.text), "c.toml")
		var e *Error
		require.ErrorAs(t, err, &e, bad.text)
		require.Equal(t, bad.key, e.Key, bad.text)
		require.Equal(t, 6, e.Line, bad.text)
	}
}
