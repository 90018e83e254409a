//go:build !linux

package runtime

import "time"

var cpuEpoch = time.Now()

// threadCPUTime falls back to the monotonic wall clock where thread CPU time
// is not wired up: usage is then over-counted by any time the guest waits.
// Nodes run on Linux, where it is exact.
func threadCPUTime() time.Duration { return time.Since(cpuEpoch) }

// cpuTimeIsThreadTime reports whether threadCPUTime measures thread CPU time.
const cpuTimeIsThreadTime = false
