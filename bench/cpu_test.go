package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuSample is the CPU time that the benchmark's processes had used when
// it was read: Chromium's (those whose command line names the suite's
// profile directory) and this one, which runs the server. Linux keeps it
// per thread in /proc/<pid>/task/<tid>/schedstat (its first field, in ns).
//
// An echo's round trip is CPU on every side: the page's main thread,
// Chrome's network service, the renderer's IO thread, the server. On a
// machine whose cores are all busy during the echoes (two cores here,
// and a single one under `taskset -c 0`) each microsecond any of them
// spends lengthens the round trip, and a page's CPU an echo is a steadier
// figure than its time: it moves little with the machine's other work.
type cpuSample struct {
	mains map[int]float64 // ns, each renderer's main thread, by pid
	all   float64         // ns, every thread of every process above
}

// cpuMeasured reports whether this system has the per-thread times.
func cpuMeasured() bool {
	_, err := os.Stat("/proc/self/task/" + strconv.Itoa(os.Getpid()) + "/schedstat")
	return err == nil
}

// readCPU reads a cpuSample for the Chromium whose user data directory is
// profile.
func readCPU(profile string) cpuSample {
	s := cpuSample{mains: map[int]float64{}}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	for _, dir := range procs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		renderer := false
		if pid != self {
			cmdline, err := os.ReadFile(dir + "/cmdline")
			if err != nil || !strings.Contains(string(cmdline), profile) {
				continue
			}
			renderer = strings.Contains(string(cmdline), "--type=renderer")
		}
		tasks, _ := filepath.Glob(dir + "/task/[0-9]*")
		for _, task := range tasks {
			ns := threadCPU(task)
			s.all += ns
			if renderer && filepath.Base(task) == strconv.Itoa(pid) {
				s.mains[pid] = ns // a process's main thread has its pid
			}
		}
	}
	return s
}

// threadCPU is the CPU time in ns that the thread of a /proc task
// directory used, 0 when it is gone.
func threadCPU(task string) float64 {
	b, err := os.ReadFile(task + "/schedstat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	ns, _ := strconv.ParseFloat(f[0], 64)
	return ns
}

// echoCPU is the CPU time that a client's echoes took.
type echoCPU struct {
	echoes int
	main   float64 // ns, its page's main thread
	all    float64 // ns, the browser's processes and the server
}

// add counts n echoes between the samples before and after. The page's
// main thread is the renderer's that used the most meanwhile: the
// clients take turns, and the other tabs idle.
func (c *echoCPU) add(n int, before, after cpuSample) {
	main := 0.0
	for pid, ns := range after.mains {
		main = max(main, ns-before.mains[pid])
	}
	c.echoes += n
	c.main += main
	c.all += after.all - before.all
}

// perEcho returns the main thread's and everything's CPU an echo, in ms.
func (c echoCPU) perEcho() (main, all float64) {
	if c.echoes == 0 {
		return unmeasured, unmeasured
	}
	return c.main / float64(c.echoes) / 1e6, c.all / float64(c.echoes) / 1e6
}
