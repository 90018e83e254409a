package node

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/node/api"
	"github.com/quantum1net/q1/node/chainview"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/hotkey"
	"github.com/quantum1net/q1/node/replicas"
)

// nodePathPrefix is where a node serves other nodes on its gateway listener
// (blobs for now), on the bare gateway host only: a service's origin
// ({service}.host) never reaches it, and no service can be named "_q1".
const nodePathPrefix = "/_q1"

// gatewaySwitch is the --gateway listener's handler. It serves services
// through node/gateway once this node is a registered sharer (the
// gateway needs the sharer's address and hot key), and node-to-node paths
// under /_q1.
type gatewaySwitch struct {
	hosts []string
	gatewayParts
	log *slog.Logger

	mu     sync.Mutex
	sharer string
	gw     *gateway.Gateway
}

// gatewayParts are what the gateway listener serves with.
type gatewayParts struct {
	config    gateway.Config // limits; BaseHosts are filled in from the listen address
	keys      *hotkey.Source
	replicas  *replicas.Manager
	view      *chainview.View
	metrics   *metrics
	logs      http.Handler // a service's logs, signed requests only
	blobs     http.Handler // the blob store's, read-only here
	audit     http.Handler // this node's audit data, to signed auditors
	schedules http.Handler // what this node recorded of a service's schedules
}

func newGatewaySwitch(addr string, parts gatewayParts, log *slog.Logger) *gatewaySwitch {
	return &gatewaySwitch{hosts: baseHosts(addr), gatewayParts: parts, log: log}
}

// baseHosts are the host names the gateway answers on: its listen host,
// and loopback's names when it listens on loopback or everywhere.
func baseHosts(addr string) []string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	hosts := []string{"localhost", "127.0.0.1"}
	switch host {
	case "", "0.0.0.0", "::", "localhost", "127.0.0.1":
	default:
		hosts = append(hosts, strings.ToLower(host))
	}
	return hosts
}

func (s *gatewaySwitch) isBareHost(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	for _, b := range s.hosts {
		if strings.EqualFold(host, b) {
			return true
		}
	}
	return false
}

func (s *gatewaySwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.isBareHost(r) && strings.HasPrefix(r.URL.Path, nodePathPrefix+"/") {
		s.serveNode(w, r)
		return
	}
	g := s.current()
	if g == nil {
		http.Error(w, "this node does not serve services yet: it is not a registered sharer (q1 sharer register on this node)",
			http.StatusServiceUnavailable)
		return
	}
	g.ServeHTTP(w, r)
}

// serveNode serves what other nodes and clients ask a node about itself:
// its blobs (read-only), the state of its replicas, its services' logs and
// its audit data.
func (s *gatewaySwitch) serveNode(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, nodePathPrefix)
	if path == "/v1/replicas" && r.Method == http.MethodGet {
		api.WriteJSON(w, http.StatusOK, s.replicas.States())
		return
	}
	if name, ok := strings.CutPrefix(path, "/v1/services/"); ok && r.Method == http.MethodGet {
		if name, ok = strings.CutSuffix(name, "/logs"); ok && !strings.Contains(name, "/") {
			r2 := r.Clone(r.Context())
			r2.SetPathValue("name", name)
			s.logs.ServeHTTP(w, r2)
			return
		}
		if name, ok = strings.CutSuffix(strings.TrimPrefix(path, "/v1/services/"), "/schedules"); ok && !strings.Contains(name, "/") && s.schedules != nil {
			r2 := r.Clone(r.Context())
			r2.SetPathValue("name", name)
			s.schedules.ServeHTTP(w, r2)
			return
		}
	}
	if rest, ok := strings.CutPrefix(path, "/v1/audit/"); ok && r.Method == http.MethodGet && s.audit != nil {
		if parts := strings.Split(rest, "/"); len(parts) == 3 {
			r2 := r.Clone(r.Context())
			r2.SetPathValue("lease", parts[0])
			r2.SetPathValue("epoch", parts[1])
			r2.SetPathValue("instance", parts[2])
			s.audit.ServeHTTP(w, r2)
			return
		}
	}
	if rest, ok := strings.CutPrefix(path, "/v1/blobs/"); ok && r.Method == http.MethodPost {
		if hash, ok := strings.CutSuffix(rest, "/warm"); ok && !strings.Contains(hash, "/") {
			// An announcement that a module may be placed here soon:
			// compile it ahead (bounded; replicas.WarmHandler).
			r2 := r.Clone(r.Context())
			r2.SetPathValue("hash", hash)
			replicas.WarmHandler(s.replicas).ServeHTTP(w, r2)
			return
		}
	}
	if !strings.HasPrefix(path, "/v1/blobs/") || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.Error(w, "no node endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	r2.URL.RawPath = ""
	s.blobs.ServeHTTP(w, r2)
}

// current returns the gateway for this node's sharer, building it when the
// node becomes (or changes) sharer.
func (s *gatewaySwitch) current() *gateway.Gateway {
	sharer := s.keys.Sharer()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sharer == "" {
		return nil
	}
	if sharer == s.sharer && s.gw != nil {
		return s.gw
	}
	key, ok := s.keys.Key()
	if !ok {
		return nil
	}
	verifier, err := reqsign.NewVerifier()
	if err != nil {
		s.log.Error("gateway verifier", "err", err)
		return nil
	}
	cfg := s.config
	cfg.BaseHosts = s.hosts
	gw, err := gateway.New(cfg, gateway.Deps{
		Self:     sharer,
		Runtime:  s.replicas,
		Chain:    s.view,
		Verifier: verifier,
		NodeKey:  key.Key,
		NodeKeys: s.view,
		Meter:    s.metrics,
	}, gateway.WithLogger(s.log))
	if err != nil {
		s.log.Error("start gateway", "err", err)
		return nil
	}
	s.sharer, s.gw = sharer, gw
	s.log.Info("gateway serving services", "sharer", sharer, "hosts", strings.Join(s.hosts, ","))
	return gw
}
