package types

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/core/manifest"
)

// WithdrawHash is the hash owners name to approve a WITHDRAW proposal: the
// content address of the action's text form
//
//	q1/services/v1 withdraw <service> <amount><denom> to <account>
//
// so that an approval can only ever release exactly that payment.
func WithdrawHash(service string, amount math.Int, denom, to string) string {
	return actionHash("withdraw", service, amount.String()+denom, "to", to)
}

// DeleteHash is the hash owners name to approve a DELETE proposal: the
// content address of
//
//	q1/services/v1 delete <service> refund to <account>
func DeleteHash(service, refundTo string) string {
	return actionHash("delete", service, "refund", "to", refundTo)
}

func actionHash(words ...string) string {
	sum := sha256.Sum256([]byte("q1/services/v1 " + strings.Join(words, " ")))
	return manifest.HashPrefix + hex.EncodeToString(sum[:])
}

// IsApproved reports whether the threshold of distinct owners approved p.
func (p *Proposal) IsApproved() bool {
	return uint32(len(p.Approvals)) >= p.Threshold
}

// HasApproval reports whether account already approved p.
func (p *Proposal) HasApproval(account string) bool {
	for _, a := range p.Approvals {
		if a == account {
			return true
		}
	}
	return false
}

// Outcome summarizes where p stands, for msg responses.
func (p *Proposal) Outcome() ProposalOutcome {
	return ProposalOutcome{
		ProposalId:       p.Id,
		Hash:             p.Hash,
		Status:           p.Status,
		Approvals:        uint32(len(p.Approvals)),
		Threshold:        p.Threshold,
		ActivationHeight: p.ActivationHeight,
	}
}

// Label names a proposal kind in messages: "update", "withdraw", "delete".
func (k ProposalKind) Label() string {
	switch k {
	case KindUpdate:
		return "update"
	case KindWithdraw:
		return "withdraw"
	case KindDelete:
		return "delete"
	default:
		return "unknown"
	}
}

// Label names a proposal status in messages: "pending", "executed", ….
func (s ProposalStatus) Label() string {
	switch s {
	case ProposalPending:
		return "pending"
	case ProposalExecuted:
		return "executed"
	case ProposalCancelled:
		return "cancelled"
	case ProposalFailed:
		return "failed"
	default:
		return "unknown"
	}
}

// Label names a pause reason in messages: "an owner", "an operator",
// "escrow depletion".
func (r PauseReason) Label() string {
	switch r {
	case PauseReasonOwner:
		return "an owner"
	case PauseReasonOperator:
		return "an operator"
	case PauseReasonDepletion:
		return "escrow depletion"
	default:
		return "unknown"
	}
}
