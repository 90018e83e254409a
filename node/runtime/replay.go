package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tetratelabs/wazero"

	"github.com/quantum1net/q1/core/receipt"
)

// ReplayStep is one recorded step of an instance's history, as a node's
// receipt sink received it: the start-up (Receipt.Index 0, no request) or a
// request with its host-call tape.
type ReplayStep struct {
	// Receipt is the receipt the node recorded. Replay takes from it only
	// what the node was given rather than what the guest computed: LeaseID,
	// Instance, Index, TimeUnixNano, Seed, Via and ViaSig. (Whether Seed is
	// receipt.SeedFor of the audited epoch is the auditor's to check.)
	Receipt receipt.Receipt
	// Request is the request as encoded for the guest (nil at start-up).
	Request []byte
	// Tape is the host-call tape the node recorded for the step.
	Tape []byte
}

// ReplayOutcome is what re-executing one step produced.
type ReplayOutcome struct {
	// Receipt is the receipt this re-execution yields: the recorded
	// inputs of the step with the fuel, response hash, egress bytes and
	// trap code it computed, the module hash of the wasm given to Replay,
	// and Prev chaining to the previous replayed step. An honest node's
	// recorded receipt has the same Hash.
	Receipt receipt.Receipt
	// Divergence is set when the guest's host calls did not follow the
	// tape (a *TapeDivergence): another function or other arguments than
	// recorded, more calls than recorded, or recorded calls left over.
	// Replay stops at the first divergence.
	Divergence error
	// SecretRead is set when the step reached a secret_get (a
	// *SecretRead): the tape holds no secret values, so the step cannot be
	// re-executed past it and Receipt is not comparable. Replay stops
	// there; the steps before it were re-executed.
	SecretRead error
}

// TapeDivergence is a re-executed step whose host calls did not match the
// recorded tape.
type TapeDivergence struct {
	// Step is the index in the steps given to Replay; Call numbers the
	// step's tape-recorded host calls from 0.
	Step, Call int
	// What says how the call differed.
	What string
}

func (d *TapeDivergence) Error() string {
	return fmt.Sprintf("replay step %d, host call %d: %s", d.Step, d.Call, d.What)
}

// Replay re-executes an instance's recorded history on a fresh instance of
// wasm, metered and made deterministic exactly as a node runs it: the
// start-up, then each request, with its recorded time and seed, its tape
// answering the host calls that read outside state (kv, egress). spec
// gives the limits (memory, response size, fuel) the node used; its
// capabilities only decide which host functions exist (nothing is read
// from a store or the network). steps must begin at the start-up and be
// consecutive. It returns one outcome per step run.
func (r *Runtime) Replay(ctx context.Context, wasm []byte, spec ServiceSpec, steps []ReplayStep) ([]ReplayOutcome, error) {
	if err := checkSteps(steps); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	first := steps[0].Receipt
	if spec.Name == "" {
		spec.Name = "lease-" + strconv.FormatUint(first.LeaseID, 10)
	}
	spec.Name = "replay/" + spec.Name
	spec.Capabilities = Capabilities{} // the tape answers kv and egress
	s, err := newService(r, spec)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	// Every host function exists, whatever was granted: the node checked
	// the grants when it loaded the module, and here nothing is reached
	// through them but the tape.
	for _, c := range allCapabilities {
		s.granted[c] = true
	}
	s.logSink = discardLogs{}
	s.lease = first.LeaseID
	s.wrt = wazero.NewRuntimeWithConfig(ctx, r.wazeroConfig(uint32(s.limits.MemoryBytes/wasmPageSize)))
	defer s.wrt.Close(context.Background())
	if err := s.prepare(ctx, wasm, false); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	in := s.blankInstance(0, first.Instance)
	defer in.close()
	out := make([]ReplayOutcome, 0, len(steps))
	for i, st := range steps {
		o, diverged, err := in.replayStep(ctx, i, st)
		if err != nil {
			return out, fmt.Errorf("replay: step %d: %w", i, err)
		}
		res := ReplayOutcome{Receipt: in.receiptFor(o, st.Request, st.Receipt.Via, st.Receipt.ViaSig)}
		if diverged != nil {
			res.Divergence = diverged
		}
		if sr := in.player.secretRead; sr != nil && diverged == nil {
			res.SecretRead = sr
			out = append(out, res)
			break
		}
		out = append(out, res)
		if diverged != nil || o.broken || st.Receipt.Trap == receipt.TrapFuel {
			// A node replaces a broken instance (one out of fuel too, as
			// its receipt claims): its history ends there.
			break
		}
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("replay: stopped after step %d: %w", i, err)
		}
	}
	return out, nil
}

// replayStep runs step i with its tape served back.
func (in *instance) replayStep(ctx context.Context, i int, st ReplayStep) (outcome, *TapeDivergence, error) {
	entries, err := decodeTape(st.Tape)
	if err != nil {
		d := &TapeDivergence{Step: i, What: "the recorded tape does not decode: " + err.Error()}
		return outcome{kind: KindTrap, trap: receipt.TrapGuest, broken: true, tape: st.Tape}, d, nil
	}
	in.player = &tapePlayer{entries: entries, step: i}
	rc := st.Receipt
	var o outcome
	if i == 0 {
		o = in.start(ctx, rc.TimeUnixNano, rc.Seed)
		in.leave()
	} else {
		if err := in.enter(ctx); err != nil {
			return outcome{}, nil, fmt.Errorf("wait for a guest slot: %w", err)
		}
		o = in.serve(ctx, st.Request, rc.TimeUnixNano, rc.Seed, replayFuel(rc, in.svc.limits.Fuel))
		in.leave()
	}
	return o, in.player.diverge, nil
}

// replayFuel is the fuel a replayed request step may use: what its
// receipt claims, at most the service's limit. An honest step used exactly
// that and runs the same on it (fuel only goes down, so it never ran
// short before its end); a step that claims less than it uses stops out
// of fuel at its claim, and its fuel or trap then differs. So re-executing
// a history costs at most the fuel it claims, not the limit per step: a
// cheater cannot make its auditors burn the service's whole limit on
// each step of a forged history. A step that claims to have run out of
// fuel is given the whole limit (an honest one used it all), and ends the
// history (Replay stops after it), so at most one step per replay runs on
// more than its claim.
func replayFuel(r receipt.Receipt, limit uint64) uint64 {
	if r.Trap == receipt.TrapFuel {
		return limit
	}
	return min(r.Fuel, limit)
}

// checkSteps checks steps are one instance's history from its start-up.
func checkSteps(steps []ReplayStep) error {
	if len(steps) == 0 {
		return errors.New("no steps")
	}
	first := steps[0].Receipt
	for i, st := range steps {
		r := st.Receipt
		switch {
		case r.Index != uint64(i):
			return fmt.Errorf("step %d has receipt index %d; steps must start at the start-up (index 0) and be consecutive", i, r.Index)
		case r.LeaseID != first.LeaseID || r.Instance != first.Instance:
			return fmt.Errorf("step %d is lease %d instance %d, not lease %d instance %d like step 0", i, r.LeaseID, r.Instance, first.LeaseID, first.Instance)
		case i > 0 && len(st.Request) == 0:
			return fmt.Errorf("step %d has no request", i)
		}
	}
	return nil
}
