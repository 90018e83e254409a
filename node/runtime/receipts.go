package runtime

import (
	"sync"
	"time"

	"github.com/quantum1net/q1/core/receipt"
)

// ReceiptSink receives what a service's instances did, one receipt per
// instance start-up (Index 0) and per request the guest ran, in order per
// instance (docs/guest-abi.md §10): the receipt, the request as encoded for
// the guest (nil at start-up) and the host-call tape (§10.3), which an
// auditor needs to re-execute it (Runtime.Replay). Receipt runs on the
// request path, after the guest returned and before the caller gets the
// response, so it must not block for long. It may keep request and tape:
// the runtime does not reuse them. It is called in order for one instance,
// and concurrently for different instances.
type ReceiptSink interface {
	Receipt(r receipt.Receipt, request, tape []byte)
}

// InstanceNumberer is what a ReceiptSink may implement to number a lease's
// instances within an epoch itself, e.g. to go on from the numbers it
// stored before a restart. NextInstance returns a number not used before
// for (lease, epoch). Without it, the Runtime numbers them from 0, per
// (lease, epoch), for as long as it lives.
type InstanceNumberer interface {
	NextInstance(lease, epoch uint64) uint64
}

// FuelPerCoreSecond is how much fuel one core of the reference machine
// burns in a second of guest code (docs/benchmarks.md, "Fuel"). It turns a
// request timeout into a default fuel limit here, and fuel into CPU time
// on the chain (params.fuel_per_core_second).
const FuelPerCoreSecond = 600_000_000

// StartupFuel caps the fuel of an instance's start-up (its _initialize):
// five core-seconds' worth, half of DefaultInitTimeout, so that a start-up
// that loops is stopped by fuel, the same way on every node. It is a
// constant, not an option, because an auditor replaying the start-up must
// give it the same fuel.
const StartupFuel = 5 * FuelPerCoreSecond

// DefaultMaxInstanceRequests is how many requests an instance serves
// before it is replaced (ServiceSpec.MaxInstanceRequests).
const DefaultMaxInstanceRequests = 4096

// FuelFor is the fuel a core burns in d: d × FuelPerCoreSecond, at least
// 1. A request's default limit is half of FuelFor(RequestTimeout).
func FuelFor(d time.Duration) uint64 {
	if d <= 0 {
		return 1
	}
	whole := uint64(d / time.Second)
	frac := uint64(d % time.Second)
	return max(1, whole*FuelPerCoreSecond+frac*FuelPerCoreSecond/uint64(time.Second))
}

// instanceNumbers numbers instances per (lease, epoch) when the sink does
// not.
type instanceNumbers struct {
	mu   sync.Mutex
	next map[[2]uint64]uint64
}

func (n *instanceNumbers) take(sink ReceiptSink, lease, epoch uint64) uint64 {
	if num, ok := sink.(InstanceNumberer); ok {
		return num.NextInstance(lease, epoch)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.next == nil {
		n.next = map[[2]uint64]uint64{}
	}
	k := [2]uint64{lease, epoch}
	i := n.next[k]
	n.next[k] = i + 1
	return i
}
