// Command tunfwd is a DPDK userspace tunnel gateway.
//
//	tunfwd --conf fwd.toml [--stats-period 5s] [--stats-json FILE] [--idle-exit 2s]
//	tunfwd check --conf fwd.toml
//
// Exit status: 0 after a clean stop, 1 on a runtime error, 2 on a bad
// command line or configuration (reported before any port is touched).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"tunfwd/conf"
	"tunfwd/dataplane"
)

const (
	exitOK     = 0
	exitFail   = 1
	exitConfig = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "check" {
		return check(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("tunfwd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	confPath := fs.String("conf", "", "configuration file (TOML)")
	period := fs.Duration("stats-period", 5*time.Second, "print a one-line rate summary this often (0: never)")
	statsJSON := fs.String("stats-json", "", "write the final counters as JSON to this file at exit")
	idleExit := fs.Duration("idle-exit", 0, "stop once no port has received for this long (0: run until a signal)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tunfwd --conf FILE [flags]\n       tunfwd check --conf FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	if *confPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitConfig
	}
	cfg, err := conf.Load(*confPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitConfig
	}
	opts := runOpts{period: *period, statsJSON: *statsJSON, idleExit: *idleExit}
	if err := serve(cfg, opts, stdout); err != nil {
		fmt.Fprintln(stderr, "tunfwd:", err)
		return exitFail
	}
	return exitOK
}

func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tunfwd check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	confPath := fs.String("conf", "", "configuration file (TOML)")
	if err := fs.Parse(args); err != nil || *confPath == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: tunfwd check --conf FILE")
		return exitConfig
	}
	cfg, err := conf.Load(*confPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitConfig
	}
	fmt.Fprintf(stdout, "%s: ok: %d ports, %d tunnels, %d routes, %d L2 bindings\n",
		*confPath, len(cfg.Ports), len(cfg.Tunnels), len(cfg.Routes), len(cfg.L2))
	return exitOK
}

type runOpts struct {
	period    time.Duration
	statsJSON string
	idleExit  time.Duration
}

// serve runs the gateway until a signal or idle exit, then prints and
// writes the final counters.
func serve(cfg *conf.Config, opts runOpts, out io.Writer) error {
	if opts.statsJSON != "" {
		// fail now rather than after the run
		if err := os.MkdirAll(filepath.Dir(opts.statsJSON), 0o755); err != nil {
			return err
		}
	}
	prefix := cfg.EAL.FilePrefix + "-" + fmt.Sprint(os.Getpid())
	if err := dataplane.Init(cfg.EALArgs(os.Getpid())); err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Join("/var/run/dpdk", prefix))
	defer dataplane.Cleanup()
	g, err := dataplane.New(cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	if err := g.Start(); err != nil {
		return err
	}
	for _, p := range g.PortInfo() {
		fmt.Fprintf(out, "port %d %-10s %-8s %s %s mtu %d, %s\n", p.ID, p.Name, p.Side, p.Driver, p.MAC, p.MTU, p.Link)
	}
	fmt.Fprintf(out, "tunfwd: forwarding on %d ports with %d workers (lcores %v)\n",
		len(g.Ports), len(cfg.Dataplane.Workers), cfg.Dataplane.Workers)
	reason := wait(ctx, g, opts, out)
	stop() // a second signal now kills the process the default way
	if err := g.Stop(); err != nil {
		return err
	}
	c := g.Counters()
	elapsed := time.Since(start)
	closeErr := g.Close()
	avail, size := g.ClosedPool()
	s := newSummary(cfg, c, elapsed, reason, avail, size)
	s.print(out)
	if opts.statsJSON != "" {
		if err := s.writeJSON(opts.statsJSON); err != nil {
			return err
		}
	}
	return closeErr
}

var errIdle = errors.New("idle")

// wait blocks until a signal or, with idleExit, until no port has received
// for that long; it prints a rate line every period.
func wait(ctx context.Context, g *dataplane.Gateway, opts runOpts, out io.Writer) string {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastRx uint64
	lastChange := time.Now()
	prev, prevAt := g.Counters(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return "signal"
		case now := <-tick.C:
			c := g.Counters()
			rx := c.DeviceRx()
			if rx != lastRx {
				lastRx, lastChange = rx, now
			}
			if opts.period > 0 && now.Sub(prevAt) >= opts.period {
				fmt.Fprintln(out, rateLine(prev, c, now.Sub(prevAt)))
				prev, prevAt = c, now
			}
			if opts.idleExit > 0 && now.Sub(lastChange) >= opts.idleExit {
				return errIdle.Error()
			}
		}
	}
}
