package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"tunfwd/conf"
	"tunfwd/dataplane"
	"tunfwd/pktgen"
)

// perf is `tunfwd perf --conf FILE`: the packet path's own cost, measured
// in-process (make bench runs it on each point). The configuration's
// net_pcap port with rx_pcap= gives the frames; every port becomes a
// net_null, no worker starts, and bursts of those frames go through the
// packet path and, interleaved burst by burst, straight out by io
// forwarding, each timed with the TSC: what the path adds over io is the
// difference, the same for both whatever the machine does between bursts.
func perf(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tunfwd perf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	confPath := fs.String("conf", "", "configuration file (TOML) with a net_pcap port that reads the input")
	bursts := fs.Int("bursts", 30000, "bursts (of the config's dataplane.burst, 32 by default) through each of the path and io forwarding")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil || *confPath == "" || fs.NArg() > 0 || *bursts <= 0 {
		fmt.Fprintln(stderr, "usage: tunfwd perf --conf FILE [--bursts N] [--json]")
		return exitConfig
	}
	if *bursts > dataplane.PerfMaxBursts {
		fmt.Fprintf(stderr, "tunfwd perf: --bursts %d: at most %d\n", *bursts, dataplane.PerfMaxBursts)
		return exitConfig
	}
	cfg, err := conf.Load(*confPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitConfig
	}
	if err := checkHost(cfg); err != nil {
		fmt.Fprintln(stderr, err)
		return exitConfig
	}
	in, out, pcap, err := dataplane.PerfPorts(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "tunfwd:", err)
		return exitConfig
	}
	frames, err := pktgen.ReadPcap(pcap)
	if err != nil {
		fmt.Fprintln(stderr, "tunfwd:", err)
		return exitConfig
	}
	if len(frames) == 0 || len(frames) > dataplane.PerfMaxFrames {
		fmt.Fprintf(stderr, "tunfwd perf: %s: %d frames: want 1 to %d\n", pcap, len(frames), dataplane.PerfMaxFrames)
		return exitConfig
	}
	c, err := perfRun(cfg, in, out, frames, *bursts)
	if err != nil {
		fmt.Fprintln(stderr, "tunfwd:", err)
		return exitFail
	}
	if *asJSON {
		b, _ := json.Marshal(c)
		fmt.Fprintln(stdout, string(b))
		return exitOK
	}
	fmt.Fprintf(stdout, "%s: %d bursts of %d, %d frames, from port %s; TSC %.0f MHz\n", *confPath, c.Bursts, c.Burst,
		len(frames), in, c.TSCHz/1e6)
	fmt.Fprintf(stdout, "TSC ticks per packet: path p10 %.1f, io p10 %.1f; added p10 %.1f (min %.1f, p50 %.1f)\n",
		c.PathP10, c.IOP10, c.AddedP10, c.AddedMin, c.AddedP50)
	return exitOK
}

func perfRun(cfg *conf.Config, in, out string, frames [][]byte, bursts int) (c dataplane.PathCost, err error) {
	done, err := startEAL(cfg)
	if err != nil {
		return c, err
	}
	defer done()
	g, err := dataplane.New(cfg)
	if err != nil {
		return c, err
	}
	defer g.Close()
	if err := g.StartPortsPerf(); err != nil {
		return c, err
	}
	defer g.StopPortsPerf()
	return g.PerfPath(in, out, frames, bursts)
}
