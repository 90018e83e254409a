package keeper_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"cosmossdk.io/math"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/x/services/types"
)

// sdkOnlyAddresses are account addresses the SDK's bech32 codec takes and
// core/address refuses: valid written in capitals, and payloads neither 20
// nor 32 bytes long. The test fails if the codec stops taking one, since
// then it no longer shows the keeper checking more than the codec.
func sdkOnlyAddresses(t *testing.T, valid string) []string {
	t.Helper()
	out := []string{strings.ToUpper(valid)}
	for _, n := range []int{1, 25, 64} {
		a, err := bech32.ConvertAndEncode(address.AccountPrefix, bytes.Repeat([]byte{7}, n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	ac := addresscodec.NewBech32Codec(address.AccountPrefix)
	for _, a := range out {
		if _, err := ac.StringToBytes(a); err != nil {
			t.Fatalf("the SDK's codec refuses %s too: %v", a, err)
		}
	}
	return out
}

// TestAccountsCheckedByCoreAddress: msg fields naming accounts are checked
// by core/address, as manifests, genesis, the node and the CLI check them,
// not by the SDK's codec alone.
func TestAccountsCheckedByCoreAddress(t *testing.T) {
	f := newFixture(t)
	valid := f.manifest(spec{})
	for _, a := range sdkOnlyAddresses(t, f.addr("alice")) {
		_, err := f.createMsg(&types.MsgCreateService{Creator: a, Manifest: valid, Deposit: math.NewInt(1_000_000)})
		if !errors.Is(err, types.ErrInvalidAddress) {
			t.Fatalf("creator %s: %v, want ErrInvalidAddress", a, err)
		}
		wantErr(t, err, `creator: "`+a+`" is not a Quantum1Net account address`)
	}
}
