package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quantum1net/q1/internal/devnet"
)

func TestSelfInvocation(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "q1")
	other := filepath.Join(dir, "other", "q1")
	for _, f := range []string{bin, other} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name, exe, wd, onPath, gocache string
		want, elsewhere                string
		goRun                          bool
	}{
		{"go run, first build", "/tmp/go-build3526/b001/exe/q1", dir, "", "", goRunCmd, "q1", true},
		{"go run, cached (Go 1.24+)", "/home/u/.cache/go-build/0d/0dce-d/q1", dir, "", "", goRunCmd, "q1", true},
		{"go run, GOCACHE elsewhere", "/work/cache/0d/0dce-d/q1", dir, "", "/work/cache", goRunCmd, "q1", true},
		{"the q1 on PATH", bin, "/", bin, "", "q1", "q1", false},
		{"another q1 on PATH", bin, dir, other, "", "./" + filepath.Join("bin", "q1"), bin, false},
		{"below the working directory", bin, dir, "", "", "./" + filepath.Join("bin", "q1"), bin, false},
		{"elsewhere", bin, filepath.Join(dir, "other"), "", "", bin, bin, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := selfFrom(tt.exe, tt.wd, tt.onPath, tt.gocache)
			if inv.Cmd != tt.want || inv.GoRun != tt.goRun {
				t.Errorf("selfFrom = %+v, want Cmd %q, GoRun %v", inv, tt.want, tt.goRun)
			}
			if got := inv.elsewhere(); got != tt.elsewhere {
				t.Errorf("elsewhere() = %q, want %q", got, tt.elsewhere)
			}
			if hint := inv.installHint(); (hint != "") != tt.goRun {
				t.Errorf("installHint() = %q", hint)
			}
		})
	}
}

// TestBannersWorkAsTyped checks that q1 devnet's banner writes its
// commands the way q1 was started, explains go run, and says what the
// staked part of each account is.
func TestBannersWorkAsTyped(t *testing.T) {
	net := &devnet.Network{ChainID: "q1-devnet", Nodes: []devnet.Node{{Name: "node0", Home: "/d/node0", HTTP: "http://127.0.0.1:26603", Gateway: "http://127.0.0.1:26604"}}}
	for _, tt := range []struct {
		q1       invocation
		want     []string
		wantHint bool
	}{
		{invocation{Cmd: goRunCmd, GoRun: true}, []string{"      go run ./cmd/q1 wallet balance --home /d/node0\n", "go run ./cmd/q1 devnet status and go run ./cmd/q1 devnet restart NODE"}, true},
		{invocation{Cmd: "./q1", Path: "/src/q1/q1"}, []string{"      ./q1 wallet balance --home /d/node0\n", "      ./q1 service new myservice --home /d/node0 "}, false},
		{invocation{Cmd: "q1", Path: "/usr/bin/q1"}, []string{"      q1 wallet balance --home /d/node0\n"}, false},
	} {
		var b strings.Builder
		printDevnet(&b, "/d", net, nil, tt.q1)
		out := b.String()
		for _, want := range append(tt.want, "Each ACCOUNT is its node's \"default\" key: 900000QC to spend, and 100000QC more staked as the node's\nvalidator self-delegation (bonded, not spendable).\n") {
			if !strings.Contains(out, want) {
				t.Errorf("%s: banner lacks %q:\n%s", tt.q1.Cmd, want, out)
			}
		}
		if hint := strings.Contains(out, "install it from the checkout: go install ./cmd/q1"); hint != tt.wantHint {
			t.Errorf("%s: install hint shown: %v, want %v:\n%s", tt.q1.Cmd, hint, tt.wantHint, out)
		}
	}
}

// TestInitSingleNodeExplainsTheStake checks what q1 init --single-node
// says about the funded account: how much is staked, and that it is not
// spendable.
func TestInitSingleNodeExplainsTheStake(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a network home; skipped with -short")
	}
	home := filepath.Join(t.TempDir(), "node")
	out, errOut, code := runCLI(t, "init", "--single-node", "--home", home)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"    funded with 1000000QC, of which 100000QC is staked: the self-delegation that makes this node the\n    network's validator. Staked QC is bonded, not spendable: the account has 900000QC to spend\n",
		" start --home " + home + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("q1 init --single-node output lacks %q:\n%s", want, out)
		}
	}
}
