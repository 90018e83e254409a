package manifest

import (
	"strings"
	"testing"
)

// TestSpendingCeiling: a manifest without budget.maxPerHour may spend what
// its replicas could bill at full use, and the summary says so; a lower
// maxPerHour wins, a higher one does not.
func TestSpendingCeiling(t *testing.T) {
	doc := readTestdata(t, "minimal.yaml")
	m := mustParse(t, doc)
	// 100m for an hour: 360 CPU s × 500 = 180,000; 32 MiB × 2 = 64;
	// 3,600,000 requests × 10/1k = 36,000; 22.5 GiB × 5,000 = 112,500.
	const want = 180_000 + 64 + 36_000 + 112_500
	if got := m.SpendingCeiling(); got.Int64() != want {
		t.Errorf("ceiling = %s, want %d", got, want)
	}
	if most, derived := m.MaxPerHour(); most.Int64() != want || !derived {
		t.Errorf("MaxPerHour = %s derived %v, want %d derived", most, derived, want)
	}
	if s := m.Summary(); !strings.Contains(s, "at most 0.328564QC/hour (what its replicas could bill at full use; set budget.maxPerHour to lower it)") {
		t.Errorf("summary does not show the ceiling:\n%s", s)
	}
	three := mustParse(t, edit(t, doc, "resources:", "placement: {replicas: 1, replicasMax: 3}\nresources:"))
	if got := three.SpendingCeiling(); got.Int64() != 3*want {
		t.Errorf("ceiling with replicasMax 3 = %s, want %d", got, 3*want)
	}
	lower := mustParse(t, edit(t, doc, "resources:", "policies: {budget: {maxPerHour: 0.1QC}}\nresources:"))
	if most, derived := lower.MaxPerHour(); most.Int64() != 100_000 || derived {
		t.Errorf("MaxPerHour with 0.1QC = %s derived %v", most, derived)
	}
	if s := lower.Summary(); !strings.Contains(s, "at most 0.1QC/hour (budget.maxPerHour)") {
		t.Errorf("summary does not show maxPerHour:\n%s", s)
	}
	higher := mustParse(t, edit(t, doc, "resources:", "policies: {budget: {maxPerHour: 10QC}}\nresources:"))
	if most, derived := higher.MaxPerHour(); most.Int64() != want || !derived {
		t.Errorf("MaxPerHour with 10QC = %s derived %v, want the ceiling", most, derived)
	}
	if s := higher.Summary(); !strings.Contains(s, "budget.maxPerHour 10QC is above it") {
		t.Errorf("summary does not say maxPerHour is above the ceiling:\n%s", s)
	}
}
