package chainquery

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cosmos/cosmos-sdk/types/query"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// Bounds on GET /v1/leases.
const (
	defaultLeases = 100
	maxLeases     = 1000
)

// pageSize is how many records one paged chain query asks for.
const pageSize = 200

// Sharers lists every sharer (deregistered ones still holding collateral
// too), in address byte order, at the latest height.
func (c *Chain) Sharers(ctx context.Context) (*q1client.Sharers, error) {
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	qcl := sharerstypes.NewQueryClient(cctx)
	out := &q1client.Sharers{Height: height, Sharers: []q1client.Sharer{}}
	var key []byte
	for {
		res, err := qcl.Sharers(gctx, &sharerstypes.QuerySharersRequest{Pagination: &query.PageRequest{Key: key, Limit: pageSize}})
		if err != nil {
			return nil, fmt.Errorf("query sharers: %w", err)
		}
		for i := range res.Sharers {
			out.Sharers = append(out.Sharers, sharerOut(&res.Sharers[i]))
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}

// Sharer returns one sharer with its open leases and the current epoch,
// all read at the latest height. An address that is not a q1… account is
// client.ErrBadRequest; one that is no sharer, client.ErrNotFound.
func (c *Chain) Sharer(ctx context.Context, address string) (*q1client.SharerStatus, error) {
	addr, err := accountParam("sharer", address)
	if err != nil {
		return nil, err
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	qcl := sharerstypes.NewQueryClient(cctx)
	res, err := qcl.Sharer(gctx, &sharerstypes.QuerySharerRequest{Address: addr})
	if err != nil {
		return nil, notFound(err, addr+" is not a sharer (it never registered, or deregistered and withdrew all its collateral)")
	}
	leases, err := allLeases(gctx, qcl, addr, "")
	if err != nil {
		return nil, err
	}
	epoch, err := epochAt(gctx, qcl, height)
	if err != nil {
		return nil, err
	}
	audits := auditStats(gctx, usagetypes.NewQueryClient(cctx), addr)
	return &q1client.SharerStatus{Sharer: sharerOut(&res.Sharer), Leases: leases, Epoch: *epoch, Audits: audits, Height: height}, nil
}

// Leases returns up to limit leases (0: a default of 100; at most 1000) at
// the latest height: the open leases of sharer and/or service by id when
// either is given, otherwise the most recent lease records, open or
// recently closed, newest first.
func (c *Chain) Leases(ctx context.Context, sharer, service string, limit int) (*q1client.Leases, error) {
	if limit == 0 {
		limit = defaultLeases
	}
	if limit < 1 || limit > maxLeases {
		return nil, fmt.Errorf("%w: limit must be between 1 and %d, got %d", q1client.ErrBadRequest, maxLeases, limit)
	}
	if sharer != "" {
		var err error
		if sharer, err = accountParam("sharer", sharer); err != nil {
			return nil, err
		}
	}
	if service != "" {
		if err := manifest.ValidateName(service); err != nil {
			return nil, fmt.Errorf("%w: service name %q: %v", q1client.ErrBadRequest, service, err)
		}
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	qcl := sharerstypes.NewQueryClient(cctx)
	out := &q1client.Leases{Height: height}
	switch {
	case service != "":
		// A service has few open leases: read them all and keep the sharer's.
		all, err := allLeases(gctx, qcl, "", service)
		if err != nil {
			return nil, err
		}
		out.Leases = []q1client.Lease{}
		for _, l := range all {
			if sharer == "" || l.Sharer == sharer {
				out.Leases = append(out.Leases, l)
			}
		}
		out.Leases = out.Leases[:min(len(out.Leases), limit)]
		return out, nil
	case sharer != "":
		out.Leases, err = someLeases(gctx, qcl, &sharerstypes.QueryLeasesRequest{Sharer: sharer}, limit, false)
	default:
		out.Leases, err = someLeases(gctx, qcl, &sharerstypes.QueryLeasesRequest{}, limit, true)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Placement returns a service's open leases and its last placement
// attempt's explanation, at the latest height. An unknown service is
// client.ErrNotFound.
func (c *Chain) Placement(ctx context.Context, service string) (*q1client.Placement, error) {
	if err := manifest.ValidateName(service); err != nil {
		return nil, fmt.Errorf("%w: service name %q: %v", q1client.ErrBadRequest, service, err)
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	if _, err := servicestypes.NewQueryClient(cctx).Service(gctx, &servicestypes.QueryServiceRequest{Name: service}); err != nil {
		return nil, notFound(err, "no service named "+service)
	}
	res, err := sharerstypes.NewQueryClient(cctx).Placement(gctx, &sharerstypes.QueryPlacementRequest{Service: service})
	if err != nil {
		return nil, fmt.Errorf("query placement of %s: %w", service, err)
	}
	st := res.State
	out := &q1client.Placement{
		Service:      service,
		Wanted:       st.Wanted,
		Placed:       st.Placed,
		Moving:       st.Moving,
		Queued:       res.Queued,
		Explanation:  st.Explanation,
		Reasons:      []q1client.ReasonCount{},
		PlacedHeight: st.Height,
		Preferred:    st.Preferred,
		Excluded:     st.Excluded,
		Leases:       []q1client.Lease{},
		Height:       height,
	}
	for _, r := range st.Reasons {
		out.Reasons = append(out.Reasons, q1client.ReasonCount{Reason: r.Reason, Count: r.Count})
	}
	for i := range res.Leases {
		out.Leases = append(out.Leases, leaseOut(&res.Leases[i]))
	}
	return out, nil
}

// Epoch returns the current liveness epoch at the latest height.
func (c *Chain) Epoch(ctx context.Context) (*q1client.Epoch, error) {
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	return epochAt(gctx, sharerstypes.NewQueryClient(cctx), height)
}

func epochAt(ctx context.Context, qcl sharerstypes.QueryClient, height int64) (*q1client.Epoch, error) {
	res, err := qcl.Epoch(ctx, &sharerstypes.QueryEpochRequest{})
	if err != nil {
		return nil, fmt.Errorf("query epoch: %w", err)
	}
	return &q1client.Epoch{
		Number:         res.Current.Number,
		StartHeight:    res.Current.StartHeight,
		StartTime:      res.Current.StartTime.UTC(),
		BlocksPerEpoch: res.EpochBlocks,
		Height:         height,
	}, nil
}

// allLeases reads every page of the open leases of a sharer or a service.
func allLeases(ctx context.Context, qcl sharerstypes.QueryClient, sharer, service string) ([]q1client.Lease, error) {
	out := []q1client.Lease{}
	var key []byte
	for {
		res, err := qcl.Leases(ctx, &sharerstypes.QueryLeasesRequest{
			Sharer: sharer, Service: service, Pagination: &query.PageRequest{Key: key, Limit: pageSize},
		})
		if err != nil {
			return nil, fmt.Errorf("query leases: %w", err)
		}
		for i := range res.Leases {
			out = append(out, leaseOut(&res.Leases[i]))
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}

// someLeases reads the first limit leases of a query, newest first when
// reverse is set.
func someLeases(ctx context.Context, qcl sharerstypes.QueryClient, req *sharerstypes.QueryLeasesRequest, limit int, reverse bool) ([]q1client.Lease, error) {
	req.Pagination = &query.PageRequest{Limit: uint64(limit), Reverse: reverse}
	res, err := qcl.Leases(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("query leases: %w", err)
	}
	out := make([]q1client.Lease, 0, len(res.Leases))
	for i := range res.Leases {
		out = append(out, leaseOut(&res.Leases[i]))
	}
	return out, nil
}

// accountParam checks an account address given to a query
// (address.ValidateAccount); what names it in the message ("sharer").
func accountParam(what, s string) (string, error) {
	if err := address.ValidateAccount(s); err != nil {
		return "", fmt.Errorf("%w: %s %v", q1client.ErrBadRequest, what, err)
	}
	return s, nil
}

func sharerOut(s *sharerstypes.Sharer) q1client.Sharer {
	out := q1client.Sharer{
		Address:  s.Address,
		Endpoint: s.Endpoint,
		Status:   s.Status.Label(),
		Draining: s.Draining,
		Capacity: q1client.Capacity{
			MilliCPU:           s.Capacity.MilliCpu,
			MemoryBytes:        s.Capacity.MemoryBytes,
			StorageBytes:       s.Capacity.StorageBytes,
			EgressBytesPerHour: s.Capacity.EgressBytesPerHour,
		},
		Used:              resourcesOut(s.Used),
		Free:              resourcesOut(s.Free()),
		Attributes:        []q1client.SharerAttribute{},
		Prices:            pricesOut(s.Prices),
		Deny:              q1client.DenyList{Services: nonNil(s.Deny.Services), Owners: nonNil(s.Deny.Owners)},
		Collateral:        s.Collateral.String(),
		CollateralQC:      qc.Format(s.Collateral),
		HotKey:            s.HotKey,
		LeaseCount:        s.Leases,
		LastReportedEpoch: s.LastReportedEpoch,
		RegisteredHeight:  s.RegisteredHeight,
		UpdatedHeight:     s.UpdatedHeight,
		OfflineHeight:     s.OfflineHeight,
	}
	if !s.Used.Within(s.Capacity) {
		// Cannot happen (the chain refuses shrinking below use); never
		// show a wrapped-around number.
		out.Free = q1client.Resources{}
	}
	for _, a := range s.Attributes {
		out.Attributes = append(out.Attributes, q1client.SharerAttribute{Key: a.Key, Value: a.Value})
	}
	return out
}

func leaseOut(l *sharerstypes.Lease) q1client.Lease {
	out := q1client.Lease{
		ID:            l.Id,
		Service:       l.Service,
		Replica:       l.Replica,
		Sharer:        l.Sharer,
		Status:        "open",
		Prices:        pricesOut(l.Prices),
		Resources:     resourcesOut(l.Resources),
		MinCollateral: l.MinCollateral.String(),
		PlacedHeight:  l.PlacedHeight,
		PlacedTime:    l.PlacedTime.UTC(),
		AckDeadline:   l.AckDeadline,
		Acked:         l.AckedHeight > 0,
		AckedHeight:   l.AckedHeight,
	}
	if l.MinCollateral.IsNil() {
		out.MinCollateral = "0"
	}
	if l.AckedHeight > 0 {
		t := l.AckedTime.UTC()
		out.AckedTime = &t
	}
	if l.ClosedHeight > 0 {
		t := l.ClosedTime.UTC()
		out.Status = "closed"
		out.ClosedHeight = l.ClosedHeight
		out.ClosedTime = &t
		out.CloseReason = l.CloseReason.Label()
		out.CloseDetail = l.CloseDetail
	}
	return out
}

func resourcesOut(r sharerstypes.Resources) q1client.Resources {
	return q1client.Resources{MilliCPU: r.MilliCpu, MemoryBytes: r.MemoryBytes, StorageBytes: r.StorageBytes}
}

func pricesOut(p sharerstypes.Prices) q1client.Prices {
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	return q1client.Prices{
		CPUPerCoreSecond:  u(p.CpuPerCoreSecond),
		MemoryPerMiBHour:  u(p.MemoryPerMibHour),
		StoragePerGiBHour: u(p.StoragePerGibHour),
		Per1kRequests:     u(p.Per_1KRequests),
		EgressPerGiB:      u(p.EgressPerGib),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
