package guest

import (
	"fmt"
	"net/http"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// flushSize is how much body the writer buffers before it streams a piece to
// the host. Streaming lets the host refuse an oversized response early, before
// the guest has built all of it in memory.
const flushSize = 32 << 10

// responseWriter is the http.ResponseWriter a handler writes to. It sends the
// response head (status and header) with the first piece of body, then the
// rest of the body in pieces, through response_write. Framing headers
// (Content-Length, Transfer-Encoding) are the host's business: it knows the
// whole body once the handler returns.
type responseWriter struct {
	header   http.Header
	status   int
	headSent bool
	buf      []byte
	err      error // sticky: the first failure of response_write
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
)

func newResponseWriter() *responseWriter {
	return &responseWriter{header: make(http.Header)}
}

func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader records the status code. As with net/http, only the first call
// counts; informational (1xx) codes are not supported and are ignored.
func (w *responseWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.status != 0 || code < 200 {
		return
	}
	w.status = code
}

// Write buffers body bytes and streams them to the host in pieces. Once the
// host has refused the response (it exceeds the limit), Write returns that
// error for every later call.
func (w *responseWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= flushSize {
		w.flush()
	}
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// Flush sends buffered bytes to the host. The host returns the response to
// the caller once the handler returns, so Flush only bounds guest memory.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.flush()
}

func (w *responseWriter) flush() {
	if w.err != nil {
		return
	}
	if !w.headSent {
		w.headSent = true
		if w.header.Get("Content-Type") == "" && len(w.buf) > 0 {
			w.header.Set("Content-Type", http.DetectContentType(w.buf))
		}
		head := abi.AppendResponseHead(nil, w.status, abi.HeaderFields(w.header))
		if w.send(head); w.err != nil {
			return
		}
	}
	if len(w.buf) > 0 {
		w.send(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *responseWriter) send(b []byte) {
	w.err = check("write response", hostResponseWrite(ptr(b), uint32(len(b))))
}

// finish completes the response after the handler returned.
func (w *responseWriter) finish() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.flush()
}
