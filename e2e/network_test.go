package e2e

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	q1client "github.com/quantum1net/q1/client"
)

// registerSharers makes every node a sharer the way q1 devnet does: each
// node's default key registers its own node.
func (tn *testnet) registerSharers(t *testing.T) {
	t.Helper()
	for i, n := range tn.net.Nodes {
		out, errOut, code := runQ1(t, "sharer", "register", "--from", "default", "--home", n.Home,
			"--endpoint", n.Gateway, "--cpu", "2", "--memory", "4Gi", "--disk", "20Gi", "--egress", "100Gi",
			"--price", fmt.Sprintf("cpu=%duqc/core-s,memory=2uqc/MiB-h,storage=50uqc/GiB-h,requests=10uqc/1k,egress=5000uqc/GiB", 400+10*i))
		if code != 0 {
			t.Fatalf("register %s as a sharer: %s%s", n.Name, out, errOut)
		}
	}
}

// q1 runs the CLI against node i's home.
func (tn *testnet) q1(t *testing.T, i int, args ...string) (string, string, int) {
	t.Helper()
	return runQ1(t, append(args, "--home", tn.net.Nodes[i].Home)...)
}

// serviceStatus reads a service (with its replicas' states) through node 0.
func (tn *testnet) serviceStatus(t *testing.T, name string) q1client.Service {
	t.Helper()
	out, errOut, code := tn.q1(t, 0, "service", "status", name, "-o", "json")
	if code != 0 {
		t.Fatalf("service status %s: %s", name, errOut)
	}
	var s q1client.Service
	if err := jsonUnmarshal(out, &s); err != nil {
		t.Fatalf("service status -o json: %v\n%s", err, out)
	}
	return s
}

// call makes one request through a gateway (path form), sent through
// client, and returns the status, the body and the node that served it.
func call(client *http.Client, gw, method, service, path, body string) (int, string, string, error) {
	resp, err := gateway(gw, client).Call(bg(), q1client.CallRequest{Service: service, Method: method, Path: path, Body: []byte(body)})
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get(q1client.HeaderServedBy), err
}

// waitServed waits until service answers 200 through every listed gateway.
func waitServed(t *testing.T, within time.Duration, service string, gateways []string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	waitFor(t, within, service+" to answer through every gateway", func() bool {
		for _, g := range gateways {
			if code, _, _, err := call(c, g, "GET", service, "/", ""); err != nil || code != 200 {
				return false
			}
		}
		return true
	})
}

// withCustomSection copies a wasm module and appends a custom section of
// random bytes: the same code under a new hash, so no cache is warm for it.
func withCustomSection(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	name := "q1-e2e-nonce"
	payload := make([]byte, 16)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	content := append(binary.AppendUvarint(nil, uint64(len(name))), name...)
	content = append(content, payload...)
	section := append([]byte{0}, binary.AppendUvarint(nil, uint64(len(content)))...)
	b = append(b, append(section, content...)...)
	out := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
