// Command hello is the smallest Quantum1Net service: it answers every path
// with a greeting.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hello.wasm ./examples/hello
package main

import (
	"fmt"
	"net/http"

	"github.com/quantum1net/q1/sdk/guest"
)

func init() {
	guest.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "hello from Quantum1Net: %s\n", r.URL.Path)
	}))
}

// main never runs in a -buildmode=c-shared module; init registers the handler.
func main() {}
