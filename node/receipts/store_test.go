package receipts

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/quantum1net/q1/core/receipt"
)

// history makes instance's receipts 0..n of lease in epoch, chained by
// Prev, with their requests and tapes.
func history(lease, epoch, instance uint64, n int) ([]receipt.Receipt, [][]byte, [][]byte) {
	var rs []receipt.Receipt
	var reqs, tapes [][]byte
	var prev receipt.Hash
	for i := 0; i <= n; i++ {
		r := receipt.Receipt{LeaseID: lease, Instance: instance, Index: uint64(i), Prev: prev,
			Seed: receipt.SeedFor(lease, epoch, instance, uint64(i)), Fuel: uint64(100 + i), EgressBytes: uint64(i)}
		var req, tape []byte
		if i > 0 {
			req = fmt.Appendf(nil, "GET /%d/%d", instance, i)
			tape = fmt.Appendf(nil, "tape %d", i)
			r.RequestHash = sha256.Sum256(req)
			r.TapeHash = sha256.Sum256(tape)
		}
		rs = append(rs, r)
		reqs = append(reqs, req)
		tapes = append(tapes, tape)
		prev = r.Hash()
	}
	return rs, reqs, tapes
}

func put(s *Store, rs []receipt.Receipt, reqs, tapes [][]byte) {
	for i := range rs {
		s.Receipt(rs[i], reqs[i], tapes[i])
	}
}

func mustOpen(t *testing.T, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestTreeOrderRootAndHistoryOutliveARestart(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	s.SetEpoch(4)
	a, areq, atape := history(7, 4, 1, 3)
	b, breq, btape := history(7, 4, 0, 2)
	// Interleaved, instance 1 first: the tree still orders by instance.
	for i := range 3 {
		s.Receipt(a[i], areq[i], atape[i])
		s.Receipt(b[i], breq[i], btape[i])
	}
	s.Receipt(a[3], areq[3], atape[3])
	other, oreq, otape := history(8, 5, 0, 1) // next epoch, found by its seed
	put(s, other, oreq, otape)

	tr, err := s.Tree(7, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]receipt.Receipt{}, b...), a...)
	if tr.Len() != len(want) {
		t.Fatalf("tree has %d leaves, want %d", tr.Len(), len(want))
	}
	for i, r := range want {
		if tr.Receipt(uint64(i)).Hash() != r.Hash() {
			t.Fatalf("leaf %d is not instance %d index %d", i, r.Instance, r.Index)
		}
	}
	root := tr.Root()
	if root.Leaves != 7 || root.Requests != 5 {
		t.Fatalf("root %+v: want 7 leaves, 5 requests", root)
	}
	proof, _ := tr.Proof(5)
	if _, err := receipt.VerifyProof(root, 5, want[5].Leaf(), proof); err != nil {
		t.Fatal(err)
	}
	if got := s.Leases(5); len(got) != 1 || got[0] != 8 {
		t.Fatalf("epoch 5 leases %v, want [8]", got)
	}
	if err := s.Seal(4); err != nil {
		t.Fatal(err)
	}
	late, lreq, ltape := history(7, 4, 2, 0)
	put(s, late, lreq, ltape) // after the seal: dropped
	s.Close()

	s2 := mustOpen(t, dir)
	tr2, err := s2.Tree(7, 4)
	if err != nil {
		t.Fatal(err)
	}
	if tr2.Root() != root {
		t.Fatalf("root after a restart %x, want %x", tr2.Root().Hash, root.Hash)
	}
	if !s2.Sealed(4) {
		t.Fatal("epoch 4 not sealed after a restart")
	}
	h, err := s2.History(7, 4, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 {
		t.Fatalf("history of %d items, want 3", len(h))
	}
	for i, it := range h {
		if !bytes.Equal(it.Receipt, a[i].Marshal()) || !bytes.Equal(it.Request, areq[i]) || !bytes.Equal(it.Tape, atape[i]) {
			t.Fatalf("history item %d: %q %q", i, it.Request, it.Tape)
		}
	}
	if _, err := s2.History(7, 4, 1, 9); err == nil {
		t.Fatal("history beyond the last index: no error")
	}
}

func TestDamagedTailIsCut(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	rs, reqs, tapes := history(3, 0, 0, 4)
	put(s, rs, reqs, tapes)
	s.Close()
	path := filepath.Join(dir, "0", "3"+fileSuffix)
	st, _ := os.Stat(path)
	if err := os.Truncate(path, st.Size()-5); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, dir)
	tr, err := s2.Tree(3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 4 {
		t.Fatalf("%d receipts after a cut tail, want 4", tr.Len())
	}
	// Appending after the cut keeps the file readable.
	more, mreq, mtape := history(3, 0, 1, 1)
	put(s2, more, mreq, mtape)
	s2.Close()
	s3 := mustOpen(t, dir)
	if tr, _ := s3.Tree(3, 0); tr.Len() != 6 {
		t.Fatalf("%d receipts, want 6", tr.Len())
	}
}

func TestSizeBoundDropsTheRest(t *testing.T) {
	s := mustOpen(t, t.TempDir(), WithMaxBytes(1000))
	rs, reqs, tapes := history(1, 0, 0, 20)
	put(s, rs, reqs, tapes)
	tr, err := s.Tree(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() == 0 || tr.Len() >= 21 {
		t.Fatalf("%d receipts kept under a 1000-byte bound", tr.Len())
	}
	// What was kept is a prefix of the chain: every kept receipt's history
	// is there.
	if _, err := s.History(1, 0, 0, uint64(tr.Len()-1)); err != nil {
		t.Fatal(err)
	}
	if tr.Root().Requests != uint64(tr.Len()-1) {
		t.Fatalf("root counts %d requests of %d kept receipts", tr.Root().Requests, tr.Len())
	}
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	for e := uint64(0); e < 4; e++ {
		rs, reqs, tapes := history(1, e, 0, 1)
		s.SetEpoch(e)
		put(s, rs, reqs, tapes)
	}
	if err := s.Prune(2); err != nil {
		t.Fatal(err)
	}
	for e := uint64(0); e < 4; e++ {
		_, err := os.Stat(filepath.Join(dir, fmt.Sprint(e)))
		if kept := err == nil; kept != (e >= 2) {
			t.Fatalf("epoch %d kept=%v", e, kept)
		}
		if tr, _ := s.Tree(1, e); (tr.Len() > 0) != (e >= 2) {
			t.Fatalf("epoch %d tree of %d", e, tr.Len())
		}
	}
}

func TestNextInstanceGoesOnAfterARestart(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	s.SetEpoch(3)
	if n := s.NextInstance(1, 3); n != 0 {
		t.Fatalf("first instance %d, want 0", n)
	}
	rs, reqs, tapes := history(1, 3, 0, 1)
	put(s, rs, reqs, tapes)
	if n := s.NextInstance(1, 3); n != 1 {
		t.Fatalf("second instance %d, want 1", n)
	}
	rs, reqs, tapes = history(1, 3, 1, 0)
	put(s, rs, reqs, tapes)
	s.Close()
	s2 := mustOpen(t, dir)
	if n := s2.NextInstance(1, 3); n != 2 {
		t.Fatalf("instance after a restart %d, want 2", n)
	}
	if n := s2.NextInstance(2, 3); n != 0 {
		t.Fatalf("another lease's first instance %d, want 0", n)
	}
}
