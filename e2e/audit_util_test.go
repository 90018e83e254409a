package e2e

import (
	"fmt"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// Audit states of a usage record (x/usage).
const (
	statePending   = "pending"
	stateUnsampled = "unsampled"
	stateSampled   = "sampled"
	stateProven    = "proven"
	stateFailed    = "failed"
	stateForfeited = "forfeited"
)

// chainAudit reads audit id from the chain at height (0: the latest).
func chainAudit(t *testing.T, rpc *rpchttp.HTTP, id uint64, height int64) usagetypes.Audit {
	t.Helper()
	var res usagetypes.QueryAuditResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/Audit", &usagetypes.QueryAuditRequest{Id: id}, &res, height)
	return res.Audit
}

// waitAuditResolved polls audit id until it is resolved and returns it.
func waitAuditResolved(t *testing.T, rpc *rpchttp.HTTP, id uint64, within time.Duration) usagetypes.Audit {
	t.Helper()
	var a usagetypes.Audit
	waitForSaying(t, within, fmt.Sprintf("audit %d to resolve", id), func() bool {
		a = chainAudit(t, rpc, id, 0)
		return a.Phase == "resolved"
	}, func() string {
		return fmt.Sprintf("audit %d: phase %s, state %s, published at %d, votes %+v", id, a.Phase, a.State, a.PublishedHeight, a.Votes)
	})
	return a
}

// serviceRecord reads the usage record of service's lease in epoch at
// height (0: the latest); ok false if there is none.
func serviceRecord(t *testing.T, rpc *rpchttp.HTTP, service string, epoch, lease uint64, height int64) (usagetypes.UsageRecord, bool) {
	t.Helper()
	var use usagetypes.QueryServiceUsageResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceUsage", &usagetypes.QueryServiceUsageRequest{Service: service, HasEpoch: true, Epoch: epoch}, &use, height)
	for _, r := range use.Records {
		if r.LeaseId == lease {
			return r, true
		}
	}
	return usagetypes.UsageRecord{}, false
}

// chainSharer reads a sharer's record at height (0: the latest).
func chainSharer(t *testing.T, rpc *rpchttp.HTTP, addr string, height int64) sharerstypes.Sharer {
	t.Helper()
	var res sharerstypes.QuerySharerResponse
	mustQueryAt(t, rpc, "/q1.sharers.v1.Query/Sharer", &sharerstypes.QuerySharerRequest{Address: addr}, &res, height)
	return res.Sharer
}

// auditStats reads a sharer's audit counters (the latest state).
func auditStats(t *testing.T, rpc *rpchttp.HTTP, addr string) usagetypes.AuditStats {
	t.Helper()
	var res usagetypes.QueryAuditStatsResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/AuditStats", &usagetypes.QueryAuditStatsRequest{Sharer: addr}, &res, 0)
	return res.Stats
}

// wantSlash is what a failed or forfeited entry charged charged takes from
// a sharer holding collateral: max(multiplier × charged, min_slash), at most
// the collateral.
func wantSlash(p usagetypes.Params, charged, collateral sdkmath.Int) sdkmath.Int {
	s := p.SlashMultiplier.MulInt(charged).TruncateInt()
	if s.LT(p.MinSlash) {
		s = p.MinSlash
	}
	if s.GT(collateral) {
		s = collateral
	}
	return s
}

// usageParams reads x/usage's params.
func usageParams(t *testing.T, rpc *rpchttp.HTTP) usagetypes.Params {
	t.Helper()
	var res usagetypes.QueryParamsResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/Params", &usagetypes.QueryParamsRequest{}, &res, 0)
	return res.Params
}
