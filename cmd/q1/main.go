package main

import (
	_ "cosmossdk.io/client/v2/autocli"
	_ "cosmossdk.io/log"
	_ "cosmossdk.io/store"
	_ "cosmossdk.io/x/evidence"
	_ "cosmossdk.io/x/feegrant/module"
	_ "cosmossdk.io/x/upgrade"
	_ "github.com/cometbft/cometbft/abci/example/kvstore"
	_ "github.com/cosmos/cosmos-db"
	_ "github.com/cosmos/cosmos-sdk/server"
	_ "github.com/cosmos/cosmos-sdk/x/authz/module"
	_ "github.com/cosmos/cosmos-sdk/x/gov"
	_ "github.com/cosmos/cosmos-sdk/testutil/network"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/tetratelabs/wazero"
	_ "gopkg.in/yaml.v3"
	_ "github.com/cosmos/gogoproto/proto"
)

func main() {}
