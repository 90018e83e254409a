package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/hotkey"
	"github.com/quantum1net/q1/node/receipts"
	"github.com/quantum1net/q1/node/replicas"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

func TestStaleData(t *testing.T) {
	for _, c := range []struct {
		name                  string
		known, exists, paused bool
		stale                 bool
	}{
		{"chain did not answer", false, true, false, false},
		{"chain did not answer, no record seen", false, false, false, false},
		{"paused: kept through the grace for a resume", true, true, true, false},
		{"deleted (after the grace, or by its owners)", true, false, false, true},
		{"running on other sharers", true, true, false, true},
	} {
		if got := staleData(c.known, c.exists, c.paused); got != c.stale {
			t.Errorf("%s: staleData = %v, want %v", c.name, got, c.stale)
		}
	}
}

// fakeChain answers the agent's reads from fixed values.
type fakeChain struct {
	epoch    uint64
	ended    sharerstypes.EpochInfo
	leases   map[uint64]sharerstypes.Lease
	reported bool
}

func (f *fakeChain) Sync(context.Context) (int64, error) { return 1, nil }
func (f *fakeChain) Leases(context.Context, string) ([]sharerstypes.Lease, error) {
	return nil, nil
}
func (f *fakeChain) Manifest(string) (*manifest.Manifest, bool) { return nil, false }
func (f *fakeChain) Status(string) gateway.ServiceState         { return gateway.ServiceState{} }
func (f *fakeChain) Epoch(context.Context) (uint64, error)      { return f.epoch, nil }
func (f *fakeChain) EndedEpoch(_ context.Context, n uint64) (sharerstypes.EpochInfo, error) {
	if n != f.ended.Number {
		return sharerstypes.EpochInfo{}, fmt.Errorf("epoch %d unknown", n)
	}
	return f.ended, nil
}
func (f *fakeChain) Lease(_ context.Context, id uint64) (sharerstypes.Lease, bool, error) {
	l, ok := f.leases[id]
	return l, ok, nil
}
func (f *fakeChain) Reported(context.Context, string, uint64) (bool, error) { return f.reported, nil }

// fakeReplicas serves every service with the lease it names.
type fakeReplicas struct{ serving map[string]uint64 }

func (f fakeReplicas) Reconcile([]replicas.Desired) {}
func (f fakeReplicas) Serving(service string) (uint64, bool) {
	l, ok := f.serving[service]
	return l, ok
}
func (f fakeReplicas) DataServices() ([]string, error) { return nil, nil }
func (f fakeReplicas) RemoveData(string) error         { return nil }
func (f fakeReplicas) SetEpoch(uint64)                 {}

// fakeSender answers each Exec with the next of its answers.
type fakeSender struct {
	answers []error
	sent    [][]sdk.Msg
}

func (f *fakeSender) Exec(_ context.Context, msgs ...sdk.Msg) (hotkey.Result, error) {
	f.sent = append(f.sent, msgs)
	var err error
	if len(f.answers) > 0 {
		err, f.answers = f.answers[0], f.answers[1:]
	}
	if err != nil {
		return hotkey.Result{}, err
	}
	return hotkey.Result{Hash: fmt.Sprintf("TX%d", len(f.sent)), Height: 10, Attempts: 1}, nil
}

const testSharer = "q11sharer"

func testAgent(t *testing.T, chain Chain, reps Replicas, s Sender) (*Agent, *bytes.Buffer) {
	t.Helper()
	store, err := receipts.Open(filepath.Join(t.TempDir(), "receipts"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	meter, err := LoadMeter(filepath.Join(t.TempDir(), "usage.json"), store)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	return &Agent{
		chain: chain, replicas: reps, meter: meter, sender: s, sharer: testSharer, acked: map[uint64]bool{},
		log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, &logs
}

// serve stores the receipts of an instance of lease in epoch that served
// n requests.
func serve(s *receipts.Store, lease, epoch uint64, n int) {
	var prev receipt.Hash
	for i := 0; i <= n; i++ {
		r := receipt.Receipt{LeaseID: lease, Index: uint64(i), Prev: prev, Seed: receipt.SeedFor(lease, epoch, 0, uint64(i)),
			Fuel: 1000, EgressBytes: 10}
		var req []byte
		if i > 0 {
			req = []byte("request")
			r.RequestHash = sha256.Sum256(req)
		}
		s.Receipt(r, req, nil)
		prev = r.Hash()
	}
}

// blockRefusal is a tx a block refused with a registered error.
func blockRefusal(e *errorsmod.Error) error {
	return &hotkey.TxError{Stage: hotkey.StageBlock, Hash: "AB12", Height: 9, Codespace: e.Codespace(), Code: e.ABCICode(),
		Log: "out of gas in location: WriteFlat; gasWanted: 172639, gasUsed: 173979", GasWanted: 172639, GasUsed: 173979}
}

// TestAckCountsOnlyCommitted: a lease whose acknowledgement failed in its
// block is logged as failed, not acknowledged, and acknowledged again at
// the next height; once committed it is logged acknowledged and left alone.
func TestAckCountsOnlyCommitted(t *testing.T) {
	s := &fakeSender{answers: []error{fmt.Errorf("gave up after 4 attempts: %w", blockRefusal(sdkerrors.ErrOutOfGas))}}
	a, logs := testAgent(t, &fakeChain{}, fakeReplicas{serving: map[string]uint64{"hello": 7}}, s)
	leases := []sharerstypes.Lease{{Id: 7, Service: "hello", Sharer: testSharer}, {Id: 8, Service: "echo", Sharer: testSharer}}

	a.acknowledge(context.Background(), testSharer, leases)
	if a.wasAcked(7) || strings.Contains(logs.String(), `msg="lease acknowledged"`) {
		t.Fatalf("a failed acknowledgement counted as done:\n%s", logs)
	}
	for _, want := range []string{`msg="lease acknowledgement failed`, "lease=7", "stage=block", "codespace=sdk", "code=11", "tx=AB12", "gas_wanted=172639", "gas_used=173979"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the failure's log line lacks %q:\n%s", want, logs)
		}
	}
	a.acknowledge(context.Background(), testSharer, leases) // the next height
	if !a.wasAcked(7) || !strings.Contains(logs.String(), `msg="lease acknowledged" service=hello lease=7 tx=TX2`) {
		t.Fatalf("the second acknowledgement was not counted:\n%s", logs)
	}
	a.acknowledge(context.Background(), testSharer, leases)
	if len(s.sent) != 2 {
		t.Fatalf("%d acknowledgements sent; want 2 (lease 8's replica does not serve)", len(s.sent))
	}
}

// TestAckStopsWhenTheChainDoesNotAnswer: after an acknowledgement whose
// outcome the chain did not give (not committed in time), the others wait
// for the next height rather than for the same timeout each; after the
// chain's verdict on one lease, the others still go.
func TestAckStopsWhenTheChainDoesNotAnswer(t *testing.T) {
	leases := []sharerstypes.Lease{{Id: 7, Service: "hello", Sharer: testSharer}, {Id: 8, Service: "echo", Sharer: testSharer}}
	reps := fakeReplicas{serving: map[string]uint64{"hello": 7, "echo": 8}}

	s := &fakeSender{answers: []error{fmt.Errorf("tx AB12 passed CheckTx but was not seen in a block within 30s: %w", hotkey.ErrNotCommitted)}}
	a, _ := testAgent(t, &fakeChain{}, reps, s)
	a.acknowledge(context.Background(), testSharer, leases)
	if len(s.sent) != 1 {
		t.Fatalf("%d acknowledgements sent after one was not committed in time; want 1", len(s.sent))
	}

	s = &fakeSender{answers: []error{&hotkey.TxError{Stage: hotkey.StageSimulation, Codespace: sharerstypes.ModuleName,
		Code: sharerstypes.ErrLeaseClosed.ABCICode(), Log: "lease 7 of service hello closed at height 5"}}}
	a, _ = testAgent(t, &fakeChain{}, reps, s)
	a.acknowledge(context.Background(), testSharer, leases)
	if len(s.sent) != 2 || !a.wasAcked(8) || a.wasAcked(7) {
		t.Fatalf("%d acknowledgements sent after the chain refused one; want 2, lease 8 acknowledged", len(s.sent))
	}
}

// TestAckAlreadyAcknowledged: the chain's ErrAlreadyAcked (by its code)
// means the lease is acknowledged.
func TestAckAlreadyAcknowledged(t *testing.T) {
	s := &fakeSender{answers: []error{&hotkey.TxError{Stage: hotkey.StageSimulation, Codespace: sharerstypes.ModuleName,
		Code: sharerstypes.ErrAlreadyAcked.ABCICode(), Log: "lease 7 of service hello was acknowledged at height 5"}}}
	a, logs := testAgent(t, &fakeChain{}, fakeReplicas{serving: map[string]uint64{"hello": 7}}, s)
	a.acknowledge(context.Background(), testSharer, []sharerstypes.Lease{{Id: 7, Service: "hello", Sharer: testSharer}})
	if !a.wasAcked(7) || strings.Contains(logs.String(), "failed") {
		t.Fatalf("already acknowledged: acked %v\n%s", a.wasAcked(7), logs)
	}
}

func TestOpenDuring(t *testing.T) {
	e := sharerstypes.EpochInfo{Number: 5, StartHeight: 100, EndHeight: 119}
	for _, c := range []struct {
		placed, closed int64
		open           bool
	}{
		{50, 0, true},     // open throughout
		{119, 0, true},    // placed in the epoch's last block
		{120, 0, false},   // placed after it
		{50, 100, true},   // closed in its first block
		{50, 99, false},   // closed before it
		{110, 115, true},  // placed and closed inside it
		{120, 125, false}, // placed and closed after it
	} {
		if got := openDuring(sharerstypes.Lease{PlacedHeight: c.placed, ClosedHeight: c.closed}, e); got != c.open {
			t.Errorf("placed %d, closed %d, epoch %d-%d: open during it %v, want %v", c.placed, c.closed, e.StartHeight, e.EndHeight, got, c.open)
		}
	}
}

// TestReportOnlyLeasesOpenDuringTheEpoch: usage counted for a lease that
// was not open during the epoch (served after its lease closed, or counted
// before it began) is dropped from the report, which the chain would
// refuse whole for it; the rest is sent, and once a block committed the
// report the meter forgets the epoch.
func TestReportOnlyLeasesOpenDuringTheEpoch(t *testing.T) {
	chain := &fakeChain{
		epoch: 6,
		ended: sharerstypes.EpochInfo{Number: 5, StartHeight: 100, EndHeight: 119},
		leases: map[uint64]sharerstypes.Lease{
			1: {Id: 1, Sharer: testSharer, PlacedHeight: 50},
			2: {Id: 2, Sharer: testSharer, PlacedHeight: 50, ClosedHeight: 90},
			3: {Id: 3, Sharer: testSharer, PlacedHeight: 120},
			4: {Id: 4, Sharer: testSharer, PlacedHeight: 50, ClosedHeight: 110},
			6: {Id: 6, Sharer: "q11other", PlacedHeight: 50},
		},
	}
	s := &fakeSender{answers: []error{fmt.Errorf("gave up after 4 attempts: %w", blockRefusal(sdkerrors.ErrOutOfGas))}}
	a, logs := testAgent(t, chain, fakeReplicas{}, s)
	a.meter.SetEpoch(5)
	for _, l := range []uint64{1, 2, 3, 4, 5, 6} {
		a.meter.Add(l, time.Millisecond, 1000, 10)
		serve(a.meter.receipts.(*receipts.Store), l, 5, 1)
	}
	a.meter.Add(1, time.Millisecond, 1000, 10) // served, but its receipt was not kept

	a.report(context.Background(), testSharer)
	if a.reported != 0 || !strings.Contains(logs.String(), `msg="usage report failed`) {
		t.Fatalf("a failed report counted as sent (reported %d):\n%s", a.reported, logs)
	}
	if n, _ := a.meter.Counted(5, 1); n != 2 {
		t.Fatalf("%d requests counted after a failed report, want 2", n)
	}
	a.report(context.Background(), testSharer)
	if len(s.sent) != 2 {
		t.Fatalf("%d reports sent; want 2", len(s.sent))
	}
	msg := s.sent[1][0].(*usagetypes.MsgUsageReport)
	var ids []uint64
	for _, e := range msg.Entries {
		ids = append(ids, e.LeaseId)
	}
	if msg.Epoch != 5 || fmt.Sprint(ids) != "[1 4]" {
		t.Fatalf("report of epoch %d with leases %v; want epoch 5 with leases [1 4]", msg.Epoch, ids)
	}
	tr, err := a.meter.receipts.Tree(1, 5)
	if err != nil {
		t.Fatal(err)
	}
	root := tr.Root()
	if e := msg.Entries[0]; e.Requests != 1 || e.Receipts != 2 || e.Fuel != root.Fuel || e.EgressBytes != root.Egress ||
		!bytes.Equal(e.ReceiptsRoot, root.Hash[:]) {
		t.Fatalf("entry %+v is not the root %+v of lease 1's receipts", e, root)
	}
	if !strings.Contains(logs.String(), "requests served without a kept receipt are not billed\" epoch=5 lease=1 counted=2 in_receipts=1") {
		t.Errorf("no line about the request without a receipt:\n%s", logs)
	}
	for _, want := range []string{"lease=2 requests=1 why=\"the lease was not open during the epoch\"", "lease=3", "lease=5 requests=1 why=\"the chain has no such lease\"", "lease=6 requests=1 why=\"the lease is held by q11other\""} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no debug line with %q:\n%s", want, logs)
		}
	}
	if n, _ := a.meter.Counted(5, 1); a.reported != 5 || n != 0 || !strings.Contains(logs.String(), `msg="usage reported" epoch=5 leases=2 tx=TX2`) {
		t.Fatalf("after the committed report: reported %d, counted %d\n%s", a.reported, n, logs)
	}
}

// TestReportAlreadyOnChain: the chain's ErrDuplicateReport means the
// epoch is reported.
func TestReportAlreadyOnChain(t *testing.T) {
	chain := &fakeChain{epoch: 6, ended: sharerstypes.EpochInfo{Number: 5, StartHeight: 100, EndHeight: 119}}
	s := &fakeSender{answers: []error{&hotkey.TxError{Stage: hotkey.StageCheck, Hash: "CD34", Codespace: usagetypes.ModuleName,
		Code: usagetypes.ErrDuplicateReport.ABCICode(), Log: "already reported"}}}
	a, _ := testAgent(t, chain, fakeReplicas{}, s)
	a.report(context.Background(), testSharer)
	if a.reported != 5 {
		t.Fatalf("reported %d after the chain said it has the report; want 5", a.reported)
	}
}

// backfillChain is fakeChain with several ended epochs and per-epoch reports.
type backfillChain struct {
	fakeChain
	epochs   map[uint64]sharerstypes.EpochInfo
	reported map[uint64]bool
}

func (f *backfillChain) EndedEpoch(_ context.Context, n uint64) (sharerstypes.EpochInfo, error) {
	e, ok := f.epochs[n]
	if !ok {
		return sharerstypes.EpochInfo{}, fmt.Errorf("epoch %d unknown", n)
	}
	return e, nil
}
func (f *backfillChain) Reported(_ context.Context, _ string, n uint64) (bool, error) {
	return f.reported[n], nil
}

// TestReportBackfillsMissedEpochs: usage of an epoch whose report never
// went out (the node was stopped in it, or every attempt failed) is
// reported after the heartbeat of the epoch that just ended, oldest first.
// A failure that is not the chain's answer is tried again at the next
// height; a chain refusal (too old, or any module rule) settles that epoch
// and holds up no other. Reporting only the epoch that just ended billed
// that usage to no one.
func TestReportBackfillsMissedEpochs(t *testing.T) {
	chain := &backfillChain{
		fakeChain: fakeChain{epoch: 8, leases: map[uint64]sharerstypes.Lease{1: {Id: 1, Sharer: testSharer, PlacedHeight: 50}}},
		epochs: map[uint64]sharerstypes.EpochInfo{
			3: {Number: 3, StartHeight: 60, EndHeight: 79}, 4: {Number: 4, StartHeight: 80, EndHeight: 99},
			5: {Number: 5, StartHeight: 100, EndHeight: 119}, 6: {Number: 6, StartHeight: 120, EndHeight: 139},
			7: {Number: 7, StartHeight: 140, EndHeight: 159},
		},
		reported: map[uint64]bool{3: true},
	}
	refusal := func(e *errorsmod.Error, log string) error {
		return &hotkey.TxError{Stage: hotkey.StageCheck, Hash: "AB12", Codespace: e.Codespace(), Code: e.ABCICode(), Log: log}
	}
	s := &fakeSender{answers: []error{
		nil,                              // 7, the heartbeat
		errors.New("connection refused"), // 4: not the chain's answer, again at the next height
		refusal(usagetypes.ErrReportTooOld, "epoch 4 ended more than 3 epochs ago"),
		refusal(usagetypes.ErrInvalidEntry, "some rule"), // 5: settled
		nil, // 6
	}}
	a, logs := testAgent(t, chain, fakeReplicas{}, s)
	for _, e := range []uint64{3, 4, 5, 6, 7} {
		a.meter.SetEpoch(e)
		a.meter.Add(1, time.Millisecond, 1000, 10)
		serve(a.meter.receipts.(*receipts.Store), 1, e, 1)
	}
	sentEpochs := func() string {
		var epochs []uint64
		for _, m := range s.sent {
			epochs = append(epochs, m[0].(*usagetypes.MsgUsageReport).Epoch)
		}
		return fmt.Sprint(epochs)
	}
	a.report(context.Background(), testSharer)
	if got := sentEpochs(); got != "[7 4]" || a.reported != 7 {
		t.Fatalf("first height: reports sent for epochs %s, reported %d; want [7 4], 7\n%s", got, a.reported, logs)
	}
	a.report(context.Background(), testSharer)
	if got := sentEpochs(); got != "[7 4 4 5 6]" {
		t.Fatalf("second height: reports sent for epochs %s; want [7 4 4 5 6] (3 is on chain)\n%s", got, logs)
	}
	a.report(context.Background(), testSharer)
	if got := sentEpochs(); got != "[7 4 4 5 6]" {
		t.Fatalf("third height: reports sent for epochs %s; every epoch was settled\n%s", got, logs)
	}
	for _, want := range []string{
		`msg="usage report failed; trying again at the next height" epoch=4`,
		`msg="usage not reported in time: the chain no longer takes reports of this epoch, and its usage is not billed" epoch=4 leases=1`,
		`msg="usage report of an earlier epoch refused by the chain; its usage is not billed" epoch=5 leases=1`,
		`msg="usage reported" epoch=6 leases=1`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no log line %s:\n%s", want, logs)
		}
	}
}

// TestHeartbeatRefusalRetried: the chain's refusal of the epoch that just
// ended is tried again at the next height (the report is the heartbeat),
// unlike an earlier epoch's.
func TestHeartbeatRefusalRetried(t *testing.T) {
	chain := &fakeChain{epoch: 6, ended: sharerstypes.EpochInfo{Number: 5, StartHeight: 100, EndHeight: 119}}
	s := &fakeSender{answers: []error{&hotkey.TxError{Stage: hotkey.StageCheck, Hash: "CD34", Codespace: usagetypes.ModuleName,
		Code: usagetypes.ErrInvalidEntry.ABCICode(), Log: "some rule"}}}
	a, _ := testAgent(t, chain, fakeReplicas{}, s)
	a.report(context.Background(), testSharer)
	a.report(context.Background(), testSharer)
	if len(s.sent) != 2 || a.reported != 5 {
		t.Fatalf("%d reports sent, reported %d; want 2 (refused, then sent again), 5", len(s.sent), a.reported)
	}
}
