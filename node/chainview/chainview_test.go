package chainview

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/cosmos-sdk/client"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/quantum1net/q1/app"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// The view reads through a client.Context, whose one interface is the
// CometBFT RPC client (client.CometRPC): fakeNode stands in for it, so
// every query goes the real way (gRPC over ABCI query, height header, the
// SDK's mapping of ABCI codes to gRPC codes) to an app that is a table of
// answers per query path and height.

// Answers a handler gives besides a message.
var (
	// errNotFound is what baseapp answers a query whose handler returned
	// codes.NotFound with; the SDK client turns it back into NotFound.
	errNotFound = errors.New("not found")
	// errRefused is any other refusal by the app: gRPC Unknown.
	errRefused = errors.New("refused")
)

type handler func(height int64, req []byte) (proto.Message, error)

type queried struct {
	path   string
	height int64
}

type fakeNode struct {
	client.CometRPC // nil: only what the view calls is implemented

	mu       sync.Mutex
	height   int64 // the app's last committed height
	handlers map[string]handler
	queries  []queried
}

func (n *fakeNode) ABCIInfo(context.Context) (*coretypes.ResultABCIInfo, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return &coretypes.ResultABCIInfo{Response: abci.ResponseInfo{LastBlockHeight: n.height}}, nil
}

func (n *fakeNode) ABCIQueryWithOptions(_ context.Context, path string, data cmtbytes.HexBytes, opts rpcclient.ABCIQueryOptions) (*coretypes.ResultABCIQuery, error) {
	n.mu.Lock()
	n.queries = append(n.queries, queried{path, opts.Height})
	h, ok := n.handlers[path]
	n.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("fake node: no handler for %s", path)
	}
	msg, err := h(opts.Height, data)
	switch {
	case errors.Is(err, errNotFound):
		return &coretypes.ResultABCIQuery{Response: abci.ResponseQuery{
			Codespace: sdkerrors.ErrKeyNotFound.Codespace(), Code: sdkerrors.ErrKeyNotFound.ABCICode(), Log: err.Error(), Height: opts.Height}}, nil
	case errors.Is(err, errRefused):
		return &coretypes.ResultABCIQuery{Response: abci.ResponseQuery{
			Codespace: sdkerrors.ErrUnknownRequest.Codespace(), Code: sdkerrors.ErrUnknownRequest.ABCICode(), Log: err.Error(), Height: opts.Height}}, nil
	case err != nil:
		return nil, err // the transport's error
	}
	bz, err := proto.Marshal(msg)
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultABCIQuery{Response: abci.ResponseQuery{Value: bz, Height: opts.Height}}, nil
}

func (n *fakeNode) setHeight(h int64) {
	n.mu.Lock()
	n.height = h
	n.mu.Unlock()
}

func (n *fakeNode) handle(path string, h handler) {
	n.mu.Lock()
	n.handlers[path] = h
	n.mu.Unlock()
}

// asked returns the heights path was queried at, and forgets them.
func (n *fakeNode) asked(path string) []int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []int64
	rest := n.queries[:0]
	for _, q := range n.queries {
		if q.path == path {
			out = append(out, q.height)
		} else {
			rest = append(rest, q)
		}
	}
	n.queries = rest
	return out
}

func newView(t *testing.T, opts ...Option) (*View, *fakeNode) {
	t.Helper()
	enc := app.MakeEncodingConfig()
	authtypes.RegisterInterfaces(enc.InterfaceRegistry)
	n := &fakeNode{handlers: map[string]handler{}}
	c := client.Context{}.WithClient(n).WithCodec(enc.Codec).WithInterfaceRegistry(enc.InterfaceRegistry)
	return New(c, opts...), n
}

func syncTo(t *testing.T, v *View, want int64) {
	t.Helper()
	h, err := v.Sync(context.Background())
	if err != nil || h != want {
		t.Fatalf("Sync = %d, %v; want %d", h, err, want)
	}
}

func heights(got []int64, want ...int64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

const (
	pathService = "/q1.services.v1.Query/Service"
	pathLeases  = "/q1.sharers.v1.Query/Leases"
	pathLease   = "/q1.sharers.v1.Query/Lease"
	pathSharer  = "/q1.sharers.v1.Query/Sharer"
	pathEpoch   = "/q1.sharers.v1.Query/Epoch"
	pathReport  = "/q1.usage.v1.Query/Report"
	pathAccount = "/cosmos.auth.v1beta1.Query/Account"
)

// activeUntil answers the Service query for "hello": active up to height
// pausedAt-1, paused by its owners from pausedAt; no other service exists.
func activeUntil(pausedAt int64) handler {
	return func(h int64, req []byte) (proto.Message, error) {
		var r servicestypes.QueryServiceRequest
		if err := proto.Unmarshal(req, &r); err != nil {
			return nil, err
		}
		if r.Name != "hello" {
			return nil, errNotFound
		}
		s := servicestypes.Service{Name: "hello", Status: servicestypes.StatusActive}
		if h >= pausedAt {
			s.Status, s.Pause = servicestypes.StatusPaused, &servicestypes.Pause{Reason: servicestypes.PauseReasonOwner, Height: pausedAt}
		}
		return &servicestypes.QueryServiceResponse{Service: s}, nil
	}
}

// TestQueriesPinnedToTheSyncedHeight: before the first Sync the view reads
// the latest state (height 0); after it, every query, cached or not, asks
// for the state of the height Sync read, and that height never goes back.
func TestQueriesPinnedToTheSyncedHeight(t *testing.T) {
	v, n := newView(t)
	ctx := context.Background()
	n.handle(pathService, activeUntil(1000))
	n.handle(pathLeases, func(int64, []byte) (proto.Message, error) { return &sharerstypes.QueryLeasesResponse{}, nil })
	n.handle(pathReport, func(int64, []byte) (proto.Message, error) { return &usagetypes.QueryReportResponse{}, nil })

	if v.Status("hello").Exists != true {
		t.Fatal("hello does not exist")
	}
	if got := n.asked(pathService); !heights(got, 0) {
		t.Fatalf("before Sync the service was read at heights %v, want [0] (the latest)", got)
	}

	n.setHeight(10)
	syncTo(t, v, 10)
	v.Status("hello")
	if _, err := v.Leases(ctx, "q11sharer"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Reported(ctx, "q11sharer", 3); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pathService, pathLeases, pathReport} {
		if got := n.asked(p); !heights(got, 10) {
			t.Errorf("%s read at heights %v, want [10]", p, got)
		}
	}

	// A node that answers with an older height (another node behind a
	// balancer, say) does not take the view back.
	n.setHeight(8)
	syncTo(t, v, 10)
	if _, err := v.Leases(ctx, "q11sharer"); err != nil {
		t.Fatal(err)
	}
	if got := n.asked(pathLeases); !heights(got, 10) {
		t.Errorf("after a Sync that read 8, leases read at %v, want [10]", got)
	}
}

// TestCachedUntilTheHeightMoves: a service's state is read once per
// height, however often it is asked for, and read again, with the new
// height's answer, once Sync moves.
func TestCachedUntilTheHeightMoves(t *testing.T) {
	v, n := newView(t)
	n.handle(pathService, activeUntil(11))
	n.setHeight(10)
	syncTo(t, v, 10)
	for range 3 {
		if s := v.Status("hello"); !s.Exists || s.Paused {
			t.Fatalf("at 10: %+v, want an active service", s)
		}
		v.Manifest("hello")
	}
	if got := n.asked(pathService); !heights(got, 10) {
		t.Fatalf("at one height the service was read at %v, want once at 10", got)
	}

	syncTo(t, v, 10) // the same height: still cached
	v.Status("hello")
	if got := n.asked(pathService); len(got) != 0 {
		t.Fatalf("a Sync to the same height read the service again at %v", got)
	}

	n.setHeight(11)
	syncTo(t, v, 11)
	s := v.Status("hello")
	if !s.Exists || !s.Paused || !strings.Contains(s.Reason, "paused by its owners") {
		t.Fatalf("at 11: %+v, want paused by its owners", s)
	}
	v.Status("hello")
	if got := n.asked(pathService); !heights(got, 11) {
		t.Fatalf("after the height moved the service was read at %v, want once at 11", got)
	}
}

// TestReplicasCachedPerHeight: the replicas of a service (its open leases
// and their sharers' endpoints) are read once per height, the sharer's
// record shared with Sharer.
func TestReplicasCachedPerHeight(t *testing.T) {
	const self, other = "q11self", "q11other"
	v, n := newView(t, WithSelf(func() string { return self }))
	n.handle(pathLeases, func(h int64, _ []byte) (proto.Message, error) {
		ls := []sharerstypes.Lease{{Id: 1, Service: "hello", Sharer: self}, {Id: 2, Service: "hello", Sharer: other},
			{Id: 3, Service: "hello", Sharer: other, ClosedHeight: 4}}
		if h >= 11 {
			ls = ls[1:] // lease 1 closed
		}
		return &sharerstypes.QueryLeasesResponse{Leases: ls}, nil
	})
	n.handle(pathSharer, func(_ int64, req []byte) (proto.Message, error) {
		var r sharerstypes.QuerySharerRequest
		if err := proto.Unmarshal(req, &r); err != nil {
			return nil, err
		}
		return &sharerstypes.QuerySharerResponse{Sharer: sharerstypes.Sharer{Address: r.Address, Endpoint: "https://" + r.Address}}, nil
	})
	n.setHeight(10)
	syncTo(t, v, 10)
	for range 2 {
		rs := v.Replicas("hello")
		if len(rs) != 2 || rs[0].Sharer != self || !rs[0].Local || rs[1].Sharer != other || rs[1].Local || rs[1].Endpoint != "https://"+other || rs[1].Lease != 2 {
			t.Fatalf("replicas at 10: %+v", rs)
		}
	}
	if s, ok := v.Sharer(other); !ok || s.Endpoint != "https://"+other {
		t.Fatalf("Sharer(%s) = %+v, %v", other, s, ok)
	}
	if l, s := n.asked(pathLeases), n.asked(pathSharer); !heights(l, 10) || !heights(s, 10, 10) {
		t.Fatalf("at one height: leases read at %v, sharers at %v; want once, and once per sharer", l, s)
	}
	n.setHeight(11)
	syncTo(t, v, 11)
	if rs := v.Replicas("hello"); len(rs) != 1 || rs[0].Sharer != other {
		t.Fatalf("replicas at 11: %+v, want only %s's", rs, other)
	}
	if l, s := n.asked(pathLeases), n.asked(pathSharer); !heights(l, 11) || !heights(s, 11) {
		t.Fatalf("at the next height: leases read at %v, sharers at %v", l, s)
	}
}

// TestFailedReadsAreNotCached: a read that fails says the chain is
// unavailable, and the next question asks again at the same height.
func TestFailedReadsAreNotCached(t *testing.T) {
	v, n := newView(t)
	n.setHeight(10)
	syncTo(t, v, 10)
	fail := true
	answer := activeUntil(1000)
	n.handle(pathService, func(h int64, req []byte) (proto.Message, error) {
		if fail {
			return nil, errors.New("connection reset by peer")
		}
		return answer(h, req)
	})
	if s := v.Status("hello"); s.Exists || !strings.Contains(s.Unavailable, "connection reset by peer") {
		t.Fatalf("a failed read: %+v, want Unavailable", s)
	}
	fail = false
	if s := v.Status("hello"); !s.Exists || s.Unavailable != "" {
		t.Fatalf("after the failure: %+v, want the chain's answer", s)
	}
	if got := n.asked(pathService); !heights(got, 10, 10) {
		t.Fatalf("read at %v, want twice at 10", got)
	}
}

// TestNotFoundIsAnAnswer: the chain saying it has no such thing (gRPC
// NotFound) is a known absence, cached for the height; any other refusal
// is an error.
func TestNotFoundIsAnAnswer(t *testing.T) {
	v, n := newView(t)
	ctx := context.Background()
	n.setHeight(10)
	syncTo(t, v, 10)
	n.handle(pathService, activeUntil(1000))

	for range 2 {
		if s := v.Status("nope"); s.Exists || s.Unavailable != "" {
			t.Fatalf("a missing service: %+v, want absent and no error", s)
		}
		if _, ok := v.Manifest("nope"); ok {
			t.Fatal("a missing service has a manifest")
		}
	}
	if got := n.asked(pathService); !heights(got, 10) {
		t.Errorf("a missing service read at %v, want once at 10 (the absence is cached)", got)
	}

	refuse := false
	n.handle(pathLease, func(int64, []byte) (proto.Message, error) {
		if refuse {
			return nil, errRefused
		}
		return nil, errNotFound
	})
	if _, found, err := v.Lease(ctx, 7); found || err != nil {
		t.Errorf("Lease of a missing lease = found %v, %v; want not found, no error", found, err)
	}
	refuse = true
	if _, found, err := v.Lease(ctx, 7); found || err == nil {
		t.Errorf("Lease when the chain refuses = found %v, %v; want an error", found, err)
	}

	refuse = false
	n.handle(pathReport, func(int64, []byte) (proto.Message, error) {
		if refuse {
			return nil, errRefused
		}
		return nil, errNotFound
	})
	if ok, err := v.Reported(ctx, "q11sharer", 3); ok || err != nil {
		t.Errorf("Reported without a report = %v, %v; want false, no error", ok, err)
	}
	refuse = true
	if _, err := v.Reported(ctx, "q11sharer", 3); err == nil {
		t.Error("Reported when the chain refuses: no error")
	}

	n.handle(pathSharer, func(int64, []byte) (proto.Message, error) { return nil, errNotFound })
	if _, ok := v.Sharer("q11nobody"); ok {
		t.Error("a missing sharer was found")
	}
	if _, err := v.PubKey("q11nobody"); err == nil || !strings.Contains(err.Error(), "no sharer q11nobody on chain") {
		t.Errorf("PubKey of a missing sharer: %v", err)
	}
}

// epochs models x/sharers' epochs of ten blocks, epoch 1 starting at
// height 1: the EndBlocker of an epoch's last block starts the next one,
// so the state committed at height h already has the epoch of block h+1
// as its current epoch.
func epochs(t *testing.T) handler {
	return func(h int64, _ []byte) (proto.Message, error) {
		if h <= 0 {
			t.Errorf("the epoch was read at height %d, not pinned", h)
		}
		n := uint64(h/10 + 1)
		return &sharerstypes.QueryEpochResponse{Current: sharerstypes.EpochInfo{Number: n, StartHeight: int64(n-1)*10 + 1}, EpochBlocks: 10}, nil
	}
}

// TestEndedEpoch: an ended epoch's heights come from the state of the
// block before its last one (the last one's state is already in the next
// epoch), walking back one epoch per read.
func TestEndedEpoch(t *testing.T) {
	v, n := newView(t)
	ctx := context.Background()
	n.handle(pathEpoch, epochs(t))
	n.setHeight(35) // epoch 4 (31–40) under way
	syncTo(t, v, 35)

	got, err := v.EndedEpoch(ctx, 3)
	if err != nil || got.Number != 3 || got.StartHeight != 21 || got.EndHeight != 30 {
		t.Fatalf("EndedEpoch(3) = %+v, %v; want 3 from 21 to 30", got, err)
	}
	if h := n.asked(pathEpoch); !heights(h, 35, 29) {
		t.Errorf("epoch read at %v, want 35 (now) and 29 (the block before epoch 3's last)", h)
	}

	got, err = v.EndedEpoch(ctx, 1)
	if err != nil || got.Number != 1 || got.StartHeight != 1 || got.EndHeight != 10 {
		t.Fatalf("EndedEpoch(1) = %+v, %v; want 1 from 1 to 10", got, err)
	}
	if h := n.asked(pathEpoch); !heights(h, 35, 29, 19, 9) {
		t.Errorf("epoch read at %v, want 35, 29, 19, 9", h)
	}

	if _, err := v.EndedEpoch(ctx, 4); err == nil || !strings.Contains(err.Error(), "epoch 4 has not ended at height 35") {
		t.Errorf("EndedEpoch(4) while it is under way: %v", err)
	}

	// The state read must be in the epoch before: a chain whose epochs do
	// not line up is reported, not guessed at.
	n.handle(pathEpoch, func(h int64, req []byte) (proto.Message, error) {
		if h == 29 {
			return &sharerstypes.QueryEpochResponse{Current: sharerstypes.EpochInfo{Number: 2, StartHeight: 11}}, nil
		}
		return epochs(t)(h, req)
	})
	if _, err := v.EndedEpoch(ctx, 3); err == nil || !strings.Contains(err.Error(), "the state at height 29 is in epoch 2, but epoch 4 began at height 31") {
		t.Errorf("epochs that do not line up: %v", err)
	}

	n.handle(pathEpoch, epochs(t))
	n.setHeight(1000) // epoch 101
	syncTo(t, v, 1000)
	if _, err := v.EndedEpoch(ctx, 101-maxEpochsBack-1); err == nil || !strings.Contains(err.Error(), "ended more than 16 epochs before the current one (101)") {
		t.Errorf("an epoch too far back: %v", err)
	}
	n.asked(pathEpoch)
	if got, err := v.EndedEpoch(ctx, 101-maxEpochsBack); err != nil || got.Number != 101-maxEpochsBack {
		t.Errorf("the oldest epoch allowed: %+v, %v", got, err)
	}
}

// TestEpochAskedOncePerHeight: the agent, the meter and the audit worker
// ask for the epoch several times a block; the view asks the chain once
// per height, at that height, and a failed read is asked again.
func TestEpochAskedOncePerHeight(t *testing.T) {
	v, n := newView(t)
	fail := false
	n.handle(pathEpoch, func(h int64, _ []byte) (proto.Message, error) {
		if fail {
			return nil, errRefused
		}
		return &sharerstypes.QueryEpochResponse{Current: sharerstypes.EpochInfo{Number: uint64(h / 20)}, EpochBlocks: 20}, nil
	})
	n.setHeight(40)
	syncTo(t, v, 40)
	for range 3 {
		if e, err := v.Epoch(context.Background()); err != nil || e != 2 {
			t.Fatalf("Epoch = %d, %v; want 2", e, err)
		}
		if e, blocks, err := v.EpochLength(context.Background()); err != nil || e != 2 || blocks != 20 {
			t.Fatalf("EpochLength = %d, %d, %v; want 2, 20", e, blocks, err)
		}
	}
	if got := n.asked(pathEpoch); !heights(got, 40) {
		t.Fatalf("at one height the epoch was read at %v; want once, at 40", got)
	}
	n.setHeight(60)
	syncTo(t, v, 60)
	fail = true
	if _, err := v.Epoch(context.Background()); err == nil {
		t.Fatal("a failed read answered")
	}
	fail = false
	if e, err := v.Epoch(context.Background()); err != nil || e != 3 {
		t.Fatalf("Epoch at 60 = %d, %v; want 3", e, err)
	}
	if got := n.asked(pathEpoch); !heights(got, 60, 60) {
		t.Fatalf("at the next height the epoch was read at %v; want at 60, and again after the failure", got)
	}
}
