package blob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/blobhash"
)

// Fetcher downloads blobs from peer nodes into a store, trusting no peer:
// every blob is verified against its hash before it becomes visible.
type Fetcher struct {
	client *http.Client
	log    *slog.Logger
}

// NewFetcher returns a Fetcher that uses client (nil: a client whose whole
// exchange with one peer is limited to 5 minutes) and logs skipped peers to
// log (nil: discard).
func NewFetcher(client *http.Client, log *slog.Logger) *Fetcher {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Fetcher{client: client, log: log}
}

// Fetch stores blob h in s from the first of peers (base URLs such as
// "http://10.0.0.2:1317") that serves it at GET {peer}/v1/blobs/{hash}
// with the right bytes within the store's size limit. A peer that fails,
// lacks the blob, serves too much or serves wrong bytes is logged with the
// reason and the next one tried. Fetch stops early when ctx is done or the
// store itself fails (e.g. the disk is full). When no peer served the blob
// the error matches ErrNotFound and lists each peer's reason.
func (f *Fetcher) Fetch(ctx context.Context, s *Store, h blobhash.Hash, peers []string) error {
	if len(peers) == 0 {
		return fmt.Errorf("fetch blob %s: no peers to ask: %w", h, ErrNotFound)
	}
	var reasons []string
	for _, peer := range peers {
		err := f.fetchFrom(ctx, s, h, peer)
		if err == nil {
			f.log.Info("fetched blob", "hash", h, "peer", peer)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("fetch blob %s from %s: %w", h, peer, ctx.Err())
		}
		if !peerFault(err) {
			return fmt.Errorf("fetch blob %s from %s: %w", h, peer, err)
		}
		f.log.Warn("skipped peer for blob", "hash", h, "peer", peer, "reason", err.Error())
		reasons = append(reasons, peer+": "+err.Error())
	}
	return fmt.Errorf("fetch blob %s: %w on any of %d peers (%s)", h, ErrNotFound, len(peers), strings.Join(reasons, "; "))
}

func (f *Fetcher) fetchFrom(ctx context.Context, s *Store, h blobhash.Hash, peer string) error {
	resp, err := getBlob(ctx, f.client, peer, h)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.ContentLength > s.maxSize {
		return &peerError{fmt.Errorf("it announced %s: %w", formatSize(resp.ContentLength), tooLarge(s.maxSize))}
	}
	if _, _, err := s.Put(ctx, resp.Body, h, ""); err != nil {
		if errors.Is(err, ErrHashMismatch) || errors.Is(err, ErrTooLarge) {
			return &peerError{fmt.Errorf("served wrong bytes: %w", err)}
		}
		var se *sourceError
		if errors.As(err, &se) {
			return &peerError{err}
		}
		return err
	}
	return nil
}

// peerError is a failure to blame on the peer, so the next one is tried.
type peerError struct{ err error }

func (e *peerError) Error() string { return e.err.Error() }
func (e *peerError) Unwrap() error { return e.err }

func peerFault(err error) bool {
	var pe *peerError
	return errors.As(err, &pe)
}

// getBlob GETs {baseURL}/v1/blobs/{h} and returns a 200 response; any other
// outcome is a *peerError naming the status and the server's message.
func getBlob(ctx context.Context, client *http.Client, baseURL string, h blobhash.Hash) (*http.Response, error) {
	url := strings.TrimRight(baseURL, "/") + "/v1/blobs/" + h.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &peerError{fmt.Errorf("bad peer URL %q: %w", baseURL, err)}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &peerError{err}
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, &peerError{q1client.ErrorOf(resp)}
	}
	return resp, nil
}

// Ensure makes sure blob h is stored, fetching it from peers when it is not
// (see Fetcher.Fetch). Concurrent calls for the same blob share one fetch.
func (s *Store) Ensure(ctx context.Context, h blobhash.Hash, peers []string) error {
	for {
		if s.Has(h) {
			return nil
		}
		s.mu.Lock()
		call, running := s.inflight[h]
		if !running {
			call = &fetchCall{done: make(chan struct{})}
			s.inflight[h] = call
		}
		s.mu.Unlock()

		if !running {
			call.err = s.fetcher.Fetch(ctx, s, h, peers)
			s.mu.Lock()
			delete(s.inflight, h)
			s.mu.Unlock()
			close(call.done)
			return call.err
		}
		select {
		case <-call.done:
		case <-ctx.Done():
			return fmt.Errorf("fetch blob %s: %w", h, ctx.Err())
		}
		// The fetch we waited on failed only because its caller gave up: try
		// ourselves.
		if call.err != nil && isContextErr(call.err) && ctx.Err() == nil {
			continue
		}
		return call.err
	}
}

type fetchCall struct {
	done chan struct{}
	err  error
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
