package servicelogs

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
)

// Manifests is what the handler reads of the chain: a service's manifest
// in force, which says who may read its logs.
type Manifests interface {
	Manifest(service string) (*manifest.Manifest, bool)
}

// StreamWriteTimeout bounds each round of writes of a followed stream. A
// followed stream outlives the listener's write timeout, so each round sets
// its own deadline, and a reader that stops reading is dropped.
const StreamWriteTimeout = 30 * time.Second

// Handler serves a service's log lines kept in Store, as newline-delimited
// JSON (client.LogEntry), oldest first, to the viewers its manifest allows:
// anyone when logViewers is public, else requests signed (client/reqsign,
// purpose "logs") by an owner or a listed account. ?follow=1 keeps the
// response open and streams new lines; ?since=N starts at line N (a line's
// Seq, kept across restarts). Mount it at a pattern with {name}, e.g.
// "GET /v1/services/{name}/logs".
type Handler struct {
	// Chain gives each service's manifest in force.
	Chain Manifests
	// Store holds the lines.
	Store *Store
	// Self names this node's sharer, written into every entry.
	Self func() string
	// Verifier checks signed requests.
	Verifier *reqsign.Verifier
	// Session, when set, names the account of a dashboard session (cookie
	// on the --http listener only); a signed request takes precedence.
	Session func(*http.Request) string
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	m, ok := h.Chain.Manifest(name)
	if !ok {
		http.Error(w, "no service named "+name, http.StatusNotFound)
		return
	}
	account := ""
	if r.Header.Get(reqsign.HeaderSignature) != "" {
		// A signature covers the Host, port included: refuse one made for
		// another node on this host name before it spends its nonce here.
		if err := reqsign.CheckHost(r); err != nil {
			http.Error(w, "logs of "+name+": "+err.Error(), http.StatusMisdirectedRequest)
			return
		}
		acc, err := h.Verifier.Verify(r, sha256.Sum256(nil), q1client.LogsPurpose)
		if err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, reqsign.ErrReplayCacheFull) {
				status = http.StatusServiceUnavailable
			}
			http.Error(w, "logs of "+name+": "+err.Error(), status)
			return
		}
		account = acc
	} else if h.Session != nil {
		account = h.Session(r)
	}
	if !m.MayViewLogs(account) {
		if account == "" && h.Session != nil {
			http.Error(w, "the logs of "+name+" are for its owners and listed viewers: sign the request (q1 service logs --from KEY), or sign in to the dashboard (q1 dashboard sign)", http.StatusUnauthorized)
		} else if account == "" {
			http.Error(w, "the logs of "+name+" are for its owners and listed viewers: sign the request (q1 service logs --from KEY)", http.StatusUnauthorized)
		} else {
			http.Error(w, fmt.Sprintf("%s may not read the logs of %s (permissions.logViewers)", account, name), http.StatusForbidden)
		}
		return
	}
	seq, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
	follow := r.URL.Query().Get("follow") == "1"
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	flusher, _ := w.(http.Flusher)
	self := h.Self()
	rc := http.NewResponseController(w)
	for {
		_ = rc.SetWriteDeadline(time.Now().Add(StreamWriteTimeout))
		lines, next := h.Store.Since(name, seq)
		for _, l := range lines {
			_ = enc.Encode(q1client.LogEntry{
				Seq: l.Seq, Time: l.Time.UTC(), Service: name, Version: l.Version,
				Level: l.Level, Stream: l.Stream, Message: l.Message, Node: self,
			})
		}
		seq = next
		if !follow {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}
