// Package join sets up a node's home for an existing network: it fetches
// the genesis and peers from any running node's HTTP API, checks the genesis
// hash, and creates the node's own keys, so `q1 start` then block-syncs and
// follows the chain.
package join

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/quantum1net/q1/app"
	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/internal/devnet"
)

// maxGenesisSize bounds what a node will accept as a genesis file.
const maxGenesisSize = 64 << 20

// Network is what a running node told us about its network.
type Network struct {
	ChainID string
	Genesis []byte
	// GenesisHash is "sha256:" + the hex sha256 of Genesis.
	GenesisHash string
	// Peers are persistent-peer entries, id@host:port.
	Peers []string
}

// HashGenesis returns the genesis hash q1 prints and checks.
func HashGenesis(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Fetch asks the node whose HTTP API is at apiURL for the genesis and peers.
func Fetch(ctx context.Context, apiURL string) (*Network, error) {
	u, err := neturl.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--join %q: want the HTTP API URL of a running node, e.g. http://10.0.0.5:8080", apiURL)
	}
	base := strings.TrimRight(apiURL, "/")
	node := q1client.New(base)
	genesis, err := node.Genesis(ctx, maxGenesisSize)
	if err != nil {
		return nil, fetchError(base+"/v1/genesis", err)
	}
	var doc struct {
		ChainID string `json:"chain_id"`
	}
	if err := json.Unmarshal(genesis, &doc); err != nil || doc.ChainID == "" {
		return nil, fmt.Errorf("%s/v1/genesis did not return a genesis file", base)
	}
	p, err := node.Peers(ctx)
	if err != nil {
		return nil, fetchError(base+"/v1/peers", err)
	}
	if p.ChainID != doc.ChainID {
		return nil, fmt.Errorf("node at %s serves chain %q but its genesis is for %q", base, p.ChainID, doc.ChainID)
	}
	self := p.Self
	if self == "" && p.SelfPort != 0 {
		self = fmt.Sprintf("%s@%s", p.NodeID, net.JoinHostPort(u.Hostname(), strconv.Itoa(p.SelfPort)))
	}
	peers := []string{}
	if self != "" {
		peers = append(peers, self)
	}
	for _, c := range p.Connected {
		if c != self {
			peers = append(peers, c)
		}
	}
	return &Network{ChainID: doc.ChainID, Genesis: genesis, GenesisHash: HashGenesis(genesis), Peers: peers}, nil
}

// fetchError says what went wrong asking a node for url.
func fetchError(url string, err error) error {
	var refused *q1client.APIError
	if errors.As(err, &refused) {
		return fmt.Errorf("%s: %d %s: %s", url, refused.StatusCode, http.StatusText(refused.StatusCode), refused.Message)
	}
	var unreachable *neturl.Error
	if errors.As(err, &unreachable) {
		return fmt.Errorf("cannot reach %s: %w", url, err)
	}
	return err
}

// Options say how to set up the joining node's home.
type Options struct {
	Home    string
	Moniker string
	// BlockTime is this node's timeout_commit.
	BlockTime time.Duration
	// RPCPort and P2PPort are where the node listens (0: CometBFT's 26657 and 26656).
	RPCPort, P2PPort int
}

// Result is what Setup created.
type Result struct {
	NodeID  string
	Address string // the new default account
}

// Setup writes a home for the network: genesis, config with the peers,
// node and validator keys, and a `default` account key in the test keyring.
func Setup(n *Network, o Options) (*Result, error) {
	app.SetSDKConfig()
	genFile := filepath.Join(o.Home, "config", "genesis.json")
	if _, err := os.Stat(genFile); err == nil {
		return nil, fmt.Errorf("%s already holds a genesis; choose an empty --home", o.Home)
	}
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(o.Home, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(genFile, n.Genesis, 0o644); err != nil {
		return nil, fmt.Errorf("write genesis: %w", err)
	}
	if _, err := genutiltypes.AppGenesisFromFile(genFile); err != nil {
		return nil, fmt.Errorf("the genesis the node sent does not parse: %w", err)
	}

	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(o.Home)
	cfg.Moniker = o.Moniker
	nodeID, _, err := genutil.InitializeNodeValidatorFiles(cfg)
	if err != nil {
		return nil, fmt.Errorf("create node and validator keys: %w", err)
	}
	if o.BlockTime == 0 {
		o.BlockTime = devnet.MainnetBlockTime
	}
	if anyLocal(n.Peers) {
		devnet.TuneCometConfig(cfg, o.BlockTime)
	}
	cfg.Consensus.TimeoutCommit = o.BlockTime
	devnet.EnableCometMetrics(cfg)
	rpcPort, p2pPort := o.RPCPort, o.P2PPort
	if rpcPort == 0 {
		rpcPort = 26657
	}
	if p2pPort == 0 {
		p2pPort = 26656
	}
	cfg.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", rpcPort)
	cfg.P2P.ListenAddress = fmt.Sprintf("tcp://0.0.0.0:%d", p2pPort)
	cfg.P2P.PersistentPeers = strings.Join(n.Peers, ",")
	cmtcfg.WriteConfigFile(filepath.Join(o.Home, "config", "config.toml"), cfg)

	enc := app.NewTemp().EncodingConfig()
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, o.Home, nil, enc.Codec)
	if err != nil {
		return nil, err
	}
	rec, _, err := kr.NewMnemonic(devnet.DefaultKeyName, keyring.English, sdk.FullFundraiserPath,
		keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	if err != nil {
		return nil, fmt.Errorf("create account key: %w", err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, err
	}
	if err := devnet.WriteAppConfig(o.Home, "", ""); err != nil {
		return nil, err
	}
	if err := devnet.WriteClientConfig(o.Home, devnet.ClientConfig{
		ChainID:    n.ChainID,
		DefaultKey: devnet.DefaultKeyName,
		Node:       cfg.RPC.ListenAddress,
		GasPrices:  app.DefaultClientGasPrices,
		API:        "http://127.0.0.1:8080",
		Gateway:    "http://127.0.0.1:8081",
	}); err != nil {
		return nil, err
	}
	return &Result{NodeID: nodeID, Address: addr.String()}, nil
}

// anyLocal reports whether a peer is on loopback or a private network, as
// on a devnet, where the local-network config applies.
func anyLocal(peers []string) bool {
	for _, p := range peers {
		_, hostport, ok := strings.Cut(p, "@")
		if !ok {
			continue
		}
		host, _, err := net.SplitHostPort(hostport)
		if err != nil {
			continue
		}
		if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsPrivate()) {
			return true
		}
	}
	return false
}
