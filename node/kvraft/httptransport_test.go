package kvraft

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

func TestHTTPTransport(t *testing.T) {
	ids := []uint64{1, 2, 3}
	keys := Ed25519Keys{}
	privs := map[uint64]ed25519.PrivateKey{}
	for _, id := range ids {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		keys[id], privs[id] = pub, priv
	}
	var mu sync.Mutex
	hosts := map[uint64]*Host{}
	addrs := map[uint64]string{}
	for _, id := range ids {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			h := hosts[id]
			mu.Unlock()
			if h == nil || r.URL.Path != BatchPath {
				http.NotFound(w, r)
				return
			}
			HTTPHandler(h, keys).ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		addrs[id] = srv.URL
	}
	dir := t.TempDir()
	for _, id := range ids {
		tr := NewHTTPTransport(HTTPConfig{NodeID: id, Signer: Ed25519Signer(privs[id]),
			Address: func(n uint64) (string, bool) { a, ok := addrs[n]; return a, ok }})
		t.Cleanup(tr.Close)
		h, err := Open(testConfig(id, filepath.Join(dir, fmt.Sprint(id)), tr))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		mu.Lock()
		hosts[id] = h
		mu.Unlock()
	}
	for _, id := range ids {
		if _, err := hosts[id].CreateGroup("svc", GroupOptions{Peers: ids}); err != nil {
			t.Fatal(err)
		}
	}
	// A write through each node over real listeners, read back everywhere.
	for _, id := range ids {
		eventually(t, 30*time.Second, func() error {
			_, err := hosts[id].Group("svc").Put(ctxFor(t, 2*time.Second), fmt.Sprint("k", id), []byte("v"))
			return err
		})
	}
	for _, id := range ids {
		kvs, err := hosts[id].Group("svc").List(ctxFor(t, 10*time.Second), "k", "", 0)
		if err != nil || len(kvs) != 3 {
			t.Fatalf("list on node %d: %+v %v", id, kvs, err)
		}
	}

	// A forged sender: node 3 signs a batch that claims to come from node 2.
	forged := Batch{From: 2, To: 1, Messages: []Envelope{{Group: "svc", Msg: &pb.Message{
		Type: pb.MsgHeartbeat.Enum(), From: new(uint64(2)), To: new(uint64(1)), Term: new(uint64(1000))}}}}
	body, err := forged.Encode()
	if err != nil {
		t.Fatal(err)
	}
	post := func(from string, signer ed25519.PrivateKey) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, addrs[1]+BatchPath, bytes.NewReader(body))
		req.Header.Set(headerFrom, from)
		req.Header.Set(headerSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(signer, append([]byte(signDomain), body...))))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(msg))
	}
	code, msg := post("2", privs[3])
	if code != http.StatusForbidden || msg != "kvraft: batch claiming node 2 refused: the signature does not verify against node 2's key (a forged sender or a wrong key)" {
		t.Fatalf("forged batch: %d %s", code, msg)
	}
	code, msg = post("3", privs[3])
	if code != http.StatusForbidden || msg != "kvraft: batch refused: the request says node 3 but the batch says node 2" {
		t.Fatalf("batch naming another sender: %d %s", code, msg)
	}
	// The forged heartbeat's term 1000 never reached node 1's raft.
	g := hosts[1].Group("svc")
	g.mu.Lock()
	term := g.rn.Status().GetTerm()
	g.mu.Unlock()
	if term >= 1000 {
		t.Fatalf("node 1 is at term %d: the forged batch was delivered", term)
	}
	// And the genuine node 2 can still send.
	code, _ = post(strconv.FormatUint(2, 10), privs[2])
	if code != http.StatusNoContent {
		t.Fatalf("a batch signed by node 2: status %d", code)
	}
}
