package types

import (
	"fmt"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultDenom is the denomination escrows hold by default: QCoin's base unit.
const DefaultDenom = "uqc"

// DefaultMinDeposit is the least escrow a service is created with by
// default: 1 QC.
var DefaultMinDeposit = math.NewInt(1_000_000)

// DefaultParams returns the parameters a new chain starts with.
func DefaultParams() Params {
	return Params{Denom: DefaultDenom, MinDeposit: DefaultMinDeposit}
}

// Validate reports the first parameter that is out of range.
func (p Params) Validate() error {
	if err := sdk.ValidateDenom(p.Denom); err != nil {
		return fmt.Errorf("params.denom: %w", err)
	}
	if p.MinDeposit.IsNil() || p.MinDeposit.IsNegative() {
		return fmt.Errorf("params.min_deposit: must be zero or more, got %v", p.MinDeposit)
	}
	return nil
}
