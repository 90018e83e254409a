package kvraft

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Config configures a Host.
type Config struct {
	// NodeID is this node's id in every group it joins. It must be
	// non-zero and never reused by another node (the node uses lease ids).
	NodeID uint64
	// Dir holds the host's LevelDB database: every group's raft log,
	// hard state and snapshot.
	Dir string
	// Transport carries batches to other nodes.
	Transport Transport
	// TickInterval is how often the host ticks every group (default 100 ms).
	TickInterval time.Duration
	// ElectionTicks and HeartbeatTicks are raft's timeouts in ticks
	// (defaults 10 and 2).
	ElectionTicks, HeartbeatTicks int
	// SnapshotEvery compacts a group's log into a snapshot after this many
	// applied entries (default 10000).
	SnapshotEvery uint64
	// NoSync skips the fsync of each raft write. Only tests should set it:
	// without the sync a power loss can forget a vote or an acknowledged
	// entry.
	NoSync bool
	// Logger receives raft's warnings and errors (default: discarded).
	Logger *log.Logger
}

// GroupOptions configures a group when it is created.
type GroupOptions struct {
	// Peers are the group's first voters, this node among them, the same
	// list on every founding member. Leave it empty on a node that will
	// join an existing group: it waits, empty, until the leader adds it
	// as a learner and sends it the log or a snapshot.
	Peers []uint64
	// Quota is the store's first byte quota (0 = none). Every member must
	// be created with the same value; later changes go through the log
	// (Command{Op: OpSetQuota}).
	Quota int64
}

// ErrClosed is returned by calls on a closed host.
var ErrClosed = errors.New("kvraft: host closed")

// Host runs every Raft group of one node. One goroutine ticks all groups,
// persists and applies their Ready batches, and sends their messages
// batched per destination node, so the heartbeats of many groups between
// two nodes travel as one batch per tick.
type Host struct {
	cfg Config
	id  uint64
	db  *leveldb.DB

	mu     sync.RWMutex
	groups map[string]*Group

	dirtyMu sync.Mutex
	dirty   map[*Group]struct{}
	kick    chan struct{}

	heardMu sync.Mutex
	heard   map[uint64]time.Time

	closing chan struct{}
	done    chan struct{}
	closed  atomic.Bool

	idBase uint64
	idCtr  atomic.Uint64

	batchesSent, messagesSent, bytesSent atomic.Uint64
}

// Open opens (or creates) the host's database in cfg.Dir, reopens every
// group stored there and starts the host's goroutine.
func Open(cfg Config) (*Host, error) {
	if cfg.NodeID == 0 {
		return nil, errors.New("kvraft open: NodeID must be non-zero")
	}
	if cfg.Transport == nil {
		return nil, fmt.Errorf("kvraft open node %d: no transport", cfg.NodeID)
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = 100 * time.Millisecond
	}
	if cfg.ElectionTicks <= 0 {
		cfg.ElectionTicks = 10
	}
	if cfg.HeartbeatTicks <= 0 {
		cfg.HeartbeatTicks = 2
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = 10000
	}
	if cfg.Logger == nil {
		cfg.Logger = log.New(io.Discard, "", 0)
	}
	db, err := leveldb.OpenFile(cfg.Dir, nil)
	if err != nil {
		return nil, fmt.Errorf("kvraft open node %d: database %s: %w", cfg.NodeID, cfg.Dir, err)
	}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	h := &Host{cfg: cfg, id: cfg.NodeID, db: db, groups: map[string]*Group{},
		dirty: map[*Group]struct{}{}, kick: make(chan struct{}, 1), heard: map[uint64]time.Time{},
		closing: make(chan struct{}), done: make(chan struct{}),
		// Proposal ids start at a random point so that an entry proposed
		// before a restart never matches a waiter after it.
		idBase: binary.BigEndian.Uint64(seed[:])}
	names, err := storedGroups(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("kvraft open node %d: list stored groups: %w", cfg.NodeID, err)
	}
	for _, name := range names {
		var meta groupMeta
		b, err := db.Get(groupKey(name, keyMeta), nil)
		if err == nil {
			err = json.Unmarshal(b, &meta)
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("kvraft open node %d: group %q: read its settings: %w", cfg.NodeID, name, err)
		}
		g, err := h.startGroup(name, meta, nil)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("kvraft open node %d: %w", cfg.NodeID, err)
		}
		h.groups[name] = g
	}
	go h.run()
	return h, nil
}

// groupMeta is what a host stores about a group besides its raft state.
type groupMeta struct {
	Quota int64 `json:"quota"`
}

// ID returns the host's node id.
func (h *Host) ID() uint64 { return h.id }

// CreateGroup creates group name on this host and persists it, so that a
// reopened host has it again. See GroupOptions for founding and joining.
func (h *Host) CreateGroup(name string, opts GroupOptions) (*Group, error) {
	if name == "" || len(name) > 256 || containsNUL(name) {
		return nil, fmt.Errorf("kvraft node %d: create group %q: a group name has 1 to 256 bytes and no NUL", h.id, name)
	}
	if h.closed.Load() {
		return nil, fmt.Errorf("kvraft node %d: create group %q: %w", h.id, name, ErrClosed)
	}
	if len(opts.Peers) > 0 {
		self := false
		for _, p := range opts.Peers {
			self = self || p == h.id
			if p == 0 {
				return nil, fmt.Errorf("kvraft node %d: create group %q: peer id 0 is not allowed", h.id, name)
			}
		}
		if !self {
			return nil, fmt.Errorf("kvraft node %d: create group %q: the peers %v do not include this node", h.id, name, opts.Peers)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.groups[name]; ok {
		return nil, fmt.Errorf("kvraft node %d: create group %q: it exists already", h.id, name)
	}
	meta := groupMeta{Quota: opts.Quota}
	b, _ := json.Marshal(meta)
	if err := h.db.Put(groupKey(name, keyMeta), b, nil); err != nil {
		return nil, fmt.Errorf("kvraft node %d: create group %q: %w", h.id, name, err)
	}
	g, err := h.startGroup(name, meta, opts.Peers)
	if err != nil {
		return nil, fmt.Errorf("kvraft node %d: %w", h.id, err)
	}
	h.groups[name] = g
	h.markDirty(g)
	return g, nil
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// DeleteGroup stops group name on this host and deletes its data (its log,
// hard state and snapshot). The node calls it once this node's member was
// removed from the group, or the group was dropped everywhere. Calls
// waiting on the group fail with ErrGroupDeleted.
func (h *Host) DeleteGroup(name string) error {
	h.mu.Lock()
	g := h.groups[name]
	delete(h.groups, name)
	h.mu.Unlock()
	if g == nil {
		return fmt.Errorf("kvraft node %d: delete group %q: no such group", h.id, name)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.deleted.Store(true)
	g.failed = ErrGroupDeleted // the host's goroutine no longer handles it
	g.stopOnce.Do(func() { close(g.stop) })
	var b leveldb.Batch
	it := h.db.NewIterator(util.BytesPrefix(groupPrefix(name)), nil)
	for it.Next() {
		b.Delete(append([]byte(nil), it.Key()...))
	}
	it.Release()
	if err := it.Error(); err != nil {
		return fmt.Errorf("kvraft node %d: delete group %q: list its keys: %w", h.id, name, err)
	}
	if err := h.db.Write(&b, nil); err != nil {
		return fmt.Errorf("kvraft node %d: delete group %q: %w", h.id, name, err)
	}
	return nil
}

// Group returns the group called name, or nil.
func (h *Host) Group(name string) *Group {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.groups[name]
}

// Groups returns the names of the host's groups, sorted.
func (h *Host) Groups() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.groups))
	for n := range h.groups {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// startGroup builds a group from what the database holds; peers bootstrap
// a fresh one.
func (h *Host) startGroup(name string, meta groupMeta, peers []uint64) (*Group, error) {
	st, fresh, err := openStorage(h.db, name, !h.cfg.NoSync)
	if err != nil {
		return nil, err
	}
	g := &Group{h: h, name: name, st: st, fsm: NewStateMachine(meta.Quota),
		appliedCh: make(chan struct{}), proposals: map[uint64]chan Result{}, stop: make(chan struct{}),
		reads: map[uint64]chan uint64{}, confWaiters: map[uint64]chan error{}}
	snap, err := st.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("group %q: read the snapshot: %w", name, err)
	}
	if !raft.IsEmptySnap(snap) {
		if err := g.fsm.Restore(snap.GetData()); err != nil {
			return nil, fmt.Errorf("group %q: %w", name, err)
		}
		g.applied = snap.GetMetadata().GetIndex()
		g.snapIndex = g.applied
	}
	_, cs, err := st.InitialState()
	if err != nil {
		return nil, fmt.Errorf("group %q: read the initial state: %w", name, err)
	}
	g.confState = cs
	rc := &raft.Config{
		ID:                       h.id,
		ElectionTick:             h.cfg.ElectionTicks,
		HeartbeatTick:            h.cfg.HeartbeatTicks,
		Storage:                  st,
		Applied:                  g.applied,
		MaxSizePerMsg:            1 << 20,
		MaxCommittedSizePerReady: 4 << 20,
		MaxInflightMsgs:          256,
		CheckQuorum:              true,
		PreVote:                  true,
		StepDownOnRemoval:        true,
		Logger:                   raftLogger{l: h.cfg.Logger},
	}
	rn, err := raft.NewRawNode(rc)
	if err != nil {
		return nil, fmt.Errorf("group %q: start raft: %w", name, err)
	}
	if fresh && len(peers) > 0 {
		ps := make([]raft.Peer, len(peers))
		for i, p := range peers {
			ps[i] = raft.Peer{ID: p}
		}
		if err := rn.Bootstrap(ps); err != nil {
			return nil, fmt.Errorf("group %q: bootstrap with peers %v: %w", name, peers, err)
		}
	}
	g.rn = rn
	return g, nil
}

// Close stops the host's goroutine, fails every waiting call with
// ErrClosed and closes the database. Groups keep their data on disk.
func (h *Host) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	close(h.closing)
	<-h.done
	h.mu.RLock()
	for _, g := range h.groups {
		g.stopOnce.Do(func() { close(g.stop) })
	}
	h.mu.RUnlock()
	if err := h.db.Close(); err != nil {
		return fmt.Errorf("kvraft close node %d: %w", h.id, err)
	}
	return nil
}

func (h *Host) nextID() uint64 { return h.idBase + h.idCtr.Add(1) }

func (h *Host) markDirty(g *Group) {
	h.dirtyMu.Lock()
	h.dirty[g] = struct{}{}
	h.dirtyMu.Unlock()
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// run is the host's one goroutine.
func (h *Host) run() {
	defer close(h.done)
	t := time.NewTicker(h.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-h.closing:
			return
		case <-t.C:
			h.mu.RLock()
			for _, g := range h.groups {
				g.mu.Lock()
				g.rn.Tick()
				g.mu.Unlock()
				h.dirtyMu.Lock()
				h.dirty[g] = struct{}{}
				h.dirtyMu.Unlock()
			}
			h.mu.RUnlock()
		case <-h.kick:
		}
		h.round()
	}
}

// outMsg is one raft message waiting to be sent.
type outMsg struct {
	g *Group
	m *pb.Message
}

// round handles the Ready of every dirty group, then sends what they
// produced, one batch per destination node.
func (h *Host) round() {
	h.dirtyMu.Lock()
	dirty := h.dirty
	h.dirty = map[*Group]struct{}{}
	h.dirtyMu.Unlock()
	out := map[uint64][]outMsg{}
	for g := range dirty {
		for _, m := range g.handleReady() {
			out[m.GetTo()] = append(out[m.GetTo()], outMsg{g: g, m: m})
		}
	}
	for to, msgs := range out {
		h.sendBatch(to, msgs)
	}
}

func (h *Host) sendBatch(to uint64, msgs []outMsg) {
	b := Batch{From: h.id, To: to, Messages: make([]Envelope, len(msgs))}
	for i, m := range msgs {
		b.Messages[i] = Envelope{Group: m.g.name, Msg: m.m}
	}
	data, err := b.Encode()
	if err == nil {
		err = h.cfg.Transport.Send(to, data)
	}
	if err == nil {
		h.batchesSent.Add(1)
		h.messagesSent.Add(uint64(len(msgs)))
		h.bytesSent.Add(uint64(len(data)))
	}
	for _, m := range msgs {
		switch {
		case err != nil:
			m.g.mu.Lock()
			m.g.rn.ReportUnreachable(to)
			if m.m.GetType() == pb.MsgSnap {
				m.g.rn.ReportSnapshot(to, raft.SnapshotFailure)
			}
			m.g.mu.Unlock()
		case m.m.GetType() == pb.MsgSnap:
			// The snapshot travels inside the batch: once sent, it is done.
			m.g.mu.Lock()
			m.g.rn.ReportSnapshot(to, raft.SnapshotFinish)
			m.g.mu.Unlock()
		}
	}
}

// Deliver hands the host a batch another node sent. Messages for groups
// the host does not have are dropped.
func (h *Host) Deliver(data []byte) error {
	if h.closed.Load() {
		return fmt.Errorf("kvraft node %d: deliver: %w", h.id, ErrClosed)
	}
	b, err := DecodeBatch(data)
	if err != nil {
		return fmt.Errorf("kvraft node %d: deliver: %w", h.id, err)
	}
	if b.To != h.id {
		return fmt.Errorf("kvraft node %d: deliver: the batch from node %d is addressed to node %d", h.id, b.From, b.To)
	}
	h.heardMu.Lock()
	h.heard[b.From] = time.Now()
	h.heardMu.Unlock()
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, e := range b.Messages {
		g := h.groups[e.Group]
		if g == nil || e.Msg.GetFrom() != b.From || raft.IsLocalMsg(e.Msg.GetType()) {
			continue
		}
		g.mu.Lock()
		_ = g.rn.Step(e.Msg) // a message from an unknown or removed peer is refused; nothing to do
		g.mu.Unlock()
		h.dirtyMu.Lock()
		h.dirty[g] = struct{}{}
		h.dirtyMu.Unlock()
	}
	select {
	case h.kick <- struct{}{}:
	default:
	}
	return nil
}

// reachable counts the members of ids this host heard from within the last
// two election timeouts, itself included.
func (h *Host) reachable(ids []uint64) int {
	window := 2 * time.Duration(h.cfg.ElectionTicks) * h.cfg.TickInterval
	h.heardMu.Lock()
	defer h.heardMu.Unlock()
	n := 0
	for _, id := range ids {
		if id == h.id || time.Since(h.heard[id]) < window {
			n++
		}
	}
	return n
}

// HostStats counts what a host sent.
type HostStats struct {
	Groups   int
	Batches  uint64 // transport sends
	Messages uint64 // raft messages inside them
	Bytes    uint64
}

// Stats returns the host's counters.
func (h *Host) Stats() HostStats {
	h.mu.RLock()
	n := len(h.groups)
	h.mu.RUnlock()
	return HostStats{Groups: n, Batches: h.batchesSent.Load(), Messages: h.messagesSent.Load(), Bytes: h.bytesSent.Load()}
}

// proposal is the data of a normal log entry.
type proposal struct {
	ID     uint64  `json:"id"`
	Origin uint64  `json:"origin"`
	Cmd    Command `json:"cmd"`
}

// handleReady persists, sends (by returning the messages), applies and
// advances one group's Ready, following etcd's raftexample.
func (g *Group) handleReady() []*pb.Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed != nil || !g.rn.HasReady() {
		return nil
	}
	rd := g.rn.Ready()
	if rd.SoftState != nil {
		g.leader.Store(rd.SoftState.Lead)
		g.isLeader.Store(rd.SoftState.RaftState == raft.StateLeader)
	}
	if err := g.st.save(&rd); err != nil {
		g.fail(err)
		return nil
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		g.fsmMu.Lock()
		err := g.fsm.Restore(rd.Snapshot.GetData())
		g.fsmMu.Unlock()
		if err != nil {
			g.fail(fmt.Errorf("kvraft group %q: install the snapshot at index %d: %w", g.name, rd.Snapshot.GetMetadata().GetIndex(), err))
			return nil
		}
		g.confState = rd.Snapshot.GetMetadata().GetConfState()
		g.snapIndex = rd.Snapshot.GetMetadata().GetIndex()
		g.installed++
		g.setApplied(g.snapIndex)
	}
	for _, rs := range rd.ReadStates {
		if len(rs.RequestCtx) == 8 {
			id := binary.BigEndian.Uint64(rs.RequestCtx)
			g.wmu.Lock()
			if ch := g.reads[id]; ch != nil {
				select {
				case ch <- rs.Index:
				default:
				}
			}
			g.wmu.Unlock()
		}
	}
	var last uint64
	confChanged := false
	for _, e := range rd.CommittedEntries {
		g.apply(e)
		last = e.GetIndex()
		confChanged = confChanged || e.GetType() != pb.EntryNormal
	}
	if last > 0 {
		g.setApplied(last)
	}
	msgs := rd.Messages
	g.rn.Advance(rd)
	if g.rn.HasReady() {
		g.h.markDirty(g)
	}
	// Snapshot after a membership change too (without compacting): raft
	// sends a new member the stored snapshot, and a member ignores a
	// snapshot whose configuration does not name it.
	compact := g.applied >= g.snapIndex+g.h.cfg.SnapshotEvery
	if (compact || confChanged) && g.applied > g.snapIndex {
		g.fsmMu.RLock()
		data := g.fsm.Snapshot()
		g.fsmMu.RUnlock()
		if err := g.st.snapshot(g.applied, g.confState, data, compact); err != nil {
			g.fail(err)
			return msgs
		}
		g.snapIndex = g.applied
	}
	return msgs
}

// apply applies one committed entry. g.mu is held.
func (g *Group) apply(e *pb.Entry) {
	switch e.GetType() {
	case pb.EntryNormal:
		if len(e.GetData()) == 0 {
			return // a new leader's empty entry
		}
		var p proposal
		if err := json.Unmarshal(e.GetData(), &p); err != nil {
			// Every replica sees the same bytes and skips them alike.
			g.h.cfg.Logger.Printf("kvraft group %q: entry %d is not a command: %v", g.name, e.GetIndex(), err)
			return
		}
		g.fsmMu.Lock()
		res := g.fsm.Apply(p.Cmd)
		g.fsmMu.Unlock()
		if p.Origin == g.h.id {
			g.wmu.Lock()
			if ch := g.proposals[p.ID]; ch != nil {
				ch <- res
				delete(g.proposals, p.ID)
			}
			g.wmu.Unlock()
		}
	case pb.EntryConfChange:
		cc := &pb.ConfChange{}
		if err := proto.Unmarshal(e.GetData(), cc); err != nil {
			g.fail(fmt.Errorf("kvraft group %q: decode the membership change at entry %d: %w", g.name, e.GetIndex(), err))
			return
		}
		g.confState = g.rn.ApplyConfChange(cc)
		if ctx := cc.GetContext(); len(ctx) == 16 && binary.BigEndian.Uint64(ctx) == g.h.id {
			id := binary.BigEndian.Uint64(ctx[8:])
			g.wmu.Lock()
			if ch := g.confWaiters[id]; ch != nil {
				ch <- nil
				delete(g.confWaiters, id)
			}
			g.wmu.Unlock()
			g.confInFlight = false
		}
	case pb.EntryConfChangeV2:
		cc := &pb.ConfChangeV2{}
		if err := proto.Unmarshal(e.GetData(), cc); err != nil {
			g.fail(fmt.Errorf("kvraft group %q: decode the membership change at entry %d: %w", g.name, e.GetIndex(), err))
			return
		}
		g.confState = g.rn.ApplyConfChange(cc)
	}
}

// setApplied records the applied index and wakes the calls waiting on it.
func (g *Group) setApplied(i uint64) {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	if i > g.applied {
		g.applied = i
		close(g.appliedCh)
		g.appliedCh = make(chan struct{})
	}
}

// fail stops a group after a storage error: raft must not go on from a
// state it could not persist. Waiting calls see the error.
func (g *Group) fail(err error) {
	g.failed = err
	g.stopOnce.Do(func() { close(g.stop) })
	g.h.cfg.Logger.Printf("%v (the group stops on this node)", err)
}

// raftLogger passes raft's warnings and errors to a log.Logger and drops
// its debug and info lines, which a node with hundreds of groups cannot
// afford to print.
type raftLogger struct{ l *log.Logger }

func (r raftLogger) Debug(...any)          {}
func (r raftLogger) Debugf(string, ...any) {}
func (r raftLogger) Info(...any)           {}
func (r raftLogger) Infof(string, ...any)  {}
func (r raftLogger) Warning(v ...any)      { r.l.Print(append([]any{"raft warning: "}, v...)...) }
func (r raftLogger) Warningf(f string, v ...any) {
	r.l.Printf("raft warning: "+f, v...)
}
func (r raftLogger) Error(v ...any)            { r.l.Print(append([]any{"raft error: "}, v...)...) }
func (r raftLogger) Errorf(f string, v ...any) { r.l.Printf("raft error: "+f, v...) }
func (r raftLogger) Fatal(v ...any)            { r.l.Panic(v...) }
func (r raftLogger) Fatalf(f string, v ...any) { r.l.Panicf(f, v...) }
func (r raftLogger) Panic(v ...any)            { r.l.Panic(v...) }
func (r raftLogger) Panicf(f string, v ...any) { r.l.Panicf(f, v...) }
