package blob

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/quantum1net/q1/client/blobhash"
)

// staged is a blob written to a synced temporary file in the store's
// directory, hashed, not yet visible.
type staged struct {
	path string // empty once committed or discarded
	hash blobhash.Hash
	size int64
}

// discard removes the temporary file unless it was committed.
func (st *staged) discard() {
	if st.path != "" {
		os.Remove(st.path)
		st.path = ""
	}
}

// stage streams r to a temporary file, at most the store's size limit,
// verifies its hash against want when want is not zero, and syncs it. Read
// failures of r are *sourceError; an http.MaxBytesReader limit becomes
// ErrTooLarge.
func (s *Store) stage(ctx context.Context, r io.Reader, want blobhash.Hash) (*staged, error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "put-*")
	if err != nil {
		return nil, fmt.Errorf("store blob: create temporary file: %w", err)
	}
	st := &staged{path: f.Name()}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			st.discard()
		}
	}()

	hasher := sha256.New()
	src := &ctxReader{ctx: ctx, r: io.LimitReader(r, s.maxSize+1)}
	n, err := io.Copy(io.MultiWriter(f, hasher), src)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("store blob: %w", ctx.Err())
	case isMaxBytes(err):
		return nil, tooLarge(s.maxSize)
	case src.err != nil:
		return nil, &sourceError{src.err}
	case err != nil:
		return nil, fmt.Errorf("store blob: write temporary file: %w", err)
	case n > s.maxSize:
		return nil, tooLarge(s.maxSize)
	}
	copy(st.hash[:], hasher.Sum(nil))
	st.size = n
	if !want.IsZero() && st.hash != want {
		return nil, mismatch(st.hash, want)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("store blob: sync temporary file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store blob: close temporary file: %w", err)
	}
	ok = true
	return st, nil
}

func isMaxBytes(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// ctxReader stops reading once ctx is done and remembers read errors so they
// can be told apart from write errors.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// commit moves a staged blob into place (or drops it when the same blob is
// already stored), records owner and stamps the blob's age. It refuses, and
// stores nothing, when owner would exceed the quota.
func (s *Store) commit(st *staged, owner string) (putResult, error) {
	if err := checkOwner(owner); err != nil {
		return putResult{}, err
	}
	res := putResult{hash: st.hash, size: st.size}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkQuotaLocked(owner, st.hash, st.size); err != nil {
		return putResult{}, err
	}
	path := s.blobPath(st.hash)
	switch _, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Rename(st.path, path); err != nil {
			return putResult{}, fmt.Errorf("store blob %s: %w", st.hash, err)
		}
		st.path = ""
		if err := syncDir(filepath.Dir(path)); err != nil {
			return putResult{}, fmt.Errorf("store blob %s: %w", st.hash, err)
		}
		res.created = true
	case err != nil:
		return putResult{}, fmt.Errorf("store blob %s: %w", st.hash, err)
	}
	if err := s.touchLocked(st.hash, owner); err != nil {
		return putResult{}, err
	}
	if res.created {
		s.log.Info("stored blob", "hash", st.hash, "size", st.size, "owner", owner)
	}
	return res, nil
}

// adopt records owner for an already stored blob and refreshes its age. It
// reports false when the blob is not stored.
func (s *Store) adopt(h blobhash.Hash, owner string) (int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.blobPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store blob %s: %w", h, err)
	}
	if err := s.checkQuotaLocked(owner, h, fi.Size()); err != nil {
		return 0, false, err
	}
	if err := s.touchLocked(h, owner); err != nil {
		return 0, false, err
	}
	return fi.Size(), true, nil
}

// touchLocked adds owner to a stored blob and stamps it with the store's
// clock, so GC counts its age from this upload.
func (s *Store) touchLocked(h blobhash.Hash, owner string) error {
	now := s.now()
	if err := os.Chtimes(s.blobPath(h), now, now); err != nil {
		return fmt.Errorf("store blob %s: stamp time: %w", h, err)
	}
	if err := s.addOwnerLocked(h, owner); err != nil {
		return fmt.Errorf("store blob %s: %w", h, err)
	}
	return nil
}

// writeFileAtomic writes data to path through a synced temporary file and a
// rename, then syncs the directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
