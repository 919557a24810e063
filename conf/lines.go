package conf

import (
	"sort"
	"strconv"
	"strings"
)

// BurntSushi/toml keeps key positions private (MetaData has no position
// accessor) and keys them without array indices, so the line of
// "tunnel[2].vni" cannot come from it. lineIndex is built by a small scanner
// over the source instead. It runs only on text the TOML parser has already
// accepted, so it does not have to diagnose anything; it only has to never
// panic and never loop on odd but valid input.

// lineIndex maps an indexed dotted key ("tunnel[2].vni", "port[0]",
// "port[0].addresses[1]") to the 1-based line where it is first written.
type lineIndex map[string]int

// line returns the line of key, or of its closest written ancestor, or 0.
func (li lineIndex) line(key string) int {
	for key != "" {
		if n, ok := li[key]; ok {
			return n
		}
		if n, ok := li[key+"[0]"]; ok { // an array of tables, named whole ("sids" of [[sids]])
			return n
		}
		key = parentKey(key)
	}
	return 0
}

// parentKey strips the last ".name" or "[n]" from key.
func parentKey(key string) string {
	if strings.HasSuffix(key, "]") {
		if i := strings.LastIndexByte(key, '['); i >= 0 {
			return key[:i]
		}
	}
	// A quoted last part (strconv.Quote: inner quotes are escaped) may
	// contain dots: cut at its opening quote.
	if len(key) >= 2 && strings.HasSuffix(key, `"`) {
		for i := len(key) - 2; i >= 0; i-- {
			if key[i] == '"' && (i == 0 || key[i-1] != '\\') {
				if i == 0 {
					return ""
				}
				return key[:i-1]
			}
		}
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

// joinKey appends one TOML key part to a dotted path, quoting it unless it is
// a bare key. Both the scanner and the decoder name keys through it.
func joinKey(prefix, part string) string {
	if !isBareKey(part) {
		part = strconv.Quote(part)
	}
	if prefix == "" {
		return part
	}
	return prefix + "." + part
}

func indexKey(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareChar(s[i]) {
			return false
		}
	}
	return true
}

func isBareChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

type scanner struct {
	s     string
	i     int
	nl    []int          // offsets of '\n'
	idx   lineIndex      //
	count map[string]int // array-of-tables occurrences, by indexed path
}

func indexLines(src []byte) lineIndex {
	sc := newScanner(src)
	sc.document()
	return sc.idx
}

func newScanner(src []byte) *scanner {
	sc := &scanner{s: string(src), idx: lineIndex{}, count: map[string]int{}}
	for i := 0; i < len(sc.s); i++ {
		if sc.s[i] == '\n' {
			sc.nl = append(sc.nl, i)
		}
	}
	return sc
}

// resolve gives a dotted key the indices of the latest array-of-tables
// elements seen so far.
func (sc *scanner) resolve(parts []string) string {
	p := ""
	for _, part := range parts {
		p = joinKey(p, part)
		if n, ok := sc.count[p]; ok {
			p = indexKey(p, n-1)
		}
	}
	return p
}

func (sc *scanner) lineAt(off int) int { return sort.SearchInts(sc.nl, off) + 1 }

func (sc *scanner) eof() bool { return sc.i >= len(sc.s) }

func (sc *scanner) peek(n int) byte {
	if sc.i+n < len(sc.s) {
		return sc.s[sc.i+n]
	}
	return 0
}

func (sc *scanner) set(key string, off int) {
	if _, ok := sc.idx[key]; !ok && key != "" {
		sc.idx[key] = sc.lineAt(off)
	}
}

// skipSpace skips blanks, and with nl also newlines and comments.
func (sc *scanner) skipSpace(nl bool) {
	for !sc.eof() {
		switch c := sc.s[sc.i]; {
		case c == ' ' || c == '\t':
			sc.i++
		case nl && (c == '\n' || c == '\r'):
			sc.i++
		case nl && c == '#':
			sc.skipLine()
		default:
			return
		}
	}
}

func (sc *scanner) skipLine() {
	if j := strings.IndexByte(sc.s[sc.i:], '\n'); j >= 0 {
		sc.i += j + 1
	} else {
		sc.i = len(sc.s)
	}
}

func (sc *scanner) document() {
	table := ""
	for {
		sc.skipSpace(true)
		if sc.eof() {
			return
		}
		start := sc.i
		if sc.s[sc.i] == '[' {
			array := sc.peek(1) == '['
			sc.i++
			if array {
				sc.i++
			}
			table = sc.header(sc.keyParts(), array)
			sc.set(table, start)
		} else {
			sc.keyValue(table, true)
		}
		// One statement per line: whatever is left (a comment, the rest
		// of a date-time we split at its space) is not a key.
		sc.skipLine()
	}
}

// header resolves a [a.b] or [[a.b]] header to its indexed path: each part
// that names an array of tables gets the index of its latest element.
func (sc *scanner) header(parts []string, array bool) string {
	p := ""
	for j, part := range parts {
		p = joinKey(p, part)
		if array && j == len(parts)-1 {
			sc.count[p]++
			return indexKey(p, sc.count[p]-1)
		}
		if n, ok := sc.count[p]; ok {
			p = indexKey(p, n-1)
		}
	}
	return p
}

// keyParts reads a dotted key: bare, "basic" or 'literal' parts.
func (sc *scanner) keyParts() []string {
	var parts []string
	for !sc.eof() {
		sc.skipSpace(false)
		if sc.eof() {
			break
		}
		switch sc.s[sc.i] {
		case '"':
			start := sc.i
			sc.basicString()
			raw := sc.s[start:sc.i]
			if u, err := strconv.Unquote(raw); err == nil {
				parts = append(parts, u)
			} else {
				parts = append(parts, strings.Trim(raw, `"`))
			}
		case '\'':
			start := sc.i + 1
			sc.literalString()
			end := max(sc.i-1, start)
			parts = append(parts, sc.s[start:end])
		default:
			start := sc.i
			for !sc.eof() && isBareChar(sc.s[sc.i]) {
				sc.i++
			}
			if sc.i == start {
				return parts
			}
			parts = append(parts, sc.s[start:sc.i])
		}
		sc.skipSpace(false)
		if sc.peek(0) != '.' {
			break
		}
		sc.i++
	}
	return parts
}

// keyValue reads "a.b = value" inside table and records every key path it
// defines (the implicit tables too) when record is set.
func (sc *scanner) keyValue(table string, record bool) {
	start := sc.i
	parts := sc.keyParts()
	sc.skipSpace(false)
	if len(parts) == 0 || sc.peek(0) != '=' {
		if sc.i == start {
			sc.i++ // not a key; make progress
		}
		return
	}
	sc.i++
	key := table
	for _, part := range parts {
		key = joinKey(key, part)
		if record {
			sc.set(key, start)
		}
	}
	sc.value(key, record)
}

// value skips one value, recording array elements as key[n] and inline
// table members as key.member.
func (sc *scanner) value(key string, record bool) {
	sc.skipSpace(false)
	if sc.eof() {
		return
	}
	switch sc.s[sc.i] {
	case '"':
		sc.basicString()
	case '\'':
		sc.literalString()
	case '[':
		sc.i++
		for n := 0; ; {
			sc.skipSpace(true)
			if sc.eof() {
				return
			}
			switch sc.s[sc.i] {
			case ']':
				sc.i++
				return
			case ',':
				sc.i++
				continue
			}
			start := sc.i
			el := indexKey(key, n)
			if record {
				sc.set(el, start)
			}
			sc.value(el, record)
			if sc.i == start {
				sc.i++
			}
			n++
		}
	case '{':
		sc.i++
		for {
			sc.skipSpace(true)
			if sc.eof() {
				return
			}
			switch sc.s[sc.i] {
			case '}':
				sc.i++
				return
			case ',':
				sc.i++
				continue
			}
			start := sc.i
			sc.keyValue(key, record)
			if sc.i == start {
				sc.i++
			}
		}
	default:
		for !sc.eof() && !strings.ContainsRune(" \t\r\n,]}#", rune(sc.s[sc.i])) {
			sc.i++
		}
	}
}

// basicString skips "..." or """...""" starting at the opening quote.
func (sc *scanner) basicString() {
	if strings.HasPrefix(sc.s[sc.i:], `"""`) {
		sc.i += 3
		for !sc.eof() {
			switch {
			case sc.s[sc.i] == '\\':
				sc.i += 2
			case strings.HasPrefix(sc.s[sc.i:], `"""`):
				sc.i += 3
				for n := 0; n < 2 && sc.peek(0) == '"'; n++ {
					sc.i++
				}
				return
			default:
				sc.i++
			}
		}
		sc.i = min(sc.i, len(sc.s))
		return
	}
	sc.i++
	for !sc.eof() {
		switch sc.s[sc.i] {
		case '\\':
			sc.i += 2
		case '"':
			sc.i++
			return
		case '\n':
			return
		default:
			sc.i++
		}
	}
	sc.i = min(sc.i, len(sc.s))
}

// literalString skips '...' or ”'...”' starting at the opening quote.
func (sc *scanner) literalString() {
	if strings.HasPrefix(sc.s[sc.i:], "'''") {
		sc.i += 3
		j := strings.Index(sc.s[sc.i:], "'''")
		if j < 0 {
			sc.i = len(sc.s)
			return
		}
		sc.i += j + 3
		for n := 0; n < 2 && sc.peek(0) == '\''; n++ {
			sc.i++
		}
		return
	}
	sc.i++
	for !sc.eof() {
		switch sc.s[sc.i] {
		case '\'':
			sc.i++
			return
		case '\n':
			return
		}
		sc.i++
	}
}
