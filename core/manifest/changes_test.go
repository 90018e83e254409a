package manifest

import (
	"slices"
	"strings"
	"testing"
)

func TestChangedPaths(t *testing.T) {
	full := readTestdata(t, "full.yaml")
	base := mustParse(t, full)
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"nothing", "name: hello", "name: hello", nil},
		{"replicas", "  replicas: 3", "  replicas: 4", []string{"placement", "placement.replicas"}},
		{"spelling only", "  cpu: 500m", "  cpu: 0.5", nil},
		{"owner order only", acct1 + ", " + acct2, acct2 + ", " + acct1, nil},
		{"callers", `    - paths: ["/*"]`, `    - paths: ["/api/*"]`, []string{"permissions", "permissions.callers"}},
		{"wasm", wasmHash, "sha256:" + strings.Repeat("ab", 32), []string{"code", "code.wasm"}},
		{"kv revoked", "    kv: {quota: 16Mi}\n", "", []string{"permissions", "permissions.capabilities",
			"permissions.capabilities.kv", "permissions.capabilities.kv.quota"}},
		{"hourly cap removed", "maxPerHour: 5QC, ", "", []string{"policies", "policies.budget", "policies.budget.maxPerHour"}},
		{"notice", "    noticeBlocks: 100\n", "    noticeBlocks: 5\n",
			[]string{"policies", "policies.update", "policies.update.noticeBlocks"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := mustParse(t, edit(t, full, tt.old, tt.new))
			if got := ChangedPaths(base, next); !slices.Equal(got, tt.want) {
				t.Errorf("ChangedPaths = %q, want %q", got, tt.want)
			}
			if got := ChangedPaths(next, base); !slices.Equal(got, tt.want) {
				t.Errorf("ChangedPaths reversed = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsFrozen(t *testing.T) {
	m := mustParse(t, edit(t, readTestdata(t, "full.yaml"), "frozen: [permissions.callers]", "frozen: [permissions, placement.spread]"))
	tests := map[string]bool{
		"permissions":                       true,
		"permissions.callers":               true,
		"permissions.capabilities.kv":       true,
		"permissions.callers[0]":            true,
		"placement.spread":                  true,
		"placement":                         false,
		"placement.replicas":                false,
		"policies.update.frozen":            false,
		"permissionsX":                      false,
		"code.wasm":                         false,
		"permissions.capabilities.kv.quota": true,
	}
	for p, want := range tests {
		if got := m.IsFrozen(p); got != want {
			t.Errorf("IsFrozen(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestCheckUpdate(t *testing.T) {
	full := readTestdata(t, "full.yaml")
	frozenAll := edit(t, full, "frozen: [permissions.callers]", "frozen: [permissions, policies.update.frozen]")
	tests := []struct {
		name  string
		old   string
		edits [][2]string
		want  string
	}{
		{"scale", full, [][2]string{{"  replicas: 3", "  replicas: 4"}}, ""},
		{"frozen field", full, [][2]string{{`    - paths: ["/*"]`, `    - paths: ["/api/*"]`}},
			"11:3: permissions.callers: cannot change: policies.update.frozen lists permissions.callers"},
		{"field below a frozen object", frozenAll, [][2]string{{"  operators: [" + acct3 + "]", "  operators: [" + acct4 + "]"}},
			"10:3: permissions.operators: cannot change: policies.update.frozen lists permissions"},
		{"frozen list shrinks", full, [][2]string{{"    frozen: [permissions.callers]\n", ""}},
			"22:3: policies.update.frozen: must still list permissions.callers: the frozen list can only grow"},
		{"frozen list grows", full, [][2]string{{"frozen: [permissions.callers]", "frozen: [permissions.callers, code.wasm]"}}, ""},
		{"frozen list is itself frozen", frozenAll, [][2]string{{"frozen: [permissions, policies.update.frozen]", "frozen: [permissions, policies.update.frozen, code]"}},
			"24:5: policies.update.frozen: cannot change: policies.update.frozen lists policies.update.frozen"},
		{"name", full, [][2]string{{"name: hello", "name: hello2"}},
			`2:1: name: a service's name never changes (it is "hello"); deploy a new service to use another name`},
		{"several", full, [][2]string{{"name: hello", "name: other"}, {`    - paths: ["/*"]`, `    - paths: ["/x"]`}},
			"2:1: name: a service's name never changes (it is \"hello\"); deploy a new service to use another name\n" +
				"11:3: permissions.callers: cannot change: policies.update.frozen lists permissions.callers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := mustParse(t, tt.old)
			doc := tt.old
			for _, e := range tt.edits {
				doc = edit(t, doc, e[0], e[1])
			}
			err := CheckUpdate(old, mustParse(t, doc))
			if tt.want == "" {
				if err != nil {
					t.Errorf("CheckUpdate refused an allowed change: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("CheckUpdate:\n got: %v\nwant: %s", err, tt.want)
			}
		})
	}
}

func TestOnlyChanged(t *testing.T) {
	full := readTestdata(t, "full.yaml")
	base := mustParse(t, full)
	scaled := mustParse(t, edit(t, full, "  replicas: 3", "  replicas: 5"))
	respread := mustParse(t, edit(t, edit(t, full, "  replicas: 3", "  replicas: 5"), "spread: node", "spread: region"))
	if !OnlyChanged(base, base, "placement.replicas") {
		t.Error("no change must pass")
	}
	if !OnlyChanged(base, scaled, "placement.replicas") {
		t.Error("scaling must pass as a replicas-only change")
	}
	if OnlyChanged(base, respread, "placement.replicas") {
		t.Error("a change to placement.spread passed as a replicas-only change")
	}
	if !OnlyChanged(base, respread, "placement") {
		t.Error("changes within placement must pass when placement is allowed")
	}
}
