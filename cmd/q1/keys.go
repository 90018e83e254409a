package main

import (
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// keysCmd is the SDK's `keys` tree, with -o as the shorthand of --output
// as on every other query.
func keysCmd() *cobra.Command {
	sdk := keys.Commands()
	cmd := &cobra.Command{
		Use:   sdk.Use,
		Short: sdk.Short,
		Long:  sdk.Long,
	}
	sdk.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name == flags.FlagOutput {
			f.Shorthand = "o"
		}
		cmd.PersistentFlags().AddFlag(f)
	})
	for _, sub := range sdk.Commands() {
		sdk.RemoveCommand(sub)
		cmd.AddCommand(sub)
	}
	return cmd
}
