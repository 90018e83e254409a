// Package devnet creates and runs local Quantum1Net networks: N validator
// homes sharing one genesis, each with a funded account key, and the OS
// processes that run them. `q1 init --single-node` is the one-node case.
package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/quantum1net/q1/app"
)

// MainnetBlockTime is the block time of a long-lived network.
const MainnetBlockTime = time.Second

// DefaultKeyName is the name of the funded account key every generated home
// holds in its test keyring.
const DefaultKeyName = "default"

// Node is one generated node: where it lives and where it listens.
type Node struct {
	Name    string `json:"name"`
	Home    string `json:"home"`
	HTTP    string `json:"http"`
	Gateway string `json:"gateway"`
	RPC     string `json:"rpc"`
	GRPC    string `json:"grpc"`
	P2P     string `json:"p2p"`
	// Address is the node's own funded account (its `default` key).
	Address string `json:"address"`
	// NodeID is the CometBFT node id, the first half of a peer address.
	NodeID string `json:"node_id"`
}

// Network is a generated network, as written to devnet.json.
type Network struct {
	ChainID string `json:"chain_id"`
	Nodes   []Node `json:"nodes"`
	// BlockTime is the target time between blocks (CometBFT's timeout_commit).
	BlockTime Duration `json:"block_time"`
}

// Duration is a time.Duration that reads and writes as "200ms" in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// Options say what network to generate.
type Options struct {
	// ChainID of the new chain.
	ChainID string
	// Homes are the node homes to create, one per validator. Each must not
	// hold a genesis yet.
	Homes []string
	// Names are the nodes' monikers (default node0, node1, …).
	Names []string
	// Ports assigns each node its listen ports.
	Ports func(i int) Ports
	// Host is the address every listener binds and peers dial (default 127.0.0.1).
	Host string
	// BlockTime is CometBFT's timeout_commit (default 200ms).
	BlockTime time.Duration
	// Params are the staking, slashing and governance settings (default app.DevnetParams).
	Params *app.ChainParams
	// AccountBalance funds each node's default account (default 1,000,000 QC).
	AccountBalance sdkmath.Int
	// SelfStake is each validator's self-delegation, out of AccountBalance (default 100,000 QC).
	SelfStake sdkmath.Int
	// MinGasPrice is the node's minimum gas price (default app.DefaultMinGasPrices).
	MinGasPrice string
	// ClientGasPrice is what the CLI offers per unit of gas (default app.DefaultClientGasPrices).
	ClientGasPrice string
	// ExtraAccounts are funded in the genesis besides the nodes' own, e.g.
	// the senders of a load test.
	ExtraAccounts []Funding
	// EditGenesis, if set, may change the app genesis before it is written.
	EditGenesis func(app.GenesisState) error
}

// Funding is an account and the uqc it starts with.
type Funding struct {
	Address sdk.AccAddress
	Amount  sdkmath.Int
}

// Ports are one node's listen ports.
type Ports struct {
	RPC, P2P, GRPC, HTTP, Gateway int
}

// PortsFrom returns the port layout `q1 devnet` uses: node i listens on
// base+10i … base+10i+4 (RPC, P2P, gRPC, HTTP API, gateway).
func PortsFrom(base int) func(i int) Ports {
	return func(i int) Ports {
		p := base + 10*i
		return Ports{RPC: p, P2P: p + 1, GRPC: p + 2, HTTP: p + 3, Gateway: p + 4}
	}
}

// SingleNodePorts are the ports a `q1 init --single-node` home uses: the
// SDK's and CometBFT's usual ones, our API on 8080 and the gateway on 8081.
func SingleNodePorts(int) Ports {
	return Ports{RPC: 26657, P2P: 26656, GRPC: 9090, HTTP: 8080, Gateway: 8081}
}

func (o *Options) fill() {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.BlockTime == 0 {
		o.BlockTime = 200 * time.Millisecond
	}
	if o.Params == nil {
		p := app.DevnetParams()
		// The nominal block time turns lowBalanceBlocks into time: it is
		// the network's own, not the devnet default's.
		p.Usage.BlockTimeMs = uint64(max(o.BlockTime.Milliseconds(), 1))
		o.Params = &p
	}
	if o.AccountBalance.IsNil() {
		o.AccountBalance = sdkmath.NewInt(1_000_000_000_000) // 1,000,000 QC
	}
	if o.SelfStake.IsNil() {
		o.SelfStake = sdkmath.NewInt(100_000_000_000) // 100,000 QC
	}
	if o.MinGasPrice == "" {
		o.MinGasPrice = app.DefaultMinGasPrices
	}
	if o.ClientGasPrice == "" {
		o.ClientGasPrice = app.DefaultClientGasPrices
	}
	if o.Ports == nil {
		o.Ports = PortsFrom(26600)
	}
	if o.ChainID == "" {
		o.ChainID = app.DefaultChainID
	}
}

type genNode struct {
	Node
	ports Ports
	cmt   *cmtcfg.Config
}

// Generate creates a network: one home per validator with its node and
// validator keys, a funded `default` account in the test keyring, a signed
// gentx, and one genesis shared by all; config files are tuned for a local
// network (block time, peers, no strict address book).
func Generate(ctx context.Context, o Options) (*Network, error) {
	app.SetSDKConfig()
	o.fill()
	if len(o.Homes) == 0 {
		return nil, errors.New("generate network: no node homes given")
	}
	if o.SelfStake.GT(o.AccountBalance) {
		return nil, fmt.Errorf("generate network: self-stake %s exceeds the account balance %s", o.SelfStake, o.AccountBalance)
	}
	tmp := app.NewTemp()
	enc, basics := tmp.EncodingConfig(), tmp.BasicModuleManager

	nodes := make([]*genNode, len(o.Homes))
	var (
		genAccounts []authtypes.GenesisAccount
		balances    []banktypes.Balance
		genTxs      []sdk.Tx
	)
	for i, home := range o.Homes {
		name := fmt.Sprintf("node%d", i)
		if i < len(o.Names) && o.Names[i] != "" {
			name = o.Names[i]
		}
		if _, err := os.Stat(filepath.Join(home, "config", "genesis.json")); err == nil {
			return nil, fmt.Errorf("generate network: %s already holds a genesis; remove it or choose another home", home)
		}
		if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
			return nil, fmt.Errorf("generate network: %w", err)
		}
		if err := os.MkdirAll(filepath.Join(home, "data"), 0o755); err != nil {
			return nil, fmt.Errorf("generate network: %w", err)
		}
		cfg := cmtcfg.DefaultConfig()
		cfg.SetRoot(home)
		cfg.Moniker = name
		nodeID, valPub, err := genutil.InitializeNodeValidatorFiles(cfg)
		if err != nil {
			return nil, fmt.Errorf("node %s: create node and validator keys: %w", name, err)
		}
		kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, home, nil, enc.Codec)
		if err != nil {
			return nil, fmt.Errorf("node %s: open keyring: %w", name, err)
		}
		rec, _, err := kr.NewMnemonic(DefaultKeyName, keyring.English, sdk.FullFundraiserPath,
			keyring.DefaultBIP39Passphrase, hd.Secp256k1)
		if err != nil {
			return nil, fmt.Errorf("node %s: create account key: %w", name, err)
		}
		addr, err := rec.GetAddress()
		if err != nil {
			return nil, err
		}
		ports := o.Ports(i)
		n := &genNode{
			Node: Node{
				Name:    name,
				Home:    home,
				HTTP:    fmt.Sprintf("http://%s:%d", o.Host, ports.HTTP),
				Gateway: fmt.Sprintf("http://%s:%d", o.Host, ports.Gateway),
				RPC:     fmt.Sprintf("tcp://%s:%d", o.Host, ports.RPC),
				GRPC:    fmt.Sprintf("%s:%d", o.Host, ports.GRPC),
				P2P:     fmt.Sprintf("%s@%s:%d", nodeID, o.Host, ports.P2P),
				Address: addr.String(),
				NodeID:  nodeID,
			},
			ports: ports,
			cmt:   cfg,
		}
		nodes[i] = n

		genAccounts = append(genAccounts, authtypes.NewBaseAccount(addr, nil, 0, 0))
		balances = append(balances, banktypes.Balance{
			Address: addr.String(),
			Coins:   sdk.NewCoins(sdk.NewCoin(app.BondDenom, o.AccountBalance)),
		})

		createVal, err := stakingtypes.NewMsgCreateValidator(
			sdk.ValAddress(addr).String(), valPub,
			sdk.NewCoin(app.BondDenom, o.SelfStake),
			stakingtypes.NewDescription(name, "", "", "", ""),
			stakingtypes.NewCommissionRates(sdkmath.LegacyNewDecWithPrec(5, 2), sdkmath.LegacyNewDecWithPrec(20, 2), sdkmath.LegacyNewDecWithPrec(1, 2)),
			sdkmath.OneInt(),
		)
		if err != nil {
			return nil, fmt.Errorf("node %s: create-validator msg: %w", name, err)
		}
		txb := enc.TxConfig.NewTxBuilder()
		if err := txb.SetMsgs(createVal); err != nil {
			return nil, err
		}
		txb.SetGasLimit(400_000)
		txb.SetMemo(n.P2P)
		f := tx.Factory{}.WithChainID(o.ChainID).WithKeybase(kr).WithTxConfig(enc.TxConfig)
		if err := tx.Sign(ctx, f, DefaultKeyName, txb, true); err != nil {
			return nil, fmt.Errorf("node %s: sign gentx: %w", name, err)
		}
		genTxs = append(genTxs, txb.GetTx())
	}

	for _, f := range o.ExtraAccounts {
		genAccounts = append(genAccounts, authtypes.NewBaseAccount(f.Address, nil, 0, 0))
		balances = append(balances, banktypes.Balance{
			Address: f.Address.String(),
			Coins:   sdk.NewCoins(sdk.NewCoin(app.BondDenom, f.Amount)),
		})
	}
	genesis, err := buildGenesis(enc, basics, o, genAccounts, balances, genTxs)
	if err != nil {
		return nil, err
	}
	genTime := time.Now().UTC().Truncate(time.Second)
	net := &Network{ChainID: o.ChainID, BlockTime: Duration(o.BlockTime)}
	for i, n := range nodes {
		if err := genutil.ExportGenesisFileWithTime(n.cmt.GenesisFile(), o.ChainID, nil, genesis, genTime); err != nil {
			return nil, fmt.Errorf("node %s: write genesis: %w", n.Name, err)
		}
		var peers []string
		for j, p := range nodes {
			if j != i {
				peers = append(peers, p.P2P)
			}
		}
		if err := writeNodeConfig(n, o, strings.Join(peers, ",")); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		net.Nodes = append(net.Nodes, n.Node)
	}
	return net, nil
}

func buildGenesis(enc app.EncodingConfig, basics module.BasicManager, o Options, accounts []authtypes.GenesisAccount, balances []banktypes.Balance, genTxs []sdk.Tx) (json.RawMessage, error) {
	state := app.GenesisState(basics.DefaultGenesis(enc.Codec))
	if err := state.ApplyChainParams(enc.Codec, *o.Params); err != nil {
		return nil, err
	}

	var auth authtypes.GenesisState
	enc.Codec.MustUnmarshalJSON(state[authtypes.ModuleName], &auth)
	packed, err := authtypes.PackAccounts(accounts)
	if err != nil {
		return nil, err
	}
	auth.Accounts = append(auth.Accounts, packed...)
	state[authtypes.ModuleName] = enc.Codec.MustMarshalJSON(&auth)

	var bank banktypes.GenesisState
	enc.Codec.MustUnmarshalJSON(state[banktypes.ModuleName], &bank)
	bank.Balances = append(bank.Balances, balances...)
	supply := sdk.NewCoins()
	for _, b := range balances {
		supply = supply.Add(b.Coins...)
	}
	bank.Supply = supply
	state[banktypes.ModuleName] = enc.Codec.MustMarshalJSON(&bank)

	if o.EditGenesis != nil {
		if err := o.EditGenesis(state); err != nil {
			return nil, fmt.Errorf("edit genesis: %w", err)
		}
	}
	withTxs, err := genutil.SetGenTxsInAppGenesisState(enc.Codec, enc.TxConfig.TxJSONEncoder(), state, genTxs)
	if err != nil {
		return nil, fmt.Errorf("add gentxs to genesis: %w", err)
	}
	out, err := json.MarshalIndent(withTxs, "", "  ")
	if err != nil {
		return nil, err
	}
	return out, nil
}
