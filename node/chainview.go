package node

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/gateway"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// chainView answers the gateway's and the agent's questions from committed
// state. Every answer is cached until the chain moves to a new height, so a
// busy service costs one query per block, not one per request.
type chainView struct {
	c    client.Context
	self func() string // this node's sharer address ("" if not a sharer)

	mu       sync.Mutex
	height   int64
	services map[string]serviceEntry
	replicas map[string]replicasEntry
	sharers  map[string]sharerEntry
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
}

type sharerEntry struct {
	height   int64
	sharer   sharerstypes.Sharer
	found    bool
	pubKey   []byte
	pubKeyOK bool
}

func newChainView(c client.Context, self func() string) *chainView {
	return &chainView{
		c: c, self: self,
		services: map[string]serviceEntry{},
		replicas: map[string]replicasEntry{},
		sharers:  map[string]sharerEntry{},
	}
}

// setHeight tells the view the chain reached h; cached answers older than h
// are refreshed when next asked for.
func (v *chainView) setHeight(h int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.height = max(v.height, h)
}

func queryCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

// service returns the cached state of a service, refreshing it if stale.
func (v *chainView) service(name string) serviceEntry {
	v.mu.Lock()
	e, ok := v.services[name]
	h := v.height
	v.mu.Unlock()
	if ok && e.height >= h {
		return e
	}
	ctx, cancel := queryCtx()
	defer cancel()
	e = serviceEntry{height: h}
	res, err := servicestypes.NewQueryClient(v.c).Service(ctx, &servicestypes.QueryServiceRequest{Name: name})
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

// Status implements gateway.Chain.
func (v *chainView) Status(service string) gateway.ServiceState { return v.service(service).state }

// Manifest implements gateway.Chain.
func (v *chainView) Manifest(service string) (*manifest.Manifest, bool) {
	e := v.service(service)
	return e.manifest, e.manifest != nil
}

// Replicas implements gateway.Chain: the sharers holding an open lease of
// the service, with their endpoints.
func (v *chainView) Replicas(service string) []gateway.Replica {
	return v.replicaEntry(service).replicas
}

func (v *chainView) replicaEntry(service string) replicasEntry {
	v.mu.Lock()
	e, ok := v.replicas[service]
	h := v.height
	v.mu.Unlock()
	if ok && e.height >= h {
		return e
	}
	ctx, cancel := queryCtx()
	defer cancel()
	e = replicasEntry{height: h}
	leases, err := v.leases(ctx, &sharerstypes.QueryLeasesRequest{Service: service})
	if err == nil {
		self := v.self()
		e.leases = leases
		for _, l := range leases {
			s := v.sharer(l.Sharer)
			if !s.found {
				continue
			}
			e.replicas = append(e.replicas, gateway.Replica{Sharer: l.Sharer, Endpoint: s.sharer.Endpoint, Local: l.Sharer == self})
		}
	}
	v.mu.Lock()
	v.replicas[service] = e
	v.mu.Unlock()
	return e
}

// leases pages through the open leases a request selects.
func (v *chainView) leases(ctx context.Context, req *sharerstypes.QueryLeasesRequest) ([]sharerstypes.Lease, error) {
	qcl := sharerstypes.NewQueryClient(v.c)
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

func (v *chainView) sharer(addr string) sharerEntry {
	v.mu.Lock()
	e, ok := v.sharers[addr]
	h := v.height
	v.mu.Unlock()
	if ok && e.height >= h {
		return e
	}
	ctx, cancel := queryCtx()
	defer cancel()
	e = sharerEntry{height: h, pubKey: e.pubKey, pubKeyOK: e.pubKeyOK && e.sharer.HotKey != ""}
	res, err := sharerstypes.NewQueryClient(v.c).Sharer(ctx, &sharerstypes.QuerySharerRequest{Address: addr})
	if err == nil {
		hotChanged := e.sharer.HotKey != res.Sharer.HotKey
		e.sharer, e.found = res.Sharer, true
		if hotChanged || !e.pubKeyOK {
			e.pubKey, e.pubKeyOK = v.accountPubKey(ctx, res.Sharer.HotKey)
		}
	}
	v.mu.Lock()
	v.sharers[addr] = e
	v.mu.Unlock()
	return e
}

// accountPubKey returns an account's public key once it has signed a tx.
func (v *chainView) accountPubKey(ctx context.Context, addr string) ([]byte, bool) {
	if addr == "" {
		return nil, false
	}
	res, err := authtypes.NewQueryClient(v.c).Account(ctx, &authtypes.QueryAccountRequest{Address: addr})
	if err != nil {
		return nil, false
	}
	var acc sdk.AccountI
	if err := v.c.InterfaceRegistry.UnpackAny(res.Account, &acc); err != nil {
		return nil, false
	}
	pk, ok := acc.GetPubKey().(cryptotypes.PubKey)
	if !ok || pk == nil {
		return nil, false
	}
	return pk.Bytes(), true
}

// PubKey implements gateway.NodeKeys: the sharer's hot key, which signs
// its node's proofs.
func (v *chainView) PubKey(sharer string) ([]byte, error) {
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
func (v *chainView) Endpoints(ctx context.Context) ([]string, error) {
	qcl := sharerstypes.NewQueryClient(v.c)
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
