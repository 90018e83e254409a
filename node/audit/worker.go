package audit

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/fuel"
	"github.com/quantum1net/q1/node/hotkey"
	"github.com/quantum1net/q1/node/receipts"
	"github.com/quantum1net/q1/node/runtime"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// An audit's phases, as x/usage names them (Audit.Phase).
const (
	PhasePublish  = "publish"
	PhaseCommit   = "commit"
	PhaseReveal   = "reveal"
	PhaseResolved = "resolved"
)

// Chain is what the worker reads of committed state (chainview.View).
type Chain interface {
	// Sync reads the last committed height.
	Sync(ctx context.Context) (int64, error)
	// OpenAudits lists the unresolved audits of sharer: those of its own
	// entries (auditor false), or those it is assigned to (auditor true).
	OpenAudits(ctx context.Context, sharer string, auditor bool) ([]usagetypes.Audit, error)
	UsageParams(ctx context.Context) (usagetypes.Params, error)
	// EpochLength is the current epoch's number and the blocks an epoch lasts.
	EpochLength(ctx context.Context) (current, blocks uint64, err error)
	Lease(ctx context.Context, id uint64) (l sharerstypes.Lease, found bool, err error)
	Manifest(service string) (*manifest.Manifest, bool)
	Sharer(addr string) (sharerstypes.Sharer, bool)
	PubKey(sharer string) ([]byte, error)
}

// Store is the node's receipt store (receipts.Store).
type Store interface {
	Tree(lease, epoch uint64) (*receipts.Tree, error)
	Prune(keepFrom uint64) error
}

// Sender sends msgs signed by the sharer inside MsgExec (hotkey.Sender).
type Sender interface {
	Exec(ctx context.Context, msgs ...sdk.Msg) (hotkey.Result, error)
}

// Keys is the node's hot key (hotkey.Source).
type Keys interface {
	Key() (hotkeyfile.Key, bool)
}

// Modules fetches a module's wasm by its SHA-256 (from the node's blob
// store, or its peers').
type Modules func(ctx context.Context, hash receipt.Hash) ([]byte, error)

// Replayer re-executes an instance's history of a service's module in an
// ended epoch (runtime.Runtime.Replay under the limits of a version of the
// service active during that epoch).
type Replayer func(ctx context.Context, service string, epoch uint64, wasm []byte, steps []runtime.ReplayStep) ([]runtime.ReplayOutcome, error)

// Fetcher reads an instance's history from the node at endpoint (its
// gateway), signed by signer (client.Gateway.AuditHistory by default).
type Fetcher func(ctx context.Context, endpoint string, lease, epoch, instance, upto uint64, signer reqsign.Signer) (*q1client.AuditHistory, error)

// Config is what a Worker works with. Every field but Fetch, Log and Poll
// is required.
type Config struct {
	Keys    Keys
	Chain   Chain
	Store   Store
	Modules Modules
	Replay  Replayer
	// Sender returns the hot key's sender, nil until the node is a sharer.
	Sender func() Sender
	Fetch  Fetcher
	// Dir keeps each audit's verdict and salt between its commit and its
	// reveal, so that a restart can still reveal.
	Dir  string
	Log  *slog.Logger
	Poll time.Duration
	// IdleEvery is how many blocks apart the worker looks for audits while
	// none involving this node is open (default DefaultIdleEvery); while
	// one is, it looks at every block.
	IdleEvery int64
}

// DefaultIdleEvery is Config.IdleEvery's default: a new audit is seen at
// most 5 blocks after it opens, a small part of its publish window (50
// blocks on a devnet, more on a network with longer blocks), while an idle
// node asks its chain a fifth as often (docs/benchmarks.md, "An idle
// node").
const DefaultIdleEvery = 5

// Worker follows the chain's audits for this node: it publishes the
// samples drawn from its own reports, audits others when assigned (fetch,
// re-execute, commit, reveal), authorises auditors' reads of its receipts
// (MayRead) and deletes receipts no audit can ask for any more.
type Worker struct {
	cfg    Config
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	height int64
	// pass is how many blocks went by between the starts of the last two
	// steps: about how long a step takes, so how late the next look at an
	// audit may come (auditAll goes through every audit assigned, with a
	// replay and a tx for each; with many that is dozens of blocks).
	pass int64
	// lastLook is the height the worker last asked for its audits at;
	// busy says an audit involving this node was open then (or the chain
	// did not answer), so it asks again at the next block.
	lastLook int64
	busy     bool
	// Attempts made at a height, so each is made once per height.
	tried  map[string]int64
	logged map[string]bool // lines said once
}

// NewWorker starts a worker; Close stops it.
func NewWorker(cfg Config) (*Worker, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	if cfg.IdleEvery <= 0 {
		cfg.IdleEvery = DefaultIdleEvery
	}
	if cfg.Fetch == nil {
		cfg.Fetch = func(ctx context.Context, endpoint string, lease, epoch, instance, upto uint64, signer reqsign.Signer) (*q1client.AuditHistory, error) {
			return q1client.NewGateway(endpoint, q1client.WithTimeout(time.Minute)).AuditHistory(ctx, lease, epoch, instance, upto, signer)
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("audit worker: %w", err)
	}
	w := &Worker{cfg: cfg, log: cfg.Log, done: make(chan struct{}), tried: map[string]int64{}, logged: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() {
		defer close(w.done)
		w.run(ctx)
	}()
	return w, nil
}

// Close stops the worker and waits for it.
func (w *Worker) Close() error {
	w.cancel()
	<-w.done
	return nil
}

func (w *Worker) run(ctx context.Context) {
	tick := time.NewTicker(w.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			w.Step(ctx)
		}
	}
}

const queryTimeout = 10 * time.Second

// Step acts on a new committed height, if there is one.
func (w *Worker) Step(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	h, err := w.cfg.Chain.Sync(qctx)
	cancel()
	if err != nil || h <= w.height {
		return
	}
	if w.height > 0 {
		w.pass = h - w.height
	}
	w.height = h
	k, ok := w.cfg.Keys.Key()
	sender := w.cfg.Sender()
	if !ok || k.Sharer == "" || sender == nil {
		return
	}
	if idle := max(w.cfg.IdleEvery, 1); !w.busy && w.lastLook > 0 && h-w.lastLook < idle {
		w.prune(ctx)
		return
	}
	w.lastLook, w.busy = h, false
	w.publishAll(ctx, k.Sharer, sender)
	w.auditAll(ctx, k, sender)
	w.prune(ctx)
}

// openAudits is Chain.OpenAudits for a step: an audit found open (or no
// answer) keeps the worker looking at every block.
func (w *Worker) openAudits(ctx context.Context, sharer string, auditor bool) ([]usagetypes.Audit, error) {
	audits, err := w.cfg.Chain.OpenAudits(ctx, sharer, auditor)
	if err != nil || len(audits) > 0 {
		w.busy = true
	}
	return audits, err
}

// once reports whether key was not yet attempted at this height, and marks it.
func (w *Worker) once(key string) bool {
	if w.tried[key] == w.height {
		return false
	}
	w.tried[key] = w.height
	return true
}

// sayOnce logs a line the first time key is seen.
func (w *Worker) sayOnce(key, msg string, args ...any) {
	w.mu.Lock()
	seen := w.logged[key]
	w.logged[key] = true
	w.mu.Unlock()
	if !seen {
		w.log.Info(msg, args...)
	}
}

// warnOnce logs a failed read once per distinct error, so that a chain
// that does not answer audits yet does not fill the log every block.
func (w *Worker) warnOnce(what string, err error) {
	key := "err/" + what + "/" + err.Error()
	w.mu.Lock()
	seen := w.logged[key]
	w.logged[key] = true
	w.mu.Unlock()
	if !seen {
		w.log.Warn(what+" (said once per distinct error)", "err", err)
	}
}

// publishAll publishes the samples of this node's audits still in their
// publish phase, the earliest deadline first, in as few transactions as
// maxBatch allows. It is this node's most urgent duty: the publish window
// is the shortest (publish_window_blocks) and an entry not published in it
// is forfeited, which slashes this sharer; so auditAll calls it again
// between the audits it performs for others, which can take many blocks
// when there are many.
func (w *Worker) publishAll(ctx context.Context, sharer string, sender Sender) {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	audits, err := w.openAudits(qctx, sharer, false)
	cancel()
	if err != nil {
		w.warnOnce("read this node's audits", err)
		return
	}
	audits = slices.Clone(audits)
	slices.SortStableFunc(audits, func(a, b usagetypes.Audit) int {
		return cmp.Or(cmp.Compare(a.PublishDeadline, b.PublishDeadline), cmp.Compare(a.Id, b.Id))
	})
	var out []outgoing
	for _, a := range audits {
		if a.Phase != PhasePublish || a.PublishedHeight > 0 || !w.once("publish/"+strconv.FormatUint(a.Id, 10)) {
			continue
		}
		w.sayOnce("sampled/"+strconv.FormatUint(a.Id, 10), "usage entry sampled for audit", "audit", a.Id, "service", a.Service,
			"lease", a.LeaseId, "epoch", a.Epoch, "draws", len(a.Draws), "auditors", len(a.Auditors), "publish_deadline", a.PublishDeadline)
		samples, err := Samples(w.cfg.Store, a)
		if err != nil {
			w.log.Error("audit samples cannot be published: this entry will be forfeited", "audit", a.Id, "lease", a.LeaseId, "epoch", a.Epoch, "err", err)
			continue
		}
		out = append(out, outgoing{
			msg: &usagetypes.MsgPublishSamples{Sharer: sharer, AuditId: a.Id, Samples: samples},
			sent: func(res hotkey.Result, batch int) {
				w.log.Info("audit samples published", "audit", a.Id, "lease", a.LeaseId, "epoch", a.Epoch, "samples", len(samples),
					"tx", res.Hash, "height", res.Height, "batch", batch)
			},
			failed: func(err error) {
				w.log.Warn("publishing audit samples failed; trying again at the next height until the deadline",
					append([]any{"audit", a.Id, "deadline", a.PublishDeadline}, hotkey.LogAttrs(err)...)...)
			},
		})
	}
	w.send(ctx, sender, out)
}

// maxBatch is the most messages the worker puts in one transaction. Each
// transaction waits for its block, so sending an audit's commit or reveal
// alone made a node with many audits take a block per audit, and on a
// loaded machine commits missed their deadlines (and misses slash the
// auditor). Batched, a node's pass over its audits costs about one block
// per kind of message.
const maxBatch = 16

// outgoing is a message the worker sends, and what it says once the
// message's transaction landed or failed.
type outgoing struct {
	msg    sdk.Msg
	sent   func(res hotkey.Result, batch int) // logs the landed tx, of batch messages
	failed func(error)                        // logs the failure; the message is tried again at a later height
}

// send sends out in transactions of up to maxBatch messages. When the
// chain refuses a transaction of several by one of x/usage's rules (one
// message may be late or already done while the others are not: the
// whole transaction fails), each of its messages is sent again alone, so
// one refusal costs the others nothing.
func (w *Worker) send(ctx context.Context, sender Sender, out []outgoing) {
	for chunk := range slices.Chunk(out, maxBatch) {
		msgs := make([]sdk.Msg, len(chunk))
		for i, o := range chunk {
			msgs[i] = o.msg
		}
		res, err := sender.Exec(ctx, msgs...)
		var refused *hotkey.TxError
		switch {
		case err == nil:
			for _, o := range chunk {
				o.sent(res, len(chunk))
			}
		case len(chunk) > 1 && ctx.Err() == nil && errors.As(err, &refused) && refused.Codespace == usagetypes.ModuleName:
			w.log.Info("a batch of audit messages was refused; sending each alone", "msgs", len(chunk), "err", err)
			for _, o := range chunk {
				res, err := sender.Exec(ctx, o.msg)
				if err != nil {
					o.failed(err)
					continue
				}
				o.sent(res, 1)
			}
		default:
			for _, o := range chunk {
				o.failed(err)
			}
		}
	}
}

// Samples returns the distinct receipts, with their proofs, that cover an
// audit's draws, from the receipts this node kept for the audited entry.
func Samples(store Store, a usagetypes.Audit) ([]usagetypes.Sample, error) {
	t, err := store.Tree(a.LeaseId, a.Epoch)
	if err != nil {
		return nil, err
	}
	root := t.Root()
	want := receipt.Sum{Leaves: a.Root.Leaves, Fuel: a.Root.Fuel, Requests: a.Root.Requests, Egress: a.Root.Egress}
	copy(want.Hash[:], a.Root.Hash)
	if root != want {
		return nil, fmt.Errorf("the receipts kept here for lease %d in epoch %d give root %x (%d receipts), not the reported %x (%d receipts)",
			a.LeaseId, a.Epoch, root.Hash[:8], root.Leaves, want.Hash[:8], want.Leaves)
	}
	var idx []uint64
	for _, d := range a.Draws {
		i := d.Index
		if d.Weighted {
			if i, err = t.AtFuel(d.Point); err != nil {
				return nil, err
			}
		}
		idx = append(idx, i)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]usagetypes.Sample, 0, len(idx))
	for _, i := range idx {
		proof, err := t.Proof(i)
		if err != nil {
			return nil, err
		}
		out = append(out, usagetypes.Sample{Index: i, Receipt: t.Receipt(i).Marshal(), Proof: receipt.MarshalProof(proof)})
	}
	return out, nil
}

// vote is what an auditor decided on an audit, kept on disk from before
// its commit until its reveal.
type vote struct {
	AuditID    uint64             `json:"audit_id"`
	Verdict    usagetypes.Verdict `json:"verdict"`
	ResultHash []byte             `json:"result_hash"`
	Salt       []byte             `json:"salt"`
	Detail     string             `json:"detail"`
}

func (w *Worker) votePath(id uint64) string {
	return filepath.Join(w.cfg.Dir, strconv.FormatUint(id, 10)+".json")
}

func (w *Worker) loadVote(id uint64) (*vote, error) {
	b, err := os.ReadFile(w.votePath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var v vote
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", w.votePath(id), err)
	}
	return &v, nil
}

func (w *Worker) saveVote(v *vote) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := w.votePath(v.AuditID) + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, w.votePath(v.AuditID))
}

// auditAll does this node's part in every audit it is assigned to: the
// reveals due (no work: one batch), then the commits due, each after its
// audit is performed (a fetch and a replay), sent in batches. A commit
// waits in the batch only while its deadline is far (see urgent).
func (w *Worker) auditAll(ctx context.Context, k hotkeyfile.Key, sender Sender) {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	audits, err := w.openAudits(qctx, k.Sharer, true)
	cancel()
	if err != nil {
		w.warnOnce("read the audits assigned to this node", err)
		return
	}
	var reveals []outgoing
	var commits []usagetypes.Audit
	for _, a := range audits {
		i := slices.Index(a.Auditors, k.Sharer)
		if i < 0 {
			continue
		}
		var mine usagetypes.AuditVote
		if i < len(a.Votes) {
			mine = a.Votes[i]
		}
		id := strconv.FormatUint(a.Id, 10)
		w.sayOnce("assigned/"+id, "assigned as auditor", "audit", a.Id, "service", a.Service, "sharer", a.Sharer,
			"lease", a.LeaseId, "epoch", a.Epoch, "commit_deadline", a.CommitDeadline, "reveal_deadline", a.RevealDeadline)
		switch {
		case a.PublishedHeight == 0:
			// Nothing to audit until the sharer published its samples.
		case mine.CommittedHeight == 0 && MayCommit(a, w.height):
			if w.once("commit/" + id) {
				commits = append(commits, a)
			}
		case mine.CommittedHeight > 0 && mine.RevealedHeight == 0 && MayReveal(a, w.height):
			if w.once("reveal/" + id) {
				if o, ok := w.reveal(k, a); ok {
					reveals = append(reveals, o)
				}
			}
		}
	}
	w.send(ctx, sender, reveals)
	slices.SortStableFunc(commits, func(a, b usagetypes.Audit) int {
		return cmp.Or(cmp.Compare(a.CommitDeadline, b.CommitDeadline), cmp.Compare(a.Id, b.Id))
	})
	var pending []outgoing
	flushNow := false
	for _, a := range commits {
		if ctx.Err() != nil {
			return
		}
		// An entry of this node sampled meanwhile goes first (publishAll).
		w.publishAll(ctx, k.Sharer, sender)
		if !w.meterMatches(ctx, a) {
			continue
		}
		o, ok := w.commit(ctx, k, a)
		if !ok {
			continue
		}
		pending = append(pending, o)
		flushNow = flushNow || w.urgent(a)
		if flushNow || len(pending) == maxBatch {
			w.send(ctx, sender, pending)
			pending, flushNow = nil, false
		}
	}
	w.send(ctx, sender, pending)
}

// urgent says whether a's commit is sent at once rather than waiting in
// the batch for the next audits to be performed: from the point where this
// is the last look before the deadline (lastAttempt).
func (w *Worker) urgent(a usagetypes.Audit) bool { return w.lastAttempt(a) }

// meterMatches reports whether this node re-executes at the fuel metering
// version the audited lease is billed at (x/sharers Lease.meter_version).
// Under another meter the same requests use other fuel: rather than vote
// FAIL on an honest sharer, the auditor abstains (and misses that audit).
// A lease it cannot read (closed and pruned) is audited: its receipts name
// their meter, and re-execution compares it.
func (w *Worker) meterMatches(ctx context.Context, a usagetypes.Audit) bool {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	l, found, err := w.cfg.Chain.Lease(qctx, a.LeaseId)
	cancel()
	if err != nil || !found || l.MeterVersion == 0 || l.MeterVersion == fuel.Version {
		return true
	}
	w.sayOnce("meter/"+strconv.FormatUint(a.Id, 10), "abstaining from an audit: its lease is metered at another fuel version",
		"audit", a.Id, "lease", a.LeaseId, "lease_meter_version", l.MeterVersion, "node_meter_version", fuel.Version)
	return false
}

// A tx the worker sends at committed height h is simulated on the chain's
// check state, whose block height is the last committed one (h, or more
// if blocks came meanwhile), and lands in a block above h. MayCommit and
// MayReveal say whether x/usage (keeper.AuditCommit, AuditReveal) accepts
// each at both of those heights, so no attempt is spent on a tx the
// simulation or the block refuses.

// MayCommit reports whether a commit to a sent at committed height h can
// land: the samples are published, the stored phase is still commit, and
// the tx's block (h+1 at the earliest) is by the commit deadline. One sent
// at the deadline passes the simulation but lands after it, refused.
func MayCommit(a usagetypes.Audit, h int64) bool {
	return a.PublishedHeight > 0 && a.Phase == PhaseCommit && h < a.CommitDeadline
}

// MayReveal reports whether a reveal on a sent at committed height h is
// accepted: reveals open once every auditor committed (the chain then
// stores the reveal phase) or at heights above the commit deadline. The
// chain's stored phase stays commit while an auditor has not committed, so
// an auditor must not wait for it; but at h == CommitDeadline the
// simulation runs at the deadline and refuses the reveal, so it waits one
// more block.
func MayReveal(a usagetypes.Audit, h int64) bool {
	return a.PublishedHeight > 0 && (a.Phase == PhaseReveal || h > a.CommitDeadline)
}

// commitMargin is the fewest blocks before the commit deadline an auditor
// stops waiting for the audited node's data, whatever the window's length.
const commitMargin = 4

// GiveUpHeight is the committed height from which an auditor no longer
// asks the audited node again for a history it did not serve, and commits
// UNAVAILABLE: halfway through the commit window as the auditor has it,
// from the publication to the commit deadline (and at least commitMargin
// blocks before the deadline). The other half is for the commit to land:
// on a loaded node each height's pass over its audits can take several
// blocks (each tx waits for its block), and a refused commit is sent again
// at the next height. An honest node that is merely slow has had half the
// window to serve.
func GiveUpHeight(a usagetypes.Audit) int64 {
	opened := a.PublishedHeight
	if opened <= 0 {
		opened = a.PublishDeadline
	}
	return min(opened+(a.CommitDeadline-opened)/2, a.CommitDeadline-commitMargin)
}

// lastAttempt says whether this look at audit a is the last before the
// auditor commits UNAVAILABLE for a history not served: from GiveUpHeight,
// or earlier when the worker is slow: the commit must land by the
// deadline, and the next step may come a whole step's blocks later.
// Waiting until commitMargin blocks before it, a busy worker (a step of
// 30 s on the loaded e2e machine) looked again after the deadline, missed
// the commit of an audit whose node was dead, and after three such misses
// the honest auditor was slashed below min_collateral (TestEconomy).
func (w *Worker) lastAttempt(a usagetypes.Audit) bool {
	return w.height >= min(GiveUpHeight(a), a.CommitDeadline-max(commitMargin, 2*w.pass))
}

// commit audits a (once: its verdict is kept on disk) and returns the
// commitment to the verdict, to send; ok is false when it has none yet.
func (w *Worker) commit(ctx context.Context, k hotkeyfile.Key, a usagetypes.Audit) (o outgoing, ok bool) {
	v, err := w.loadVote(a.Id)
	if err != nil {
		w.log.Error("read kept audit verdict", "audit", a.Id, "err", err)
		return o, false
	}
	if v == nil {
		last := w.lastAttempt(a)
		v, err = w.perform(ctx, k, a, last)
		if err != nil {
			w.log.Warn("audit not finished; trying again at the next height", "audit", a.Id, "err", err,
				"height", w.height, "unserved_data_unavailable_from", GiveUpHeight(a))
			return o, false
		}
		salt := make([]byte, 32)
		if _, err := rand.Read(salt); err != nil {
			w.log.Error("audit salt", "err", err)
			return o, false
		}
		v.Salt = salt
		if err := w.saveVote(v); err != nil {
			w.log.Error("keep audit verdict: not committing a verdict a restart could not reveal", "audit", a.Id, "err", err)
			return o, false
		}
	}
	var rh receipt.Hash
	copy(rh[:], v.ResultHash)
	c, err := receipt.Commitment(a.Id, k.Sharer, uint32(v.Verdict), rh, v.Salt)
	if err != nil {
		w.log.Error("audit commitment", "audit", a.Id, "err", err)
		return o, false
	}
	return outgoing{
		msg: &usagetypes.MsgAuditCommit{Auditor: k.Sharer, AuditId: a.Id, Commitment: c[:]},
		sent: func(res hotkey.Result, batch int) {
			w.log.Info("audit verdict committed", "audit", a.Id, "verdict", v.Verdict.String(), "tx", res.Hash, "height", res.Height, "batch", batch)
		},
		failed: func(err error) {
			w.log.Warn("audit commit failed; trying again at the next height until the deadline",
				append([]any{"audit", a.Id, "deadline", a.CommitDeadline}, hotkey.LogAttrs(err)...)...)
		},
	}, true
}

// reveal returns the reveal of the verdict committed for a, to send.
func (w *Worker) reveal(k hotkeyfile.Key, a usagetypes.Audit) (o outgoing, ok bool) {
	v, err := w.loadVote(a.Id)
	if err != nil || v == nil {
		w.log.Error("audit verdict to reveal not found: this node committed one it cannot reveal", "audit", a.Id, "err", err)
		return o, false
	}
	return outgoing{
		msg: &usagetypes.MsgAuditReveal{Auditor: k.Sharer, AuditId: a.Id, Verdict: v.Verdict,
			ResultHash: v.ResultHash, Salt: v.Salt, Detail: v.Detail},
		sent: func(res hotkey.Result, batch int) {
			w.log.Info("audit verdict revealed", "audit", a.Id, "verdict", v.Verdict.String(), "detail", v.Detail,
				"tx", res.Hash, "height", res.Height, "batch", batch)
		},
		failed: func(err error) {
			w.log.Warn("audit reveal failed; trying again at the next height until the deadline",
				append([]any{"audit", a.Id, "deadline", a.RevealDeadline}, hotkey.LogAttrs(err)...)...)
		},
	}, true
}

// errNotYet is an audit that cannot be decided yet (data not served, module
// not fetched): it is tried again at the next height.
var errNotYet = errors.New("not yet")

// perform audits a's published samples: fetches the module and each
// sampled instance's history, checks them, re-executes and compares. When
// the audited node does not serve a history, it is asked again at later
// heights; on the last attempt (last: from GiveUpHeight) the verdict is
// UNAVAILABLE.
func (w *Worker) perform(ctx context.Context, k hotkeyfile.Key, a usagetypes.Audit, last bool) (*vote, error) {
	log := w.log.With("audit", a.Id, "service", a.Service, "sharer", a.Sharer, "lease", a.LeaseId, "epoch", a.Epoch)
	log.Info("auditing", "samples", len(a.Samples))
	type sample struct {
		leaf uint64
		r    receipt.Receipt
	}
	byInstance := map[uint64][]sample{}
	var instances []uint64
	for _, s := range a.Samples {
		r, err := receipt.Unmarshal(s.Receipt)
		if err != nil {
			return nil, fmt.Errorf("published sample %d: %w", s.Index, err)
		}
		if _, ok := byInstance[r.Instance]; !ok {
			instances = append(instances, r.Instance)
		}
		byInstance[r.Instance] = append(byInstance[r.Instance], sample{leaf: s.Index, r: r})
	}
	slices.Sort(instances)

	// Each instance is re-executed with the module its sampled receipts
	// name: a service upgraded during the epoch ran several versions (the
	// chain lists them all in ModuleHashes and checked each sample's).
	modules := map[receipt.Hash][]byte{}
	module := func(mh receipt.Hash) ([]byte, error) {
		if wasm, ok := modules[mh]; ok {
			return wasm, nil
		}
		wasm, err := w.cfg.Modules(ctx, mh)
		if err != nil {
			// Not the audited node's fault: the module is on every node that
			// runs the service. Try again; without it there is no verdict.
			return nil, fmt.Errorf("fetch module %x: %w", mh[:8], err)
		}
		log.Info("audit module fetched", "module", fmt.Sprintf("%x", mh[:8]), "bytes", len(wasm))
		modules[mh] = wasm
		return wasm, nil
	}

	sh, found := w.cfg.Chain.Sharer(a.Sharer)
	signer := reqsign.KeySigner{Key: k.Key}
	decided := func(verdict usagetypes.Verdict, detail string, result []byte) *vote {
		v := &vote{AuditID: a.Id, Verdict: verdict, Detail: detail}
		if result == nil {
			s := sha256.Sum256([]byte(detail))
			result = s[:]
		}
		v.ResultHash = result
		log.Info("audit decided", "verdict", verdict.String(), "detail", detail)
		return v
	}
	results := sha256.New()
	// An honest instance's receipts are all leaves of the lease's tree, and
	// instances hold disjoint receipts: the histories served can hold no
	// more receipts and fuel than the committed root. A sampled receipt
	// that chains to more (receipts in no tree, billed to no one) is a
	// false claim, refused before re-executing what it claims.
	var histSteps, histFuel uint64
	for _, inst := range instances {
		ss := byInstance[inst]
		slices.SortFunc(ss, func(x, y sample) int { return cmp.Compare(x.r.Index, y.r.Index) })
		upto := ss[len(ss)-1].r.Index
		mh := ss[0].r.ModuleHash
		for _, x := range ss {
			if x.r.ModuleHash != mh {
				return decided(usagetypes.Verdict_VERDICT_FAIL, fmt.Sprintf("samples %d and %d (instance %d): one instance cannot run two modules (%x, %x)",
					ss[0].leaf, x.leaf, inst, mh[:8], x.r.ModuleHash[:8]), nil), nil
			}
		}
		known := func(h []byte) bool { return bytes.Equal(h, mh[:]) }
		if len(a.ModuleHashes) > 0 && !slices.ContainsFunc(a.ModuleHashes, known) {
			return decided(usagetypes.Verdict_VERDICT_FAIL, fmt.Sprintf("sample %d (instance %d): module %x is not a version of service %s active during epoch %d",
				ss[0].leaf, inst, mh[:8], a.Service, a.Epoch), nil), nil
		}
		wasm, err := module(mh)
		if err != nil {
			return nil, err
		}
		var hist *q1client.AuditHistory
		if !found || sh.Endpoint == "" {
			err = fmt.Errorf("sharer %s has no endpoint on chain", a.Sharer)
		} else {
			hist, err = w.cfg.Fetch(ctx, sh.Endpoint, a.LeaseId, a.Epoch, inst, upto, signer)
		}
		if err != nil {
			log.Warn("audit data not served", "instance", inst, "upto", upto, "err", err, "last_attempt", last)
			if !last {
				return nil, fmt.Errorf("%w: instance %d: %v", errNotYet, inst, err)
			}
			return decided(usagetypes.Verdict_VERDICT_UNAVAILABLE, fmt.Sprintf("sample %d (instance %d, receipt %d): history not served: %v",
				ss[len(ss)-1].leaf, inst, upto, err), nil), nil
		}
		log.Info("audit data fetched", "instance", inst, "steps", len(hist.Items))
		var steps []Step
		for _, s := range ss {
			if uint64(len(hist.Items)) <= s.r.Index {
				return decided(usagetypes.Verdict_VERDICT_UNAVAILABLE, fmt.Sprintf("sample %d (instance %d, receipt %d): history cut short at %d steps",
					s.leaf, inst, s.r.Index, len(hist.Items)), nil), nil
			}
			st, p := CheckHistory(s.r, a.Epoch, hist.Items[:s.r.Index+1], w.cfg.Chain)
			if p != nil {
				verdict := usagetypes.Verdict_VERDICT_FAIL
				if p.Unavailable {
					verdict = usagetypes.Verdict_VERDICT_UNAVAILABLE
				}
				return decided(verdict, fmt.Sprintf("sample %d (instance %d, receipt %d): %s", s.leaf, inst, s.r.Index, p.What), nil), nil
			}
			steps = st
		}
		histSteps += uint64(len(steps))
		for _, st := range steps {
			histFuel = satAdd(histFuel, st.Receipt.Fuel)
		}
		if histSteps > a.Root.Leaves || histFuel > a.Root.Fuel {
			s := ss[len(ss)-1]
			return decided(usagetypes.Verdict_VERDICT_FAIL, fmt.Sprintf("sample %d (instance %d, receipt %d): its history holds %d receipts claiming %d fuel, but the committed tree holds %d receipts and %d fuel in all: the history is not in the tree",
				s.leaf, inst, s.r.Index, histSteps, histFuel, a.Root.Leaves, a.Root.Fuel), nil), nil
		}
		log.Info("audit history checked", "instance", inst, "steps", len(steps))
		replay := make([]runtime.ReplayStep, len(steps))
		for i, s := range steps {
			replay[i] = runtime.ReplayStep{Receipt: s.Receipt, Request: s.Request, Tape: s.Tape}
			if !s.Receipt.IsRequest() {
				replay[i].Request = nil // a start-up has no request (the runtime tells them apart by nil)
			}
		}
		outs, err := w.cfg.Replay(ctx, a.Service, a.Epoch, wasm, replay)
		if err != nil {
			return nil, fmt.Errorf("re-execute instance %d: %w", inst, err)
		}
		got := make([]Outcome, len(outs))
		for i, o := range outs {
			got[i] = Outcome{Receipt: o.Receipt, Divergence: o.Divergence, SecretRead: o.SecretRead}
			h := o.Receipt.Hash()
			results.Write(h[:])
		}
		log.Info("audit re-executed", "instance", inst, "steps", len(outs))
		if p := Compare(steps, got); p != nil {
			// Name the first sample whose history holds the receipt that differed.
			leaf := ss[len(ss)-1].leaf
			for _, s := range ss {
				if s.r.Index >= p.Index {
					leaf = s.leaf
					break
				}
			}
			return decided(usagetypes.Verdict_VERDICT_FAIL, fmt.Sprintf("sample %d (instance %d): %s", leaf, inst, p.What), nil), nil
		}
	}
	return decided(usagetypes.Verdict_VERDICT_PASS, "", results.Sum(nil)), nil
}

// satAdd is a + b, or the largest uint64 when that overflows.
func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}

// MayRead implements Access: the hot key (or account) of an assigned
// auditor of an open audit of lease, or (owner) an owner of its service.
func (w *Worker) MayRead(ctx context.Context, account string, lease uint64) (owner bool, err error) {
	k, ok := w.cfg.Keys.Key()
	if !ok || k.Sharer == "" {
		return false, fmt.Errorf("%w: this node is not a sharer", ErrNotAllowed)
	}
	audits, err := w.cfg.Chain.OpenAudits(ctx, k.Sharer, false)
	if err != nil {
		return false, fmt.Errorf("read this node's audits: %w", err)
	}
	for _, a := range audits {
		if a.LeaseId != lease {
			continue
		}
		for _, auditor := range a.Auditors {
			if account == auditor {
				return false, nil
			}
			if s, ok := w.cfg.Chain.Sharer(auditor); ok && s.HotKey == account {
				return false, nil
			}
		}
	}
	l, found, err := w.cfg.Chain.Lease(ctx, lease)
	if err != nil {
		return false, fmt.Errorf("read lease %d: %w", lease, err)
	}
	if found {
		if m, ok := w.cfg.Chain.Manifest(l.Service); ok && m.IsOwner(account) {
			return true, nil
		}
	}
	return false, fmt.Errorf("%w: %s is neither an assigned auditor of an open audit of lease %d nor an owner of its service", ErrNotAllowed, account, lease)
}

// prune deletes the receipts of epochs no report or audit can ask for:
// older than the report window plus the audit's windows, in epochs, and one
// more for the epoch under way.
func (w *Worker) prune(ctx context.Context) {
	if w.height%10 != 0 {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	p, err := w.cfg.Chain.UsageParams(qctx)
	if err != nil {
		return
	}
	current, blocks, err := w.cfg.Chain.EpochLength(qctx)
	if err != nil || blocks == 0 {
		return
	}
	keep := KeepEpochs(p, blocks)
	if current <= keep {
		return
	}
	if err := w.cfg.Store.Prune(current - keep); err != nil {
		w.log.Warn("delete old receipts", "err", err)
	}
}

// KeepEpochs is how many epochs back from the current one receipts are
// kept: the report window, then the blocks until an audit of the last
// report possible resolves, in whole epochs, and one for the epoch under way.
func KeepEpochs(p usagetypes.Params, epochBlocks uint64) uint64 {
	audit := p.SampleDelayBlocks + p.PublishWindowBlocks + p.CommitWindowBlocks + p.RevealWindowBlocks
	return p.ReportWindowEpochs + (audit+epochBlocks-1)/epochBlocks + 1
}
