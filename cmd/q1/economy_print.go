package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/chainquery"
	"github.com/quantum1net/q1/core/qc"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// printProtoJSON writes a query response as the API does: the chain's proto
// JSON, indented.
func printProtoJSON(cmd *cobra.Command, m proto.Message) error {
	raw, err := chainquery.ProtoJSON(m)
	if err != nil {
		return err
	}
	return printIndented(cmd, raw)
}

// printIndented writes JSON indented, as the API's answers read.
func printIndented(cmd *cobra.Command, raw []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return err
	}
	_, err := fmt.Fprintln(cmd.OutOrStdout(), out.String())
	return err
}

// decQC writes a decimal amount of uqc in QC, rounded to the uqc.
func decQC(d sdkmath.LegacyDec) string {
	if d.IsNil() {
		return qc.Format(sdkmath.ZeroInt())
	}
	return qc.Format(d.RoundInt())
}

// printUsage writes q1 service usage for people: the records (or sums) and
// the total; every cap applied is listed under its record.
func printUsage(w io.Writer, by string, res *usagetypes.QueryServiceUsageResponse) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	switch by {
	case "":
		fmt.Fprintln(tw, "EPOCH\tLEASE\tSHARER\tREQUESTS\tCPU\tEGRESS\tCHARGED\tCAPS\tRECEIPTS\tROOT\tAUDIT")
		for _, r := range res.Records {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%s\t%d B\t%s\t%d\t%d\t%s\t%s\n", r.Epoch, r.LeaseId, r.Sharer, r.CountedRequests,
				cpuMillis(r.CountedCpuMillis), r.CountedEgressBytes, qc.Format(r.Charged), len(r.Caps),
				r.Receipts, shortRoot(r.ReceiptsRoot), auditText(r))
		}
	default:
		fmt.Fprintf(tw, "%s\tRECORDS\tREQUESTS\tCPU\tEGRESS\tCHARGED\tCAPS\n", strings.ToUpper(by))
		if by == "epoch" && res.Pruned.Records > 0 {
			s := res.Pruned
			fmt.Fprintf(tw, "<%d (pruned)\t%d\t%d\t%s\t%d B\t%s\t%d\n", res.PrunedBelow, s.Records, s.Requests, cpuMillis(s.CpuMillis), s.EgressBytes, qc.Format(s.Charged), s.Caps)
		}
		for _, s := range res.Sums {
			key := s.Sharer
			if by == "epoch" {
				key = fmt.Sprint(s.Epoch)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d B\t%s\t%d\n", key, s.Records, s.Requests, cpuMillis(s.CpuMillis), s.EgressBytes, qc.Format(s.Charged), s.Caps)
		}
	}
	tw.Flush()
	t := res.Total
	fmt.Fprintf(w, "Total: %d requests, %s CPU, %d B egress in %d records; charged %s (%s to sharers, %s protocol share)\n",
		t.Requests, cpuMillis(t.CpuMillis), t.EgressBytes, t.Records, qc.Format(t.Charged), qc.Format(t.ToSharer), qc.Format(t.ProtocolShare))
	if by == "" {
		for _, r := range res.Records {
			for _, c := range r.Caps {
				fmt.Fprintf(w, "  epoch %d lease %d: %s (%s %s → %s): %s\n", r.Epoch, r.LeaseId, c.Kind, c.Component, orDash(c.Before), orDash(c.After), c.Detail)
			}
		}
	}
}

// printUsagePruned says which epochs the chain no longer holds records of
// (params.retention_epochs) and where the totals of those come from;
// listed is how many of them were read back from the node's event index
// and listed (-1: not asked, --pruned).
func printUsagePruned(w io.Writer, req *usagetypes.QueryServiceUsageRequest, res *usagetypes.QueryServiceUsageResponse, listed int) {
	if res.PrunedBelow == 0 {
		return
	}
	if req.HasEpoch {
		switch {
		case req.Epoch >= res.PrunedBelow:
		case listed > 0:
			fmt.Fprintf(w, "Epoch %d is pruned from the chain's state (every epoch before %d is, params.retention_epochs): "+
				"its %d records above were read back from this node's event index.\n", req.Epoch, res.PrunedBelow, listed)
		default:
			fmt.Fprintf(w, "Epoch %d is pruned from the chain's state (every epoch before %d is, params.retention_epochs), "+
				"and this node's event index holds no record of it (a node that started from a snapshot lacks the older blocks); "+
				"its records are counted in the service's totals (q1 service usage %s).\n",
				req.Epoch, res.PrunedBelow, req.Service)
		}
		return
	}
	if res.Pruned.Records == 0 {
		fmt.Fprintf(w, "Epochs before %d are pruned from the chain's state (params.retention_epochs); none had records here.\n", res.PrunedBelow)
		return
	}
	p := res.Pruned
	switch {
	case listed < 0:
		fmt.Fprintf(w, "Epochs before %d are pruned from the chain's state (params.retention_epochs): their %d records are not listed "+
			"one by one (--pruned reads them back from this node's event index); the chain keeps their running totals, "+
			"which the total above includes: %d requests, %s CPU, %d B egress, charged %s.\n",
			res.PrunedBelow, p.Records, p.Requests, cpuMillis(p.CpuMillis), p.EgressBytes, qc.Format(p.Charged))
	case req.Sharer == "" && uint64(listed) < p.Records:
		fmt.Fprintf(w, "Epochs before %d are pruned from the chain's state (params.retention_epochs): %d of their %d records are listed, "+
			"read back from this node's event index, which lacks the blocks that pruned the rest (a node that started from a "+
			"snapshot, or whose index was pruned); the total above includes all %d.\n", res.PrunedBelow, listed, p.Records, p.Records)
	default:
		fmt.Fprintf(w, "Epochs before %d are pruned from the chain's state (params.retention_epochs): their %d records are listed, "+
			"read back from this node's event index.\n", res.PrunedBelow, listed)
	}
}

// shortRoot is a receipts root for people: its first 8 bytes in hex.
func shortRoot(root []byte) string {
	if len(root) == 0 || bytes.Equal(root, make([]byte, len(root))) {
		return "-"
	}
	return hex.EncodeToString(root[:min(8, len(root))])
}

// auditText is a record's audit state, with its audit's id when it has one.
func auditText(r usagetypes.UsageRecord) string {
	switch {
	case r.AuditState == "":
		return "-"
	case r.AuditId != 0:
		return fmt.Sprintf("%s #%d", r.AuditState, r.AuditId)
	}
	return r.AuditState
}

// printAudits writes the audits usage records name, with each auditor's
// verdict.
func printAudits(w io.Writer, audits []usagetypes.Audit) {
	for _, a := range audits {
		fmt.Fprintf(w, "Audit #%d of epoch %d lease %d (sharer %s): %s, %s phase; %d samples published",
			a.Id, a.Epoch, a.LeaseId, a.Sharer, a.State, a.Phase, len(a.Samples))
		if a.Refunded.IsPositive() || a.Slashed.IsPositive() {
			fmt.Fprintf(w, "; %s refunded to the escrow, %s slashed", qc.Format(a.Refunded), qc.Format(a.Slashed))
		}
		fmt.Fprintln(w)
		for i, auditor := range a.Auditors {
			var v usagetypes.AuditVote
			if i < len(a.Votes) {
				v = a.Votes[i]
			}
			fmt.Fprintf(w, "  %s: %s\n", auditor, voteText(v))
		}
	}
}

// voteText is one auditor's part in an audit for people.
func voteText(v usagetypes.AuditVote) string {
	var s string
	switch {
	case v.RevealedHeight > 0:
		s = strings.TrimPrefix(v.Verdict.String(), "VERDICT_")
		if v.Detail != "" {
			s += " (" + v.Detail + ")"
		}
	case v.CommittedHeight > 0:
		s = fmt.Sprintf("committed at height %d, not revealed", v.CommittedHeight)
	default:
		s = "no verdict"
	}
	if v.Missed {
		s += "; counted as a miss"
	}
	if !v.Fee.IsNil() && v.Fee.IsPositive() {
		s += "; paid " + qc.Format(v.Fee)
	}
	return s
}

// printUsageJSON writes q1 service usage -o json: the usage response in
// the chain's proto JSON with "audits" beside "records", as GET
// /v1/services/{name}/usage answers.
func printUsageJSON(cmd *cobra.Command, res *usagetypes.QueryServiceUsageResponse, audits []usagetypes.Audit) error {
	raw, err := chainquery.UsageJSON(res, audits)
	if err != nil {
		return err
	}
	return printIndented(cmd, raw)
}

// printEarnings writes q1 sharer earnings for people.
//
// listed is how many pruned rows were read back from the node's event
// index into res.Sums (-1: not asked, --pruned).
func printEarnings(w io.Writer, by string, res *usagetypes.QuerySharerEarningsResponse, listed int) {
	t := res.Total
	fmt.Fprintf(w, "Sharer %s earned %s: usage %s, rent %s, less the protocol share %s\n",
		res.Sharer, qc.Format(res.Received), qc.Format(t.Usage), qc.Format(t.Rent), qc.Format(t.ProtocolShare))
	defer printEarningsPruned(w, by, res, listed)
	if by == "" || len(res.Sums) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tUSAGE\tRENT\tPROTOCOL SHARE\tRECEIVED\n", strings.ToUpper(by))
	if p := res.Pruned; by == "epoch" && listed < 0 && res.PrunedBelow > 0 && !p.Usage.Add(p.Rent).IsZero() {
		fmt.Fprintf(tw, "<%d (pruned)\t%s\t%s\t%s\t%s\n", res.PrunedBelow, qc.Format(p.Usage), qc.Format(p.Rent), qc.Format(p.ProtocolShare),
			qc.Format(p.Usage.Add(p.Rent).Sub(p.ProtocolShare)))
	}
	for _, s := range res.Sums {
		key := s.Service
		if by == "epoch" {
			key = fmt.Sprint(s.Epoch)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", key, qc.Format(s.Usage), qc.Format(s.Rent), qc.Format(s.ProtocolShare),
			qc.Format(s.Usage.Add(s.Rent).Sub(s.ProtocolShare)))
	}
	tw.Flush()
}

// printEarningsPruned says which epochs' earnings rows the chain no longer
// holds (params.retention_epochs) and where their totals come from, or
// (listed ≥ 0) how many were read back from the event index.
func printEarningsPruned(w io.Writer, by string, res *usagetypes.QuerySharerEarningsResponse, listed int) {
	if res.PrunedBelow == 0 {
		return
	}
	p := res.Pruned
	if p.Usage.IsNil() || p.Usage.Add(p.Rent).IsZero() {
		fmt.Fprintf(w, "Epochs before %d are pruned from the chain's state (params.retention_epochs); this sharer earned nothing in them.\n", res.PrunedBelow)
		return
	}
	if listed >= 0 && by == "epoch" {
		got := sdkmath.ZeroInt()
		for _, s := range res.Sums {
			if s.Epoch < res.PrunedBelow {
				got = got.Add(s.Usage).Add(s.Rent)
			}
		}
		if got.Equal(p.Usage.Add(p.Rent)) {
			fmt.Fprintf(w, "Epochs before %d are pruned from the chain's state (params.retention_epochs): their %d earnings rows, "+
				"summed by epoch above, were read back from this node's event index.\n", res.PrunedBelow, listed)
		} else {
			fmt.Fprintf(w, "Epochs before %d are pruned from the chain's state (params.retention_epochs): this node's event index holds "+
				"%d of their earnings rows, summed by epoch above (usage and rent %s of %s: it lacks the blocks that pruned the rest, "+
				"as a node started from a snapshot does); the total above includes all.\n",
				res.PrunedBelow, listed, qc.Format(got), qc.Format(p.Usage.Add(p.Rent)))
		}
		return
	}
	where := "the total above includes them"
	if by == "service" {
		where = "the total and each service's sum include them"
	}
	fmt.Fprintf(w, "Epochs before %d are pruned from the chain's state (params.retention_epochs): the chain keeps what they earned as running totals, "+
		"usage %s, rent %s, protocol share %s (%s; they are no longer split by epoch).\n",
		res.PrunedBelow, qc.Format(p.Usage), qc.Format(p.Rent), qc.Format(p.ProtocolShare), where)
}

// printEconomics writes a service's escrow line for q1 service status.
func printEconomics(w io.Writer, e *usagetypes.QueryServiceEconomicsResponse) {
	fmt.Fprintf(w, "  escrow %s, owed %s, available %s", qc.Format(e.Balance), decQC(e.Owed), decQC(e.Available))
	switch {
	case e.Depleted:
		fmt.Fprintf(w, "; ran dry at height %d: deposit %s before height %d to resume it (deleted then)\n",
			e.DepletedHeight, qc.Format(e.DepositToResume), e.GraceDeadline)
	case !e.BurnPerHour.IsPositive():
		fmt.Fprintln(w, "; no rent burning")
	default:
		fmt.Fprintf(w, "; burn %s an hour, about %s hours (%d blocks) left", decQC(e.BurnPerHour), e.HoursLeft.RoundInt(), e.BlocksLeft)
		if e.Low {
			fmt.Fprintf(w, "; LOW: under %d blocks of burn", e.LowBalanceBlocks)
		}
		fmt.Fprintln(w)
	}
}

// printPreview writes q1 service deploy --dry-run for people.
func printPreview(w io.Writer, p *sharerstypes.QueryPlacementPreviewResponse) {
	fmt.Fprintf(w, "Service %s would be placed on %d of %d replicas: %s\n", p.Service, len(p.Chosen), p.Wanted, p.Explanation)
	if len(p.Chosen) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  SHARER\tRENT/HOUR\tCPU/HOUR AT FULL USE\tPRICES")
		for _, c := range p.Chosen {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Sharer, decQC(c.RentPerHour), decQC(c.CpuPerHour), formatPrices(c.Prices))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "Cost per hour: %s of rent (memory and storage, from acknowledgement), up to %s more for CPU if every reserved core is busy, plus requests and egress as served\n",
		decQC(p.RentPerHour), decQC(p.MaxCpuPerHour))
}

func cpuMillis(ms uint64) string {
	return fmt.Sprintf("%d.%03ds", ms/1000, ms%1000)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// economicsOut is the economics q1 service status -o json shows.
func economicsOut(e *usagetypes.QueryServiceEconomicsResponse) *q1client.Economics {
	return &q1client.Economics{
		Balance: e.Balance.String(), Owed: e.Owed.String(), Available: e.Available.String(),
		BurnPerHour: e.BurnPerHour.String(), HoursLeft: e.HoursLeft.String(), BlocksLeft: e.BlocksLeft,
		Low: e.Low, Depleted: e.Depleted, GraceDeadline: e.GraceDeadline, DepositToResume: e.DepositToResume.String(),
	}
}
