package bench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no samples", nil, 50, 0},
		{"one sample is every percentile", ms(7), 99, 7 * time.Millisecond},
		{"median of an odd count", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"median of an even count takes the lower middle", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 100 is the 99th", hundred, 99, 99 * time.Millisecond},
		{"p90 of 100 is the 90th", hundred, 90, 90 * time.Millisecond},
		{"p100 is the maximum", hundred, 100, 100 * time.Millisecond},
		{"a tiny p is the minimum", hundred, 0.1, 1 * time.Millisecond},
		{"p99 of 10 is the maximum", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(p=%g) = %s, want %s", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarizeLatencies(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		want    Latencies
	}{
		{"no samples", nil, Latencies{}},
		{
			"unsorted samples are sorted first",
			[]time.Duration{5 * time.Second, time.Second, 3 * time.Second, 2 * time.Second, 4 * time.Second},
			Latencies{Count: 5, P50: 3 * time.Second, P90: 5 * time.Second, P99: 5 * time.Second, Max: 5 * time.Second},
		},
		{
			"equal samples",
			[]time.Duration{time.Second, time.Second, time.Second},
			Latencies{Count: 3, P50: time.Second, P90: time.Second, P99: time.Second, Max: time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SummarizeLatencies(tt.samples); got != tt.want {
				t.Errorf("SummarizeLatencies = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMeasureThroughput(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	chain := []Block{
		{Height: 10, Time: at(0), Txs: 999, OK: 999}, // the window's start: not counted
		{Height: 11, Time: at(500), Txs: 100, OK: 100},
		{Height: 12, Time: at(1000), Txs: 300, OK: 290, Failed: 5},
		{Height: 13, Time: at(2000), Txs: 600, OK: 600},
		{Height: 14, Time: at(2500), Txs: 7, OK: 7}, // after the window: not counted
	}
	tests := []struct {
		name     string
		blocks   []Block
		from, to int64
		want     Throughput
		wantErr  string
	}{
		{
			name: "counts successful txs over the header times",
			// 990 OK over the 2s between blocks 10 and 13.
			blocks: chain, from: 10, to: 13,
			want: Throughput{FromHeight: 10, ToHeight: 13, Elapsed: 2 * time.Second, Blocks: 3,
				Txs: 1000, OK: 990, Failed: 5, PerSecond: 495},
		},
		{
			name:   "one block",
			blocks: chain, from: 13, to: 14,
			want: Throughput{FromHeight: 13, ToHeight: 14, Elapsed: 500 * time.Millisecond, Blocks: 1,
				Txs: 7, OK: 7, PerSecond: 14},
		},
		{
			name:   "blocks in any order",
			blocks: []Block{chain[2], chain[0], chain[1]}, from: 10, to: 12,
			want: Throughput{FromHeight: 10, ToHeight: 12, Elapsed: time.Second, Blocks: 2,
				Txs: 400, OK: 390, Failed: 5, PerSecond: 390},
		},
		{name: "empty window", blocks: chain, from: 12, to: 12, wantErr: "the measurement window holds no committed block (heights 12 to 12)"},
		{name: "missing start", blocks: chain[1:], from: 10, to: 12, wantErr: "block 10 was not observed"},
		{name: "gap in the window", blocks: []Block{chain[0], chain[2]}, from: 10, to: 12, wantErr: "block 11 was not observed"},
		{
			name:   "results not read",
			blocks: []Block{chain[0], {Height: 11, Time: at(500), Txs: 3, OK: -1}}, from: 10, to: 11,
			wantErr: "the results of block 11 were not read",
		},
		{
			name:   "header times going backwards",
			blocks: []Block{{Height: 1, Time: at(500)}, {Height: 2, Time: at(500)}}, from: 1, to: 2,
			wantErr: "block 2's time 2025-01-01T00:00:00.5Z is not after block 1's 2025-01-01T00:00:00.5Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MeasureThroughput(tt.blocks, tt.from, tt.to)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("MeasureThroughput =\n %+v, want\n %+v", got, tt.want)
			}
		})
	}
	t.Run("an empty window is ErrShortWindow", func(t *testing.T) {
		if _, err := MeasureThroughput(chain, 13, 13); !errors.Is(err, ErrShortWindow) {
			t.Errorf("err = %v, want ErrShortWindow", err)
		}
	})
}

func TestThroughputAverages(t *testing.T) {
	tests := []struct {
		name          string
		in            Throughput
		wantBlockTime time.Duration
		wantTxs       float64
	}{
		{"no blocks", Throughput{}, 0, 0},
		{"four blocks", Throughput{Elapsed: 2 * time.Second, Blocks: 4, Txs: 1000}, 500 * time.Millisecond, 250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.AvgBlockTime(); got != tt.wantBlockTime {
				t.Errorf("AvgBlockTime = %s, want %s", got, tt.wantBlockTime)
			}
			if got := tt.in.AvgTxsPerBlock(); got != tt.wantTxs {
				t.Errorf("AvgTxsPerBlock = %g, want %g", got, tt.wantTxs)
			}
		})
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		name string
		a, b float64
		want float64
	}{
		{"half", 500, 1000, 0.5},
		{"no baseline", 500, 0, 0},
		{"above the baseline", 3, 2, 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ratio(tt.a, tt.b); got != tt.want {
				t.Errorf("Ratio(%g, %g) = %g, want %g", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
