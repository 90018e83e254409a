package runtime

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

func TestRefusedAddress(t *testing.T) {
	tests := []struct {
		addr          string
		allowLoopback bool
		want          string
	}{
		{"8.8.8.8", false, ""},
		{"2606:4700:4700::1111", false, ""},
		{"127.0.0.1", false, "a loopback address"},
		{"127.0.0.1", true, ""},
		{"::1", false, "a loopback address"},
		{"::ffff:127.0.0.1", false, "a loopback address"},
		{"10.1.2.3", true, "a private address"},
		{"172.16.0.1", false, "a private address"},
		{"192.168.1.1", false, "a private address"},
		{"fd00::1", false, "a private address"},
		{"169.254.169.254", false, "a link-local address"},
		{"fe80::1", false, "a link-local address"},
		{"0.0.0.0", false, "an unspecified address"},
		{"::", false, "an unspecified address"},
		{"100.64.0.1", false, "a shared (carrier-grade NAT) address"},
		{"239.1.2.3", false, "a multicast address"},
		{"224.0.0.251", false, "a link-local address"}, // link-local multicast (mDNS)
		{"255.255.255.255", false, "a reserved address"},
		{"0.1.2.3", false, "a reserved address"},
		{"64:ff9b::a00:1", false, "a private address"}, // NAT64 of 10.0.0.1
		{"64:ff9b::808:808", false, ""},                // NAT64 of 8.8.8.8
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/loopback=%v", tt.addr, tt.allowLoopback), func(t *testing.T) {
			if got := refusedAddress(netip.MustParseAddr(tt.addr), tt.allowLoopback); got != tt.want {
				t.Fatalf("refusedAddress(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestEgressConfigErrors(t *testing.T) {
	for _, tt := range []struct{ host, want string }{
		{"https://api.example.com", `egress host 0 "https://api.example.com": must be a bare host name such as api.example.com (*.example.com for every name below it) or an IP address, without scheme, port or path`},
		{"api.example.com:443", `egress host 0 "api.example.com:443": must be a bare host name`},
		{"", `egress host 0 "": must be a bare host name`},
	} {
		_, err := newEgressClient(&EgressConfig{Hosts: []string{tt.host}}, false)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("hosts [%q]: error %v, want prefix %q", tt.host, err, tt.want)
		}
	}
}

func upstream(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Header", r.Header.Get("X-Guest"))
		fmt.Fprint(w, "hello")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) { w.Write(make([]byte, 2048)) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.example/", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestEgressFetch(t *testing.T) {
	srv := upstream(t)
	u, _ := url.Parse(srv.URL)
	port := u.Port()
	tests := []struct {
		name     string
		hosts    []string
		loopback bool
		target   string
		code     int32
		want     string // the response's status and body, or the error message
	}{
		{"allowed", []string{"127.0.0.1"}, true, srv.URL + "/hello", 0, "200 hello"},
		{"redirect returned, not followed", []string{"127.0.0.1"}, true, srv.URL + "/redirect", 0, "302 "},
		{"response too large", []string{"127.0.0.1"}, true, srv.URL + "/big", abi.CodeTooLarge,
			"http fetch " + srv.URL + "/big: response body exceeds the 1 KiB egress limit"},
		{"host not listed", []string{"cdn.example.com", "api.example.com"}, true, srv.URL + "/hello", abi.CodeDenied,
			"http fetch " + srv.URL + `/hello: egress to "127.0.0.1" denied: not in permissions.capabilities.egress.hosts [api.example.com, cdn.example.com]`},
		{"wildcard does not cover the bare name", []string{"*.example.com"}, true, "http://example.com/", abi.CodeDenied,
			`http fetch http://example.com/: egress to "example.com" denied: not in permissions.capabilities.egress.hosts [*.example.com]`},
		{"loopback refused by default", []string{"127.0.0.1"}, false, srv.URL + "/hello", abi.CodeDenied,
			"http fetch " + srv.URL + `/hello: egress to "127.0.0.1" denied: address 127.0.0.1 is a loopback address; egress may reach only public addresses`},
		{"name resolving to loopback refused after DNS", []string{"localhost"}, false, "http://localhost:" + port + "/hello", abi.CodeDenied,
			"is a loopback address; egress may reach only public addresses"},
		{"not http", []string{"127.0.0.1"}, true, "ftp://127.0.0.1/x", abi.CodeInvalid,
			`http fetch: target "ftp://127.0.0.1/x" is not an absolute http or https URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := newEgressClient(&EgressConfig{Hosts: tt.hosts, MaxResponseBytes: 1024}, tt.loopback)
			if err != nil {
				t.Fatal(err)
			}
			defer e.close()
			msg, ferr := e.fetch(context.Background(), &abi.Request{
				Method: "GET", Target: tt.target, Header: []abi.Field{{Name: "X-Guest", Value: "yes"}},
			})
			if tt.code != 0 {
				if ferr == nil || ferr.code != tt.code || !strings.Contains(ferr.msg, tt.want) {
					t.Fatalf("fetch error %+v\nwant code %d containing %q", ferr, tt.code, tt.want)
				}
				return
			}
			if ferr != nil {
				t.Fatalf("fetch: %+v", ferr)
			}
			resp, err := abi.ParseResponse(msg)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%d %s", resp.Status, resp.Body); !strings.HasPrefix(got, tt.want) {
				t.Fatalf("response %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEgressThroughGuest drives egress from a guest, and shows that a guest
// waiting on egress gives up its guest slot: with one slot in the whole
// Runtime, another service answers while the egress request hangs.
func TestEgressThroughGuest(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(arrived)
		<-release
		fmt.Fprint(w, "worth the wait")
	}))
	defer srv.Close()

	rt := newTestRuntime(t, WithEgressAllowLoopbackForTests(), WithMaxConcurrentGuests(1))
	caps := load(t, rt, ServiceSpec{Name: "caps", Wasm: capsWasm(t), Capabilities: Capabilities{
		Egress: &EgressConfig{Hosts: []string{"127.0.0.1"}},
		KV:     &KVConfig{Dir: t.TempDir(), QuotaBytes: 1024},
		Log:    NewLogBuffer(10),
	}})
	hello := load(t, rt, ServiceSpec{Name: "hello", Wasm: helloWasm(t)})

	type result struct {
		resp *Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := caps.Handle(context.Background(), &Request{Method: "GET", Path: "/fetch?url=" + url.QueryEscape(srv.URL+"/slow")})
		done <- result{resp, err}
	}()
	<-arrived
	if got := string(get(t, hello, "/meanwhile").Body); got != "hello from Quantum1Net: /meanwhile\n" {
		t.Fatalf("hello while caps waits on egress: %q", got)
	}
	close(release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if string(r.resp.Body) != "200 worth the wait" {
		t.Fatalf("fetch through guest: %q", r.resp.Body)
	}
	if r.resp.Usage.EgressBytes <= int64(len("worth the wait")) || caps.Stats().EgressBytes != r.resp.Usage.EgressBytes {
		t.Fatalf("egress usage %+v, stats %+v", r.resp.Usage, caps.Stats())
	}

	resp := get(t, caps, "/fetch?url="+url.QueryEscape("http://example.com/"))
	if want := `egress to "example.com" denied: not in permissions.capabilities.egress.hosts [127.0.0.1]`; resp.Status != 403 || !strings.Contains(string(resp.Body), want) {
		t.Fatalf("denied fetch: %d %q, want 403 containing %q", resp.Status, resp.Body, want)
	}
}

func TestEgressLoopbackRefusedByDefault(t *testing.T) {
	srv := upstream(t)
	rt := newTestRuntime(t)
	caps := load(t, rt, ServiceSpec{Name: "caps", Wasm: capsWasm(t), Capabilities: Capabilities{
		Egress: &EgressConfig{Hosts: []string{"127.0.0.1"}},
		KV:     &KVConfig{Dir: t.TempDir(), QuotaBytes: 1024},
		Log:    NewLogBuffer(10),
	}})
	resp := get(t, caps, "/fetch?url="+url.QueryEscape(srv.URL+"/hello"))
	want := `egress to "127.0.0.1" denied: address 127.0.0.1 is a loopback address; egress may reach only public addresses`
	if resp.Status != 403 || !strings.Contains(string(resp.Body), want) {
		t.Fatalf("fetch to loopback: %d %q, want 403 containing %q", resp.Status, resp.Body, want)
	}
}
