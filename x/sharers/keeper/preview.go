package keeper

import (
	"context"

	"cosmossdk.io/math"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/sched"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	"github.com/quantum1net/q1/x/sharers/types"
)

// PlacementPreview implements types.QueryServer. It runs the placement the
// EndBlocker would run for a new service under the manifest, over the
// capacity index as it is now, and writes nothing: the answer of `q1
// service deploy --dry-run`. The cost is the chosen sharers' reservation
// rent (types.RentPerHour) plus, as an upper bound, their CPU prices with
// every reserved core busy.
func (q queryServer) PlacementPreview(ctx context.Context, req *types.QueryPlacementPreviewRequest) (*types.QueryPlacementPreviewResponse, error) {
	if req == nil || len(req.Manifest) == 0 {
		return nil, status.Error(codes.InvalidArgument, "give the manifest to preview: its canonical encoding or its YAML")
	}
	m, err := manifest.ParseCanonical(req.Manifest)
	if err != nil {
		// Not canonical: a manifest as people write it, before the CLI
		// fills in code.wasm and the owners.
		if m, err = manifest.Parse(req.Manifest, manifest.ParseOptions{AllowMissingWasm: true, AllowMissingOwners: true}); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "manifest: %v", err)
		}
	}
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	// The draft is the client's input, not stored state: it is parsed here
	// and placed through the same spec the EndBlocker reads.
	spec := servicestypes.SpecFromManifest(m)
	req2 := requestFor(m.Name, &spec, p.MinCollateral)
	pl, err := q.k.candidates(ctx, &req2, p.BandPermille, nil)
	if err != nil {
		return nil, err
	}
	params := sched.Params{BandPermille: p.BandPermille}
	res, err := sched.Place(req2, pl.sharers, params)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "place service %s: %v", m.Name, err)
	}
	if pl.resume != nil && !withinBand(res) {
		if err := q.k.readRest(ctx, &pl, nil); err != nil {
			return nil, err
		}
		if res, err = sched.Place(req2, pl.sharers, params); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "place service %s: %v", m.Name, err)
		}
	}
	ex := explain(res, pl)
	out := &types.QueryPlacementPreviewResponse{
		Service: m.Name, Wanted: uint32(req2.Replicas), Explanation: ex.text, Reasons: ex.reasons,
		RentPerHour: math.LegacyZeroDec(), MaxCpuPerHour: math.LegacyZeroDec(),
	}
	res2 := reservation(&req2)
	for _, c := range res.Chosen {
		prices := pricesOf(c.Prices)
		ch := types.PreviewChoice{
			Sharer: c.Sharer, Prices: prices, InBand: c.InBand || c.Preferred,
			RentPerHour: types.RentPerHour(res2, prices), CpuPerHour: types.CPUPerHourAtFullUse(res2, prices),
		}
		out.RentPerHour = out.RentPerHour.Add(ch.RentPerHour)
		out.MaxCpuPerHour = out.MaxCpuPerHour.Add(ch.CpuPerHour)
		out.Chosen = append(out.Chosen, ch)
	}
	return out, nil
}
