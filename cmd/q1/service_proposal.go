package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
)

// proposalAction says in a few words what a proposal would do.
func proposalAction(kind, amount, to string) string {
	switch kind {
	case "withdraw":
		return fmt.Sprintf("withdraw %s to %s", qc.Format(mustInt(amount)), to)
	case "delete":
		return "delete the service, refunding the escrow to " + to
	case "update":
		return "update of the manifest"
	}
	return kind
}

// replacedLine says which proposal a pending one replaced.
func replacedLine(r *q1client.ReplacedProposal) string {
	return fmt.Sprintf("replaces proposal %d (%s; hash %s), proposed at height %d and cancelled by %s at height %d",
		r.ID, proposalAction(r.Kind, r.Amount, r.To), r.Hash, r.ProposedHeight, r.CancelledBy, r.CancelledHeight)
}

// manifestChanges lists what an update changes, one "path: old → new" per
// changed field (the most specific paths only).
func manifestChanges(cur, next []byte) []string {
	a, errA := manifest.ParseCanonical(cur)
	b, errB := manifest.ParseCanonical(next)
	if errA != nil || errB != nil {
		return nil
	}
	paths := manifest.ChangedPaths(a, b)
	var ta, tb map[string]any
	if json.Unmarshal(cur, &ta) != nil || json.Unmarshal(next, &tb) != nil {
		return nil
	}
	var out []string
	for _, p := range paths {
		if slices.ContainsFunc(paths, func(q string) bool { return strings.HasPrefix(q, p+".") }) {
			continue // an object whose changed fields are listed
		}
		out = append(out, fmt.Sprintf("%s: %s → %s", p, valueAt(ta, p), valueAt(tb, p)))
	}
	return out
}

// valueAt shows the value at a field path of a canonical manifest's JSON.
func valueAt(tree map[string]any, path string) string {
	var v any = tree
	for _, name := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "(none)"
		}
		if v, ok = m[name]; !ok {
			return "(none)"
		}
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// describePending writes what approving the service's pending proposal
// would approve: what it does, who proposed it and when, its hash, and the
// proposal it replaced.
func describePending(w io.Writer, s *q1client.Service) {
	replaced := s.PendingReplaces
	p := s.Pending
	fmt.Fprintf(w, "Proposal %d of %s (pending): %s\n", p.ID, s.Name, proposalAction(p.Kind, p.Amount, p.To))
	if p.Kind == "update" {
		changes := manifestChanges(s.Manifest, p.Manifest)
		if len(changes) == 0 {
			fmt.Fprintln(w, "  changes: none visible (compare the manifests with q1 service status -o json)")
		} else {
			fmt.Fprintf(w, "  changes from version %d:\n", s.Version)
		}
		for _, c := range changes {
			fmt.Fprintf(w, "    %s\n", c)
		}
		fmt.Fprintf(w, "  takes effect at height %d at the earliest\n", p.ActivationHeight)
	}
	fmt.Fprintf(w, "  proposed by %s at height %d; %d of %d approvals so far (%s)\n",
		p.Proposer, p.ProposedHeight, len(p.Approvals), p.Threshold, strings.Join(p.Approvals, ", "))
	fmt.Fprintf(w, "  hash %s\n", p.Hash)
	if replaced != nil {
		fmt.Fprintf(w, "  %s\n", replacedLine(replaced))
	}
}

// stdinIsTerminal reports whether the command reads from a terminal, where
// someone can answer a question.
var stdinIsTerminal = func(cmd *cobra.Command) bool {
	f, ok := cmd.InOrStdin().(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirmPending shows the pending proposal and asks on the terminal
// whether to approve it. Without a terminal it refuses: what is approved
// must be named (--hash), never taken to be whatever is pending now.
func confirmPending(cmd *cobra.Command, c client.Context, s *q1client.Service) error {
	w := cmd.ErrOrStderr()
	describePending(w, s)
	p := s.Pending
	again := fmt.Sprintf("q1 service approve %s --proposal %d --hash %s --from %s", s.Name, p.ID, p.Hash, c.FromName)
	if !stdinIsTerminal(cmd) {
		return fmt.Errorf("not approved: without --hash, approve asks for confirmation, and stdin is not a terminal. Review the proposal above, then name what you approve: %s", again)
	}
	fmt.Fprintf(w, "Approve proposal %d of %s as %s (%s)? [y/N] ", p.ID, s.Name, c.FromName, c.FromAddress)
	answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("not approved (answered %q); nothing was sent", strings.TrimSpace(answer))
}
