package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"tunfwd/cli"
)

const prompt = "tunfwd> "

// console is where everything the running gateway prints goes: stdout, or
// the line editor while a prompt owns the terminal (it keeps the prompt
// and the line being typed intact around the output).
type console struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

func (c *console) set(w io.Writer) {
	c.mu.Lock()
	c.w = w
	c.mu.Unlock()
}

// result runs line and renders its answer: the output, then "error: ..."
// with the usage lines of a rejected command. It reports whether the line
// was quit.
func result(sh *cli.Shell, line string) ([]byte, bool) {
	var b bytes.Buffer
	err := sh.Exec(&b, line, false)
	if err != nil && !errors.Is(err, cli.ErrQuit) {
		fmt.Fprintf(&b, "error: %s\n", err)
	}
	return b.Bytes(), errors.Is(err, cli.ErrQuit)
}

// runScript runs each line of r, echoed after the prompt as a terminal
// would show it, until quit or EOF. It reports whether it met quit.
func runScript(sh *cli.Shell, r io.Reader, w io.Writer) (bool, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		out, quit := result(sh, line)
		w.Write(append([]byte(prompt+line+"\n"), out...))
		if quit {
			return true, nil
		}
	}
	return false, sc.Err()
}

// session is the -i prompt: a line editor with history and completion when
// stdin and stdout are terminals, plain lines read from a pipe otherwise.
type session struct {
	restore func()
}

// startSession starts reading commands from in; quit is called once the
// user quits, at EOF (or ^D, ^C on a terminal).
func startSession(sh *cli.Shell, in *os.File, out *os.File, con *console, quit func()) (*session, error) {
	s := &session{restore: func() {}}
	fd := int(in.Fd())
	if !term.IsTerminal(fd) || !term.IsTerminal(int(out.Fd())) {
		go func() {
			if _, err := runScript(sh, in, con); err != nil {
				fmt.Fprintln(con, "tunfwd: reading commands:", err)
			}
			quit()
		}()
		return s, nil
	}
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{in, out}, prompt)
	if w, h, err := term.GetSize(int(out.Fd())); err == nil {
		t.SetSize(w, h)
	}
	t.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
		if key != '\t' {
			return "", 0, false
		}
		head, tail := line[:pos], line[pos:]
		nl, list := sh.CompleteLine(head)
		if len(list) > 0 {
			fmt.Fprintln(t, strings.Join(list, "  "))
		}
		return nl + tail, len(nl), true
	}
	con.set(t)
	var once sync.Once
	s.restore = func() {
		once.Do(func() {
			con.set(out)
			term.Restore(fd, old)
			fmt.Fprintln(out)
		})
	}
	go func() {
		for {
			line, err := t.ReadLine()
			if err != nil { // io.EOF: ^D on an empty line or ^C
				quit()
				return
			}
			res, q := result(sh, line)
			t.Write(res)
			if q {
				quit()
				return
			}
		}
	}()
	return s, nil
}
