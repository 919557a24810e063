package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strings"

	"tunfwd/conf"
)

// The one path for changes: encode the running configuration as TOML, edit
// the text, parse it as a --conf file is parsed (same validation, same
// defaults) and apply the result. Every edit command goes through change.

// edited names the array-of-tables element an edit wrote ("tunnel", 2), so
// that validation errors about it can drop the index; index -1: none.
type edited struct {
	table string
	index int
}

// change runs edit over the running configuration's TOML, then validates and
// applies it. A config the edit makes invalid is a usage error naming the
// keys; nothing is applied then.
func (x *Call) change(edit func(d *doc) (edited, error)) (*conf.Config, error) {
	text, err := encodeConfig(x.GW.Config())
	if err != nil {
		return nil, x.Errorf("%w", err)
	}
	d := parseDoc(text)
	at, err := edit(d)
	if err != nil {
		return nil, err
	}
	cfg, err := conf.Parse(d.bytes(), x.Cmd.Name())
	if err != nil {
		return nil, x.Usagef("%s", configMessage(err, at))
	}
	if err := x.GW.Apply(cfg); err != nil {
		return nil, x.Errorf("%w", err)
	}
	return cfg, nil
}

var lineRef = regexp.MustCompile(` \(line \d+\)`)

// configMessage renders conf's errors on one line, without the lines of a
// text the user never saw, and with keys of the element the command wrote
// given as the user typed them ("remote", not "tunnel[3].remote").
func configMessage(err error, at edited) string {
	var es conf.Errors
	if !errors.As(err, &es) {
		return err.Error()
	}
	prefix := fmt.Sprintf("%s[%d]", at.table, at.index)
	var parts []string
	for _, e := range es {
		key := e.Key
		if at.index >= 0 {
			switch {
			case key == prefix:
				key = ""
			case strings.HasPrefix(key, prefix+"."):
				key = strings.TrimPrefix(key, prefix+".")
			}
		}
		msg := lineRef.ReplaceAllString(e.Msg, "")
		if key != "" {
			msg = key + ": " + msg
		}
		parts = append(parts, msg)
	}
	return strings.Join(parts, "; ")
}

type pair struct{ key, val string }

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// pairs parses key=value arguments; the keys are the TOML keys of the table.
func (x *Call) pairs(args []string) ([]pair, error) {
	var out []pair
	seen := map[string]bool{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		switch {
		case !ok:
			return nil, x.Usagef("%q: want key=value", a)
		case !keyRE.MatchString(k):
			return nil, x.Usagef("%q: a key is lowercase letters, digits and '_'", k)
		case k == "name":
			return nil, x.Usagef("the name is the word before the key=value pairs, not a key")
		case seen[k]:
			return nil, x.Usagef("%s given twice", k)
		}
		seen[k] = true
		out = append(out, pair{k, v})
	}
	return out, nil
}

// tunnelKeys are the keys of a [[tunnel]] table, name excepted.
func tunnelKeys() []string {
	var keys []string
	t := reflect.TypeFor[conf.Tunnel]()
	for i := range t.NumField() {
		if k := t.Field(i).Tag.Get("toml"); k != "" && k != "name" {
			keys = append(keys, k)
		}
	}
	return keys
}

func (x *Call) tunnelNamed(name string) (int, *conf.Tunnel, error) {
	cfg := x.GW.Config()
	i, t := cfg.Tunnel(name)
	if t == nil {
		return -1, nil, x.Usagef("no tunnel %q%s", name, list(" (tunnels: %s)", tunnelNames(cfg)))
	}
	return i, t, nil
}

func tunnelAdd(x *Call) error {
	if len(x.Args) == 0 {
		return x.Usagef("missing the tunnel name")
	}
	name := x.Args[0]
	if strings.Contains(name, "=") {
		return x.Usagef("the tunnel name comes first, then key=value pairs")
	}
	pairs, err := x.pairs(x.Args[1:])
	if err != nil {
		return err
	}
	if _, t := x.GW.Config().Tunnel(name); t != nil {
		return x.Usagef("tunnel %q already exists (set tunnel changes it)", name)
	}
	cfg, err := x.change(func(d *doc) (edited, error) {
		bl, i := d.add("tunnel")
		bl.set("name", tomlString(name))
		for _, p := range pairs {
			bl.set(p.key, tomlValue(p.val))
		}
		return edited{"tunnel", i}, nil
	})
	if err != nil {
		return err
	}
	_, t := cfg.Tunnel(name)
	fmt.Fprintf(x.Out, "tunnel %s added: %s\n", name, describeTunnel(t))
	return nil
}

func tunnelSet(x *Call) error {
	switch len(x.Args) {
	case 0:
		return x.Usagef("missing the tunnel name")
	case 1:
		return x.Usagef("missing key=value")
	}
	i, t, err := x.tunnelNamed(x.Args[0])
	if err != nil {
		return err
	}
	pairs, err := x.pairs(x.Args[1:])
	if err != nil {
		return err
	}
	given := map[string]bool{}
	for _, p := range pairs {
		given[p.key] = true
	}
	cfg, err := x.change(func(d *doc) (edited, error) {
		bl := d.elem("tunnel", i)
		if given["remote"] && !given["nexthop"] && t.Nexthop == t.Remote {
			bl.del("nexthop") // it followed remote: let it follow the new one
		}
		for _, p := range pairs {
			bl.set(p.key, tomlValue(p.val))
		}
		return edited{"tunnel", i}, nil
	})
	if err != nil {
		return err
	}
	_, nt := cfg.Tunnel(t.Name)
	fmt.Fprintf(x.Out, "tunnel %s changed: %s\n", t.Name, describeTunnel(nt))
	return nil
}

func tunnelDel(x *Call) error {
	if err := x.nargs(1, 1); err != nil {
		return err
	}
	i, t, err := x.tunnelNamed(x.Args[0])
	if err != nil {
		return err
	}
	if users := tunnelUsers(x.GW.Config(), t.Name); len(users) > 0 {
		return x.Errorf("tunnel %s is in use by %s: delete those first", t.Name, strings.Join(users, ", "))
	}
	if _, err := x.change(func(d *doc) (edited, error) {
		d.remove("tunnel", i)
		return edited{index: -1}, nil
	}); err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "tunnel %s deleted\n", t.Name)
	return nil
}

// tunnelUsers names the routes and L2 bindings that use tunnel name.
func tunnelUsers(cfg *conf.Config, name string) []string {
	var users []string
	for _, r := range cfg.Routes {
		if r.Tunnel == name {
			users = append(users, "route "+r.Prefix.String())
		}
	}
	for _, b := range cfg.L2 {
		if b.Tunnel == name {
			users = append(users, "l2 binding "+describeBinding(b))
		}
	}
	return users
}

func routeAdd(x *Call) error {
	if err := x.nargs(3, 3); err != nil {
		return err
	}
	prefix, how, target := x.Args[0], x.Args[1], x.Args[2]
	key := ""
	switch how {
	case "via", "tunnel":
		key = "tunnel"
		if _, err := netip.ParseAddr(target); err == nil {
			key = "via" // "via 10.1.0.2": an inner next hop
		}
	case "nexthop":
		key = "via"
	default:
		return x.Usagef("%q: want via TUNNEL or nexthop IP", how)
	}
	cfg, err := x.change(func(d *doc) (edited, error) {
		bl, i := d.add("route")
		bl.set("prefix", tomlString(prefix))
		bl.set(key, tomlString(target))
		return edited{"route", i}, nil
	})
	if err != nil {
		return err
	}
	r := cfg.Routes[len(cfg.Routes)-1]
	fmt.Fprintf(x.Out, "route %s added: %s\n", r.Prefix, describeRoute(cfg, r))
	return nil
}

func routeDel(x *Call) error {
	if err := x.nargs(1, 1); err != nil {
		return err
	}
	p, err := netip.ParsePrefix(x.Args[0])
	if err != nil {
		return x.Usagef("%q is not a prefix (like 10.2.0.0/16)", x.Args[0])
	}
	cfg := x.GW.Config()
	i := -1
	for j, r := range cfg.Routes {
		if r.Prefix == p {
			i = j
		}
	}
	if i < 0 {
		var have []string
		for _, r := range cfg.Routes {
			have = append(have, r.Prefix.String())
		}
		return x.Usagef("no route for %s%s", p, list(" (routes: %s)", have))
	}
	if _, err := x.change(func(d *doc) (edited, error) {
		d.remove("route", i)
		return edited{index: -1}, nil
	}); err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "route %s deleted\n", p)
	return nil
}

// list formats names into format, or "" when there are none.
func list(format string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(format, strings.Join(names, ", "))
}

func tunnelNames(cfg *conf.Config) []string {
	var n []string
	for _, t := range cfg.Tunnels {
		n = append(n, t.Name)
	}
	return n
}

func portNames(cfg *conf.Config) []string {
	var n []string
	for _, p := range cfg.Ports {
		n = append(n, p.Name)
	}
	return n
}

func describeTunnel(t *conf.Tunnel) string {
	if t == nil {
		return ""
	}
	s := fmt.Sprintf("%s %s -> %s", t.Type, t.Local, t.Remote)
	if t.Nexthop != t.Remote {
		s += " via " + t.Nexthop.String()
	}
	switch t.Type {
	case conf.TunnelGRE:
		if t.Key != nil {
			s += fmt.Sprintf(" key %d", *t.Key)
		}
		if t.Seq {
			s += " seq"
		}
		if t.Checksum {
			s += " checksum"
		}
	case conf.TunnelVXLAN:
		s += fmt.Sprintf(" vni %d port %d", t.VNI, t.DstPort)
	case conf.TunnelL2TPv2:
		s += fmt.Sprintf(" tunnel %d session %d peer %d/%d port %d", t.TunnelID, t.SessionID, t.PeerTunnelID, t.PeerSessionID, t.DstPort)
	case conf.TunnelL2TPv3:
		s += fmt.Sprintf(" session %d peer %d encap %s", t.SessionID, t.PeerSessionID, t.Encap)
	}
	return s
}

func describeRoute(cfg *conf.Config, r conf.Route) string {
	if r.Tunnel != "" {
		if _, t := cfg.Tunnel(r.Tunnel); t != nil {
			return fmt.Sprintf("encap into %s (%s)", r.Tunnel, t.Type)
		}
		return "encap into " + r.Tunnel
	}
	if r.SA != "" {
		return "protect with SA " + r.SA + " (esp)"
	}
	if _, nh := cfg.NexthopByIP(r.Via); nh != nil {
		return fmt.Sprintf("forward to %s on %s", r.Via, nh.Port)
	}
	return "forward to " + r.Via.String()
}

func describeBinding(b conf.L2Binding) string {
	if b.VLAN == 0 {
		return b.Port
	}
	return fmt.Sprintf("%s vlan %d", b.Port, b.VLAN)
}
