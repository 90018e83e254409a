package keeper_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/x/usage/types"
)

// Audit fixtures: a sharer s1 with a lease of service hello, three other
// active sharers that can audit it, and a report whose entry commits a
// real Merkle-sum tree (core/receipt) over receipts the test keeps, so that
// proofs are real.

const (
	s1Collateral      = 10_000_000
	auditorCollateral = 1_000_000
	fuelPerReceipt    = 1_000_000_000 // a CPU second at the default rate
	requestReceipts   = 20
	// The entry: 20 CPU seconds × 500 + 20 requests × 10/1k = 10,000.2 →
	// 10,000 charged, 500 of it the protocol's (5%).
	wantCharged = 10_000
	wantShare   = 500
)

var auditors = []string{"a1", "a2", "a3"}

// drawHash names the block hash the draw sees.
var drawHash = "block"

type auditFix struct {
	*fixture
	receipts []receipt.Receipt
	tree     *receipt.Tree
	epoch    uint64
}

// newAuditFix reports the entry and runs the draw. mutate changes receipt
// i before the tree is built (nil: honest receipts); params adjusts the
// parameters (audit_probability 1, min_slash 100 and 10⁹ fuel per
// core-second are set first).
func newAuditFix(t *testing.T, mutate func(i int, r *receipt.Receipt), params func(p *types.Params)) *auditFix {
	t.Helper()
	f := newFixture(t)
	p := types.DefaultParams()
	p.AuditProbability = math.LegacyOneDec()
	p.MinSlash = math.NewInt(100)
	// A unit of fuel bills as a nanosecond of CPU, so the charges below read
	// as CPU time.
	p.FuelPerCoreSecond = 1_000_000_000
	if params != nil {
		params(&p)
	}
	noErr(t, f.tx(func(ctx context.Context) error {
		_, err := f.msgs.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.k.Authority(), Params: p})
		return err
	}))
	f.sharerWith("s1", 1000, 0)
	f.collateral("s1", s1Collateral)
	for _, a := range auditors {
		f.sharer(a)
		f.collateral(a, auditorCollateral)
	}
	f.service("hello", 1_000_000, svcOpts{})
	f.acked(1, "s1", "hello", usagePrices, 0)
	f.startEpochNow()
	f.wait(100, time.Second)
	e := f.endEpoch()
	a := &auditFix{fixture: f, epoch: e}
	a.receipts, a.tree = buildReceipts(t, 1, e, testModuleHash("hello"), mutate)
	root := a.tree.Root()
	en := types.UsageEntry{LeaseId: 1, Requests: root.Requests, Fuel: root.Fuel, EgressBytes: root.Egress,
		ReceiptsRoot: root.Hash[:], Receipts: root.Leaves}
	resp, err := f.reportResp("s1", e, en)
	noErr(t, err)
	wantInt(t, "charged", resp.Charged, wantCharged)
	wantInt(t, "protocol share", resp.ProtocolShare, wantShare)
	h := sha256.Sum256([]byte(drawHash))
	f.ctx = f.ctx.WithHeaderHash(h[:])
	f.drawDue()
	f.audit()
	return a
}

// collateral sets name's collateral.
func (f *fixture) collateral(name string, amount int64) {
	s := f.sharers.sharers[f.addr(name)]
	s.Collateral = math.NewInt(amount)
	f.sharers.sharers[f.addr(name)] = s
}

func (f *fixture) collateralOf(name string) math.Int {
	return f.sharers.sharers[f.addr(name)].Collateral
}

// buildReceipts builds one instance's history for lease in epoch: a
// start-up receipt and requestReceipts requests of fuelPerReceipt each,
// chained, seeded and named by module, and the tree over them.
func buildReceipts(t *testing.T, lease, epoch uint64, module []byte, mutate func(int, *receipt.Receipt)) ([]receipt.Receipt, *receipt.Tree) {
	t.Helper()
	var rs []receipt.Receipt
	var prev receipt.Hash
	for i := 0; i <= requestReceipts; i++ {
		r := receipt.Receipt{LeaseID: lease, Meter: 1, Instance: 0, Index: uint64(i), Prev: prev,
			TimeUnixNano: int64(i) * 1000, Seed: receipt.SeedFor(lease, epoch, 0, uint64(i)), Fuel: fuelPerReceipt}
		copy(r.ModuleHash[:], module)
		if i > 0 {
			r.RequestHash = sha256.Sum256([]byte{byte(i)})
			r.ResponseHash = sha256.Sum256([]byte{byte(i), 'r'})
		} else {
			r.Fuel = 0 // the start-up used none
		}
		if mutate != nil {
			mutate(i, &r)
		}
		rs = append(rs, r)
		prev = r.Hash()
	}
	leaves := make([]receipt.Sum, len(rs))
	for i, r := range rs {
		leaves[i] = r.Leaf()
	}
	tree, err := receipt.Build(leaves)
	noErr(t, err)
	return rs, tree
}

func (a *auditFix) get(id uint64) types.Audit {
	a.t.Helper()
	resp, err := a.query.Audit(a.ctx, &types.QueryAuditRequest{Id: id})
	noErr(a.t, err)
	return resp.Audit
}

// samples are the honest samples of audit au: each distinct leaf the
// draws need, in draw order, with its proof.
func (a *auditFix) samples(au types.Audit) []types.Sample {
	var idx []uint64
	for _, d := range au.Draws {
		i := d.Index
		if d.Weighted {
			var err error
			i, err = a.tree.AtFuel(d.Point)
			noErr(a.t, err)
		}
		if !slices.Contains(idx, i) {
			idx = append(idx, i)
		}
	}
	out := make([]types.Sample, 0, len(idx))
	for _, i := range idx {
		proof, err := a.tree.Proof(i)
		noErr(a.t, err)
		out = append(out, types.Sample{Index: i, Receipt: a.receipts[i].Marshal(), Proof: receipt.MarshalProof(proof)})
	}
	return out
}

func (a *auditFix) publish(name string, id uint64, samples []types.Sample) error {
	return a.tx(func(ctx context.Context) error {
		_, err := a.msgs.PublishSamples(ctx, &types.MsgPublishSamples{Sharer: a.addr(name), AuditId: id, Samples: samples})
		return err
	})
}

var resultHash = sha256.Sum256([]byte("what the auditor computed"))

func salt(name string) []byte { s := sha256.Sum256([]byte("salt of " + name)); return s[:20] }

func (a *auditFix) commit(name string, id uint64, v types.Verdict) error {
	c, err := receipt.Commitment(id, a.addr(name), uint32(v), resultHash, salt(name))
	noErr(a.t, err)
	return a.tx(func(ctx context.Context) error {
		_, err := a.msgs.AuditCommit(ctx, &types.MsgAuditCommit{Auditor: a.addr(name), AuditId: id, Commitment: c[:]})
		return err
	})
}

func (a *auditFix) reveal(name string, id uint64, v types.Verdict) (*types.MsgAuditRevealResponse, error) {
	var resp *types.MsgAuditRevealResponse
	err := a.tx(func(ctx context.Context) error {
		var err error
		resp, err = a.msgs.AuditReveal(ctx, &types.MsgAuditReveal{Auditor: a.addr(name), AuditId: id, Verdict: v,
			ResultHash: resultHash[:], Salt: salt(name), Detail: "test"})
		return err
	})
	return resp, err
}

// to moves the chain to height h (one second a block).
func (a *auditFix) to(h int64) { a.wait(h-a.ctx.BlockHeight(), time.Second) }

// assigned returns the audit's auditors by the test's names, in order.
func (a *auditFix) assigned(au types.Audit) []string {
	var out []string
	for _, addr := range au.Auditors {
		for _, n := range auditors {
			if a.addr(n) == addr {
				out = append(out, n)
			}
		}
	}
	return out
}

// everything is all money the fake bank, the escrows and the collateral
// hold.
func (a *auditFix) everything() math.Int {
	sum := a.total()
	for _, s := range a.sharers.sharers {
		if !s.Collateral.IsNil() {
			sum = sum.Add(s.Collateral)
		}
	}
	return sum
}

// TestAuditDrawDeterministic: two chains in the same state draw the same
// audit from the same block hash; another block hash draws other samples.
func TestAuditDrawDeterministic(t *testing.T) {
	a, b := newAuditFix(t, nil, nil), newAuditFix(t, nil, nil)
	x, y := a.get(1), b.get(1)
	if !bytes.Equal(mustMarshal(t, &x), mustMarshal(t, &y)) {
		t.Fatalf("same state, different audits:\n%+v\n%+v", x, y)
	}
	if len(x.Draws) != 10 || len(x.Auditors) != 3 || x.State != types.AuditSampled || x.Phase != types.PhasePublish {
		t.Fatalf("audit: %d draws, %d auditors, %s/%s; want 10, 3, sampled/publish", len(x.Draws), len(x.Auditors), x.State, x.Phase)
	}
	if slices.Contains(x.Auditors, a.addr("s1")) {
		t.Fatal("the audited sharer audits itself")
	}
	h := a.ctx.BlockHeight()
	if x.PublishDeadline != h+20 || x.CommitDeadline != h+40 || x.RevealDeadline != h+60 {
		t.Errorf("deadlines %d/%d/%d at height %d", x.PublishDeadline, x.CommitDeadline, x.RevealDeadline, h)
	}
	r := a.record("hello", a.epoch, 1)
	if r.AuditState != types.AuditSampled || r.AuditId != 1 {
		t.Errorf("record: state %q, audit %d", r.AuditState, r.AuditId)
	}
	wantInt(t, "held", a.services.balance("usage"), wantCharged)

	c := newAuditFixWithHash(t, "another block")
	z := c.get(1)
	if slices.Equal(z.Seed, x.Seed) || slices.EqualFunc(z.Draws, x.Draws, func(p, q types.AuditDraw) bool { return p == q }) {
		t.Error("another block hash drew the same seed and samples")
	}
}

// newAuditFixWithHash is newAuditFix drawn from another block hash.
func newAuditFixWithHash(t *testing.T, hash string) *auditFix {
	t.Helper()
	drawHash = hash
	defer func() { drawHash = "block" }()
	return newAuditFix(t, nil, nil)
}

// TestNotChosenIsPaidAtTheDraw: with audit_probability 0 the entry is paid
// at the draw and recorded unsampled; so is one nobody could audit.
func TestNotChosenIsPaidAtTheDraw(t *testing.T) {
	a := newAuditFix(t, nil, func(p *types.Params) { p.AuditProbability = math.LegacyZeroDec() })
	r := a.record("hello", a.epoch, 1)
	if r.AuditState != types.AuditUnsampled || r.AuditId != 0 {
		t.Fatalf("record: state %q, audit %d; want unsampled", r.AuditState, r.AuditId)
	}
	wantInt(t, "sharer", a.services.balance(a.addr("s1")), wantCharged-wantShare)
	wantInt(t, "fee collector", a.feeCollector(), wantShare)
	wantInt(t, "held", a.services.balance("usage"), 0)
	st, err := a.query.AuditStats(a.ctx, &types.QueryAuditStatsRequest{Sharer: a.addr("s1")})
	noErr(t, err)
	if st.Stats.Unsampled != 1 {
		t.Errorf("unsampled = %d, want 1", st.Stats.Unsampled)
	}
}

// TestPublishSamplesRefused: each way a publication is wrong is refused
// with an error that says which sample and what.
func TestPublishSamplesRefused(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	au := a.get(1)
	good := a.samples(au)
	if len(good) < 2 {
		t.Fatalf("only %d distinct samples", len(good))
	}
	notNeeded := uint64(0)
	for slices.ContainsFunc(good, func(s types.Sample) bool { return s.Index == notNeeded }) {
		notNeeded++
	}
	proofOf := func(i uint64) []byte {
		p, err := a.tree.Proof(i)
		noErr(t, err)
		return receipt.MarshalProof(p)
	}
	inflated := a.receipts[good[0].Index]
	inflated.Fuel *= 2
	cases := []struct {
		name    string
		who     string
		samples func() []types.Sample
		want    []string
	}{
		{"not the audited sharer", "a1", func() []types.Sample { return good }, []string{"audits sharer", "only the audited sharer"}},
		{"none", "s1", func() []types.Sample { return nil }, []string{"no samples"}},
		{"a draw missing", "s1", func() []types.Sample { return good[1:] }, []string{"is covered by no sample"}},
		{"duplicate", "s1", func() []types.Sample { return append([]types.Sample{good[0]}, good[:len(good)-1]...) }, []string{"sample 1", "is already sample 0"}},
		{"a leaf no draw needs", "s1", func() []types.Sample {
			s := slices.Clone(good)
			s[0] = types.Sample{Index: notNeeded, Receipt: a.receipts[notNeeded].Marshal(), Proof: proofOf(notNeeded)}
			return s
		}, []string{"sample 0 (leaf", "no draw needs this receipt"}},
		{"wrong leaf for the proof", "s1", func() []types.Sample {
			s := slices.Clone(good)
			s[0].Receipt = a.receipts[notNeeded].Marshal()
			return s
		}, []string{"sample 0 (leaf", "does not lead to the committed root"}},
		{"inflated fuel", "s1", func() []types.Sample {
			s := slices.Clone(good)
			s[0].Receipt = inflated.Marshal()
			return s
		}, []string{"sample 0 (leaf", "does not lead to the committed root"}},
		{"garbage receipt", "s1", func() []types.Sample {
			s := slices.Clone(good)
			s[0].Receipt = []byte{1, 2, 3}
			return s
		}, []string{"sample 0 (leaf", "receipt: 3 bytes"}},
		{"leaf beyond the tree", "s1", func() []types.Sample {
			s := slices.Clone(good)
			s[0].Index = 1000
			return s
		}, []string{"sample 0 (leaf 1000)", "has 21 leaves"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, a.publish(c.who, 1, c.samples()), c.want...)
		})
	}
	if au := a.get(1); au.PublishedHeight != 0 {
		t.Fatal("a refused publication was stored")
	}
	// Late: after the publish deadline (the EndBlocker has not run yet).
	late := *a
	late.to(au.PublishDeadline + 1)
	wantErr(t, late.publish("s1", 1, good), "publish window of audit 1 closed at height")
	a.to(au.PublishDeadline)
	noErr(t, a.publish("s1", 1, good))
	wantErr(t, a.publish("s1", 1, good), "were published at height")
	if au := a.get(1); au.Phase != types.PhaseCommit || len(au.Samples) != len(good) {
		t.Fatalf("after publishing: phase %s, %d samples", au.Phase, len(au.Samples))
	}
	a.audit()
}

// TestPublishSamplesWrongLeaseOrModule: receipts of another lease, or of
// code the service did not run, or seeded for another epoch, are refused
// even with valid proofs.
func TestPublishSamplesWrongLeaseOrModule(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(int, *receipt.Receipt)
		want   string
	}{
		{"lease", func(_ int, r *receipt.Receipt) { r.LeaseID = 2 }, "the receipt is of lease 2, not the audited lease 1"},
		{"module", func(_ int, r *receipt.Receipt) { r.ModuleHash[0] ^= 1 }, "is not the code of service hello"},
		{"epoch", func(i int, r *receipt.Receipt) { r.Seed = receipt.SeedFor(1, 99, 0, uint64(i)) }, "it was not run in the audited epoch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAuditFix(t, c.mutate, nil)
			wantErr(t, a.publish("s1", 1, a.samples(a.get(1))), "sample 0 (leaf", c.want)
		})
	}
}

// TestCommitRevealRules: who may commit and reveal, once, and when.
func TestCommitRevealRules(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	au := a.get(1)
	names := a.assigned(au)
	pass := types.Verdict_VERDICT_PASS
	wantErr(t, a.commit(names[0], 1, pass), "the samples are not published yet")
	noErr(t, a.publish("s1", 1, a.samples(au)))
	wantErr(t, a.commit("s1", 1, pass), "is not an auditor of audit 1")
	noErr(t, a.commit(names[0], 1, pass))
	wantErr(t, a.commit(names[0], 1, pass), "already committed to audit 1")
	_, err := a.reveal(names[0], 1, pass)
	wantErr(t, err, "reveals open after the commit deadline")
	_, err = a.reveal(names[1], 1, pass)
	wantErr(t, err, "did not commit to audit 1")
	noErr(t, a.commit(names[1], 1, pass))
	a.to(au.CommitDeadline)
	if p := a.get(1).Phase; p != types.PhaseCommit {
		t.Fatalf("phase %q at the commit deadline with an auditor yet to commit, want commit", p)
	}
	a.to(au.CommitDeadline + 1)
	// The third auditor never committed: the stored phase still says
	// commit, but commits are closed, and queries say reveal.
	if p := a.get(1).Phase; p != types.PhaseReveal {
		t.Fatalf("phase %q after the commit deadline, want reveal", p)
	}
	wantErr(t, a.commit(names[2], 1, pass), "commit window of audit 1 closed")
	_, err = a.reveal(names[0], 1, types.Verdict_VERDICT_FAIL)
	wantErr(t, err, "does not match the commitment")
	resp, err := a.reveal(names[0], 1, pass)
	noErr(t, err)
	if resp.Resolved {
		t.Fatal("resolved before every auditor revealed")
	}
	_, err = a.reveal(names[0], 1, pass)
	wantErr(t, err, "already revealed")
	a.to(au.RevealDeadline + 1)
	_, err = a.reveal(names[1], 1, pass)
	wantErr(t, err, "reveal window of audit 1 closed")
	a.audit()
}

// TestRevealsOpenOnceAllCommitted: when every auditor committed, reveals
// need not wait for the commit deadline, and the last one resolves.
func TestRevealsOpenOnceAllCommitted(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	au := a.get(1)
	noErr(t, a.publish("s1", 1, a.samples(au)))
	names := a.assigned(au)
	for _, n := range names {
		noErr(t, a.commit(n, 1, types.Verdict_VERDICT_PASS))
	}
	for i, n := range names {
		resp, err := a.reveal(n, 1, types.Verdict_VERDICT_PASS)
		noErr(t, err)
		if resp.Resolved != (i == len(names)-1) {
			t.Fatalf("reveal %d: resolved %v", i, resp.Resolved)
		}
	}
	if got := a.get(1); got.State != types.AuditProven || got.Phase != types.PhaseResolved {
		t.Fatalf("audit %s/%s, want proven/resolved", got.State, got.Phase)
	}
	a.audit()
}

// vote runs a published audit where the assigned auditors reveal verdicts
// (VERDICT_UNSPECIFIED: does not commit) and resolves it at the reveal
// deadline; it returns the audit and the auditors' names in order.
func (a *auditFix) vote(verdicts ...types.Verdict) (types.Audit, []string) {
	a.t.Helper()
	au := a.get(1)
	noErr(a.t, a.publish("s1", 1, a.samples(au)))
	names := a.assigned(au)
	for i, v := range verdicts {
		if v != types.Verdict_VERDICT_UNSPECIFIED {
			noErr(a.t, a.commit(names[i], 1, v))
		}
	}
	a.to(au.CommitDeadline + 1)
	for i, v := range verdicts {
		if v != types.Verdict_VERDICT_UNSPECIFIED {
			_, err := a.reveal(names[i], 1, v)
			noErr(a.t, err)
		}
	}
	if got := a.get(1); got.Phase != types.PhaseResolved {
		a.to(au.RevealDeadline)
		a.endBlock()
	}
	a.audit()
	return a.get(1), names
}

func (a *auditFix) stats(name string) types.AuditStats {
	resp, err := a.query.AuditStats(a.ctx, &types.QueryAuditStatsRequest{Sharer: a.addr(name)})
	noErr(a.t, err)
	return resp.Stats
}

// TestAuditProven: three PASS verdicts pay the sharer its part, the
// auditors 10% of the protocol share (50 → 16 each, 48 in all) and the fee
// collector the rest.
func TestAuditProven(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	before := a.everything()
	P := types.Verdict_VERDICT_PASS
	au, names := a.vote(P, P, P)
	if au.State != types.AuditProven {
		t.Fatalf("state %s (%s)", au.State, au.Resolution)
	}
	wantInt(t, "sharer", a.services.balance(a.addr("s1")), wantCharged-wantShare)
	for _, n := range names {
		wantInt(t, "auditor "+n, a.services.balance(a.addr(n)), 16)
		if st := a.stats(n); st.AuditsPerformed != 1 || st.AuditsMissed != 0 {
			t.Errorf("%s: %+v", n, st)
		}
	}
	wantInt(t, "fee collector", a.feeCollector(), wantShare-48)
	wantInt(t, "auditor fees", au.AuditorFees, 48)
	wantInt(t, "held", a.services.balance("usage"), 0)
	wantInt(t, "collateral", a.collateralOf("s1"), s1Collateral)
	if r := a.record("hello", a.epoch, 1); r.AuditState != types.AuditProven {
		t.Errorf("record state %s", r.AuditState)
	}
	if st := a.stats("s1"); st.AuditsPassed != 1 {
		t.Errorf("s1: %+v", st)
	}
	if !a.everything().Equal(before) {
		t.Errorf("money %s → %s", before, a.everything())
	}
}

// TestAuditFailed: two FAIL verdicts against one PASS refund the whole
// charge to the escrow, slash 3 × 10,000 from s1 (10% of it, 3000, to the
// two finders, the rest burned), and count a miss for the PASS auditor.
func TestAuditFailed(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	escrow := a.services.escrows["hello"]
	before := a.everything()
	F, P := types.Verdict_VERDICT_FAIL, types.Verdict_VERDICT_PASS
	au, names := a.vote(F, F, P)
	if au.State != types.AuditFailed {
		t.Fatalf("state %s (%s)", au.State, au.Resolution)
	}
	wantInt(t, "escrow", a.services.escrows["hello"], escrow.Int64()+wantCharged)
	wantInt(t, "refunded", au.Refunded, wantCharged)
	wantInt(t, "slashed", au.Slashed, 3*wantCharged)
	wantInt(t, "burned", au.Burned, 3*wantCharged-3000)
	wantInt(t, "collateral", a.collateralOf("s1"), s1Collateral-3*wantCharged)
	wantInt(t, "finder "+names[0], a.services.balance(a.addr(names[0])), 1500)
	wantInt(t, "finder "+names[1], a.services.balance(a.addr(names[1])), 1500)
	wantInt(t, "outvoted "+names[2], a.services.balance(a.addr(names[2])), 0)
	if st := a.stats(names[2]); st.AuditsMissed != 1 || st.ConsecutiveMisses != 1 {
		t.Errorf("outvoted auditor: %+v", st)
	}
	wantInt(t, "sharer", a.services.balance(a.addr("s1")), 0)
	wantInt(t, "fee collector", a.feeCollector(), 0)
	wantInt(t, "held", a.services.balance("usage"), 0)
	r := a.record("hello", a.epoch, 1)
	if r.AuditState != types.AuditFailed || !r.Charged.IsZero() || !r.Refunded.Equal(math.NewInt(wantCharged)) {
		t.Errorf("record: %s, charged %s, refunded %s", r.AuditState, r.Charged, r.Refunded)
	}
	acct, err := a.k.GetAccount(a.ctx, "hello")
	noErr(t, err)
	wantInt(t, "account usage charged", acct.UsageCharged, 0)
	wantInt(t, "account protocol share", acct.ProtocolShare, 0)
	if st := a.stats("s1"); st.AuditsFailed != 1 {
		t.Errorf("s1: %+v", st)
	}
	if got := before.Sub(a.everything()); !got.Equal(au.Burned) || !a.sharers.burned.Equal(au.Burned) {
		t.Errorf("money lost %s, burned %s (fake counted %s)", got, au.Burned, a.sharers.burned)
	}
}

// TestAuditForfeitedUnpublished: no publication by the deadline refunds
// the charge and slashes s1, all burned; the auditors miss nothing.
func TestAuditForfeitedUnpublished(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	escrow := a.services.escrows["hello"]
	au := a.get(1)
	a.to(au.PublishDeadline)
	a.endBlock()
	a.audit()
	au = a.get(1)
	if au.State != types.AuditForfeited || au.Phase != types.PhaseResolved {
		t.Fatalf("audit %s/%s", au.State, au.Phase)
	}
	wantInt(t, "escrow", a.services.escrows["hello"], escrow.Int64()+wantCharged)
	wantInt(t, "slashed", au.Slashed, 3*wantCharged)
	wantInt(t, "burned", au.Burned, 3*wantCharged)
	wantInt(t, "collateral", a.collateralOf("s1"), s1Collateral-3*wantCharged)
	for _, n := range a.assigned(au) {
		if st := a.stats(n); st.AuditsMissed != 0 {
			t.Errorf("%s missed an audit with nothing to audit: %+v", n, st)
		}
	}
	if st := a.stats("s1"); st.AuditsForfeited != 1 {
		t.Errorf("s1: %+v", st)
	}
	wantErr(t, a.publish("s1", 1, a.samples(au)), "audit 1 was resolved")
}

// TestAuditForfeitedUnavailable: a majority of UNAVAILABLE verdicts
// forfeits the entry.
func TestAuditForfeitedUnavailable(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	U, P := types.Verdict_VERDICT_UNAVAILABLE, types.Verdict_VERDICT_PASS
	au, names := a.vote(U, U, P)
	if au.State != types.AuditForfeited {
		t.Fatalf("state %s (%s)", au.State, au.Resolution)
	}
	wantInt(t, "finder", a.services.balance(a.addr(names[0])), 1500)
	wantInt(t, "refunded", au.Refunded, wantCharged)
}

// TestAuditTieAndSilence: a tie, or no reveal at all, lets the claim
// stand; whoever did not reveal the outcome's verdict misses.
func TestAuditTieAndSilence(t *testing.T) {
	P, F, none := types.Verdict_VERDICT_PASS, types.Verdict_VERDICT_FAIL, types.Verdict_VERDICT_UNSPECIFIED
	a := newAuditFix(t, nil, nil)
	au, names := a.vote(P, F, none)
	if au.State != types.AuditProven {
		t.Fatalf("tie: state %s (%s)", au.State, au.Resolution)
	}
	wantInt(t, "sharer", a.services.balance(a.addr("s1")), wantCharged-wantShare)
	wantInt(t, "the PASS auditor", a.services.balance(a.addr(names[0])), 50) // all of 10% of 500
	for _, n := range names[1:] {
		if st := a.stats(n); st.AuditsMissed != 1 {
			t.Errorf("%s: %+v", n, st)
		}
	}

	b := newAuditFix(t, nil, nil)
	au, names = b.vote(none, none, none)
	if au.State != types.AuditProven || !au.AuditorFees.IsZero() {
		t.Fatalf("silence: state %s, fees %s", au.State, au.AuditorFees)
	}
	wantInt(t, "fee collector", b.feeCollector(), wantShare)
	for _, n := range names {
		if st := b.stats(n); st.AuditsMissed != 1 {
			t.Errorf("%s: %+v", n, st)
		}
	}
}

// TestLiarOutvoted: one FAIL against two PASS: proven, the liar misses and
// earns nothing.
func TestLiarOutvoted(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	P, F := types.Verdict_VERDICT_PASS, types.Verdict_VERDICT_FAIL
	au, names := a.vote(F, P, P)
	if au.State != types.AuditProven {
		t.Fatalf("state %s", au.State)
	}
	wantInt(t, "liar", a.services.balance(a.addr(names[0])), 0)
	wantInt(t, "honest", a.services.balance(a.addr(names[1])), 25)
	if st := a.stats(names[0]); st.AuditsMissed != 1 || st.ConsecutiveMisses != 1 {
		t.Errorf("liar: %+v", st)
	}
	if !au.Votes[0].Missed || au.Votes[1].Missed {
		t.Errorf("votes: %+v", au.Votes)
	}
}

// TestAuditorMissesSlashed: at params.auditor_miss_limit consecutive
// misses, the auditor loses auditor_miss_slash of its collateral (burned)
// and counting starts again.
func TestAuditorMissesSlashed(t *testing.T) {
	a := newAuditFix(t, nil, func(p *types.Params) { p.AuditorMissLimit = 1 })
	before := a.everything()
	P, none := types.Verdict_VERDICT_PASS, types.Verdict_VERDICT_UNSPECIFIED
	_, names := a.vote(P, P, none)
	wantInt(t, "the silent auditor's collateral", a.collateralOf(names[2]), auditorCollateral-auditorCollateral/100)
	if st := a.stats(names[2]); st.AuditsMissed != 1 || st.ConsecutiveMisses != 0 {
		t.Errorf("after the slash: %+v", st)
	}
	wantInt(t, "money burned", before.Sub(a.everything()), auditorCollateral/100)
	wantInt(t, "an honest auditor's collateral", a.collateralOf(names[0]), auditorCollateral)
}

// TestAuditsQuery lists audits by service, sharer and auditor.
func TestAuditsQuery(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	au := a.get(1)
	for _, req := range []*types.QueryAuditsRequest{
		{Service: "hello"}, {Sharer: a.addr("s1")}, {Auditor: au.Auditors[0]}, {Service: "hello", OpenOnly: true},
	} {
		resp, err := a.query.Audits(a.ctx, req)
		noErr(t, err)
		if len(resp.Audits) != 1 || resp.Audits[0].Id != 1 {
			t.Errorf("%+v: %d audits", req, len(resp.Audits))
		}
	}
	_, err := a.query.Audits(a.ctx, &types.QueryAuditsRequest{})
	wantErr(t, err, "name exactly one")
	_, err = a.query.Audit(a.ctx, &types.QueryAuditRequest{Id: 9})
	wantErr(t, err, "audit 9 does not exist")
}

// TestAuditGenesisRoundTrip: an open audit and the held charge survive an
// export and import, and the imported chain resolves it the same way.
func TestAuditGenesisRoundTrip(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	gs, err := a.k.ExportGenesis(a.ctx)
	noErr(t, err)
	if len(gs.Audits) != 1 || gs.NextAuditId != 2 {
		t.Fatalf("exported %d audits, next id %d", len(gs.Audits), gs.NextAuditId)
	}
	noErr(t, gs.Validate())
	b := newFixture(t)
	noErr(t, b.k.InitGenesis(b.ctx, gs))
	again, err := b.k.ExportGenesis(b.ctx)
	noErr(t, err)
	if len(again.Audits) != 1 || !bytes.Equal(mustMarshal(t, &again.Audits[0]), mustMarshal(t, &gs.Audits[0])) || again.NextAuditId != 2 {
		t.Fatal("audits changed in the round trip")
	}
}

func mustMarshal(t *testing.T, a *types.Audit) []byte {
	t.Helper()
	b, err := a.Marshal()
	noErr(t, err)
	return b
}

// FuzzPublishSamples: whatever bytes a publication carries, the handler
// never panics, and only the honest samples are accepted.
func FuzzPublishSamples(f *testing.F) {
	f.Add(uint8(0), uint16(0), byte(0), false)
	f.Add(uint8(1), uint16(40), byte(1), false)
	f.Add(uint8(2), uint16(3), byte(0x80), true)
	f.Fuzz(func(t *testing.T, which uint8, at uint16, xor byte, proof bool) {
		a := newAuditFix(t, nil, nil)
		samples := a.samples(a.get(1))
		s := &samples[int(which)%len(samples)]
		field := &s.Receipt
		if proof {
			field = &s.Proof
		}
		b := slices.Clone(*field)
		if len(b) > 0 {
			b[int(at)%len(b)] ^= xor
		}
		*field = b
		err := a.publish("s1", 1, samples)
		if xor == 0 && err != nil {
			t.Fatalf("honest samples refused: %v", err)
		}
		if xor != 0 && err == nil {
			t.Fatalf("a changed %s byte %d was accepted", map[bool]string{true: "proof", false: "receipt"}[proof], int(at)%len(b))
		}
	})
}
