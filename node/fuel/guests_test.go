package fuel

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// The real Go guests (examples/hello, counter, echo), built for wasip1 as
// node/runtime's tests build them: once per test binary, into a temporary
// directory; no .wasm is committed.

const modulePath = "github.com/quantum1net/q1"

var (
	tmpRoot  string
	buildsMu sync.Mutex
	builds   = map[string]*guestBuild{}
	// cache is one in-memory compilation cache per engine for the test
	// binary, so each guest compiles once per engine.
	caches = map[string]wazero.CompilationCache{}
)

type guestBuild struct {
	once sync.Once
	wasm []byte
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "q1-fuel-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = dir
	for _, e := range engines {
		caches[e.name] = wazero.NewCompilationCache()
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// guestWasm returns the reactor module built from the main package pkg.
func guestWasm(t testing.TB, pkg string) []byte {
	t.Helper()
	buildsMu.Lock()
	b, ok := builds[pkg]
	if !ok {
		b = &guestBuild{}
		builds[pkg] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() {
		out := filepath.Join(tmpRoot, strings.ReplaceAll(pkg, "/", "_")+".wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if output, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build %s: %v\n%s", pkg, err, output)
			return
		}
		b.wasm, b.err = os.ReadFile(out)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.wasm
}

func helloWasm(t testing.TB) []byte { return guestWasm(t, modulePath+"/examples/hello") }

// guestHost is a small q1-http/v1 host for one instance: the pending
// result, the response being written, a KV map and the log lines.
type guestHost struct {
	result   []byte
	response []byte
	kv       map[string][]byte
	logs     []string
}

func (h *guestHost) fail(code int32, msg string) int32 {
	h.result = []byte(msg)
	return code
}

// functions returns the q1 host functions, each (i32...) -> i32.
func (h *guestHost) functions() map[string]func(mem api.Memory, p []uint64) int32 {
	read := func(mem api.Memory, ptr, n uint64) []byte {
		b, _ := mem.Read(uint32(ptr), uint32(n))
		return bytes.Clone(b)
	}
	return map[string]func(mem api.Memory, p []uint64) int32{
		"read_result": func(mem api.Memory, p []uint64) int32 {
			k := min(int(uint32(p[1])), len(h.result))
			if k > 0 && !mem.Write(uint32(p[0]), h.result[:k]) {
				return abi.CodeInvalid
			}
			h.result = h.result[k:]
			return int32(k)
		},
		"response_write": func(mem api.Memory, p []uint64) int32 {
			h.response = append(h.response, read(mem, p[0], p[1])...)
			return 0
		},
		"log": func(mem api.Memory, p []uint64) int32 {
			h.logs = append(h.logs, fmt.Sprintf("%d %s", int32(p[0]), read(mem, p[1], p[2])))
			return 0
		},
		"kv_get": func(mem api.Memory, p []uint64) int32 {
			v, ok := h.kv[string(read(mem, p[0], p[1]))]
			if !ok {
				return h.fail(abi.CodeNotFound, "not found")
			}
			h.result = bytes.Clone(v)
			return int32(len(v))
		},
		"kv_put": func(mem api.Memory, p []uint64) int32 {
			h.kv[string(read(mem, p[0], p[1]))] = read(mem, p[2], p[3])
			return 0
		},
		"kv_delete": func(mem api.Memory, p []uint64) int32 {
			delete(h.kv, string(read(mem, p[0], p[1])))
			return 0
		},
		"kv_list":    func(api.Memory, []uint64) int32 { return h.fail(abi.CodeDenied, "not in this test") },
		"http_fetch": func(api.Memory, []uint64) int32 { return h.fail(abi.CodeDenied, "not in this test") },
	}
}

// guestInstance is a Go guest instantiated with WASI (wazero's
// deterministic defaults: fake clocks, a fixed random source) and the test
// host, _initialize not yet called.
type guestInstance struct {
	host *guestHost
	mod  api.Module
	fuel api.MutableGlobal // nil when not instrumented
	// depth is the depth global, probe the test-only peak of it (nil
	// unless instrumented with options.depthProbe); peak is the probe's
	// value after the last call.
	depth, probe api.MutableGlobal
	peak         uint32
}

func newGuest(t testing.TB, engine string, cfg wazero.RuntimeConfig, wasm []byte) *guestInstance {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, cfg.WithCompilationCache(caches[engine]))
	t.Cleanup(func() { rt.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	h := &guestHost{kv: map[string][]byte{}}
	b := rt.NewHostModuleBuilder(abi.HostModule)
	for name, fn := range h.functions() {
		params := []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}
		switch name {
		case "log":
			params = append(params, api.ValueTypeI32)
		case "kv_put":
			params = append(params, api.ValueTypeI32, api.ValueTypeI32)
		case "kv_list":
			params = append(params, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32)
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, mod api.Module, stack []uint64) {
			stack[0] = api.EncodeI32(fn(mod.Memory(), stack))
		}), params, []api.ValueType{api.ValueTypeI32}).Export(name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	mod, err := rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithStartFunctions().WithName("guest"))
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	g := &guestInstance{host: h, mod: mod}
	if glob, ok := mod.ExportedGlobal(GlobalName).(api.MutableGlobal); ok {
		g.fuel = glob
	}
	g.depth, _ = mod.ExportedGlobal(DepthGlobalName).(api.MutableGlobal)
	g.probe, _ = mod.ExportedGlobal(depthProbeName).(api.MutableGlobal)
	return g
}

// budget is the fuel each guest call gets.
const budget = 1 << 40

// callFuel calls fn with args with the fuel global at budget and returns
// the results and the fuel used (0 when not instrumented).
func (g *guestInstance) callFuel(t testing.TB, fn string, args ...uint64) ([]uint64, int64) {
	t.Helper()
	if g.fuel != nil {
		g.fuel.Set(budget)
	}
	if g.depth != nil {
		g.depth.Set(0) // as the host does before every call
	}
	if g.probe != nil {
		g.probe.Set(0)
	}
	res, err := g.mod.ExportedFunction(fn).Call(context.Background(), args...)
	if err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	if g.probe != nil {
		g.peak = uint32(g.probe.Get())
	}
	if g.fuel == nil {
		return res, 0
	}
	return res, budget - int64(g.fuel.Get())
}

// serve runs one request through q1_http_handle and returns the response
// as text and the fuel used.
func (g *guestInstance) serve(t testing.TB, method, target string, body string) (string, int64) {
	t.Helper()
	req := abi.Request{Method: method, Target: target, Host: "svc.example", Body: []byte(body)}
	msg := abi.AppendRequest(nil, &req)
	g.host.result, g.host.response = msg, nil
	res, used := g.callFuel(t, abi.ExportHandle, uint64(len(msg)))
	if int32(res[0]) != 0 {
		t.Fatalf("%s %s: q1_http_handle returned %d", method, target, int32(res[0]))
	}
	resp, err := abi.ParseResponse(g.host.response)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return fmt.Sprintf("%d %v %q", resp.Status, resp.Header, resp.Body), used
}

type guestRequest struct{ method, target, body string }

// guestRun is what a sequence of requests did on one instance.
type guestRun struct {
	answers []string
	fuel    []int64 // _initialize, then each request
	logs    []string
}

func runGuest(t testing.TB, engine string, cfg wazero.RuntimeConfig, wasm []byte, reqs []guestRequest) guestRun {
	t.Helper()
	g := newGuest(t, engine, cfg, wasm)
	var r guestRun
	_, used := g.callFuel(t, abi.ExportInitialize)
	r.fuel = append(r.fuel, used)
	for _, q := range reqs {
		a, used := g.serve(t, q.method, q.target, q.body)
		r.answers = append(r.answers, a)
		r.fuel = append(r.fuel, used)
	}
	r.logs = g.host.logs
	return r
}

// TestGoGuests instruments the example services and checks that each still
// instantiates and answers exactly as before, under the compiler and the
// interpreter, using the same fuel under both.
func TestGoGuests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and compiles Go guests")
	}
	reqs := []guestRequest{
		{"GET", "/", ""},
		{"POST", "/", "one"},
		{"POST", "/", "two"},
		{"GET", "/a/path?q=1", ""},
		{"PUT", "/", strings.Repeat("x", 5000)},
	}
	for _, name := range []string{"hello", "counter", "echo"} {
		t.Run(name, func(t *testing.T) {
			wasm := guestWasm(t, modulePath+"/examples/"+name)
			inst := mustInstrument(t, wasm)
			var fuel [][]int64
			for _, e := range engines {
				orig := runGuest(t, e.name, e.cfg(), wasm, reqs)
				got := runGuest(t, e.name, e.cfg(), inst, reqs)
				if fmt.Sprint(orig.answers) != fmt.Sprint(got.answers) || fmt.Sprint(orig.logs) != fmt.Sprint(got.logs) {
					t.Errorf("%s: instrumented answers %q, logs %q; original %q, %q", e.name, got.answers, got.logs, orig.answers, orig.logs)
				}
				for i, f := range got.fuel {
					if f <= 0 {
						t.Errorf("%s: step %d used %d fuel", e.name, i, f)
					}
				}
				t.Logf("%s: fuel for _initialize and each request: %v", e.name, got.fuel)
				fuel = append(fuel, got.fuel)
			}
			if fmt.Sprint(fuel[0]) != fmt.Sprint(fuel[1]) {
				t.Errorf("fuel differs: compiler %v, interpreter %v", fuel[0], fuel[1])
			}
		})
	}
}

// TestGoGuestExactFuel compares the hello guest's fuel with the naive
// per-operator instrumentation: equal on every call, since none traps.
func TestGoGuestExactFuel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and compiles a Go guest")
	}
	wasm := helloWasm(t)
	reqs := []guestRequest{{"GET", "/", ""}, {"POST", "/x", "body"}}
	e := engines[0]
	seg := runGuest(t, e.name, e.cfg(), mustInstrument(t, wasm), reqs)
	per := runGuest(t, e.name, e.cfg(), naive(t, wasm), reqs)
	if fmt.Sprint(seg.fuel) != fmt.Sprint(per.fuel) {
		t.Errorf("segments used %v, per-operator charges %v", seg.fuel, per.fuel)
	}
}

// TestGoGuestDepth measures, with the test-only depth probe, the peak call
// depth weight of the example Go guests' _initialize and requests: it must
// be far below MaxDepth (the figures are in the package documentation).
func TestGoGuestDepth(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and compiles Go guests")
	}
	reqs := []guestRequest{
		{"GET", "/", ""},
		{"POST", "/", "one"},
		{"GET", "/a/path?q=1", ""},
		{"PUT", "/", strings.Repeat("x", 5000)},
	}
	c := V1()
	for _, name := range []string{"hello", "counter", "echo"} {
		t.Run(name, func(t *testing.T) {
			wasm, err := instrument(guestWasm(t, modulePath+"/examples/"+name), &c, options{depthProbe: true})
			if err != nil {
				t.Fatal(err)
			}
			var peaks [][]uint32
			for _, e := range engines {
				g := newGuest(t, e.name, e.cfg(), wasm)
				g.callFuel(t, abi.ExportInitialize)
				p := []uint32{g.peak}
				for _, q := range reqs {
					g.serve(t, q.method, q.target, q.body)
					p = append(p, g.peak)
				}
				peaks = append(peaks, p)
			}
			if fmt.Sprint(peaks[0]) != fmt.Sprint(peaks[1]) {
				t.Errorf("peaks differ: compiler %v, interpreter %v", peaks[0], peaks[1])
			}
			for _, p := range peaks[0] {
				if p == 0 || p > MaxDepth/8 {
					t.Errorf("peak depth weight %d, want 1 to %d (MaxDepth/8)", p, MaxDepth/8)
				}
			}
			t.Logf("peak depth weight of _initialize and each request: %v (%.1f%% of MaxDepth at most)", peaks[0], 100*float64(slices.Max(peaks[0]))/MaxDepth)
		})
	}
}
