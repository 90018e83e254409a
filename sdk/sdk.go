// Package sdk carries the source of the Go SDK module for service authors,
// so that `q1 service new` can give a new service a copy of the SDK that
// matches the q1 binary creating it (docs/first-service.md).
//
// Services import github.com/quantum1net/q1/sdk/guest, never this package.
// The module github.com/quantum1net/q1/sdk (this directory) depends on the
// standard library only, so a service needs nothing else to build.
package sdk

import "embed"

// ModulePath is the SDK module's path.
const ModulePath = "github.com/quantum1net/q1/sdk"

// Files is the SDK module's source: its go.mod and the .go files of every
// package in it, tests included (a copy may leave them out).
//
//go:embed go.mod guest/*.go guest/abi/*.go
var Files embed.FS
