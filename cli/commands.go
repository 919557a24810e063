package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"tunfwd/dataplane"
)

// commands is the command table, in the order help lists it. Every Example
// runs in a test against a fake gateway with tunnels g1 (GRE, routed) and g2
// (GRE, unused), vx1 (VXLAN, bound to port l2) and ports lan, l2, wan.
func commands() []*Command {
	return []*Command{
		{Words: []string{"show", "port", "info"}, Args: "[all|NAME]", JSON: true,
			Help:    "each port's id, side, driver, MAC, MTU, link and addresses",
			Example: "show port info", Run: showPortInfo, Complete: completePortOrAll},
		{Words: []string{"show", "port", "stats"}, Args: "[all|NAME]", JSON: true,
			Help:    "packets and bytes each port received and sent, drops, and the device's own counters",
			Example: "show port stats all", Run: showPortStats, Complete: completePortOrAll},
		{Words: []string{"show", "port", "xstats"}, Args: "[all|NAME]", JSON: true,
			Help:    "the extended statistics of a port's device (rte_eth_xstats)",
			Example: "show port xstats wan", Run: showPortXstats, Complete: completePortOrAll},
		{Words: []string{"clear", "port", "stats"}, Args: "all|NAME",
			Help:    "zero a port's counters and device stats; all: every port, tunnel and drop counter",
			Example: "clear port stats all", Run: clearPortStats, Complete: completePortOrAll},
		{Words: []string{"show", "lcores"}, JSON: true,
			Help:    "each worker lcore, the queues it polls and how busy it is",
			Example: "show lcores", Run: showLcores},
		{Words: []string{"show", "tunnel"}, Args: "[NAME]", JSON: true,
			Help:    "the tunnels (one in detail, with its counters, routes and L2 bindings)",
			Example: "show tunnel g1", Run: showTunnel, Complete: completeTunnel},
		{Words: []string{"show", "tunnel", "stats"}, Args: "[NAME]", JSON: true,
			Help:    "packets and bytes encapsulated into and decapsulated from each tunnel",
			Example: "show tunnel stats", Run: showTunnelStats, Complete: completeTunnel},
		{Words: []string{"show", "route"}, JSON: true,
			Help:    "the routes: inner prefixes into tunnels or to inner next hops",
			Example: "show route", Run: showRoute},
		{Words: []string{"show", "l2"}, JSON: true,
			Help:    "the L2 bindings: inner ports or VLANs bridged into VXLAN tunnels",
			Example: "show l2", Run: showL2},
		{Words: []string{"show", "nexthop"}, JSON: true,
			Help:    "the static next hops: IP, MAC and port",
			Example: "show nexthop", Run: showNexthop},
		{Words: []string{"show", "sid"}, JSON: true,
			Help:    "the local SRv6 SIDs: behaviour, where packets go, packets and bytes processed",
			Example: "show sid", Run: showSID},
		{Words: []string{"show", "sa"}, JSON: true,
			Help:    "the IPsec security associations: SPI, direction, endpoints, algorithms, packets, bytes, errors, state",
			Example: "show sa", Run: showSA},
		{Words: []string{"show", "drops"}, Args: "[all]", JSON: true,
			Help:    "packets dropped, by reason, with what each reason means (all: zero counts too)",
			Example: "show drops", Run: showDrops,
			Complete: func(*Shell, []string) []string { return []string{"all"} }},
		{Words: []string{"show", "config"},
			Help:    "the running configuration, as TOML that --conf accepts",
			Example: "show config", Run: showConfig},
		{Words: []string{"tunnel", "add"}, Args: "NAME key=value ...",
			Help:    "add a tunnel; the keys and their checks are those of a [[tunnel]] table",
			Example: "tunnel add gre2 type=gre local=192.0.2.1 remote=192.0.2.9 key=5 seq=true",
			Run:     tunnelAdd, Complete: completeTunnelAdd},
		{Words: []string{"tunnel", "del"}, Args: "NAME",
			Help:    "delete a tunnel that no route or L2 binding uses",
			Example: "tunnel del g2", Run: tunnelDel, Complete: completeTunnel},
		{Words: []string{"set", "tunnel"}, Args: "NAME key=value ...",
			Help:    "change keys of a tunnel, as in its [[tunnel]] table (nexthop follows remote if it did)",
			Example: "set tunnel g1 ttl=32 dscp=46", Run: tunnelSet, Complete: completeTunnelSet},
		{Words: []string{"route", "add"}, Args: "PREFIX via TUNNEL|nexthop IP",
			Help:    "route an inner prefix into a tunnel, or to an inner next hop",
			Example: "route add 10.9.0.0/16 via g1", Run: routeAdd, Complete: completeRouteAdd},
		{Words: []string{"route", "del"}, Args: "PREFIX",
			Help:    "delete a route",
			Example: "route del 10.2.0.0/16", Run: routeDel, Complete: completeRoute},
		{Words: []string{"trace"}, Args: "PORT N [TIMEOUT]",
			Help:    "decode the next N packets received on a port and show what was done with each (wait at most TIMEOUT, default 10s)",
			Example: "trace lan 5", Run: trace, Complete: completePort},
		{Words: []string{"capture", "start"}, Args: "PORT FILE.pcap [N]",
			Help:    "copy the packets received on a port to a pcap file (N packets, or until capture stop)",
			Example: "capture start wan wan.pcap 100", Run: captureStart, Complete: completePort},
		{Words: []string{"capture", "stop"},
			Help:    "end the capture and close its file",
			Example: "capture stop", Run: captureStop},
		{Words: []string{"start"},
			Help:    "start forwarding",
			Example: "start", Run: start},
		{Words: []string{"stop"},
			Help:    "stop forwarding (the ports stay open, counters stay)",
			Example: "stop", Run: stop},
		{Words: []string{"help"}, Args: "[COMMAND]",
			Help:    "list the commands, or show one with its example",
			Example: "help tunnel add", Run: help, Complete: completeHelp},
		{Words: []string{"quit"},
			Help:    "stop the gateway and exit, printing the final counters",
			Example: "quit", Run: func(x *Call) error {
				if err := x.nargs(0, 0); err != nil {
					return err
				}
				return ErrQuit
			}},
	}
}

func help(x *Call) error {
	cmds := x.Shell.cmds
	if len(x.Args) == 0 {
		w := tabwriter.NewWriter(x.Out, 0, 0, 2, ' ', 0)
		for _, c := range cmds {
			fmt.Fprintf(w, "%s\t%s\n", c.Usage(), c.Help)
		}
		w.Flush()
		fmt.Fprintln(x.Out, "\nWords may be cut to a unique prefix (sh po st). show commands take --json where it is listed in help CMD.")
		return nil
	}
	var found []*Command
	for _, c := range cmds {
		if wordsMatch(c.Words, x.Args) {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return x.Usagef("no command %q", strings.Join(x.Args, " "))
	}
	for i, c := range found {
		if i > 0 {
			fmt.Fprintln(x.Out)
		}
		fmt.Fprintf(x.Out, "%s\n  %s\n  example: %s\n", c.Usage(), c.Help, c.Example)
		if c.JSON {
			fmt.Fprintln(x.Out, "  --json: the same as JSON")
		}
	}
	return nil
}

// wordsMatch reports whether the words given start the command's words,
// each in full or as a prefix.
func wordsMatch(cmd, given []string) bool {
	if len(given) > len(cmd) {
		return false
	}
	for i, g := range given {
		if !strings.HasPrefix(cmd[i], g) {
			return false
		}
	}
	return true
}

func start(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	if x.GW.Running() {
		return x.Errorf("forwarding is already running")
	}
	if err := x.GW.Start(); err != nil {
		if errors.Is(err, dataplane.ErrRunning) {
			return x.Errorf("forwarding is already running")
		}
		return x.Errorf("%w", err)
	}
	fmt.Fprintln(x.Out, "forwarding started")
	return nil
}

func stop(x *Call) error {
	if err := x.nargs(0, 0); err != nil {
		return err
	}
	if !x.GW.Running() {
		return x.Errorf("forwarding is not running")
	}
	if err := x.GW.Stop(); err != nil {
		if errors.Is(err, dataplane.ErrStopped) {
			return x.Errorf("forwarding is not running")
		}
		return x.Errorf("%w", err)
	}
	fmt.Fprintln(x.Out, "forwarding stopped")
	return nil
}
