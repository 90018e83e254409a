package main

import (
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/chainquery"
	"github.com/quantum1net/q1/core/manifest"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// placementOut is q1 service placement -o json: the chain's placement, the
// sharers passed over for price, by price, and those passed over for the
// manifest's other fields, by field; each group with its fix.
type placementOut struct {
	*q1client.Placement
	AbovePriceCaps []PriceGroup `json:"above_price_caps"`
	PassedOver     []Exclusion  `json:"passed_over"`
}

func servicePlacementCmd() *cobra.Command {
	cmd := queryCmd("placement NAME", "Show where a service's replicas run and why sharers were passed over", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			chain := chainReader(c)
			p, err := chain.Placement(cmd.Context(), args[0])
			if err != nil {
				return queryError(err)
			}
			groups, excluded, err := placementGroups(cmd, c, args[0], p)
			if err != nil {
				return err
			}
			if outputJSON(c) {
				return printJSON(cmd, placementOut{p, groups, excluded})
			}
			printPlacement(cmd.OutOrStdout(), p)
			if len(groups)+len(excluded) > 0 {
				w := cmd.OutOrStdout()
				fmt.Fprintln(w, "  passed over now, by manifest field:")
				printPriceGroups(w, groups, "    ")
				printExclusions(w, excluded, "    ")
			}
			return nil
		})
	cmd.Long = `Show a service's placement: its leases (sharer, acknowledgement, the prices each
locked) and the chain's explanation of its last placement attempt, counting the
sharers passed over by reason, e.g. "9 sharers: 4 lacked memory, 3 above max price,
2 offline". The sharers passed over now are grouped by the manifest field that
keeps them out, each group with what they offer and the fix, e.g.
    3 sharers ask memory 4–6uqc/MiB-h, above pricing.memoryPerMiBHour 2uqc (2–4uqc more)
      fix: raise pricing.memoryPerMiBHour to at least 4uqc (6uqc admits all 3)
    4 sharers: placement.requireAttributes wants region=eu; they have region=local (4)
      fix: set placement.requireAttributes region: local (what most of them offer), or remove region
Fields grouped: pricing.*, placement.requireAttributes, placement.spread,
placement.minCollateral, resources.cpu/memory/storage, and placement.replicas when
fewer sharers qualify than replicas are wanted. -o json has them as
above_price_caps and excluded, each with its fix.`
	cmd.Example = "  q1 service placement hello\n  q1 service placement hello -o json"
	return cmd
}

// placementGroups reads the service's manifest in force and every sharer
// at one height, and groups the sharers placement would pass over now (the
// service's current sharers aside): for price, and for the other fields.
func placementGroups(cmd *cobra.Command, c client.Context, name string, p *q1client.Placement) ([]PriceGroup, []Exclusion, error) {
	ctx := cmd.Context()
	height, err := chainquery.LatestHeight(ctx, c)
	if err != nil {
		return nil, nil, nodeError(c, err)
	}
	cctx, gctx := chainquery.At(ctx, c, height)
	res, err := servicestypes.NewQueryClient(cctx).Service(gctx, &servicestypes.QueryServiceRequest{Name: name})
	if err != nil {
		return nil, nil, queryError(err)
	}
	m, err := manifest.ParseCanonical(res.Current.Manifest)
	if err != nil {
		return nil, nil, err
	}
	sharers, err := allSharers(gctx, cctx)
	if err != nil {
		return nil, nil, err
	}
	var current []string
	for _, l := range p.Leases {
		current = append(current, l.Sharer)
	}
	spec := servicestypes.SpecFromManifest(m)
	return priceGroups(name, &spec, sharers, current), exclusionGroups(name, &spec, sharers, current), nil
}
