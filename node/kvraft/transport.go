package kvraft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Transport carries encoded batches between nodes. Send must not block for
// long: the host's one goroutine calls it for every destination each round,
// so a slow peer should be queued or dropped (raft resends), not waited on.
// The receiving side hands each batch to its Host.Deliver.
type Transport interface {
	Send(to uint64, batch []byte) error
}

// Envelope is one raft message of one group.
type Envelope struct {
	Group string
	Msg   *pb.Message
}

// Batch is everything one node sends another in one round.
type Batch struct {
	From, To uint64
	Messages []Envelope
}

const batchMagic = "kvb1"

// Encode returns the batch's wire form.
func (b *Batch) Encode() ([]byte, error) {
	out := append([]byte(nil), batchMagic...)
	out = binary.AppendUvarint(out, b.From)
	out = binary.AppendUvarint(out, b.To)
	out = binary.AppendUvarint(out, uint64(len(b.Messages)))
	for _, e := range b.Messages {
		m, err := proto.Marshal(e.Msg)
		if err != nil {
			return nil, fmt.Errorf("kvraft batch to node %d: encode a message of group %q: %w", b.To, e.Group, err)
		}
		out = appendBytes(out, []byte(e.Group))
		out = appendBytes(out, m)
	}
	return out, nil
}

// DecodeBatch parses a batch's wire form.
func DecodeBatch(data []byte) (*Batch, error) {
	if len(data) < len(batchMagic) || string(data[:len(batchMagic)]) != batchMagic {
		return nil, errors.New("kvraft batch: not a kvraft batch")
	}
	r := reader{b: data[len(batchMagic):]}
	b := &Batch{From: r.uvarint(), To: r.uvarint()}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(data)) {
		r.err = fmt.Errorf("%d messages in %d bytes", n, len(data))
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		group := string(r.bytes())
		raw := r.bytes()
		if r.err != nil {
			break
		}
		m := &pb.Message{}
		if err := proto.Unmarshal(raw, m); err != nil {
			r.err = fmt.Errorf("message %d of group %q: %w", i, group, err)
			break
		}
		b.Messages = append(b.Messages, Envelope{Group: group, Msg: m})
	}
	if r.err != nil {
		return nil, fmt.Errorf("kvraft batch from node %d: corrupt: %w", b.From, r.err)
	}
	return b, nil
}

// MemNetwork connects hosts in one process, for tests. Links can be cut
// to make partitions; a cut link drops batches silently, as a lost network
// would.
type MemNetwork struct {
	mu    sync.RWMutex
	hosts map[uint64]*Host
	cut   map[[2]uint64]bool
	drop  float64 // the share of batches lost on every link
}

// NewMemNetwork returns an empty network.
func NewMemNetwork() *MemNetwork {
	return &MemNetwork{hosts: map[uint64]*Host{}, cut: map[[2]uint64]bool{}}
}

// Transport returns node id's transport on the network.
func (n *MemNetwork) Transport(id uint64) Transport { return memTransport{n: n, from: id} }

// Attach makes h reachable under its id (replacing an earlier host with
// that id, as a restart does).
func (n *MemNetwork) Attach(h *Host) {
	n.mu.Lock()
	n.hosts[h.ID()] = h
	n.mu.Unlock()
}

// Partition cuts every link between a node in side and a node not in it.
func (n *MemNetwork) Partition(side ...uint64) {
	in := map[uint64]bool{}
	for _, id := range side {
		in[id] = true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for a := range n.hosts {
		for b := range n.hosts {
			if in[a] != in[b] {
				n.cut[[2]uint64{a, b}] = true
			}
		}
	}
}

// Cut cuts the link between a and b both ways.
func (n *MemNetwork) Cut(a, b uint64) {
	n.mu.Lock()
	n.cut[[2]uint64{a, b}], n.cut[[2]uint64{b, a}] = true, true
	n.mu.Unlock()
}

// SetDropRate makes every link lose each batch with probability p (0 to 1).
func (n *MemNetwork) SetDropRate(p float64) {
	n.mu.Lock()
	n.drop = p
	n.mu.Unlock()
}

// Heal restores every link and stops random drops.
func (n *MemNetwork) Heal() {
	n.mu.Lock()
	n.cut = map[[2]uint64]bool{}
	n.drop = 0
	n.mu.Unlock()
}

type memTransport struct {
	n    *MemNetwork
	from uint64
}

// Send delivers the batch at once, or drops it on a cut link (or by
// chance, with a drop rate). A node with
// no open host is unreachable.
func (t memTransport) Send(to uint64, batch []byte) error {
	t.n.mu.RLock()
	h, cut, drop := t.n.hosts[to], t.n.cut[[2]uint64{t.from, to}], t.n.drop
	t.n.mu.RUnlock()
	if cut || (drop > 0 && rand.Float64() < drop) {
		return nil
	}
	if h == nil {
		return fmt.Errorf("kvraft mem network: node %d is not attached", to)
	}
	return h.Deliver(batch)
}
