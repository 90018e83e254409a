package main

import (
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"
)

const flagBy = "by"

func serviceUsageCmd() *cobra.Command {
	cmd := queryCmd("usage NAME", "Show a service's usage records: what each sharer reported, was charged, and every cap applied", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			by, _ := cmd.Flags().GetString(flagBy)
			res, err := chainReader(c).ServiceUsage(cmd.Context(), args[0], by)
			if err != nil {
				return queryError(err)
			}
			if outputJSON(c) {
				return printProtoJSON(cmd, res)
			}
			printUsage(cmd.OutOrStdout(), by, res)
			return nil
		})
	cmd.Long = `Show the usage records of a service: for each lease and epoch, the requests, CPU time
and egress its sharer reported and the chain counted, what was charged from the escrow
(the sharer's part and the protocol share), and each cap that reduced the charge (the
manifest's pricing caps, budget.maxPerHour, the sharer's physical capacity, the escrow,
a lease closed or never acknowledged). --by sums the records per sharer or per epoch.`
	cmd.Example = `  q1 service usage hello
  q1 service usage hello --by sharer -o json`
	cmd.Flags().String(flagBy, "", "sum the records per sharer or per epoch")
	return cmd
}
