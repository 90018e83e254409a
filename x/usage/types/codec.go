package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the module's msgs under their amino
// names (used by amino-JSON signing, e.g. hardware wallets).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgUsageReport{}, "q1/usage/MsgUsageReport")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "q1/usage/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgPublishSamples{}, "q1/usage/MsgPublishSamples")
	legacy.RegisterAminoMsg(cdc, &MsgAuditCommit{}, "q1/usage/MsgAuditCommit")
	legacy.RegisterAminoMsg(cdc, &MsgAuditReveal{}, "q1/usage/MsgAuditReveal")
}

// RegisterInterfaces registers the module's msgs as sdk.Msg implementations
// and its Msg service, so that transactions carrying them (directly or inside
// an authz MsgExec) decode and route.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgUsageReport{},
		&MsgUpdateParams{},
		&MsgPublishSamples{},
		&MsgAuditCommit{},
		&MsgAuditReveal{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
