package chainquery

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cosmos/cosmos-sdk/types/query"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// maxAudits bounds one answer's audits.
const maxAudits = 100

// Audits returns up to 100 audits, newest first, at the latest height: a
// service's (service set), a sharer's as the audited one (sharer set) or as
// an assigned auditor (auditor set); exactly one of them.
func (c *Chain) Audits(ctx context.Context, service, sharer, auditor string) (*usagetypes.QueryAuditsResponse, error) {
	req := &usagetypes.QueryAuditsRequest{Pagination: &query.PageRequest{Limit: maxAudits}}
	switch {
	case service != "" && sharer == "" && auditor == "":
		if err := manifest.ValidateName(service); err != nil {
			return nil, fmt.Errorf("%w: service name %q: %v", q1client.ErrBadRequest, service, err)
		}
		req.Service = service
	case service == "" && sharer != "" && auditor == "":
		addr, err := accountParam("sharer", sharer)
		if err != nil {
			return nil, err
		}
		req.Sharer = addr
	case service == "" && sharer == "" && auditor != "":
		addr, err := accountParam("auditor", auditor)
		if err != nil {
			return nil, err
		}
		req.Auditor = addr
	default:
		return nil, fmt.Errorf("%w: name exactly one of a service, an audited sharer or an auditor", q1client.ErrBadRequest)
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	res, err := usagetypes.NewQueryClient(cctx).Audits(gctx, req)
	if err != nil {
		return nil, queryErr(err, "no audits")
	}
	return res, nil
}

// Audit returns one audit at the latest height.
func (c *Chain) Audit(ctx context.Context, id uint64) (*usagetypes.Audit, error) {
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	res, err := usagetypes.NewQueryClient(cctx).Audit(gctx, &usagetypes.QueryAuditRequest{Id: id})
	if err != nil {
		return nil, queryErr(err, fmt.Sprintf("no audit %d", id))
	}
	return &res.Audit, nil
}

// AuditsOf returns the audits usage records name, by id, in the records'
// order, each once.
func (c *Chain) AuditsOf(ctx context.Context, records []usagetypes.UsageRecord) ([]usagetypes.Audit, error) {
	var ids []uint64
	for _, r := range records {
		if r.AuditId != 0 && !slices.Contains(ids, r.AuditId) {
			ids = append(ids, r.AuditId)
		}
	}
	out := make([]usagetypes.Audit, 0, len(ids))
	for _, id := range ids {
		a, err := c.Audit(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}

// auditStats returns a sharer's audit counters, or none when the chain
// does not answer them: a sharer's status is still worth showing without
// them. (Through CometBFT's ABCI a chain that does not implement the query
// answers Unknown, not Unimplemented, so no code tells that case apart.)
func auditStats(ctx context.Context, qcl usagetypes.QueryClient, sharer string) *q1client.AuditStats {
	res, err := qcl.AuditStats(ctx, &usagetypes.QueryAuditStatsRequest{Sharer: sharer})
	if err != nil {
		return nil
	}
	s := res.Stats
	return &q1client.AuditStats{Passed: s.AuditsPassed, Failed: s.AuditsFailed, Forfeited: s.AuditsForfeited,
		Performed: s.AuditsPerformed, Missed: s.AuditsMissed, Unsampled: s.Unsampled}
}

// UsageJSON is the answer of GET /v1/services/{name}/usage and of q1
// service usage -o json: the usage response in the chain's proto JSON,
// with "audits", the audits its records name (their state, samples and
// every auditor's verdict), beside "records".
func UsageJSON(res *usagetypes.QueryServiceUsageResponse, audits []usagetypes.Audit) (json.RawMessage, error) {
	raw, err := ProtoJSON(res)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	list := make([]json.RawMessage, 0, len(audits))
	for i := range audits {
		a, err := ProtoJSON(&audits[i])
		if err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	if obj["audits"], err = json.Marshal(list); err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}
