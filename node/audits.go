package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/agent"
	"github.com/quantum1net/q1/node/audit"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/chainview"
	"github.com/quantum1net/q1/node/receipts"
	"github.com/quantum1net/q1/node/replicas"
	"github.com/quantum1net/q1/node/runtime"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
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

// auditChain is what auditReplay reads of the chain.
type auditChain interface {
	EndedEpoch(ctx context.Context, n uint64) (sharerstypes.EpochInfo, error)
	VersionsDuring(ctx context.Context, service string, start, end int64) ([]servicestypes.Version, error)
}

// maxReplaySpecs bounds the distinct limit sets an audit re-executes a
// history under (each re-execution costs up to the fuel the history
// claims).
const maxReplaySpecs = 4

// auditReplay re-executes a history of service's module under the limits
// the sharer ran it with: those of a manifest version active during the
// audited epoch whose code is the module. The current manifest is not
// enough: an owner who changes a limit after the epoch (the fuel limit of
// a request that ran out of fuel, the memory a request grew into) would
// make an honest sharer's receipts fail to re-execute. Versions of the same
// code with different limits are tried newest first, at most
// maxReplaySpecs of them, until one reproduces every receipt; when none
// does, the newest version's outcomes are returned for the worker to judge.
func auditReplay(rt *runtime.Runtime, reps *replicas.Manager, chain auditChain) audit.Replayer {
	return func(ctx context.Context, service string, epoch uint64, wasm []byte, steps []runtime.ReplayStep) ([]runtime.ReplayOutcome, error) {
		specs, err := replaySpecs(ctx, chain, reps.Spec, service, epoch, wasm)
		if err != nil {
			return nil, err
		}
		return replayUnder(specs, steps, func(spec runtime.ServiceSpec) ([]runtime.ReplayOutcome, error) {
			return rt.Replay(ctx, wasm, spec, steps)
		})
	}
}

// replaySpecs returns the specs, with distinct limits, of service's
// versions the chain accepts receipts of for ended epoch (active in it, or
// replaced in it or the epoch before) whose code is wasm, newest first.
func replaySpecs(ctx context.Context, chain auditChain, specOf func(name, hash string, mf *manifest.Manifest, wasm []byte) runtime.ServiceSpec,
	service string, epoch uint64, wasm []byte) ([]runtime.ServiceSpec, error) {
	e, err := chain.EndedEpoch(ctx, epoch)
	if err != nil {
		return nil, fmt.Errorf("epoch %d: %w", epoch, err)
	}
	// The chain accepts the code of versions active in the epoch and of
	// those replaced in it or the epoch before (a node serves replaced code
	// until the new version is warm): x/usage keeper.moduleHashes.
	from := e.StartHeight
	if epoch > 0 {
		if prev, err := chain.EndedEpoch(ctx, epoch-1); err == nil {
			from = prev.StartHeight
		}
	}
	versions, err := chain.VersionsDuring(ctx, service, from, e.EndHeight)
	if err != nil {
		return nil, err
	}
	code := blobhash.Hash(sha256.Sum256(wasm))
	var out []runtime.ServiceSpec
	for _, v := range versions {
		mf, err := manifest.ParseCanonical(v.Manifest)
		if err != nil {
			continue // a stored manifest this release cannot read runs nowhere here
		}
		if h, err := blobhash.Parse(mf.Code.Wasm); err != nil || h != code {
			continue
		}
		s := specOf(service, mf.Hash(), mf, wasm)
		s.Receipts = nil
		if !slices.ContainsFunc(out, func(o runtime.ServiceSpec) bool { return o.Limits == s.Limits }) {
			out = append(out, s)
		}
		if len(out) == maxReplaySpecs {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no version of service %s active during heights %d–%d (epoch %d and the one before) runs module %s",
			service, from, e.EndHeight, epoch, code)
	}
	return out, nil
}

// replayUnder replays steps under each spec in turn until one reproduces
// every recorded receipt, and returns that replay, or the first spec's.
func replayUnder(specs []runtime.ServiceSpec, steps []runtime.ReplayStep, replay func(runtime.ServiceSpec) ([]runtime.ReplayOutcome, error)) ([]runtime.ReplayOutcome, error) {
	var first []runtime.ReplayOutcome
	for i, spec := range specs {
		if len(steps) > 0 {
			spec.LeaseID = steps[0].Receipt.LeaseID
		}
		outs, err := replay(spec)
		if err != nil {
			return outs, err
		}
		if reproduces(outs, steps) {
			return outs, nil
		}
		if i == 0 {
			first = outs
		}
	}
	return first, nil
}

// reproduces reports whether a replay yielded exactly the recorded receipts.
func reproduces(outs []runtime.ReplayOutcome, steps []runtime.ReplayStep) bool {
	if len(outs) != len(steps) {
		return false
	}
	for i, o := range outs {
		if o.Divergence != nil || o.Receipt.Hash() != steps[i].Receipt.Hash() {
			return false
		}
	}
	return true
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
