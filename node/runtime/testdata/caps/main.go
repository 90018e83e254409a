// Command caps uses every capability (kv, log, egress), to test the host
// functions end to end. Built by the runtime tests; never committed as wasm.
package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/quantum1net/q1/sdk/guest"
)

func init() {
	kv := guest.KV()
	log := guest.Log()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kv/{key}", func(w http.ResponseWriter, r *http.Request) {
		v, err := kv.Get(r.PathValue("key"))
		if errors.Is(err, guest.ErrNotFound) {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(v)
	})
	mux.HandleFunc("PUT /kv/{key}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := kv.Put(r.PathValue("key"), body)
		switch {
		case errors.Is(err, guest.ErrQuotaExceeded):
			http.Error(w, err.Error(), http.StatusInsufficientStorage)
		case errors.Is(err, guest.ErrInvalid):
			http.Error(w, err.Error(), http.StatusBadRequest)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("DELETE /kv/{key}", func(w http.ResponseWriter, r *http.Request) {
		if err := kv.Delete(r.PathValue("key")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /list", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		keys, err := kv.List(q.Get("prefix"), q.Get("after"), limit)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, strings.Join(keys, ","))
	})
	mux.HandleFunc("GET /log", func(w http.ResponseWriter, r *http.Request) {
		log.Warn("hello from the guest", "path", r.URL.Path)
		fmt.Println("a line on stdout")
		fmt.Fprint(os.Stderr, "a line on stderr\n")
	})
	mux.HandleFunc("GET /fetch", func(w http.ResponseWriter, r *http.Request) {
		resp, err := guest.HTTPClient().Get(r.URL.Query().Get("url"))
		switch {
		case errors.Is(err, guest.ErrDenied):
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(w, "%d %s", resp.StatusCode, body)
	})
	guest.Handle(mux)
}

func main() {}
