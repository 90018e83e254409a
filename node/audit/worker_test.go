package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
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

const self = "q1self"

type fakeChain struct {
	height  int64
	mine    []usagetypes.Audit // audits of this node's entries
	audited []usagetypes.Audit // audits this node is assigned to
	leases  map[uint64]sharerstypes.Lease
	asked   int // OpenAudits calls
}

func (c *fakeChain) Sync(context.Context) (int64, error) { c.height++; return c.height, nil }
func (c *fakeChain) OpenAudits(_ context.Context, _ string, auditor bool) ([]usagetypes.Audit, error) {
	c.asked++
	if auditor {
		return c.audited, nil
	}
	return c.mine, nil
}
func (c *fakeChain) UsageParams(context.Context) (usagetypes.Params, error) {
	return usagetypes.DefaultParams(), nil
}
func (c *fakeChain) EpochLength(context.Context) (uint64, uint64, error) { return 1, 20, nil }
func (c *fakeChain) Lease(_ context.Context, id uint64) (sharerstypes.Lease, bool, error) {
	l, ok := c.leases[id]
	return l, ok, nil
}
func (c *fakeChain) Manifest(string) (*manifest.Manifest, bool) { return nil, false }
func (c *fakeChain) Sharer(addr string) (sharerstypes.Sharer, bool) {
	return sharerstypes.Sharer{Address: addr, Endpoint: "http://" + addr}, true
}
func (c *fakeChain) PubKey(s string) ([]byte, error) { return pubs.PubKey(s) }

type fakeKeys struct{}

func (fakeKeys) Key() (hotkeyfile.Key, bool) { return selfKey(), true }

func selfKey() hotkeyfile.Key {
	return hotkeyfile.Key{Key: secp256k1.GenPrivKeyFromSecret([]byte("self")), Sharer: self}
}

type fakeSender struct{ sent []sdk.Msg }

func (s *fakeSender) Exec(_ context.Context, msgs ...sdk.Msg) (hotkey.Result, error) {
	s.sent = append(s.sent, msgs...)
	return hotkey.Result{Hash: "TX", Height: 1}, nil
}

// testWorker is a worker over a store holding testHistory (lease 9, epoch
// 4, instance 2) whose replays give back what replay returns.
func testWorker(t *testing.T, chain *fakeChain, fetch Fetcher, replay func([]runtime.ReplayStep) []runtime.ReplayOutcome) (*Worker, *fakeSender, *receipts.Store, *bytes.Buffer) {
	t.Helper()
	store, err := receipts.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.SetEpoch(4)
	rs, items := testHistory(t, 5)
	for i, r := range rs {
		store.Receipt(r, items[i].Request, items[i].Tape)
	}
	s := &fakeSender{}
	var logs bytes.Buffer
	w := &Worker{cfg: Config{
		Keys: fakeKeys{}, Chain: chain, Store: store, Sender: func() Sender { return s }, Dir: t.TempDir(), Fetch: fetch,
		Modules: func(context.Context, receipt.Hash) ([]byte, error) { return []byte("wasm"), nil },
		Replay: func(_ context.Context, _ string, _ uint64, _ []byte, steps []runtime.ReplayStep) ([]runtime.ReplayOutcome, error) {
			return replay(steps), nil
		},
	}, log: slog.New(slog.NewTextHandler(&logs, nil)), tried: map[string]int64{}, logged: map[string]bool{}}
	return w, s, store, &logs
}

func honest(steps []runtime.ReplayStep) []runtime.ReplayOutcome {
	out := make([]runtime.ReplayOutcome, len(steps))
	for i, s := range steps {
		out[i] = runtime.ReplayOutcome{Receipt: s.Receipt}
	}
	return out
}

func rootOf(t *testing.T, store *receipts.Store) usagetypes.ReceiptsRoot {
	tr, err := store.Tree(9, 4)
	if err != nil {
		t.Fatal(err)
	}
	r := tr.Root()
	return usagetypes.ReceiptsRoot{Hash: r.Hash[:], Leaves: r.Leaves, Fuel: r.Fuel, Requests: r.Requests, Egress: r.Egress}
}

// A sampled entry's samples cover every draw, once per leaf, with proofs
// of the committed root.
func TestPublishSamples(t *testing.T) {
	chain := &fakeChain{}
	w, s, store, _ := testWorker(t, chain, nil, honest)
	root := rootOf(t, store)
	chain.mine = []usagetypes.Audit{{Id: 1, LeaseId: 9, Epoch: 4, Root: root, Phase: PhasePublish,
		Draws: []usagetypes.AuditDraw{{Weighted: true, Point: 0}, {Weighted: true, Point: 120}, {Index: 3}, {Index: 0}}}}
	w.Step(context.Background())
	if len(s.sent) != 1 {
		t.Fatalf("%d msgs sent, want 1", len(s.sent))
	}
	msg := s.sent[0].(*usagetypes.MsgPublishSamples)
	var sum receipt.Sum
	copy(sum.Hash[:], root.Hash)
	sum.Leaves, sum.Fuel, sum.Requests, sum.Egress = root.Leaves, root.Fuel, root.Requests, root.Egress
	var got []uint64
	for _, sm := range msg.Samples {
		r, err := receipt.Unmarshal(sm.Receipt)
		if err != nil {
			t.Fatal(err)
		}
		proof, _ := receipt.UnmarshalProof(sm.Proof)
		if _, err := receipt.VerifyProof(sum, sm.Index, r.Leaf(), proof); err != nil {
			t.Fatal(err)
		}
		got = append(got, sm.Index)
	}
	// Fuel 50, 100, 150, ...: point 0 is leaf 0, point 120 leaf 1.
	if len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 3 {
		t.Fatalf("published leaves %v, want [0 1 3]", got)
	}

	// A root the store cannot give is not published.
	chain.mine[0].Id, chain.mine[0].Root.Fuel = 2, root.Fuel+1
	w.Step(context.Background())
	if len(s.sent) != 1 {
		t.Fatal("published samples for a root the receipts do not give")
	}
}

// TestIdleWorkerAsksLess: with no audit open the worker asks for its
// audits every IdleEvery blocks, not every block; an audit that opens is
// published at most IdleEvery blocks later, and while one is open the
// worker asks at every block.
func TestIdleWorkerAsksLess(t *testing.T) {
	chain := &fakeChain{}
	w, s, store, _ := testWorker(t, chain, nil, honest)
	w.cfg.IdleEvery = 5
	for range 20 {
		w.Step(context.Background())
	}
	// Looks at heights 1, 6, 11, 16: two questions each (as the audited
	// sharer, as an auditor).
	if chain.asked != 8 {
		t.Fatalf("asked %d times in 20 idle blocks, want 8 (every 5th block, twice)", chain.asked)
	}
	chain.mine = []usagetypes.Audit{{Id: 1, LeaseId: 9, Epoch: 4, Root: rootOf(t, store), Phase: PhasePublish,
		Draws: []usagetypes.AuditDraw{{Index: 0}}}}
	steps := 0
	for len(s.sent) == 0 {
		if steps++; steps > 5 {
			t.Fatalf("the audit opened was not published within 5 blocks")
		}
		w.Step(context.Background())
	}
	chain.asked = 0
	for range 3 {
		w.Step(context.Background())
	}
	if chain.asked != 6 {
		t.Fatalf("asked %d times in 3 blocks with an audit open, want 6", chain.asked)
	}
}

// auditOf is an audit of testHistory whose sampled receipts are leaves.
func auditOf(t *testing.T, store *receipts.Store, leaves ...uint64) usagetypes.Audit {
	tr, err := store.Tree(9, 4)
	if err != nil {
		t.Fatal(err)
	}
	a := usagetypes.Audit{Id: 7, Service: "svc", Sharer: "q1audited", LeaseId: 9, Epoch: 4, Root: rootOf(t, store),
		Auditors: []string{"q1other", self}, Votes: make([]usagetypes.AuditVote, 2), Phase: PhaseCommit, PublishedHeight: 1,
		CommitDeadline: 100, RevealDeadline: 200}
	for _, i := range leaves {
		a.Samples = append(a.Samples, usagetypes.Sample{Index: i, Receipt: tr.Receipt(i).Marshal()})
	}
	return a
}

func serveFrom(store *receipts.Store) Fetcher {
	return func(_ context.Context, _ string, lease, epoch, instance, upto uint64, _ reqsign.Signer) (*q1client.AuditHistory, error) {
		items, err := store.History(lease, epoch, instance, upto)
		if err != nil {
			return nil, err
		}
		h := &q1client.AuditHistory{Lease: lease, Epoch: epoch, Instance: instance}
		for _, it := range items {
			h.Items = append(h.Items, q1client.AuditItem{Receipt: it.Receipt, Request: it.Request, Tape: it.Tape})
		}
		return h, nil
	}
}

// commitThenReveal runs an assigned audit through its commit and reveal,
// and returns the reveal after checking it matches the commitment.
func commitThenReveal(t *testing.T, w *Worker, chain *fakeChain, s *fakeSender) *usagetypes.MsgAuditReveal {
	t.Helper()
	w.Step(context.Background())
	if len(s.sent) != 1 {
		t.Fatalf("%d msgs after the commit phase began, want 1", len(s.sent))
	}
	c := s.sent[0].(*usagetypes.MsgAuditCommit)
	chain.audited[0].Votes[1].CommittedHeight = 5
	chain.audited[0].Phase = PhaseReveal
	// A restart between commit and reveal: a new worker on the same dir.
	w2 := &Worker{cfg: w.cfg, log: w.log, tried: map[string]int64{}, logged: map[string]bool{}, height: w.height}
	w2.Step(context.Background())
	if len(s.sent) != 2 {
		t.Fatalf("%d msgs after the reveal phase began, want 2", len(s.sent))
	}
	r := s.sent[1].(*usagetypes.MsgAuditReveal)
	var rh receipt.Hash
	copy(rh[:], r.ResultHash)
	want, err := receipt.Commitment(r.AuditId, r.Auditor, uint32(r.Verdict), rh, r.Salt)
	if err != nil || !bytes.Equal(want[:], c.Commitment) || r.Auditor != self || len(r.Salt) != 32 {
		t.Fatalf("the reveal does not open the commitment (%v)", err)
	}
	return r
}

func TestAuditPass(t *testing.T) {
	chain := &fakeChain{}
	w, s, store, logs := testWorker(t, chain, nil, honest)
	w.cfg.Fetch = serveFrom(store)
	chain.audited = []usagetypes.Audit{auditOf(t, store, 2, 5)}
	r := commitThenReveal(t, w, chain, s)
	if r.Verdict != usagetypes.Verdict_VERDICT_PASS || r.Detail != "" {
		t.Fatalf("verdict %v (%s), want PASS\n%s", r.Verdict, r.Detail, logs)
	}
	for _, want := range []string{"assigned as auditor", "audit data fetched", "audit history checked", "audit re-executed", "audit verdict committed", "audit verdict revealed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no %q line:\n%s", want, logs)
		}
	}
}

// An auditor abstains from an audit of a lease billed under another fuel
// metering version (its re-execution would use other fuel), and audits one
// billed under its own.
func TestAuditAbstainsUnderAnotherMeter(t *testing.T) {
	chain := &fakeChain{leases: map[uint64]sharerstypes.Lease{9: {Id: 9, MeterVersion: fuel.Version + 1}}}
	w, s, store, logs := testWorker(t, chain, nil, honest)
	w.cfg.Fetch = serveFrom(store)
	chain.audited = []usagetypes.Audit{auditOf(t, store, 2)}
	w.Step(context.Background())
	w.Step(context.Background())
	if len(s.sent) != 0 {
		t.Fatalf("sent %d msgs for an audit of a lease metered at version %d", len(s.sent), fuel.Version+1)
	}
	if want := fmt.Sprintf(`msg="abstaining from an audit: its lease is metered at another fuel version" audit=7 lease=9 lease_meter_version=%d node_meter_version=%d`,
		fuel.Version+1, fuel.Version); !strings.Contains(logs.String(), want) {
		t.Fatalf("no %q line:\n%s", want, logs)
	}
	chain.leases[9] = sharerstypes.Lease{Id: 9, MeterVersion: fuel.Version}
	if r := commitThenReveal(t, w, chain, s); r.Verdict != usagetypes.Verdict_VERDICT_PASS {
		t.Fatalf("verdict %v (%s) under this node's meter, want PASS", r.Verdict, r.Detail)
	}
}

func TestAuditFailNamesSampleAndField(t *testing.T) {
	chain := &fakeChain{}
	inflated := func(steps []runtime.ReplayStep) []runtime.ReplayOutcome {
		out := honest(steps)
		out[3].Receipt.Fuel -= 40 // the node claimed 40 more than it used
		return out
	}
	w, s, store, _ := testWorker(t, chain, nil, inflated)
	w.cfg.Fetch = serveFrom(store)
	chain.audited = []usagetypes.Audit{auditOf(t, store, 4)}
	r := commitThenReveal(t, w, chain, s)
	if r.Verdict != usagetypes.Verdict_VERDICT_FAIL || r.Detail != "sample 4 (instance 2): receipt 3 of instance 2: fuel claimed 200, re-executed 160" {
		t.Fatalf("verdict %v: %s", r.Verdict, r.Detail)
	}
}

func TestAuditUnavailable(t *testing.T) {
	chain := &fakeChain{}
	w, s, store, _ := testWorker(t, chain, func(context.Context, string, uint64, uint64, uint64, uint64, reqsign.Signer) (*q1client.AuditHistory, error) {
		return nil, errors.New("connection refused")
	}, honest)
	a := auditOf(t, store, 3)
	chain.audited = []usagetypes.Audit{a}
	w.Step(context.Background())
	if len(s.sent) != 0 {
		t.Fatal("committed while the deadline was far and the data could still come")
	}
	chain.height = a.CommitDeadline - 2
	r := commitThenReveal(t, w, chain, s)
	if r.Verdict != usagetypes.Verdict_VERDICT_UNAVAILABLE || !strings.Contains(r.Detail, "sample 3 (instance 2, receipt 3): history not served: connection refused") {
		t.Fatalf("verdict %v: %s", r.Verdict, r.Detail)
	}
}

// An auditor whose fellow auditors never commit reveals once the commit
// deadline passed, though the chain's stored phase still says commit (it
// moves to reveal only when every auditor committed); not at the deadline
// itself, where the chain (its simulation runs at the last committed
// height) still refuses reveals.
func TestRevealAfterTheCommitDeadlineWithoutEveryCommit(t *testing.T) {
	chain := &fakeChain{}
	w, s, store, _ := testWorker(t, chain, nil, honest)
	w.cfg.Fetch = serveFrom(store)
	a := auditOf(t, store, 2)
	chain.audited = []usagetypes.Audit{a}
	w.Step(context.Background())
	if len(s.sent) != 1 {
		t.Fatalf("%d msgs in the commit phase, want the commit", len(s.sent))
	}
	chain.audited[0].Votes[1].CommittedHeight = 5 // q1other never commits
	chain.height = a.CommitDeadline - 2
	w.Step(context.Background())
	if len(s.sent) != 1 {
		t.Fatalf("revealed before the commit deadline while another auditor had not committed: %v", s.sent)
	}
	chain.height = a.CommitDeadline - 1 // Sync makes it the deadline
	w.Step(context.Background())
	if len(s.sent) != 1 {
		t.Fatalf("revealed at the commit deadline (height %d) with the stored phase %q: the chain refuses it: %v", w.height, chain.audited[0].Phase, s.sent[1:])
	}
	w.Step(context.Background()) // the deadline + 1
	if len(s.sent) != 2 {
		t.Fatalf("%d msgs after the commit deadline with the stored phase %q, want the reveal", len(s.sent), chain.audited[0].Phase)
	}
	if r, ok := s.sent[1].(*usagetypes.MsgAuditReveal); !ok || r.Verdict != usagetypes.Verdict_VERDICT_PASS {
		t.Fatalf("sent %v, want a PASS reveal", s.sent[1])
	}
}

// An auditor that is not served the history asks again at each height for
// half of the commit window (from the publication), then decides
// UNAVAILABLE and commits, leaving the other half for the commit to land.
func TestAuditUnavailableHalfwayThroughTheCommitWindow(t *testing.T) {
	chain := &fakeChain{}
	asked := 0
	w, s, store, _ := testWorker(t, chain, func(context.Context, string, uint64, uint64, uint64, uint64, reqsign.Signer) (*q1client.AuditHistory, error) {
		asked++
		return nil, errors.New("404 page not found (HTTP 404)")
	}, honest)
	a := auditOf(t, store, 3)
	a.PublishedHeight, a.PublishDeadline, a.CommitDeadline, a.RevealDeadline = 100, 150, 300, 400
	chain.audited = []usagetypes.Audit{a}
	chain.height = 100 // Sync: 101, the height after the publication
	for range 99 {     // heights 101 to 199
		w.Step(context.Background())
	}
	if w.height != 199 || asked != 99 || len(s.sent) != 0 {
		t.Fatalf("by height %d: asked %d times (want 99), sent %v (want nothing yet)", w.height, asked, s.sent)
	}
	w.Step(context.Background()) // height 200: half of 100..300
	if len(s.sent) != 1 {
		t.Fatalf("at height %d, halfway through the commit window, %d msgs sent; want the UNAVAILABLE commit", w.height, len(s.sent))
	}
	c := s.sent[0].(*usagetypes.MsgAuditCommit)
	v, err := w.loadVote(a.Id)
	if err != nil || v == nil || v.Verdict != usagetypes.Verdict_VERDICT_UNAVAILABLE || !strings.Contains(v.Detail, "history not served: 404") {
		t.Fatalf("kept vote %+v (%v), want UNAVAILABLE", v, err)
	}
	var rh receipt.Hash
	copy(rh[:], v.ResultHash)
	if want, _ := receipt.Commitment(a.Id, self, uint32(v.Verdict), rh, v.Salt); !bytes.Equal(want[:], c.Commitment) {
		t.Fatal("the commitment is not the kept vote's")
	}
	// Its block refused it (say): it is sent again at the next heights,
	// the same vote, without asking the audited node again.
	w.Step(context.Background())
	if len(s.sent) != 2 || asked != 100 || !bytes.Equal(s.sent[1].(*usagetypes.MsgAuditCommit).Commitment, c.Commitment) {
		t.Fatalf("after a refused commit: %d msgs, asked %d times", len(s.sent), asked)
	}
}

// GiveUpHeight is halfway from the publication to the commit deadline, and
// at least commitMargin blocks before the deadline.
func TestGiveUpHeight(t *testing.T) {
	for _, c := range []struct{ published, publishDeadline, commitDeadline, want int64 }{
		{100, 150, 300, 200},
		{205, 253, 353, 279},
		{0, 150, 250, 200}, // not published: from the publish deadline
		{100, 100, 106, 102},
		{100, 100, 104, 100},
		{100, 100, 102, 98},
	} {
		a := usagetypes.Audit{PublishedHeight: c.published, PublishDeadline: c.publishDeadline, CommitDeadline: c.commitDeadline}
		if got := GiveUpHeight(a); got != c.want {
			t.Errorf("published %d, commit deadline %d: gives up at %d, want %d", c.published, c.commitDeadline, got, c.want)
		}
	}
}

// MayCommit and MayReveal follow x/usage's rules as a tx sent at the
// last committed height h meets them: simulated at h, delivered above h.
func TestMayCommitMayReveal(t *testing.T) {
	a := usagetypes.Audit{PublishedHeight: 60, CommitDeadline: 100, RevealDeadline: 200}
	for _, c := range []struct {
		phase          string
		published      bool
		h              int64
		commit, reveal bool
	}{
		{PhasePublish, false, 50, false, false},
		{PhaseCommit, true, 61, true, false},
		{PhaseCommit, true, 99, true, false},   // lands at 100, the deadline
		{PhaseCommit, true, 100, false, false}, // would land after the deadline; a reveal is simulated at 100
		{PhaseCommit, true, 101, false, true},
		{PhaseReveal, true, 70, false, true}, // every auditor committed
		{PhaseReveal, true, 150, false, true},
	} {
		b := a
		b.Phase = c.phase
		if !c.published {
			b.PublishedHeight = 0
		}
		if got := MayCommit(b, c.h); got != c.commit {
			t.Errorf("phase %s at %d: MayCommit %v, want %v", c.phase, c.h, got, c.commit)
		}
		if got := MayReveal(b, c.h); got != c.reveal {
			t.Errorf("phase %s at %d: MayReveal %v, want %v", c.phase, c.h, got, c.reveal)
		}
	}
}

func TestKeepEpochs(t *testing.T) {
	p := usagetypes.DefaultParams()
	p.ReportWindowEpochs, p.SampleDelayBlocks, p.PublishWindowBlocks, p.CommitWindowBlocks, p.RevealWindowBlocks = 3, 2, 20, 20, 20
	if got := KeepEpochs(p, 20); got != 3+4+1 {
		t.Fatalf("keep %d epochs, want 8", got)
	}
}

// txSender records each transaction's messages, and refuses a
// transaction of several that carries a message refuse says no to, as the
// chain refuses a whole transaction for one message.
type txSender struct {
	txs    [][]sdk.Msg
	refuse func(sdk.Msg) bool
}

func (s *txSender) Exec(_ context.Context, msgs ...sdk.Msg) (hotkey.Result, error) {
	s.txs = append(s.txs, msgs)
	for _, m := range msgs {
		if s.refuse != nil && s.refuse(m) {
			return hotkey.Result{}, &hotkey.TxError{Stage: hotkey.StageSimulation, Codespace: usagetypes.ModuleName,
				Code: usagetypes.ErrInvalidRequest.ABCICode(), Log: "refused"}
		}
	}
	return hotkey.Result{Hash: fmt.Sprintf("TX%d", len(s.txs)), Height: int64(len(s.txs))}, nil
}

// describe names each tx's messages, e.g. [publish 2, publish 3] [commit 7].
func (s *txSender) describe() string {
	var txs []string
	for _, tx := range s.txs {
		var names []string
		for _, m := range tx {
			switch m := m.(type) {
			case *usagetypes.MsgPublishSamples:
				names = append(names, fmt.Sprintf("publish %d", m.AuditId))
			case *usagetypes.MsgAuditCommit:
				names = append(names, fmt.Sprintf("commit %d", m.AuditId))
			case *usagetypes.MsgAuditReveal:
				names = append(names, fmt.Sprintf("reveal %d", m.AuditId))
			}
		}
		txs = append(txs, "["+strings.Join(names, ", ")+"]")
	}
	return strings.Join(txs, " ")
}

// TestOwnPublishFirst: this node's sampled entries are published the
// earliest deadline first, in one tx, and one sampled while the node
// audits others is published before the next of those audits is
// performed, not after all of them: with many audits to do (each a replay),
// waiting for the next step let the short publish window pass, and the
// honest sharer's entry was forfeited and its collateral slashed
// (TestEconomy). The commits, whose deadlines are far, go in one tx.
func TestOwnPublishFirst(t *testing.T) {
	chain := &fakeChain{}
	w, _, store, logs := testWorker(t, chain, nil, honest)
	w.cfg.Fetch = serveFrom(store)
	root := rootOf(t, store)
	own := func(id uint64, deadline int64) usagetypes.Audit {
		return usagetypes.Audit{Id: id, LeaseId: 9, Epoch: 4, Root: root, Phase: PhasePublish, PublishDeadline: deadline,
			Draws: []usagetypes.AuditDraw{{Index: 0}}}
	}
	chain.mine = []usagetypes.Audit{own(3, 60), own(2, 50)}
	first, second := auditOf(t, store, 2), auditOf(t, store, 5)
	second.Id = 8
	chain.audited = []usagetypes.Audit{first, second}
	replays := 0
	w.cfg.Replay = func(_ context.Context, _ string, _ uint64, _ []byte, steps []runtime.ReplayStep) ([]runtime.ReplayOutcome, error) {
		if replays++; replays == 1 {
			chain.mine = append(chain.mine, own(4, 70)) // sampled while this node audits
		}
		return honest(steps), nil
	}
	s := &txSender{}
	w.cfg.Sender = func() Sender { return s }
	w.Step(context.Background())
	if got, want := s.describe(), "[publish 2, publish 3] [publish 4] [commit 7, commit 8]"; got != want {
		t.Fatalf("sent %s, want %s\n%s", got, want, logs)
	}
	if !strings.Contains(logs.String(), `msg="audit verdict committed" audit=8 verdict=VERDICT_PASS tx=TX3 height=3 batch=2`) {
		t.Errorf("no line for audit 8's commit in the batch:\n%s", logs)
	}
}

// TestCommitsAndRevealsBatched: an auditor with many audits sends their
// reveals in one tx and their commits in as few as maxBatch allows; one
// tx per audit took a block each, and on a loaded machine commits missed
// their deadlines (TestEconomy saw up to 14 late commits per node).
func TestCommitsAndRevealsBatched(t *testing.T) {
	chain := &fakeChain{}
	w, _, store, logs := testWorker(t, chain, nil, honest)
	w.cfg.Fetch = serveFrom(store)
	n := maxBatch + 3
	for i := range n {
		a := auditOf(t, store, 2)
		a.Id = uint64(100 + i)
		chain.audited = append(chain.audited, a)
	}
	s := &txSender{}
	w.cfg.Sender = func() Sender { return s }
	w.Step(context.Background())
	if len(s.txs) != 2 || len(s.txs[0]) != maxBatch || len(s.txs[1]) != 3 {
		t.Fatalf("commits of %d audits sent as %s; want one tx of %d and one of 3\n%s", n, s.describe(), maxBatch, logs)
	}
	for i := range chain.audited {
		chain.audited[i].Votes[1].CommittedHeight = 5
		chain.audited[i].Phase = PhaseReveal
	}
	w.Step(context.Background())
	if len(s.txs) != 4 || len(s.txs[2]) != maxBatch || len(s.txs[3]) != 3 {
		t.Fatalf("reveals sent as %s; want one tx of %d and one of 3", s.describe(), maxBatch)
	}
	if _, ok := s.txs[3][2].(*usagetypes.MsgAuditReveal); !ok {
		t.Fatalf("sent %T, want reveals", s.txs[3][2])
	}
}

// TestUrgentCommitNotHeld: a commit whose audit is at its last look before
// the deadline is sent at once, not held while other audits are performed.
func TestUrgentCommitNotHeld(t *testing.T) {
	chain := &fakeChain{height: 59} // the first step is at height 60
	w, _, store, logs := testWorker(t, chain, nil, honest)
	w.cfg.Fetch = serveFrom(store)
	urgent, later := auditOf(t, store, 2), auditOf(t, store, 5)
	urgent.CommitDeadline = 62 // GiveUpHeight 31: past it
	later.Id, later.PublishedHeight, later.CommitDeadline = 8, 59, 300
	chain.audited = []usagetypes.Audit{later, urgent}
	s := &txSender{}
	w.cfg.Sender = func() Sender { return s }
	w.Step(context.Background())
	if got, want := s.describe(), "[commit 7] [commit 8]"; got != want {
		t.Fatalf("sent %s, want %s (the urgent commit alone, first)\n%s", got, want, logs)
	}
}

// TestRefusedBatchSentOneByOne: the chain refuses a whole tx for one of
// its messages (a commit past its deadline, say); the worker then sends
// each message alone, so the others land.
func TestRefusedBatchSentOneByOne(t *testing.T) {
	chain := &fakeChain{}
	w, _, store, logs := testWorker(t, chain, nil, honest)
	w.cfg.Fetch = serveFrom(store)
	for i := range 3 {
		a := auditOf(t, store, 2)
		a.Id = uint64(10 + i)
		chain.audited = append(chain.audited, a)
	}
	s := &txSender{refuse: func(m sdk.Msg) bool {
		c, ok := m.(*usagetypes.MsgAuditCommit)
		return ok && c.AuditId == 11
	}}
	w.cfg.Sender = func() Sender { return s }
	w.Step(context.Background())
	if got, want := s.describe(), "[commit 10, commit 11, commit 12] [commit 10] [commit 11] [commit 12]"; got != want {
		t.Fatalf("sent %s, want %s\n%s", got, want, logs)
	}
	for _, want := range []string{
		`msg="audit verdict committed" audit=10 verdict=VERDICT_PASS tx=TX2 height=2 batch=1`,
		`msg="audit commit failed; trying again at the next height until the deadline" audit=11`,
		`msg="audit verdict committed" audit=12 verdict=VERDICT_PASS tx=TX4 height=4 batch=1`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no line %s:\n%s", want, logs)
		}
	}
}

// TestUnavailableBeforeASlowStepMissesTheDeadline: an auditor whose steps
// take many blocks gives up on a node that does not serve its data early
// enough that its UNAVAILABLE still lands before the commit deadline. It
// waited until 4 blocks before the deadline, which a step of dozens of
// blocks jumped over: the commit was missed, and misses slash the auditor.
func TestUnavailableBeforeASlowStepMissesTheDeadline(t *testing.T) {
	chain := &fakeChain{}
	w, s, store, _ := testWorker(t, chain, func(context.Context, string, uint64, uint64, uint64, uint64, reqsign.Signer) (*q1client.AuditHistory, error) {
		return nil, errors.New("connection refused")
	}, honest)
	a := auditOf(t, store, 3) // commit deadline 100
	chain.audited = []usagetypes.Audit{a}
	w.Step(context.Background()) // height 1
	if len(s.sent) != 0 {
		t.Fatal("committed while the deadline was far and the data could still come")
	}
	// The next step comes 40 blocks later: so may the one after, past the
	// deadline. This look is the last that can commit in time.
	chain.height += 39
	w.Step(context.Background()) // height 41
	if len(s.sent) != 1 {
		t.Fatalf("%d msgs sent at height 41 with steps of 40 blocks and the commit deadline at 100, want the commit", len(s.sent))
	}
	if _, ok := s.sent[0].(*usagetypes.MsgAuditCommit); !ok {
		t.Fatalf("sent %T, want a commit", s.sent[0])
	}
}
