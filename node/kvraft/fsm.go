package kvraft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Op names what a Command does.
type Op uint8

// The commands a group's state machine applies.
const (
	// OpPut stores Value under Key.
	OpPut Op = iota + 1
	// OpDelete removes Key; deleting an absent key succeeds.
	OpDelete
	// OpCompareAndSwap stores Value under Key only if the key is at
	// Version (0 means the key must be absent).
	OpCompareAndSwap
	// OpTxn applies Writes only if every key in Reads is still at the
	// version the caller read (0 means absent).
	OpTxn
	// OpSetQuota sets the store's byte quota (0 means no quota). It goes
	// through the log so that every replica enforces the same quota.
	OpSetQuota
)

func (o Op) String() string {
	switch o {
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	case OpCompareAndSwap:
		return "cas"
	case OpTxn:
		return "txn"
	case OpSetQuota:
		return "set-quota"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Write is one write of a transaction: a put, or a delete when Delete is set.
type Write struct {
	Key    string
	Value  []byte
	Delete bool
}

// Command is one change to a store. Which fields count depends on Op.
type Command struct {
	Op      Op
	Key     string
	Value   []byte
	Version uint64            // OpCompareAndSwap: the version expected (0 = absent).
	Reads   map[string]uint64 // OpTxn: key -> version the caller read (0 = absent).
	Writes  []Write           // OpTxn: the writes, applied in order.
	Quota   int64             // OpSetQuota: the new quota in bytes (0 = none).
}

// Result is what applying a Command produced. Revision is the store's
// revision after the command; a write that changed nothing (a refused
// command, a delete of an absent key) leaves it as it was.
type Result struct {
	Revision uint64
	// Err is the command's refusal (a *ConflictError or a *QuotaError),
	// or nil. A refused command changes nothing.
	Err error
}

// Item is a stored value with the revision that last wrote it.
type Item struct {
	Value   []byte
	Version uint64
}

// KeyVersion is a key with the version of its value, as List returns it.
type KeyVersion struct {
	Key     string
	Version uint64
}

// ErrConflict is what a *ConflictError matches with errors.Is.
var ErrConflict = errors.New("kvraft: conflict")

// ConflictError refuses a compare-and-swap or a transaction because a key
// is not at the version the caller expected. Nothing was written.
type ConflictError struct {
	Op       Op
	Key      string
	Expected uint64 // the version the caller read (0 = absent)
	Actual   uint64 // the version the key is at now (0 = absent)
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("kvraft %s: conflict on key %q: expected version %d, the key is at version %d (0 = absent); "+
		"nothing was written (read again and retry)", e.Op, e.Key, e.Expected, e.Actual)
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ErrQuota is what a *QuotaError matches with errors.Is.
var ErrQuota = errors.New("kvraft: quota exceeded")

// QuotaError refuses a write that would take the store over its quota.
// Its message follows the replica-local store's (node/runtime/kv.go).
type QuotaError struct {
	Op          Op
	Key         string
	Used, Quota int64
	Need        int64
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("kv %s %q: quota exceeded: the service stores %d of its %d quota bytes and this %s needs %d more "+
		"(keys and values count; delete data or raise permissions.capabilities.kv.quota)", e.Op, e.Key, e.Used, e.Quota, e.Op, e.Need)
}

// Is reports whether target is ErrQuota.
func (e *QuotaError) Is(target error) bool { return target == ErrQuota }

// StateMachine is a group's data: keys mapped to values and versions. It is
// pure and deterministic: the same commands in the same order give the same
// state and results on every replica. It is not safe for concurrent use;
// Group guards it.
type StateMachine struct {
	items    map[string]Item
	used     int64 // bytes of keys and values
	quota    int64 // 0 = none
	revision uint64
}

// NewStateMachine returns an empty store with quota bytes (0 = none).
func NewStateMachine(quota int64) *StateMachine {
	return &StateMachine{items: map[string]Item{}, quota: quota}
}

// Get returns key's value and version, and whether it exists.
func (s *StateMachine) Get(key string) (Item, bool) {
	it, ok := s.items[key]
	if !ok {
		return Item{}, false
	}
	return Item{Value: append([]byte(nil), it.Value...), Version: it.Version}, true
}

// List returns up to limit keys (all if limit <= 0) that start with prefix
// and sort after after, in order, with their versions.
func (s *StateMachine) List(prefix, after string, limit int) []KeyVersion {
	var out []KeyVersion
	for k, it := range s.items {
		if strings.HasPrefix(k, prefix) && k > after {
			out = append(out, KeyVersion{Key: k, Version: it.Version})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Used returns the bytes of keys and values stored.
func (s *StateMachine) Used() int64 { return s.used }

// Quota returns the byte quota (0 = none).
func (s *StateMachine) Quota() int64 { return s.quota }

// Revision returns the store's revision: the number of commands that wrote.
func (s *StateMachine) Revision() uint64 { return s.revision }

// Len returns the number of keys.
func (s *StateMachine) Len() int { return len(s.items) }

func (s *StateMachine) size(key string) int64 {
	it, ok := s.items[key]
	if !ok {
		return 0
	}
	return int64(len(key) + len(it.Value))
}

// Apply applies c and returns its result. A refused command leaves the
// state as it was.
func (s *StateMachine) Apply(c Command) Result {
	switch c.Op {
	case OpPut:
		return s.write(c.Op, c.Key, []Write{{Key: c.Key, Value: c.Value}})
	case OpDelete:
		if _, ok := s.items[c.Key]; !ok {
			return Result{Revision: s.revision}
		}
		return s.write(c.Op, c.Key, []Write{{Key: c.Key, Delete: true}})
	case OpCompareAndSwap:
		if v := s.items[c.Key].Version; v != c.Version {
			return Result{Revision: s.revision, Err: &ConflictError{Op: c.Op, Key: c.Key, Expected: c.Version, Actual: v}}
		}
		return s.write(c.Op, c.Key, []Write{{Key: c.Key, Value: c.Value}})
	case OpTxn:
		keys := make([]string, 0, len(c.Reads))
		for k := range c.Reads {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the first conflicting key in order, the same on every replica
		for _, k := range keys {
			if v := s.items[k].Version; v != c.Reads[k] {
				return Result{Revision: s.revision, Err: &ConflictError{Op: c.Op, Key: k, Expected: c.Reads[k], Actual: v}}
			}
		}
		if len(c.Writes) == 0 {
			return Result{Revision: s.revision}
		}
		return s.write(c.Op, c.Writes[0].Key, c.Writes)
	case OpSetQuota:
		s.quota = c.Quota
		return Result{Revision: s.revision}
	}
	return Result{Revision: s.revision, Err: fmt.Errorf("kvraft apply: unknown command %s", c.Op)}
}

// write applies ws as one step at a new revision, unless the bytes they
// add would exceed the quota. A write that frees bytes is always allowed.
func (s *StateMachine) write(op Op, key string, ws []Write) Result {
	// The size each touched key would have after all the writes.
	after := map[string]int64{}
	for _, w := range ws {
		if w.Delete {
			after[w.Key] = 0
		} else {
			after[w.Key] = int64(len(w.Key) + len(w.Value))
		}
	}
	var delta int64
	for k, n := range after { //q1:maporder-ok integer sum
		delta += n - s.size(k)
	}
	if delta > 0 && s.quota > 0 && s.used+delta > s.quota {
		return Result{Revision: s.revision, Err: &QuotaError{Op: op, Key: key, Used: s.used, Quota: s.quota, Need: delta}}
	}
	s.revision++
	for _, w := range ws {
		if w.Delete {
			delete(s.items, w.Key)
			continue
		}
		s.items[w.Key] = Item{Value: append([]byte(nil), w.Value...), Version: s.revision}
	}
	s.used += delta
	return Result{Revision: s.revision}
}

// snapshotMagic starts every snapshot so a wrong blob fails clearly.
const snapshotMagic = "kvraft-snap-v1"

// Snapshot encodes the whole state: keys in order, so equal states give
// equal bytes.
func (s *StateMachine) Snapshot() []byte {
	keys := make([]string, 0, len(s.items))
	for k := range s.items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := make([]byte, 0, 64+s.used+int64(len(keys))*12)
	b = append(b, snapshotMagic...)
	b = binary.AppendUvarint(b, s.revision)
	b = binary.AppendVarint(b, s.quota)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		it := s.items[k]
		b = appendBytes(b, []byte(k))
		b = appendBytes(b, it.Value)
		b = binary.AppendUvarint(b, it.Version)
	}
	return b
}

// Restore replaces the state with the one data encodes.
func (s *StateMachine) Restore(data []byte) error {
	if !strings.HasPrefix(string(data), snapshotMagic) {
		return fmt.Errorf("kvraft restore: not a kvraft snapshot (%d bytes, no %q header)", len(data), snapshotMagic)
	}
	r := reader{b: data[len(snapshotMagic):]}
	rev := r.uvarint()
	quota := r.varint()
	n := r.uvarint()
	if r.err == nil && n > uint64(len(data)) {
		r.err = fmt.Errorf("%d keys in %d bytes", n, len(data))
	}
	items := make(map[string]Item, n)
	var used int64
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := string(r.bytes())
		v := r.bytes()
		ver := r.uvarint()
		items[k] = Item{Value: v, Version: ver}
		used += int64(len(k) + len(v))
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes left over", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("kvraft restore: corrupt snapshot: %w", r.err)
	}
	s.items, s.used, s.quota, s.revision = items, used, quota, rev
	return nil
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// reader decodes the varint encodings of snapshots and batches; the first
// error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("truncated number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errors.New("truncated number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("length %d beyond the %d bytes left", n, len(r.b))
		return nil
	}
	p := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return p
}
