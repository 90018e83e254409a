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

// placementOut is q1 service placement -o json: the chain's placement and
// the sharers passed over for price, by price.
type placementOut struct {
	*q1client.Placement
	AbovePriceCaps []PriceGroup `json:"above_price_caps"`
}

func servicePlacementCmd() *cobra.Command {
	cmd := queryCmd("placement NAME", "Show where a service's replicas run and why sharers were passed over", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			chain := chainReader(c)
			p, err := chain.Placement(cmd.Context(), args[0])
			if err != nil {
				return queryError(err)
			}
			groups, err := placementPriceGroups(cmd, c, args[0], p)
			if err != nil {
				return err
			}
			if outputJSON(c) {
				return printJSON(cmd, placementOut{p, groups})
			}
			printPlacement(cmd.OutOrStdout(), p)
			if len(groups) > 0 {
				w := cmd.OutOrStdout()
				fmt.Fprintln(w, "  passed over for price now:")
				printPriceGroups(w, groups, "    ")
			}
			return nil
		})
	cmd.Long = `Show a service's placement: its leases (sharer, acknowledgement, the prices each
locked) and the chain's explanation of its last placement attempt, counting the
sharers passed over by reason, e.g. "9 sharers: 4 lacked memory, 3 above max price,
2 offline". Sharers passed over for price are grouped by which price is above which
of the manifest's caps and by how much, as they stand now, e.g. "3 sharers ask
memory 4–6uqc/MiB-h, above pricing.memoryPerMiBHour 2uqc (2–4uqc more)".`
	cmd.Example = "  q1 service placement hello\n  q1 service placement hello -o json"
	return cmd
}

// placementPriceGroups reads the service's manifest in force and every
// sharer at one height, and groups the sharers placement would pass over
// for price now (the service's current sharers aside).
func placementPriceGroups(cmd *cobra.Command, c client.Context, name string, p *q1client.Placement) ([]PriceGroup, error) {
	ctx := cmd.Context()
	height, err := chainquery.LatestHeight(ctx, c)
	if err != nil {
		return nil, nodeError(c, err)
	}
	cctx, gctx := chainquery.At(ctx, c, height)
	res, err := servicestypes.NewQueryClient(cctx).Service(gctx, &servicestypes.QueryServiceRequest{Name: name})
	if err != nil {
		return nil, queryError(err)
	}
	m, err := manifest.ParseCanonical(res.Current.Manifest)
	if err != nil {
		return nil, err
	}
	sharers, err := allSharers(gctx, cctx)
	if err != nil {
		return nil, err
	}
	var current []string
	for _, l := range p.Leases {
		current = append(current, l.Sharer)
	}
	spec := servicestypes.SpecFromManifest(m)
	return priceGroups(name, &spec, sharers, current), nil
}
