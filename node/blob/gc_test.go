package blob

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
)

func TestGCKeepsReferencedAndYoungBlobs(t *testing.T) {
	clock := &fakeClock{now: t0}
	s := openTestStore(t, "", WithClock(clock.Now))
	referenced := mustPut(t, s, []byte("referenced by a service"), "q1alice")
	old := mustPut(t, s, []byte("old and unreferenced"), "q1alice")
	reuploaded := mustPut(t, s, []byte("uploaded again lately"), "q1bob")

	clock.Set(t0.Add(50 * time.Minute))
	young := mustPut(t, s, []byte("waiting for its create tx"), "q1alice")
	mustPut(t, s, []byte("uploaded again lately"), "q1bob") // restamps its age

	now := t0.Add(time.Hour)
	removed, err := s.GC(context.Background(), func(h blobhash.Hash) bool { return h == referenced }, 30*time.Minute, now)
	if err != nil {
		t.Fatalf("GC: %v", err)
	}
	if !slices.Equal(removed, []blobhash.Hash{old}) {
		t.Fatalf("removed %v, want only %s", removed, old)
	}
	for _, h := range []blobhash.Hash{referenced, young, reuploaded} {
		if !s.Has(h) {
			t.Errorf("GC removed %s", h)
		}
	}
	if s.Has(old) {
		t.Error("GC kept the old unreferenced blob")
	}
	want := int64(len("referenced by a service") + len("waiting for its create tx"))
	if u := s.Usage("q1alice"); u != want {
		t.Errorf("alice's usage after GC = %d, want %d", u, want)
	}

	// Later, everything unreferenced is old enough.
	removed, err = s.GC(context.Background(), func(h blobhash.Hash) bool { return h == referenced }, 30*time.Minute, now.Add(time.Hour))
	if err != nil || len(removed) != 2 {
		t.Fatalf("second GC removed %v, %v; want 2 blobs", removed, err)
	}
}

func TestGCStopsWithContext(t *testing.T) {
	s := openTestStore(t, "")
	mustPut(t, s, []byte("a"), "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	removed, err := s.GC(ctx, func(blobhash.Hash) bool { return false }, 0, time.Now())
	if !errors.Is(err, context.Canceled) || len(removed) != 0 {
		t.Fatalf("GC = %v, %v; want context.Canceled and nothing removed", removed, err)
	}
}
