package keeper

import (
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	q1address "github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/x/services/types"
)

// account checks the account address s given in the msg or query field
// named field with q1address.ParseAccount, the one check of an account
// address that the manifest, genesis, the node and the CLI also use, and
// returns it (a valid address is already canonical: lowercase) with its
// bytes. The SDK's bech32 codec alone would also take an all-uppercase
// address and a payload of any length from 1 to 255 bytes, which every
// other place refuses.
func (k *Keeper) account(field, s string) (string, sdk.AccAddress, error) {
	bz, err := q1address.ParseAccount(s)
	if err != nil {
		return "", nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s: %v", field, err)
	}
	return s, bz, nil
}

// requireOwner refuses addr unless it is an owner under m.
func requireOwner(m *types.ServiceSpec, service, addr string) error {
	if m.IsOwner(addr) {
		return nil
	}
	hint := ""
	if m.IsOperator(addr) {
		hint = " (it is an operator: operators may fund, pause, resume and scale, nothing else)"
	}
	return errorsmod.Wrapf(types.ErrUnauthorized, "%s: not an owner of service %s%s", addr, service, hint)
}

// operatorRole returns the reason recorded when addr pauses the service:
// owner (an owner who is also an operator counts as an owner) or operator.
// Anyone else is refused.
func operatorRole(m *types.ServiceSpec, service, addr string) (types.PauseReason, error) {
	switch {
	case m.IsOwner(addr):
		return types.PauseReasonOwner, nil
	case m.IsOperator(addr):
		return types.PauseReasonOperator, nil
	default:
		return types.PauseReasonUnspecified, errorsmod.Wrapf(types.ErrUnauthorized,
			"%s: neither an owner nor an operator of service %s", addr, service)
	}
}
