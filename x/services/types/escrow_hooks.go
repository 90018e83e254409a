package types

import (
	"context"

	"cosmossdk.io/math"
)

// EscrowHooks let the module that charges escrows (x/usage) settle and
// follow them as money enters and leaves: deposits may resume a service
// its escrow's depletion paused, and a withdrawal first settles what the
// service owes. The keeper calls each hook within the same transaction as
// the change; an error fails the msg. Install them with
// Keeper.SetEscrowHooks; until then nothing is called.
type EscrowHooks interface {
	// AfterEscrowFunded is called after amount entered service name's
	// escrow (its creation deposit or MsgFundEscrow). It returns a note for
	// the funder saying what the deposit did beyond adding to the balance,
	// e.g. that it resumed the service or how much more a resume needs;
	// empty if nothing.
	AfterEscrowFunded(ctx context.Context, name string, amount math.Int) (note string, err error)
	// BeforeEscrowWithdrawn is called before money leaves service name's
	// escrow for its owners (an approved withdrawal, a deletion's refund),
	// so that what it owes is settled first.
	BeforeEscrowWithdrawn(ctx context.Context, name string) error
	// AfterEscrowWithdrawn is called after amount left service name's escrow
	// for its owners.
	AfterEscrowWithdrawn(ctx context.Context, name string, amount math.Int) error
	// DepletionResumeHint says what resumes service name, paused because
	// its escrow ran dry (how much to deposit, and by when), for the error
	// MsgResumeService returns.
	DepletionResumeHint(ctx context.Context, name string) (string, error)
}

// NoEscrowHooks are the EscrowHooks used until another module sets them:
// they do nothing.
type NoEscrowHooks struct{}

var _ EscrowHooks = NoEscrowHooks{}

// AfterEscrowFunded does nothing.
func (NoEscrowHooks) AfterEscrowFunded(context.Context, string, math.Int) (string, error) {
	return "", nil
}

// BeforeEscrowWithdrawn does nothing.
func (NoEscrowHooks) BeforeEscrowWithdrawn(context.Context, string) error { return nil }

// AfterEscrowWithdrawn does nothing.
func (NoEscrowHooks) AfterEscrowWithdrawn(context.Context, string, math.Int) error { return nil }

// DepletionResumeHint returns nothing.
func (NoEscrowHooks) DepletionResumeHint(context.Context, string) (string, error) { return "", nil }
