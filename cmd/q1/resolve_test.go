package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quantum1net/q1/internal/devnet"
)

func TestLooksLikeAddress(t *testing.T) {
	for s, want := range map[string]bool{
		"q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7": true,
		"q1xyz":  true, // read as a malformed address; a key of that name is still found
		"q11xyz": true,
		"cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du": true,
		"alice":          false,
		"node1":          false,
		"default":        false,
		"Alice1qyqszqgp": false,
	} {
		if got := looksLikeAddress(s); got != want {
			t.Errorf("looksLikeAddress(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestAccountArguments: every command that takes an account takes a key
// name as well as an address, through one resolver. The node is down, so a
// resolved account shows as the node error that follows resolution.
func TestAccountArguments(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := devnet.WriteClientConfig(home, devnet.ClientConfig{
		ChainID: "q1-test", KeyringBackend: "test", DefaultKey: "alice", Node: "tcp://127.0.0.1:1",
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"alice", "bob"} {
		if _, errOut, code := runCLI(t, "keys", "add", k, "--keyring-backend", "test", "--home", home); code != 0 {
			t.Fatalf("keys add %s: %s", k, errOut)
		}
	}
	bob, _, _ := runCLI(t, "keys", "show", "bob", "-a", "--keyring-backend", "test", "--home", home)
	bob = strings.TrimSpace(bob)
	common := []string{"--home", home}
	for _, tc := range []struct {
		name string
		args func(who string) []string
		role string
	}{
		{"wallet balance", func(w string) []string { return []string{"wallet", "balance", w} }, "account"},
		{"wallet send", func(w string) []string { return []string{"wallet", "send", "--from", "alice", w, "1QC"} }, "recipient"},
		{"service withdraw --to", func(w string) []string {
			return []string{"service", "withdraw", "svc", "1QC", "--from", "alice", "--to", w}
		}, "--to"},
		{"service delete --refund-to", func(w string) []string {
			return []string{"service", "delete", "svc", "--from", "alice", "--refund-to", w}
		}, "--refund-to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, who := range []string{"bob", bob} {
				_, errOut, code := runCLI(t, append(tc.args(who), common...)...)
				if code != 1 || !strings.Contains(errOut, "cannot reach a node at tcp://127.0.0.1:1") {
					t.Errorf("with %s: exit %d, want the node error after resolving it: %s", who, code, errOut)
				}
			}
			_, errOut, code := runCLI(t, append(tc.args("carol"), common...)...)
			want := tc.role + ` "carol" is neither a key in the test keyring at ` + home + " nor a q1… address"
			if code != 1 || !strings.Contains(errOut, want) {
				t.Errorf("unknown name: exit %d, stderr %q, want %q", code, errOut, want)
			}
			_, errOut, code = runCLI(t, append(tc.args("cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du"), common...)...)
			if code != 1 || !strings.Contains(errOut, tc.role+` "cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du" is not a Quantum1Net account address`) {
				t.Errorf("foreign address: exit %d, stderr %q", code, errOut)
			}
		})
	}
}

// TestDenyKeyName: q1 sharer register --deny takes a key's name from the
// keyring as that key's account. The node is down, so the register stops
// after reading its flags.
func TestDenyKeyName(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := devnet.WriteClientConfig(home, devnet.ClientConfig{
		ChainID: "q1-test", KeyringBackend: "test", DefaultKey: "alice", Node: "tcp://127.0.0.1:1",
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"alice", "mallory"} {
		if _, errOut, code := runCLI(t, "keys", "add", k, "--keyring-backend", "test", "--home", home); code != 0 {
			t.Fatalf("keys add %s: %s", k, errOut)
		}
	}
	mallory, _, _ := runCLI(t, "keys", "show", "mallory", "-a", "--keyring-backend", "test", "--home", home)
	mallory = strings.TrimSpace(mallory)
	args := append([]string{"sharer", "register", "--from", "alice", "--endpoint", "http://127.0.0.1:8081", "--home", home}, devnetOffer(0)...)
	_, errOut, code := runCLI(t, append(args, "--deny", "mallory", "--deny", "spam")...)
	if code != 1 || !strings.Contains(errOut, "--deny mallory: the key mallory's account "+mallory+": services it owns are refused") ||
		strings.Contains(errOut, "--deny spam") || !strings.Contains(errOut, "cannot reach a node at tcp://127.0.0.1:1") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}
