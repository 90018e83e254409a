package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/runtime"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

type fakeAuditChain struct {
	epochs   []sharerstypes.EpochInfo
	versions []servicestypes.Version // oldest first, as the chain keeps them
}

func (c *fakeAuditChain) EndedEpoch(_ context.Context, n uint64) (sharerstypes.EpochInfo, error) {
	for _, e := range c.epochs {
		if e.Number == n {
			return e, nil
		}
	}
	return sharerstypes.EpochInfo{}, fmt.Errorf("epoch %d not kept", n)
}

// VersionsDuring is chainview.View's rule over c.versions.
func (c *fakeAuditChain) VersionsDuring(_ context.Context, _ string, start, end int64) ([]servicestypes.Version, error) {
	var out []servicestypes.Version
	for i := len(c.versions) - 1; i >= 0; i-- {
		v := c.versions[i]
		if v.ActivatedHeight == 0 || v.ActivatedHeight > end {
			continue
		}
		out = append(out, v)
		if v.ActivatedHeight <= start {
			break
		}
	}
	return out, nil
}

func versionOf(t *testing.T, n uint64, activated int64, wasm []byte, timeout string) servicestypes.Version {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: q1/v1
name: hello
code: {wasm: %s}
permissions: {owners: {accounts: [%s]}}
resources: {memory: 32Mi, requestTimeout: %s}
pricing: {cpuPerCoreSecond: 1uqc, memoryPerMiBHour: 1uqc, storagePerGiBHour: 1uqc, per1kRequests: 1uqc, egressPerGiB: 1uqc}
`, blobhash.Hash(sha256.Sum256(wasm)), owner, timeout)
	m, err := manifest.Parse([]byte(doc), manifest.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return servicestypes.Version{Service: "hello", Number: n, Manifest: m.Canonical(), Hash: m.Hash(), ActivatedHeight: activated}
}

func specOf(name, hash string, mf *manifest.Manifest, wasm []byte) runtime.ServiceSpec {
	return runtime.ServiceSpec{Name: name, Version: hash, Wasm: wasm, Limits: runtime.Limits{RequestTimeout: mf.Resources.RequestTimeout}}
}

// An owner changes a limit after an epoch (here the request timeout, which
// sets the fuel limit a runaway request ran out at): the audit of that
// epoch must re-execute under the limits the sharer ran with, or an honest
// sharer's receipts fail. replaySpecs offers every distinct limit set of
// the versions of this code active during the epoch, newest first, and
// replayUnder keeps the first that reproduces every receipt.
func TestAuditReplaysUnderTheEpochsLimits(t *testing.T) {
	ctx := context.Background()
	code, other := []byte("code"), []byte("other code")
	chain := &fakeAuditChain{
		epochs: []sharerstypes.EpochInfo{{Number: 3, StartHeight: 80, EndHeight: 99}, {Number: 4, StartHeight: 100, EndHeight: 119}},
		versions: []servicestypes.Version{
			versionOf(t, 0, 5, code, "4s"),     // replaced before the epoch before
			versionOf(t, 1, 10, code, "3s"),    // replaced in the epoch before: its code may still run
			versionOf(t, 2, 90, code, "1s"),    // active at the epoch's start
			versionOf(t, 3, 105, other, "1s"),  // other code, mid-epoch
			versionOf(t, 4, 110, code, "2s"),   // this code again, mid-epoch
			versionOf(t, 5, 112, code, "2s"),   // same limits as 4
			versionOf(t, 6, 130, code, "50ms"), // the owner's change after the epoch
		},
	}
	specs, err := replaySpecs(ctx, chain, specOf, "hello", 4, code)
	if err != nil {
		t.Fatal(err)
	}
	var got []time.Duration
	for _, s := range specs {
		got = append(got, s.Limits.RequestTimeout)
	}
	if fmt.Sprint(got) != "[2s 1s 3s]" {
		t.Fatalf("replay specs with timeouts %v, want [2s 1s 3s]: the versions of this code active in epoch 4 or replaced in 3, distinct, newest first", got)
	}

	// The sharer ran under version 2's limits (1s): the replay under 2s
	// differs, the one under 1s reproduces the receipts and is kept.
	steps := []runtime.ReplayStep{{Receipt: receipt.Receipt{LeaseID: 9, Fuel: 1000}}, {Receipt: receipt.Receipt{LeaseID: 9, Index: 1, Fuel: 300_000_000, Trap: receipt.TrapFuel}}}
	replay := func(spec runtime.ServiceSpec) ([]runtime.ReplayOutcome, error) {
		if spec.LeaseID != 9 {
			t.Fatalf("replayed under lease %d, want 9", spec.LeaseID)
		}
		out := []runtime.ReplayOutcome{{Receipt: steps[0].Receipt}, {Receipt: steps[1].Receipt}}
		out[1].Receipt.Fuel = uint64(spec.Limits.RequestTimeout/time.Second) * 300_000_000
		return out, nil
	}
	outs, err := replayUnder(specs, steps, replay)
	if err != nil || !reproduces(outs, steps) {
		t.Fatalf("replayUnder kept %+v (%v); want the replay under 1s, which reproduces the receipts", outs, err)
	}
	// Receipts no version reproduces: the newest version's replay is
	// returned, for the worker to name the difference.
	steps[1].Receipt.Fuel = 1_200_000_000 // what version 0 (4s), replaced before epoch 3, would give
	outs, err = replayUnder(specs, steps, replay)
	if err != nil || reproduces(outs, steps) || outs[1].Receipt.Fuel != 600_000_000 {
		t.Fatalf("replayUnder with no match kept %+v (%v); want the newest version's (2s: 600000000 fuel)", outs, err)
	}

	if _, err := replaySpecs(ctx, chain, specOf, "hello", 4, []byte("unknown")); err == nil ||
		!strings.Contains(err.Error(), "no version of service hello active during heights 80–119 (epoch 4 and the one before) runs module sha256:") {
		t.Fatalf("a module no version of the epoch runs: %v", err)
	}
}
