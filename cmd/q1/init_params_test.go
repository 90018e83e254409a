package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestSingleNodeParamsMatchBlockTime: `q1 init --single-node` writes a
// genesis whose usage params.block_time_ms (lowBalanceBlocks in time,
// blocks-left estimates) is the block time the node is configured for.
func TestSingleNodeParamsMatchBlockTime(t *testing.T) {
	for _, c := range []struct {
		flag string
		want string
	}{{"", "1000"}, {"300ms", "300"}} {
		home := t.TempDir()
		args := []string{"init", "--single-node", "--home", home}
		if c.flag != "" {
			args = append(args, "--block-time", c.flag)
		}
		if _, errOut, code := runCLI(t, args...); code != 0 {
			t.Fatalf("q1 %v: exit %d: %s", args, code, errOut)
		}
		raw, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		var gen struct {
			AppState struct {
				Usage struct {
					Params struct {
						BlockTimeMs string `json:"block_time_ms"`
					} `json:"params"`
				} `json:"usage"`
			} `json:"app_state"`
		}
		if err := json.Unmarshal(raw, &gen); err != nil {
			t.Fatal(err)
		}
		if got := gen.AppState.Usage.Params.BlockTimeMs; got != c.want {
			t.Errorf("--block-time %q: usage params.block_time_ms = %q, want %q", c.flag, got, c.want)
		}
	}
	if _, errOut, code := runCLI(t, "init", "--single-node", "--home", t.TempDir(), "--block-time", "0s"); code == 0 || errOut == "" {
		t.Errorf("--block-time 0s: exit %d, %q", code, errOut)
	}
}
