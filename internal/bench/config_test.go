package bench

import (
	"strings"
	"testing"
	"time"
)

func TestChainConfigValidate(t *testing.T) {
	valid := DefaultChainConfig()
	valid.Binary = "/usr/local/bin/q1"
	tests := []struct {
		name    string
		edit    func(*ChainConfig)
		wantErr string
	}{
		{"defaults are valid", func(*ChainConfig) {}, ""},
		{"no binary", func(c *ChainConfig) { c.Binary = "" }, "no q1 binary to run the nodes with"},
		{"no nodes", func(c *ChainConfig) { c.Nodes = 0 }, "--nodes must be between 1 and 16, got 0"},
		{"too many senders", func(c *ChainConfig) { c.Senders = 5000 }, "--senders must be between 1 and 2000, got 5000"},
		{"no depth", func(c *ChainConfig) { c.Depths = nil }, "--depth needs at least one value"},
		{"zero depth", func(c *ChainConfig) { c.Depths = []int{4, 0} }, "--depth values must be between 1 and 1000, got 0"},
		{"negative rate", func(c *ChainConfig) { c.Rate = -1 }, "--rate must not be negative, got -1 (0 means no cap)"},
		{"short window", func(c *ChainConfig) { c.Duration = time.Second }, "--duration must be at least 5s to span enough blocks, got 1s"},
		{"negative warm-up", func(c *ChainConfig) { c.Warmup = -time.Second }, "--warmup must not be negative, got -1s"},
		{"tiny block time", func(c *ChainConfig) { c.BlockTime = time.Millisecond }, "--block-time must be between 10ms and 10s, got 1ms"},
		{"unknown engine", func(c *ChainConfig) { c.Engines = []string{"q1", "gaia"} }, `--engine "gaia" is not q1 or kvstore`},
		{"no engine", func(c *ChainConfig) { c.Engines = nil }, "--engine needs at least one of q1, kvstore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			c.Depths = append([]int(nil), valid.Depths...)
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseSetting(t *testing.T) {
	tests := []struct {
		in      string
		want    Setting
		wantErr string
	}{
		{in: "mempool.recheck=false", want: Setting{Key: "mempool.recheck", Value: "false"}},
		{in: " consensus.timeout_commit = 50ms ", want: Setting{Key: "consensus.timeout_commit", Value: "50ms"}},
		{in: "moniker=a=b", want: Setting{Key: "moniker", Value: "a=b"}},
		{in: "tx_index.indexer=", want: Setting{Key: "tx_index.indexer", Value: ""}},
		{in: "mempool.recheck", wantErr: `setting "mempool.recheck" is not KEY=VALUE (e.g. mempool.recheck=false)`},
		{in: "=false", wantErr: `setting "=false" is not KEY=VALUE`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSetting(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSetting(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSetting(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}
