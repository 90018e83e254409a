package gateway

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestRequestSizeLimit(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{MaxRequestBytes: 16})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)

	for _, tc := range []struct {
		name   string
		body   io.Reader
		length int64
		status int
	}{
		{"at the limit", strings.NewReader(strings.Repeat("x", 16)), 16, 200},
		{"declared over the limit", strings.NewReader(strings.Repeat("x", 17)), 17, 413},
		{"streamed over the limit", io.MultiReader(strings.NewReader(strings.Repeat("x", 40))), -1, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := request(t, a, http.MethodPost, "hello.localhost", "/", nil)
			req.Body, req.ContentLength = io.NopCloser(tc.body), tc.length
			got := send(t, req)
			if tc.status == 413 {
				expect(t, got, 413, "request body is larger than this gateway's limit of 16 bytes")
			} else {
				expect(t, got, tc.status)
			}
		})
	}
	if len(a.rt.requests()) != 1 {
		t.Errorf("service ran %d times, want once (only the request at the limit)", len(a.rt.requests()))
	}
}

func TestResponseSizeLimit(t *testing.T) {
	big := func(string, *Request) (*Response, error) {
		return &Response{Status: 200, Body: bytes.Repeat([]byte("y"), 100)}, nil
	}
	t.Run("local run", func(t *testing.T) {
		n := newNetwork(t)
		a := n.node("a", Config{MaxResponseBytes: 64})
		n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)
		a.rt.setHandler(big)
		expect(t, get(t, a, "hello.localhost", "/"), 500,
			"service hello: response of 100 bytes exceeds this gateway's limit of 64 bytes")
	})
	t.Run("forwarded", func(t *testing.T) {
		n := newNetwork(t)
		a := n.node("a", Config{MaxResponseBytes: 64})
		b := n.node("b", Config{}) // a node with a larger limit
		n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica()}, b)
		b.rt.setHandler(big)
		got := get(t, a, "hello.localhost", "/")
		expect(t, got, 502, "replica "+b.addr+" sent a response larger than this gateway's limit of 64 bytes")
		if len(got.body) > 200 {
			t.Errorf("the caller got %d bytes", len(got.body))
		}
	})
}
