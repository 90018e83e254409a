package runtime

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestKVStoreQuota(t *testing.T) {
	dir := t.TempDir()
	s, err := openKV(dir)
	if err != nil {
		t.Fatal(err)
	}
	const quota = 10
	steps := []struct {
		op, key, value string
		used           int64
		err            string
	}{
		{"put", "a", "12345", 6, ""},
		{"put", "b", "123", 10, ""},
		{"put", "c", "", 10, `kv put "c": quota exceeded: the service stores 10 of its 10 quota bytes and this put needs 1 more (keys and values count; delete data or raise permissions.capabilities.kv.quota)`},
		{"put", "a", "123456", 10, `kv put "a": quota exceeded: the service stores 10 of its 10 quota bytes and this put needs 1 more`},
		{"put", "a", "1", 6, ""}, // shrinking always fits
		{"delete", "b", "", 2, ""},
		{"delete", "never-stored", "", 2, ""},
		{"put", "c", "1234567", 10, ""},
	}
	for _, st := range steps {
		var err error
		if st.op == "put" {
			err = s.put(st.key, []byte(st.value), quota)
		} else {
			err = s.delete(st.key)
		}
		if st.err == "" && err != nil || st.err != "" && (err == nil || !strings.HasPrefix(err.Error(), st.err)) {
			t.Fatalf("%s %q: error %v, want %q", st.op, st.key, err, st.err)
		}
		if got := s.size(); got != st.used {
			t.Fatalf("after %s %q: used %d, want %d", st.op, st.key, got, st.used)
		}
	}
	if v, err := s.get("a"); err != nil || string(v) != "1" {
		t.Fatalf(`get "a" = %q, %v`, v, err)
	}
	if _, err := s.get("b"); !errors.Is(err, errKeyNotFound) || err.Error() != `kv get "b": key not found` {
		t.Fatalf(`get "b": %v`, err)
	}
	// Reopening measures what is on disk.
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = openKV(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.db.Close()
	if s.size() != 10 {
		t.Fatalf("used after reopen = %d, want 10", s.size())
	}
}

func TestKVStoreList(t *testing.T) {
	s, err := openKV(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.db.Close()
	for _, k := range []string{"b/1", "a/2", "a/1", "a/3", "a"} {
		if err := s.put(k, nil, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"a/", "", 2, []string{"a/1", "a/2"}},
		{"a/", "a/2", 10, []string{"a/3"}},
		{"a/", "a/3", 10, nil},
		{"", "", 100, []string{"a", "a/1", "a/2", "a/3", "b/1"}},
		{"", "a/3", 100, []string{"b/1"}},
		{"c", "", 100, nil},
	}
	for _, tt := range tests {
		got, err := s.list(tt.prefix, tt.after, tt.limit)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("list(%q, %q, %d) = %q, %v; want %q", tt.prefix, tt.after, tt.limit, got, err, tt.want)
		}
	}
}

func TestKVThroughGuest(t *testing.T) {
	rt := newTestRuntime(t)
	svc := load(t, rt, ServiceSpec{Name: "caps", Wasm: capsWasm(t), Capabilities: Capabilities{
		KV:     &KVConfig{Dir: t.TempDir(), QuotaBytes: 64},
		Log:    NewLogBuffer(10),
		Egress: &EgressConfig{Hosts: []string{"api.example.com"}},
	}})
	do := func(method, path, body string) (int, string) {
		t.Helper()
		resp, err := svc.Handle(context.Background(), &Request{Method: method, Path: path, Body: []byte(body)})
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp.Status, strings.TrimSpace(string(resp.Body))
	}
	steps := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"PUT", "/kv/user%2F1", "ada", 200, ""},
		{"PUT", "/kv/user%2F2", "grace", 200, ""},
		{"GET", "/kv/user%2F1", "", 200, "ada"},
		{"GET", "/kv/missing", "", 404, `kv get "missing": key not found`},
		{"PUT", "/kv/big", strings.Repeat("x", 64), http.StatusInsufficientStorage,
			`kv put "big": quota exceeded: the service stores 20 of its 64 quota bytes and this put needs 67 more (keys and values count; delete data or raise permissions.capabilities.kv.quota)`},
		{"PUT", "/kv/" + strings.Repeat("k", 1025), "v", 400, "kv put: a key must be 1 to 1024 bytes, not 1025"},
		{"GET", "/list?prefix=user/&limit=1", "", 200, "user/1"},
		{"GET", "/list?prefix=user/&after=user/1", "", 200, "user/2"},
		{"DELETE", "/kv/user%2F1", "", 200, ""},
		{"GET", "/list", "", 200, "user/2"},
	}
	for _, st := range steps {
		status, body := do(st.method, st.path, st.body)
		if status != st.status || body != st.want {
			t.Fatalf("%s %s = %d %q\nwant %d %q", st.method, st.path, status, body, st.status, st.want)
		}
	}
	if got := svc.Stats().KVBytes; got != int64(len("user/2")+len("grace")) {
		t.Fatalf("KVBytes = %d", got)
	}
}
