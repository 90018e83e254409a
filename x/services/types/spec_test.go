package types_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/x/services/types"
)

const (
	specAcct1 = "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"
	specAcct2 = "q11qgpqyqszqgpqyqszqgpqyqszqgpqyqszr0glsg"
	specAcct3 = "q11qvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrzlf76f"
)

// testdataManifests returns every document under core/manifest/testdata
// (YAML, JSON, and the fuzz corpus's inputs) that parses, at least as a
// draft, by file name.
func testdataManifests(t *testing.T) map[string]*manifest.Manifest {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "core", "manifest", "testdata")
	docs := map[string][]byte{}
	for _, pattern := range []string{"*.yaml", "*.json"} {
		files, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs[filepath.Base(f)] = b
		}
	}
	corpus, err := filepath.Glob(filepath.Join(dir, "fuzz", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range corpus {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if q, ok := strings.CutPrefix(line, "[]byte("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
					docs["fuzz/"+filepath.Base(f)] = []byte(s)
				}
			}
		}
	}
	out := map[string]*manifest.Manifest{}
	for name, b := range docs {
		m, err := manifest.Parse(b, manifest.ParseOptions{})
		if err != nil {
			m, err = manifest.Parse(b, manifest.ParseOptions{AllowMissingWasm: true, AllowMissingOwners: true})
		}
		if err == nil {
			out[name] = m
		}
	}
	if len(out) < 3 {
		t.Fatalf("only %d testdata manifests parse; the glob is wrong", len(out))
	}
	return out
}

// goManifests builds manifests in Go that set what the testdata leaves at
// its defaults: every optional field on, and every one off.
func goManifests(t *testing.T, base *types.ServiceSpec) map[string]*manifest.Manifest {
	t.Helper()
	everything := base.Manifest()
	everything.Name = "everything"
	everything.Permissions.Owners = manifest.Owners{Accounts: []string{specAcct1, specAcct2, specAcct3}, Threshold: 2}
	everything.Permissions.Operators = []string{specAcct3}
	everything.Permissions.Callers = []manifest.CallerRule{
		{Paths: []string{"/admin/*", "/ops/*"}, Allow: []string{specAcct1, specAcct2}},
		{Paths: []string{"/*"}, Public: true},
	}
	everything.Permissions.LogViewers = manifest.LogViewers{Kind: manifest.LogViewersAccounts, Accounts: []string{specAcct3}}
	everything.Permissions.Capabilities = manifest.Capabilities{
		KV: &manifest.KV{Quota: 16 * manifest.MiB}, Egress: &manifest.Egress{Hosts: []string{"*.example.com", "api.example.org"}}, Log: true,
		Secrets: &manifest.Secrets{Names: []string{"API_KEY", "DB_URL"}},
	}
	everything.Permissions.SecretWriters = []string{specAcct3}
	everything.Policies.Update = manifest.UpdatePolicy{NoticeBlocks: 7, Frozen: []string{"permissions.callers", "pricing"}}
	everything.Policies.RateLimit.PerCaller = &manifest.Rate{Count: 600, Per: time.Minute}
	cap := manifest.Amount(5_000_000)
	everything.Policies.Budget = manifest.Budget{MaxPerHour: &cap, LowBalanceBlocks: 10, OnDepletion: manifest.DepletionDelete, GraceBlocks: 20}
	everything.Resources = manifest.Resources{CPU: 1500, Memory: 3 * manifest.GiB, Storage: 1 * manifest.TiB, RequestTimeout: 1500 * time.Millisecond}
	everything.Placement = manifest.Placement{
		Replicas: 2, ReplicasMax: 9, Spread: "zone",
		RequireAttributes: []manifest.Attribute{{Key: "region", Value: "eu"}, {Key: "tier", Value: "gold"}},
		MinCollateral:     12_345,
	}
	everything.Schedules = []manifest.Schedule{{Cron: "*/5 * * * *", Path: "/ops/cleanup"}, {Cron: "@every 1h", Path: "/report"}}
	everything.Pricing = manifest.Pricing{CPUPerCoreSecond: 1, MemoryPerMiBHour: 2, StoragePerGiBHour: 3, Per1kRequests: 4, EgressPerGiB: 5}

	copied := types.SpecFromManifest(everything)
	nothing := copied.Manifest()
	nothing.Name = "nothing"
	nothing.Permissions.Operators = nil
	nothing.Permissions.Callers = []manifest.CallerRule{{Paths: []string{"/*"}, Public: true}}
	nothing.Permissions.LogViewers = manifest.LogViewers{Kind: manifest.LogViewersPublic}
	nothing.Permissions.Capabilities = manifest.Capabilities{}
	nothing.Permissions.SecretWriters = nil
	nothing.Policies.Update = manifest.UpdatePolicy{}
	nothing.Policies.RateLimit.PerCaller = &manifest.Rate{Count: 1, Per: time.Hour}
	nothing.Policies.Budget.MaxPerHour = nil
	nothing.Placement.RequireAttributes = nil
	nothing.Placement.Spread = manifest.SpreadNode
	nothing.Resources.Storage = 0
	nothing.Schedules = nil

	out := map[string]*manifest.Manifest{"go/everything": everything, "go/nothing": nothing}
	for name, m := range out {
		if err := m.Validate(); err != nil {
			t.Fatalf("%s: the Go-built manifest is invalid: %v", name, err)
		}
	}
	return out
}

// TestSpecRoundTrip checks that Manifest → ServiceSpec → Manifest keeps the
// canonical bytes exactly, for every testdata manifest and a few built in
// Go, and that the spec survives its proto encoding.
func TestSpecRoundTrip(t *testing.T) {
	ms := testdataManifests(t)
	design, ok := ms["design.yaml"]
	if !ok {
		t.Fatal("design.yaml does not parse")
	}
	s := types.SpecFromManifest(design)
	for name, m := range goManifests(t, &s) {
		ms[name] = m
	}
	for name, m := range ms {
		t.Run(name, func(t *testing.T) {
			want := m.Canonical()
			spec := types.SpecFromManifest(m)
			if spec.RulesVersion != types.SpecRulesVersion {
				t.Errorf("rules version %d, want %d", spec.RulesVersion, types.SpecRulesVersion)
			}
			if got := spec.Manifest().Canonical(); !bytes.Equal(got, want) {
				t.Fatalf("round trip changed the canonical bytes:\n got %s\nwant %s", got, want)
			}
			bz, err := spec.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var decoded types.ServiceSpec
			if err := decoded.Unmarshal(bz); err != nil {
				t.Fatal(err)
			}
			if got := decoded.Canonical(); !bytes.Equal(got, want) {
				t.Fatalf("round trip through proto changed the canonical bytes:\n got %s\nwant %s", got, want)
			}
			if m.HasWasm() {
				if err := decoded.CheckStored(want, m.Hash()); err != nil {
					t.Fatal(err)
				}
			}
			for _, acct := range []string{"", specAcct1, specAcct2, specAcct3} {
				if decoded.IsOwner(acct) != m.IsOwner(acct) || decoded.IsOperator(acct) != m.IsOperator(acct) || decoded.MayViewLogs(acct) != m.MayViewLogs(acct) ||
					decoded.GrantsSecret("API_KEY") != m.Permissions.Capabilities.Secrets.Allows("API_KEY") {
					t.Errorf("roles of %q differ between spec and manifest", acct)
				}
			}
		})
	}
}

// TestSpecManifestIsACopy checks that changing the manifest a spec converts
// to leaves the spec alone (scaling builds its next version that way).
func TestSpecManifestIsACopy(t *testing.T) {
	m := testdataManifests(t)["design.yaml"]
	s := types.SpecFromManifest(m)
	before := s.Canonical()
	c := s.Manifest()
	c.Placement.Replicas = 5
	c.Permissions.Owners.Accounts[0] = specAcct3
	c.Permissions.Callers[0].Paths[0] = "/x"
	*c.Policies.Budget.MaxPerHour = 1
	c.Permissions.Capabilities.Egress.Hosts[0] = "x.example.com"
	if !bytes.Equal(s.Canonical(), before) {
		t.Fatal("changing the converted manifest changed the spec")
	}
}

// TestSpecCheckStored checks the consistency check genesis import runs.
func TestSpecCheckStored(t *testing.T) {
	m := testdataManifests(t)["design.yaml"]
	s := types.SpecFromManifest(m)
	b, h := m.Canonical(), m.Hash()
	if err := s.CheckStored(b, h); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckStored(append([]byte(" "), b...), h); err == nil {
		t.Error("a spec passed against other bytes")
	}
	if err := s.CheckStored(b, "sha256:00"); err == nil {
		t.Error("a spec passed against another hash")
	}
	s.RulesVersion = types.SpecRulesVersion + 1
	if err := s.CheckStored(b, h); err == nil {
		t.Error("a spec of an unknown rules version passed")
	}
}

// BenchmarkReadStoredManifest compares what a keeper paid to read a
// service's rules before specs were stored (parse and validate the
// canonical bytes) with what it pays now (decode the stored spec), for the
// manifest of DESIGN.md §5.
func BenchmarkReadStoredManifest(b *testing.B) {
	t := &testing.T{}
	m := testdataManifests(t)["design.yaml"]
	canonical := m.Canonical()
	spec := types.SpecFromManifest(m)
	stored, err := spec.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse=canonical-bytes", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(canonical)))
		for b.Loop() {
			if _, err := manifest.ParseCanonical(canonical); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode=spec", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(stored)))
		for b.Loop() {
			var s types.ServiceSpec
			if err := s.Unmarshal(stored); err != nil {
				b.Fatal(err)
			}
		}
	})
}
