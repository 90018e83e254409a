package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/core/manifest"
)

const (
	ownerA = "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"
	ownerB = "q11qgpqyqszqgpqyqszqgpqyqszqgpqyqszr0glsg"
	wasmV1 = "sha256:" + "11111111111111111111111111111111" + "11111111111111111111111111111111"
	wasmV2 = "sha256:" + "22222222222222222222222222222222" + "22222222222222222222222222222222"
)

func writeDraftFile(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "service.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProposeKeepsWhatTheDraftLeavesOut: a proposal without --wasm keeps
// the module in force, and one without owners keeps the owners, rather than
// asking for the module or making the proposer the sole owner.
func TestProposeKeepsWhatTheDraftLeavesOut(t *testing.T) {
	current, err := manifest.Parse([]byte(`apiVersion: q1/v1
name: svc
code: {wasm: `+wasmV1+`}
permissions:
  owners: {accounts: [`+ownerA+`, `+ownerB+`], threshold: 2}
resources: {memory: 32Mi}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`), manifest.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	draft := writeDraftFile(t, `apiVersion: q1/v1
name: svc
resources: {memory: 64Mi}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`)
	var errb bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetErr(&errb)

	m, err := loadDraft(cmd, client.Context{}, draft, draftOptions{current: current})
	if err != nil {
		t.Fatalf("a manifest-only proposal: %v", err)
	}
	if m.Code.Wasm != wasmV1 || m.Permissions.Owners.Threshold != 2 || strings.Join(m.Permissions.Owners.Accounts, ",") != ownerB+","+ownerA ||
		m.Resources.Memory != 64<<20 {
		t.Fatalf("completed draft: wasm %s, owners %v/%d, memory %d", m.Code.Wasm, m.Permissions.Owners.Accounts, m.Permissions.Owners.Threshold, m.Resources.Memory)
	}
	for _, want := range []string{"no --wasm was given: the module stays " + wasmV1, "names no owners: the current 2 owner(s) and threshold 2 stay"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr %q does not say %q", errb.String(), want)
		}
	}

	// --wasm replaces the module.
	if m, err = loadDraft(cmd, client.Context{}, draft, draftOptions{current: current, wasmHash: wasmV2}); err != nil || m.Code.Wasm != wasmV2 {
		t.Fatalf("with --wasm: %v, wasm %s", err, m.Code.Wasm)
	}
	// A deploy still needs a module.
	if _, err := loadDraft(cmd, client.Context{}, draft, draftOptions{}); err == nil || !strings.Contains(err.Error(), "pass the module with --wasm FILE") {
		t.Fatalf("a deploy without a module: %v", err)
	}
}

// TestDryRunNotes: a dry run says which checks it could not make, and what
// to pass to make them.
func TestDryRunNotes(t *testing.T) {
	for _, tt := range []struct {
		wasm, signer bool
		want         string
	}{
		{true, true, ""},
		{false, true, "(module not checked: pass --wasm FILE to check it)"},
		{true, false, "(no key: pass --from KEY to check the owners, the funds and the fee too)"},
		{false, false, "(module not checked: pass --wasm FILE to check it)\n(no key: pass --from KEY to check the owners, the funds and the fee too)"},
	} {
		if got := strings.Join(dryRunNotes(tt.wasm, tt.signer), "\n"); got != tt.want {
			t.Errorf("wasm %t, signer %t: %q, want %q", tt.wasm, tt.signer, got, tt.want)
		}
	}
}
