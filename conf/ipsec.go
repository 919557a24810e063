package conf

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
)

// IPsec: crypto devices, SAs and their selectors (a static keying gateway).

// CryptoDev is one cryptodev: a software PMD as a vdev or a device by PCI address.
type CryptoDev struct {
	Name string `toml:"name"`
	Vdev string `toml:"vdev"` // "crypto_aesni_gcm0", "crypto_aesni_mb0", "crypto_openssl0", "crypto_null0"
	PCI  string `toml:"pci"`
	Mode string `toml:"mode"` // CryptoCPU or CryptoLookaside; default: cpu where the PMD offers it
}

// Crypto modes.
const (
	CryptoCPU       = "cpu"       // synchronous CPU crypto (rte_cryptodev_sym_cpu_crypto_process)
	CryptoLookaside = "lookaside" // crypto ops enqueued and dequeued on the worker's queue pair
)

// SA directions.
const (
	SAIn  = "in"
	SAOut = "out"
)

// SA is one ESP tunnel mode security association (RFC 4303, RFC 4301).
type SA struct {
	Name    string     `toml:"name"`
	SPI     uint32     `toml:"spi"`     // 256..2^32-1 (RFC 4303 2.1)
	Dir     string     `toml:"dir"`     // SAIn or SAOut
	Local   netip.Addr `toml:"local"`   // the gateway's underlay address (tunnel source out, destination in)
	Remote  netip.Addr `toml:"remote"`  // the peer
	Nexthop netip.Addr `toml:"nexthop"` // out: underlay next hop; default Remote
	Crypto  string     `toml:"crypto"`  // [[crypto]] name; default the only one

	AEAD    string `toml:"aead"`     // "aes-128-gcm", "aes-256-gcm" (RFC 4106), or
	Cipher  string `toml:"cipher"`   // "aes-128-cbc", "aes-256-cbc", "null" with
	Auth    string `toml:"auth"`     // "hmac-sha1-96", "hmac-sha256-128", "null"
	Key     Hex    `toml:"key"`      // cipher or AEAD key
	Salt    Hex    `toml:"salt"`     // AEAD: 4 bytes
	AuthKey Hex    `toml:"auth_key"` // HMAC key

	ESN             bool   `toml:"esn"`              // 64-bit extended sequence numbers
	ReplayWindow    int    `toml:"replay_window"`    // in: 0 (off) ..4096; default 64
	UDPEncap        bool   `toml:"udp_encap"`        // RFC 3948, port 4500 both ends
	LifetimePackets uint64 `toml:"lifetime_packets"` // 0: none
	LifetimeBytes   uint64 `toml:"lifetime_bytes"`   // 0: none (inner bytes out; ESP payload in)
	SeqStart        uint64 `toml:"seq_start"`        // out: first sequence number; default 1 (resuming an SA)

	// Inner is the family of the packets the SA carries, InnerIPv4 or
	// InnerIPv6 (ESP next header 4 or 41: one per SA, as in ipsec-secgw).
	// Default: that of its policies' prefixes, else of the routes or GRE
	// tunnels that use it, else IPv4.
	Inner string `toml:"inner"`
}

// SA inner families.
const (
	InnerIPv4 = "ipv4"
	InnerIPv6 = "ipv6"
)

// CarriesIPv6 reports whether the SA carries IPv6 packets (else IPv4).
func (s *SA) CarriesIPv6() bool { return s.Inner == InnerIPv6 }

// Policy is a traffic selector of an SA (RFC 4301 4.4.1), written as the
// inner packet looks: before encryption for an outbound SA, after
// decryption for an inbound one. A packet routed into an outbound SA must
// match one of its policies; a packet an inbound SA decrypts likewise, or
// it is dropped (policy_mismatch). An SA without policies takes any packet.
type Policy struct {
	SA       string       `toml:"sa"`
	Src      netip.Prefix `toml:"src"`       // default 0.0.0.0/0
	Dst      netip.Prefix `toml:"dst"`       // default 0.0.0.0/0
	Proto    int          `toml:"proto"`     // 0: any
	SrcPorts [2]int       `toml:"src_ports"` // inclusive; default [0, 65535]
	DstPorts [2]int       `toml:"dst_ports"`
}

// Hex is a byte string written in hexadecimal, "0x" optional.
type Hex []byte

// UnmarshalText decodes hex digits.
func (h *Hex) UnmarshalText(text []byte) error {
	s := strings.TrimPrefix(strings.TrimPrefix(string(text), "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("bad hex string %q: want an even number of hex digits, e.g. \"0x0123abcd\"", text)
	}
	*h = b
	return nil
}

// MarshalText writes the form UnmarshalText reads.
func (h Hex) MarshalText() ([]byte, error) { return []byte("0x" + hex.EncodeToString(h)), nil }

// Limits of the IPsec configuration.
const (
	MaxReplayWindow     = 4096
	DefaultReplayWindow = 64
	MaxSelectorsPerSA   = 8
	MaxSAs              = 256
)

// cryptoDrivers are the software PMDs a vdev may name.
var cryptoDrivers = []string{"crypto_aesni_gcm", "crypto_aesni_mb", "crypto_openssl", "crypto_null"}

// SA returns the index and the SA named name, or -1 and nil.
func (c *Config) SA(name string) (int, *SA) {
	for i := range c.SAs {
		if c.SAs[i].Name == name {
			return i, &c.SAs[i]
		}
	}
	return -1, nil
}

// CryptoDevice returns the index and the crypto device named name, or -1 and nil.
func (c *Config) CryptoDevice(name string) (int, *CryptoDev) {
	for i := range c.Crypto {
		if c.Crypto[i].Name == name {
			return i, &c.Crypto[i]
		}
	}
	return -1, nil
}

func (d *decoder) ipsecDefaults(c *Config) {
	has := func(key string) bool { return d.defined[key] }
	for i := range c.SAs {
		s := &c.SAs[i]
		k := indexKey("sa", i)
		if !has(k+".replay_window") && s.Dir == SAIn {
			s.ReplayWindow = DefaultReplayWindow
		}
		if !has(k+".nexthop") && s.Dir == SAOut {
			s.Nexthop = s.Remote
		}
		if !has(k+".crypto") && len(c.Crypto) == 1 {
			s.Crypto = c.Crypto[0].Name
		}
		if !has(k + ".inner") {
			s.Inner = d.saInner(c, s.Name)
		}
	}
	for i := range c.Policies {
		p := &c.Policies[i]
		k := indexKey("policy", i)
		any := netip.MustParsePrefix("0.0.0.0/0")
		switch _, s := c.SA(p.SA); {
		case has(k+".src") && p.Src.Addr().Is6(), has(k+".dst") && p.Dst.Addr().Is6():
			any = netip.MustParsePrefix("::/0")
		case has(k+".src") || has(k+".dst"):
		case s != nil && s.CarriesIPv6():
			any = netip.MustParsePrefix("::/0")
		}
		if !has(k + ".src") {
			p.Src = any
		}
		if !has(k + ".dst") {
			p.Dst = any
		}
		if !has(k + ".src_ports") {
			p.SrcPorts = [2]int{0, 65535}
		}
		if !has(k + ".dst_ports") {
			p.DstPorts = [2]int{0, 65535}
		}
	}
}

// saInner is the inner family of SA name when the file does not say:
// that of the first prefix one of its policies gives, else of a route or
// a GRE tunnel using it, else IPv4.
func (d *decoder) saInner(c *Config, name string) string {
	fam := func(a netip.Addr) string {
		if a.Is6() {
			return InnerIPv6
		}
		return InnerIPv4
	}
	for i, p := range c.Policies {
		k := indexKey("policy", i)
		switch {
		case p.SA != name:
		case d.defined[k+".src"] && p.Src.IsValid():
			return fam(p.Src.Addr())
		case d.defined[k+".dst"] && p.Dst.IsValid():
			return fam(p.Dst.Addr())
		}
	}
	for _, r := range c.Routes {
		if r.SA == name && r.Prefix.IsValid() {
			return fam(r.Prefix.Addr())
		}
	}
	for _, t := range c.Tunnels {
		if t.SA == name && t.Local.IsValid() {
			return fam(t.Local)
		}
	}
	return InnerIPv4
}

// innerMismatch names the family SA s carries when a (a prefix or
// address meant for it) is of the other one, else "".
func innerMismatch(s *SA, a netip.Addr) string {
	switch {
	case !a.IsValid():
	case s.CarriesIPv6() && a.Is4():
		return "IPv6"
	case !s.CarriesIPv6() && a.Is6():
		return "IPv4"
	}
	return ""
}

func (ch *checker) ipsec(c *Config) {
	names := map[string]string{}
	devs := map[string]string{}
	for i := range c.Crypto {
		d := &c.Crypto[i]
		k := indexKey("crypto", i)
		ch.checkName(k, d.Name, "crypto device", names)
		switch {
		case d.Vdev != "" && d.PCI != "":
			ch.errorf(k+".vdev", "set only one of pci and vdev")
		case d.Vdev == "" && d.PCI == "":
			ch.errorf(k, "one of vdev or pci is required")
		case d.PCI != "":
			if !pciRE.MatchString(d.PCI) {
				ch.errorf(k+".pci", "%q: want a PCI address DDDD:BB:DD.F", d.PCI)
			}
		default:
			drv, _, _ := strings.Cut(d.Vdev, ",")
			ok := false
			for _, p := range cryptoDrivers {
				ok = ok || strings.HasPrefix(drv, p)
			}
			if !ok || !drvRE.MatchString(drv) {
				ch.errorf(k+".vdev", "%q: want one of %s followed by a number, e.g. \"crypto_aesni_gcm0\"", d.Vdev, strings.Join(cryptoDrivers, ", "))
			} else if prev := devs[drv]; prev != "" {
				ch.errorf(k+".vdev", "device %s already used by %s", drv, ch.ref(prev))
			} else {
				devs[drv] = k
			}
		}
		switch d.Mode {
		case "", CryptoCPU, CryptoLookaside:
		default:
			ch.errorf(k+".mode", "%q: want %q or %q", d.Mode, CryptoCPU, CryptoLookaside)
		}
	}
	if len(c.SAs) > MaxSAs {
		ch.errorf("sa", "%d SAs: at most %d", len(c.SAs), MaxSAs)
	}
	saNames := map[string]string{}
	type inKey struct {
		spi   uint32
		local netip.Addr
	}
	ins := map[inKey]string{}
	for i := range c.SAs {
		s := &c.SAs[i]
		k := indexKey("sa", i)
		ch.checkName(k, s.Name, "SA", saNames)
		if s.SPI < 256 {
			ch.errorf(k+".spi", "%d: SPIs 0..255 are reserved (RFC 4303 2.1); want 256..4294967295", s.SPI)
		}
		switch s.Dir {
		case SAIn, SAOut:
		case "":
			ch.errorf(k+".dir", "dir is required: %q or %q", SAIn, SAOut)
		default:
			ch.errorf(k+".dir", "%q: want %q or %q", s.Dir, SAIn, SAOut)
		}
		ch.saAddrs(c, k, s)
		if s.Dir == SAIn && s.Local.IsValid() && s.SPI >= 256 {
			ik := inKey{s.SPI, s.Local}
			if prev, ok := ins[ik]; ok {
				ch.errorf(k+".spi", "inbound SPI %#x to %s already used by %s", s.SPI, s.Local, ch.ref(prev))
			} else {
				ins[ik] = k
			}
		}
		switch {
		case s.Crypto == "" && len(c.Crypto) == 0:
			ch.errorf(k, "an SA needs a crypto device: add a [[crypto]] table")
		case s.Crypto == "":
			ch.errorf(k+".crypto", "crypto is required when there are several [[crypto]] devices")
		default:
			if _, d := c.CryptoDevice(s.Crypto); d == nil {
				ch.errorf(k+".crypto", "no [[crypto]] named %q", s.Crypto)
			}
		}
		ch.saAlgo(k, s)
		switch s.Inner {
		case "", InnerIPv4, InnerIPv6:
		default:
			ch.errorf(k+".inner", "%q: want %q or %q (the family of the packets the SA carries)", s.Inner, InnerIPv4, InnerIPv6)
		}
		if s.ReplayWindow < 0 || s.ReplayWindow > MaxReplayWindow {
			ch.errorf(k+".replay_window", "%d out of range 0..%d", s.ReplayWindow, MaxReplayWindow)
		} else if s.Dir == SAOut && s.ReplayWindow != 0 {
			ch.errorf(k+".replay_window", "the anti-replay window is a receiver's: set it on the inbound SA")
		}
	}
	for i := range c.SAs {
		ch.saSeqStart(indexKey("sa", i), &c.SAs[i])
	}
	nsel := map[string]int{}
	for i := range c.Policies {
		p := &c.Policies[i]
		k := indexKey("policy", i)
		_, s := c.SA(p.SA)
		if p.SA == "" {
			ch.errorf(k+".sa", "sa is required")
		} else if s == nil {
			ch.errorf(k+".sa", "no [[sa]] named %q", p.SA)
		} else if nsel[p.SA]++; nsel[p.SA] > MaxSelectorsPerSA {
			ch.errorf(k+".sa", "SA %q has more than %d policies", p.SA, MaxSelectorsPerSA)
		}
		for _, f := range []struct {
			key string
			p   netip.Prefix
		}{{k + ".src", p.Src}, {k + ".dst", p.Dst}} {
			switch {
			case !f.p.IsValid():
				ch.errorf(f.key, "want a prefix, e.g. \"10.1.0.0/16\"")
			case s != nil && ch.has(f.key) && innerMismatch(s, f.p.Addr()) != "":
				ch.errorf(f.key, "%s: SA %q carries %s packets (its inner): one family per SA", f.p, p.SA, innerMismatch(s, f.p.Addr()))
			case f.p != f.p.Masked():
				ch.errorf(f.key, "%s has host bits set: write %s", f.p, f.p.Masked())
			}
		}
		if p.Proto < 0 || p.Proto > 255 {
			ch.errorf(k+".proto", "%d out of range 0..255 (0: any)", p.Proto)
		}
		for _, f := range []struct {
			key string
			r   [2]int
		}{{k + ".src_ports", p.SrcPorts}, {k + ".dst_ports", p.DstPorts}} {
			if f.r[0] < 0 || f.r[1] > 65535 || f.r[0] > f.r[1] {
				ch.errorf(f.key, "[%d, %d]: want [first, last] with 0 <= first <= last <= 65535", f.r[0], f.r[1])
			} else if f.r != [2]int{0, 65535} && p.Proto != 6 && p.Proto != 17 && p.Proto != 132 {
				ch.errorf(f.key, "ports need proto 6 (TCP), 17 (UDP) or 132 (SCTP)")
			}
		}
	}
}

func (ch *checker) saAddrs(c *Config, k string, s *SA) {
	lk, rk := k+".local", k+".remote"
	if !s.Local.IsValid() {
		ch.errorf(lk, "local is required: the gateway's own underlay address")
		return
	}
	if !s.Remote.IsValid() {
		ch.errorf(rk, "remote is required: the peer's address")
		return
	}
	if !ch.checkUnicast(lk, s.Local) || !ch.checkUnicast(rk, s.Remote) {
		return
	}
	if s.Local.Is4() != s.Remote.Is4() {
		ch.errorf(rk, "%s and local %s are of different families", s.Remote, s.Local)
		return
	}
	if s.Local.Is6() && s.UDPEncap {
		ch.errorf(k+".udp_encap", "UDP encapsulation (RFC 3948) is for IPv4 endpoints")
	}
	switch p := c.portOfAddr(s.Local); {
	case p == nil:
		ch.errorf(lk, "%s is not an address of any underlay port", s.Local)
	case p.Side != SideUnderlay:
		ch.errorf(lk, "%s is an address of port %q, which is not an underlay port", s.Local, p.Name)
	}
	if s.Dir != SAOut {
		if ch.has(k + ".nexthop") {
			ch.errorf(k+".nexthop", "nexthop is for outbound SAs")
		}
		return
	}
	nk := ch.at(k+".nexthop", rk)
	_, nh := c.NexthopByIP(s.Nexthop)
	if nh == nil {
		ch.errorf(nk, "no [[nexthop]] with ip %s: add one with its MAC and underlay port", s.Nexthop)
		return
	}
	if _, p := c.Port(nh.Port); p != nil && p.Side != SideUnderlay {
		ch.errorf(nk, "next hop %s is behind port %q, which is not an underlay port", s.Nexthop, nh.Port)
	}
}

// saAlgo checks the algorithm names and key lengths.
func (ch *checker) saAlgo(k string, s *SA) {
	if s.AEAD != "" {
		if s.Cipher != "" || s.Auth != "" {
			ch.errorf(k+".aead", "set either aead, or cipher and auth")
		}
		switch s.AEAD {
		case "aes-128-gcm", "aes-256-gcm":
			want := 16
			if s.AEAD == "aes-256-gcm" {
				want = 32
			}
			if len(s.Key) != want {
				ch.errorf(ch.at(k+".key", k+".aead"), "%s needs a %d-byte key, got %d", s.AEAD, want, len(s.Key))
			}
			if len(s.Salt) != 4 {
				ch.errorf(ch.at(k+".salt", k+".aead"), "%s needs a 4-byte salt (RFC 4106 4), got %d", s.AEAD, len(s.Salt))
			}
			if len(s.AuthKey) != 0 {
				ch.errorf(k+".auth_key", "an AEAD SA has no separate auth key")
			}
		default:
			ch.errorf(k+".aead", "%q: want \"aes-128-gcm\" or \"aes-256-gcm\"", s.AEAD)
		}
		return
	}
	if s.Cipher == "" {
		ch.errorf(k, "an SA needs aead, or cipher and auth")
		return
	}
	if len(s.Salt) != 0 {
		ch.errorf(k+".salt", "salt is for aead SAs")
	}
	switch s.Cipher {
	case "aes-128-cbc", "aes-256-cbc":
		want := 16
		if s.Cipher == "aes-256-cbc" {
			want = 32
		}
		if len(s.Key) != want {
			ch.errorf(ch.at(k+".key", k+".cipher"), "%s needs a %d-byte key, got %d", s.Cipher, want, len(s.Key))
		}
	case "null":
		if len(s.Key) != 0 {
			ch.errorf(k+".key", "null encryption takes no key")
		}
	default:
		ch.errorf(k+".cipher", "%q: want \"aes-128-cbc\", \"aes-256-cbc\" or \"null\"", s.Cipher)
	}
	switch s.Auth {
	case "hmac-sha1-96", "hmac-sha256-128":
		if len(s.AuthKey) == 0 || len(s.AuthKey) > 64 {
			ch.errorf(ch.at(k+".auth_key", k+".auth"), "%s needs an auth_key of 1..64 bytes, got %d", s.Auth, len(s.AuthKey))
		}
	case "null":
		if s.Cipher == "null" {
			break // ESP with neither confidentiality nor integrity: for debugging only
		}
		ch.errorf(k+".auth", "null integrity with encryption is open to cut-and-paste attacks: use an HMAC or an aead")
	case "":
		ch.errorf(k+".auth", "auth is required with cipher: \"hmac-sha1-96\", \"hmac-sha256-128\" or \"null\"")
	default:
		ch.errorf(k+".auth", "%q: want \"hmac-sha1-96\", \"hmac-sha256-128\" or \"null\"", s.Auth)
	}
}

// routeSA checks a route into an outbound SA.
func (ch *checker) routeSA(c *Config, k string, r *Route) {
	if r.Tunnel != "" || r.Via.IsValid() {
		ch.errorf(k+".sa", "set only one of tunnel, via and sa")
		return
	}
	switch _, s := c.SA(r.SA); {
	case s == nil:
		ch.errorf(k+".sa", "no [[sa]] named %q", r.SA)
	case s.Dir != SAOut:
		ch.errorf(k+".sa", "SA %q is inbound: a route needs an outbound SA", r.SA)
	case r.Prefix.IsValid() && innerMismatch(s, r.Prefix.Addr()) != "":
		ch.errorf(k+".sa", "SA %q carries %s packets (its inner), prefix %s is not of that family: one family per SA", r.SA, innerMismatch(s, r.Prefix.Addr()), r.Prefix)
	}
}

// tunnelSA checks the sa of a GRE tunnel (GRE over IPsec): an outbound SA
// whose endpoints are of the tunnel's family, which is then the family of
// the packets the SA carries (the GRE packets themselves).
func (ch *checker) tunnelSA(c *Config, k string, t *Tunnel) {
	_, s := c.SA(t.SA)
	switch {
	case s == nil:
		ch.errorf(k+".sa", "no [[sa]] named %q", t.SA)
	case s.Dir != SAOut:
		ch.errorf(k+".sa", "SA %q is inbound: a tunnel's packets need an outbound SA", t.SA)
	case !t.Local.IsValid() || !s.Local.IsValid():
	case t.Local.Is4() != s.Local.Is4():
		ch.errorf(k+".sa", "SA %q has %s endpoints, tunnel %q an %s underlay: the families must match", t.SA, family(s.Local), t.Name, family(t.Local))
	case innerMismatch(s, t.Local) != "":
		ch.errorf(k+".sa", "SA %q carries %s packets (its inner), the tunnel's GRE packets are %s", t.SA, innerMismatch(s, t.Local), family(t.Local))
	}
}

func family(a netip.Addr) string {
	if a.Is6() {
		return "IPv6"
	}
	return "IPv4"
}

// PortOfAddr returns the port that has a as one of its addresses, or nil.
func (c *Config) PortOfAddr(a netip.Addr) *Port { return c.portOfAddr(a) }

// saSeqStart checks seq_start: outbound only, inside the sequence space.
func (ch *checker) saSeqStart(k string, s *SA) {
	switch {
	case s.SeqStart == 0: // default: 1
	case s.Dir != SAOut:
		ch.errorf(k+".seq_start", "seq_start is for outbound SAs: a receiver learns the sequence from the packets")
	case !s.ESN && s.SeqStart > 0xffffffff:
		ch.errorf(k+".seq_start", "%d: without esn the sequence number is 32 bits (at most 4294967295)", s.SeqStart)
	}
}
