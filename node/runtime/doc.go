// Package runtime runs Quantum1Net services: WebAssembly modules that follow
// the q1-http/v1 guest ABI (docs/guest-abi.md), kept warm in pools of
// instances and called once per request. It is the only package of the node
// that imports wazero.
//
// One Runtime per node owns the on-disk compilation cache and a fair
// scheduler of guest slots (by default one fewer than the CPU cores, so
// consensus keeps a core): a freed slot goes to the services that wait in
// turn, a guest that has held a slot for a time slice while another service
// waits is moved out of the pool (wazero cannot pause it) so that a service
// spinning until its deadline slows only itself, waiting for an instance and
// a slot is bounded (WithSlotWait, then KindBusy), and the requests waiting
// are capped in number and bytes per service and per node (WithQueueLimits).
// Compilation and instantiation, _initialize included, run outside the
// slots, under their own small limit and timeout (WithStartups,
// WithInitTimeout). Each loaded Service gets its own wazero runtime, because
// memory limits and close-on-context-done are settings of a whole wazero
// runtime, and its own pool of warm instances.
//
// A request is a call into a warm instance, never an instantiation. A trap, a
// timeout or a memory blow-up fails that request only, with an *Error whose
// Kind the gateway maps to a status; the broken instance is discarded and
// replaced in the background, and every other service keeps serving.
//
// Capabilities the manifest grants (kv, log, egress) are the only host
// functions a module gets: a module that imports anything else fails to load
// with an error naming the import. CPU is measured as thread CPU time around
// each guest call, so time spent waiting for egress costs nothing.
//
//	rt, err := runtime.New(filepath.Join(home, "wasm-cache"))
//	...
//	svc, err := rt.Load(ctx, runtime.ServiceSpec{Name: "hello", Wasm: wasm, ...})
//	...
//	resp, err := svc.Handle(ctx, &runtime.Request{Method: "GET", Path: "/"})
package runtime
