package types

import "cosmossdk.io/math"

// Slash is what the keeper's SlashCollateral took from a sharer's
// collateral: Amount in all, Paid of it to the payees (PerPayee each),
// Burned the rest; Collateral is what the sharer holds after it.
type Slash struct {
	Amount, Burned, Paid, PerPayee math.Int
	Collateral                     math.Int
}
