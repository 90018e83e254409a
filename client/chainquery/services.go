package chainquery

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// enumName turns SERVICE_STATUS_ACTIVE into "active".
func enumName(s, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(s, prefix))
}

// notFound maps a module's NotFound answer (its registered error's gRPC
// code) to client.ErrNotFound with a sentence for people.
func notFound(err error, what string) error {
	if status.Code(err) == codes.NotFound {
		return fmt.Errorf("%w: %s", q1client.ErrNotFound, what)
	}
	return err
}

// Service returns a service with its current manifest, pending proposal and
// escrow, at the latest height.
func (c *Chain) Service(ctx context.Context, name string) (*q1client.Service, error) {
	if err := manifest.ValidateName(name); err != nil {
		return nil, fmt.Errorf("%w: service name %q: %v", q1client.ErrBadRequest, name, err)
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	res, err := servicestypes.NewQueryClient(cctx).Service(gctx, &servicestypes.QueryServiceRequest{Name: name})
	if err != nil {
		return nil, notFound(err, "no service named "+name)
	}
	s := res.Service
	out := &q1client.Service{
		Name:          s.Name,
		Status:        enumName(s.Status.String(), "SERVICE_STATUS_"),
		Version:       res.Current.Number,
		Hash:          res.Current.Hash,
		Creator:       s.Creator,
		CreatedHeight: s.CreatedHeight,
		DeletedHeight: s.DeletedHeight,
		Escrow:        res.Escrow.Balance.String(),
		EscrowQC:      qc.Format(res.Escrow.Balance),
		Manifest:      json.RawMessage(res.Current.Manifest),
		Height:        height,
	}
	if s.Pause != nil && s.Status == servicestypes.StatusPaused {
		out.Pause = &q1client.Pause{
			Reason: enumName(s.Pause.Reason.String(), "PAUSE_REASON_"),
			By:     s.Pause.By,
			Height: s.Pause.Height,
		}
	}
	if res.Pending != nil {
		out.Pending = proposalOut(res.Pending)
		out.PendingReplaces = c.replacedProposal(ctx, height, out.Pending)
	}
	return out, nil
}

func proposalOut(p *servicestypes.Proposal) *q1client.Proposal {
	out := &q1client.Proposal{
		ID:               p.Id,
		Service:          p.Service,
		Kind:             enumName(p.Kind.String(), "PROPOSAL_KIND_"),
		Hash:             p.Hash,
		Proposer:         p.Proposer,
		ProposedHeight:   p.ProposedHeight,
		Threshold:        p.Threshold,
		Approvals:        append([]string{}, p.Approvals...),
		Status:           enumName(p.Status.String(), "PROPOSAL_STATUS_"),
		ApprovedHeight:   p.ApprovedHeight,
		ActivationHeight: p.ActivationHeight,
		To:               p.To,
		Failure:          p.Failure,
	}
	if len(p.Manifest) > 0 {
		out.Manifest = json.RawMessage(p.Manifest)
	}
	if !p.Amount.IsNil() && !p.Amount.IsZero() {
		out.Amount = p.Amount.String()
	}
	return out
}

// Proposal returns a proposal by id.
func (c *Chain) Proposal(ctx context.Context, id uint64) (*q1client.Proposal, error) {
	res, err := servicestypes.NewQueryClient(c.ctx).Proposal(ctx, &servicestypes.QueryProposalRequest{Id: id})
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("no proposal %d", id))
	}
	return proposalOut(&res.Proposal), nil
}

// Services lists every service (deleted ones too), by name, with its
// current replica count and escrow.
func (c *Chain) Services(ctx context.Context) (*q1client.Services, error) {
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	qcl := servicestypes.NewQueryClient(cctx)
	out := &q1client.Services{Height: height, Services: []q1client.ServiceSummary{}}
	var key []byte
	for {
		res, err := qcl.Services(gctx, &servicestypes.QueryServicesRequest{Pagination: &query.PageRequest{Key: key, Limit: 200}})
		if err != nil {
			return nil, fmt.Errorf("query services: %w", err)
		}
		for _, s := range res.Services {
			one, err := qcl.Service(gctx, &servicestypes.QueryServiceRequest{Name: s.Name})
			if err != nil {
				return nil, fmt.Errorf("query service %s: %w", s.Name, err)
			}
			sum := q1client.ServiceSummary{
				Name:            s.Name,
				Status:          enumName(s.Status.String(), "SERVICE_STATUS_"),
				Version:         one.Current.Number,
				Hash:            one.Current.Hash,
				Escrow:          one.Escrow.Balance.String(),
				PendingProposal: s.PendingProposalId,
			}
			if m, err := manifest.ParseCanonical(one.Current.Manifest); err == nil {
				sum.Replicas = m.Placement.Replicas
			}
			out.Services = append(out.Services, sum)
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}

// History returns every version of a service, oldest first.
func (c *Chain) History(ctx context.Context, name string) (*q1client.History, error) {
	if err := manifest.ValidateName(name); err != nil {
		return nil, fmt.Errorf("%w: service name %q: %v", q1client.ErrBadRequest, name, err)
	}
	out := &q1client.History{Service: name, Versions: []q1client.Version{}}
	qcl := servicestypes.NewQueryClient(c.ctx)
	var key []byte
	for {
		res, err := qcl.History(ctx, &servicestypes.QueryHistoryRequest{Name: name, Pagination: &query.PageRequest{Key: key, Limit: 200}})
		if err != nil {
			return nil, notFound(err, "no service named "+name)
		}
		for _, v := range res.Versions {
			out.Versions = append(out.Versions, q1client.Version{
				Version:         v.Number,
				Hash:            v.Hash,
				Origin:          enumName(v.Origin.String(), "VERSION_ORIGIN_"),
				Proposer:        v.Proposer,
				Approvers:       append([]string{}, v.Approvers...),
				ProposalID:      v.ProposalId,
				ProposedHeight:  v.ProposedHeight,
				ActivatedHeight: v.ActivatedHeight,
				Manifest:        json.RawMessage(v.Manifest),
			})
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}

// ReferencedWasm returns every wasm hash that a service not deleted runs,
// or that its pending proposal would run: the blobs nodes must keep.
func (c *Chain) ReferencedWasm(ctx context.Context) (map[string]bool, error) {
	qcl := servicestypes.NewQueryClient(c.ctx)
	refs := map[string]bool{}
	var key []byte
	for {
		res, err := qcl.Services(ctx, &servicestypes.QueryServicesRequest{Pagination: &query.PageRequest{Key: key, Limit: 200}})
		if err != nil {
			return nil, fmt.Errorf("query services: %w", err)
		}
		for _, s := range res.Services {
			if s.Status == servicestypes.StatusDeleted {
				continue
			}
			one, err := qcl.Service(ctx, &servicestypes.QueryServiceRequest{Name: s.Name})
			if err != nil {
				return nil, fmt.Errorf("query service %s: %w", s.Name, err)
			}
			for _, b := range [][]byte{one.Current.Manifest, pendingManifest(one.Pending)} {
				if m, err := manifest.ParseCanonical(b); err == nil {
					refs[m.Code.Wasm] = true
				}
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return refs, nil
		}
		key = res.Pagination.NextKey
	}
}

func pendingManifest(p *servicestypes.Proposal) []byte {
	if p == nil {
		return nil
	}
	return p.Manifest
}
