package blob

import (
	"errors"
	"fmt"

	"github.com/quantum1net/q1/client/blobhash"
)

// Errors callers branch on. Messages wrap them with the details (which blob,
// which hashes, which limit).
var (
	// ErrNotFound: the blob is not in the store (or on any peer asked).
	ErrNotFound = errors.New("not found")
	// ErrTooLarge: the blob is larger than the store's size limit.
	ErrTooLarge = errors.New("blob too large")
	// ErrHashMismatch: the content does not hash to the expected hash.
	ErrHashMismatch = errors.New("blob hash mismatch")
	// ErrOverQuota: storing the blob would take its owner past the quota.
	ErrOverQuota = errors.New("blob quota exceeded")
)

// sourceError marks a failure to read the blob's bytes from its source (a
// client or a peer), as opposed to a failure of the store itself.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return "read blob: " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

func tooLarge(limit int64) error {
	return fmt.Errorf("%w: it is larger than this node's limit of %s", ErrTooLarge, formatSize(limit))
}

func mismatch(got, want blobhash.Hash) error {
	return fmt.Errorf("%w: the content hashes to %s, not the expected %s", ErrHashMismatch, got, want)
}

func notFound(h blobhash.Hash) error {
	return fmt.Errorf("blob %s: %w", h, ErrNotFound)
}

// formatSize renders a byte count in binary units: "64 MiB", "1.5 KiB", "12 B".
func formatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	suffix := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}[exp]
	if n%div == 0 {
		return fmt.Sprintf("%d %s", n/div, suffix)
	}
	return fmt.Sprintf("%.1f %s", float64(n)/float64(div), suffix)
}
