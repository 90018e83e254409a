package main

import (
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/internal/devnet"
)

// devnetStatusCmd is `q1 devnet status`: the nodes of the running devnet
// and their processes.
func devnetStatusCmd() *cobra.Command {
	var dir, output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the nodes of a running q1 devnet and their processes",
		Example: `  q1 devnet status
  q1 devnet status -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dialDevnet(dir)
			if err != nil {
				return err
			}
			nodes, err := c.Nodes(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd, nodes)
			}
			printNodeStates(cmd.OutOrStdout(), nodes)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".q1-devnet", "directory of the running network")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// devnetNodeCmd is `q1 devnet stop|restart NODE`.
func devnetNodeCmd(action, short string) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     action + " NODE",
		Short:   short,
		Example: fmt.Sprintf("  q1 devnet %s node2", action),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dialDevnet(dir)
			if err != nil {
				return err
			}
			var st devnet.NodeState
			if action == "stop" {
				st, err = c.Stop(cmd.Context(), args[0])
			} else {
				st, err = c.Restart(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			printNodeStates(cmd.OutOrStdout(), []devnet.NodeState{st})
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".q1-devnet", "directory of the running network")
	return cmd
}

func dialDevnet(dir string) (*devnet.Control, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return devnet.DialControl(abs)
}

func printNodeStates(w io.Writer, nodes []devnet.NodeState) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tSTATE\tPID\tSINCE\tLOG")
	for _, n := range nodes {
		state, pid, since := "stopped", "-", "-"
		if n.Running {
			state, pid = "running", fmt.Sprint(n.Pid)
			since = n.Started.Local().Format(time.TimeOnly)
		} else if n.Exit != "" {
			state = "stopped (" + n.Exit + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, state, pid, since, n.Log)
	}
	tw.Flush()
}
