package conf

import (
	"strconv"
	"strings"
)

// Error is one problem found in a configuration file. Key is the dotted TOML
// path of the offending key with array-of-table indices, e.g. "tunnel[2].vni"
// or "port[0].addresses"; Line is 1-based. A config built in code and checked
// with Validate has neither File nor Line.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Error formats "file:line: key: msg", leaving out the parts that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	}
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		} else {
			b.WriteString("line ")
		}
		b.WriteString(strconv.Itoa(e.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, ordered by line. Parse, Load and
// Validate return it (never empty) when a config is rejected;
// errors.As(err, &e) with e a *Error yields the first one.
type Errors []*Error

// Error lists the errors, one per line.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the errors for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
