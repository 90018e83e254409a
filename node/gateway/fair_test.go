package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// Tests of the gateway's side of fair, bounded execution: a service at its
// limit gets 503 with Retry-After and a reason, and bodies queued behind a
// busy service cannot grow the node's memory.

func TestBusyServiceAnswers503WithRetryAfter(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)
	msg := "service hello is at its concurrency limit on this node: all 2 of its instances stayed busy for 1s; retry"
	a.rt.setHandler(func(string, *Request) (*Response, error) { return nil, &runtimeError{KindBusy, msg} })
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		got := send(t, request(t, a, method, "hello.localhost", "/", nil))
		expect(t, got, http.StatusServiceUnavailable, msg)
		if got.header.Get("Retry-After") == "" || got.header.Get(HeaderError) != CodeBusy {
			t.Errorf("%s: Retry-After %q, %s %q; want a Retry-After and %q", method,
				got.header.Get("Retry-After"), HeaderError, got.header.Get(HeaderError), CodeBusy)
		}
	}
}

// countingBody is a request body that counts what the gateway read of it.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error { return nil }

// post sends a POST of size bytes to service straight into tn's gateway,
// declaring its length unless chunked, and returns the answer and how much
// of the body the gateway read.
func post(tn *testNode, service string, size int, chunked bool) (*httptest.ResponseRecorder, int64) {
	body := &countingBody{r: bytes.NewReader(make([]byte, size))}
	req := httptest.NewRequest(http.MethodPost, "http://"+service+".localhost/", nil)
	req.Body, req.ContentLength = body, int64(size)
	if chunked {
		req.ContentLength = -1
	}
	rec := httptest.NewRecorder()
	tn.gw.ServeHTTP(rec, req)
	return rec, body.read.Load()
}

func TestBodiesInTransitAreCapped(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{MaxBodyBytesPerService: 1000, MaxBodyBytes: 1500})
	for _, s := range []string{"hello", "other", "third"} {
		n.deploy(s, publicManifest(t, s), []Replica{a.replica()}, a)
	}
	// hello's first request holds 800 bytes while its guest is busy.
	entered, release := make(chan struct{}), make(chan struct{})
	a.rt.setHandler(func(service string, req *Request) (*Response, error) {
		if service == "hello" && len(req.Body) == 800 {
			close(entered)
			<-release
		}
		return &Response{Status: 200, Body: []byte("ok")}, nil
	})
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		rec, _ := post(a, "hello", 800, false)
		done <- rec
	}()
	<-entered

	busy := func(t *testing.T, rec *httptest.ResponseRecorder, want string) {
		t.Helper()
		if rec.Code != 503 || !strings.Contains(rec.Body.String(), want) ||
			rec.Header().Get("Retry-After") == "" || rec.Header().Get(HeaderError) != CodeBusy {
			t.Fatalf("got %d %q (Retry-After %q), want 503 with Retry-After and %q",
				rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"), want)
		}
	}
	t.Run("declared length over the service's cap is refused unread", func(t *testing.T) {
		rec, read := post(a, "hello", 300, false)
		busy(t, rec, "service hello already has 800 bytes of request bodies in transit on this node and its limit is 1000 bytes; retry")
		if read != 0 {
			t.Fatalf("the gateway read %d bytes of a body it refused", read)
		}
	})
	t.Run("streamed body is refused once over the cap", func(t *testing.T) {
		rec, read := post(a, "hello", 100_000, true)
		busy(t, rec, "service hello already has")
		if read >= 100_000 {
			t.Fatalf("the gateway read the whole %d-byte body it refused", read)
		}
	})
	t.Run("another service is not affected", func(t *testing.T) {
		if rec, _ := post(a, "other", 600, false); rec.Code != 200 {
			t.Fatalf("other service: %d %q", rec.Code, rec.Body.String())
		}
	})
	t.Run("the node's cap", func(t *testing.T) {
		rec, read := post(a, "third", 800, false)
		busy(t, rec, "this node already has 800 bytes of request bodies in transit and its limit is 1.5 KiB; retry")
		if read != 0 {
			t.Fatalf("the gateway read %d bytes of a body it refused", read)
		}
	})
	t.Run("a body larger than the cap itself", func(t *testing.T) {
		rec, _ := post(a, "other", 1200, false)
		if rec.Code != 413 || !strings.Contains(rec.Body.String(), "request body of 1200 bytes is larger than this node accepts in transit for one service (1000 bytes)") {
			t.Fatalf("got %d %q", rec.Code, rec.Body.String())
		}
	})
	close(release)
	if rec := <-done; rec.Code != 200 {
		t.Fatalf("the first request: %d %q", rec.Code, rec.Body.String())
	}
	t.Run("room again once answered", func(t *testing.T) {
		for _, chunked := range []bool{false, true} {
			if rec, _ := post(a, "hello", 900, chunked); rec.Code != 200 {
				t.Fatalf("chunked %v: %d %q", chunked, rec.Code, rec.Body.String())
			}
		}
		if a.gw.bodies.total != 0 || len(a.gw.bodies.used) != 0 {
			t.Fatalf("bodies still held: %d bytes, %v", a.gw.bodies.total, a.gw.bodies.used)
		}
	})
}
