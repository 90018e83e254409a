package sealed_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/quantum1net/q1/core/sealed"
)

func nodeKey(t *testing.T) (priv, pub []byte) {
	t.Helper()
	k, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.Serialize(), k.PubKey().SerializeCompressed()
}

func TestSealWrapRoundTrip(t *testing.T) {
	priv, pub := nodeKey(t)
	ad := sealed.AD("notes", "API_KEY", 3)
	dk, err := sealed.NewDataKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := sealed.Seal(dk, []byte("s3cr3t"), ad, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("s3cr3t")) {
		t.Fatal("ciphertext contains the value")
	}
	w, err := sealed.Wrap(pub, dk, ad, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != sealed.WrappedSize {
		t.Fatalf("wrap has %d bytes, want %d", len(w), sealed.WrappedSize)
	}
	got, err := sealed.Unwrap(priv, w, ad)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sealed.Open(got, ct, ad)
	if err != nil || string(v) != "s3cr3t" {
		t.Fatalf("Open = %q, %v; want s3cr3t", v, err)
	}
	// An empty value seals and opens too.
	ct0, err := sealed.Seal(dk, nil, ad, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := sealed.Open(dk, ct0, ad); err != nil || len(v) != 0 {
		t.Fatalf("Open(empty) = %q, %v", v, err)
	}
}

func TestWrongKeyAndTamper(t *testing.T) {
	priv, pub := nodeKey(t)
	other, _ := nodeKey(t)
	ad := sealed.AD("notes", "API_KEY", 1)
	dk, _ := sealed.NewDataKey(rand.Reader)
	ct, _ := sealed.Seal(dk, []byte("value"), ad, rand.Reader)
	w, _ := sealed.Wrap(pub, dk, ad, rand.Reader)

	wantOpenErr := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, sealed.ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
	_, err := sealed.Unwrap(other, w, ad)
	wantOpenErr("unwrap with another node's key", err)
	_, err = sealed.Unwrap(priv, w, sealed.AD("notes", "API_KEY", 2))
	wantOpenErr("unwrap for another version", err)
	_, err = sealed.Unwrap(priv, w, sealed.AD("notes", "OTHER", 1))
	wantOpenErr("unwrap for another name", err)
	_, err = sealed.Unwrap(priv, w, sealed.AD("other", "API_KEY", 1))
	wantOpenErr("unwrap for another service", err)
	for i := range w {
		bad := bytes.Clone(w)
		bad[i] ^= 0x01
		_, err = sealed.Unwrap(priv, bad, ad)
		wantOpenErr("unwrap of an altered wrap", err)
	}
	_, err = sealed.Unwrap(priv, w[:len(w)-1], ad)
	wantOpenErr("unwrap of a short wrap", err)

	other32, _ := sealed.NewDataKey(rand.Reader)
	_, err = sealed.Open(other32, ct, ad)
	wantOpenErr("open with another data key", err)
	_, err = sealed.Open(dk, ct, sealed.AD("notes", "API_KEY", 2))
	wantOpenErr("open for another version", err)
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x80
		_, err = sealed.Open(dk, bad, ad)
		wantOpenErr("open of an altered ciphertext", err)
	}
	_, err = sealed.Open(dk, ct[:5], ad)
	wantOpenErr("open of a short ciphertext", err)
}

func TestADDistinct(t *testing.T) {
	// Length prefixes keep ("ab","c") and ("a","bc") apart.
	if bytes.Equal(sealed.AD("ab", "c", 1), sealed.AD("a", "bc", 1)) {
		t.Fatal("AD collides across the service/key boundary")
	}
}

func TestWrapRefusesBadInput(t *testing.T) {
	_, pub := nodeKey(t)
	if _, err := sealed.Wrap(pub, make([]byte, 31), nil, rand.Reader); err == nil {
		t.Error("Wrap took a 31-byte data key")
	}
	if _, err := sealed.Wrap(make([]byte, 33), make([]byte, 32), nil, rand.Reader); err == nil {
		t.Error("Wrap took a public key that is not on the curve")
	}
	if _, err := sealed.Unwrap(make([]byte, 31), make([]byte, sealed.WrappedSize), nil); err == nil {
		t.Error("Unwrap took a 31-byte private key")
	}
}
