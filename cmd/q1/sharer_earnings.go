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
			reader := chainReader(c)
			res, err := reader.SharerEarnings(cmd.Context(), addr, by)
			if err != nil {
				return queryError(err)
			}
			listed := -1
			if pruned, _ := cmd.Flags().GetBool("pruned"); pruned && by == "epoch" {
				if listed, err = reader.WithPrunedEarnings(cmd.Context(), by, res); err != nil {
					return err
				}
			}
			if outputJSON(c) {
				return printProtoJSON(cmd, res)
			}
			printEarnings(cmd.OutOrStdout(), by, res, listed)
			return nil
		})
	cmd.Long = `Show what a sharer earned from escrows: usage charged by its reports and reservation
rent settled, the protocol share that went to validators, and what reached its account.
--by sums per service or per epoch (rent counts in the epoch it was settled in).

The chain keeps the earnings of the last params.retention_epochs epochs per epoch; older
ones are pruned into running totals per service, which the total and the sums --by
service include; --by epoch shows them as one line, "<N (pruned)", and the output says
which epochs are pruned ("pruned_below" and "pruned" in -o json). With --by epoch,
--pruned sums the pruned epochs one by one too, from the rows read back from this node's
event index (the chain emits each row whole in the block that prunes it).

Without an argument it shows this home's sharer, as q1 sharer status does.`
	cmd.Example = `  q1 sharer earnings
  q1 sharer earnings q1qyfzm0... --by service -o json
  q1 sharer earnings --by epoch --pruned`
	cmd.Flags().String(flagBy, "", "sum per service or per epoch")
	cmd.Flags().Bool("pruned", false, "with --by epoch: sum the pruned epochs one by one too, read back from this node's event index")
	cmd.Flags().String(flags.FlagFrom, "", "a key whose sharer to show (default: the node's sharer, else the default key)")
	return cmd
}
