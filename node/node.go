// Package node runs Quantum1Net's services beside the SDK node that `q1
// start` runs: the HTTP API now, and the runtime, gateway and reporters as
// they land. It reads chain state only at committed heights, through the
// same client context the SDK's own gRPC and API servers use.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/client/chainquery"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/node/api"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/dashboard"
	"github.com/quantum1net/q1/node/runtime"
)

// Config is what the node's services need to know.
type Config struct {
	// Home is the node's home directory.
	Home string
	// P2P is CometBFT's P2P configuration (listen and external addresses),
	// which joining nodes learn through GET /v1/peers.
	P2P *cmtcfg.P2PConfig
	// HTTPAddr is where the JSON API listens (host:port).
	HTTPAddr string
	// GatewayAddr is where the service gateway listens (host:port).
	GatewayAddr string
	// MinGasPrices are the node's minimum-gas-prices (app.toml): what its
	// hot key pays per unit of gas.
	MinGasPrices sdk.DecCoins
}

// Node is the set of services running beside one SDK node.
type Node struct {
	cfg       Config
	log       *slog.Logger
	clientCtx client.Context

	gc       *blobGC
	rt       *runtime.Runtime
	replicas *replicaManager
	view     *chainView
	agent    *agent
	gateway  *gatewaySwitch
	metrics  *metrics
	logs     *logsHandler

	httpLn, gatewayLn   net.Listener
	httpSrv, gatewaySrv *http.Server
}

// New prepares the node's services and binds their listeners, so a port
// already in use is reported before anything starts.
func New(cfg Config, clientCtx client.Context, log *slog.Logger) (*Node, error) {
	supply, err := GenesisSupply(filepath.Join(cfg.Home, "config", "genesis.json"))
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, clientCtx: clientCtx}
	chain := chainquery.New(clientCtx, supply)
	blobs, err := blob.Open(filepath.Join(cfg.Home, "data", "blobs"), blob.WithLogger(log.With("component", "blob")))
	if err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	n.gc = &blobGC{store: blobs, chain: chain, log: log.With("component", "blob"), interval: 10 * time.Minute, minAge: time.Hour}

	n.rt, err = runtime.New(filepath.Join(cfg.Home, "data", "wasm-cache"), runtime.WithLogger(log.With("component", "runtime")))
	if err != nil {
		return nil, fmt.Errorf("start the wasm runtime: %w", err)
	}
	m, err := loadMeter(filepath.Join(cfg.Home, "data", "usage.json"))
	if err != nil {
		return nil, err
	}
	n.replicas = newReplicaManager(n.rt, blobs, filepath.Join(cfg.Home, "data", "kv"), log.With("component", "replicas"))
	n.replicas.meter = m
	n.view = newChainView(clientCtx, func() string { return n.agent.Sharer() })
	n.agent = newAgent(cfg.Home, clientCtx, cfg.MinGasPrices, n.view, n.replicas, m, log.With("component", "agent"))
	n.replicas.peers = func() []string { return n.peerBlobURLs() }
	n.metrics = newMetrics(n.replicas)

	verifier, err := reqsign.NewVerifier()
	if err != nil {
		return nil, err
	}
	blobHandler := precompileUploads(blob.Handler(blobs, verifier, chain, blob.HandlerOptions{Logger: log.With("component", "blob")}), n.replicas)
	join := &joinHandlers{genesisFile: filepath.Join(cfg.Home, "config", "genesis.json"), p2p: cfg.P2P, clientCtx: clientCtx}
	logsVerifier, err := reqsign.NewVerifier()
	if err != nil {
		return nil, err
	}
	n.logs = &logsHandler{n: n, verifier: logsVerifier} // before the API mounts it
	// The dashboard's sign-in and its sessions live on --http only; the
	// gateway's copy of the logs endpoint (/_q1/…) accepts signed requests only.
	auth := dashboard.NewAuth()
	httpLogs := &logsHandler{n: n, verifier: logsVerifier, session: auth.Account}
	apiSrv := api.New(chain,
		api.WithLogger(log.With("component", "api")),
		api.WithHandler("GET /v1/genesis", http.HandlerFunc(join.genesis)),
		api.WithHandler("GET /v1/peers", http.HandlerFunc(join.peers)),
		api.WithHandler("/v1/blobs", blobHandler),
		api.WithHandler("/v1/blobs/", blobHandler),
		api.WithHandler("GET /v1/services/{name}/logs", httpLogs),
		api.WithHandler("GET /v1/auth/challenge", http.HandlerFunc(auth.ServeChallenge)),
		api.WithHandler("POST /v1/auth/session", http.HandlerFunc(auth.ServeSignIn)),
		api.WithHandler("GET /v1/auth/session", http.HandlerFunc(auth.ServeSession)),
		api.WithHandler("DELETE /v1/auth/session", http.HandlerFunc(auth.ServeSignOut)),
	)
	n.gateway = newGatewaySwitch(cfg.GatewayAddr, n, blobHandler, log.With("component", "gateway"))

	if n.httpLn, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen on --http %s: %w", cfg.HTTPAddr, err)
	}
	if n.gatewayLn, err = net.Listen("tcp", cfg.GatewayAddr); err != nil {
		n.httpLn.Close()
		return nil, fmt.Errorf("listen on --gateway %s: %w", cfg.GatewayAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", apiSrv)
	// CometBFT's metrics, the Go runtime's and ours share the default registry.
	mux.Handle("GET /metrics", promhttp.Handler())
	mux.Handle("/", dashboard.Handler())
	n.httpSrv = newServer(mux, log)
	n.gatewaySrv = newServer(n.gateway, log)
	return n, nil
}

func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// peerBlobURLs are the other sharers' nodes, as bases blob.Fetcher appends
// /v1/blobs/{hash} to: a node serves its blobs on its gateway under /_q1.
func (n *Node) peerBlobURLs() []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	eps, err := n.view.Endpoints(ctx)
	if err != nil {
		n.log.Warn("list peers", "err", err)
		return nil
	}
	for i, e := range eps {
		eps[i] = strings.TrimRight(e, "/") + nodePathPrefix
	}
	return eps
}

// Run serves until ctx is cancelled, then shuts everything down cleanly:
// listeners first, then the replicas (in-flight requests drain), then the
// runtime.
func (n *Node) Run(ctx context.Context) error {
	go n.gc.run(ctx)
	agentDone := make(chan struct{})
	go func() { n.agent.run(ctx); close(agentDone) }()
	errc := make(chan error, 2)
	serve := func(name string, srv *http.Server, ln net.Listener) {
		n.log.Info(name+" listening", "component", "node", "addr", ln.Addr().String())
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve %s: %w", name, err)
		}
	}
	go serve("HTTP API", n.httpSrv, n.httpLn)
	go serve("gateway", n.gatewaySrv, n.gatewayLn)
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, srv := range []*http.Server{n.gatewaySrv, n.httpSrv} {
		if err := srv.Shutdown(shutdownCtx); err != nil && runErr == nil {
			runErr = fmt.Errorf("shut down listeners: %w", err)
		}
	}
	<-agentDone
	n.replicas.Reconcile(shutdownCtx, nil)
	if err := n.rt.Close(shutdownCtx); err != nil {
		n.log.Warn("close runtime", "err", err)
	}
	n.log.Info("node services stopped", "component", "node")
	return runErr
}

// GenesisSupply reads the uqc supply a genesis file created.
func GenesisSupply(genesisFile string) (sdkmath.Int, error) {
	gen, err := genutiltypes.AppGenesisFromFile(genesisFile)
	if err != nil {
		return sdkmath.Int{}, fmt.Errorf("read genesis: %w", err)
	}
	state, err := genutiltypes.GenesisStateFromAppGenesis(gen)
	if err != nil {
		return sdkmath.Int{}, fmt.Errorf("read genesis app state: %w", err)
	}
	enc := app.MakeEncodingConfig()
	var bank banktypes.GenesisState
	if err := enc.Codec.UnmarshalJSON(state[banktypes.ModuleName], &bank); err != nil {
		return sdkmath.Int{}, fmt.Errorf("read genesis bank state: %w", err)
	}
	total := bank.Supply.AmountOf(app.BondDenom)
	if total.IsZero() {
		// A genesis may leave supply empty; the bank then sums the balances.
		for _, b := range bank.Balances {
			total = total.Add(b.Coins.AmountOf(app.BondDenom))
		}
	}
	return total, nil
}
