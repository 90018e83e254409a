package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/core/qc"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

const (
	flagCollateral = "collateral"
	flagDrain      = "drain"
)

// sharerCmd is `q1 sharer`: offering a node's spare resources to services.
func sharerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sharer",
		Short: "Offer this node's spare resources to services, paid in QCoin",
		Long: `A sharer offers a node's CPU, memory, storage and egress at its own prices, and
locks collateral. The chain places services' replicas on sharers (leases), and the
node runs them. The sharer's account key signs the offer and holds the money; the
node's hot key (HOME/config/hot_key.json) sends lease acknowledgements and usage
reports for it under authz grants, its fees paid through a fee allowance.

Run register on the node itself, with --home set to the node's home: it creates
the node's hot key there and grants it in the same transaction.`,
		Example: `  q1 sharer register --from default --endpoint https://node.example.com:8081 \
    --cpu 2 --memory 4Gi --disk 50Gi --egress 100Gi --price ` + examplePrices + `
  q1 sharer status
  q1 service placement hello`,
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(sharerRegisterCmd(), sharerUpdateCmd(), sharerDeregisterCmd(), sharerCollateralCmd(),
		sharerStatusCmd(), sharerListCmd(), sharerEarningsCmd())
	return cmd
}

func sharerRegisterCmd() *cobra.Command {
	cmd := txCmd("register --from KEY --endpoint URL --cpu N --memory SIZE --disk SIZE --egress SIZE --price PRICES",
		"Register this node as a sharer: publish the offer, lock collateral, grant the node's hot key", cobra.NoArgs,
		runSharerRegister)
	cmd.Long = `Register the --from account as a sharer with this node's offer, in one transaction:

  - the offer (endpoint, capacity, attributes, prices, deny list) and its collateral
    (default: the chain's params.min_collateral), moved into the sharers module;
  - authz grants letting the node's hot key send usage reports and lease
    acknowledgements for the sharer, and a fee allowance (up to ` + hotKeyFeeLimitQC + `, for those
    messages only) so the hot key never holds money.

The hot key is created in HOME/config/hot_key.json if the node has none, and the
sharer's address is recorded there once the chain accepts, so the running node
starts acknowledging and reporting. Prices are per unit: cpu per core-second,
memory per MiB-hour, storage per GiB-hour, requests per thousand, egress per GiB.
Egress capacity is per hour.`
	cmd.Example = `  q1 sharer register --from default --endpoint https://node.example.com:8081 \
    --cpu 2 --memory 4Gi --disk 50Gi --egress 100Gi --attr region=eu \
    --price ` + examplePrices + ` \
    --home ~/.q1`
	addOfferFlags(cmd)
	cmd.Flags().String(flagCollateral, "", "collateral to lock, e.g. 1000QC (default: the chain's params.min_collateral)")
	return cmd
}

func runSharerRegister(cmd *cobra.Command, c client.Context, _ []string) error {
	offer, err := offerFromFlags(cmd, sharerstypes.Offer{}, true, keyringLookup(c))
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if err := checkNodeReady(ctx, c, cmd.ErrOrStderr()); err != nil {
		return err
	}
	collateral, err := registerCollateral(ctx, cmd, c)
	if err != nil {
		return err
	}
	hk, created, err := nodeHotKey(c)
	if err != nil {
		return err
	}
	offer.HotKey = hk.Address().String()
	grants, err := hotKeyGrants(ctx, c, hk.Address())
	if err != nil {
		return err
	}
	msgs := append([]sdk.Msg{&sharerstypes.MsgRegisterSharer{Sharer: c.FromAddress.String(), Offer: offer, Collateral: collateral}}, grants...)
	res, err := submitSharerTx(cmd, c, txOptions{spend: collateral, what: "register as a sharer"}, msgs...)
	if err != nil {
		return err
	}
	hk.Sharer = c.FromAddress.String()
	if err := hk.Save(c.HomeDir); err != nil {
		return fmt.Errorf("registered %s (tx %s), but could not record it in the node's hot key file: %w; "+
			"the node will not act for the sharer until %q holds \"sharer\": %q", hk.Sharer, res.Hash, err, hotkeyfile.Path(c.HomeDir), hk.Sharer)
	}
	keyState := "reused"
	if created {
		keyState = "created"
	}
	return afterSharerTx(cmd, c, res, c.FromAddress.String(),
		fmt.Sprintf("Registered %s as a sharer with %s of collateral", c.FromAddress, qc.Format(collateral)),
		fmt.Sprintf("the node's hot key %s (%s in %s) may send its usage reports and lease acks, fees up to %s",
			hk.Address(), keyState, hotkeyfile.Path(c.HomeDir), hotKeyFeeLimitQC))
}

// registerCollateral is --collateral, or what the sharer lacks of the
// chain's min_collateral (all of it unless a deregistered record still
// holds some).
func registerCollateral(ctx context.Context, cmd *cobra.Command, c client.Context) (sdkmath.Int, error) {
	if s, _ := cmd.Flags().GetString(flagCollateral); s != "" {
		v, err := qc.ParseNonNegative(s)
		if err != nil {
			return sdkmath.Int{}, fmt.Errorf("--collateral: %w", err)
		}
		return v, nil
	}
	params, err := sharerstypes.NewQueryClient(c).Params(ctx, &sharerstypes.QueryParamsRequest{})
	if err != nil {
		return sdkmath.Int{}, fmt.Errorf("query the sharers module's params: %s", humanize(err))
	}
	need := params.Params.MinCollateral
	if res, err := sharerstypes.NewQueryClient(c).Sharer(ctx, &sharerstypes.QuerySharerRequest{Address: c.FromAddress.String()}); err == nil {
		need = need.Sub(res.Sharer.Collateral)
	}
	return sdkmath.MaxInt(need, sdkmath.ZeroInt()), nil
}

// nodeHotKey loads or creates the hot key of the node whose home the
// command runs in, refusing one that already serves another sharer.
func nodeHotKey(c client.Context) (hotkeyfile.Key, bool, error) {
	hk, created, err := hotkeyfile.LoadOrCreate(c.HomeDir)
	if err != nil {
		return hk, false, fmt.Errorf("the node's hot key %s: %w; run q1 sharer register on the node, with --home set to its home",
			hotkeyfile.Path(c.HomeDir), err)
	}
	if hk.Sharer != "" && hk.Sharer != c.FromAddress.String() {
		return hk, false, fmt.Errorf("this node's hot key %s already serves sharer %s (see %s); a node serves one sharer: "+
			"register %s from another node's home", hk.Address(), hk.Sharer, hotkeyfile.Path(c.HomeDir), c.FromAddress)
	}
	return hk, created, nil
}

func sharerUpdateCmd() *cobra.Command {
	cmd := txCmd("update --from KEY [offer flags] [--drain[=false]]",
		"Replace parts of this sharer's offer, or start or stop draining", cobra.NoArgs, runSharerUpdate)
	cmd.Long = `Change the offer of the --from sharer. The flags given replace those parts of the
current offer (as q1 sharer status shows it); --price replaces only the resources it
names, --attr and --deny replace the whole list (--clear-attrs, --clear-deny empty it).
Capacity may not shrink below what open leases reserve.

--drain stops new leases and moves the sharer's replicas to other sharers, each
closed once its replacement is placed; --drain=false stops draining.`
	cmd.Example = `  q1 sharer update --from default --price cpu=400uqc/core-s --memory 8Gi
  q1 sharer update --from default --attr region=eu --attr zone=eu-west-1
  q1 sharer update --from default --drain`
	addOfferFlags(cmd)
	cmd.Flags().Bool(flagClearAttrs, false, "remove every attribute")
	cmd.Flags().Bool(flagClearDeny, false, "empty the deny list")
	cmd.Flags().Bool(flagDrain, false, "move the sharer's replicas elsewhere and take no new leases (--drain=false stops)")
	return cmd
}

func runSharerUpdate(cmd *cobra.Command, c client.Context, _ []string) error {
	drainSet := cmd.Flags().Changed(flagDrain)
	if !offerChanged(cmd) && !drainSet {
		return errors.New("nothing to change: give the parts of the offer to replace (--endpoint, --cpu, --memory, --disk, --egress, --attr, --price, --deny) or --drain")
	}
	ctx := cmd.Context()
	if err := checkNodeReady(ctx, c, cmd.ErrOrStderr()); err != nil {
		return err
	}
	sh, err := rawSharer(ctx, c, c.FromAddress.String())
	if err != nil {
		return err
	}
	if !sh.Registered() {
		return fmt.Errorf("sharer %s deregistered at height %d; register it again with q1 sharer register", sh.Address, sh.UpdatedHeight)
	}
	offer, err := offerFromFlags(cmd, sh.Offer(), false, keyringLookup(c))
	if err != nil {
		return err
	}
	drain := sh.Draining
	if drainSet {
		drain, _ = cmd.Flags().GetBool(flagDrain)
	}
	msg := &sharerstypes.MsgUpdateSharer{Sharer: sh.Address, Offer: offer, Drain: drain}
	res, err := submitSharerTx(cmd, c, txOptions{what: "update the sharer's offer"}, msg)
	if err != nil {
		return err
	}
	return afterSharerTx(cmd, c, res, sh.Address, "Updated the offer of sharer "+sh.Address)
}

func sharerDeregisterCmd() *cobra.Command {
	cmd := txCmd("deregister --from KEY", "Withdraw this sharer's offer (refused while it holds leases)", cobra.NoArgs,
		func(cmd *cobra.Command, c client.Context, _ []string) error {
			addr := c.FromAddress.String()
			res, err := submitSharerTx(cmd, c, txOptions{what: "deregister the sharer"}, &sharerstypes.MsgDeregisterSharer{Sharer: addr})
			if err != nil {
				return err
			}
			// The node stops acting for a sharer that is gone.
			if hk, err := hotkeyfile.Load(c.HomeDir); err == nil && hk.Sharer == addr {
				hk.Sharer = ""
				if err := hk.Save(c.HomeDir); err != nil {
					return fmt.Errorf("deregistered %s (tx %s), but could not update %s: %w", addr, res.Hash, hotkeyfile.Path(c.HomeDir), err)
				}
			}
			return afterSharerTx(cmd, c, res, addr, "Deregistered sharer "+addr,
				"take its collateral back with: q1 sharer collateral withdraw all --from "+c.FromName)
		})
	cmd.Long = `Withdraw the --from sharer's offer. The chain refuses while the sharer holds
leases: drain it first (q1 sharer update --drain) and deregister once its replicas
have moved. Afterwards all its collateral can be withdrawn.`
	cmd.Example = `  q1 sharer update --drain --from default
  q1 sharer status                      # wait until it holds no leases
  q1 sharer deregister --from default
  q1 sharer collateral withdraw all --from default`
	return cmd
}

// rawSharer reads a sharer's chain record, in people's words when there is none.
func rawSharer(ctx context.Context, c client.Context, addr string) (*sharerstypes.Sharer, error) {
	res, err := sharerstypes.NewQueryClient(c).Sharer(ctx, &sharerstypes.QuerySharerRequest{Address: addr})
	if err != nil {
		if status.Code(err) == codes.NotFound { // sharerstypes.ErrSharerNotFound's code
			return nil, fmt.Errorf("%s is not a sharer: register it first with q1 sharer register", addr)
		}
		return nil, fmt.Errorf("query sharer %s: %s", addr, humanize(err))
	}
	return &res.Sharer, nil
}

// sharerHints turns the chain's references to msgs into the commands that
// send them.
var sharerHints = strings.NewReplacer(
	"send MsgUpdateSharer with drain set so they are placed elsewhere", "drain it (q1 sharer update --drain) so they are placed elsewhere",
	"change its offer with MsgUpdateSharer", "change its offer with q1 sharer update",
	"register it again with MsgRegisterSharer", "register it again with q1 sharer register",
	"register it with MsgRegisterSharer", "register it with q1 sharer register",
)

// submitSharerTx is submitTx with the chain's hints worded for the CLI.
func submitSharerTx(cmd *cobra.Command, c client.Context, o txOptions, msgs ...sdk.Msg) (*txResult, error) {
	res, err := submitTx(cmd, c, o, msgs...)
	if err != nil {
		return nil, errors.New(sharerHints.Replace(err.Error()))
	}
	return res, nil
}

// afterSharerTx reports a committed sharer tx: the tx and the sharer's
// status as JSON, or what was done, notes and the status in words.
func afterSharerTx(cmd *cobra.Command, c client.Context, res *txResult, addr, done string, notes ...string) error {
	st, qerr := chainReader(c).Sharer(cmd.Context(), addr)
	if outputJSON(c) {
		return printJSON(cmd, map[string]any{"tx": res, "sharer": st})
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s (tx %s, height %d)\n", done, res.Hash, res.Height)
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	if qerr == nil {
		printSharerStatus(w, st)
	}
	return nil
}
