package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/quantum1net/q1/node"
)

const (
	flagHTTP    = "http"
	flagGateway = "gateway"
)

// startOptions make the SDK's `start` run our services beside the node.
func startOptions() server.StartCmdOptions {
	return server.StartCmdOptions{
		AddFlags: func(cmd *cobra.Command) {
			cmd.Flags().String(flagHTTP, "127.0.0.1:8080", "address of the HTTP JSON API (/v1/…), dashboard and metrics")
			cmd.Flags().String(flagGateway, "127.0.0.1:8081", "address of the service gateway")
		},
		PostSetup: func(svrCtx *server.Context, clientCtx client.Context, ctx context.Context, g *errgroup.Group) error {
			// A node's heap is mostly short-lived tx garbage: collecting less
			// often bought ~20% more sends/s in q1 bench chain. GOGC overrides.
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(400)
			}
			logger := newSlogLogger(svrCtx.Viper.GetString(flags.FlagLogFormat))
			// The same minimum-gas-prices the app's mempool applies (app.toml
			// or --minimum-gas-prices): the node's hot key pays them.
			minGasPrices, err := sdk.ParseDecCoins(svrCtx.Viper.GetString(server.FlagMinGasPrices))
			if err != nil {
				return fmt.Errorf("minimum-gas-prices: %w", err)
			}
			cfg := node.Config{
				Home:         svrCtx.Config.RootDir,
				P2P:          svrCtx.Config.P2P,
				HTTPAddr:     svrCtx.Viper.GetString(flagHTTP),
				GatewayAddr:  svrCtx.Viper.GetString(flagGateway),
				MinGasPrices: minGasPrices,
			}
			g.Go(func() error { return node.Run(ctx, cfg, clientCtx, logger) })
			return nil
		},
	}
}

// newSlogLogger returns the logger of our own components: JSON when the
// SDK's --log_format is json, text otherwise, on stderr like the SDK's.
func newSlogLogger(format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}
