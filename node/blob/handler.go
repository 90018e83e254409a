package blob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/client/reqsign"
)

// Accounts answers whether an account may store blobs. The node implements
// it with a chain query.
type Accounts interface {
	Funded(ctx context.Context, account string) (bool, error)
}

// RequestVerifier attributes a signed request to an account; *reqsign.Verifier
// implements it.
type RequestVerifier interface {
	Verify(req *http.Request, bodyHash [32]byte, service string) (account string, err error)
}

// HandlerOptions configures Handler.
type HandlerOptions struct {
	// Logger receives one line per refused or failed request (nil: discard).
	Logger *slog.Logger
	// MaxUploads bounds the uploads received at once (default 4); past it
	// PUT answers 503 with Retry-After.
	MaxUploads int
	// UploadIdle drops an upload whose client sends nothing for this long
	// (default 30s), removing what it had written.
	UploadIdle time.Duration
	// UploadMinRate drops an upload that arrives slower than this many
	// bytes per second on average once UploadGrace has passed (defaults
	// 16 KiB/s and 10s): a client trickling a byte now and then.
	UploadMinRate int64
	UploadGrace   time.Duration
}

// Defaults of HandlerOptions.
const (
	DefaultMaxUploads    = 4
	DefaultUploadIdle    = 30 * time.Second
	DefaultUploadMinRate = 16 << 10
	DefaultUploadGrace   = 10 * time.Second
)

// Handler serves the blob API:
//
//	PUT  /v1/blobs          store the body; signed with reqsign for client.BlobPurpose ("blob") by a
//	                        funded account; optional X-Q1-Blob-Hash; 201 when new, 200
//	                        when already stored; body client.Blob
//	GET  /v1/blobs/{hash}   the blob's bytes (Range supported), ETag "sha256:…"
//	HEAD /v1/blobs/{hash}   the same headers without the body
//
// Errors are client.Error JSON: 400 malformed or missing X-Q1-Blob-Hash,
// 401 missing or bad signature, 403 unfunded account, 404 unknown blob, 411
// no Content-Length, 413 larger than the size limit or past the account's
// quota, 422 content not matching X-Q1-Blob-Hash, 503 when the funding
// check or the replay cache is unavailable or MaxUploads uploads are under
// way. Every check but the hash is made before the body is read; an upload
// that stalls for UploadIdle is dropped and its partial file removed. When
// X-Q1-Blob-Hash names a blob already stored, the node records the signer
// as an owner and answers 200 without reading the body (claiming bytes one
// does not have only costs one's own quota). Pass the node's one shared
// *reqsign.Verifier so a nonce spent on any listener is spent on all. Mount
// it for both "/v1/blobs" and "/v1/blobs/".
func Handler(s *Store, v RequestVerifier, accounts Accounts, opts HandlerOptions) http.Handler {
	if opts.MaxUploads <= 0 {
		opts.MaxUploads = DefaultMaxUploads
	}
	if opts.UploadIdle <= 0 {
		opts.UploadIdle = DefaultUploadIdle
	}
	if opts.UploadMinRate <= 0 {
		opts.UploadMinRate = DefaultUploadMinRate
	}
	if opts.UploadGrace <= 0 {
		opts.UploadGrace = DefaultUploadGrace
	}
	h := &handler{store: s, verifier: v, accounts: accounts, log: opts.Logger,
		uploads: make(chan struct{}, opts.MaxUploads), idle: opts.UploadIdle, minRate: opts.UploadMinRate, grace: opts.UploadGrace}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/blobs", h.put)
	mux.HandleFunc("GET /v1/blobs/{hash}", h.get) // also serves HEAD
	return mux
}

type handler struct {
	store    *Store
	verifier RequestVerifier
	accounts Accounts
	log      *slog.Logger
	uploads  chan struct{} // a slot per upload under way
	idle     time.Duration
	minRate  int64 // bytes per second, after grace
	grace    time.Duration
}

func (h *handler) put(w http.ResponseWriter, r *http.Request) {
	v := r.Header.Get(q1client.HeaderBlobHash)
	if v == "" {
		h.fail(w, r, &requestError{http.StatusBadRequest, fmt.Sprintf(
			"PUT /v1/blobs needs header %s: sha256:<64 hex digits of the body> (the signature covers it, so the node checks it before reading the body); q1 service deploy sends it", q1client.HeaderBlobHash)})
		return
	}
	want, err := blobhash.Parse(v)
	if err != nil {
		h.fail(w, r, fmt.Errorf("header %s: %w", q1client.HeaderBlobHash, err))
		return
	}
	if r.ContentLength < 0 {
		h.fail(w, r, &requestError{http.StatusLengthRequired,
			"PUT /v1/blobs needs a Content-Length header (chunked uploads are refused: the node checks the size and the quota before reading)"})
		return
	}
	if r.ContentLength > h.store.maxSize {
		h.fail(w, r, tooLarge(h.store.maxSize))
		return
	}
	select {
	case h.uploads <- struct{}{}:
		defer func() { <-h.uploads }()
	default:
		w.Header().Set("Retry-After", "5")
		h.fail(w, r, &requestError{http.StatusServiceUnavailable, fmt.Sprintf(
			"this node is receiving %d uploads at once, its limit; retry in a few seconds", cap(h.uploads))})
		return
	}
	// Whatever happens next, a client that stops sending cannot hold this
	// request (or the server's discarding of an unread body) for longer
	// than idle without progress.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(h.idle))
	res, err := h.putKnown(r, want, func(body io.ReadCloser) io.Reader {
		return http.MaxBytesReader(w, &idleReader{r: body, rc: rc, idle: h.idle, minRate: h.minRate, grace: h.grace, start: time.Now()}, h.store.maxSize)
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if res.created {
		status = http.StatusCreated
	}
	writeJSON(w, status, q1client.Blob{Hash: res.hash, Size: res.size})
}

// putKnown authorizes the upload by the announced hash and checks the quota
// before reading the body, which it reads through wrap. r.Body stays the
// server's own until then, so after a refusal the server closes the
// connection rather than reading a large unread body.
func (h *handler) putKnown(r *http.Request, want blobhash.Hash, wrap func(io.ReadCloser) io.Reader) (putResult, error) {
	account, err := h.authorize(r, want)
	if err != nil {
		return putResult{}, err
	}
	if err := h.store.CheckQuota(account, want, r.ContentLength); err != nil {
		return putResult{}, err
	}
	return h.store.put(r.Context(), wrap(r.Body), want, account)
}

// idleReader pushes the connection's read deadline idle ahead before each
// read, so a client that stops sending fails the read (and the upload, whose
// partial file is removed) instead of holding a slot and a file forever.
// A client trickling a byte now and then would keep pushing the idle
// deadline, so the reader also checks the average rate once grace has
// passed (as Kestrel's minimum request body data rate does).
type idleReader struct {
	r       io.ReadCloser
	rc      *http.ResponseController
	idle    time.Duration
	minRate int64
	grace   time.Duration
	start   time.Time
	read    int64
}

func (ir *idleReader) Read(p []byte) (int, error) {
	_ = ir.rc.SetReadDeadline(time.Now().Add(ir.idle)) // unsupported in some tests' writers: then no deadline
	n, err := ir.r.Read(p)
	ir.read += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return n, fmt.Errorf("the upload sent nothing for %s, so the node dropped it: %w", ir.idle, err)
	}
	if err == nil {
		if past := time.Since(ir.start) - ir.grace; past > 0 && ir.read < int64(past.Seconds()*float64(ir.minRate)) {
			return n, &sourceError{fmt.Errorf("the upload arrived at %d B/s on average, below this node's minimum of %d B/s, so the node dropped it",
				int64(float64(ir.read)/time.Since(ir.start).Seconds()), ir.minRate)}
		}
	}
	return n, err
}

func (ir *idleReader) Close() error { return ir.r.Close() }

// requestError is a refusal with its own status.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

// authorize verifies the request's signature over a body hashing to bodyHash
// and that the signer is funded, returning the signer's account.
func (h *handler) authorize(r *http.Request, bodyHash blobhash.Hash) (string, error) {
	account, err := h.verifier.Verify(r, bodyHash, q1client.BlobPurpose)
	if err != nil {
		return "", err
	}
	funded, err := h.accounts.Funded(r.Context(), account)
	if err != nil {
		return "", &unavailableError{fmt.Errorf("could not check the balance of account %s: %w; try again", account, err)}
	}
	if !funded {
		return "", &unfundedError{account}
	}
	return account, nil
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	hash, err := blobhash.Parse(r.PathValue("hash"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, _, err := h.store.Open(hash)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer f.Close()
	hdr := w.Header()
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("ETag", `"`+hash.String()+`"`)
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, f) // sets Content-Length, serves HEAD and Range
}

type unfundedError struct{ account string }

func (e *unfundedError) Error() string {
	return fmt.Sprintf("account %s has no funds; this node stores blobs only for funded accounts — send it some uqc first", e.account)
}

type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// statusOf maps an error to its HTTP status and the message to send.
func statusOf(err error) (int, string) {
	var (
		unfunded    *unfundedError
		unavailable *unavailableError
		refused     *requestError
	)
	switch {
	case errors.As(err, &refused):
		return refused.status, err.Error()
	case errors.Is(err, blobhash.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, reqsign.ErrReplayCacheFull), errors.As(err, &unavailable):
		return http.StatusServiceUnavailable, err.Error()
	case errors.Is(err, reqsign.ErrUnauthorized):
		return http.StatusUnauthorized, err.Error()
	case errors.As(err, &unfunded):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrOverQuota):
		return http.StatusRequestEntityTooLarge, err.Error()
	case errors.Is(err, ErrHashMismatch):
		return http.StatusUnprocessableEntity, err.Error()
	}
	var se *sourceError
	if errors.As(err, &se) {
		return http.StatusBadRequest, err.Error()
	}
	return http.StatusInternalServerError, "internal error in the blob store; the node's log has the details"
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	h.log.Log(r.Context(), level, "blob request refused", "method", r.Method, "path", r.URL.Path,
		"status", status, "err", err.Error())
	if r.Method == http.MethodPut {
		// Close rather than read what is left of a refused upload: the
		// server would otherwise drain it, at the sender's pace.
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, status, q1client.Error{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a client gone mid-answer: nobody left to tell
}
