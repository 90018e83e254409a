package main

import (
	"fmt"
	"io"
	"os"

	"github.com/quantum1net/q1/core/manifest"
)

// readManifest reads and parses the manifest in the named file; problems
// carry the file name unless opts.Filename names another. The manifest
// package reads no files (it runs in consensus), so the CLI does.
func readManifest(name string, opts manifest.ParseOptions) (*manifest.Manifest, error) {
	if opts.Filename == "" {
		opts.Filename = name
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer f.Close()
	// One byte past the limit is enough for Parse to report the file too large.
	data, err := io.ReadAll(io.LimitReader(f, manifest.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", name, err)
	}
	return manifest.Parse(data, opts)
}
