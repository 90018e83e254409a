package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. It must never panic; what it
// accepts must encode canonically to bytes that Parse and ParseCanonical
// accept and that encode to themselves again. Its seed corpus is in
// testdata/fuzz/FuzzParse plus every YAML file in testdata.
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 60s ./core/manifest
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, ParseOptions{AllowMissingWasm: true})
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Parse failed without Problems: %v", err)
			}
			for _, p := range ps {
				if p.Message == "" {
					t.Fatalf("problem without a message: %+v", p)
				}
			}
			return
		}
		c1 := m.Canonical()
		m2, err := Parse(c1, ParseOptions{AllowMissingWasm: true})
		if err != nil {
			t.Fatalf("Parse accepted the input but not its canonical form %s: %v", c1, err)
		}
		if c2 := m2.Canonical(); !bytes.Equal(c1, c2) {
			t.Fatalf("Canonical is not a fixed point:\n%s\n%s", c1, c2)
		}
		if changed := ChangedPaths(m, m2); changed != nil {
			t.Fatalf("ChangedPaths between a manifest and its canonical form: %v", changed)
		}
		if m.HasWasm() {
			if _, err := ParseCanonical(c1); err != nil {
				t.Fatalf("ParseCanonical refused canonical bytes %s: %v", c1, err)
			}
			if err := m.Validate(); err != nil {
				t.Fatalf("Validate refused what Parse accepted: %v", err)
			}
		}
		_ = m.Summary()
	})
}
