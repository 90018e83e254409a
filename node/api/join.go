package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	cmtcfg "github.com/cometbft/cometbft/config"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	sdkclient "github.com/cosmos/cosmos-sdk/client"

	"github.com/quantum1net/q1/client"
)

// WithJoin serves what a new node needs to join this network (q1 init
// --join): GET /v1/genesis, the genesis file byte for byte, so its hash is
// the network's genesis hash, and GET /v1/peers, this node as a persistent
// peer (from p2p's listen and external addresses) and the peers node is
// connected to.
func WithJoin(genesisFile string, p2p *cmtcfg.P2PConfig, node sdkclient.CometRPC) Option {
	j := &join{genesisFile: genesisFile, p2p: p2p, node: node}
	return func(s *Server) {
		s.mux.HandleFunc("GET /v1/genesis", j.genesis)
		s.mux.HandleFunc("GET /v1/peers", j.peers)
	}
}

type join struct {
	genesisFile string
	p2p         *cmtcfg.P2PConfig
	node        sdkclient.CometRPC
}

func (j *join) genesis(w http.ResponseWriter, _ *http.Request) {
	b, err := os.ReadFile(j.genesisFile)
	if err != nil {
		WriteJSON(w, http.StatusInternalServerError, client.Error{Error: "read genesis: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (j *join) peers(w http.ResponseWriter, r *http.Request) {
	p, err := j.peerList(r.Context())
	if err != nil {
		WriteJSON(w, http.StatusServiceUnavailable, client.Error{Error: err.Error()})
		return
	}
	WriteJSON(w, http.StatusOK, p)
}

func (j *join) peerList(ctx context.Context) (*client.Peers, error) {
	st, err := j.node.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("node status: %w", err)
	}
	id := string(st.NodeInfo.ID())
	out := &client.Peers{ChainID: st.NodeInfo.Network, NodeID: id, Connected: []string{}}
	if _, port, err := net.SplitHostPort(trimScheme(j.p2p.ListenAddress)); err == nil {
		out.SelfPort, _ = strconv.Atoi(port)
	}
	if ext := j.p2p.ExternalAddress; ext != "" {
		out.Self = id + "@" + trimScheme(ext)
	}
	if ni, ok := j.node.(interface {
		NetInfo(context.Context) (*coretypes.ResultNetInfo, error)
	}); ok {
		info, err := ni.NetInfo(ctx)
		if err != nil {
			return nil, fmt.Errorf("node net info: %w", err)
		}
		for _, p := range info.Peers {
			_, port, err := net.SplitHostPort(trimScheme(p.NodeInfo.ListenAddr))
			if err != nil {
				continue
			}
			out.Connected = append(out.Connected, fmt.Sprintf("%s@%s", p.NodeInfo.ID(), net.JoinHostPort(p.RemoteIP, port)))
		}
	}
	return out, nil
}

func trimScheme(addr string) string {
	if i := strings.Index(addr, "://"); i >= 0 {
		return addr[i+3:]
	}
	return addr
}
