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
	legacy.RegisterAminoMsg(cdc, &MsgCreateService{}, "q1/services/MsgCreateService")
	legacy.RegisterAminoMsg(cdc, &MsgProposeUpdate{}, "q1/services/MsgProposeUpdate")
	legacy.RegisterAminoMsg(cdc, &MsgApproveProposal{}, "q1/services/MsgApproveProposal")
	legacy.RegisterAminoMsg(cdc, &MsgCancelProposal{}, "q1/services/MsgCancelProposal")
	legacy.RegisterAminoMsg(cdc, &MsgPauseService{}, "q1/services/MsgPauseService")
	legacy.RegisterAminoMsg(cdc, &MsgResumeService{}, "q1/services/MsgResumeService")
	legacy.RegisterAminoMsg(cdc, &MsgDeleteService{}, "q1/services/MsgDeleteService")
	legacy.RegisterAminoMsg(cdc, &MsgFundEscrow{}, "q1/services/MsgFundEscrow")
	legacy.RegisterAminoMsg(cdc, &MsgWithdrawEscrow{}, "q1/services/MsgWithdrawEscrow")
	legacy.RegisterAminoMsg(cdc, &MsgScaleService{}, "q1/services/MsgScaleService")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "q1/services/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgSetSecret{}, "q1/services/MsgSetSecret")
	legacy.RegisterAminoMsg(cdc, &MsgDeleteSecret{}, "q1/services/MsgDeleteSecret")
	legacy.RegisterAminoMsg(cdc, &MsgWrapSecret{}, "q1/services/MsgWrapSecret")
}

// RegisterInterfaces registers the module's msgs as sdk.Msg implementations
// and its Msg service, so that transactions carrying them decode and route.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgCreateService{},
		&MsgProposeUpdate{},
		&MsgApproveProposal{},
		&MsgCancelProposal{},
		&MsgPauseService{},
		&MsgResumeService{},
		&MsgDeleteService{},
		&MsgFundEscrow{},
		&MsgWithdrawEscrow{},
		&MsgScaleService{},
		&MsgUpdateParams{},
		&MsgSetSecret{},
		&MsgDeleteSecret{},
		&MsgWrapSecret{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
