package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// machine describes where the figures were measured, for the tables' heading: they are only comparable with
// figures from the same CPU.
type machine struct {
	date    string
	cpu     string // the model name in /proc/cpuinfo
	cpus    int    // processors in /proc/cpuinfo: what nproc prints when nothing pins it
	allowed []int  // the CPUs this process may run on (taskset), the ones the children get first
	taskset bool   // children can be pinned
	goVer   string
}

func describeMachine() machine {
	m := machine{date: time.Now().Format("2006-01-02"), cpu: "unknown CPU", goVer: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			switch k = strings.TrimSpace(k); {
			case !ok:
			case k == "processor":
				m.cpus++
			case k == "model name" && m.cpus == 1:
				m.cpu = strings.TrimSpace(v)
			}
		}
	}
	m.cpus = max(m.cpus, runtime.NumCPU())
	m.allowed = allowedCPUs(m.cpus)
	_, err := exec.LookPath("taskset")
	m.taskset = err == nil
	return m
}

// allowedCPUs reads this process's affinity (Cpus_allowed_list in /proc/self/status, "0-1,4" style), or assumes
// every CPU.
func allowedCPUs(n int) []int {
	var out []int
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			list, ok := strings.CutPrefix(line, "Cpus_allowed_list:")
			if !ok {
				continue
			}
			for _, part := range strings.Split(strings.TrimSpace(list), ",") {
				lo, hi, isRange := strings.Cut(part, "-")
				a, err1 := strconv.Atoi(lo)
				b := a
				var err2 error
				if isRange {
					b, err2 = strconv.Atoi(hi)
				}
				if err1 == nil && err2 == nil {
					for cpu := a; cpu <= b; cpu++ {
						out = append(out, cpu)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		for cpu := range n {
			out = append(out, cpu)
		}
	}
	return out
}

// host is the machine the parent runs on, read once.
var host = describeMachine()

// cpusFor returns the CPUs a child with procs threads is pinned to: the ones this process is allowed first (so
// `taskset -c 0 bench` keeps 1-core children on CPU 0), then the machine's others, for a 2-core run under a 1-core
// parent.
func cpusFor(procs int) []int {
	cpus := append([]int(nil), host.allowed...)
	for cpu := 0; cpu < host.cpus && len(cpus) < procs; cpu++ {
		if !slices.Contains(cpus, cpu) {
			cpus = append(cpus, cpu)
		}
	}
	return cpus[:min(procs, len(cpus))]
}

// pinned returns the command that runs name with args on procs CPUs: under taskset when there is one, as is
// otherwise (the heading then says the children were not pinned).
func pinned(procs int, name string, args ...string) *exec.Cmd {
	if !host.taskset {
		return exec.Command(name, args...)
	}
	return exec.Command("taskset", append([]string{"-c", joinInts(cpusFor(procs)), name}, args...)...)
}

// heading describes the machine and the pinning in one line.
func (m machine) heading(procs []int) string {
	pin := "children not pinned (no taskset)"
	if m.taskset {
		var parts []string
		for _, p := range procs {
			parts = append(parts, fmt.Sprintf("%d thread(s) on CPU %s", p, joinInts(cpusFor(p))))
		}
		pin = "children pinned with taskset: " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("Measured %s on %s, %d CPUs (nproc), %s, %s/%s; %s.",
		m.date, m.cpu, m.cpus, m.goVer, runtime.GOOS, runtime.GOARCH, pin)
}
