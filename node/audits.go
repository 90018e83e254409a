package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"

	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/agent"
	"github.com/quantum1net/q1/node/audit"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/chainview"
	"github.com/quantum1net/q1/node/receipts"
	"github.com/quantum1net/q1/node/replicas"
	"github.com/quantum1net/q1/node/runtime"
)

// auditModules fetches a module by its SHA-256 for an audit: from this
// node's blob store, else from its peers (blob hashes are SHA-256 too).
func auditModules(blobs *blob.Store, view *chainview.View, log *slog.Logger) audit.Modules {
	return func(ctx context.Context, h receipt.Hash) ([]byte, error) {
		bh := blobhash.Hash(h)
		if !blobs.Has(bh) {
			if err := blobs.Ensure(ctx, bh, peerBlobURLs(view, log)); err != nil {
				return nil, err
			}
		}
		f, _, err := blobs.Open(bh)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return nil, err
		}
		if sha256.Sum256(b) != h {
			return nil, fmt.Errorf("blob %s does not hash to itself", bh)
		}
		return b, nil
	}
}

// auditReplay re-executes a history of service's module with the spec
// this node would run the service's current manifest under.
func auditReplay(rt *runtime.Runtime, reps *replicas.Manager, view *chainview.View) audit.Replayer {
	return func(ctx context.Context, service string, wasm []byte, steps []runtime.ReplayStep) ([]runtime.ReplayOutcome, error) {
		mf, ok := view.Manifest(service)
		if !ok {
			return nil, fmt.Errorf("no manifest of service %s on chain", service)
		}
		spec := reps.Spec(service, mf.Hash(), mf, wasm)
		spec.Receipts = nil
		if len(steps) > 0 {
			spec.LeaseID = steps[0].Receipt.LeaseID
		}
		return rt.Replay(ctx, wasm, spec, steps)
	}
}

// auditSender is the agent's hot-key sender, as the audit worker takes it.
func auditSender(ag *agent.Agent) func() audit.Sender {
	return func() audit.Sender {
		s := ag.Sender()
		if s == nil {
			return nil
		}
		return s
	}
}

// auditHandler serves this node's audit data, to the readers the worker
// allows, with its own verifier (a nonce is spent once per node).
func auditHandler(store *receipts.Store, w *audit.Worker, log *slog.Logger) (*audit.Handler, error) {
	v, err := reqsign.NewVerifier()
	if err != nil {
		return nil, err
	}
	return &audit.Handler{Store: store, Access: w, Verifier: v, Log: log.With("component", "audit")}, nil
}
