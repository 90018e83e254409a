// Command clock answers with everything a guest reads besides its request
// (the wall clock, the monotonic clock, sleeps, math/rand, crypto/rand, map
// order) and with state kept from one request to the next, to test that a
// node makes all of it deterministic. Built by the runtime tests; never
// committed as wasm.
package main

import (
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand"
	"net/http"
	"time"

	"github.com/quantum1net/q1/sdk/guest"
)

var (
	started = time.Now()
	seen    int
)

func init() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		seen++
		now := time.Now()
		time.Sleep(1500 * time.Millisecond)
		slept := time.Since(now)
		b := make([]byte, 8)
		crand.Read(b)
		m := map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true}
		order := ""
		for k := range m {
			order += fmt.Sprint(k)
		}
		fmt.Fprintf(w, "request %d: started %d, now %d, slept %s, math/rand %d, crypto/rand %s, map order %s\n",
			seen, started.UnixNano(), now.UnixNano(), slept, rand.Int63(), hex.EncodeToString(b), order)
	})
	guest.Handle(http.DefaultServeMux)
}

func main() {}
