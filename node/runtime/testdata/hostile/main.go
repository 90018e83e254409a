// Command hostile misbehaves on request, to test that one service's failures
// stay its own. Built by the runtime tests; never committed as wasm.
package main

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/quantum1net/q1/sdk/guest"
)

var (
	spin  uint64
	hoard [][]byte
)

func init() {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/loop", func(http.ResponseWriter, *http.Request) {
		for {
			spin++
		}
	})
	mux.HandleFunc("/rand", func(http.ResponseWriter, *http.Request) {
		buf := make([]byte, 64<<10)
		for {
			rand.Read(buf)
		}
	})
	mux.HandleFunc("/membomb", func(http.ResponseWriter, *http.Request) {
		for {
			hoard = append(hoard, make([]byte, 1<<20))
		}
	})
	mux.HandleFunc("/bigresponse", func(w http.ResponseWriter, _ *http.Request) {
		chunk := make([]byte, 1<<20)
		for range 1024 { // 1 GiB, ignoring the errors once the host refuses
			w.Write(chunk)
		}
	})
	mux.HandleFunc("/recurse", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, recurse(0))
	})
	mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})
	mux.HandleFunc("/exit", func(http.ResponseWriter, *http.Request) {
		os.Exit(3)
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		time.Sleep(d)
		fmt.Fprintf(w, "slept %s", d)
	})
	mux.HandleFunc("/cpu", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		x := uint64(1)
		for i := 0; i < n; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		fmt.Fprint(w, x)
	})
	guest.Handle(mux)
}

// recurse calls itself without end: stopped by the call depth limit.
//
//go:noinline
func recurse(n uint64) uint64 { return recurse(n+1) + 1 }

func main() {}
