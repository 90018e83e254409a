package join

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	q1client "github.com/quantum1net/q1/client"
)

// TestFetch: the genesis byte for byte with its hash, and the node itself
// (at the host it was reached on) before its peers.
func TestFetch(t *testing.T) {
	genesis := `{"chain_id":"q1-test","app_state":{}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/genesis":
			_, _ = w.Write([]byte(genesis))
		case "/v1/peers":
			_ = json.NewEncoder(w).Encode(q1client.Peers{ChainID: "q1-test", SelfPort: 26656, NodeID: "abc", Connected: []string{"def@10.0.0.2:26656"}})
		}
	}))
	defer srv.Close()
	n, err := Fetch(context.Background(), srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if n.ChainID != "q1-test" || string(n.Genesis) != genesis || n.GenesisHash != HashGenesis([]byte(genesis)) ||
		strings.Join(n.Peers, ",") != "abc@127.0.0.1:26656,def@10.0.0.2:26656" {
		t.Fatalf("Fetch = %+v", n)
	}
}

func TestFetchSaysWhatWentWrong(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(q1client.Error{Error: "no API endpoint GET " + r.URL.Path})
	}))
	_, err := Fetch(context.Background(), srv.URL)
	if want := srv.URL + "/v1/genesis: 404 Not Found: no API endpoint GET /v1/genesis"; err == nil || err.Error() != want {
		t.Fatalf("Fetch from a node without the endpoint = %v, want %q", err, want)
	}
	srv.Close()
	_, err = Fetch(context.Background(), srv.URL)
	if err == nil || !strings.HasPrefix(err.Error(), "cannot reach "+srv.URL+"/v1/genesis: ") {
		t.Fatalf("Fetch from a stopped node = %v", err)
	}
	if _, err := Fetch(context.Background(), "10.0.0.5:8080"); err == nil || !strings.Contains(err.Error(), "want the HTTP API URL of a running node") {
		t.Fatalf("Fetch of a bare host:port = %v", err)
	}
}
