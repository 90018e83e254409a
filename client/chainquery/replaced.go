package chainquery

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	q1client "github.com/quantum1net/q1/client"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// replacedProposal finds the service's proposal before pending and returns
// it when it was cancelled: the proposal pending replaced (an owner who read
// a 1 QC withdrawal must see that the one pending now, for 99 QC, took its
// place). The chain keeps no link between them and no list of a service's
// proposals, so the previous one is found in the node's tx index (the
// EventProposalSubmitted events naming the service) and read at height;
// nil when there was none, it was not cancelled, or the node keeps no
// index.
func (c *Chain) replacedProposal(ctx context.Context, height int64, pending *q1client.Proposal) *q1client.ReplacedProposal {
	if pending == nil || c.ctx.Client == nil {
		return nil
	}
	quoted, _ := json.Marshal(pending.Service) // attribute values are JSON
	q := fmt.Sprintf("q1.services.v1.EventProposalSubmitted.service CONTAINS '%s'", quoted)
	page, perPage := 1, 20
	res, err := c.ctx.Client.TxSearch(ctx, q, false, &page, &perPage, "desc")
	if err != nil {
		return nil
	}
	var prev uint64
	for _, tx := range res.Txs {
		for _, ev := range tx.TxResult.Events {
			if ev.Type != "q1.services.v1.EventProposalSubmitted" {
				continue
			}
			var service string
			var id uint64
			for _, a := range ev.Attributes {
				switch a.Key {
				case "service":
					_ = json.Unmarshal([]byte(a.Value), &service)
				case "proposal_id":
					id, _ = strconv.ParseUint(strings.Trim(a.Value, `"`), 10, 64)
				}
			}
			if service == pending.Service && id < pending.ID && id > prev {
				prev = id
			}
		}
	}
	if prev == 0 {
		return nil
	}
	cctx, gctx := c.at(ctx, height)
	pr, err := servicestypes.NewQueryClient(cctx).Proposal(gctx, &servicestypes.QueryProposalRequest{Id: prev})
	if err != nil || pr.Proposal.Status != servicestypes.ProposalCancelled {
		return nil
	}
	p := pr.Proposal
	out := &q1client.ReplacedProposal{
		ID: p.Id, Kind: enumName(p.Kind.String(), "PROPOSAL_KIND_"), Hash: p.Hash, To: p.To,
		ProposedHeight: p.ProposedHeight, CancelledBy: p.CancelledBy, CancelledHeight: p.ClosedHeight,
	}
	if !p.Amount.IsNil() && !p.Amount.IsZero() {
		out.Amount = p.Amount.String()
	}
	return out
}
