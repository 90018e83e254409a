// Command echo answers every request with what it received: the method, the
// path and query, the headers (sorted) and the body, and logs one line per
// request (its manifest grants the log capability; `q1 service logs echo`).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o echo.wasm ./examples/echo
package main

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/quantum1net/q1/sdk/guest"
)

func init() {
	log := guest.Log()
	guest.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		log.Info("echo", "method", r.Method, "path", r.URL.Path, "bytes", len(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%s %s\n", r.Method, r.URL.RequestURI())
		fmt.Fprintf(w, "Host: %s\n", r.Host)
		for _, name := range slices.Sorted(maps.Keys(r.Header)) {
			for _, v := range r.Header[name] {
				fmt.Fprintf(w, "%s: %s\n", name, v)
			}
		}
		fmt.Fprintf(w, "\n")
		w.Write(body)
	}))
}

// main never runs in a -buildmode=c-shared module; init registers the handler.
func main() {}
