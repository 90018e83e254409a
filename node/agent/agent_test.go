package agent

import "testing"

func TestStaleData(t *testing.T) {
	for _, c := range []struct {
		name                  string
		known, exists, paused bool
		stale                 bool
	}{
		{"chain did not answer", false, true, false, false},
		{"chain did not answer, no record seen", false, false, false, false},
		{"paused: kept through the grace for a resume", true, true, true, false},
		{"deleted (after the grace, or by its owners)", true, false, false, true},
		{"running on other sharers", true, true, false, true},
	} {
		if got := staleData(c.known, c.exists, c.paused); got != c.stale {
			t.Errorf("%s: staleData = %v, want %v", c.name, got, c.stale)
		}
	}
}
