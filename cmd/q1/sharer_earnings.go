package main

import (
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"
)

func sharerEarningsCmd() *cobra.Command {
	cmd := queryCmd("earnings [ADDRESS|KEY]", "Show what a sharer earned: usage and rent, less the protocol share", cobra.MaximumNArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			addr, err := statusSubject(cmd, c, args)
			if err != nil {
				return err
			}
			by, _ := cmd.Flags().GetString(flagBy)
			res, err := chainReader(c).SharerEarnings(cmd.Context(), addr, by)
			if err != nil {
				return queryError(err)
			}
			if outputJSON(c) {
				return printProtoJSON(cmd, res)
			}
			printEarnings(cmd.OutOrStdout(), by, res)
			return nil
		})
	cmd.Long = `Show what a sharer earned from escrows: usage charged by its reports and reservation
rent settled, the protocol share that went to validators, and what reached its account.
--by sums per service or per epoch (rent counts in the epoch it was settled in).

The chain keeps the earnings of the last params.retention_epochs epochs per epoch; older
ones are pruned into running totals per service, which the total and the sums --by
service include; --by epoch shows them as one line, "<N (pruned)", and the output says
which epochs are pruned ("pruned_below" and "pruned" in -o json).

Without an argument it shows this home's sharer, as q1 sharer status does.`
	cmd.Example = `  q1 sharer earnings
  q1 sharer earnings q1qyfzm0... --by service -o json`
	cmd.Flags().String(flagBy, "", "sum per service or per epoch")
	cmd.Flags().String(flags.FlagFrom, "", "a key whose sharer to show (default: the node's sharer, else the default key)")
	return cmd
}
