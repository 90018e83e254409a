package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/quantum1net/q1/client/blobhash"
)

func TestPutOpenRoundTrip(t *testing.T) {
	s := openTestStore(t, "")
	content := []byte("(module) pretend this is wasm")
	h := mustPut(t, s, content, "q1alice")

	if !s.Has(h) {
		t.Fatal("Has = false after Put")
	}
	f, size, err := s.Open(h)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, content) || size != int64(len(content)) {
		t.Fatalf("read back %q (size %d), %v", got, size, err)
	}
	info, err := s.Stat(h)
	if err != nil || info.Size != int64(len(content)) || !slices.Equal(info.Owners, []string{"q1alice"}) {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	if tmp := filesIn(t, s, tmpDir); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

func TestPutVerifiesWantedHash(t *testing.T) {
	s := openTestStore(t, "")
	content, other := []byte("real bytes"), []byte("other bytes")
	_, _, err := s.Put(context.Background(), bytes.NewReader(content), blobhash.Sum(other), "q1alice")
	want := "blob hash mismatch: the content hashes to " + blobhash.Sum(content).String() +
		", not the expected " + blobhash.Sum(other).String()
	if !errors.Is(err, ErrHashMismatch) || err.Error() != want {
		t.Fatalf("Put = %v\nwant %q", err, want)
	}
	if s.Has(blobhash.Sum(content)) || s.Has(blobhash.Sum(other)) || len(filesIn(t, s, tmpDir)) != 0 || s.Usage("q1alice") != 0 {
		t.Fatal("a refused Put left something behind")
	}
	h, _, err := s.Put(context.Background(), bytes.NewReader(content), blobhash.Sum(content), "q1alice")
	if err != nil || h != blobhash.Sum(content) {
		t.Fatalf("Put with the right hash = %s, %v", h, err)
	}
}

func TestPutSizeLimit(t *testing.T) {
	s := openTestStore(t, "", WithMaxSize(1024))
	mustPut(t, s, bytes.Repeat([]byte("a"), 1024), "")
	_, _, err := s.Put(context.Background(), bytes.NewReader(bytes.Repeat([]byte("b"), 1025)), blobhash.Hash{}, "")
	want := "blob too large: it is larger than this node's limit of 1 KiB"
	if !errors.Is(err, ErrTooLarge) || err.Error() != want {
		t.Fatalf("Put = %v, want %q", err, want)
	}
	if n := len(filesIn(t, s, blobsDir)); n != 1 {
		t.Fatalf("%d blobs stored, want 1", n)
	}
}

func TestPutSourceErrors(t *testing.T) {
	s := openTestStore(t, "")
	_, _, err := s.Put(context.Background(), iotest.ErrReader(errors.New("connection reset")), blobhash.Hash{}, "")
	var se *sourceError
	if !errors.As(err, &se) || err.Error() != "read blob: connection reset" {
		t.Fatalf("Put = %v, want a source error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = s.Put(ctx, strings.NewReader("x"), blobhash.Hash{}, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context = %v", err)
	}
	_, _, err = s.Put(context.Background(), strings.NewReader("x"), blobhash.Hash{}, "two\nlines")
	if err == nil || err.Error() != `store blob: owner "two\nlines" is not an account address` {
		t.Fatalf("Put with a bad owner = %v", err)
	}
}

func TestPutIsIdempotent(t *testing.T) {
	s := openTestStore(t, "")
	content := []byte("same bytes")
	h := mustPut(t, s, content, "q1alice")
	mustPut(t, s, content, "q1alice")
	// With a known hash the reader is not touched.
	if _, _, err := s.Put(context.Background(), iotest.ErrReader(errors.New("must not read")), h, "q1bob"); err != nil {
		t.Fatalf("Put of a stored blob by hash: %v", err)
	}
	info, err := s.Stat(h)
	if err != nil || !slices.Equal(info.Owners, []string{"q1alice", "q1bob"}) {
		t.Fatalf("owners = %v, %v", info.Owners, err)
	}
	if a, b := s.Usage("q1alice"), s.Usage("q1bob"); a != int64(len(content)) || b != int64(len(content)) {
		t.Fatalf("usage alice=%d bob=%d, want %d each (a blob counts for every uploader)", a, b, len(content))
	}
}

func TestQuota(t *testing.T) {
	s := openTestStore(t, "", WithQuota(1536))
	a := mustPut(t, s, bytes.Repeat([]byte("a"), 1024), "q1alice")
	_, _, err := s.Put(context.Background(), bytes.NewReader(bytes.Repeat([]byte("b"), 1024)), blobhash.Hash{}, "q1alice")
	want := "blob quota exceeded: account q1alice has 1 KiB of blobs on this node and this blob adds 1 KiB, " +
		"past the quota of 1.5 KiB per account; unused blobs are removed by garbage collection"
	if !errors.Is(err, ErrOverQuota) || err.Error() != want {
		t.Fatalf("Put over quota = %v\nwant %q", err, want)
	}
	if s.Has(blobhash.Sum(bytes.Repeat([]byte("b"), 1024))) {
		t.Fatal("the refused blob was stored")
	}
	// Re-uploading a blob it owns costs nothing; other accounts have their own quota.
	mustPut(t, s, bytes.Repeat([]byte("a"), 1024), "q1alice")
	mustPut(t, s, bytes.Repeat([]byte("b"), 1024), "q1bob")
	// Unowned blobs (fetched from peers) count for no one.
	mustPut(t, s, bytes.Repeat([]byte("c"), 1024), "")
	if err := s.Delete(a); err != nil {
		t.Fatal(err)
	}
	if u := s.Usage("q1alice"); u != 0 {
		t.Fatalf("usage after Delete = %d, want 0", u)
	}
	mustPut(t, s, bytes.Repeat([]byte("b"), 1024), "q1alice")
}

func TestOwnerIndexSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	h := mustPut(t, s, []byte("one"), "q1alice")
	mustPut(t, s, []byte("one"), "q1bob")
	mustPut(t, s, []byte("three"), "q1alice")
	gone := mustPut(t, s, []byte("gone"), "q1carol")
	// A crash could leave a temporary upload and an owner entry whose blob
	// was removed by hand.
	if err := os.WriteFile(filepath.Join(dir, tmpDir, "put-123"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, blobsDir, gone.Hex())); err != nil {
		t.Fatal(err)
	}

	s2 := openTestStore(t, dir)
	if a, b, c := s2.Usage("q1alice"), s2.Usage("q1bob"), s2.Usage("q1carol"); a != 8 || b != 3 || c != 0 {
		t.Fatalf("usage after reopen alice=%d bob=%d carol=%d, want 8 3 0", a, b, c)
	}
	info, err := s2.Stat(h)
	if err != nil || !slices.Equal(info.Owners, []string{"q1alice", "q1bob"}) {
		t.Fatalf("owners after reopen = %v, %v", info.Owners, err)
	}
	if tmp := filesIn(t, s2, tmpDir); len(tmp) != 0 {
		t.Fatalf("Open left temporary files: %v", tmp)
	}
	if slices.Contains(filesIn(t, s2, ownersDir), gone.Hex()) {
		t.Fatal("Open kept the owners of a missing blob")
	}
}

func TestListStatDeleteMissing(t *testing.T) {
	s := openTestStore(t, "")
	hs := []blobhash.Hash{mustPut(t, s, []byte("x"), ""), mustPut(t, s, []byte("y"), ""), mustPut(t, s, []byte("z"), "")}
	slices.SortFunc(hs, func(a, b blobhash.Hash) int { return bytes.Compare(a[:], b[:]) })
	infos, err := s.List()
	if err != nil || len(infos) != 3 {
		t.Fatalf("List = %v, %v", infos, err)
	}
	for i, info := range infos {
		if info.Hash != hs[i] || info.Size != 1 {
			t.Fatalf("List[%d] = %+v, want %s", i, info, hs[i])
		}
	}
	missing := blobhash.Sum([]byte("never stored"))
	want := "blob " + missing.String() + ": not found"
	if _, _, err := s.Open(missing); !errors.Is(err, ErrNotFound) || err.Error() != want {
		t.Fatalf("Open(missing) = %v, want %q", err, want)
	}
	if _, err := s.Stat(missing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat(missing) = %v", err)
	}
	if err := s.Delete(missing); !errors.Is(err, ErrNotFound) || err.Error() != want {
		t.Fatalf("Delete(missing) = %v", err)
	}
}

func TestConcurrentPutsOfSameBlob(t *testing.T) {
	s := openTestStore(t, "")
	content := bytes.Repeat([]byte("concurrent "), 10_000)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			owner := "q1alice"
			if i%2 == 1 {
				owner = "q1bob"
			}
			_, _, errs[i] = s.Put(context.Background(), bytes.NewReader(content), blobhash.Hash{}, owner)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	if blobs := filesIn(t, s, blobsDir); len(blobs) != 1 {
		t.Fatalf("blobs = %v, want one", blobs)
	}
	if tmp := filesIn(t, s, tmpDir); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
	if a, b := s.Usage("q1alice"), s.Usage("q1bob"); a != int64(len(content)) || b != int64(len(content)) {
		t.Fatalf("usage alice=%d bob=%d, want %d each", a, b, len(content))
	}
	f, _, err := s.Open(blobhash.Sum(content))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := io.ReadAll(f); !bytes.Equal(got, content) {
		t.Fatal("stored content differs")
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir, WithMaxSize(0))
	if want := "open blob store " + dir + ": size limit 0 is not positive"; err == nil || err.Error() != want {
		t.Fatalf("Open = %v, want %q", err, want)
	}
}
