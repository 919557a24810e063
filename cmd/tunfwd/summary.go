package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"tunfwd/conf"
	"tunfwd/dataplane"
)

// summary is what tunfwd prints at exit and writes with --stats-json.
type summary struct {
	Stopped   string                     `json:"stopped"` // "signal", "idle" or "quit"
	Seconds   float64                    `json:"seconds"`
	Mempool   mempool                    `json:"mempool"`
	Ports     []dataplane.PortCounters   `json:"ports"`
	Tunnels   []dataplane.TunnelCounters `json:"tunnels"`
	SAs       []dataplane.SACounters     `json:"sas"`
	SIDs      []dataplane.SIDCounters    `json:"sids"`
	ICMPErrs  map[string]uint64          `json:"icmp_errors"` // ICMP and ICMPv6 errors sent, by the reason of the packet that caused each
	Drops     map[string]uint64          `json:"drops"`
	Dropped   uint64                     `json:"dropped"`
	ARP       uint64                     `json:"arp_replies"`
	ND        uint64                     `json:"nd_replies"`
	Echo      uint64                     `json:"echo_replies"`
	Routed    uint64                     `json:"routed"`
	EncapPkts uint64                     `json:"encap_packets"`
	DecapPkts uint64                     `json:"decap_packets"`
}

type mempool struct {
	Size      int `json:"size"`
	Available int `json:"available"`
}

func newSummary(cfg *conf.Config, c dataplane.Counters, d time.Duration, reason string, avail, size int) *summary {
	s := &summary{Stopped: reason, Seconds: d.Seconds(), Mempool: mempool{size, avail},
		Ports: c.Ports, Tunnels: c.Tunnels, SIDs: c.SIDs, ICMPErrs: c.ICMPErrors, Drops: c.Drops, Dropped: c.Dropped(),
		ARP: c.ARPReplies, ND: c.NDReplies, Echo: c.EchoReplies, Routed: c.Routed}
	for _, t := range c.Tunnels {
		s.EncapPkts += t.EncapPkts
		s.DecapPkts += t.DecapPkts
	}
	return s
}

func (s *summary) print(out io.Writer) {
	fmt.Fprintf(out, "\ntunfwd stopped (%s) after %.3f s; mempool %d/%d mbufs free\n\n",
		s.Stopped, s.Seconds, s.Mempool.Available, s.Mempool.Size)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "port\trx pkts\trx bytes\ttx pkts\ttx bytes\tdrops\tdev rx\tdev tx\tdev missed\tdev errors\t")
	for _, p := range s.Ports {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", p.Name, p.RxPkts, p.RxBytes,
			p.TxPkts, p.TxBytes, p.Drops, p.Eth.IPackets, p.Eth.OPackets, p.Eth.IMissed,
			p.Eth.IErrors+p.Eth.OErrors)
	}
	w.Flush()
	fmt.Fprintln(out)
	if len(s.Tunnels) > 0 {
		fmt.Fprintln(w, "tunnel\ttype\tencap pkts\tencap bytes\tdecap pkts\tdecap bytes\t")
		for _, t := range s.Tunnels {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t\n", t.Name, t.Type, t.EncapPkts, t.EncapBytes,
				t.DecapPkts, t.DecapBytes)
		}
		w.Flush()
		fmt.Fprintln(out)
	}
	if len(s.SAs) > 0 {
		fmt.Fprintln(w, "sa\tdir\tspi\tpackets\tbytes\terrors\tstate\t")
		for _, a := range s.SAs {
			state := "active"
			if a.Expired {
				state = "expired"
			}
			fmt.Fprintf(w, "%s\t%s\t0x%08x\t%d\t%d\t%d\t%s\t\n", a.Name, a.Dir, a.SPI, a.Packets, a.Bytes, a.Errors, state)
		}
		w.Flush()
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "replies: %d ARP, %d ND, %d echo; routed to inner next hops: %d\n", s.ARP, s.ND, s.Echo, s.Routed)
	fmt.Fprintf(out, "dropped: %d\n", s.Dropped)
	names := make([]string, 0, len(s.Drops))
	for n, v := range s.Drops {
		if v > 0 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	help := map[string]string{}
	for i, n := range dataplane.DropNames {
		help[n] = dataplane.DropHelp[i]
	}
	for _, n := range names {
		fmt.Fprintf(out, "  %-18s %10d  %s\n", n, s.Drops[n], help[n])
	}
}

func (s *summary) writeJSON(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// rateLine is the periodic one-line summary: rates over the last period.
func rateLine(prev, cur dataplane.Counters, d time.Duration) string {
	var rx, tx, prx, ptx uint64
	for i := range cur.Ports {
		rx += cur.Ports[i].RxPkts
		tx += cur.Ports[i].TxPkts
		prx += prev.Ports[i].RxPkts
		ptx += prev.Ports[i].TxPkts
	}
	sec := d.Seconds()
	return fmt.Sprintf("rx %.3f Mpps  tx %.3f Mpps  drops %.3f Mpps  (total rx %d tx %d dropped %d)",
		float64(rx-prx)/sec/1e6, float64(tx-ptx)/sec/1e6,
		float64(cur.Dropped()-prev.Dropped())/sec/1e6, rx, tx, cur.Dropped())
}
