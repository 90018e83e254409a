package agent

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/receipts"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// usage is what one lease consumed in one epoch.
type usage struct {
	Requests    uint64 `json:"requests"`
	CPUNanos    uint64 `json:"cpu_nanos"`
	Fuel        uint64 `json:"fuel"`
	EgressBytes uint64 `json:"egress_bytes"`
}

type meterKey struct {
	Epoch uint64 `json:"epoch"`
	Lease uint64 `json:"lease"`
}

type meterRecord struct {
	meterKey
	usage
}

// Receipts is the receipt store report entries are built from
// (receipts.Store).
type Receipts interface {
	SetEpoch(e uint64)
	Seal(epoch uint64) error
	Leases(epoch uint64) []uint64
	Tree(lease, epoch uint64) (*receipts.Tree, error)
}

// Meter makes each epoch's report entries from the receipts this node
// kept: per lease, the root of the Merkle-sum tree over its receipts gives
// requests, fuel, egress, the root hash and the number of receipts, so
// that every unit billed can be proven. Requests are also counted as they
// are served (Add), for the node's own accounting: what was counted but is
// in no receipt (dropped at the store's size bound, or lost in a crash) is
// logged and not billed. Counts are written to disk every second and when
// the node stops, so a restart neither loses nor repeats them (a crash may
// lose the last second).
type Meter struct {
	path     string
	receipts Receipts

	mu     sync.Mutex
	epoch  uint64 // the epoch usage is counted in now
	counts map[meterKey]usage
	dirty  bool
}

// LoadMeter reads the counts a previous run left at path, where Flush
// writes them; rs holds the receipts entries are built from.
func LoadMeter(path string, rs Receipts) (*Meter, error) {
	m := &Meter{path: path, receipts: rs, counts: map[meterKey]usage{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read usage counts: %w", err)
	}
	var recs []meterRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("read usage counts %s: %w", path, err)
	}
	for _, r := range recs {
		m.counts[r.meterKey] = r.usage
		m.epoch = max(m.epoch, r.Epoch)
	}
	return m, nil
}

// SetEpoch sets the epoch new usage is counted in.
func (m *Meter) SetEpoch(e uint64) {
	m.receipts.SetEpoch(e)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.epoch = max(m.epoch, e)
}

// Add counts one request (or a failed one, which consumed CPU too): its
// thread CPU time and its fuel (the deterministic measure receipts prove).
func (m *Meter) Add(lease uint64, cpu time.Duration, fuel, egress uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := meterKey{Epoch: m.epoch, Lease: lease}
	u := m.counts[k]
	u.Requests++
	if cpu > 0 {
		u.CPUNanos += uint64(cpu)
	}
	u.Fuel += fuel
	u.EgressBytes += egress
	m.counts[k] = u
	m.dirty = true
}

// Entries returns the report entries of ended epoch n, by lease id: one
// per lease with receipts, from the root of its receipt tree. It seals the
// epoch in the store first, so that the trees never change again and the
// roots reported can be proven later.
func (m *Meter) Entries(n uint64) ([]usagetypes.UsageEntry, error) {
	if err := m.receipts.Seal(n); err != nil {
		return nil, err
	}
	var out []usagetypes.UsageEntry
	for _, lease := range m.receipts.Leases(n) {
		t, err := m.receipts.Tree(lease, n)
		if err != nil {
			return nil, err
		}
		if t.Len() == 0 {
			continue
		}
		out = append(out, EntryOf(lease, t.Root()))
	}
	return out, nil
}

// EntryOf is the report entry of a lease whose receipts have root.
func EntryOf(lease uint64, root receipt.Sum) usagetypes.UsageEntry {
	return usagetypes.UsageEntry{
		LeaseId: lease, Requests: root.Requests, Fuel: root.Fuel, EgressBytes: root.Egress,
		ReceiptsRoot: root.Hash[:], Receipts: root.Leaves,
	}
}

// Counted is what was counted for lease in epoch n as requests were served.
func (m *Meter) Counted(n, lease uint64) (requests, fuel uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.counts[meterKey{Epoch: n, Lease: lease}]
	return u.Requests, u.Fuel
}

// Reported forgets the counts of epoch e (the chain has them) and of every
// epoch too old for the agent to report.
func (m *Meter) Reported(e uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.counts {
		if k.Epoch == e || k.Epoch+reportLookback < e {
			delete(m.counts, k)
			m.dirty = true
		}
	}
}

// Flush writes the counts if they changed since the last flush.
func (m *Meter) Flush() error {
	m.mu.Lock()
	if !m.dirty {
		m.mu.Unlock()
		return nil
	}
	recs := make([]meterRecord, 0, len(m.counts))
	for k, u := range m.counts {
		recs = append(recs, meterRecord{meterKey: k, usage: u})
	}
	m.dirty = false
	m.mu.Unlock()
	slices.SortFunc(recs, func(a, b meterRecord) int {
		return cmp.Or(cmp.Compare(a.Epoch, b.Epoch), cmp.Compare(a.Lease, b.Lease))
	})
	if err := writeFileAtomic(m.path, recs); err != nil {
		m.mu.Lock()
		m.dirty = true // try again next time
		m.mu.Unlock()
		return fmt.Errorf("write usage counts: %w", err)
	}
	return nil
}

// writeFileAtomic writes v as JSON to path through a temporary file.
func writeFileAtomic(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
