package blob

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/client/reqsign"
)

var (
	alice = reqsign.KeySigner{Key: secp256k1.GenPrivKeyFromSecret([]byte("alice"))}
	bob   = reqsign.KeySigner{Key: secp256k1.GenPrivKeyFromSecret([]byte("bob"))}
)

func accountOf(t *testing.T, s reqsign.KeySigner) string {
	t.Helper()
	addr, err := reqsign.AccountAddress(reqsign.AccountPrefix, s.Key.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// fakeAccounts is the chain's view of which accounts hold funds.
type fakeAccounts struct {
	mu     sync.Mutex
	funded map[string]bool
	err    error
}

func (f *fakeAccounts) Funded(_ context.Context, account string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.funded[account], f.err
}

type testNode struct {
	store    *Store
	accounts *fakeAccounts
	srv      *httptest.Server
}

// startNode serves a fresh store with a real verifier; alice is funded.
func startNode(t *testing.T, opts ...Option) *testNode {
	t.Helper()
	s := openTestStore(t, "", opts...)
	v, err := reqsign.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	acc := &fakeAccounts{funded: map[string]bool{accountOf(t, alice): true}}
	srv := httptest.NewServer(Handler(s, v, acc, HandlerOptions{}))
	t.Cleanup(srv.Close)
	return &testNode{store: s, accounts: acc, srv: srv}
}

// put sends PUT /v1/blobs with body, signed by signer over signedBody (nil:
// unsigned), announcing announce in X-Q1-Blob-Hash when not empty.
func (n *testNode) put(t *testing.T, body, signedBody []byte, announce string, signer reqsign.Signer, chunked bool) (int, string) {
	t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // hides the length: sent chunked
	}
	req, err := http.NewRequest(http.MethodPut, n.srv.URL+"/v1/blobs", rd)
	if err != nil {
		t.Fatal(err)
	}
	if announce != "" {
		req.Header.Set(q1client.HeaderBlobHash, announce)
	}
	if signedBody != nil {
		if err := reqsign.SignRequestHash(req, sha256.Sum256(signedBody), signer, q1client.BlobPurpose, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return n.do(t, req)
}

func (n *testNode) do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := n.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func errorJSON(msg string) string {
	b, _ := json.Marshal(q1client.Error{Error: msg})
	return string(b) + "\n"
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	n := startNode(t)
	content := bytes.Repeat([]byte("wasm "), 20_000)
	var last, calls int64
	progress := func(sent, total int64) {
		if sent < last || total != int64(len(content)) {
			t.Errorf("progress(%d, %d) after %d", sent, total, last)
		}
		last = sent
		calls++
	}
	h, err := q1client.New(n.srv.URL+"/", q1client.WithHTTPClient(n.srv.Client())).UploadBlob(context.Background(), bytes.NewReader(content),
		int64(len(content)), alice, progress)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if h != blobhash.Sum(content) || last != int64(len(content)) || calls < 2 {
		t.Fatalf("Upload = %s, progress ended at %d after %d calls", h, last, calls)
	}
	if u := n.store.Usage(accountOf(t, alice)); u != int64(len(content)) {
		t.Fatalf("alice's usage = %d", u)
	}

	var buf bytes.Buffer
	size, err := q1client.New(n.srv.URL, q1client.WithHTTPClient(n.srv.Client())).DownloadBlob(context.Background(), h, &buf, 0)
	if err != nil || size != int64(len(content)) || !bytes.Equal(buf.Bytes(), content) {
		t.Fatalf("Download = %d bytes, %v", size, err)
	}

	for _, method := range []string{http.MethodGet, http.MethodHead} {
		resp, err := n.srv.Client().Do(mustRequest(t, method, n.srv.URL+"/v1/blobs/"+h.String()))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantBody := len(content)
		if method == http.MethodHead {
			wantBody = 0
		}
		if resp.StatusCode != 200 || len(body) != wantBody ||
			resp.Header.Get("Content-Length") != strconv.Itoa(len(content)) ||
			resp.Header.Get("ETag") != `"`+h.String()+`"` ||
			resp.Header.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("%s: status %d, %d body bytes, headers %v", method, resp.StatusCode, len(body), resp.Header)
		}
	}
	req := mustRequest(t, http.MethodGet, n.srv.URL+"/v1/blobs/"+h.String())
	req.Header.Set("If-None-Match", `"`+h.String()+`"`)
	if status, _ := n.do(t, req); status != http.StatusNotModified {
		t.Fatalf("conditional GET: status %d, want 304", status)
	}
}

func TestPutStatusCreatedThenOK(t *testing.T) {
	n := startNode(t)
	body := []byte("a module")
	h := blobhash.Sum(body).String()
	wantJSON := `{"hash":"` + h + `","size":8}` + "\n"
	if status, got := n.put(t, body, body, h, alice, false); status != http.StatusCreated || got != wantJSON {
		t.Fatalf("first PUT: %d %s", status, got)
	}
	if status, got := n.put(t, body, body, h, alice, false); status != http.StatusOK || got != wantJSON {
		t.Fatalf("second PUT: %d %s", status, got)
	}
}

// rawPut opens a connection to n and sends PUT /v1/blobs headers
// announcing length bytes, plus first bytes of body, then stalls: the
// hostile uploader. It returns the connection.
func (n *testNode) rawPut(t *testing.T, headers http.Header, length int, first []byte) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "PUT /v1/blobs HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", strings.TrimPrefix(n.srv.URL, "http://"), length)
	for k, vs := range headers {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := conn.Write(append([]byte(b.String()), first...)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readResponse reads the status line and body the node answered on conn,
// failing if it does not answer within a generous minute.
func readResponse(t *testing.T, conn net.Conn) (int, string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer from the node: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestUnsignedUploadRefusedBeforeItsBody: a stranger announcing 60 MB
// without a signature is refused before the node reads (or stores) a byte.
func TestUnsignedUploadRefusedBeforeItsBody(t *testing.T) {
	n := startNode(t, WithMaxSize(100<<20))
	hdr := http.Header{q1client.HeaderBlobHash: {blobhash.Sum([]byte("x")).String()}}
	conn := n.rawPut(t, hdr, 60<<20, []byte("only a few bytes"))
	status, body := readResponse(t, conn)
	if want := errorJSON("request is not signed: it has no X-Q1-Signature header (sign it with a q1 account key)"); status != http.StatusUnauthorized || body != want {
		t.Fatalf("unsigned 60 MB PUT: %d %s", status, body)
	}
	if tmp := filesIn(t, n.store, tmpDir); len(tmp) != 0 {
		t.Fatalf("temporary files written for an unsigned upload: %v", tmp)
	}
}

// TestStalledUploadIsDroppedAndCleanedUp: a signed upload that stops
// sending frees its slot and its temporary file; while it held the only
// slot, another upload was refused with 503 and Retry-After.
func TestStalledUploadIsDroppedAndCleanedUp(t *testing.T) {
	s := openTestStore(t, "")
	v, err := reqsign.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	acc := &fakeAccounts{funded: map[string]bool{accountOf(t, alice): true}}
	srv := httptest.NewServer(Handler(s, v, acc, HandlerOptions{MaxUploads: 1, UploadIdle: 200 * time.Millisecond}))
	t.Cleanup(srv.Close)
	n := &testNode{store: s, accounts: acc, srv: srv}

	body := bytes.Repeat([]byte("s"), 1000)
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v1/blobs", nil)
	req.Host = strings.TrimPrefix(srv.URL, "http://")
	if err := reqsign.SignRequestHash(req, sha256.Sum256(body), alice, q1client.BlobPurpose, time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Header.Set(q1client.HeaderBlobHash, blobhash.Sum(body).String())
	conn := n.rawPut(t, req.Header, len(body), body[:10])

	waitFor(t, "the stalled upload to start writing", func() bool { return len(filesIn(t, s, tmpDir)) == 1 })
	other := []byte("another")
	status, got := n.put(t, other, other, blobhash.Sum(other).String(), alice, false)
	if want := errorJSON("this node is receiving 1 uploads at once, its limit; retry in a few seconds"); status != http.StatusServiceUnavailable || got != want {
		t.Errorf("PUT while the slot is held: %d %s", status, got)
	}
	waitFor(t, "the stalled upload's temporary file to be removed", func() bool { return len(filesIn(t, s, tmpDir)) == 0 })
	conn.Close()
	waitFor(t, "the slot to be free again", func() bool {
		status, _ := n.put(t, other, other, blobhash.Sum(other).String(), alice, false)
		return status == http.StatusCreated
	})
	if s.Has(blobhash.Sum(body)) {
		t.Fatal("the stalled upload was stored")
	}
}

// TestTricklingUploadIsDropped: a client sending a byte now and then keeps
// the idle deadline at bay, but not the minimum rate: the upload is
// dropped with a message and its partial file removed.
func TestTricklingUploadIsDropped(t *testing.T) {
	s := openTestStore(t, "")
	v, err := reqsign.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	acc := &fakeAccounts{funded: map[string]bool{accountOf(t, alice): true}}
	srv := httptest.NewServer(Handler(s, v, acc, HandlerOptions{UploadMinRate: 1000, UploadGrace: 100 * time.Millisecond}))
	t.Cleanup(srv.Close)
	n := &testNode{store: s, accounts: acc, srv: srv}

	body := bytes.Repeat([]byte("t"), 1000)
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v1/blobs", nil)
	req.Host = strings.TrimPrefix(srv.URL, "http://")
	if err := reqsign.SignRequestHash(req, sha256.Sum256(body), alice, q1client.BlobPurpose, time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Header.Set(q1client.HeaderBlobHash, blobhash.Sum(body).String())
	conn := n.rawPut(t, req.Header, len(body), body[:1])
	done := make(chan struct{})
	defer close(done)
	go func() { // a byte every 50 ms: 20 B/s, far below 1000 B/s
		for i := 1; i < len(body); i++ {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write(body[i : i+1]); err != nil {
				return
			}
		}
	}()
	status, got := readResponse(t, conn)
	if status != http.StatusBadRequest || !strings.Contains(got, "below this node's minimum of 1000 B/s, so the node dropped it") {
		t.Fatalf("trickling upload: %d %s", status, got)
	}
	waitFor(t, "the trickling upload's temporary file to be removed", func() bool { return len(filesIn(t, s, tmpDir)) == 0 })
	if s.Has(blobhash.Sum(body)) {
		t.Fatal("the trickling upload was stored")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPutRefusals(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 1000)
	big := bytes.Repeat([]byte("y"), 2048)
	h := blobhash.Sum(body).String()
	tests := []struct {
		name       string
		body       []byte
		signedBody []byte
		announce   string
		signer     reqsign.Signer
		chunked    bool
		setup      func(n *testNode)
		status     int
		want       func(t *testing.T) string
	}{
		{
			name: "unsigned", body: body, announce: h, status: http.StatusUnauthorized,
			want: func(*testing.T) string {
				return "request is not signed: it has no X-Q1-Signature header (sign it with a q1 account key)"
			},
		},
		{
			name: "without announced hash", body: body, signedBody: body, signer: alice, status: http.StatusBadRequest,
			want: func(*testing.T) string {
				return "PUT /v1/blobs needs header X-Q1-Blob-Hash: sha256:<64 hex digits of the body> (the signature covers it, so the node checks it before reading the body); q1 service deploy sends it"
			},
		},
		{
			name: "unsigned without announced hash", body: body, chunked: true, status: http.StatusBadRequest,
			want: func(*testing.T) string {
				return "PUT /v1/blobs needs header X-Q1-Blob-Hash: sha256:<64 hex digits of the body> (the signature covers it, so the node checks it before reading the body); q1 service deploy sends it"
			},
		},
		{
			name: "chunked", body: body, signedBody: body, announce: h, signer: alice, chunked: true, status: http.StatusLengthRequired,
			want: func(*testing.T) string {
				return "PUT /v1/blobs needs a Content-Length header (chunked uploads are refused: the node checks the size and the quota before reading)"
			},
		},
		{
			name: "signed for other bytes", body: body, signedBody: []byte("other"), announce: h, signer: alice,
			status: http.StatusUnauthorized,
			want: func(t *testing.T) string {
				return "signature does not verify for account " + accountOf(t, alice) +
					`: the request is not the one that was signed for "blob" (host, method, path, query, body, timestamp or nonce differ) or another key signed it`
			},
		},
		{
			name: "unfunded", body: body, signedBody: body, announce: h, signer: bob, status: http.StatusForbidden,
			want: func(t *testing.T) string {
				return "account " + accountOf(t, bob) + " has no funds; this node stores blobs only for funded accounts — send it some uqc first"
			},
		},
		{
			name: "funding check fails", body: body, signedBody: body, announce: h, signer: alice,
			setup:  func(n *testNode) { n.accounts.err = errors.New("rpc: connection refused") },
			status: http.StatusServiceUnavailable,
			want: func(t *testing.T) string {
				return "could not check the balance of account " + accountOf(t, alice) + ": rpc: connection refused; try again"
			},
		},
		{
			name: "malformed announced hash", body: body, signedBody: body, announce: "sha256:XYZ", signer: alice,
			status: http.StatusBadRequest,
			want: func(*testing.T) string {
				return `header X-Q1-Blob-Hash: invalid blob hash "sha256:XYZ": it has 3 hex digits; want sha256: followed by 64 lowercase hex digits`
			},
		},
		{
			name: "content differs from announced hash", body: body, signedBody: []byte("claimed"),
			announce: blobhash.Sum([]byte("claimed")).String(), signer: alice, status: http.StatusUnprocessableEntity,
			want: func(*testing.T) string {
				return "blob hash mismatch: the content hashes to " + h + ", not the expected " + blobhash.Sum([]byte("claimed")).String()
			},
		},
		{
			name: "too large by Content-Length", body: big, signedBody: big, announce: blobhash.Sum(big).String(), signer: alice,
			status: http.StatusRequestEntityTooLarge,
			want:   func(*testing.T) string { return "blob too large: it is larger than this node's limit of 1.5 KiB" },
		},
		{
			name: "over quota", body: body, signedBody: body, announce: h, signer: alice,
			setup: func(n *testNode) {
				if _, _, err := n.store.Put(context.Background(), bytes.NewReader(bytes.Repeat([]byte("q"), 1200)), blobhash.Hash{}, accountOf(t, alice)); err != nil {
					t.Fatal(err)
				}
			},
			status: http.StatusRequestEntityTooLarge,
			want: func(t *testing.T) string {
				return "blob quota exceeded: account " + accountOf(t, alice) + " has 1.2 KiB of blobs on this node and this blob adds 1000 B, " +
					"past the quota of 2 KiB per account; unused blobs are removed by garbage collection"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := startNode(t, WithMaxSize(1536), WithQuota(2048))
			if tt.setup != nil {
				tt.setup(n)
			}
			status, got := n.put(t, tt.body, tt.signedBody, tt.announce, tt.signer, tt.chunked)
			if want := errorJSON(tt.want(t)); status != tt.status || got != want {
				t.Fatalf("PUT: %d %s\nwant %d %s", status, got, tt.status, want)
			}
			if tmp := filesIn(t, n.store, tmpDir); len(tmp) != 0 {
				t.Fatalf("temporary files left: %v", tmp)
			}
			if n.store.Has(blobhash.Sum(tt.body)) {
				t.Fatal("the refused blob was stored")
			}
		})
	}
}

func TestReplayedUploadRefused(t *testing.T) {
	n := startNode(t)
	body := []byte("once")
	req := mustRequest(t, http.MethodPut, n.srv.URL+"/v1/blobs")
	req.Header.Set(q1client.HeaderBlobHash, blobhash.Sum(body).String())
	if err := reqsign.SignRequest(req, body, alice, q1client.BlobPurpose, time.Now()); err != nil {
		t.Fatal(err)
	}
	send := func() (int, string) {
		r := req.Clone(context.Background())
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		return n.do(t, r)
	}
	if status, got := send(); status != http.StatusCreated {
		t.Fatalf("first PUT: %d %s", status, got)
	}
	status, got := send()
	want := errorJSON("nonce already used: account " + accountOf(t, alice) + " sent nonce " +
		strconv.Quote(req.Header.Get(reqsign.HeaderNonce)) + " before; sign every request afresh")
	if status != http.StatusUnauthorized || got != want {
		t.Fatalf("replayed PUT: %d %s\nwant 401 %s", status, got, want)
	}
}

func TestGetErrors(t *testing.T) {
	n := startNode(t)
	missing := blobhash.Sum([]byte("missing"))
	tests := []struct {
		method, path string
		status       int
		body         string
	}{
		{http.MethodGet, "/v1/blobs/" + missing.String(), http.StatusNotFound, errorJSON("blob " + missing.String() + ": not found")},
		{http.MethodHead, "/v1/blobs/" + missing.String(), http.StatusNotFound, ""},
		{http.MethodGet, "/v1/blobs/" + missing.Hex(), http.StatusBadRequest,
			errorJSON(`invalid blob hash "` + missing.Hex() + `": it does not start with "sha256:"; want sha256: followed by 64 lowercase hex digits`)},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			status, body := n.do(t, mustRequest(t, tt.method, n.srv.URL+tt.path))
			if status != tt.status || body != tt.body {
				t.Fatalf("%d %s\nwant %d %s", status, body, tt.status, tt.body)
			}
		})
	}
}

func TestUploadReportsNodeErrors(t *testing.T) {
	n := startNode(t, WithMaxSize(1024))
	content := bytes.Repeat([]byte("z"), 2000)
	c := q1client.New(n.srv.URL, q1client.WithHTTPClient(n.srv.Client()))
	_, err := c.UploadBlob(context.Background(), bytes.NewReader(content), 2000, alice, nil)
	var se *q1client.APIError
	if !errors.As(err, &se) || se.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("Upload = %v, want a 413 APIError", err)
	}
	want := "upload blob " + blobhash.Sum(content).String() + " to " + n.srv.URL +
		": blob too large: it is larger than this node's limit of 1 KiB (HTTP 413)"
	if err.Error() != want {
		t.Fatalf("Upload error = %q\nwant %q", err, want)
	}
	_, err = c.UploadBlob(context.Background(), bytes.NewReader(content), 3000, alice, nil)
	if want := "upload blob: file holds 2000 bytes, not the 3000 expected; did it change?"; err == nil || err.Error() != want {
		t.Fatalf("Upload with a wrong size = %v, want %q", err, want)
	}
}

func TestDownloadRejectsWrongBytes(t *testing.T) {
	want := blobhash.Sum([]byte("the real thing"))
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "something else")
	}))
	defer liar.Close()
	_, err := q1client.New(liar.URL).DownloadBlob(context.Background(), want, io.Discard, 0)
	wantMsg := "download blob from " + liar.URL + ": blob hash mismatch: the content hashes to " +
		blobhash.Sum([]byte("something else")).String() + ", not the expected " + want.String()
	if !errors.Is(err, q1client.ErrBlobMismatch) || err.Error() != wantMsg {
		t.Fatalf("Download = %v\nwant %q", err, wantMsg)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
