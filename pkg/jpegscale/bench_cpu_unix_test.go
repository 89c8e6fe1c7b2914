//go:build unix

package jpegscale

import (
	"syscall"
	"time"
)

// cpuTime returns the user and system CPU time the process has used. On a
// machine shared with other work, a benchmark's CPU time per operation
// varies far less than its wall time, which counts the time the process
// waits for the core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
