//go:build !unix

package jpegscale

import "time"

// cpuTime is not measured here; reportCPU then reports nothing.
func cpuTime() time.Duration { return 0 }
