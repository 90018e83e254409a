package main

import (
	"fmt"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/core/qc"
)

func walletCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wallet",
		Short: "QCoin for people: balances and transfers",
		Long: `QCoin for people. Amounts are written with their unit: 25QC, 0.5QC or 2500uqc
(1 QC = 1,000,000 uqc). Chain id, node, gas and fees come from the home's
config/client.toml, so a transfer needs only who sends, to whom, and how much.`,
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(walletBalanceCmd(), walletSendCmd())
	return cmd
}

func walletBalanceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "balance [NAME|ADDRESS]",
		Short: "Show the QCoin balance of a key or an address (default: the home's default key)",
		Example: `  q1 wallet balance
  q1 wallet balance alice
  q1 wallet balance q1qyfzm0... -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			who := clientCtx.KeyringDefaultKeyName
			if len(args) == 1 {
				who = args[0]
			}
			if who == "" {
				return fmt.Errorf("say whose balance: a key name or a q1… address (this home has no default key)")
			}
			addr, err := resolveAccountAs(clientCtx, who, "account")
			if err != nil {
				return err
			}
			if err := checkNodeReady(cmd.Context(), clientCtx, cmd.ErrOrStderr()); err != nil {
				return err
			}
			res, err := banktypes.NewQueryClient(clientCtx).Balance(cmd.Context(),
				&banktypes.QueryBalanceRequest{Address: addr.String(), Denom: app.BondDenom})
			if err != nil {
				return fmt.Errorf("query balance of %s: %w", addr, err)
			}
			amount := res.Balance.Amount
			if outputJSON(clientCtx) {
				return printJSON(cmd, map[string]string{
					"address": addr.String(), "balance": amount.String(), "balance_qc": qc.Format(amount),
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s  %s (%suqc)\n", addr, qc.Format(amount), amount)
			return nil
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

func walletSendCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "send --from NAME TO AMOUNT",
		Short: "Send QCoin and wait until the transfer is committed",
		Long: `Send QCoin from one of your keys to an account, and wait until the transfer is
in a block. TO is a q1… address or the name of a key in this home's keyring.
AMOUNT is written with its unit: 25QC, 0.5QC or 2500uqc.
Gas is simulated; the fee is gas × the home's gas-prices. There is no
confirmation prompt.`,
		Example: `  q1 wallet send --from default q1qyfzm0... 25QC
  q1 wallet send --from default alice 1QC
  q1 wallet send --from alice q1qyfzm0... 2500uqc -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			to, err := resolveAccountAs(clientCtx, args[0], "recipient")
			if err != nil {
				return err
			}
			amount, err := qc.ParseAmount(args[1])
			if err != nil {
				return err
			}
			from, _ := cmd.Flags().GetString(flags.FlagFrom)
			if from == "" {
				from = clientCtx.KeyringDefaultKeyName
			}
			if from == "" {
				return fmt.Errorf("say who sends with --from NAME")
			}
			clientCtx, err = withSigner(clientCtx, from)
			if err != nil {
				return err
			}
			msg := banktypes.NewMsgSend(clientCtx.FromAddress, to, sdk.NewCoins(sdk.NewCoin(app.BondDenom, amount)))
			res, err := submitTx(cmd, clientCtx, txOptions{spend: amount, what: "send " + qc.Format(amount)}, msg)
			if err != nil {
				return err
			}
			if outputJSON(clientCtx) {
				return printJSON(cmd, res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Sent %s to %s\n  tx     %s\n  height %d\n  fee    %s\n",
				qc.Format(amount), to, res.Hash, res.Height, qc.Format(res.Fee))
			return nil
		},
	}
	cmd.Flags().String(flags.FlagFrom, "", "name of the key that sends (default: the home's default key)")
	addTxClientFlags(cmd)
	return cmd
}

// txResult is what a committed tx reports to scripts.
type txResult struct {
	Hash    string      `json:"hash"`
	Height  int64       `json:"height"`
	Code    uint32      `json:"code"`
	GasUsed int64       `json:"gas_used"`
	Fee     sdkmath.Int `json:"fee"`
}
