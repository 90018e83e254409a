package guest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// HTTPClient returns an *http.Client whose requests the host makes: the
// egress capability (permissions.capabilities.egress). The host lets a request
// through only to the hosts the manifest lists, and only when they resolve to
// public addresses; it does not follow redirects itself, so the client follows
// them here and the host checks every hop again. Requests end no later than
// the current request's deadline. A module that uses it imports q1.http_fetch.
func HTTPClient() *http.Client {
	return &http.Client{Transport: egressTransport{}}
}

type egressTransport struct{}

// RoundTrip sends req through the host's http_fetch and returns its response.
// Errors match ErrDenied, ErrUpstream or ErrTooLarge.
func (egressTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read egress request body: %w", err)
		}
	}
	msg := abi.AppendRequest(nil, &abi.Request{
		Method: req.Method,
		Target: req.URL.String(),
		Header: abi.HeaderFields(req.Header),
		Body:   body,
	})
	n := hostHTTPFetch(ptr(msg), uint32(len(msg)))
	if err := check("http fetch", n); err != nil {
		return nil, err
	}
	resp, err := abi.ParseResponse(readResult(n))
	if err != nil {
		return nil, &Error{Op: "http fetch", Code: abi.CodeInternal, Message: "http fetch: " + err.Error()}
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status)),
		StatusCode:    resp.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        abi.Header(resp.Header),
		Body:          io.NopCloser(bytes.NewReader(resp.Body)),
		ContentLength: int64(len(resp.Body)),
		Request:       req,
	}, nil
}
