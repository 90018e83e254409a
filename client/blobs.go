package client

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/client/reqsign"
)

// BlobPurpose is what an upload to a node's blob store is signed for
// (client/reqsign).
const BlobPurpose = "blob"

// HeaderBlobHash carries the hash of the body of PUT /v1/blobs, computed by
// the client before it sends; the signature covers it, so the node checks
// the uploader before it reads the body.
const HeaderBlobHash = "X-Q1-Blob-Hash"

// Errors of DownloadBlob, beside the node's own (*APIError).
var (
	// ErrBlobTooLarge: the blob is larger than the caller accepts.
	ErrBlobTooLarge = errors.New("blob too large")
	// ErrBlobMismatch: the bytes served do not hash to the blob asked for.
	ErrBlobMismatch = errors.New("blob hash mismatch")
)

// DefaultMaxBlob is what DownloadBlob accepts unless told otherwise.
const DefaultMaxBlob = 64 << 20

// Blob is a blob a node stores: the answer of PUT /v1/blobs.
type Blob struct {
	Hash blobhash.Hash `json:"hash"`
	Size int64         `json:"size"`
}

// UploadBlob stores size bytes read from file in the node's blob store and
// returns their hash. It first reads the file once to hash it, then seeks
// back and PUTs it to /v1/blobs, signed by signer, announcing the hash in
// HeaderBlobHash. progress, if not nil, is called as bytes are sent. Only
// ctx bounds it (a large module on a slow link takes a while); the node
// drops an upload that trickles. A refusal is an *APIError, wrapped with
// the blob and the node.
func (c *Client) UploadBlob(ctx context.Context, file io.ReadSeeker, size int64, signer reqsign.Signer,
	progress func(sent, total int64)) (blobhash.Hash, error) {
	h, err := hashFile(file, size)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob: %w", err)
	}
	var body io.Reader = &progressReader{r: io.LimitReader(file, size), total: size, progress: progress}
	if size == 0 {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.url("/v1/blobs", nil), body)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s: %w", h, err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(HeaderBlobHash, h.String())
	if err := reqsign.SignRequestHash(req, h, signer, BlobPurpose, time.Now()); err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s: %w", h, err)
	}
	resp, err := c.send(req)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s to %s: %w", h, c.base, err)
	}
	defer resp.Body.Close()
	var stored Blob
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&stored); err != nil {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s to %s: read response: %w", h, c.base, err)
	}
	if stored.Hash != h || stored.Size != size {
		return blobhash.Hash{}, fmt.Errorf("upload blob %s to %s: node stored %s (%d bytes), not %d bytes with that hash",
			h, c.base, stored.Hash, stored.Size, size)
	}
	if progress != nil {
		progress(size, size)
	}
	return h, nil
}

// HasBlob is HEAD /v1/blobs/{hash}: whether the node stores the blob.
func (c *Client) HasBlob(ctx context.Context, h blobhash.Hash) (bool, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, c.url("/v1/blobs/"+h.String(), nil), nil)
	if err != nil {
		return false, err
	}
	resp, err := c.send(req)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	resp.Body.Close()
	return true, nil
}

// DownloadBlob is GET /v1/blobs/{hash}: it writes blob h to w and returns
// its size, refusing more than maxSize bytes (0: DefaultMaxBlob). Bytes
// reach w before the hash can be checked: when the error matches
// ErrBlobMismatch or ErrBlobTooLarge, discard what was written. Only ctx
// bounds it.
func (c *Client) DownloadBlob(ctx context.Context, h blobhash.Hash, w io.Writer, maxSize int64) (int64, error) {
	return c.downloadBlob(ctx, h, w, maxSize)
}

// DownloadBlob is GET /_q1/v1/blobs/{hash}, a blob a sharer's node serves
// to other nodes; see Client.DownloadBlob.
func (g *Gateway) DownloadBlob(ctx context.Context, h blobhash.Hash, w io.Writer, maxSize int64) (int64, error) {
	return g.downloadBlob(ctx, h, w, maxSize)
}

func (c *conn) downloadBlob(ctx context.Context, h blobhash.Hash, w io.Writer, maxSize int64) (int64, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxBlob
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/v1/blobs/"+h.String(), nil), nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.send(req)
	if err != nil {
		return 0, fmt.Errorf("download blob %s from %s: %w", h, c.base, err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > maxSize {
		return 0, fmt.Errorf("download blob %s from %s: %w: it is %d bytes, more than the %d allowed", h, c.base, ErrBlobTooLarge, resp.ContentLength, maxSize)
	}
	hasher := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, hasher), io.LimitReader(resp.Body, maxSize+1))
	if err != nil {
		return n, fmt.Errorf("download blob %s from %s: %w", h, c.base, err)
	}
	if n > maxSize {
		return n, fmt.Errorf("download blob %s from %s: %w: it is more than the %d bytes allowed", h, c.base, ErrBlobTooLarge, maxSize)
	}
	var got blobhash.Hash
	copy(got[:], hasher.Sum(nil))
	if got != h {
		return n, fmt.Errorf("download blob from %s: %w: the content hashes to %s, not the expected %s", c.base, ErrBlobMismatch, got, h)
	}
	return n, nil
}

// hashFile hashes exactly size bytes from the start of file and seeks back.
func hashFile(file io.ReadSeeker, size int64) (blobhash.Hash, error) {
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return blobhash.Hash{}, fmt.Errorf("rewind file: %w", err)
	}
	h, n, err := blobhash.Of(file)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("hash file: %w", err)
	}
	if n != size {
		return blobhash.Hash{}, fmt.Errorf("file holds %d bytes, not the %d expected; did it change?", n, size)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return blobhash.Hash{}, fmt.Errorf("rewind file: %w", err)
	}
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
