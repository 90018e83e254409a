package blob

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"

	"github.com/quantum1net/q1/client/blobhash"
)

// Download writes blob h from the node at baseURL to w and returns its size,
// refusing blobs larger than maxSize (zero or less: DefaultMaxSize). Bytes
// reach w before the hash can be checked: when the error matches
// ErrHashMismatch or ErrTooLarge, discard what was written.
func Download(ctx context.Context, client *http.Client, baseURL string, h blobhash.Hash, w io.Writer, maxSize int64) (int64, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	resp, err := getBlob(ctx, client, baseURL, h)
	if err != nil {
		return 0, fmt.Errorf("download blob %s from %s: %w", h, baseURL, err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > maxSize {
		return 0, fmt.Errorf("download blob %s from %s: %w: it is %s, more than the %s allowed",
			h, baseURL, ErrTooLarge, formatSize(resp.ContentLength), formatSize(maxSize))
	}
	hasher := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, hasher), io.LimitReader(resp.Body, maxSize+1))
	if err != nil {
		return n, fmt.Errorf("download blob %s from %s: %w", h, baseURL, err)
	}
	if n > maxSize {
		return n, fmt.Errorf("download blob %s from %s: %w: it is more than the %s allowed",
			h, baseURL, ErrTooLarge, formatSize(maxSize))
	}
	var got blobhash.Hash
	copy(got[:], hasher.Sum(nil))
	if got != h {
		return n, fmt.Errorf("download blob from %s: %w", baseURL, mismatch(got, h))
	}
	return n, nil
}
