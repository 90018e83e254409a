package reqsign

import (
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
)

// FuzzParseHeaders feeds arbitrary header values to the parser: it must never
// panic, must refuse with a VerifyError of a known kind, and what it accepts
// must survive a format/parse round trip unchanged.
func FuzzParseHeaders(f *testing.F) {
	req := signedRequest(f, testKey("alice"), "blob", http.MethodPut, "http://node/v1/blobs", []byte("x"), t0)
	h := req.Header
	f.Add(h.Get(HeaderAccount), h.Get(HeaderPubKey), h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature))
	f.Add("", "", "", "", "")
	f.Add("q11", "AA==", "0", "AAAAAAAAAAAAAAAA", "AA==")
	f.Add(h.Get(HeaderAccount), "BAAA", "-1", "a/b", "====")
	f.Fuzz(func(t *testing.T, account, pubkey, ts, nonce, sig string) {
		h := http.Header{}
		for name, v := range map[string]string{
			HeaderAccount: account, HeaderPubKey: pubkey, HeaderTimestamp: ts, HeaderNonce: nonce, HeaderSignature: sig,
		} {
			if v != "" {
				h.Set(name, v)
			}
		}
		sh, err := parseHeaders(h, AccountPrefix)
		if err != nil {
			var ve *VerifyError
			if !errors.As(err, &ve) || (!errors.Is(ve.Kind, ErrNotSigned) && !errors.Is(ve.Kind, ErrMalformed)) {
				t.Fatalf("parseHeaders error %v is not an ErrNotSigned/ErrMalformed VerifyError", err)
			}
			if ve.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		again := http.Header{}
		setHeaders(again, account, sh.pubKey, sh.timestamp, sh.nonce, sh.signature)
		sh2, err := parseHeaders(again, AccountPrefix)
		if err != nil {
			t.Fatalf("re-parse of accepted headers: %v", err)
		}
		if sh2.timestamp != sh.timestamp || sh2.nonce != sh.nonce ||
			base64.StdEncoding.EncodeToString(sh2.signature) != base64.StdEncoding.EncodeToString(sh.signature) ||
			string(sh2.account) != string(sh.account) || string(sh2.pubKey.Key) != string(sh.pubKey.Key) {
			t.Fatalf("round trip changed the headers: %+v vs %+v", sh, sh2)
		}
	})
}

// FuzzCanonicalTarget checks that canonicalisation never panics and is
// idempotent, so a proxy that re-encodes a canonical target changes nothing.
func FuzzCanonicalTarget(f *testing.F) {
	for _, s := range [][2]string{
		{"/v1/blobs", ""},
		{"/a b/%7e%2f", "b=2&a=x+y&a"},
		{"/%", "%"},
		{"/caf%C3%A9", "k=v%2Bw&&="},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		if p, err := CanonicalPath(path); err == nil {
			if p2, err := CanonicalPath(p); err != nil || p2 != p {
				t.Fatalf("CanonicalPath not idempotent: %q -> %q -> %q, %v", path, p, p2, err)
			}
		}
		if q, err := CanonicalQuery(query); err == nil {
			if q2, err := CanonicalQuery(q); err != nil || q2 != q {
				t.Fatalf("CanonicalQuery not idempotent: %q -> %q -> %q, %v", query, q, q2, err)
			}
		}
	})
}
