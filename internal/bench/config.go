package bench

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ChainConfig says which chain benchmark to run. The zero value of an
// optional field takes the default DefaultChainConfig gives.
type ChainConfig struct {
	// Binary is the q1 executable each node runs (`q1 start`, or the hidden
	// `q1 bench kvstore-node` for the kvstore network).
	Binary string
	// Nodes is the number of validators of each network.
	Nodes int
	// Senders is the number of concurrent senders, each its own funded
	// account, spread evenly over the nodes.
	Senders int
	// Depths are the closed loop's depths to run, one step each on the same
	// network: how many of its txs each sender may have submitted and not
	// yet committed. Each engine's result is its best step.
	Depths []int
	// Rate, if above zero, caps the submissions of all senders together, in
	// txs per second (open loop under the closed loop's cap).
	Rate float64
	// Warmup is how long each step's load runs before its measurement starts.
	Warmup time.Duration
	// Duration is each step's measurement window.
	Duration time.Duration
	// BlockTime is CometBFT's timeout_commit on both networks.
	BlockTime time.Duration
	// CometSettings change both networks' config.toml after generation.
	CometSettings []Setting
	// Dir holds the networks' homes (in Dir/q1 and Dir/kvstore), which
	// stay there. If empty, a temporary directory is used and removed
	// after the run, unless Keep.
	Dir string
	// Keep leaves a temporary Dir (homes and nodes' logs) in place.
	Keep bool
	// Engines are the networks to run: "q1", "kvstore" or both (the
	// default, and the only way to get the ratio).
	Engines []string
	// CPUProfile makes every q1 node write a CPU profile of its whole life
	// to HOME/cpu.prof (the SDK's --cpu-profile); it implies Keep.
	CPUProfile bool
}

// DefaultChainConfig is the benchmark documented in docs/benchmarks.md.
func DefaultChainConfig() ChainConfig {
	return ChainConfig{
		Nodes:     1,
		Senders:   100,
		Depths:    []int{4, 16, 64},
		Engines:   []string{"q1", "kvstore"},
		Warmup:    5 * time.Second,
		Duration:  20 * time.Second,
		BlockTime: 200 * time.Millisecond,
	}
}

// Validate reports the first setting that cannot work, naming its flag.
func (c ChainConfig) Validate() error {
	switch {
	case c.Binary == "":
		return errors.New("no q1 binary to run the nodes with")
	case c.Nodes < 1 || c.Nodes > 16:
		return fmt.Errorf("--nodes must be between 1 and 16, got %d", c.Nodes)
	case c.Senders < 1 || c.Senders > 2000:
		return fmt.Errorf("--senders must be between 1 and 2000, got %d", c.Senders)
	case len(c.Depths) == 0:
		return errors.New("--depth needs at least one value")
	case c.Rate < 0:
		return fmt.Errorf("--rate must not be negative, got %g (0 means no cap)", c.Rate)
	case c.Warmup < 0:
		return fmt.Errorf("--warmup must not be negative, got %s", c.Warmup)
	case c.Duration < 5*time.Second:
		return fmt.Errorf("--duration must be at least 5s to span enough blocks, got %s", c.Duration)
	case c.BlockTime < 10*time.Millisecond || c.BlockTime > 10*time.Second:
		return fmt.Errorf("--block-time must be between 10ms and 10s, got %s", c.BlockTime)
	}
	if len(c.Engines) == 0 {
		return errors.New("--engine needs at least one of q1, kvstore")
	}
	for _, e := range c.Engines {
		if e != q1Engine.name && e != kvstoreEngine.name {
			return fmt.Errorf("--engine %q is not q1 or kvstore", e)
		}
	}
	for _, d := range c.Depths {
		if d < 1 || d > 1000 {
			return fmt.Errorf("--depth values must be between 1 and 1000, got %d", d)
		}
	}
	return nil
}

// Setting is one config.toml key and the value to give it.
type Setting struct {
	Key, Value string
}

// String returns the setting as key=value.
func (s Setting) String() string { return s.Key + "=" + s.Value }

// ParseSetting reads "key=value", e.g. "mempool.recheck=false".
func ParseSetting(s string) (Setting, error) {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return Setting{}, fmt.Errorf("setting %q is not KEY=VALUE (e.g. mempool.recheck=false)", s)
	}
	return Setting{Key: k, Value: strings.TrimSpace(v)}, nil
}
