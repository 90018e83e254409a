package blob

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quantum1net/q1/client/blobhash"
)

// The owner index: owners/<hex> lists, one a line and sorted, the accounts
// that uploaded blobs/<hex>. Usage per account is derived from it at Open and
// kept in memory.

// loadOwners reads the owner index, dropping entries whose blob is gone and
// temporary files of interrupted writes.
func (s *Store) loadOwners() error {
	dir := filepath.Join(s.dir, ownersDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read owner index: %w", err)
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		h, ok := parseHex(e.Name())
		if !ok {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				os.Remove(path)
			}
			continue
		}
		fi, err := os.Stat(s.blobPath(h))
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("drop owners of missing blob %s: %w", h, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("stat blob %s: %w", h, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read owners of blob %s: %w", h, err)
		}
		var owners []string
		for line := range strings.SplitSeq(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !slices.Contains(owners, line) {
				owners = append(owners, line)
			}
		}
		slices.Sort(owners)
		s.owners[h] = owners
		for _, o := range owners {
			s.usage[o] += fi.Size()
		}
	}
	return nil
}

// checkOwner rejects owner names that cannot be stored one per line.
func checkOwner(owner string) error {
	if strings.ContainsFunc(owner, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("store blob: owner %q is not an account address", owner)
	}
	return nil
}

// checkQuotaLocked refuses a blob of size that owner does not own yet and
// that would take owner's usage past the quota.
func (s *Store) checkQuotaLocked(owner string, h blobhash.Hash, size int64) error {
	if owner == "" || s.quota <= 0 || slices.Contains(s.owners[h], owner) {
		return nil
	}
	used := s.usage[owner]
	if used+size <= s.quota {
		return nil
	}
	return fmt.Errorf("%w: account %s has %s of blobs on this node and this blob adds %s, "+
		"past the quota of %s per account; unused blobs are removed by garbage collection",
		ErrOverQuota, owner, formatSize(used), formatSize(size), formatSize(s.quota))
}

// CheckQuota reports, without storing anything, whether owner could upload a
// blob of size with hash h: nil, or an error matching ErrOverQuota. Put checks
// again when it stores; this lets a server refuse before reading a body.
func (s *Store) CheckQuota(owner string, h blobhash.Hash, size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkQuotaLocked(owner, h, size)
}

func (s *Store) addOwnerLocked(h blobhash.Hash, owner string) error {
	if owner == "" || slices.Contains(s.owners[h], owner) {
		return nil
	}
	owners := append(slices.Clone(s.owners[h]), owner)
	slices.Sort(owners)
	if err := writeFileAtomic(s.ownerPath(h), []byte(strings.Join(owners, "\n")+"\n")); err != nil {
		return fmt.Errorf("record owner %s: %w", owner, err)
	}
	s.owners[h] = owners
	fi, err := os.Stat(s.blobPath(h))
	if err != nil {
		return fmt.Errorf("record owner %s: %w", owner, err)
	}
	s.usage[owner] += fi.Size()
	return nil
}

// dropOwnersLocked forgets the owners of a removed blob of the given size.
func (s *Store) dropOwnersLocked(h blobhash.Hash, size int64) error {
	if err := os.Remove(s.ownerPath(h)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("drop owners: %w", err)
	}
	for _, o := range s.owners[h] {
		if s.usage[o] -= size; s.usage[o] <= 0 {
			delete(s.usage, o)
		}
	}
	delete(s.owners, h)
	return nil
}
