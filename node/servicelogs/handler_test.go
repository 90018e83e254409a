package servicelogs

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/runtime"
)

// echoManifests answers the handler with examples/echo's manifest,
// owned by owner.
type echoManifests struct{ m *manifest.Manifest }

func (e echoManifests) Manifest(service string) (*manifest.Manifest, bool) {
	if service != "echo" {
		return nil, false
	}
	return e.m, true
}

func echoManifest(t *testing.T, owner string) *manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "echo", "service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(data, manifest.ParseOptions{AllowMissingWasm: true, AllowMissingOwners: true})
	if err != nil {
		t.Fatal(err)
	}
	m.Permissions.Owners = manifest.Owners{Accounts: []string{owner}, Threshold: 1}
	return m
}

// TestHandlerServesKeptLines: the lines a node kept are served after
// the node restarts (the store is opened again), numbered as before, to
// the owner's signed requests, from ?since=N, and followed.
func TestHandlerServesKeptLines(t *testing.T) {
	ownerKey := reqsign.KeySigner{Key: secp256k1.GenPrivKeyFromSecret([]byte("owner"))}
	ownerAddr, err := reqsign.AccountAddress(reqsign.AccountPrefix, ownerKey.Key.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	for i, m := range []string{"path=/one", "path=/two"} {
		store.Sink("echo").WriteLog(runtime.LogLine{Time: t0.Add(time.Duration(i) * time.Second), Service: "echo", Version: "sha256:v1",
			Level: slog.LevelInfo, Stream: "log", Message: m})
	}
	store.Close()

	// The node restarts: a new store over the same directory.
	store, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	verifier, err := reqsign.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/services/{name}/logs", &Handler{Chain: echoManifests{echoManifest(t, ownerAddr)}, Store: store,
		Self: func() string { return "q11node" }, Verifier: verifier})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := q1client.New(srv.URL)
	ctx := context.Background()

	got, err := c.Logs(ctx, "echo", q1client.LogsOptions{Signer: ownerKey})
	want := q1client.LogEntry{Seq: 1, Time: t0.Add(time.Second), Service: "echo", Version: "sha256:v1", Level: "INFO", Stream: "log",
		Message: "path=/two", Node: "q11node"}
	if err != nil || len(got) != 2 || got[0].Message != "path=/one" || got[1] != want {
		t.Fatalf("Logs after a restart = %+v, %v\nwant the two kept lines, the second %+v", got, err, want)
	}
	if got, err := c.Logs(ctx, "echo", q1client.LogsOptions{Since: 1, Signer: ownerKey}); err != nil || len(got) != 1 || got[0].Seq != 1 {
		t.Fatalf("Logs since 1 = %+v, %v", got, err)
	}
	var ae *q1client.APIError
	if _, err := c.Logs(ctx, "echo", q1client.LogsOptions{}); !errors.As(err, &ae) || ae.StatusCode != 401 ||
		!strings.Contains(ae.Message, "the logs of echo are for its owners and listed viewers") {
		t.Fatalf("unsigned Logs = %v", err)
	}
	if _, err := c.Logs(ctx, "ghost", q1client.LogsOptions{Signer: ownerKey}); !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Message != "no service named ghost" {
		t.Fatalf("Logs of no service = %v", err)
	}

	// Followed: the kept lines, then a new one, numbered after them.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan q1client.LogEntry, 8)
	go func() {
		_ = c.FollowLogs(fctx, "echo", q1client.LogsOptions{Since: 1, Signer: ownerKey}, func(e q1client.LogEntry) error {
			lines <- e
			return nil
		})
	}()
	if e := <-lines; e.Seq != 1 {
		t.Fatalf("first followed line %+v", e)
	}
	store.Sink("echo").WriteLog(runtime.LogLine{Time: t0.Add(time.Minute), Service: "echo", Version: "sha256:v1", Level: slog.LevelInfo,
		Stream: "log", Message: "path=/three"})
	if e := <-lines; e.Seq != 2 || e.Message != "path=/three" {
		t.Fatalf("new followed line %+v", e)
	}
}
