package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Guest modules are built from Go source when a test first needs them and
// kept in a temporary directory for the life of the test binary; no .wasm
// file is committed. The compilation cache is shared the same way, so each
// module is compiled by wazero once per test binary.

const modulePath = "github.com/quantum1net/q1"

var (
	tmpRoot  string
	buildsMu sync.Mutex
	builds   = map[string]*guestBuild{}
)

type guestBuild struct {
	once sync.Once
	wasm []byte
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "q1-runtime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// guestWasm returns the reactor module built from the Go main package pkg
// (an import path inside this module).
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

func helloWasm(t testing.TB) []byte   { return guestWasm(t, modulePath+"/examples/hello") }
func counterWasm(t testing.TB) []byte { return guestWasm(t, modulePath+"/examples/counter") }
func echoWasm(t testing.TB) []byte    { return guestWasm(t, modulePath+"/examples/echo") }
func hostileWasm(t testing.TB) []byte {
	return guestWasm(t, modulePath+"/node/runtime/testdata/hostile")
}
func capsWasm(t testing.TB) []byte { return guestWasm(t, modulePath+"/node/runtime/testdata/caps") }

// newTestRuntime returns a Runtime on the test binary's shared compilation
// cache, closed when the test ends.
func newTestRuntime(t testing.TB, opts ...Option) *Runtime {
	t.Helper()
	// A request waits for a guest slot up to a minute, not the node's 1 s:
	// on a loaded machine a replaced instance can take longer than a second
	// to start, and a test that is not about the wait would fail as busy.
	// Tests of the wait pass their own.
	opts = append([]Option{WithSlotWait(time.Minute)}, opts...)
	rt, err := New(filepath.Join(tmpRoot, "cache"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(context.Background()); err != nil {
			t.Errorf("close runtime: %v", err)
		}
	})
	return rt
}

// load loads spec or fails the test.
func load(t testing.TB, rt *Runtime, spec ServiceSpec) *Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	svc, err := rt.Load(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// get sends a GET for path and fails the test unless it succeeds.
func get(t testing.TB, svc *Service, path string) *Response {
	t.Helper()
	resp, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: path, Host: svc.Name() + ".localhost"})
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp
}

// requireError asserts err is an *Error of kind whose message contains want.
func requireError(t testing.TB, err error, kind ErrorKind, want string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want a *runtime.Error of kind %s", err, err, kind)
	}
	if e.Kind != kind || !strings.Contains(e.Error(), want) {
		t.Fatalf("got %s error %q\nwant %s error containing %q", e.Kind, e.Error(), kind, want)
	}
	return e
}
