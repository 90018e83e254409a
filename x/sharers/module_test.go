package sharers_test

import (
	"bytes"
	"strings"
	"testing"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	"cosmossdk.io/math"
	"cosmossdk.io/x/tx/signing"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
	"github.com/cosmos/gogoproto/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/x/sharers"
	"github.com/quantum1net/q1/x/sharers/types"
)

func newCodec(t *testing.T) *codec.ProtoCodec {
	t.Helper()
	registry, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: proto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          addresscodec.NewBech32Codec(address.AccountPrefix),
			ValidatorAddressCodec: addresscodec.NewBech32Codec(address.ValidatorPrefix),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	sharers.AppModuleBasic{}.RegisterInterfaces(registry)
	return codec.NewProtoCodec(registry)
}

// TestMsgSigners checks every msg's cosmos.msg.v1.signer annotation: the
// SDK finds the signer in the field the module authorizes, so a hot key can
// send MsgAckLease for the sharer inside an authz MsgExec.
func TestMsgSigners(t *testing.T) {
	cdc := newCodec(t)
	signer := sdk.AccAddress(bytes.Repeat([]byte{7}, 20))
	s, err := addresscodec.NewBech32Codec(address.AccountPrefix).BytesToString(signer)
	if err != nil {
		t.Fatal(err)
	}
	one := math.OneInt()
	msgs := []sdk.Msg{
		&types.MsgRegisterSharer{Sharer: s, Collateral: one},
		&types.MsgUpdateSharer{Sharer: s},
		&types.MsgDeregisterSharer{Sharer: s},
		&types.MsgAddCollateral{Sharer: s, Amount: one},
		&types.MsgWithdrawCollateral{Sharer: s, Amount: one},
		&types.MsgAckLease{Sharer: s, LeaseId: 1},
		&types.MsgUpdateParams{Authority: s, Params: types.DefaultParams()},
	}
	for _, msg := range msgs {
		t.Run(sdk.MsgTypeURL(msg), func(t *testing.T) {
			signers, _, err := cdc.GetMsgV1Signers(msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(signers) != 1 || !bytes.Equal(signers[0], signer) {
				t.Fatalf("signers = %x, want [%x]", signers, signer)
			}
			anyMsg, err := codectypes.NewAnyWithValue(msg)
			if err != nil {
				t.Fatal(err)
			}
			var back sdk.Msg
			if err := cdc.UnpackAny(anyMsg, &back); err != nil {
				t.Fatalf("unpack %s: %v", anyMsg.TypeUrl, err)
			}
		})
	}
}

func TestProtoAnnotations(t *testing.T) {
	files, err := proto.MergedRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if err := msgservice.ValidateProtoAnnotations(files); err != nil && strings.Contains(err.Error(), "q1.sharers") {
		t.Fatal(err)
	}
}

func TestAminoNamesRegister(t *testing.T) {
	sharers.AppModuleBasic{}.RegisterLegacyAminoCodec(codec.NewLegacyAmino())
}

// TestAutoCLIOptionsMatchServices checks that autocli describes every
// method of each service and that every command names a real method and
// real fields, so the CLI builds.
func TestAutoCLIOptionsMatchServices(t *testing.T) {
	opts := sharers.AppModule{}.AutoCLIOptions()
	for _, desc := range []*autocliv1.ServiceCommandDescriptor{opts.Query, opts.Tx} {
		d, err := proto.HybridResolver.FindDescriptorByName(protoreflect.FullName(desc.Service))
		if err != nil {
			t.Fatalf("find %s: %v", desc.Service, err)
		}
		sd := d.(protoreflect.ServiceDescriptor)
		if got, want := len(desc.RpcCommandOptions), sd.Methods().Len(); got != want {
			t.Errorf("autocli describes %d methods of %s, which has %d", got, desc.Service, want)
		}
		for _, o := range desc.RpcCommandOptions {
			m := sd.Methods().ByName(protoreflect.Name(o.RpcMethod))
			if m == nil {
				t.Errorf("%s has no method %s", desc.Service, o.RpcMethod)
				continue
			}
			for _, a := range o.PositionalArgs {
				if m.Input().Fields().ByName(protoreflect.Name(a.ProtoField)) == nil {
					t.Errorf("%s.%s input has no field %s", desc.Service, o.RpcMethod, a.ProtoField)
				}
			}
		}
	}
}

func TestGenesisBasics(t *testing.T) {
	cdc := newCodec(t)
	basic := sharers.AppModuleBasic{}
	if err := basic.ValidateGenesis(cdc, nil, basic.DefaultGenesis(cdc)); err != nil {
		t.Fatalf("default genesis: %v", err)
	}
	devnet := types.DefaultGenesis()
	devnet.Params = types.DevnetParams()
	if err := basic.ValidateGenesis(cdc, nil, cdc.MustMarshalJSON(devnet)); err != nil {
		t.Fatalf("devnet genesis: %v", err)
	}
	err := basic.ValidateGenesis(cdc, nil, []byte(`{"params":{"denom":"uqc","min_collateral":"1","epoch_blocks":"0"},"next_lease_id":"1"}`))
	if err == nil || !strings.Contains(err.Error(), "params.epoch_blocks") {
		t.Fatalf("error = %v, want one about params.epoch_blocks", err)
	}
	err = basic.ValidateGenesis(cdc, nil, []byte(`{"params":`))
	if err == nil || !strings.Contains(err.Error(), "decode sharers genesis state") {
		t.Fatalf("error = %v", err)
	}
}
