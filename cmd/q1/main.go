// Command q1 is Quantum1Net's one binary: a Cosmos SDK chain node with the
// network's services beside it, and the CLI people and scripts use.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(doMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// silentExit ends the command with code after it has already told the user why.
func silentExit(code int) error { return &exitError{code: code} }

// doMain runs the CLI with the given arguments and writers and returns the
// process exit code: 0 on success, 1 on failure (or what the command chose),
// with the reason on stderr.
func doMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := NewRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := execute(ctx, root)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "Error: %s\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "Error: %s\n", stripNoise(err.Error()))
	return 1
}
