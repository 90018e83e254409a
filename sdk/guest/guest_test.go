//go:build !wasip1

package guest

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

func TestToHTTPRequest(t *testing.T) {
	r, err := toHTTPRequest(&abi.Request{
		Method: "POST",
		Target: "/items/7?sort=asc&sort=desc",
		Host:   "shop.localhost:8080",
		Header: []abi.Field{{Name: "content-type", Value: "text/plain"}, {Name: "X-Tag", Value: "a"}, {Name: "X-Tag", Value: "b"}},
		Body:   []byte("payload"),
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	got := []any{r.Method, r.URL.Path, r.URL.Query()["sort"], r.Host, r.RequestURI, r.Header.Get("Content-Type"), r.Header["X-Tag"], string(body), r.ContentLength, r.Context() != nil}
	want := []any{"POST", "/items/7", []string{"asc", "desc"}, "shop.localhost:8080", "/items/7?sort=asc&sort=desc", "text/plain", []string{"a", "b"}, "payload", int64(7), true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("request:\n got %v\nwant %v", got, want)
	}
	if _, err := toHTTPRequest(&abi.Request{Method: "GET", Target: "no-slash"}); err == nil {
		t.Fatal("a target without a leading slash was accepted")
	}
}

func TestCapabilitiesOutsideAHost(t *testing.T) {
	const why = "not running inside a Quantum1Net host (build with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared)"
	_, getErr := KV().Get("k")
	_, listErr := KV().List("", "", 10)
	res, fetchErr := HTTPClient().Get("https://api.example.com/")
	if fetchErr == nil {
		res.Body.Close()
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"kv get", getErr, "kv get: " + why},
		{"kv put", KV().Put("k", nil), "kv put: " + why},
		{"kv delete", KV().Delete("k"), "kv delete: " + why},
		{"kv list", listErr, "kv list: " + why},
		{"http fetch", fetchErr, `Get "https://api.example.com/": http fetch: ` + why},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil || tt.err.Error() != tt.want || !errors.Is(tt.err, ErrNoHost) {
				t.Fatalf("error %v, want %q matching ErrNoHost", tt.err, tt.want)
			}
		})
	}
	if err := Log().Handler().Handle(t.Context(), newRecord()); !errors.Is(err, ErrNoHost) {
		t.Fatalf("log outside a host: %v", err)
	}
}

func TestErrorMatchesItsSentinel(t *testing.T) {
	for code, sentinel := range map[int32]error{
		abi.CodeNotFound: ErrNotFound, abi.CodeQuota: ErrQuotaExceeded, abi.CodeTooLarge: ErrTooLarge,
		abi.CodeDenied: ErrDenied, abi.CodeUpstream: ErrUpstream, abi.CodeInvalid: ErrInvalid,
		abi.CodeInternal: ErrHost, codeNoHost: ErrNoHost,
	} {
		err := error(&Error{Op: "op", Code: code, Message: "msg"})
		if !errors.Is(err, sentinel) || errors.Is(err, errors.New("other")) {
			t.Errorf("code %d does not match %v alone", code, sentinel)
		}
	}
}

func TestHandleRejectsMisuse(t *testing.T) {
	defer func() { handler = nil }()
	mustPanic(t, "guest.Handle: nil handler", func() { Handle(nil) })
	Handle(http.NotFoundHandler())
	mustPanic(t, "guest.Handle: called twice", func() { Handle(http.NotFoundHandler()) })
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		if got := recover(); got != want {
			t.Fatalf("panic %v, want %q", got, want)
		}
	}()
	f()
}

func newRecord() slog.Record { return slog.NewRecord(time.Time{}, slog.LevelInfo, "hi", 0) }
