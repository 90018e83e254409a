package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/app"
)

// TestSecrets deploys examples/vault on a one-node devnet, sets its
// SIGNING_KEY with q1 service secret set, and waits until a gateway call
// signs with it; rotates it and waits until the new key signs. The value is
// in no node log and not in the chain's record (q1 query services secrets).
func TestSecrets(t *testing.T) {
	params := app.DevnetParams()
	params.Sharers.AckTimeoutBlocks = 1200 // a cold compile on a loaded machine
	tn := startTestnet(t, netOptions{nodes: 1, params: &params})
	tn.registerSharers(t)
	sharer := strings.TrimSpace(first(tn.q1(t, 0, "keys", "show", "default", "-a")))
	if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", "../examples/vault/service.yaml",
		"--wasm", exampleWasm(t, "vault"), "--from", "default", "--deposit", "100QC"); code != 0 {
		t.Fatalf("deploy: %s%s", out, errOut)
	}
	gw := tn.net.Nodes[0].Gateway
	waitServed(t, 2*time.Minute, "vault", []string{gw})
	c := &http.Client{Timeout: 5 * time.Second}
	if code, body, _, err := call(c, gw, "GET", "vault", "/sign?msg=hi", ""); err != nil || code != 503 || !strings.Contains(body, "no signing key yet") {
		t.Fatalf("before the secret is set: %d %q %v", code, body, err)
	}

	dir := t.TempDir()
	set := func(value string) {
		t.Helper()
		f := filepath.Join(dir, "value")
		if err := os.WriteFile(f, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := tn.q1(t, 0, "service", "secret", "set", "vault", "SIGNING_KEY", "--from-file", f, "--from", "default")
		if code != 0 || !strings.Contains(out, "Done: set secret SIGNING_KEY of vault") {
			t.Fatalf("secret set: %s%s", out, errOut)
		}
	}
	waitSigned := func(value string) {
		t.Helper()
		m := hmac.New(sha256.New, []byte(value))
		m.Write([]byte("hi"))
		want := hex.EncodeToString(m.Sum(nil)) + "\n"
		var last string
		waitForSaying(t, time.Minute, "the service to sign with the secret set", func() bool {
			code, body, _, err := call(c, gw, "GET", "vault", "/sign?msg=hi", "")
			last = body
			return err == nil && code == 200 && body == want
		}, func() string { return "last answer: " + last })
	}

	const v1, v2 = "first-signing-key-9f3a", "rotated-signing-key-77c1"
	set(v1)
	waitSigned(v1)
	set(v2)
	waitSigned(v2)

	out, errOut, code := tn.q1(t, 0, "service", "secret", "list", "vault", "-o", "json")
	var list struct {
		Secrets []struct {
			Key     string   `json:"key"`
			Version uint64   `json:"version"`
			Nodes   []string `json:"nodes"`
		} `json:"secrets"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Secrets) != 1 ||
		list.Secrets[0].Key != "SIGNING_KEY" || list.Secrets[0].Version != 2 || len(list.Secrets[0].Nodes) != 1 || list.Secrets[0].Nodes[0] != sharer {
		t.Fatalf("secret list -o json: %s%s", out, errOut)
	}
	// A name the manifest does not allow is refused by the chain, naming it.
	f := filepath.Join(dir, "other")
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := tn.q1(t, 0, "service", "secret", "set", "vault", "OTHER", "--from-file", f, "--from", "default"); code == 0 ||
		!strings.Contains(out+errOut, "permissions.capabilities.secrets.names") {
		t.Fatalf("set of a name the manifest does not allow: %d %s%s", code, out, errOut)
	}

	// Never in clear: not in the chain's record, not in the node's log.
	raw, errOut, code := tn.q1(t, 0, "query", "services", "secrets", "vault", "-o", "json")
	if code != 0 || !strings.Contains(raw, "ciphertext") {
		t.Fatalf("query services secrets: %s%s", raw, errOut)
	}
	logs, err := os.ReadFile(tn.sup.LogPath(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{v1, v2} {
		if strings.Contains(raw, v) || strings.Contains(string(logs), v) {
			t.Fatalf("the value %q is in clear on chain or in the node's log", v)
		}
	}

	// Deleted: the service says so again.
	if out, errOut, code := tn.q1(t, 0, "service", "secret", "delete", "vault", "SIGNING_KEY", "--from", "default"); code != 0 {
		t.Fatalf("secret delete: %s%s", out, errOut)
	}
	waitFor(t, time.Minute, "the deleted secret to be gone", func() bool {
		code, body, _, err := call(c, gw, "GET", "vault", "/sign?msg=hi", "")
		return err == nil && code == 503 && strings.Contains(body, "no signing key yet")
	})
}
