package audit

import (
	"context"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/receipts"
	"github.com/quantum1net/q1/node/runtime"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// helloWasm builds examples/hello for wasip1.
func helloWasm(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "hello.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "github.com/quantum1net/q1/examples/hello")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build hello: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAuditRealReplay runs hello on the real runtime into a receipt store,
// then audits its entry with the runtime's Replay: the honest receipts
// pass; a copy whose fuel was inflated (and rechained, as a cheater would)
// fails on the first inflated receipt sampled, naming claimed and
// re-executed fuel.
func TestAuditRealReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a guest")
	}
	wasm := helloWasm(t)
	rt, err := runtime.New(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	store, err := receipts.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	store.SetEpoch(4)
	spec := runtime.ServiceSpec{Name: "hello", Wasm: wasm, Instances: 1, LeaseID: 9, Receipts: store,
		Epoch: func() uint64 { return 4 }}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	svc, err := rt.Load(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/greet?name=ada", "/greet?name=grace"} {
		if _, err := svc.Handle(ctx, &runtime.Request{Method: "GET", Path: p, Host: "hello.test"}); err != nil {
			t.Fatal(err)
		}
	}
	svc.Close(ctx)

	tr, err := store.Tree(9, 4)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 4 || tr.Root().Requests != 3 || tr.Root().Fuel == 0 {
		t.Fatalf("tree of %d receipts, root %+v; want a start-up and 3 requests with fuel", tr.Len(), tr.Root())
	}
	replay := func(ctx context.Context, _ string, _ uint64, wasm []byte, steps []runtime.ReplayStep) ([]runtime.ReplayOutcome, error) {
		s := spec
		s.Receipts = nil
		return rt.Replay(ctx, wasm, s, steps)
	}
	audit := func(t *testing.T, store *receipts.Store) *vote {
		t.Helper()
		chain := &fakeChain{}
		w, _, _, _ := testWorker(t, chain, serveFrom(store), honest)
		w.cfg.Store, w.cfg.Replay = store, replay
		w.cfg.Modules = func(_ context.Context, h receipt.Hash) ([]byte, error) {
			if h != sha256.Sum256(wasm) {
				t.Fatalf("asked for module %x", h)
			}
			return wasm, nil
		}
		tr, err := store.Tree(9, 4)
		if err != nil {
			t.Fatal(err)
		}
		r := tr.Root()
		mh := sha256.Sum256(wasm)
		a := usagetypes.Audit{Id: 1, Service: "hello", Sharer: "q1audited", LeaseId: 9, Epoch: 4, CommitDeadline: 100, ModuleHash: mh[:],
			Root:  usagetypes.ReceiptsRoot{Hash: r.Hash[:], Leaves: r.Leaves, Fuel: r.Fuel, Requests: r.Requests, Egress: r.Egress},
			Draws: []usagetypes.AuditDraw{{Index: 2}, {Weighted: true, Point: r.Fuel - 1}}}
		samples, err := Samples(store, a)
		if err != nil {
			t.Fatal(err)
		}
		a.Samples = samples
		v, err := w.perform(context.Background(), selfKey(), a, true)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := audit(t, store); v.Verdict != usagetypes.Verdict_VERDICT_PASS {
		t.Fatalf("honest receipts: %v (%s)", v.Verdict, v.Detail)
	}

	// The cheater: the same receipts with 1000 more fuel each request,
	// chained anew so that the history still checks.
	inflated, err := receipts.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer inflated.Close()
	inflated.SetEpoch(4)
	items, err := store.History(9, 4, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	var prev receipt.Hash
	var claimed uint64
	for i, it := range items {
		r, err := receipt.Unmarshal(it.Receipt)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			r.Fuel += 1000
		}
		if i == 2 {
			claimed = r.Fuel
		}
		r.Prev = prev
		prev = r.Hash()
		inflated.Receipt(r, it.Request, it.Tape)
	}
	v := audit(t, inflated)
	want := "sample 2 (instance 0): receipt 1 of instance 0: fuel claimed"
	if v.Verdict != usagetypes.Verdict_VERDICT_FAIL || !strings.HasPrefix(v.Detail, want) {
		t.Fatalf("inflated receipts: %v (%s), want FAIL %q… (receipt 2 claimed %d)", v.Verdict, v.Detail, want, claimed)
	}
}
