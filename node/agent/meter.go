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

// Meter counts what every lease of this node consumes, by epoch, until
// the epoch's usage report is accepted. Counts are written to disk every
// second and when the node stops, so a restart neither loses nor repeats
// them (a crash may lose the last second).
type Meter struct {
	path string

	mu     sync.Mutex
	epoch  uint64 // the epoch usage is counted in now
	counts map[meterKey]usage
	dirty  bool
}

// LoadMeter reads the counts a previous run left at path, where Flush
// writes them.
func LoadMeter(path string) (*Meter, error) {
	m := &Meter{path: path, counts: map[meterKey]usage{}}
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

// Entries returns the report entries of an epoch, by lease id.
func (m *Meter) Entries(epoch uint64) []usagetypes.UsageEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []usagetypes.UsageEntry
	for k, u := range m.counts {
		if k.Epoch == epoch {
			out = append(out, usagetypes.UsageEntry{
				LeaseId: k.Lease, Requests: u.Requests,
				Fuel: u.Fuel, EgressBytes: u.EgressBytes,
			})
		}
	}
	slices.SortFunc(out, func(a, b usagetypes.UsageEntry) int { return cmp.Compare(a.LeaseId, b.LeaseId) })
	return out
}

// Reported forgets the counts of every epoch up to e: the chain has them.
func (m *Meter) Reported(e uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.counts {
		if k.Epoch <= e {
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
