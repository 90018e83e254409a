package schedule

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/replicas"
	"github.com/quantum1net/q1/node/runtime"
)

var tickerWasm []byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "q1-schedule-test-")
	if err != nil {
		panic(err)
	}
	out := filepath.Join(dir, "ticker.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./examples/ticker")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build examples/ticker: %v\n%s", err, b)
		os.Exit(1)
	}
	tickerWasm, err = os.ReadFile(out)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const owner = "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"

// meter counts fuel and requests per lease, as the node's usage meter does.
type meter struct {
	mu       sync.Mutex
	fuel     map[uint64]uint64
	requests map[uint64]int
}

func (m *meter) Add(lease uint64, _ time.Duration, fuel, _ uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fuel[lease] += fuel
	m.requests[lease]++
}

type receipts struct {
	mu   sync.Mutex
	list []receipt.Receipt
}

func (r *receipts) Receipt(rc receipt.Receipt, _, _ []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rc)
}

// lines is a log sink keeping every line.
type lines struct {
	mu   sync.Mutex
	list []runtime.LogLine
}

func (l *lines) WriteLog(line runtime.LogLine) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, line)
}

func (l *lines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, x := range l.list {
		fmt.Fprintf(&b, "[%s] %s\n", x.Stream, x.Message)
	}
	return b.String()
}

type logsFor struct{ sink *lines }

func (l logsFor) Sink(string) runtime.LogSink { return l.sink }
func (l logsFor) Services() []string          { return nil }
func (l logsFor) Remove(string) error         { return nil }

// oneNode is the chain's view for a service with one replica, this node's.
type oneNode struct {
	m     *manifest.Manifest
	lease uint64
}

func (o oneNode) Manifest(string) (*manifest.Manifest, bool) { return o.m, true }
func (o oneNode) Candidates(string) ([]Candidate, error) {
	return []Candidate{{Lease: o.lease, Sharer: "self"}}, nil
}

// recording wraps the replica manager to see the service's answers.
type recording struct {
	*replicas.Manager
	mu      sync.Mutex
	answers []string
}

func (r *recording) Handle(ctx context.Context, svc string, req *gateway.Request) (*gateway.Response, error) {
	res, err := r.Manager.Handle(ctx, svc, req)
	if err == nil {
		r.mu.Lock()
		r.answers = append(r.answers, fmt.Sprintf("%d %s", res.Status, res.Body))
		r.mu.Unlock()
	}
	return res, err
}

// TestScheduleRunsRealWasm: a schedule fires through the replica manager's
// Handle, the gateway's path, on a real wasm guest (examples/ticker): the
// guest sees X-Q1-Schedule and keeps state, the request is metered for the
// lease (fuel, a request) and receipted, the result is recorded, and both
// the guest's line and the node's schedule line are in the service's logs.
func TestScheduleRunsRealWasm(t *testing.T) {
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
	h, _, err := store.Put(ctx, bytes.NewReader(tickerWasm), blobhash.Hash{}, owner)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../examples/ticker/service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc = append(doc, fmt.Sprintf("code: {wasm: %s}\n", h)...)
	m, err := manifest.Parse(doc, manifest.ParseOptions{AllowMissingOwners: true})
	if err != nil {
		t.Fatal(err)
	}
	mtr := &meter{fuel: map[uint64]uint64{}, requests: map[uint64]int{}}
	rcpts, logs := &receipts{}, &lines{}
	reps := replicas.New(rt, store, filepath.Join(home, "kv"), replicas.WithMeter(mtr), replicas.WithReceipts(rcpts), replicas.WithLogs(logsFor{logs}))
	defer reps.Close(ctx)
	const lease = 42
	reps.Reconcile([]replicas.Desired{{LeaseID: lease, Service: "ticker", Manifest: m}})
	deadline := time.Now().Add(time.Minute)
	for {
		if _, ok := reps.Serving("ticker"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}

	sched, _ := OpenStore(filepath.Join(home, "schedules.json"))
	local := &recording{Manager: reps}
	clk := &clock{}
	tick := time.Date(2026, 12, 7, 20, 1, 0, 0, time.UTC)
	r := &Runner{cfg: Config{
		Chain: oneNode{m, lease}, Local: local, Store: sched,
		Services: func() []string { return []string{"ticker"} },
		Self:     func() string { return "self" },
		Logs:     func(string) runtime.LogSink { return logs },
		Log:      discard,
		Now:      clk.Now,
	}, done: map[string]time.Time{}}
	r.ctx, r.cancel = context.WithCancel(ctx)
	for i := range 2 {
		clk.set(tick.Add(time.Duration(i)*time.Minute + 2*time.Second))
		r.Step()
		r.Step() // the same tick again: not run twice
		r.wg.Wait()
	}

	local.mu.Lock()
	answers := strings.Join(local.answers, "")
	local.mu.Unlock()
	if answers != "200 tick 1 (schedule 0)\n200 tick 2 (schedule 0)\n" {
		t.Fatalf("the guest answered %q", answers)
	}
	mtr.mu.Lock()
	if mtr.requests[lease] != 2 || mtr.fuel[lease] == 0 {
		t.Errorf("metered %d requests, %d fuel for lease %d", mtr.requests[lease], mtr.fuel[lease], lease)
	}
	mtr.mu.Unlock()
	rcpts.mu.Lock()
	requests := 0
	for _, rc := range rcpts.list {
		if rc.LeaseID == lease && rc.IsRequest() {
			requests++
		}
	}
	rcpts.mu.Unlock()
	if requests != 2 {
		t.Errorf("%d request receipts for lease %d, want 2", requests, lease)
	}
	st := sched.States("ticker", m, tick.Add(2*time.Minute))[0]
	if st.LastRun == nil || st.LastRun.Status != 200 || !st.LastRun.Tick.Equal(tick.Add(time.Minute)) || st.LastRun.Node != "self" || st.Runs != 2 || st.LastRun.Running {
		t.Errorf("recorded %+v / %+v", st, st.LastRun)
	}
	if !st.Next.Equal(tick.Add(3 * time.Minute)) {
		t.Errorf("next tick %s", st.Next)
	}
	text := logs.text()
	for _, want := range []string{"[log] msg=tick schedule=0 ticks=2", "[schedule] schedule 0 (* * * * *) POST /tasks/tick for tick 2026-12-07T20:02:00Z: 200 in "} {
		if !strings.Contains(text, want) {
			t.Errorf("logs lack %q:\n%s", want, text)
		}
	}

	// A caller's POST without the header (the gateway strips a forged one:
	// node/gateway's TestScheduleHeaderStripped) is refused by the guest.
	res, err := reps.Handle(ctx, "ticker", &gateway.Request{Method: http.MethodPost, Path: "/tasks/tick", Header: http.Header{}})
	if err != nil || res.Status != http.StatusForbidden {
		t.Errorf("a caller's POST /tasks/tick: %v %v", res, err)
	}
}
