package limits

import (
	"testing"
	"time"
)

func TestLeaseUsage(t *testing.T) {
	for _, c := range []struct {
		milli uint64
		d     time.Duration
		want  Usage
	}{
		{100, time.Minute, Usage{CPUMillis: 6_000, Requests: 60_000, EgressBytes: 6_000 * (64 << 20) / 1000}},
		{1000, time.Second, Usage{CPUMillis: 1000, Requests: 10_000, EgressBytes: 64 << 20}},
		{0, time.Hour, Usage{}},
		{500, 0, Usage{}},
		{500, -time.Second, Usage{}},
		{^uint64(0), time.Duration(1<<63 - 1), Usage{^uint64(0), ^uint64(0), ^uint64(0)}},
	} {
		if got := LeaseUsage(c.milli, c.d); got != c.want {
			t.Errorf("LeaseUsage(%d, %s) = %+v, want %+v", c.milli, c.d, got, c.want)
		}
	}
}

func TestHourlyCeiling(t *testing.T) {
	// One core, 1 GiB memory, 1 GiB storage, every price 1uqc: CPU 3600,
	// memory 1024, storage 1, requests 36,000,000/1000 = 36,000, egress
	// 3600 × 64 MiB = 225 GiB → 225.
	r := Replica{MilliCPU: 1000, MemoryBytes: gib, StorageBytes: gib}
	p := Prices{1, 1, 1, 1, 1}
	if got, want := HourlyCeiling(r, 1, p).Int64(), int64(3600+1024+1+36_000+225); got != want {
		t.Errorf("ceiling of one replica = %d, want %d", got, want)
	}
	if got, want := HourlyCeiling(r, 3, p).Int64(), int64(3*(3600+1024+1+36_000+225)); got != want {
		t.Errorf("ceiling of three replicas = %d, want %d", got, want)
	}
	// A fraction of a uqc rounds up: 1 byte of memory at 1uqc/MiB-h.
	if got := HourlyCeiling(Replica{MemoryBytes: 1}, 1, Prices{MemoryPerMiBHour: 1}).Int64(); got != 1 {
		t.Errorf("ceiling of one byte = %d, want 1 (rounded up)", got)
	}
	if got := HourlyCeiling(Replica{}, 2, p); !got.IsZero() {
		t.Errorf("ceiling of nothing reserved = %s, want 0", got)
	}
	// Absurd inputs neither overflow nor panic.
	max := ^uint64(0)
	if got := HourlyCeiling(Replica{max, max, max}, ^uint32(0), Prices{max, max, max, max, max}); !got.IsPositive() {
		t.Errorf("ceiling of absurd inputs = %s, want positive", got)
	}
}
