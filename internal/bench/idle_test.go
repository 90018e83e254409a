package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestIdleConfigValidate(t *testing.T) {
	ok := DefaultIdleConfig()
	ok.Binary = "q1"
	if err := ok.Validate(); err != nil {
		t.Fatalf("the default config: %v", err)
	}
	for _, c := range []struct {
		edit func(*IdleConfig)
		want string
	}{
		{func(c *IdleConfig) { c.Binary = "" }, "no q1 binary"},
		{func(c *IdleConfig) { c.BlockTimes = nil }, "--block-time needs at least one value"},
		{func(c *IdleConfig) { c.BlockTimes = []time.Duration{time.Minute} }, "--block-time must be between 10ms and 10s, got 1m0s"},
		{func(c *IdleConfig) { c.Duration = time.Second }, "--duration must be at least 10s"},
		{func(c *IdleConfig) { c.Warmup = -time.Second }, "--warmup must not be negative"},
	} {
		cfg := ok
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want it to contain %q", err, c.want)
		}
	}
}

// TestIdleTable: each q1 run is compared with the kvstore run before it
// (same block time).
func TestIdleTable(t *testing.T) {
	r := &IdleResult{Runs: []IdleRun{
		{Engine: "kvstore", BlockTime: time.Second, CPU: 0.02, Blocks: 60, CPUPerBlock: 20 * time.Millisecond, RSS: 100 << 20},
		{Engine: "q1", BlockTime: time.Second, CPU: 0.05, Blocks: 60, CPUPerBlock: 50 * time.Millisecond, RSS: 300 << 20},
	}}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"q1 / kvstore CPU", "1s          q1       0.050        50ms         60      300 MiB", "×2.5"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
