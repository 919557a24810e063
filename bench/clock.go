package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The effective core clock. perf stat -e cycles is the first choice; in VMs
// without a PMU (this one says <not supported>) the driver times a chain of
// dependent IMULs (3 cycles each on every x86-64 core since Nehalem / Zen)
// pinned to the worker's CPU right after each run, while that core is still
// in the state it ran in.

// imulChain runs n iterations of 10 dependent IMULs (30*n cycles).
func imulChain(n uint64) uint64

// cyclesPerIter is the latency of one imulChain iteration in core cycles.
const cyclesPerIter = 30

// calibrate returns the effective clock in Hz of CPU cpu, measured for about
// d: the median of several short chains.
func calibrate(cpu int, d time.Duration) (float64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return 0, err
	}
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return 0, fmt.Errorf("pin to cpu %d: %w", cpu, err)
	}
	defer unix.SchedSetaffinity(0, &old)
	// warm up: let the core leave any idle state
	const n = 2_000_000 // 60 M cycles: ~20 ms at 3 GHz
	imulChain(n / 4)
	var hz []float64
	end := time.Now().Add(d)
	for len(hz) < 5 || time.Now().Before(end) {
		t0 := time.Now()
		imulChain(n)
		dt := time.Since(t0).Seconds()
		hz = append(hz, float64(n)*cyclesPerIter/dt)
	}
	sort.Float64s(hz)
	// the upper median: a preempted sample only ever reads slower
	return hz[len(hz)*3/4], nil
}

// cpuinfoMHz is the kernel's idea of cpu's clock (/proc/cpuinfo "cpu MHz"),
// reported beside the calibration; in VMs it is often the nominal rate.
func cpuinfoMHz(cpu int) float64 {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	cur := -1
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			cur, _ = strconv.Atoi(v)
		case "cpu MHz":
			if cur == cpu {
				f, _ := strconv.ParseFloat(v, 64)
				return f
			}
		}
	}
	return 0
}

// clock measures the worker CPU's effective clock after each run.
type clock struct {
	cpu    int
	method string
}

func newClock(cpu int) *clock {
	c := &clock{cpu: cpu}
	c.method = fmt.Sprintf("chain of dependent 64-bit IMULs (3 cycles each) timed on cpu %d right after each run", cpu)
	out, err := exec.Command("perf", "stat", "-x,", "-e", "cycles", "true").CombinedOutput()
	switch {
	case err != nil:
		c.method += "; perf stat not usable: " + strings.TrimSpace(lastLine(string(out)+err.Error()))
	case strings.Contains(string(out), "not supported") || strings.Contains(string(out), "not counted"):
		c.method += "; perf stat -e cycles: <not supported> (no cycles PMU, e.g. in a VM)"
	default:
		// cross-check the chain against the PMU once
		if exe, err := os.Executable(); err == nil {
			const n = 20_000_000
			out, err := exec.Command("perf", "stat", "-x,", "-e", "cycles:u", "taskset", "-c", strconv.Itoa(cpu),
				exe, "-spin", strconv.Itoa(n)).CombinedOutput()
			if err == nil {
				for _, l := range strings.Split(string(out), "\n") {
					f := strings.Split(l, ",")
					if len(f) > 2 && strings.HasPrefix(f[2], "cycles") {
						if v, err := strconv.ParseFloat(f[0], 64); err == nil {
							c.method += fmt.Sprintf("; checked with perf stat: the chain took %.2f cycles per IMUL", v/(n*10))
						}
					}
				}
			}
		}
	}
	return c
}

func (c *clock) measure() float64 {
	hz, err := calibrate(c.cpu, 150*time.Millisecond)
	if err != nil {
		return 0
	}
	return hz
}
