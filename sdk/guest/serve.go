package guest

import (
	"bytes"
	"io"
	"net/http"
	"net/url"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

var handler http.Handler

// Handle registers h as the service's handler. Call it exactly once, from an
// init function of package main:
//
//	func init() { guest.Handle(mux) }
//
// A q1-http/v1 module is a reactor (-buildmode=c-shared): the host runs the
// package initializers once per instance and then calls the handler for
// request after request, but it never runs main.main, so a Handle call in
// main would never happen. Handle panics if called twice or with nil.
func Handle(h http.Handler) {
	if h == nil {
		panic("guest.Handle: nil handler")
	}
	if handler != nil {
		panic("guest.Handle: called twice")
	}
	handler = h
}

// noHandler answers when no init function called Handle.
var noHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "q1 guest: no handler registered: call guest.Handle(h) from an init function "+
		"(main.main never runs in a -buildmode=c-shared module)", http.StatusInternalServerError)
})

// serve handles one request: read it from the host, run the handler, and
// stream the response back. It returns 0 when a response was written and
// abi.CodeInvalid when the host's request could not be decoded.
func serve(requestLen uint32) int32 {
	msg := readResult(int32(requestLen))
	req, err := abi.ParseRequest(msg)
	if err != nil {
		return abi.CodeInvalid
	}
	r, err := toHTTPRequest(req)
	if err != nil {
		w := newResponseWriter()
		http.Error(w, "bad request target: "+err.Error(), http.StatusBadRequest)
		w.finish()
		return 0
	}
	h := handler
	if h == nil {
		h = noHandler
	}
	w := newResponseWriter()
	h.ServeHTTP(w, r)
	w.finish()
	return 0
}

// toHTTPRequest builds the *http.Request a handler sees, as net/http's
// server would for the same request line, headers and body.
func toHTTPRequest(req *abi.Request) (*http.Request, error) {
	u, err := url.ParseRequestURI(req.Target)
	if err != nil {
		return nil, err
	}
	var body io.ReadCloser = http.NoBody
	if len(req.Body) > 0 {
		body = io.NopCloser(bytes.NewReader(req.Body))
	}
	r := &http.Request{
		Method:        req.Method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        abi.Header(req.Header),
		Body:          body,
		ContentLength: int64(len(req.Body)),
		Host:          req.Host,
		RequestURI:    req.Target,
	}
	return r, nil // a nil context reads as context.Background()
}
