package client

import (
	"context"
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
