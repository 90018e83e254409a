package gateway

import (
	"fmt"
	"net/http"
	"strconv"
)

// reply is a complete answer, built before anything is written so that a
// serving node can prove it and a forwarding node can check it whole.
type reply struct {
	status int
	header http.Header
	body   []byte
	// servedBy is the node that produced the answer; via the nodes a
	// forwarded request passed through ("" when not forwarded).
	servedBy, via string
	// local is true when this node's runtime ran the request.
	local bool
	// notRun says why a serving node did not start a forwarded request ("" if
	// it did, or may have).
	notRun string
}

// failf is an answer the gateway makes itself: plain text naming what went
// wrong and what to do, with the code in X-Q1-Error.
func failf(status int, code, format string, args ...any) *reply {
	rep := textReply(status, format, args...)
	rep.header.Set(HeaderError, code)
	return rep
}

// textReply is a plain text answer of the gateway's own.
func textReply(status int, format string, args ...any) *reply {
	h := make(http.Header)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	return &reply{status: status, header: h, body: []byte(fmt.Sprintf(format, args...) + "\n")}
}

// bodyAllowed reports whether a response to method with status carries a
// body on the wire (RFC 9110 §6.4.1).
func bodyAllowed(method string, status int) bool {
	return method != http.MethodHead && status != http.StatusNoContent &&
		status != http.StatusNotModified && status >= 200
}

// normalize drops a body the wire cannot carry, so that what a serving node
// proves is exactly what the forwarding node reads. A HEAD answer keeps the
// length of the body a GET would have had in Content-Length.
func (rep *reply) normalize(method string) {
	if bodyAllowed(method, rep.status) {
		return
	}
	if method == http.MethodHead && len(rep.body) > 0 && bodyAllowed(http.MethodGet, rep.status) {
		rep.header.Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	rep.body = nil
}

// write sends rep. A HEAD answer keeps the Content-Length the service set.
func (rep *reply) write(w http.ResponseWriter, method string) {
	h := w.Header()
	for name, vs := range rep.header {
		h[name] = vs
	}
	if rep.servedBy != "" {
		h.Set(HeaderServedBy, rep.servedBy)
	}
	if rep.via != "" {
		h.Set(HeaderVia, rep.via)
	}
	if rep.notRun != "" {
		h.Set(HeaderNotRun, rep.notRun)
	}
	if bodyAllowed(method, rep.status) {
		h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	w.WriteHeader(rep.status)
	if bodyAllowed(method, rep.status) && len(rep.body) > 0 {
		_, _ = w.Write(rep.body) // the caller went away; nothing left to tell them
	}
}
