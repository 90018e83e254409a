package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/spf13/cobra"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/chainquery"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

func serviceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Deploy and govern services under their manifests",
		Long: `Services run under their Service Manifests (docs/manifest.md). Changes follow the
manifest: owners propose, threshold owners approve by id and hash, and an update
activates after the current notice. Operators may fund, pause, resume and scale.
Manifests and wasm are public on chain.`,
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(
		serviceDeployCmd(), serviceProposeCmd(), serviceApproveCmd(), serviceCancelCmd(),
		serviceStatusCmd(), serviceListCmd(), serviceHistoryCmd(),
		serviceFundCmd(), servicePauseCmd(), serviceResumeCmd(), serviceDeleteCmd(), serviceWithdrawCmd(),
		serviceScaleCmd(), serviceLogsCmd(), serviceCallCmd(),
		servicePlacementCmd(), serviceUsageCmd(), serviceSecretCmd(),
	)
	cmd.AddCommand(serviceNewCmd())
	return cmd
}

// chainReader reads services through the command's node.
func chainReader(c client.Context) *chainquery.Chain { return chainquery.New(c, sdkmath.ZeroInt()) }

// queryCmd builds a read-only command with the SDK's query flags.
func queryCmd(use, short string, args cobra.PositionalArgs, run func(*cobra.Command, client.Context, []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			if err := checkNodeReady(cmd.Context(), c, cmd.ErrOrStderr()); err != nil {
				return err
			}
			return run(cmd, c, args)
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

// txCmd builds a command that signs one msg with --from and waits for it.
func txCmd(use, short string, args cobra.PositionalArgs, run func(*cobra.Command, client.Context, []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := txClient(cmd)
			if err != nil {
				return err
			}
			return run(cmd, c, args)
		},
	}
	cmd.Flags().String(flags.FlagFrom, "", "signing key (default: the home's default key)")
	addTxClientFlags(cmd)
	return cmd
}

func serviceStatusCmd() *cobra.Command {
	return queryCmd("status NAME", "Show a service: status, version, escrow, pending proposal, manifest", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			chain := chainReader(c)
			s, err := chain.Service(cmd.Context(), args[0])
			if err != nil {
				return queryError(err)
			}
			if s.Status != "deleted" {
				s.Replicas, _ = replicaStates(cmd.Context(), chain, args[0])
				s.Schedules = scheduleStates(cmd.Context(), s, time.Now())
			}
			eco, ecoErr := chain.ServiceEconomics(cmd.Context(), args[0])
			if ecoErr == nil {
				s.Economics = economicsOut(eco)
			}
			if outputJSON(c) {
				return printJSON(cmd, s)
			}
			printService(cmd.OutOrStdout(), s)
			if ecoErr == nil {
				printEconomics(cmd.OutOrStdout(), eco)
			}
			printReplicas(cmd.OutOrStdout(), s.Replicas)
			printSchedules(cmd.OutOrStdout(), s.Schedules)
			return nil
		})
}

// printService writes a service for people, with the proposal its pending
// proposal replaced, when known.
func printService(w io.Writer, s *q1client.Service) {
	state := s.Status
	if s.Pause != nil {
		state += fmt.Sprintf(" (by %s at height %d)", s.Pause.Reason, s.Pause.Height)
	}
	fmt.Fprintf(w, "%s: %s, version %d, escrow %s\n", s.Name, state, s.Version, s.EscrowQC)
	if p := s.Pending; p != nil {
		fmt.Fprintf(w, "  pending proposal %d: %s; %d of %d approvals", p.ID, proposalAction(p.Kind, p.Amount, p.To), len(p.Approvals), p.Threshold)
		switch {
		case p.Kind == "update" && p.ApprovedHeight > 0:
			fmt.Fprintf(w, ", approved; activates at height %d", p.ActivationHeight)
		case p.Kind == "update":
			fmt.Fprintf(w, "; activates at height %d at the earliest", p.ActivationHeight)
		}
		fmt.Fprintf(w, "\n    proposed by %s at height %d; hash %s\n", p.Proposer, p.ProposedHeight, p.Hash)
		if r := s.PendingReplaces; r != nil {
			fmt.Fprintf(w, "    %s\n", replacedLine(r))
		}
	}
	if m, err := manifest.ParseCanonical(s.Manifest); err == nil {
		fmt.Fprint(w, m.Summary())
	}
}

func serviceListCmd() *cobra.Command {
	return queryCmd("list", "List every service", cobra.NoArgs,
		func(cmd *cobra.Command, c client.Context, _ []string) error {
			ss, err := chainReader(c).Services(cmd.Context())
			if err != nil {
				return queryError(err)
			}
			if outputJSON(c) {
				return printJSON(cmd, ss)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATUS\tVERSION\tREPLICAS\tESCROW\tPENDING")
			for _, s := range ss.Services {
				pending := "-"
				if s.PendingProposal != 0 {
					pending = strconv.FormatUint(s.PendingProposal, 10)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", s.Name, s.Status, s.Version, s.Replicas, qc.Format(mustInt(s.Escrow)), pending)
			}
			return tw.Flush()
		})
}

func serviceHistoryCmd() *cobra.Command {
	return queryCmd("history NAME", "Show every version of a service: who approved it and when it activated", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			h, err := chainReader(c).History(cmd.Context(), args[0])
			if err != nil {
				return queryError(err)
			}
			if outputJSON(c) {
				return printJSON(cmd, h)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tORIGIN\tACTIVATED\tHASH\tAPPROVED BY")
			for _, v := range h.Versions {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", v.Version, v.Origin, v.ActivatedHeight, v.Hash, strings.Join(v.Approvers, ", "))
			}
			return tw.Flush()
		})
}

func serviceProposeCmd() *cobra.Command {
	cmd := txCmd("propose -f MANIFEST [--wasm FILE] --from KEY", "Propose a new manifest for a service (owners only)", cobra.NoArgs,
		func(cmd *cobra.Command, c client.Context, _ []string) error {
			path, _ := cmd.Flags().GetString(flagManifest)
			if path == "" {
				return errors.New("say which manifest with -f FILE")
			}
			wasmPath, _ := cmd.Flags().GetString(flagWasm)
			o := draftOptions{}
			if wasmPath != "" {
				h, err := hashFileAt(wasmPath)
				if err != nil {
					return err
				}
				o.wasmHash = h.String()
			}
			m, err := readDraft(cmd, path)
			if err != nil {
				return err
			}
			if (o.wasmHash == "" && m.Code.Wasm == "") || len(m.Permissions.Owners.Accounts) == 0 {
				// What the draft leaves out stays as it is now.
				if err := checkNodeReady(cmd.Context(), c, cmd.ErrOrStderr()); err != nil {
					return err
				}
				s, err := chainReader(c).Service(cmd.Context(), m.Name)
				if err != nil {
					return queryError(err)
				}
				if o.current, err = manifest.ParseCanonical(s.Manifest); err != nil {
					return fmt.Errorf("read the manifest of %s version %d: %w", m.Name, s.Version, err)
				}
			}
			if m, err = completeDraft(cmd, c, path, m, o); err != nil {
				return err
			}
			if wasmPath != "" {
				if err := shipWasm(cmd, c, wasmPath, m); err != nil {
					return err
				}
			}
			msg := &servicestypes.MsgProposeUpdate{Proposer: c.FromAddress.String(), Name: m.Name, Manifest: m.Canonical()}
			return submitProposal(cmd, c, m.Name, "propose an update of "+m.Name, msg)
		})
	cmd.Long = `Propose a complete new manifest for a service; it counts as the proposer's
approval, and takes effect once the owners' threshold approved it and the current
policies.update.noticeBlocks have passed.

What the manifest leaves out stays as it is: without code.wasm and without --wasm
the module in force is kept (change only the manifest), and without owners the
current owners and threshold are kept. --wasm uploads a new module first and its
hash fills code.wasm.`
	cmd.Example = `  q1 service propose -f service.yaml --from default                # same module, new manifest
  q1 service propose -f service.yaml --wasm app.wasm --from default  # a new module too`
	cmd.Flags().StringP(flagManifest, "f", "", "the new manifest (YAML)")
	cmd.Flags().String(flagWasm, "", "a new module to upload; its hash fills code.wasm (default: keep the current module)")
	cmd.Flags().Bool(flagNoCheck, false, "upload and send even if the module fails the local check (nodes check again and will not run it)")
	cmd.Flags().String(flagAPI, "", "HTTP API of the node to upload to (default: \"api\" in client.toml)")
	return cmd
}

// submitProposal sends a msg that creates or approves a proposal and says
// where the proposal stands.
func submitProposal(cmd *cobra.Command, c client.Context, name, what string, msg sdk.Msg) error {
	res, err := submitTx(cmd, c, txOptions{what: what}, msg)
	if err != nil {
		return err
	}
	s, qerr := chainReader(c).Service(cmd.Context(), name)
	if outputJSON(c) {
		return printJSON(cmd, map[string]any{"tx": res, "service": s})
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Done: %s (tx %s, height %d)\n", what, res.Hash, res.Height)
	if qerr == nil {
		printService(w, s)
		if p := s.Pending; p != nil && len(p.Approvals) < int(p.Threshold) {
			fmt.Fprintf(w, "Other owners approve it with: q1 service approve %s --proposal %d --hash %s --from KEY\n", name, p.ID, p.Hash)
		}
	}
	return nil
}

func serviceApproveCmd() *cobra.Command {
	cmd := txCmd("approve NAME [--proposal ID] [--hash HASH] --from KEY",
		"Approve a service's pending proposal, naming its id and hash", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			name := args[0]
			id, _ := cmd.Flags().GetUint64("proposal")
			hash, _ := cmd.Flags().GetString("hash")
			if id == 0 || hash == "" {
				if err := checkNodeReady(cmd.Context(), c, cmd.ErrOrStderr()); err != nil {
					return err
				}
				s, err := chainReader(c).Service(cmd.Context(), name)
				if err != nil {
					return queryError(err)
				}
				if s.Pending == nil {
					return fmt.Errorf("service %s has no pending proposal to approve", name)
				}
				if id == 0 {
					id = s.Pending.ID
				}
				if hash == "" {
					if id != s.Pending.ID {
						return fmt.Errorf("proposal %d is not %s's pending proposal (%d): give --hash to approve it", id, name, s.Pending.ID)
					}
					// What is approved is what was shown: the chain refuses
					// the approval if the proposal changed meanwhile.
					if err := confirmPending(cmd, c, s); err != nil {
						return err
					}
					hash = s.Pending.Hash
				}
			}
			msg := &servicestypes.MsgApproveProposal{Approver: c.FromAddress.String(), Name: name, ProposalId: id, Hash: hash}
			return submitProposal(cmd, c, name, fmt.Sprintf("approve proposal %d of %s", id, name), msg)
		})
	cmd.Long = `Approve a service's pending proposal. An approval names the proposal's id and
hash, so that what is approved is what the approver read: the chain refuses it if
the pending proposal is another one or has another hash.

With --hash (and --proposal, default the pending one) it is sent as given: the way
for scripts. Without --hash, approve shows the pending proposal — what it does (the
amount and recipient of a withdrawal, the fields an update changes), who proposed
it and when, its hash, and the proposal it replaced if one was cancelled for it —
and asks for confirmation on the terminal. Without a terminal (stdin is not one)
it refuses and prints the command that names the proposal.`
	cmd.Example = `  q1 service approve hello --from bob        # shows the proposal, asks y/N
  q1 service approve hello --proposal 7 --hash sha256:… --from bob`
	cmd.Flags().Uint64("proposal", 0, "proposal id (default: the service's pending proposal)")
	cmd.Flags().String("hash", "", "the hash you approve (default: show the pending proposal and ask on the terminal)")
	return cmd
}

func serviceCancelCmd() *cobra.Command {
	cmd := txCmd("cancel NAME [--proposal ID] --from KEY", "Cancel a service's pending proposal (owners)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			name := args[0]
			id, _ := cmd.Flags().GetUint64("proposal")
			if id == 0 {
				if err := checkNodeReady(cmd.Context(), c, cmd.ErrOrStderr()); err != nil {
					return err
				}
				s, err := chainReader(c).Service(cmd.Context(), name)
				if err != nil {
					return queryError(err)
				}
				if s.Pending == nil {
					return fmt.Errorf("service %s has no pending proposal to cancel", name)
				}
				id = s.Pending.ID
			}
			msg := &servicestypes.MsgCancelProposal{Signer: c.FromAddress.String(), Name: name, ProposalId: id}
			return submitProposal(cmd, c, name, fmt.Sprintf("cancel proposal %d of %s", id, name), msg)
		})
	cmd.Flags().Uint64("proposal", 0, "proposal id (default: the service's pending proposal)")
	return cmd
}

func serviceFundCmd() *cobra.Command {
	return txCmd("fund NAME AMOUNT --from KEY", "Add to a service's escrow (anyone may)", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			amount, err := qc.ParseAmount(args[1])
			if err != nil {
				return err
			}
			msg := &servicestypes.MsgFundEscrow{Funder: c.FromAddress.String(), Name: args[0], Amount: amount}
			return simpleServiceTx(cmd, c, args[0], txOptions{spend: amount, what: fmt.Sprintf("fund %s with %s", args[0], qc.Format(amount))}, msg)
		})
}

func servicePauseCmd() *cobra.Command {
	return txCmd("pause NAME --from KEY", "Pause a service (owners or operators)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			msg := &servicestypes.MsgPauseService{Signer: c.FromAddress.String(), Name: args[0]}
			return simpleServiceTx(cmd, c, args[0], txOptions{what: "pause " + args[0]}, msg)
		})
}

func serviceResumeCmd() *cobra.Command {
	return txCmd("resume NAME --from KEY", "Resume a paused service (owners or operators)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			msg := &servicestypes.MsgResumeService{Signer: c.FromAddress.String(), Name: args[0]}
			return simpleServiceTx(cmd, c, args[0], txOptions{what: "resume " + args[0]}, msg)
		})
}

func serviceScaleCmd() *cobra.Command {
	return txCmd("scale NAME REPLICAS --from KEY", "Set placement.replicas within replicasMax (operators or owners)", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			n, err := strconv.ParseUint(args[1], 10, 32)
			if err != nil || n == 0 {
				return fmt.Errorf("REPLICAS must be a whole number of at least 1, got %q", args[1])
			}
			msg := &servicestypes.MsgScaleService{Signer: c.FromAddress.String(), Name: args[0], Replicas: uint32(n)}
			return simpleServiceTx(cmd, c, args[0], txOptions{what: fmt.Sprintf("scale %s to %d replicas", args[0], n)}, msg)
		})
}

func serviceDeleteCmd() *cobra.Command {
	cmd := txCmd("delete NAME --from KEY [--refund-to ADDRESS]",
		"Propose (or with threshold 1, do) deleting a service; the escrow is refunded", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			to, _ := cmd.Flags().GetString("refund-to")
			if to == "" {
				to = c.FromAddress.String()
			} else {
				addr, err := resolveAccountAs(c, to, "--refund-to")
				if err != nil {
					return err
				}
				to = addr.String()
			}
			msg := &servicestypes.MsgDeleteService{Proposer: c.FromAddress.String(), Name: args[0], RefundTo: to}
			return submitProposal(cmd, c, args[0], "delete "+args[0], msg)
		})
	cmd.Flags().String("refund-to", "", "account (q1… address or key name) that receives the remaining escrow (default: the signer)")
	return cmd
}

func serviceWithdrawCmd() *cobra.Command {
	cmd := txCmd("withdraw NAME AMOUNT --from KEY [--to ADDRESS]",
		"Propose (or with threshold 1, do) a withdrawal from a service's escrow", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			amount, err := qc.ParseAmount(args[1])
			if err != nil {
				return err
			}
			to, _ := cmd.Flags().GetString("to")
			if to == "" {
				to = c.FromAddress.String()
			} else {
				addr, err := resolveAccountAs(c, to, "--to")
				if err != nil {
					return err
				}
				to = addr.String()
			}
			msg := &servicestypes.MsgWithdrawEscrow{Proposer: c.FromAddress.String(), Name: args[0], Amount: amount, To: to}
			return submitProposal(cmd, c, args[0], fmt.Sprintf("withdraw %s from %s", qc.Format(amount), args[0]), msg)
		})
	cmd.Flags().String("to", "", "account (q1… address or key name) that receives the money (default: the signer)")
	return cmd
}

// simpleServiceTx sends msg and prints the service afterwards.
func simpleServiceTx(cmd *cobra.Command, c client.Context, name string, o txOptions, msg sdk.Msg) error {
	res, err := submitTx(cmd, c, o, msg)
	if err != nil {
		return err
	}
	if outputJSON(c) {
		return printJSON(cmd, res)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Done: %s (tx %s, height %d)\n", o.what, res.Hash, res.Height)
	if s, err := chainReader(c).Service(cmd.Context(), name); err == nil {
		printService(cmd.OutOrStdout(), s)
		if eco, err := chainReader(c).ServiceEconomics(cmd.Context(), name); err == nil {
			printEconomics(cmd.OutOrStdout(), eco)
		}
	}
	return nil
}

// queryError words a failed read for people.
func queryError(err error) error {
	if errors.Is(err, q1client.ErrNotFound) || errors.Is(err, q1client.ErrBadRequest) {
		_, msg, _ := strings.Cut(err.Error(), ": ")
		return errors.New(msg)
	}
	return errors.New(humanize(err))
}

func mustInt(s string) sdkmath.Int {
	v, ok := sdkmath.NewIntFromString(s)
	if !ok {
		return sdkmath.ZeroInt()
	}
	return v
}
