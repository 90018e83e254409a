package bench

import (
	"strings"
	"testing"
	"time"
)

func TestParseProcStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr string
	}{
		{
			name: "utime plus stime in ticks",
			stat: "10714 (q1) R 10710 10710 2634 0 -1 4194304 99 0 0 0 250 31 0 0 20 0 1 0 280650 3133440 360",
			want: 2810 * time.Millisecond,
		},
		{
			name: "a command name with spaces and parentheses",
			stat: "42 (q1 (bench) x) S 1 42 42 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 1 1",
			want: 100 * time.Millisecond,
		},
		{name: "no name", stat: "42 q1 S 1", wantErr: "no command name"},
		{name: "truncated", stat: "42 (q1) S 1 42", wantErr: "3 fields after the name, want at least 13"},
		{name: "not numbers", stat: "42 (q1) S 1 42 42 0 -1 0 0 0 0 0 x y", wantErr: `utime "x", stime "y" are not numbers`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStatCPU(tt.stat)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseProcStatCPU = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}
