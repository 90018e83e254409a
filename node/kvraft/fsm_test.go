package kvraft

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustOK(t *testing.T, r Result) uint64 {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("apply: %v", r.Err)
	}
	return r.Revision
}

func TestStateMachinePutGetDelete(t *testing.T) {
	s := NewStateMachine(0)
	rev := mustOK(t, s.Apply(Command{Op: OpPut, Key: "a", Value: []byte("1")}))
	if rev != 1 {
		t.Fatalf("first put: revision %d, want 1", rev)
	}
	it, ok := s.Get("a")
	if !ok || string(it.Value) != "1" || it.Version != 1 {
		t.Fatalf("get a = %+v %v, want 1 at version 1", it, ok)
	}
	mustOK(t, s.Apply(Command{Op: OpPut, Key: "a", Value: []byte("22")}))
	if it, _ := s.Get("a"); it.Version != 2 || string(it.Value) != "22" {
		t.Fatalf("after second put: %+v", it)
	}
	if s.Used() != 3 {
		t.Fatalf("used %d, want 3", s.Used())
	}
	mustOK(t, s.Apply(Command{Op: OpDelete, Key: "a"}))
	if _, ok := s.Get("a"); ok || s.Used() != 0 {
		t.Fatalf("after delete: found %v, used %d", ok, s.Used())
	}
	// Deleting an absent key succeeds and does not move the revision.
	if r := s.Apply(Command{Op: OpDelete, Key: "a"}); r.Err != nil || r.Revision != 3 {
		t.Fatalf("delete absent: %+v", r)
	}
}

func TestStateMachineCompareAndSwap(t *testing.T) {
	s := NewStateMachine(0)
	mustOK(t, s.Apply(Command{Op: OpCompareAndSwap, Key: "n", Version: 0, Value: []byte("1")}))
	r := s.Apply(Command{Op: OpCompareAndSwap, Key: "n", Version: 0, Value: []byte("x")})
	var ce *ConflictError
	if !errors.As(r.Err, &ce) || !errors.Is(r.Err, ErrConflict) {
		t.Fatalf("cas on a present key expecting absent: %v, want a conflict", r.Err)
	}
	want := `kvraft cas: conflict on key "n": expected version 0, the key is at version 1 (0 = absent); nothing was written (read again and retry)`
	if r.Err.Error() != want {
		t.Fatalf("message:\n got %s\nwant %s", r.Err, want)
	}
	if it, _ := s.Get("n"); string(it.Value) != "1" {
		t.Fatalf("a refused cas wrote: %q", it.Value)
	}
	mustOK(t, s.Apply(Command{Op: OpCompareAndSwap, Key: "n", Version: 1, Value: []byte("2")}))
	if it, _ := s.Get("n"); string(it.Value) != "2" || it.Version != 2 {
		t.Fatalf("after cas: %+v", it)
	}
}

func TestStateMachineTxn(t *testing.T) {
	s := NewStateMachine(0)
	mustOK(t, s.Apply(Command{Op: OpPut, Key: "from", Value: []byte("10")}))
	mustOK(t, s.Apply(Command{Op: OpPut, Key: "to", Value: []byte("0")}))
	from, _ := s.Get("from")
	to, _ := s.Get("to")
	txn := Command{Op: OpTxn,
		Reads:  map[string]uint64{"from": from.Version, "to": to.Version, "log": 0},
		Writes: []Write{{Key: "from", Value: []byte("7")}, {Key: "to", Value: []byte("3")}, {Key: "tmp", Delete: true}}}
	rev := mustOK(t, s.Apply(txn))
	for k, v := range map[string]string{"from": "7", "to": "3"} {
		if it, _ := s.Get(k); string(it.Value) != v || it.Version != rev {
			t.Fatalf("%s = %+v, want %s at %d", k, it, v, rev)
		}
	}
	// The same transaction again: its read versions are stale.
	r := s.Apply(txn)
	if !errors.Is(r.Err, ErrConflict) || !strings.Contains(r.Err.Error(), `kvraft txn: conflict on key "from": expected version 1, the key is at version 3`) {
		t.Fatalf("stale txn: %v", r.Err)
	}
	if it, _ := s.Get("from"); string(it.Value) != "7" {
		t.Fatalf("a refused txn wrote: %q", it.Value)
	}
	// A key read as absent that now exists conflicts too.
	r = s.Apply(Command{Op: OpTxn, Reads: map[string]uint64{"to": 0}, Writes: []Write{{Key: "x", Value: []byte("1")}}})
	if !errors.Is(r.Err, ErrConflict) || !strings.Contains(r.Err.Error(), `"to": expected version 0, the key is at version 3`) {
		t.Fatalf("absent-read txn: %v", r.Err)
	}
}

func TestStateMachineQuota(t *testing.T) {
	s := NewStateMachine(10)
	mustOK(t, s.Apply(Command{Op: OpPut, Key: "k", Value: []byte("12345")})) // 6 bytes
	r := s.Apply(Command{Op: OpPut, Key: "j", Value: []byte("12345")})       // 6 more: 12 > 10
	var qe *QuotaError
	if !errors.As(r.Err, &qe) || !errors.Is(r.Err, ErrQuota) {
		t.Fatalf("over quota: %v, want a quota error", r.Err)
	}
	want := `kv put "j": quota exceeded: the service stores 6 of its 10 quota bytes and this put needs 6 more ` +
		`(keys and values count; delete data or raise permissions.capabilities.kv.quota)`
	if r.Err.Error() != want {
		t.Fatalf("message:\n got %s\nwant %s", r.Err, want)
	}
	// Overwriting with a value of the same size needs no more bytes.
	mustOK(t, s.Apply(Command{Op: OpPut, Key: "k", Value: []byte("abcde")}))
	// A transaction counts its writes together: freeing k makes room for j.
	mustOK(t, s.Apply(Command{Op: OpTxn, Writes: []Write{{Key: "k", Delete: true}, {Key: "j", Value: []byte("123456789")}}}))
	if s.Used() != 10 {
		t.Fatalf("used %d, want 10", s.Used())
	}
	r = s.Apply(Command{Op: OpCompareAndSwap, Key: "j", Version: 3, Value: []byte("1234567890")})
	if !errors.Is(r.Err, ErrQuota) || !strings.HasPrefix(r.Err.Error(), `kv cas "j": quota exceeded`) {
		t.Fatalf("cas over quota: %v", r.Err)
	}
	// Raising the quota through the log lets the write through.
	mustOK(t, s.Apply(Command{Op: OpSetQuota, Quota: 100}))
	mustOK(t, s.Apply(Command{Op: OpCompareAndSwap, Key: "j", Version: 3, Value: []byte("1234567890")}))
}

func TestStateMachineListAndSnapshot(t *testing.T) {
	s := NewStateMachine(1000)
	for _, k := range []string{"b/2", "a/1", "b/1", "b/3", "c"} {
		mustOK(t, s.Apply(Command{Op: OpPut, Key: k, Value: []byte("v" + k)}))
	}
	got := s.List("b/", "b/1", 0)
	if len(got) != 2 || got[0].Key != "b/2" || got[1].Key != "b/3" {
		t.Fatalf("list b/ after b/1: %+v", got)
	}
	if got := s.List("", "", 2); len(got) != 2 || got[0].Key != "a/1" {
		t.Fatalf("list limit 2: %+v", got)
	}
	snap := s.Snapshot()
	r := NewStateMachine(0)
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Snapshot(), snap) || r.Used() != s.Used() || r.Quota() != 1000 || r.Revision() != s.Revision() {
		t.Fatalf("restored state differs: used %d/%d quota %d revision %d/%d", r.Used(), s.Used(), r.Quota(), r.Revision(), s.Revision())
	}
	if err := r.Restore([]byte("junk")); err == nil || !strings.Contains(err.Error(), "not a kvraft snapshot") {
		t.Fatalf("restore junk: %v", err)
	}
	if err := r.Restore(snap[:len(snap)-3]); err == nil || !strings.Contains(err.Error(), "corrupt snapshot") {
		t.Fatalf("restore truncated: %v", err)
	}
	// A failed restore leaves the state alone.
	if r.Len() != 5 {
		t.Fatalf("after failed restores: %d keys", r.Len())
	}
}
