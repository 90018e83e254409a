package main

import (
	"context"
	"os"
	"path/filepath"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcli "github.com/cometbft/cometbft/libs/cli"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/debug"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/rpc"
	"github.com/cosmos/cosmos-sdk/server"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	authcmd "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	"github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/internal/devnet"
)

// envPrefix is the prefix of environment variables that set flags (Q1_HOME, Q1_NODE, …).
const envPrefix = "Q1"

// DefaultNodeHome is where q1 keeps a node's files unless --home says otherwise.
var DefaultNodeHome = func() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".q1"
	}
	return filepath.Join(home, ".q1")
}()

// NewRootCmd builds the q1 command tree: the SDK's standard commands (keys,
// tx, query, status, genesis, …) with their usual meanings, plus ours.
func NewRootCmd() *cobra.Command {
	app.SetSDKConfig()
	tempApp := app.NewTemp()
	enc := tempApp.EncodingConfig()

	initClientCtx := client.Context{}.
		WithCodec(enc.Codec).
		WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).
		WithLegacyAmino(enc.Amino).
		WithInput(os.Stdin).
		WithAccountRetriever(types.AccountRetriever{}).
		WithHomeDir(DefaultNodeHome).
		WithViper(envPrefix)

	root := &cobra.Command{
		Use:   "q1",
		Short: "Quantum1Net: a shared cloud of spare computers, paid in QCoin",
		Long: `q1 runs a Quantum1Net node and is the command line for its chain and services.

Start here:
  q1 devnet                       start a local 4-node network
  q1 init NAME --single-node      set up a complete one-node network in --home
  q1 start                        run a node
  q1 wallet balance | send        QCoin for people
  q1 keys | tx | query | status   the Cosmos SDK's commands, as in any Cosmos chain`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Annotations[helpOnlyAnnotation] != "" {
				return nil // it prints its help; nothing to set up
			}
			clientCtx := initClientCtx.WithCmdContext(cmd.Context()).
				WithOutput(cmd.OutOrStdout())
			clientCtx, err := client.ReadPersistentCommandFlags(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			if fileExists(filepath.Join(clientCtx.HomeDir, "config", "client.toml")) {
				clientCtx, err = config.ReadFromClientConfig(clientCtx)
				if err != nil {
					return err
				}
			}
			if err := client.SetCmdClientContextHandler(clientCtx, cmd); err != nil {
				return err
			}
			return server.InterceptConfigsPreRunHandler(cmd, serverconfig.DefaultConfigTemplate, appConfig(), cometConfig())
		},
	}

	root.AddCommand(
		initCmd(tempApp.BasicModuleManager),
		devnetCmd(),
		manifestCmd(),
		benchCmd(),
		validatorCmd(),
		serviceCmd(),
		sharerCmd(),
		walletCmd(),
		dashboardCmd(),
		debug.Cmd(),
	)
	server.AddCommandsWithStartCmdOptions(root, DefaultNodeHome, newApp, exportApp, startOptions())
	root.AddCommand(
		server.StatusCommand(),
		genutilcli.Commands(enc.TxConfig, tempApp.BasicModuleManager, DefaultNodeHome),
		queryCommand(),
		txCommand(),
		keysCmd(),
	)

	autoCliOpts := tempApp.AutoCliOpts()
	autoCliOpts.ClientCtx = initClientCtx
	if err := autoCliOpts.EnhanceRootCommand(root); err != nil {
		panic(err)
	}
	suggestSubcommands(root)
	return root
}

// execute prepares the SDK's server and client contexts and runs the tree.
func execute(ctx context.Context, root *cobra.Command) error {
	ctx = svrcmd.CreateExecuteContext(ctx)
	addRootFlags(root)
	return root.ExecuteContext(ctx)
}

// addRootFlags adds the flags every command has: logging, --home and the
// environment variables that set flags.
func addRootFlags(root *cobra.Command) {
	root.PersistentFlags().String(flags.FlagLogLevel, zerolog.InfoLevel.String(), "The logging level (trace|debug|info|warn|error|fatal|panic|disabled or '*:<level>,<key>:<level>')")
	root.PersistentFlags().String(flags.FlagLogFormat, "plain", "The logging format (json|plain)")
	root.PersistentFlags().Bool(flags.FlagLogNoColor, false, "Disable colored logs")
	cmtcli.PrepareBaseCmd(root, envPrefix, DefaultNodeHome)
}

func queryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "query",
		Aliases:                    []string{"q"},
		Short:                      "Querying subcommands",
		DisableFlagParsing:         false,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		rpc.QueryEventForTxCmd(),
		rpc.ValidatorCommand(),
		server.QueryBlockCmd(),
		authcmd.QueryTxsByEventsCmd(),
		server.QueryBlocksCmd(),
		authcmd.QueryTxCmd(),
		server.QueryBlockResultsCmd(),
	)
	return cmd
}

func txCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "tx",
		Short:                      "Transactions subcommands",
		DisableFlagParsing:         false,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		authcmd.GetSignCommand(),
		authcmd.GetSignBatchCommand(),
		authcmd.GetMultiSignCommand(),
		authcmd.GetMultiSignBatchCmd(),
		authcmd.GetValidateSignaturesCommand(),
		authcmd.GetBroadcastCommand(),
		authcmd.GetEncodeCommand(),
		authcmd.GetDecodeCommand(),
		authcmd.GetSimulateCmd(),
	)
	return cmd
}

// appConfig is the app.toml a new home gets: the SDK's, with a minimum gas
// price in uqc so a node never accepts free transactions.
func appConfig() *serverconfig.Config {
	cfg := serverconfig.DefaultConfig()
	cfg.MinGasPrices = app.DefaultMinGasPrices
	cfg.API.Enable = false
	return cfg
}

// cometConfig is the config.toml a new home gets: CometBFT's defaults with
// ~1 s blocks.
func cometConfig() *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.Consensus.TimeoutCommit = devnet.MainnetBlockTime
	devnet.EnableCometMetrics(cfg)
	return cfg
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
