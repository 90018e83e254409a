package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quantum1net/q1/core/manifest"
)

func TestReadManifestMissingFile(t *testing.T) {
	_, err := readManifest(filepath.Join(t.TempDir(), "missing.yaml"), manifest.ParseOptions{})
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "read manifest: open ") {
		t.Errorf("readManifest of a missing file: %v", err)
	}
}

func TestReadManifestNamesTheFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "service.yaml")
	if err := os.WriteFile(name, []byte("name: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := readManifest(name, manifest.ParseOptions{})
	var problems manifest.Problems
	if !errors.As(err, &problems) || len(problems) == 0 || problems[0].File != name {
		t.Errorf("readManifest of a bad manifest: %v; want problems in %s", err, name)
	}
}
