package kvraft

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// BatchPath is where an HTTP transport posts batches.
const BatchPath = "/kvraft/v1/batch"

// The headers of a posted batch.
const (
	headerFrom      = "X-Kvraft-From"
	headerSignature = "X-Kvraft-Signature"
)

// signDomain prefixes what a node signs, so a batch signature can never
// stand for anything else signed with the same key.
const signDomain = "quantum1net kvraft batch v1\x00"

// maxBatchBytes bounds a posted batch (a snapshot travels in one).
const maxBatchBytes = 256 << 20

// Signer signs the batches a node sends. The node can plug in its hot key
// (secp256k1) later; Ed25519Signer is the one this package provides.
type Signer interface {
	Sign(data []byte) ([]byte, error)
}

// KeyBook verifies that sig over data was made by node's key, with the
// keys the caller trusts (the node will read them from the chain).
type KeyBook interface {
	Verify(node uint64, data, sig []byte) error
}

// Ed25519Signer signs with an ed25519 private key.
type Ed25519Signer ed25519.PrivateKey

// Sign signs data.
func (s Ed25519Signer) Sign(data []byte) ([]byte, error) {
	return ed25519.Sign(ed25519.PrivateKey(s), data), nil
}

// Ed25519Keys maps node ids to ed25519 public keys.
type Ed25519Keys map[uint64]ed25519.PublicKey

// Verify checks sig against node's key.
func (k Ed25519Keys) Verify(node uint64, data, sig []byte) error {
	pub, ok := k[node]
	if !ok {
		return fmt.Errorf("node %d has no known key", node)
	}
	if !ed25519.Verify(pub, data, sig) {
		return fmt.Errorf("the signature does not verify against node %d's key", node)
	}
	return nil
}

// HTTPConfig configures an HTTPTransport.
type HTTPConfig struct {
	// NodeID is the sending node.
	NodeID uint64
	// Signer signs every batch this node sends.
	Signer Signer
	// Address returns a node's base URL (for example "https://10.0.0.7:26690").
	Address func(node uint64) (string, bool)
	// Client sends the requests (default: a client with a 10 s timeout).
	// The node gives it TLS; this package only signs.
	Client *http.Client
	// QueueLen is how many batches wait per destination before new ones
	// are dropped (default 64). Raft resends what is lost.
	QueueLen int
}

// HTTPTransport posts signed batches to other nodes' HTTPHandler. Each
// destination node has one queue and one goroutine, whatever the number
// of groups, so a slow node delays only its own batches.
type HTTPTransport struct {
	cfg    HTTPConfig
	mu     sync.Mutex
	queues map[uint64]chan []byte
	stop   chan struct{}
	wg     sync.WaitGroup
	closed bool
}

// NewHTTPTransport returns a transport; Close stops its goroutines.
func NewHTTPTransport(cfg HTTPConfig) *HTTPTransport {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 64
	}
	return &HTTPTransport{cfg: cfg, queues: map[uint64]chan []byte{}, stop: make(chan struct{})}
}

// Send queues batch for node to. It never blocks: a full queue drops the
// batch with an error.
func (t *HTTPTransport) Send(to uint64, batch []byte) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return errors.New("kvraft http transport: closed")
	}
	q, ok := t.queues[to]
	if !ok {
		q = make(chan []byte, t.cfg.QueueLen)
		t.queues[to] = q
		t.wg.Add(1)
		go t.sender(to, q)
	}
	t.mu.Unlock()
	select {
	case q <- batch:
		return nil
	default:
		return fmt.Errorf("kvraft http transport: node %d: %d batches already queued; this one is dropped", to, t.cfg.QueueLen)
	}
}

func (t *HTTPTransport) sender(to uint64, q chan []byte) {
	defer t.wg.Done()
	for {
		select {
		case <-t.stop:
			return
		case b := <-q:
			if err := t.post(to, b); err != nil {
				// Raft resends what is lost; the next batch tries again.
				continue
			}
		}
	}
}

// post sends one batch and returns the receiver's refusal, if any.
func (t *HTTPTransport) post(to uint64, batch []byte) error {
	base, ok := t.cfg.Address(to)
	if !ok {
		return fmt.Errorf("kvraft http transport: node %d has no known address", to)
	}
	sig, err := t.cfg.Signer.Sign(append([]byte(signDomain), batch...))
	if err != nil {
		return fmt.Errorf("kvraft http transport: sign a batch for node %d: %w", to, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+BatchPath, bytes.NewReader(batch))
	if err != nil {
		return fmt.Errorf("kvraft http transport: node %d at %s: %w", to, base, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(headerFrom, strconv.FormatUint(t.cfg.NodeID, 10))
	req.Header.Set(headerSignature, base64.StdEncoding.EncodeToString(sig))
	resp, err := t.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("kvraft http transport: node %d at %s: %w", to, base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("kvraft http transport: node %d at %s refused the batch: %s: %s", to, base, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// Close stops the senders; queued batches are dropped.
func (t *HTTPTransport) Close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	close(t.stop)
	t.mu.Unlock()
	t.wg.Wait()
}

// maxUnverifiedReads bounds the batches one HTTPHandler reads at once,
// before their signatures are checked (a sender sends one batch at a time
// to each node, so honest peers need one each).
const maxUnverifiedReads = 16

// HTTPHandler receives batches for h: it accepts a batch only if it is
// signed by the key keys holds for the node the batch comes from, then
// hands it to h.Deliver. Mount it at BatchPath.
func HTTPHandler(h *Host, keys KeyBook) http.Handler {
	unverified := make(chan struct{}, maxUnverifiedReads)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "kvraft: POST a batch to "+BatchPath, http.StatusMethodNotAllowed)
			return
		}
		// Reading a body before its signature is checked is bounded: at
		// most maxUnverifiedReads at once, each of maxBatchBytes.
		select {
		case unverified <- struct{}{}:
			defer func() { <-unverified }()
		default:
			http.Error(w, "kvraft: too many batches being received; retry", http.StatusServiceUnavailable)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBatchBytes+1))
		if err != nil {
			http.Error(w, "kvraft: read the batch: "+err.Error(), http.StatusBadRequest)
			return
		}
		if len(body) > maxBatchBytes {
			http.Error(w, fmt.Sprintf("kvraft: a batch is at most %d bytes", maxBatchBytes), http.StatusRequestEntityTooLarge)
			return
		}
		if err := verifyBatch(r.Header, body, keys); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		if err := h.Deliver(body); err != nil {
			code := http.StatusBadRequest
			if errors.Is(err, ErrClosed) {
				code = http.StatusServiceUnavailable
			}
			http.Error(w, err.Error(), code)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// verifyBatch checks that the batch names the sender the header names and
// that the signature is that sender's.
func verifyBatch(hdr http.Header, body []byte, keys KeyBook) error {
	from, err := strconv.ParseUint(hdr.Get(headerFrom), 10, 64)
	if err != nil {
		return fmt.Errorf("kvraft: batch refused: header %s %q is not a node id", headerFrom, hdr.Get(headerFrom))
	}
	sig, err := base64.StdEncoding.DecodeString(hdr.Get(headerSignature))
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("kvraft: batch from node %d refused: header %s is missing or not base64", from, headerSignature)
	}
	// The signature first: decoding an unauthenticated body is work a
	// stranger could make this node do.
	if err := keys.Verify(from, append([]byte(signDomain), body...), sig); err != nil {
		return fmt.Errorf("kvraft: batch claiming node %d refused: %v (a forged sender or a wrong key)", from, err)
	}
	b, err := DecodeBatch(body)
	if err != nil {
		return fmt.Errorf("kvraft: batch from node %d refused: %v", from, err)
	}
	if b.From != from {
		return fmt.Errorf("kvraft: batch refused: the request says node %d but the batch says node %d", from, b.From)
	}
	return nil
}
