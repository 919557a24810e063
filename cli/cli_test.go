package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/conf"
	"tunfwd/dataplane"
)

func run(t *testing.T, s *Shell, line string) (string, error) {
	t.Helper()
	var b bytes.Buffer
	err := s.Exec(&b, line, false)
	return b.String(), err
}

func mustRun(t *testing.T, s *Shell, line string) string {
	t.Helper()
	out, err := run(t, s, line)
	require.NoError(t, err, "%s\n%s", line, out)
	return out
}

// preludes put a fresh fake in the state an example needs.
var preludes = map[string][]string{
	"capture stop": {"capture start wan " + os.DevNull},
	"start":        {"stop"},
}

// Every command's example runs, through its own entry, and its --json form
// (where it has one) is valid JSON: help cannot go stale.
func TestExamples(t *testing.T) {
	s0 := New(newFake(t))
	for _, c := range s0.Commands() {
		t.Run(c.Name(), func(t *testing.T) {
			require.NotEmpty(t, c.Example)
			require.NotEmpty(t, c.Help)
			f := newFake(t)
			s := New(f)
			for _, p := range preludes[c.Name()] {
				mustRun(t, s, p)
			}
			words, err := tokenize(c.Example)
			require.NoError(t, err)
			got, _, err := s.lookup(words)
			require.NoError(t, err)
			require.Equal(t, c.Name(), got.Name(), "the example runs another command")
			out, err := run(t, s, c.Example)
			if c.Name() == "quit" {
				require.ErrorIs(t, err, ErrQuit)
				return
			}
			require.NoError(t, err, "%s\n%s", c.Example, out)
			require.NotEmpty(t, out)
			if c.JSON {
				f := newFake(t)
				s := New(f)
				var b bytes.Buffer
				require.NoError(t, s.Exec(&b, c.Example, true))
				require.True(t, json.Valid(b.Bytes()), b.String())
			}
		})
	}
}

func TestHelp(t *testing.T) {
	s := New(newFake(t))
	out := mustRun(t, s, "help")
	for _, c := range s.Commands() {
		require.Contains(t, out, c.Usage())
		one := mustRun(t, s, "help "+c.Name())
		require.Contains(t, one, "example: "+c.Example)
	}
	out = mustRun(t, s, "help show port")
	require.Contains(t, out, "show port info")
	require.Contains(t, out, "show port xstats")
	require.NotContains(t, out, "show tunnel")
	_, err := run(t, s, "help frob")
	var ue *UsageError
	require.ErrorAs(t, err, &ue)
}

// Rejected lines: one line saying what is wrong, then the usage; the
// dataplane is not touched.
func TestBadCommands(t *testing.T) {
	for _, tc := range []struct{ line, msg, usage string }{
		{"frobnicate", `unknown command "frobnicate"`, ""},
		{"show", "show: want one of port, lcores, tunnel", "show port info [all|NAME]"},
		{"show port", "show port: want one of info, stats, xstats", "show port stats [all|NAME]"},
		{"show port bogus", `show port: unknown word "bogus"`, "show port xstats [all|NAME]"},
		{"show port stats nosuch", `show port stats: no port "nosuch" (ports: lan, l2, wan)`, "show port stats [all|NAME]"},
		{"show port stats lan wan", `show port stats: unexpected "wan"`, "show port stats [all|NAME]"},
		{"clear port stats", "clear port stats: missing argument", "clear port stats all|NAME"},
		{"show tunnel nosuch", `show tunnel: no tunnel "nosuch" (tunnels: g1, g2, vx1)`, "show tunnel [NAME]"},
		{"show drops some", `show drops: "some": want all or nothing`, "show drops [all]"},
		{"tunnel add", "tunnel add: missing the tunnel name", "tunnel add NAME key=value ..."},
		{"tunnel add type=gre", "tunnel add: the tunnel name comes first", "tunnel add NAME key=value ..."},
		{"tunnel add g1 type=gre local=192.0.2.1 remote=192.0.2.9", `tunnel add: tunnel "g1" already exists`, "tunnel add NAME"},
		{"tunnel add gre3 type=gre local=192.0.2.1", "tunnel add: remote: remote is required", "tunnel add NAME"},
		{"tunnel add gre3 type=gre local=192.0.2.1 remote=192.0.2.9 keyy=5", `tunnel add: keyy: unknown key (did you mean "key"?)`, "tunnel add NAME"},
		{"tunnel add gre3 type=gre local=10.9.9.9 remote=192.0.2.9", "tunnel add: local: 10.9.9.9 is not an address of any underlay port", "tunnel add NAME"},
		{"tunnel add gre3 type=gre local=192.0.2.1 remote=192.0.2.77", "tunnel add: remote: no [[nexthop]] with ip 192.0.2.77 (nexthop defaults to remote)", "tunnel add NAME"},
		{"tunnel add gre3 type=ipip local=192.0.2.1 remote=192.0.2.9", `tunnel add: type: "ipip": want "gre", "vxlan", "l2tpv2", "l2tpv3" or "srv6"`, "tunnel add NAME"},
		{"tunnel add gre3 type=gre local=192.0.2.1 remote=192.0.2.9 key=8", "tunnel add: key: gre tunnel 192.0.2.1 -> 192.0.2.9 with key 8 already defined in tunnel[1]", "tunnel add NAME"},
		{"tunnel add gre3 type=gre local=192.0.2.1 remote=192.0.2.9 key=x", "tunnel add: key: want an integer, got a string", "tunnel add NAME"},
		{"tunnel add gre3 type=gre key=1 key=2", "tunnel add: key given twice", "tunnel add NAME"},
		{"tunnel add gre3 type=gre name=x", "tunnel add: the name is the word before the key=value pairs", "tunnel add NAME"},
		{"tunnel add gre3 type", `tunnel add: "type": want key=value`, "tunnel add NAME"},
		{"tunnel add bad/name type=gre local=192.0.2.1 remote=192.0.2.9", `tunnel add: name: "bad/name": a name is letters`, "tunnel add NAME"},
		{"tunnel add vx2 type=vxlan local=192.0.2.1 remote=192.0.2.9", "tunnel add: vni: vni is required for a vxlan tunnel", "tunnel add NAME"},
		{"tunnel del nosuch", `tunnel del: no tunnel "nosuch"`, "tunnel del NAME"},
		{"tunnel del", "tunnel del: missing argument", "tunnel del NAME"},
		{"set tunnel g1", "set tunnel: missing key=value", "set tunnel NAME key=value ..."},
		{"set tunnel g1 ttl=0", "set tunnel: ttl: 0 out of range 1..255", "set tunnel NAME"},
		{"set tunnel g1 vni=5", "set tunnel: vni: vni is for vxlan tunnels", "set tunnel NAME"},
		{"route add 10.9.0.0/16 via nosuch", `route add: tunnel: no [[tunnel]] named "nosuch"`, "route add PREFIX via TUNNEL|nexthop IP"},
		{"route add 10.9.0.1/16 via g1", "route add: prefix: 10.9.0.1/16 has host bits set: write 10.9.0.0/16", "route add PREFIX"},
		{"route add 10.2.0.0/16 via g2", "route add: prefix: route for 10.2.0.0/16 already defined in route[0]", "route add PREFIX"},
		{"route add 10.9.0.0/16 via vx1", `route add: tunnel: tunnel "vx1" is vxlan`, "route add PREFIX"},
		{"route add 10.9.0.0/16 to g1", `route add: "to": want via TUNNEL or nexthop IP`, "route add PREFIX"},
		{"route add 10.9.0.0/16 nexthop 192.0.2.2", `route add: via: next hop 192.0.2.2 is behind port "wan", which is not an inner port`, "route add PREFIX"},
		{"route add 10.9.0.0 via g1", "route add: prefix: bad prefix", "route add PREFIX"},
		{"route add 10.9.0.0/16", "route add: missing argument", "route add PREFIX"},
		{"route del 10.99.0.0/16", "route del: no route for 10.99.0.0/16 (routes: 10.2.0.0/16)", "route del PREFIX"},
		{"route del bogus", `route del: "bogus" is not a prefix`, "route del PREFIX"},
		{"trace lan", "trace: missing argument", "trace PORT N [TIMEOUT]"},
		{"trace lan x", `trace: "x": want a packet count of at least 1`, "trace PORT N"},
		{"trace nosuch 5", `trace: no port "nosuch"`, "trace PORT N"},
		{"trace lan 5 forever", `trace: "forever": want a timeout like 5s`, "trace PORT N"},
		{"capture start lan", "capture start: missing argument", "capture start PORT FILE.pcap [N]"},
		{"capture start lan x.pcap 0", `capture start: "0": want a packet count of at least 1`, "capture start PORT"},
		{"quit now", `quit: unexpected "now"`, "quit"},
		{`show "port`, "unterminated quote", ""},
	} {
		t.Run(tc.line, func(t *testing.T) {
			f := newFake(t)
			before := f.cfg
			s := New(f)
			out, err := run(t, s, tc.line)
			var ue *UsageError
			require.ErrorAs(t, err, &ue, "%s: %v", tc.line, err)
			lines := strings.Split(err.Error(), "\n")
			require.Contains(t, lines[0], tc.msg)
			if tc.usage != "" {
				require.GreaterOrEqual(t, len(lines), 2, err.Error())
				require.Contains(t, err.Error(), "\nusage: "+tc.usage)
			}
			require.Empty(t, out)
			require.Zero(t, f.applied, "applied on a rejected command")
			require.Same(t, before, f.cfg)
			require.True(t, f.running)
			require.Empty(t, f.cleared)
		})
	}
}

func TestTunnelDelInUse(t *testing.T) {
	f := newFake(t)
	s := New(f)
	_, err := run(t, s, "tunnel del g1")
	require.EqualError(t, err, "tunnel del: tunnel g1 is in use by route 10.2.0.0/16: delete those first")
	_, err = run(t, s, "tunnel del vx1")
	require.EqualError(t, err, "tunnel del: tunnel vx1 is in use by l2 binding l2: delete those first")
	require.Zero(t, f.applied)

	require.Equal(t, "route 10.2.0.0/16 deleted\n", mustRun(t, s, "route del 10.2.0.0/16"))
	require.Equal(t, "tunnel g1 deleted\n", mustRun(t, s, "tunnel del g1"))
	require.Equal(t, 2, f.applied)
	_, tun := f.cfg.Tunnel("g1")
	require.Nil(t, tun)
	require.Len(t, f.cfg.Tunnels, 2)
}

// tunnel add goes through conf.Parse: the defaults a file gets, and show
// config gives back TOML that parses to the running config.
func TestTunnelAddShowConfig(t *testing.T) {
	f := newFake(t)
	s := New(f)
	out := mustRun(t, s, "tunnel add gre2 type=gre local=192.0.2.1 remote=192.0.2.9 key=5 seq=true")
	require.Equal(t, "tunnel gre2 added: gre 192.0.2.1 -> 192.0.2.9 key 5 seq\n", out)
	require.Equal(t, 1, f.applied)
	_, tun := f.cfg.Tunnel("gre2")
	require.NotNil(t, tun)
	require.Equal(t, uint32(5), *tun.Key)
	require.True(t, tun.Seq)
	require.Equal(t, conf.DefaultTTL, tun.TTL)
	require.True(t, tun.DSCP.Copy)
	require.True(t, *tun.DF)
	require.Equal(t, tun.Remote, tun.Nexthop)

	mustRun(t, s, "tunnel add vx2 type=vxlan local=192.0.2.1 remote=192.0.2.9 vni=200 dscp=10 src_port_range=[50000,50100] df=false")
	_, vx := f.cfg.Tunnel("vx2")
	require.Equal(t, conf.DefaultVXLANPort, vx.DstPort)
	require.Equal(t, [2]int{50000, 50100}, vx.SrcPortRange)
	require.Equal(t, conf.DSCP{Value: 10}, vx.DSCP)
	require.False(t, *vx.DF)

	text := mustRun(t, s, "show config")
	back, err := conf.Parse([]byte(text), "show-config.toml")
	require.NoError(t, err, text)
	require.True(t, reflect.DeepEqual(f.cfg, back), "show config does not round-trip:\n%s", text)
	require.NotContains(t, text, `= ""`)
	require.Contains(t, text, "[[tunnel]]\nname = \"gre2\"\n")

	out = mustRun(t, s, "show tunnel")
	require.Regexp(t, `gre2\s+gre\s+192.0.2.1\s+192.0.2.9\s+192.0.2.9\s+key 5\s+64\s+copy\s+seq,df\s+-`, out)
	require.Regexp(t, `g1\s+gre\s+.*10.2.0.0/16`, out)
}

// The example configurations survive show config unchanged.
func TestEncodeConfigRoundTrip(t *testing.T) {
	for _, path := range []string{"../conf/demo.toml", "../conf/fwd.toml", ""} {
		var cfg *conf.Config
		var err error
		if path == "" {
			cfg, err = conf.Parse([]byte(fixture), "fixture.toml")
		} else {
			cfg, err = conf.Load(path)
		}
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, EncodeConfig(&b, cfg))
		back, err := conf.Parse(b.Bytes(), "encoded.toml")
		require.NoError(t, err, b.String())
		require.True(t, reflect.DeepEqual(cfg, back), "%s does not round-trip:\n%s", path, b.String())
	}
}

func TestRouteAddDel(t *testing.T) {
	f := newFake(t)
	s := New(f)
	require.Equal(t, "route 10.9.0.0/16 added: encap into g2 (gre)\n", mustRun(t, s, "route add 10.9.0.0/16 via g2"))
	require.Equal(t, "route 10.8.0.0/16 added: forward to 10.1.0.2 on lan\n", mustRun(t, s, "route add 10.8.0.0/16 nexthop 10.1.0.2"))
	require.Equal(t, "route 10.7.0.0/16 added: forward to 10.1.0.2 on lan\n", mustRun(t, s, "route add 10.7.0.0/16 via 10.1.0.2"))
	require.Len(t, f.cfg.Routes, 4)
	require.Equal(t, conf.Route{Prefix: netip.MustParsePrefix("10.9.0.0/16"), Tunnel: "g2"}, f.cfg.Routes[1])
	require.Equal(t, conf.Route{Prefix: netip.MustParsePrefix("10.8.0.0/16"), Via: netip.MustParseAddr("10.1.0.2")}, f.cfg.Routes[2])
	out := mustRun(t, s, "show route")
	require.Regexp(t, `10.9.0.0/16\s+encap into g2 \(gre\)`, out)
	require.Regexp(t, `10.8.0.0/16\s+forward to 10.1.0.2 on lan`, out)

	_, err := run(t, s, "tunnel del g2")
	require.ErrorContains(t, err, "in use by route 10.9.0.0/16")
	mustRun(t, s, "route del 10.9.0.0/16")
	mustRun(t, s, "tunnel del g2")
	require.Len(t, f.cfg.Routes, 3)
	require.Equal(t, 5, f.applied)
}

func TestSetTunnel(t *testing.T) {
	f := newFake(t)
	s := New(f)
	out := mustRun(t, s, "set tunnel g1 remote=192.0.2.9 ttl=9")
	require.Equal(t, "tunnel g1 changed: gre 192.0.2.1 -> 192.0.2.9 key 7\n", out)
	_, g1 := f.cfg.Tunnel("g1")
	require.Equal(t, "192.0.2.9", g1.Nexthop.String(), "nexthop followed remote")
	require.Equal(t, 9, g1.TTL)
	require.Equal(t, "g1", f.cfg.Tunnels[0].Name, "order kept")
	mustRun(t, s, "set tunnel g1 nexthop=192.0.2.2")
	_, g1 = f.cfg.Tunnel("g1")
	require.Equal(t, "192.0.2.2", g1.Nexthop.String())
	require.Equal(t, "tunnel g1 changed: gre 192.0.2.1 -> 192.0.2.9 via 192.0.2.2 key 7\n", mustRun(t, s, "set tunnel g1 ttl=10"))
}

// An error of Apply itself (a dataplane limit, say) is reported and leaves
// the config as it was.
func TestApplyError(t *testing.T) {
	f := newFake(t)
	s := New(f)
	f.applyErr = dataplane.ErrTooMany
	before := f.cfg
	_, err := run(t, s, "route add 10.9.0.0/16 via g1")
	require.Error(t, err)
	require.NotErrorAs(t, err, new(*UsageError))
	require.ErrorIs(t, err, dataplane.ErrTooMany)
	require.Same(t, before, f.cfg)
}

func TestShow(t *testing.T) {
	f := newFake(t)
	s := New(f)
	out := mustRun(t, s, "show port stats")
	require.Regexp(t, `(?m)^\s+port\s+rx pkts\s+rx bytes`, out)
	require.Regexp(t, `(?m)^\s+lan\s+100\s+10000\s+50\s+5000\s+1\s+100\s+50\s+3\s+0\s+0$`, out)
	require.Len(t, strings.Split(strings.TrimSpace(mustRun(t, s, "show port stats wan")), "\n"), 2)

	out = mustRun(t, s, "show port info lan")
	require.Regexp(t, `0\s+lan\s+inner\s+net_ring\s+02:00:00:00:01:01\s+1500\s+10.1.0.1/24\s+Link up`, out)

	out = mustRun(t, s, "sh po x wan") // abbreviations
	require.Contains(t, out, "port wan: 2 xstats")
	require.Contains(t, out, "rx_good_packets  100")

	out = mustRun(t, s, "show tunnel stats g2")
	require.Regexp(t, `g2\s+gre\s+20\s+1280\s+21\s+1344`, out)
	require.NotContains(t, out, "g1")

	out = mustRun(t, s, "show tunnel vx1")
	require.Regexp(t, `vni\s+100`, out)
	require.Regexp(t, `l2\s+l2`, out)
	require.Regexp(t, `encap\s+30 packets, 1920 bytes`, out)

	out = mustRun(t, s, "show drops")
	require.Regexp(t, `not_local\s+5\s+not addressed to this gateway`, out)
	require.Contains(t, out, "no_route")
	require.NotContains(t, out, "truncated")
	require.Contains(t, out, "total dropped: 6")
	require.Contains(t, mustRun(t, s, "show drops all"), "truncated")

	out = mustRun(t, s, "show lcores")
	require.Regexp(t, `1\s+0\s+lan:0 l2:0 wan:0\s+1000\s+250\s+25.0%`, out)

	require.Contains(t, mustRun(t, s, "show sid"), "no SIDs")
	require.Contains(t, mustRun(t, s, "show sa"), "no SAs")
	require.Regexp(t, `192.0.2.9\s+02:00:00:00:02:09\s+wan\s+underlay`, mustRun(t, s, "show nexthop"))
	require.Regexp(t, `l2\s+untagged\s+vx1`, mustRun(t, s, "show l2"))
}

func TestJSON(t *testing.T) {
	f := newFake(t)
	s := New(f)
	var b bytes.Buffer
	require.NoError(t, s.Exec(&b, "show port stats", true))
	var ps []dataplane.PortCounters
	require.NoError(t, json.Unmarshal(b.Bytes(), &ps))
	require.Equal(t, f.Counters().Ports, ps)

	b.Reset()
	require.NoError(t, s.Exec(&b, "show tunnel stats g1 --json", false))
	var ts []dataplane.TunnelCounters
	require.NoError(t, json.Unmarshal(b.Bytes(), &ts))
	require.Equal(t, []dataplane.TunnelCounters{f.Counters().Tunnels[0]}, ts)

	b.Reset()
	require.NoError(t, s.Exec(&b, "show tunnel", true))
	var tv []map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &tv))
	require.Len(t, tv, 3)
	require.Equal(t, "g1", tv[0]["name"])
	require.EqualValues(t, 7, tv[0]["key"])
	require.Equal(t, []any{"10.2.0.0/16"}, tv[0]["routes"])
	require.EqualValues(t, 100, tv[2]["vni"])
	require.NotContains(t, tv[0], "vni")
}

func TestStartStopClearQuit(t *testing.T) {
	f := newFake(t)
	s := New(f)
	_, err := run(t, s, "start")
	require.EqualError(t, err, "start: forwarding is already running")
	require.Equal(t, "forwarding stopped\n", mustRun(t, s, "stop"))
	_, err = run(t, s, "stop")
	require.EqualError(t, err, "stop: forwarding is not running")
	_, err = run(t, s, "trace lan 1")
	require.ErrorContains(t, err, "forwarding is stopped")
	require.Equal(t, "forwarding started\n", mustRun(t, s, "start"))
	require.Equal(t, 1, f.starts)

	mustRun(t, s, "clear port stats lan")
	mustRun(t, s, "clear port stats all")
	require.Equal(t, []string{"lan", ""}, f.cleared)

	_, err = run(t, s, "quit")
	require.True(t, errors.Is(err, ErrQuit))
	out, err := run(t, s, "  # a comment")
	require.NoError(t, err)
	require.Empty(t, out)
}

func TestCapture(t *testing.T) {
	f := newFake(t)
	s := New(f)
	dir := t.TempDir()
	out := mustRun(t, s, "capture start wan "+dir+"/w.pcap 10")
	require.Equal(t, "capturing packets received on wan to "+dir+"/w.pcap (10 packets)\n", out)
	_, err := run(t, s, "capture start lan x.pcap")
	require.ErrorContains(t, err, "a capture to "+dir+"/w.pcap is running")
	f.capN = 7
	require.Equal(t, "capture of wan stopped: 7 packets written to "+dir+"/w.pcap\n", mustRun(t, s, "capture stop"))
	_, err = run(t, s, "capture stop")
	require.EqualError(t, err, "capture stop: no capture running")
}

func TestComplete(t *testing.T) {
	s := New(newFake(t))
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"", []string{"capture", "clear", "help", "quit", "route", "set", "show", "start", "stop", "trace", "tunnel"}},
		{"sh", []string{"show"}},
		{"show ", []string{"config", "drops", "l2", "lcores", "nexthop", "port", "route", "sa", "sid", "tunnel"}},
		{"show port ", []string{"info", "stats", "xstats"}},
		{"show port stats ", []string{"all", "l2", "lan", "wan"}},
		{"show port stats l", []string{"l2", "lan"}},
		{"show tunnel ", []string{"g1", "g2", "stats", "vx1"}},
		{"show tunnel stats ", []string{"g1", "g2", "vx1"}},
		{"tunnel del ", []string{"g1", "g2", "vx1"}},
		{"tunnel add x ty", []string{"type="}},
		{"tunnel add x type=gre lo", []string{"local="}},
		{"route add 10.9.0.0/16 ", []string{"nexthop", "via"}},
		{"route add 10.9.0.0/16 via ", []string{"g1", "g2"}},
		{"route add 10.9.0.0/16 nexthop ", []string{"10.1.0.2"}},
		{"route del ", []string{"10.2.0.0/16"}},
		{"trace ", []string{"l2", "lan", "wan"}},
		{"trace lan ", nil},
		{"help tu", []string{"tunnel"}},
		{"help tunnel ", []string{"add", "del"}},
	} {
		require.Equal(t, tc.want, s.Complete(tc.line), "%q", tc.line)
	}
	for _, tc := range []struct {
		line, want string
		list       []string
	}{
		{"sh", "show ", nil},
		{"show po", "show port ", nil},
		{"show port s", "show port stats ", nil},
		{"show port stats wa", "show port stats wan ", nil},
		{"show port stats l", "show port stats l", []string{"l2", "lan"}},
		{"st", "st", []string{"start", "stop"}},
		{"tunnel add x ty", "tunnel add x type=", nil},
		{"frob", "frob", nil},
	} {
		got, list := s.CompleteLine(tc.line)
		require.Equal(t, tc.want, got, "%q", tc.line)
		require.Equal(t, tc.list, list, "%q", tc.line)
	}
}

func TestTokenize(t *testing.T) {
	w, err := tokenize(`capture start lan "my file.pcap"  5 # comment`)
	require.NoError(t, err)
	require.Equal(t, []string{"capture", "start", "lan", "my file.pcap", "5"}, w)
}

func TestTomlValue(t *testing.T) {
	for in, want := range map[string]string{
		"5": "5", "true": "true", "[1, 2]": "[1, 2]", `"x"`: `"x"`,
		"gre": `"gre"`, "192.0.2.1": `"192.0.2.1"`, "copy": `"copy"`, "": `""`,
		`a"b`: `"a\"b"`, "1\n[eal]": `"1\n[eal]"`,
	} {
		require.Equal(t, want, tomlValue(in), "%q", in)
	}
}

// show sa lists the configured SAs with the gateway's per-SA counters.
func TestShowSA(t *testing.T) {
	cfg, err := conf.Parse([]byte(fixture+`
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
esn = true

[[sa]]
name = "in1"
spi = 0x2002
dir = "in"
local = "192.0.2.1"
remote = "192.0.2.2"
cipher = "aes-128-cbc"
key = "0x00112233445566778899aabbccddeeff"
auth = "hmac-sha256-128"
auth_key = "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
replay_window = 128
`), "fixture.toml")
	require.NoError(t, err)
	s := New(&fake{cfg: cfg, running: true})
	out := mustRun(t, s, "show sa")
	require.Regexp(t, `out1\s+0x00001001\s+out\s+192.0.2.1\s+192.0.2.2\s+aes-128-gcm\s+true\s+\d+\s+false\s+10\s+0\s+0\s+active`, out)
	require.Regexp(t, `in1\s+0x00002002\s+in\s+192.0.2.1\s+192.0.2.2\s+aes-128-cbc\+hmac-sha256-128\s+false\s+128\s+false\s+20\s+`, out)
	var vs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, s, "show sa --json")), &vs))
	require.Len(t, vs, 2)
	require.EqualValues(t, 0x2002, vs[1]["spi"])
	require.EqualValues(t, 128, vs[1]["replay_window"])
	require.Equal(t, "no SAs", strings.TrimSpace(mustRun(t, New(newFake(t)), "show sa")))
}

// show tunnel names the SA of a GRE tunnel it protects (GRE over IPsec).
func TestShowTunnelSA(t *testing.T) {
	src := strings.Replace(fixture, "key = 8\n", "key = 8\nsa = \"gs_out\"\n", 1) + `
[[crypto]]
name = "c0"
vdev = "crypto_aesni_gcm0"

[[sa]]
name = "gs_out"
spi = 0x3001
dir = "out"
local = "192.0.2.1"
remote = "192.0.2.9"
aead = "aes-128-gcm"
key = "0x00112233445566778899aabbccddeeff"
salt = "0x01020304"
`
	cfg, err := conf.Parse([]byte(src), "fixture.toml")
	require.NoError(t, err)
	s := New(&fake{cfg: cfg, running: true})
	require.Regexp(t, `g2\s+gre\s+192.0.2.1\s+192.0.2.9\s+192.0.2.9\s+key 8\s+64\s+0\s+df,sa=gs_out\s`, mustRun(t, s, "show tunnel"))
	require.Regexp(t, `(?m)^sa\s+gs_out \(GRE over IPsec`, mustRun(t, s, "show tunnel g2"))
	require.NotContains(t, mustRun(t, s, "show tunnel g1"), "gs_out")
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, s, "show tunnel g2 --json")), &v))
	require.Equal(t, "gs_out", v["sa"])
}
