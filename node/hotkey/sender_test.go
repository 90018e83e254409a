package hotkey

import (
	"testing"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/client/hotkeyfile"
)

// TestSenderPaysTheNodesMinimumGasPrice: the fee follows the node's
// configured minimum-gas-prices, so raising them does not stop its reports.
func TestSenderPaysTheNodesMinimumGasPrice(t *testing.T) {
	app.SetSDKConfig()
	sharer := hotkeyfile.Key{Key: secp256k1.GenPrivKey()}
	key := hotkeyfile.Key{Key: secp256k1.GenPrivKey(), Sharer: sharer.Address().String()}
	for _, tc := range []struct {
		prices string
		gas    uint64
		want   string
	}{
		{"0.01uqc", 100_000, "1000uqc"},
		{"0.25uqc", 100_000, "25000uqc"},
		{"0.25uqc,1stake", 100_001, "25001uqc"}, // rounded up, other denoms ignored
		{"", 100_000, ""},
	} {
		prices, err := sdk.ParseDecCoins(tc.prices)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSender(key, client.Context{}, prices)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.fee(tc.gas).String(); got != tc.want {
			t.Errorf("min gas prices %q, gas %d: fee %q, want %q", tc.prices, tc.gas, got, tc.want)
		}
	}
	if _, err := NewSender(hotkeyfile.Key{Key: key.Key, Sharer: "nobody"}, client.Context{}, nil); err == nil {
		t.Error("a key naming no valid sharer was accepted")
	}
}
