package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Real account addresses (payloads of 20 bytes 0x01, 0x02, ... and one of
// 32 bytes), used throughout the tests and testdata.
const (
	acct1    = "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"
	acct2    = "q11qgpqyqszqgpqyqszqgpqyqszqgpqyqszr0glsg"
	acct3    = "q11qvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrzlf76f"
	acct4    = "q11qszqgpqyqszqgpqyqszqgpqyqszqgpqyz0wma4"
	acct32   = "q11pyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyys2e2663"
	valoper  = "q1valoper1qyqszqgpqyqszqgpqyqszqgpqyqszqgpxm3h6h"
	cosmos1  = "cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du"
	short19  = "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgzucmv5"
	wasmHash = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// parseFile parses the manifest in the named file, its name in every problem.
func parseFile(t *testing.T, name string, opts ParseOptions) (*Manifest, error) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	opts.Filename = name
	return Parse(data, opts)
}

// edit replaces the one occurrence of old in doc with new.
func edit(t *testing.T, doc, old, new string) string {
	t.Helper()
	if n := strings.Count(doc, old); n != 1 {
		t.Fatalf("edit: %q occurs %d times in the document, want once", old, n)
	}
	return strings.Replace(doc, old, new, 1)
}

func mustParse(t *testing.T, doc string) *Manifest {
	t.Helper()
	m, err := Parse([]byte(doc), ParseOptions{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// problemsOf returns err as Problems, failing the test if it is not.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	return ps
}
