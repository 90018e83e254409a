package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quantum1net/q1/client/blobhash"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func servePeer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// goodPeer is a real node serving content from its own store.
func goodPeer(t *testing.T, content []byte) string {
	t.Helper()
	n := startNode(t)
	mustPut(t, n.store, content, "")
	return n.srv.URL
}

func TestEnsureSkipsBadPeers(t *testing.T) {
	content := []byte("the wasm module every replica needs")
	h := blobhash.Sum(content)
	notFound := servePeer(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	corrupt := servePeer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "corrupted bytes") })
	oversized := servePeer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4096")
		w.Write(bytes.Repeat([]byte("o"), 4096))
	})
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	good := goodPeer(t, content)

	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	s := openTestStore(t, "", WithMaxSize(1024), WithFetcher(NewFetcher(nil, log)))
	if err := s.Ensure(context.Background(), h, []string{notFound, corrupt, oversized, dead.URL, good}); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	f, _, err := s.Open(h)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := io.ReadAll(f); !bytes.Equal(got, content) {
		t.Fatalf("stored %q", got)
	}
	for _, want := range []string{
		"peer=" + notFound + ` reason="404 page not found (HTTP 404)"`,
		"peer=" + corrupt + ` reason="served wrong bytes: blob hash mismatch: the content hashes to ` +
			blobhash.Sum([]byte("corrupted bytes")).String() + ", not the expected " + h.String() + `"`,
		"peer=" + oversized + ` reason="it announced 4 KiB: blob too large: it is larger than this node's limit of 1 KiB"`,
		"peer=" + dead.URL,
		`msg="fetched blob" hash=` + h.String() + " peer=" + good,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if tmp := filesIn(t, s, tmpDir); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

func TestEnsureReportsEveryPeer(t *testing.T) {
	h := blobhash.Sum([]byte("nobody has it"))
	a := servePeer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"blob `+h.String()+`: not found"}`)
	})
	b := servePeer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	})
	s := openTestStore(t, "")
	err := s.Ensure(context.Background(), h, []string{a, b})
	want := "fetch blob " + h.String() + ": not found on any of 2 peers (" +
		a + ": blob " + h.String() + ": not found (HTTP 404); " + b + ": overloaded (HTTP 503))"
	if !errors.Is(err, ErrNotFound) || err.Error() != want {
		t.Fatalf("Ensure = %v\nwant %q", err, want)
	}
	err = s.Ensure(context.Background(), h, nil)
	if want := "fetch blob " + h.String() + ": no peers to ask: not found"; err == nil || err.Error() != want {
		t.Fatalf("Ensure without peers = %v, want %q", err, want)
	}
}

func TestEnsureStopsWhenCancelled(t *testing.T) {
	h := blobhash.Sum([]byte("slow"))
	arrived := make(chan struct{})
	slow := servePeer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		close(arrived)
		<-r.Context().Done()
	})
	var asked atomic.Bool
	never := servePeer(t, func(w http.ResponseWriter, r *http.Request) { asked.Store(true) })

	s := openTestStore(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	err := s.Ensure(ctx, h, []string{slow, never})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Ensure = %v, want context.Canceled", err)
	}
	if asked.Load() {
		t.Fatal("Ensure asked the next peer after its context was cancelled")
	}
	if s.Has(h) || len(filesIn(t, s, tmpDir)) != 0 {
		t.Fatal("a cancelled fetch left data behind")
	}
}

func TestEnsureSharesOneFetch(t *testing.T) {
	content := bytes.Repeat([]byte("shared "), 1000)
	h := blobhash.Sum(content)
	var requests atomic.Int32
	release := make(chan struct{})
	peer := servePeer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		<-release
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		w.Write(content)
	})
	s := openTestStore(t, "")
	const n = 6
	errs := make(chan error, n)
	for range n {
		go func() { errs <- s.Ensure(context.Background(), h, []string{peer}) }()
	}
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("Ensure: %v", err)
		}
	}
	if got := requests.Load(); got != 1 {
		t.Fatalf("peer got %d requests, want 1", got)
	}
}
