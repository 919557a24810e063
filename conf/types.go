// Package conf is tunfwd's configuration model: TOML decoding (strict: an
// unknown key is an error), defaults and validation with messages that name
// the key and the line. The structs are plain data; package dataplane turns a
// validated Config into live DPDK state.
package conf

import "net/netip"

// Config is one tunfwd configuration file.
type Config struct {
	EAL       EAL         `toml:"eal"`
	Dataplane Dataplane   `toml:"dataplane"`
	Ports     []Port      `toml:"port"`
	Nexthops  []Nexthop   `toml:"nexthop"`
	Tunnels   []Tunnel    `toml:"tunnel"`
	Routes    []Route     `toml:"route"`
	L2        []L2Binding `toml:"l2"`
	SIDs      []SID       `toml:"sid"`
	Control   Control     `toml:"control"`
	Crypto    []CryptoDev `toml:"crypto"` // see ipsec.go
	SAs       []SA        `toml:"sa"`
	Policies  []Policy    `toml:"policy"`
}

// Control configures how operators reach a running instance. The command
// line flags --ctl-socket and --metrics override it.
type Control struct {
	Socket  string `toml:"socket"`  // Unix socket for tunfwd ctl; "" = /run/tunfwd/<file_prefix>.sock, "none" = no socket
	Metrics string `toml:"metrics"` // Prometheus listen address (loopback HOST:PORT); "" = off
}

// EAL holds the DPDK environment arguments.
type EAL struct {
	MainLcore  int      `toml:"main_lcore"`  // default 0
	Lcores     string   `toml:"lcores"`      // raw --lcores map, e.g. "(0-3)@(0-1)"; default: main + workers
	MemoryMB   int      `toml:"memory_mb"`   // -m; default 512
	Hugepages  bool     `toml:"hugepages"`   // false: --no-huge (default)
	FilePrefix string   `toml:"file_prefix"` // default "tunfwd"
	LogLevel   string   `toml:"log_level"`   // default "notice"
	Args       []string `toml:"args"`        // extra EAL arguments, appended as given
}

// Dataplane sizes pools and queues and places workers.
type Dataplane struct {
	Workers   []int `toml:"workers"`    // worker lcore ids; default [1]
	Mbufs     int   `toml:"mbufs"`      // mbuf pool size; default 16383
	MbufCache int   `toml:"mbuf_cache"` // per-lcore cache; default 256
	RxDesc    int   `toml:"rx_desc"`    // default 1024
	TxDesc    int   `toml:"tx_desc"`    // default 1024
	Burst     int   `toml:"burst"`      // rx burst size, 1..64; default 32
	IdleUs    int   `toml:"idle_us"`    // sleep this long after an empty poll; 0 = busy poll

	// ICMPv6 errors the gateway originates (SRv6 SIDs), per worker: a token
	// bucket refilled at ICMPErrorRate per second holding at most
	// ICMPErrorBurst; burst 0 = never send (drop and count only).
	ICMPErrorRate  int `toml:"icmp_error_rate"`  // default 100
	ICMPErrorBurst int `toml:"icmp_error_burst"` // default 10
}

// Side says which way a port faces.
const (
	SideInner    = "inner"    // clear traffic: encapsulated towards tunnels
	SideUnderlay = "underlay" // tunnel traffic: decapsulated
)

// Port is one DPDK port: a PCI device or a vdev.
type Port struct {
	Name        string         `toml:"name"`
	PCI         string         `toml:"pci"`  // "0000:01:00.0"; exactly one of PCI, Vdev
	Vdev        string         `toml:"vdev"` // "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap"
	Side        string         `toml:"side"` // SideInner or SideUnderlay
	MAC         MAC            `toml:"mac"`  // override of the port's own MAC; zero = device MAC
	MTU         int            `toml:"mtu"`  // default 1500
	Promiscuous *bool          `toml:"promiscuous"`
	Addresses   []netip.Prefix `toml:"addresses"` // the gateway's own addresses on this port, "192.0.2.1/24"
}

// Nexthop is a static neighbour: IP, MAC and the port it sits behind.
type Nexthop struct {
	IP   netip.Addr `toml:"ip"`
	MAC  MAC        `toml:"mac"`
	Port string     `toml:"port"`
}

// Tunnel types.
const (
	TunnelGRE    = "gre"
	TunnelVXLAN  = "vxlan"
	TunnelL2TPv2 = "l2tpv2" // RFC 2661 data sessions: PPP-framed IPv4/IPv6, routed into
	TunnelL2TPv3 = "l2tpv3" // RFC 3931 Ethernet pseudowire, bound with [[l2]]
	TunnelSRv6   = "srv6"
)

// L2TPv3 encapsulations (RFC 3931 section 4.1).
const (
	EncapUDP = "udp"
	EncapIP  = "ip" // IP protocol 115
)

// SRv6 source node behaviours (RFC 8986 section 5), the mode of an srv6 tunnel.
const (
	SRv6Encaps      = "encaps"        // H.Encaps: IPv6 + SRH with every segment
	SRv6EncapsRed   = "encaps.red"    // H.Encaps.Red: the first segment only in the DA
	SRv6EncapsL2    = "encaps.l2"     // H.Encaps.L2: an Ethernet frame
	SRv6EncapsL2Red = "encaps.l2.red" // H.Encaps.L2.Red
)

// Tunnel is one tunnel endpoint pair.
type Tunnel struct {
	Name    string     `toml:"name"`
	Type    string     `toml:"type"`    // TunnelGRE, TunnelVXLAN, TunnelL2TPv2 or TunnelL2TPv3
	Local   netip.Addr `toml:"local"`   // one of an underlay port's Addresses
	Remote  netip.Addr `toml:"remote"`  // the far endpoint
	Nexthop netip.Addr `toml:"nexthop"` // underlay next hop; default Remote; must be a [[nexthop]]
	TTL     int        `toml:"ttl"`     // outer TTL / hop limit, 1..255; default 64
	DSCP    DSCP       `toml:"dscp"`    // "copy" (default) or 0..63
	DF      *bool      `toml:"df"`      // outer IPv4 don't-fragment bit; default true (IPv4 underlay only)

	// GRE (RFC 2784, RFC 2890)
	Key      *uint32 `toml:"key"`      // GRE key; nil = no key field
	Seq      bool    `toml:"seq"`      // send sequence numbers (GRE; L2TPv3 in its sublayer)
	Checksum bool    `toml:"checksum"` // send the GRE checksum
	SA       string  `toml:"sa"`       // GRE over IPsec: stage the GRE packets into this outbound [[sa]]; clear GRE in is dropped

	// VXLAN (RFC 7348)
	VNI          uint32 `toml:"vni"`            // 24 bits, required for vxlan
	DstPort      int    `toml:"dst_port"`       // default 4789; L2TP over UDP: 1701 (source port too)
	SrcPortRange [2]int `toml:"src_port_range"` // inclusive; default [49152, 65535]

	// L2TP (RFC 2661, RFC 3931). Local ids are what arrives (the decap key),
	// peer ids what is sent. L2TPv2 ids are 16 bits, L2TPv3 session ids 32.
	TunnelID      uint32 `toml:"tunnel_id"`       // L2TPv2, required, 1..65535
	SessionID     uint32 `toml:"session_id"`      // required, non-zero
	PeerTunnelID  uint32 `toml:"peer_tunnel_id"`  // L2TPv2, required, 1..65535
	PeerSessionID uint32 `toml:"peer_session_id"` // required, non-zero
	PPPAddrCtrl   *bool  `toml:"ppp_addr_ctrl"`   // L2TPv2: send PPP address/control 0xff03; default true (both accepted)
	LengthBit     bool   `toml:"length_bit"`      // L2TPv2: send the Length field
	Encap         string `toml:"encap"`           // L2TPv3: EncapUDP (default) or EncapIP
	Cookie        Hex    `toml:"cookie"`          // L2TPv3: expected on receive, 0, 4 or 8 bytes of hex
	PeerCookie    Hex    `toml:"peer_cookie"`     // L2TPv3: sent, 0, 4 or 8 bytes of hex
	L2Sublayer    bool   `toml:"l2_sublayer"`     // L2TPv3: default L2-specific sublayer (RFC 3931 4.6) both ways

	// UDP tunnels over IPv6: a zero UDP checksum is sent / accepted only when
	// enabled (RFC 6935, RFC 6936; the kernel's udp6zerocsumtx / udp6zerocsumrx)
	UDP6ZeroCsumTx bool `toml:"udp6_zero_csum_tx"`
	UDP6ZeroCsumRx bool `toml:"udp6_zero_csum_rx"`

	// SRv6 (RFC 8754, RFC 8986): no remote; the packet goes to Segments[0]
	// first, through Nexthop (required)
	Segments []netip.Addr `toml:"segments"` // in the order visited, at most MaxSegments
	Mode     string       `toml:"mode"`     // SRv6Encaps (default), SRv6EncapsRed, SRv6EncapsL2, SRv6EncapsL2Red
}

// CarriesEthernet reports whether the tunnel takes frames from [[l2]]
// bindings rather than IP packets from routes.
func (t *Tunnel) CarriesEthernet() bool {
	return t.Type == TunnelVXLAN || t.Type == TunnelL2TPv3 ||
		t.Type == TunnelSRv6 && (t.Mode == SRv6EncapsL2 || t.Mode == SRv6EncapsL2Red)
}

// SRv6 endpoint behaviours (RFC 8986 section 4), the behavior of a [[sid]].
const (
	SIDEnd    = "end"     // next segment, FIB lookup
	SIDEndX   = "end.x"   // next segment, to Nexthop (an underlay IPv6 neighbour)
	SIDEndDX4 = "end.dx4" // decapsulate IPv4, to Nexthop (an inner IPv4 neighbour)
	SIDEndDX6 = "end.dx6" // decapsulate IPv6, to Nexthop (an inner IPv6 neighbour)
	SIDEndDT4 = "end.dt4" // decapsulate IPv4, route it
	SIDEndDT6 = "end.dt6" // decapsulate IPv6, route it
	SIDEndDX2 = "end.dx2" // decapsulate Ethernet, out of Port (VLAN)
)

// SIDBehaviors lists the behaviours in the order the CLI shows them.
var SIDBehaviors = []string{SIDEnd, SIDEndX, SIDEndDX4, SIDEndDX6, SIDEndDT4, SIDEndDT6, SIDEndDX2}

// SID is a local SRv6 segment: packets whose IPv6 destination it matches
// (longest prefix first, RFC 8986 section 3.3) get its behaviour.
type SID struct {
	SID      SIDPrefix  `toml:"sid"`      // "fc00:1::100" (a /128) or a prefix "fc00:1::/64"
	Behavior string     `toml:"behavior"` // one of SIDBehaviors
	Nexthop  netip.Addr `toml:"nexthop"`  // end.x, end.dx4, end.dx6: a [[nexthop]]
	Port     string     `toml:"port"`     // end.dx2: the inner port frames leave by
	VLAN     int        `toml:"vlan"`     // end.dx2: tag them with this VLAN; 0 = untagged
}

// Route sends an inner prefix into a tunnel or to an inner next hop.
type Route struct {
	Prefix netip.Prefix `toml:"prefix"`
	Tunnel string       `toml:"tunnel"` // encapsulate into this tunnel, or
	Via    netip.Addr   `toml:"via"`    // forward to this [[nexthop]] (exactly one of Tunnel, Via, SA)
	SA     string       `toml:"sa"`     // or protect with this outbound [[sa]]
}

// L2Binding joins an inner port (or one VLAN on it) to an L2 tunnel (VXLAN, L2TPv3).
type L2Binding struct {
	Port   string `toml:"port"`
	VLAN   int    `toml:"vlan"` // 0: untagged frames (the whole port); 1..4094: that VLAN
	Tunnel string `toml:"tunnel"`
}

// MAC is an Ethernet address written "02:00:00:00:00:01".
type MAC [6]byte

// DSCP is the outer DSCP policy: copied from the inner header, or a fixed value.
type DSCP struct {
	Copy  bool
	Value uint8
}
