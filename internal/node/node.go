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
	"time"

	sdkmath "cosmossdk.io/math"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cosmos/cosmos-sdk/client"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/internal/api"
	"github.com/quantum1net/q1/internal/blob"
	"github.com/quantum1net/q1/internal/chainquery"
	"github.com/quantum1net/q1/internal/reqsign"
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
}

// Node is the set of services running beside one SDK node.
type Node struct {
	cfg       Config
	gc        *blobGC
	log       *slog.Logger
	clientCtx client.Context
	httpLn    net.Listener
	httpSrv   *http.Server
}

// New prepares the node's services and binds their listeners, so a port
// already in use is reported before anything starts.
func New(cfg Config, clientCtx client.Context, log *slog.Logger) (*Node, error) {
	supply, err := GenesisSupply(filepath.Join(cfg.Home, "config", "genesis.json"))
	if err != nil {
		return nil, err
	}
	chain := chainquery.New(clientCtx, supply)
	blobs, err := blob.Open(filepath.Join(cfg.Home, "data", "blobs"), blob.WithLogger(log.With("component", "blob")))
	if err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	verifier, err := reqsign.NewVerifier()
	if err != nil {
		return nil, err
	}
	blobHandler := blob.Handler(blobs, verifier, chain, blob.HandlerOptions{Logger: log.With("component", "blob")})
	join := &joinHandlers{genesisFile: filepath.Join(cfg.Home, "config", "genesis.json"), p2p: cfg.P2P, clientCtx: clientCtx}
	apiSrv := api.New(chain,
		api.WithLogger(log.With("component", "api")),
		api.WithHandler("GET /v1/genesis", http.HandlerFunc(join.genesis)),
		api.WithHandler("GET /v1/peers", http.HandlerFunc(join.peers)),
		api.WithHandler("/v1/blobs", blobHandler),
		api.WithHandler("/v1/blobs/", blobHandler),
	)

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on --http %s: %w", cfg.HTTPAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", apiSrv)
	// CometBFT's metrics, the Go runtime's and ours share the default registry.
	mux.Handle("GET /metrics", promhttp.Handler())
	return &Node{
		cfg: cfg,
		gc: &blobGC{store: blobs, chain: chain, log: log.With("component", "blob"),
			interval: 10 * time.Minute, minAge: time.Hour},
		log:       log,
		clientCtx: clientCtx,
		httpLn:    ln,
		httpSrv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}, nil
}

// Run serves until ctx is cancelled, then shuts the listeners down cleanly.
func (n *Node) Run(ctx context.Context) error {
	go n.gc.run(ctx)
	errc := make(chan error, 1)
	go func() {
		n.log.Info("HTTP API listening", "component", "api", "addr", n.httpLn.Addr().String())
		if err := n.httpSrv.Serve(n.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve HTTP API: %w", err)
		}
		close(errc)
	}()
	select {
	case <-ctx.Done():
	case err, ok := <-errc:
		if ok {
			return err
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down HTTP API: %w", err)
	}
	n.log.Info("HTTP API stopped", "component", "api")
	return nil
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
