package replicas

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/runtime"
)

// withNote returns wasm with a custom section appended: a module no cache
// holds, with the same code.
func withNote(wasm []byte, note string) []byte {
	payload := append([]byte{byte(len("q1note"))}, "q1note"...)
	payload = append(payload, note...)
	out := append([]byte(nil), wasm...)
	out = append(out, 0)
	for n := uint32(len(payload)); ; {
		b := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			out = append(out, b|0x80)
			continue
		}
		out = append(out, b)
		break
	}
	return append(out, payload...)
}

// BenchmarkLeaseToServing measures, on the replica's node, the time from
// the moment a freshly built examples/hello reaches it to its replica
// serving, when the lease arrives commitDelay later (the deploy's create tx
// committing and placing it): "cold", compiled when the lease arrives (as
// before compiling ahead); "ahead", compiled from the moment it arrived
// (an upload or a q1 service deploy announcement). Each iteration runs both,
// one after the other, on new modules, so the machine's load hits both
// alike. No number is asserted.
func BenchmarkLeaseToServing(b *testing.B) {
	if testing.Short() {
		b.Skip("compiles hello twice per iteration")
	}
	const commitDelay = 500 * time.Millisecond
	ctx := context.Background()
	home := b.TempDir()
	rt, err := runtime.New(filepath.Join(home, "cache"))
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	store, err := blob.Open(filepath.Join(home, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	m := New(rt, store, filepath.Join(home, "kv"))
	defer m.Close(ctx)
	var cold, ahead time.Duration
	lease := uint64(0)
	run := func(i int, compileAhead bool) time.Duration {
		lease++
		name := fmt.Sprintf("svc%d", lease)
		h := put(b, store, withNote(helloWasm, fmt.Sprint(time.Now().UnixNano(), i, compileAhead)))
		start := time.Now()
		if compileAhead {
			m.Precompile(h)
		}
		time.Sleep(commitDelay)
		m.Reconcile([]Desired{{LeaseID: lease, Service: name, Manifest: helloManifest(b, h.String(), "32Mi")}})
		for !m.Local(name) {
			if _, failed := m.Failure(name); failed {
				b.Fatalf("replica failed: %v", m.States())
			}
			time.Sleep(5 * time.Millisecond)
		}
		took := time.Since(start)
		b.Logf("ahead=%v took %v", compileAhead, took.Round(time.Millisecond))
		m.Reconcile(nil)
		return took
	}
	b.ResetTimer()
	for i := range b.N {
		cold += run(i, false)
		ahead += run(i, true)
	}
	b.ReportMetric(float64(cold.Milliseconds())/float64(b.N), "cold-ms")
	b.ReportMetric(float64(ahead.Milliseconds())/float64(b.N), "ahead-ms")
	b.ReportMetric(float64(ahead)/float64(cold), "ahead/cold")
	b.ReportMetric(float64(rt.Compiles())/float64(b.N), "compiles/op") // 2: one cold, one ahead
}
