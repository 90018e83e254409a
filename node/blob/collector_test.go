package blob

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
)

type fakeRefs map[string]bool

func (f fakeRefs) ReferencedWasm(context.Context) (map[string]bool, error) { return f, nil }

// TestCollector: unreferenced blobs older than minAge go; referenced ones and
// fresh uploads (whose create tx may still be on its way) stay.
func TestCollector(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := now.Add(-2 * time.Hour)
	store, err := Open(t.TempDir(), WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	put := func(s string) blobhash.Hash {
		h, _, err := store.Put(ctx, bytes.NewReader([]byte(s)), blobhash.Hash{}, "q11owner")
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	used, old := put("used module"), put("forgotten module")
	clock = now.Add(-time.Minute)
	fresh := put("just uploaded")

	g := &Collector{store: store, chain: fakeRefs{used.String(): true}, log: slog.New(slog.DiscardHandler), minAge: time.Hour}
	if err := g.once(ctx, now); err != nil {
		t.Fatal(err)
	}
	for h, want := range map[blobhash.Hash]bool{used: true, old: false, fresh: true} {
		if got := store.Has(h); got != want {
			t.Errorf("blob %s kept = %v, want %v", h, got, want)
		}
	}
}
