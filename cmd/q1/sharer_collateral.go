package main

import (
	"fmt"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/core/qc"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

func sharerCollateralCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "collateral",
		Short: "Lock more collateral, or take back what is not locked",
		Long: `A sharer keeps at least the chain's params.min_collateral locked, and as much as
the highest placement.minCollateral of the services it hosts. Adding more lets it
host services that ask for more; withdrawing takes back only what is above what is
locked, or, after q1 sharer deregister, everything.`,
		RunE: client.ValidateCmd,
	}
	add := txCmd("add AMOUNT --from KEY", "Lock more collateral from the sharer's balance", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			amount, err := qc.ParseAmount(args[0])
			if err != nil {
				return err
			}
			msg := &sharerstypes.MsgAddCollateral{Sharer: c.FromAddress.String(), Amount: amount}
			what := fmt.Sprintf("add %s of collateral", qc.Format(amount))
			res, err := submitSharerTx(cmd, c, txOptions{spend: amount, what: what}, msg)
			if err != nil {
				return err
			}
			return afterSharerTx(cmd, c, res, msg.Sharer, "Locked "+qc.Format(amount)+" more collateral")
		})
	add.Example = "  q1 sharer collateral add 500QC --from default"
	withdraw := txCmd("withdraw AMOUNT|all --from KEY", "Take back collateral that is not locked", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			addr := c.FromAddress.String()
			var amount sdkmath.Int
			if args[0] == "all" {
				if err := checkNodeReady(cmd.Context(), c, cmd.ErrOrStderr()); err != nil {
					return err
				}
				sh, err := rawSharer(cmd.Context(), c, addr)
				if err != nil {
					return err
				}
				if !sh.Collateral.IsPositive() {
					return fmt.Errorf("sharer %s holds no collateral", addr)
				}
				amount = sh.Collateral
			} else {
				var err error
				if amount, err = qc.ParseAmount(args[0]); err != nil {
					return err
				}
			}
			msg := &sharerstypes.MsgWithdrawCollateral{Sharer: addr, Amount: amount}
			what := fmt.Sprintf("withdraw %s of collateral", qc.Format(amount))
			res, err := submitSharerTx(cmd, c, txOptions{what: what}, msg)
			if err != nil {
				return err
			}
			return afterSharerTx(cmd, c, res, addr, "Withdrew "+qc.Format(amount)+" of collateral")
		})
	withdraw.Example = `  q1 sharer collateral withdraw 500QC --from default
  q1 sharer collateral withdraw all --from default     # after q1 sharer deregister`
	cmd.AddCommand(add, withdraw)
	return cmd
}
