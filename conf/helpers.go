package conf

import (
	"net/netip"
	"strconv"
	"strings"
)

// Port returns the index and the port named name, or -1 and nil.
func (c *Config) Port(name string) (int, *Port) {
	for i := range c.Ports {
		if c.Ports[i].Name == name {
			return i, &c.Ports[i]
		}
	}
	return -1, nil
}

// Tunnel returns the index and the tunnel named name, or -1 and nil.
func (c *Config) Tunnel(name string) (int, *Tunnel) {
	for i := range c.Tunnels {
		if c.Tunnels[i].Name == name {
			return i, &c.Tunnels[i]
		}
	}
	return -1, nil
}

// NexthopByIP returns the index and the next hop with IP a, or -1 and nil.
func (c *Config) NexthopByIP(a netip.Addr) (int, *Nexthop) {
	for i := range c.Nexthops {
		if c.Nexthops[i].IP == a {
			return i, &c.Nexthops[i]
		}
	}
	return -1, nil
}

// EALArgs builds the EAL argument vector, without argv[0], for the process
// pid (the file prefix gets "-<pid>" so that concurrent runs do not share
// runtime files). Vdevs are not passed: the dataplane probes them at run
// time.
func (c *Config) EALArgs(pid int) []string {
	e := &c.EAL
	var args []string
	if e.Lcores != "" {
		args = append(args, "--lcores", e.Lcores)
	} else {
		ids := []string{strconv.Itoa(e.MainLcore)}
		for _, w := range c.Dataplane.Workers {
			ids = append(ids, strconv.Itoa(w))
		}
		args = append(args, "-l", strings.Join(ids, ","))
	}
	args = append(args, "--main-lcore", strconv.Itoa(e.MainLcore))
	args = append(args, "-m", strconv.Itoa(e.MemoryMB))
	if !e.Hugepages {
		args = append(args, "--no-huge")
	}
	pci := false
	for _, p := range c.Ports {
		if p.PCI != "" {
			args = append(args, "-a", p.PCI)
			pci = true
		}
	}
	if !pci {
		args = append(args, "--no-pci")
	}
	if !e.Hugepages {
		args = append(args, "--no-shconf")
	}
	args = append(args, "--no-telemetry")
	args = append(args, "--file-prefix", e.FilePrefix+"-"+strconv.Itoa(pid))
	args = append(args, "--log-level="+e.LogLevel)
	return append(args, e.Args...)
}
