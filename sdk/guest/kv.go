package guest

import (
	"github.com/quantum1net/q1/sdk/guest/abi"
)

// KVStore is the service's key-value store: the kv capability
// (permissions.capabilities.kv in the manifest). Keys are 1 to 1024 bytes;
// keys and values together count against the service's quota.
//
// The store is replica-local: each replica of a service keeps its own data
// until replicated state exists (docs/guest-abi.md).
type KVStore struct{}

// KV returns the service's key-value store. A module that uses it imports
// the q1.kv_* functions and loads only where the manifest grants kv.
func KV() *KVStore { return &KVStore{} }

// Get returns the value stored under key, or an error matching ErrNotFound.
func (*KVStore) Get(key string) ([]byte, error) {
	n := hostKVGet(sptr(key), uint32(len(key)))
	if err := check("kv get", n); err != nil {
		return nil, err
	}
	return readResult(n), nil
}

// Put stores value under key, replacing any previous value. It fails with an
// error matching ErrQuotaExceeded, whose message gives the numbers, when the
// new total of keys and values would pass the quota.
func (*KVStore) Put(key string, value []byte) error {
	return check("kv put", hostKVPut(sptr(key), uint32(len(key)), ptr(value), uint32(len(value))))
}

// Delete removes key. Deleting a key that does not exist is not an error.
func (*KVStore) Delete(key string) error {
	return check("kv delete", hostKVDelete(sptr(key), uint32(len(key))))
}

// List returns, in byte order, up to limit keys that start with prefix and
// sort after the key after ("" starts at the beginning). Pass the last key of
// one page as after to get the next; fewer than limit keys means the end.
// limit is clamped to 1..1000.
func (*KVStore) List(prefix, after string, limit int) ([]string, error) {
	limit = max(1, min(limit, abi.MaxListKeys))
	n := hostKVList(sptr(prefix), uint32(len(prefix)), sptr(after), uint32(len(after)), uint32(limit))
	if err := check("kv list", n); err != nil {
		return nil, err
	}
	keys, err := abi.ParseKeys(readResult(n))
	if err != nil {
		return nil, &Error{Op: "kv list", Code: abi.CodeInternal, Message: "kv list: " + err.Error()}
	}
	return keys, nil
}
