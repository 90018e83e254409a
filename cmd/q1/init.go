package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/types/module"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/core/qc"
	"github.com/quantum1net/q1/internal/devnet"
	"github.com/quantum1net/q1/internal/join"
)

const (
	flagSingleNode  = "single-node"
	flagBlockTime   = "block-time"
	flagJoin        = "join"
	flagGenesisHash = "genesis-hash"
)

// initCmd is the SDK's `init`, with --single-node to set up a complete
// one-node network in one step. Without it, it behaves as the SDK's, with
// QCoin's denom and metadata in the genesis it writes.
func initCmd(basics module.BasicManager) *cobra.Command {
	cmd := genutilcli.InitCmd(basics, DefaultNodeHome)
	sdkRun := cmd.RunE
	cmd.Use = "init [moniker]"
	cmd.Short = "Set up a node's home: config, keys and genesis"
	cmd.Long = `Set up a node's home directory.

With --single-node, q1 init does every step a one-node network needs: config,
node and validator keys, an account key named "default" in the test keyring
(unencrypted: for local use), a genesis that funds it with 1,000,000 QC, and its
gentx, so that 'q1 start --home DIR' produces blocks at once.

With --join URL it sets up a node for an existing network: it fetches the
genesis and peers from the node whose HTTP API is at URL, checks the genesis
hash when --genesis-hash is given (and prints it either way), and creates this
node's own keys and a "default" account key. 'q1 start' then syncs the chain;
'q1 validator join' makes the node a validator.

Without either it behaves as the Cosmos SDK's init: config, node keys and a
genesis with no validators, for you to add accounts and gentxs to.`
	cmd.Example = `  q1 init --single-node --home ./mynode
  q1 start --home ./mynode

  q1 init mynode --join http://10.0.0.5:8080 --genesis-hash sha256:4f1c… --home ./mynode`
	cmd.Args = cobra.RangeArgs(0, 1)
	cmd.Flags().Bool(flagSingleNode, false, "set up a complete one-node network (keys, funded account, gentx)")
	cmd.Flags().Duration(flagBlockTime, time.Second, "target time between blocks (with --single-node or --join)")
	cmd.Flags().String(flagJoin, "", "HTTP API URL of a node of the network to join")
	cmd.Flags().String(flagGenesisHash, "", "with --join: the genesis hash (sha256:…) the network must have")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		single, _ := cmd.Flags().GetBool(flagSingleNode)
		joinURL, _ := cmd.Flags().GetString(flagJoin)
		switch {
		case single && joinURL != "":
			return errors.New("--single-node and --join do not go together: one makes a new network, the other joins one")
		case single:
			return runInitSingleNode(cmd, args)
		case joinURL != "":
			return runInitJoin(cmd, args, joinURL)
		}
		if len(args) == 0 {
			return errors.New("q1 init needs a MONIKER (a name for this node), or --single-node")
		}
		if err := sdkRun(cmd, args); err != nil {
			return err
		}
		return applyQCoinGenesis(cmd)
	}
	return cmd
}

func runInitSingleNode(cmd *cobra.Command, args []string) error {
	clientCtx := client.GetClientContextFromCmd(cmd)
	home := clientCtx.HomeDir
	moniker := "node0"
	if len(args) == 1 {
		moniker = args[0]
	}
	chainID, _ := cmd.Flags().GetString(flags.FlagChainID)
	if chainID == "" {
		chainID = "q1-local"
	}
	blockTime, _ := cmd.Flags().GetDuration(flagBlockTime)
	if blockTime <= 0 {
		return fmt.Errorf("--block-time: must be positive, got %s", blockTime)
	}
	params := singleNodeParams(blockTime)
	net, err := devnet.Generate(cmd.Context(), devnet.Options{
		ChainID:        chainID,
		Homes:          []string{home},
		Names:          []string{moniker},
		Ports:          devnet.SingleNodePorts,
		BlockTime:      blockTime,
		Params:         &params,
		AccountBalance: localAccountBalance,
		SelfStake:      localSelfStake,
	})
	if err != nil {
		return err
	}
	n := net.Nodes[0]
	out := cmd.OutOrStdout()
	q1 := self()
	fmt.Fprintf(out, "Initialized a one-node network %q in %s\n", chainID, home)
	fmt.Fprintf(out, "  account key %q (test keyring, unencrypted): %s\n", devnet.DefaultKeyName, n.Address)
	fmt.Fprintf(out, "    funded with %s, of which %s is staked: the self-delegation that makes this node the\n", qc.Format(localAccountBalance), qc.Format(localSelfStake))
	fmt.Fprintf(out, "    network's validator. Staked QC is bonded, not spendable: the account has %s to spend\n", qc.Format(localAccountBalance.Sub(localSelfStake)))
	fmt.Fprintf(out, "    (%s wallet balance); %s validator status shows the stake.\n", q1.Cmd, q1.Cmd)
	fmt.Fprintf(out, "  node id %s\n", n.NodeID)
	fmt.Fprintf(out, "Start it with: %s start --home %s\n", q1.Cmd, home)
	if hint := q1.installHint(); hint != "" {
		fmt.Fprintf(out, "%s.\n", hint)
	}
	return nil
}

// singleNodeParams are the devnet parameters with the usage module's
// nominal block time (params.block_time_ms: lowBalanceBlocks in time,
// blocks-left estimates) set to the block time the node is configured
// for, at least 1 ms.
func singleNodeParams(blockTime time.Duration) app.ChainParams {
	p := app.DevnetParams()
	p.Usage.BlockTimeMs = uint64(max(blockTime.Milliseconds(), 1))
	return p
}

// The default account of every node of a local network (q1 init
// --single-node, q1 devnet) is funded with localAccountBalance, of which
// localSelfStake is the node's validator self-delegation.
var (
	localAccountBalance = sdkmath.NewInt(1_000_000_000_000) // 1,000,000 QC
	localSelfStake      = sdkmath.NewInt(100_000_000_000)   // 100,000 QC
)

// applyQCoinGenesis rewrites the genesis the SDK's init wrote with QCoin's
// denom, metadata and parameters.
func applyQCoinGenesis(cmd *cobra.Command) error {
	clientCtx := client.GetClientContextFromCmd(cmd)
	cfg := server.GetServerContextFromCmd(cmd).Config
	genFile := filepath.Join(cfg.RootDir, "config", "genesis.json")
	gen, err := genutiltypes.AppGenesisFromFile(genFile)
	if err != nil {
		return fmt.Errorf("read genesis: %w", err)
	}
	state, err := genutiltypes.GenesisStateFromAppGenesis(gen)
	if err != nil {
		return err
	}
	if err := app.GenesisState(state).ApplyChainParams(clientCtx.Codec, app.MainnetParams()); err != nil {
		return err
	}
	if gen.AppState, err = marshalIndent(state); err != nil {
		return err
	}
	return gen.SaveAs(genFile)
}

func runInitJoin(cmd *cobra.Command, args []string, joinURL string) error {
	clientCtx := client.GetClientContextFromCmd(cmd)
	moniker := "node"
	if len(args) == 1 {
		moniker = args[0]
	}
	net, err := join.Fetch(cmd.Context(), joinURL)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Network %q, genesis hash %s\n", net.ChainID, net.GenesisHash)
	if want, _ := cmd.Flags().GetString(flagGenesisHash); want != "" && want != net.GenesisHash {
		return fmt.Errorf("genesis hash mismatch: the node at %s serves %s, but --genesis-hash says %s; not joining",
			joinURL, net.GenesisHash, want)
	}
	if len(net.Peers) == 0 {
		return fmt.Errorf("the node at %s reported no peers to connect to", joinURL)
	}
	blockTime, _ := cmd.Flags().GetDuration(flagBlockTime)
	res, err := join.Setup(net, join.Options{Home: clientCtx.HomeDir, Moniker: moniker, BlockTime: blockTime})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Set up %s to join with %d peer(s): %s\n", clientCtx.HomeDir, len(net.Peers), strings.Join(net.Peers, ", "))
	fmt.Fprintf(out, "  node id %s\n  account key %q (test keyring, unencrypted): %s\n", res.NodeID, devnet.DefaultKeyName, res.Address)
	q1 := self()
	fmt.Fprintf(out, "Start it with: %s start --home %s   (it block-syncs, then follows the chain)\n", q1.Cmd, clientCtx.HomeDir)
	fmt.Fprintf(out, "Then, funded and synced: %s validator join --from %s --stake AMOUNT --home %s\n", q1.Cmd, devnet.DefaultKeyName, clientCtx.HomeDir)
	return nil
}
