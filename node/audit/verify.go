package audit

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/sdk/guest/abi"
)

// Problem is why a sample's served history does not stand: Unavailable
// when the audited node did not serve what its committed receipt needs
// (missing, or not what it committed to), else a false claim (FAIL).
type Problem struct {
	Unavailable bool
	What        string
	// Index is the receipt (its index in its instance) that differed, for
	// Compare's problems.
	Index uint64
}

func unavailable(format string, args ...any) *Problem {
	return &Problem{Unavailable: true, What: fmt.Sprintf(format, args...)}
}

func failed(format string, args ...any) *Problem {
	return &Problem{What: fmt.Sprintf(format, args...)}
}

// PubKeys looks up a sharer's registered hot key (chainview.View.PubKey).
type PubKeys interface {
	PubKey(sharer string) ([]byte, error)
}

// Step is one checked step of a sample's history.
type Step struct {
	Receipt receipt.Receipt
	Request []byte
	Tape    []byte
}

// CheckHistory checks the history a node served for a sampled receipt of
// epoch: one step per index from the start-up to the sample's, each a
// well-formed receipt of the sample's lease and instance at its index,
// chained by Prev, with the seed of its position, the request and tape its
// hashes name, and a valid forwarding co-signature where it claims one; the
// last step is the sampled receipt itself.
func CheckHistory(sample receipt.Receipt, epoch uint64, items []q1client.AuditItem, keys PubKeys) ([]Step, *Problem) {
	if uint64(len(items)) != sample.Index+1 {
		return nil, unavailable("served %d steps of instance %d, want %d (start-up to index %d)", len(items), sample.Instance, sample.Index+1, sample.Index)
	}
	steps := make([]Step, len(items))
	var prev receipt.Hash
	for i, it := range items {
		r, err := receipt.Unmarshal(it.Receipt)
		if err != nil {
			return nil, unavailable("step %d: %v", i, err)
		}
		switch {
		case r.LeaseID != sample.LeaseID || r.Instance != sample.Instance || r.Index != uint64(i):
			return nil, unavailable("step %d is lease %d instance %d index %d, want lease %d instance %d index %d",
				i, r.LeaseID, r.Instance, r.Index, sample.LeaseID, sample.Instance, i)
		case r.Prev != prev:
			return nil, unavailable("step %d does not chain to step %d (Prev differs)", i, i-1)
		case !hashes(it.Request, r.RequestHash):
			return nil, unavailable("step %d: the request served does not have the receipt's request hash", i)
		case !hashes(it.Tape, r.TapeHash):
			return nil, unavailable("step %d: the tape served does not have the receipt's tape hash", i)
		}
		if r.Seed != receipt.SeedFor(r.LeaseID, epoch, r.Instance, r.Index) {
			return nil, failed("receipt %d of instance %d: its seed is not the one of its position in epoch %d", r.Index, r.Instance, epoch)
		}
		if r.Via != "" {
			if p := checkVia(r, it.Request, keys); p != nil {
				return nil, p
			}
		}
		prev = r.Hash()
		steps[i] = Step{Receipt: r, Request: it.Request, Tape: it.Tape}
	}
	if prev != sample.Hash() {
		return nil, unavailable("the history served ends in a receipt other than the sampled one")
	}
	return steps, nil
}

// hashes says whether h is the hash a receipt records for part b: its
// SHA-256, or zero for an empty part.
func hashes(b []byte, h receipt.Hash) bool {
	return h == sha256.Sum256(b) || (len(b) == 0 && h == receipt.Hash{})
}

// checkVia checks a receipt's forwarding co-signature against the request
// it was made for.
func checkVia(r receipt.Receipt, request []byte, keys PubKeys) *Problem {
	req, err := abi.ParseRequest(request)
	if err != nil {
		return unavailable("receipt %d of instance %d: its request does not decode: %v", r.Index, r.Instance, err)
	}
	pub, err := keys.PubKey(r.Via)
	if err != nil {
		return failed("receipt %d of instance %d names %s as its forwarder, which has no registered hot key: %v", r.Index, r.Instance, r.Via, err)
	}
	h := gateway.ForwardHash(req.Method, req.Target, req.Body)
	if err := gateway.VerifyForward(pub, r.LeaseID, h, r.TimeUnixNano, r.ViaSig); err != nil {
		return failed("receipt %d of instance %d: forwarded by %s: %v", r.Index, r.Instance, r.Via, err)
	}
	return nil
}

// Outcome is what re-executing one step gave, as runtime.ReplayOutcome.
type Outcome struct {
	Receipt    receipt.Receipt
	Divergence error
	// SecretRead: the step read a secret, whose value the tape does not
	// hold; it and the steps after it cannot be re-executed.
	SecretRead error
}

// Compare compares the recorded steps with their re-execution, field by
// field: fuel, response hash, egress and trap must be exactly the same. It
// returns the first difference, naming the step and the field with the
// claimed and the re-executed values.
func Compare(steps []Step, got []Outcome) *Problem {
	for i, s := range steps {
		if i >= len(got) {
			return failed("receipt %d of instance %d was not re-executed (the replay stopped after %d steps)", s.Receipt.Index, s.Receipt.Instance, len(got))
		}
		o := got[i]
		if o.SecretRead != nil && o.Divergence == nil {
			// The guest really called secret_get here (the replay followed
			// the tape up to it); what it computed from the value cannot be
			// checked without the value, which auditors are not given
			// (docs/architecture.md, Secrets). The steps before it matched.
			return nil
		}
		if o.Divergence != nil {
			p := failed("receipt %d of instance %d: re-execution did not follow the recorded tape: %v", s.Receipt.Index, s.Receipt.Instance, o.Divergence)
			p.Index = s.Receipt.Index
			return p
		}
		c, r := s.Receipt, o.Receipt
		if p := compareStep(c, r); p != nil {
			p.Index = c.Index
			return p
		}
	}
	return nil
}

func compareStep(c, r receipt.Receipt) *Problem {
	{
		where := fmt.Sprintf("receipt %d of instance %d", c.Index, c.Instance)
		switch {
		case c.Fuel != r.Fuel:
			return failed("%s: fuel claimed %d, re-executed %d", where, c.Fuel, r.Fuel)
		case c.ResponseHash != r.ResponseHash:
			return failed("%s: response hash claimed %x, re-executed %x", where, c.ResponseHash[:8], r.ResponseHash[:8])
		case c.EgressBytes != r.EgressBytes:
			return failed("%s: egress claimed %d bytes, re-executed %d", where, c.EgressBytes, r.EgressBytes)
		case c.Trap != r.Trap:
			return failed("%s: trap claimed %d, re-executed %d", where, c.Trap, r.Trap)
		case c.ModuleHash != r.ModuleHash:
			return failed("%s: module hash claimed %x, re-executed module %x", where, c.ModuleHash[:8], r.ModuleHash[:8])
		case !bytes.Equal(c.Marshal(), r.Marshal()):
			return failed("%s: the re-executed receipt differs from the recorded one in %s", where, differing(c, r))
		}
	}
	return nil
}

// differing names the fields in which two receipts differ.
func differing(c, r receipt.Receipt) string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"meter", c.Meter == r.Meter}, {"prev", c.Prev == r.Prev}, {"time", c.TimeUnixNano == r.TimeUnixNano},
		{"seed", c.Seed == r.Seed}, {"request hash", c.RequestHash == r.RequestHash}, {"tape hash", c.TapeHash == r.TapeHash},
		{"via", c.Via == r.Via && bytes.Equal(c.ViaSig, r.ViaSig)},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	if len(out) == 0 {
		return "its encoding"
	}
	return strings.Join(out, ", ")
}
