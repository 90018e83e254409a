package node

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/runtime"
)

var helloWasm []byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "q1-node-test-")
	if err != nil {
		panic(err)
	}
	out := filepath.Join(dir, "hello.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./examples/hello")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build examples/hello: %v\n%s", err, b)
		os.Exit(1)
	}
	helloWasm, err = os.ReadFile(out)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const owner = "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"

func helloManifest(t *testing.T, wasm, memory string) *manifest.Manifest {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: q1/v1
name: hello
code: {wasm: %s}
permissions: {owners: {accounts: [%s]}}
resources: {memory: %s}
pricing: {cpuPerCoreSecond: 1uqc, memoryPerMiBHour: 1uqc, storagePerGiBHour: 1uqc, per1kRequests: 1uqc, egressPerGiB: 1uqc}
`, wasm, owner, memory)
	m, err := manifest.Parse([]byte(doc), manifest.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type ackLog struct {
	mu   sync.Mutex
	acks []uint64
}

func (a *ackLog) ack(_ context.Context, lease uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acks = append(a.acks, lease)
	return nil
}

func (a *ackLog) has(lease uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range a.acks {
		if l == lease {
			return true
		}
	}
	return false
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReplicaLifecycle: a lease starts a warm replica and is acknowledged; a
// new version replaces it once warm; a module that is not wasm reports why;
// a lease that goes away is released.
func TestReplicaLifecycle(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	rt, err := runtime.New(filepath.Join(home, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	store, err := blob.Open(filepath.Join(home, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := store.Put(ctx, bytes.NewReader(helloWasm), blob.Hash{}, owner)
	if err != nil {
		t.Fatal(err)
	}
	m := newReplicaManager(rt, store, filepath.Join(home, "kv"), slog.New(slog.DiscardHandler))
	acks := &ackLog{}
	m.ack = acks.ack

	call := func() (int, string, error) {
		res, err := m.Handle(ctx, "hello", &gateway.Request{Method: "GET", Path: "/greet", Host: "hello.localhost", Header: http.Header{}})
		if err != nil {
			return 0, "", err
		}
		return res.Status, string(res.Body), nil
	}
	if _, _, err := call(); err == nil || err.Error() != "service hello is not loaded on this node" {
		t.Fatalf("before any lease: %v", err)
	}

	v1 := helloManifest(t, h.String(), "32Mi")
	m.Reconcile(ctx, []Desired{{LeaseID: 7, Service: "hello", Manifest: v1}})
	eventually(t, "lease 7 acknowledged", func() bool { return acks.has(7) })
	if status, body, err := call(); err != nil || status != 200 || body != "hello from Quantum1Net: /greet\n" {
		t.Fatalf("after the lease: %d %q %v", status, body, err)
	}

	v2 := helloManifest(t, h.String(), "64Mi")
	m.Reconcile(ctx, []Desired{{LeaseID: 7, Service: "hello", Manifest: v2, Acked: true}})
	eventually(t, "version 2 serving", func() bool {
		m.mu.RLock()
		defer m.mu.RUnlock()
		r := m.running["hello"]
		return r != nil && r.hash == v2.Hash()
	})
	if status, _, err := call(); err != nil || status != 200 {
		t.Fatalf("after the switch: %d %v", status, err)
	}

	bad, _, err := store.Put(ctx, strings.NewReader("not a wasm module"), blob.Hash{}, owner)
	if err != nil {
		t.Fatal(err)
	}
	m.Reconcile(ctx, []Desired{{LeaseID: 7, Service: "hello", Manifest: helloManifest(t, bad.String(), "32Mi"), Acked: true}})
	eventually(t, "the bad version to fail", func() bool { _, failed := m.Failure("hello"); return failed })
	if reason, _ := m.Failure("hello"); !strings.Contains(reason, "invalid module") {
		t.Fatalf("failure reason: %q", reason)
	}
	if status, _, err := call(); err != nil || status != 200 {
		t.Fatalf("a version that cannot start leaves the running one serving: %d %v", status, err)
	}

	m.Reconcile(ctx, nil)
	if m.Local("hello") {
		t.Fatal("a released lease still serves")
	}
}

func TestStaleData(t *testing.T) {
	for _, c := range []struct {
		name                  string
		known, exists, paused bool
		stale                 bool
	}{
		{"chain did not answer", false, true, false, false},
		{"chain did not answer, no record seen", false, false, false, false},
		{"paused: kept through the grace for a resume", true, true, true, false},
		{"deleted (after the grace, or by its owners)", true, false, false, true},
		{"running on other sharers", true, true, false, true},
	} {
		if got := staleData(c.known, c.exists, c.paused); got != c.stale {
			t.Errorf("%s: staleData = %v, want %v", c.name, got, c.stale)
		}
	}
}
