package main

import (
	"path/filepath"
	"testing"

	"cosmossdk.io/log"
	pruningtypes "cosmossdk.io/store/pruning/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/spf13/viper"
)

// TestAppClosesOnce closes the app of q1 start twice, as the SDK's start
// does on Ctrl-C: the second close must not fail with "leveldb: closed".
func TestAppClosesOnce(t *testing.T) {
	home := t.TempDir()
	db, err := dbm.NewGoLevelDB("application", filepath.Join(home, "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := viper.New()
	opts.Set(flags.FlagHome, home)
	opts.Set(flags.FlagChainID, "q1-test")
	opts.Set(server.FlagPruning, pruningtypes.PruningOptionDefault)
	a := newApp(log.NewNopLogger(), db, nil, opts)
	if err := a.Close(); err != nil {
		t.Fatalf("first close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second close: %v (the SDK logs it as an error on every shutdown)", err)
	}
}
