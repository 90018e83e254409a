package replicas

import (
	"net/http"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/blobhash"
)

// PrecompileUploads wraps the blob store's handler: a module uploaded here
// is compiled into the cache at once, since the service it belongs to is
// about to be created and may be placed on this node.
func PrecompileUploads(h http.Handler, replicas *Manager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status/100 == 2 {
			if hash, err := blobhash.Parse(r.Header.Get(q1client.HeaderBlobHash)); err == nil {
				replicas.Precompile(hash)
			}
		}
	})
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
