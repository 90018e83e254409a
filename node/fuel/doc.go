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
//     exported as GlobalName ("q1_fuel"): the fuel that remains; and after
//     it one mutable i32 global exported as DepthGlobalName ("q1_depth"):
//     the call depth (see "Call depth" below). Their indices are the number
//     of globals imported plus defined, and one more, so no existing index
//     moves; function, table, memory, type and data indices are untouched,
//     so the name section and every other custom section stay valid and are
//     kept, and a data-count section stays where it is. A global or export
//     section is inserted, in its place in the section order, if the module
//     has none.
//   - Each function body is cut into straight-line segments, and each
//     segment is charged its whole static cost at its start, on an i64
//     local that holds the function's fuel while its own code runs:
//     local.get; i64.const cost; i64.sub; local.set. A segment that costs
//     nothing is not charged. The local and the global are kept in step at
//     the places listed in "Fuel in a local" below.
//   - At function entry and at the head of every loop (inside the loop, so
//     each iteration) the instrumented code checks: if fuel < 0,
//     unreachable (after storing the local into the global, so the host
//     sees the exhaustion). Those two places are enough to stop any execution: code
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
//   - Every function entry, before its charge, adds the function's frame
//     weight to the depth global and traps past MaxDepth; every call and
//     call_indirect is followed by the depth's restoration (see "Call
//     depth"). None of this code is charged.
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
// # Fuel in a local
//
// Since Version 4 the fuel a function's own code spends is kept in an i64
// local appended to its locals, not charged to the global segment by
// segment: a global is memory to wazero's compiler (a load and a store at
// every branch target), a local a register. The two meet where someone
// else reads or charges the global:
//
//   - at entry: local = global;
//   - before call, call_indirect, return_call and return_call_indirect:
//     global = local (the callee, or a host function, starts from it and
//     charges the global); after call and call_indirect: local = global;
//   - before return, before a br, br_if or br_table that may target the
//     function's own label, and before the function's final end: global =
//     local (the caller, or the host, reads it);
//   - before unreachable, and in every exhaustion check that fails:
//     global = local, so a trap the guest asks for, or one for lack of
//     fuel, is charged exactly;
//   - at every loop head, before the check, and after every dynamic
//     charge: global = local.
//
// So on every call that returns, the global is exactly what it was under
// Version 3, and so is fuel used. A trap the code does not ask for (an
// integer division by zero, an out-of-bounds access, a failed
// call_indirect) and a call the host cancels leave the global where the
// innermost frame last stored it: behind by the code that frame ran since
// its entry, last call or last loop head, which is straight-line code
// (each operator at most once: repetition passes a loop head or a call),
// so bounded by the function's size — the same bound as the
// over-count of the segment such a trap stops in under Version 3. It is a
// function of the module and the inputs like everything else, the same on
// every node and engine; corpus_test.go pins both cases.
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
//     element. A table.grow that would take its table past the module's
//     share of MaxModuleTableSize (divided among its tables) is refused by
//     uncharged code before it: it returns -1, the elements asked for
//     still charged (a table's elements live outside the memory limit).
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
//   - a module that already exports "q1_fuel" or "q1_depth" (instrumented
//     twice, or a name clash): the host would read the wrong value.
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
// Memory exhaustion is outside fuel: it depends on the host's memory
// limit, which must be pinned too (leases record the limits). Call-stack
// exhaustion is not left to the engine since Version 3: see below.
//
// # Call depth
//
// An engine's own call stack limit is neither deterministic nor cheap:
// wazero's compiler grows its stack up to 400 MB before it traps "stack
// overflow" (a guest that recursed without end made it allocate 161 MB and
// spend ~1.8 s of CPU, billed a few fuel a call), the depth it reaches
// depends on the frame sizes of each architecture's code, and wazero's
// interpreter stops at 2,000 frames. So a deep but finite recursion could
// succeed on one node and trap on its auditor. Since Version 3 the
// instrumented code counts its own depth, in a mutable i32 global exported
// as DepthGlobalName:
//
//   - each defined function has a frame weight, a constant of the module:
//     FrameBase (1,024) + parameters + locals + ⌈bytes of its code entry /
//     FrameBytesPerSlot (4)⌉, at most MaxDepth+1. Parameters and locals
//     are slots of its frame; values its code holds live across a call are
//     spilled to the frame, and each takes at least 3 bytes of code to
//     make and use; FrameBase covers a frame's fixed part;
//   - at entry, before anything else and uncharged:
//     depth += weight; if depth > MaxDepth (2^20, unsigned) { unreachable };
//     the new depth is also kept in an i32 local appended to the function's
//     locals (since Version 4), which the global equals whenever the
//     function's own code runs;
//   - after each call and call_indirect, uncharged: local.get depth_local;
//     global.set depth. Restoring instead of subtracting keeps the depth
//     balanced without touching returns or branches (a trap discards the
//     instance, so nothing needs unwinding);
//   - before return_call and return_call_indirect, depth = depth_local −
//     weight: the
//     callee's frame replaces this one, so a tail-recursive loop never
//     reaches the limit.
//
// The host sets the global to 0 before every call into the module: an
// export's entry adds its own weight, which nothing takes back when it
// returns. A call stopped by the limit leaves the global above MaxDepth,
// which nothing else does. The figures come from measurements
// (depth_test.go, guests_test.go; wazero v1.12, amd64, 2-core VM):
//
//   - every frame weighs at least FrameBase, so a chain under the limit
//     has at most 1,024 frames, half of what the interpreter allows:
//     (func $r (call $r)) weighs 1,025 and traps at the 1,024th frame, at
//     depth 1,049,600, on both engines with the same fuel (1,023);
//   - the compiler's stack at the limit, by frame shape (what the call
//     allocated in all, the stack doubling as it grows): a frame of only
//     a call 0.1 MiB; 4,096 and 32,768 values live across the call
//     20.8 and 14.9 MiB; 1,000 i64 parameters 16.3 MiB; 1,000 and 50,000
//     locals 4.4 and 4.3 MiB. At one unit a 4 bytes, the worst case (live
//     values of 3 bytes of code each) stays near 20 MB of stack, under
//     64 MiB allocated, against the 400 MB the compiler allows; with 16
//     bytes a unit, 100,000 live values made it allocate 93 MiB;
//   - the example Go guests (examples/hello, counter, echo) peak at a
//     depth of 40,368 to 40,369 in _initialize and 18,580 to 41,404 in their
//     requests (GET, POST, a 5,000-byte PUT): under 4% of MaxDepth, the
//     same on both engines. Go frames are few (tens deep) but large.
package fuel
