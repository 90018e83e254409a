package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/client/chainquery"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
	"github.com/quantum1net/q1/core/sched"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// priceCaps pairs each sharer price (priceFields, the --price keys) with the
// manifest's cap on it.
var priceCaps = map[string]struct {
	path string
	cap  func(*servicestypes.SpecPricing) uint64
}{
	"cpu":      {"pricing.cpuPerCoreSecond", func(p *servicestypes.SpecPricing) uint64 { return p.CpuPerCoreSecondUqc }},
	"memory":   {"pricing.memoryPerMiBHour", func(p *servicestypes.SpecPricing) uint64 { return p.MemoryPerMibHourUqc }},
	"storage":  {"pricing.storagePerGiBHour", func(p *servicestypes.SpecPricing) uint64 { return p.StoragePerGibHourUqc }},
	"requests": {"pricing.per1kRequests", func(p *servicestypes.SpecPricing) uint64 { return p.Per_1KRequestsUqc }},
	"egress":   {"pricing.egressPerGiB", func(p *servicestypes.SpecPricing) uint64 { return p.EgressPerGibUqc }},
}

// schedRequest is the placement request of a service under spec, as
// x/sharers builds it (keeper.requestFor), with the sharers already holding
// a replica as current.
func schedRequest(name string, spec *servicestypes.ServiceSpec, current []string) sched.Request {
	req := sched.Request{
		Service: name,
		Owners:  spec.Permissions.Owners.Accounts,
		Resources: sched.Resources{
			MilliCPU:     spec.Resources.MilliCpu,
			MemoryBytes:  spec.Resources.MemoryBytes,
			StorageBytes: spec.Resources.StorageBytes,
		},
		Replicas:      int(spec.Placement.Replicas),
		Spread:        spec.Placement.Spread,
		MinCollateral: sdkmath.NewIntFromUint64(spec.Placement.MinCollateralUqc),
		MaxPrices:     schedPricesOf(pricesOfSpec(&spec.Pricing)),
	}
	for _, a := range spec.Placement.RequireAttributes {
		req.RequireAttributes = append(req.RequireAttributes, sched.Attribute{Key: a.Key, Value: a.Value})
	}
	for _, s := range current {
		req.Current = append(req.Current, sched.Replica{Sharer: s})
	}
	return req
}

func pricesOfSpec(p *servicestypes.SpecPricing) sharerstypes.Prices {
	return sharerstypes.Prices{
		CpuPerCoreSecond: p.CpuPerCoreSecondUqc, MemoryPerMibHour: p.MemoryPerMibHourUqc,
		StoragePerGibHour: p.StoragePerGibHourUqc, Per_1KRequests: p.Per_1KRequestsUqc, EgressPerGib: p.EgressPerGibUqc,
	}
}

func schedPricesOf(p sharerstypes.Prices) sched.Prices {
	return sched.Prices{
		CPUPerCoreSecond: p.CpuPerCoreSecond, MemoryPerMiBHour: p.MemoryPerMibHour,
		StoragePerGiBHour: p.StoragePerGibHour, Per1kRequests: p.Per_1KRequests, EgressPerGiB: p.EgressPerGib,
	}
}

// schedSharerOf is a placeable sharer as placement sees it (x/sharers
// keeper.schedSharer over its capacity index entry).
func schedSharerOf(s *sharerstypes.Sharer) sched.Sharer {
	free := s.Free()
	out := sched.Sharer{
		Address:    s.Address,
		Online:     true,
		Free:       sched.Resources{MilliCPU: free.MilliCpu, MemoryBytes: free.MemoryBytes, StorageBytes: free.StorageBytes},
		Collateral: s.Collateral,
		Prices:     schedPricesOf(s.Prices),
		Deny:       sched.DenyList{Services: s.Deny.Services, Owners: s.Deny.Owners},
	}
	for _, a := range s.Attributes {
		out.Attributes = append(out.Attributes, sched.Attribute{Key: a.Key, Value: a.Value})
	}
	return out
}

// PriceGroup is what the sharers placement passes over for price ask above
// one of the manifest's caps.
type PriceGroup struct {
	// Price is the --price key (cpu, memory, storage, requests, egress) and
	// Unit its unit (MiB-h, …); Field the manifest's cap on it.
	Price string `json:"price"`
	Unit  string `json:"unit"`
	Field string `json:"field"`
	// Cap is the manifest's cap; Min and Max the lowest and highest price
	// the Sharers ask, in uqc per unit.
	Cap     uint64   `json:"cap_uqc"`
	Min     uint64   `json:"min_uqc"`
	Max     uint64   `json:"max_uqc"`
	Sharers []string `json:"sharers"`
	// Fix is the change to the manifest that lets them qualify on this
	// price: "raise pricing.memoryPerMiBHour to at least 500uqc".
	Fix string `json:"fix"`
}

// String reads "3 sharers ask memory 4–6uqc/MiB-h, above
// pricing.memoryPerMiBHour 2uqc (2–4uqc more)".
func (g PriceGroup) String() string {
	n := len(g.Sharers)
	who := "sharers ask"
	if n == 1 {
		who = "sharer asks"
	}
	return fmt.Sprintf("%d %s %s %suqc/%s, above %s %duqc (%suqc more)",
		n, who, g.Price, span(g.Min, g.Max), g.Unit, g.Field, g.Cap, span(g.Min-g.Cap, g.Max-g.Cap))
}

func span(lo, hi uint64) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// priceGroups says, per price, which of the sharers placement would pass
// over for price (sched.ReasonPrice: they qualify in every other respect)
// ask more than the manifest's cap, and how much. A sharer above two caps
// is in both groups. current are the sharers holding a replica already.
func priceGroups(name string, spec *servicestypes.ServiceSpec, sharers []sharerstypes.Sharer, current []string) []PriceGroup {
	req := schedRequest(name, spec, current)
	groups := make([]PriceGroup, len(priceFields))
	for i, f := range priceFields {
		groups[i] = PriceGroup{Price: f.key, Unit: f.unit, Field: priceCaps[f.key].path, Cap: priceCaps[f.key].cap(&spec.Pricing)}
	}
	for i := range sharers {
		s := &sharers[i]
		if !s.Placeable() {
			continue // counted as offline or draining, never as above a price
		}
		if r, err := sched.Check(req, schedSharerOf(s)); err != nil || r != sched.ReasonPrice {
			continue
		}
		for j, f := range priceFields {
			g := &groups[j]
			asks := *f.field(&s.Prices)
			if asks <= g.Cap {
				continue
			}
			if len(g.Sharers) == 0 || asks < g.Min {
				g.Min = asks
			}
			g.Max = max(g.Max, asks)
			g.Sharers = append(g.Sharers, s.Address)
		}
	}
	out := groups[:0]
	for _, g := range groups {
		if len(g.Sharers) == 0 {
			continue
		}
		g.Fix = fmt.Sprintf("raise %s to at least %duqc", g.Field, g.Min)
		if g.Max > g.Min {
			g.Fix += fmt.Sprintf(" (%duqc admits all %d)", g.Max, len(g.Sharers))
		}
		out = append(out, g)
	}
	return out
}

// allSharers reads every sharer record at the height cctx and gctx pin.
func allSharers(gctx context.Context, cctx client.Context) ([]sharerstypes.Sharer, error) {
	qcl := sharerstypes.NewQueryClient(cctx)
	var out []sharerstypes.Sharer
	var key []byte
	for {
		res, err := qcl.Sharers(gctx, &sharerstypes.QuerySharersRequest{Pagination: &query.PageRequest{Key: key, Limit: 200}})
		if err != nil {
			return nil, fmt.Errorf("query sharers: %w", err)
		}
		out = append(out, res.Sharers...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}

// deployCheck is what a deploy would meet on chain now, found before
// anything is uploaded or sent.
type deployCheck struct {
	height  int64
	preview *sharerstypes.QueryPlacementPreviewResponse
	// prices explain the sharers passed over for price, excluded those
	// passed over for the other fields of the manifest.
	prices   []PriceGroup
	excluded []Exclusion
	// unplaced says how many replicas could not be placed now; "" when
	// every one can.
	unplaced string
	// problems are what the chain would refuse: the name, the deposit, the
	// signer's funds or standing.
	problems []string
	// balance is the signer's spendable balance and fee the simulated fee
	// (nil when not known).
	balance, fee sdkmath.Int
	// endpoints are the sharers' gateways, by address.
	endpoints map[string]string
}

// deployInput is what checkDeploy checks.
type deployInput struct {
	m *manifest.Manifest
	// raw is the manifest as written, previewed when m has no owners yet
	// (a dry run without a key).
	raw []byte
	// deposit is --deposit (nil when not given: a dry run may leave it out).
	deposit sdkmath.Int
	// signer is set when a key signs (c.FromAddress, c.FromName).
	signer bool
	// sim is the create msg to simulate for the fee once nothing else is
	// wrong (nil: no fee estimate).
	sim *servicestypes.MsgCreateService
}

// checkDeploy asks the chain, at one height, whether the deploy of in.m
// would go ahead: the name is free (names are never reused, a deleted or
// paused service's included), the deposit at least the chain's minimum, the
// signer an owner with the deposit and the fee, and every replica placeable
// now (with the sharers passed over for price explained).
func checkDeploy(cmd *cobra.Command, c client.Context, in deployInput) (*deployCheck, error) {
	ctx := cmd.Context()
	height, err := chainquery.LatestHeight(ctx, c)
	if err != nil {
		return nil, nodeError(c, err)
	}
	cctx, gctx := chainquery.At(ctx, c, height)
	m := in.m
	out := &deployCheck{height: height}
	problem := func(format string, args ...any) { out.problems = append(out.problems, fmt.Sprintf(format, args...)) }

	// The name, as x/services' create handler decides it.
	svcq := servicestypes.NewQueryClient(cctx)
	switch res, err := svcq.Service(gctx, &servicestypes.QueryServiceRequest{Name: m.Name}); {
	case err == nil && res.Service.Status == servicestypes.StatusDeleted:
		problem("name %s is taken: service %s was deleted at height %d, and names are never reused; choose another name",
			m.Name, m.Name, res.Service.DeletedHeight)
	case err == nil:
		problem("name %s is taken by an existing service (%s, created at height %d by %s); names are never reused: choose another name",
			m.Name, statusWord(res.Service.Status), res.Service.CreatedHeight, res.Service.Creator)
	case status.Code(err) != codes.NotFound:
		return nil, fmt.Errorf("look up service %s: %s", m.Name, humanize(err))
	}
	params, err := svcq.Params(gctx, &servicestypes.QueryParamsRequest{})
	if err != nil {
		return nil, fmt.Errorf("read the services module's parameters: %s", humanize(err))
	}
	if !in.deposit.IsNil() && in.deposit.LT(params.Params.MinDeposit) {
		problem("deposit %s is below the chain's minimum of %s (params.min_deposit)", qc.Format(in.deposit), qc.Format(params.Params.MinDeposit))
	}
	if in.signer {
		if len(m.Permissions.Owners.Accounts) > 0 && !m.IsOwner(c.FromAddress.String()) {
			problem("%s (%s) is not among permissions.owners.accounts: only an owner may create the service", c.FromName, c.FromAddress)
		}
		if out.balance, err = spendable(gctx, cctx, c.FromAddress); err != nil {
			return nil, err
		}
		if !in.deposit.IsNil() && out.balance.LT(in.deposit) {
			problem("insufficient funds: %s (%s) has %s, and the deposit alone is %s (a fee comes on top)",
				c.FromName, c.FromAddress, qc.Format(out.balance), qc.Format(in.deposit))
		}
	}

	// Placement, at the same height.
	previewed := in.raw
	if len(m.Permissions.Owners.Accounts) > 0 {
		previewed = m.Canonical() // owners filled in: deny lists naming them count
	}
	out.preview, err = sharerstypes.NewQueryClient(cctx).PlacementPreview(gctx, &sharerstypes.QueryPlacementPreviewRequest{Manifest: previewed})
	if err != nil {
		return nil, fmt.Errorf("preview placement: %s", humanize(err))
	}
	sharers, err := allSharers(gctx, cctx)
	if err != nil {
		return nil, err
	}
	out.endpoints = make(map[string]string, len(sharers))
	for i := range sharers {
		out.endpoints[sharers[i].Address] = sharers[i].Endpoint
	}
	spec := servicestypes.SpecFromManifest(m)
	out.prices = priceGroups(m.Name, &spec, sharers, nil)
	out.excluded = exclusionGroups(m.Name, &spec, sharers, nil)
	if placed := len(out.preview.Chosen); placed < int(out.preview.Wanted) {
		out.unplaced = fmt.Sprintf("only %d of %d replica(s) of %s can be placed now: %s", placed, out.preview.Wanted, m.Name, out.preview.Explanation)
	}

	// The fee, once nothing else stands in the way: simulation stops at the
	// first refusal, and each one above is reported in its own words.
	if in.sim != nil && in.signer && len(out.problems) == 0 {
		fee, err := estimateFee(cmd, c, in.sim)
		var r *refusal
		switch {
		case errors.As(err, &r):
			problem("the chain would refuse it: %s", humanize(err))
		case err != nil:
			return nil, err
		default:
			out.fee = fee
			if need := in.deposit.Add(fee); out.balance.LT(need) {
				problem("insufficient funds: %s (%s) has %s, and needs %s (the deposit of %s plus a fee of about %s)",
					c.FromName, c.FromAddress, qc.Format(out.balance), qc.Format(need), qc.Format(in.deposit), qc.Format(fee))
			}
		}
	}
	return out, nil
}

func statusWord(s servicestypes.ServiceStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "SERVICE_STATUS_"))
}

// printUnplaced writes why not every replica can be placed: the chain's
// explanation after lead, and below it, indented, the groups of sharers
// passed over by manifest field, each with its fix.
func printUnplaced(w io.Writer, d *deployCheck, lead, indent string) {
	fmt.Fprintf(w, "%s%s\n", lead, d.unplaced)
	printPriceGroups(w, d.prices, indent)
	printExclusions(w, d.excluded, indent)
}

// printPriceGroups writes each group and its fix, indented.
func printPriceGroups(w io.Writer, groups []PriceGroup, indent string) {
	for _, g := range groups {
		fmt.Fprintf(w, "%s%s\n%s  fix: %s\n", indent, g, indent, g.Fix)
	}
}
