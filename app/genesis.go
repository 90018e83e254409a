package app

import (
	"encoding/json"
	"fmt"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"github.com/cosmos/gogoproto/proto"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// GenesisState is the app's genesis: each module's JSON by module name.
type GenesisState map[string]json.RawMessage

// QCoinMetadata is the bank metadata that tells wallets and explorers how to
// show QCoin: base uqc, display QC, six decimals.
func QCoinMetadata() banktypes.Metadata {
	return banktypes.Metadata{
		Description: "QCoin, the currency of Quantum1Net: it pays sharers for what their machines give services.",
		DenomUnits: []*banktypes.DenomUnit{
			{Denom: BondDenom, Exponent: 0, Aliases: []string{"microqc"}},
			{Denom: DisplayDenom, Exponent: DisplayExponent},
		},
		Base:    BondDenom,
		Display: DisplayDenom,
		Name:    "QCoin",
		Symbol:  DisplayDenom,
	}
}

// ChainParams are the genesis settings that differ between a long-lived
// network and a local devnet.
type ChainParams struct {
	// UnbondingTime is how long unbonded stake stays slashable before it returns.
	UnbondingTime time.Duration
	// SignedBlocksWindow and MinSignedPerWindow decide when a validator that
	// misses blocks is jailed for downtime.
	SignedBlocksWindow int64
	MinSignedPerWindow sdkmath.LegacyDec
	DowntimeJail       time.Duration
	// VotingPeriod and ExpeditedVotingPeriod bound governance votes.
	VotingPeriod          time.Duration
	ExpeditedVotingPeriod time.Duration
	MaxDepositPeriod      time.Duration
	// MaxValidators bounds the active set.
	MaxValidators uint32
	// Sharers are the sharers module's parameters: collateral, epochs,
	// liveness, lease acknowledgement, placement bounds.
	Sharers sharerstypes.Params
	// Usage are the usage module's parameters: the report window, the
	// protocol share of charges, the block time escrow projections assume.
	Usage usagetypes.Params
}

// MainnetParams are the defaults for a long-lived network (~1 s blocks).
func MainnetParams() ChainParams {
	return ChainParams{
		UnbondingTime:         21 * 24 * time.Hour,
		SignedBlocksWindow:    10_000,
		MinSignedPerWindow:    sdkmath.LegacyNewDecWithPrec(5, 1),
		DowntimeJail:          10 * time.Minute,
		VotingPeriod:          48 * time.Hour,
		ExpeditedVotingPeriod: 24 * time.Hour,
		MaxDepositPeriod:      48 * time.Hour,
		MaxValidators:         100,
		Sharers:               sharerstypes.DefaultParams(),
		Usage:                 usagetypes.DefaultParams(),
	}
}

// DevnetParams suit a local network with ~200 ms blocks that tests kill and
// restart: a validator must miss 95% of a 20,000-block window (over an hour)
// before it is jailed, unbonding takes a minute, and votes last 30 seconds.
func DevnetParams() ChainParams {
	return ChainParams{
		UnbondingTime:         time.Minute,
		SignedBlocksWindow:    20_000,
		MinSignedPerWindow:    sdkmath.LegacyNewDecWithPrec(5, 2),
		DowntimeJail:          time.Minute,
		VotingPeriod:          30 * time.Second,
		ExpeditedVotingPeriod: 15 * time.Second,
		MaxDepositPeriod:      30 * time.Second,
		MaxValidators:         100,
		Sharers:               sharerstypes.DevnetParams(),
		Usage:                 usagetypes.DevnetParams(),
	}
}

// DefaultGenesis returns every module's default genesis with QCoin's denom
// and metadata and the mainnet parameters.
func DefaultGenesis(cdc codec.JSONCodec, basics module.BasicManager) GenesisState {
	gen := GenesisState(basics.DefaultGenesis(cdc))
	if err := gen.ApplyChainParams(cdc, MainnetParams()); err != nil {
		panic(err)
	}
	return gen
}

// ApplyChainParams sets QCoin's denom, bank metadata and the given chain
// parameters in the genesis, leaving everything else as it is.
func (g GenesisState) ApplyChainParams(cdc codec.JSONCodec, p ChainParams) error {
	var bank banktypes.GenesisState
	if err := g.update(cdc, banktypes.ModuleName, &bank, func() {
		bank.DenomMetadata = []banktypes.Metadata{QCoinMetadata()}
	}); err != nil {
		return err
	}

	var staking stakingtypes.GenesisState
	if err := g.update(cdc, stakingtypes.ModuleName, &staking, func() {
		staking.Params.BondDenom = BondDenom
		staking.Params.UnbondingTime = p.UnbondingTime
		staking.Params.MaxValidators = p.MaxValidators
	}); err != nil {
		return err
	}

	var slashing slashingtypes.GenesisState
	if err := g.update(cdc, slashingtypes.ModuleName, &slashing, func() {
		slashing.Params.SignedBlocksWindow = p.SignedBlocksWindow
		slashing.Params.MinSignedPerWindow = p.MinSignedPerWindow
		slashing.Params.DowntimeJailDuration = p.DowntimeJail
	}); err != nil {
		return err
	}

	var sharers sharerstypes.GenesisState
	if err := g.update(cdc, sharerstypes.ModuleName, &sharers, func() {
		sharers.Params = p.Sharers
	}); err != nil {
		return err
	}

	var usage usagetypes.GenesisState
	if err := g.update(cdc, usagetypes.ModuleName, &usage, func() {
		usage.Params = p.Usage
	}); err != nil {
		return err
	}

	var gov govv1.GenesisState
	return g.update(cdc, govtypes.ModuleName, &gov, func() {
		gov.Params.MinDeposit = sdk.NewCoins(sdk.NewCoin(BondDenom, sdkmath.NewInt(10_000_000)))
		gov.Params.ExpeditedMinDeposit = sdk.NewCoins(sdk.NewCoin(BondDenom, sdkmath.NewInt(50_000_000)))
		gov.Params.VotingPeriod = &p.VotingPeriod
		gov.Params.ExpeditedVotingPeriod = &p.ExpeditedVotingPeriod
		gov.Params.MaxDepositPeriod = &p.MaxDepositPeriod
	})
}

type protoJSON interface {
	proto.Message
}

func (g GenesisState) update(cdc codec.JSONCodec, module string, state protoJSON, change func()) error {
	raw, ok := g[module]
	if !ok {
		return fmt.Errorf("genesis has no %s section", module)
	}
	if err := cdc.UnmarshalJSON(raw, state); err != nil {
		return fmt.Errorf("decode %s genesis: %w", module, err)
	}
	change()
	out, err := cdc.MarshalJSON(state)
	if err != nil {
		return fmt.Errorf("encode %s genesis: %w", module, err)
	}
	g[module] = out
	return nil
}
