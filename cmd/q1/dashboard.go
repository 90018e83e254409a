package main

import (
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/client/signin"
)

func dashboardCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Sign in to a node's web dashboard",
		Long: `Every node serves a web dashboard at / on its --http address (q1 devnet prints
node 0's). Reading a service's logs there needs proof of who you are: the
dashboard shows a one-time challenge, you sign it here with your key, and paste
the token back. Your key never leaves this machine.`,
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(dashboardSignCmd())
	return cmd
}

func dashboardSignCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sign CHALLENGE --from KEY",
		Short: "Sign a dashboard sign-in challenge; prints the token to paste into the page",
		Long: `Sign the challenge a node's dashboard shows (it starts with q1-dashboard- and
names the chain and the node's id) with KEY from this home's keyring, and print
a token holding your address, public key and signature. Paste it into the
dashboard: the node checks it and signs you in for an hour. A challenge works
once, for five minutes, on the node that showed it. The chain and node you sign
in to are printed on stderr first: check them against the page you opened.`,
		Example: `  q1 dashboard sign q1-dashboard-q1-devnet-3f1c…e9a2-0123456789abcdef0123456789abcdef --from default`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := signin.ParseChallenge(args[0])
			if err != nil {
				return err
			}
			from, _ := cmd.Flags().GetString(flags.FlagFrom)
			if from == "" {
				return fmt.Errorf("name the key that signs with --from KEY (see q1 keys list)")
			}
			c, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			if c, err = withSigner(c, from); err != nil {
				return err
			}
			token, err := signin.Sign(args[0], keyringSigner(c))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Signing in as %s to node %s of chain %s\n", c.FromAddress, ch.Node, ch.Chain)
			fmt.Fprintln(cmd.OutOrStdout(), token)
			return nil
		},
	}
	cmd.Flags().String(flags.FlagFrom, "", "key that signs (its name in q1 keys list)")
	cmd.Flags().String(flags.FlagKeyringBackend, "", "keyring backend (os|file|test; default: the home's client.toml)")
	cmd.Flags().String(flags.FlagKeyringDir, "", "keyring directory (default: the home)")
	return cmd
}
