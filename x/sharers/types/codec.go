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
	legacy.RegisterAminoMsg(cdc, &MsgRegisterSharer{}, "q1/sharers/MsgRegisterSharer")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateSharer{}, "q1/sharers/MsgUpdateSharer")
	legacy.RegisterAminoMsg(cdc, &MsgDeregisterSharer{}, "q1/sharers/MsgDeregisterSharer")
	legacy.RegisterAminoMsg(cdc, &MsgAddCollateral{}, "q1/sharers/MsgAddCollateral")
	legacy.RegisterAminoMsg(cdc, &MsgWithdrawCollateral{}, "q1/sharers/MsgWithdrawCollateral")
	legacy.RegisterAminoMsg(cdc, &MsgAckLease{}, "q1/sharers/MsgAckLease")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "q1/sharers/MsgUpdateParams")
}

// RegisterInterfaces registers the module's msgs as sdk.Msg implementations
// and its Msg service, so that transactions carrying them (directly or inside
// an authz MsgExec) decode and route.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRegisterSharer{},
		&MsgUpdateSharer{},
		&MsgDeregisterSharer{},
		&MsgAddCollateral{},
		&MsgWithdrawCollateral{},
		&MsgAckLease{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
