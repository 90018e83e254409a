package client

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/client/reqsign"
)

func testSigner(seed string) reqsign.KeySigner {
	return reqsign.KeySigner{Key: secp256k1.GenPrivKeyFromSecret([]byte(seed))}
}

// TestErrorsAreTyped: a non-2xx answer is an *APIError with the node's
// message, whatever form the body takes, and matches the sentinel of its
// status.
func TestErrorsAreTyped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/services/ghost":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			_ = json.NewEncoder(w).Encode(Error{Error: "not found: no service named ghost"})
		case "/v1/supply":
			http.Error(w, "the node is catching up", http.StatusServiceUnavailable)
		case "/v1/accounts/x":
			w.WriteHeader(400)
		case "/v1/status":
			w.WriteHeader(500)
			_, _ = w.Write([]byte("\x00\x01 binary junk"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := New(srv.URL)
	ctx := context.Background()
	for _, tc := range []struct {
		call     func() error
		status   int
		message  string
		sentinel error
	}{
		{func() error { _, err := c.Service(ctx, "ghost"); return err }, 404, "not found: no service named ghost", ErrNotFound},
		{func() error { _, err := c.Supply(ctx); return err }, 503, "the node is catching up", ErrUnavailable},
		{func() error { _, err := c.Account(ctx, "x"); return err }, 400, "Bad Request", ErrBadRequest},
		{func() error { _, err := c.Status(ctx); return err }, 500, "Internal Server Error", nil},
	} {
		err := tc.call()
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Message != tc.message {
			t.Errorf("error %v (%#v), want HTTP %d %q", err, ae, tc.status, tc.message)
			continue
		}
		if want := fmt.Sprintf("%s (HTTP %d)", tc.message, tc.status); err.Error() != want {
			t.Errorf("error text %q, want %q", err, want)
		}
		for _, s := range []error{ErrNotFound, ErrBadRequest, ErrUnavailable} {
			if want := tc.sentinel != nil && errors.Is(tc.sentinel, s); errors.Is(err, s) != want {
				t.Errorf("HTTP %d: errors.Is(%v) = %v", tc.status, s, errors.Is(err, s))
			}
		}
	}
}

// TestUnreachableNode: a node that does not answer is a transport error
// naming the URL, not an *APIError.
func TestUnreachableNode(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	_, err := New(base).Status(context.Background())
	var ae *APIError
	if err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), base+"/v1/status") {
		t.Fatalf("status of a closed node: %v", err)
	}
}

// TestTimeout: a call that reads one answer gives up at its timeout; the
// node sees the request cancelled.
func TestTimeout(t *testing.T) {
	cancelled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		close(cancelled)
	}))
	defer srv.Close()
	_, err := New(srv.URL, WithTimeout(50*time.Millisecond)).Epoch(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Epoch past its timeout: %v", err)
	}
	<-cancelled
}

// TestQueries: parameters reach the node as the API reads them, and path
// segments are escaped.
func TestQueries(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI())
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := New(srv.URL + "/")
	ctx := context.Background()
	epoch := uint64(0)
	calls := []func() error{
		func() error { _, err := c.Leases(ctx, LeaseFilter{}); return err },
		func() error {
			_, err := c.Leases(ctx, LeaseFilter{Sharer: "q11a", Service: "hello", Limit: 5})
			return err
		},
		func() error { _, err := c.Blocks(ctx, 0); return err },
		func() error { _, err := c.Blocks(ctx, 100); return err },
		func() error { _, err := c.Block(ctx, 7); return err },
		func() error { _, err := c.Proposal(ctx, 3); return err },
		func() error { _, err := c.Service(ctx, "a/b c"); return err },
		func() error {
			_, err := c.ServiceUsage(ctx, "hello", UsageFilter{By: "sharer", Sharer: "q11a", Epoch: &epoch})
			return err
		},
		func() error { _, err := c.SharerEarnings(ctx, "q11a", "service"); return err },
		func() error { _, err := c.SharerEarnings(ctx, "q11a", ""); return err },
	}
	for _, call := range calls {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"/v1/leases", "/v1/leases?limit=5&service=hello&sharer=q11a", "/v1/blocks", "/v1/blocks?limit=100",
		"/v1/blocks/7", "/v1/proposals/3", "/v1/services/a%2Fb%20c",
		"/v1/services/hello/usage?by=sharer&epoch=0&sharer=q11a", "/v1/sharers/q11a/earnings?by=service", "/v1/sharers/q11a/earnings",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// logsServer serves a service's logs as a node does, checking that the
// request is signed for logs by signer when it is.
func logsServer(t *testing.T, prefix string, lines []LogEntry, follow chan LogEntry) *httptest.Server {
	verifier, err := reqsign.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != prefix+"/v1/services/echo/logs" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get(reqsign.HeaderSignature) == "" {
			http.Error(w, "the logs of echo are for its owners and listed viewers: sign the request (q1 service logs --from KEY)", http.StatusUnauthorized)
			return
		}
		if _, err := verifier.Verify(r, sha256.Sum256(nil), LogsPurpose); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		since := uint64(0)
		fmt.Sscan(r.URL.Query().Get("since"), &since)
		enc := json.NewEncoder(w)
		for _, l := range lines {
			if l.Seq >= since {
				_ = enc.Encode(l)
			}
		}
		if r.URL.Query().Get("follow") != "1" {
			return
		}
		w.(http.Flusher).Flush()
		for {
			select {
			case l, ok := <-follow:
				if !ok {
					return // the node stops
				}
				_ = enc.Encode(l)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	}))
}

func TestLogs(t *testing.T) {
	lines := []LogEntry{
		{Seq: 0, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Service: "echo", Level: "INFO", Message: "one", Node: "q11n"},
		{Seq: 1, Time: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC), Service: "echo", Level: "INFO", Message: "two", Node: "q11n"},
	}
	for _, tc := range []struct {
		name   string
		prefix string
		read   func(base string, o LogsOptions) ([]LogEntry, error)
	}{
		{"api", "", func(base string, o LogsOptions) ([]LogEntry, error) {
			return New(base).Logs(context.Background(), "echo", o)
		}},
		{"gateway", "/_q1", func(base string, o LogsOptions) ([]LogEntry, error) {
			return NewGateway(base).Logs(context.Background(), "echo", o)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := logsServer(t, tc.prefix, lines, nil)
			defer srv.Close()
			got, err := tc.read(srv.URL, LogsOptions{Signer: testSigner("owner")})
			if err != nil || len(got) != 2 || got[0].Message != "one" || !got[1].Time.Equal(lines[1].Time) {
				t.Fatalf("Logs = %+v, %v", got, err)
			}
			got, err = tc.read(srv.URL, LogsOptions{Since: 1, Signer: testSigner("owner")})
			if err != nil || len(got) != 1 || got[0].Seq != 1 {
				t.Fatalf("Logs since 1 = %+v, %v", got, err)
			}
			_, err = tc.read(srv.URL, LogsOptions{})
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != 401 || !strings.HasPrefix(ae.Message, "the logs of echo are for its owners") {
				t.Fatalf("unsigned Logs = %v", err)
			}
		})
	}
}

// TestFollowLogs: a followed stream hands over the kept lines, then new
// ones as they come, and ends when the node ends it or the context does.
func TestFollowLogs(t *testing.T) {
	follow := make(chan LogEntry)
	srv := logsServer(t, "", []LogEntry{{Seq: 0, Message: "kept"}}, follow)
	defer srv.Close()
	c := New(srv.URL, WithTimeout(time.Nanosecond)) // a followed stream is not bounded by the timeout
	got := make(chan LogEntry)
	done := make(chan error)
	go func() {
		done <- c.FollowLogs(context.Background(), "echo", LogsOptions{Signer: testSigner("owner")}, func(e LogEntry) error {
			got <- e
			return nil
		})
	}()
	if e := <-got; e.Message != "kept" {
		t.Fatalf("first line %+v", e)
	}
	follow <- LogEntry{Seq: 1, Message: "new"}
	if e := <-got; e.Message != "new" || e.Seq != 1 {
		t.Fatalf("followed line %+v", e)
	}
	close(follow)
	if err := <-done; err != nil {
		t.Fatalf("the node ended the stream: FollowLogs = %v, want nil", err)
	}

	// The caller's context ends it too, and a callback's error.
	follow = make(chan LogEntry)
	srv2 := logsServer(t, "", []LogEntry{{Seq: 0, Message: "kept"}}, follow)
	defer srv2.Close()
	ctx, cancel := context.WithCancel(context.Background())
	err := New(srv2.URL).FollowLogs(ctx, "echo", LogsOptions{Signer: testSigner("owner")}, func(LogEntry) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("FollowLogs after cancel = %v", err)
	}
	stop := errors.New("enough")
	err = New(srv2.URL).FollowLogs(context.Background(), "echo", LogsOptions{Signer: testSigner("owner")}, func(LogEntry) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("FollowLogs with a failing callback = %v", err)
	}
}

// TestLogsRefusesGarbage: a line that is not a log entry is an error naming
// it, not a line silently skipped.
func TestLogsRefusesGarbage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"seq":0,"message":"ok"}`+"\n"+"<html>\n")
	}))
	defer srv.Close()
	_, err := New(srv.URL).Logs(context.Background(), "echo", LogsOptions{})
	if err == nil || !strings.Contains(err.Error(), "line 2 is not a log entry") {
		t.Fatalf("Logs of a garbled answer = %v", err)
	}
}

func TestGatewayReplicasAndCall(t *testing.T) {
	verifier, err := reqsign.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_q1/v1/replicas":
			_ = json.NewEncoder(w).Encode([]NodeReplica{{Service: "hello", State: "serving", Lease: 3}})
		case strings.HasPrefix(r.URL.Path, "/s/guarded/"):
			body, _ := io.ReadAll(r.Body)
			who := "anyone"
			if r.Header.Get(reqsign.HeaderSignature) != "" {
				acc, err := verifier.Verify(r, sha256.Sum256(body), "guarded")
				if err != nil {
					http.Error(w, err.Error(), http.StatusUnauthorized)
					return
				}
				who = acc
			}
			w.Header().Set(HeaderServedBy, "q11node")
			w.WriteHeader(418)
			fmt.Fprintf(w, "%s %s %s %s %s", r.Method, r.URL.RequestURI(), r.Header.Get("X-Test"), who, body)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	g := NewGateway(srv.URL)
	reps, err := g.Replicas(context.Background())
	if err != nil || len(reps) != 1 || reps[0].Service != "hello" || reps[0].Lease != 3 {
		t.Fatalf("Replicas = %+v, %v", reps, err)
	}
	owner := testSigner("owner")
	addr, _ := reqsign.AccountAddress(reqsign.AccountPrefix, owner.Key.PubKey())
	resp, err := g.Call(context.Background(), CallRequest{Service: "guarded", Method: "post", Path: "/admin?x=1", Body: []byte("hi"),
		Header: http.Header{"X-Test": {"t"}}, Signer: owner})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// A service's status is its answer, not an error.
	if want := "POST /s/guarded/admin?x=1 t " + addr + " hi"; resp.StatusCode != 418 || string(b) != want || resp.Header.Get(HeaderServedBy) != "q11node" {
		t.Fatalf("Call = %d %q (served by %q), want 418 %q", resp.StatusCode, b, resp.Header.Get(HeaderServedBy), want)
	}
	resp, err = g.Call(context.Background(), CallRequest{Service: "guarded", Path: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "GET /s/guarded/plain  anyone " {
		t.Fatalf("unsigned Call = %q", b)
	}

	srv.Close()
	_, err = g.Call(context.Background(), CallRequest{Service: "guarded", Path: "/"})
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("Call to a closed gateway = %v, want a *url.Error", err)
	}
}

func TestUploadBlob(t *testing.T) {
	content := []byte("a wasm module, honestly")
	h := blobhash.Sum(content)
	var stored []byte
	verifier, err := reqsign.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/v1/blobs":
			announced, err := blobhash.Parse(r.Header.Get(HeaderBlobHash))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if _, err := verifier.Verify(r, announced, BlobPurpose); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			stored, _ = io.ReadAll(r.Body)
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(Blob{Hash: blobhash.Sum(stored), Size: int64(len(stored))})
		case r.Method == http.MethodHead && r.URL.Path == "/v1/blobs/"+h.String() && stored != nil:
		case r.Method == http.MethodGet && r.URL.Path == "/v1/blobs/"+h.String() && stored != nil:
			_, _ = w.Write(stored)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	c := New(srv.URL)
	if has, err := c.HasBlob(context.Background(), h); has || err != nil {
		t.Fatalf("HasBlob before the upload = %v, %v", has, err)
	}
	var last int64
	got, err := c.UploadBlob(context.Background(), strings.NewReader(string(content)), int64(len(content)), testSigner("deployer"),
		func(sent, _ int64) { last = sent })
	if err != nil || got != h || string(stored) != string(content) || last != int64(len(content)) {
		t.Fatalf("UploadBlob = %s, %v (stored %q, progress %d)", got, err, stored, last)
	}
	if has, err := c.HasBlob(context.Background(), h); !has || err != nil {
		t.Fatalf("HasBlob after the upload = %v, %v", has, err)
	}
	var back strings.Builder
	if n, err := c.DownloadBlob(context.Background(), h, &back, 0); err != nil || n != int64(len(content)) || back.String() != string(content) {
		t.Fatalf("DownloadBlob = %d %q, %v", n, back.String(), err)
	}
	if _, err := c.DownloadBlob(context.Background(), h, io.Discard, 5); !errors.Is(err, ErrBlobTooLarge) {
		t.Fatalf("DownloadBlob with a 5-byte limit = %v", err)
	}
	if _, err := c.DownloadBlob(context.Background(), blobhash.Sum([]byte("other")), io.Discard, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DownloadBlob of a blob the node lacks = %v", err)
	}
}

// TestSignInKeepsTheSession: with a cookie jar, the session SignIn opens
// is sent with later calls.
func TestSignInKeepsTheSession(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.Path {
		case "GET /v1/auth/challenge":
			_ = json.NewEncoder(w).Encode(SignInChallenge{Challenge: "q1-dashboard-x", Command: "q1 dashboard sign q1-dashboard-x --from KEY"})
		case "POST /v1/auth/session":
			var body struct{ Token string }
			if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil || body.Token != "q1token.abc" {
				http.Error(w, "bad token", http.StatusBadRequest)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "q1_session", Value: "s1", Path: "/v1/"})
			_ = json.NewEncoder(w).Encode(Session{Account: "q11alice"})
		case "GET /v1/auth/session":
			if c, err := r.Cookie("q1_session"); err != nil || c.Value != "s1" {
				w.WriteHeader(401)
				_ = json.NewEncoder(w).Encode(Error{Error: "not signed in"})
				return
			}
			_ = json.NewEncoder(w).Encode(Session{Account: "q11alice"})
		case "DELETE /v1/auth/session":
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := New(srv.URL, WithHTTPClient(&http.Client{Jar: jar}))
	ctx := context.Background()
	ch, err := c.SignInChallenge(ctx)
	if err != nil || ch.Challenge != "q1-dashboard-x" {
		t.Fatalf("SignInChallenge = %+v, %v", ch, err)
	}
	var ae *APIError
	if _, err := c.Session(ctx); !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Message != "not signed in" {
		t.Fatalf("Session before signing in = %v", err)
	}
	if s, err := c.SignIn(ctx, "q1token.abc"); err != nil || s.Account != "q11alice" {
		t.Fatalf("SignIn = %+v, %v", s, err)
	}
	if s, err := c.Session(ctx); err != nil || s.Account != "q11alice" {
		t.Fatalf("Session after signing in = %+v, %v", s, err)
	}
	if err := c.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
}
