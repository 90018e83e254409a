package keeper

import (
	"context"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/sharers/types"
)

// SlashCollateral takes amount from sharer addr's collateral (all of it
// when it holds less), pays payFraction of what it took to payees in equal
// parts (what does not divide evenly is burned) and burns the rest from the
// sharers module account, so the module account keeps holding exactly the
// sum of the collateral records. x/usage calls it when an audit proves a
// usage claim false or withheld, and when an auditor misses too often.
//
// A sharer left with less than params.min_collateral is no longer placed
// (placement requires at least params.min_collateral, see requestFor); its
// open leases stay, and it may add collateral. It emits
// EventCollateralSlashed.
func (k *Keeper) SlashCollateral(ctx context.Context, addr string, amount math.Int, payFraction math.LegacyDec, payees []string, reason string) (types.Slash, error) {
	out := types.Slash{Amount: math.ZeroInt(), Burned: math.ZeroInt(), Paid: math.ZeroInt(), PerPayee: math.ZeroInt()}
	canon, bz, err := k.account("sharer", addr)
	if err != nil {
		return out, err
	}
	sh, err := k.getSharer(ctx, bz)
	if err != nil {
		return out, err
	}
	out.Collateral = sh.Collateral
	if amount.IsNil() || amount.IsNegative() {
		return out, errorsmod.Wrapf(types.ErrInvalidAmount, "amount to slash from sharer %s must not be negative, got %v", canon, amount)
	}
	if payFraction.IsNil() || payFraction.IsNegative() || payFraction.GT(math.LegacyOneDec()) {
		return out, errorsmod.Wrapf(types.ErrInvalidAmount, "the share of a slash paid out must be between 0 and 1, got %v", payFraction)
	}
	out.Amount = math.MinInt(amount, sh.Collateral)
	if !out.Amount.IsPositive() {
		out.Amount = math.ZeroInt()
		return out, nil
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return out, err
	}
	if len(payees) > 0 {
		pool := payFraction.MulInt(out.Amount).TruncateInt()
		out.PerPayee = pool.QuoRaw(int64(len(payees)))
		out.Paid = out.PerPayee.MulRaw(int64(len(payees)))
	}
	out.Burned = out.Amount.Sub(out.Paid)
	if out.PerPayee.IsPositive() {
		coins := sdk.NewCoins(sdk.NewCoin(p.Denom, out.PerPayee))
		for i, payee := range payees {
			_, to, err := k.account(fmt.Sprintf("payees[%d]", i), payee)
			if err != nil {
				return out, err
			}
			if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, coins); err != nil {
				return out, errorsmod.Wrapf(err, "pay %s%s of sharer %s's slashed collateral to %s", out.PerPayee, p.Denom, canon, payee)
			}
		}
	}
	if out.Burned.IsPositive() {
		if err := k.bank.BurnCoins(ctx, types.ModuleName, sdk.NewCoins(sdk.NewCoin(p.Denom, out.Burned))); err != nil {
			return out, errorsmod.Wrapf(err, "burn %s%s of sharer %s's slashed collateral", out.Burned, p.Denom, canon)
		}
	}
	old := sh
	sh.Collateral = sh.Collateral.Sub(out.Amount)
	out.Collateral = sh.Collateral
	next := &sh
	if !sh.Registered() && sh.Collateral.IsZero() {
		next = nil // a deregistered record lives only while it holds collateral
	}
	if err := k.putSharer(ctx, &old, next); err != nil {
		return out, err
	}
	return out, emit(ctx, &types.EventCollateralSlashed{
		Sharer: canon, Amount: out.Amount, Burned: out.Burned, Paid: out.Paid, Payees: payees, Collateral: sh.Collateral, Reason: reason,
	})
}

// ActiveSharers returns the addresses of the active sharers (heartbeating,
// draining ones included), sorted: the sharers x/usage draws auditors from.
// It reads the liveness index, one entry per active sharer.
func (k *Keeper) ActiveSharers(ctx context.Context) ([]string, error) {
	var out []string
	err := k.Liveness.Walk(ctx, nil, func(key collections.Pair[uint64, sdk.AccAddress]) (bool, error) {
		addr, err := k.addressCodec.BytesToString(key.K2())
		if err != nil {
			return true, err
		}
		out = append(out, addr)
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the liveness index: %w", err)
	}
	slices.Sort(out)
	return out, nil
}
