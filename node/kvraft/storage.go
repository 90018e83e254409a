package kvraft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// The layout of a host's LevelDB database. Every key of a group starts with
// "g\x00" + group + "\x00", so one prefix scan finds all of a group and
// group names may hold any byte but NUL.
const (
	keyMeta  = "meta"  // the group exists (written when it is created)
	keyHard  = "hs"    // the raft HardState
	keySnap  = "snap"  // the latest snapshot (its data is the state machine)
	keyEntry = "e"     // + 8-byte big-endian index: one log entry
	groupTag = "g\x00" // the prefix of every group key
)

func groupPrefix(group string) []byte { return []byte(groupTag + group + "\x00") }

func groupKey(group, name string) []byte { return append(groupPrefix(group), name...) }

func entryKey(group string, index uint64) []byte {
	return binary.BigEndian.AppendUint64(groupKey(group, keyEntry), index)
}

// diskStorage is one group's raft log: a raft.MemoryStorage that raft reads,
// backed by the host's LevelDB database, which is written first. It follows
// etcd's raftexample: what a Ready asks to persist is written to disk (and
// synced) before the Ready's messages are sent, then copied into memory.
type diskStorage struct {
	*raft.MemoryStorage
	db    *leveldb.DB
	group string
	sync  bool
}

// openStorage loads group's snapshot, hard state and entries from db.
// fresh reports that nothing was stored yet.
func openStorage(db *leveldb.DB, group string, sync bool) (s *diskStorage, fresh bool, err error) {
	s = &diskStorage{MemoryStorage: raft.NewMemoryStorage(), db: db, group: group, sync: sync}
	fresh = true
	if b, err := db.Get(groupKey(group, keySnap), nil); err == nil {
		snap := &pb.Snapshot{}
		if err := proto.Unmarshal(b, snap); err != nil {
			return nil, false, fmt.Errorf("kvraft group %q: decode the stored snapshot: %w", group, err)
		}
		if err := s.MemoryStorage.ApplySnapshot(snap); err != nil {
			return nil, false, fmt.Errorf("kvraft group %q: load the stored snapshot: %w", group, err)
		}
		fresh = false
	} else if !errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, fmt.Errorf("kvraft group %q: read the snapshot: %w", group, err)
	}
	if b, err := db.Get(groupKey(group, keyHard), nil); err == nil {
		hs := &pb.HardState{}
		if err := proto.Unmarshal(b, hs); err != nil {
			return nil, false, fmt.Errorf("kvraft group %q: decode the stored hard state: %w", group, err)
		}
		if err := s.MemoryStorage.SetHardState(hs); err != nil {
			return nil, false, fmt.Errorf("kvraft group %q: load the hard state: %w", group, err)
		}
		fresh = false
	} else if !errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, fmt.Errorf("kvraft group %q: read the hard state: %w", group, err)
	}
	it := db.NewIterator(util.BytesPrefix(groupKey(group, keyEntry)), nil)
	defer it.Release()
	var ents []*pb.Entry
	for it.Next() {
		e := &pb.Entry{}
		if err := proto.Unmarshal(it.Value(), e); err != nil {
			return nil, false, fmt.Errorf("kvraft group %q: decode a stored log entry: %w", group, err)
		}
		ents = append(ents, e)
	}
	if err := it.Error(); err != nil {
		return nil, false, fmt.Errorf("kvraft group %q: read the log: %w", group, err)
	}
	if len(ents) > 0 {
		if err := s.MemoryStorage.Append(ents); err != nil {
			return nil, false, fmt.Errorf("kvraft group %q: load %d log entries: %w", group, len(ents), err)
		}
		fresh = false
	}
	return s, fresh, nil
}

// save persists what rd asks for in one LevelDB batch, then applies it to
// the in-memory log raft reads.
func (s *diskStorage) save(rd *raft.Ready) error {
	var b leveldb.Batch
	if !raft.IsEmptySnap(rd.Snapshot) {
		data, err := proto.Marshal(rd.Snapshot)
		if err != nil {
			return fmt.Errorf("kvraft group %q: encode a snapshot: %w", s.group, err)
		}
		b.Put(groupKey(s.group, keySnap), data)
		// Installing a snapshot replaces the whole log (MemoryStorage keeps
		// nothing of it): entries past the snapshot must not come back on
		// a restart either. The Ready's own entries are written after.
		s.deleteEntries(&b, 0, math.MaxUint64-1)
	}
	if len(rd.Entries) > 0 {
		last := rd.Entries[len(rd.Entries)-1].GetIndex()
		// Entries past the new last one were overwritten by a new leader.
		if old, err := s.MemoryStorage.LastIndex(); err == nil && old > last {
			s.deleteEntries(&b, last+1, old)
		}
		for _, e := range rd.Entries {
			data, err := proto.Marshal(e)
			if err != nil {
				return fmt.Errorf("kvraft group %q: encode log entry %d: %w", s.group, e.GetIndex(), err)
			}
			b.Put(entryKey(s.group, e.GetIndex()), data)
		}
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		data, err := proto.Marshal(rd.HardState)
		if err != nil {
			return fmt.Errorf("kvraft group %q: encode the hard state: %w", s.group, err)
		}
		b.Put(groupKey(s.group, keyHard), data)
	}
	if b.Len() > 0 {
		if err := s.db.Write(&b, &opt.WriteOptions{Sync: s.sync}); err != nil {
			return fmt.Errorf("kvraft group %q: persist the raft log: %w", s.group, err)
		}
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := s.MemoryStorage.ApplySnapshot(rd.Snapshot); err != nil {
			return fmt.Errorf("kvraft group %q: install snapshot at index %d: %w", s.group, rd.Snapshot.GetMetadata().GetIndex(), err)
		}
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		if err := s.MemoryStorage.SetHardState(rd.HardState); err != nil {
			return fmt.Errorf("kvraft group %q: set the hard state: %w", s.group, err)
		}
	}
	if len(rd.Entries) > 0 {
		if err := s.MemoryStorage.Append(rd.Entries); err != nil {
			return fmt.Errorf("kvraft group %q: append %d entries: %w", s.group, len(rd.Entries), err)
		}
	}
	return nil
}

// deleteEntries adds to b the deletion of the entries with index in [lo, hi].
func (s *diskStorage) deleteEntries(b *leveldb.Batch, lo, hi uint64) {
	it := s.db.NewIterator(&util.Range{Start: entryKey(s.group, lo), Limit: entryKey(s.group, hi+1)}, nil)
	defer it.Release()
	for it.Next() {
		b.Delete(append([]byte(nil), it.Key()...))
	}
}

// snapshot makes a snapshot of data at index applied and persists it;
// with compact it also drops the log up to it on disk and in memory.
func (s *diskStorage) snapshot(applied uint64, cs *pb.ConfState, data []byte, compact bool) error {
	snap, err := s.MemoryStorage.CreateSnapshot(applied, cs, data)
	if err != nil {
		return fmt.Errorf("kvraft group %q: snapshot at index %d: %w", s.group, applied, err)
	}
	enc, err := proto.Marshal(snap)
	if err != nil {
		return fmt.Errorf("kvraft group %q: encode the snapshot at index %d: %w", s.group, applied, err)
	}
	var b leveldb.Batch
	b.Put(groupKey(s.group, keySnap), enc)
	if compact {
		s.deleteEntries(&b, 0, applied)
	}
	if err := s.db.Write(&b, &opt.WriteOptions{Sync: s.sync}); err != nil {
		return fmt.Errorf("kvraft group %q: persist the snapshot at index %d: %w", s.group, applied, err)
	}
	if !compact {
		return nil
	}
	if err := s.MemoryStorage.Compact(applied); err != nil {
		return fmt.Errorf("kvraft group %q: compact the log to index %d: %w", s.group, applied, err)
	}
	return nil
}

// storedGroups lists the groups db holds.
func storedGroups(db *leveldb.DB) ([]string, error) {
	it := db.NewIterator(util.BytesPrefix([]byte(groupTag)), nil)
	defer it.Release()
	var out []string
	suffix := "\x00" + keyMeta
	for it.Next() {
		k := string(it.Key())
		if len(k) > len(groupTag)+len(suffix) && k[len(k)-len(suffix):] == suffix {
			out = append(out, k[len(groupTag):len(k)-len(suffix)])
		}
	}
	return out, it.Error()
}
