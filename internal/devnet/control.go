package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ControlSocket is the name of the Unix socket in a devnet directory on
// which a running `q1 devnet` answers `q1 devnet status|stop|restart`.
const ControlSocket = "devnet.sock"

// maxSocketPath is the longest path a Unix socket address can hold on
// Linux (sun_path is 108 bytes, NUL included).
const maxSocketPath = 107

// ServeControl serves the supervisor's control API on dir/devnet.sock until
// ctx ends: GET /nodes lists the nodes' states, POST /nodes/{name}/stop stops
// one (SIGTERM, then SIGKILL) and POST /nodes/{name}/restart stops it if it
// runs and starts it again. Only the user who can reach the socket file
// (created 0600) can use it. It fails when another supervisor already
// serves dir.
func (s *Supervisor) ServeControl(ctx context.Context, dir string) (stop func(), err error) {
	path := filepath.Join(dir, ControlSocket)
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("control socket path %s is longer than %d bytes: use a shorter --dir", path, maxSocketPath)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another q1 devnet is already running in %s (its control socket %s answers)", dir, path)
	}
	_ = os.Remove(path) // left by a supervisor that did not stop cleanly
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("restrict control socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /nodes", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.States())
	})
	mux.HandleFunc("POST /nodes/{name}/{action}", func(w http.ResponseWriter, r *http.Request) {
		name, action := r.PathValue("name"), r.PathValue("action")
		i := s.Index(name)
		if i < 0 {
			writeJSON(w, http.StatusNotFound, controlError{fmt.Sprintf("no node named %q; this network has %s", name, s.names())})
			return
		}
		switch action {
		case "stop":
			if err := s.Stop(i, 15*time.Second); err != nil {
				writeJSON(w, http.StatusInternalServerError, controlError{err.Error()})
				return
			}
		case "restart":
			if err := s.Stop(i, 15*time.Second); err != nil {
				writeJSON(w, http.StatusInternalServerError, controlError{err.Error()})
				return
			}
			if err := s.Start(i); err != nil {
				writeJSON(w, http.StatusInternalServerError, controlError{err.Error()})
				return
			}
		default:
			writeJSON(w, http.StatusNotFound, controlError{fmt.Sprintf("unknown action %q (stop, restart)", action)})
			return
		}
		writeJSON(w, http.StatusOK, s.States()[i])
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		_ = srv.Close()
	}()
	return func() {
		close(stopped)
		<-done
		_ = os.Remove(path)
	}, nil
}

func (s *Supervisor) names() string {
	names := make([]string, len(s.Net.Nodes))
	for i, n := range s.Net.Nodes {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

type controlError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// ErrNotRunning means no `q1 devnet` serves the directory's control socket.
var ErrNotRunning = errors.New("no q1 devnet is running there")

// Control is a client of a running supervisor's control socket.
type Control struct {
	dir string
	hc  *http.Client
}

// DialControl returns a client of the q1 devnet running in dir. It fails
// with an error wrapping ErrNotRunning when none answers there.
func DialControl(dir string) (*Control, error) {
	path := filepath.Join(dir, ControlSocket)
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%w: %s has no running network (start one with q1 devnet --dir %s)", ErrNotRunning, dir, dir)
		}
		return nil, fmt.Errorf("reach the q1 devnet in %s: %w", dir, err)
	}
	c.Close()
	return &Control{dir: dir, hc: &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}},
	}}, nil
}

// Nodes lists the nodes' states.
func (c *Control) Nodes(ctx context.Context) ([]NodeState, error) {
	var out []NodeState
	return out, c.do(ctx, http.MethodGet, "/nodes", &out)
}

// Stop stops node name and returns its new state.
func (c *Control) Stop(ctx context.Context, name string) (NodeState, error) {
	var out NodeState
	return out, c.do(ctx, http.MethodPost, "/nodes/"+name+"/stop", &out)
}

// Restart stops node name if it runs, starts it, and returns its new state.
func (c *Control) Restart(ctx context.Context, name string) (NodeState, error) {
	var out NodeState
	return out, c.do(ctx, http.MethodPost, "/nodes/"+name+"/restart", &out)
}

func (c *Control) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://devnet"+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("ask the q1 devnet in %s: %w", c.dir, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e controlError
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("q1 devnet answered %s", resp.Status)
	}
	return json.Unmarshal(body, out)
}
