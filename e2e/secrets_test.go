package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

// TestSecretsFollowNewReplica sets a secret while examples/vault runs one
// replica on a two-node devnet, then scales it to two: the new replica's
// node gets no wrap from the owner (who stays offline), so the first node
// wraps the data key for it (MsgWrapSecret from its hot key), and the new
// node's gateway serves with the secret.
func TestSecretsFollowNewReplica(t *testing.T) {
	params := app.DevnetParams()
	params.Sharers.AckTimeoutBlocks = 1200 // a cold compile on a loaded machine
	tn := startTestnet(t, netOptions{nodes: 2, params: &params})
	tn.registerSharers(t)
	yaml, err := os.ReadFile("../examples/vault/service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mf := filepath.Join(dir, "service.yaml")
	scalable := strings.Replace(string(yaml), "placement: {replicas: 1}", "placement: {replicas: 1, replicasMax: 2}", 1)
	if err := os.WriteFile(mf, []byte(scalable), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", mf,
		"--wasm", exampleWasm(t, "vault"), "--from", "default", "--deposit", "100QC"); code != 0 {
		t.Fatalf("deploy: %s%s", out, errOut)
	}
	gw0 := tn.net.Nodes[0].Gateway
	waitServed(t, 2*time.Minute, "vault", []string{gw0})
	const value = "follows-the-replicas-41d0"
	f := filepath.Join(dir, "value")
	if err := os.WriteFile(f, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := tn.q1(t, 0, "service", "secret", "set", "vault", "SIGNING_KEY", "--from-file", f, "--from", "default"); code != 0 ||
		!strings.Contains(out, "for 1 node") {
		t.Fatalf("secret set: %s%s", out, errOut)
	}
	nodes := func() []string {
		out, _, code := tn.q1(t, 0, "service", "secret", "list", "vault", "-o", "json")
		var list struct {
			Secrets []struct {
				Nodes []string `json:"nodes"`
			} `json:"secrets"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Secrets) != 1 {
			return nil
		}
		return list.Secrets[0].Nodes
	}
	before := nodes()
	if len(before) != 1 {
		t.Fatalf("wrapped to %v before scaling; want the one replica's node", before)
	}
	// Placement chose the first replica's node (the rendezvous hash of
	// addresses drawn afresh each run): it is the old holder, the other
	// node the new one.
	addrs := []string{strings.TrimSpace(first(tn.q1(t, 0, "keys", "show", "default", "-a"))),
		strings.TrimSpace(first(tn.q1(t, 1, "keys", "show", "default", "-a")))}
	old := slices.Index(addrs, before[0])
	if old < 0 {
		t.Fatalf("the secret is wrapped to %s, neither node's sharer (%v)", before[0], addrs)
	}
	nu := 1 - old
	if out, errOut, code := tn.q1(t, 0, "service", "scale", "vault", "2", "--from", "default"); code != 0 {
		t.Fatalf("scale: %s%s", out, errOut)
	}
	var last []string
	waitForSaying(t, 3*time.Minute, "the first node to wrap the secret for the new replica's node", func() bool {
		last = nodes()
		return len(last) == 2
	}, func() string { return fmt.Sprintf("nodes with a wrap: %v", last) })

	m := hmac.New(sha256.New, []byte(value))
	m.Write([]byte("hi"))
	want := hex.EncodeToString(m.Sum(nil)) + "\n"
	c := &http.Client{Timeout: 5 * time.Second}
	gwNew := tn.net.Nodes[nu].Gateway
	var body, servedBy string
	waitForSaying(t, 2*time.Minute, "the new replica's node to sign with the secret itself", func() bool {
		var code int
		code, body, servedBy, err = call(c, gwNew, "GET", "vault", "/sign?msg=hi", "")
		return err == nil && code == 200 && body == want && servedBy == addrs[nu]
	}, func() string { return fmt.Sprintf("last answer %q served by %s (want %s)", body, servedBy, addrs[nu]) })
	// The old holder logs the wrap once its tx committed, which the new
	// node may act on first (the agent waits for the block; the other
	// node only reads it).
	waitForSaying(t, time.Minute, "the first replica's node's log to say it wrapped the secret for the new replica", func() bool {
		logs, err := os.ReadFile(tn.sup.LogPath(old))
		return err == nil && strings.Contains(string(logs), "wrapped a secret for another replica")
	}, func() string {
		logs, _ := os.ReadFile(tn.sup.LogPath(old))
		var said []string
		for _, l := range strings.Split(string(logs), "\n") {
			if strings.Contains(l, "secret") {
				said = append(said, l)
			}
		}
		return "its lines about secrets:\n" + strings.Join(said, "\n")
	})
}
