package reqsign

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
)

func TestSignRequestSetsHeaders(t *testing.T) {
	req := signedRequest(t, testKey("alice"), "blob", http.MethodPut, "http://node/v1/blobs", []byte("x"), t0)
	if got, want := req.Header.Get(HeaderAccount), testAccount(t, "alice"); got != want {
		t.Errorf("%s = %q, want %q", HeaderAccount, got, want)
	}
	if got := req.Header.Get(HeaderTimestamp); got != "1767225600" {
		t.Errorf("%s = %q, want 1767225600", HeaderTimestamp, got)
	}
	if n := len(req.Header.Get(HeaderNonce)); n != 22 {
		t.Errorf("nonce has %d characters, want 22", n)
	}
	again := signedRequest(t, testKey("alice"), "blob", http.MethodPut, "http://node/v1/blobs", []byte("x"), t0)
	if req.Header.Get(HeaderNonce) == again.Header.Get(HeaderNonce) {
		t.Error("two signatures used the same nonce")
	}
}

// TestSignRequestHashMatchesBody checks that signing a streamed body by its
// precomputed hash is the same as signing the bytes.
func TestSignRequestHashMatchesBody(t *testing.T) {
	body := []byte(strings.Repeat("blob bytes ", 1000))
	req, err := http.NewRequest(http.MethodPut, "http://node/v1/blobs", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := SignRequestHash(req, sha256.Sum256(body), KeySigner{Key: testKey("alice")}, "blob", t0); err != nil {
		t.Fatal(err)
	}
	v := newTestVerifier(t, &fakeClock{now: t0})
	if _, err := v.Verify(received(t, req), hashOf(body), "blob"); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestSignRequestRejectsBadSigners(t *testing.T) {
	edKey := ed25519.GenPrivKey()
	tests := []struct {
		name   string
		signer Signer
		want   string
	}{
		{
			name: "ed25519 key",
			signer: SignerFunc(func(msg []byte) ([]byte, cryptotypes.PubKey, error) {
				sig, err := edKey.Sign(msg)
				return sig, edKey.PubKey(), err
			}),
			want: "sign request: key type ed25519 cannot sign requests; use a secp256k1 account key",
		},
		{
			name: "signature over the wrong bytes",
			signer: SignerFunc(func(msg []byte) ([]byte, cryptotypes.PubKey, error) {
				k := testKey("alice")
				sig, err := k.Sign(append(msg, '!'))
				return sig, k.PubKey(), err
			}),
			want: "sign request: the signer's signature does not verify with its own public key",
		},
		{
			name: "service with newline",
			signer: SignerFunc(func([]byte) ([]byte, cryptotypes.PubKey, error) {
				t.Fatal("signer called for an invalid request")
				return nil, nil, nil
			}),
			want: `sign request: service "blob\nx" contains a space or control character`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "http://node/x", nil)
			if err != nil {
				t.Fatal(err)
			}
			service := "blob"
			if tt.name == "service with newline" {
				service = "blob\nx"
			}
			err = SignRequest(req, nil, tt.signer, service, t0)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("SignRequest = %v, want prefix %q", err, tt.want)
			}
			if req.Header.Get(HeaderSignature) != "" {
				t.Fatal("a failed SignRequest left a signature header")
			}
		})
	}
}
