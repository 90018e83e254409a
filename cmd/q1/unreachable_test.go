package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/blobhash"
)

// closedPort returns host:port of a port that was just listened on and
// closed: dialling it is refused.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// unresolvable is a host no resolver knows: .invalid is reserved (RFC 6761).
const unresolvable = "q1-no-such-node.invalid:26657"

// cometContext is the client.Context a command gets for node, with the
// SDK's CometBFT HTTP client.
func cometContext(t *testing.T, node string) client.Context {
	t.Helper()
	rpc, err := rpchttp.New(node, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	reg := codectypes.NewInterfaceRegistry()
	return client.Context{}.WithClient(rpc).WithNodeURI(node).WithHomeDir(t.TempDir()).
		WithInterfaceRegistry(reg).WithCodec(codec.NewProtoCodec(reg))
}

// offline allows, on a machine whose resolver cannot be reached at all, a
// DNS failure other than "no such host" for the .invalid host.
func offline(err error, reason string) bool {
	var dns *net.DNSError
	return reason == "no such host" && errors.As(err, &dns) && !dns.IsNotFound &&
		strings.Contains(err.Error(), "(DNS lookup ")
}

// TestNodeErrorIsTyped: a node that refuses the connection and one whose
// host does not resolve are told apart by the error's type through every
// way a command calls the node (CometBFT's RPC client directly, the SDK's
// broadcast, a gRPC query over ABCI), and the error stays wrapped.
func TestNodeErrorIsTyped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	calls := map[string]func(c client.Context) error{
		"status": func(c client.Context) error {
			_, err := c.Client.Status(ctx)
			return err
		},
		"broadcast": func(c client.Context) error {
			_, err := c.BroadcastTxSync([]byte("tx"))
			return err
		},
		"query": func(c client.Context) error {
			_, err := banktypes.NewQueryClient(c).Params(ctx, &banktypes.QueryParamsRequest{})
			return err
		},
	}
	for _, tc := range []struct {
		name, node, reason string
		is                 error
	}{
		{"refused", "tcp://" + closedPort(t), "connection refused", syscall.ECONNREFUSED},
		{"unresolvable", "tcp://" + unresolvable, "no such host", nil},
	} {
		for call, f := range calls {
			t.Run(tc.name+"/"+call, func(t *testing.T) {
				c := cometContext(t, tc.node)
				raw := f(c)
				if raw == nil {
					t.Fatal("no error")
				}
				err := nodeError(c, raw)
				want := "cannot reach a node at " + tc.node + " (" + tc.reason + "): is it running?"
				if !strings.HasPrefix(err.Error(), want) && !offline(err, tc.reason) {
					t.Errorf("got %q, want it to start %q", err, want)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("%v does not wrap %v", err, tc.is)
				}
				var dns *net.DNSError
				if tc.is == nil && !errors.As(err, &dns) {
					t.Errorf("%v does not wrap a *net.DNSError", err)
				}
			})
		}
	}
}

// TestNodeErrorTimeout: a node that accepts the connection and never
// answers is unreachable for the command's deadline.
func TestNodeErrorTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, never answered, until the test ends
		}
	}()
	c := cometContext(t, "tcp://"+l.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, raw := c.Client.Status(ctx)
	err = nodeError(c, raw)
	if !strings.Contains(err.Error(), "(context deadline exceeded): is it running?") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %q", err)
	}
}

// TestNodeErrorFromTheNode: a node that answers, with something that is not
// what was asked, is not reported as unreachable.
func TestNodeErrorFromTheNode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not an RPC endpoint", http.StatusNotFound)
	}))
	defer srv.Close()
	c := cometContext(t, srv.URL)
	_, raw := c.Client.Status(context.Background())
	err := nodeError(c, raw)
	if err == nil || strings.Contains(err.Error(), "cannot reach") || !strings.HasPrefix(err.Error(), "the node at "+srv.URL+": ") {
		t.Errorf("got %q", err)
	}
	if unreachable(errors.New("dial tcp: connection refused")) != "" {
		t.Error("an error's text alone made it a connection failure")
	}
}

// TestUploadErrorIsTyped: the same for the node's HTTP API, through the
// Go client the deploy uploads with.
func TestUploadErrorIsTyped(t *testing.T) {
	for _, tc := range []struct{ name, api, reason string }{
		{"refused", "http://" + closedPort(t), "connection refused"},
		{"unresolvable", "http://" + unresolvable, "no such host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, raw := q1client.New(tc.api).HasBlob(context.Background(), blobhash.Hash{})
			err := uploadError(tc.api, raw)
			want := "cannot reach the node's HTTP API at " + tc.api + " (" + tc.reason + "): is it running?"
			if !strings.HasPrefix(err.Error(), want) && !offline(err, tc.reason) {
				t.Errorf("got %q, want it to start %q", err, want)
			}
			var ue *unreachableError
			if !errors.As(err, &ue) || ue.err != raw { //nolint:errorlint // the very error, not one it wraps
				t.Errorf("%v does not wrap %v", err, raw)
			}
		})
	}
	refused := &q1client.APIError{Message: "too large"}
	if err := uploadError("http://x", refused); !strings.Contains(err.Error(), "upload refused by the node at http://x: too large") {
		t.Errorf("a refusal: %q", err)
	}
}
