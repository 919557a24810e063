package conf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SIDPrefix is an SRv6 SID or SID prefix: an address means its /128.
type SIDPrefix struct{ netip.Prefix }

// UnmarshalText accepts "fc00:1::100" or "fc00:1::/48".
func (p *SIDPrefix) UnmarshalText(text []byte) error {
	s := string(text)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("bad SID %q: want an IPv6 address or prefix", s)
		}
		p.Prefix = netip.PrefixFrom(a, a.BitLen())
		return nil
	}
	pf, err := netip.ParsePrefix(s)
	if err != nil {
		return fmt.Errorf("bad SID %q: want an IPv6 address or prefix", s)
	}
	p.Prefix = pf
	return nil
}

// MarshalText writes a full-length SID as its address.
func (p SIDPrefix) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// String is the address for a /128, else the prefix.
func (p SIDPrefix) String() string {
	if p.IsValid() && p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.Prefix.String()
}

const hexDigits = "0123456789abcdef"

// UnmarshalText accepts exactly six colon-separated hex pairs,
// "02:00:00:00:00:01" (either case).
func (m *MAC) UnmarshalText(text []byte) error {
	var out MAC
	if len(text) != 17 {
		return fmt.Errorf("bad MAC address %q: want six hex pairs like 02:00:00:00:00:01", text)
	}
	for i := range 6 {
		hi, ok1 := unhex(text[3*i])
		lo, ok2 := unhex(text[3*i+1])
		if !ok1 || !ok2 || (i < 5 && text[3*i+2] != ':') {
			return fmt.Errorf("bad MAC address %q: want six hex pairs like 02:00:00:00:00:01", text)
		}
		out[i] = hi<<4 | lo
	}
	*m = out
	return nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// MarshalText writes the form UnmarshalText reads.
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// String formats the address as "02:00:00:00:00:01".
func (m MAC) String() string {
	b := make([]byte, 0, 17)
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&0xf])
	}
	return string(b)
}

// IsZero reports whether m is 00:00:00:00:00:00 (not set).
func (m MAC) IsZero() bool { return m == MAC{} }

// IsMulticast reports whether the group bit is set (this includes broadcast).
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

// UnmarshalTOML accepts the string "copy" or an integer 0..63.
func (d *DSCP) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		if x != "copy" {
			return fmt.Errorf("bad DSCP %q: want \"copy\" or an integer 0..63", x)
		}
		*d = DSCP{Copy: true}
	case int64:
		if x < 0 || x > 63 {
			return fmt.Errorf("DSCP %d out of range 0..63", x)
		}
		*d = DSCP{Value: uint8(x)}
	default:
		return errors.New(`want "copy" or an integer 0..63`)
	}
	return nil
}

// MarshalTOML writes the form UnmarshalTOML reads.
func (d DSCP) MarshalTOML() ([]byte, error) {
	if d.Copy {
		return []byte(`"copy"`), nil
	}
	return []byte(strconv.Itoa(int(d.Value))), nil
}

// String is "copy" or the fixed value.
func (d DSCP) String() string {
	if d.Copy {
		return "copy"
	}
	return strconv.Itoa(int(d.Value))
}
