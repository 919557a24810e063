package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/BurntSushi/toml"

	"tunfwd/conf"
)

// EncodeConfig writes cfg as TOML that conf.Parse (and so tunfwd --conf)
// reads back to an equal Config. Keys whose written value is what their
// absence means are left out: empty strings, a zero port MAC, GRE-only keys
// at their zero value on a VXLAN tunnel and the other way round.
func EncodeConfig(w io.Writer, cfg *conf.Config) error {
	b, err := encodeConfig(cfg)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func encodeConfig(cfg *conf.Config) ([]byte, error) {
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(cfg); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	d := parseDoc(b.Bytes())
	for _, bl := range d.blocks {
		bl.prune()
	}
	return d.bytes(), nil
}

// doc is TOML text as encodeConfig writes it: a run of blocks, each a
// table header ("[eal]", "[[tunnel]]") and its "key = value" lines. The
// edit commands change blocks and hand the text to conf.Parse.
type doc struct {
	blocks []*block
}

type block struct {
	header string // "" for the lines before the first table
	lines  []string
}

func parseDoc(text []byte) *doc {
	d := &doc{blocks: []*block{{}}}
	for _, ln := range strings.Split(string(text), "\n") {
		t := strings.TrimSpace(ln)
		switch {
		case t == "":
		case strings.HasPrefix(t, "["):
			d.blocks = append(d.blocks, &block{header: t})
		default:
			cur := d.blocks[len(d.blocks)-1]
			cur.lines = append(cur.lines, t)
		}
	}
	return d
}

func (d *doc) bytes() []byte {
	var b bytes.Buffer
	for _, bl := range d.blocks {
		if bl.header == "" && len(bl.lines) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		if bl.header != "" {
			b.WriteString(bl.header)
			b.WriteByte('\n')
		}
		for _, ln := range bl.lines {
			b.WriteString(ln)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// table returns the positions in d.blocks of the [[name]] blocks, in order.
func (d *doc) table(name string) []int {
	var at []int
	for i, bl := range d.blocks {
		if bl.header == "[["+name+"]]" {
			at = append(at, i)
		}
	}
	return at
}

// add appends a [[name]] block after the last one (or at the end) and
// returns it with its index in that array of tables.
func (d *doc) add(name string) (*block, int) {
	at := d.table(name)
	nb := &block{header: "[[" + name + "]]"}
	pos := len(d.blocks)
	if len(at) > 0 {
		pos = at[len(at)-1] + 1
	}
	d.blocks = append(d.blocks[:pos], append([]*block{nb}, d.blocks[pos:]...)...)
	return nb, len(at)
}

// remove drops element i of the array of tables name.
func (d *doc) remove(name string, i int) {
	pos := d.table(name)[i]
	d.blocks = append(d.blocks[:pos], d.blocks[pos+1:]...)
}

// elem returns element i of the array of tables name.
func (d *doc) elem(name string, i int) *block { return d.blocks[d.table(name)[i]] }

func lineKey(ln string) string {
	k, _, _ := strings.Cut(ln, " = ")
	return k
}

func lineValue(ln string) string {
	_, v, _ := strings.Cut(ln, " = ")
	return v
}

// get returns the raw TOML value of key, "" if absent.
func (bl *block) get(key string) string {
	for _, ln := range bl.lines {
		if lineKey(ln) == key {
			return lineValue(ln)
		}
	}
	return ""
}

// set gives key the raw TOML value v, replacing its line or adding one.
func (bl *block) set(key, v string) {
	ln := key + " = " + v
	for i := range bl.lines {
		if lineKey(bl.lines[i]) == key {
			bl.lines[i] = ln
			return
		}
	}
	bl.lines = append(bl.lines, ln)
}

func (bl *block) del(key string) {
	out := bl.lines[:0]
	for _, ln := range bl.lines {
		if lineKey(ln) != key {
			out = append(out, ln)
		}
	}
	bl.lines = out
}

// prune drops the lines that only restate what the key's absence means.
func (bl *block) prune() {
	typ := bl.get("type")
	var drop []string
	for _, ln := range bl.lines {
		k, v := lineKey(ln), lineValue(ln)
		switch {
		case v == `""`:
		case bl.header == "[[port]]" && k == "mac" && v == `"00:00:00:00:00:00"`:
		case bl.header == "[[l2]]" && k == "vlan" && v == "0":
		case bl.header == "[[sid]]" && k == "vlan" && v == "0":
		case bl.header == "[[tunnel]]" && typ == `"`+conf.TunnelSRv6+`"` &&
			(k == "df" || k == "vni" && v == "0" || k == "dst_port" && v == "0" || k == "src_port_range" && v == "[0, 0]"):
		case bl.header == "[[tunnel]]" && (k == "seq" || k == "checksum" || k == "length_bit" || k == "l2_sublayer") && v == "false":
		case bl.header == "[[tunnel]]" && (k == "tunnel_id" || k == "session_id" || k == "peer_tunnel_id" || k == "peer_session_id") && v == "0":
		case bl.header == "[[tunnel]]" && (typ == `"`+conf.TunnelL2TPv2+`"` || typ == `"`+conf.TunnelL2TPv3+`"`) &&
			(k == "vni" && v == "0" || k == "dst_port" && v == "0" || k == "src_port_range" && v == "[0, 0]"):
		case bl.header == "[[tunnel]]" && typ == `"`+conf.TunnelGRE+`"` &&
			(k == "vni" && v == "0" || k == "dst_port" && v == "0" || k == "src_port_range" && v == "[0, 0]"):
		default:
			continue
		}
		drop = append(drop, k)
	}
	for _, k := range drop {
		bl.del(k)
	}
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(map[string]string{"v": s}); err != nil {
		return `""`
	}
	return strings.TrimSpace(lineValue(strings.TrimSpace(b.String())))
}

// tomlValue turns a value typed at the prompt into TOML: as written when
// it is a TOML value by itself (5, true, [1, 2], "x"), else as a string
// (gre, 192.0.2.1, copy).
func tomlValue(v string) string {
	var m map[string]any
	if !strings.ContainsAny(v, "\n\r") {
		if _, err := toml.Decode("v = "+v, &m); err == nil && len(m) == 1 {
			if _, ok := m["v"]; ok {
				return v
			}
		}
	}
	return tomlString(v)
}
