package agent

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/hotkey"
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
	reported bool
}

func (f *fakeChain) Sync(context.Context) (int64, error) { return 1, nil }
func (f *fakeChain) Leases(context.Context, string) ([]sharerstypes.Lease, error) {
	return nil, nil
}
func (f *fakeChain) Manifest(string) (*manifest.Manifest, bool)             { return nil, false }
func (f *fakeChain) Status(string) gateway.ServiceState                     { return gateway.ServiceState{} }
func (f *fakeChain) Epoch(context.Context) (uint64, error)                  { return f.epoch, nil }
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
	meter, err := LoadMeter(filepath.Join(t.TempDir(), "usage.json"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	return &Agent{
		chain: chain, replicas: reps, meter: meter, sender: s, sharer: testSharer, acked: map[uint64]bool{},
		log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, &logs
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
