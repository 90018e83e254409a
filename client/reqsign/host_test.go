package reqsign

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCheckHostReplayToAnotherPort is the attack: a request signed for one
// server (host:portA) is replayed to another on the same host name
// (host:portB). The second server must refuse it, naming where it is.
func TestCheckHostReplayToAnotherPort(t *testing.T) {
	var got []string
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := CheckHost(r); err != nil {
			if !errors.Is(err, ErrMisdirected) {
				t.Errorf("CheckHost error %v does not match ErrMisdirected", err)
			}
			http.Error(w, err.Error(), http.StatusMisdirectedRequest)
			return
		}
		got = append(got, r.Host)
	})
	a, b := httptest.NewServer(handler), httptest.NewServer(handler)
	defer a.Close()
	defer b.Close()
	_, portA, _ := net.SplitHostPort(strings.TrimPrefix(a.URL, "http://"))
	_, portB, _ := net.SplitHostPort(strings.TrimPrefix(b.URL, "http://"))

	req, err := http.NewRequest(http.MethodGet, b.URL+"/v1/services/x/logs", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "localhost:" + portA // signed for a, sent to b
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := "request signed for localhost:" + portA + " reached a server that answers signed requests at localhost:" + portB
	if resp.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(string(body), want) ||
		!strings.Contains(string(body), "sign the request for localhost:"+portB) {
		t.Fatalf("replayed to another port: %d %q; want 421 with %q", resp.StatusCode, body, want)
	}

	// The same request addressed to a is accepted there.
	req, _ = http.NewRequest(http.MethodGet, a.URL+"/v1/services/x/logs", nil)
	req.Host = "localhost:" + portA
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(got) != 1 {
		t.Fatalf("request to its own server: %d (accepted %v)", resp.StatusCode, got)
	}
}

func TestCheckHost(t *testing.T) {
	local := func(host, localAddr string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = host
		if localAddr != "" {
			addr, err := net.ResolveTCPAddr("tcp", localAddr)
			if err != nil {
				t.Fatal(err)
			}
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, addr))
		}
		return r
	}
	for _, tc := range []struct {
		name      string
		host      string
		localAddr string
		allowed   []string
		want      string // "" accepts
	}{
		{"listener's own port", "gw.example:8080", "127.0.0.1:8080", nil, ""},
		{"listener's port, any name", "127.0.0.1:8080", "127.0.0.1:8080", nil, ""},
		{"another port than the listener's", "localhost:8081", "127.0.0.1:8080", nil,
			"request signed for localhost:8081 reached a server that answers signed requests at localhost:8080"},
		{"no port, listener not on 80", "localhost", "127.0.0.1:8080", nil,
			"request signed for localhost (no port: the scheme's default) reached a server that answers signed requests at localhost:8080"},
		{"no port, listener on 80", "localhost", "127.0.0.1:80", nil, ""},
		{"listener unknown", "localhost:8080", "", nil, "this server cannot tell which port it was reached on"},
		{"allowed host:port", "GW.Example.:443", "", []string{"gw.example:443"}, ""},
		{"no port matches 443", "gw.example", "", []string{"gw.example:443"}, ""},
		{"allowed port, other host", "evil.example:443", "", []string{"gw.example:443"},
			"request signed for evil.example:443 reached a server that answers signed requests at gw.example:443: a signature is bound to the host and port it was made for; sign the request for gw.example:443"},
		{"one of several", "localhost:9000", "127.0.0.1:8080", []string{":8080", ":9000"}, ""},
		{"none of several", "localhost:9001", "", []string{":8080", "gw.example:9000"},
			"answers signed requests at localhost:8080 or gw.example:9000"},
		{"IPv6", "[::1]:8080", "", []string{":8080"}, ""},
		{"IPv6 other port", "[::1]:8081", "", []string{":8080"}, "sign the request for [::1]:8080"},
		{"IPv6 entry", "[::1]:8080", "", []string{"[::1]:8080"}, ""},
		{"port out of range", "localhost:99999", "", []string{":8080"}, `Host "localhost:99999" is malformed`},
		{"port not a number", "localhost:80a", "", []string{":8080"}, `is malformed`},
		{"port with a sign", "localhost:+80", "", []string{":80"}, `is malformed`},
		{"leading zero", "localhost:080", "", []string{":80"}, `is malformed`},
		{"empty host", "", "", []string{":80"}, `Host "" is malformed (no host name)`},
		{"bare IPv6", "::1", "", []string{":80"}, "IPv6 literal without brackets"},
		{"entries without port allow nothing", "localhost", "", []string{"localhost"}, "(no valid host:port is configured)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckHost(local(tc.host, tc.localAddr), tc.allowed...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
			case err == nil:
				t.Fatalf("accepted; want %q", tc.want)
			case !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q does not contain %q", err, tc.want)
			case !errors.Is(err, ErrMisdirected):
				t.Fatalf("error %v does not match ErrMisdirected", err)
			}
		})
	}
}

func FuzzCheckHost(f *testing.F) {
	for _, s := range []string{"localhost:8080", "[::1]:80", "gw.example", "", ":", "[", "a:b:c", "x:0"} {
		f.Add(s, ":8080")
	}
	f.Fuzz(func(t *testing.T, host, allowed string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = host
		err := CheckHost(r, allowed)
		if err != nil && !errors.Is(err, ErrMisdirected) {
			t.Fatalf("error %v does not match ErrMisdirected", err)
		}
		if err == nil {
			// Accepted: the Host names the allowed port (or the default
			// port, for an entry on 80 or 443).
			_, port, herr := SplitHost(host)
			_, aPort, aerr := SplitHost(allowed)
			if herr != nil || aerr != nil || (port != aPort && !(port == "" && (aPort == "80" || aPort == "443"))) {
				t.Fatalf("CheckHost(%q, %q) accepted", host, allowed)
			}
		}
	})
}
