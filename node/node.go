// Package node wires what `q1 start` runs beside the SDK node: the blob
// store, the wasm runtime, the services' kept log lines (node/servicelogs),
// the replica manager (node/replicas), the agent
// (node/agent), the chain view (node/chainview), the HTTP API (node/api)
// with the dashboard and metrics, and the gateway (node/gateway). Run
// builds each part in dependency order and closes them in reverse. Every
// part reads committed chain state through client/chainquery, with the
// same client context the SDK's own gRPC and API servers use.
package node

import (
	"context"
	"fmt"
	cmtlocal "github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/client/chainquery"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/node/agent"
	"github.com/quantum1net/q1/node/api"
	"github.com/quantum1net/q1/node/audit"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/chainview"
	"github.com/quantum1net/q1/node/dashboard"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/hotkey"
	"github.com/quantum1net/q1/node/receipts"
	"github.com/quantum1net/q1/node/replicas"
	"github.com/quantum1net/q1/node/runtime"
	"github.com/quantum1net/q1/node/schedule"
	"github.com/quantum1net/q1/node/secrets"
	"github.com/quantum1net/q1/node/servicelogs"
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
	// Runtime are options of the wasm runtime (guest slots, queue limits).
	Runtime []runtime.Option
	// Gateway holds the gateway's limits; its BaseHosts are the node's own.
	Gateway gateway.Config
	// MinGasPrices are the node's minimum-gas-prices (app.toml): what its
	// hot key pays per unit of gas.
	MinGasPrices sdk.DecCoins
	// HotKeyFirstAttemptGas, when positive, caps the first attempt of each
	// hot-key tx at this fraction of its simulated gas: a test's way to make
	// that attempt run out of gas (hotkey.Config.FirstAttemptGas). Zero in
	// production.
	HotKeyFirstAttemptGas sdkmath.LegacyDec
}

// Run builds the node's parts in dependency order, serves until ctx ends
// (or a listener fails), then closes every part in reverse order and
// waits for its goroutines. A port already in use is reported before
// anything serves.
func Run(ctx context.Context, cfg Config, clientCtx client.Context, log *slog.Logger) (err error) {
	defer log.Info("node services stopped", "component", "node")
	supply, err := GenesisSupply(filepath.Join(cfg.Home, "config", "genesis.json"))
	if err != nil {
		return err
	}
	chain := chainquery.New(clientCtx, supply)
	keys := hotkey.NewSource(cfg.Home)
	view := chainview.New(clientCtx, chainview.WithSelf(keys.Sharer))

	blobs, err := blob.Open(filepath.Join(cfg.Home, "data", "blobs"), blob.WithLogger(log.With("component", "blob")))
	if err != nil {
		return fmt.Errorf("open blob store: %w", err)
	}
	defer closeLogged(log, "blob store", blobs.Close)

	rt, err := runtime.New(filepath.Join(cfg.Home, "data", "wasm-cache"), append([]runtime.Option{runtime.WithLogger(log.With("component", "runtime"))}, cfg.Runtime...)...)
	if err != nil {
		return fmt.Errorf("start the wasm runtime: %w", err)
	}
	defer closeLogged(log, "runtime", withShutdownTimeout(rt.Close))

	logs, err := servicelogs.Open(filepath.Join(cfg.Home, "data", "logs"), servicelogs.WithLogger(log.With("component", "logs")))
	if err != nil {
		return err
	}
	defer closeLogged(log, "service logs", logs.Close)

	rcpts, err := receipts.Open(filepath.Join(cfg.Home, "data", "receipts"), receipts.WithLogger(log.With("component", "receipts")))
	if err != nil {
		return err
	}
	defer closeLogged(log, "receipt store", rcpts.Close)
	meter, err := agent.LoadMeter(filepath.Join(cfg.Home, "data", "usage.json"), rcpts)
	if err != nil {
		return err
	}
	secretStore := secrets.New(view, keys, log.With("component", "secrets"))
	reps := replicas.New(rt, blobs, filepath.Join(cfg.Home, "data", "kv"),
		replicas.WithSecrets(secretStore.For),
		replicas.WithLogger(log.With("component", "replicas")),
		replicas.WithMeter(meter),
		replicas.WithReceipts(rcpts),
		replicas.WithLogs(logs),
		replicas.WithPeers(func() []string { return peerBlobURLs(view, log) }))
	defer closeLogged(log, "replicas", withShutdownTimeout(reps.Close))

	hotChain := hotkey.NodeChain(clientCtx)
	newSender := func(k hotkeyfile.Key) (agent.Sender, error) {
		return hotkey.NewSender(k, hotChain, clientCtx.TxConfig, clientCtx.ChainID, hotkey.Config{
			GasPrices:       cfg.MinGasPrices,
			FirstAttemptGas: cfg.HotKeyFirstAttemptGas,
			Logger:          log.With("component", "hotkey"),
		})
	}
	agentOpts := []agent.Option{agent.WithLogger(log.With("component", "agent")),
		agent.WithSecrets(secretStore, func(service string) []string {
			var out []string
			for _, r := range view.Replicas(service) {
				out = append(out, r.Sharer)
			}
			return out
		})}
	if blocks, stop := newBlocks(clientCtx, log); blocks != nil {
		defer stop()
		agentOpts = append(agentOpts, agent.WithBlocks(blocks))
	}
	ag := agent.New(keys, view, reps, meter, newSender, agentOpts...)
	defer closeLogged(log, "agent", ag.Close)

	schedules, err := schedule.OpenStore(filepath.Join(cfg.Home, "data", "schedules.json"))
	if err != nil {
		return err
	}
	cron := schedule.Start(schedule.Config{
		Chain: view, Local: reps, Peers: schedule.GatewayPeers{}, Store: schedules,
		Services: func() []string { return servingServices(reps) },
		Self:     keys.Sharer,
		Logs:     logs.Sink,
		Log:      log.With("component", "schedule"),
	})
	defer closeLogged(log, "schedule runner", cron.Close)

	auditor, err := audit.NewWorker(audit.Config{
		Keys: keys, Chain: view, Store: rcpts, Sender: auditSender(ag),
		Modules: auditModules(blobs, view, log.With("component", "audit")),
		Replay:  auditReplay(rt, reps, view),
		Dir:     filepath.Join(cfg.Home, "data", "audits"),
		Log:     log.With("component", "audit"),
	})
	if err != nil {
		return err
	}
	defer closeLogged(log, "audit worker", auditor.Close)

	gc := blob.StartCollector(blobs, chain, log.With("component", "blob"), 10*time.Minute, time.Hour)
	defer closeLogged(log, "blob collector", gc.Close)

	auditData, err := auditHandler(rcpts, auditor, log)
	if err != nil {
		return err
	}
	handlers, err := newHandlers(cfg, clientCtx, chain, view, keys, reps, blobs, logs, auditData, schedules, log)
	if err != nil {
		return err
	}
	srv, err := listen(log, listener{"HTTP API", "--http", cfg.HTTPAddr, handlers.http}, listener{"gateway", "--gateway", cfg.GatewayAddr, handlers.gateway})
	if err != nil {
		return err
	}
	defer closeLogged(log, "listeners", srv.Close)

	select {
	case <-ctx.Done():
		return nil
	case err := <-srv.failed:
		return err
	}
}

// newBlocks signals each block the in-process CometBFT node commits (its
// new-block-header events), so the agent learns of a lease from the block
// that placed it instead of at its next poll. With a client that is not
// in-process it returns nil: the agent polls. stop ends the subscription.
func newBlocks(clientCtx client.Context, log *slog.Logger) (<-chan struct{}, func()) {
	lc, ok := clientCtx.Client.(*cmtlocal.Local)
	if !ok {
		log.Info("the CometBFT client is not in-process; the agent polls for new heights", "component", "agent")
		return nil, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	const subscriber = "q1-node-agent"
	events, err := lc.Subscribe(ctx, subscriber, cmttypes.EventQueryNewBlockHeader.String(), 16)
	if err != nil {
		cancel()
		log.Warn("no new-block events; the agent polls for new heights", "component", "agent", "err", err)
		return nil, nil
	}
	log.Info("the agent follows new-block events", "component", "agent")
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-events:
				select {
				case out <- struct{}{}:
				default: // a step is already due
				}
			}
		}
	}()
	return out, func() {
		cancel()
		<-done
		_ = lc.Unsubscribe(context.Background(), subscriber, cmttypes.EventQueryNewBlockHeader.String())
	}
}

// shutdownTimeout bounds how long a part may take to close.
const shutdownTimeout = 10 * time.Second

func withShutdownTimeout(close func(context.Context) error) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		return close(ctx)
	}
}

// closeLogged closes a part, logging what went wrong: the node is
// stopping, and every other part must close too.
func closeLogged(log *slog.Logger, part string, close func() error) {
	if err := close(); err != nil {
		log.Warn("close "+part, "component", "node", "err", err)
	}
}

// handlers are what the node's two listeners serve.
type handlers struct {
	http, gateway http.Handler
}

func newHandlers(cfg Config, clientCtx client.Context, chain *chainquery.Chain, view *chainview.View,
	keys *hotkey.Source, reps *replicas.Manager, blobs *blob.Store, kept *servicelogs.Store, auditData *audit.Handler,
	schedules *schedule.Store, log *slog.Logger) (*handlers, error) {
	verifier, err := reqsign.NewVerifier()
	if err != nil {
		return nil, err
	}
	blobHandler := replicas.PrecompileUploads(blob.Handler(blobs, verifier, chain, blob.HandlerOptions{Logger: log.With("component", "blob")}), reps)
	logsVerifier, err := reqsign.NewVerifier()
	if err != nil {
		return nil, err
	}
	logs := &servicelogs.Handler{Chain: view, Store: kept, Self: keys.Sharer, Verifier: logsVerifier}
	// The dashboard's sign-in and its sessions live on --http only; the
	// gateway's copy of the logs endpoint (/_q1/…) accepts signed requests only.
	nodeKey, err := p2p.LoadNodeKey(filepath.Join(cfg.Home, "config", "node_key.json"))
	if err != nil {
		return nil, fmt.Errorf("read the node's id: %w", err)
	}
	auth, err := dashboard.NewAuth(clientCtx.ChainID, string(nodeKey.ID()))
	if err != nil {
		return nil, err
	}
	httpLogs := &servicelogs.Handler{Chain: view, Store: kept, Self: keys.Sharer, Verifier: logsVerifier, Session: auth.Account}
	apiSrv := api.New(chain,
		api.WithLogger(log.With("component", "api")),
		api.WithJoin(filepath.Join(cfg.Home, "config", "genesis.json"), cfg.P2P, clientCtx.Client),
		api.WithHandler("/v1/blobs", blobHandler),
		api.WithHandler("/v1/blobs/", blobHandler),
		api.WithHandler("GET /v1/services/{name}/logs", httpLogs),
		api.WithHandler("GET /v1/services/{name}/schedules", schedule.GatherHandler(view, schedule.GatewayPeers{}, schedules, keys.Sharer, api.WriteJSON)),
		api.WithHandler("GET /v1/audit/{lease}/{epoch}/{instance}", auditData),
		api.WithHandler("GET /v1/auth/challenge", http.HandlerFunc(auth.ServeChallenge)),
		api.WithHandler("POST /v1/auth/session", http.HandlerFunc(auth.ServeSignIn)),
		api.WithHandler("GET /v1/auth/session", http.HandlerFunc(auth.ServeSession)),
		api.WithHandler("DELETE /v1/auth/session", http.HandlerFunc(auth.ServeSignOut)),
	)
	mux := http.NewServeMux()
	mux.Handle("/v1/", apiSrv)
	// CometBFT's metrics, the Go runtime's and ours share the default registry.
	mux.Handle("GET /metrics", promhttp.Handler())
	mux.Handle("/", dashboard.Handler())
	gw := newGatewaySwitch(cfg.GatewayAddr, gatewayParts{
		config: cfg.Gateway, keys: keys, replicas: reps, view: view, metrics: newMetrics(reps), logs: logs, blobs: blobHandler, audit: auditData,
		schedules: schedule.LocalHandler(view, schedules, api.WriteJSON),
	}, log.With("component", "gateway"))
	return &handlers{http: mux, gateway: gw}, nil
}

// servingServices lists the services whose replicas serve on this node.
func servingServices(reps *replicas.Manager) []string {
	var out []string
	for _, r := range reps.States() {
		if r.State == "serving" {
			out = append(out, r.Service)
		}
	}
	return out
}

// peerBlobURLs are the other sharers' nodes, as bases blob.Fetcher appends
// /v1/blobs/{hash} to: a node serves its blobs on its gateway under /_q1.
func peerBlobURLs(view *chainview.View, log *slog.Logger) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	eps, err := view.Endpoints(ctx)
	if err != nil {
		log.Warn("list peers", "component", "replicas", "err", err)
		return nil
	}
	for i, e := range eps {
		eps[i] = strings.TrimRight(e, "/") + nodePathPrefix
	}
	return eps
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
