package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	cmttypes "github.com/cometbft/cometbft/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/spf13/viper"

	"github.com/quantum1net/q1/internal/devnet"
)

// kvstorePower is each kvstore validator's voting power: what a q1
// validator's default self-stake (100,000 QC) gives it, so both networks
// reach consensus among equals.
const kvstorePower = 100_000

// RunKVStoreNode runs CometBFT with its example kvstore application (kept
// in HOME/data/kvstore.db) on a home laid out by devnet.Generate, until ctx
// ends. It is what `q1 bench` runs, as a process of its own per node, as
// the ceiling the q1 node is compared with: the same CometBFT, the same
// config.toml, and an application that does almost nothing. Logs go to
// logOut at the level config.toml sets.
func RunKVStoreNode(ctx context.Context, home string, logOut io.Writer) error {
	cfg, err := loadCometConfig(home)
	if err != nil {
		return err
	}
	logger, err := cmtflags.ParseLogLevel(cfg.LogLevel, cmtlog.NewTMLogger(cmtlog.NewSyncWriter(logOut)), cmtcfg.DefaultLogLevel)
	if err != nil {
		return fmt.Errorf("kvstore node %s: log level %q: %w", home, cfg.LogLevel, err)
	}
	nodeKey, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return fmt.Errorf("kvstore node %s: load node key: %w", home, err)
	}
	app := kvstore.NewPersistentApplication(cfg.DBDir())
	n, err := node.NewNodeWithContext(ctx, cfg,
		privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile()),
		nodeKey,
		proxy.NewLocalClientCreator(app),
		node.DefaultGenesisDocProviderFunc(cfg),
		cmtcfg.DefaultDBProvider,
		node.DefaultMetricsProvider(cfg.Instrumentation),
		logger)
	if err != nil {
		return fmt.Errorf("kvstore node %s: create node: %w", home, err)
	}
	if err := n.Start(); err != nil {
		return fmt.Errorf("kvstore node %s: start: %w", home, err)
	}
	<-ctx.Done()
	if err := n.Stop(); err != nil {
		return fmt.Errorf("kvstore node %s: stop: %w", home, err)
	}
	n.Wait()
	return nil
}

// loadCometConfig reads HOME/config/config.toml as CometBFT's own
// commands do.
func loadCometConfig(home string) (*cmtcfg.Config, error) {
	path := filepath.Join(home, "config", "config.toml")
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	cfg := cmtcfg.DefaultConfig()
	if err := v.Unmarshal(cfg); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	cfg.SetRoot(home)
	if err := cfg.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// editCometConfig applies key=value settings (CometBFT's config.toml keys,
// e.g. "mempool.recheck") to HOME/config/config.toml.
func editCometConfig(home string, settings []Setting) error {
	if len(settings) == 0 {
		return nil
	}
	path := filepath.Join(home, "config", "config.toml")
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	for _, s := range settings {
		if !v.IsSet(s.Key) {
			return fmt.Errorf("%s has no setting %q: use a key of CometBFT's config.toml, such as mempool.recheck", path, s.Key)
		}
		v.Set(s.Key, s.Value)
	}
	cfg := cmtcfg.DefaultConfig()
	if err := v.Unmarshal(cfg); err != nil {
		return fmt.Errorf("apply settings to %s: %w", path, err)
	}
	cfg.SetRoot(home)
	if err := cfg.ValidateBasic(); err != nil {
		return fmt.Errorf("settings make %s invalid: %w", path, err)
	}
	cmtcfg.WriteConfigFile(path, cfg)
	return nil
}

// writeKVStoreGenesis replaces the genesis of every home of net, written by
// devnet.Generate for q1, with a kvstore genesis: the same chain id, time
// and consensus parameters, the nodes' validator keys as the validator set
// (equal powers), and no application state.
func writeKVStoreGenesis(net *devnet.Network) error {
	first := filepath.Join(net.Nodes[0].Home, "config", "genesis.json")
	appGen, err := genutiltypes.AppGenesisFromFile(first)
	if err != nil {
		return fmt.Errorf("read %s: %w", first, err)
	}
	doc, err := appGen.ToGenesisDoc()
	if err != nil {
		return fmt.Errorf("convert %s: %w", first, err)
	}
	doc.AppState = nil
	doc.AppHash = nil
	doc.Validators = nil
	for _, n := range net.Nodes {
		cfg := cmtcfg.DefaultConfig()
		cfg.SetRoot(n.Home)
		pv := privval.LoadFilePVEmptyState(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
		pub, err := pv.GetPubKey()
		if err != nil {
			return fmt.Errorf("node %s: read validator key: %w", n.Name, err)
		}
		doc.Validators = append(doc.Validators, cmttypes.GenesisValidator{
			Address: pub.Address(), PubKey: pub, Power: kvstorePower, Name: n.Name,
		})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("kvstore genesis: %w", err)
	}
	for _, n := range net.Nodes {
		path := filepath.Join(n.Home, "config", "genesis.json")
		if err := doc.SaveAs(path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}
