package keeper

import (
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/services/types"
)

// account decodes the account address s given in the msg field named field,
// and returns it in canonical (lowercase bech32) form with its bytes.
func (k *Keeper) account(field, s string) (string, sdk.AccAddress, error) {
	bz, err := k.addressCodec.StringToBytes(s)
	if err != nil {
		return "", nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s: %q is not a valid account address: %v", field, s, err)
	}
	canon, err := k.addressCodec.BytesToString(bz)
	if err != nil {
		return "", nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s: encode %q: %v", field, s, err)
	}
	return canon, bz, nil
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
