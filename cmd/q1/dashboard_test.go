package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/quantum1net/q1/client/signin"
	"github.com/quantum1net/q1/internal/devnet"
)

func TestDashboardSign(t *testing.T) {
	home := t.TempDir()
	if _, errOut, code := runCLI(t, "keys", "add", "alice", "--keyring-backend", "test", "--home", home); code != 0 {
		t.Fatalf("keys add: %s", errOut)
	}
	addr, _, _ := runCLI(t, "keys", "show", "alice", "-a", "--keyring-backend", "test", "--home", home)
	addr = strings.TrimSpace(addr)

	node := "0123456789abcdef0123456789abcdef01234567"
	challenge, err := signin.NewChallenge("q1-test", node)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "dashboard", "sign", challenge, "--from", "alice", "--keyring-backend", "test", "--home", home)
	if code != 0 {
		t.Fatalf("dashboard sign: exit %d: %s", code, errOut)
	}
	if want := "Signing in as " + addr + " to node " + node + " of chain q1-test\n"; errOut != want {
		t.Errorf("dashboard sign told the user %q, want %q", errOut, want)
	}
	// What the node checks of the token (node/dashboard's Auth also checks
	// that it issued the challenge, once).
	tok, err := signin.DecodeToken(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	if acc, err := tok.Account(); err != nil || acc != addr || tok.Challenge != challenge {
		t.Fatalf("the printed token signs in as %q for %q (%v), want %s for %s", acc, tok.Challenge, err, addr, challenge)
	}
	if err := tok.CheckSignature(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"dashboard", "sign", "please-sign-this", "--from", "alice"}, `"please-sign-this" is not a dashboard challenge: copy the whole challenge the sign-in box shows (it starts with "q1-dashboard-")`},
		{[]string{"dashboard", "sign", challenge}, "name the key that signs with --from KEY (see q1 keys list)"},
		{[]string{"dashboard", "sign", challenge, "--from", "bob"}, `no key named "bob" in the test keyring`},
	} {
		_, errOut, code := runCLI(t, append(tc.args, "--keyring-backend", "test", "--home", home)...)
		if code != 1 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("q1 %s: exit %d, stderr %q; want %q", strings.Join(tc.args, " "), code, errOut, tc.msg)
		}
	}
}

func TestDevnetPrintsTheDashboard(t *testing.T) {
	var b bytes.Buffer
	net := &devnet.Network{ChainID: "q1-devnet", Nodes: []devnet.Node{{Name: "node0", HTTP: "http://127.0.0.1:26603", Gateway: "http://127.0.0.1:26604"}}}
	printDevnet(&b, ".q1-devnet", net, []string{"hello"}, invocation{Cmd: "q1"})
	if !strings.Contains(b.String(), "\nDashboard: http://127.0.0.1:26603/  (every node serves one at its HTTP API address)\n") ||
		!strings.Contains(b.String(), "http://127.0.0.1:26604/s/hello/") {
		t.Fatalf("devnet start-up output lacks the dashboard or a service URL:\n%s", b.String())
	}
}
