package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// designHash is the hash of testdata/design.yaml. If it changes, the
// canonical encoding changed, and with it the hash of every manifest on
// chain: that needs a chain upgrade, not just a new test value.
const designHash = "sha256:19808e144e97262f810df02724e4a62ad43a6efdbf410795e3a9374f0ae0521c"

func TestCanonicalGolden(t *testing.T) {
	m := mustParse(t, readTestdata(t, "design.yaml"))
	got := m.Canonical()
	golden := filepath.Join("testdata", "design.canonical.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readTestdata(t, "design.canonical.json"); string(got) != want {
		t.Errorf("canonical encoding changed:\n got: %s\nwant: %s", got, want)
	}
	sum := sha256.Sum256(got)
	if h := m.Hash(); h != "sha256:"+hex.EncodeToString(sum[:]) || h != designHash {
		t.Errorf("Hash() = %s, want %s", h, designHash)
	}
	if !json.Valid(got) {
		t.Error("canonical bytes are not valid JSON")
	}
}

func TestCanonicalFixedPoint(t *testing.T) {
	for _, name := range []string{"design.yaml", "full.yaml", "minimal.yaml"} {
		t.Run(name, func(t *testing.T) {
			m := mustParse(t, readTestdata(t, name))
			c1 := m.Canonical()
			m2, err := Parse(c1, ParseOptions{})
			if err != nil {
				t.Fatalf("Parse(Canonical()): %v", err)
			}
			if c2 := m2.Canonical(); !bytes.Equal(c1, c2) {
				t.Fatalf("Parse then Canonical is not a fixed point:\n%s\n%s", c1, c2)
			}
			m3, err := ParseCanonical(c1)
			if err != nil {
				t.Fatalf("ParseCanonical(Canonical()): %v", err)
			}
			if changed := ChangedPaths(m, m3); changed != nil {
				t.Errorf("ChangedPaths(yaml, canonical) = %v, want none", changed)
			}
			if m.Hash() != m3.Hash() {
				t.Error("hash differs between the YAML and its canonical form")
			}
		})
	}
}

// TestCanonicalIgnoresSpelling checks that manifests that mean the same
// thing, written differently, have the same canonical bytes.
func TestCanonicalIgnoresSpelling(t *testing.T) {
	base := mustParse(t, readTestdata(t, "full.yaml"))
	respelled := `# same manifest, other spellings and order
pricing: {egressPerGiB: 0.005QC, per1kRequests: 10uqc, storagePerGiBHour: 50uqc, memoryPerMiBHour: 2uqc, cpuPerCoreSecond: 0.0005QC}
placement: {minCollateral: 1000000000uqc, requireAttributes: {region: eu}, spread: node, replicasMax: 5, replicas: 3}
resources: {requestTimeout: 2000ms, storage: 134217728, memory: 65536Ki, cpu: 0.5}
policies:
  budget: {graceBlocks: 100000, onDepletion: pause, lowBalanceBlocks: 1000, maxPerHour: 5000000uqc}
  rateLimit: {perCaller: 50/s}
  update: {frozen: [permissions.callers], noticeBlocks: 100}
permissions:
  capabilities: {log: true, egress: {hosts: [api.example.com]}, kv: {quota: 16Mi}}
  logViewers: owners
  callers:
    - {allow: [` + acct1 + `], paths: ["/admin/*"]}
    - {allow: public, paths: ["/*"]}
  operators: [` + acct3 + `]
  owners: {threshold: 2, accounts: [` + acct2 + `, ` + acct1 + `]}
code: {abi: q1-http/v1, wasm: "` + wasmHash + `"}
name: "hello"
apiVersion: 'q1/v1'
schedules: [{path: /admin/cleanup, cron: " */5  * * *  * "}, {path: /admin/report, cron: "@every  60m"}]
`
	m := mustParse(t, respelled)
	if got, want := m.Canonical(), base.Canonical(); !bytes.Equal(got, want) {
		t.Errorf("same manifest, different canonical bytes:\n got: %s\nwant: %s", got, want)
	}
}

func TestParseCanonicalRejects(t *testing.T) {
	m := mustParse(t, readTestdata(t, "design.yaml"))
	canon := string(m.Canonical())
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(canon), "", "  "); err != nil {
		t.Fatal(err)
	}
	notCanonicalAt := func(i int) string {
		return fmt.Sprintf("manifest is not in canonical form: it differs from its canonical encoding at byte %d; send Manifest.Canonical()", i)
	}
	after := func(s string) int { return strings.Index(canon, s) + len(s) }
	tests := []struct {
		name, doc, want string
	}{
		{"indented", indented.String(), "manifest is not in canonical form: it differs from its canonical encoding at byte 1; send Manifest.Canonical()"},
		{"trailing newline", canon + "\n", notCanonicalAt(len(canon))},
		{"QC spelling", strings.Replace(canon, `"maxPerHour":"5000000uqc"`, `"maxPerHour":"5QC"`, 1), notCanonicalAt(after(`"maxPerHour":"5`))},
		{"unsorted owners", strings.Replace(canon, `"accounts":["`+acct2+`","`+acct1+`"]`, `"accounts":["`+acct1+`","`+acct2+`"]`, 1), notCanonicalAt(after(`"owners":{"accounts":["q11q`))},
		{"YAML", readTestdata(t, "design.yaml"), "manifest is not in canonical form: it differs from its canonical encoding at byte 0; send Manifest.Canonical()"},
		{"invalid", strings.Replace(canon, `"threshold":2`, `"threshold":3`, 1), fmt.Sprintf("1:%d: permissions.owners.threshold: must be between 1 and 2 (the number of owners), got 3", strings.Index(canon, `"threshold"`)+1)},
		{"empty", "", "the manifest is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name != "invalid" && tt.name != "empty" && tt.doc == canon {
				t.Fatal("test edit did not apply")
			}
			_, err := ParseCanonical([]byte(tt.doc))
			if err == nil {
				t.Fatal("ParseCanonical accepted the bytes")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("ParseCanonical:\n got: %s\nwant: %s", got, tt.want)
			}
			var ps Problems
			if notCanonical := errors.Is(err, ErrNotCanonical); notCanonical == errors.As(err, &ps) {
				t.Errorf("error must be either ErrNotCanonical or Problems: %v", err)
			}
		})
	}
}

func TestJSONString(t *testing.T) {
	got := string(appendJSONString(nil, "a\"b\\c\n\x01</>&é"))
	if want := `"a\"b\\c\u000a\u0001</>&é"`; got != want {
		t.Errorf("appendJSONString = %s, want %s", got, want)
	}
	var back string
	if err := json.Unmarshal([]byte(got), &back); err != nil || back != "a\"b\\c\n\x01</>&é" {
		t.Errorf("encoding/json reads it back as %q, %v", back, err)
	}
}
