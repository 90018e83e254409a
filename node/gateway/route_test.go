package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quantum1net/q1/core/manifest"
)

var testBases = []string{"localhost", "gw.test"}

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		host, target string
		want         route
		reason       string
	}{
		{"hello.localhost:8081", "/a?b", route{kind: routeService, service: "hello", target: "/a?b", ownHost: true}, ""},
		{"Hello.LocalHost.", "/", route{kind: routeService, service: "hello", target: "/", ownHost: true}, ""},
		{"x-1.gw.test", "/s/y/z", route{kind: routeService, service: "x-1", target: "/s/y/z", ownHost: true}, ""},
		{"localhost:8081", "/s/hello/a/b?c", route{kind: routeService, service: "hello", byPath: true, target: "/a/b?c", ownHost: true}, ""},
		{"localhost", "/s/hello/", route{kind: routeService, service: "hello", byPath: true, target: "/", ownHost: true}, ""},
		{"localhost", "/s/hello?", route{kind: routeService, service: "hello", byPath: true, target: "/?", ownHost: true}, ""},
		{"[::1]:8081", "/s/hello//x", route{kind: routeService, service: "hello", byPath: true, target: "//x"}, ""},
		{"", "/s/hello", route{kind: routeService, service: "hello", byPath: true, target: "/"}, ""},
		{"localhost", "/", route{kind: routeRoot, ownHost: true}, ""},
		{"10.0.0.1:8081", "/?x", route{kind: routeRoot}, ""},
		{"localhost", "*", route{}, `request target "*" is not a path`},
		{"localhost", "/s", route{}, "no service named"},
		{"localhost", "/s//x", route{}, "no service named"},
		{"localhost", "/s/-bad-/x", route{}, `"-bad-" in path /s/-bad-/x is not a service name`},
		{"localhost", "/s/h%65llo/", route{}, `"h%65llo" in path /s/h%65llo/ is not a service name`},
		{"localhost", "/favicon.ico", route{}, "/favicon.ico is not a service address"},
		{"a.b.localhost", "/", route{}, "a.b.localhost is not a service address"},
		{"-x.localhost", "/", route{}, `"-x" in host -x.localhost is not a service name`},
		{".localhost", "/", route{}, `"" in host .localhost is not a service name`},
	} {
		t.Run(tc.host+tc.target, func(t *testing.T) {
			got := parseRoute(tc.host, tc.target, testBases)
			reason := got.reason
			got.reason = ""
			if got.kind == routeNone {
				got.ownHost = false
			}
			if got != tc.want {
				t.Errorf("parseRoute(%q, %q) = %+v, want %+v", tc.host, tc.target, got, tc.want)
			}
			if (tc.reason == "") != (reason == "") || !strings.Contains(reason, tc.reason) {
				t.Errorf("reason %q, want one containing %q", reason, tc.reason)
			}
		})
	}
}

func TestRequestTarget(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"/a%2Fb?x=1", "/a%2Fb?x=1"},
		{"http://hello.localhost/a%2Fb?x=1", "/a%2Fb?x=1"},
		{"http://hello.localhost//x", "//x"},
		{"http://hello.localhost", "/"},
		{"*", "*"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RequestURI = tc.uri
		if got := requestTarget(r); got != tc.want {
			t.Errorf("requestTarget(%q) = %q, want %q", tc.uri, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{BaseHosts: []string{"Localhost", "gw.test:8081", ".x", ""}, MaxRequestBytes: -1}.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad config")
	}
	for _, want := range []string{
		`BaseHosts[0]: host "Localhost" must be lowercase`,
		`BaseHosts[1]: host "gw.test:8081" must be a bare host name, without scheme, port or path`,
		`BaseHosts[2]: host ".x" must not start or end with '.'`,
		"BaseHosts[3]: host is empty",
		"MaxRequestBytes is negative (-1); use 0 for the default",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "BaseHosts is empty") {
		t.Errorf("empty config: %v", err)
	}
}

func TestNewChecksDeps(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	deps := a.gw.deps
	for _, tc := range []struct {
		name string
		edit func(d *Deps)
		want string
	}{
		{"self", func(d *Deps) { d.Self = "cosmos1abc" }, "gateway: Deps.Self must be this node's sharer address"},
		{"runtime", func(d *Deps) { d.Runtime = nil }, "gateway: Deps.Runtime is nil"},
		{"meter", func(d *Deps) { d.Meter = nil }, "gateway: Deps.Meter is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := deps
			tc.edit(&d)
			_, err := New(Config{BaseHosts: []string{"localhost"}}, d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v; want an error saying %q", err, tc.want)
			}
		})
	}
}

// checkRoute states what parseRoute guarantees for any input.
func checkRoute(t *testing.T, host, target string, got route) {
	t.Helper()
	switch got.kind {
	case routeService:
		if manifest.ValidateName(got.service) != nil {
			t.Fatalf("routed (%q, %q) to invalid service %q", host, target, got.service)
		}
		if !strings.HasPrefix(got.target, "/") {
			t.Fatalf("routed (%q, %q) to target %q without a leading /", host, target, got.target)
		}
		if got.byPath {
			if !strings.HasPrefix(target, "/s/"+got.service) || !strings.HasSuffix(target, strings.TrimPrefix(got.target, "/")) {
				t.Fatalf("routed (%q, %q) by path to %q %q", host, target, got.service, got.target)
			}
		} else if got.target != target {
			t.Fatalf("routed (%q, %q) by host but changed the target to %q", host, target, got.target)
		}
		if !got.byPath && !strings.HasPrefix(strings.TrimSuffix(strings.ToLower(hostName(host)), "."), got.service+".") {
			t.Fatalf("routed host %q to service %q", host, got.service)
		}
	case routeRoot:
		if p, _, _ := strings.Cut(target, "?"); p != "/" {
			t.Fatalf("served the root page for target %q", target)
		}
	case routeNone:
		if got.reason == "" {
			t.Fatalf("refused (%q, %q) without a reason", host, target)
		}
	}
}
