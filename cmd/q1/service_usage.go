package main

import (
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"

	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

const flagBy = "by"

func serviceUsageCmd() *cobra.Command {
	cmd := queryCmd("usage NAME", "Show a service's usage records: what each sharer reported, was charged, and every cap applied", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			by, _ := cmd.Flags().GetString(flagBy)
			req := &usagetypes.QueryServiceUsageRequest{Service: args[0], By: by}
			if s, _ := cmd.Flags().GetString("sharer"); s != "" {
				addr, err := resolveAccount(c, s)
				if err != nil {
					return err
				}
				req.Sharer = addr.String()
			}
			if cmd.Flags().Changed("epoch") {
				req.HasEpoch = true
				req.Epoch, _ = cmd.Flags().GetUint64("epoch")
			}
			reader := chainReader(c)
			res, err := reader.ServiceUsage(cmd.Context(), req)
			if err != nil {
				return queryError(err)
			}
			listed := -1
			if pruned, _ := cmd.Flags().GetBool("pruned"); pruned || (req.HasEpoch && req.Epoch < res.PrunedBelow) {
				if listed, err = reader.WithPrunedRecords(cmd.Context(), req, res); err != nil {
					return err
				}
			}
			audits, err := reader.AuditsOf(cmd.Context(), res.Records)
			if err != nil {
				// The records still say each entry's audit state and id.
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: the audits of these records could not be read: %v\n", queryError(err))
				audits = nil
			}
			if outputJSON(c) {
				return printUsageJSON(cmd, res, audits)
			}
			printUsage(cmd.OutOrStdout(), by, res)
			printUsagePruned(cmd.OutOrStdout(), req, res, listed)
			printAudits(cmd.OutOrStdout(), audits)
			return nil
		})
	cmd.Long = `Show the usage records of a service: for each lease and epoch, the requests, CPU time
and egress its sharer reported and the chain counted, what was charged from the escrow
(the sharer's part and the protocol share), and each cap that reduced the charge (the
manifest's pricing caps, budget.maxPerHour, the sharer's physical capacity, the escrow,
a lease closed or never acknowledged). --by sums the records per sharer or per epoch;
--sharer and --epoch keep only one sharer's or one epoch's.

Each record shows the root of the Merkle-sum tree over the lease's receipts that the
report committed (ROOT, with RECEIPTS, the receipts it covers) and its audit state
(AUDIT): pending until the draw, unsampled (paid), sampled (audit open, payment held),
proven (paid), failed or forfeited (refunded to the escrow, the sharer's collateral
slashed). Every audit the records name is listed after them with each auditor's verdict
and what it found. -o json gives the same: "records" and "audits".

The chain keeps the records of the last params.retention_epochs epochs (long enough for
the report window and the audits); older ones are pruned into running totals per sharer.
The totals, and the sums --by sharer, include the pruned records; the list and the sums
--by epoch show them as one line, "<N (pruned)", and the output says which epochs are
pruned ("pruned_below" and "pruned" in -o json). --pruned lists the pruned records too,
read back from this node's event index (the chain emits each record whole in the block
that prunes it), as does --epoch with a pruned epoch; a node that started from a snapshot
lacks the older blocks, and the output says how many of the pruned records it found.`
	cmd.Example = `  q1 service usage hello
  q1 service usage hello --by sharer -o json
  q1 service usage hello --pruned`
	cmd.Flags().String(flagBy, "", "sum the records per sharer or per epoch")
	cmd.Flags().String("sharer", "", "only this sharer's records (an address or key name)")
	cmd.Flags().Uint64("epoch", 0, "only this epoch's records")
	cmd.Flags().Bool("pruned", false, "also list the records pruned from the chain's state, read back from this node's event index")
	return cmd
}
