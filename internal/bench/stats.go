package bench

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Block is what the benchmark learned about one committed block.
type Block struct {
	Height int64
	// Time is the block header's time (CometBFT's BFT time).
	Time time.Time
	// Txs is how many txs the block holds.
	Txs int
	// OK is how many of the benchmark's own txs in the block succeeded
	// (result code 0). Unknown (-1) until the block's results are read.
	OK int
	// Failed is how many of the benchmark's own txs in the block were
	// included but failed (result code other than 0).
	Failed int
}

// Throughput is the committed rate over a run of blocks.
type Throughput struct {
	// FromHeight and ToHeight bound the window: blocks FromHeight+1 …
	// ToHeight are counted, over the time between the headers of
	// FromHeight and ToHeight.
	FromHeight, ToHeight int64
	// Elapsed is the time between the two headers.
	Elapsed time.Duration
	// Blocks is the number of blocks counted.
	Blocks int
	// Txs is how many txs those blocks hold; OK and Failed count the
	// benchmark's own txs by result.
	Txs, OK, Failed int
	// PerSecond is OK / Elapsed: successful txs committed per second.
	PerSecond float64
}

// AvgBlockTime is the mean time between the window's blocks.
func (t Throughput) AvgBlockTime() time.Duration {
	if t.Blocks == 0 {
		return 0
	}
	return t.Elapsed / time.Duration(t.Blocks)
}

// AvgTxsPerBlock is the mean number of txs in the window's blocks.
func (t Throughput) AvgTxsPerBlock() float64 {
	if t.Blocks == 0 {
		return 0
	}
	return float64(t.Txs) / float64(t.Blocks)
}

// ErrShortWindow is returned when a window holds too few blocks to measure
// a rate: the chain did not advance during the measurement.
var ErrShortWindow = errors.New("the measurement window holds no committed block")

// MeasureThroughput counts the successful txs in blocks from+1 … to and
// divides by the time between the headers of blocks from and to. blocks
// must hold every height from … to (any order, others ignored), each with
// its results read.
func MeasureThroughput(blocks []Block, from, to int64) (Throughput, error) {
	if to <= from {
		return Throughput{}, fmt.Errorf("%w (heights %d to %d)", ErrShortWindow, from, to)
	}
	byHeight := make(map[int64]Block, len(blocks))
	for _, b := range blocks {
		byHeight[b.Height] = b
	}
	first, ok := byHeight[from]
	if !ok {
		return Throughput{}, fmt.Errorf("measure throughput: block %d was not observed", from)
	}
	t := Throughput{FromHeight: from, ToHeight: to}
	var last Block
	for h := from + 1; h <= to; h++ {
		b, ok := byHeight[h]
		if !ok {
			return Throughput{}, fmt.Errorf("measure throughput: block %d was not observed", h)
		}
		if b.OK < 0 {
			return Throughput{}, fmt.Errorf("measure throughput: the results of block %d were not read", h)
		}
		t.Blocks++
		t.Txs += b.Txs
		t.OK += b.OK
		t.Failed += b.Failed
		last = b
	}
	t.Elapsed = last.Time.Sub(first.Time)
	if t.Elapsed <= 0 {
		return Throughput{}, fmt.Errorf("measure throughput: block %d's time %s is not after block %d's %s",
			to, last.Time.Format(time.RFC3339Nano), from, first.Time.Format(time.RFC3339Nano))
	}
	t.PerSecond = float64(t.OK) / t.Elapsed.Seconds()
	return t, nil
}

// Latencies summarises submit-to-commit latencies.
type Latencies struct {
	// Count is the number of txs measured.
	Count int
	// P50, P90 and P99 are nearest-rank percentiles (see Percentile).
	P50, P90, P99 time.Duration
	// Max is the slowest.
	Max time.Duration
}

// SummarizeLatencies returns the percentiles of samples (which it sorts in
// place). It returns the zero value for no samples.
func SummarizeLatencies(samples []time.Duration) Latencies {
	if len(samples) == 0 {
		return Latencies{}
	}
	slices.Sort(samples)
	return Latencies{
		Count: len(samples),
		P50:   Percentile(samples, 50),
		P90:   Percentile(samples, 90),
		P99:   Percentile(samples, 99),
		Max:   samples[len(samples)-1],
	}
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted samples by
// the nearest-rank method: the smallest sample with at least p% of the
// samples at or below it. It returns 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Ratio returns a/b, or 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
