package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"tunfwd/conf"
	"tunfwd/dataplane"
)

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// numbers right-aligns every column (end each cell with a tab).
func numbers(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// portArg resolves an optional all|NAME argument: nil means every port.
func (x *Call) portArg(required bool) ([]string, error) {
	lo := 0
	if required {
		lo = 1
	}
	if err := x.nargs(lo, 1); err != nil {
		return nil, err
	}
	if len(x.Args) == 0 || x.Args[0] == "all" {
		return nil, nil
	}
	name := x.Args[0]
	cfg := x.GW.Config()
	if _, p := cfg.Port(name); p == nil {
		return nil, x.Usagef("no port %q (ports: %s)", name, strings.Join(portNames(cfg), ", "))
	}
	return []string{name}, nil
}

func want(names []string, name string) bool { return names == nil || slices.Contains(names, name) }

type portInfoView struct {
	ID        uint16   `json:"id"`
	Name      string   `json:"name"`
	Side      string   `json:"side"`
	Driver    string   `json:"driver"`
	MAC       string   `json:"mac"`
	MTU       int      `json:"mtu"`
	Link      string   `json:"link"`
	Addresses []string `json:"addresses"`
}

func showPortInfo(x *Call) error {
	names, err := x.portArg(false)
	if err != nil {
		return err
	}
	cfg := x.GW.Config()
	var views []portInfoView
	for _, p := range x.GW.PortInfo() {
		if !want(names, p.Name) {
			continue
		}
		v := portInfoView{ID: p.ID, Name: p.Name, Side: p.Side, Driver: p.Driver, MAC: p.MAC, MTU: p.MTU, Link: p.Link, Addresses: []string{}}
		if _, ps := cfg.Port(p.Name); ps != nil {
			for _, a := range ps.Addresses {
				v.Addresses = append(v.Addresses, a.String())
			}
		}
		views = append(views, v)
	}
	if x.JSON {
		return writeJSON(x.Out, views)
	}
	w := table(x.Out)
	fmt.Fprintln(w, "id\tport\tside\tdriver\tmac\tmtu\taddresses\tlink")
	for _, v := range views {
		addrs := strings.Join(v.Addresses, ",")
		if addrs == "" {
			addrs = "-"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", v.ID, v.Name, v.Side, v.Driver, v.MAC, v.MTU, addrs, v.Link)
	}
	return w.Flush()
}

func showPortStats(x *Call) error {
	names, err := x.portArg(false)
	if err != nil {
		return err
	}
	var ps []dataplane.PortCounters
	for _, p := range x.GW.Counters().Ports {
		if want(names, p.Name) {
			ps = append(ps, p)
		}
	}
	if x.JSON {
		return writeJSON(x.Out, ps)
	}
	w := numbers(x.Out)
	fmt.Fprintln(w, "port\trx pkts\trx bytes\ttx pkts\ttx bytes\tdrops\tdev rx\tdev tx\tdev missed\tdev errors\trx nombuf\t")
	for _, p := range ps {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", p.Name, p.RxPkts, p.RxBytes,
			p.TxPkts, p.TxBytes, p.Drops, p.Eth.IPackets, p.Eth.OPackets, p.Eth.IMissed,
			p.Eth.IErrors+p.Eth.OErrors, p.Eth.RxNoMbuf)
	}
	return w.Flush()
}

type xstatsView struct {
	Port   string            `json:"port"`
	Xstats []dataplane.Xstat `json:"xstats"`
}

func showPortXstats(x *Call) error {
	names, err := x.portArg(false)
	if err != nil {
		return err
	}
	var views []xstatsView
	for _, p := range x.GW.Config().Ports {
		if !want(names, p.Name) {
			continue
		}
		xs, err := x.GW.Xstats(p.Name)
		if err != nil {
			return x.Errorf("port %s: %w", p.Name, err)
		}
		views = append(views, xstatsView{p.Name, xs})
	}
	if x.JSON {
		return writeJSON(x.Out, views)
	}
	for i, v := range views {
		if i > 0 {
			fmt.Fprintln(x.Out)
		}
		fmt.Fprintf(x.Out, "port %s: %d xstats\n", v.Port, len(v.Xstats))
		w := tabwriter.NewWriter(x.Out, 0, 0, 2, ' ', 0)
		for _, s := range v.Xstats {
			fmt.Fprintf(w, "  %s\t%d\n", s.Name, s.Value)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func clearPortStats(x *Call) error {
	names, err := x.portArg(true)
	if err != nil {
		return err
	}
	port := ""
	if names != nil {
		port = names[0]
	}
	if err := x.GW.ClearCounters(port); err != nil {
		return x.Errorf("%w", err)
	}
	if port == "" {
		fmt.Fprintln(x.Out, "cleared the counters of every port, tunnel and drop reason")
	} else {
		fmt.Fprintf(x.Out, "cleared the counters of port %s\n", port)
	}
	return nil
}

func showLcores(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	ls := x.GW.Lcores()
	if x.JSON {
		return writeJSON(x.Out, ls)
	}
	w := table(x.Out)
	fmt.Fprintln(w, "lcore\tworker\tqueues\tpolls\tbusy polls\tbusy")
	for _, l := range ls {
		busy := "-"
		if l.Polls > 0 {
			busy = fmt.Sprintf("%.1f%%", 100*float64(l.BusyPolls)/float64(l.Polls))
		}
		fmt.Fprintf(w, "%d\t%d\t%s\t%d\t%d\t%s\n", l.Lcore, l.Worker, strings.Join(l.Queues, " "), l.Polls, l.BusyPolls, busy)
	}
	return w.Flush()
}

// tunnelView is a tunnel as show tunnel presents it.
type tunnelView struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Local   string `json:"local"`
	Remote  string `json:"remote"`
	Nexthop string `json:"nexthop"`
	TTL     int    `json:"ttl"`
	DSCP    string `json:"dscp"`
	DF      bool   `json:"df"`
	// GRE
	Key      *uint32 `json:"key,omitempty"`
	Seq      bool    `json:"seq,omitempty"`
	Checksum bool    `json:"checksum,omitempty"`
	SA       string  `json:"sa,omitempty"` // GRE over IPsec: the outbound SA
	// VXLAN
	VNI          *uint32 `json:"vni,omitempty"`
	DstPort      int     `json:"dst_port,omitempty"`
	SrcPortRange []int   `json:"src_port_range,omitempty"`
	// L2TP
	TunnelID      uint32 `json:"tunnel_id,omitempty"`
	SessionID     uint32 `json:"session_id,omitempty"`
	PeerTunnelID  uint32 `json:"peer_tunnel_id,omitempty"`
	PeerSessionID uint32 `json:"peer_session_id,omitempty"`
	Encap         string `json:"encap,omitempty"`
	// SRv6: no remote; the segment list and the mode
	Segments []string `json:"segments,omitempty"`
	Mode     string   `json:"mode,omitempty"`

	Routes   []string                 `json:"routes"`
	L2       []string                 `json:"l2"`
	Counters dataplane.TunnelCounters `json:"counters"`
}

func newTunnelView(cfg *conf.Config, t *conf.Tunnel, c dataplane.Counters) tunnelView {
	v := tunnelView{Name: t.Name, Type: t.Type, Local: t.Local.String(), Remote: t.Remote.String(),
		Nexthop: t.Nexthop.String(), TTL: t.TTL, DSCP: t.DSCP.String(), DF: t.DF == nil || *t.DF,
		Routes: []string{}, L2: []string{}, Counters: dataplane.TunnelCounters{Name: t.Name, Type: t.Type}}
	switch t.Type {
	case conf.TunnelGRE:
		v.Key, v.Seq, v.Checksum, v.SA = t.Key, t.Seq, t.Checksum, t.SA
	case conf.TunnelVXLAN:
		vni := t.VNI
		v.VNI, v.DstPort, v.SrcPortRange = &vni, t.DstPort, t.SrcPortRange[:]
	case conf.TunnelL2TPv2, conf.TunnelL2TPv3:
		v.TunnelID, v.SessionID, v.PeerTunnelID, v.PeerSessionID = t.TunnelID, t.SessionID, t.PeerTunnelID, t.PeerSessionID
		v.DstPort, v.Encap, v.Seq = t.DstPort, t.Encap, t.Seq
	case conf.TunnelSRv6:
		for _, s := range t.Segments {
			v.Segments = append(v.Segments, s.String())
		}
		v.Mode = t.Mode
		if v.Mode == "" {
			v.Mode = conf.SRv6Encaps
		}
		if len(t.Segments) > 0 {
			v.Remote = t.Segments[0].String() // where the packets go first
		}
	}
	if t.Local.Is6() {
		v.DF = false // IPv6 routers never fragment: there is no DF bit
	}
	for _, r := range cfg.Routes {
		if r.Tunnel == t.Name {
			v.Routes = append(v.Routes, r.Prefix.String())
		}
	}
	for _, b := range cfg.L2 {
		if b.Tunnel == t.Name {
			v.L2 = append(v.L2, describeBinding(b))
		}
	}
	for _, tc := range c.Tunnels {
		if tc.Name == t.Name {
			v.Counters = tc
		}
	}
	return v
}

// ident is the field that tells a tunnel's packets apart: GRE key, VXLAN VNI, L2TP ids.
func (v *tunnelView) ident() string {
	switch {
	case v.VNI != nil:
		return fmt.Sprintf("vni %d", *v.VNI)
	case v.Key != nil:
		return fmt.Sprintf("key %d", *v.Key)
	case v.Type == conf.TunnelL2TPv2:
		return fmt.Sprintf("tunnel %d session %d", v.TunnelID, v.SessionID)
	case v.Type == conf.TunnelL2TPv3:
		return fmt.Sprintf("session %d", v.SessionID)
	case v.Type == conf.TunnelSRv6:
		return fmt.Sprintf("%s, %d segments", v.Mode, len(v.Segments))
	}
	return "-"
}

func (v *tunnelView) flags() string {
	var f []string
	if v.Seq {
		f = append(f, "seq")
	}
	if v.Checksum {
		f = append(f, "csum")
	}
	if v.DF {
		f = append(f, "df")
	}
	if v.DstPort != 0 {
		f = append(f, fmt.Sprintf("port=%d", v.DstPort))
	}
	if v.SA != "" {
		f = append(f, "sa="+v.SA)
	}
	return strings.Join(f, ",")
}

func showTunnel(x *Call) error {
	if err := x.nargs(0, 1); err != nil {
		return err
	}
	cfg := x.GW.Config()
	c := x.GW.Counters()
	var views []tunnelView
	if len(x.Args) == 1 {
		_, t, err := x.tunnelNamed(x.Args[0])
		if err != nil {
			return err
		}
		v := newTunnelView(cfg, t, c)
		if x.JSON {
			return writeJSON(x.Out, v)
		}
		return v.detail(x.Out)
	}
	for i := range cfg.Tunnels {
		views = append(views, newTunnelView(cfg, &cfg.Tunnels[i], c))
	}
	if x.JSON {
		if views == nil {
			views = []tunnelView{}
		}
		return writeJSON(x.Out, views)
	}
	w := table(x.Out)
	fmt.Fprintln(w, "tunnel\ttype\tlocal\tremote\tnexthop\tid\tttl\tdscp\tflags\tused by")
	for _, v := range views {
		used := append(append([]string(nil), v.Routes...), v.L2...)
		u := strings.Join(used, ",")
		if u == "" {
			u = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", v.Name, v.Type, v.Local, v.Remote, v.Nexthop,
			v.ident(), v.TTL, v.DSCP, v.flags(), u)
	}
	if len(views) == 0 {
		fmt.Fprintln(w, "(no tunnels)")
	}
	return w.Flush()
}

func (v *tunnelView) detail(out io.Writer) error {
	w := table(out)
	row := func(k, format string, args ...any) { fmt.Fprintf(w, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	row("tunnel", "%s (%s)", v.Name, v.Type)
	row("local", "%s", v.Local)
	if v.Type == conf.TunnelSRv6 {
		row("remote", "%s (the first segment)", v.Remote)
	} else {
		row("remote", "%s", v.Remote)
	}
	row("nexthop", "%s", v.Nexthop)
	row("ttl", "%d", v.TTL)
	row("dscp", "%s", v.DSCP)
	if !strings.Contains(v.Local, ":") {
		row("df", "%t", v.DF)
	}
	switch {
	case v.Type == conf.TunnelSRv6:
		row("mode", "%s", v.Mode)
		row("segments", "%s", strings.Join(v.Segments, ", "))
	case v.VNI != nil:
		row("vni", "%d", *v.VNI)
		row("dst_port", "%d", v.DstPort)
		row("src_port_range", "%d-%d", v.SrcPortRange[0], v.SrcPortRange[1])
	default:
		if v.Key != nil {
			row("key", "%d", *v.Key)
		} else {
			row("key", "none")
		}
		row("seq", "%t", v.Seq)
		row("checksum", "%t", v.Checksum)
		if v.SA != "" {
			row("sa", "%s (GRE over IPsec: clear GRE for this tunnel is dropped)", v.SA)
		}
	}
	row("routes", "%s", orNone(v.Routes))
	row("l2", "%s", orNone(v.L2))
	row("encap", "%d packets, %d bytes", v.Counters.EncapPkts, v.Counters.EncapBytes)
	row("decap", "%d packets, %d bytes", v.Counters.DecapPkts, v.Counters.DecapBytes)
	return w.Flush()
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func showTunnelStats(x *Call) error {
	if err := x.nargs(0, 1); err != nil {
		return err
	}
	var only string
	if len(x.Args) == 1 {
		if _, _, err := x.tunnelNamed(x.Args[0]); err != nil {
			return err
		}
		only = x.Args[0]
	}
	ts := []dataplane.TunnelCounters{}
	for _, t := range x.GW.Counters().Tunnels {
		if only == "" || t.Name == only {
			ts = append(ts, t)
		}
	}
	if x.JSON {
		return writeJSON(x.Out, ts)
	}
	w := numbers(x.Out)
	fmt.Fprintln(w, "tunnel\ttype\tencap pkts\tencap bytes\tdecap pkts\tdecap bytes\t")
	for _, t := range ts {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t\n", t.Name, t.Type, t.EncapPkts, t.EncapBytes, t.DecapPkts, t.DecapBytes)
	}
	return w.Flush()
}

type routeView struct {
	Prefix  string `json:"prefix"`
	Tunnel  string `json:"tunnel,omitempty"`
	SA      string `json:"sa,omitempty"`
	Nexthop string `json:"nexthop,omitempty"`
	Port    string `json:"port,omitempty"`
}

func showRoute(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	cfg := x.GW.Config()
	rs := []routeView{}
	for _, r := range cfg.Routes {
		v := routeView{Prefix: r.Prefix.String(), Tunnel: r.Tunnel, SA: r.SA}
		if r.Via.IsValid() {
			v.Nexthop = r.Via.String()
			if _, nh := cfg.NexthopByIP(r.Via); nh != nil {
				v.Port = nh.Port
			}
		}
		rs = append(rs, v)
	}
	if x.JSON {
		return writeJSON(x.Out, rs)
	}
	w := table(x.Out)
	fmt.Fprintln(w, "prefix\taction")
	for _, r := range cfg.Routes {
		fmt.Fprintf(w, "%s\t%s\n", r.Prefix, describeRoute(cfg, r))
	}
	if len(rs) == 0 {
		fmt.Fprintln(w, "(no routes)")
	}
	return w.Flush()
}

type l2View struct {
	Port   string `json:"port"`
	VLAN   int    `json:"vlan"`
	Tunnel string `json:"tunnel"`
}

func showL2(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	cfg := x.GW.Config()
	bs := []l2View{}
	for _, b := range cfg.L2 {
		bs = append(bs, l2View{b.Port, b.VLAN, b.Tunnel})
	}
	if x.JSON {
		return writeJSON(x.Out, bs)
	}
	w := table(x.Out)
	fmt.Fprintln(w, "port\tvlan\ttunnel")
	for _, b := range bs {
		vlan := "untagged"
		if b.VLAN != 0 {
			vlan = fmt.Sprint(b.VLAN)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", b.Port, vlan, b.Tunnel)
	}
	if len(bs) == 0 {
		fmt.Fprintln(w, "(no L2 bindings)")
	}
	return w.Flush()
}

type nexthopView struct {
	IP   string `json:"ip"`
	MAC  string `json:"mac"`
	Port string `json:"port"`
	Side string `json:"side"`
}

func showNexthop(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	cfg := x.GW.Config()
	ns := []nexthopView{}
	for _, nh := range cfg.Nexthops {
		v := nexthopView{IP: nh.IP.String(), MAC: nh.MAC.String(), Port: nh.Port}
		if _, p := cfg.Port(nh.Port); p != nil {
			v.Side = p.Side
		}
		ns = append(ns, v)
	}
	if x.JSON {
		return writeJSON(x.Out, ns)
	}
	w := table(x.Out)
	fmt.Fprintln(w, "ip\tmac\tport\tside")
	for _, n := range ns {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", n.IP, n.MAC, n.Port, n.Side)
	}
	if len(ns) == 0 {
		fmt.Fprintln(w, "(no next hops)")
	}
	return w.Flush()
}

func showSID(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	cfg := x.GW.Config()
	views := []sidView{}
	byIdx := x.GW.Counters().SIDs
	for i, s := range cfg.SIDs {
		v := sidView{SID: s.SID.String(), Behavior: s.Behavior}
		switch {
		case s.Nexthop.IsValid():
			v.To = "nexthop " + s.Nexthop.String()
		case s.Port != "" && s.VLAN != 0:
			v.To = fmt.Sprintf("port %s vlan %d", s.Port, s.VLAN)
		case s.Port != "":
			v.To = "port " + s.Port
		default:
			v.To = "route lookup"
		}
		if i < len(byIdx) {
			v.Pkts, v.Bytes = byIdx[i].Pkts, byIdx[i].Bytes
		}
		views = append(views, v)
	}
	if x.JSON {
		return writeJSON(x.Out, views)
	}
	w := table(x.Out)
	fmt.Fprintln(w, "sid\tbehavior\tto\tpackets\tbytes")
	for _, v := range views {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\n", v.SID, v.Behavior, v.To, v.Pkts, v.Bytes)
	}
	if len(views) == 0 {
		fmt.Fprintln(w, "(no SIDs)")
	}
	return w.Flush()
}

type sidView struct {
	SID      string `json:"sid"`
	Behavior string `json:"behavior"`
	To       string `json:"to"`
	Pkts     uint64 `json:"packets"`
	Bytes    uint64 `json:"bytes"`
}

type saView struct {
	dataplane.SACounters
	Local  string `json:"local"`
	Remote string `json:"remote"`
	Algo   string `json:"algorithm"`
	ESN    bool   `json:"esn"`
	Window int    `json:"replay_window"`
	UDP    bool   `json:"udp_encap"`
}

func showSA(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	cfg := x.GW.Config()
	vs := []saView{}
	for i, c := range x.GW.SACounters() {
		v := saView{SACounters: c}
		if i < len(cfg.SAs) && cfg.SAs[i].Name == c.Name {
			s := &cfg.SAs[i]
			v.Local, v.Remote, v.ESN, v.Window, v.UDP = s.Local.String(), s.Remote.String(), s.ESN, s.ReplayWindow, s.UDPEncap
			v.Algo = s.AEAD
			if v.Algo == "" {
				v.Algo = s.Cipher + "+" + s.Auth
			}
		}
		vs = append(vs, v)
	}
	if x.JSON {
		return writeJSON(x.Out, vs)
	}
	if len(vs) == 0 {
		fmt.Fprintln(x.Out, "no SAs")
		return nil
	}
	w := table(x.Out)
	fmt.Fprintln(w, "name\tspi\tdir\tlocal\tremote\talgorithm\tesn\twindow\tudp\tpackets\tbytes\terrors\tstate")
	for _, v := range vs {
		state := "active"
		if v.Expired {
			state = "expired"
		}
		fmt.Fprintf(w, "%s\t0x%08x\t%s\t%s\t%s\t%s\t%v\t%d\t%v\t%d\t%d\t%d\t%s\n", v.Name, v.SPI, v.Dir,
			v.Local, v.Remote, v.Algo, v.ESN, v.Window, v.UDP, v.Packets, v.Bytes, v.Errors, state)
	}
	return w.Flush()
}

type dropView struct {
	Reason  string `json:"reason"`
	Packets uint64 `json:"packets"`
	Help    string `json:"help"`
}

func showDrops(x *Call) error {
	if err := x.nargs(0, 1); err != nil {
		return err
	}
	all := false
	if len(x.Args) == 1 {
		if x.Args[0] != "all" {
			return x.Usagef("%q: want all or nothing", x.Args[0])
		}
		all = true
	}
	c := x.GW.Counters()
	ds := []dropView{}
	for i, n := range dataplane.DropNames {
		if v := c.Drops[n]; v > 0 || all {
			ds = append(ds, dropView{n, v, dataplane.DropHelp[i]})
		}
	}
	if !all {
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].Packets > ds[j].Packets })
	}
	if x.JSON {
		return writeJSON(x.Out, ds)
	}
	if len(ds) == 0 {
		fmt.Fprintln(x.Out, "no packet dropped")
		return nil
	}
	w := table(x.Out)
	fmt.Fprintln(w, "reason\tpackets\tmeaning")
	for _, d := range ds {
		fmt.Fprintf(w, "%s\t%d\t%s\n", d.Reason, d.Packets, d.Help)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "total dropped: %d\n", c.Dropped())
	return nil
}

func showConfig(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	fmt.Fprintln(x.Out, "# tunfwd running configuration (show config): tunfwd --conf accepts it as it is")
	return EncodeConfig(x.Out, x.GW.Config())
}
