package replicas

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/fuel"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/runtime"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

var helloWasm []byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "q1-node-test-")
	if err != nil {
		panic(err)
	}
	out := filepath.Join(dir, "hello.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./examples/hello")
	cmd.Dir = "../.."
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

func helloManifest(t testing.TB, wasm, memory string) *manifest.Manifest {
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

// testDeps returns a home directory with a runtime and a blob store in it;
// the runtime closes when the test ends.
func testDeps(t *testing.T) (string, *runtime.Runtime, *blob.Store) {
	t.Helper()
	home := t.TempDir()
	rt, err := runtime.New(filepath.Join(home, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	store, err := blob.Open(filepath.Join(home, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return home, rt, store
}

// putHello stores examples/hello's module and returns its hash.
func putHello(t *testing.T, store *blob.Store) blobhash.Hash {
	t.Helper()
	h, _, err := store.Put(context.Background(), bytes.NewReader(helloWasm), blobhash.Hash{}, owner)
	if err != nil {
		t.Fatal(err)
	}
	return h
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
	home, rt, store := testDeps(t)
	h := putHello(t, store)
	m := New(rt, store, filepath.Join(home, "kv"))
	defer m.Close(ctx)

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
	m.Reconcile([]Desired{{LeaseID: 7, Service: "hello", Manifest: v1}})
	eventually(t, "lease 7 serving", func() bool { lease, ok := m.Serving("hello"); return ok && lease == 7 })
	if status, body, err := call(); err != nil || status != 200 || body != "hello from Quantum1Net: /greet\n" {
		t.Fatalf("after the lease: %d %q %v", status, body, err)
	}

	v2 := helloManifest(t, h.String(), "64Mi")
	m.Reconcile([]Desired{{LeaseID: 7, Service: "hello", Manifest: v2}})
	eventually(t, "version 2 serving", func() bool {
		m.mu.RLock()
		defer m.mu.RUnlock()
		r := m.running["hello"]
		return r != nil && r.hash == v2.Hash()
	})
	if status, _, err := call(); err != nil || status != 200 {
		t.Fatalf("after the switch: %d %v", status, err)
	}

	bad, _, err := store.Put(ctx, strings.NewReader("not a wasm module"), blobhash.Hash{}, owner)
	if err != nil {
		t.Fatal(err)
	}
	m.Reconcile([]Desired{{LeaseID: 7, Service: "hello", Manifest: helloManifest(t, bad.String(), "32Mi")}})
	eventually(t, "the bad version to fail", func() bool { _, failed := m.Failure("hello"); return failed })
	if reason, _ := m.Failure("hello"); !strings.Contains(reason, "invalid module") {
		t.Fatalf("failure reason: %q", reason)
	}
	if status, _, err := call(); err != nil || status != 200 {
		t.Fatalf("a version that cannot start leaves the running one serving: %d %v", status, err)
	}

	// A lease that requires another fuel metering version is not started:
	// its usage would be billed and audited under a meter this node lacks.
	m.Reconcile([]Desired{{LeaseID: 8, Service: "hello", Manifest: v1, MeterVersion: fuel.Version + 1}})
	want := fmt.Sprintf("lease 8 requires fuel metering version %d, and this node's q1 meters with version %d: "+
		"its usage would be billed and audited under another meter; run a q1 release that meters with version %d",
		fuel.Version+1, fuel.Version, fuel.Version+1)
	deadline := time.Now().Add(time.Minute)
	for reason, _ := m.Failure("hello"); reason != want; reason, _ = m.Failure("hello") {
		if time.Now().After(deadline) {
			t.Fatalf("failure reason:\n got %q\nwant %q", reason, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.Reconcile([]Desired{{LeaseID: 9, Service: "hello", Manifest: v1, MeterVersion: fuel.Version}})
	eventually(t, "lease 9, of this node's meter, serving", func() bool { lease, ok := m.Serving("hello"); return ok && lease == 9 })

	m.Reconcile(nil)
	if m.Local("hello") {
		t.Fatal("a released lease still serves")
	}
}

// The chain's default meter version is this release's: new leases on a
// fresh network ask for the meter its nodes run.
func TestDefaultMeterVersionIsThisNodes(t *testing.T) {
	if sharerstypes.DefaultMeterVersion != fuel.Version {
		t.Fatalf("x/sharers DefaultMeterVersion %d, node/fuel.Version %d: change them together", sharerstypes.DefaultMeterVersion, fuel.Version)
	}
}

// TestCloseDrainsAndWaits: Close drains running replicas and waits for
// loads under way; nothing starts after it.
func TestCloseDrainsAndWaits(t *testing.T) {
	ctx := context.Background()
	home, rt, store := testDeps(t)
	h := putHello(t, store)
	m := New(rt, store, filepath.Join(home, "kv"))
	m.Reconcile([]Desired{{LeaseID: 1, Service: "hello", Manifest: helloManifest(t, h.String(), "32Mi")}})
	eventually(t, "hello serving", func() bool { return m.Local("hello") })
	m.Precompile(h)
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if m.Local("hello") || len(m.States()) != 0 {
		t.Fatalf("after Close: %+v", m.States())
	}
	m.Reconcile([]Desired{{LeaseID: 1, Service: "hello", Manifest: helloManifest(t, h.String(), "32Mi")}})
	if st := m.States(); len(st) != 0 {
		t.Fatalf("Reconcile after Close started %+v", st)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}

// TestEveryRuntimeKindHasAStatus: the gateway's one table knows every
// kind of failure the runtime reports.
func TestEveryRuntimeKindHasAStatus(t *testing.T) {
	for kind, want := range map[runtime.ErrorKind]int{
		runtime.KindTimeout: 504, runtime.KindTrap: 500, runtime.KindFuel: 500, runtime.KindMemory: 500, runtime.KindResponseTooLarge: 500,
		runtime.KindBadResponse: 500, runtime.KindRequestTooLarge: 413, runtime.KindBadRequest: 400,
		runtime.KindUnavailable: 503, runtime.KindCanceled: 499,
	} {
		if got := gateway.FailureStatus(string(kind)); got != want {
			t.Errorf("%s: status %d, want %d", kind, got, want)
		}
	}
}

// TestFailureOutlivesItsLease: a replica that cannot start keeps saying why
// after its lease closes (an unacknowledged lease closes on ack timeout), a
// new lease of the same version gets a new try, and the failure goes away
// only once a replica of the service serves.
func TestFailureOutlivesItsLease(t *testing.T) {
	ctx := context.Background()
	home, rt, store := testDeps(t)
	bad, _, err := store.Put(ctx, strings.NewReader("not a wasm module"), blobhash.Hash{}, owner)
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := store.Put(ctx, bytes.NewReader(helloWasm), blobhash.Hash{}, owner)
	if err != nil {
		t.Fatal(err)
	}
	m := New(rt, store, filepath.Join(home, "kv"))
	defer m.Close(ctx)
	failed := func() (q1client.NodeReplica, bool) {
		for _, s := range m.States() {
			if s.Service == "hello" && s.State == "failed" {
				return s, true
			}
		}
		return q1client.NodeReplica{}, false
	}

	v := helloManifest(t, bad.String(), "32Mi")
	m.Reconcile([]Desired{{LeaseID: 1, Service: "hello", Manifest: v}})
	eventually(t, "lease 1 to fail", func() bool { _, ok := failed(); return ok })

	m.Reconcile(nil) // lease 1 closed on ack timeout
	if s, ok := failed(); !ok || s.Lease != 1 || !strings.Contains(s.Reason, "invalid module") {
		t.Fatalf("after the lease closed: %+v %v; want lease 1's failure, with its reason", s, ok)
	}

	m.Reconcile([]Desired{{LeaseID: 2, Service: "hello", Manifest: v}}) // re-placed here
	eventually(t, "lease 2 to be tried and fail", func() bool { s, ok := failed(); return ok && s.Lease == 2 })

	m.Reconcile([]Desired{{LeaseID: 2, Service: "hello", Manifest: helloManifest(t, good.String(), "32Mi")}})
	eventually(t, "a serving replica to replace the failure", func() bool {
		_, failing := failed()
		_, serving := m.Serving("hello")
		return !failing && serving
	})
}

// fakeLogs is a log store that lists and removes what it was given.
type fakeLogs struct{ services []string }

func (f *fakeLogs) Sink(string) runtime.LogSink { return nil }
func (f *fakeLogs) Services() []string          { return slices.Clone(f.services) }
func (f *fakeLogs) Remove(service string) error {
	f.services = slices.DeleteFunc(f.services, func(s string) bool { return s == service })
	return nil
}

// TestDataIncludesKeptLogs: a service's kept log lines are replica-local
// data like its kv store: listed, and removed with it.
func TestDataIncludesKeptLogs(t *testing.T) {
	kv := t.TempDir()
	for _, name := range []string{"counter", "echo"} {
		if err := os.MkdirAll(filepath.Join(kv, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logs := &fakeLogs{services: []string{"echo", "gone"}}
	m := New(nil, nil, kv, WithLogs(logs))
	got, err := m.DataServices()
	if err != nil || strings.Join(got, ",") != "counter,echo,gone" {
		t.Fatalf("DataServices = %v, %v", got, err)
	}
	for _, name := range []string{"echo", "gone"} {
		if err := m.RemoveData(name); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := m.DataServices(); strings.Join(got, ",") != "counter" {
		t.Fatalf("after removing echo and gone: %v", got)
	}
}

// receiptLog is a receipt sink that keeps every receipt.
type receiptLog struct {
	mu       sync.Mutex
	receipts []receipt.Receipt
}

func (l *receiptLog) Receipt(r receipt.Receipt, _, _ []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.receipts = append(l.receipts, r)
}

// has reports whether a request receipt of lease in epoch was kept.
func (l *receiptLog) has(lease, epoch uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.receipts {
		if r.LeaseID == lease && r.IsRequest() && r.Seed == receipt.SeedFor(lease, epoch, r.Instance, r.Index) {
			return true
		}
	}
	return false
}

// fuelMeter counts what the manager meters.
type fuelMeter struct {
	mu   sync.Mutex
	fuel map[uint64]uint64
}

func (f *fuelMeter) Add(lease uint64, _ time.Duration, fuel, _ uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fuel[lease] += fuel
}

// TestReceiptsFollowLeaseAndEpoch: replicas' receipts name their lease and
// the epoch the chain is in (SetEpoch restarts instances); a new lease of
// the same version reloads it; the meter counts fuel.
func TestReceiptsFollowLeaseAndEpoch(t *testing.T) {
	ctx := context.Background()
	home, rt, store := testDeps(t)
	h := putHello(t, store)
	sink, meter := &receiptLog{}, &fuelMeter{fuel: map[uint64]uint64{}}
	m := New(rt, store, filepath.Join(home, "kv"), WithReceipts(sink), WithMeter(meter))
	defer m.Close(ctx)
	call := func() {
		t.Helper()
		if _, err := m.Handle(ctx, "hello", &gateway.Request{Method: "GET", Path: "/", Header: http.Header{}}); err != nil {
			t.Fatal(err)
		}
	}
	mf := helloManifest(t, h.String(), "32Mi")
	m.SetEpoch(2)
	m.Reconcile([]Desired{{LeaseID: 7, Service: "hello", Manifest: mf}})
	eventually(t, "lease 7 serving", func() bool { lease, ok := m.Serving("hello"); return ok && lease == 7 })
	call()
	m.SetEpoch(3)
	call()
	m.Reconcile([]Desired{{LeaseID: 8, Service: "hello", Manifest: mf}})
	eventually(t, "lease 8 serving", func() bool { lease, ok := m.Serving("hello"); return ok && lease == 8 })
	call()
	for _, c := range []struct{ lease, epoch uint64 }{{7, 2}, {7, 3}, {8, 3}} {
		if !sink.has(c.lease, c.epoch) {
			t.Errorf("no request receipt of lease %d in epoch %d: %+v", c.lease, c.epoch, sink.receipts)
		}
	}
	meter.mu.Lock()
	defer meter.mu.Unlock()
	if meter.fuel[7] == 0 || meter.fuel[8] == 0 {
		t.Fatalf("fuel metered %v", meter.fuel)
	}
}

// TestReplacedCodeUnbilledAfterItsEpoch: while a new version's code is not
// running yet (here it cannot be fetched), the old version keeps serving;
// its requests are billed in the epoch the new version came in, where the
// chain still accepts the old code, and not after: a receipt the chain
// would refuse to see published ("not the code of the service during the
// epoch") would have the audit forfeited and the honest sharer slashed.
func TestReplacedCodeUnbilledAfterItsEpoch(t *testing.T) {
	ctx := context.Background()
	home, rt, store := testDeps(t)
	h := putHello(t, store)
	sink := &receiptLog{}
	m := New(rt, store, filepath.Join(home, "kv"), WithReceipts(sink))
	defer m.Close(ctx)
	call := func() {
		t.Helper()
		res, err := m.Handle(ctx, "hello", &gateway.Request{Method: "GET", Path: "/", Header: http.Header{}})
		if err != nil || res.Status != 200 {
			t.Fatalf("call: %+v %v", res, err)
		}
	}
	m.SetEpoch(2)
	m.Reconcile([]Desired{{LeaseID: 7, Service: "hello", Manifest: helloManifest(t, h.String(), "32Mi")}})
	eventually(t, "lease 7 serving", func() bool { lease, ok := m.Serving("hello"); return ok && lease == 7 })
	call()

	// The chain moves hello to code this node cannot get (no peers).
	missing := "sha256:" + strings.Repeat("ab", 32)
	m.Reconcile([]Desired{{LeaseID: 7, Service: "hello", Manifest: helloManifest(t, missing, "32Mi")}})
	eventually(t, "the new version to fail", func() bool { _, failed := m.Failure("hello"); return failed })
	call() // still epoch 2, the epoch the new version came in: billed
	m.SetEpoch(3)
	call() // epoch 3: the old code still answers, unbilled
	if !sink.has(7, 2) {
		t.Errorf("no receipt of lease 7 in epoch 2: %+v", sink.receipts)
	}
	if sink.has(7, 3) {
		t.Errorf("a request receipt of the replaced code in epoch 3, where the chain no longer accepts it: %+v", sink.receipts)
	}
	// Nor does it start instances that would leave start-up receipts there.
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for _, r := range sink.receipts {
		if r.Seed == receipt.SeedFor(7, 3, r.Instance, r.Index) {
			t.Errorf("receipt %+v of epoch 3 from the replaced code", r)
		}
	}
}
