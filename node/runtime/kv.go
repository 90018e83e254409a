package runtime

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// errKeyNotFound is returned by kvStore.get for a missing key.
var errKeyNotFound = errors.New("key not found")

// quotaError is returned by kvStore.put when the quota would be exceeded.
type quotaError struct {
	key         string
	used, quota int64
	need        int64
}

func (e *quotaError) Error() string {
	return fmt.Sprintf("kv put %q: quota exceeded: the service stores %d of its %d quota bytes and this put needs %d more "+
		"(keys and values count; delete data or raise permissions.capabilities.kv.quota)", e.key, e.used, e.quota, e.need)
}

// kvStore is one service's key-value data: a LevelDB database on disk,
// replica-local, with the total size of keys and values tracked for the
// quota. Two versions of a service loaded side by side share one kvStore.
type kvStore struct {
	dir string
	db  *leveldb.DB

	// mu serializes writes so that used stays exact: a put reads the old
	// value's size and writes the new one as one step.
	mu   sync.Mutex
	used int64

	refs int // guarded by storeRegistry.mu
}

func openKV(dir string) (*kvStore, error) {
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		return nil, fmt.Errorf("open kv store %s: %w", dir, err)
	}
	s := &kvStore{dir: dir, db: db}
	it := db.NewIterator(nil, nil)
	for it.Next() {
		s.used += int64(len(it.Key()) + len(it.Value()))
	}
	it.Release()
	if err := it.Error(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open kv store %s: measure stored bytes: %w", dir, err)
	}
	return s, nil
}

func (s *kvStore) get(key string) ([]byte, error) {
	v, err := s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, fmt.Errorf("kv get %q: %w", key, errKeyNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("kv get %q: %w", key, err)
	}
	return v, nil
}

// put stores value under key unless the new total would exceed quota.
func (s *kvStore) put(key string, value []byte, quota int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := []byte(key)
	delta := int64(len(k) + len(value))
	old, err := s.db.Get(k, nil)
	switch {
	case err == nil:
		delta -= int64(len(k) + len(old))
	case !errors.Is(err, leveldb.ErrNotFound):
		return fmt.Errorf("kv put %q: read previous value: %w", key, err)
	}
	if delta > 0 && s.used+delta > quota {
		return &quotaError{key: key, used: s.used, quota: quota, need: delta}
	}
	if err := s.db.Put(k, value, nil); err != nil {
		return fmt.Errorf("kv put %q: %w", key, err)
	}
	s.used += delta
	return nil
}

func (s *kvStore) delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := []byte(key)
	old, err := s.db.Get(k, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kv delete %q: %w", key, err)
	}
	if err := s.db.Delete(k, nil); err != nil {
		return fmt.Errorf("kv delete %q: %w", key, err)
	}
	s.used -= int64(len(k) + len(old))
	return nil
}

// list returns up to limit keys with prefix that sort after after.
func (s *kvStore) list(prefix, after string, limit int) ([]string, error) {
	it := s.db.NewIterator(util.BytesPrefix([]byte(prefix)), nil)
	defer it.Release()
	ok := it.First()
	if after != "" {
		ok = it.Seek(append([]byte(after), 0)) // the smallest key greater than after
	}
	var keys []string
	for ; ok && len(keys) < limit; ok = it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("kv list %q: %w", prefix, err)
	}
	return keys, nil
}

func (s *kvStore) size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// storeRegistry shares one open kvStore per directory among the services
// that use it (two versions of one service during an update).
type storeRegistry struct {
	mu     sync.Mutex
	stores map[string]*kvStore
}

func newStoreRegistry() *storeRegistry {
	return &storeRegistry{stores: make(map[string]*kvStore)}
}

func (r *storeRegistry) acquire(dir string) (*kvStore, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open kv store %s: %w", dir, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.stores[dir]
	if !ok {
		if s, err = openKV(dir); err != nil {
			return nil, err
		}
		r.stores[dir] = s
	}
	s.refs++
	return s, nil
}

func (r *storeRegistry) release(s *kvStore) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.refs--; s.refs > 0 {
		return nil
	}
	delete(r.stores, s.dir)
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close kv store %s: %w", s.dir, err)
	}
	return nil
}
