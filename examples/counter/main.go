// Command counter keeps a counter in the service's key-value store:
// POST / adds one and returns the new value, GET / returns the current value.
// It needs the kv capability (permissions.capabilities.kv).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o counter.wasm ./examples/counter
package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/quantum1net/q1/sdk/guest"
)

const key = "counter"

func init() {
	guest.Handle(http.HandlerFunc(serve))
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	kv := guest.KV()
	n, err := load(kv)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		n++
		if err := kv.Put(key, []byte(strconv.FormatUint(n, 10))); err != nil {
			http.Error(w, err.Error(), http.StatusInsufficientStorage)
			return
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "use GET to read the counter or POST to add one", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%d\n", n)
}

// load returns the stored counter, 0 when none was stored yet.
func load(kv *guest.KVStore) (uint64, error) {
	v, err := kv.Get(key)
	if errors.Is(err, guest.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stored counter %q is not a number: %w", v, err)
	}
	return n, nil
}

// main never runs in a -buildmode=c-shared module; init registers the handler.
func main() {}
