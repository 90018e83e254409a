//go:build linux

package runtime

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPUTime returns the CPU time the calling OS thread has used. The
// caller must hold runtime.LockOSThread across the two readings it compares.
func threadCPUTime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// cpuTimeIsThreadTime reports whether threadCPUTime measures thread CPU time.
const cpuTimeIsThreadTime = true
