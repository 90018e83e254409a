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
		lns = append(lns, ln)
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

// newServer is an http.Server with the node's settings.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
