package node

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
	"github.com/cosmos/cosmos-sdk/client"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/node/api"
)

// joinHandlers serve what a new node needs to join this network: the exact
// genesis file and a list of peers.
type joinHandlers struct {
	genesisFile string
	p2p         *cmtcfg.P2PConfig
	clientCtx   client.Context
}

// genesis serves the genesis file byte for byte, so its hash is the
// network's genesis hash.
func (j *joinHandlers) genesis(w http.ResponseWriter, r *http.Request) {
	b, err := os.ReadFile(j.genesisFile)
	if err != nil {
		api.WriteJSON(w, http.StatusInternalServerError, q1client.Error{Error: "read genesis: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (j *joinHandlers) peers(w http.ResponseWriter, r *http.Request) {
	p, err := j.peerList(r.Context())
	if err != nil {
		api.WriteJSON(w, http.StatusServiceUnavailable, q1client.Error{Error: err.Error()})
		return
	}
	api.WriteJSON(w, http.StatusOK, p)
}

func (j *joinHandlers) peerList(ctx context.Context) (*q1client.Peers, error) {
	st, err := j.clientCtx.Client.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("node status: %w", err)
	}
	id := string(st.NodeInfo.ID())
	out := &q1client.Peers{ChainID: st.NodeInfo.Network, NodeID: id, Connected: []string{}}
	if _, port, err := net.SplitHostPort(trimScheme(j.p2p.ListenAddress)); err == nil {
		out.SelfPort, _ = strconv.Atoi(port)
	}
	if ext := j.p2p.ExternalAddress; ext != "" {
		out.Self = id + "@" + trimScheme(ext)
	}
	if ni, ok := j.clientCtx.Client.(interface {
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
