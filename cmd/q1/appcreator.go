package main

import (
	"errors"
	"io"
	"sync"

	"cosmossdk.io/log"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/cosmos-sdk/server"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"

	"github.com/quantum1net/q1/app"
)

// newApp is the SDK server's app constructor for `q1 start`.
func newApp(logger log.Logger, db dbm.DB, traceStore io.Writer, appOpts servertypes.AppOptions) servertypes.Application {
	return &closeOnceApp{App: app.New(logger, db, traceStore, true, appOpts, server.DefaultBaseappOptions(appOpts)...)}
}

// closeOnceApp closes the app's databases once. On shutdown the SDK's start
// closes the app twice, first after stopping CometBFT (ignoring the error),
// then in its own cleanup, which logged the second close of the already
// closed LevelDB as an error, "leveldb: closed", on every Ctrl-C. A later
// Close returns the first one's result, so a real failure is still logged.
type closeOnceApp struct {
	*app.App
	once sync.Once
	err  error
}

// Close closes the app the first time and returns that result every time.
func (a *closeOnceApp) Close() error {
	a.once.Do(func() { a.err = a.App.Close() })
	return a.err
}

// exportApp is the SDK server's exporter for `q1 export`.
func exportApp(logger log.Logger, db dbm.DB, traceStore io.Writer, height int64, forZeroHeight bool,
	jailAllowedAddrs []string, appOpts servertypes.AppOptions, modulesToExport []string,
) (servertypes.ExportedApp, error) {
	a := app.New(logger, db, traceStore, height == -1, appOpts)
	if height != -1 {
		if err := a.LoadHeight(height); err != nil {
			return servertypes.ExportedApp{}, err
		}
	}
	if a == nil {
		return servertypes.ExportedApp{}, errors.New("app not created")
	}
	return a.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
}
