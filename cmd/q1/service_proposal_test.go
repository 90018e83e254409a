package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
)

func canonicalDoc(t *testing.T, memory, callers string) []byte {
	t.Helper()
	m, err := manifest.Parse([]byte(`apiVersion: q1/v1
name: svc
code: {wasm: `+wasmV1+`}
permissions:
  owners: {accounts: [`+ownerA+`, `+ownerB+`], threshold: 2}
  callers: [{paths: ["`+callers+`"], allow: public}]
resources: {memory: `+memory+`}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`), manifest.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m.Canonical()
}

func TestManifestChanges(t *testing.T) {
	got := manifestChanges(canonicalDoc(t, "32Mi", "/*"), canonicalDoc(t, "64Mi", "/api/*"))
	want := []string{
		`permissions.callers: [{"allow":"public","paths":["/*"]}] → [{"allow":"public","paths":["/api/*"]}]`,
		"resources.memory: 32Mi → 64Mi",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestApproveConfirms: approving without --hash shows the pending proposal
// and needs a "y" on a terminal; without a terminal it refuses and names
// the command that pins the proposal.
func TestApproveConfirms(t *testing.T) {
	s := &q1client.Service{
		Name: "svc", Version: 1, Manifest: json.RawMessage(canonicalDoc(t, "32Mi", "/*")),
		Pending: &q1client.Proposal{
			ID: 7, Service: "svc", Kind: "withdraw", Hash: "sha256:" + strings.Repeat("ab", 32), Proposer: ownerA,
			ProposedHeight: 120, Threshold: 2, Approvals: []string{ownerA}, Amount: "99000000", To: ownerA,
		},
	}
	c := client.Context{FromName: "bob"}
	run := func(terminal bool, input string) (string, error) {
		defer func(f func(*cobra.Command) bool) { stdinIsTerminal = f }(stdinIsTerminal)
		stdinIsTerminal = func(*cobra.Command) bool { return terminal }
		var errb bytes.Buffer
		cmd := &cobra.Command{}
		cmd.SetErr(&errb)
		cmd.SetIn(strings.NewReader(input))
		err := confirmPending(cmd, c, s)
		return errb.String(), err
	}
	shown := []string{
		"Proposal 7 of svc (pending): withdraw 99QC to " + ownerA,
		"proposed by " + ownerA + " at height 120; 1 of 2 approvals so far",
		"hash sha256:abab",
	}
	out, err := run(false, "y\n")
	if err == nil || !strings.Contains(err.Error(), "stdin is not a terminal") ||
		!strings.Contains(err.Error(), "q1 service approve svc --proposal 7 --hash sha256:abab") {
		t.Fatalf("without a terminal: %v", err)
	}
	for _, want := range shown {
		if !strings.Contains(out, want) {
			t.Errorf("without a terminal, stderr %q does not show %q", out, want)
		}
	}
	if _, err := run(true, "n\n"); err == nil || !strings.Contains(err.Error(), "not approved") {
		t.Fatalf("answered n: %v", err)
	}
	if _, err := run(true, ""); err == nil {
		t.Fatal("no answer approved")
	}
	out, err = run(true, "y\n")
	if err != nil || !strings.Contains(out, "Approve proposal 7 of svc as bob") {
		t.Fatalf("answered y: %v\n%s", err, out)
	}

	// An update shows what it changes.
	s.Pending = &q1client.Proposal{ID: 8, Service: "svc", Kind: "update", Hash: "sha256:cd", Proposer: ownerB, Threshold: 2,
		Approvals: []string{ownerB}, ActivationHeight: 400, Manifest: json.RawMessage(canonicalDoc(t, "64Mi", "/*"))}
	out, _ = run(true, "y\n")
	if !strings.Contains(out, "Proposal 8 of svc (pending): update of the manifest\n  changes from version 1:\n    resources.memory: 32Mi → 64Mi\n") {
		t.Fatalf("update shown as:\n%s", out)
	}
}
