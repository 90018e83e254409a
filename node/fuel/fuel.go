package fuel

import (
	"errors"
	"fmt"
)

// GlobalName is the name under which an instrumented module exports its
// fuel: a mutable i64 global holding the fuel that remains.
const GlobalName = "q1_fuel"

// DepthGlobalName is the name under which an instrumented module exports
// its call depth: a mutable i32 global holding the summed frame weights of
// the functions on the call stack (see the package documentation, "Call
// depth"). The host sets it to 0 before every call into the module.
const DepthGlobalName = "q1_depth"

// MaxDepth is the call depth limit: a function whose entry would take the
// depth global above it traps with unreachable instead, before it runs
// anything else, and leaves the global above MaxDepth (which is how a host
// tells a depth trap from other traps). A frame weighs at least FrameBase,
// so no call chain under the limit is more than MaxDepth/FrameBase = 1,024
// frames deep, about half of what wazero's interpreter allows (2,000
// frames): every engine runs every chain the limit allows. On wazero's
// compiler the stack at the limit stays far below its own 400 MB ceiling
// whatever shape of frame a guest chooses (measured: at most 21 MiB
// allocated; see the package documentation), and the example Go guests
// peak at about 4% of it.
const MaxDepth = 1 << 20

// FrameBase and FrameBytesPerSlot define a function's frame weight, a
// constant of the instrumented module:
//
//	weight = FrameBase + params + locals + ⌈body bytes / FrameBytesPerSlot⌉
//
// capped at MaxDepth+1 (a function that heavy traps at its entry). Body
// bytes count the whole code entry (local declarations and code). params
// and locals are the slots the frame holds for them; the body's size
// bounds how many other values its code can keep live across a call (the
// compiler spills them to the frame), at 3 bytes of code each at least;
// FrameBase covers a frame's fixed part and bounds the number of frames.
const (
	FrameBase         = 1024
	FrameBytesPerSlot = 4
)

// Version identifies the instrumenter and the cost table of V1 together.
// Leases and receipts record it: the same module and inputs use the same
// fuel only under the same Version. Change it whenever Instrument's output
// or V1 changes in a way that changes fuel or what a guest computes.
// Version 2 makes NaN bits canonical (see the package documentation);
// Version 3 adds the call depth limit (DepthGlobalName, MaxDepth);
// Version 4 keeps fuel in a local of each function, synced with the global
// at calls, returns and loop heads (see "Fuel in a local").
const Version uint32 = 4

// Costs is a cost table: what each operator costs, and what the operators
// whose work depends on an operand cost per unit of that operand. The zero
// value charges nothing. Costs is comparable, so a host can tell two tables
// apart with ==.
type Costs struct {
	// Op is the cost of each operator by its one-byte opcode. Unused opcodes
	// are never looked up.
	Op [256]uint32
	// Misc is the cost of each 0xFC-prefixed operator (saturating
	// truncations, bulk memory, table operations) by its sub-opcode.
	Misc [MiscOps]uint32
	// MemoryBulkPer64Bytes is charged, in addition to Misc, per started 64
	// bytes that memory.copy, memory.fill or memory.init is asked to move:
	// ⌈n/64⌉ times this for a length n, charged before the operator runs
	// (also when it then traps out of bounds).
	MemoryBulkPer64Bytes uint32
	// TableBulkPerElement is charged, in addition to Misc, per element that
	// table.copy, table.fill or table.init is asked to move.
	TableBulkPerElement uint32
	// MemoryGrowPerPage is charged, in addition to Op[memory.grow], per
	// 64 KiB page memory.grow is asked for, whether or not it succeeds.
	MemoryGrowPerPage uint32
	// TableGrowPerElement is charged, in addition to Misc, per element
	// table.grow is asked for, whether or not it succeeds.
	TableGrowPerElement uint32
}

// MiscOps is the number of 0xFC-prefixed operators the instrumenter knows
// (sub-opcodes 0 to 17).
const MiscOps = 18

// V1 returns the cost table of Version 1: every operator costs 1, except
// block, loop, end, else and nop, which cost 0 (they do no work once
// compiled); bulk memory operators cost 1 more per started 64 bytes, table
// bulk operators and table.grow 1 more per element, and memory.grow 1024
// more per page requested (a grown page is zeroed: 64 KiB, as for a
// memory.fill of that size).
func V1() Costs {
	var c Costs
	for i := range c.Op {
		c.Op[i] = 1
	}
	for _, op := range []byte{opBlock, opLoop, opEnd, opElse, opNop} {
		c.Op[op] = 0
	}
	for i := range c.Misc {
		c.Misc[i] = 1
	}
	c.MemoryBulkPer64Bytes = 1
	c.TableBulkPerElement = 1
	c.MemoryGrowPerPage = 1024
	c.TableGrowPerElement = 1
	return c
}

// Errors Instrument wraps; test with errors.Is.
var (
	// ErrUnsupported: the module uses a feature the instrumenter does not
	// meter (SIMD, threads, memory64, exception handling, an operator it
	// does not know).
	ErrUnsupported = errors.New("not supported by fuel metering")
	// ErrReserved: the module already exports GlobalName or
	// DepthGlobalName.
	ErrReserved = errors.New("export name reserved for fuel metering")
	// ErrMalformed: the module could not be decoded. Instrument expects a
	// module wazero has validated, so this is a caller's mistake.
	ErrMalformed = errors.New("malformed module")
)

// Error is a module Instrument refuses or cannot decode. Its message names
// what and where: the function index (in the module's function index space,
// imports included) when the problem is inside a function, and the byte
// offset in the module.
type Error struct {
	// Func is the function index, or -1 outside the code section.
	Func int
	// Offset is the byte offset in the module.
	Offset int
	// What says what is wrong.
	What string
	// Kind is ErrUnsupported, ErrReserved, ErrMalformed or ErrLimit.
	Kind error
}

func (e *Error) Error() string {
	if e.Func >= 0 {
		return fmt.Sprintf("fuel: function %d, byte offset %d (0x%x): %s", e.Func, e.Offset, e.Offset, e.What)
	}
	return fmt.Sprintf("fuel: byte offset %d (0x%x): %s", e.Offset, e.Offset, e.What)
}

// Unwrap returns Kind.
func (e *Error) Unwrap() error { return e.Kind }

// Instrument returns wasm rewritten to count fuel under the cost table c
// (see the package documentation for the scheme). Call it only on a module
// wazero has already validated: the output is valid when the input is, and
// validating first is what guarantees the module's own code cannot touch the
// fuel global. The global starts at 0: a host sets it before every call.
func Instrument(wasm []byte, c Costs) ([]byte, error) {
	return instrument(wasm, &c, options{})
}

// InstrumentWithStartFuel is Instrument with the fuel global starting at
// fuel instead of 0, for modules whose start function (or a start function
// the host runs during instantiation, such as _initialize) must run before
// the host can set the global. The host reads the global after
// instantiation to learn what instantiation used.
func InstrumentWithStartFuel(wasm []byte, c Costs, fuel int64) ([]byte, error) {
	return instrument(wasm, &c, options{startFuel: fuel})
}

// options are the instrumenter's knobs; perOp is for tests only.
type options struct {
	startFuel int64
	// perOp charges every operator on its own, just before it, instead of
	// each segment at its start: a naive instrumenter whose fuel the
	// segment scheme must match exactly on every run that does not trap.
	perOp bool
	// size is the module's length in bytes, set by instrument.
	size int
	// depthProbe exports one more mutable i32 global, "q1_depth_max",
	// raised at every function entry to the depth reached: the peak depth
	// weight of the calls since the host last reset it (tests only).
	depthProbe bool
}

// depthProbeName is the export of the probe global (options.depthProbe).
const depthProbeName = "q1_depth_max"
