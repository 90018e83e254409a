package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// mistype swaps two letters of name, or returns "" when that makes
// another command's name or alias.
func mistype(name string, siblings []*cobra.Command) string {
	if len(name) < 3 || name[1] == name[2] {
		return ""
	}
	typo := name[:1] + name[2:3] + name[1:2] + name[3:]
	for _, s := range siblings {
		if s.Name() == typo || s.HasAlias(typo) {
			return ""
		}
	}
	return typo
}

// TestMistypedSubcommandsAreSuggested types a subcommand of every command
// group of the tree, at every depth, with two letters swapped: each must
// fail with exit 1, name the command, and suggest the right one, without
// creating a home.
func TestMistypedSubcommandsAreSuggested(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CLI once per command group; skipped with -short")
	}
	home := filepath.Join(t.TempDir(), "home")
	var cases [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		var typo, want string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				if typo = mistype(sub.Name(), c.Commands()); typo != "" {
					want = sub.Name()
					break
				}
			}
		}
		if typo != "" {
			cases = append(cases, append(append([]string{}, path...), typo, want))
		}
		for _, sub := range c.Commands() {
			if sub.HasAvailableSubCommands() {
				walk(sub, append(append([]string{}, path...), sub.Name()))
			}
		}
	}
	walk(NewRootCmd(), nil)
	t.Logf("%d command groups", len(cases))
	if len(cases) < 20 {
		t.Fatalf("only %d command groups found", len(cases))
	}
	for _, c := range cases {
		args, want := c[:len(c)-1], c[len(c)-1]
		typo := args[len(args)-1]
		group := strings.Join(append([]string{"q1"}, args[:len(args)-1]...), " ")
		out, errOut, code := runCLI(t, append(args, "--home", home)...)
		if code != 1 || out != "" ||
			!strings.HasPrefix(errOut, "Error: unknown command \""+typo+"\" for \""+group+"\"") ||
			!strings.Contains(errOut, "\nDid you mean this?\n") || !strings.Contains(errOut, "\t"+want+"\n") {
			t.Errorf("q1 %s: exit %d, stdout %d bytes, stderr:\n%s\nwant exit 1 and a suggestion of %q", strings.Join(args, " "), code, len(out), errOut, want)
		}
	}
	if _, err := os.Stat(home); err == nil {
		t.Errorf("mistyped commands created the home %s", home)
	}
}

// TestCommandGroupsPrintHelp runs groups without a subcommand: they print
// their help and succeed, and create no home.
func TestCommandGroupsPrintHelp(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	for _, args := range [][]string{{"service"}, {"keys"}, {"sharer"}} {
		out, errOut, code := runCLI(t, append(args, "--home", home)...)
		if code != 0 || errOut != "" || !strings.Contains(out, "Available Commands:") {
			t.Errorf("q1 %s: exit %d, stderr %q, stdout:\n%s", strings.Join(args, " "), code, errOut, out)
		}
	}
	if _, err := os.Stat(home); err == nil {
		t.Errorf("printing a group's help created the home %s", home)
	}
}
