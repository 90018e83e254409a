package devnet

import (
	"testing"
	"time"
)

// The usage params' nominal block time is the network's: a devnet started
// with --block-time 1s turns lowBalanceBlocks into seconds, not 200 ms steps.
func TestDefaultParamsFollowTheBlockTime(t *testing.T) {
	for _, c := range []struct {
		blockTime time.Duration
		want      uint64
	}{{0, 200}, {time.Second, 1000}, {50 * time.Millisecond, 50}} {
		o := Options{BlockTime: c.blockTime}
		o.fill()
		if got := o.Params.Usage.BlockTimeMs; got != c.want {
			t.Errorf("block time %s: usage block_time_ms %d, want %d", c.blockTime, got, c.want)
		}
	}
}
