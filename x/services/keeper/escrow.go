package keeper

import (
	"context"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/quantum1net/q1/x/services/types"
)

// EscrowBalance returns what service name holds in escrow.
func (k *Keeper) EscrowBalance(ctx context.Context, name string) (math.Int, error) {
	e, err := k.Escrows.Get(ctx, name)
	if err != nil {
		return math.Int{}, fmt.Errorf("read escrow of service %s: %w", name, err)
	}
	return e.Balance, nil
}

// EscrowAvailable returns what may be withdrawn from service name's escrow:
// its balance minus what it owes (never below zero), and what it owes.
func (k *Keeper) EscrowAvailable(ctx context.Context, name string) (available, owed math.Int, err error) {
	bal, err := k.EscrowBalance(ctx, name)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	owed, err = k.owed.EscrowOwed(ctx, name)
	if err != nil {
		return math.Int{}, math.Int{}, fmt.Errorf("what service %s owes: %w", name, err)
	}
	if owed.IsNil() || owed.IsNegative() {
		owed = math.ZeroInt()
	}
	available = bal.Sub(owed)
	if available.IsNegative() {
		available = math.ZeroInt()
	}
	return available, owed, nil
}

// PayFromEscrowToAccount moves amount from service name's escrow to the
// account to, for another module settling what the service owes (usage,
// rent). It works for paused and deleted services too, and fails, changing
// nothing, with types.ErrInsufficientEscrow when the escrow holds less:
// an escrow never goes negative.
func (k *Keeper) PayFromEscrowToAccount(ctx context.Context, name string, to sdk.AccAddress, amount math.Int) error {
	denom, bal, err := k.debit(ctx, name, amount)
	if err != nil {
		return err
	}
	if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, sdk.NewCoins(sdk.NewCoin(denom, amount))); err != nil {
		return fmt.Errorf("pay %s%s from escrow of service %s: %w", amount, denom, name, err)
	}
	toStr, err := k.addressCodec.BytesToString(to)
	if err != nil {
		return err
	}
	return emit(ctx, &types.EventEscrowPaid{Service: name, To: toStr, Amount: amount, Balance: bal})
}

// PayFromEscrowToModule is PayFromEscrowToAccount for a module account (the
// fee collector, a collateral pool).
func (k *Keeper) PayFromEscrowToModule(ctx context.Context, name, module string, amount math.Int) error {
	denom, bal, err := k.debit(ctx, name, amount)
	if err != nil {
		return err
	}
	if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, module, sdk.NewCoins(sdk.NewCoin(denom, amount))); err != nil {
		return fmt.Errorf("pay %s%s from escrow of service %s to module %s: %w", amount, denom, name, module, err)
	}
	return emit(ctx, &types.EventEscrowPaid{Service: name, To: module, Amount: amount, Balance: bal})
}

// deposit moves amount from the account from into service name's escrow and
// returns the new balance.
func (k *Keeper) deposit(ctx context.Context, name string, from sdk.AccAddress, amount math.Int) (math.Int, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.Int{}, fmt.Errorf("read params: %w", err)
	}
	if err := k.bank.SendCoinsFromAccountToModule(ctx, from, types.ModuleName, sdk.NewCoins(sdk.NewCoin(params.Denom, amount))); err != nil {
		return math.Int{}, errorsmod.Wrapf(err, "deposit %s%s into the escrow of service %s", amount, params.Denom, name)
	}
	e, err := k.Escrows.Get(ctx, name)
	if err != nil {
		e = types.Escrow{Service: name, Balance: math.ZeroInt()}
	}
	e.Balance = e.Balance.Add(amount)
	if err := k.Escrows.Set(ctx, name, e); err != nil {
		return math.Int{}, fmt.Errorf("write escrow of service %s: %w", name, err)
	}
	return e.Balance, nil
}

// debit lowers service name's escrow record by amount, refusing to go below
// zero, and returns the denom and the new balance. The caller moves the
// coins out of the module account.
func (k *Keeper) debit(ctx context.Context, name string, amount math.Int) (string, math.Int, error) {
	if amount.IsNil() || !amount.IsPositive() {
		return "", math.Int{}, errorsmod.Wrapf(types.ErrInvalidAmount, "amount to pay from the escrow of service %s must be positive, got %v", name, amount)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return "", math.Int{}, fmt.Errorf("read params: %w", err)
	}
	e, err := k.Escrows.Get(ctx, name)
	if err != nil {
		return "", math.Int{}, fmt.Errorf("read escrow of service %s: %w", name, err)
	}
	if e.Balance.LT(amount) {
		return "", math.Int{}, errorsmod.Wrapf(types.ErrInsufficientEscrow,
			"service %s holds %s%s in escrow, less than %s%s", name, e.Balance, params.Denom, amount, params.Denom)
	}
	e.Balance = e.Balance.Sub(amount)
	if err := k.Escrows.Set(ctx, name, e); err != nil {
		return "", math.Int{}, fmt.Errorf("write escrow of service %s: %w", name, err)
	}
	return params.Denom, e.Balance, nil
}

// hasEscrows reports whether any escrow record exists.
func (k *Keeper) hasEscrows(ctx context.Context) (bool, error) {
	it, err := k.Escrows.Iterate(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("read escrows: %w", err)
	}
	defer it.Close()
	return it.Valid(), nil
}

// SumEscrows returns the sum of every escrow record, and the services whose
// record is negative (there must be none). The module account must hold
// exactly the sum. It reads every escrow: for audits and tests.
func (k *Keeper) SumEscrows(ctx context.Context) (math.Int, []string, error) {
	sum := math.ZeroInt()
	var negative []string
	err := k.Escrows.Walk(ctx, nil, func(name string, e types.Escrow) (bool, error) {
		if e.Balance.IsNil() || e.Balance.IsNegative() {
			negative = append(negative, name)
			return false, nil
		}
		sum = sum.Add(e.Balance)
		return false, nil
	})
	if err != nil {
		return math.Int{}, nil, fmt.Errorf("read escrows: %w", err)
	}
	return sum, negative, nil
}

// RefundToEscrow moves amount from the module account fromModule back into
// service name's escrow: x/usage returns a usage charge it held while an
// audit proved the claim false or the sharer withheld its data. It works
// for paused and deleted services too (a deleted service's escrow is
// released to its refund account by x/usage). It emits EventEscrowFunded
// with the module account as the funder.
func (k *Keeper) RefundToEscrow(ctx context.Context, name, fromModule string, amount math.Int) error {
	if amount.IsNil() || !amount.IsPositive() {
		return errorsmod.Wrapf(types.ErrInvalidAmount, "amount to refund to the escrow of service %s must be positive, got %v", name, amount)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return fmt.Errorf("read params: %w", err)
	}
	e, err := k.Escrows.Get(ctx, name)
	if err != nil {
		return fmt.Errorf("read escrow of service %s: %w", name, err)
	}
	if err := k.bank.SendCoinsFromModuleToModule(ctx, fromModule, types.ModuleName, sdk.NewCoins(sdk.NewCoin(params.Denom, amount))); err != nil {
		return fmt.Errorf("refund %s%s from module %s to the escrow of service %s: %w", amount, params.Denom, fromModule, name, err)
	}
	e.Balance = e.Balance.Add(amount)
	if err := k.Escrows.Set(ctx, name, e); err != nil {
		return fmt.Errorf("write escrow of service %s: %w", name, err)
	}
	funder, err := k.addressCodec.BytesToString(authtypes.NewModuleAddress(fromModule))
	if err != nil {
		return err
	}
	return emit(ctx, &types.EventEscrowFunded{Service: name, Funder: funder, Amount: amount, Balance: e.Balance})
}
