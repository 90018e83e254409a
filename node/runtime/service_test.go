package runtime

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHelloServesRequestAfterRequest(t *testing.T) {
	rt := newTestRuntime(t)
	svc := load(t, rt, ServiceSpec{Name: "hello", Version: "v1", Wasm: helloWasm(t)})
	for _, path := range []string{"/", "/greet", "/a/b?c=d"} {
		resp := get(t, svc, path)
		wantPath, _, _ := strings.Cut(path, "?")
		if resp.Status != 200 || string(resp.Body) != "hello from Quantum1Net: "+wantPath+"\n" {
			t.Fatalf("GET %s = %d %q", path, resp.Status, resp.Body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Fatalf("Content-Type = %q", ct)
		}
		if cpuTimeIsThreadTime && resp.Usage.CPU <= 0 {
			t.Fatalf("usage %+v: no CPU time measured", resp.Usage)
		}
	}
	st := svc.Stats()
	if st.Requests != 3 || len(st.Errors) != 0 || st.Instances != defaultInstances || st.CPU <= 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestEchoSeesTheWholeRequest(t *testing.T) {
	rt := newTestRuntime(t)
	logs := NewLogBuffer(10)
	svc := load(t, rt, ServiceSpec{Name: "echo", Wasm: echoWasm(t), Capabilities: Capabilities{Log: logs}})
	resp, err := svc.Handle(context.Background(), &Request{
		Method: "PUT",
		Path:   "/things/1?x=y&z",
		Host:   "echo.localhost:8080",
		Header: http.Header{"X-B": {"2"}, "X-A": {"1", "one"}},
		Body:   []byte("the body\x00with a zero byte"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "PUT /things/1?x=y&z\nHost: echo.localhost:8080\nX-A: 1\nX-A: one\nX-B: 2\n\nthe body\x00with a zero byte"
	if string(resp.Body) != want {
		t.Fatalf("echo:\n got %q\nwant %q", resp.Body, want)
	}
	lines := logs.Lines()
	if len(lines) != 1 || lines[0].Service != "echo" || lines[0].Stream != "log" ||
		!strings.Contains(lines[0].Message, "method=PUT") || !strings.Contains(lines[0].Message, "path=/things/1") {
		t.Fatalf("echo logged %+v, want one line with its method and path", lines)
	}
}

func TestRequestsTheGuestNeverSees(t *testing.T) {
	rt := newTestRuntime(t)
	svc := load(t, rt, ServiceSpec{Name: "echo", Wasm: echoWasm(t), Limits: Limits{MaxRequestBytes: 1024},
		Capabilities: Capabilities{Log: NewLogBuffer(10)}})
	tests := []struct {
		name string
		req  Request
		kind ErrorKind
		want string
	}{
		{"no method", Request{Path: "/"}, KindBadRequest, `service echo: malformed request: method "", path "/" (a method is required and the path must start with /)`},
		{"relative path", Request{Method: "GET", Path: "x"}, KindBadRequest, `path "x"`},
		{"too large", Request{Method: "POST", Path: "/", Body: make([]byte, 2000)}, KindRequestTooLarge, "service echo: request of 2 KiB exceeds the service's 1 KiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Handle(context.Background(), &tt.req)
			e := requireError(t, err, tt.kind, tt.want)
			if e.Usage != (Usage{}) {
				t.Fatalf("usage %+v for a request the guest never saw", e.Usage)
			}
		})
	}
	if st := svc.Stats(); st.Errors[KindBadRequest] != 2 || st.Errors[KindRequestTooLarge] != 1 {
		t.Fatalf("error counters %v", st.Errors)
	}
}

func TestCloseDrainsInFlightRequests(t *testing.T) {
	rt := newTestRuntime(t)
	svc := load(t, rt, ServiceSpec{Name: "hostile", Wasm: hostileWasm(t), Instances: 1})
	done := make(chan error, 1)
	go func() {
		// Sleeps do not wait (the guest's clock jumps), so the request
		// holds its instance by working.
		resp, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/cpu?n=20000000"})
		if err == nil && len(resp.Body) == 0 {
			err = errors.New("unexpected body " + string(resp.Body))
		}
		done <- err
	}()
	// Wait until the request holds the only instance.
	deadline := time.Now().Add(time.Minute)
	for len(svc.idle) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("request never started")
		}
		time.Sleep(time.Millisecond)
	}
	if err := svc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	_, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/ok"})
	requireError(t, err, KindUnavailable, "service hostile: the service is closed")
}

func TestTwoVersionsSideBySide(t *testing.T) {
	rt := newTestRuntime(t)
	kv := &KVConfig{Dir: t.TempDir(), QuotaBytes: 1 << 20}
	v1 := load(t, rt, ServiceSpec{Name: "counter", Version: "v1", Wasm: counterWasm(t), Capabilities: Capabilities{KV: kv}})
	post := func(svc *Service) string {
		resp, err := svc.Handle(context.Background(), &Request{Method: "POST", Path: "/"})
		if err != nil {
			t.Fatal(err)
		}
		return string(resp.Body)
	}
	if got := post(v1); got != "1\n" {
		t.Fatalf("first POST = %q", got)
	}
	v2 := load(t, rt, ServiceSpec{Name: "counter", Version: "v2", Wasm: counterWasm(t), Capabilities: Capabilities{KV: kv}})
	if got := post(v2); got != "2\n" {
		t.Fatalf("POST on v2 = %q", got)
	}
	if got := string(get(t, v1, "/").Body); got != "2\n" {
		t.Fatalf("GET on v1 after v2's POST = %q", got)
	}
	if err := v1.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := post(v2); got != "3\n" {
		t.Fatalf("POST on v2 after v1 closed = %q", got)
	}
	if err := v2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The data is on disk: a fresh load sees it.
	v3 := load(t, rt, ServiceSpec{Name: "counter", Version: "v3", Wasm: counterWasm(t), Capabilities: Capabilities{KV: kv}})
	if got := string(get(t, v3, "/").Body); got != "3\n" {
		t.Fatalf("GET after reload = %q", got)
	}
	if st := v3.Stats(); st.KVBytes != int64(len("counter")+len("3")) {
		t.Fatalf("KVBytes = %d", st.KVBytes)
	}
}
