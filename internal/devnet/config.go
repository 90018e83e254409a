package devnet

import (
	"fmt"
	"os"
	"path/filepath"
	"text/template"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	srvconfig "github.com/cosmos/cosmos-sdk/server/config"

	"github.com/quantum1net/q1/app"
)

// ClientConfig is what a home's config/client.toml holds: the SDK's client
// settings plus the gas price the CLI offers, so `q1 wallet send` needs no
// flags beyond what the user means.
type ClientConfig struct {
	ChainID        string
	KeyringBackend string
	DefaultKey     string
	Node           string
	// GasPrices is what the CLI offers per unit of gas (default app.DefaultClientGasPrices).
	GasPrices string
	// GasAdjustment multiplies simulated gas (default app.DefaultGasAdjustment).
	GasAdjustment string
	// API is the node's HTTP API (blob uploads, /v1 queries), e.g. http://127.0.0.1:8080.
	API string
	// Gateway is the node's service gateway, e.g. http://127.0.0.1:8081.
	Gateway string
}

var clientTemplate = template.Must(template.New("client").Parse(`# Client settings for q1 commands run with --home pointing here.
# The keyring backend is "test": keys are stored unencrypted. Use "file" or "os" for real funds.

# The network chain ID
chain-id = "{{ .ChainID }}"
# The keyring's backend, where the keys are stored (os|file|kwallet|pass|test|memory)
keyring-backend = "{{ .KeyringBackend }}"
# Default key name, if set, defines the default key to use for signing transaction when the --from flag is not specified
keyring-default-keyname = "{{ .DefaultKey }}"
# CLI output format (text|json)
output = "text"
# <host>:<port> to CometBFT RPC interface for this chain
node = "{{ .Node }}"
# Transaction broadcasting mode (sync|async)
broadcast-mode = "sync"

# Quantum1Net: the gas price q1 wallet/service/sharer commands offer, and the
# factor by which they raise the simulated gas.
gas-prices = "{{ .GasPrices }}"
gas-adjustment = "{{ .GasAdjustment }}"
# The node's HTTP API: q1 service deploy uploads wasm there.
api = "{{ .API }}"
# The node's service gateway: q1 service call sends requests there.
gateway = "{{ .Gateway }}"
`))

// WriteClientConfig writes home/config/client.toml.
func WriteClientConfig(home string, c ClientConfig) error {
	if c.KeyringBackend == "" {
		c.KeyringBackend = "test"
	}
	if c.GasPrices == "" {
		c.GasPrices = app.DefaultClientGasPrices
	}
	if c.GasAdjustment == "" {
		c.GasAdjustment = app.DefaultGasAdjustment
	}
	f, err := os.Create(filepath.Join(home, "config", "client.toml"))
	if err != nil {
		return fmt.Errorf("write client config: %w", err)
	}
	defer f.Close()
	if err := clientTemplate.Execute(f, c); err != nil {
		return fmt.Errorf("write client config: %w", err)
	}
	return f.Close()
}

// TuneCometConfig sets what a local network needs: short timeouts for the
// block time, peers that share one IP, and a mempool big enough for load tests.
func TuneCometConfig(cfg *cmtcfg.Config, blockTime time.Duration) {
	cfg.Consensus.TimeoutCommit = blockTime
	cfg.Consensus.TimeoutPropose = max(5*blockTime, time.Second)
	cfg.Consensus.TimeoutProposeDelta = blockTime / 2
	cfg.Consensus.TimeoutPrevote = max(2*blockTime, 200*time.Millisecond)
	cfg.Consensus.TimeoutPrevoteDelta = blockTime / 2
	cfg.Consensus.TimeoutPrecommit = max(2*blockTime, 200*time.Millisecond)
	cfg.Consensus.TimeoutPrecommitDelta = blockTime / 2
	// Gossip promptly: CometBFT batches p2p messages for up to 100ms and
	// sleeps 100ms between gossip rounds, which on localhost would more
	// than double the block time.
	cfg.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	cfg.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
	cfg.P2P.AddrBookStrict = false
	cfg.P2P.AllowDuplicateIP = true
	cfg.Mempool.Size = 20_000
	cfg.Mempool.CacheSize = 40_000
	cfg.RPC.MaxSubscriptionClients = 200
	cfg.RPC.TimeoutBroadcastTxCommit = 30 * time.Second
	cfg.TxIndex.Indexer = "kv"
	EnableCometMetrics(cfg)
}

// EnableCometMetrics turns on CometBFT's Prometheus metrics without its own
// listener: they are registered in the process's default registry and served
// with ours on the node's --http listener at /metrics.
func EnableCometMetrics(cfg *cmtcfg.Config) {
	cfg.Instrumentation.Prometheus = true
	cfg.Instrumentation.PrometheusListenAddr = ""
}

func writeNodeConfig(n *genNode, o Options, peers string) error {
	cfg := n.cmt
	TuneCometConfig(cfg, o.BlockTime)
	cfg.RPC.ListenAddress = fmt.Sprintf("tcp://%s:%d", o.Host, n.ports.RPC)
	cfg.P2P.ListenAddress = fmt.Sprintf("tcp://%s:%d", o.Host, n.ports.P2P)
	cfg.P2P.PersistentPeers = peers
	cfg.P2P.ExternalAddress = fmt.Sprintf("%s:%d", o.Host, n.ports.P2P)
	cmtcfg.WriteConfigFile(filepath.Join(n.Home, "config", "config.toml"), cfg)

	if err := WriteAppConfig(n.Home, fmt.Sprintf("%s:%d", o.Host, n.ports.GRPC), o.MinGasPrice); err != nil {
		return err
	}

	return WriteClientConfig(n.Home, ClientConfig{
		ChainID:    o.ChainID,
		DefaultKey: DefaultKeyName,
		Node:       n.RPC,
		GasPrices:  o.ClientGasPrice,
		API:        n.HTTP,
		Gateway:    n.Gateway,
	})
}

// WriteAppConfig writes home/config/app.toml: the SDK's defaults with a
// minimum gas price (default app.DefaultMinGasPrices), gRPC on grpcAddr (default
// localhost:9090) and the SDK's REST server off (our /v1 API replaces it).
func WriteAppConfig(home, grpcAddr, minGasPrice string) error {
	appCfg := srvconfig.DefaultConfig()
	if minGasPrice == "" {
		minGasPrice = app.DefaultMinGasPrices
	}
	appCfg.MinGasPrices = minGasPrice
	appCfg.API.Enable = false
	appCfg.GRPC.Enable = true
	if grpcAddr != "" {
		appCfg.GRPC.Address = grpcAddr
	}
	appCfg.Telemetry.Enabled = false
	srvconfig.WriteConfigFile(filepath.Join(home, "config", "app.toml"), appCfg)
	return nil
}
