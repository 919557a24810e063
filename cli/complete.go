package cli

import (
	"slices"
	"sort"
	"strings"

	"tunfwd/conf"
)

// Complete lists the words that can follow line (the text before the
// cursor): command words, then the arguments their Complete lists (port,
// tunnel and route names, tunnel keys). The last, unfinished word of line
// filters them.
func (s *Shell) Complete(line string) []string {
	words := strings.Fields(line)
	partial := ""
	if len(words) > 0 && !strings.HasSuffix(line, " ") && !strings.HasSuffix(line, "\t") {
		partial, words = words[len(words)-1], words[:len(words)-1]
	}
	var cands []string
	add := func(c string) {
		if strings.HasPrefix(c, partial) && !slices.Contains(cands, c) {
			cands = append(cands, c)
		}
	}
	cmds := s.cmds
	depth := 0
	var full []*Command // commands whose words are all given
	for depth < len(words) {
		next := matchWord(cmds, depth, words[depth])
		if len(next) == 0 {
			break
		}
		cmds = next
		depth++
	}
	for _, c := range cmds {
		switch {
		case len(c.Words) > depth && depth == len(words):
			add(c.Words[depth])
		case len(c.Words) <= depth:
			full = append(full, c)
		}
	}
	// commands matched by fewer words, whose arguments started
	for _, c := range s.cmds {
		if len(c.Words) <= len(words) && !slices.Contains(full, c) && wordsEqual(c.Words, words[:len(c.Words)]) {
			full = append(full, c)
		}
	}
	for _, c := range full {
		if c.Complete == nil {
			continue
		}
		args := words[len(c.Words):]
		for _, a := range c.Complete(s, args) {
			add(a)
		}
	}
	sort.Strings(cands)
	return cands
}

func wordsEqual(cmd, given []string) bool {
	if len(given) != len(cmd) {
		return false
	}
	for i := range cmd {
		if cmd[i] != given[i] && !strings.HasPrefix(cmd[i], given[i]) {
			return false
		}
	}
	return true
}

// CompleteLine is tab completion over line: the line extended by what all
// candidates share (a lone candidate completed with a blank after it), and
// the candidates when there are several to choose from.
func (s *Shell) CompleteLine(line string) (string, []string) {
	cands := s.Complete(line)
	if len(cands) == 0 {
		return line, nil
	}
	partial := ""
	if i := strings.LastIndexAny(line, " \t"); i < len(line)-1 {
		partial = line[i+1:]
	}
	head := line[:len(line)-len(partial)]
	if len(cands) == 1 {
		c := cands[0]
		if strings.HasSuffix(c, "=") {
			return head + c, nil
		}
		return head + c + " ", nil
	}
	common := cands[0]
	for _, c := range cands[1:] {
		for !strings.HasPrefix(c, common) {
			common = common[:len(common)-1]
		}
	}
	if len(common) > len(partial) {
		return head + common, nil
	}
	return line, cands
}

func (s *Shell) cfg() *conf.Config { return s.gw.Config() }

func completePort(s *Shell, args []string) []string {
	if len(args) == 0 {
		return portNames(s.cfg())
	}
	return nil
}

func completePortOrAll(s *Shell, args []string) []string {
	if len(args) == 0 {
		return append([]string{"all"}, portNames(s.cfg())...)
	}
	return nil
}

func completeTunnel(s *Shell, args []string) []string {
	if len(args) == 0 {
		return tunnelNames(s.cfg())
	}
	return nil
}

func keysGiven(args []string) []string {
	var out []string
	for _, k := range tunnelKeys() {
		given := false
		for _, a := range args {
			if strings.HasPrefix(a, k+"=") {
				given = true
			}
		}
		if !given {
			out = append(out, k+"=")
		}
	}
	return out
}

func completeTunnelAdd(s *Shell, args []string) []string {
	if len(args) == 0 {
		return nil // a new name
	}
	return keysGiven(args[1:])
}

func completeTunnelSet(s *Shell, args []string) []string {
	if len(args) == 0 {
		return tunnelNames(s.cfg())
	}
	return keysGiven(args[1:])
}

func completeRouteAdd(s *Shell, args []string) []string {
	switch len(args) {
	case 1:
		return []string{"via", "nexthop"}
	case 2:
		cfg := s.cfg()
		if args[1] == "nexthop" {
			var ips []string
			for _, nh := range cfg.Nexthops {
				if _, p := cfg.Port(nh.Port); p != nil && p.Side == conf.SideInner {
					ips = append(ips, nh.IP.String())
				}
			}
			return ips
		}
		var names []string
		for i := range cfg.Tunnels {
			if t := &cfg.Tunnels[i]; !t.CarriesEthernet() {
				names = append(names, t.Name)
			}
		}
		return names
	}
	return nil
}

func completeRoute(s *Shell, args []string) []string {
	if len(args) > 0 {
		return nil
	}
	var ps []string
	for _, r := range s.cfg().Routes {
		ps = append(ps, r.Prefix.String())
	}
	return ps
}

func completeHelp(s *Shell, args []string) []string {
	var out []string
	for _, c := range s.cmds {
		if len(c.Words) > len(args) && wordsMatch(c.Words, args) && !slices.Contains(out, c.Words[len(args)]) {
			out = append(out, c.Words[len(args)])
		}
	}
	return out
}
