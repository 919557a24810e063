package conf

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Limits checked by validation.
const (
	MaxLcore     = 127 // RTE_MAX_LCORE 128 in the default DPDK build
	MaxBurst     = 64
	MinMbufs     = 1023
	MaxMbufCache = 512 // RTE_MEMPOOL_CACHE_MAX_SIZE
	MinDesc      = 64
	MaxDesc      = 8192
	MinMemory    = 64
	MinMTU       = 68
	MaxMTU       = 9600
	MaxVNI       = 1<<24 - 1
	MaxVLAN      = 4094
	MaxSegments  = 11  // an SRv6 template of 14 + 40 + 8 + 16n bytes fits TF_HDR_MAX (240)
	MaxSIDs      = 256 // TF_MAX_SIDS
)

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	pciRE  = regexp.MustCompile(`^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[01][0-9a-fA-F]\.[0-7]$`)
	drvRE  = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
)

var logLevels = []string{"emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"}

// Validate checks c by the rules Parse applies after decoding, for a config
// built or changed in code (the CLI's add commands produce the same structs).
// It applies no defaults. Its errors carry keys but no file or line.
func (c *Config) Validate() error {
	ch := &checker{}
	ch.config(c)
	if len(ch.errs) > 0 {
		return ch.errs
	}
	return nil
}

type checker struct {
	file    string
	lines   lineIndex       // nil: no source text
	defined map[string]bool // keys written in the file; nil: all count as written
	errs    Errors
}

func (ch *checker) has(key string) bool { return ch.defined == nil || ch.defined[key] }

// at returns the first of keys that is written in the file, else the first:
// an error about a defaulted value points at the key it defaulted from.
func (ch *checker) at(keys ...string) string {
	for _, k := range keys {
		if ch.has(k) {
			return k
		}
	}
	return keys[0]
}

func (ch *checker) line(key string) int {
	if ch.lines == nil {
		return 0
	}
	return max(ch.lines.line(key), 1)
}

func (ch *checker) errorf(key, format string, args ...any) {
	ch.errorAt(key, key, format, args...)
}

// errorAt reports key at the line of lineKey (an array element, say).
func (ch *checker) errorAt(key, lineKey, format string, args ...any) {
	ch.errs = append(ch.errs, &Error{File: ch.file, Line: ch.line(lineKey), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// ref names an earlier definition in a message: "port[0]" or "port[0] (line 3)".
func (ch *checker) ref(key string) string {
	if n := ch.line(key); n > 0 {
		return fmt.Sprintf("%s (line %d)", key, n)
	}
	return key
}

func (ch *checker) config(c *Config) {
	ch.eal(&c.EAL)
	ch.dataplane(c)
	ch.ports(c)
	ch.nexthops(c)
	ch.tunnels(c)
	ch.routes(c)
	ch.l2(c)
	ch.sids(c)
	ch.control(&c.Control)
	ch.ipsec(c)
}

// control: the socket must be an absolute path (or "none"); metrics a
// loopback HOST:PORT (the --metrics-any flag is the only way off loopback).
func (ch *checker) control(c *Control) {
	if c.Socket != "" && c.Socket != "none" && !filepath.IsAbs(c.Socket) {
		ch.errorf("control.socket", "%q: want an absolute path, or \"none\"", c.Socket)
	}
	if c.Metrics == "" {
		return
	}
	host, _, err := net.SplitHostPort(c.Metrics)
	if err != nil {
		ch.errorf("control.metrics", "%q: want HOST:PORT, e.g. \"127.0.0.1:9469\"", c.Metrics)
		return
	}
	if a, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !a.IsLoopback()) {
		ch.errorf("control.metrics", "%q is not a loopback address: counters would be open to the network", c.Metrics)
	}
}

func (ch *checker) eal(e *EAL) {
	if e.MainLcore < 0 || e.MainLcore > MaxLcore {
		ch.errorf("eal.main_lcore", "%d out of range 0..%d", e.MainLcore, MaxLcore)
	}
	if e.MemoryMB < MinMemory {
		ch.errorf("eal.memory_mb", "%d is too small: at least %d", e.MemoryMB, MinMemory)
	}
	if !nameRE.MatchString(e.FilePrefix) {
		ch.errorf("eal.file_prefix", "%q: want a non-empty name of letters, digits, '_', '.', '-'", e.FilePrefix)
	}
	if !validLogLevel(e.LogLevel) {
		ch.errorf("eal.log_level", "%q: want one of %s or 1..8, optionally after \"type:\"", e.LogLevel, strings.Join(logLevels, ", "))
	}
}

func validLogLevel(s string) bool {
	lvl := s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if i == 0 {
			return false
		}
		lvl = s[i+1:]
	}
	if n, err := strconv.Atoi(lvl); err == nil {
		return n >= 1 && n <= 8
	}
	for _, l := range logLevels {
		if lvl == l {
			return true
		}
	}
	return false
}

func (ch *checker) dataplane(c *Config) {
	dp := &c.Dataplane
	const wk = "dataplane.workers"
	if len(dp.Workers) == 0 {
		ch.errorf(wk, "at least one worker lcore is required")
	}
	seen := map[int]int{}
	for i, w := range dp.Workers {
		switch {
		case w < 0 || w > MaxLcore:
			ch.errorAt(wk, indexKey(wk, i), "lcore %d out of range 0..%d", w, MaxLcore)
		case w == c.EAL.MainLcore:
			key, lk := wk, indexKey(wk, i)
			if !ch.has(wk) {
				key, lk = "eal.main_lcore", "eal.main_lcore"
			}
			ch.errorAt(key, lk, "lcore %d is the main lcore (eal.main_lcore); workers need lcores of their own", w)
		}
		if j, ok := seen[w]; ok {
			ch.errorAt(wk, indexKey(wk, i), "lcore %d listed twice (workers[%d] and workers[%d])", w, j, i)
		} else {
			seen[w] = i
		}
	}
	if dp.Mbufs < MinMbufs {
		ch.errorf("dataplane.mbufs", "%d is too small: at least %d", dp.Mbufs, MinMbufs)
	}
	if dp.MbufCache < 0 || dp.MbufCache > MaxMbufCache ||
		dp.Mbufs >= MinMbufs && float64(dp.MbufCache) > float64(dp.Mbufs)/1.5 {
		ch.errorf("dataplane.mbuf_cache", "%d: want 0..%d and at most mbufs/1.5 (%d)", dp.MbufCache, MaxMbufCache, int(float64(dp.Mbufs)/1.5))
	}
	for _, d := range []struct {
		key string
		n   int
	}{{"dataplane.rx_desc", dp.RxDesc}, {"dataplane.tx_desc", dp.TxDesc}} {
		if d.n < MinDesc || d.n > MaxDesc || d.n&(d.n-1) != 0 {
			ch.errorf(d.key, "%d: want a power of two in %d..%d", d.n, MinDesc, MaxDesc)
		}
	}
	if dp.Burst < 1 || dp.Burst > MaxBurst {
		ch.errorf("dataplane.burst", "%d out of range 1..%d", dp.Burst, MaxBurst)
	}
	if dp.IdleUs < 0 {
		ch.errorf("dataplane.idle_us", "%d must not be negative", dp.IdleUs)
	}
	if dp.ICMPErrorRate < 0 {
		ch.errorf("dataplane.icmp_error_rate", "%d must not be negative", dp.ICMPErrorRate)
	}
	if dp.ICMPErrorBurst < 0 {
		ch.errorf("dataplane.icmp_error_burst", "%d must not be negative", dp.ICMPErrorBurst)
	}
}

// checkName reports a missing, malformed or duplicate name; seen maps names to
// the key of their first table.
func (ch *checker) checkName(k, name, what string, seen map[string]string) {
	nk := k + ".name"
	switch {
	case name == "":
		ch.errorf(nk, "a %s needs a name", what)
	case !nameRE.MatchString(name):
		ch.errorf(nk, "%q: a name is letters, digits, '_', '.' and '-'", name)
	case seen[name] != "":
		ch.errorf(nk, "%s name %q already used by %s", what, name, ch.ref(seen[name]))
	default:
		seen[name] = k
	}
}

// checkUnicast rejects a zone, the unspecified, loopback and multicast addresses.
func (ch *checker) checkUnicast(key string, a netip.Addr) bool {
	switch {
	case a.Zone() != "":
		ch.errorf(key, "%s: zones are not allowed", a)
	case a.IsUnspecified() || a.IsLoopback() || a.IsMulticast():
		ch.errorf(key, "%s is not a unicast address", a)
	default:
		return true
	}
	return false
}

func (ch *checker) ports(c *Config) {
	if len(c.Ports) == 0 {
		ch.errorf("port", "at least one [[port]] is required")
	}
	names := map[string]string{}
	devs := map[string]string{}
	addrs := map[netip.Addr]string{}
	for i := range c.Ports {
		p := &c.Ports[i]
		k := indexKey("port", i)
		ch.checkName(k, p.Name, "port", names)

		switch {
		case p.PCI != "" && p.Vdev != "":
			ch.errorf(k+".vdev", "set only one of pci and vdev")
		case p.PCI == "" && p.Vdev == "":
			ch.errorf(k, "one of pci or vdev is required")
		case p.PCI != "":
			if !pciRE.MatchString(p.PCI) {
				ch.errorf(k+".pci", "%q: want a PCI address DDDD:BB:DD.F, e.g. 0000:01:00.0", p.PCI)
			} else if prev := devs[strings.ToLower(p.PCI)]; prev != "" {
				ch.errorf(k+".pci", "device %s already used by %s", p.PCI, ch.ref(prev))
			} else {
				devs[strings.ToLower(p.PCI)] = k
			}
		default:
			drv, _, _ := strings.Cut(p.Vdev, ",")
			if !drvRE.MatchString(drv) {
				ch.errorf(k+".vdev", "%q: want \"driver_nameN[,key=value...]\", e.g. \"net_pcap0,iface=eth0\"", p.Vdev)
			} else if prev := devs[drv]; prev != "" {
				ch.errorf(k+".vdev", "device %s already used by %s", drv, ch.ref(prev))
			} else {
				devs[drv] = k
			}
		}

		switch p.Side {
		case SideInner, SideUnderlay:
		case "":
			ch.errorf(k+".side", "side is required: %q or %q", SideInner, SideUnderlay)
		default:
			ch.errorf(k+".side", "%q: want %q or %q", p.Side, SideInner, SideUnderlay)
		}
		if p.MTU < MinMTU || p.MTU > MaxMTU {
			ch.errorf(k+".mtu", "%d out of range %d..%d", p.MTU, MinMTU, MaxMTU)
		}
		if p.MAC.IsMulticast() {
			ch.errorf(k+".mac", "%s is a multicast address; a port needs a unicast MAC", p.MAC)
		}
		ak := k + ".addresses"
		for j, a := range p.Addresses {
			ek := indexKey(ak, j)
			if !a.IsValid() {
				ch.errorAt(ak, ek, "empty prefix: want an address with its prefix length, e.g. \"192.0.2.1/24\"")
				continue
			}
			if !ch.checkUnicastAt(ak, ek, a.Addr()) {
				continue
			}
			if prev, ok := addrs[a.Addr()]; ok {
				ch.errorAt(ak, ek, "address %s already assigned in %s", a.Addr(), prev)
				continue
			}
			addrs[a.Addr()] = ak
		}
	}
}

func (ch *checker) checkUnicastAt(key, lineKey string, a netip.Addr) bool {
	n := len(ch.errs)
	ok := ch.checkUnicast(key, a)
	if !ok && ch.lines != nil {
		ch.errs[n].Line = ch.line(lineKey)
	}
	return ok
}

func (ch *checker) nexthops(c *Config) {
	seen := map[netip.Addr]string{}
	for i := range c.Nexthops {
		nh := &c.Nexthops[i]
		k := indexKey("nexthop", i)
		if !nh.IP.IsValid() {
			ch.errorf(k+".ip", "ip is required")
		} else if ch.checkUnicast(k+".ip", nh.IP) {
			if prev, ok := seen[nh.IP]; ok {
				ch.errorf(k+".ip", "next hop %s already defined in %s", nh.IP, ch.ref(prev))
			} else {
				seen[nh.IP] = k
			}
		}
		switch {
		case nh.MAC.IsZero():
			ch.errorf(k+".mac", "mac is required")
		case nh.MAC.IsMulticast():
			ch.errorf(k+".mac", "%s is a multicast address; a next hop needs a unicast MAC", nh.MAC)
		}
		if nh.Port == "" {
			ch.errorf(k+".port", "port is required")
		} else if _, p := c.Port(nh.Port); p == nil {
			ch.errorf(k+".port", "no [[port]] named %q", nh.Port)
		}
	}
}

// portOfAddr returns the port that has a as one of its addresses.
func (c *Config) portOfAddr(a netip.Addr) *Port {
	for i := range c.Ports {
		for _, pfx := range c.Ports[i].Addresses {
			if pfx.Addr() == a {
				return &c.Ports[i]
			}
		}
	}
	return nil
}

func (ch *checker) tunnels(c *Config) {
	names := map[string]string{}
	type greKey struct {
		local, remote netip.Addr
		hasKey        bool
		key           uint32
	}
	type vxlanKey struct {
		local netip.Addr
		port  int
		vni   uint32
	}
	gres := map[greKey]string{}
	vxlans := map[vxlanKey]string{}
	l2tps := map[l2tpKey]string{}
	udpPorts := map[int]string{}
	for i := range c.SAs {
		if c.SAs[i].UDPEncap && c.SAs[i].Dir == SAIn { // RFC 3948: the gateway listens on 4500
			udpPorts[4500] = "esp (" + ch.ref(indexKey("sa", i)) + ".udp_encap)"
		}
	}
	for i := range c.Tunnels {
		t := &c.Tunnels[i]
		k := indexKey("tunnel", i)
		ch.checkName(k, t.Name, "tunnel", names)

		var addrsOK bool
		if t.Type == TunnelSRv6 {
			ch.srv6Tunnel(c, k, t)
		} else {
			addrsOK = ch.tunnelAddrs(c, k, t)
			if len(t.Segments) > 0 {
				ch.errorf(k+".segments", "segments are for srv6 tunnels, not %s", t.Type)
			}
			if t.Mode != "" {
				ch.errorf(k+".mode", "mode is for srv6 tunnels, not %s", t.Type)
			}
		}

		if t.TTL < 1 || t.TTL > 255 {
			ch.errorf(k+".ttl", "%d out of range 1..255", t.TTL)
		}
		// written in the file; a config built in code (Validate) has the default true
		if t.Local.Is6() && (ch.defined != nil && ch.has(k+".df") || ch.defined == nil && t.DF != nil && !*t.DF) {
			ch.errorf(k+".df", "df is for an IPv4 underlay: IPv6 routers never fragment")
		}
		if !t.DSCP.Copy && t.DSCP.Value > 63 {
			ch.errorf(k+".dscp", "%d out of range 0..63", t.DSCP.Value)
		}
		ch.tunnelKeysFor(k, t)

		switch t.Type {
		case TunnelGRE:
			if t.VNI != 0 {
				ch.errorf(k+".vni", "vni is for vxlan tunnels; a gre tunnel is told apart by its key")
			}
			if t.DstPort != 0 {
				ch.errorf(k+".dst_port", "dst_port is for vxlan tunnels, not gre")
			}
			if t.SrcPortRange != [2]int{} {
				ch.errorf(k+".src_port_range", "src_port_range is for vxlan tunnels, not gre")
			}
			if addrsOK {
				gk := greKey{local: t.Local, remote: t.Remote}
				if t.Key != nil {
					gk.hasKey, gk.key = true, *t.Key
				}
				if prev, ok := gres[gk]; ok {
					what := "no key"
					if gk.hasKey {
						what = fmt.Sprintf("key %d", gk.key)
					}
					ch.errorf(ch.at(k+".key", k+".remote"), "gre tunnel %s -> %s with %s already defined in %s: give one of them a different key", t.Local, t.Remote, what, ch.ref(prev))
				} else {
					gres[gk] = k
				}
			}
		case TunnelVXLAN:
			if !ch.has(k + ".vni") {
				ch.errorf(k+".vni", "vni is required for a vxlan tunnel (0..%d)", MaxVNI)
			} else if t.VNI > MaxVNI {
				ch.errorf(k+".vni", "%d out of range 0..%d (24 bits)", t.VNI, MaxVNI)
			}
			if t.Key != nil {
				ch.errorf(k+".key", "key is for gre tunnels; a vxlan tunnel is told apart by its vni")
			}
			if t.Seq {
				ch.errorf(k+".seq", "seq is for gre tunnels, not vxlan")
			}
			if t.Checksum {
				ch.errorf(k+".checksum", "checksum is for gre tunnels, not vxlan")
			}
			if t.Local.Is4() {
				if t.UDP6ZeroCsumTx {
					ch.errorf(k+".udp6_zero_csum_tx", "udp6_zero_csum_tx is for a tunnel over IPv6 (over IPv4 VXLAN sends a zero UDP checksum)")
				}
				if t.UDP6ZeroCsumRx {
					ch.errorf(k+".udp6_zero_csum_rx", "udp6_zero_csum_rx is for a tunnel over IPv6 (over IPv4 VXLAN accepts a zero UDP checksum)")
				}
			}
			if t.DstPort < 1 || t.DstPort > 65535 {
				ch.errorf(k+".dst_port", "%d out of range 1..65535", t.DstPort)
			}
			if lo, hi := t.SrcPortRange[0], t.SrcPortRange[1]; lo < 1 || hi > 65535 || lo > hi {
				ch.errorf(k+".src_port_range", "[%d, %d]: want [first, last] with 1 <= first <= last <= 65535", lo, hi)
			}
			if addrsOK {
				vk := vxlanKey{t.Local, t.DstPort, t.VNI}
				if prev, ok := vxlans[vk]; ok {
					ch.errorf(ch.at(k+".vni", k), "vxlan vni %d on %s port %d already used by %s", t.VNI, t.Local, t.DstPort, ch.ref(prev))
				} else {
					vxlans[vk] = k
				}
			}
		case TunnelL2TPv2, TunnelL2TPv3:
			ch.l2tp(k, t)
			if addrsOK {
				lk := l2tpKey{t.Type, t.Local, t.Remote, t.DstPort, t.SessionID}
				what := fmt.Sprintf("session %d", t.SessionID)
				if t.Type == TunnelL2TPv2 {
					lk.id |= t.TunnelID << 16
					what = fmt.Sprintf("tunnel %d session %d", t.TunnelID, t.SessionID)
				}
				if prev, ok := l2tps[lk]; ok {
					ch.errorf(ch.at(k+".session_id", k), "%s %s -> %s with %s already defined in %s: give one of them another session_id", t.Type, t.Local, t.Remote, what, ch.ref(prev))
				} else {
					l2tps[lk] = k
				}
			}
		case TunnelSRv6:
		case "":
			ch.errorf(k+".type", "type is required: %s", tunnelTypes)
		default:
			ch.errorf(k+".type", "%q: want %s", t.Type, tunnelTypes)
		}
		ch.udpPort(k, t, udpPorts)
		if t.SA != "" && t.Type == TunnelGRE {
			ch.tunnelSA(c, k, t)
		}
	}
}

const tunnelTypes = `"gre", "vxlan", "l2tpv2", "l2tpv3" or "srv6"`

// udpProto is what a tunnel's UDP port carries: one protocol per port
// (the classifier dispatches on the destination port alone); L2TPv2 and
// L2TPv3 share a port, told apart by their version field.
func udpProto(t *Tunnel) string {
	switch {
	case t.Type == TunnelVXLAN:
		return "vxlan"
	case t.Type == TunnelL2TPv2, t.Type == TunnelL2TPv3 && t.Encap == EncapUDP:
		return "l2tp"
	}
	return ""
}

func (ch *checker) udpPort(k string, t *Tunnel, seen map[int]string) {
	p := udpProto(t)
	if p == "" || t.DstPort < 1 || t.DstPort > 65535 {
		return
	}
	if prev, ok := seen[t.DstPort]; ok && !strings.HasPrefix(prev, p+" ") {
		ch.errorf(ch.at(k+".dst_port", k+".type"), "udp port %d already carries %s: one protocol per UDP port", t.DstPort, prev)
		return
	}
	if _, ok := seen[t.DstPort]; !ok {
		seen[t.DstPort] = p + " (" + ch.ref(k) + ")"
	}
}

type l2tpKey struct {
	typ           string
	local, remote netip.Addr
	port          int // 0 over IP
	id            uint32
}

// tunnelKeys: keys that only some tunnel types take, with whether t sets
// them (by value, as Validate sees a config built in code). new marks the
// keys GRE and VXLAN tunnels check here; they check the older ones themselves.
var tunnelKeys = []struct {
	key   string
	types []string
	isNew bool
	set   func(t *Tunnel) bool
}{
	{"key", []string{TunnelGRE}, false, func(t *Tunnel) bool { return t.Key != nil }},
	{"checksum", []string{TunnelGRE}, false, func(t *Tunnel) bool { return t.Checksum }},
	{"seq", []string{TunnelGRE, TunnelL2TPv3}, false, func(t *Tunnel) bool { return t.Seq }},
	{"vni", []string{TunnelVXLAN}, false, func(t *Tunnel) bool { return t.VNI != 0 }},
	{"src_port_range", []string{TunnelVXLAN}, false, func(t *Tunnel) bool { return t.SrcPortRange != [2]int{} }},
	{"tunnel_id", []string{TunnelL2TPv2}, true, func(t *Tunnel) bool { return t.TunnelID != 0 }},
	{"peer_tunnel_id", []string{TunnelL2TPv2}, true, func(t *Tunnel) bool { return t.PeerTunnelID != 0 }},
	{"session_id", []string{TunnelL2TPv2, TunnelL2TPv3}, true, func(t *Tunnel) bool { return t.SessionID != 0 }},
	{"peer_session_id", []string{TunnelL2TPv2, TunnelL2TPv3}, true, func(t *Tunnel) bool { return t.PeerSessionID != 0 }},
	{"ppp_addr_ctrl", []string{TunnelL2TPv2}, true, func(t *Tunnel) bool { return t.PPPAddrCtrl != nil }},
	{"length_bit", []string{TunnelL2TPv2}, true, func(t *Tunnel) bool { return t.LengthBit }},
	{"encap", []string{TunnelL2TPv3}, true, func(t *Tunnel) bool { return t.Encap != "" }},
	{"cookie", []string{TunnelL2TPv3}, true, func(t *Tunnel) bool { return len(t.Cookie) != 0 }},
	{"peer_cookie", []string{TunnelL2TPv3}, true, func(t *Tunnel) bool { return len(t.PeerCookie) != 0 }},
	{"l2_sublayer", []string{TunnelL2TPv3}, true, func(t *Tunnel) bool { return t.L2Sublayer }},
	{"sa", []string{TunnelGRE}, true, func(t *Tunnel) bool { return t.SA != "" }},
}

// tunnelKeysFor reports the type-specific keys t sets that its type does not take.
func (ch *checker) tunnelKeysFor(k string, t *Tunnel) {
	l2tp := t.Type == TunnelL2TPv2 || t.Type == TunnelL2TPv3
	for _, tk := range tunnelKeys {
		if !tk.set(t) || !tk.isNew && !l2tp {
			continue
		}
		ok := false
		for _, ty := range tk.types {
			ok = ok || ty == t.Type
		}
		if !ok {
			ch.errorf(k+"."+tk.key, "%s is for %s tunnels, not %s", tk.key, strings.Join(tk.types, " and "), t.Type)
		}
	}
}

// l2tp checks the keys of an L2TPv2 or L2TPv3 tunnel.
func (ch *checker) l2tp(k string, t *Tunnel) {
	idMax := uint32(0xffff)
	if t.Type == TunnelL2TPv3 {
		idMax = 0xffffffff
	}
	ids := []struct {
		key string
		v   uint32
	}{{"session_id", t.SessionID}, {"peer_session_id", t.PeerSessionID}}
	if t.Type == TunnelL2TPv2 {
		ids = append([]struct {
			key string
			v   uint32
		}{{"tunnel_id", t.TunnelID}, {"peer_tunnel_id", t.PeerTunnelID}}, ids...)
	}
	for _, id := range ids {
		switch {
		case !ch.has(k + "." + id.key):
			ch.errorf(k+"."+id.key, "%s is required for an %s tunnel (1..%d)", id.key, t.Type, idMax)
		case id.v == 0 || id.v > idMax:
			// RFC 2661 3.1, RFC 3931 4.1: id 0 is the control connection's
			ch.errorf(k+"."+id.key, "%d out of range 1..%d (0 is reserved for control messages)", id.v, idMax)
		}
	}
	udp, encapOK := true, true
	if t.Type == TunnelL2TPv3 {
		switch t.Encap {
		case EncapUDP:
		case EncapIP:
			udp = false
		default:
			ch.errorf(k+".encap", "%q: want %q or %q (IP protocol 115)", t.Encap, EncapUDP, EncapIP)
			encapOK = false
		}
		for _, c := range []struct {
			key string
			v   Hex
		}{{"cookie", t.Cookie}, {"peer_cookie", t.PeerCookie}} {
			if n := len(c.v); n != 0 && n != 4 && n != 8 {
				ch.errorf(k+"."+c.key, "%d bytes: a cookie is 0, 4 or 8 bytes (RFC 3931 4.1)", n)
			}
		}
		if t.Seq && !t.L2Sublayer {
			ch.errorf(k+".seq", "seq needs l2_sublayer = true: the sequence number is carried in the L2-specific sublayer")
		}
	}
	switch {
	case !encapOK: // the port depends on the encapsulation
	case udp:
		if t.DstPort < 1 || t.DstPort > 65535 {
			ch.errorf(k+".dst_port", "%d out of range 1..65535", t.DstPort)
		}
	case t.DstPort != 0:
		ch.errorf(k+".dst_port", "dst_port is for encap = %q; encap = %q has no port", EncapUDP, EncapIP)
	}
	for _, z := range []struct {
		key string
		on  bool
	}{{"udp6_zero_csum_tx", t.UDP6ZeroCsumTx}, {"udp6_zero_csum_rx", t.UDP6ZeroCsumRx}} {
		switch {
		case !z.on:
		case !udp:
			ch.errorf(k+"."+z.key, "%s is for L2TP over UDP, not encap = %q", z.key, EncapIP)
		case t.Local.Is4():
			ch.errorf(k+"."+z.key, "%s is for a tunnel over IPv6 (over IPv4 a zero UDP checksum is always accepted)", z.key)
		}
	}
}

// tunnelAddrs checks local, remote and nexthop; it reports whether local and
// remote are usable as a lookup key.
func (ch *checker) tunnelAddrs(c *Config, k string, t *Tunnel) bool {
	lk, rk := k+".local", k+".remote"
	ok := true
	if !t.Local.IsValid() {
		ch.errorf(lk, "local is required: the gateway's own underlay address")
		ok = false
	} else if !ch.checkUnicast(lk, t.Local) {
		ok = false
	}
	if !t.Remote.IsValid() {
		ch.errorf(rk, "remote is required: the far endpoint's address")
		ok = false
	} else if !ch.checkUnicast(rk, t.Remote) {
		ok = false
	}
	if !ok {
		return false
	}
	switch {
	case t.Local.Is4() != t.Remote.Is4():
		ch.errorf(rk, "remote %s and local %s are of different IP families", t.Remote, t.Local)
		return false
	case t.Local == t.Remote:
		ch.errorf(rk, "remote %s is the local address", t.Remote)
		return false
	}
	switch p := c.portOfAddr(t.Local); {
	case p == nil:
		ch.errorf(lk, "%s is not an address of any underlay port: add it to an underlay port's addresses", t.Local)
	case p.Side != SideUnderlay:
		ch.errorf(lk, "%s is an address of port %q, which is not an underlay port", t.Local, p.Name)
	}

	nk := ch.at(k+".nexthop", rk)
	how := ""
	if nk == rk {
		how = " (nexthop defaults to remote)"
	}
	if !t.Nexthop.IsValid() {
		ch.errorf(nk, "nexthop must be an IP address")
		return true
	}
	if t.Nexthop.Is4() != t.Local.Is4() {
		ch.errorf(nk, "nexthop %s and local %s are of different IP families", t.Nexthop, t.Local)
		return true
	}
	_, nh := c.NexthopByIP(t.Nexthop)
	if nh == nil {
		ch.errorf(nk, "no [[nexthop]] with ip %s%s: add one with its MAC and underlay port", t.Nexthop, how)
		return true
	}
	if _, p := c.Port(nh.Port); p != nil && p.Side != SideUnderlay {
		ch.errorf(nk, "next hop %s%s is behind port %q, which is not an underlay port", t.Nexthop, how, nh.Port)
	}
	return true
}

func (ch *checker) routes(c *Config) {
	seen := map[netip.Prefix]string{}
	for i := range c.Routes {
		r := &c.Routes[i]
		k := indexKey("route", i)
		pk := k + ".prefix"
		switch {
		case !r.Prefix.IsValid():
			ch.errorf(pk, "prefix is required, e.g. \"10.1.0.0/16\"")
		case r.Prefix != r.Prefix.Masked():
			ch.errorf(pk, "%s has host bits set: write %s", r.Prefix, r.Prefix.Masked())
		default:
			if prev, ok := seen[r.Prefix]; ok {
				ch.errorf(pk, "route for %s already defined in %s", r.Prefix, ch.ref(prev))
			} else {
				seen[r.Prefix] = k
			}
		}
		switch {
		case r.SA != "":
			ch.routeSA(c, k, r)
		case r.Tunnel != "" && r.Via.IsValid():
			ch.errorf(k+".via", "set only one of tunnel and via")
		case r.Tunnel == "" && !r.Via.IsValid():
			ch.errorf(k, "one of tunnel, via or sa is required")
		case r.Tunnel != "":
			switch _, t := c.Tunnel(r.Tunnel); {
			case t == nil:
				ch.errorf(k+".tunnel", "no [[tunnel]] named %q", r.Tunnel)
			case t.CarriesEthernet():
				ch.errorf(k+".tunnel", "tunnel %q is %s, which carries Ethernet frames: bind it to an inner port with [[l2]] instead of a route", r.Tunnel, tunnelKind(t))
			}
		default:
			vk := k + ".via"
			_, nh := c.NexthopByIP(r.Via)
			if nh == nil {
				ch.errorf(vk, "no [[nexthop]] with ip %s", r.Via)
				break
			}
			if _, p := c.Port(nh.Port); p != nil && p.Side != SideInner {
				ch.errorf(vk, "next hop %s is behind port %q, which is not an inner port", r.Via, nh.Port)
			}
			if r.Prefix.IsValid() && r.Prefix.Addr().Is4() != r.Via.Is4() {
				ch.errorf(vk, "via %s and prefix %s are of different IP families", r.Via, r.Prefix)
			}
		}
	}
}

func (ch *checker) l2(c *Config) {
	type portVLAN struct {
		port string
		vlan int
	}
	bindings := map[portVLAN]string{}
	tunnels := map[string]string{}
	for i := range c.L2 {
		b := &c.L2[i]
		k := indexKey("l2", i)
		portOK := false
		switch _, p := c.Port(b.Port); {
		case b.Port == "":
			ch.errorf(k+".port", "port is required")
		case p == nil:
			ch.errorf(k+".port", "no [[port]] named %q", b.Port)
		case p.Side != SideInner:
			ch.errorf(k+".port", "port %q is not an inner port", b.Port)
		default:
			portOK = true
		}
		if b.VLAN < 0 || b.VLAN > MaxVLAN {
			ch.errorf(k+".vlan", "%d out of range 0..%d (0: untagged)", b.VLAN, MaxVLAN)
		} else if portOK {
			pv := portVLAN{b.Port, b.VLAN}
			if prev, ok := bindings[pv]; ok {
				ch.errorf(ch.at(k+".vlan", k+".port"), "port %q vlan %d already bound in %s", b.Port, b.VLAN, ch.ref(prev))
			} else {
				bindings[pv] = k
			}
		}
		switch _, t := c.Tunnel(b.Tunnel); {
		case b.Tunnel == "":
			ch.errorf(k+".tunnel", "tunnel is required")
		case t == nil:
			ch.errorf(k+".tunnel", "no [[tunnel]] named %q", b.Tunnel)
		case !t.CarriesEthernet():
			ch.errorf(k+".tunnel", "tunnel %q is %s, which carries IP packets: route into it with [[route]]; [[l2]] takes a vxlan or l2tpv3 tunnel or an srv6 one of mode %q", b.Tunnel, tunnelKind(t), SRv6EncapsL2)
		default:
			if prev, ok := tunnels[b.Tunnel]; ok {
				ch.errorf(k+".tunnel", "tunnel %q already bound in %s", b.Tunnel, ch.ref(prev))
			} else {
				tunnels[b.Tunnel] = k
			}
		}
	}
}

// tunnelKind names a tunnel's type in messages, with the mode for srv6.
func tunnelKind(t *Tunnel) string {
	if t.Type == TunnelSRv6 {
		return t.Type + " mode " + t.Mode
	}
	return t.Type
}

// srv6Tunnel checks an srv6 tunnel: an IPv6 local address, the segment
// list, the mode and a next hop on an underlay port; no GRE or VXLAN keys.
func (ch *checker) srv6Tunnel(c *Config, k string, t *Tunnel) {
	lk, sk := k+".local", k+".segments"
	switch {
	case !t.Local.IsValid():
		ch.errorf(lk, "local is required: the gateway's own underlay IPv6 address, the source of the packets")
	case !t.Local.Is6() || t.Local.Is4In6():
		ch.errorf(lk, "%s: an srv6 tunnel needs an IPv6 local address", t.Local)
	case ch.checkUnicast(lk, t.Local):
		switch p := c.portOfAddr(t.Local); {
		case p == nil:
			ch.errorf(lk, "%s is not an address of any underlay port: add it to an underlay port's addresses", t.Local)
		case p.Side != SideUnderlay:
			ch.errorf(lk, "%s is an address of port %q, which is not an underlay port", t.Local, p.Name)
		}
	}
	if t.Remote.IsValid() {
		ch.errorf(k+".remote", "an srv6 tunnel has no remote: the packets go to segments[0] first")
	}
	switch {
	case len(t.Segments) == 0:
		ch.errorf(sk, "segments are required: the SIDs to visit, in order, e.g. [\"fc00:2::1\"]")
	case len(t.Segments) > MaxSegments:
		ch.errorf(sk, "%d segments, at most %d", len(t.Segments), MaxSegments)
	}
	for j, a := range t.Segments {
		ek := indexKey(sk, j)
		switch {
		case !a.Is6() || a.Is4In6():
			ch.errorAt(sk, ek, "segments[%d] = %s: a segment is an IPv6 address", j, a)
		case a.Zone() != "" || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast():
			ch.errorAt(sk, ek, "segments[%d] = %s is not a unicast address", j, a)
		}
	}
	switch t.Mode {
	case SRv6Encaps, SRv6EncapsRed, SRv6EncapsL2, SRv6EncapsL2Red:
	default:
		ch.errorf(k+".mode", "%q: want %q, %q, %q or %q", t.Mode, SRv6Encaps, SRv6EncapsRed, SRv6EncapsL2, SRv6EncapsL2Red)
	}
	for _, o := range []struct {
		key string
		set bool
	}{{"key", t.Key != nil}, {"seq", t.Seq}, {"checksum", t.Checksum}, {"vni", t.VNI != 0 || ch.defined != nil && ch.has(k+".vni")},
		{"dst_port", t.DstPort != 0}, {"src_port_range", t.SrcPortRange != [2]int{}},
		{"udp6_zero_csum_tx", t.UDP6ZeroCsumTx}, {"udp6_zero_csum_rx", t.UDP6ZeroCsumRx}} {
		if o.set {
			ch.errorf(k+"."+o.key, "%s is not an srv6 tunnel key", o.key)
		}
	}
	nk := k + ".nexthop"
	switch _, nh := c.NexthopByIP(t.Nexthop); {
	case !t.Nexthop.IsValid():
		ch.errorf(nk, "nexthop is required for an srv6 tunnel: the underlay IPv6 neighbour towards segments[0]")
	case !t.Nexthop.Is6():
		ch.errorf(nk, "nexthop %s: an srv6 tunnel needs an IPv6 next hop", t.Nexthop)
	case nh == nil:
		ch.errorf(nk, "no [[nexthop]] with ip %s: add one with its MAC and underlay port", t.Nexthop)
	default:
		if _, p := c.Port(nh.Port); p != nil && p.Side != SideUnderlay {
			ch.errorf(nk, "next hop %s is behind port %q, which is not an underlay port", t.Nexthop, nh.Port)
		}
	}
}

// sids checks the local SID table: IPv6 prefixes without host bits, each
// once, none covering a port address (those are the gateway's own: ND,
// echo, tunnel endpoints); the keys each behaviour needs and only those.
func (ch *checker) sids(c *Config) {
	if len(c.SIDs) > MaxSIDs {
		ch.errorf("sid", "%d SIDs, at most %d", len(c.SIDs), MaxSIDs)
	}
	seen := map[netip.Prefix]string{}
	for i := range c.SIDs {
		s := &c.SIDs[i]
		k := indexKey("sid", i)
		sk := k + ".sid"
		p := s.SID.Prefix
		switch {
		case !p.IsValid():
			ch.errorf(sk, "sid is required: an IPv6 address (\"fc00:1::100\") or prefix (\"fc00:1::/64\")")
		case !p.Addr().Is6() || p.Addr().Is4In6():
			ch.errorf(sk, "%s: a SID is IPv6", s.SID)
		case p.Bits() == 0:
			ch.errorf(sk, "%s: a SID prefix needs a length of 1..128", s.SID)
		case p != p.Masked():
			ch.errorf(sk, "%s has bits set past its length: write %s", s.SID, p.Masked())
		case p.Addr().IsMulticast() || p.Addr().IsLoopback() || p.Addr().Zone() != "":
			ch.errorf(sk, "%s is not a unicast address", s.SID)
		default:
			if prev, ok := seen[p]; ok {
				ch.errorf(sk, "SID %s already defined in %s", s.SID, ch.ref(prev))
				break
			}
			seen[p] = k
			for _, port := range c.Ports {
				for _, a := range port.Addresses {
					if p.Contains(a.Addr()) {
						ch.errorf(sk, "SID %s covers %s, an address of port %q: a SID must not take the gateway's own addresses", s.SID, a.Addr(), port.Name)
					}
				}
			}
		}

		var wantNH, wantPort bool
		nhFamily, nhSide := 6, SideInner
		switch s.Behavior {
		case SIDEnd, SIDEndDT4, SIDEndDT6:
		case SIDEndX:
			wantNH, nhSide = true, SideUnderlay
		case SIDEndDX4:
			wantNH, nhFamily = true, 4
		case SIDEndDX6:
			wantNH = true
		case SIDEndDX2:
			wantPort = true
		case "":
			ch.errorf(k+".behavior", "behavior is required: one of %s", strings.Join(SIDBehaviors, ", "))
		default:
			ch.errorf(k+".behavior", "%q: want one of %s", s.Behavior, strings.Join(SIDBehaviors, ", "))
		}
		nk := k + ".nexthop"
		switch _, nh := c.NexthopByIP(s.Nexthop); {
		case !wantNH:
			if s.Nexthop.IsValid() {
				ch.errorf(nk, "nexthop is for end.x, end.dx4 and end.dx6, not %s", s.Behavior)
			}
		case !s.Nexthop.IsValid():
			ch.errorf(ch.at(nk, k+".behavior"), "%s needs a nexthop: the IPv%d neighbour (a [[nexthop]] behind an %s port) packets go to", s.Behavior, nhFamily, nhSide)
		case s.Nexthop.Is4() != (nhFamily == 4):
			ch.errorf(nk, "nexthop %s: %s forwards IPv%d, it needs an IPv%d next hop", s.Nexthop, s.Behavior, nhFamily, nhFamily)
		case nh == nil:
			ch.errorf(nk, "no [[nexthop]] with ip %s", s.Nexthop)
		default:
			if _, pt := c.Port(nh.Port); pt != nil && pt.Side != nhSide {
				ch.errorf(nk, "next hop %s is behind port %q, which is not an %s port: %s sends to the %s side", s.Nexthop, nh.Port, nhSide, s.Behavior, nhSide)
			}
		}
		pk := k + ".port"
		switch _, pt := c.Port(s.Port); {
		case !wantPort:
			if s.Port != "" {
				ch.errorf(pk, "port is for end.dx2, not %s", s.Behavior)
			}
			if s.VLAN != 0 {
				ch.errorf(k+".vlan", "vlan is for end.dx2, not %s", s.Behavior)
			}
		case s.Port == "":
			ch.errorf(ch.at(pk, k+".behavior"), "end.dx2 needs a port: the inner port the decapsulated frames leave by")
		case pt == nil:
			ch.errorf(pk, "no [[port]] named %q", s.Port)
		case pt.Side != SideInner:
			ch.errorf(pk, "port %q is not an inner port", s.Port)
		}
		if wantPort && (s.VLAN < 0 || s.VLAN > MaxVLAN) {
			ch.errorf(k+".vlan", "%d out of range 0..%d (0: untagged)", s.VLAN, MaxVLAN)
		}
	}
}
