// Package usage is the Cosmos SDK module of resource use: each sharer's
// per-epoch usage report (requests, CPU time and egress per lease), which is
// also its heartbeat to x/sharers. Charging escrows for usage and rent comes
// later. The rules live in package keeper, the CheckTx duplicate filter in
// package ante; wire-level types in package types (generated from
// proto/q1/usage/v1).
package usage

import (
	"context"

	"encoding/json"
	"fmt"

	"cosmossdk.io/core/appmodule"
	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/quantum1net/q1/x/usage/keeper"
	"github.com/quantum1net/q1/x/usage/types"
)

// ConsensusVersion is the version of the module's state layout; a change to
// it needs a registered migration.
// Version 2 (issue #16) indexes records, reports and earnings by epoch and
// adds params.retention_epochs and params.prune_per_block
// (keeper.Keeper.MigrateRetention).
const ConsensusVersion = 2

var (
	_ module.AppModuleBasic      = AppModuleBasic{}
	_ module.HasGenesisBasics    = AppModuleBasic{}
	_ module.HasGenesis          = AppModule{}
	_ module.HasServices         = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
	_ appmodule.AppModule        = AppModule{}
	_ appmodule.HasEndBlocker    = AppModule{}
)

// AppModuleBasic is the part of the module that needs no keeper: name,
// codecs and genesis checks.
type AppModuleBasic struct{}

// Name returns the module's name, "usage".
func (AppModuleBasic) Name() string { return types.ModuleName }

// RegisterLegacyAminoCodec registers the module's msgs with amino.
func (AppModuleBasic) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the module's msgs and Msg service.
func (AppModuleBasic) RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	types.RegisterInterfaces(registry)
}

// RegisterGRPCGatewayRoutes does nothing: the module serves gRPC only (no
// REST gateway is generated), and the node's own HTTP API covers REST.
func (AppModuleBasic) RegisterGRPCGatewayRoutes(client.Context, *gwruntime.ServeMux) {}

// DefaultGenesis returns the module's default genesis state as JSON.
func (AppModuleBasic) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis checks the module's genesis state.
func (AppModuleBasic) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("decode %s genesis state: %w", types.ModuleName, err)
	}
	return gs.Validate()
}

// AppModule is the usage module as the app's module manager runs it.
type AppModule struct {
	AppModuleBasic
	keeper *keeper.Keeper
}

// NewAppModule returns the module over its keeper.
func NewAppModule(k *keeper.Keeper) AppModule {
	return AppModule{keeper: k}
}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// RegisterServices registers the module's Msg and Query services.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQueryServerImpl(am.keeper))
	if err := cfg.RegisterMigration(types.ModuleName, 1, am.keeper.MigrateRetention); err != nil {
		panic(fmt.Sprintf("register the usage module's migration from version 1: %v", err))
	}
}

// InitGenesis loads the module's genesis state; it panics on a state that
// does not validate.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, bz json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(bz, &gs)
	if err := am.keeper.InitGenesis(ctx, &gs); err != nil {
		panic(err)
	}
}

// ExportGenesis returns the module's state as JSON.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err != nil {
		panic(fmt.Errorf("export %s genesis: %w", types.ModuleName, err))
	}
	return cdc.MustMarshalJSON(gs)
}

// EndBlock implements appmodule.HasEndBlocker: the escrows indexed at this
// height (grace ended, low mark, run dry) are visited.
func (am AppModule) EndBlock(ctx context.Context) error {
	return am.keeper.EndBlocker(ctx)
}
