package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
)

// GC removes every stored blob that referenced reports false for and that
// was stored, or last uploaded again, at least minAge before now, and returns
// the hashes it removed. minAge protects a fresh upload whose service has not
// been created on chain yet. referenced is called without the store's lock
// held, so it may query the chain; a blob uploaded again while GC runs is
// kept, because the upload restamps its age. On error GC returns what it
// removed so far.
func (s *Store) GC(ctx context.Context, referenced func(blobhash.Hash) bool, minAge time.Duration, now time.Time) ([]blobhash.Hash, error) {
	infos, err := s.List()
	if err != nil {
		return nil, fmt.Errorf("collect blobs: %w", err)
	}
	var removed []blobhash.Hash
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("collect blobs: %w", err)
		}
		if referenced(info.Hash) {
			continue
		}
		ok, err := s.removeIfOlder(info.Hash, minAge, now)
		if err != nil {
			return removed, fmt.Errorf("collect blobs: %w", err)
		}
		if ok {
			removed = append(removed, info.Hash)
			s.log.Info("collected unreferenced blob", "hash", info.Hash, "size", info.Size)
		}
	}
	return removed, nil
}

// removeIfOlder deletes the blob if its stamp is at least minAge before now,
// judging the stamp under the lock so a concurrent upload wins.
func (s *Store) removeIfOlder(h blobhash.Hash, minAge time.Duration, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.blobPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat blob %s: %w", h, err)
	}
	if now.Sub(fi.ModTime()) < minAge {
		return false, nil
	}
	if err := s.deleteLocked(h); err != nil {
		return false, err
	}
	return true, nil
}
