package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

func sharerStatusCmd() *cobra.Command {
	cmd := queryCmd("status [ADDRESS|KEY]", "Show a sharer: offer, capacity used, standing and leases", cobra.MaximumNArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			addr, err := statusSubject(cmd, c, args)
			if err != nil {
				return err
			}
			st, err := chainReader(c).Sharer(cmd.Context(), addr)
			if err != nil {
				return queryError(err)
			}
			if outputJSON(c) {
				return printJSON(cmd, st)
			}
			printSharerStatus(cmd.OutOrStdout(), st)
			return nil
		})
	cmd.Long = `Show a sharer: its status (active, offline or deregistered; draining), capacity
against what its leases reserve, prices, attributes, collateral, the last epoch it
reported, and its open leases with their services.

Without an argument it shows this home's sharer: the one recorded in the node's hot
key file (HOME/config/hot_key.json), else the --from key, else the home's default key.`
	cmd.Example = `  q1 sharer status
  q1 sharer status q1qyfzm0... -o json`
	cmd.Flags().String(flags.FlagFrom, "", "a key whose sharer to show (default: the node's sharer, else the default key)")
	return cmd
}

// statusSubject is the sharer q1 sharer status shows: the argument, else
// the home's node's sharer, else --from, else the default key.
func statusSubject(cmd *cobra.Command, c client.Context, args []string) (string, error) {
	if len(args) == 1 {
		addr, err := resolveAccount(c, args[0])
		if err != nil {
			return "", err
		}
		return addr.String(), nil
	}
	from, _ := cmd.Flags().GetString(flags.FlagFrom)
	if from == "" {
		hk, err := hotkeyfile.Load(c.HomeDir)
		switch {
		case err == nil && hk.Sharer != "":
			return hk.Sharer, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", err
		}
		from = c.KeyringDefaultKeyName
	}
	if from == "" {
		return "", errors.New("say which sharer: an address or key name (this home's node is no sharer and it has no default key)")
	}
	addr, err := resolveAccount(c, from)
	if err != nil {
		return "", err
	}
	return addr.String(), nil
}

// printSharerStatus writes a sharer for people.
func printSharerStatus(w io.Writer, st *q1client.SharerStatus) {
	s := st.Sharer
	state := s.Status
	if s.Draining {
		state += ", draining"
	}
	fmt.Fprintf(w, "Sharer %s (%s)\n", s.Address, state)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  endpoint\t%s\n", s.Endpoint)
	fmt.Fprintf(tw, "  cpu\t%s of %s reserved\n", cpuText(s.Used.MilliCPU), cpuText(s.Capacity.MilliCPU))
	fmt.Fprintf(tw, "  memory\t%s of %s reserved\n", manifest.ByteSize(s.Used.MemoryBytes), manifest.ByteSize(s.Capacity.MemoryBytes))
	fmt.Fprintf(tw, "  storage\t%s of %s reserved\n", manifest.ByteSize(s.Used.StorageBytes), manifest.ByteSize(s.Capacity.StorageBytes))
	fmt.Fprintf(tw, "  egress\t%s an hour\n", manifest.ByteSize(s.Capacity.EgressBytesPerHour))
	fmt.Fprintf(tw, "  prices\t%s\n", formatPrices(pricesIn(s.Prices)))
	fmt.Fprintf(tw, "  attributes\t%s\n", orNone(attributeList(s.Attributes)))
	if len(s.Deny.Services)+len(s.Deny.Owners) > 0 {
		fmt.Fprintf(tw, "  denies\t%s\n", strings.Join(append(append([]string{}, s.Deny.Services...), s.Deny.Owners...), ", "))
	}
	fmt.Fprintf(tw, "  collateral\t%s\n", s.CollateralQC)
	fmt.Fprintf(tw, "  hot key\t%s\n", s.HotKey)
	fmt.Fprintf(tw, "  last report\tepoch %d (current epoch %d began at height %d; %d blocks an epoch)\n",
		s.LastReportedEpoch, st.Epoch.Number, st.Epoch.StartHeight, st.Epoch.BlocksPerEpoch)
	fmt.Fprintf(tw, "  leases\t%d open\n", s.LeaseCount)
	if a := st.Audits; a != nil {
		fmt.Fprintf(tw, "  audited\t%d passed, %d failed, %d forfeited (%d entries not sampled)\n", a.Passed, a.Failed, a.Forfeited, a.Unsampled)
		fmt.Fprintf(tw, "  as auditor\t%d performed, %d missed\n", a.Performed, a.Missed)
	}
	tw.Flush()
	if len(st.Leases) > 0 {
		printLeases(w, st.Leases, false)
	}
}

// printLeases writes leases as a table, with their sharer or their service.
func printLeases(w io.Writer, leases []q1client.Lease, withSharer bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	who := "SERVICE"
	if withSharer {
		who = "SHARER"
	}
	fmt.Fprintf(tw, "    LEASE\t%s\tREPLICA\tRESERVES\tACK\tLOCKED PRICES\n", who)
	for _, l := range leases {
		name := l.Service
		if withSharer {
			name = l.Sharer
		}
		fmt.Fprintf(tw, "    %d\t%s\t%d\t%s\t%s\t%s\n", l.ID, name, l.Replica, resourcesText(l.Resources), ackText(l),
			formatPrices(pricesIn(l.Prices)))
	}
	tw.Flush()
}

func ackText(l q1client.Lease) string {
	switch {
	case l.Status == "closed":
		return "closed (" + l.CloseReason + ")"
	case l.Acked:
		return "acked at height " + strconv.FormatInt(l.AckedHeight, 10)
	default:
		return "pending until height " + strconv.FormatInt(l.AckDeadline, 10)
	}
}

func resourcesText(r q1client.Resources) string {
	parts := []string{cpuText(r.MilliCPU) + " cpu", manifest.ByteSize(r.MemoryBytes).String() + " memory"}
	if r.StorageBytes > 0 {
		parts = append(parts, manifest.ByteSize(r.StorageBytes).String()+" storage")
	}
	return strings.Join(parts, ", ")
}

// cpuText writes thousandths of a core as a manifest would: 2, 500m, or 0.
func cpuText(milli uint64) string {
	if milli == 0 {
		return "0"
	}
	return manifest.MilliCPU(milli).String()
}

func attributeList(attrs []q1client.SharerAttribute) string {
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		parts[i] = a.Key + "=" + a.Value
	}
	return strings.Join(parts, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// pricesIn turns the API's price strings back into numbers for formatPrices.
func pricesIn(p q1client.Prices) sharerstypes.Prices {
	u := func(s string) uint64 { v, _ := strconv.ParseUint(s, 10, 64); return v }
	return sharerstypes.Prices{
		CpuPerCoreSecond:  u(p.CPUPerCoreSecond),
		MemoryPerMibHour:  u(p.MemoryPerMiBHour),
		StoragePerGibHour: u(p.StoragePerGiBHour),
		Per_1KRequests:    u(p.Per1kRequests),
		EgressPerGib:      u(p.EgressPerGiB),
	}
}

func sharerListCmd() *cobra.Command {
	cmd := queryCmd("list", "List every sharer with its standing and what it has reserved", cobra.NoArgs,
		func(cmd *cobra.Command, c client.Context, _ []string) error {
			ss, err := chainReader(c).Sharers(cmd.Context())
			if err != nil {
				return queryError(err)
			}
			if outputJSON(c) {
				return printJSON(cmd, ss)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ADDRESS\tSTATUS\tCPU\tMEMORY\tSTORAGE\tLEASES\tCOLLATERAL\tENDPOINT")
			for _, s := range ss.Sharers {
				status := s.Status
				if s.Draining {
					status += " (draining)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%s/%s\t%s/%s\t%d\t%s\t%s\n", s.Address, status,
					cpuText(s.Used.MilliCPU), cpuText(s.Capacity.MilliCPU),
					manifest.ByteSize(s.Used.MemoryBytes), manifest.ByteSize(s.Capacity.MemoryBytes),
					manifest.ByteSize(s.Used.StorageBytes), manifest.ByteSize(s.Capacity.StorageBytes),
					s.LeaseCount, qc.Format(mustInt(s.Collateral)), s.Endpoint)
			}
			return tw.Flush()
		})
	cmd.Long = "List every sharer: status, reserved of offered CPU, memory and storage, open leases, collateral and endpoint."
	cmd.Example = "  q1 sharer list\n  q1 sharer list -o json"
	return cmd
}

func printPlacement(w io.Writer, p *q1client.Placement) {
	fmt.Fprintf(w, "%s: %d of %d replicas placed", p.Service, p.Placed, p.Wanted)
	if p.Moving > 0 {
		fmt.Fprintf(w, ", %d moving off draining sharers", p.Moving)
	}
	if p.Queued {
		fmt.Fprint(w, " (waiting for placement)")
	}
	fmt.Fprintln(w)
	if p.PlacedHeight > 0 {
		fmt.Fprintf(w, "  last placement at height %d: %s\n", p.PlacedHeight, orNone(p.Explanation))
	}
	if len(p.Excluded) > 0 {
		fmt.Fprintf(w, "  skipped next time (let a lease time out): %s\n", strings.Join(p.Excluded, ", "))
	}
	if len(p.Leases) > 0 {
		printLeases(w, p.Leases, true)
	}
}
