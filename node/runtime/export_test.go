package runtime

import "testing"

// For the external tests of this directory (package runtime_test).

func HelloWasm(tb testing.TB) []byte   { return helloWasm(tb) }
func HostileWasm(tb testing.TB) []byte { return hostileWasm(tb) }
func NewTestRuntime(tb testing.TB, opts ...Option) *Runtime {
	return newTestRuntime(tb, opts...)
}
