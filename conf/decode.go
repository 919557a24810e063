package conf

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load reads, decodes, completes with defaults and validates the file at
// path. A rejected config comes back as Errors; a file that cannot be read as
// the *os.PathError.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes data (name is the file name used in errors), applies
// defaults and validates the result. Decoding is strict: a key the Config
// has no field for is an error. Every error is an *Error naming the key and
// the line; all of them are returned together as Errors.
func Parse(data []byte, name string) (*Config, error) {
	var raw map[string]toml.Primitive
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		return nil, Errors{syntaxError(name, data, err)}
	}
	d := &decoder{
		file:    name,
		md:      md,
		lines:   indexLines(data),
		defined: map[string]bool{},
	}
	cfg := d.config(raw)
	if len(d.errs) == 0 {
		// Safety net: the per-field decoding above names unknown keys
		// itself, so this should find nothing.
		for _, k := range d.md.Undecoded() {
			d.errorf(joinParts(k), "unknown key")
		}
	}
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	d.defaults(cfg)
	ch := &checker{file: name, lines: d.lines, defined: d.defined}
	ch.config(cfg)
	if len(ch.errs) > 0 {
		return nil, ch.errs.sorted()
	}
	return cfg, nil
}

func syntaxError(name string, data []byte, err error) *Error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line := pe.Position.Line
		if line < 1 {
			line = 1
		}
		return &Error{File: name, Line: line, Key: indexLastKey(data, pe), Msg: pe.Message}
	}
	return &Error{File: name, Line: 1, Msg: err.Error()}
}

// indexLastKey gives the key toml names in a syntax error ("tunnel.name",
// without indices) the array indices it has at the point of the error, by
// scanning the text before it.
func indexLastKey(data []byte, pe toml.ParseError) string {
	if pe.LastKey == "" {
		return ""
	}
	end := min(max(pe.Position.Start, 0), len(data))
	sc := newScanner(data[:end])
	sc.document()
	kp := newScanner([]byte(pe.LastKey))
	return sc.resolve(kp.keyParts())
}

func joinParts(k toml.Key) string {
	s := ""
	for _, p := range k {
		s = joinKey(s, p)
	}
	return s
}

type decoder struct {
	file    string
	md      toml.MetaData
	lines   lineIndex
	defined map[string]bool // indexed keys present in the file
	errs    Errors
}

func (d *decoder) errorf(key, format string, args ...any) {
	line := d.lines.line(key)
	if line < 1 {
		line = 1
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) config(raw map[string]toml.Primitive) *Config {
	cfg := &Config{}
	for _, k := range sortedKeys(raw) {
		prim := raw[k]
		key := joinKey("", k)
		d.defined[key] = true
		switch k {
		case "eal":
			d.table(prim, key, &cfg.EAL)
		case "dataplane":
			d.table(prim, key, &cfg.Dataplane)
		case "port":
			cfg.Ports = tables[Port](d, prim, key)
		case "nexthop":
			cfg.Nexthops = tables[Nexthop](d, prim, key)
		case "tunnel":
			cfg.Tunnels = tables[Tunnel](d, prim, key)
		case "route":
			cfg.Routes = tables[Route](d, prim, key)
		case "l2":
			cfg.L2 = tables[L2Binding](d, prim, key)
		case "sid":
			cfg.SIDs = tables[SID](d, prim, key)
		case "control":
			d.table(prim, key, &cfg.Control)
		case "crypto":
			cfg.Crypto = tables[CryptoDev](d, prim, key)
		case "sa":
			cfg.SAs = tables[SA](d, prim, key)
		case "policy":
			cfg.Policies = tables[Policy](d, prim, key)
		default:
			d.errorf(key, "unknown key%s", suggest(k, fieldNames(reflect.TypeFor[Config]())))
		}
	}
	return cfg
}

// tables decodes an array of tables ([[key]]) element by element, so that
// errors carry the element's index.
func tables[T any](d *decoder, prim toml.Primitive, key string) []T {
	// toml decodes a non-table into a map as an empty map without an
	// error, so look at the raw value first.
	var raw any
	_ = d.md.PrimitiveDecode(prim, &raw)
	var elems []toml.Primitive
	switch raw.(type) {
	case []map[string]any, []any: // [[key]] tables, or an inline array
	default:
		d.errorf(key, "must be an array of tables: write each one as [[%s]]", key)
		return nil
	}
	if err := d.md.PrimitiveDecode(prim, &elems); err != nil {
		d.errorf(key, "must be an array of tables: write each one as [[%s]]", key)
		return nil
	}
	out := make([]T, len(elems))
	for i, el := range elems {
		ik := indexKey(key, i)
		d.defined[ik] = true
		d.table(el, ik, &out[i])
	}
	return out
}

// table decodes one TOML table into the struct dst points to, one key at a
// time, so that every unknown key and every type error is named exactly.
func (d *decoder) table(prim toml.Primitive, key string, dst any) {
	var raw any
	_ = d.md.PrimitiveDecode(prim, &raw)
	var m map[string]toml.Primitive
	if _, ok := raw.(map[string]any); !ok {
		d.errorf(key, "must be a table")
		return
	}
	if err := d.md.PrimitiveDecode(prim, &m); err != nil {
		d.errorf(key, "must be a table")
		return
	}
	rv := reflect.ValueOf(dst).Elem()
	rt := rv.Type()
	for _, k := range sortedKeys(m) {
		fk := joinKey(key, k)
		f, ok := fieldByTag(rt, k)
		if !ok {
			d.errorf(fk, "unknown key%s", suggest(k, fieldNames(rt)))
			continue
		}
		d.defined[fk] = true
		fv := rv.FieldByIndex(f.Index)
		if err := d.md.PrimitiveDecode(m[k], fv.Addr().Interface()); err != nil {
			fv.SetZero()
			d.errorf(fk, "%s", typeMessage(f.Type, err))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("toml") == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if n := t.Field(i).Tag.Get("toml"); n != "" && n != "-" {
			names = append(names, n)
		}
	}
	return names
}

// suggest returns ` (did you mean "x"?)` for the closest name within two
// edits, or "".
func suggest(key string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if dist := editDistance(key, n); dist < bestD {
			best, bestD = n, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var (
	tomlPrefix = regexp.MustCompile(`^toml: (line \d+ )?(\(last key "(?:[^"\\]|\\.)*"\): )?`)
	badType    = regexp.MustCompile(`^incompatible types: TOML value has type (.+); destination has type (.+)$`)
)

// typeMessage turns a decoding error into a short message without the toml
// package's "line N (last key ...)" prefix, which names the key without its
// array index (and often the wrong line).
func typeMessage(t reflect.Type, err error) string {
	var msg string
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg = pe.Message
	} else {
		msg = tomlPrefix.ReplaceAllString(err.Error(), "")
		if m := badType.FindStringSubmatch(msg); m != nil {
			if t.Kind() == reflect.Slice && m[2] != "slice" {
				return fmt.Sprintf("want %s, got an array holding %s", wantName(t), tomlTypeName(m[1]))
			}
			return fmt.Sprintf("want %s, got %s", wantName(t), tomlTypeName(m[1]))
		}
	}
	switch t {
	case reflect.TypeFor[netip.Addr]():
		return "bad IP address: " + msg
	case reflect.TypeFor[netip.Prefix](), reflect.TypeFor[[]netip.Prefix]():
		return "bad prefix: " + msg
	}
	return msg
}

func tomlTypeName(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "int64":
		return "an integer"
	case goType == "float64":
		return "a float"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "[]map"):
		return "an array of tables"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map"):
		return "a table"
	case strings.Contains(goType, "time") || strings.Contains(goType, "Local"):
		return "a date-time"
	}
	return goType
}

func wantName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[netip.Addr]():
		return `an IP address string ("192.0.2.1")`
	case reflect.TypeFor[netip.Prefix]():
		return `a prefix string ("192.0.2.0/24")`
	case reflect.TypeFor[[]netip.Prefix]():
		return `an array of prefix strings (["192.0.2.1/24"])`
	case reflect.TypeFor[MAC]():
		return `a MAC address string ("02:00:00:00:00:01")`
	case reflect.TypeFor[SIDPrefix]():
		return `an IPv6 address or prefix string ("fc00:1::100")`
	case reflect.TypeFor[[]netip.Addr]():
		return `an array of IP address strings (["fc00:2::1"])`
	case reflect.TypeFor[[2]int]():
		return "an array of two integers"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Slice:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(wantName(t.Elem()), "an "), "a ") + "s"
	}
	return t.String()
}

func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Key < es[j].Key
	})
	return es
}

// Defaults documented in types.go.
const (
	DefaultMainLcore    = 0
	DefaultMemoryMB     = 512
	DefaultFilePrefix   = "tunfwd"
	DefaultLogLevel     = "notice"
	DefaultMbufs        = 16383
	DefaultMbufCache    = 256
	DefaultDesc         = 1024
	DefaultBurst        = 32
	DefaultMTU          = 1500
	DefaultTTL          = 64
	DefaultVXLANPort    = 4789
	DefaultSrcPortFirst = 49152
	DefaultSrcPortLast  = 65535
	DefaultL2TPPort     = 1701 // RFC 2661 section 8.1, RFC 3931 section 4.1.2
	DefaultICMPRate     = 100
	DefaultICMPBurst    = 10
)

// DefaultWorkers is the worker lcore list when none is given.
var DefaultWorkers = []int{1}

// defaults fills every key the file left out. It goes by presence, not by
// zero values, so that an explicit "ttl = 0" is reported rather than
// silently replaced.
func (d *decoder) defaults(c *Config) {
	has := func(key string) bool { return d.defined[key] }
	if !has("eal.memory_mb") {
		c.EAL.MemoryMB = DefaultMemoryMB
	}
	if !has("eal.file_prefix") {
		c.EAL.FilePrefix = DefaultFilePrefix
	}
	if !has("eal.log_level") {
		c.EAL.LogLevel = DefaultLogLevel
	}
	dp := &c.Dataplane
	if !has("dataplane.workers") {
		dp.Workers = append([]int(nil), DefaultWorkers...)
	}
	if !has("dataplane.mbufs") {
		dp.Mbufs = DefaultMbufs
	}
	if !has("dataplane.mbuf_cache") {
		dp.MbufCache = DefaultMbufCache
	}
	if !has("dataplane.rx_desc") {
		dp.RxDesc = DefaultDesc
	}
	if !has("dataplane.tx_desc") {
		dp.TxDesc = DefaultDesc
	}
	if !has("dataplane.burst") {
		dp.Burst = DefaultBurst
	}
	if !has("dataplane.icmp_error_rate") {
		dp.ICMPErrorRate = DefaultICMPRate
	}
	if !has("dataplane.icmp_error_burst") {
		dp.ICMPErrorBurst = DefaultICMPBurst
	}
	for i := range c.Ports {
		p := &c.Ports[i]
		k := indexKey("port", i)
		if !has(k + ".mtu") {
			p.MTU = DefaultMTU
		}
		if p.Promiscuous == nil {
			p.Promiscuous = ptr(true)
		}
	}
	for i := range c.Tunnels {
		t := &c.Tunnels[i]
		k := indexKey("tunnel", i)
		if !has(k + ".ttl") {
			t.TTL = DefaultTTL
		}
		if !has(k + ".dscp") {
			t.DSCP = DSCP{Copy: true}
		}
		if t.DF == nil && !t.Local.Is6() { // IPv6 has no DF: left unset, so show config writes none
			t.DF = ptr(true)
		}
		if !has(k+".nexthop") && t.Type != TunnelSRv6 { // srv6: required, no remote to default from
			t.Nexthop = t.Remote
		}
		if t.Type == TunnelSRv6 && !has(k+".mode") {
			t.Mode = SRv6Encaps
		}
		if t.Type == TunnelVXLAN {
			if !has(k + ".dst_port") {
				t.DstPort = DefaultVXLANPort
			}
			if !has(k + ".src_port_range") {
				t.SrcPortRange = [2]int{DefaultSrcPortFirst, DefaultSrcPortLast}
			}
		}
		if t.Type == TunnelL2TPv3 && !has(k+".encap") {
			t.Encap = EncapUDP
		}
		if (t.Type == TunnelL2TPv2 || t.Type == TunnelL2TPv3 && t.Encap == EncapUDP) && !has(k+".dst_port") {
			t.DstPort = DefaultL2TPPort
		}
		if t.Type == TunnelL2TPv2 && t.PPPAddrCtrl == nil {
			t.PPPAddrCtrl = ptr(true)
		}
	}
	d.ipsecDefaults(c)
}

func ptr[T any](v T) *T { return &v }
