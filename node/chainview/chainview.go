// Package chainview is the node's view of committed chain state, for the
// parts that ask the same questions many times a second: the gateway
// (service states, manifests, replicas, nodes' keys), the agent (leases,
// epochs, reports) and the replica manager's peers. It follows the app's
// last committed height through client/chainquery, the one way the node
// reads the chain, and pins every query to that height; answers are cached
// until the height moves, so a busy service costs one query per block.
package chainview

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/client/chainquery"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/schedule"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// View answers the gateway's and the agent's questions from committed
// state. Every answer is cached until the chain moves to a new height.
// It is safe for concurrent use.
type View struct {
	c    client.Context
	self func() string // this node's sharer address ("" if not a sharer)

	mu       sync.Mutex
	height   int64
	services map[string]serviceEntry
	replicas map[string]replicasEntry
	sharers  map[string]sharerEntry
	secrets  map[string]secretsEntry
	// epoch is the Epoch query's answer at epoch.height: the agent, the
	// audit worker and the meter ask for it several times a block.
	epoch epochEntry
}

type epochEntry struct {
	height          int64
	current, blocks uint64
}

type secretsEntry struct {
	height  int64
	secrets []servicestypes.Secret
}

type serviceEntry struct {
	height   int64
	state    gateway.ServiceState
	manifest *manifest.Manifest
	// known is true when the chain answered (the service's record, or that
	// there is none); false when the query failed and state says nothing.
	known bool
}

type replicasEntry struct {
	height   int64
	replicas []gateway.Replica
	leases   []sharerstypes.Lease
	err      error // the chain did not answer
}

type sharerEntry struct {
	height   int64
	sharer   sharerstypes.Sharer
	found    bool
	pubKey   []byte
	pubKeyOK bool
}

// Option configures a View.
type Option func(*View)

// WithSelf names this node's sharer (a function, since a node becomes one
// while it runs): its replicas are marked Local, and Endpoints leaves it out.
func WithSelf(self func() string) Option { return func(v *View) { v.self = self } }

// New returns a view reading through c, the node's client context.
func New(c client.Context, opts ...Option) *View {
	v := &View{
		c: c, self: func() string { return "" },
		services: map[string]serviceEntry{},
		replicas: map[string]replicasEntry{},
		sharers:  map[string]sharerEntry{},
		secrets:  map[string]secretsEntry{},
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Sync reads the app's last committed height; cached answers older than it
// are refreshed when next asked for. It returns the height.
func (v *View) Sync(ctx context.Context) (int64, error) {
	h, err := chainquery.LatestHeight(ctx, v.c)
	if err != nil {
		return 0, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.height = max(v.height, h)
	return v.height, nil
}

// Height is the last committed height Sync read (0 before).
func (v *View) Height() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.height
}

// query returns what a query at height h runs with: a client context and a
// Go context pinned to h (the latest state before the first Sync) and
// bounded in time.
func (v *View) query(h int64) (client.Context, context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if h <= 0 {
		return v.c, ctx, cancel
	}
	c, ctx := chainquery.At(ctx, v.c, h)
	return c, ctx, cancel
}

// service returns the cached state of a service, refreshing it if stale.
func (v *View) service(name string) serviceEntry {
	v.mu.Lock()
	e, ok := v.services[name]
	h := v.height
	v.mu.Unlock()
	if ok && e.height >= h {
		return e
	}
	c, ctx, cancel := v.query(h)
	defer cancel()
	e = serviceEntry{height: h}
	res, err := servicestypes.NewQueryClient(c).Service(ctx, &servicestypes.QueryServiceRequest{Name: name})
	// A missing service is the module's ErrServiceNotFound, registered
	// with codes.NotFound: the chain answered.
	e.known = err == nil || status.Code(err) == codes.NotFound
	if !e.known {
		// Say so, and ask again next time: a failed read is not an answer
		// to keep for the rest of the block.
		e.state.Unavailable = err.Error()
		return e
	}
	if err == nil {
		e.state.Exists = res.Service.Status != servicestypes.StatusDeleted
		if res.Service.Status == servicestypes.StatusPaused && res.Service.Pause != nil {
			e.state.Paused = true
			e.state.Reason = pauseReason(res.Service.Pause.Reason)
		}
		if m, err := manifest.ParseCanonical(res.Current.Manifest); err == nil {
			e.manifest = m
		}
	}
	v.mu.Lock()
	v.services[name] = e
	v.mu.Unlock()
	return e
}

func pauseReason(r servicestypes.PauseReason) string {
	switch r {
	case servicestypes.PauseReasonDepletion:
		return "the service's escrow ran dry; a deposit (q1 service fund) resumes it"
	case servicestypes.PauseReasonOwner:
		return "the service was paused by its owners"
	case servicestypes.PauseReasonOperator:
		return "the service was paused by an operator"
	default:
		return "the service is paused"
	}
}

// Status implements gateway.Chain. A state whose Unavailable is set means
// the chain did not answer, and says nothing of the service.
func (v *View) Status(service string) gateway.ServiceState { return v.service(service).state }

// Manifest implements gateway.Chain.
func (v *View) Manifest(service string) (*manifest.Manifest, bool) {
	e := v.service(service)
	return e.manifest, e.manifest != nil
}

// Replicas implements gateway.Chain: the sharers holding an open lease of
// the service, with their endpoints.
func (v *View) Replicas(service string) []gateway.Replica {
	return v.replicaEntry(service).replicas
}

func (v *View) replicaEntry(service string) replicasEntry {
	v.mu.Lock()
	e, ok := v.replicas[service]
	h := v.height
	v.mu.Unlock()
	if ok && e.height >= h {
		return e
	}
	c, ctx, cancel := v.query(h)
	defer cancel()
	e = replicasEntry{height: h}
	open, err := leases(ctx, c, &sharerstypes.QueryLeasesRequest{Service: service})
	e.err = err
	if err == nil {
		self := v.self()
		e.leases = open
		for _, l := range open {
			s := v.sharer(l.Sharer)
			if !s.found {
				continue
			}
			e.replicas = append(e.replicas, gateway.Replica{Sharer: l.Sharer, Endpoint: s.sharer.Endpoint, Local: l.Sharer == self, Lease: l.Id})
		}
	}
	v.mu.Lock()
	v.replicas[service] = e
	v.mu.Unlock()
	return e
}

// Candidates implements schedule.Chain: the service's open leases that
// their sharers acknowledged, held by sharers the chain counts active, with
// their gateways, at the last committed height.
func (v *View) Candidates(service string) ([]schedule.Candidate, error) {
	e := v.replicaEntry(service)
	if e.err != nil {
		return nil, e.err
	}
	var out []schedule.Candidate
	for _, l := range e.leases {
		if l.AckedHeight == 0 || l.ClosedHeight != 0 {
			continue
		}
		s := v.sharer(l.Sharer)
		if !s.found || s.sharer.Status != sharerstypes.SharerActive {
			continue
		}
		out = append(out, schedule.Candidate{Lease: l.Id, Sharer: l.Sharer, Endpoint: s.sharer.Endpoint})
	}
	return out, nil
}

// Leases returns the open leases of a sharer at the last committed height.
func (v *View) Leases(ctx context.Context, sharer string) ([]sharerstypes.Lease, error) {
	c, ctx := v.at(ctx)
	return leases(ctx, c, &sharerstypes.QueryLeasesRequest{Sharer: sharer})
}

// Epoch returns the current epoch's number at the last committed height.
func (v *View) Epoch(ctx context.Context) (uint64, error) {
	e, err := v.epochInfo(ctx)
	return e.current, err
}

// epochInfo is the Epoch query at the last committed height, asked once
// per height.
func (v *View) epochInfo(ctx context.Context) (epochEntry, error) {
	h := v.Height()
	v.mu.Lock()
	e := v.epoch
	v.mu.Unlock()
	if h > 0 && e.height == h {
		return e, nil
	}
	c := v.c
	if h > 0 {
		// The height read above, so the answer is the one cached for it.
		c, ctx = chainquery.At(ctx, v.c, h)
	}
	ep, err := sharerstypes.NewQueryClient(c).Epoch(ctx, &sharerstypes.QueryEpochRequest{})
	if err != nil {
		return epochEntry{}, err
	}
	e = epochEntry{height: h, current: ep.Current.Number, blocks: ep.EpochBlocks}
	if h > 0 {
		v.mu.Lock()
		if v.epoch.height < h {
			v.epoch = e
		}
		v.mu.Unlock()
	}
	return e, nil
}

// EndedEpoch returns ended epoch n with its start and end heights (its
// times but the start are not set), read from committed states: epoch e
// ends the block before epoch e+1 starts, and the state of the block
// before that still has e as its current epoch. It reads one state per
// epoch back from the current one, and refuses epochs more than
// maxEpochsBack behind it.
func (v *View) EndedEpoch(ctx context.Context, n uint64) (sharerstypes.EpochInfo, error) {
	h := v.Height()
	next, err := v.epochAt(ctx, h)
	if err != nil {
		return sharerstypes.EpochInfo{}, err
	}
	switch {
	case n >= next.Number:
		return sharerstypes.EpochInfo{}, fmt.Errorf("epoch %d has not ended at height %d: epoch %d is under way", n, h, next.Number)
	case next.Number-n > maxEpochsBack:
		return sharerstypes.EpochInfo{}, fmt.Errorf("epoch %d ended more than %d epochs before the current one (%d)", n, maxEpochsBack, next.Number)
	}
	for {
		end := next.StartHeight - 1
		prev := sharerstypes.EpochInfo{Number: next.Number - 1, StartHeight: end} // an epoch that ended at the first block began there
		if end > 1 {
			if prev, err = v.epochAt(ctx, end-1); err != nil {
				return sharerstypes.EpochInfo{}, err
			}
			if prev.Number != next.Number-1 {
				return sharerstypes.EpochInfo{}, fmt.Errorf("the state at height %d is in epoch %d, but epoch %d began at height %d", end-1, prev.Number, next.Number, next.StartHeight)
			}
		}
		prev.EndHeight = end
		if prev.Number == n {
			return prev, nil
		}
		next = prev
	}
}

// maxEpochsBack bounds how far back EndedEpoch reads.
const maxEpochsBack = 16

// epochAt returns the epoch under way in the state of height h (the
// latest state if h is 0).
func (v *View) epochAt(ctx context.Context, h int64) (sharerstypes.EpochInfo, error) {
	c := v.c
	if h > 0 {
		c, ctx = chainquery.At(ctx, v.c, h)
	}
	ep, err := sharerstypes.NewQueryClient(c).Epoch(ctx, &sharerstypes.QueryEpochRequest{})
	if err != nil {
		return sharerstypes.EpochInfo{}, fmt.Errorf("read the epoch at height %d: %w", h, err)
	}
	return ep.Current, nil
}

// Lease returns a lease, open or closed, at the last committed height;
// found is false when the chain has none of that id (never placed, or
// closed long enough ago to be pruned).
func (v *View) Lease(ctx context.Context, id uint64) (l sharerstypes.Lease, found bool, err error) {
	c, ctx := v.at(ctx)
	res, err := sharerstypes.NewQueryClient(c).Lease(ctx, &sharerstypes.QueryLeaseRequest{Id: id})
	if status.Code(err) == codes.NotFound { // x/sharers' ErrLeaseNotFound
		return sharerstypes.Lease{}, false, nil
	}
	if err != nil {
		return sharerstypes.Lease{}, false, fmt.Errorf("read lease %d: %w", id, err)
	}
	return res.Lease, true, nil
}

// Reported says whether the chain holds a sharer's usage report of an epoch
// at the last committed height. An error means it could not tell.
func (v *View) Reported(ctx context.Context, sharer string, epoch uint64) (bool, error) {
	c, ctx := v.at(ctx)
	_, err := usagetypes.NewQueryClient(c).Report(ctx, &usagetypes.QueryReportRequest{Sharer: sharer, Epoch: epoch})
	if err == nil {
		return true, nil
	}
	if status.Code(err) == codes.NotFound { // x/usage's ErrReportNotFound
		return false, nil
	}
	return false, err
}

// at pins ctx's queries to the last committed height.
func (v *View) at(ctx context.Context) (client.Context, context.Context) {
	h := v.Height()
	if h <= 0 {
		return v.c, ctx
	}
	return chainquery.At(ctx, v.c, h)
}

// leases pages through the open leases a request selects.
func leases(ctx context.Context, c client.Context, req *sharerstypes.QueryLeasesRequest) ([]sharerstypes.Lease, error) {
	qcl := sharerstypes.NewQueryClient(c)
	var out []sharerstypes.Lease
	req.Pagination = &query.PageRequest{Limit: 500}
	for {
		res, err := qcl.Leases(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, l := range res.Leases {
			if l.ClosedHeight == 0 {
				out = append(out, l)
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		req.Pagination = &query.PageRequest{Key: res.Pagination.NextKey, Limit: 500}
	}
}

func (v *View) sharer(addr string) sharerEntry {
	v.mu.Lock()
	e, ok := v.sharers[addr]
	h := v.height
	v.mu.Unlock()
	if ok && e.height >= h {
		return e
	}
	c, ctx, cancel := v.query(h)
	defer cancel()
	e = sharerEntry{height: h, pubKey: e.pubKey, pubKeyOK: e.pubKeyOK && e.sharer.HotKey != ""}
	res, err := sharerstypes.NewQueryClient(c).Sharer(ctx, &sharerstypes.QuerySharerRequest{Address: addr})
	if err == nil {
		hotChanged := e.sharer.HotKey != res.Sharer.HotKey
		e.sharer, e.found = res.Sharer, true
		if hotChanged || !e.pubKeyOK {
			e.pubKey, e.pubKeyOK = accountPubKey(ctx, c, res.Sharer.HotKey)
		}
	}
	v.mu.Lock()
	v.sharers[addr] = e
	v.mu.Unlock()
	return e
}

// accountPubKey returns an account's public key once it has signed a tx.
func accountPubKey(ctx context.Context, c client.Context, addr string) ([]byte, bool) {
	if addr == "" {
		return nil, false
	}
	res, err := authtypes.NewQueryClient(c).Account(ctx, &authtypes.QueryAccountRequest{Address: addr})
	if err != nil {
		return nil, false
	}
	var acc sdk.AccountI
	if err := c.InterfaceRegistry.UnpackAny(res.Account, &acc); err != nil {
		return nil, false
	}
	pk := acc.GetPubKey()
	if pk == nil {
		return nil, false
	}
	return pk.Bytes(), true
}

// PubKey implements gateway.NodeKeys: the sharer's hot key, which signs
// its node's proofs.
func (v *View) PubKey(sharer string) ([]byte, error) {
	e := v.sharer(sharer)
	if !e.found {
		return nil, fmt.Errorf("no sharer %s on chain", sharer)
	}
	if !e.pubKeyOK {
		return nil, fmt.Errorf("sharer %s's hot key %s has not signed a tx yet, so its public key is unknown", sharer, e.sharer.HotKey)
	}
	return e.pubKey, nil
}

// Endpoints returns every registered sharer's endpoint but self's: the peers
// a node fetches blobs from.
func (v *View) Endpoints(ctx context.Context) ([]string, error) {
	c, ctx := v.at(ctx)
	qcl := sharerstypes.NewQueryClient(c)
	self := v.self()
	var out []string
	req := &sharerstypes.QuerySharersRequest{Pagination: &query.PageRequest{Limit: 500}}
	for {
		res, err := qcl.Sharers(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, s := range res.Sharers {
			if s.Address != self && s.Status != sharerstypes.SharerDeregistered && s.Endpoint != "" {
				out = append(out, s.Endpoint)
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		req.Pagination = &query.PageRequest{Key: res.Pagination.NextKey, Limit: 500}
	}
}

// OpenAudits lists the audits not yet resolved at the last committed
// height in which sharer is the audited sharer (auditor false) or an
// assigned auditor (auditor true).
func (v *View) OpenAudits(ctx context.Context, sharer string, auditor bool) ([]usagetypes.Audit, error) {
	c, ctx := v.at(ctx)
	qcl := usagetypes.NewQueryClient(c)
	req := &usagetypes.QueryAuditsRequest{OpenOnly: true, Pagination: &query.PageRequest{Limit: 200}}
	if auditor {
		req.Auditor = sharer
	} else {
		req.Sharer = sharer
	}
	var out []usagetypes.Audit
	for {
		res, err := qcl.Audits(ctx, req)
		if err != nil {
			return nil, err
		}
		out = append(out, res.Audits...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		req.Pagination = &query.PageRequest{Key: res.Pagination.NextKey, Limit: 200}
	}
}

// UsageParams are x/usage's parameters at the last committed height.
func (v *View) UsageParams(ctx context.Context) (usagetypes.Params, error) {
	c, ctx := v.at(ctx)
	res, err := usagetypes.NewQueryClient(c).Params(ctx, &usagetypes.QueryParamsRequest{})
	if err != nil {
		return usagetypes.Params{}, err
	}
	return res.Params, nil
}

// Sharer is a sharer's record at the last committed height; found is false
// when there is none.
func (v *View) Sharer(addr string) (sharerstypes.Sharer, bool) {
	e := v.sharer(addr)
	return e.sharer, e.found
}

// EpochLength is the current epoch's number and how many blocks an epoch
// lasts, at the last committed height.
func (v *View) EpochLength(ctx context.Context) (current, blocks uint64, err error) {
	e, err := v.epochInfo(ctx)
	return e.current, e.blocks, err
}

// VersionsDuring returns the versions of service active at some height of
// [start, end], newest first: those activated by end, down to the first
// activated by start (it was active at start; older ones were not).
func (v *View) VersionsDuring(ctx context.Context, service string, start, end int64) ([]servicestypes.Version, error) {
	c, ctx := v.at(ctx)
	qc := servicestypes.NewQueryClient(c)
	var out []servicestypes.Version
	var key []byte
	for {
		res, err := qc.History(ctx, &servicestypes.QueryHistoryRequest{Name: service,
			Pagination: &query.PageRequest{Key: key, Limit: 20, Reverse: true}})
		if err != nil {
			return nil, fmt.Errorf("versions of service %s: %w", service, err)
		}
		for _, ver := range res.Versions {
			if ver.ActivatedHeight == 0 || ver.ActivatedHeight > end {
				continue // not active yet, or activated after the span
			}
			out = append(out, ver)
			if ver.ActivatedHeight <= start {
				return out, nil
			}
		}
		if key = res.Pagination.GetNextKey(); len(key) == 0 {
			return out, nil
		}
	}
}

// Secrets returns the live secrets of a service at the last committed
// height (encrypted, with their wraps), cached until the height moves: the
// runtime asks on every secret_get.
func (v *View) Secrets(ctx context.Context, service string) ([]servicestypes.Secret, error) {
	v.mu.Lock()
	e, ok := v.secrets[service]
	h := v.height
	v.mu.Unlock()
	if ok && e.height >= h {
		return e.secrets, nil
	}
	c, ctx := v.at(ctx)
	res, err := servicestypes.NewQueryClient(c).Secrets(ctx, &servicestypes.QuerySecretsRequest{Service: service})
	if err != nil {
		return nil, fmt.Errorf("secrets of service %s at height %d: %w", service, h, err)
	}
	v.mu.Lock()
	v.secrets[service] = secretsEntry{height: h, secrets: res.Secrets}
	v.mu.Unlock()
	return res.Secrets, nil
}
