package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParseCanonical feeds arbitrary bytes to ParseCanonical, which the
// chain runs on every manifest a transaction carries. It must never panic,
// must refuse with Problems or a message that says where the bytes leave
// canonical form, and what it accepts must be exactly its own
// canonical encoding (so every validator agrees on the hash).
//
//	go test -run '^$' -fuzz FuzzParseCanonical -fuzztime 60s ./core/manifest
func FuzzParseCanonical(f *testing.F) {
	for _, name := range seedManifests(f) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if m, err := Parse(data, ParseOptions{AllowMissingWasm: true}); err == nil {
			f.Add(m.Canonical())
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseCanonical(data)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) && !strings.Contains(err.Error(), "not in canonical form: it differs from its canonical encoding at byte ") {
				t.Fatalf("ParseCanonical failed without saying what or where: %v", err)
			}
			return
		}
		if c := m.Canonical(); !bytes.Equal(c, data) {
			t.Fatalf("ParseCanonical accepted bytes that are not canonical:\n got %q\nwant %q", data, c)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Validate refused what ParseCanonical accepted: %v", err)
		}
	})
}

// FuzzCheckUpdate mutates one manifest into another and checks the rules
// the chain enforces on updates: CheckUpdate never panics, refuses any
// change to a frozen field, any rename and any shrinking of the frozen
// list, and accepts an update that changes nothing.
//
//	go test -run '^$' -fuzz FuzzCheckUpdate -fuzztime 60s ./core/manifest
func FuzzCheckUpdate(f *testing.F) {
	files := seedManifests(f)
	for i, a := range files {
		b := files[(i+1)%len(files)]
		da, _ := os.ReadFile(a)
		db, _ := os.ReadFile(b)
		f.Add(da, db)
		f.Add(da, da)
	}
	f.Fuzz(func(t *testing.T, oldData, newData []byte) {
		opts := ParseOptions{AllowMissingWasm: true}
		old, err := Parse(oldData, opts)
		if err != nil {
			return
		}
		next, err := Parse(newData, opts)
		if err != nil {
			return
		}
		if err := CheckUpdate(old, old); err != nil {
			t.Fatalf("CheckUpdate refused an update that changes nothing: %v", err)
		}
		err = CheckUpdate(old, next)
		renamed := old.Name != next.Name
		frozenChanged := slices.ContainsFunc(ChangedPaths(old, next), old.IsFrozen)
		dropped := slices.ContainsFunc(old.Policies.Update.Frozen, func(p string) bool {
			return !slices.Contains(next.Policies.Update.Frozen, p)
		})
		if (renamed || frozenChanged || dropped) && err == nil {
			t.Fatalf("CheckUpdate accepted a forbidden update (renamed %v, frozen field changed %v, frozen entry dropped %v)", renamed, frozenChanged, dropped)
		}
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 || ps[0].Message == "" {
				t.Fatalf("CheckUpdate refused without a Problem that says why: %v", err)
			}
		}
	})
}

// seedManifests lists the YAML manifests under testdata.
func seedManifests(f *testing.F) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed manifests in testdata: %v", err)
	}
	return files
}
