package runtime

import (
	"errors"
	"fmt"
)

// Host functions charge their own fuel, from the same global the guest's
// code counts down (docs/guest-abi.md §10.2): a fixed cost per call plus a
// cost per 16 bytes they move between guest memory and the host, store or
// network. These figures are part of the meter: changing them changes
// fuel, so it needs a new fuel.Version.
const (
	// hostCallFuel: read_result, response_write, log.
	hostCallFuel = 100
	// kvCallFuel: kv_get, kv_put, kv_delete, kv_list (a store access).
	kvCallFuel = 5_000
	// fetchCallFuel: http_fetch (a connection, TLS, an HTTP exchange).
	fetchCallFuel = 50_000
	// wasiCallFuel: a clock read, a sleep, a random_get, a write to
	// stdout or stderr.
	wasiCallFuel = 50
	// randByteFuel: each random byte. The stream is one SHA-256 block per
	// 32 bytes (determinism.go), tens of times the work of copying them:
	// charged like copied bytes (1 per 16), a guest reading random bytes
	// in a loop got ~15× more CPU than its fuel said, enough to outlast
	// its fuel limit (half the timeout's worth) and be stopped by the
	// wall-clock timeout instead, which leaves no receipt and no bill.
	randByteFuel = 1
)

// byteFuel is the per-byte part of a host call's cost: 1 per started 16
// bytes.
func byteFuel(n int) uint64 { return (uint64(n) + 15) / 16 }

// errOutOfFuel stops a guest whose host call could not be paid for.
var errOutOfFuel = errors.New("out of fuel")

// charge takes fuel for a host call. Out of fuel, it leaves the global
// below zero and stops the guest (wazero turns the panic into the call's
// error), before the host does the work.
func (in *instance) charge(fuel uint64) {
	if !in.deduct(fuel) {
		panic(errOutOfFuel)
	}
}

// deduct takes fuel for host work the guest reached through WASI (clocks,
// sleeps, random bytes, stdout and stderr). It does not stop the guest,
// which traps at its next check; it reports whether fuel is left.
func (in *instance) deduct(fuel uint64) bool {
	if in.fuel == nil {
		return true
	}
	left := int64(in.fuel.Get()) - int64(min(fuel, 1<<62))
	in.fuel.Set(uint64(left))
	return left >= 0
}

// fuelLeft reads the fuel global.
func (in *instance) fuelLeft() int64 { return int64(in.fuel.Get()) }

// outOfFuelReason is the message of a request that used its whole limit.
func outOfFuelReason(limit uint64) string {
	return fmt.Sprintf("request ran out of fuel: used its limit of %d fuel (a loop that never ends, or more work than resources.requestTimeout allows); the instance was replaced", limit)
}
