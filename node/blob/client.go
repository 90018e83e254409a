package blob

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/client/reqsign"
)

// StatusError is a non-success answer of a node's blob API.
type StatusError struct {
	StatusCode int
	Message    string // the node's ErrorResponse message, or the status text
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode)
}

// responseError reads an error response into a *StatusError.
func responseError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var er ErrorResponse
	msg := http.StatusText(resp.StatusCode)
	if json.Unmarshal(body, &er) == nil && er.Error != "" {
		msg = er.Error
	} else if text := strings.TrimSpace(string(body)); text != "" && len(text) <= 200 && isPrintable(text) {
		msg = text // a plain-text error from something that is not a q1 node
	}
	return &StatusError{StatusCode: resp.StatusCode, Message: msg}
}

func isPrintable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == utf8.RuneError })
}

// Upload stores size bytes read from file on the node at baseURL (e.g.
// "http://127.0.0.1:1317") and returns the blob's hash. It first reads the
// file once to hash it, then seeks back and PUTs it to /v1/blobs, signed by
// signer, announcing the hash in X-Q1-Blob-Hash. progress, if not nil, is
// called as bytes are sent. Errors from the node are *StatusError wrapped
// with the step.
func Upload(ctx context.Context, client *http.Client, baseURL string, file io.ReadSeeker, size int64,
	signer reqsign.Signer, progress func(sent, total int64)) (blobhash.Hash, error) {
	h, err := hashFile(file, size)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob: %w", err)
	}
	var body io.Reader = &progressReader{r: io.LimitReader(file, size), total: size, progress: progress}
	if size == 0 {
		body = http.NoBody
	}
	url := strings.TrimRight(baseURL, "/") + "/v1/blobs"
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, body)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s: %w", h, err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(HeaderBlobHash, h.String())
	if err := reqsign.SignRequestHash(req, h, signer, Service, time.Now()); err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s: %w", h, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s to %s: %w", h, baseURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s to %s: %w", h, baseURL, responseError(resp))
	}
	var pr PutResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&pr); err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s to %s: read response: %w", h, baseURL, err)
	}
	if pr.Hash != h || pr.Size != size {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s to %s: node stored %s (%d bytes), not %d bytes with that hash",
			h, baseURL, pr.Hash, pr.Size, size)
	}
	if progress != nil {
		progress(size, size)
	}
	return h, nil
}

// hashFile hashes exactly size bytes from the start of file and seeks back.
func hashFile(file io.ReadSeeker, size int64) (blobhash.Hash, error) {
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return blobhash.Hash{}, fmt.Errorf("rewind file: %w", err)
	}
	hasher := sha256.New()
	n, err := io.Copy(hasher, file)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("hash file: %w", err)
	}
	if n != size {
		return blobhash.Hash{}, fmt.Errorf("file holds %d bytes, not the %d expected; did it change?", n, size)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return blobhash.Hash{}, fmt.Errorf("rewind file: %w", err)
	}
	var h blobhash.Hash
	copy(h[:], hasher.Sum(nil))
	return h, nil
}

type progressReader struct {
	r        io.Reader
	sent     int64
	total    int64
	progress func(sent, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.sent += int64(n)
	if n > 0 && p.progress != nil {
		p.progress(p.sent, p.total)
	}
	return n, err
}

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
