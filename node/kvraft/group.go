package kvraft

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Group is one replicated store: a Raft group and its state machine on
// this host. Its methods are safe for concurrent use.
type Group struct {
	h    *Host
	name string

	// mu guards the raft node and everything the host's goroutine changes
	// while it handles a Ready.
	mu           sync.Mutex
	rn           *raft.RawNode
	st           *diskStorage
	confState    *pb.ConfState
	snapIndex    uint64
	failed       error
	confInFlight bool
	installed    int // snapshots received from a leader

	fsmMu sync.RWMutex
	fsm   *StateMachine

	// wmu guards the waiters and the applied index (written only by the
	// host's goroutine).
	wmu         sync.Mutex
	applied     uint64
	appliedCh   chan struct{}
	proposals   map[uint64]chan Result
	reads       map[uint64]chan uint64
	confWaiters map[uint64]chan error

	leader   atomic.Uint64
	isLeader atomic.Bool

	// stop is closed when the host closes or the group is deleted; every
	// waiting call returns then.
	stop     chan struct{}
	stopOnce sync.Once
	deleted  atomic.Bool
}

// ErrGroupDeleted is returned by calls on a group deleted from its host.
var ErrGroupDeleted = errors.New("kvraft: group deleted")

// ErrNoQuorum is what a *NoQuorumError matches with errors.Is.
var ErrNoQuorum = errors.New("kvraft: no quorum")

// NoQuorumError fails a call that could not be confirmed by a majority
// before its deadline while a majority of the members is out of reach.
// The node maps it to HTTP 503.
type NoQuorumError struct {
	Group     string
	Op        string
	Reachable int // members heard from recently, this node included
	Members   int // voters
}

func (e *NoQuorumError) Error() string {
	return fmt.Sprintf("kvraft group %q: %s failed: no quorum: %d of %d members reachable (a majority is %d); "+
		"the store is unavailable, not inconsistent (a write that timed out may still commit once a majority is back)",
		e.Group, e.Op, e.Reachable, e.Members, e.Members/2+1)
}

// Is reports whether target is ErrNoQuorum.
func (e *NoQuorumError) Is(target error) bool { return target == ErrNoQuorum }

// ErrNotLeader is what a *NotLeaderError matches with errors.Is.
var ErrNotLeader = errors.New("kvraft: not the leader")

// NotLeaderError refuses a membership change on a member that is not the
// group's leader.
type NotLeaderError struct {
	Group  string
	Node   uint64
	Leader uint64 // 0 if none is known
}

func (e *NotLeaderError) Error() string {
	return fmt.Sprintf("kvraft group %q: node %d is not the leader (leader: %d, 0 = unknown); membership changes run on the leader",
		e.Group, e.Node, e.Leader)
}

// Is reports whether target is ErrNotLeader.
func (e *NotLeaderError) Is(target error) bool { return target == ErrNotLeader }

// ErrChangePending refuses a membership change while another is not yet
// applied: changes go one at a time.
var ErrChangePending = errors.New("kvraft: a membership change is pending")

// Name returns the group's name.
func (g *Group) Name() string { return g.name }

// Leader returns the leader this member knows of (0 = none).
func (g *Group) Leader() uint64 { return g.leader.Load() }

// IsLeader reports whether this member leads the group.
func (g *Group) IsLeader() bool { return g.isLeader.Load() }

// Applied returns the index of the last entry applied on this member.
func (g *Group) Applied() uint64 {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	return g.applied
}

// Members returns the group's voters and learners as this member knows them.
func (g *Group) Members() (voters, learners []uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]uint64(nil), g.confState.GetVoters()...), append([]uint64(nil), g.confState.GetLearners()...)
}

// LocalGet reads key from this member's copy without asking the group:
// it may be stale. Tests use it to see what a member has applied.
func (g *Group) LocalGet(key string) (Item, bool) {
	g.fsmMu.RLock()
	defer g.fsmMu.RUnlock()
	return g.fsm.Get(key)
}

// Propose replicates cmd and returns its result once a majority has
// committed it and this member has applied it: the output gate. A command
// the state machine refuses (a conflict, the quota) returns its Result
// with the refusal as the error too. A proposal on a follower is
// forwarded to the leader. If ctx ends first, the error is a
// *NoQuorumError when a majority is out of reach; either way the write
// may still commit later.
func (g *Group) Propose(ctx context.Context, cmd Command) (Result, error) {
	op := cmd.Op.String()
	if cmd.Op < OpPut || cmd.Op > OpSetQuota {
		return Result{}, fmt.Errorf("kvraft group %q: propose: unknown command %s", g.name, op)
	}
	if err := g.usable(op); err != nil {
		return Result{}, err
	}
	id := g.h.nextID()
	data, err := json.Marshal(proposal{ID: id, Origin: g.h.id, Cmd: cmd})
	if err != nil {
		return Result{}, fmt.Errorf("kvraft group %q: %s: encode: %w", g.name, op, err)
	}
	ch := make(chan Result, 1)
	g.wmu.Lock()
	g.proposals[id] = ch
	g.wmu.Unlock()
	defer func() {
		g.wmu.Lock()
		delete(g.proposals, id)
		g.wmu.Unlock()
	}()
	retry := time.NewTicker(g.h.cfg.TickInterval)
	defer retry.Stop()
	for {
		g.mu.Lock()
		err := g.rn.Propose(data)
		g.mu.Unlock()
		if err == nil {
			break
		}
		if !errors.Is(err, raft.ErrProposalDropped) {
			return Result{}, fmt.Errorf("kvraft group %q: %s: %w", g.name, op, err)
		}
		// No leader is known (or one is being transferred): nothing was
		// appended, so trying again cannot apply the command twice.
		select {
		case <-retry.C:
		case <-ctx.Done():
			return Result{}, g.deadline(op, ctx.Err())
		case <-g.stop:
			return Result{}, g.stopped(op, "")
		}
	}
	g.h.markDirty(g)
	select {
	case r := <-ch:
		return r, r.Err
	case <-ctx.Done():
		return Result{}, g.deadline(op, ctx.Err())
	case <-g.stop:
		return Result{}, g.stopped(op, " (the write may still commit)")
	}
}

// Put stores value under key and returns the key's new version.
func (g *Group) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	r, err := g.Propose(ctx, Command{Op: OpPut, Key: key, Value: value})
	return r.Revision, err
}

// Delete removes key.
func (g *Group) Delete(ctx context.Context, key string) error {
	_, err := g.Propose(ctx, Command{Op: OpDelete, Key: key})
	return err
}

// CompareAndSwap stores value under key if the key is at version (0 =
// absent) and returns the new version; otherwise a *ConflictError.
func (g *Group) CompareAndSwap(ctx context.Context, key string, version uint64, value []byte) (uint64, error) {
	r, err := g.Propose(ctx, Command{Op: OpCompareAndSwap, Key: key, Version: version, Value: value})
	return r.Revision, err
}

// Txn applies writes if every key in reads is still at the version read
// (0 = absent); otherwise a *ConflictError naming the first changed key.
func (g *Group) Txn(ctx context.Context, reads map[string]uint64, writes []Write) (uint64, error) {
	r, err := g.Propose(ctx, Command{Op: OpTxn, Reads: reads, Writes: writes})
	return r.Revision, err
}

// Get returns key's value and version, linearizably: it asks the leader
// for its commit index (raft's ReadIndex, one heartbeat round to a
// majority) and waits until this member has applied that far.
func (g *Group) Get(ctx context.Context, key string) (Item, bool, error) {
	if err := g.linearize(ctx, "get"); err != nil {
		return Item{}, false, err
	}
	it, ok := g.LocalGet(key)
	return it, ok, nil
}

// List returns up to limit keys (all if limit <= 0) with prefix that sort
// after after, linearizably like Get.
func (g *Group) List(ctx context.Context, prefix, after string, limit int) ([]KeyVersion, error) {
	if err := g.linearize(ctx, "list"); err != nil {
		return nil, err
	}
	g.fsmMu.RLock()
	defer g.fsmMu.RUnlock()
	return g.fsm.List(prefix, after, limit), nil
}

// linearize waits until this member has applied everything committed
// before the call began.
func (g *Group) linearize(ctx context.Context, op string) error {
	if err := g.usable(op); err != nil {
		return err
	}
	id := g.h.nextID()
	rctx := binary.BigEndian.AppendUint64(nil, id)
	ch := make(chan uint64, 1)
	g.wmu.Lock()
	g.reads[id] = ch
	g.wmu.Unlock()
	defer func() {
		g.wmu.Lock()
		delete(g.reads, id)
		g.wmu.Unlock()
	}()
	// A read index request is lost when no leader is known or the leader
	// changes; asking again is harmless.
	retry := time.NewTicker(time.Duration(g.h.cfg.ElectionTicks) * g.h.cfg.TickInterval / 2)
	defer retry.Stop()
	var index uint64
	for index == 0 {
		g.mu.Lock()
		g.rn.ReadIndex(rctx)
		g.mu.Unlock()
		g.h.markDirty(g)
		select {
		case index = <-ch:
		case <-retry.C:
		case <-ctx.Done():
			return g.deadline(op, ctx.Err())
		case <-g.stop:
			return g.stopped(op, "")
		}
	}
	for {
		g.wmu.Lock()
		applied, wake := g.applied, g.appliedCh
		g.wmu.Unlock()
		if applied >= index {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return g.deadline(op, ctx.Err())
		case <-g.stop:
			return g.stopped(op, "")
		}
	}
}

// usable refuses calls on a closed host, a deleted group or a failed one.
func (g *Group) usable(op string) error {
	select {
	case <-g.stop:
		return g.stopped(op, "")
	default:
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed != nil {
		return fmt.Errorf("kvraft group %q: %s: the group stopped on node %d after a storage error: %w", g.name, op, g.h.id, g.failed)
	}
	return nil
}

// stopped explains a call cut short because the host closed or the group
// was deleted.
func (g *Group) stopped(op, note string) error {
	if g.deleted.Load() {
		return fmt.Errorf("kvraft group %q: %s: %w on node %d%s", g.name, op, ErrGroupDeleted, g.h.id, note)
	}
	g.mu.Lock()
	failed := g.failed
	g.mu.Unlock()
	if failed != nil {
		return fmt.Errorf("kvraft group %q: %s: the group stopped on node %d after a storage error%s: %w", g.name, op, g.h.id, note, failed)
	}
	return fmt.Errorf("kvraft group %q: %s: %w%s", g.name, op, ErrClosed, note)
}

// deadline explains a call that ran out of time.
func (g *Group) deadline(op string, cause error) error {
	g.mu.Lock()
	voters := append([]uint64(nil), g.confState.GetVoters()...)
	g.mu.Unlock()
	reach := g.h.reachable(voters)
	if len(voters) == 0 || reach < len(voters)/2+1 {
		return &NoQuorumError{Group: g.name, Op: op, Reachable: reach, Members: len(voters)}
	}
	return fmt.Errorf("kvraft group %q: %s not confirmed in time (leader %d, %d of %d members reachable; a write may still commit): %w",
		g.name, op, g.Leader(), reach, len(voters), cause)
}

// AddLearner adds node id as a learner: it receives the log (or a
// snapshot) but does not vote. Create the group on that node first, with
// no peers. Node ids must never have been members before.
func (g *Group) AddLearner(ctx context.Context, id uint64) error {
	return g.changeConf(ctx, pb.ConfChangeAddLearnerNode, id)
}

// Promote makes learner id a voter. It is refused until the learner has
// the whole committed log: poll until it succeeds.
func (g *Group) Promote(ctx context.Context, id uint64) error {
	return g.changeConf(ctx, pb.ConfChangeAddNode, id)
}

// Remove removes node id (a voter or a learner) from the group.
func (g *Group) Remove(ctx context.Context, id uint64) error {
	return g.changeConf(ctx, pb.ConfChangeRemoveNode, id)
}

func (g *Group) changeConf(ctx context.Context, typ pb.ConfChangeType, id uint64) error {
	what := map[pb.ConfChangeType]string{pb.ConfChangeAddLearnerNode: "add learner", pb.ConfChangeAddNode: "promote", pb.ConfChangeRemoveNode: "remove"}[typ]
	what = fmt.Sprintf("%s %d", what, id)
	if err := g.usable(what); err != nil {
		return err
	}
	if id == 0 {
		return fmt.Errorf("kvraft group %q: %s: node id 0 is not allowed", g.name, what)
	}
	reqID := g.h.nextID()
	ch := make(chan error, 1)
	g.mu.Lock()
	st := g.rn.Status()
	if st.RaftState != raft.StateLeader {
		g.mu.Unlock()
		return &NotLeaderError{Group: g.name, Node: g.h.id, Leader: st.Lead}
	}
	if g.confInFlight || g.confPendingInLog(st.Applied) {
		g.mu.Unlock()
		return fmt.Errorf("kvraft group %q: %s refused: %w (one change at a time; retry once it is applied)", g.name, what, ErrChangePending)
	}
	_, isVoter := st.Config.Voters.IDs()[id]
	_, isLearner := st.Config.Learners[id]
	var refuse string
	switch typ {
	case pb.ConfChangeAddLearnerNode:
		if isVoter || isLearner {
			refuse = "it is a member already"
		}
	case pb.ConfChangeAddNode:
		if !isLearner {
			refuse = "it is not a learner (add it as a learner first)"
		} else if pr := st.Progress[id]; pr.Match < st.GetCommit() {
			refuse = fmt.Sprintf("it has the log up to index %d of %d committed; promote it once it has caught up", pr.Match, st.GetCommit())
		}
	case pb.ConfChangeRemoveNode:
		if !isVoter && !isLearner {
			refuse = "it is not a member"
		} else if isVoter && len(st.Config.Voters.IDs()) == 1 {
			refuse = "it is the last voter"
		}
	}
	if refuse != "" {
		g.mu.Unlock()
		return fmt.Errorf("kvraft group %q: %s refused: %s", g.name, what, refuse)
	}
	cc := &pb.ConfChange{Type: typ.Enum(), NodeId: new(id),
		Context: binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, g.h.id), reqID)}
	g.wmu.Lock()
	g.confWaiters[reqID] = ch
	g.wmu.Unlock()
	err := g.rn.ProposeConfChange(cc)
	if err == nil {
		g.confInFlight = true
	}
	g.mu.Unlock()
	defer func() {
		g.wmu.Lock()
		delete(g.confWaiters, reqID)
		g.wmu.Unlock()
	}()
	if err != nil {
		return fmt.Errorf("kvraft group %q: %s: %w", g.name, what, err)
	}
	g.h.markDirty(g)
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		g.mu.Lock()
		g.confInFlight = false // the log scan still sees the entry if it was appended
		g.mu.Unlock()
		return g.deadline(what, ctx.Err())
	case <-g.stop:
		return g.stopped(what, " (the change may still be applied)")
	}
}

// confPendingInLog reports whether the stored log holds a membership
// change after applied. g.mu is held.
func (g *Group) confPendingInLog(applied uint64) bool {
	last, err := g.st.LastIndex()
	if err != nil || last <= applied {
		return false
	}
	ents, err := g.st.Entries(applied+1, last+1, math.MaxUint64)
	if err != nil {
		return true // compacted or unavailable: be safe
	}
	for _, e := range ents {
		if e.GetType() != pb.EntryNormal {
			return true
		}
	}
	return false
}
