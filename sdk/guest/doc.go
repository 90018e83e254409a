// Package guest is the Go SDK for Quantum1Net services: write an ordinary
// net/http Handler, hand it to the SDK in one line, and build a WebAssembly
// module that a Quantum1Net node runs behind its gateway.
//
// A complete service:
//
//	// Command hello answers every path with a greeting.
//	package main
//
//	import (
//		"fmt"
//		"net/http"
//
//		"github.com/quantum1net/q1/sdk/guest"
//	)
//
//	func init() {
//		guest.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			fmt.Fprintf(w, "hello from Quantum1Net: %s\n", r.URL.Path)
//		}))
//	}
//
//	func main() {}
//
// Build it with exactly:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hello.wasm .
//
// `q1 service new NAME` creates such a project outside the Quantum1Net
// repository, with a manifest, tests and a go.mod (docs/first-service.md).
// The SDK is the module github.com/quantum1net/q1/sdk, which needs only the
// standard library.
//
// The module is a WASI reactor (ABI q1-http/v1, docs/guest-abi.md): a node
// instantiates it once, runs its package initializers, and then calls it for
// request after request while it stays warm. main.main never runs, so register
// the handler from init; main may stay empty. Global state lives as long as the
// instance, but a node runs several instances of a service and replaces one
// that fails, so keep lasting state in KV.
//
// Capabilities. The manifest's permissions.capabilities decide which host
// functions a module may import; a node refuses to load a module that imports
// one it was not granted, and names it. Using the SDK's accessors is what
// imports them:
//
//   - KV: a key-value store with a byte quota (kv).
//   - Log: a *slog.Logger whose lines the node keeps for the service (log).
//   - HTTPClient: an *http.Client for outbound requests to the hosts the
//     manifest lists (egress).
//
// Anything written to stdout or stderr goes to the service log too when the
// log capability is granted, and is otherwise discarded.
//
// A panic that escapes the handler ends the instance: the request fails with
// a 500 naming the panic, and the node starts a fresh instance.
//
// Outside a wasip1 build the package still compiles: Handle records the
// handler (so it can be tested with net/http/httptest) and the capabilities
// return errors matching ErrNoHost.
package guest
