package main

import (
	"errors"
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/core/manifest"
)

func manifestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "Check Service Manifests and get their JSON Schema",
		Long: `A Service Manifest states a service's permissions and policies (see docs/manifest.md).
Manifests and wasm are public on chain: never put secrets in them.`,
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(manifestValidateCmd(), manifestSchemaCmd())
	return cmd
}

func manifestValidateCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a manifest: print its canonical hash and a summary, or every problem with its line",
		Long: `Check a manifest file. On success it prints the canonical hash (what the chain
records) and a summary; on failure every problem, each with its field path and
line, and exits 1. code.wasm may be missing: q1 service deploy --wasm fills it.`,
		Example: `  q1 manifest validate examples/hello/service.yaml
  q1 manifest validate service.yaml -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := readManifest(args[0], manifest.ParseOptions{AllowMissingWasm: true, AllowMissingOwners: true})
			var problems manifest.Problems
			if errors.As(err, &problems) {
				if output == "json" {
					_ = printJSON(cmd, map[string]any{"valid": false, "problems": problems})
				} else {
					for _, p := range problems {
						fmt.Fprintln(cmd.ErrOrStderr(), p.String())
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d problem(s)\n", args[0], len(problems))
				}
				return silentExit(1)
			}
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd, map[string]any{"valid": true, "name": m.Name, "hash": m.Hash()})
			}
			fmt.Fprint(cmd.OutOrStdout(), m.Summary())
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format (text|json)")
	return cmd
}

func manifestSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the manifest's JSON Schema, for editors",
		Example: `  q1 manifest schema > q1-manifest.schema.json
  # then, in VS Code's YAML extension: "yaml.schemas": {"./q1-manifest.schema.json": "service.yaml"}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(manifest.Schema())
			return err
		},
	}
}
