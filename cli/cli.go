// Package cli is tunfwd's operator command set: one table of commands, each
// entry its words, the usage of its arguments, a help line, an example and a
// handler. The interactive prompt, the control socket (tunfwd ctl) and
// command files all run this one table through Shell.Exec.
//
// Commands that change the configuration (tunnel add/del, route add/del, set
// tunnel) edit the running configuration as TOML text, run it through
// conf.Parse, the very validation and defaults a --conf file gets, and hand
// the result to Gateway.Apply. A rejected command changes nothing.
package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"tunfwd/conf"
	"tunfwd/dataplane"
)

// Gateway is what the commands drive; *dataplane.Gateway implements it.
type Gateway interface {
	// Counters sums the workers' counters: per port, tunnel and drop reason.
	Counters() dataplane.Counters
	// SACounters reports each IPsec SA's packets, bytes, errors and state.
	SACounters() []dataplane.SACounters
	// PortInfo describes each port: name, id, side, MAC, driver, link, MTU.
	PortInfo() []dataplane.PortInfo
	// Xstats returns a port's extended device statistics.
	Xstats(port string) ([]dataplane.Xstat, error)
	// ClearCounters zeroes the counters of one port and its device stats,
	// or with port "" of every port and tunnel.
	ClearCounters(port string) error
	Start() error
	Stop() error
	Running() bool
	// Config is the running configuration.
	Config() *conf.Config
	// Apply replaces the running tables by those of a validated
	// configuration; on error nothing changed.
	Apply(cfg *conf.Config) error
	// Lcores reports each worker lcore with its queues and poll counts.
	Lcores() []dataplane.LcoreInfo
	// Trace records what happens to the next n packets received on port,
	// waiting at most timeout.
	Trace(port string, n int, timeout time.Duration) ([]dataplane.TraceRecord, error)
	// CaptureStart copies the next n packets received on port (0: until
	// CaptureStop) to a pcap file.
	CaptureStart(port, file string, n int) error
	// CaptureStop ends the capture and reports how many packets it wrote.
	CaptureStop() (packets int, err error)
}

// ErrQuit is returned by Exec for the quit command: the caller stops the
// gateway the way a signal does.
var ErrQuit = errors.New("quit")

// ErrClosed is returned by Exec once the shell is closed: the gateway is
// shutting down.
var ErrClosed = errors.New("tunfwd is shutting down")

// ErrUnknownCommand is wrapped by the UsageError for a line that names no
// command.
var ErrUnknownCommand = errors.New("unknown command")

// UsageError is a rejected command line: what is wrong and, when the line
// named a command (or the start of some), their usage.
type UsageError struct {
	Msg    string
	Usages []string // "show port stats all|NAME", ...
	err    error
}

// Error is one line naming the problem, then one "usage: ..." line per
// command it could have been.
func (e *UsageError) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	for _, u := range e.Usages {
		b.WriteString("\nusage: ")
		b.WriteString(u)
	}
	return b.String()
}

func (e *UsageError) Unwrap() error { return e.err }

// Command is one entry of the command table.
type Command struct {
	Words   []string // verb first: {"show", "port", "stats"}
	Args    string   // usage of the arguments after the words: "all|NAME"
	Help    string   // one sentence
	Example string   // a complete line; a test runs every one
	JSON    bool     // the command has a --json form
	Run     func(x *Call) error
	// Complete, if set, lists the candidates for argument number len(args)
	// given the arguments before it (for tab completion).
	Complete func(s *Shell, args []string) []string
}

// Name is the command's words joined by spaces.
func (c *Command) Name() string { return strings.Join(c.Words, " ") }

// Usage is the command's name and argument usage.
func (c *Command) Usage() string {
	if c.Args == "" {
		return c.Name()
	}
	return c.Name() + " " + c.Args
}

// Call is one run of a command.
type Call struct {
	Shell *Shell
	GW    Gateway
	Out   io.Writer
	Args  []string // the words after the command's own
	JSON  bool     // --json was given
	Cmd   *Command
}

// Usagef rejects the call: the message, then the command's usage.
func (x *Call) Usagef(format string, args ...any) error {
	return &UsageError{Msg: x.Cmd.Name() + ": " + fmt.Sprintf(format, args...), Usages: []string{x.Cmd.Usage()}}
}

// Errorf reports a failure of an accepted command, prefixed by its name.
func (x *Call) Errorf(format string, args ...any) error {
	return fmt.Errorf(x.Cmd.Name()+": "+format, args...)
}

// nargs rejects the call unless it has between lo and hi arguments.
func (x *Call) nargs(lo, hi int) error {
	switch n := len(x.Args); {
	case n < lo:
		return x.Usagef("missing argument")
	case n > hi:
		return x.Usagef("unexpected %q", x.Args[hi])
	}
	return nil
}

// DefaultTraceTimeout bounds how long trace waits for its packets.
const DefaultTraceTimeout = 10 * time.Second

// Shell runs command lines against a gateway, one at a time.
type Shell struct {
	gw   Gateway
	mu   sync.Mutex
	cmds []*Command

	// TraceTimeout bounds trace's wait; DefaultTraceTimeout if zero.
	TraceTimeout time.Duration

	captureFile string // the file of the capture running, "" if none
	capturePort string
	closed      bool
}

// New returns a shell over gw with the full command table.
func New(gw Gateway) *Shell {
	return &Shell{gw: gw, cmds: commands()}
}

// Commands returns the command table, in help order.
func (s *Shell) Commands() []*Command { return s.cmds }

// Exec runs one command line, writing its answer to w. asJSON asks for the
// JSON form (as does a "--json" word in the line). An empty line or a
// comment ("# ...") does nothing. The error is a *UsageError for a line
// that was rejected before anything ran, ErrQuit for quit.
func (s *Shell) Exec(w io.Writer, line string, asJSON bool) error {
	words, err := tokenize(line)
	if err != nil {
		return &UsageError{Msg: err.Error()}
	}
	if len(words) == 0 {
		return nil
	}
	var rest []string
	for _, wd := range words {
		if wd == "--json" || wd == "-json" {
			asJSON = true
			continue
		}
		rest = append(rest, wd)
	}
	cmd, args, err := s.lookup(rest)
	if err != nil {
		return err
	}
	x := &Call{Shell: s, GW: s.gw, Out: w, Args: args, JSON: asJSON, Cmd: cmd}
	if asJSON && !cmd.JSON {
		return x.Usagef("--json is not supported here")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return cmd.Run(x)
}

// lookup finds the command words start with: the longest match, each word
// given in full or as an unambiguous prefix ("sh po st").
func (s *Shell) lookup(words []string) (*Command, []string, error) {
	cands := s.cmds
	depth := 0
	var best *Command
	for depth < len(words) {
		next := matchWord(cands, depth, words[depth])
		if len(next) == 0 {
			break
		}
		cands = next
		depth++
		for _, c := range cands {
			if len(c.Words) == depth {
				best = c
			}
		}
	}
	if best != nil {
		// the longest command matched; its arguments follow its words
		return best, words[len(best.Words):], nil
	}
	if depth == 0 {
		return nil, nil, &UsageError{Msg: fmt.Sprintf("unknown command %q: help lists the commands", words[0]), err: ErrUnknownCommand}
	}
	prefix := strings.Join(words[:depth], " ")
	var usages []string
	var nexts []string
	for _, c := range cands {
		usages = append(usages, c.Usage())
		if w := c.Words[depth]; !slices.Contains(nexts, w) {
			nexts = append(nexts, w)
		}
	}
	msg := fmt.Sprintf("%s: want one of %s", prefix, strings.Join(nexts, ", "))
	if depth < len(words) {
		msg = fmt.Sprintf("%s: unknown word %q: want one of %s", prefix, words[depth], strings.Join(nexts, ", "))
	}
	return nil, nil, &UsageError{Msg: msg, Usages: usages, err: ErrUnknownCommand}
}

// matchWord keeps the commands whose word at depth is w, or, when none is,
// those it is the prefix of if they all share that one word.
func matchWord(cmds []*Command, depth int, w string) []*Command {
	var exact, prefix []*Command
	words := map[string]bool{}
	for _, c := range cmds {
		if len(c.Words) <= depth {
			continue
		}
		switch cw := c.Words[depth]; {
		case cw == w:
			exact = append(exact, c)
		case strings.HasPrefix(cw, w):
			prefix = append(prefix, c)
			words[cw] = true
		}
	}
	if len(exact) > 0 {
		return exact
	}
	if len(words) == 1 {
		return prefix
	}
	return nil
}

// tokenize splits a line into words at blanks; double quotes group a word
// with blanks in it ("my file.pcap"); '#' at the start of a word starts a
// comment.
func tokenize(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case quoted && r == '"':
			quoted = false
		case quoted:
			cur.WriteRune(r)
		case r == '"':
			quoted, inWord = true, true
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			return words, nil
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

var _ Gateway = (*dataplane.Gateway)(nil)
