package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"tunfwd/cli"
	"tunfwd/conf"
)

// The control socket: one request per connection, a JSON line
// {"cmd": "show port stats", "json": false}, answered by one JSON line
// {"ok": true, "output": "..."} or {"ok": false, "output": "...",
// "error": "...", "usage": true}. usage is set for a rejected command line.

type ctlRequest struct {
	Cmd  string `json:"cmd"`
	JSON bool   `json:"json"`
}

type ctlReply struct {
	OK     bool   `json:"ok"`
	Output string `json:"output"`
	Error  string `json:"error,omitempty"`
	Usage  bool   `json:"usage,omitempty"`
}

const ctlRunDir = "/run/tunfwd"

// defaultSocket is where an instance with this file prefix listens.
func defaultSocket(filePrefix string) string {
	return filepath.Join(ctlRunDir, filePrefix+".sock")
}

// listenCtl binds the control socket at path (mode 0600, its directory
// 0700 when created). A socket file that nobody answers on is stale and
// replaced; one that answers belongs to a live instance: an error.
func listenCtl(path string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("control socket: %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket: another tunfwd is listening on %s (give another --ctl-socket)", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("control socket: remove stale %s: %w", path, err)
		}
	}
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}

// serveCtl answers requests on ln until it is closed; quit is called after
// the answer to a quit command is sent.
func serveCtl(ln net.Listener, sh *cli.Shell, quit func()) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go func() {
			if answerCtl(c, sh) {
				quit()
			}
		}()
	}
}

// answerCtl serves one connection; it reports whether the command was quit.
func answerCtl(c net.Conn, sh *cli.Shell) bool {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var req ctlRequest
	line, err := bufio.NewReader(io.LimitReader(c, 1<<20)).ReadBytes('\n')
	if err == nil || errors.Is(err, io.EOF) && len(line) > 0 {
		err = json.Unmarshal(line, &req)
	}
	var rep ctlReply
	quit := false
	if err != nil {
		rep = ctlReply{Error: "bad request: " + err.Error(), Usage: true}
	} else {
		var b bytes.Buffer
		err := sh.Exec(&b, req.Cmd, req.JSON)
		quit = errors.Is(err, cli.ErrQuit)
		rep = ctlReply{OK: err == nil || quit, Output: b.String()}
		if quit {
			rep.Output += "tunfwd stopping\n"
		} else if err != nil {
			var ue *cli.UsageError
			rep.Error, rep.Usage = err.Error(), errors.As(err, &ue)
		}
	}
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	b, _ := json.Marshal(rep)
	c.Write(append(b, '\n'))
	return quit
}

// ctl is `tunfwd ctl`: run one command against a running instance.
func ctl(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tunfwd ctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sock := fs.String("socket", "", "control socket (default: "+defaultSocket(conf.DefaultFilePrefix)+", or that of --conf)")
	confPath := fs.String("conf", "", "take the socket of the instance running this configuration (its file_prefix)")
	asJSON := fs.Bool("json", false, "JSON output, where the command has it")
	timeout := fs.Duration("timeout", time.Minute, "give up waiting for the answer after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tunfwd ctl [--socket PATH | --conf FILE] [--json] COMMAND...\n       tunfwd ctl help   lists the commands")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	if fs.NArg() == 0 || *sock != "" && *confPath != "" {
		fs.Usage()
		return exitConfig
	}
	path := *sock
	switch {
	case path != "":
	case *confPath != "":
		cfg, err := conf.Load(*confPath)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitConfig
		}
		path = defaultSocket(cfg.EAL.FilePrefix)
	default:
		path = defaultSocket(conf.DefaultFilePrefix)
	}
	rep, err := ctlCall(path, strings.Join(fs.Args(), " "), *asJSON, *timeout)
	if err != nil {
		fmt.Fprintln(stderr, "tunfwd ctl:", err)
		return exitFail
	}
	io.WriteString(stdout, rep.Output)
	if rep.OK {
		return exitOK
	}
	fmt.Fprintln(stderr, rep.Error)
	if rep.Usage {
		return exitConfig
	}
	return exitFail
}

func ctlCall(path, cmd string, asJSON bool, timeout time.Duration) (*ctlReply, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("no tunfwd answers on %s: %w", path, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	b, _ := json.Marshal(ctlRequest{Cmd: cmd, JSON: asJSON})
	if _, err := c.Write(append(b, '\n')); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	var rep ctlReply
	if err := json.Unmarshal(line, &rep); err != nil {
		return nil, fmt.Errorf("bad answer: %w", err)
	}
	return &rep, nil
}
