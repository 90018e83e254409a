package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/quantum1net/q1/node"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/runtime"
)

const (
	flagHTTP    = "http"
	flagGateway = "gateway"
	// flagHotKeyFirstGas is hidden: a test's knob (e2e) that makes the first
	// attempt of each hot-key tx ask for this fraction of its simulated
	// gas, so that it runs out of gas in its block and is tried again.
	flagHotKeyFirstGas = "hot-key-first-gas"
)

// startOptions make the SDK's `start` run our services beside the node.
func startOptions() server.StartCmdOptions {
	return server.StartCmdOptions{
		AddFlags: func(cmd *cobra.Command) {
			cmd.Flags().String(flagHTTP, "127.0.0.1:8080", "address of the HTTP JSON API (/v1/…), dashboard and metrics")
			cmd.Flags().String(flagGateway, "127.0.0.1:8081", "address of the service gateway")
			addLimitFlags(cmd)
			cmd.Flags().String(flagHotKeyFirstGas, "", "tests only: the first attempt of each hot-key tx asks for this fraction of its simulated gas (e.g. 0.9, to force an out-of-gas retry)")
			_ = cmd.Flags().MarkHidden(flagHotKeyFirstGas)
		},
		PostSetup: func(svrCtx *server.Context, clientCtx client.Context, ctx context.Context, g *errgroup.Group) error {
			// A node's heap is mostly short-lived tx garbage: collecting less
			// often bought ~20% more sends/s in q1 bench chain. GOGC overrides.
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(400)
			}
			logger := newSlogLogger(svrCtx.Viper.GetString(flags.FlagLogFormat), svrCtx.Viper.GetString(flags.FlagLogLevel))
			// The same minimum-gas-prices the app's mempool applies (app.toml
			// or --minimum-gas-prices): the node's hot key pays them.
			minGasPrices, err := sdk.ParseDecCoins(svrCtx.Viper.GetString(server.FlagMinGasPrices))
			if err != nil {
				return fmt.Errorf("minimum-gas-prices: %w", err)
			}
			firstGas, err := hotKeyFirstGas(svrCtx.Viper.GetString(flagHotKeyFirstGas))
			if err != nil {
				return err
			}
			cfg := node.Config{
				Home:         svrCtx.Config.RootDir,
				P2P:          svrCtx.Config.P2P,
				HTTPAddr:     svrCtx.Viper.GetString(flagHTTP),
				GatewayAddr:  svrCtx.Viper.GetString(flagGateway),
				MinGasPrices: minGasPrices,
				Runtime:      runtimeLimits(svrCtx.Viper.GetInt, svrCtx.Viper.GetDuration),
				Gateway:      gatewayLimits(svrCtx.Viper.GetInt),

				HotKeyFirstAttemptGas: firstGas,
			}
			if changes, err := recordStartAddresses(cfg.Home, svrCtx.Config.RPC.ListenAddress, cfg.HTTPAddr, cfg.GatewayAddr); err != nil {
				logger.Warn("could not record this node's addresses for q1 commands", "err", err)
			} else if len(changes) > 0 {
				logger.Info("recorded this node's addresses in config/client.toml, where q1 commands run with --home find them", "changes", strings.Join(changes, "; "))
			}
			g.Go(func() error { return node.Run(ctx, cfg, clientCtx, logger) })
			return nil
		},
	}
}

// hotKeyFirstGas reads --hot-key-first-gas: empty, or a fraction above 0.
func hotKeyFirstGas(s string) (sdkmath.LegacyDec, error) {
	if s == "" {
		return sdkmath.LegacyDec{}, nil
	}
	f, err := sdkmath.LegacyNewDecFromStr(s)
	if err != nil || !f.IsPositive() {
		return sdkmath.LegacyDec{}, fmt.Errorf("--%s %q: want a fraction of the simulated gas above 0, e.g. 0.9", flagHotKeyFirstGas, s)
	}
	return f, nil
}

// newSlogLogger returns the logger of our own components: JSON when the
// SDK's --log_format is json, text otherwise, on stderr like the SDK's, at
// the level --log_level gives everything (its plain or "*:" part).
func newSlogLogger(format, level string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slogLevel(level)}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// slogLevel reads the level of every module from a --log_level value such
// as "debug" or "consensus:info,*:debug"; info if it names none.
func slogLevel(logLevel string) slog.Level {
	for _, part := range strings.Split(logLevel, ",") {
		if rest, ok := strings.CutPrefix(part, "*:"); ok {
			part = rest
		} else if strings.Contains(part, ":") {
			continue // one module's level
		}
		switch strings.TrimSpace(part) {
		case "trace", "debug":
			return slog.LevelDebug
		case "warn":
			return slog.LevelWarn
		case "error", "fatal", "panic", "disabled":
			return slog.LevelError
		}
	}
	return slog.LevelInfo
}

// Flags of the limits that share a node's guest time and memory among
// services (docs/operations.md, "Guest time and queues").
const (
	flagGuestSlots         = "guest-slots"
	flagSlotWait           = "guest-slot-wait"
	flagTimeSlice          = "guest-time-slice"
	flagQueuePerService    = "queue-per-service"
	flagQueuePerNode       = "queue-per-node"
	flagQueueMiBPerService = "queue-mib-per-service"
	flagQueueMiBPerNode    = "queue-mib-per-node"
	flagBodyMiBPerService  = "body-mib-per-service"
	flagBodyMiBPerNode     = "body-mib-per-node"
)

func addLimitFlags(cmd *cobra.Command) {
	f, q := cmd.Flags(), runtime.DefaultQueueLimits
	f.Int(flagGuestSlots, 0, "guests running at once, shared in turns among services (0: CPU cores - 1)")
	f.Duration(flagSlotWait, runtime.DefaultSlotWait, "longest a request waits for an instance and a guest slot before 503")
	f.Duration(flagTimeSlice, runtime.DefaultTimeSlice, "how long a guest keeps a slot while another service waits")
	f.Int(flagQueuePerService, q.PerService, "requests of one service waiting to run")
	f.Int(flagQueuePerNode, q.Node, "requests of all services waiting to run")
	f.Int(flagQueueMiBPerService, int(q.PerServiceBytes>>20), "MiB of requests of one service waiting to run")
	f.Int(flagQueueMiBPerNode, int(q.NodeBytes>>20), "MiB of requests of all services waiting to run")
	f.Int(flagBodyMiBPerService, gateway.DefaultMaxBodyBytesPerService>>20, "MiB of request bodies of one service the gateway holds at once")
	f.Int(flagBodyMiBPerNode, gateway.DefaultMaxBodyBytes>>20, "MiB of request bodies the gateway holds at once")
}

func runtimeLimits(getInt func(string) int, getDuration func(string) time.Duration) []runtime.Option {
	opts := []runtime.Option{
		runtime.WithSlotWait(getDuration(flagSlotWait)),
		runtime.WithTimeSlice(getDuration(flagTimeSlice)),
		runtime.WithQueueLimits(runtime.QueueLimits{
			PerService: getInt(flagQueuePerService), PerServiceBytes: int64(getInt(flagQueueMiBPerService)) << 20,
			Node: getInt(flagQueuePerNode), NodeBytes: int64(getInt(flagQueueMiBPerNode)) << 20,
		}),
	}
	if n := getInt(flagGuestSlots); n > 0 {
		opts = append(opts, runtime.WithMaxConcurrentGuests(n))
	}
	return opts
}

func gatewayLimits(getInt func(string) int) gateway.Config {
	return gateway.Config{
		MaxBodyBytesPerService: max(0, int64(getInt(flagBodyMiBPerService))) << 20,
		MaxBodyBytes:           max(0, int64(getInt(flagBodyMiBPerNode))) << 20,
	}
}
