package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// listener is one address the node serves a handler on.
type listener struct {
	name, flag, addr string
	handler          http.Handler
}

// servers are the node's HTTP servers, serving until Close.
type servers struct {
	srvs   []*http.Server
	wg     sync.WaitGroup
	failed chan error // the first server that stopped by itself
}

// listen binds every address first, so a port in use is reported before
// anything serves, then serves each in a goroutine Close waits for.
func listen(log *slog.Logger, ls ...listener) (*servers, error) {
	lns := make([]net.Listener, 0, len(ls))
	for _, l := range ls {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, ln := range lns {
				ln.Close()
			}
			return nil, fmt.Errorf("listen on %s %s: %w", l.flag, l.addr, err)
		}
		lns = append(lns, limitListener(ln, maxConns, maxConnsPerIP))
	}
	s := &servers{failed: make(chan error, len(ls))}
	for i, l := range ls {
		srv := newServer(l.handler, log)
		s.srvs = append(s.srvs, srv)
		log.Info(l.name+" listening", "component", "node", "addr", lns[i].Addr().String())
		s.wg.Go(func() {
			if err := srv.Serve(lns[i]); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.failed <- fmt.Errorf("serve %s: %w", l.name, err)
			}
		})
	}
	return s, nil
}

// Close stops accepting, lets requests in flight finish (for up to the
// shutdown timeout; followed logs end with it) and waits for the servers.
func (s *servers) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var errs []error
	for _, srv := range s.srvs {
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
			errs = append(errs, fmt.Errorf("shut down listeners: %w", err))
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// The listeners' limits (docs/operations.md). Bodies are bounded by their
// handlers, which know how long a body may take: the gateway reads one for
// at most 30 s, a blob upload drops a client idle for 30 s.
const (
	headerTimeout = 10 * time.Second
	// writeTimeout bounds writing an answer: above the longest request a
	// manifest may ask for (1 minute) plus a forward hop. Followed logs
	// set their own deadline per round (servicelogs.StreamWriteTimeout).
	writeTimeout = 2 * time.Minute
	// idleTimeout closes a keep-alive connection with no request.
	idleTimeout    = 2 * time.Minute
	maxHeaderBytes = 64 << 10
	// Connections held at once, per listener and per client address.
	maxConns      = 4096
	maxConnsPerIP = 256
)

// newServer is an http.Server with the node's settings.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
