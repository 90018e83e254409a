package blob

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Unix(1767225600, 0)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func openTestStore(t *testing.T, dir string, opts ...Option) *Store {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func mustPut(t *testing.T, s *Store, content []byte, owner string) blobhash.Hash {
	t.Helper()
	h, size, err := s.Put(context.Background(), bytes.NewReader(content), blobhash.Hash{}, owner)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if size != int64(len(content)) || h != blobhash.Sum(content) {
		t.Fatalf("Put = %s, %d; want %s, %d", h, size, blobhash.Sum(content), len(content))
	}
	return h
}

// filesIn lists the names in a store subdirectory.
func filesIn(t *testing.T, s *Store, sub string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Dir(), sub))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
