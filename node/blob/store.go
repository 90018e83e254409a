package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
)

// Defaults of a Store.
const (
	// DefaultMaxSize is the largest blob a store accepts.
	DefaultMaxSize int64 = 64 << 20
	// DefaultQuota is how many bytes of blobs each account may have uploaded.
	DefaultQuota int64 = 1 << 30
)

// Subdirectories of a store's directory.
const (
	blobsDir  = "blobs"  // blobs/<64 hex>: the content
	ownersDir = "owners" // owners/<64 hex>: accounts that uploaded it, one a line
	tmpDir    = "tmp"    // uploads being written; emptied by Open
)

// Store keeps content-addressed blobs under one directory. A blob is written
// to a temporary file, synced and renamed into place, so readers see whole
// blobs or none. It is safe for concurrent use; only one Store may use a
// directory at a time.
//
// Quota: every account that uploads a blob is recorded as an owner of it, and
// the blob's size counts against the quota of each of its owners, whoever
// uploaded it first: an account's usage is the total size of the blobs it
// chose to store, and does not drop because another account uploaded the
// same bytes. Blobs stored without an owner (fetched from peers) count for no
// one.
type Store struct {
	dir     string
	maxSize int64
	quota   int64
	now     func() time.Time
	log     *slog.Logger
	fetcher *Fetcher

	mu       sync.Mutex // guards owners, usage, inflight and commits into blobs/
	owners   map[blobhash.Hash][]string
	usage    map[string]int64
	inflight map[blobhash.Hash]*fetchCall
}

// Info describes a stored blob.
type Info struct {
	Hash    blobhash.Hash
	Size    int64
	ModTime time.Time // when it was stored, or last uploaded again
	Owners  []string  // accounts that uploaded it, sorted
}

// Option configures a Store.
type Option func(*Store)

// WithMaxSize sets the largest blob accepted (default DefaultMaxSize).
func WithMaxSize(n int64) Option { return func(s *Store) { s.maxSize = n } }

// WithQuota sets the bytes each account may have uploaded (default
// DefaultQuota); zero or less means no quota.
func WithQuota(n int64) Option { return func(s *Store) { s.quota = n } }

// WithClock sets the clock that stamps stored blobs (default time.Now); GC
// compares those stamps with the time it is given.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithFetcher sets the Fetcher Ensure uses (default NewFetcher(nil, logger)).
func WithFetcher(f *Fetcher) Option { return func(s *Store) { s.fetcher = f } }

// Open opens the store in dir, creating it if needed. It removes uploads a
// previous process left unfinished and loads the owner index.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{
		dir:      dir,
		maxSize:  DefaultMaxSize,
		quota:    DefaultQuota,
		now:      time.Now,
		owners:   make(map[blobhash.Hash][]string),
		usage:    make(map[string]int64),
		inflight: make(map[blobhash.Hash]*fetchCall),
	}
	for _, o := range opts {
		o(s)
	}
	if s.maxSize <= 0 {
		return nil, fmt.Errorf("open blob store %s: size limit %d is not positive", dir, s.maxSize)
	}
	if s.now == nil {
		return nil, fmt.Errorf("open blob store %s: clock is nil", dir)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.fetcher == nil {
		s.fetcher = NewFetcher(nil, s.log)
	}
	for _, sub := range []string{blobsDir, ownersDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("open blob store: %w", err)
		}
	}
	if err := s.clearTmp(); err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", dir, err)
	}
	if err := s.loadOwners(); err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", dir, err)
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// MaxSize returns the largest blob the store accepts.
func (s *Store) MaxSize() int64 { return s.maxSize }

// Quota returns the per-account quota in bytes; zero or less means none.
func (s *Store) Quota() int64 { return s.quota }

func (s *Store) blobPath(h blobhash.Hash) string  { return filepath.Join(s.dir, blobsDir, h.Hex()) }
func (s *Store) ownerPath(h blobhash.Hash) string { return filepath.Join(s.dir, ownersDir, h.Hex()) }

func (s *Store) clearTmp() error {
	entries, err := os.ReadDir(filepath.Join(s.dir, tmpDir))
	if err != nil {
		return fmt.Errorf("list unfinished uploads: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.dir, tmpDir, e.Name())); err != nil {
			return fmt.Errorf("remove unfinished upload: %w", err)
		}
	}
	return nil
}

// Put stores the blob read from r and returns its hash and size. If want is
// not zero, the content must hash to it; when a blob with that hash is
// already stored, r is not read at all. owner, if not empty, is the account
// the blob counts against (see Store for the quota rule). Putting a blob that
// is already stored is not an error: it records the owner and refreshes the
// blob's age for GC.
func (s *Store) Put(ctx context.Context, r io.Reader, want blobhash.Hash, owner string) (blobhash.Hash, int64, error) {
	res, err := s.put(ctx, r, want, owner)
	return res.hash, res.size, err
}

type putResult struct {
	hash    blobhash.Hash
	size    int64
	created bool // the blob was not stored before
}

func (s *Store) put(ctx context.Context, r io.Reader, want blobhash.Hash, owner string) (putResult, error) {
	if err := checkOwner(owner); err != nil {
		return putResult{}, err
	}
	if !want.IsZero() {
		if size, ok, err := s.adopt(want, owner); err != nil || ok {
			return putResult{hash: want, size: size}, err
		}
	}
	st, err := s.stage(ctx, r, want)
	if err != nil {
		return putResult{}, err
	}
	defer st.discard()
	return s.commit(st, owner)
}

// Open opens a stored blob for reading and returns its size. The caller
// closes it. An error matching ErrNotFound means the blob is not stored.
func (s *Store) Open(h blobhash.Hash) (io.ReadSeekCloser, int64, error) {
	f, err := os.Open(s.blobPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, notFound(h)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open blob %s: %w", h, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("stat blob %s: %w", h, err)
	}
	return f, fi.Size(), nil
}

// Has reports whether the blob is stored.
func (s *Store) Has(h blobhash.Hash) bool {
	_, err := os.Stat(s.blobPath(h))
	return err == nil
}

// Stat describes a stored blob; an error matching ErrNotFound means it is not
// stored.
func (s *Store) Stat(h blobhash.Hash) (Info, error) {
	fi, err := os.Stat(s.blobPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, notFound(h)
	}
	if err != nil {
		return Info{}, fmt.Errorf("stat blob %s: %w", h, err)
	}
	s.mu.Lock()
	owners := slices.Clone(s.owners[h])
	s.mu.Unlock()
	return Info{Hash: h, Size: fi.Size(), ModTime: fi.ModTime(), Owners: owners}, nil
}

// List describes every stored blob, ordered by hash.
func (s *Store) List() ([]Info, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, blobsDir))
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	infos := make([]Info, 0, len(entries))
	for _, e := range entries {
		h, ok := parseHex(e.Name())
		if !ok {
			continue
		}
		info, err := s.Stat(h)
		if errors.Is(err, ErrNotFound) { // deleted meanwhile
			continue
		}
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// Delete removes a stored blob and releases it from its owners' quotas. An
// error matching ErrNotFound means it was not stored.
func (s *Store) Delete(h blobhash.Hash) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteLocked(h)
}

func (s *Store) deleteLocked(h blobhash.Hash) error {
	fi, err := os.Stat(s.blobPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return notFound(h)
	}
	if err != nil {
		return fmt.Errorf("delete blob %s: %w", h, err)
	}
	if err := os.Remove(s.blobPath(h)); err != nil {
		return fmt.Errorf("delete blob %s: %w", h, err)
	}
	if err := s.dropOwnersLocked(h, fi.Size()); err != nil {
		return fmt.Errorf("delete blob %s: %w", h, err)
	}
	return nil
}

// Usage returns the bytes of stored blobs that count against account's quota.
func (s *Store) Usage(account string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage[account]
}

// parseHex reads a blob's file name (its hash's 64 hex digits).
func parseHex(name string) (blobhash.Hash, bool) {
	h, err := blobhash.ParseHex(name)
	return h, err == nil
}
