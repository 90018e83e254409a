package main

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"
)

// helpOnlyAnnotation marks a command group that only prints its help when
// run without a subcommand: the root's setup (which creates a home) is
// skipped for it, as cobra skips it for a group that is not runnable.
const helpOnlyAnnotation = "q1/help-only"

// suggestSubcommands makes every command with subcommands, at any depth,
// refuse a mistyped subcommand with an error and "Did you mean this?".
// Cobra does that only for the root: below it a group without Args took
// any word as an argument, so a group with RunE printed its help or
// nothing useful, a group without one printed its help and exited 0, and
// one with cobra.NoArgs said "unknown command" without a suggestion.
func suggestSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		suggestSubcommands(c)
	}
	if !cmd.HasAvailableSubCommands() {
		return
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // what cobra uses at the root; SuggestionsFor reads the field as is
	}
	if !cmd.HasParent() {
		return // cobra's own check, with suggestions
	}
	accepts := cmd.Args
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 && (accepts == nil || accepts(c, args) != nil) {
			return unknownSubcommand(c, args[0])
		}
		if accepts != nil {
			return accepts(c, args)
		}
		return nil
	}
	if !cmd.Runnable() || isValidateCmd(cmd.RunE) {
		// Cobra prints a group's help before it checks arguments; run it
		// instead, so the check happens, and print the help ourselves. The
		// SDK's ValidateCmd, which groups use as RunE, does the same after
		// the root's setup has created a home; the check above replaces it.
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		if cmd.Annotations == nil {
			cmd.Annotations = map[string]string{}
		}
		cmd.Annotations[helpOnlyAnnotation] = "true"
	}
}

// isValidateCmd reports whether run is the SDK's client.ValidateCmd.
func isValidateCmd(run func(*cobra.Command, []string) error) bool {
	return run != nil && reflect.ValueOf(run).Pointer() == reflect.ValueOf(client.ValidateCmd).Pointer()
}

// unknownSubcommand is the error for a word that names no subcommand of c.
func unknownSubcommand(c *cobra.Command, typed string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown command %q for %q", typed, c.CommandPath())
	if s := c.SuggestionsFor(typed); len(s) > 0 {
		b.WriteString("\n\nDid you mean this?\n")
		for _, name := range s {
			fmt.Fprintf(&b, "\t%s\n", name)
		}
	} else {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Run '%s --help' for its commands.", c.CommandPath())
	return fmt.Errorf("%s", b.String())
}
