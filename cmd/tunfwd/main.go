// Command tunfwd is a DPDK userspace tunnel gateway.
//
//	tunfwd --conf fwd.toml [--stats-period 5s] [--stats-json FILE] [--idle-exit 2s]
//	       [-i] [--cmdline-file FILE] [--ctl-socket PATH] [--metrics ADDR]
//	tunfwd check --conf fwd.toml
//	tunfwd ctl [--socket PATH] [--json] COMMAND...
//
// Exit status: 0 after a clean stop, 1 on a runtime error, 2 on a bad
// command line or configuration (reported before any port is touched).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"tunfwd/cli"
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
	if len(args) > 0 && args[0] == "ctl" {
		return ctl(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "perf" {
		return perf(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("tunfwd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	confPath := fs.String("conf", "", "configuration file (TOML)")
	period := fs.Duration("stats-period", 5*time.Second, "print a one-line rate summary this often (0: never)")
	statsJSON := fs.String("stats-json", "", "write the final counters as JSON to this file at exit")
	idleExit := fs.Duration("idle-exit", 0, "stop once no port has received for this long (0: run until a signal)")
	interactive := fs.Bool("i", false, "interactive: a tunfwd> prompt (or commands read from a piped stdin) while forwarding; quit or EOF stops")
	cmdFile := fs.String("cmdline-file", "", "run the commands in this file once forwarding starts")
	ctlSocket := fs.String("ctl-socket", "", "control socket for tunfwd ctl (default "+defaultSocket("FILE_PREFIX")+"; none: no socket)")
	metrics := fs.String("metrics", "", "serve Prometheus metrics at http://ADDR/metrics (ADDR a loopback HOST:PORT)")
	metricsAny := fs.Bool("metrics-any", false, "allow --metrics on a non-loopback address")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tunfwd --conf FILE [flags]\n       tunfwd check --conf FILE\n       tunfwd ctl [--socket PATH] [--json] COMMAND...\n       tunfwd perf --conf FILE [--bursts N] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	if *confPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitConfig
	}
	if *interactive && !flagSet(fs, "stats-period") {
		*period = 0 // the rate line would run over the prompt
	}
	var script []byte
	if *cmdFile != "" {
		var err error
		if script, err = os.ReadFile(*cmdFile); err != nil {
			fmt.Fprintln(stderr, "tunfwd:", err)
			return exitConfig
		}
	}
	if *metrics != "" {
		if err := checkMetricsAddr(*metrics, *metricsAny); err != nil {
			fmt.Fprintln(stderr, "tunfwd:", err)
			return exitConfig
		}
	}
	cfg, err := conf.Load(*confPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitConfig
	}
	opts := runOpts{period: *period, statsJSON: *statsJSON, idleExit: *idleExit, confPath: *confPath,
		interactive: *interactive, script: script, metrics: *metrics}
	if *ctlSocket == "" {
		*ctlSocket = cfg.Control.Socket
	}
	if *metrics == "" && cfg.Control.Metrics != "" {
		opts.metrics = cfg.Control.Metrics
	}
	if err := checkHost(cfg); err != nil {
		fmt.Fprintln(stderr, err)
		return exitConfig
	}
	switch *ctlSocket {
	case "none":
	case "":
		opts.ctlSocket, opts.ctlOptional = defaultSocket(cfg.EAL.FilePrefix), true
	default:
		opts.ctlSocket = *ctlSocket
	}
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
	fmt.Fprintf(stdout, "%s: ok: %d ports, %d tunnels, %d routes, %d L2 bindings, %d SIDs, %d crypto devices, %d SAs, %d policies\n",
		*confPath, len(cfg.Ports), len(cfg.Tunnels), len(cfg.Routes), len(cfg.L2), len(cfg.SIDs),
		len(cfg.Crypto), len(cfg.SAs), len(cfg.Policies))
	return exitOK
}

// flagSet reports whether the command line gave flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// startEAL brings up DPDK for cfg; done tears it down and removes its
// runtime directory (the file prefix is made per process).
func startEAL(cfg *conf.Config) (done func(), err error) {
	if err := dataplane.Init(cfg.EALArgs(os.Getpid())); err != nil {
		return nil, err
	}
	prefix := cfg.EAL.FilePrefix + "-" + fmt.Sprint(os.Getpid())
	return func() {
		dataplane.Cleanup()
		os.RemoveAll(filepath.Join("/var/run/dpdk", prefix))
	}, nil
}

type runOpts struct {
	period    time.Duration
	statsJSON string
	idleExit  time.Duration

	interactive bool   // -i: commands from stdin
	script      []byte // --cmdline-file: commands run at start
	ctlSocket   string // "": none
	ctlOptional bool   // the default path: go on without it if its directory cannot be made
	metrics     string // listen address, "": off
	confPath    string // re-read on SIGHUP
}

// serve runs the gateway until a signal, idle exit or quit, then prints and
// writes the final counters.
func serve(cfg *conf.Config, opts runOpts, stdout io.Writer) error {
	if opts.statsJSON != "" {
		// fail now rather than after the run
		if err := os.MkdirAll(filepath.Dir(opts.statsJSON), 0o755); err != nil {
			return err
		}
	}
	// bind the control socket and the metrics port before touching any
	// port: a second instance on the same socket stops here
	var ctlLn *net.UnixListener
	if opts.ctlSocket != "" {
		var err error
		ctlLn, err = listenCtl(opts.ctlSocket)
		var pe *os.PathError
		switch {
		case err != nil && opts.ctlOptional && errors.As(err, &pe):
			fmt.Fprintln(stdout, "tunfwd: no control socket:", err)
		case err != nil:
			return err
		default:
			defer ctlLn.Close() // removes the socket file
		}
	}
	var metricsLn net.Listener
	if opts.metrics != "" {
		var err error
		if metricsLn, err = net.Listen("tcp", opts.metrics); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		defer metricsLn.Close()
	}
	con := &console{w: stdout}
	var out io.Writer = con
	done, err := startEAL(cfg)
	if err != nil {
		return err
	}
	defer done()
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
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloadOnHUP(hup, g, opts.confPath, out)
	sh := cli.New(g)
	quitCh := make(chan struct{})
	var quitOnce sync.Once
	quit := func() { quitOnce.Do(func() { close(quitCh) }) }
	if ctlLn != nil {
		go serveCtl(ctlLn, sh, quit)
		fmt.Fprintf(out, "tunfwd: control socket %s (tunfwd ctl --socket %s help)\n", opts.ctlSocket, opts.ctlSocket)
	}
	var metricsSrv *http.Server
	if metricsLn != nil {
		metricsSrv = serveMetrics(metricsLn, g)
		defer metricsSrv.Close()
		fmt.Fprintf(out, "tunfwd: metrics at http://%s/metrics\n", metricsLn.Addr())
	}
	fmt.Fprintf(out, "tunfwd: forwarding on %d ports with %d workers (lcores %v)\n",
		len(g.Ports), len(cfg.Dataplane.Workers), cfg.Dataplane.Workers)
	if opts.script != nil {
		if q, _ := runScript(sh, bytes.NewReader(opts.script), out); q {
			quit()
		}
	}
	restore := func() {}
	if opts.interactive {
		sess, err := startSession(sh, os.Stdin, os.Stdout, con, quit)
		if err != nil {
			return err
		}
		restore = sess.restore
	}
	reason := wait(ctx, g, opts, out, quitCh)
	stop() // a second signal now kills the process the default way
	restore()
	out = stdout
	// no command or scrape reaches the gateway from here on
	if ctlLn != nil {
		ctlLn.Close()
	}
	if metricsSrv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		metricsSrv.Shutdown(sctx)
		cancel()
	}
	sh.Close(out)
	if g.Running() {
		if err := g.Stop(); err != nil {
			return err
		}
	}
	c := g.Counters()
	sas := g.SACounters()
	lcores := g.Lcores() // before Close frees the workers' counters
	elapsed := time.Since(start)
	closeErr := g.Close()
	avail, size := g.ClosedPool()
	s := newSummary(cfg, c, elapsed, reason, avail, size)
	s.SAs, s.Workers = sas, lcores
	s.print(out)
	if opts.statsJSON != "" {
		if err := s.writeJSON(opts.statsJSON); err != nil {
			return err
		}
	}
	return closeErr
}

var errIdle = errors.New("idle")

// wait blocks until a signal, quit or, with idleExit, until no port has
// received for that long (time stopped by the stop command does not
// count); it prints a rate line every period.
func wait(ctx context.Context, g *dataplane.Gateway, opts runOpts, out io.Writer, quit <-chan struct{}) string {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastRx uint64
	lastChange := time.Now()
	prev, prevAt := g.Counters(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return "signal"
		case <-quit:
			return "quit"
		case now := <-tick.C:
			c := g.Counters()
			rx := c.DeviceRx()
			if rx != lastRx || !g.Running() {
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

// checkHost catches what the configuration cannot know alone: worker
// lcores that this machine does not have (EAL would fail with a page of
// usage text instead).
func checkHost(cfg *conf.Config) error {
	if cfg.EAL.Lcores != "" {
		return nil // an explicit lcore map: EAL checks it
	}
	n := runtime.NumCPU()
	for _, lc := range append([]int{cfg.EAL.MainLcore}, cfg.Dataplane.Workers...) {
		if lc >= n {
			key := "dataplane.workers"
			if lc == cfg.EAL.MainLcore {
				key = "eal.main_lcore"
			}
			return fmt.Errorf("%s: lcore %d does not exist on this machine (CPUs 0..%d); set eal.lcores to map lcores onto CPUs, e.g. \"(0-%d)@(0-%d)\"",
				key, lc, n-1, lc, n-1)
		}
	}
	return nil
}

// reloadOnHUP re-reads the configuration file on each SIGHUP and applies it
// as a live change; a file that does not load, or asks for a change that
// needs a restart, is rejected and the running state stays as it was.
func reloadOnHUP(hup <-chan os.Signal, g *dataplane.Gateway, path string, out io.Writer) {
	for range hup {
		cfg, err := conf.Load(path)
		if err == nil {
			err = g.Apply(cfg)
		}
		if err != nil {
			fmt.Fprintf(out, "tunfwd: SIGHUP: %s rejected, running configuration unchanged:\n%v\n", path, err)
			continue
		}
		fmt.Fprintf(out, "tunfwd: SIGHUP: %s applied: %d tunnels, %d routes, %d L2 bindings\n",
			path, len(cfg.Tunnels), len(cfg.Routes), len(cfg.L2))
	}
}
