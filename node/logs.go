package node

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
	"github.com/quantum1net/q1/node/servicelogs"
)

// logsChain is what the logs handler reads of the chain: who may read.
type logsChain interface {
	Manifest(service string) (*manifest.Manifest, bool)
}

// keptLogs are the log lines this node keeps of its services
// (servicelogs.Store).
type keptLogs interface {
	Since(service string, seq uint64) ([]servicelogs.Line, uint64)
}

// logsHandler serves a service's log lines kept on this node, as
// newline-delimited JSON (client.LogEntry), oldest first, to the viewers
// its manifest allows: anyone when logViewers is public, else requests
// signed (client/reqsign, purpose "logs") by an owner or a listed account.
// ?follow=1 keeps the response open and streams new lines; ?since=N starts
// at line N (a line's Seq, kept across restarts).
type logsHandler struct {
	chain    logsChain
	logs     keptLogs
	self     func() string // this node's sharer
	verifier *reqsign.Verifier
	// session, when set, names the account of a dashboard session (cookie
	// on the --http listener only); a signed request takes precedence.
	session func(*http.Request) string
}

func (h *logsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	m, ok := h.chain.Manifest(name)
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
		acc, err := h.verifier.Verify(r, sha256.Sum256(nil), q1client.LogsPurpose)
		if err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, reqsign.ErrReplayCacheFull) {
				status = http.StatusServiceUnavailable
			}
			http.Error(w, "logs of "+name+": "+err.Error(), status)
			return
		}
		account = acc
	} else if h.session != nil {
		account = h.session(r)
	}
	if !m.MayViewLogs(account) {
		if account == "" && h.session != nil {
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
	self := h.self()
	rc := http.NewResponseController(w)
	for {
		// A followed stream outlives the listener's write timeout: each
		// round gets its own, so a reader that stops reading is dropped.
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		lines, next := h.logs.Since(name, seq)
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
