package runtime

import (
	"context"
	"errors"
	"fmt"

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
	return nil, errors.New("replay: not implemented yet")
}
