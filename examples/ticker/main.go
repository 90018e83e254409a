// Command ticker shows scheduled requests (manifest schedules): the network
// sends POST /tasks/tick every minute, marked with the X-Q1-Schedule header
// (the schedule's index), and ticker counts them in its key-value store and
// logs a line each time. GET / shows the count. A caller cannot pass for
// the schedule: the gateway removes X-Q1-Schedule from callers' requests,
// so a POST /tasks/tick from outside is refused.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o ticker.wasm ./examples/ticker
package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/quantum1net/q1/sdk/guest"
)

// HeaderSchedule is set by the node on scheduled requests only.
const HeaderSchedule = "X-Q1-Schedule"

const key = "ticks"

func init() {
	guest.Handle(http.HandlerFunc(serve))
}

func serve(w http.ResponseWriter, r *http.Request) {
	kv := guest.KV()
	n, err := load(kv)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	switch {
	case r.URL.Path == "/tasks/tick" && r.Method == http.MethodPost:
		schedule := r.Header.Get(HeaderSchedule)
		if schedule == "" {
			http.Error(w, "only the service's schedule runs /tasks/tick", http.StatusForbidden)
			return
		}
		n++
		if err := kv.Put(key, []byte(strconv.FormatUint(n, 10))); err != nil {
			http.Error(w, err.Error(), http.StatusInsufficientStorage)
			return
		}
		guest.Log().Info("tick", "schedule", schedule, "ticks", n)
		fmt.Fprintf(w, "tick %d (schedule %s)\n", n, schedule)
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "ticks: %d\n", n)
	default:
		http.NotFound(w, r)
	}
}

// load returns the stored count, 0 when none was stored yet.
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
		return 0, fmt.Errorf("stored count %q is not a number: %w", v, err)
	}
	return n, nil
}

// main never runs in a -buildmode=c-shared module; init registers the handler.
func main() {}
