package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	sdkclient "github.com/cosmos/cosmos-sdk/client"

	"github.com/quantum1net/q1/client"
)

// joinNode is the CometBFT node behind the join endpoints: its status and
// the peers it is connected to.
type joinNode struct {
	sdkclient.CometRPC // nil: only Status and NetInfo are called
	down               bool
}

func (n joinNode) Status(context.Context) (*coretypes.ResultStatus, error) {
	if n.down {
		return nil, errors.New("node stopped")
	}
	return &coretypes.ResultStatus{NodeInfo: p2p.DefaultNodeInfo{DefaultNodeID: "aaaa", Network: "q1-test"}}, nil
}

func (joinNode) NetInfo(context.Context) (*coretypes.ResultNetInfo, error) {
	return &coretypes.ResultNetInfo{Peers: []coretypes.Peer{
		{NodeInfo: p2p.DefaultNodeInfo{DefaultNodeID: "bbbb", ListenAddr: "tcp://0.0.0.0:26656"}, RemoteIP: "10.0.0.2"},
		{NodeInfo: p2p.DefaultNodeInfo{DefaultNodeID: "cccc", ListenAddr: "no port"}, RemoteIP: "10.0.0.3"}, // skipped
	}}, nil
}

// TestJoinEndpoints: GET /v1/genesis is the genesis file byte for byte (its
// hash is the network's), GET /v1/peers this node as a persistent peer and
// the peers it is connected to; a node that does not answer is a 503.
func TestJoinEndpoints(t *testing.T) {
	genesis := filepath.Join(t.TempDir(), "genesis.json")
	raw := []byte("{\"chain_id\": \"q1-test\",\n  \"odd spacing\":   1}\n")
	if err := os.WriteFile(genesis, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &cmtcfg.P2PConfig{ListenAddress: "tcp://0.0.0.0:26656", ExternalAddress: "tcp://node.example.com:26656"}
	srv := httptest.NewServer(New(fakeChain{}, WithJoin(genesis, cfg, joinNode{})))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v1/genesis")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != string(raw) || resp.ContentLength != int64(len(raw)) {
		t.Fatalf("genesis: %d, %q (length %d), want the file as is", resp.StatusCode, got, resp.ContentLength)
	}

	resp, err = http.Get(srv.URL + "/v1/peers")
	if err != nil {
		t.Fatal(err)
	}
	var peers client.Peers
	err = json.NewDecoder(resp.Body).Decode(&peers)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || peers.ChainID != "q1-test" || peers.NodeID != "aaaa" || peers.SelfPort != 26656 ||
		peers.Self != "aaaa@node.example.com:26656" || !slices.Equal(peers.Connected, []string{"bbbb@10.0.0.2:26656"}) {
		t.Fatalf("peers: %d, %+v, %v", resp.StatusCode, peers, err)
	}

	down := httptest.NewServer(New(fakeChain{}, WithJoin(filepath.Join(t.TempDir(), "none.json"), cfg, joinNode{down: true})))
	defer down.Close()
	for path, want := range map[string]int{"/v1/peers": http.StatusServiceUnavailable, "/v1/genesis": http.StatusInternalServerError} {
		resp, err := http.Get(down.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var e client.Error
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != want || e.Error == "" {
			t.Errorf("%s with the node down: %d %q, want %d and a message", path, resp.StatusCode, e.Error, want)
		}
	}
}
