package manifest

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestDesignExample(t *testing.T) {
	m, err := parseFile(t, filepath.Join("testdata", "design.yaml"), ParseOptions{})
	if err != nil {
		t.Fatalf("the example of DESIGN.md §5 must validate:\n%v", err)
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("Validate after Parse: %v", err)
	}
	perms := m.Permissions
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", m.Name, "hello"},
		{"wasm", m.Code.Wasm, wasmHash},
		{"abi", m.Code.ABI, ABIHTTPv1},
		{"owners (sorted)", perms.Owners.Accounts, []string{acct2, acct1}},
		{"threshold", perms.Owners.Threshold, uint32(2)},
		{"operators", perms.Operators, []string{acct3}},
		{"rules", len(perms.Callers), 2},
		{"rule 0", perms.Callers[0], CallerRule{Paths: []string{"/admin/*"}, Allow: []string{acct1}}},
		{"rule 1", perms.Callers[1], CallerRule{Paths: []string{"/*"}, Public: true}},
		{"logViewers", perms.LogViewers.Kind, LogViewersOwners},
		{"kv", *perms.Capabilities.KV, KV{Quota: 16 * MiB}},
		{"egress", perms.Capabilities.Egress.Hosts, []string{"api.example.com"}},
		{"log", perms.Capabilities.Log, false},
		{"noticeBlocks", m.Policies.Update.NoticeBlocks, uint64(100)},
		{"frozen", m.Policies.Update.Frozen, []string{"permissions.callers"}},
		{"perCaller", *m.Policies.RateLimit.PerCaller, Rate{Count: 50, Per: time.Second}},
		{"maxPerHour", *m.Policies.Budget.MaxPerHour, Amount(5_000_000)},
		{"lowBalanceBlocks", m.Policies.Budget.LowBalanceBlocks, uint64(1000)},
		{"onDepletion", m.Policies.Budget.OnDepletion, DepletionPause},
		{"graceBlocks", m.Policies.Budget.GraceBlocks, uint64(100_000)},
		{"resources", m.Resources, Resources{CPU: 500, Memory: 64 * MiB, Storage: 128 * MiB, RequestTimeout: 2 * time.Second}},
		{"placement", m.Placement, Placement{Replicas: 3, ReplicasMax: 5, Spread: SpreadNode,
			RequireAttributes: []Attribute{{"region", "eu"}}, MinCollateral: 1_000_000_000}},
		{"pricing", m.Pricing, Pricing{CPUPerCoreSecond: 500, MemoryPerMiBHour: 2, StoragePerGiBHour: 50,
			Per1kRequests: 10, EgressPerGiB: 5000}},
	}
	for _, c := range checks {
		if !equalValues(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	m := mustParse(t, readTestdata(t, "minimal.yaml"))
	want := defaults()
	want.Name = "tiny"
	want.Code.Wasm = wasmHash
	want.Permissions.Owners = Owners{Accounts: []string{acct1}, Threshold: 1}
	want.Resources.Memory = 32 * MiB
	want.Placement.ReplicasMax = 1
	want.Pricing = Pricing{CPUPerCoreSecond: 500, MemoryPerMiBHour: 2, StoragePerGiBHour: 50, Per1kRequests: 10, EgressPerGiB: 5000}
	if got, wantC := string(m.Canonical()), string(want.Canonical()); got != wantC {
		t.Errorf("defaults:\n got: %s\nwant: %s", got, wantC)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"abi", m.Code.ABI, ABIHTTPv1},
		{"operators", len(m.Permissions.Operators), 0},
		{"callers", m.Permissions.Callers, []CallerRule{{Paths: []string{"/*"}, Public: true}}},
		{"logViewers", m.Permissions.LogViewers.Kind, LogViewersOwners},
		{"capabilities", m.Permissions.Capabilities, Capabilities{}},
		{"update", m.Policies.Update.NoticeBlocks, uint64(0)},
		{"frozen", len(m.Policies.Update.Frozen), 0},
		{"rateLimit", m.Policies.RateLimit.PerCaller == nil, true},
		{"maxPerHour", m.Policies.Budget.MaxPerHour == nil, true},
		{"budget", m.Policies.Budget, Budget{LowBalanceBlocks: 1000, OnDepletion: DepletionPause, GraceBlocks: 100_000}},
		{"resources", m.Resources, Resources{CPU: 100, Memory: 32 * MiB, RequestTimeout: 10 * time.Second}},
		{"placement", m.Placement, Placement{Replicas: 1, ReplicasMax: 1, Spread: SpreadNode}},
	}
	for _, c := range checks {
		if !equalValues(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestDefaultsFollowOtherFields(t *testing.T) {
	full := readTestdata(t, "full.yaml")
	t.Run("replicasMax defaults to replicas", func(t *testing.T) {
		m := mustParse(t, edit(t, full, "  replicasMax: 5\n", ""))
		if m.Placement.ReplicasMax != 3 {
			t.Errorf("replicasMax = %d, want 3 (= replicas)", m.Placement.ReplicasMax)
		}
	})
	t.Run("threshold defaults to every owner", func(t *testing.T) {
		m := mustParse(t, edit(t, full, "    threshold: 2\n", ""))
		if m.Permissions.Owners.Threshold != 2 {
			t.Errorf("threshold = %d, want 2 (all owners)", m.Permissions.Owners.Threshold)
		}
	})
}

// TestQuantitySpellings checks that each way of writing a quantity in YAML
// parses to the same value and one canonical spelling.
func TestQuantitySpellings(t *testing.T) {
	full := readTestdata(t, "full.yaml")
	tests := []struct {
		old, new, want string
	}{
		{"  cpu: 500m", "  cpu: 0.5", `"cpu":"500m"`},
		{"  cpu: 500m", `  cpu: "0.500"`, `"cpu":"500m"`},
		{"  cpu: 500m", "  cpu: 2", `"cpu":"2"`},
		{"  cpu: 500m", "  cpu: 1.25", `"cpu":"1250m"`},
		{"  cpu: 500m", "  cpu: 2000m", `"cpu":"2"`},
		{"  memory: 64Mi", "  memory: 67108864", `"memory":"64Mi"`},
		{"  memory: 64Mi", "  memory: 65536Ki", `"memory":"64Mi"`},
		{"  memory: 64Mi", "  memory: 2G", `"memory":"2G"`},
		{"  memory: 64Mi", "  memory: 2000000000", `"memory":"2G"`},
		{"  memory: 64Mi", "  memory: 2048000", `"memory":"2048k"`},
		{"  memory: 64Mi", "  memory: 1048577", `"memory":"1048577"`},
		{"  requestTimeout: 2s", "  requestTimeout: 2000ms", `"requestTimeout":"2s"`},
		{"  requestTimeout: 2s", "  requestTimeout: 60s", `"requestTimeout":"1m"`},
		{"  requestTimeout: 2s", "  requestTimeout: 1500ms", `"requestTimeout":"1500ms"`},
		{"  minCollateral: 1000QC", "  minCollateral: 0.25QC", `"minCollateral":"250000uqc"`},
		{"  minCollateral: 1000QC", "  minCollateral: 0.000001QC", `"minCollateral":"1uqc"`},
		{"  minCollateral: 1000QC", "  minCollateral: 7uqc", `"minCollateral":"7uqc"`},
		{"{perCaller: 50/s}", "{perCaller: 600/m}", `"perCaller":"600/m"`},
	}
	for _, tt := range tests {
		t.Run(tt.new, func(t *testing.T) {
			m := mustParse(t, edit(t, full, tt.old, tt.new))
			if c := string(m.Canonical()); !strings.Contains(c, tt.want) {
				t.Errorf("canonical form lacks %s:\n%s", tt.want, c)
			}
		})
	}
}

func TestDocumentProblems(t *testing.T) {
	full := readTestdata(t, "full.yaml")
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "", "the manifest is empty"},
		{"only comments", "# nothing here\n", "the manifest is empty"},
		{"null document", "~\n", "1:1: apiVersion: is required\n1:1: name: is required\n1:1: permissions: is required\n" +
			"1:1: resources: is required\n1:1: pricing: is required\n" +
			"1:1: code.wasm: is required: run q1 service deploy with --wasm to fill it in"},
		{"a string", "hello\n", "1:1: must be a mapping of fields (apiVersion, name, code, permissions, policies, resources, placement, pricing, schedules), got the string \"hello\""},
		{"a list", "- a\n- b\n", "1:1: must be a mapping of fields (apiVersion, name, code, permissions, policies, resources, placement, pricing, schedules), got a list"},
		{"two documents", full + "---\nname: other\n", "47:1: a manifest is a single YAML document; remove everything from the second '---' on"},
		{"syntax error", "name: [a, b\n", "1: invalid YAML: did not find expected ',' or ']'"},
		{"tab indentation", "name: a\n\tcode: b\n", "2: invalid YAML: found a tab character that violates indentation"},
		{"alias", edit(t, full, "  cpu: 500m", "  cpu: &c 500m\n  storage: *c"),
			"29:3: resources.storage: must be a byte size such as 128Mi, got an alias (*c); aliases are not supported\n" +
				"31:3: resources.storage: field is set twice; the first is on line 29"},
		{"merge key", edit(t, full, "placement:\n", "placement:\n  <<: {replicas: 1}\n"),
			"33:3: placement.<<: merge keys (<<) are not supported; write the fields out"},
		{"custom tag", edit(t, full, "name: hello", "name: !secret hello"), "2:1: name: must be a string, got a value tagged !secret"},
		{"too large", "name: " + strings.Repeat("a", MaxSize), "the manifest is larger than 65536 bytes, the most allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), ParseOptions{})
			if err == nil {
				t.Fatalf("Parse accepted the document")
			}
			_ = problemsOf(t, err) // fails the test unless err is Problems
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse problems:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

// TestEveryProblemReported checks that one run reports every defect of a
// manifest, each with its file, line, column and path, in source order.
func TestEveryProblemReported(t *testing.T) {
	name := filepath.Join("testdata", "many-problems.yaml")
	_, err := parseFile(t, name, ParseOptions{})
	if err == nil {
		t.Fatal("Parse accepted a manifest full of problems")
	}
	got := err.Error() + "\n"
	golden := filepath.Join("testdata", "many-problems.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readTestdata(t, "many-problems.golden")
	if got != want {
		t.Errorf("problems:\n%s\nwant (%s; run go test -update to rewrite):\n%s", got, golden, want)
	}
	for _, p := range problemsOf(t, err) {
		if p.File != name || p.Line == 0 || p.Column == 0 || p.Path == "" {
			t.Errorf("problem %q lacks its file, position or path", p)
		}
	}
}

func TestMissingWasm(t *testing.T) {
	doc := edit(t, readTestdata(t, "minimal.yaml"), "  wasm: "+wasmHash+"\n", "")
	m, err := Parse([]byte(doc), ParseOptions{AllowMissingWasm: true, Filename: "service.yaml"})
	if err != nil {
		t.Fatalf("a draft without code.wasm must parse with AllowMissingWasm: %v", err)
	}
	if m.HasWasm() {
		t.Error("HasWasm() = true for a draft")
	}
	const want = "4:1: code.wasm: is required: run q1 service deploy with --wasm to fill it in"
	if err := m.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate of a draft:\n got: %v\nwant: %s", err, want)
	}
	if _, err := ParseCanonical(m.Canonical()); err == nil || !strings.Contains(err.Error(), "code.wasm: is required") {
		t.Errorf("ParseCanonical of a draft: %v; want code.wasm required", err)
	}
	m.Code.Wasm = wasmHash
	if err := m.Validate(); err != nil {
		t.Errorf("Validate once the CLI filled code.wasm: %v", err)
	}
	if _, err := ParseCanonical(m.Canonical()); err != nil {
		t.Errorf("ParseCanonical once the CLI filled code.wasm: %v", err)
	}
}

func TestValidateBuiltInGo(t *testing.T) {
	m := mustParse(t, readTestdata(t, "full.yaml"))
	m.Placement.Replicas = 0
	m.Permissions.Owners.Accounts = append(m.Permissions.Owners.Accounts, "q1bad")
	m.Resources.RequestTimeout = 1500 * time.Microsecond
	err := m.Validate()
	const want = "8:5: permissions.owners.accounts[2]: \"q1bad\" is not a Quantum1Net account address: decoding bech32 failed: invalid bech32 string length 5\n" +
		"31:3: resources.requestTimeout: must be a whole number of milliseconds, got 1.5ms\n" +
		"33:3: placement.replicas: must be between 1 and 100, got 0"
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\n got: %v\nwant: %s", err, want)
	}
	bare := &Manifest{}
	err = bare.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "apiVersion: must be q1/v1, got \"\"\nname: must be a DNS label") {
		t.Errorf("Validate of a zero Manifest: %v", err)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "service.yaml", Path: "permissions.owners.threshold", Line: 12, Column: 5, Message: "m"}, "service.yaml:12:5: permissions.owners.threshold: m"},
		{Problem{Path: "name", Line: 2, Column: 1, Message: "m"}, "2:1: name: m"},
		{Problem{File: "f.yaml", Line: 3, Message: "invalid YAML: x"}, "f.yaml:3: invalid YAML: x"},
		{Problem{File: "f.yaml", Message: "the manifest is empty"}, "f.yaml: the manifest is empty"},
		{Problem{Path: "name", Message: "m"}, "name: m"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	ps := Problems{{Path: "a", Line: 1, Column: 1, Message: "x"}, {Path: "b", Line: 2, Column: 3, Message: "y"}}
	if got, want := ps.WithFile("s.yaml").Error(), "s.yaml:1:1: a: x\ns.yaml:2:3: b: y"; got != want {
		t.Errorf("WithFile(...).Error() = %q, want %q", got, want)
	}
	if ps[0].File != "" {
		t.Error("WithFile changed the original")
	}
}

// equalValues compares test values, treating nil and empty slices alike.
func equalValues(a, b any) bool {
	switch a := a.(type) {
	case []string:
		return slices.Equal(a, b.([]string))
	case []CallerRule:
		return slices.EqualFunc(a, b.([]CallerRule), func(x, y CallerRule) bool { return equalValues(x, y) })
	case CallerRule:
		b := b.(CallerRule)
		return slices.Equal(a.Paths, b.Paths) && a.Public == b.Public && slices.Equal(a.Allow, b.Allow)
	case Placement:
		b := b.(Placement)
		return a.Replicas == b.Replicas && a.ReplicasMax == b.ReplicasMax && a.Spread == b.Spread &&
			slices.Equal(a.RequireAttributes, b.RequireAttributes) && a.MinCollateral == b.MinCollateral
	case Capabilities:
		b := b.(Capabilities)
		return a.KV == nil && b.KV == nil && a.Egress == nil && b.Egress == nil && a.Log == b.Log
	case Budget:
		b := b.(Budget)
		return (a.MaxPerHour == nil) == (b.MaxPerHour == nil) && a.LowBalanceBlocks == b.LowBalanceBlocks &&
			a.OnDepletion == b.OnDepletion && a.GraceBlocks == b.GraceBlocks
	default:
		return a == b
	}
}
