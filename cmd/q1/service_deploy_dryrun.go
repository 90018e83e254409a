package main

import (
	"fmt"
	"os"
	"strings"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// runDeployDryRun checks the deploy as runServiceDeploy would and shows
// where the manifest would be placed now and what that would cost. It needs
// no module and no deposit; with a key (--from, else the home's default) it
// also checks the key can pay and is an owner.
func runDeployDryRun(cmd *cobra.Command) error {
	c, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return err
	}
	fl, err := readDeployFlags(cmd)
	if err != nil {
		return err
	}
	from, _ := cmd.Flags().GetString(flags.FlagFrom)
	if from == "" {
		from = c.KeyringDefaultKeyName
	}
	if from != "" {
		if c, err = realKeyring(cmd, c); err != nil {
			return err
		}
		if c, err = withSigner(c, from); err != nil {
			return err
		}
	}
	raw, err := os.ReadFile(fl.path)
	if err != nil {
		return fmt.Errorf("read -f: %w", err)
	}
	o := draftOptions{allowNoWasm: true}
	if fl.wasmPath != "" {
		h, err := hashFileAt(fl.wasmPath)
		if err != nil {
			return err
		}
		o.wasmHash = h.String()
	}
	m, err := loadDraft(cmd, c, fl.path, o)
	if err != nil {
		return err
	}
	var wasmProblem error
	if fl.wasmPath != "" {
		wasmProblem = checkWasm(cmd, fl.wasmPath, m)
	}
	if err := checkNodeReady(cmd.Context(), c, cmd.ErrOrStderr()); err != nil {
		return err
	}
	in := deployInput{m: m, raw: raw, deposit: fl.deposit, signer: from != ""}
	if in.signer && !fl.deposit.IsNil() && len(m.Permissions.Owners.Accounts) > 0 {
		// The chain cannot see blobs: a placeholder module hash simulates
		// the same create msg (same size, same gas) when --wasm is not given.
		sim := *m
		if sim.Code.Wasm == "" {
			sim.Code.Wasm = manifest.HashPrefix + strings.Repeat("0", 64)
		}
		in.sim = &servicestypes.MsgCreateService{Creator: c.FromAddress.String(), Manifest: canonicalOf(&sim), Deposit: fl.deposit}
	}
	d, err := checkDeploy(cmd, c, in)
	if err != nil {
		return err
	}
	res := d.preview
	if outputJSON(c) {
		if err := printProtoJSON(cmd, res); err != nil {
			return err
		}
	} else {
		w := cmd.OutOrStdout()
		printPreview(w, res)
		if len(d.prices)+len(d.excluded) > 0 {
			fmt.Fprintln(w, "Passed over, by manifest field:")
			printPriceGroups(w, d.prices, "  ")
			printExclusions(w, d.excluded, "  ")
		}
		if !fl.deposit.IsNil() && res.RentPerHour.IsPositive() {
			fmt.Fprintf(w, "A deposit of %s pays about %s hours of rent\n", qc.Format(fl.deposit),
				sdkmath.LegacyNewDecFromInt(fl.deposit).Quo(res.RentPerHour).RoundInt())
		}
		most, derived := m.MaxPerHour()
		how := "policies.budget.maxPerHour"
		if derived {
			how = "what its replicas could bill at full use; set policies.budget.maxPerHour to lower it"
		}
		fmt.Fprintf(w, "Spending ceiling %s per hour, rent and usage together (%s)\n", qc.Format(most), how)
		if !d.fee.IsNil() {
			fmt.Fprintf(w, "Fee about %s; %s has %s\n", qc.Format(d.fee), c.FromName, qc.Format(d.balance))
		}
	}
	n := d.report(cmd.ErrOrStderr(), fl.force)
	if wasmProblem != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "  - %v\n", wasmProblem)
		n++
	}
	for _, note := range dryRunNotes(fl.wasmPath != "", in.signer) {
		fmt.Fprintln(cmd.ErrOrStderr(), note)
	}
	if n > 0 {
		return fmt.Errorf("dry run: the deploy of %s would stop with %d problem(s); nothing was uploaded or sent", m.Name, n)
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "dry run: nothing was uploaded or sent")
	return nil
}

// dryRunNotes are what a dry run could not check, and how to check it.
func dryRunNotes(wasm, signer bool) []string {
	var notes []string
	if !wasm {
		notes = append(notes, "(module not checked: pass --wasm FILE to check it)")
	}
	if !signer {
		notes = append(notes, "(no key: pass --from KEY to check the owners, the funds and the fee too)")
	}
	return notes
}

// realKeyring undoes what our --dry-run does to the SDK's client context:
// the SDK reads its own --dry-run flag (same name) as "simulate", and opens
// a simulating context's keyring in memory, empty. The dry run reads the
// key from the keyring the home configures (--keyring-backend, else
// client.toml's keyring-backend) to check its funds and owners.
func realKeyring(cmd *cobra.Command, c client.Context) (client.Context, error) {
	if !c.Simulate {
		return c, nil
	}
	c = c.WithSimulation(false)
	backend, _ := cmd.Flags().GetString(flags.FlagKeyringBackend)
	if backend == "" {
		v := viper.New()
		v.SetConfigFile(clientToml(c))
		if v.ReadInConfig() == nil {
			backend = v.GetString("keyring-backend")
		}
	}
	if backend == "" {
		backend = "os" // the SDK's default
	}
	kr, err := client.NewKeyringFromBackend(c, backend)
	if err != nil {
		return c, err
	}
	return c.WithKeyring(kr), nil
}
