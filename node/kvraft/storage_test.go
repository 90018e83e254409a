package kvraft

import (
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

func ents(term uint64, from, to uint64) []*pb.Entry {
	var out []*pb.Entry
	for i := from; i <= to; i++ {
		out = append(out, &pb.Entry{Term: new(term), Index: new(i), Data: []byte{byte(i)}})
	}
	return out
}

func reopen(t *testing.T, db *leveldb.DB) *diskStorage {
	t.Helper()
	s, _, err := openStorage(db, "g", false)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bounds(t *testing.T, s *diskStorage) (uint64, uint64) {
	t.Helper()
	first, err := s.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	last, err := s.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	return first, last
}

func TestDiskStorageSurvivesReopen(t *testing.T) {
	db, err := leveldb.OpenFile(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, fresh, err := openStorage(db, "g", false)
	if err != nil || !fresh {
		t.Fatalf("open a fresh group: fresh %v, %v", fresh, err)
	}
	hs := &pb.HardState{Term: new(uint64(2)), Vote: new(uint64(1)), Commit: new(uint64(3))}
	if err := s.save(&raft.Ready{HardState: hs, Entries: ents(1, 1, 10)}); err != nil {
		t.Fatal(err)
	}
	// A new leader overwrites the tail from 6: entries 9 and 10 are gone.
	if err := s.save(&raft.Ready{Entries: ents(2, 6, 8)}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, db)
	if first, last := bounds(t, s); first != 1 || last != 8 {
		t.Fatalf("after reopen the log is [%d, %d], want [1, 8]", first, last)
	}
	if term, _ := s.Term(7); term != 2 {
		t.Fatalf("entry 7 has term %d, want 2", term)
	}
	got, _, _ := s.InitialState()
	if got.GetTerm() != 2 || got.GetVote() != 1 || got.GetCommit() != 3 {
		t.Fatalf("hard state after reopen: %v", got)
	}
	// Compaction keeps the snapshot and the log after it.
	if err := s.snapshot(5, &pb.ConfState{Voters: []uint64{1}}, []byte("state"), true); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, db)
	if first, last := bounds(t, s); first != 6 || last != 8 {
		t.Fatalf("after compaction to 5 the log is [%d, %d], want [6, 8]", first, last)
	}
	// Installing a leader's snapshot replaces the whole log, also on disk:
	// entry 8, past the snapshot at 7, must not come back.
	snap := &pb.Snapshot{Data: []byte("leader"), Metadata: &pb.SnapshotMetadata{Index: new(uint64(7)), Term: new(uint64(3)),
		ConfState: &pb.ConfState{Voters: []uint64{1, 2}}}}
	if err := s.save(&raft.Ready{Snapshot: snap}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, db)
	if first, last := bounds(t, s); first != 8 || last != 7 {
		t.Fatalf("after installing a snapshot at 7 the log is [%d, %d], want empty after 7", first, last)
	}
	if sn, _ := s.Snapshot(); string(sn.GetData()) != "leader" {
		t.Fatalf("stored snapshot: %q", sn.GetData())
	}
}
