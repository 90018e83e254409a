package app

import (
	"sync"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/address"
)

const (
	// AppName is the name baseapp reports for this application.
	AppName = "quantum1net"

	// BondDenom is QCoin's base denomination: one uqc is a millionth of a QC.
	BondDenom = "uqc"
	// DisplayDenom is QCoin's display denomination.
	DisplayDenom = "QC"
	// DisplayExponent is the power of ten between BondDenom and DisplayDenom.
	DisplayExponent = 6

	// CoinType is the BIP-44 coin type of QCoin keys. It is the Cosmos Hub's,
	// so standard Cosmos wallets derive the same addresses from a mnemonic.
	CoinType = 118

	// DefaultChainID is the chain id `q1 init` and `q1 devnet` use unless told otherwise.
	DefaultChainID = "q1-devnet-1"

	// DefaultMinGasPrices is the minimum-gas-prices a new home's app.toml
	// gets (`q1 init`, `q1 devnet`, `q1 init --join`): a node never accepts
	// free transactions. Operators change it in app.toml.
	DefaultMinGasPrices = "0.01" + BondDenom
	// DefaultClientGasPrices is the gas-prices a new home's client.toml
	// gets and what the CLI offers when neither --gas-prices nor client.toml
	// names one. It is deliberately above DefaultMinGasPrices so that a
	// client's txs clear nodes that raised their minimum a little.
	DefaultClientGasPrices = "0.025" + BondDenom
	// DefaultGasAdjustment multiplies simulated gas: a new home's
	// client.toml gets it, and the CLI uses it when client.toml has none.
	// A decimal string, as client.toml holds it: the chain floor has no floats.
	DefaultGasAdjustment = "1.5"
)

var configOnce sync.Once

// SetSDKConfig sets the SDK's process-wide address prefixes (defined once,
// in core/address) and coin type to QCoin's and seals the config. It is idempotent and safe to call from every
// entry point (CLI, tests, benchmarks).
func SetSDKConfig() {
	configOnce.Do(func() {
		cfg := sdk.GetConfig()
		cfg.SetBech32PrefixForAccount(address.AccountPrefix, address.AccountPubPrefix)
		cfg.SetBech32PrefixForValidator(address.ValidatorPrefix, address.ValidatorPubPrefix)
		cfg.SetBech32PrefixForConsensusNode(address.ConsensusPrefix, address.ConsensusPubPrefix)
		cfg.SetCoinType(CoinType)
		cfg.Seal()
		sdk.DefaultBondDenom = BondDenom
	})
}
