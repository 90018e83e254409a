// Package manifest reads, checks and encodes Service Manifests: the YAML a
// service's owners write (DESIGN.md §5). [Parse] reports every problem at
// once, each with its field path, line and column; [Manifest.Canonical] gives
// the canonical JSON bytes whose hash the chain records; [CheckUpdate] says
// which changes an update may make.
//
// The chain runs this package when it accepts a manifest, so it is
// deterministic: no files, clock, randomness, goroutines, floats or map
// order (internal/floors checks it). Reading a manifest from a file is the
// caller's job.
package manifest
