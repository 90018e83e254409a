// Package fuel meters WebAssembly execution deterministically by rewriting
// the module: Instrument adds a fuel counter that the module's own code
// decrements as it runs, so the fuel a call uses is an exact function of the
// module and the call's inputs, the same on every node and under wazero's
// compiler and interpreter alike. wazero has no fuel of its own; this is the
// scheme of ICP and of Wasmer's metering middleware (CosmWasm), with the
// counter in a global rather than behind a host call, which on wazero's
// compiler costs ~31 ns a call
// (../shared/notes/verifiable-metering.md §1, §5.1).
//
// The package has its own decoder (standard library only, no wazero): it
// splits the module into sections, and decodes every instruction of every
// function body — the MVP, sign extension, the 0xFC operators (saturating
// truncations, bulk memory, table operations), reference types (ref.null,
// ref.is_null, ref.func, typed select) and multi-value block types, plus
// the tail calls return_call and return_call_indirect. Everything else is
// copied byte for byte.
//
// # The rewrite
//
//   - One mutable i64 global is appended to the global index space and
//     exported as GlobalName ("q1_fuel"): the fuel that remains. Its index
//     is the number of globals imported plus defined, so no existing index
//     moves; function, table, memory, type and data indices are untouched,
//     so the name section and every other custom section stay valid and are
//     kept, and a data-count section stays where it is. A global or export
//     section is inserted, in its place in the section order, if the module
//     has none.
//   - Each function body is cut into straight-line segments, and each
//     segment is charged its whole static cost at its start:
//     global.get; i64.const cost; i64.sub; global.set. A segment that costs
//     nothing is not charged.
//   - At function entry and at the head of every loop (inside the loop, so
//     each iteration) the instrumented code checks: if fuel < 0,
//     unreachable. Those two places are enough to stop any execution: code
//     without loops or calls runs a bounded number of operators, and every
//     repetition goes through a loop head or a function entry. The checks
//     sit after the charge of the segment that starts there, so a segment
//     that begins at an entry or a loop head never starts unpaid.
//   - Operators whose work depends on an operand are also charged
//     dynamically, just before they run, from the operand on the top of the
//     stack (copied with local.tee into one i32 scratch local appended to
//     the function's locals, which moves no index): memory.copy,
//     memory.fill and memory.init per started 64 bytes, memory.grow per
//     page requested, table.copy, table.fill, table.init and table.grow per
//     element. After a dynamic charge the exhaustion check runs too, so a
//     guest out of fuel never starts a large copy or grow it cannot pay for.
//
// The host sets the global (wazero's api.MutableGlobal) to the fuel a call
// may use before the call and reads it afterwards: used = before − after.
// A call stopped for lack of fuel traps with unreachable and leaves the
// global below zero; a call may also return with the global slightly below
// zero, having overdrawn by at most the segments and dynamic charges that
// ran after its last check, and the host treats that as out of fuel too.
// The global starts at 0, so a start function traps at once unless the
// module was instrumented with InstrumentWithStartFuel; a host should
// instantiate a Go reactor without start functions, set the global, and
// call _initialize itself.
//
// # Segment boundaries
//
// A segment ends after an operator behind which control may not simply
// fall through to the next operator, or may arrive from elsewhere:
//
//   - if, else, br_if: the next operator runs only on one of two paths;
//   - loop: its head is a branch target (the check goes there);
//   - end: the operator after it is a join point, reached by branches to
//     the block, by falling out of the then- and else-arms, or (for the
//     function's final end) never;
//   - br, br_table, return, unreachable, return_call, return_call_indirect:
//     nothing after them runs until the next end or else, so the segment
//     that follows (dead code) is not charged at all;
//   - call, call_indirect: the callee may never return (a trap, proc_exit,
//     running out of fuel, a host error), and ending the segment at the call
//     means the caller's operators after it are charged only once it has
//     returned, so fuel stays exact for the caller however the callee ends.
//
// block is not a boundary (ICP does the same): the operator after it always
// runs when block does, so block only adds its cost, 0, to the running
// segment. With these boundaries every operator of a segment runs once the
// segment starts, unless something traps in its middle (integer division
// by zero, an out-of-bounds access, a failed call_indirect): a trap then
// over-counts by the rest of the segment, always by the same amount for the
// same module and inputs. So on every call that does not trap, fuel used
// equals the cost of the operators executed plus the dynamic charges,
// exactly; the tests compare it with a naive instrumentation that charges
// every operator by itself.
//
// # Cost table
//
// Costs is the table; V1 is the table of Version 1:
//
//   - every operator costs 1, except block, loop, end, else and nop, which
//     cost 0 (nothing is left of them in compiled code);
//   - memory.copy, memory.fill and memory.init cost 1 more per started 64
//     bytes (⌈n/64⌉, computed in i64 so it cannot wrap);
//   - memory.grow costs 1024 more per page requested (a grown 64 KiB page is
//     zeroed, like a 64 KiB memory.fill), whether or not it succeeds;
//   - table.copy, table.fill, table.init and table.grow cost 1 more per
//     element.
//
// Dynamic charges count what the operator was asked to do, also when it
// then traps (out of bounds) or fails (memory.grow returning -1): that is
// what makes them a function of the operands alone. Host functions charge
// their own costs by subtracting from the same global. Version names the
// instrumenter and V1 together: a receipt's fuel is reproducible only under
// the Version it records.
//
// # What is refused, and why
//
// Instrument returns an *Error naming the function index (imports
// included) and the byte offset in the module, wrapping ErrUnsupported,
// ErrReserved, ErrLimit or ErrMalformed:
//
//   - SIMD (the 0xFD prefix, v128 values): not needed by our guests, and
//     SIMD floating point is a further source of non-determinism;
//   - threads (the 0xFE prefix, shared memories): another thread's progress
//     is not a function of the inputs, and fuel in a global is per instance;
//   - memory64 and table64: bulk and grow operands would be i64, which the
//     dynamic charges do not handle (wazero does not support them either);
//   - exception handling, typed function references, GC and any operator
//     or section the decoder does not know: code it cannot decode it cannot
//     meter;
//   - control flow wazero's compiler would take too long on (ErrLimit):
//     functions whose counts of control operators, squared and summed,
//     exceed ControlBudget;
//   - a module that already exports "q1_fuel" (instrumented twice, or a
//     name clash): the host would read the wrong value.
//
// Instrument trusts its input to be valid: it must be called on a module
// wazero has already validated. That is also what makes metering safe:
// code validated before the fuel global existed cannot refer to it, so a
// guest cannot refill its own fuel.
//
// # Determinism
//
// Fuel is a function of the instrumented module (so of the module, the
// cost table and Version) and of everything the guest reads: arguments,
// memory, host function results, clocks and randomness, which the host
// must make deterministic (fixed clocks, seeded random source). Integer
// and control semantics are fully specified by WebAssembly, and the charge
// code uses only them, so wazero's compiler and interpreter, and different
// machines, agree on fuel. The sign and payload of a NaN produced by a
// floating-point operation differ between architectures (x86 gives sign
// 1, ARM sign 0, and they propagate payloads differently) and wazero does
// not canonicalise them: a guest that branches on those bits (through
// i64.reinterpret_f64, say) would take another path, and use other fuel,
// on an auditor of the other architecture, and nothing records the
// architecture. So, since Version 2, after every operator that may
// produce a NaN (f32 and f64 ceil, floor, trunc, nearest, sqrt, add, sub,
// mul, div, min, max, f32.demote_f64, f64.promote_f32) the instrumented
// code replaces a NaN by the canonical one (sign 0, quiet bit only), with
// x == x ? x : NaN in an f32 or f64 scratch local appended beside the i32
// one; this code is not charged. abs, neg, copysign, loads, stores,
// constants and reinterpretations move bits exactly, the same everywhere.
// Resource exhaustion (memory limits, call-stack depth)
// is outside fuel: it depends on the host's configuration, which must be
// pinned too.
package fuel
