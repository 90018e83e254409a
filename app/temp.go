package app

import (
	"cosmossdk.io/log"
	dbm "github.com/cosmos/cosmos-db"
)

// EmptyAppOptions are app options that set nothing.
type EmptyAppOptions struct{}

// Get returns nil for every option.
func (EmptyAppOptions) Get(string) any { return nil }

// NewTemp builds a throwaway app on an in-memory database. Clients use it to
// learn every module's types and genesis defaults; it never runs a chain.
func NewTemp() *App {
	return New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, EmptyAppOptions{})
}

// EncodingConfig returns the app's codecs, with every module's types registered.
func (app *App) EncodingConfig() EncodingConfig {
	return EncodingConfig{
		InterfaceRegistry: app.interfaceRegistry,
		Codec:             app.appCodec,
		TxConfig:          app.txConfig,
		Amino:             app.legacyAmino,
	}
}
